#pragma once

#include "studydocument.h"
#include "widgets/barlist.h"

#include <QWidget>

class ErrorBanner;
class QHBoxLayout;
class QLabel;
class QPushButton;
class QSplitter;
class QTabBar;
class QTableView;
class QTimer;
class QVBoxLayout;
class RowTableModel;

// Dataset page: the rows of each split in a table (edit, add, delete),
// import from JSON / JSONL / CSV (dialog or drag-and-drop) with a column
// mapping step, a seeded re-split, and the label distribution of the split.
class DatasetPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DatasetPage)

public:
    explicit DatasetPage(StudyDocument *document, QWidget *parent = nullptr);

    Split currentSplit() const;
    void setCurrentSplit(Split split);

    // Reads the file with the engine's loaders, asks for the column mapping,
    // then adds or replaces the rows of the chosen split in one undo step.
    // Any error (file, line) goes to the banner and nothing is imported.
    bool importFile(const QString &path);
    void importWithDialog();
    void addRow();
    void deleteSelectedRows();
    void splitWithDialog();

    QTableView *tableView() const { return m_table; }
    RowTableModel *model() const { return m_model; }
    // The banner's text; empty when it is hidden.
    QString bannerMessage() const;
    // The label distribution shown for an output field of the current split.
    std::vector<BarListWidget::Bar> distribution(const QString &field) const;

    // Rows (all splits) with a label outside their field's enum, which the
    // loader would refuse on reopen; the warning banner's text (empty when hidden).
    int rowsOutsideEnum() const { return m_outside.rows; }
    QString labelWarning() const;
    // Makes the first such cell current (the banner's "Show First").
    void showFirstOutsideEnum();
    // Opens the study's name and description (the summary's "Rename…" link).
    void editStudyInfo();

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    // The split tabs and the row buttons, wired to their actions.
    QHBoxLayout *buildToolbar();
    // The rows table beside the label statistics.
    QSplitter *buildRowsSplitter();
    // The split tabs, the model and the table's selection.
    void connectViews();
    void updateSplitTabs();
    void updateSummary();
    void scheduleStats();
    void rebuildStats();
    void resizeColumns();
    static bool isImportable(const QString &path);

    // Labels outside the enum, and the study line of the summary.
    void checkLabels(bool studyOnly);
    void updateStudyLabel();

    StudyDocument *m_document;
    RowTableModel *m_model = nullptr;
    ErrorBanner *m_banner = nullptr;
    QTabBar *m_splitTabs = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_summary = nullptr;
    QPushButton *m_deleteButton = nullptr;
    QWidget *m_statsContent = nullptr;
    QVBoxLayout *m_statsLayout = nullptr;
    QTimer *m_statsTimer = nullptr;
    std::vector<std::pair<QString, BarListWidget *>> m_statBars;

    // The study's name and its "Rename…" link, beside the summary.
    QLabel *m_studyLabel = nullptr;
    // The last rejected cell edit shown in m_banner: cleared by the next edit or undo.
    QString m_editError;
    // Labels outside the enum: a warning of its own, so an import or edit message never hides it.
    ErrorBanner *m_labelBanner = nullptr;
    struct Outside {
        int rows = 0;
        Split split = Split::Train;
        int row = -1;
        std::string field;
    };
    Outside m_outside;
    std::vector<prism::Field> m_enumFields; // the fields m_outside was counted for
};
