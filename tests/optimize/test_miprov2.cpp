// MIPROv2 on the samples with SimLm in-process, its presets, the memo, the
// shrinkage ranking and the trial runner.
#include "fixture.h"

#include "optimize/miprov2.h"
#include "optimize/presets.h"
#include "optimize/scoring.h"

#include <gtest/gtest.h>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>

using namespace prism;
using namespace prism::test;

namespace {

struct MiproRunResult {
    Result<OptimizeResult> result = Error::make(ErrorKind::Internal, "not run");
    std::string transcript;
    std::vector<RecordedEvent> events;
    std::vector<std::pair<std::string, std::size_t>> exampleCallbacks;
};

MiproRunResult runMipro(const Sample &s, const OptimizerConfig &config, Lm &lm, int threads = 8,
                        const std::atomic<bool> *cancel = nullptr, const Metric *metric = nullptr,
                        MiproOptions options = {})
{
    EventRecorder events;
    OptimizeContext ctx = contextFor(s, lm, &events, threads);
    ctx.cancel = cancel;
    if (metric)
        ctx.metric = metric;
    MiproRunResult out;
    ctx.onExampleResult = [&out](const std::string &key, const ExampleResult &r) {
        out.exampleCallbacks.emplace_back(key, r.index);
    };
    MiproV2 mipro(config, options);
    out.result = mipro.compile(s.study.program, s.data.train.examples, s.data.val.examples, ctx);
    out.transcript = events.transcript();
    out.events = events.events();
    return out;
}

std::vector<Json> eventsOf(const MiproRunResult &run, EventType type)
{
    std::vector<Json> out;
    for (const auto &e : run.events)
        if (e.type == type)
            out.push_back(e.payload);
    return out;
}

bool hasNote(const OptimizeResult &r, const std::string &start)
{
    return std::any_of(r.stats.notes.begin(), r.stats.notes.end(),
                       [&](const std::string &n) { return n.rfind(start, 0) == 0; });
}

// A small manual run with minibatches: 25 validation examples (math/qa),
// batches of 4 trials on 5 examples, a full evaluation every 4 trials.
OptimizerConfig minibatchConfig(const Sample &s)
{
    OptimizerConfig c = s.study.optimizer;
    c.autoMode.clear();
    c.numCandidates = 4;
    c.numTrials = 8;
    c.minibatch = true;
    c.minibatchSize = 5;
    c.minibatchFullEvalSteps = 4;
    return c;
}

class ConstantMetric final : public Metric {
public:
    Result<MetricResult> score(const Example &, const Prediction &) const override
    {
        return MetricResult{1.0, "always"};
    }
    std::string describe() const override { return "constant"; }
};

} // namespace

// ---- presets ------------------------------------------------------------

TEST(MiproPresets, TrialFormulaMatchesDspysTable)
{
    EXPECT_EQ(autoNumTrials(6, 1, false), 10);
    EXPECT_EQ(autoNumTrials(6, 2, false), 20);
    EXPECT_EQ(autoNumTrials(6, 3, false), 31);
    EXPECT_EQ(autoNumTrials(6, 5, false), 51);
    EXPECT_EQ(autoNumTrials(12, 1, false), 18);
    EXPECT_EQ(autoNumTrials(18, 1, false), 27);
    EXPECT_EQ(autoNumTrials(18, 5, false), 83);
    EXPECT_EQ(autoNumTrials(6, 1, true), 9);
    EXPECT_EQ(autoNumTrials(6, 3, true), 15);
    EXPECT_EQ(autoNumTrials(18, 5, true), 41);
}

TEST(MiproPresets, AutoAndManualSettings)
{
    OptimizerConfig c;
    auto light = resolveMiproSettings(c, 1);
    ASSERT_TRUE(light.ok());
    EXPECT_EQ(light->numTrials, 10);
    EXPECT_EQ(light->numFewshotCandidates, 6);
    EXPECT_EQ(light->numInstructCandidates, 3);
    EXPECT_EQ(light->valSize, 100);

    OptimizerConfig zero = c;
    zero.maxBootstrappedDemos = 0;
    zero.maxLabeledDemos = 0;
    auto z = resolveMiproSettings(zero, 1);
    ASSERT_TRUE(z.ok());
    EXPECT_TRUE(z->zeroShot);
    EXPECT_EQ(z->numFewshotCandidates, 0);
    EXPECT_EQ(z->numInstructCandidates, 6);
    EXPECT_EQ(z->numTrials, 9);

    OptimizerConfig both = c;
    both.numTrials = 5;
    EXPECT_FALSE(resolveMiproSettings(both, 1).ok());
    OptimizerConfig bad = c;
    bad.autoMode = "extreme";
    auto badAuto = resolveMiproSettings(bad, 1);
    ASSERT_FALSE(badAuto.ok());
    EXPECT_NE(badAuto.error().message.find("extreme"), std::string::npos);
    OptimizerConfig manual = c;
    manual.autoMode.clear();
    manual.numCandidates = 6;
    auto missing = resolveMiproSettings(manual, 1);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("about 10"), std::string::npos) << missing.error().message;
    manual.numTrials = 7;
    auto ok = resolveMiproSettings(manual, 2);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->numTrials, 7);
    EXPECT_EQ(ok->numInstructCandidates, 6);
    EXPECT_FALSE(ok->valSize.has_value());
    EXPECT_FALSE(createOptimizer(bad).ok());
    OptimizerConfig unknown = c;
    unknown.name = "simba";
    EXPECT_FALSE(createOptimizer(unknown).ok());
    EXPECT_STREQ(createOptimizer(c).value()->name(), "miprov2");
}

