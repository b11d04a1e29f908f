// Issue 14's "done when": a new user's journey from their own CSV file (with
// a split column) to a report worth sharing, as a user would click it: the
// New Study from Data wizard, a MIPROv2 run watched in the Monitor, the trace
// of one example from the Monitor, one input tried in the Playground, the
// baseline and the run side by side in the Grid, and the HTML report, which
// headless Chromium (when installed) shows whole at 1024 pixels.
#include "engine/enginebridge.h"
#include "export/exporters.h"
#include "mainwindow.h"
#include "pages/gridpage.h"
#include "pages/monitorpage.h"
#include "pages/playgroundpage.h"
#include "pages/runpage.h"
#include "pagesregistry.h"
#include "studiostyle.h"
#include "studydocument.h"
#include "trace/tracedialog.h"
#include "trace/traceview.h"
#include "uitest.h"
#include "wizard/newstudywizard.h"

#include "run/example_trace.h"
#include "run/run_store.h"

#include <QAbstractButton>
#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QListWidget>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

class TestJourneyData final : public QObject {
    Q_OBJECT

private:
    template <typename T> T *page(const char *title) const
    {
        return qobject_cast<T *>(m_window->page(QString::fromLatin1(title)));
    }

    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
    QString m_runId;

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_journey_data"));
        QSettings().clear();
        applyStudioStyle(qApp);
        QVERIFY(m_dir.isValid());
        m_window = std::make_unique<MainWindow>();
        registerPages(m_window.get());
        m_window->resize(1024, 640);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }

    void cleanupTestCase() { m_window.reset(); }

    void aCsvBecomesAStudy()
    {
        const QString csv = m_dir.filePath(QStringLiteral("reviews.csv"));
        QVERIFY(QFile::copy(QStringLiteral(PRISM_TEST_DATA_DIR "/wizard/reviews.csv"), csv));
        bool finished = false;
        uitest::onNextDialog<NewStudyWizard>([&](NewStudyWizard *w) {
            if (!w->loadFile(csv)) {
                w->reject();
                return;
            }
            for (int page = 0; page < 4; ++page)
                w->next();
            finished = w->currentId() == int(NewStudyWizard::SavePage);
            if (finished)
                w->button(QWizard::FinishButton)->click();
            else
                w->reject();
        });
        m_window->findChild<QAction *>(QStringLiteral("newFromDataAction"))->trigger();
        QVERIFY(finished);
        const StudyDocument *doc = m_window->document();
        QVERIFY(doc->path().endsWith(QStringLiteral(".prism.json")));
        // The file's split column decided the splits.
        QCOMPARE(doc->rowCount(Split::Train), 30);
        QCOMPARE(doc->rowCount(Split::Val), 5);
        QCOMPARE(doc->rowCount(Split::Test), 5);
    }

    void runMiproAndTraceAnExampleFromTheMonitor()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Run")));
        auto *run = page<RunPage>("Run");
        run->optimizerCombo()->setCurrentIndex(run->optimizerCombo()->findData(QStringLiteral("miprov2")));
        run->autoCombo()->setCurrentIndex(run->autoCombo()->findData(QStringLiteral("light")));
        QVERIFY2(run->startBlocker().isEmpty(), qPrintable(run->startBlocker()));
        auto *bridge = m_window->findChild<EngineBridge *>();
        QSignalSpy finished(bridge, &EngineBridge::runFinished);
        run->startButton()->click();
        QVERIFY(finished.wait(180000));
        QCOMPARE(finished.last().at(1).value<prism::RunStatus>(), prism::RunStatus::Finished);
        auto *monitor = page<MonitorPage>("Monitor");
        m_runId = monitor->runId();
        QVERIFY(!m_runId.isEmpty());

        // The per-example results of the first trial, and one example's trace.
        monitor->trialsTable()->selectRow(0);
        QTableWidget *examples = monitor->exampleResultsTable();
        QTRY_VERIFY_WITH_TIMEOUT(examples->rowCount() > 0, 5000);
        examples->setCurrentCell(0, 0);
        TraceDialog *dialog = monitor->openExampleTrace(0);
        QVERIFY(dialog);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isRunning(), 30000);
        const auto &trace = dialog->view()->trace();
        QVERIFY(trace.has_value());
        QVERIFY(!trace->stages.empty() && !trace->stages.front().calls.empty());
        // A ChainOfThought-free default study still shows what was sent and what came back.
        QVERIFY(!trace->stages.front().calls.front().messages.empty());
        QVERIFY(!trace->stages.front().calls.front().completion.empty());
        dialog->close();
    }

    void tryAnInputInThePlayground()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Playground")));
        auto *playground = page<PlaygroundPage>("Playground");
        playground->fillFromRow(Split::Test, 0);
        QComboBox *b = playground->programCombo(1);
        const int runItem = b->findData(QStringLiteral("run:") + m_runId);
        QVERIFY2(runItem >= 0, "the run's program is offered as B");
        b->setCurrentIndex(runItem);
        QSignalSpy finished(playground, &PlaygroundPage::runFinished);
        QString error;
        QVERIFY2(playground->runPrograms(&error), qPrintable(error));
        QVERIFY(finished.wait(60000));
        QVERIFY(playground->traceView(0)->trace().has_value());
        QVERIFY(playground->traceView(1)->trace().has_value());
        QVERIFY(playground->traceView(0)->trace()->result.score.has_value()); // the row's label scored it
    }

    void compareInTheGrid()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Grid")));
        auto *grid = page<GridPage>("Grid");
        grid->refreshPrograms();
        QListWidget *programs = grid->programList();
        QCOMPARE(programs->item(0)->checkState(), Qt::Checked); // the study's program
        QCOMPARE(programs->item(1)->data(Qt::UserRole).toString(), QStringLiteral("run:") + m_runId);
        QCOMPARE(programs->item(1)->checkState(), Qt::Checked); // the new run comes up checked
        // Only these two (runs of earlier test executions may be listed and checked too).
        for (int i = 2; i < programs->count(); ++i)
            programs->item(i)->setCheckState(Qt::Unchecked);
        QSignalSpy finished(grid, &GridPage::evaluationFinished);
        QString error;
        QVERIFY2(grid->evaluate(&error), qPrintable(error));
        QVERIFY(finished.wait(60000));
        QVERIFY(finished.first().at(0).toBool());
        QCOMPARE(grid->table()->rowCount(), 5); // the test split
        QCOMPARE(grid->reports().size(), std::size_t(2));
    }

    void exportTheReportAndReadItInABrowser()
    {
        auto *bridge = m_window->findChild<EngineBridge *>();
        const QString report = m_dir.filePath(QStringLiteral("report.html"));
        auto written = exportRunReportHtml(*bridge->store(), m_runId, {}, nullptr, report);
        QVERIFY2(written, written ? "" : written.error().message.c_str());
        QFile file(report);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(file.readAll());
        QVERIFY(html.contains(QString::fromStdString(m_window->document()->study().name).toHtmlEscaped()));
        for (const QString &id : runReportSectionIds())
            QVERIFY2(html.contains(QStringLiteral("<section id=\"%1\">").arg(id)), qPrintable(id));

        const QString browser = QStandardPaths::findExecutable(QStringLiteral("chromium"));
        if (browser.isEmpty()) {
            if (qEnvironmentVariableIntValue("PRISM_REQUIRE_CHROMIUM") == 1)
                QFAIL("chromium is not installed and PRISM_REQUIRE_CHROMIUM=1");
            QSKIP("chromium is not installed: the report's browser check is test_report_browser's");
        }
        // The page as the browser lays it out at 1024 px: no horizontal scrolling.
        const QString probe = m_dir.filePath(QStringLiteral("probe.html"));
        QFile out(probe);
        QVERIFY(out.open(QIODevice::WriteOnly));
        QString probed = html;
        probed.replace(QStringLiteral("</body>"),
                       QStringLiteral("<script>window.addEventListener('load',function(){var d=document."
                                      "createElement('div');d.textContent='WIDTH '+document.documentElement."
                                      "scrollWidth+' '+window.innerWidth+' END';document.body.appendChild(d);});"
                                      "</script></body>"));
        out.write(probed.toUtf8());
        out.close();
        QProcess chromium;
        chromium.start(browser,
                       {QStringLiteral("--headless"), QStringLiteral("--no-sandbox"), QStringLiteral("--disable-gpu"),
                        QStringLiteral("--user-data-dir=") + m_dir.filePath(QStringLiteral("profile")),
                        QStringLiteral("--window-size=1024,900"), QStringLiteral("--virtual-time-budget=5000"),
                        QStringLiteral("--dump-dom"), QUrl::fromLocalFile(probe).toString()});
        QVERIFY(chromium.waitForFinished(120000));
        const auto match = QRegularExpression(QStringLiteral("WIDTH (\\d+) (\\d+) END"))
                               .match(QString::fromUtf8(chromium.readAllStandardOutput()));
        QVERIFY2(match.hasMatch(), qPrintable(QString::fromUtf8(chromium.readAllStandardError()).left(1000)));
        QVERIFY2(match.captured(1).toInt() <= match.captured(2).toInt(), qPrintable(match.captured(0)));
    }
};

QTEST_MAIN(TestJourneyData)
#include "test_journey_data.moc"
