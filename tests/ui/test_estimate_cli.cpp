// The Run page's estimate and `prism optimize STUDY --dry-run --json` give the
// same numbers for the same study and settings: for each setting the page's
// knobs make, the study is saved, the built CLI plans it, and what the page's
// estimate labels say (calls, tokens, bootstrap and scored rows, proposer
// calls, dollars, time) is checked against what the CLI printed.
#include "pages/runpage.h"

#include "engine/enginebridge.h"
#include "studydocument.h"

#include "run/run_store.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QProcess>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

namespace {

using Json = nlohmann::json;

QString tokens(const Json &cost)
{
    return QLocale().toString(cost.at("prompt_tokens").get<qlonglong>()
                              + cost.at("completion_tokens").get<qlonglong>());
}

QString calls(long long n)
{
    return QLocale().toString(static_cast<qlonglong>(n))
           + (n == 1 ? QStringLiteral(" call") : QStringLiteral(" calls"));
}

} // namespace

class TestEstimateCli final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::shared_ptr<prism::RunStore> m_store;
    std::unique_ptr<StudyDocument> m_doc;
    std::unique_ptr<EngineBridge> m_bridge;
    std::unique_ptr<RunPage> m_page;
    int m_saved = 0;

    // Saves the study as the page holds it and plans it with the CLI, with
    // --no-compare: the Run page's runs do not compare on the test split.
    Json cliPlan()
    {
        const QString path = m_dir.filePath(QStringLiteral("s%1/study.prism.json").arg(++m_saved));
        QDir().mkpath(QFileInfo(path).absolutePath());
        QString error;
        if (!m_doc->save(path, &error)) {
            QTest::qFail(qPrintable(error), __FILE__, __LINE__);
            return {};
        }
        QProcess cli;
        cli.start(QStringLiteral(PRISM_CLI_BINARY),
                  {QStringLiteral("optimize"), path, QStringLiteral("--dry-run"), QStringLiteral("--json"),
                   QStringLiteral("--no-compare"), QStringLiteral("--store"),
                   m_dir.filePath(QStringLiteral("none.sqlite"))});
        if (!cli.waitForFinished(60000) || cli.exitCode() != 0) {
            QTest::qFail(qPrintable(QStringLiteral("prism optimize --dry-run failed: ")
                                    + QString::fromUtf8(cli.readAllStandardError())),
                         __FILE__, __LINE__);
            return {};
        }
        return Json::parse(cli.readAllStandardOutput().toStdString());
    }

    // What the page shows against what the CLI printed.
    void compareWithPage(const Json &cli)
    {
        QVERIFY(cli.is_object());
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("none.sqlite")))); // a dry run stores no run
        const prism::OptimizePlan *plan = m_page->plan();
        QVERIFY2(plan, qPrintable(m_page->estimateError()));

        const QString task = m_page->estimateTaskLabel()->text();
        const QString taskHead = calls(cli["task"]["calls"].get<long long>()) + QStringLiteral(" · ")
                                 + tokens(cli["task"]) + QStringLiteral(" tokens");
        QVERIFY2(task.startsWith(taskHead), qPrintable(task + QStringLiteral(" / CLI: ") + taskHead));
        const long long bootstrap = cli["program_runs"]["bootstrap"].get<long long>();
        if (bootstrap > 0)
            QVERIFY2(task.contains(QStringLiteral("up to %1 rows to bootstrap").arg(QLocale().toString(bootstrap))),
                     qPrintable(task));
        const long long scored =
            cli["program_runs"]["trials"].get<long long>() + cli["program_runs"]["full_evaluations"].get<long long>();
        if (scored > 0)
            QVERIFY2(task.contains(QStringLiteral("%1 validation rows scored").arg(QLocale().toString(scored))),
                     qPrintable(task));
        if (cli.contains("miprov2") && cli["miprov2"]["minibatch"].get<bool>())
            QVERIFY2(task.contains(QStringLiteral("%1 full evaluations").arg(cli["miprov2"]["full_evals"].get<int>())),
                     qPrintable(task));

        const QString proposer = m_page->estimateProposerLabel()->text();
        const long long proposerCalls = cli["proposer"]["calls"].get<long long>();
        if (proposerCalls == 0)
            QCOMPARE(proposer, QStringLiteral("no calls"));
        else
            QCOMPARE(proposer, calls(proposerCalls) + QStringLiteral(" · ") + tokens(cli["proposer"])
                                   + QStringLiteral(" tokens"));

        // The judge row: shown with the CLI's judge calls for a judge metric, hidden otherwise.
        const QLabel *judge = m_page->estimateJudgeLabel();
        if (cli["calls_by_role"].contains("judge")) {
            const Json &j = cli["calls_by_role"]["judge"];
            QVERIFY(!judge->isHidden());
            QVERIFY2(judge->text().startsWith(QStringLiteral("up to ") + calls(j["calls"].get<long long>())),
                     qPrintable(judge->text()));
            QVERIFY2(judge->text().endsWith(tokens(j) + QStringLiteral(" tokens")), qPrintable(judge->text()));
        } else {
            QVERIFY(judge->isHidden());
        }

        const QString cost = m_page->estimateCostLabel()->text();
        const Json dollars = cli["total"]["dollars"];
        QVERIFY(dollars.is_number());
        const double d = dollars.get<double>();
        const QString shown =
            d == 0.0 ? QStringLiteral("$0.00") : QStringLiteral("$%1").arg(d, 0, 'f', d < 1.0 ? 4 : 2);
        QVERIFY2(cost.contains(shown), qPrintable(cost + QStringLiteral(" / CLI: ") + shown));

        const double seconds = cli["seconds"].get<double>();
        QCOMPARE(plan->seconds, seconds);
        const QString time = m_page->estimateTimeLabel()->text();
        QVERIFY2(time.contains(QStringLiteral("with %1 threads").arg(cli["threads"].get<int>())), qPrintable(time));
        if (seconds < 1.0)
            QVERIFY2(time.startsWith(QStringLiteral("under a second")), qPrintable(time));
    }

    void setSpin(QSpinBox *spin, int value)
    {
        spin->setValue(value);
        QCOMPARE(spin->value(), value);
    }

    void chooseData(QComboBox *combo, const QString &data)
    {
        const int index = combo->findData(data);
        QVERIFY(index >= 0);
        combo->setCurrentIndex(index);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto store = prism::RunStore::open(m_dir.filePath(QStringLiteral("runs.sqlite")).toStdString());
        QVERIFY2(store, store ? "" : store.error().message.c_str());
        m_store = store.value();
    }

    void init()
    {
        m_doc = std::make_unique<StudyDocument>();
        QString error;
        QVERIFY2(m_doc->newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        m_bridge = std::make_unique<EngineBridge>(m_store);
        m_page = std::make_unique<RunPage>(m_doc.get(), m_bridge.get());
    }

    void cleanup()
    {
        m_page.reset();
        m_bridge.reset();
        m_doc.reset();
    }

    void autoPresets()
    {
        compareWithPage(cliPlan()); // the sample: light
        chooseData(m_page->autoCombo(), QStringLiteral("medium"));
        compareWithPage(cliPlan());
        setSpin(m_page->threadsSpin(), 3);
        chooseData(m_page->autoCombo(), QStringLiteral("heavy"));
        compareWithPage(cliPlan());
    }

    void manualKnobs()
    {
        chooseData(m_page->autoCombo(), QString());
        setSpin(m_page->numTrialsSpin(), 12);
        setSpin(m_page->numCandidatesSpin(), 4);
        setSpin(m_page->maxRoundsSpin(), 2);
        compareWithPage(cliPlan());
        // Minibatches of 5 rows of the 15 validation rows, a full evaluation every 3 trials.
        setSpin(m_page->minibatchSizeSpin(), 5);
        setSpin(m_page->minibatchFullEvalStepsSpin(), 3);
        QVERIFY(m_page->plan() && m_page->plan()->minibatch);
        compareWithPage(cliPlan());
        // Zero-shot: no demo sets, no bootstrap.
        setSpin(m_page->maxBootstrappedDemosSpin(), 0);
        setSpin(m_page->maxLabeledDemosSpin(), 0);
        compareWithPage(cliPlan());
    }

    void otherOptimizers()
    {
        chooseData(m_page->optimizerCombo(), QStringLiteral("bootstrap"));
        compareWithPage(cliPlan());
        chooseData(m_page->optimizerCombo(), QStringLiteral("labeled"));
        compareWithPage(cliPlan());
    }

    void pricedModel()
    {
        // A model with a price: dollars on both sides (the plan makes no call).
        prism::Study study = m_doc->study();
        study.taskModel.model = "gpt-4o-mini";
        study.proposerModel.model = "gpt-4o-mini";
        m_doc->setStudy(study, QStringLiteral("Use a priced model"));
        QVERIFY(m_page->plan());
        QVERIFY(m_page->plan()->total().dollars.value_or(0.0) > 0.0);
        compareWithPage(cliPlan());
    }

    void judgeMetric()
    {
        // An LLM judge on a priced model: one judge call per scored run, and its dollars in the total.
        prism::Study study = m_doc->study();
        const prism::MetricSpec fieldMetric = study.metric;
        study.metric.kind = "judge";
        study.metric.fields.clear();
        study.metric.judge.rubric = "The severity matches how harmful the snippet is.";
        study.metric.judge.referenceField = "severity";
        study.judgeModel = study.proposerModel;
        study.judgeModel.model = "gpt-4o-mini";
        m_doc->setStudy(study, QStringLiteral("Judge the answers"));
        const prism::OptimizePlan *plan = m_page->plan();
        QVERIFY2(plan, qPrintable(m_page->estimateError()));
        QCOMPARE(plan->judgeCalls, plan->bootstrapRuns + plan->trialRuns + plan->fullEvalRuns + plan->testRuns);
        QVERIFY(plan->judgeCalls > 0);
        QVERIFY(plan->judge.dollars.value_or(0.0) > 0.0); // the sim models cost nothing: the judge's is the total
        QCOMPARE(plan->total().dollars.value_or(0.0), *plan->judge.dollars);
        QVERIFY(m_page->estimateJudgeLabel()->text().contains(QStringLiteral("gpt-4o-mini")));
        const Json cli = cliPlan();
        QCOMPARE(cli["judge_model"].get<std::string>(), std::string("gpt-4o-mini"));
        compareWithPage(cli);
        // Back to the field metric: the row goes.
        study.metric = fieldMetric;
        m_doc->setStudy(study, QStringLiteral("Field metric"));
        QVERIFY(m_page->estimateJudgeLabel()->isHidden());
    }
};

QTEST_MAIN(TestEstimateCli)
#include "test_estimate_cli.moc"
