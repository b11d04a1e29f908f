#include "run/run_choice.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include "pagesregistry.h"

#include "engine/enginebridge.h"
#include "engine/spendtracker.h"
#include "export/exportmenu.h"
#include "mainwindow.h"
#include "pages/comparepage.h"
#include "pages/datasetpage.h"
#include "pages/exportpage.h"
#include "pages/gridpage.h"
#include "pages/historypage.h"
#include "pages/metricpage.h"
#include "pages/modelspage.h"
#include "pages/monitorpage.h"
#include "pages/playgroundpage.h"
#include "pages/runpage.h"
#include "pages/signaturepage.h"
#include "server/connectdialog.h"
#include "server/serversession.h"
#include "widgets/icons.h"

#include <QCoreApplication>
#include <QDir>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTimer>

namespace {

// The user's run store; when it cannot be opened (a read-only or full data
// directory), a store in the temp folder for this session, and the user is told.
std::shared_ptr<prism::RunStore> openRunStore(MainWindow *window)
{
    prism::Result<std::shared_ptr<prism::RunStore>> store = prism::RunStore::openDefault();
    if (store.ok())
        return *store;
    const QString fallback =
        QDir(QDir::tempPath())
            .filePath(QStringLiteral("prism-session-runs-%1.sqlite").arg(QCoreApplication::applicationPid()));
    prism::Result<std::shared_ptr<prism::RunStore>> temporary = prism::RunStore::open(fallback.toStdString());
    QMessageBox::warning(
        window, QObject::tr("Run store unavailable"),
        QObject::tr("The run store could not be opened:\n%1\n\nRuns of this session are kept in %2 and "
                    "will not appear in History next time.")
            .arg(QString::fromStdString(store.error().message), fallback));
    return temporary.ok() ? *temporary : nullptr;
}

// The pages' own read-only connection to the same file: the UI thread reads
// while the run's thread writes, and neither waits on the other's mutex
// (SQLite's WAL lets one writer and many readers work at once).
std::shared_ptr<prism::RunStore> openReader(const std::shared_ptr<prism::RunStore> &store)
{
    auto reader = prism::RunStore::open(store->location(), prism::StoreAccess::ReadOnly);
    if (reader.ok())
        return *reader;
    qWarning("run store %s: no read-only connection (%s); the pages read through the run's", store->path().c_str(),
             reader.error().message.c_str());
    return store;
}

// Any trial as the run's program (issue 16 item 5), through the writable store.
void connectRunChoice(MainWindow *window, MonitorPage *monitor, HistoryPage *history, EngineBridge *bridge)
{
    QObject::connect(
        monitor, &MonitorPage::useProgramRequested, window,
        [window, monitor, history, bridge](const QString &runId, const std::vector<prism::ConfigChoice> &config) {
            auto chosen = prism::chooseRunProgram(*bridge->store(), runId.toStdString(), config, "user");
            if (!chosen) {
                QMessageBox::warning(window, QObject::tr("Use as Run's Program"),
                                     QString::fromStdString(chosen.error().message));
                return;
            }
            QString error;
            monitor->loadRun(runId, &error);
            history->refresh();
            window->statusBar()->showMessage(
                QObject::tr("Run %1: %2 is now its program, chosen by you instead of %3")
                    .arg(runId, QString::fromStdString(chosen->configKey), QString::fromStdString(chosen->replaced)));
        });
}

// Replaces the window with one attached to `server` (or a local one when it
// is null), on the same study file. Refused while this window runs a run or
// holds unsaved changes.
void switchWindow(MainWindow *window, EngineBridge *bridge, std::shared_ptr<ServerSession> server)
{
    if (bridge->isRunning() && !bridge->isRemote()) {
        QMessageBox::information(
            window, QObject::tr("Run under way"),
            QObject::tr("Run %1 is under way in this window; wait for it or cancel it first.").arg(bridge->runId()));
        return;
    }
    if (window->document()->isModified()) {
        QMessageBox::information(window, QObject::tr("Unsaved study"),
                                 QObject::tr("Save the study first: the new window opens it from its file."));
        return;
    }
    auto *next = new MainWindow;
    next->setAttribute(Qt::WA_DeleteOnClose);
    registerPages(next, std::move(server));
    next->show();
    const QString path = window->document()->path();
    if (!path.isEmpty())
        next->openStudy(path);
    else
        next->openLastOrSample();
    window->close();
}

void addServerMenu(MainWindow *window, EngineBridge *bridge, const std::shared_ptr<ServerSession> &server)
{
    QMenu *file = nullptr;
    for (QAction *action : window->menuBar()->actions())
        if (action->menu() && action->menu()->title().contains(QStringLiteral("File")))
            file = action->menu();
    if (!file)
        return;
    QAction *quit = file->actions().isEmpty() ? nullptr : file->actions().last();
    QAction *connectAction = new QAction(QObject::tr("Connect to &Server\u2026"), window);
    connectAction->setObjectName(QStringLiteral("connectToServer"));
    QObject::connect(connectAction, &QAction::triggered, window, [window, bridge] {
        ConnectDialog dialog(window);
        if (dialog.exec() == QDialog::Accepted)
            switchWindow(window, bridge, dialog.session());
    });
    file->insertAction(quit, connectAction);
    if (server) {
        QAction *disconnect = new QAction(QObject::tr("&Disconnect from Server"), window);
        disconnect->setObjectName(QStringLiteral("disconnectFromServer"));
        QObject::connect(disconnect, &QAction::triggered, window,
                         [window, bridge] { switchWindow(window, bridge, nullptr); });
        file->insertAction(quit, disconnect);
    }
    file->insertSeparator(quit);
}

// The server's runs change under the pages: History follows the mirror, and
// the status bar says where the runs are and whether the server answers.
void followServer(MainWindow *window, HistoryPage *history, const std::shared_ptr<ServerSession> &server)
{
    auto *where = new QLabel(window);
    where->setObjectName(QStringLiteral("serverStatus"));
    window->statusBar()->addPermanentWidget(where);
    auto *timer = new QTimer(window);
    auto seen = std::make_shared<unsigned long long>(~0ULL);
    QObject::connect(timer, &QTimer::timeout, window, [server, history, where, seen] {
        const QString problem = server->problem();
        where->setText(problem.isEmpty() ? QObject::tr("Team server %1").arg(server->url())
                                         : QObject::tr("Team server %1: %2").arg(server->url(), problem));
        if (server->generation() != *seen) {
            *seen = server->generation();
            history->refresh();
        }
    });
    timer->start(500);
}

// History's buttons: open a run in the Monitor (following a server run that
// goes on), compare it with its baseline or with another run.
void connectHistory(MainWindow *window, HistoryPage *history, MonitorPage *monitor, ComparePage *compare,
                    EngineBridge *bridge, const std::shared_ptr<prism::RunStore> &reader)
{
    QObject::connect(
        history, &HistoryPage::openRunRequested, window, [window, monitor, bridge, reader](const QString &runId) {
            QString error;
            if (!monitor->loadRun(runId, &error)) {
                QMessageBox::warning(window, QObject::tr("Open run"), error);
                return;
            }
            // A server run that goes on: the monitor follows it from where the mirror is.
            auto record = reader->loadRun(runId.toStdString());
            const bool goesOn =
                record && (record->status == prism::RunStatus::Running || record->status == prism::RunStatus::Queued);
            if (bridge->isRemote() && goesOn && !bridge->isRunning()) {
                bridge->follow(runId, monitor->lastSeq());
                monitor->continueLive();
            }
            window->showPage(QObject::tr("Monitor"));
        });
    QObject::connect(history, &HistoryPage::compareWithBaselineRequested, window,
                     [window, compare](const QString &runId) {
                         window->showPage(QObject::tr("Compare"));
                         compare->compareRunWithBaseline(runId);
                     });
    QObject::connect(history, &HistoryPage::compareRunsRequested, window,
                     [window, compare](const QString &a, const QString &b) {
                         window->showPage(QObject::tr("Compare"));
                         compare->compareRuns(a, b);
                     });
}

} // namespace

