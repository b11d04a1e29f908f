#pragma once

#include "core/example.h"
#include "core/program_edit.h"
#include "core/program_wiring.h"
#include "core/signature.h"
#include "engine/spendtracker.h"
#include "lm/lm.h"

#include <QPointer>

#include <QWidget>

#include <memory>
#include <optional>
#include <string>
#include <vector>

class ErrorBanner;
class JobModels;
class QThread;
class ProgramGraph;
class QCheckBox;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QSplitter;
class QTableWidget;
class QTextEdit;
class QTimer;
class StudyDocument;

// Program page (the Signature page grown up): the program's stages as a
// diagram (ProgramGraph) with what cannot work flagged live; stages added,
// removed, renamed, reordered and frozen; and for the chosen stage its
// instruction, its fields (name, input or output, type, description; moved to
// another stage or wired from an earlier stage's output), Predict or
// ChainOfThought, and a live preview of the exact chat messages the engine's
// adapter renders for a chosen training row. Every edit is one undo step.
class SignaturePage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignaturePage)

public:
    explicit SignaturePage(StudyDocument *document, QWidget *parent = nullptr);
    ~SignaturePage() override;

    int currentPredictor() const { return m_predictor; }
    void setCurrentPredictor(int index);

    QPlainTextEdit *instructionEditor() const { return m_instruction; }
    QTableWidget *fieldsTable() const { return m_fields; }

    // 0-based row of the train split the preview renders.
    int previewRow() const;
    void setPreviewRow(int row);
    // The messages last rendered, and the preview's plain text.
    const std::vector<prism::ChatMessage> &previewMessages() const { return m_messages; }
    QString previewText() const;
    // Renders now instead of after the debounce (tests, screenshots).
    void flushPreview();
    // Runs the stages before the chosen one on the preview row with the
    // study's task model (the response cache answers what was asked before),
    // in the background; the preview then shows what they produced instead of
    // {placeholders}, until the row or those stages change.
    void runEarlierStages();
    bool isRunningEarlierStages() const { return m_earlierRunning; }
    QPushButton *runEarlierButton() const { return m_runEarlier; }

signals:
    // What running the earlier stages cost, by role (the status bar's session spend).
    void spent(const SpendByRole &calls);

public:
    void addField(bool input);
    void removeSelectedField();
    void moveSelectedField(int delta);

    // Stage edits (the toolbar's buttons), each one undo step; a refused one
    // shows its reason in the banner and changes nothing.
    void addStageBefore();
    void addStageAfter();
    void removeCurrentStage();
    void renameCurrentStage(const QString &name);
    void moveCurrentStage(int delta);
    // The selected field to another stage (same role).
    void moveSelectedFieldToStage(int stage);
    // A new input of the current stage wired to an earlier output or a column.
    void addInputFrom(const QString &field);
    // What the current stage can read and does not: "policy_violations (find)", "snippet (row)".
    QStringList inputChoiceTexts() const;

    ProgramGraph *graph() const { return m_graph; }
    // The wiring problems shown under the diagram, one per line.
    QStringList wiringProblems() const;

    // The banner's text; empty when hidden.
    QString bannerMessage() const;
    // Replaces the renamed field's old name by the new one in the metric
    // script (the banner's "Replace in Script" after a rename), one undo step.
    void replaceInScript();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    enum Column { NameColumn, RoleColumn, TypeColumn, ValuesColumn, ListColumn, DescriptionColumn, ColumnCount };
    struct FieldRow {
        prism::Field field;
        bool input = false;
    };

    // The page's parts, built left to right by the constructor.
    QHBoxLayout *buildPredictorBar();
    QWidget *buildProgramPane();
    void applyEdit(const prism::Result<prism::StageEdit> &edit, const QString &undoText);
    void refreshGraph();
    std::optional<std::vector<std::string>> datasetColumns() const;
    void addColumnsOf(const prism::Example &row) const;
    void showInputMenu();
    void showMoveMenu();
    QSplitter *buildEditorSplitter(QSplitter *parent);
    QWidget *buildInstructionPane(QSplitter *parent);
    QWidget *buildFieldsPane(QSplitter *parent);
    QWidget *buildPreviewPane(QSplitter *parent);
    void connectSignals();
    // The module kind combo: an undoable change of the predictor's kind.
    void onKindChosen(int index);
    void onFrozenToggled(bool frozen);

    void syncFromStudy();
    void rebuildFieldsTable();
    std::vector<FieldRow> fieldRows() const;
    void commitFieldRows(const std::vector<FieldRow> &rows, const QString &undoText, int selectRow);
    void onItemChanged(int row, int column);
    // A valid new name: the signature, the demos, the metric's fields and the
    // rows follow, in one undo step.
    void renameField(std::vector<FieldRow> rows, int row, const std::string &oldName, const std::string &newName);
    // Move Up / Down only where the field can move: within its group.
    void updateFieldButtons();
    void onRoleChanged(int row, int index);
    void onTypeChanged(int row);
    void onInstructionEdited();
    void schedulePreview();
    void renderPreview();
    void updateRowRange();
    void showProblem(const QString &message);

    StudyDocument *m_document;
    int m_predictor = 0;
    bool m_syncing = false;
    int m_typingSession = 0;
    qint64 m_lastTypingMs = 0;

    ErrorBanner *m_banner = nullptr;
    QComboBox *m_predictorCombo = nullptr;
    QLabel *m_predictorLabel = nullptr;
    QComboBox *m_kindCombo = nullptr;
    QCheckBox *m_frozenCheck = nullptr;
    QPlainTextEdit *m_instruction = nullptr;
    QTableWidget *m_fields = nullptr;
    QPushButton *m_removeField = nullptr;
    QPushButton *m_upField = nullptr;
    QPushButton *m_downField = nullptr;
    QPushButton *m_addInputFrom = nullptr;
    QPushButton *m_moveToStage = nullptr;
    QPushButton *m_removeStage = nullptr;
    QPushButton *m_stageEarlier = nullptr;
    QPushButton *m_stageLater = nullptr;
    ProgramGraph *m_graph = nullptr;
    QHBoxLayout *m_stageButtons = nullptr;
    QLabel *m_wiringLabel = nullptr;
    QStringList m_wiringProblems;
    // The train rows' columns (empty = no rows), read again when stale.
    mutable std::optional<std::vector<std::string>> m_columns;
    mutable bool m_columnsStale = true;
    QPushButton *m_runEarlier = nullptr;
    QPointer<QThread> m_earlierThread;
    bool m_earlierRunning = false; // until its result is on the page
    std::shared_ptr<JobModels> m_earlierModels;
    // What the earlier stages produced for a row, and for which stages (their JSON and the task model).
    struct Produced {
        int row = -1;
        std::string key;
        prism::Fields values;
    };
    std::optional<Produced> m_produced;
    std::string earlierStagesKey() const;
    QSpinBox *m_rowSpin = nullptr;
    QLabel *m_previewInfo = nullptr;
    QTextEdit *m_preview = nullptr;
    QTimer *m_previewTimer = nullptr;
    QSplitter *m_leftSplitter = nullptr;
    bool m_sized = false;
    std::vector<FieldRow> m_shownRows;
    std::vector<prism::ChatMessage> m_messages;
    // The last rename, while the banner offers to carry it into the metric script.
    std::pair<std::string, std::string> m_scriptRename;
};
