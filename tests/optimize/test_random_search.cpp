// BootstrapFewShotWithRandomSearch: the candidate set, the winner, stop_at_score,
// threads, the budget, the settings' errors and the calls it saves.
#include "fixture.h"

#include "optimize/bootstrap_fewshot.h"
#include "optimize/labeled_fewshot.h"
#include "optimize/presets.h"
#include "optimize/random_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>

using namespace prism;
using namespace prism::test;

namespace {

struct SearchRun {
    Result<OptimizeResult> result = Error::make(ErrorKind::Internal, "not run");
    std::string transcript;
    std::vector<Json> finished;           // trial_finished payloads
    std::vector<Json> best;               // best_updated payloads
    std::map<std::size_t, Json> demoSets; // candidate index -> demos of the first predictor
    long long bootstrapCalls = 0;
    long long evaluationCalls = 0;
};

// Moderation's first 20 rows train, the other 10 validate.
struct Split {
    std::vector<Example> train;
    std::vector<Example> val;
};
Split moderationSplit(const Sample &s)
{
    const auto &rows = s.data.train.examples;
    return {std::vector<Example>(rows.begin(), rows.begin() + 20), std::vector<Example>(rows.begin() + 20, rows.end())};
}

RandomSearchSettings defaults(int candidates)
{
    RandomSearchSettings settings;
    settings.bootstrap.maxBootstrappedDemos = 4;
    settings.bootstrap.maxLabeledDemos = 4;
    settings.numCandidatePrograms = candidates;
    return settings;
}

SearchRun runSearch(const Sample &s, const RandomSearchSettings &settings, const std::vector<Example> &train,
                    const std::vector<Example> &val, int threads, RecordingLm *lmIn = nullptr)
{
    RecordingLm own(*s.lm);
    RecordingLm &lm = lmIn ? *lmIn : own;
    EventRecorder events;
    OptimizeContext ctx = contextFor(s, lm, &events, threads);
    SearchRun run;
    run.result = BootstrapFewShotWithRandomSearch(settings).compile(s.study.program, train, val, ctx);
    run.transcript = events.transcript();
    run.finished = events.of(EventType::TrialFinished);
    run.best = events.of(EventType::BestUpdated);
    for (const Json &set : events.of(EventType::DemoSetReady))
        if (set["predictor"] == s.study.program.predictors[0].name)
            run.demoSets[set["index"].get<std::size_t>()] = set["demos"];
    run.bootstrapCalls = lm.calls("bootstrap");
    run.evaluationCalls = lm.calls("evaluation");
    return run;
}

Json demosJson(const Program &program)
{
    return toJson(program)["predictors"][0]["demos"];
}

} // namespace

TEST(RandomSearch, CandidatesAreZeroShotLabeledUnshuffledThenSeededShuffles)
{
    RandomSearchSettings settings = defaults(16);
    const auto candidates = randomSearchCandidates(settings, 30);
    ASSERT_EQ(candidates.size(), 19u);
    EXPECT_EQ(candidates[0].kind, "zero-shot");
    EXPECT_EQ(candidates[0].seed, -3);
    EXPECT_EQ(candidates[1].kind, "labeled");
    EXPECT_EQ(candidates[2].kind, "unshuffled");
    EXPECT_EQ(candidates[2].quota, 4);
    for (std::size_t i = 0; i < 30; ++i)
        EXPECT_EQ(candidates[2].order[i], i);
    std::set<int> sizes;
    std::set<std::vector<std::size_t>> orders;
    for (std::size_t k = 3; k < candidates.size(); ++k) {
        const SearchCandidate &c = candidates[k];
        EXPECT_EQ(c.kind, "shuffled");
        EXPECT_EQ(c.seed, static_cast<int>(k) - 3);
        EXPECT_GE(c.quota, 1);
        EXPECT_LE(c.quota, 4);
        sizes.insert(c.quota);
        std::vector<std::size_t> sorted = c.order;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t i = 0; i < sorted.size(); ++i)
            ASSERT_EQ(sorted[i], i) << "candidate " << k << " tries every row once";
        orders.insert(c.order);
    }
    EXPECT_GT(sizes.size(), 1u) << "sizes are drawn, not fixed";
    EXPECT_EQ(orders.size(), 16u) << "every seed shuffles its own way";

    const auto again = randomSearchCandidates(settings, 30);
    for (std::size_t k = 0; k < candidates.size(); ++k) {
        EXPECT_EQ(again[k].order, candidates[k].order);
        EXPECT_EQ(again[k].quota, candidates[k].quota);
    }
    settings.bootstrap.seed = 7;
    EXPECT_NE(randomSearchCandidates(settings, 30)[3].order, candidates[3].order) << "the run's seed matters";

    settings.bootstrap.maxBootstrappedDemos = 0;
    for (const SearchCandidate &c : randomSearchCandidates(settings, 30))
        EXPECT_EQ(c.quota, 0) << "no bootstrapped demos: labeled sets of their own, not DSPy's randint(1, 0) crash";
    settings.numCandidatePrograms = 0;
    EXPECT_EQ(randomSearchCandidates(settings, 30).size(), 3u);
}