// ---- ranking and memo ---------------------------------------------------

TEST(MiproRanking, ALuckyConfigSeenOnceDoesNotOutrankAWellMeasuredOne)
{
    // A: one minibatch of 5, all correct (raw mean 1.0). B: 100 examples at 0.9.
    const std::vector<RankCandidate> candidates = {{5.0, 5}, {90.0, 100}};
    const double prior = 0.5;
    EXPECT_EQ(pickByShrinkage(candidates, prior), 1);
    EXPECT_NEAR(shrinkageEstimate(candidates[0], prior), (5.0 + 10 * 0.5) / 15.0, 1e-12);
    EXPECT_NEAR(shrinkageEstimate(candidates[1], prior), (90.0 + 10 * 0.5) / 110.0, 1e-12);
    // With the same evidence the raw mean decides, and ties go to the earliest.
    EXPECT_EQ(pickByShrinkage({{4.0, 5}, {5.0, 5}}, prior), 1);
    EXPECT_EQ(pickByShrinkage({{5.0, 5}, {5.0, 5}}, prior), 0);
    EXPECT_EQ(pickByShrinkage({}, prior), -1);
}

TEST(TrialRunner, APairIsScoredOnceAndReusedByLaterTrials)
{
    Sample s = loadSample("moderation");
    RecordingLm lm(*s.lm);
    EventRecorder events;
    OptimizeContext ctx = contextFor(s, lm, &events, 4);
    std::vector<std::pair<std::string, std::size_t>> callbacks;
    ctx.onExampleResult = [&](const std::string &key, const ExampleResult &r) { callbacks.emplace_back(key, r.index); };
    const std::vector<Example> &val = s.data.train.examples;
    CallOptions call;
    call.role = "evaluation";
    TrialRunner runner(val, lm, *s.adapter, *s.metric, ctx, call);
    auto spec = [&](int number, const std::string &key, std::vector<std::size_t> examples) {
        TrialSpec t;
        t.number = number;
        t.kind = "minibatch";
        t.config = {ConfigChoice{"classify", number, 0}};
        t.configKey = key;
        t.program = s.study.program;
        t.examples = std::move(examples);
        return t;
    };
    auto first = runner.run({spec(1, "a", {0, 1, 2, 3, 4})});
    EXPECT_EQ(first[0].newCalls, 5);
    EXPECT_EQ(lm.calls("evaluation"), 5);
    // Two trials in one batch share examples 3 and 4 with the memo and 5 with each other.
    auto second = runner.run({spec(2, "a", {3, 4, 5}), spec(3, "b", {4, 5, 6})});
    EXPECT_EQ(second[0].newCalls, 1);
    EXPECT_EQ(second[0].memoHits, 2);
    EXPECT_EQ(second[1].newCalls, 1);
    EXPECT_EQ(second[1].memoHits, 2);
    EXPECT_EQ(lm.calls("evaluation"), 7) << "the same program under two keys shares its scores";
    auto repeat = runner.run({spec(4, "a", {0, 1, 2, 3, 4, 5, 6})});
    EXPECT_EQ(repeat[0].newCalls, 0);
    EXPECT_EQ(repeat[0].memoHits, 7);
    EXPECT_EQ(lm.calls("evaluation"), 7);
    EXPECT_EQ(runner.tally(programFingerprint(s.study.program)).scored, 7);
    // Every (config key, example) pair reaches the run store once.
    std::set<std::pair<std::string, std::size_t>> unique(callbacks.begin(), callbacks.end());
    EXPECT_EQ(unique.size(), callbacks.size());
    EXPECT_EQ(callbacks.size(), 7u + 3u) << "a: 0-6, b: 4-6";
    // The events say it too.
    const auto finished = events.of(EventType::TrialFinished);
    ASSERT_EQ(finished.size(), 4u);
    EXPECT_EQ(finished[3]["new_calls"], 0);
    EXPECT_EQ(finished[3]["memo_hits"], 7);
}

// ---- MIPROv2 light on moderation -----------------------------------------

