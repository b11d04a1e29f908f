#pragma once

#include "core/signature.h"
#include "lm/lm.h"

#include <QWidget>

#include <vector>

class ErrorBanner;
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

// Signature page: the instruction, the fields (name, input or output, type,
// description), Predict or ChainOfThought, and a live preview of the exact
// chat messages the engine's adapter renders for a chosen training row.
class SignaturePage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignaturePage)

public:
    explicit SignaturePage(StudyDocument *document, QWidget *parent = nullptr);

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

    void addField(bool input);
    void removeSelectedField();
    void moveSelectedField(int delta);

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
