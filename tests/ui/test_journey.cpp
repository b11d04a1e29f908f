// The whole studio journey as a user goes through it, in one main window:
// open the moderation sample, import a CSV with a bad line (the error names
// the line, nothing is imported) and then a good one, edit a field, write a
// JavaScript metric and test it (an endless loop is interrupted, a syntax
// error names its line), start MIPROv2 light, watch trials reach the table and
// the chart while the run goes, cancel, resume, finish, compare with the
// baseline, export the program and load it back.
//
// The task model is SimLm behind the in-process OpenAI-compatible sim server
// with 15 ms per answer, so the run lasts long enough to be watched and
// cancelled; its answers are SimLm's.
#include "run/run_controller.h"
#include "run/run_store.h"

#include "artifact/artifact.h"
#include "sim/sim_server.h"

#include "charts/trialchart.h"
#include "engine/enginebridge.h"
#include "export/exportmenu.h"
#include "mainwindow.h"
#include "pages/comparepage.h"
#include "pages/datasetpage.h"
#include "pages/exportpage.h"
#include "pages/historypage.h"
#include "pages/metricpage.h"
#include "pages/monitorpage.h"
#include "pages/runpage.h"
#include "pages/signaturepage.h"
#include "pagesregistry.h"
#include "studiostyle.h"
#include "studydocument.h"
#include "uitest.h"
#include "widgets/columnmappingdialog.h"

#include <QAbstractItemModel>
#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QUndoStack>
#include <QUrl>

namespace {

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(bytes);
}

QString cell(QTableWidget *table, int row, int column)
{
    QTableWidgetItem *item = table->item(row, column);
    return item ? item->text() : QString();
}

} // namespace