void registerPages(MainWindow *window, std::shared_ptr<ServerSession> server)
{
    StudyDocument *doc = window->document();
    window->addPage(QObject::tr("Dataset"), new DatasetPage(doc), studioIcon(QStringLiteral("dataset")));
    auto *program = new SignaturePage(doc);
    window->addPage(QObject::tr("Program"), program, studioIcon(QStringLiteral("signature")));
    auto *metric = new MetricPage(doc);
    window->addPage(QObject::tr("Metric"), metric, studioIcon(QStringLiteral("metric")));
    window->addPage(QObject::tr("Models"), new ModelsPage(doc), studioIcon(QStringLiteral("models")));

    std::shared_ptr<prism::RunStore> store = server ? server->mirror() : openRunStore(window);
    if (!store)
        return; // the warning said why; the run pages need a store

    std::shared_ptr<prism::RunStore> reader = openReader(store);
    auto *bridge = new EngineBridge(store, window);
    bridge->setReader(reader);
    bridge->setServer(server);
    auto *run = new RunPage(doc, bridge);
    auto *monitor = new MonitorPage;
    auto *compare = new ComparePage(doc);
    auto *playground = new PlaygroundPage(doc);
    auto *grid = new GridPage(doc);
    auto *history = new HistoryPage;
    auto *exporter = new ExportPage(doc, monitor);
    monitor->setStore(reader);
    compare->setStore(reader);
    playground->setStore(reader);
    grid->setStore(reader);
    history->setStore(reader);
    exporter->setStore(reader);
    exporter->setComparisonSource([compare] { return compare->summary(); });

    window->addPage(QObject::tr("Run"), run, studioIcon(QStringLiteral("run")));
    window->addPage(QObject::tr("Monitor"), monitor, studioIcon(QStringLiteral("monitor")));
    window->addPage(QObject::tr("Compare"), compare, studioIcon(QStringLiteral("compare")));
    window->addPage(QObject::tr("Grid"), grid, studioIcon(QStringLiteral("grid")));
    window->addPage(QObject::tr("Playground"), playground, studioIcon(QStringLiteral("playground")));
    window->addPage(QObject::tr("History"), history, studioIcon(QStringLiteral("history")));
    window->addPage(QObject::tr("Export"), exporter, studioIcon(QStringLiteral("export")));

    // A live run: the monitor follows it, the status bar shows its spend.
    QObject::connect(bridge, &EngineBridge::runStarted, monitor, [window, monitor](const QString &runId) {
        monitor->beginRun(runId);
        window->showPage(QObject::tr("Monitor"));
    });
    QObject::connect(bridge, &EngineBridge::eventsArrived, monitor, &MonitorPage::applyEvents);
    QObject::connect(monitor, &MonitorPage::cancelRequested, bridge, &EngineBridge::cancel);
    QObject::connect(bridge, &EngineBridge::runFinished, monitor, &MonitorPage::finishRun);
    QObject::connect(bridge, &EngineBridge::runFinished, history, &HistoryPage::refresh);

    // Spend: the current run beside everything the studio called since it opened.
    auto *spend = new SpendTracker(
        [reader](const QString &runId) -> std::optional<std::map<std::string, prism::LedgerTotals>> {
            auto totals = reader->ledgerTotals(runId.toStdString());
            if (!totals)
                return std::nullopt;
            return totals->byRole;
        },
        window);
    QObject::connect(bridge, &EngineBridge::runStarted, spend, &SpendTracker::runStarted);
    QObject::connect(bridge, &EngineBridge::spendChanged, spend, &SpendTracker::runSpendChanged);
    QObject::connect(bridge, &EngineBridge::runFinished, spend,
                     [spend](const QString &runId) { spend->runFinished(runId); });
    QObject::connect(compare, &ComparePage::spent, spend, &SpendTracker::addJob);
    QObject::connect(playground, &PlaygroundPage::spent, spend, &SpendTracker::addJob);
    QObject::connect(grid, &GridPage::spent, spend, &SpendTracker::addJob);
    QObject::connect(metric, &MetricPage::spent, spend, &SpendTracker::addJob);
    QObject::connect(program, &SignaturePage::spent, spend, &SpendTracker::addJob);
    QObject::connect(spend, &SpendTracker::changed, window,
                     [window, spend] { window->setSpendText(spend->statusText(), spend->toolTip()); });
    window->setSpendText(spend->statusText(), spend->toolTip());

    connectRunChoice(window, monitor, history, bridge);
    addServerMenu(window, bridge, server);
    if (server) {
        history->setSourceName(QObject::tr("the team server %1").arg(server->url()));
        followServer(window, history, server);
    }
    connectHistory(window, history, monitor, compare, bridge, reader);

    // The same exports as the Export page, from the menu bar.
    QMenu *exportMenu = new QMenu(QObject::tr("E&xport"), window);
    exportMenu->setObjectName(QStringLiteral("exportMenu"));
    QAction *help = nullptr;
    for (QAction *action : window->menuBar()->actions())
        if (action->menu() && action->menu()->title().contains(QStringLiteral("Help")))
            help = action;
    window->menuBar()->insertMenu(help, exportMenu);
    ExportSources sources;
    sources.store = [reader] { return reader; };
    sources.runId = [exporter] { return exporter->selectedRunId(); };
    sources.study = [doc] { return doc->study(); };
    sources.charts = [exporter] { return exporter->chartImages(); };
    sources.comparison = [compare] { return compare->summary(); };
    sources.studyPath = [doc] { return doc->path(); };
    auto *menuBarExports = new ExportMenu(exportMenu, std::move(sources), window);
    // Both export menus (the menu bar's and the Export page's) report what they wrote.
    QObject::connect(menuBarExports, &ExportMenu::exported, window, &MainWindow::showExported);
    QObject::connect(exporter->exportMenu(), &ExportMenu::exported, window, &MainWindow::showExported);
    QObject::connect(history, &HistoryPage::exported, window, &MainWindow::showExported);
}
