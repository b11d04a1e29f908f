#include "mainwindow.h"

#include "qtconvert.h"
#include "studydocument.h"
#include "widgets/helpdialog.h"
#include "widgets/icons.h"
#include "widgets/studyinfodialog.h"
#include "wizard/newstudywizard.h"

#include "core/study.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QUndoStack>
#include <QUrl>

#include <climits>

namespace {

const char *const recentKey = "recentFiles";

QString sampleTitle(const QString &name)
{
    if (name == QLatin1String("qa"))
        return QObject::tr("Question answering (qa)");
    if (name == QLatin1String("moderation"))
        return QObject::tr("Content moderation (moderation)");
    if (name == QLatin1String("math"))
        return QObject::tr("Arithmetic word problems (math)");
    if (name == QLatin1String("moderation_pipeline"))
        return QObject::tr("Content moderation in two stages (moderation_pipeline)");
    if (name == QLatin1String("qa_pipeline"))
        return QObject::tr("Question answering in two stages (qa_pipeline)");
    return name;
}

} // namespace

QString modelLabel(const prism::ModelConfig &model)
{
    QString kind;
    switch (model.provider) {
    case prism::Provider::SimLm: kind = QObject::tr("Simulator"); break;
    case prism::Provider::OpenAi: kind = QObject::tr("OpenAI-compatible"); break;
    case prism::Provider::Anthropic: kind = QObject::tr("Anthropic"); break;
    }
    return QStringLiteral("%1 (%2)").arg(toQ(model.model), kind);
}

QString modelsStatusText(const prism::Study &study)
{
    return QObject::tr("Task: %1 \u00b7 Proposer: %2")
        .arg(modelLabel(study.taskModel), modelLabel(study.proposerModel));
}

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent), m_document(new StudyDocument(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(studioIcon(QStringLiteral("app")));

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    m_sideBar = new QListWidget(central);
    m_sideBar->setObjectName(QStringLiteral("sideBar"));
    m_sideBar->setAccessibleName(tr("Pages"));
    m_sideBar->setSelectionMode(QAbstractItemView::SingleSelection);
    m_sideBar->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_sideBar->setFrameShape(QFrame::NoFrame);
    const int iconSide = fontMetrics().height() * 3 / 2;
    m_sideBar->setIconSize(QSize(iconSide, iconSide));
    m_sideBar->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Expanding);

    m_stack = new QStackedWidget(central);
    m_stack->setObjectName(QStringLiteral("pageStack"));
    layout->addWidget(m_sideBar);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);

    connect(m_sideBar, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);

    createMenus();
    createStatusBar();

    connect(m_document, &StudyDocument::studyChanged, this, [this] {
        updateTitle();
        updateModelsLabel();
    });
    connect(m_document, &StudyDocument::pathChanged, this, &MainWindow::updateTitle);
    connect(m_document, &StudyDocument::modifiedChanged, this, &MainWindow::updateTitle);
    updateTitle();
    updateModelsLabel();
    restoreWindowState();
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QMenu *samples = file->addMenu(tr("&New from Sample"));
    samples->setObjectName(QStringLiteral("samplesMenu"));
    // The three documented samples first, then any other found beside them.
    QStringList names = StudyDocument::sampleNames();
    QStringList ordered;
    for (const char *preferred : {"moderation", "qa", "math"})
        if (names.removeAll(QLatin1String(preferred)) > 0)
            ordered << QLatin1String(preferred);
    ordered << names;
    for (const QString &name : std::as_const(ordered)) {
        QAction *action = samples->addAction(sampleTitle(name));
        action->setData(name);
        connect(action, &QAction::triggered, this, [this, name] { openSample(name); });
    }
    samples->setEnabled(!ordered.isEmpty());
    QAction *fromData = file->addAction(tr("New Study from &Data\u2026"), this, &MainWindow::newStudyFromData);
    fromData->setObjectName(QStringLiteral("newFromDataAction"));

    QAction *openAction = file->addAction(tr("&Open\u2026"), this, &MainWindow::open);
    openAction->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    rebuildRecentMenu();
    file->addSeparator();
    m_saveAction = file->addAction(tr("&Save"), this, &MainWindow::save);
    m_saveAction->setShortcut(QKeySequence::Save);
    QAction *saveAsAction = file->addAction(tr("Save &As\u2026"), this, &MainWindow::saveAs);
    saveAsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    file->addSeparator();
    // Name and description, as one undoable edit (the Dataset page has the same dialog).
    QAction *properties =
        file->addAction(tr("Study &Properties\u2026"), this, [this] { StudyInfoDialog::editStudy(m_document, this); });
    properties->setObjectName(QStringLiteral("studyPropertiesAction"));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QAction *undo = m_document->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setObjectName(QStringLiteral("undoAction"));
    QAction *redo = m_document->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    redo->setObjectName(QStringLiteral("redoAction"));
    edit->addAction(undo);
    edit->addAction(redo);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("helpMenu"));
    auto showHelp = [this](HelpDialog::Topic topic) {
        auto *dialog = new HelpDialog(topic, this, this);
        dialog->show(); // not modal: it can stay open beside the page it explains
    };
    QAction *gettingStarted =
        help->addAction(tr("&Getting Started"), this, [showHelp] { showHelp(HelpDialog::Topic::GettingStarted); });
    gettingStarted->setShortcut(QKeySequence::HelpContents);
    gettingStarted->setObjectName(QStringLiteral("helpGettingStarted"));
    help->addAction(tr("&Simulated Models"), this, [showHelp] { showHelp(HelpDialog::Topic::SimulatedModels); })
        ->setObjectName(QStringLiteral("helpSimulatedModels"));
    help->addAction(tr("&Keyboard Shortcuts"), this, [showHelp] { showHelp(HelpDialog::Topic::Shortcuts); })
        ->setObjectName(QStringLiteral("helpShortcuts"));
    help->addSeparator();
    help->addAction(tr("&About Prism Studio"), this, [this] {
        QMessageBox::about(
            this, tr("About Prism Studio"),
            tr("<b>Prism Studio</b> %1<br>Prompt optimization on your machine: load data, edit the signature "
               "and the metric, run MIPROv2, compare and export programs DSPy can load.")
                .arg(QStringLiteral(PRISM_VERSION)));
    });
}