class TestJourney final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<prism::SimServer> m_server;
    std::unique_ptr<MainWindow> m_window;

    template <typename Page> Page *page(const char *title)
    {
        auto *p = qobject_cast<Page *>(m_window->page(QString::fromLatin1(title)));
        [&] { QVERIFY2(p, title); }();
        return p;
    }

    StudyDocument *doc() const { return m_window->document(); }

    void setScript(MetricPage *metric, const QString &source)
    {
        QPlainTextEdit *editor = metric->scriptEditor();
        editor->selectAll();
        editor->insertPlainText(source);
        metric->checkScriptNow();
    }

    void testSelectedRows(MetricPage *metric)
    {
        QSignalSpy finished(metric, &MetricPage::testFinished);
        QVERIFY(metric->testButton()->isEnabled());
        metric->testButton()->click();
        QVERIFY(finished.wait(30000));
    }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_journey"));
        applyStudioStyle(qApp);
        QVERIFY(m_dir.isValid());
        m_server = uitest::startSimServer(15.0);
        QVERIFY(m_server);

        m_window = std::make_unique<MainWindow>();
        registerPages(m_window.get());
        m_window->resize(1400, 900);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }

    void cleanupTestCase()
    {
        m_window.reset();
        m_server->stop();
    }

    void openTheSample()
    {
        QVERIFY(m_window->openSample(QStringLiteral("moderation")));
        QCOMPARE(m_window->pageTitles(),
                 (QStringList{QStringLiteral("Dataset"), QStringLiteral("Program"), QStringLiteral("Metric"),
                              QStringLiteral("Models"), QStringLiteral("Run"), QStringLiteral("Monitor"),
                              QStringLiteral("Compare"), QStringLiteral("Grid"), QStringLiteral("Playground"),
                              QStringLiteral("History"), QStringLiteral("Export")}));
        QCOMPARE(doc()->rowCount(Split::Train), 30);
    }

    void importACsvWithABadLineThenAGoodOne()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Dataset")));
        auto *dataset = page<DatasetPage>("Dataset");
        const QString bad = m_dir.filePath(QStringLiteral("bad.csv"));
        writeFile(bad, "snippet,severity,policy_violations\n"
                       "\"Nice work, thanks\",low,\n"
                       "\"Unclosed quote,high,hate\n");
        QVERIFY(!dataset->importFile(bad));
        QVERIFY2(dataset->bannerMessage().contains(QStringLiteral("bad.csv:3")), qPrintable(dataset->bannerMessage()));
        QCOMPARE(doc()->rowCount(Split::Train), 30);

        const QString good = m_dir.filePath(QStringLiteral("good.csv"));
        writeFile(good, "snippet,severity,policy_violations\n"
                        "\"You people are vermin, get out\",high,hate\n"
                        "\"Lovely photo!\",low,\n");
        uitest::onNextDialog<ColumnMappingDialog>([](ColumnMappingDialog *d) { d->accept(); });
        QVERIFY2(dataset->importFile(good), qPrintable(dataset->bannerMessage()));
        QCOMPARE(doc()->rowCount(Split::Train), 32);
        QCOMPARE(doc()->examples(Split::Train).back().values.get("severity"), prism::Value("low"));
    }

    void editAField()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Program")));
        auto *signature = page<SignaturePage>("Program");
        QTableWidget *fields = signature->fieldsTable();
        int severity = -1;
        for (int r = 0; r < fields->rowCount(); ++r)
            if (fields->item(r, 0) && fields->item(r, 0)->text() == QLatin1String("severity"))
                severity = r;
        QVERIFY(severity >= 0);
        fields->item(severity, 5)->setText(QStringLiteral("How urgently a moderator must act."));
        QCOMPARE(doc()->study().program.predictors.front().signature.findOutput("severity")->description,
                 std::string("How urgently a moderator must act."));
    }

    void writeAndTestAJavaScriptMetric()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Metric")));
        auto *metric = page<MetricPage>("Metric");
        metric->findChild<QToolButton *>(QStringLiteral("scriptModeButton"))->click();
        QCOMPARE(metric->mode(), MetricPage::Mode::Script);

        // An endless loop is interrupted per row; the UI keeps running.
        setScript(metric, QStringLiteral("function metric(example, pred) {\n  while (true) {}\n}\n"));
        metric->selectRows({0, 1});
        testSelectedRows(metric);
        QTableWidget *results = metric->resultsTable();
        QCOMPARE(results->rowCount(), 2);
        QCOMPARE(cell(results, 0, MetricPage::FeedbackColumn), QStringLiteral("metric timed out after 1000 ms"));

        // A syntax error names its line and nothing runs.
        setScript(metric, QStringLiteral("function metric(example, pred) {\n  return {score: 1;\n}\n"));
        QTRY_VERIFY2(metric->scriptProblem().startsWith(QStringLiteral("metric.js line 2: SyntaxError")),
                     qPrintable(metric->scriptProblem()));

        // The real metric: severity exact and violations overlap, with feedback.
        setScript(metric, QStringLiteral("function metric(example, pred) {\n"
                                         "  const sev = example.severity === pred.severity ? 1 : 0;\n"
                                         "  const want = new Set(example.policy_violations);\n"
                                         "  const got = new Set(pred.policy_violations || []);\n"
                                         "  let both = 0;\n"
                                         "  for (const v of want) if (got.has(v)) both++;\n"
                                         "  const union = want.size + got.size - both;\n"
                                         "  return {score: (sev + (union === 0 ? 1 : both / union)) / 2,\n"
                                         "          feedback: sev ? 'severity right' : 'severity wrong'};\n"
                                         "}\n"));
        QTRY_COMPARE(metric->scriptProblem(), QString());
        metric->selectRows({0, 1, 2});
        testSelectedRows(metric);
        QCOMPARE(results->rowCount(), 3);
        for (int r = 0; r < 3; ++r) {
            QVERIFY(cell(results, r, MetricPage::FeedbackColumn).startsWith(QStringLiteral("severity ")));
            bool ok = false;
            const double score = cell(results, r, MetricPage::ScoreColumn).toDouble(&ok);
            QVERIFY(ok && score >= 0.0 && score <= 1.0);
        }
    }

    void saveAndPointTheTaskModelAtTheSimServer()
    {
        prism::Study study = doc()->study();
        study.taskModel.provider = prism::Provider::OpenAi;
        study.taskModel.model = "sim-small";
        study.taskModel.baseUrl = m_server->baseUrl();
        study.taskModel.apiKeyEnv.clear();
        study.proposerModel = study.taskModel;
        doc()->setStudy(study, QStringLiteral("Use the local sim server"));
        QString error;
        QVERIFY2(doc()->save(m_dir.filePath(QStringLiteral("journey.prism.json")), &error), qPrintable(error));
        QVERIFY(!doc()->isModified());
    }

    void runCancelResumeAndFinish()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Run")));
        auto *run = page<RunPage>("Run");
        auto *monitor = page<MonitorPage>("Monitor");
        run->optimizerCombo()->setCurrentIndex(run->optimizerCombo()->findData(QStringLiteral("miprov2")));
        run->autoCombo()->setCurrentIndex(run->autoCombo()->findData(QStringLiteral("light")));
        run->threadsSpin()->setValue(2);
        QVERIFY2(run->startBlocker().isEmpty(), qPrintable(run->startBlocker()));

        auto *bridge = m_window->findChild<EngineBridge *>();
        QVERIFY(bridge);
        QSignalSpy finished(bridge, &EngineBridge::runFinished);
        QVERIFY(run->startButton()->isEnabled());
        run->startButton()->click();
        QVERIFY2(bridge->isRunning() || !bridge->runId().isEmpty(),
                 qPrintable(run->statusLabel()->text() + QStringLiteral(" | ") + run->startHintLabel()->text()));
        // The monitor comes up on its own and fills while the run goes.
        QTRY_COMPARE_WITH_TIMEOUT(m_window->currentPage(), static_cast<QWidget *>(monitor), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(monitor->trialsTable()->model()->rowCount() >= 2, 60000);
        QVERIFY2(bridge->isRunning(), "the run ended before it could be watched");
        monitor->trialChart()->flush();
        QVERIFY(monitor->trialChart()->minibatchPointCount() + monitor->trialChart()->fullEvalPointCount() >= 1);
        const QString runId = monitor->runId();
        QCOMPARE(runId, bridge->runId());

        run->cancelButton()->click();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.last().at(1).value<prism::RunStatus>(), prism::RunStatus::Cancelled);
        const int trialsAtCancel = monitor->trialsTable()->model()->rowCount();

        // Resume from the Run page: the run goes on from where it stopped.
        QVERIFY(m_window->showPage(QStringLiteral("Run")));
        QTRY_VERIFY_WITH_TIMEOUT(run->resumeButton()->isEnabled(), 10000);
        QCOMPARE(run->resumableRunId(), runId);
        run->resumeButton()->click();
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.last().at(0).toString(), runId);
        QCOMPARE(finished.last().at(1).value<prism::RunStatus>(), prism::RunStatus::Finished);
        QVERIFY(monitor->trialsTable()->model()->rowCount() >= trialsAtCancel);
        QVERIFY(!monitor->stopLabel()->text().isEmpty());
        QVERIFY2(run->statusLabel()->text().contains(QStringLiteral("completed")),
                 qPrintable(run->statusLabel()->text()));

        auto store = bridge->store();
        prism::Result<prism::RunRecord> record = store->loadRun(runId.toStdString());
        QVERIFY(record.ok());
        QVERIFY(record->status == prism::RunStatus::Finished);
        QCOMPARE(record->sessions, 2);
        QVERIFY(record->hasArtifact);
    }

    void compareWithTheBaseline()
    {
        auto *history = page<HistoryPage>("History");
        auto *compare = page<ComparePage>("Compare");
        QVERIFY(m_window->showPage(QStringLiteral("History")));
        history->refresh();
        const QString runId = page<MonitorPage>("Monitor")->runId();
        QVERIFY(history->runIds().contains(runId));
        QSignalSpy done(compare, &ComparePage::comparisonFinished);
        emit history->compareWithBaselineRequested(runId);
        QCOMPARE(m_window->currentPage(), static_cast<QWidget *>(compare));
        QVERIFY(done.wait(120000));
        QVERIFY2(done.last().at(0).toBool(), qPrintable(done.last().at(1).toString()));
        const std::optional<CompareSummary> summary = compare->summary();
        QVERIFY(summary.has_value());
        QCOMPARE(summary->paired, static_cast<int>(doc()->rowCount(Split::Test)));
        QVERIFY(summary->ciLow <= summary->difference && summary->difference <= summary->ciHigh);
    }

    void exportTheProgramAndLoadItBack()
    {
        // From the Export page, as a user: the run on the monitor, "Program (DSPy JSON)...".
        auto *bridge = m_window->findChild<EngineBridge *>();
        auto *exporter = page<ExportPage>("Export");
        QVERIFY(m_window->showPage(QStringLiteral("Export")));
        QCOMPARE(exporter->selectedRunId(), page<MonitorPage>("Monitor")->runId());
        const QString path = m_dir.filePath(QStringLiteral("compiled.json"));
        QSettings().remove(QStringLiteral("export/lastFolder")); // a folder an earlier test run remembered
        QString suggested;
        exporter->exportMenu()->setSaveFileName([path, &suggested](const QString &, const QString &s, const QString &) {
            suggested = s;
            return path;
        });
        QSignalSpy exported(exporter->exportMenu(), &ExportMenu::exported);
        exporter->exportMenu()->updateActions();
        QVERIFY(exporter->exportMenu()->programAction()->isEnabled());
        exporter->exportMenu()->programAction()->trigger();
        QCOMPARE(exported.count(), 1);
        QVERIFY2(exported.last().at(0).toBool(), qPrintable(exported.last().at(1).toString()));
        // The user sees where it went (issue 14: a successful export said nothing).
        QCOMPARE(m_window->statusBar()->currentMessage(),
                 QStringLiteral("Exported %1").arg(QDir::toNativeSeparators(path)));
        // The dialog did not start in the home folder: the study is a sample
        // (no file yet), so Documents, or home where there is none.
        QCOMPARE(QFileInfo(suggested).fileName(), exporter->selectedRunId() + QStringLiteral(".json"));
        // A link to the folder stays in the status bar; the next export starts there.
        auto *link = m_window->findChild<QLabel *>(QStringLiteral("exportFolderLink"));
        QVERIFY(link && link->isVisibleTo(m_window.get()));
        QVERIFY(link->text().contains(QUrl::fromLocalFile(m_dir.path()).toString(QUrl::FullyEncoded)));

        prism::Result<prism::LoadedArtifact> loaded =
            prism::loadDspyProgramFile(path.toStdString(), doc()->study().program);
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message.c_str());
        QCOMPARE(loaded->program, bridge->lastOutcome()->program);
        QCOMPARE(loaded->program.predictors.front().signature.findOutput("severity")->description,
                 std::string("How urgently a moderator must act."));

        exporter->exportMenu()->setSaveFileName([&suggested](const QString &, const QString &s, const QString &) {
            suggested = s;
            return QString(); // the user cancels
        });
        exporter->exportMenu()->trialsAction()->trigger();
        QCOMPARE(QFileInfo(suggested).absolutePath(), QFileInfo(path).absolutePath());
    }
};

QTEST_MAIN(TestJourney)
#include "test_journey.moc"