TEST(RandomSearch, FixedCandidatesAreTheStudentLabeledFewShotAndBootstrapFewShot)
{
    Sample s = loadSample("moderation");
    const Split split = moderationSplit(s);
    const SearchRun run = runSearch(s, defaults(0), split.train, split.val, 4);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    ASSERT_EQ(run.demoSets.size(), 3u);
    EXPECT_TRUE(run.demoSets.at(0).empty());

    RecordingLm lm(*s.lm);
    OptimizeContext ctx = contextFor(s, lm, nullptr, 4);
    auto labeled = LabeledFewShot(4, 0).compile(s.study.program, split.train, {}, ctx);
    ASSERT_TRUE(labeled.ok());
    EXPECT_EQ(run.demoSets.at(1), demosJson(labeled->program));
    BootstrapSettings b;
    b.maxBootstrappedDemos = 4;
    b.maxLabeledDemos = 4;
    auto bootstrap = BootstrapFewShot(b).compile(s.study.program, split.train, {}, ctx);
    ASSERT_TRUE(bootstrap.ok());
    EXPECT_EQ(run.demoSets.at(2), demosJson(bootstrap->program));
}

TEST(RandomSearch, TheBestValidationScoreWinsAndTiesGoToTheEarliest)
{
    Sample s = loadSample("moderation");
    const Split split = moderationSplit(s);
    const SearchRun run = runSearch(s, defaults(8), split.train, split.val, 8);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    const OptimizeResult &r = *run.result;
    ASSERT_EQ(run.finished.size(), 11u);
    std::optional<double> best;
    int bestTrial = 0;
    std::vector<double> scores;
    for (const Json &f : run.finished) {
        EXPECT_EQ(f["examples"], split.val.size()) << "every candidate scores the whole valset";
        const double score = f["score"].get<double>();
        scores.push_back(score);
        if (!best || score > *best) {
            best = score;
            bestTrial = f["trial"].get<int>();
        }
    }
    ASSERT_TRUE(r.bestScore);
    EXPECT_EQ(*r.bestScore, *best);
    EXPECT_EQ(*r.baselineScore, scores[0]) << "the zero-shot candidate is the baseline";
    ASSERT_FALSE(run.best.empty());
    EXPECT_EQ(run.best.back()["trial"], bestTrial) << "the earliest of the best";
    EXPECT_EQ(demosJson(r.program), run.demoSets.at(static_cast<std::size_t>(bestTrial - 1)));
    EXPECT_EQ(r.stats.trials, 11);
    EXPECT_GE(std::count(scores.begin(), scores.end(), *best), 2) << "a tie for the best, so the rule is exercised";
}

