// RunState: what the monitor folds from a run's events. A real MIPROv2 run
// (moderation on SimLm) fed in batches must give the counts, best-so-far and
// candidate statistics the events say; hand-made events cover a failed trial,
// a saturated search, stop reasons and a run with 10,000 trials.
#include "recordedrun.h"
#include "run/run_state.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace prism;
using recordedrun::trialFinished;

namespace {

RunEvent event(std::uint64_t seq, EventPayload payload, double elapsed = 0.0)
{
    return recordedrun::makeEvent(seq, std::move(payload), elapsed);
}

// The run is recorded once for the whole suite: it is the slow part.
class RecordedRunTest : public ::testing::Test {
protected:
    static inline recordedrun::Recording rec;
    static inline fs::path dir;

    static void SetUpTestSuite()
    {
        dir = fs::temp_directory_path() / ("prism-runstate-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        ::setenv("PRISM_DATA_DIR", (dir / "data").string().c_str(), 1);
        rec = recordedrun::record(dir);
    }
    static void TearDownTestSuite()
    {
        rec = {};
        fs::remove_all(dir);
    }
    void SetUp() override { ASSERT_TRUE(rec.error.empty()) << rec.error; }

    template <typename T> std::vector<T> payloads() const { return recordedrun::payloadsOf<T>(rec.events); }
};

} // namespace

TEST_F(RecordedRunTest, FoldsARealRunInBatches)
{
    RunState state;
    std::size_t trialsSeen = 0;
    for (const auto &batch : recordedrun::batches(rec.events, 7)) {
        const RunState::Changes changes = state.apply(batch);
        // New trials are reported from where the last batch ended.
        if (changes.has(RunState::TrialsAdded)) {
            EXPECT_EQ(changes.firstNewTrial, trialsSeen);
            trialsSeen = state.trials().size();
        }
    }
    const auto finished = payloads<TrialFinishedEvent>();
    const auto full = payloads<FullEvalFinishedEvent>();
    const auto proposed = payloads<InstructionProposedEvent>();
    const auto demoSets = payloads<DemoSetReadyEvent>();
    ASSERT_FALSE(finished.empty());

    EXPECT_EQ(state.runId(), rec.runId);
    EXPECT_EQ(state.optimizer(), "miprov2");
    EXPECT_EQ(state.plannedSearchTrials(), 6);
    EXPECT_TRUE(state.minibatchMode());
    EXPECT_EQ(state.trials().size(), finished.size());
    int minibatch = 0;
    for (const auto &f : finished)
        minibatch += f.kind == "minibatch" ? 1 : 0;
    EXPECT_EQ(state.minibatchTrialCount(), minibatch);
    EXPECT_EQ(state.searchTrialsDone(), 6);
    EXPECT_EQ(state.fullEvals().size(), full.size());
    EXPECT_EQ(state.candidates().size(), proposed.size());
    EXPECT_EQ(state.demoSets().size(), demoSets.size());
    EXPECT_EQ(state.predictors(), std::vector<std::string>{"classify"});

    // Trial 1 is the baseline's full evaluation.
    ASSERT_FALSE(state.trials().empty());
    EXPECT_EQ(state.trials().front().number, 1);
    EXPECT_EQ(state.trials().front().kind, "full");
    ASSERT_TRUE(state.baselineScore());
    EXPECT_DOUBLE_EQ(*state.baselineScore(), *rec.outcome.baselineScore);

    // Best so far: monotone, and its last step is the run's best.
    ASSERT_FALSE(state.bestFull().empty());
    for (std::size_t i = 1; i < state.bestFull().size(); ++i) {
        EXPECT_GT(state.bestFull()[i].score, state.bestFull()[i - 1].score);
        EXPECT_GT(state.bestFull()[i].trial, state.bestFull()[i - 1].trial);
    }
    double bestFull = 0.0;
    for (const auto &f : full)
        bestFull = std::max(bestFull, f.score);
    EXPECT_DOUBLE_EQ(*state.bestScore(), bestFull);
    EXPECT_DOUBLE_EQ(*state.bestScore(), *rec.outcome.bestScore);

    // Candidate statistics: every trial counted once per predictor.
    int tried = 0;
    for (const auto &c : state.candidates())
        tried += c.timesTried;
    EXPECT_EQ(tried, static_cast<int>(finished.size()));
    // The heatmap holds every scored trial.
    const RunState::Heatmap heat = state.heatmap("classify");
    EXPECT_EQ(heat.instructions, static_cast<int>(proposed.size()));
    EXPECT_EQ(heat.demoSets, static_cast<int>(demoSets.size()));
    int cellTrials = 0;
    for (const auto &cell : heat.cells)
        cellTrials += cell.count;
    int scored = 0;
    for (const auto &t : state.trials())
        scored += t.score ? 1 : 0;
    EXPECT_EQ(cellTrials, scored);
    // The baseline's cell is instruction 0, demo set 0.
    ASSERT_NE(heat.cell(0, 0), nullptr);
    EXPECT_GE(heat.cell(0, 0)->count, 1);

    EXPECT_TRUE(state.finished());
    EXPECT_EQ(state.stopReason(), StopReason::completed());
    EXPECT_EQ(state.status(), RunStatus::Finished);
    EXPECT_EQ(state.notes(), rec.outcome.notes);
    EXPECT_EQ(state.progress().value_or(0.0), 1.0);
    EXPECT_FALSE(state.usageByRole().empty());
    EXPECT_GT(state.usageByRole().at("evaluation").calls + state.usageByRole().at("evaluation").cacheHits, 0);
}

TEST_F(RecordedRunTest, BatchSizeDoesNotChangeTheState)
{
    RunState one;
    (void)one.apply(rec.events);
    RunState many;
    for (const auto &batch : recordedrun::batches(rec.events, 1))
        (void)many.apply(batch);
    ASSERT_EQ(one.trials().size(), many.trials().size());
    for (std::size_t i = 0; i < one.trials().size(); ++i) {
        EXPECT_EQ(one.trials()[i].configKey, many.trials()[i].configKey);
        EXPECT_EQ(one.trials()[i].score, many.trials()[i].score);
        EXPECT_EQ(one.trials()[i].results, many.trials()[i].results);
    }
    EXPECT_EQ(one.log().size(), many.log().size());
    EXPECT_EQ(one.bestScore(), many.bestScore());
    // A batch delivered twice (a replay overlapping live events) is ignored.
    const auto again = many.apply(rec.events);
    EXPECT_FALSE(again.has(RunState::TrialsAdded));
    EXPECT_EQ(many.trials().size(), one.trials().size());
}

TEST_F(RecordedRunTest, ProgressAndEtaDuringTheSearch)
{
    RunState state;
    // Up to the third minibatch trial.
    std::vector<RunEvent> head;
    int minibatch = 0;
    for (const auto &e : rec.events) {
        head.push_back(e);
        if (const auto *t = e.as<TrialFinishedEvent>(); t && t->kind == "minibatch" && ++minibatch == 3)
            break;
    }
    (void)state.apply(head);
    EXPECT_EQ(state.phase(), "search");
    EXPECT_EQ(state.searchTrialsDone(), 3);
    ASSERT_TRUE(state.progress());
    EXPECT_DOUBLE_EQ(*state.progress(), 0.5);
    ASSERT_TRUE(state.etaSeconds());
    EXPECT_GE(*state.etaSeconds(), 0.0);
    EXPECT_FALSE(state.finished());
    EXPECT_EQ(state.status(), RunStatus::Running);
}

TEST(RunStateEvents, FailedTrialKeepsItsErrorAndIsNotScored)
{
    RunState state;
    std::uint64_t seq = 0;
    std::vector<RunEvent> events;
    events.push_back(event(++seq, InstructionProposedEvent{"p", 0, "Do it.", std::nullopt}));
    TrialFinishedEvent failed = trialFinished(2, "minibatch", {{"p", 0, 1}}, "p:i0.d1", std::nullopt);
    failed.errors = 5;
    failed.examples = 5;
    failed.newCalls = 5;
    failed.error = "all 5 examples failed; first error (example 3): Transport: refused";
    failed.results = {{3, std::nullopt}};
    events.push_back(event(++seq, failed));
    const auto changes = state.apply(events);
    EXPECT_TRUE(changes.has(RunState::TrialsAdded));
    EXPECT_TRUE(changes.has(RunState::LogAdded));
    ASSERT_EQ(state.trials().size(), 1u);
    const auto &t = state.trials().front();
    EXPECT_FALSE(t.score);
    EXPECT_EQ(t.state, "failed");
    EXPECT_NE(t.error.find("Transport: refused"), std::string::npos);
    ASSERT_EQ(t.config.size(), 1u);
    EXPECT_EQ(t.config[0].instruction, 0);
    EXPECT_EQ(t.config[0].demos, 1);
    ASSERT_EQ(t.results.size(), 1u);
    EXPECT_EQ(t.results[0].first, 3);
    EXPECT_FALSE(t.results[0].second);
    EXPECT_EQ(state.failedTrialCount(), 1);
    // Tried, but a failure is not a score of 0.
    EXPECT_EQ(state.candidates()[0].timesTried, 1);
    EXPECT_FALSE(state.candidates()[0].meanScore());
    const RunState::Heatmap heat = state.heatmap("p");
    ASSERT_NE(heat.cell(0, 1), nullptr);
    EXPECT_EQ(heat.cell(0, 1)->count, 0);
    EXPECT_EQ(heat.cell(0, 1)->tried, 1);
    EXPECT_EQ(state.log().back().level, RunState::LogLine::Level::Warning);
    EXPECT_NE(state.log().back().text.find("trial 2"), std::string::npos);
}

namespace {

std::vector<RunEvent> finishedRun(const std::string &stopReason, const std::vector<std::string> &notes,
                                  const std::vector<double> &scores)
{
    std::vector<RunEvent> events;
    std::uint64_t seq = 0;
    RunStartedEvent started;
    started.runId = "r-1";
    started.optimizer = "miprov2";
    started.studyName = "s";
    started.settings = Fields{{"auto", Value()}, {"num_trials", Value(static_cast<std::int64_t>(scores.size()))}};
    events.push_back(event(++seq, started));
    events.push_back(event(++seq, PhaseStartedEvent{"search", std::nullopt}));
    int trial = 0;
    for (const double s : scores) {
        ++trial;
        const std::vector<ConfigChoice> config = {{"p", trial == 1 ? 0 : 1, std::nullopt}};
        const std::string key = trial == 1 ? "p:i0" : "p:i1";
        events.push_back(event(++seq, trialFinished(trial, "full", config, key, s)));
        events.push_back(event(++seq, FullEvalFinishedEvent{trial, config, key, s, std::nullopt}));
        if (trial == 1)
            events.push_back(event(++seq, BestUpdatedEvent{1, config, key, s}));
    }
    RunFinishedEvent finished;
    finished.stopReason = StopReason::fromText(stopReason);
    finished.baselineScore = scores.front();
    finished.bestScore = scores.front();
    finished.notes = notes;
    finished.trials = static_cast<int>(scores.size());
    events.push_back(event(++seq, finished));
    return events;
}

bool hasTitle(const std::vector<RunExplanation> &list, const std::string &title)
{
    for (const auto &e : list)
        if (e.title == title)
            return true;
    return false;
}

} // namespace

TEST(RunStateEvents, SaturationAndNothingBeatTheBaselineAreExplained)
{
    RunState state;
    (void)state.apply(
        finishedRun("completed",
                    {"every trial scored 100.0%: the metric cannot tell configs apart; use a harder metric",
                     "nothing beat the baseline (100.0%)"},
                    {100.0, 100.0, 100.0}));
    EXPECT_EQ(state.status(), RunStatus::Finished);
    const auto explained = prism::explainRun(state);
    EXPECT_TRUE(hasTitle(explained, "Every trial scored the same"));
    EXPECT_TRUE(hasTitle(explained, "Nothing beat the baseline"));
    // Each note is explained once, not echoed again as a raw note.
    EXPECT_EQ(explained.size(), 2u);
}

TEST(RunStateEvents, NothingBeatTheBaselineIsFoundWithoutTheNote)
{
    RunState state;
    (void)state.apply(finishedRun("completed", {}, {60.0, 55.0, 40.0}));
    const auto explained = prism::explainRun(state);
    EXPECT_TRUE(hasTitle(explained, "Nothing beat the baseline"));
    EXPECT_FALSE(hasTitle(explained, "Every trial scored the same"));
}

TEST(RunStateEvents, StopReasons)
{
    struct Case {
        const char *reason;
        RunStatus status;
        const char *title;
    };
    for (const Case &c :
         {Case{"cancelled", RunStatus::Cancelled, "Cancelled"},
          Case{"budget: 60 calls reached", RunStatus::Finished, "Stopped by a budget"},
          Case{"error: the baseline program failed on the validation set", RunStatus::Failed, "The run failed"}}) {
        RunState state;
        (void)state.apply(finishedRun(c.reason, {}, {50.0, 70.0}));
        EXPECT_TRUE(state.finished()) << c.reason;
        EXPECT_EQ(state.stopReason().text(), c.reason);
        EXPECT_EQ(state.status(), c.status) << c.reason;
        EXPECT_TRUE(hasTitle(prism::explainRun(state), c.title)) << c.reason;
        EXPECT_EQ(state.progress().value_or(0.0), 1.0);
    }
    // A completed run that improved has nothing to explain.
    RunState improved;
    auto events = finishedRun("completed", {}, {50.0, 70.0});
    events.insert(events.end() - 1, event(100, BestUpdatedEvent{2, {{"p", 1, std::nullopt}}, "p:i1", 70.0}));
    events.back().seq = 101;
    (void)improved.apply(events);
    EXPECT_TRUE(prism::explainRun(improved).empty());
}

TEST(RunStateEvents, TenThousandTrialsInBatches)
{
    RunState state;
    (void)state.apply({event(1, InstructionProposedEvent{"p", 0, "a", std::nullopt}),
                       event(2, InstructionProposedEvent{"p", 1, "b", "t"})});
    std::uint64_t seq = 2;
    std::size_t expectedFirst = 0;
    for (int b = 0; b < 50; ++b) {
        std::vector<RunEvent> batch;
        for (int k = 0; k < 200; ++k) {
            const int trial = b * 200 + k + 1;
            batch.push_back(event(++seq, trialFinished(trial, "minibatch", {{"p", trial % 2, trial % 3}}, "k",
                                                       static_cast<double>(trial % 100))));
        }
        const auto changes = state.apply(batch);
        EXPECT_EQ(changes.firstNewTrial, expectedFirst);
        expectedFirst += 200;
    }
    EXPECT_EQ(state.trials().size(), 10000u);
    EXPECT_EQ(state.minibatchTrialCount(), 10000);
    EXPECT_EQ(state.candidates()[0].timesTried + state.candidates()[1].timesTried, 10000);
    const auto heat = state.heatmap("p");
    EXPECT_EQ(heat.instructions, 2);
    EXPECT_EQ(heat.demoSets, 3);
    EXPECT_EQ(state.trialIndex(7777), 7776);
    ASSERT_FALSE(state.bestMinibatch().empty());
    EXPECT_DOUBLE_EQ(state.bestMinibatch().back().score, 99.0);
}

TEST(RunStateFormat, Durations)
{
    EXPECT_EQ(prism::formatDuration(0), "0:00");
    EXPECT_EQ(prism::formatDuration(65), "1:05");
    EXPECT_EQ(prism::formatDuration(3723), "1:02:03");
}

// GEPA: candidates from the proposals, the metric-call budget, and the
// frontier's columns when the study has no validation split (val_size 0:
// GEPA scores the half of the trainset it split off).
TEST(RunStateGepa, CandidatesBudgetAndFrontierWithoutAValidationSplit)
{
    RunState state;
    std::uint64_t seq = 0;
    RunStartedEvent started;
    started.optimizer = "gepa";
    started.trainSize = 30;
    state.apply(event(++seq, started));
    const auto full = [&](int trial, const std::string &key, std::vector<std::optional<double>> scores) {
        auto t = trialFinished(trial, "full", {{"classify", trial - 1, {}}}, key, 50.0);
        for (std::size_t e = 0; e < scores.size(); ++e)
            t.results.emplace_back(e, scores[e]);
        return event(++seq, t);
    };
    state.apply(full(1, "classify:i0", {1.0, 0.0, 0.5}));
    CandidateProposedEvent proposed;
    proposed.iteration = 1;
    proposed.kind = "reflection";
    proposed.parents = {0};
    proposed.candidate = 1;
    proposed.accepted = true;
    proposed.trial = 2;
    proposed.configKey = "classify:i1";
    proposed.proposals.push_back({"classify", {}, "Use spam.", 1, std::nullopt});
    proposed.metricCalls = 9;
    proposed.maxMetricCalls = 40;
    const auto changes = state.apply(event(++seq, proposed));
    EXPECT_TRUE(changes.has(RunState::ProposalsAdded));
    state.apply(full(2, "classify:i1", {0.0, 1.0, std::nullopt}));

    ASSERT_EQ(state.gepaCandidates().size(), 2u);
    EXPECT_EQ(state.gepaCandidates()[1].parents, std::vector<int>{0});
    EXPECT_EQ(state.gepaCandidates()[1].mutated, std::vector<std::string>{"classify"});
    EXPECT_EQ(state.metricCallBudget(), std::make_optional(std::make_pair(9LL, 40LL)));
    const auto scores = state.frontierScores();
    ASSERT_EQ(scores.size(), 2u);
    ASSERT_EQ(scores[0].size(), 3u);
    EXPECT_EQ(scores[0][2], std::optional<double>(0.5));
    EXPECT_EQ(scores[1][1], std::optional<double>(1.0));
    EXPECT_EQ(scores[1][2], std::nullopt);
}

TEST(RunStateProgress, AScreenedTrialsExtensionAndFullEvaluationAreOneSearchTrial)
{
    // MIPROv2 without minibatches: the baseline, a first batch of full
    // evaluations (asks 1-2), then ask 3 screened, its screen extended and
    // evaluated fully, and ask 4 screened out. 4 search trials, not 7.
    const std::vector<ConfigChoice> config = {{"classify", 1, 1}};
    std::vector<RunEvent> events;
    std::uint64_t seq = 1;
    auto finish = [&](int trial, const std::string &kind, std::optional<int> ask) {
        TrialFinishedEvent t = trialFinished(trial, kind, config, "classify:i1.d1", 40.0);
        t.searchTrial = ask;
        events.push_back(event(seq++, t));
    };
    finish(1, "full", std::nullopt);
    finish(2, "full", 1);
    finish(3, "full", 2);
    finish(4, "minibatch", 3);
    finish(5, "minibatch", 4);
    finish(6, "minibatch", std::nullopt);
    finish(7, "full", std::nullopt);
    RunState state;
    state.apply(events);
    EXPECT_EQ(state.trials().size(), 7u);
    EXPECT_EQ(state.searchTrialsDone(), 4);
    EXPECT_FALSE(state.minibatchMode()) << "every ask is a full evaluation, the later ones screened first";
}
