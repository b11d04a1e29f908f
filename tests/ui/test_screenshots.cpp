// Saves a PNG of the window on every page (and of the import dialog) to
// $PRISM_SCREENSHOT_DIR, for people to look at: the study pages, then a real
// MIPROv2 run (the Monitor while it goes and after), and the Run, Compare,
// History and Export pages once it finished; the Monitor after a real GEPA
// run. Skips when the variable is unset.
// scripts/screenshots.sh regenerates docs/screenshots/ with it.
#include "run/run_controller.h"
#include "run/run_store.h"

#include "engine/enginebridge.h"
#include "mainwindow.h"
#include "pages/comparepage.h"
#include "pages/datasetpage.h"
#include "pages/gridpage.h"
#include "pages/historypage.h"
#include "pages/monitorpage.h"
#include "pages/playgroundpage.h"
#include "pages/runpage.h"
#include "pages/signaturepage.h"
#include "pagesregistry.h"
#include "run/gepaviews.h"
#include "studiostyle.h"
#include "studydocument.h"
#include "uitest.h"
#include "widgets/columnmappingdialog.h"

#include <QAbstractItemModel>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QListWidget>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

class TestScreenshots final : public QObject {
    Q_OBJECT

private:
    QString m_dir;

    // The studio with the moderation sample, shown at size.
    static bool showModeration(MainWindow &window, const QSize &size)
    {
        registerPages(&window);
        if (!window.openSample(QStringLiteral("moderation")))
            return false;
        window.resize(size);
        window.show();
        return QTest::qWaitForWindowExposed(&window);
    }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_screenshots"));
        applyStudioStyle(qApp);
        m_dir = qEnvironmentVariable("PRISM_SCREENSHOT_DIR");
        if (m_dir.isEmpty())
            QSKIP("set PRISM_SCREENSHOT_DIR to save screenshots");
        QVERIFY(QDir().mkpath(m_dir));
    }

    void everyPage()
    {
        const QString dir = m_dir;
        MainWindow window;
        QVERIFY(showModeration(window, QSize(1400, 900)));

        const auto shoot = [&](const QString &name) {
            QTest::qWait(120);
            const QString file = QDir(dir).filePath(name + QStringLiteral(".png"));
            QVERIFY2(window.grab().save(file), qPrintable(file));
        };
        const QStringList titles = window.pageTitles();
        const auto fileName = [&](const QString &title, const QString &suffix = {}) {
            return QStringLiteral("%1-%2%3")
                .arg(titles.indexOf(title) + 1, 2, 10, QLatin1Char('0'))
                .arg(title.toLower(), suffix);
        };
        for (const QString &title : {QStringLiteral("Dataset"), QStringLiteral("Program"), QStringLiteral("Metric"),
                                     QStringLiteral("Models")}) {
            window.showPage(title);
            if (auto *signature = qobject_cast<SignaturePage *>(window.currentPage())) {
                signature->setPreviewRow(20);
                signature->flushPreview();
            }
            shoot(fileName(title));
        }

        // A real run: MIPROv2 medium on SimLm, served over HTTP with 10 ms per
        // answer so the monitor can be caught while the run goes.
        std::unique_ptr<prism::SimServer> server = uitest::startSimServer(10.0);
        QVERIFY(server);
        prism::Study study = window.document()->study();
        study.taskModel.provider = prism::Provider::OpenAi;
        study.taskModel.baseUrl = server->baseUrl();
        study.taskModel.apiKeyEnv.clear();
        study.proposerModel = study.taskModel;
        window.document()->setStudy(study, QStringLiteral("Use the local sim server"));
        window.showPage(QStringLiteral("Run"));
        auto *run = qobject_cast<RunPage *>(window.currentPage());
        QVERIFY(run);
        run->autoCombo()->setCurrentIndex(run->autoCombo()->findData(QStringLiteral("medium")));
        run->threadsSpin()->setValue(4);
        auto *bridge = window.findChild<EngineBridge *>();
        QSignalSpy finished(bridge, &EngineBridge::runFinished);
        QVERIFY2(run->start(), qPrintable(run->startBlocker()));
        auto *monitor = qobject_cast<MonitorPage *>(window.page(QStringLiteral("Monitor")));
        QTRY_VERIFY_WITH_TIMEOUT(monitor->trialsTable()->model()->rowCount() >= 8, 120000);
        shoot(fileName(QStringLiteral("Monitor"), QStringLiteral("-live")));
        QVERIFY(finished.wait(300000));
        // The best trial's per-example results, as a user would drill down.
        monitor->trialsTable()->selectRow(0);
        monitor->showTrialResults(0);
        shoot(fileName(QStringLiteral("Monitor")));
        window.showPage(QStringLiteral("Run"));
        shoot(fileName(QStringLiteral("Run")));

        auto *compare = qobject_cast<ComparePage *>(window.page(QStringLiteral("Compare")));
        QSignalSpy compared(compare, &ComparePage::comparisonFinished);
        window.showPage(QStringLiteral("Compare"));
        compare->compareRunWithBaseline(bridge->runId());
        QVERIFY(compared.wait(120000));
        shoot(fileName(QStringLiteral("Compare")));

        // The grid: the baseline, the run and its best configuration.
        auto *grid = qobject_cast<GridPage *>(window.page(QStringLiteral("Grid")));
        QVERIFY(grid);
        window.showPage(QStringLiteral("Grid"));
        grid->refreshPrograms();
        if (grid->programList()->count() > 2)
            grid->programList()->item(2)->setCheckState(Qt::Checked);
        QSignalSpy gridDone(grid, &GridPage::evaluationFinished);
        QVERIFY(grid->evaluate());
        QVERIFY(gridDone.wait(120000));
        shoot(fileName(QStringLiteral("Grid")));

        // The playground: a test row, the study's program beside the run's.
        auto *playground = qobject_cast<PlaygroundPage *>(window.page(QStringLiteral("Playground")));
        QVERIFY(playground);
        window.showPage(QStringLiteral("Playground"));
        playground->fillFromRow(Split::Test, 3);
        playground->programCombo(1)->setCurrentIndex(
            playground->programCombo(1)->findData(QStringLiteral("run:") + bridge->runId()));
        QSignalSpy tried(playground, &PlaygroundPage::runFinished);
        QVERIFY(playground->runPrograms());
        QVERIFY(tried.wait(60000));
        shoot(fileName(QStringLiteral("Playground")));
        window.showPage(QStringLiteral("History"));
        auto *history = qobject_cast<HistoryPage *>(window.currentPage());
        QVERIFY(history);
        history->selectRuns({bridge->runId()});
        shoot(fileName(QStringLiteral("History")));
        window.showPage(QStringLiteral("Export"));
        shoot(fileName(QStringLiteral("Export")));
        server->stop();

        // The import step and an import error, as a user sees them.
        auto *dataset = qobject_cast<DatasetPage *>(window.page(QStringLiteral("Dataset")));
        QVERIFY(dataset);
        window.showPage(QStringLiteral("Dataset"));
        QTemporaryDir tmp;
        const QString csv = tmp.filePath(QStringLiteral("new-snippets.csv"));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("text,Severity,violations\n\"Get out of here, you people\",high,hate\n\"Great game last "
                "night\",low,\n\"Click here for free money\",extreme,spam\n");
        f.close();
        uitest::onNextDialog<ColumnMappingDialog>([dir](ColumnMappingDialog *d) {
            QComboBox *snippet = d->comboFor(QStringLiteral("snippet"));
            snippet->setCurrentIndex(snippet->findText(QStringLiteral("text")));
            QTest::qWait(50);
            d->grab().save(QDir(dir).filePath(QStringLiteral("dialog-column-mapping.png")));
            QComboBox *violations = d->comboFor(QStringLiteral("policy_violations"));
            violations->setCurrentIndex(violations->findText(QStringLiteral("violations")));
            d->accept();
        });
        QVERIFY(!dataset->importFile(csv));
        QTest::qWait(50);
        QVERIFY(window.grab().save(QDir(dir).filePath(QStringLiteral("dataset-import-error.png"))));
    }

    // The Monitor after a real GEPA run on SimLm (moderation, 160 metric
    // calls): the candidate tree, and the iteration whose reflection turned
    // candidate #2 into #3 with its instruction diff.
    void gepaMonitor()
    {
        MainWindow window;
        QVERIFY(showModeration(window, QSize(1280, 800)));
        prism::Study study = window.document()->study();
        study.optimizer.name = "gepa";
        study.optimizer.autoMode.clear();
        study.optimizer.gepa.maxMetricCalls = 160;
        study.optimizer.seed = 7;
        window.document()->setStudy(study, QStringLiteral("GEPA with 160 metric calls"));
        window.showPage(QStringLiteral("Run"));
        auto *run = qobject_cast<RunPage *>(window.currentPage());
        QVERIFY(run);
        auto *bridge = window.findChild<EngineBridge *>();
        QSignalSpy finished(bridge, &EngineBridge::runFinished);
        QVERIFY2(run->start(), qPrintable(run->startBlocker()));
        QVERIFY(finished.wait(120000));
        auto *monitor = qobject_cast<MonitorPage *>(window.page(QStringLiteral("Monitor")));
        QVERIFY(monitor);
        window.showPage(QStringLiteral("Monitor"));
        QTRY_VERIFY(monitor->gepaViews()->iterationsTable()->model()->rowCount() >= 3);
        monitor->tabs()->setCurrentWidget(monitor->gepaViews()->iterationsPanel());
        monitor->gepaViews()->iterationsTable()->selectRow(2);
        QTest::qWait(120);
        const QString file = QDir(m_dir).filePath(QStringLiteral("06-monitor-gepa.png"));
        QVERIFY2(window.grab().save(file), qPrintable(file));
    }
};

QTEST_MAIN(TestScreenshots)
#include "test_screenshots.moc"