TEST(RandomSearch, StopAtScoreEndsTheSearchAtTheFirstCandidateReachingIt)
{
    Sample s = loadSample("moderation");
    const Split split = moderationSplit(s);
    const SearchRun full = runSearch(s, defaults(8), split.train, split.val, 4);
    ASSERT_TRUE(full.result.ok());
    std::vector<double> scores;
    for (const Json &f : full.finished)
        scores.push_back(f["score"].get<double>());
    // Stop at the best score after the baseline: the search ends at its first candidate.
    const double target = *std::max_element(scores.begin() + 1, scores.end());
    const auto first = static_cast<std::size_t>(
        std::find_if(scores.begin(), scores.end(), [&](double x) { return x >= target; }) - scores.begin());
    ASSERT_LT(first + 1, scores.size()) << "a target some later candidate would also reach";

    RandomSearchSettings settings = defaults(8);
    settings.stopAtScore = target;
    const SearchRun stopped = runSearch(s, settings, split.train, split.val, 4);
    ASSERT_TRUE(stopped.result.ok());
    EXPECT_EQ(stopped.finished.size(), first + 1);
    EXPECT_EQ(*stopped.result->bestScore, scores[first]);
    EXPECT_TRUE(stopped.result->stopReason.is(StopReason::Kind::Completed));
    EXPECT_LT(stopped.evaluationCalls + stopped.bootstrapCalls, full.evaluationCalls + full.bootstrapCalls);

    settings.stopAtScore = 0.0; // the zero-shot candidate reaches it: no bootstrap at all
    const SearchRun atOnce = runSearch(s, settings, split.train, split.val, 4);
    ASSERT_TRUE(atOnce.result.ok());
    EXPECT_EQ(atOnce.finished.size(), 1u);
    EXPECT_EQ(atOnce.bootstrapCalls, 0);
    EXPECT_EQ(atOnce.evaluationCalls, static_cast<long long>(split.val.size()));
}

TEST(RandomSearch, SameArtifactAndEventsWithOneOrEightThreads)
{
    Sample s = loadSample("math");
    RandomSearchSettings settings = defaults(6);
    settings.bootstrap.maxRounds = 2;
    const SearchRun one = runSearch(s, settings, s.data.train.examples, s.data.val.examples, 1);
    const SearchRun eight = runSearch(s, settings, s.data.train.examples, s.data.val.examples, 8);
    ASSERT_TRUE(one.result.ok() && eight.result.ok());
    EXPECT_EQ(one.result->program, eight.result->program);
    EXPECT_EQ(one.result->bestScore, eight.result->bestScore);
    EXPECT_EQ(one.transcript, eight.transcript);
    EXPECT_EQ(one.bootstrapCalls, eight.bootstrapCalls);
    EXPECT_EQ(one.evaluationCalls, eight.evaluationCalls);
}

TEST(RandomSearch, ATraceOrAScoreIsPaidForOnceAcrossCandidates)
{
    Sample s = loadSample("moderation");
    const Split split = moderationSplit(s);
    const SearchRun run = runSearch(s, defaults(16), split.train, split.val, 8);
    ASSERT_TRUE(run.result.ok());
    // 17 bootstraps share one teacher: each row is traced at most once (one round).
    EXPECT_LE(run.bootstrapCalls, static_cast<long long>(split.train.size()));
    std::set<std::string> distinct;
    for (const auto &[index, demos] : run.demoSets)
        distinct.insert(demos.dump());
    // Equal candidates share their scores: one pass over the valset per distinct program.
    EXPECT_EQ(run.evaluationCalls, static_cast<long long>(distinct.size() * split.val.size()));
    EXPECT_EQ(run.result->stats.callsByRole.at("evaluation").calls, run.evaluationCalls);
    EXPECT_EQ(run.result->stats.callsByRole.at("bootstrap").calls, run.bootstrapCalls);
}

TEST(RandomSearch, WithoutAValsetItScoresOnTheTrainsetAsDspyDoes)
{
    Sample s = loadSample("moderation");
    const SearchRun run = runSearch(s, defaults(2), s.data.train.examples, {}, 4);
    ASSERT_TRUE(run.result.ok());
    ASSERT_EQ(run.finished.size(), 5u);
    for (const Json &f : run.finished)
        EXPECT_EQ(f["examples"], s.data.train.examples.size());
}

TEST(RandomSearch, ABudgetStopsCleanlyKeepingTheBestSoFar)
{
    Sample s = loadSample("moderation");
    const Split split = moderationSplit(s);
    RecordingLm lm(*s.lm);
    std::atomic<int> calls{0};
    // 20 calls score the zero-shot and labeled candidates; the budget ends during bootstrapping.
    lm.failWhen = [&](const ChatRequest &) -> std::optional<Error> {
        if (++calls > 25)
            return Error::make(ErrorKind::Budget, "budget: 25 calls reached");
        return std::nullopt;
    };
    const SearchRun run = runSearch(s, defaults(8), split.train, split.val, 1, &lm);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    const OptimizeResult &r = *run.result;
    EXPECT_TRUE(r.stopReason.is(StopReason::Kind::Budget));
    EXPECT_EQ(r.stopReason.text(), "budget: 25 calls reached");
    ASSERT_EQ(run.finished.size(), 2u);
    ASSERT_TRUE(r.bestScore);
    const double zeroShot = run.finished[0]["score"].get<double>();
    const double labeled = run.finished[1]["score"].get<double>();
    EXPECT_EQ(*r.bestScore, std::max(zeroShot, labeled));
    EXPECT_EQ(demosJson(r.program), run.demoSets.at(labeled > zeroShot ? 1 : 0));
}