TEST(MiproV2, LightRunOnModerationCostsFarFewerCallsThanDspy)
{
    Sample s = loadSample("moderation");
    RecordingLm lm(*s.lm);
    const MiproRunResult run = runMipro(s, s.study.optimizer, lm);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    const OptimizeResult &r = *run.result;
    EXPECT_EQ(r.stopReason, StopReason::completed());

    // 30 training snippets, no valset: 15 train / 15 val. |val| <= 50: no
    // minibatch. The baseline and the first batch of 4 are full evaluations;
    // every later trial is screened on 5 of the 15 examples (a third) and
    // goes on to a full evaluation only if it can still beat the best.
    const auto started = eventsOf(run, EventType::TrialStarted);
    const auto finished = eventsOf(run, EventType::TrialFinished);
    ASSERT_EQ(finished.size(), started.size());
    ASSERT_GE(started.size(), 11u);
    EXPECT_EQ(started[0]["trial"], 1);
    EXPECT_EQ(started[0]["config_key"], "classify:i0.d0");
    for (std::size_t t = 0; t < 5; ++t) {
        EXPECT_EQ(started[t]["kind"], "full") << t;
        EXPECT_EQ(started[t]["examples"], 15) << t;
    }
    std::set<std::string> asked;
    std::set<std::string> fullyEvaluated;
    int screened = 0;
    for (const Json &f : finished) {
        const std::string key = f["config_key"].get<std::string>();
        if (f["kind"] == "full") {
            EXPECT_EQ(f["examples"], 15);
            fullyEvaluated.insert(key);
            if (f["trial"].get<int>() <= 5)
                asked.insert(key);
            continue;
        }
        // A screen is a third of the valset; a config tied with the best on
        // all of it is screened again on 5 more (10 of 15).
        if (asked.count(key)) {
            EXPECT_EQ(f["examples"], 10) << "an extended screen";
            EXPECT_EQ(f["memo_hits"], 5);
        } else {
            EXPECT_EQ(f["examples"], 5) << "a screen is a third of the valset";
        }
        asked.insert(key);
        ++screened;
    }
    EXPECT_EQ(asked.size(), 11u) << "the baseline and 10 trials, TPE proposing unseen configs";
    EXPECT_EQ(r.stats.fullEvals, static_cast<int>(fullyEvaluated.size()));
    EXPECT_EQ(static_cast<int>(asked.size() - fullyEvaluated.size()) > 0, hasNote(r, "screening: "));

    // Screens are made of the examples where full evaluations disagreed: the
    // best config (40%) and the baseline (36.67%) differ on one example only,
    // and every screen holds it.
    const auto fulls = eventsOf(run, EventType::FullEvalFinished);
    ASSERT_GE(fulls.size(), 2u);
    std::vector<std::size_t> disagreements;
    const Json &baselineResults = finished[0]["results"];
    for (std::size_t t = 1; t < 5; ++t)
        for (std::size_t i = 0; i < 15; ++i)
            if (finished[t]["results"][i][1] != baselineResults[i][1]
                && std::find(disagreements.begin(), disagreements.end(), i) == disagreements.end())
                disagreements.push_back(i);
    ASSERT_FALSE(disagreements.empty());
    ASSERT_LE(disagreements.size(), 5u);
    for (const Json &f : finished) {
        if (f["kind"] != "minibatch")
            continue;
        std::set<std::size_t> screen;
        for (const Json &pair : f["results"])
            screen.insert(pair[0].get<std::size_t>());
        for (const std::size_t i : disagreements)
            EXPECT_TRUE(screen.count(i)) << "trial " << f["trial"] << " was not screened on example " << i;
    }

    // Candidate 0 is the original instruction, at no cost; descriptions once.
    const auto proposed = eventsOf(run, EventType::InstructionProposed);
    ASSERT_EQ(proposed.size(), 3u);
    EXPECT_EQ(proposed[0]["index"], 0);
    EXPECT_EQ(proposed[0]["text"], s.study.program.predictors[0].signature.instruction);
    EXPECT_EQ(lm.proposerCalls("proposed_instruction"), 2);
    EXPECT_EQ(lm.proposerCalls("program_description"), 1);
    EXPECT_EQ(lm.proposerCalls("module_description"), 1);
    // Dataset summary over 15 training examples in batches of 10: 2 descriptor calls + the summarizer.
    EXPECT_EQ(lm.proposerCalls("observations"), 2);
    EXPECT_EQ(lm.proposerCalls("summary"), 1);
    EXPECT_EQ(lm.calls("proposer"), 7) << "DSPy: 14";

    // Task calls: a full evaluation costs 15, a screen 5 (its extension and a
    // promoted config's full evaluation pay only the examples not seen yet);
    // bootstrapping traces each training example at most once. DSPy pays 277
    // task calls for this run: Prism at most half.
    EXPECT_EQ(lm.calls("evaluation"), 5 * 15 + 10 * static_cast<long long>(fullyEvaluated.size() - 5) + 5 * screened);
    std::set<std::string> traced;
    for (const ChatRequest &q : lm.requests())
        if (q.role == "bootstrap")
            traced.insert(q.messages.back().content);
    EXPECT_EQ(static_cast<long long>(traced.size()), lm.calls("bootstrap"));
    EXPECT_LE(lm.calls("bootstrap"), 15);
    const long long task = lm.calls("evaluation") + lm.calls("bootstrap");
    EXPECT_LE(task, 277 / 2);
    EXPECT_EQ(task, 128) << "docs/MIPROV2.md: 115 evaluation + 13 bootstrap";
    EXPECT_EQ(r.stats.callsByRole.at("evaluation").calls, lm.calls("evaluation"));
    EXPECT_EQ(r.stats.callsByRole.at("bootstrap").calls, lm.calls("bootstrap"));
    EXPECT_EQ(r.stats.callsByRole.at("proposer").calls, lm.calls("proposer"));
    long long newCalls = 0;
    for (const Json &f : finished)
        newCalls += f["new_calls"].get<long long>();
    EXPECT_EQ(newCalls, lm.calls("evaluation"));
    EXPECT_EQ(static_cast<long long>(run.exampleCallbacks.size()), lm.calls("evaluation"));

    // The best program is the best full evaluation; the baseline wins ties.
    ASSERT_TRUE(r.baselineScore && r.bestScore);
    double best = -1;
    for (const Json &f : eventsOf(run, EventType::FullEvalFinished))
        best = std::max(best, f["score"].get<double>());
    EXPECT_EQ(*r.bestScore, best);
    const auto updates = eventsOf(run, EventType::BestUpdated);
    ASSERT_FALSE(updates.empty());
    EXPECT_EQ(updates.front()["trial"], 1);
    EXPECT_EQ(updates.back()["score"].get<double>(), *r.bestScore);
    if (*r.bestScore == *r.baselineScore) {
        EXPECT_EQ(r.program, s.study.program);
        EXPECT_TRUE(hasNote(r, "nothing beat the baseline"));
    }
}

