#pragma once

// Runs an optimizer on its own thread with events, budgets, cancel and resume
// (DESIGN.md §5, docs/RUNS.md). The studio and the CLI talk to runs only
// through this class and the run store.
#include "adapter/adapter.h"
#include "artifact/artifact.h"
#include "core/result.h"
#include "core/study.h"
#include "data/dataset.h"
#include "eval/evaluator.h"
#include "metric/judge.h"
#include "metric/metric.h"
#include "modelsetup/lm_setup.h"
#include "optimize/optimizer.h"
#include "run/event_bus.h"
#include "run/journal_lm.h"
#include "run/run_store.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace prism {

// Builds the optimizer named in the config; a Config error for an unknown name.
using OptimizerFactory = std::function<Result<std::unique_ptr<Optimizer>>(const OptimizerConfig &config)>;
// LabeledFewShot (labeled), BootstrapFewShot (bootstrap), MIPROv2 (miprov2).
Result<std::unique_ptr<Optimizer>> makeOptimizer(const OptimizerConfig &config);
// Builds the study's metric. The default, makeMetric, knows the built-ins;
// programs with the scripting layer pass makeStudyMetric so JS metrics run.
// `judge` is the judge model of a judge metric (null for other metrics).
using MetricFactory = std::function<Result<std::unique_ptr<Metric>>(const MetricSpec &spec, const Program &program,
                                                                    std::shared_ptr<const Judge> judge)>;

// How a run is launched; everything here is recorded with the run so that a
// resume can rebuild it.
struct RunSettings {
    std::string studyPath;                // recorded for display and resume; may be empty
    std::optional<std::string> optimizer; // overrides the study's optimizer.name
    std::optional<std::string> autoMode;  // light | medium | heavy
    std::optional<std::uint64_t> seed;
    std::optional<int> threads; // trials / examples in parallel; default: the study's eval.threads
    ModelOverrides models;
    LmSetupOptions lm;        // cache, budget, global concurrency
    std::string artifactPath; // also write the artifact here when set
    // Evaluate baseline and optimized on the test split once the search is
    // done, as part of the run: its calls go through the journal, and the run
    // is stored finished only after it, so a crash during it resumes into it.
    bool compareOnTest = false;
};

// The study's optimizer settings with the run's overrides (optimizer name,
// auto, seed) applied: what a run started with these settings would use.
OptimizerConfig runOptimizerConfig(const Study &study, const RunSettings &settings);
// validateOptimizerSettings on runOptimizerConfig: what RunController::start
// checks before it creates a run. Callers that open files or a store first
// (the CLI, the Run page) call it before they do.
Result<void> checkRunSettings(const Study &study, const RunSettings &settings);

// What a resume may change. Results do not depend on threads or the
// artifact path. Model overrides replace, field by field, those the run was
// started with, for this session only: journaled answers are keyed by
// provider, base URL and model, so a call to another model is not answered
// from the journal (it is made and journaled anew, and the run's events from
// there on are recorded again); timeout, concurrency and key variable change
// nothing in the result.
struct ResumeSettings {
    std::optional<int> threads;
    std::string artifactPath;
    ModelOverrides models;
    bool noCache = false; // do not read the response cache, whatever the run was started with
    // A queue worker that claimed the run (RunStore::claimRun); only it may
    // start a queued run.
    bool claimed = false;
    // Where this worker wrote the files the run was uploaded with: its
    // relative data paths resolve there instead of the recorded base_dir.
    std::optional<std::string> baseDir;
    // The scheduler this worker's runs share (LmSetupOptions::scheduler).
    std::shared_ptr<Scheduler> scheduler;
};

// The model overrides a run was started with (its launch options): a resume
// and a comparison on the run's study use its models.
ModelOverrides runModelOverrides(const RunRecord &run);

// The end of a run, as wait() returns it.
struct RunOutcome {
    std::string runId;
    RunStatus status = RunStatus::Failed; // Finished | Cancelled | Failed
    StopReason stopReason;
    std::optional<double> baselineScore; // percent, on the optimizer's validation set
    std::optional<double> bestScore;
    Program program;           // the best program (the student when the run failed early)
    std::string artifactJson;  // programToDspyJson with the prism block; empty when the run failed
    ArtifactInfo artifactInfo; // its prism block (add test-split scores and save again)
    std::string artifactPath;  // where it was also written; empty when not
    std::vector<std::string> notes;
    RunFinishedEvent summary;   // the run_finished event
    std::optional<Error> error; // why the run failed
    int session = 1;
    long long replayedCalls = 0;  // answers a resume took from the journal
    std::uint64_t divergedAt = 0; // first replayed event that differed from the log; 0 = none
    // The test-split evaluations (RunSettings::compareOnTest), both or neither;
    // their scores are in the artifact's prism block.
    std::optional<EvalReport> testBaseline;
    std::optional<EvalReport> testOptimized;
    std::string compareNote; // why the comparison is missing, when it was asked for
};

class WorkerPool;