TEST(RandomSearch, SettingsErrorsNameTheKnob)
{
    OptimizerConfig c;
    c.name = "random_search";
    c.numCandidates = -1;
    auto bad = validateOptimizerSettings(c, 1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::Config);
    EXPECT_EQ(bad.error().message.rfind("optimizer.num_candidates is -1", 0), 0u) << bad.error().message;
    c.numCandidates = 0;
    EXPECT_TRUE(validateOptimizerSettings(c, 1)) << "0: the three fixed candidates only";
    c.stopAtScore = 150.0;
    bad = validateOptimizerSettings(c, 1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.rfind("optimizer.stop_at_score is 150", 0), 0u) << bad.error().message;
    c.stopAtScore.reset();
    c.maxRounds = 0;
    bad = validateOptimizerSettings(c, 1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.rfind("optimizer.max_rounds is 0", 0), 0u) << bad.error().message;

    RandomSearchSettings settings = defaults(-2);
    Sample s = loadSample("moderation");
    RecordingLm lm(*s.lm);
    OptimizeContext ctx = contextFor(s, lm, nullptr, 1);
    auto compiled = BootstrapFewShotWithRandomSearch(settings).compile(s.study.program, s.data.train.examples, {}, ctx);
    ASSERT_FALSE(compiled);
    EXPECT_NE(compiled.error().message.find("num_candidates (num_candidate_programs) is -2"), std::string::npos);
    EXPECT_EQ(lm.total(), 0);

    // The study file: 0 candidates is for random_search only; stop_at_score is a percent.
    auto load = [&](const std::string &name, const Json &knobs) {
        Json j = Json::parse(studyToJsonText(s.study));
        j["optimizer"]["name"] = name;
        j["optimizer"]["auto"] = nullptr;
        j["optimizer"]["num_trials"] = 3;
        for (const auto &[key, value] : knobs.items())
            j["optimizer"][key] = value;
        return studyFromJsonText(j.dump(), "s.prism.json");
    };
    auto zeroMipro = load("miprov2", Json{{"num_candidates", 0}});
    ASSERT_FALSE(zeroMipro);
    EXPECT_NE(zeroMipro.error().message.find("optimizer.num_candidates"), std::string::npos)
        << zeroMipro.error().message;
    auto zeroSearch = load("random_search", Json{{"num_candidates", 0}});
    ASSERT_TRUE(zeroSearch) << zeroSearch.error().message;
    EXPECT_EQ(zeroSearch->optimizer.numCandidates, std::optional<int>(0));
    auto badStop = load("random_search", Json{{"stop_at_score", -1}});
    ASSERT_FALSE(badStop);
    EXPECT_NE(badStop.error().message.find("optimizer.stop_at_score"), std::string::npos) << badStop.error().message;
}

TEST(RandomSearch, TheStudyKnobsReachTheOptimizerAndRoundTrip)
{
    Sample s = loadSample("moderation");
    Study study = s.study;
    study.optimizer.name = "random_search";
    study.optimizer.numCandidates = 5;
    study.optimizer.stopAtScore = 90.0;
    auto reloaded = studyFromJsonText(studyToJsonText(study), "s.prism.json");
    ASSERT_TRUE(reloaded) << reloaded.error().message;
    EXPECT_EQ(reloaded->optimizer.numCandidates, std::optional<int>(5));
    EXPECT_EQ(reloaded->optimizer.stopAtScore, std::optional<double>(90.0));
    auto optimizer = createOptimizer(reloaded->optimizer);
    ASSERT_TRUE(optimizer);
    EXPECT_STREQ(optimizer.value()->name(), "random_search");
}