void MainWindow::createStatusBar()
{
    m_modelsLabel = new QLabel(this);
    m_modelsLabel->setObjectName(QStringLiteral("modelsLabel"));
    m_spendLabel = new QLabel(tr("Session $0.00"), this);
    m_spendLabel->setObjectName(QStringLiteral("spendLabel"));
    // Permanent widgets sit on the right, so short messages on the left never cover them.
    auto *separator = new QFrame(this);
    separator->setFrameShape(QFrame::VLine);
    separator->setFrameShadow(QFrame::Sunken);
    m_exportLink = new QLabel(this);
    m_exportLink->setObjectName(QStringLiteral("exportFolderLink"));
    m_exportLink->setTextFormat(Qt::RichText);
    m_exportLink->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    connect(m_exportLink, &QLabel::linkActivated, this,
            [](const QString &url) { QDesktopServices::openUrl(QUrl(url)); });
    m_exportLink->hide();
    statusBar()->addPermanentWidget(m_exportLink);
    statusBar()->addPermanentWidget(m_modelsLabel);
    statusBar()->addPermanentWidget(separator);
    statusBar()->addPermanentWidget(m_spendLabel);
}

void MainWindow::addPage(const QString &title, QWidget *page, const QIcon &icon)
{
    if (!page)
        return;
    if (page->objectName().isEmpty())
        page->setObjectName(title.toLower() + QLatin1String("Page"));
    auto *item = new QListWidgetItem(icon, title, m_sideBar);
    item->setToolTip(title);
    m_stack->addWidget(page);
    // Ctrl+1..9 jump to the pages in side-bar order.
    const int index = m_sideBar->count() - 1;
    if (index < 9) {
        auto *jump = new QAction(tr("Go to %1").arg(title), this); // named for Help > Keyboard Shortcuts
        jump->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + index)));
        connect(jump, &QAction::triggered, this, [this, index] { m_sideBar->setCurrentRow(index); });
        addAction(jump);
    }
    // Wide enough for the longest title, in the user's font.
    int widest = 0;
    for (int i = 0; i < m_sideBar->count(); ++i)
        widest = std::max(widest, m_sideBar->fontMetrics().horizontalAdvance(m_sideBar->item(i)->text()));
    const int unit = fontMetrics().height();
    m_sideBar->setFixedWidth(widest + m_sideBar->iconSize().width() + unit * 3);
    if (m_sideBar->currentRow() < 0)
        m_sideBar->setCurrentRow(0);
    // A page restored from the last session becomes current once it exists.
    const QString wanted = QSettings().value(QStringLiteral("window/page")).toString();
    if (wanted == title)
        m_sideBar->setCurrentRow(index);
}

