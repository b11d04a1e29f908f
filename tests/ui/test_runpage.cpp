// The run page: a preset fills and explains the knobs it sets, a knob edit is
// one undo step, the estimate follows num_trials (and matches the measured
// call counts of docs/MIPROV2.md), Start is refused for unsaved row edits, a
// run of the moderation sample goes to the end with its stop reason in the
// status line, and a cancelled run is resumed from the page.
#include "pages/runpage.h"

#include "engine/enginebridge.h"
#include "studiostyle.h"
#include "studydocument.h"

#include "optimize/presets.h"
#include "run/run_store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

class TestRunPage final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::shared_ptr<prism::RunStore> m_store;
    std::unique_ptr<StudyDocument> m_doc;
    std::unique_ptr<EngineBridge> m_bridge;
    std::unique_ptr<RunPage> m_page;

    void choosePreset(const QString &name)
    {
        QComboBox *combo = m_page->autoCombo();
        const int index = combo->findData(name);
        QVERIFY(index >= 0);
        combo->setCurrentIndex(index);
    }

    void setTrials(int trials)
    {
        choosePreset(QString());
        m_page->numTrialsSpin()->setValue(trials);
        QCOMPARE(m_doc->study().optimizer.numTrials, std::optional<int>(trials));
    }

    void saveShot(const QString &name)
    {
        const QString dir = qEnvironmentVariable("PRISM_SCREENSHOT_DIR");
        if (dir.isEmpty() || !QDir().mkpath(dir))
            return;
        m_page->grab().save(QDir(dir).filePath(name));
    }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_runpage"));
        applyStudioStyle(qApp);
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
        m_page->resize(1400, 900);
        m_page->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
    }

    void cleanup()
    {
        m_page.reset();
        m_bridge.reset();
        m_doc.reset();
    }

    void presetFillsAndExplainsTheKnobs()
    {
        QCOMPARE(m_doc->study().optimizer.autoMode, std::string("light"));
        choosePreset(QStringLiteral("medium"));
        QCOMPARE(m_doc->study().optimizer.autoMode, std::string("medium"));

        prism::OptimizerConfig config = m_doc->study().optimizer;
        auto medium = prism::resolveMiproSettings(config, 1);
        QVERIFY(medium);
        QCOMPARE(m_page->numTrialsSpin()->value(), medium->numTrials);
        QCOMPARE(m_page->numCandidatesSpin()->value(), medium->numFewshotCandidates);
        QVERIFY(!m_page->numTrialsSpin()->isEnabled());
        QVERIFY(!m_page->numCandidatesSpin()->isEnabled());
        const QString text = m_page->presetLabel()->text();
        QVERIFY2(text.startsWith(
                     QStringLiteral("medium: %1 demo sets and %2 instruction candidates per predictor, %3 trials")
                         .arg(medium->numFewshotCandidates)
                         .arg(medium->numInstructCandidates)
                         .arg(medium->numTrials)),
                 qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("at most %1 rows").arg(prism::autoPreset("medium")->valSize)),
                 qPrintable(text));
        // 30 rows, no valset: 15 validation rows, too few for minibatches.
        QVERIFY2(text.contains(QStringLiteral("every trial is a full evaluation")), qPrintable(text));
        QVERIFY(m_page->presetLabel()->isVisible());

        // Manual mode starts from the preset's numbers and lets the user edit them.
        choosePreset(QString());
        QCOMPARE(m_doc->study().optimizer.numTrials, std::optional<int>(medium->numTrials));
        QCOMPARE(m_doc->study().optimizer.numCandidates, std::optional<int>(medium->numFewshotCandidates));
        QVERIFY(m_page->numTrialsSpin()->isEnabled());
        QVERIFY(!m_page->presetLabel()->isVisible());
        saveShot(QStringLiteral("runpage-manual.png"));

        // Other optimizers show only their knobs.
        m_page->optimizerCombo()->setCurrentIndex(m_page->optimizerCombo()->findData(QStringLiteral("labeled")));
        QCOMPARE(m_doc->study().optimizer.name, std::string("labeled"));
        QVERIFY(!m_page->numTrialsSpin()->isVisible());
        QVERIFY(!m_page->autoCombo()->isVisible());
        QVERIFY(m_page->maxLabeledDemosSpin()->isVisible());
    }

    void gepaShowsItsKnobsAndItsBudget()
    {
        m_page->optimizerCombo()->setCurrentIndex(m_page->optimizerCombo()->findData(QStringLiteral("gepa")));
        QCOMPARE(m_doc->study().optimizer.name, std::string("gepa"));
        // MIPROv2's knobs go, GEPA's come; the light preset's budget is DSPy's for 15 validation rows.
        QVERIFY(!m_page->numTrialsSpin()->isVisible());
        QVERIFY(!m_page->minibatchCheck()->isVisible());
        QVERIFY(m_page->gepaMetricCallsSpin()->isVisible());
        QVERIFY(m_page->gepaSelectionCombo()->isVisible());
        QVERIFY(!m_page->maxLabeledDemosSpin()->isVisible()); // GEPA changes instructions only
        QCOMPARE(m_page->gepaMetricCallsSpin()->value(), static_cast<int>(prism::gepaAutoBudget(1, 6, 15)));
        QVERIFY(!m_page->gepaMetricCallsSpin()->isEnabled());
        QVERIFY2(m_page->estimateTaskLabel()->text().contains(QStringLiteral("a budget of 440 metric calls")),
                 qPrintable(m_page->estimateTaskLabel()->text()));
        QVERIFY2(m_page->estimateProposerLabel()->text().startsWith(QStringLiteral("up to")),
                 qPrintable(m_page->estimateProposerLabel()->text()));

        // No preset: a budget of its own, editable, one undo step per edit.
        choosePreset(QString());
        QCOMPARE(m_doc->study().optimizer.gepa.maxMetricCalls, std::optional<int>(440));
        QVERIFY(m_page->gepaMetricCallsSpin()->isEnabled());
        m_page->gepaMetricCallsSpin()->setValue(120);
        QCOMPARE(m_doc->study().optimizer.gepa.maxMetricCalls, std::optional<int>(120));
        QVERIFY(prism::validateOptimizerSettings(m_doc->study().optimizer, 1));
        m_page->gepaSelectionCombo()->setCurrentIndex(
            m_page->gepaSelectionCombo()->findData(QStringLiteral("current_best")));
        QCOMPARE(m_doc->study().optimizer.gepa.candidateSelection, prism::GepaSelection::CurrentBest);
        m_page->gepaReflectionCapSpin()->setValue(12);
        QCOMPARE(m_doc->study().optimizer.gepa.maxReflectionCalls, std::optional<int>(12));
        const int steps = m_doc->undoStack()->count();
        m_page->gepaMergeCheck()->setChecked(false);
        QCOMPARE(m_doc->study().optimizer.gepa.useMerge, false);
        QCOMPARE(m_doc->undoStack()->count(), steps + 1);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().optimizer.gepa.useMerge, true);
        QVERIFY(m_page->gepaMergeCheck()->isChecked());

        // A preset again drops the own budget (DSPy takes exactly one).
        choosePreset(QStringLiteral("medium"));
        QCOMPARE(m_doc->study().optimizer.gepa.maxMetricCalls, std::optional<int>());
        QCOMPARE(m_page->gepaMetricCallsSpin()->value(), static_cast<int>(prism::gepaAutoBudget(1, 12, 15)));
        saveShot(QStringLiteral("runpage-gepa.png"));
    }

    void randomSearchShowsItsKnobsAndItsEstimate()
    {
        m_page->optimizerCombo()->setCurrentIndex(m_page->optimizerCombo()->findData(QStringLiteral("random_search")));
        QCOMPARE(m_doc->study().optimizer.name, std::string("random_search"));
        // No preset, no trials: the bootstrap knobs and the search's own two.
        QVERIFY(!m_page->autoCombo()->isVisible());
        QVERIFY(!m_page->numTrialsSpin()->isVisible());
        QVERIFY(!m_page->numCandidatesSpin()->isVisible());
        QVERIFY(m_page->maxBootstrappedDemosSpin()->isVisible());
        QVERIFY(m_page->maxLabeledDemosSpin()->isVisible());
        QVERIFY(m_page->searchCandidatesSpin()->isVisible());
        QVERIFY(m_page->stopAtScoreCheck()->isVisible());
        QCOMPARE(m_page->searchCandidatesSpin()->value(), prism::kRandomSearchCandidates);
        QVERIFY(!m_page->stopAtScoreSpin()->isEnabled());

        // The estimate: 3 + 16 candidates, each on every validation row; one trace per training row.
        QVERIFY(m_page->plan());
        const long long val = static_cast<long long>(m_page->plan()->valRows);
        QVERIFY(val > 0);
        QCOMPARE(m_page->plan()->candidates, 19);
        QCOMPARE(m_page->plan()->evaluationRuns, 19 * val);
        QCOMPARE(m_page->plan()->bootstrapRuns, static_cast<long long>(m_doc->rowCount(Split::Train)));
        QVERIFY2(m_page->estimateTaskLabel()->text().contains(QStringLiteral("19 candidates on")),
                 qPrintable(m_page->estimateTaskLabel()->text()));
        QCOMPARE(m_page->estimateProposerLabel()->text(), QStringLiteral("no calls"));

        // 0 shuffled candidates is a valid search (the three fixed ones); each edit is one undo step.
        const int steps = m_doc->undoStack()->count();
        m_page->searchCandidatesSpin()->setValue(0);
        QCOMPARE(m_doc->study().optimizer.numCandidates, std::optional<int>(0));
        QCOMPARE(m_page->plan()->candidates, 3);
        QVERIFY(prism::validateOptimizerSettings(m_doc->study().optimizer, 1));
        m_page->stopAtScoreCheck()->setChecked(true);
        QCOMPARE(m_doc->study().optimizer.stopAtScore, std::optional<double>(100.0));
        QVERIFY(m_page->stopAtScoreSpin()->isEnabled());
        m_page->stopAtScoreSpin()->setValue(80.0);
        QCOMPARE(m_doc->study().optimizer.stopAtScore, std::optional<double>(80.0));
        QCOMPARE(m_doc->undoStack()->count(), steps + 3);
        m_doc->undoStack()->undo();
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().optimizer.stopAtScore, std::optional<double>());
        QVERIFY(!m_page->stopAtScoreCheck()->isChecked());
        QVERIFY(m_page->startBlocker().isEmpty());
    }

    void knobEditIsOneUndoStep()
    {
        setTrials(9);
        const int before = m_doc->undoStack()->count();
        m_page->maxLabeledDemosSpin()->setValue(2);
        QCOMPARE(m_doc->study().optimizer.maxLabeledDemos, 2);
        QCOMPARE(m_doc->undoStack()->count(), before + 1);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().optimizer.maxLabeledDemos, 4);
        QCOMPARE(m_page->maxLabeledDemosSpin()->value(), 4);
        m_doc->undoStack()->redo();
        QCOMPARE(m_page->maxLabeledDemosSpin()->value(), 2);

        // Back to the preset: the manual numbers go away with it.
        choosePreset(QStringLiteral("light"));
        QVERIFY(!m_doc->study().optimizer.numTrials.has_value());
    }

    void estimateFollowsTheKnobs()
    {
        // light on moderation: docs/MIPROV2.md measured 165 evaluation calls,
        // 13 of at most 15 bootstrap traces and 7 proposer calls.
        QVERIFY(m_page->plan());
        QCOMPARE(m_page->plan()->evaluationRuns, 165LL);
        QCOMPARE(m_page->plan()->bootstrapRuns, 15LL);
        QCOMPARE(m_page->plan()->proposerCalls, 7LL);
        QVERIFY2(m_page->estimateCostLabel()->text().contains(QStringLiteral("$0.00")),
                 qPrintable(m_page->estimateCostLabel()->text()));
        saveShot(QStringLiteral("runpage-light.png"));

        setTrials(6);
        const long long six = m_page->plan()->task.calls;
        const QString sixText = m_page->estimateTaskLabel()->text();
        setTrials(12);
        // Six more trials, each a full evaluation of the 15 validation rows.
        QCOMPARE(m_page->plan()->task.calls - six, 6LL * 15);
        QVERIFY(m_page->estimateTaskLabel()->text() != sixText);
        QVERIFY2(m_page->estimateTaskLabel()->text().contains(QStringLiteral("calls")),
                 qPrintable(m_page->estimateTaskLabel()->text()));

        // A manual mode without trials cannot run: said, and Start refuses.
        m_page->numTrialsSpin()->setValue(-1);
        QVERIFY(!m_page->plan());
        QVERIFY2(m_page->estimateError().contains(QStringLiteral("num_trials")), qPrintable(m_page->estimateError()));
        QVERIFY(!m_page->startButton()->isEnabled());
    }

    // Issue 14: the estimate said "8 threads" when the model takes 2 calls at a time; the time was
    // right (it counts min(threads, concurrency)), the words were not.
    void estimateSaysWhenTheModelAllowsFewerCallsThanThreads()
    {
        prism::Study study = m_doc->study();
        study.eval.threads = 8;
        study.taskModel.maxConcurrency = 8;
        m_doc->setStudy(study, QStringLiteral("threads"));
        QVERIFY(m_page->plan());
        const double eightAtOnce = m_page->plan()->seconds;
        QCOMPARE(m_page->estimateTimeLabel()->text().contains(QStringLiteral("at a time")), false);

        study.taskModel.maxConcurrency = 2;
        study.proposerModel.maxConcurrency = 2;
        m_doc->setStudy(study, QStringLiteral("concurrency"));
        QVERIFY(m_page->plan());
        const QString text = m_page->estimateTimeLabel()->text();
        QVERIFY2(
            text.endsWith(QStringLiteral("with 8 threads, at most 2 calls at a time (the task model's concurrency)")),
            qPrintable(text));
        QCOMPARE(m_page->plan()->seconds, eightAtOnce * 4);
    }

    void startIsRefusedForUnsavedRowEdits()
    {
        QVERIFY(m_page->startButton()->isEnabled());
        // A knob edit alone is fine: the run gets the study in memory.
        setTrials(6);
        QVERIFY(m_doc->isModified());
        QVERIFY(m_page->startButton()->isEnabled());

        prism::Example row = m_doc->examples(Split::Train).front();
        row.values.set("snippet", prism::Value(std::string("an edited snippet")));
        m_doc->setRow(Split::Train, 0, row, QStringLiteral("Edit cell"));
        QVERIFY(!m_page->startButton()->isEnabled());
        QVERIFY2(m_page->startHintLabel()->text().contains(QStringLiteral("Save the study first")),
                 qPrintable(m_page->startHintLabel()->text()));
        QString error;
        QVERIFY(!m_page->start(&error));
        QVERIFY2(error.contains(QStringLiteral("Ctrl+S")), qPrintable(error));
        QVERIFY(!m_bridge->isRunning());

        m_doc->undoStack()->undo();
        QVERIFY(m_page->startButton()->isEnabled());
    }

    void startRunsToTheEndAndShowsTheStopReason()
    {
        setTrials(6);
        QSignalSpy byUser(m_page.get(), &RunPage::runStartedByUser);
        QSignalSpy finished(m_bridge.get(), &EngineBridge::runFinished);
        QTest::mouseClick(m_page->startButton(), Qt::LeftButton);
        QCOMPARE(byUser.count(), 1);
        QCOMPARE(byUser.at(0).at(0).toString(), m_bridge->runId());
        QVERIFY(m_bridge->isRunning());
        QVERIFY(!m_page->startButton()->isEnabled());
        QVERIFY(m_page->cancelButton()->isEnabled());
        QVERIFY(finished.wait(120000));

        const QString status = m_page->statusLabel()->text();
        QVERIFY2(status.contains(m_bridge->runId() + QStringLiteral(" finished")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral("stop reason: completed")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral("trials done")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral("best ")), qPrintable(status));
        QVERIFY(m_page->progress().finished());
        QVERIFY(m_page->startButton()->isEnabled());
        QVERIFY(!m_page->cancelButton()->isEnabled());
        QVERIFY(!m_page->resumeButton()->isEnabled()); // a finished run has nothing to resume
        saveShot(QStringLiteral("runpage-finished.png"));
    }

    void cancelledRunIsResumedFromThePage()
    {
        setTrials(6);
        QSignalSpy finished(m_bridge.get(), &EngineBridge::runFinished);
        QVERIFY(m_page->start());
        const QString runId = m_bridge->runId();
        QTest::mouseClick(m_page->cancelButton(), Qt::LeftButton);
        QVERIFY(finished.wait(120000));
        QVERIFY2(m_page->statusLabel()->text().contains(QStringLiteral("stop reason: cancelled")),
                 qPrintable(m_page->statusLabel()->text()));
        QCOMPARE(m_page->resumableRunId(), runId);
        QVERIFY(m_page->resumeButton()->isEnabled());

        QSignalSpy byUser(m_page.get(), &RunPage::runStartedByUser);
        QTest::mouseClick(m_page->resumeButton(), Qt::LeftButton);
        QCOMPARE(byUser.count(), 1);
        QVERIFY(finished.wait(120000));
        const QString status = m_page->statusLabel()->text();
        QVERIFY2(status.contains(runId + QStringLiteral(" finished")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral("stop reason: completed")), qPrintable(status));
        QVERIFY(!m_page->resumeButton()->isEnabled());
    }
};

QTEST_MAIN(TestRunPage)
#include "test_runpage.moc"
