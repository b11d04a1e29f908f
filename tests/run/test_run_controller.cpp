// The run controller with a small fake optimizer that makes real (SimLm)
// calls through the run's models: storage before delivery, cancel, budgets,
// the event log, determinism and resume (after a cancel and after a SIGKILL).
#include "core/json.h"
#include "core/study.h"
#include "eval/evaluator.h"
#include "events/event_codec.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace prism;

namespace {

// Tries programs with 0, 1, 2... labeled demos on the valset, one trial each,
// and keeps the best. Deterministic given the LM's answers.
class FakeOptimizer final : public Optimizer {
public:
    int trials = 4;
    std::function<void(int trial)> afterTrial; // on the optimizer's thread, after trial_finished

    const char *name() const override { return "fake"; }

    Result<OptimizeResult> compile(const Program &student, const std::vector<Example> &trainset,
                                   const std::vector<Example> &valset, OptimizeContext &context) override
    {
        auto publish = [&](EventPayload payload) {
            if (context.events)
                context.events->publish(std::move(payload));
        };
        publish(PhaseStartedEvent{"search", trials});
        OptimizeResult result;
        result.program = student;
        EvalOptions options;
        options.threads = context.threads;
        options.maxErrors = 0;
        options.cancel = context.cancel;
        options.call.role = "evaluation";
        const Evaluator evaluator(*context.taskLm, *context.adapter, *context.metric, options);
        for (int t = 0; t < trials; ++t) {
            if (context.cancel && context.cancel->load()) {
                result.stopReason = StopReason::cancelled();
                break;
            }
            Program p = student;
            for (int d = 0; d < t && d < static_cast<int>(trainset.size()); ++d)
                p.predictors[0].demos.push_back(Demo{trainset[static_cast<std::size_t>(d)].values, false});
            const std::string key = "d" + std::to_string(t);
            const std::vector<ConfigChoice> config = {{p.predictors[0].name, 0, t}};
            publish(TrialStartedEvent{t + 1, "full", config, key, valset.size(), std::nullopt});
            const EvalReport report = evaluator.run(p, valset);
            bool stopped = false;
            TrialFinishedEvent finished;
            for (const auto &r : report.results) {
                if (context.onExampleResult)
                    context.onExampleResult(key, r);
                finished.results.emplace_back(r.index, r.score);
                if (r.error && (r.error->kind == ErrorKind::Budget || r.error->kind == ErrorKind::Cancelled))
                    stopped = true;
            }
            const bool complete = !stopped && report.errors == 0;
            const std::optional<double> score = complete ? std::optional<double>(report.scorePercent) : std::nullopt;
            finished.trial = t + 1;
            finished.kind = "full";
            finished.config = config;
            finished.configKey = key;
            finished.score = score;
            finished.scored = report.scored;
            finished.errors = report.errors;
            finished.examples = valset.size();
            finished.newCalls = report.usage.calls;
            finished.failed = !complete;
            publish(std::move(finished));
            ++result.stats.trials;
            result.stats.callsByRole["evaluation"].calls += report.usage.calls;
            if (score) {
                if (t == 0)
                    result.baselineScore = score;
                if (!result.bestScore || *score > *result.bestScore) {
                    result.bestScore = score;
                    result.program = p;
                    publish(BestUpdatedEvent{t + 1, config, key, *score});
                }
            }
            if (afterTrial)
                afterTrial(t + 1);
            if (stopped)
                break; // a budget or a cancel: keep the best so far
        }
        result.stats.notes.push_back("fake optimizer");
        return result;
    }
};

class RunControllerTest : public ::testing::Test {
protected:
    fs::path dir;
    std::string storePath;
    Study study;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-runctl-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        storePath = (dir / "runs.sqlite").string();
        // The response cache and prices live here, never in the user's directory.
        ::setenv("PRISM_DATA_DIR", (dir / "data").string().c_str(), 1);
        auto loaded = loadStudy(PRISM_SAMPLES_DIR "/math/math.prism.json");
        ASSERT_TRUE(loaded) << loaded.error().message;
        study = loaded.value();
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    std::shared_ptr<RunStore> openStore()
    {
        auto store = RunStore::open(storePath);
        EXPECT_TRUE(store) << store.error().message;
        return store ? store.value() : nullptr;
    }

