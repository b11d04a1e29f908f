// Issue 16's studio journey, in one main window: open the one-stage
// moderation sample, build the two-stage program on the Program page (add a
// stage, move a field into it, wire it into the next stage, drop the note,
// make the second stage a ChainOfThought), weigh the metric's two fields (one
// output of each stage), run MIPROv2 light, compare with the baseline on the test split,
// export the program, and load the export back: it scores what the
// comparison said the run's program scores.
#include "adapter/adapter.h"
#include "artifact/artifact.h"
#include "eval/evaluator.h"
#include "metric/builtin.h"
#include "run/run_controller.h"
#include "run/run_store.h"
#include "sim/simlm.h"

#include "engine/enginebridge.h"
#include "export/exportmenu.h"
#include "mainwindow.h"
#include "pages/comparepage.h"
#include "pages/exportpage.h"
#include "pages/historypage.h"
#include "pages/metricpage.h"
#include "pages/monitorpage.h"
#include "pages/runpage.h"
#include "pages/signaturepage.h"
#include "pagesregistry.h"
#include "studiostyle.h"
#include "studydocument.h"
#include "widgets/programgraph.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

int rowOf(QTableWidget *table, const QString &name)
{
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->item(r, 0) && table->item(r, 0)->text() == name)
            return r;
    return -1;
}

QStringList fieldNames(const std::vector<prism::Field> &fields)
{
    QStringList out;
    for (const auto &f : fields)
        out << QString::fromStdString(f.name);
    return out;
}

} // namespace

