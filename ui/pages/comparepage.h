#pragma once

#include "compare/comparesummary.h"
#include "compare/runfit.h"
#include "engine/spendtracker.h"
#include "studydocument.h"

#include <QString>
#include <QWidget>

#include <memory>
#include <optional>
#include <thread>

class ChangedRowsFilter;
class ComparisonJob;
class ComparisonTableModel;
class ErrorBanner;
class QCheckBox;
class QComboBox;
class QFrame;
class QGridLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTableView;
class QTextBrowser;
class QTimer;

namespace prism {
class RunStore;
struct Program;
} // namespace prism

// Compare page: two programs (A and B: the study's own program, a run's
// program from the store, or a program file) evaluated on one split of the
// open study with the study's models and metric, off the UI thread. Shows
// both scores, the difference with its 95% paired bootstrap interval and
// whether it excludes 0, the per-example table (flips green or red, a
// "changed only" filter) and a word-level diff of the instructions with the
// demos of each side.
class TraceDialog;

class ComparePage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComparePage)

public:
    explicit ComparePage(StudyDocument *doc, QWidget *parent = nullptr);
    ~ComparePage() override; // cancels and joins a comparison under way

    void setStore(std::shared_ptr<prism::RunStore> store);

    // Each starts a comparison in the background (comparisonFinished reports
    // the end) or shows why it cannot: a run without a program, an artifact
    // whose signature differs from the study's (the loader's message).
    void compareRunWithBaseline(const QString &runId); // A = the study's program, B = the run's
    void compareRuns(const QString &runA, const QString &runB);
    // "" = the study's program. False with *error when a program cannot be loaded.
    bool compareFiles(const QString &programA, const QString &programB, QString *error);
    // Compares what the side pickers show (the Compare button).
    void compareSelected();
    void cancel();
    bool isBusy() const { return m_job != nullptr; }

    void setSplit(Split split);
    Split split() const;

    // The last finished comparison, for the report export.
    const std::optional<CompareSummary> &summary() const { return m_summary; }

    ErrorBanner *banner() const { return m_banner; }
    QComboBox *sideCombo(int side) const { return side == 0 ? m_sideA : m_sideB; }
    QComboBox *splitCombo() const { return m_split; }
    QPushButton *compareButton() const { return m_compare; }
    QPushButton *cancelButton() const { return m_cancel; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *scoreLabel(int side) const { return side == 0 ? m_scoreA : m_scoreB; }
    QLabel *differenceLabel() const { return m_difference; }
    QLabel *verdictLabel() const { return m_verdict; }
    QCheckBox *changedOnlyCheck() const { return m_changedOnly; }
    QTableView *examplesTable() const { return m_table; }
    // The trace of a row of the examples table (as shown, after the filter)
    // for side 0 (A) or 1 (B): the example run again on the study's models,
    // in a new non-modal window. Null when there is no such row.
    TraceDialog *openTrace(int row, int side);
    ComparisonTableModel *examplesModel() const { return m_model; }
    ChangedRowsFilter *examplesFilter() const { return m_filter; }
    QTextBrowser *promptDiff() const { return m_diff; }

signals:
    // ok = both programs were evaluated and compared; message says what happened.
    void comparisonFinished(bool ok, const QString &message);
    // The model calls a comparison made, by role, when it ended.
    void spent(const SpendByRole &calls);

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Side {
        QString spec;  // "baseline", "run:<id>" or "file:<path>"
        QString label; // as shown in the results
    };

    // The page's parts, top to bottom: what to compare, the verdict, the tabs.
    QGridLayout *buildPicker();
    QFrame *buildVerdict();
    QTabWidget *buildTabs();
    QWidget *buildExamplesTab(QTabWidget *tabs);
    QComboBox *buildSideCombo(const QString &objectName);
    void refreshRunChoices();
    void selectSpec(QComboBox *combo, const QString &spec);
    void onSideActivated(QComboBox *combo, int index);
    // Loads a side's program; the error says which side and why.
    bool loadSide(const Side &side, prism::Program *program, QString *error) const;
    bool start(const Side &a, const Side &b, QString *error);
    void onFinished(quint64 generation);
    void fail(const QString &message);
    void clearResults();
    void setBusy(bool busy);
    void updateProgress();
    void showPromptDiff(const prism::Program &a, const prism::Program &b);
    QString sideLabel(const QString &spec) const;

    StudyDocument *m_doc;
    std::shared_ptr<prism::RunStore> m_store;
    RunFitCache m_runFits;

    ErrorBanner *m_banner = nullptr;
    QComboBox *m_sideA = nullptr;
    QComboBox *m_sideB = nullptr;
    QComboBox *m_split = nullptr;
    QPushButton *m_compare = nullptr;
    QPushButton *m_cancel = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_scoreA = nullptr;
    QLabel *m_scoreB = nullptr;
    QLabel *m_difference = nullptr;
    QLabel *m_verdict = nullptr;
    QLabel *m_flips = nullptr;
    QCheckBox *m_changedOnly = nullptr;
    QTableView *m_table = nullptr;
    ComparisonTableModel *m_model = nullptr;
    ChangedRowsFilter *m_filter = nullptr;
    QTextBrowser *m_diff = nullptr;
    QTimer *m_progressTimer = nullptr;

    // The comparison under way: the job, its thread, and where its result lands.
    std::shared_ptr<ComparisonJob> m_job;
    std::thread m_thread;
    struct PendingResult;
    std::shared_ptr<PendingResult> m_result;
    quint64 m_generation = 0;
    Side m_runningA;
    Side m_runningB;
    Split m_runningSplit = Split::Test;
    std::optional<CompareSummary> m_summary;
    // What the shown comparison ran, so a row can be traced.
    struct Traced {
        prism::Study study;
        std::vector<prism::Example> examples;
        prism::Program a;
        prism::Program b;
        QString labelA;
        QString labelB;
    };
    std::optional<Traced> m_traced;
};