    static RunSettings settings(int threads = 4)
    {
        RunSettings s;
        s.studyPath = PRISM_SAMPLES_DIR "/math/math.prism.json";
        s.threads = threads;
        s.lm.useCache = false; // every answer is a paid call: what resume must not repeat
        return s;
    }

    // Runs the fake to the end; returns the outcome.
    RunOutcome runFake(const std::shared_ptr<RunStore> &store, RunSettings s,
                       std::function<void(FakeOptimizer &, RunController &)> tweak = {},
                       std::vector<RunEvent> *seen = nullptr)
    {
        RunController controller(store);
        controller.setOptimizerFactory([&](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
            auto f = std::make_unique<FakeOptimizer>();
            if (tweak)
                tweak(*f, controller);
            return std::unique_ptr<Optimizer>(std::move(f));
        });
        std::mutex mutex;
        if (seen)
            controller.addEventListener([&](const RunEvent &e) {
                std::lock_guard lock(mutex);
                seen->push_back(e);
            });
        auto id = controller.start(study, s);
        EXPECT_TRUE(id) << id.error().message;
        if (!id)
            return {};
        return controller.wait();
    }

    static std::vector<std::string> paidKeys(RunStore &store, const std::string &runId)
    {
        std::vector<std::string> keys;
        const std::vector<LedgerRow> rows = store.ledger(runId).value();
        for (const auto &row : rows)
            if (!row.entry.cacheHit && !row.entry.errorKind)
                keys.push_back(row.requestKey);
        return keys;
    }

    // (type, payload) of every event, with run_started's run id blanked.
    static std::vector<std::pair<EventType, std::string>> comparable(const std::vector<RunEvent> &events)
    {
        std::vector<std::pair<EventType, std::string>> out;
        for (const auto &e : events) {
            EventPayload p = e.payload;
            if (auto *started = std::get_if<RunStartedEvent>(&p))
                started->runId.clear();
            out.emplace_back(e.type(), encodePayload(p));
        }
        return out;
    }
};

TEST_F(RunControllerTest, EveryEventIsStoredBeforeAListenerSeesIt)
{
    auto store = openStore();
    ASSERT_TRUE(store);
    RunController controller(store);
    controller.setOptimizerFactory([](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
        auto f = std::make_unique<FakeOptimizer>();
        f->trials = 2;
        return std::unique_ptr<Optimizer>(std::move(f));
    });
    std::vector<std::uint64_t> seqs;
    int notStored = 0;
    controller.addEventListener([&](const RunEvent &e) {
        seqs.push_back(e.seq);
        auto stored = store->events(controller.runId(), e.seq - 1);
        if (!stored || stored->empty() || stored->front().seq != e.seq || !(stored->front().payload == e.payload))
            ++notStored;
    });
    auto id = controller.start(study, settings());
    ASSERT_TRUE(id) << id.error().message;
    const RunOutcome outcome = controller.wait();
    EXPECT_EQ(outcome.status, RunStatus::Finished);
    EXPECT_EQ(outcome.stopReason, StopReason::completed());
    EXPECT_EQ(notStored, 0);
    ASSERT_FALSE(seqs.empty());
    for (std::size_t i = 0; i < seqs.size(); ++i)
        EXPECT_EQ(seqs[i], i + 1);

    // The store survives a reopen with the same events in the same order.
    auto reopened = RunStore::open(storePath);
    ASSERT_TRUE(reopened);
    auto events = reopened.value()->events(id.value());
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), seqs.size());
    const auto *started = events->front().as<RunStartedEvent>();
    ASSERT_NE(started, nullptr);
    EXPECT_EQ(started->runId, id.value());
    EXPECT_EQ(started->trainSize, 70u);
    EXPECT_EQ(started->valSize, 25u);
    EXPECT_EQ(started->testSize, 45u);
    EXPECT_EQ(started->taskModel.model, "sim-small");
    const auto *finished = events->back().as<RunFinishedEvent>();
    ASSERT_NE(finished, nullptr);
    EXPECT_EQ(finished->stopReason, StopReason::completed());
    EXPECT_EQ(finished->trials, 2);
    // 2 trials x 25 validation examples, one call each, none cached.
    EXPECT_EQ(finished->callsByRole.at("evaluation").calls, 50);
    EXPECT_EQ(finished->callsByRole.at("evaluation").cacheHits, 0);
    EXPECT_TRUE(finished->tokensByRole.at("evaluation").prompt.has_value());

    auto run = reopened.value()->loadRun(id.value());
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, RunStatus::Finished);
    EXPECT_EQ(run->bestScore, outcome.bestScore);
    EXPECT_EQ(reopened.value()->artifact(id.value()).value(), outcome.artifactJson);
    // Drill-down: the per-example callback stored predictions.
    auto examples = reopened.value()->exampleResults(id.value(), "d1");
    ASSERT_TRUE(examples);
    ASSERT_EQ(examples->size(), 25u);
    EXPECT_FALSE(examples->front().predictionJson.empty());
    EXPECT_EQ(examples->front().calls, 1);
}