class TestJourneyPipeline final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;

    template <typename Page> Page *page(const char *title)
    {
        auto *p = qobject_cast<Page *>(m_window->page(QString::fromLatin1(title)));
        [&] { QVERIFY2(p, title); }();
        return p;
    }

    StudyDocument *doc() const { return m_window->document(); }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_journey_pipeline"));
        applyStudioStyle(qApp);
        QVERIFY(m_dir.isValid());
        m_window = std::make_unique<MainWindow>();
        registerPages(m_window.get());
        m_window->resize(1400, 900);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QVERIFY(m_window->openSample(QStringLiteral("moderation")));
    }

    void cleanupTestCase() { m_window.reset(); }

    void buildTheTwoStageProgram()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Program")));
        auto *program = page<SignaturePage>("Program");
        QTableWidget *table = program->fieldsTable();
        program->addStageBefore();
        program->renameCurrentStage(QStringLiteral("find"));
        program->setCurrentPredictor(1);
        table->selectRow(rowOf(table, QStringLiteral("policy_violations")));
        program->moveSelectedFieldToStage(0);
        program->setCurrentPredictor(1);
        program->addInputFrom(QStringLiteral("policy_violations"));
        table->selectRow(rowOf(table, QStringLiteral("notes")));
        program->removeSelectedField();
        program->renameCurrentStage(QStringLiteral("rate"));
        auto *kind = program->findChild<QComboBox *>(QStringLiteral("kindCombo"));
        kind->setCurrentIndex(kind->findText(QStringLiteral("ChainOfThought")));
        program->setCurrentPredictor(0);
        table->selectRow(rowOf(table, QStringLiteral("notes")));
        program->removeSelectedField();

        const auto &stages = doc()->study().program.predictors;
        QCOMPARE(stages.size(), std::size_t{2});
        QCOMPARE(fieldNames(stages[0].signature.inputs), QStringList{QStringLiteral("snippet")});
        QCOMPARE(fieldNames(stages[0].signature.outputs), QStringList{QStringLiteral("policy_violations")});
        QCOMPARE(fieldNames(stages[1].signature.inputs),
                 (QStringList{QStringLiteral("snippet"), QStringLiteral("policy_violations")}));
        QCOMPARE(fieldNames(stages[1].signature.outputs), QStringList{QStringLiteral("severity")});
        QCOMPARE(stages[1].kind, prism::PredictorKind::ChainOfThought);
        QVERIFY2(program->wiringProblems().isEmpty(), qPrintable(program->wiringProblems().join('\n')));
        QVERIFY(program->graph()->edges().contains(QStringLiteral("find.policy_violations -> rate.policy_violations")));
    }

    void theMetricScoresBothStages()
    {
        // The builder still scores severity (rate's output) and the violations (find's).
        QVERIFY(m_window->showPage(QStringLiteral("Metric")));
        const prism::MetricSpec &metric = doc()->study().metric;
        QCOMPARE(metric.kind, std::string("composite"));
        QStringList scored;
        for (const auto &f : metric.fields)
            scored << QString::fromStdString(f.field);
        QCOMPARE(scored, (QStringList{QStringLiteral("severity"), QStringLiteral("policy_violations")}));
        // Set it as a user would: the violations count half as much as the severity.
        auto *metricPage = page<MetricPage>("Metric");
        auto *weight =
            metricPage->builderTable()->findChild<QDoubleSpinBox *>(QStringLiteral("weightSpin_policy_violations"));
        QVERIFY(weight);
        weight->setValue(0.5);
        auto weightOf = [this](const std::string &field) {
            for (const auto &f : doc()->study().metric.fields)
                if (f.field == field)
                    return f.weight;
            return -1.0;
        };
        QTRY_COMPARE(weightOf("policy_violations"), 0.5);
        QCOMPARE(weightOf("severity"), 1.0);
    }

    void runMiproLight()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Run")));
        auto *run = page<RunPage>("Run");
        run->optimizerCombo()->setCurrentIndex(run->optimizerCombo()->findData(QStringLiteral("miprov2")));
        run->autoCombo()->setCurrentIndex(run->autoCombo()->findData(QStringLiteral("light")));
        run->threadsSpin()->setValue(2);
        QVERIFY2(run->startBlocker().isEmpty(), qPrintable(run->startBlocker()));
        auto *bridge = m_window->findChild<EngineBridge *>();
        QVERIFY(bridge);
        QSignalSpy finished(bridge, &EngineBridge::runFinished);
        run->startButton()->click();
        QVERIFY(finished.wait(180000));
        QCOMPARE(finished.last().at(1).value<prism::RunStatus>(), prism::RunStatus::Finished);
        const prism::Program &result = bridge->lastOutcome()->program;
        QCOMPARE(result.predictors.size(), std::size_t{2});
        QCOMPARE(result.predictors[0].name, std::string("find"));
        // The monitor offers a heatmap per stage.
        auto *monitor = page<MonitorPage>("Monitor");
        QCOMPARE(monitor->predictorCombo()->count(), 2);
    }

    void compareAndExportThenLoadTheExportBack()
    {
        auto *history = page<HistoryPage>("History");
        auto *compare = page<ComparePage>("Compare");
        QVERIFY(m_window->showPage(QStringLiteral("History")));
        history->refresh();
        const QString runId = page<MonitorPage>("Monitor")->runId();
        QSignalSpy done(compare, &ComparePage::comparisonFinished);
        emit history->compareWithBaselineRequested(runId);
        QVERIFY(done.wait(120000));
        QVERIFY2(done.last().at(0).toBool(), qPrintable(done.last().at(1).toString()));
        const std::optional<CompareSummary> summary = compare->summary();
        QVERIFY(summary.has_value());
        QCOMPARE(summary->split, QStringLiteral("test"));
        QCOMPARE(summary->paired, static_cast<int>(doc()->rowCount(Split::Test)));

        auto *exporter = page<ExportPage>("Export");
        QVERIFY(m_window->showPage(QStringLiteral("Export")));
        QCOMPARE(exporter->selectedRunId(), runId);
        const QString path = m_dir.filePath(QStringLiteral("pipeline.json"));
        QSettings().remove(QStringLiteral("export/lastFolder"));
        exporter->exportMenu()->setSaveFileName(
            [path](const QString &, const QString &, const QString &) { return path; });
        QSignalSpy exported(exporter->exportMenu(), &ExportMenu::exported);
        exporter->exportMenu()->updateActions();
        exporter->exportMenu()->programAction()->trigger();
        QCOMPARE(exported.count(), 1);
        QVERIFY2(exported.last().at(0).toBool(), qPrintable(exported.last().at(1).toString()));

        // DSPy's layout for the module: find, then rate's Predict under rate.predict.
        prism::Result<prism::LoadedArtifact> loaded =
            prism::loadDspyProgramFile(path.toStdString(), doc()->study().program);
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message.c_str());
        auto *bridge = m_window->findChild<EngineBridge *>();
        QCOMPARE(loaded->program, bridge->lastOutcome()->program);

        // The loaded program, evaluated on the test split, scores what the comparison said.
        const prism::Study &study = doc()->study();
        prism::SimLm sim(study.taskModel.model);
        const auto adapter = prism::makeAdapter(study.eval.adapter);
        auto metric = prism::makeMetric(study.metric, study.program);
        QVERIFY(metric.ok());
        prism::EvalOptions options;
        options.threads = 2;
        options.call.role = "evaluation";
        options.call.temperature = study.taskModel.temperature;
        options.call.maxTokens = study.taskModel.maxTokens;
        const prism::Evaluator evaluator(sim, *adapter, **metric, options);
        const prism::EvalReport report = evaluator.run(loaded->program, doc()->examples(Split::Test));
        QCOMPARE(report.errors, std::size_t{0});
        QVERIFY2(std::abs(report.scorePercent - summary->scoreB) < 1e-9,
                 qPrintable(QStringLiteral("%1 vs %2").arg(report.scorePercent).arg(summary->scoreB)));
    }

    // Issue 16 item 5: any trial's program as the run's, instead of the optimizer's pick.
    void useAnotherTrialAsTheRunsProgram()
    {
        QVERIFY(m_window->showPage(QStringLiteral("Monitor")));
        auto *monitor = page<MonitorPage>("Monitor");
        const auto &trials = monitor->state().trials();
        std::string pick; // the optimizer's: its last best
        const auto events = m_window->findChild<EngineBridge *>()->store()->events(monitor->runId().toStdString());
        QVERIFY(events.ok());
        for (const auto &e : events.value())
            if (const auto *best = e.as<prism::BestUpdatedEvent>())
                pick = best->configKey;
        int row = -1;
        for (std::size_t i = 0; i < trials.size() && row < 0; ++i)
            if (trials[i].kind == "full" && trials[i].configKey != pick)
                row = static_cast<int>(i);
        QVERIFY2(row >= 0, "the run has another fully evaluated trial");
        const std::string chosenKey = trials[static_cast<std::size_t>(row)].configKey;
        monitor->trialsTable()->selectRow(row);
        QVERIFY(monitor->useProgramButton()->isEnabled());
        monitor->useProgramButton()->click();

        auto *bridge = m_window->findChild<EngineBridge *>();
        const std::string runId = monitor->runId().toStdString();
        const std::string text = bridge->store()->artifact(runId).value();
        auto loaded = prism::loadDspyProgramFile(m_dir.filePath(QStringLiteral("pipeline.json")).toStdString(),
                                                 doc()->study().program);
        QVERIFY(loaded.ok());
        auto chosen = prism::loadDspyProgram(text, "the run's artifact", doc()->study().program);
        QVERIFY(chosen.ok());
        QVERIFY(chosen->info.has_value());
        QCOMPARE(chosen->info->chosenBy, std::string("user"));
        QCOMPARE(chosen->info->chosenConfigKey, chosenKey);
        QCOMPARE(chosen->info->replacedConfigKey, pick);
        QVERIFY(!(chosen->program == loaded->program)); // not the exported pick any more
        QVERIFY2(monitor->logView()->toPlainText().contains(
                     QStringLiteral("program chosen by user: %1").arg(QString::fromStdString(chosenKey))),
                 qPrintable(monitor->logView()->toPlainText().right(300)));
    }
};

QTEST_MAIN(TestJourneyPipeline)
#include "test_journey_pipeline.moc"
