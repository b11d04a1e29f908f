// The History page: runs newest first with their scores and status, the
// details of the selected run, the buttons enabled by the selection (two
// runs with programs for Compare Two Runs), and the signals the main window
// acts on.
#include "pages/historypage.h"
#include "runfixture.h"
#include "widgets/errorbanner.h"

#include "artifact/artifact.h"

#include <QAbstractItemModel>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

class TestHistoryPage final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::shared_ptr<prism::RunStore> m_store;
    QStringList m_created; // in creation order
    prism::Study m_study;

    // A run row as the controller leaves it (no optimizer needed to list runs).
    QString addRun(const std::string &optimizer, std::uint64_t seed, const std::string &status,
                   std::optional<double> baseline, std::optional<double> best, bool withProgram)
    {
        prism::NewRun run;
        run.studyName = m_study.name;
        run.studyPath = "/studies/math.prism.json";
        run.studyJson = prism::studyToJsonText(m_study);
        run.optimizer = optimizer;
        run.optimizerConfigJson = "{\"auto\":\"light\",\"num_trials\":6,\"max_bootstrapped_demos\":4}";
        run.optionsJson = "{}";
        run.seed = seed;
        auto id = m_store->createRun(run);
        if (!id)
            return {};
        const prism::StopReason stop = status == "failed"
                                           ? prism::StopReason::error("the task model refused the request")
                                           : prism::StopReason::completed();
        prism::RunFinishedEvent summary;
        summary.stopReason = stop;
        summary.trials = 6;
        summary.notes = {"a note, with a comma"};
        summary.dollars = 0.0;
        if (!m_store->finishRun(id.value(), prism::runStatusFromName(status), stop, baseline, best, summary))
            return {};
        if (withProgram) {
            prism::Program program = m_study.program;
            program.predictors[0].signature.instruction = "Read the problem, then compute the answer.";
            if (!m_store->setArtifact(id.value(), prism::programToDspyJson(program, std::nullopt)))
                return {};
        }
        return QString::fromStdString(id.value());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto store = prism::RunStore::open(m_dir.filePath(QStringLiteral("runs.sqlite")).toStdString());
        QVERIFY(store);
        m_store = store.value();
        auto study = uitest::mathStudy();
        QVERIFY(study);
        m_study = study.value();
        m_created << addRun("miprov2", 0, "finished", 40.0, 64.0, true);
        m_created << addRun("bootstrap", 1, "failed", std::nullopt, std::nullopt, false);
        m_created << addRun("miprov2", 2, "finished", 40.0, 72.0, true);
        QVERIFY(!m_created.contains(QString()));
    }

    void runsAreListedNewestFirst()
    {
        HistoryPage page;
        page.setStore(m_store);
        QStringList newestFirst = m_created;
        std::reverse(newestFirst.begin(), newestFirst.end());
        QCOMPARE(page.runIds(), newestFirst);
        const QAbstractItemModel *model = page.table()->model();
        QCOMPARE(model->rowCount(), 3);
        QCOMPARE(model->index(0, HistoryPage::BestColumn).data().toString(), QStringLiteral("72.00%"));
        QCOMPARE(model->index(0, HistoryPage::SeedColumn).data().toString(), QStringLiteral("2"));
        QCOMPARE(model->index(1, HistoryPage::StatusColumn).data().toString(), QStringLiteral("failed"));
        QVERIFY(model->index(1, HistoryPage::StopReasonColumn).data().toString().contains(QStringLiteral("refused")));
        QCOMPARE(model->index(2, HistoryPage::OptimizerColumn).data().toString(), QStringLiteral("miprov2"));

        // A run added later shows on refresh, at the top.
        const QString newest = addRun("labeled", 3, "finished", 40.0, 50.0, true);
        page.refresh();
        QCOMPARE(page.runIds().first(), newest);
        m_created << newest;
    }

    void selectionDrivesTheButtons()
    {
        HistoryPage page;
        page.setStore(m_store);
        const QString withProgramA = m_created.at(0);
        const QString failed = m_created.at(1);
        const QString withProgramB = m_created.at(2);

        QVERIFY(!page.openButton()->isEnabled());
        QVERIFY(!page.compareRunsButton()->isEnabled());

        page.selectRuns({withProgramA});
        QVERIFY(page.openButton()->isEnabled());
        QVERIFY(page.compareBaselineButton()->isEnabled());
        QVERIFY(page.exportButton()->isEnabled());
        QVERIFY(!page.compareRunsButton()->isEnabled());
        // The details of the selected run.
        const QString details = page.details()->toPlainText();
        QVERIFY(details.contains(withProgramA));
        QVERIFY(details.contains(QStringLiteral("num_trials")));
        QVERIFY(details.contains(QStringLiteral("a note, with a comma")));
        QVERIFY(details.contains(QStringLiteral("40.00% baseline → 64.00% best")));

        page.selectRuns({withProgramA, withProgramB});
        QVERIFY(page.compareRunsButton()->isEnabled());
        QVERIFY(!page.openButton()->isEnabled());
        QVERIFY(!page.compareBaselineButton()->isEnabled());

        page.selectRuns({withProgramA, withProgramB, m_created.at(3)});
        QVERIFY(!page.compareRunsButton()->isEnabled());

        // A failed run has no program: nothing to compare or export.
        page.selectRuns({failed});
        QVERIFY(page.openButton()->isEnabled());
        QVERIFY(!page.compareBaselineButton()->isEnabled());
        QVERIFY(!page.exportButton()->isEnabled());
        page.selectRuns({failed, withProgramA});
        QVERIFY(!page.compareRunsButton()->isEnabled());
    }

    void buttonsEmitTheRunIds()
    {
        HistoryPage page;
        page.setStore(m_store);
        QSignalSpy open(&page, &HistoryPage::openRunRequested);
        QSignalSpy compareRuns(&page, &HistoryPage::compareRunsRequested);
        QSignalSpy compareBaseline(&page, &HistoryPage::compareWithBaselineRequested);

        page.selectRuns({m_created.at(2)});
        page.openButton()->click();
        QCOMPARE(open.count(), 1);
        QCOMPARE(open.first().at(0).toString(), m_created.at(2));
        page.compareBaselineButton()->click();
        QCOMPARE(compareBaseline.count(), 1);
        QCOMPARE(compareBaseline.first().at(0).toString(), m_created.at(2));

        // Double-clicking a row opens it too.
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        const int row = static_cast<int>(page.runIds().indexOf(m_created.at(0)));
        const QRect cell = page.table()->visualRect(page.table()->model()->index(row, HistoryPage::StudyColumn));
        QTest::mouseClick(page.table()->viewport(), Qt::LeftButton, {}, cell.center());
        QTest::mouseDClick(page.table()->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(open.count(), 2);
        QCOMPARE(open.last().at(0).toString(), m_created.at(0));

        // Two runs: the older one is A, the newer B.
        page.selectRuns({m_created.at(2), m_created.at(0)});
        page.compareRunsButton()->click();
        QCOMPARE(compareRuns.count(), 1);
        QCOMPARE(compareRuns.first().at(0).toString(), m_created.at(0));
        QCOMPARE(compareRuns.first().at(1).toString(), m_created.at(2));
    }

    void exportWritesTheProgram()
    {
        HistoryPage page;
        page.setStore(m_store);
        const QString path = m_dir.filePath(QStringLiteral("exported.json"));
        QString error;
        QVERIFY2(page.exportProgram(m_created.at(0), path, &error), qPrintable(error));
        auto loaded = prism::loadDspyProgramFile(path.toStdString(), m_study.program);
        QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());
        QCOMPARE(loaded->program.predictors[0].signature.instruction,
                 std::string("Read the problem, then compute the answer."));
        // A run without a program: the banner says which run and why, and no file appears.
        const QString none = m_dir.filePath(QStringLiteral("none.json"));
        QVERIFY(!page.exportProgram(m_created.at(1), none, &error));
        QVERIFY(error.contains(m_created.at(1)));
        QCOMPARE(page.banner()->message(), error);
        QVERIFY(!QFile::exists(none));
    }
};

QTEST_MAIN(TestHistoryPage)
#include "test_historypage.moc"