TEST_F(RunControllerTest, TheEventLogRebuildsTheTrialTable)
{
    auto store = openStore();
    ASSERT_TRUE(store);
    std::vector<RunEvent> seen;
    const RunOutcome outcome = runFake(store, settings(), {}, &seen);
    ASSERT_EQ(outcome.status, RunStatus::Finished);
    std::vector<std::string> lines;
    for (const auto &e : seen)
        lines.push_back(toJsonLine(e));
    ASSERT_EQ(lines.size(), store->events(outcome.runId)->size()); // one line per event

    std::vector<TrialRecord> rebuilt;
    for (const auto &line : lines) {
        auto event = runEventFromJsonLine(line);
        ASSERT_TRUE(event) << event.error().message;
        const auto *f = event->as<TrialFinishedEvent>();
        if (!f)
            continue;
        TrialRecord t;
        t.seq = event->seq;
        t.trial = f->trial;
        t.kind = f->kind;
        t.configKey = f->configKey;
        t.configJson = configToJsonText(f->config);
        t.config = f->config;
        t.score = f->score;
        t.scored = static_cast<int>(f->scored);
        t.errors = static_cast<int>(f->errors);
        t.examples = static_cast<int>(f->examples);
        t.newCalls = f->newCalls;
        t.memoHits = f->memoHits;
        t.state = f->failed ? "failed" : "complete";
        t.error = f->error.value_or(std::string());
        rebuilt.push_back(t);
    }
    auto stored = store->trials(outcome.runId);
    ASSERT_TRUE(stored);
    ASSERT_EQ(rebuilt.size(), 4u);
    EXPECT_EQ(rebuilt, stored.value());
}

TEST_F(RunControllerTest, CancelKeepsTheBestSoFar)
{
    auto store = openStore();
    ASSERT_TRUE(store);
    std::vector<RunEvent> seen;
    const RunOutcome outcome = runFake(
        store, settings(),
        [](FakeOptimizer &f, RunController &c) {
            f.trials = 6;
            f.afterTrial = [&c](int trial) {
                if (trial == 2)
                    c.cancel();
            };
        },
        &seen);
    EXPECT_EQ(outcome.status, RunStatus::Cancelled);
    EXPECT_EQ(outcome.stopReason, StopReason::cancelled());
    ASSERT_TRUE(outcome.bestScore.has_value());
    // The best of the two finished trials, and its program.
    auto trials = store->trials(outcome.runId).value();
    ASSERT_EQ(trials.size(), 2u);
    const double best = std::max(trials[0].score.value(), trials[1].score.value());
    EXPECT_DOUBLE_EQ(*outcome.bestScore, best);
    EXPECT_FALSE(outcome.artifactJson.empty());
    auto run = store->loadRun(outcome.runId).value();
    EXPECT_EQ(run.status, RunStatus::Cancelled);
    EXPECT_EQ(run.stopReason, StopReason::cancelled());
    EXPECT_TRUE(run.cancelSeq.has_value());
    ASSERT_FALSE(seen.empty());
    ASSERT_NE(seen.back().as<RunFinishedEvent>(), nullptr);
    EXPECT_EQ(seen.back().as<RunFinishedEvent>()->stopReason, StopReason::cancelled());
}

