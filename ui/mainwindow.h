#pragma once

#include <QIcon>
#include <QMainWindow>
#include <QStringList>

class QAction;
class QCloseEvent;
class QLabel;
class QListWidget;
class QMenu;
class QStackedWidget;
class StudyDocument;

namespace prism {
struct ModelConfig;
struct Study;
} // namespace prism

// The studio's window: a side bar of pages over one StudyDocument, the File
// and Edit menus, and a status bar with the models in use and the spend.
// Pages register themselves with addPage (see pagesregistry.h); a page that
// does not exist yet is simply not in the side bar.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    StudyDocument *document() const { return m_document; }

    void addPage(const QString &title, QWidget *page, const QIcon &icon);
    QStringList pageTitles() const;
    QWidget *page(const QString &title) const;
    QWidget *currentPage() const;
    bool showPage(const QString &title);

    // Open a study file or a bundled sample; errors are shown to the user.
    bool openStudy(const QString &path);
    bool openSample(const QString &name);
    // The last study in Open Recent, if it still exists; else the moderation sample.
    bool openLastOrSample();

    static QStringList recentFiles();
    static constexpr int maxRecentFiles = 8;

public slots:
    // The outcome of an export (ExportMenu::exported): the path written, in the status bar.
    // A failure has its own dialog; the status bar says it too, so it stays in view.
    void showExported(bool ok, const QString &pathOrError);
    // What the studio spent (SpendTracker::statusText), with its by-role tooltip.
    void setSpendText(const QString &text, const QString &toolTip);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void createStatusBar();
    void updateTitle();
    void updateModelsLabel();
    void rebuildRecentMenu();
    void addRecentFile(const QString &path);
    void restoreWindowState();
    void saveWindowState();
    void showError(const QString &title, const QString &message);
    bool maybeSave();
    bool save();
    bool saveAs();
    void open();
    // File > New Study from Data…: the wizard writes the study, then it opens.
    void newStudyFromData();
    bool openStudyFile(const QString &path); // openStudy without asking to save first

    StudyDocument *m_document = nullptr;
    QListWidget *m_sideBar = nullptr;
    QStackedWidget *m_stack = nullptr;
    QMenu *m_recentMenu = nullptr;
    QLabel *m_modelsLabel = nullptr;
    QLabel *m_spendLabel = nullptr;
    QLabel *m_exportLink = nullptr; // "Open export folder", after the first export
    QAction *m_saveAction = nullptr;
};

// "sim-small (Simulator)", "gpt-4o-mini (OpenAI-compatible)".
QString modelLabel(const prism::ModelConfig &model);
// "Task: sim-small (Simulator) · Proposer: sim-small (Simulator)"
QString modelsStatusText(const prism::Study &study);
// "Spend: $0.00", "Spend: $0.0042 · 12 calls"
QString spendText(double dollars, long long calls);