TEST(MiproV2, ATeacherThatNeverSucceedsStopsBootstrappingAndAPerfectConfigEndsTheSearch)
{
    // Math: SimLm's teacher never answers a training problem fully right, and
    // the first batch of trials finds an instruction that solves every one.
    Sample s = loadSample("math");
    RecordingLm lm(*s.lm);
    const MiproRunResult run = runMipro(s, s.study.optimizer, lm);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    const OptimizeResult &r = *run.result;
    EXPECT_GT(lm.calls("bootstrap"), 0);
    EXPECT_LE(lm.calls("bootstrap"), 16 + 8) << "it stops at the chunk that reaches 16 traced examples";
    EXPECT_TRUE(hasNote(r, "no bootstrap trace scored fully correct on the first 16 training examples"));
    for (const Json &set : eventsOf(run, EventType::DemoSetReady))
        EXPECT_NE(set["kind"], "bootstrapped");
    // 100% cannot be beaten: the search stops after the batch that reached it.
    ASSERT_TRUE(r.bestScore);
    EXPECT_EQ(*r.bestScore, 100.0);
    EXPECT_TRUE(std::any_of(r.stats.notes.begin(), r.stats.notes.end(), [](const std::string &n) {
        return n.find("scored 100% on every validation example and no config can beat that, so the search stopped "
                      "after 4 of 10 trials")
               != std::string::npos;
    }));
    EXPECT_EQ(eventsOf(run, EventType::TrialStarted).size(), 5u);
    EXPECT_EQ(lm.calls("evaluation"), 5 * 25);
}

TEST(MiproV2, ParallelBatchesStartTogetherOnACommonMinibatchAndFullEvaluationsReuseTheMemo)
{
    // QA: no config reaches 100%, which would end the search early.
    Sample s = loadSample("qa");
    RecordingLm lm(*s.lm);
    const MiproRunResult run = runMipro(s, minibatchConfig(s), lm);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    // 1 baseline, 2-5 a batch, 6 full, 7-10 a batch, 11 full.
    std::vector<std::pair<std::string, int>> order;
    for (const auto &e : run.events)
        if (e.type == EventType::TrialStarted || e.type == EventType::TrialFinished)
            order.emplace_back(e.type == EventType::TrialStarted ? "start" : "finish", e.payload["trial"].get<int>());
    const std::vector<std::pair<std::string, int>> want = {
        {"start", 1},  {"finish", 1},  {"start", 2},  {"start", 3},  {"start", 4},  {"start", 5},
        {"finish", 2}, {"finish", 3},  {"finish", 4}, {"finish", 5}, {"start", 6},  {"finish", 6},
        {"start", 7},  {"start", 8},   {"start", 9},  {"start", 10}, {"finish", 7}, {"finish", 8},
        {"finish", 9}, {"finish", 10}, {"start", 11}, {"finish", 11}};
    EXPECT_EQ(order, want);
    const auto started = eventsOf(run, EventType::TrialStarted);
    EXPECT_EQ(started[1]["kind"], "minibatch");
    EXPECT_EQ(started[5]["kind"], "full");
    EXPECT_EQ(started[5]["examples"], 25);
    const auto finished = eventsOf(run, EventType::TrialFinished);
    auto examplesOf = [](const Json &f) {
        std::vector<std::size_t> idx;
        for (const Json &pair : f["results"])
            idx.push_back(pair[0].get<std::size_t>());
        return idx;
    };
    EXPECT_EQ(examplesOf(finished[1]).size(), 5u);
    EXPECT_EQ(examplesOf(finished[1]), examplesOf(finished[2])) << "common random numbers within a batch";
    EXPECT_EQ(examplesOf(finished[1]), examplesOf(finished[4]));
    EXPECT_NE(examplesOf(finished[1]), examplesOf(finished[6])) << "a fresh minibatch per batch";
    // The full evaluation reuses the minibatch scores of its config.
    EXPECT_GE(finished[5]["memo_hits"].get<int>(), 5);
    EXPECT_EQ(finished[5]["new_calls"].get<int>() + finished[5]["memo_hits"].get<int>(), 25);
    const auto fulls = eventsOf(run, EventType::FullEvalFinished);
    ASSERT_EQ(fulls.size(), 3u);
    EXPECT_TRUE(fulls[0]["rank_estimate"].is_null());
    EXPECT_TRUE(fulls[1]["rank_estimate"].is_number());
    EXPECT_NE(fulls[1]["config_key"], fulls[2]["config_key"]) << "a config is fully evaluated once";
    EXPECT_GT(run.result->stats.memoHits, 0);
    long long newCalls = 0;
    for (const Json &f : finished)
        newCalls += f["new_calls"].get<long long>();
    EXPECT_EQ(newCalls, lm.calls("evaluation"));
}