TEST_F(RunControllerTest, ABudgetOfNCallsStopsCleanly)
{
    auto store = openStore();
    ASSERT_TRUE(store);
    RunSettings s = settings();
    s.lm.budget.maxCalls = 30;
    const RunOutcome outcome = runFake(store, s);
    EXPECT_EQ(outcome.status, RunStatus::Finished);
    EXPECT_TRUE(outcome.stopReason.is(StopReason::Kind::Budget)) << outcome.stopReason.text();
    EXPECT_NE(outcome.stopReason.text().find("30"), std::string::npos) << outcome.stopReason.text();
    EXPECT_EQ(paidKeys(*store, outcome.runId).size(), 30u);
    // The first trial finished within the budget and is kept.
    ASSERT_TRUE(outcome.bestScore.has_value());
    auto run = store->loadRun(outcome.runId).value();
    EXPECT_EQ(run.stopReason, outcome.stopReason);
    ASSERT_TRUE(run.summary);
    EXPECT_EQ(run.summary->stopReason, outcome.stopReason);
}

TEST_F(RunControllerTest, ThreadCountAndRepetitionDoNotChangeTheArtifact)
{
    auto store = openStore();
    ASSERT_TRUE(store);
    auto twoTrials = [](FakeOptimizer &f, RunController &) { f.trials = 2; };
    const RunOutcome one = runFake(store, settings(1), twoTrials);
    const RunOutcome eight = runFake(store, settings(8), twoTrials);
    const RunOutcome again = runFake(store, settings(8), twoTrials);
    ASSERT_EQ(one.status, RunStatus::Finished);
    EXPECT_NE(one.runId, eight.runId);
    EXPECT_EQ(one.artifactJson, eight.artifactJson);
    EXPECT_EQ(eight.artifactJson, again.artifactJson);
    EXPECT_EQ(one.artifactJson.find(one.runId), std::string::npos); // no run id, no clock in the artifact
    EXPECT_EQ(comparable(store->events(one.runId).value()).size(),
              comparable(store->events(eight.runId).value()).size());
}