QStringList MainWindow::pageTitles() const
{
    QStringList titles;
    for (int i = 0; i < m_sideBar->count(); ++i)
        titles << m_sideBar->item(i)->text();
    return titles;
}

QWidget *MainWindow::page(const QString &title) const
{
    const int index = static_cast<int>(pageTitles().indexOf(title));
    return index >= 0 ? m_stack->widget(index) : nullptr;
}

QWidget *MainWindow::currentPage() const
{
    return m_stack->currentWidget();
}

bool MainWindow::showPage(const QString &title)
{
    const int index = static_cast<int>(pageTitles().indexOf(title));
    if (index < 0)
        return false;
    m_sideBar->setCurrentRow(index);
    return true;
}

void MainWindow::showExported(bool ok, const QString &pathOrError)
{
    statusBar()->showMessage(ok ? tr("Exported %1").arg(QDir::toNativeSeparators(pathOrError)) : pathOrError, 10000);
    if (!ok)
        return;
    // The message fades; the way to the file stays until the next export.
    const QString folder = QFileInfo(pathOrError).absolutePath();
    m_exportLink->setText(QStringLiteral("<a href=\"%1\">%2</a>")
                              .arg(QUrl::fromLocalFile(folder).toString(QUrl::FullyEncoded), tr("Open export folder")));
    m_exportLink->setToolTip(tr("Last export: %1").arg(QDir::toNativeSeparators(pathOrError)));
    m_exportLink->show();
}

void MainWindow::setSpendText(const QString &text, const QString &toolTip)
{
    m_spendLabel->setText(text);
    m_spendLabel->setToolTip(toolTip);
}

void MainWindow::updateTitle()
{
    const QString where = m_document->isUntitled() ? tr("not saved yet") : QFileInfo(m_document->path()).fileName();
    setWindowTitle(QStringLiteral("%1[*] \u2014 %2 \u2014 Prism Studio").arg(m_document->displayName(), where));
    setWindowModified(m_document->isModified());
}

void MainWindow::updateModelsLabel()
{
    m_modelsLabel->setText(modelsStatusText(m_document->study()));
    m_modelsLabel->setToolTip(
        tr("Task model: %1\nProposer model: %2 (writes candidate instructions)")
            .arg(modelLabel(m_document->study().taskModel), modelLabel(m_document->study().proposerModel)));
}

