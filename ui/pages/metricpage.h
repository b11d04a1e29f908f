#pragma once

#include "core/study.h"
#include "engine/spendtracker.h"
#include "run/example_trace.h"

#include <QList>
#include <QPointer>
#include <QThread>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class ErrorBanner;
class JudgePane;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTableWidget;
class QTimer;
class QToolButton;
class RowTableModel;
class StudyDocument;
class TraceDialog;
struct MetricTestJob;

// Metric page: the builder (one built-in metric per output field, with
// weights), a JavaScript metric in an editor with highlighting and line
// numbers, or an LLM judge with a rubric (JudgePane). Every edit goes through StudyDocument::setStudy (undo).
//
// "Test on selected rows" runs the current program with the task model and
// the current metric on rows chosen in the page's row table, on a background
// thread, and shows per row the prediction, score, feedback and errors. A
// script that does not load is reported with its line before any LM call.
class MetricPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricPage)

public:
    enum class Mode {
        Builder,
        Script,
        Judge,
    };

    explicit MetricPage(StudyDocument *document, QWidget *parent = nullptr);
    ~MetricPage() override;

    Mode mode() const;
    // An undoable switch of the study's metric kind. The script starts from a
    // template for the current outputs when it is empty.
    void setMode(Mode mode);
    // Replaces the script with the template for the current signature (undoable).
    void resetScriptToTemplate();

    QTableWidget *builderTable() const { return m_builder; }
    QPlainTextEdit *scriptEditor() const { return m_editor; }
    JudgePane *judgePane() const { return m_judgePane; }
    QTableView *rowsView() const { return m_rowsView; }
    QTableWidget *resultsTable() const { return m_results; }
    QPushButton *testButton() const { return m_testButton; }

    // Selects rows (0-based) of the row table's split for the next test.
    void selectRows(const std::vector<int> &rows);
    std::vector<int> selectedRows() const;
    // Runs the program and metric on the selected rows, in the background.
    void testSelectedRows();
    void cancelTest();
    bool isTesting() const;
    QString testStatus() const;

    // The trace of a result row (what ran, even when out of date), in a new non-modal window.
    void openTrace(int row);
    TraceDialog *lastTraceDialog() const;
    // The results no longer match the study (metric, program or task model changed since the test).
    bool resultsStale() const;
    QLabel *staleLabel() const { return m_staleLabel; }

    // What the last background check of the script found: "" when it loads.
    QString scriptProblem() const { return m_scriptProblem; }
    // Checks the script now instead of after the typing pause (tests).
    void checkScriptNow();

    enum BuilderColumn { FieldColumn, TypeColumn, MetricColumn, WeightColumn, OptionColumn, BuilderColumnCount };
    enum ResultColumn { RowColumn, PredictionColumn, ScoreColumn, FeedbackColumn, ResultColumnCount };

signals:
    void testFinished();
    // What a test's calls cost, by role (the status bar's session spend).
    void spent(const SpendByRole &calls);
    void scriptChecked();

protected:
    void showEvent(QShowEvent *event) override;
    // Fits the results' wrapped rows again when the table's width changes.
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    // The page's parts, built top to bottom by the constructor.
    QHBoxLayout *buildModeBar();
    QWidget *buildBuilderPane();
    QWidget *buildScriptPane();
    QWidget *buildTestPane();
    QHBoxLayout *buildTestBar(QWidget *testPane);
    QSplitter *buildTestTables(QWidget *testPane);
    void connectSignals();

    void syncFromStudy();
    void rebuildBuilder();
    void refreshBuilderValues();
    void commitBuilder(const QString &undoText, const QString &mergeKey = {});
    void updateBuilderSummary();
    void onScriptEdited();
    void startScriptCheck();
    void showScriptProblem(const QString &problem);
    void finishTest(const std::shared_ptr<MetricTestJob> &job);
    void clearResults();
    void updateStaleness();
    QString staleReason() const;
    void updateTestButton();
    void sizeRowColumns();
    void fitSplitter();
    QString idleHint() const;
    std::vector<prism::Field> scoredOutputs() const;

    StudyDocument *m_document;
    bool m_syncing = false;
    int m_typingSession = 0;
    qint64 m_lastTypingMs = 0;
    int m_lastChangeSize = 0;
    bool m_lastChangeIsIndent = false;

    ErrorBanner *m_banner = nullptr;
    QToolButton *m_builderButton = nullptr;
    QToolButton *m_scriptButton = nullptr;
    QToolButton *m_judgeButton = nullptr;
    JudgePane *m_judgePane = nullptr;
    QStackedWidget *m_stack = nullptr;
    QSplitter *m_splitter = nullptr;
    int m_shownMode = -1;
    bool m_fittedOnShow = false;

    QTableWidget *m_builder = nullptr;
    QLabel *m_builderSummary = nullptr;
    std::vector<prism::Field> m_builderFields; // the outputs the table shows, in order

    QPlainTextEdit *m_editor = nullptr;
    QLabel *m_scriptStatus = nullptr;
    QTimer *m_checkTimer = nullptr;
    QString m_scriptProblem;
    int m_checkGeneration = 0;
    QList<QPointer<QThread>> m_checkThreads; // waited for on destruction

    QComboBox *m_splitCombo = nullptr;
    RowTableModel *m_rowsModel = nullptr;
    QTableView *m_rowsView = nullptr;
    QTableWidget *m_results = nullptr;
    QPushButton *m_testButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QLabel *m_testStatus = nullptr;
    QLabel *m_staleLabel = nullptr;
    std::vector<std::optional<prism::ExampleTrace>> m_traces; // parallel to the result rows
    std::optional<prism::Study> m_resultsStudy;               // what the shown results ran with
    QPointer<QWidget> m_lastTrace;                            // a TraceDialog
    std::shared_ptr<MetricTestJob> m_job;
    QPointer<QThread> m_testThread;
};