TEST(MiproV2, SameEventsAndProgramWithOneOrEightThreads)
{
    Sample s = loadSample("qa");
    RecordingLm a(*s.lm), b(*s.lm);
    const MiproRunResult one = runMipro(s, minibatchConfig(s), a, 1);
    const MiproRunResult eight = runMipro(s, minibatchConfig(s), b, 8);
    ASSERT_TRUE(one.result.ok() && eight.result.ok());
    EXPECT_EQ(one.transcript, eight.transcript);
    EXPECT_EQ(one.result->program, eight.result->program);
    EXPECT_EQ(one.result->stats.notes, eight.result->stats.notes);
    EXPECT_EQ(one.exampleCallbacks, eight.exampleCallbacks);
    EXPECT_EQ(a.total(), b.total());
}

TEST(MiproV2, ScreenedTrialsGiveTheSameEventsAndProgramWithOneOrEightThreads)
{
    // Moderation light: no minibatches, so trials are screened and ties extended,
    // and the dataset summary runs beside the bootstrapping.
    Sample s = loadSample("moderation");
    RecordingLm a(*s.lm), b(*s.lm);
    const MiproRunResult one = runMipro(s, s.study.optimizer, a, 1);
    const MiproRunResult eight = runMipro(s, s.study.optimizer, b, 8);
    ASSERT_TRUE(one.result.ok() && eight.result.ok());
    ASSERT_TRUE(hasNote(*one.result, "screening: "));
    EXPECT_EQ(one.transcript, eight.transcript);
    EXPECT_EQ(one.result->program, eight.result->program);
    EXPECT_EQ(one.result->stats.notes, eight.result->stats.notes);
    EXPECT_EQ(one.exampleCallbacks, eight.exampleCallbacks);
    EXPECT_EQ(a.total(), b.total());
}

TEST(MiproV2, SeedZeroIsASeed)
{
    Sample s = loadSample("moderation");
    OptimizerConfig zero = s.study.optimizer;
    zero.seed = 0;
    OptimizerConfig nine = zero;
    nine.seed = 9;
    RecordingLm a(*s.lm), b(*s.lm), c(*s.lm);
    const MiproRunResult first = runMipro(s, zero, a);
    const MiproRunResult again = runMipro(s, zero, b);
    const MiproRunResult other = runMipro(s, nine, c);
    ASSERT_TRUE(first.result.ok() && again.result.ok() && other.result.ok());
    EXPECT_EQ(first.transcript, again.transcript);
    EXPECT_NE(first.transcript, other.transcript);
}

TEST(MiproV2, ZeroShotModeSearchesInstructionsOnlyWithoutBootstrapping)
{
    Sample s = loadSample("moderation");
    OptimizerConfig c = s.study.optimizer;
    c.maxBootstrappedDemos = 0;
    c.maxLabeledDemos = 0;
    RecordingLm lm(*s.lm);
    const MiproRunResult run = runMipro(s, c, lm);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    EXPECT_EQ(lm.calls("bootstrap"), 0);
    EXPECT_TRUE(eventsOf(run, EventType::DemoSetReady).empty());
    EXPECT_EQ(lm.proposerCalls("proposed_instruction"), 5) << "6 candidates, the original free";
    // The baseline and 9 trials: the baseline and the first batch of 4 are
    // full evaluations, every later ask starts with a screen of 5 examples
    // (its extension and full evaluation are further trials of the same ask).
    const auto started = eventsOf(run, EventType::TrialStarted);
    std::size_t asks = 0;
    for (const Json &t : started)
        if ((t["kind"] == "full" && t["trial"].get<int>() <= 5) || (t["kind"] == "minibatch" && t["examples"] == 5))
            ++asks;
    ASSERT_EQ(asks, 10u) << "baseline + 9 trials";
    EXPECT_FALSE(started[0]["config"]["classify"].contains("demos"));
    EXPECT_EQ(started[0]["config_key"], "classify:i0");
    EXPECT_TRUE(run.result->program.predictors[0].demos.empty());
    // The proposer is grounded with labeled examples instead of bootstrapped traces.
    int grounded = 0;
    for (const ChatRequest &q : lm.requests())
        if (requestedOutput(q) == "proposed_instruction"
            && q.messages.back().content.find("[[ ## task_demos ## ]]\nSnippet: ") != std::string::npos)
            ++grounded;
    EXPECT_EQ(grounded, 5);
}