void MainWindow::showError(const QString &title, const QString &message)
{
    QMessageBox box(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box.setTextInteractionFlags(Qt::TextSelectableByMouse);
    box.exec();
}

bool MainWindow::openStudy(const QString &path)
{
    if (!maybeSave())
        return false;
    return openStudyFile(path);
}

bool MainWindow::openStudyFile(const QString &path)
{
    QString error;
    if (!m_document->open(path, &error)) {
        showError(tr("Cannot open the study"), error);
        return false;
    }
    addRecentFile(m_document->path());
    statusBar()->showMessage(tr("Opened %1").arg(QDir::toNativeSeparators(m_document->path())), 4000);
    return true;
}

void MainWindow::newStudyFromData()
{
    if (!maybeSave())
        return;
    NewStudyWizard wizard(this);
    if (wizard.exec() == QDialog::Accepted && !wizard.studyPath().isEmpty())
        openStudyFile(wizard.studyPath());
}

bool MainWindow::openSample(const QString &name)
{
    if (!maybeSave())
        return false;
    QString error;
    if (!m_document->newFromSample(name, &error)) {
        showError(tr("Cannot open the sample"), error);
        return false;
    }
    statusBar()->showMessage(tr("Sample '%1' loaded; Save As keeps your own copy").arg(name), 6000);
    return true;
}

bool MainWindow::openLastOrSample()
{
    const QStringList recent = recentFiles();
    if (!recent.isEmpty() && QFileInfo::exists(recent.front())) {
        QString error;
        if (m_document->open(recent.front(), &error))
            return true;
        statusBar()->showMessage(tr("Could not reopen %1: %2").arg(recent.front(), error), 8000);
    }
    return openSample(QStringLiteral("moderation"));
}

void MainWindow::open()
{
    if (!maybeSave())
        return;
    QString dir = m_document->isUntitled() ? QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation)
                                           : QFileInfo(m_document->path()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Study"), dir, tr("Prism studies (*.prism.json);;JSON files (*.json);;All files (*)"));
    if (!path.isEmpty())
        openStudy(path);
}

bool MainWindow::save()
{
    if (m_document->isUntitled())
        return saveAs();
    QString error;
    if (!m_document->save(m_document->path(), &error)) {
        showError(tr("Cannot save the study"), error);
        return false;
    }
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(m_document->path())), 4000);
    return true;
}

bool MainWindow::saveAs()
{
    QString suggestion = m_document->path();
    if (suggestion.isEmpty()) {
        const QString docs = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
        QString stem = m_document->displayName().toLower();
        stem.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
        stem = stem.section(QLatin1Char('-'), 0, 2, QString::SectionSkipEmpty);
        suggestion =
            QDir(docs).filePath((stem.isEmpty() ? QStringLiteral("study") : stem) + QLatin1String(".prism.json"));
    }
    QString path =
        QFileDialog::getSaveFileName(this, tr("Save Study As"), suggestion, tr("Prism studies (*.prism.json)"));
    if (path.isEmpty())
        return false;
    if (!path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
        path += QLatin1String(".prism.json");
    QString error;
    if (!m_document->save(path, &error)) {
        showError(tr("Cannot save the study"), error);
        return false;
    }
    addRecentFile(m_document->path());
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(m_document->path())), 4000);
    return true;
}

bool MainWindow::maybeSave()
{
    if (!m_document->isModified())
        return true;
    const auto answer = QMessageBox::warning(
        this, tr("Unsaved changes"), tr("'%1' has unsaved changes. Save them?").arg(m_document->displayName()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Save)
        return save();
    return answer == QMessageBox::Discard;
}

QStringList MainWindow::recentFiles()
{
    return QSettings().value(QLatin1String(recentKey)).toStringList();
}

void MainWindow::addRecentFile(const QString &path)
{
    if (path.isEmpty())
        return;
    QStringList files = recentFiles();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > maxRecentFiles)
        files.removeLast();
    QSettings().setValue(QLatin1String(recentKey), files);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList files = recentFiles();
    for (const QString &path : files) {
        QAction *action = m_recentMenu->addAction(QFileInfo(path).fileName() + QStringLiteral("  \u2014  ")
                                                  + QDir::toNativeSeparators(QFileInfo(path).absolutePath()));
        action->setData(path);
        action->setEnabled(QFileInfo::exists(path));
        connect(action, &QAction::triggered, this, [this, path] { openStudy(path); });
    }
    if (files.isEmpty()) {
        m_recentMenu->addAction(tr("No recent studies"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear Menu"), this, [this] {
        QSettings().remove(QLatin1String(recentKey));
        rebuildRecentMenu();
    });
}

void MainWindow::restoreWindowState()
{
    QSettings settings;
    const QByteArray geometry = settings.value(QStringLiteral("window/geometry")).toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry)) {
        // First start: a comfortable size in font units, so it scales with the screen.
        const int unit = fontMetrics().height();
        resize(unit * 80, unit * 50);
    }
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::saveWindowState()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    if (m_sideBar->currentItem())
        settings.setValue(QStringLiteral("window/page"), m_sideBar->currentItem()->text());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    saveWindowState();
    event->accept();
}