TEST_F(RunControllerTest, ACancelledRunResumesToTheUninterruptedResult)
{
    auto store = openStore();
    ASSERT_TRUE(store);
    const RunOutcome full = runFake(store, settings());
    ASSERT_EQ(full.status, RunStatus::Finished);

    // A finished run has nothing to resume.
    RunController controller(store);
    controller.setOptimizerFactory([](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
        return std::unique_ptr<Optimizer>(std::make_unique<FakeOptimizer>());
    });
    auto notResumable = controller.resume(full.runId, {});
    ASSERT_FALSE(notResumable);
    EXPECT_NE(notResumable.error().message.find("finished"), std::string::npos);

    // A run cancelled after its second trial.
    std::string runId;
    {
        RunController first(store);
        first.setOptimizerFactory([&first](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
            auto f = std::make_unique<FakeOptimizer>();
            f->afterTrial = [&first](int trial) {
                if (trial == 2)
                    first.cancel();
            };
            return std::unique_ptr<Optimizer>(std::move(f));
        });
        auto id = first.start(study, settings());
        ASSERT_TRUE(id);
        runId = id.value();
        EXPECT_EQ(first.wait().status, RunStatus::Cancelled);
    }
    const std::size_t paidBefore = paidKeys(*store, runId).size();
    EXPECT_GT(paidBefore, 0u);

    RunController second(store);
    second.setOptimizerFactory([](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
        return std::unique_ptr<Optimizer>(std::make_unique<FakeOptimizer>());
    });
    ResumeSettings resume;
    resume.threads = 2; // the thread count does not change the result
    auto resumed = second.resume(runId, resume);
    ASSERT_TRUE(resumed) << resumed.error().message;
    const RunOutcome outcome = second.wait();
    EXPECT_EQ(outcome.status, RunStatus::Finished);
    EXPECT_EQ(outcome.stopReason, StopReason::completed());
    EXPECT_EQ(outcome.session, 2);
    EXPECT_EQ(outcome.divergedAt, 0u);
    EXPECT_EQ(outcome.replayedCalls, static_cast<long long>(paidBefore));
    EXPECT_EQ(outcome.artifactJson, full.artifactJson);

    // Nothing paid twice, and the run paid what the uninterrupted one did.
    const std::vector<std::string> keys = paidKeys(*store, runId);
    EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
    EXPECT_EQ(keys.size(), paidKeys(*store, full.runId).size());
    // The stored log reads as if nothing had happened.
    EXPECT_EQ(comparable(store->events(runId).value()), comparable(store->events(full.runId).value()));
    EXPECT_EQ(store->trials(runId).value().size(), 4u);
}

TEST_F(RunControllerTest, ARunKilledMidSearchResumesWithoutRepeatingAPaidCall)
{
    std::string fullArtifact;
    std::string fullRun;
    {
        auto store = openStore();
        ASSERT_TRUE(store);
        const RunOutcome full = runFake(store, settings());
        ASSERT_EQ(full.status, RunStatus::Finished);
        fullArtifact = full.artifactJson;
        fullRun = full.runId;
    }
    // The child runs the same search and is killed right after trial 2 is stored.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto store = RunStore::open(storePath);
        if (!store)
            ::_exit(10);
        RunController controller(store.value());
        controller.setOptimizerFactory([](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
            auto f = std::make_unique<FakeOptimizer>();
            f->afterTrial = [](int trial) {
                if (trial == 2)
                    ::raise(SIGKILL);
            };
            return std::unique_ptr<Optimizer>(std::move(f));
        });
        if (!controller.start(study, settings()))
            ::_exit(11);
        controller.wait();
        ::_exit(12); // not killed: the test fails below
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exit code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    EXPECT_EQ(WTERMSIG(status), SIGKILL);

    auto store = openStore();
    ASSERT_TRUE(store);
    auto runs = store->listRuns().value();
    ASSERT_EQ(runs.size(), 2u);
    const std::string runId = runs.front().id == fullRun ? runs.back().id : runs.front().id;
    EXPECT_EQ(store->loadRun(runId)->status, RunStatus::Running); // the process died
    EXPECT_EQ(store->trials(runId)->size(), 2u);
    const std::size_t paidBefore = paidKeys(*store, runId).size();
    EXPECT_EQ(paidBefore, 50u);

    RunController controller(store);
    controller.setOptimizerFactory([](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
        return std::unique_ptr<Optimizer>(std::make_unique<FakeOptimizer>());
    });
    auto resumed = controller.resume(runId, {});
    ASSERT_TRUE(resumed) << resumed.error().message;
    const RunOutcome outcome = controller.wait();
    EXPECT_EQ(outcome.status, RunStatus::Finished);
    EXPECT_EQ(outcome.divergedAt, 0u);
    EXPECT_EQ(outcome.replayedCalls, 50);
    EXPECT_EQ(outcome.artifactJson, fullArtifact);
    const std::vector<std::string> keys = paidKeys(*store, runId);
    EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
    EXPECT_EQ(keys.size(), 100u);
    EXPECT_EQ(comparable(store->events(runId).value()), comparable(store->events(fullRun).value()));
    EXPECT_EQ(store->loadRun(runId)->sessions, 2);
}