TEST(MiproV2, LabeledOnlyModeUsesLabeledSetsWithoutBootstrapping)
{
    Sample s = loadSample("moderation");
    OptimizerConfig c = s.study.optimizer;
    c.maxBootstrappedDemos = 0;
    c.maxLabeledDemos = 3;
    RecordingLm lm(*s.lm);
    const MiproRunResult run = runMipro(s, c, lm);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    EXPECT_EQ(lm.calls("bootstrap"), 0);
    const auto sets = eventsOf(run, EventType::DemoSetReady);
    ASSERT_EQ(sets.size(), 6u);
    EXPECT_EQ(sets[0]["kind"], "empty");
    std::set<std::string> distinct;
    for (std::size_t i = 1; i < sets.size(); ++i) {
        EXPECT_EQ(sets[i]["kind"], "labeled");
        EXPECT_EQ(sets[i]["demos"].size(), 3u);
        distinct.insert(sets[i]["demos"].dump());
    }
    EXPECT_GT(distinct.size(), 1u) << "labeled sets are drawn with different seeds";
    EXPECT_EQ(run.result->stopReason, StopReason::completed());
}

TEST(MiproV2, AFailingCandidateIsAFailedTrialWithItsCauseNotAZero)
{
    Sample s = loadSample("moderation");
    // The instruction of candidate 1 does not depend on evaluation answers:
    // learn it from a first run.
    RecordingLm probe(*s.lm);
    const MiproRunResult first = runMipro(s, s.study.optimizer, probe);
    ASSERT_TRUE(first.result.ok());
    const std::string bad = eventsOf(first, EventType::InstructionProposed)[1]["text"];
    // A validation example: the last one the baseline evaluation asked about.
    std::string hardInput;
    for (const ChatRequest &q : probe.requests())
        if (q.role == "evaluation")
            hardInput = q.messages.back().content;
    ASSERT_FALSE(hardInput.empty());

    RecordingLm lm(*s.lm);
    lm.failWhen = [&](const ChatRequest &q) -> std::optional<Error> {
        if (q.role != "evaluation")
            return std::nullopt;
        if (q.messages.front().content.find(bad) != std::string::npos)
            return Error::make(ErrorKind::Server, "HTTP 500: the candidate broke the server");
        if (q.messages.back().content == hardInput)
            return Error::make(ErrorKind::Timeout, "no answer in time");
        return std::nullopt;
    };
    const MiproRunResult run = runMipro(s, s.study.optimizer, lm);
    ASSERT_TRUE(run.result.ok());
    int failed = 0;
    for (const Json &f : eventsOf(run, EventType::TrialFinished)) {
        const bool usesBad = f["config"]["classify"]["instruction"] == 1;
        if (usesBad) {
            ++failed;
            EXPECT_EQ(f["state"], "failed");
            EXPECT_TRUE(f["score"].is_null());
            EXPECT_EQ(f["scored"], 0);
            EXPECT_NE(f["error"].get<std::string>().find("HTTP 500: the candidate broke the server"),
                      std::string::npos);
        } else {
            EXPECT_EQ(f["state"], "complete");
            EXPECT_FALSE(f.contains("error"));
            // The timed-out example is excluded from the mean and counted, not
            // a 0 (a screen may not hold it).
            if (f["kind"] == "full") {
                EXPECT_EQ(f["scored"], 14);
                EXPECT_EQ(f["errors"], 1);
            } else {
                EXPECT_LE(f["errors"].get<int>(), 1);
                EXPECT_EQ(f["scored"].get<int>() + f["errors"].get<int>(), f["examples"].get<int>());
            }
            double sum = 0;
            int n = 0;
            for (const Json &pair : f["results"])
                if (!pair[1].is_null()) {
                    sum += pair[1].get<double>();
                    ++n;
                }
            EXPECT_NEAR(f["score"].get<double>(), std::round(10000.0 * sum / n) / 100.0, 1e-9);
        }
    }
    EXPECT_GT(failed, 0);
    EXPECT_TRUE(hasNote(*run.result, std::to_string(failed) + " trial(s) failed"));
    EXPECT_NE(run.result->program.predictors[0].signature.instruction, bad);
}

