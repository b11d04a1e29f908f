// The studio attached to a team server (File > Connect to Server): a run
// started from the Run page goes to the server's workers, the Monitor watches
// it live from the mirror, the studio closes while the run goes on, and a new
// studio window finds it in History, follows it, and sees it finish.
#include "../pg/cli_process.h"
#include "../pg/pg_test_db.h"

#include "run/run_store.h"
#include "server/team_store.h"

#include "engine/enginebridge.h"
#include "mainwindow.h"
#include "pages/historypage.h"
#include "pages/monitorpage.h"
#include "pages/runpage.h"
#include "pagesregistry.h"
#include "server/connectdialog.h"
#include "server/serversession.h"
#include "studydocument.h"
#include "uitest.h"

#include <QAbstractItemModel>
#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

class ServerStudioTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<prism::SimServer> m_sim;
    std::unique_ptr<prism::test::PgTestDb> m_db;
    pid_t m_api = -1, m_worker = -1;
    int m_port = 0;
    std::string m_token;
    QString m_studyPath;

    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }

    template <typename Page> static Page *page(MainWindow *window, const char *title)
    {
        return qobject_cast<Page *>(window->page(QString::fromLatin1(title)));
    }

    // A studio window attached to the server, on the study file.
    MainWindow *openStudio()
    {
        auto session = ServerSession::connect(url(), QString::fromStdString(m_token));
        if (!session)
            qWarning("%s", session.error().message.c_str());
        if (!session)
            return nullptr;
        auto *window = new MainWindow;
        registerPages(window, session.value());
        window->show();
        window->openStudy(m_studyPath);
        return window;
    }

    std::string runStatusOnServer(const std::string &id)
    {
        auto store = prism::RunStore::open(m_db->url(), prism::StoreAccess::ReadOnly);
        if (!store)
            return "?";
        auto run = store.value()->loadRun(id);
        return run ? prism::runStatusName(run->status) : "?";
    }