TEST_F(RunControllerTest, AResumeThatDivergesIsReportedAndRecordedAnew)
{
    auto store = openStore();
    ASSERT_TRUE(store);
    std::string runId;
    {
        RunController first(store);
        first.setOptimizerFactory([&first](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
            auto f = std::make_unique<FakeOptimizer>();
            f->afterTrial = [&first](int trial) {
                if (trial == 2)
                    first.cancel();
            };
            return std::unique_ptr<Optimizer>(std::move(f));
        });
        runId = first.start(study, settings()).value();
        ASSERT_EQ(first.wait().status, RunStatus::Cancelled);
    }
    // A different optimizer now: its events differ from the stored ones.
    RunController second(store);
    second.setOptimizerFactory([](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
        auto f = std::make_unique<FakeOptimizer>();
        f->trials = 3;
        return std::unique_ptr<Optimizer>(std::move(f));
    });
    ASSERT_TRUE(second.resume(runId, {}));
    const RunOutcome outcome = second.wait();
    EXPECT_EQ(outcome.status, RunStatus::Finished);
    EXPECT_EQ(outcome.divergedAt, 2u); // phase_started carries num_trials
    bool warned = false;
    for (const auto &n : outcome.notes)
        warned = warned || n.find("resume diverged at event 2") != std::string::npos;
    EXPECT_TRUE(warned);
    // The store holds the new run's events, without gaps or leftovers.
    auto events = store->events(runId).value();
    for (std::size_t i = 0; i < events.size(); ++i)
        EXPECT_EQ(events[i].seq, i + 1);
    EXPECT_EQ(store->trials(runId)->size(), 3u);
    ASSERT_NE(events[1].as<PhaseStartedEvent>(), nullptr);
    EXPECT_EQ(events[1].as<PhaseStartedEvent>()->numTrials, 3);
}

TEST_F(RunControllerTest, ARunStillAliveElsewhereIsNotResumed)
{
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Another process that creates a run and keeps running it.
        auto store = RunStore::open(storePath);
        NewRun run;
        run.studyJson = studyToJsonText(study);
        run.optimizerConfigJson = "{}";
        run.optionsJson = "{}";
        const std::string id = store ? [&] { auto r = store.value()->createRun(run); return r ? r.value() : std::string(); }() : std::string();
        (void)!::write(fds[1], id.data(), id.size());
        ::close(fds[1]);
        ::pause();
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string id;
    char c;
    while (::read(fds[0], &c, 1) == 1)
        id += c;
    ::close(fds[0]);
    ASSERT_FALSE(id.empty());
    auto store = openStore();
    ASSERT_TRUE(store);
    RunController controller(store);
    auto refused = controller.resume(id, {});
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("still running in process"), std::string::npos) << refused.error().message;
    EXPECT_EQ(store->loadRun(id)->sessions, 1); // untouched
}

TEST_F(RunControllerTest, LoadErrorsCreateNoRun)
{
    auto store = openStore();
    ASSERT_TRUE(store);
    RunController controller(store);
    controller.setOptimizerFactory([](const OptimizerConfig &) -> Result<std::unique_ptr<Optimizer>> {
        return std::unique_ptr<Optimizer>(std::make_unique<FakeOptimizer>());
    });
    Study broken = study;
    broken.data.train->path = "missing.jsonl";
    auto id = controller.start(broken, settings());
    ASSERT_FALSE(id);
    EXPECT_NE(id.error().message.find("missing.jsonl"), std::string::npos) << id.error().message;
    EXPECT_TRUE(store->listRuns()->empty());

    RunSettings s = settings();
    s.optimizer = "nonsense";
    RunController withDefaults(store);
    auto unknown = withDefaults.start(study, s);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("nonsense"), std::string::npos);
    EXPECT_TRUE(store->listRuns()->empty());
}

} // namespace