TEST(MiproV2, ASaturatedMetricIsReported)
{
    Sample s = loadSample("moderation");
    RecordingLm lm(*s.lm);
    const ConstantMetric constant;
    const MiproRunResult run = runMipro(s, s.study.optimizer, lm, 8, nullptr, &constant);
    ASSERT_TRUE(run.result.ok());
    // Nothing can beat a perfect baseline: no trial is paid for.
    EXPECT_TRUE(hasNote(*run.result, "the baseline scored 100% on every validation example and no config can beat "
                                     "that, so nothing was searched; a harder metric or a bigger validation set"));
    EXPECT_EQ(eventsOf(run, EventType::TrialStarted).size(), 1u);
    EXPECT_EQ(run.result->program, s.study.program);
}

TEST(MiproV2, NothingBeatTheBaselineIsReported)
{
    Sample s = loadSample("moderation");
    // Any change to the prompt (another instruction, demos) gets a fixed, mostly wrong answer.
    class WorseUnlessBaseline final : public Lm {
    public:
        WorseUnlessBaseline(Lm &inner, std::string instruction) : m_inner(inner), m_instruction(std::move(instruction))
        {}
        Result<ChatResponse> complete(const ChatRequest &request) override
        {
            const std::string &system = request.messages.front().content;
            const bool baseline =
                request.messages.size() == 2 && system.size() >= m_instruction.size()
                && system.compare(system.size() - m_instruction.size(), m_instruction.size(), m_instruction) == 0;
            if (request.role != "evaluation" || baseline)
                return m_inner.complete(request);
            ChatResponse r;
            r.choices.push_back(
                "[[ ## severity ## ]]\nlow\n\n[[ ## policy_violations ## ]]\n[\"spam\"]\n\n[[ ## completed ## ]]");
            return r;
        }
        std::string describe() const override { return "worse"; }

    private:
        Lm &m_inner;
        std::string m_instruction;
    };
    WorseUnlessBaseline lm(*s.lm, s.study.program.predictors[0].signature.instruction);
    const MiproRunResult run = runMipro(s, s.study.optimizer, lm);
    ASSERT_TRUE(run.result.ok());
    ASSERT_TRUE(run.result->baselineScore.has_value());
    EXPECT_TRUE(
        hasNote(*run.result, "nothing beat the baseline (" + fmt::format("{:.2f}", *run.result->baselineScore) + "%)"));
    EXPECT_FALSE(hasNote(*run.result, "every trial scored"));
    EXPECT_EQ(run.result->bestScore, run.result->baselineScore);
    EXPECT_EQ(run.result->program, s.study.program);
}

TEST(MiproV2, CancelReturnsTheBestSoFar)
{
    // QA: no config reaches 100%, which would end the search before the cancel.
    Sample s = loadSample("qa");
    std::atomic<bool> cancel{false};
    RecordingLm lm(*s.lm);
    std::atomic<int> evaluations{0};
    lm.failWhen = [&](const ChatRequest &q) -> std::optional<Error> {
        // Cancel during the second batch of trials (the baseline and 4 trials cost 125 calls).
        if (q.role == "evaluation" && ++evaluations == 140)
            cancel = true;
        return std::nullopt;
    };
    const MiproRunResult run = runMipro(s, s.study.optimizer, lm, 4, &cancel);
    ASSERT_TRUE(run.result.ok());
    const OptimizeResult &r = *run.result;
    EXPECT_EQ(r.stopReason, StopReason::cancelled());
    ASSERT_TRUE(r.baselineScore && r.bestScore);
    const auto updates = eventsOf(run, EventType::BestUpdated);
    ASSERT_FALSE(updates.empty());
    EXPECT_EQ(updates.back()["score"].get<double>(), *r.bestScore);
    EXPECT_LT(r.stats.trials, 11);
    // The returned program is the one of the last best_updated event.
    const int instruction = updates.back()["config"]["answer"]["instruction"];
    const auto proposed = eventsOf(run, EventType::InstructionProposed);
    EXPECT_EQ(r.program.predictors[0].signature.instruction, proposed[static_cast<std::size_t>(instruction)]["text"]);
    // Started trials that could not finish have no trial_finished event.
    EXPECT_GE(eventsOf(run, EventType::TrialStarted).size(), eventsOf(run, EventType::TrialFinished).size());
}

TEST(MiproV2, ABudgetErrorStopsCleanlyWithItsMessage)
{
    Sample s = loadSample("moderation");
    RecordingLm lm(*s.lm);
    std::atomic<int> calls{0};
    lm.failWhen = [&](const ChatRequest &) -> std::optional<Error> {
        if (++calls > 60)
            return Error::make(ErrorKind::Budget, "budget: 60 calls reached");
        return std::nullopt;
    };
    // One thread: the calls run in job order, so where the budget cuts is known.
    const MiproRunResult run = runMipro(s, s.study.optimizer, lm, 1);
    ASSERT_TRUE(run.result.ok());
    const OptimizeResult &r = *run.result;
    EXPECT_TRUE(r.stopReason.is(StopReason::Kind::Budget));
    EXPECT_EQ(r.stopReason.text(), "budget: 60 calls reached");
    EXPECT_EQ(lm.total(), 60);
    // 13 bootstrap + 7 proposer + 15 baseline calls, then 25 of the first
    // batch's 60: trial 2 completes, trial 3 is cut and never finishes.
    const auto finished = eventsOf(run, EventType::TrialFinished);
    ASSERT_EQ(finished.size(), 2u);
    EXPECT_EQ(finished[1]["trial"], 2);
    EXPECT_EQ(eventsOf(run, EventType::TrialStarted).size(), 5u);
    ASSERT_TRUE(r.baselineScore && r.bestScore);
    EXPECT_EQ(*r.bestScore, std::max(finished[0]["score"].get<double>(), finished[1]["score"].get<double>()));
    EXPECT_EQ(r.stats.trials, 5);
}