private slots:
    void initTestCase()
    {
        m_db = std::make_unique<prism::test::PgTestDb>();
        if (m_db->url().empty()) {
            if (qEnvironmentVariable("PRISM_REQUIRE_POSTGRES") == QStringLiteral("1"))
                QFAIL("no PostgreSQL test cluster (tests/support/pg_cluster.sh)");
            QSKIP("no PostgreSQL test cluster");
        }
        QVERIFY(m_dir.isValid());
        m_sim = uitest::startSimServer(200);
        QVERIFY(m_sim);
        const fs::path dir = m_dir.path().toStdString();
        m_api = prism::test::spawnPrism({"serve", "--api", "--store", m_db->url(), "--listen", "127.0.0.1:0",
                                         "--allow-endpoints", m_sim->baseUrl()},
                                        dir / "api-data", dir / "api.log");
        for (int i = 0; i < 400 && m_port == 0; ++i) {
            const std::string log = prism::test::fileText(dir / "api.log");
            const auto at = log.find("listening on http://127.0.0.1:");
            if (at != std::string::npos)
                m_port = std::atoi(log.c_str() + at + 30);
            else
                QTest::qWait(25);
        }
        QVERIFY2(m_port > 0, prism::test::fileText(dir / "api.log").c_str());
        m_worker = prism::test::spawnPrism({"serve", "--worker", "--store", m_db->url(), "--poll-seconds", "0.2"},
                                           dir / "worker-data", dir / "worker.log");
        auto teams = prism::TeamStore::open(m_db->url());
        QVERIFY(teams.ok());
        auto token = teams.value()->addToken("studio", "red");
        QVERIFY(token.ok());
        m_token = token.value();

        // The moderation sample, its model behind the sim server.
        const fs::path sample = fs::path(PRISM_SAMPLES_DIR) / "moderation";
        auto study = nlohmann::json::parse(prism::test::fileText(sample / "moderation.prism.json"));
        study["models"] = {{"task", {{"provider", "openai"}, {"model", "sim-small"}, {"base_url", m_sim->baseUrl()}}}};
        fs::copy(sample / "train.jsonl", dir / "train.jsonl");
        fs::copy(sample / "test.jsonl", dir / "test.jsonl");
        std::ofstream(dir / "moderation.prism.json") << study.dump(2);
        m_studyPath = QString::fromStdString((dir / "moderation.prism.json").string());
    }

    void cleanupTestCase()
    {
        for (pid_t pid : {m_worker, m_api})
            if (pid > 0) {
                ::kill(pid, SIGTERM);
                prism::test::waitExit(pid, std::chrono::seconds(30));
            }
    }

    void aBadTokenIsRefusedInTheDialog()
    {
        ConnectDialog dialog;
        dialog.urlEdit()->setText(url());
        dialog.tokenEdit()->setText(QStringLiteral("prism_wrong"));
        dialog.connectButton()->click();
        QVERIFY(dialog.result() != QDialog::Accepted);
        QVERIFY(!dialog.problemLabel()->isHidden());
        QVERIFY2(dialog.problemLabel()->text().contains(QStringLiteral("not known to this server")),
                 qPrintable(dialog.problemLabel()->text()));
        dialog.tokenEdit()->setText(QString::fromStdString(m_token));
        dialog.connectButton()->click();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QVERIFY(dialog.session());
    }

    void aRunStartedInTheStudioGoesOnWhenItClosesAndIsSeenFinishedAfter()
    {
        MainWindow *window = openStudio();
        QVERIFY(window);
        bool hasConnect = false;
        for (QAction *menu : window->menuBar()->actions())
            if (menu->menu())
                for (QAction *action : menu->menu()->actions())
                    hasConnect = hasConnect || action->objectName() == QStringLiteral("connectToServer");
        QVERIFY(hasConnect);

        auto *run = page<RunPage>(window, "Run");
        auto *monitor = page<MonitorPage>(window, "Monitor");
        auto *bridge = window->findChild<EngineBridge *>();
        QVERIFY(run && monitor && bridge);
        QVERIFY(bridge->isRemote());
        QVERIFY(window->showPage(QStringLiteral("Run")));
        run->optimizerCombo()->setCurrentIndex(run->optimizerCombo()->findData(QStringLiteral("miprov2")));
        run->autoCombo()->setCurrentIndex(run->autoCombo()->findData(QStringLiteral("light")));
        QVERIFY2(run->startBlocker().isEmpty(), qPrintable(run->startBlocker()));
        run->startButton()->click();
        QVERIFY2(bridge->isRunning(), qPrintable(run->statusLabel()->text()));
        const QString runId = bridge->runId();
        QVERIFY(runId.startsWith(QStringLiteral("r-")));

        // The Monitor fills from the server while the worker runs it.
        QTRY_COMPARE_WITH_TIMEOUT(window->currentPage(), static_cast<QWidget *>(monitor), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(monitor->trialsTable()->model()->rowCount() >= 2, 60000);
        QCOMPARE(monitor->runId(), runId);
        QCOMPARE(runStatusOnServer(runId.toStdString()), std::string("running"));
        if (const QByteArray shots = qgetenv("PRISM_SCREENSHOT_DIR"); !shots.isEmpty())
            window->grab().save(QString::fromLocal8Bit(shots) + QStringLiteral("/server-monitor.png"));

        // The studio closes; the run goes on on the server.
        window->close();
        QCoreApplication::processEvents();
        QCOMPARE(runStatusOnServer(runId.toStdString()), std::string("running"));

        // Reopened: History has the run; opened, the Monitor follows it to its end.
        MainWindow *again = openStudio();
        QVERIFY(again);
        auto *history = page<HistoryPage>(again, "History");
        QVERIFY(history);
        QTRY_VERIFY_WITH_TIMEOUT(history->runIds().contains(runId), 20000);
        auto *monitor2 = page<MonitorPage>(again, "Monitor");
        auto *bridge2 = again->findChild<EngineBridge *>();
        QSignalSpy finished(bridge2, &EngineBridge::runFinished);
        if (runStatusOnServer(runId.toStdString()) == "running") {
            emit history->openRunRequested(runId);
            QCOMPARE(monitor2->runId(), runId);
            QVERIFY(bridge2->isRunning()); // following it live
            QVERIFY(finished.wait(120000));
            QCOMPARE(finished.last().at(0).toString(), runId);
            QCOMPARE(finished.last().at(1).value<prism::RunStatus>(), prism::RunStatus::Finished);
        } else {
            qWarning("the run ended before the studio reopened; its end is checked from History only");
        }
        QTRY_COMPARE_WITH_TIMEOUT(runStatusOnServer(runId.toStdString()), std::string("finished"), 120000);
        emit history->openRunRequested(runId);
        QTRY_VERIFY_WITH_TIMEOUT(!monitor2->stopLabel()->text().isEmpty(), 20000);
        QVERIFY(!monitor2->bestLabel()->text().isEmpty());
        // The mirror has what the server has.
        auto server = prism::RunStore::open(m_db->url(), prism::StoreAccess::ReadOnly);
        QVERIFY(server.ok());
        auto mirrorReader = again->findChild<EngineBridge *>()->store();
        QTRY_COMPARE_WITH_TIMEOUT(mirrorReader->lastSeq(runId.toStdString()).value(),
                                  server.value()->lastSeq(runId.toStdString()).value(), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(mirrorReader->artifact(runId.toStdString()).value(),
                                  server.value()->artifact(runId.toStdString()).value(), 20000);
        if (const QByteArray shots = qgetenv("PRISM_SCREENSHOT_DIR"); !shots.isEmpty()) {
            again->showPage(QStringLiteral("History"));
            again->grab().save(QString::fromLocal8Bit(shots) + QStringLiteral("/server-history.png"));
        }
        again->close();
    }
};

QTEST_MAIN(ServerStudioTest)
#include "test_server_studio.moc"