// Opens the run store when the controller first needs it.
using StoreOpener = std::function<Result<std::shared_ptr<RunStore>>()>;

class RunController {
public:
    explicit RunController(std::shared_ptr<RunStore> store);
    // The store is opened (and created, if new) only once start() has loaded
    // every input, or when resume() reads the run: a study that does not load
    // leaves no store file behind.
    explicit RunController(StoreOpener openStore);
    ~RunController(); // cancels and joins a run still under way
    RunController(const RunController &) = delete;
    RunController &operator=(const RunController &) = delete;

    // Tests replace the optimizers; the default is makeOptimizer.
    void setOptimizerFactory(OptimizerFactory factory);
    void setMetricFactory(MetricFactory factory);
    // Called for every event after the store has it, from the engine thread.
    // Add listeners before start().
    void addEventListener(EventBus::Listener listener);

    // Loads the data, builds the models, metric and adapter, creates the run
    // row, and starts the optimizer on its own thread. Returns the run id at
    // once; load errors come back here and no run is created.
    Result<std::string> start(const Study &study, const RunSettings &settings);
    // The same checks and loading as start(), then the run waits in the
    // store's queue (status queued) for a `prism serve --worker`; nothing runs
    // here. PostgreSQL stores only.
    // files: the data files uploaded with the study (a team server's API),
    // stored with the run for the worker that takes it.
    Result<std::string> enqueue(const Study &study, const RunSettings &settings,
                                std::map<std::string, std::string> files = {});
    // Continues a run whose process died (status running) or that was
    // cancelled, or starts a queued one: replays it from the start with the
    // recorded answers.
    Result<std::string> resume(const std::string &runId, const ResumeSettings &settings);

    // Stops starting LM calls; the optimizer returns its best so far and the
    // run ends with stop reason "cancelled". Safe from any thread.
    void cancel();
    bool running() const;
    // Joins the engine thread and returns the outcome (once; later calls return the same).
    RunOutcome wait();

    const std::string &runId() const { return m_runId; }
    // Null until start()/resume() opened it (with a StoreOpener).
    const std::shared_ptr<RunStore> &store() const { return m_store; }
    // Valid after start()/resume() succeeded; for evaluating beyond the run
    // (the CLI's test-split comparison goes through the same journal and ledger).
    const Study &study() const { return m_study; }
    const StudyData &data() const { return m_data; }
    Lm &taskLm() const { return *m_taskLm; }
    const Adapter &adapter() const { return *m_adapter; }
    const Metric &metric() const { return *m_metric; }
    const ModelSet &models() const { return m_models; }
    int threads() const { return m_threads; }
    // LM calls made so far by this session (ledger entries, cache hits included).
    long long callsSoFar() const;

private:
    // start() and enqueue(): validates, loads, sets up the run, and describes its row.
    Result<NewRun> newRunFor(const Study &study, const RunSettings &settings);
    Result<void> prepare(const Study &study, const std::string &optimizerName, const ModelOverrides &overrides,
                         const LmSetupOptions &lmOptions);
    void launch();
    void attachJournaledJudge();
    void runThread();
    // The phases of runThread, in order.
    void publishRunStarted();
    OptimizeContext optimizeContext(WorkerPool &pool);
    void settleOutcome(const Result<OptimizeResult> &result, RunOutcome &outcome, RunStats &stats);
    void compareOnTest(WorkerPool &pool, RunOutcome &outcome);
    void writeArtifact(RunOutcome &outcome);
    RunFinishedEvent finishedEvent(const RunOutcome &outcome, const RunStats &stats) const;
    void onStoreError(const Error &error);
    Result<void> openStore();

    std::shared_ptr<RunStore> m_store;
    StoreOpener m_openStore;
    OptimizerFactory m_factory;
    MetricFactory m_metricFactory;
    std::vector<EventBus::Listener> m_listeners;

    // Set up by start()/resume() before the thread starts; read-only afterwards.
    Study m_study;
    std::string m_studyPath;
    std::string m_artifactPath;
    StudyData m_data;
    ModelSet m_models;
    std::unique_ptr<Metric> m_metric;
    std::unique_ptr<Adapter> m_adapter;
    std::unique_ptr<Optimizer> m_optimizer;
    std::shared_ptr<CallJournal> m_journal;
    std::shared_ptr<JournalLm> m_taskLm;
    std::shared_ptr<JournalLm> m_proposerLm;
    std::shared_ptr<JournalLm> m_reflectionLm;
    int m_threads = 8;
    bool m_compareOnTest = false;
    std::string m_runId;
    int m_session = 1;
    std::uint64_t m_replayUpTo = 0;
    std::vector<RunEvent> m_storedEvents; // the log a resume replays against

    EventBus m_bus;
    std::thread m_thread;
    std::atomic<bool> m_running{false};
    std::atomic<bool> m_cancelRequested{false};
    std::atomic<std::uint64_t> m_divergedAt{0};
    mutable std::mutex m_mutex; // guards the members below
    std::optional<Error> m_storeError;
    bool m_waited = false;
    RunOutcome m_outcome;
};

} // namespace prism