// ---- MIPROv2 light beats the baseline on math and QA ---------------------

class MiproSamples : public ::testing::TestWithParam<const char *> {};

TEST_P(MiproSamples, LightRunWithSeedZeroBeatsTheBaselineOnValidation)
{
    Sample s = loadSample(GetParam());
    RecordingLm lm(*s.lm);
    const MiproRunResult run = runMipro(s, s.study.optimizer, lm);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    const OptimizeResult &r = *run.result;
    ASSERT_TRUE(r.baselineScore && r.bestScore);
    EXPECT_GT(*r.bestScore, *r.baselineScore);
    EXPECT_LT(lm.calls("evaluation") + lm.calls("bootstrap"), 675);

    // The returned program really scores that on the validation set.
    CallOptions call;
    call.role = "evaluation";
    double sum = 0;
    for (std::size_t i = 0; i < s.data.val.examples.size(); ++i) {
        const ExampleResult e =
            evaluateExample(r.program, s.data.val.examples[i], i, *s.lm, *s.adapter, *s.metric, call);
        ASSERT_TRUE(e.score.has_value());
        sum += *e.score;
    }
    EXPECT_EQ(toPercent(sum / static_cast<double>(s.data.val.examples.size())), *r.bestScore);
}

INSTANTIATE_TEST_SUITE_P(Samples, MiproSamples, ::testing::Values("math", "qa"));

TEST(MiproV2, ATwoStagePipelineGetsDemosAndInstructionsPerPredictor)
{
    Sample s = loadSample("moderation");
    Predictor gist;
    gist.name = "gist";
    gist.signature.instruction = "Restate the snippet in a few words.";
    gist.signature.inputs = {Field{"snippet", Type::string(), "", ""}};
    gist.signature.outputs = {Field{"gist", Type::string(), "", ""}};
    Predictor classify = s.study.program.predictors[0];
    classify.signature.inputs.push_back(Field{"gist", Type::string(), "", ""});
    s.study.program.predictors = {gist, classify};
    OptimizerConfig c = s.study.optimizer;
    c.autoMode.clear();
    c.numCandidates = 3;
    c.numTrials = 4;
    RecordingLm lm(*s.lm);
    const MiproRunResult run = runMipro(s, c, lm);
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    const auto started = eventsOf(run, EventType::TrialStarted);
    ASSERT_EQ(started.size(), 5u);
    EXPECT_EQ(started[0]["config_key"], "gist:i0.d0|classify:i0.d0");
    EXPECT_EQ(lm.proposerCalls("program_description"), 1);
    EXPECT_EQ(lm.proposerCalls("module_description"), 2) << "once per predictor";
    EXPECT_EQ(lm.proposerCalls("proposed_instruction"), 4) << "2 per predictor";
    // A bootstrapped demo of the second stage carries the first stage's output as an input.
    int traced = 0;
    for (const Json &set : eventsOf(run, EventType::DemoSetReady))
        if (set["predictor"] == "classify")
            for (const Json &demo : set["demos"])
                if (demo.value("augmented", false)) {
                    ++traced;
                    EXPECT_TRUE(demo.contains("gist"));
                }
    EXPECT_GT(traced, 0);
    EXPECT_EQ(run.result->program.predictors.size(), 2u);
}

TEST(MiproV2, AFailingBaselineStopsTheRunWithItsCause)
{
    Sample s = loadSample("moderation");
    RecordingLm lm(*s.lm);
    lm.failWhen = [](const ChatRequest &q) -> std::optional<Error> {
        if (q.role == "evaluation")
            return Error::make(ErrorKind::Auth, "HTTP 401: bad key");
        return std::nullopt;
    };
    const MiproRunResult run = runMipro(s, s.study.optimizer, lm);
    ASSERT_TRUE(run.result.ok());
    EXPECT_TRUE(run.result->stopReason.is(StopReason::Kind::Error));
    EXPECT_EQ(run.result->stopReason.text().rfind(
                  "error: the baseline program failed on the validation set: all 15 examples failed", 0),
              0u)
        << run.result->stopReason.text();
    EXPECT_NE(run.result->stopReason.text().find("HTTP 401: bad key"), std::string::npos);
    EXPECT_FALSE(run.result->baselineScore.has_value());
    EXPECT_EQ(run.result->program, s.study.program);
    ASSERT_EQ(eventsOf(run, EventType::Error).size(), 1u);
    EXPECT_EQ(eventsOf(run, EventType::TrialStarted).size(), 1u);
}
