#include "run/run_controller.h"

#include "eval/lm_judge.h"
#include "run/study_judge.h"

#include "artifact/artifact.h"
#include "core/json.h"
#include "metric/builtin.h"
#include "optimize/presets.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <filesystem>

namespace prism {

namespace {

Json optionalNumber(std::optional<double> v)
{
    return v ? Json(*v) : Json(nullptr);
}

ModelInfo modelInfo(const ModelConfig &config)
{
    return ModelInfo{providerName(config.provider), config.model, config.baseUrl};
}

Json optimizerConfigJson(const OptimizerConfig &config)
{
    Json j = Json::object();
    j["name"] = config.name;
    j["seed"] = config.seed;
    j["settings"] = toJson(optimizerSettings(config));
    return j;
}

Json budgetJson(const Budget &b)
{
    Json j = Json::object();
    j["max_calls"] = b.maxCalls ? Json(*b.maxCalls) : Json(nullptr);
    j["max_tokens"] = b.maxTokens ? Json(*b.maxTokens) : Json(nullptr);
    j["max_dollars"] = optionalNumber(b.maxDollars);
    j["max_wall_seconds"] = optionalNumber(b.maxWallSeconds);
    return j;
}

Budget budgetFromJson(const Json &j)
{
    Budget b;
    if (!j.is_object())
        return b;
    if (j.contains("max_calls") && j["max_calls"].is_number_integer())
        b.maxCalls = j["max_calls"].get<long long>();
    if (j.contains("max_tokens") && j["max_tokens"].is_number_integer())
        b.maxTokens = j["max_tokens"].get<long long>();
    if (j.contains("max_dollars") && j["max_dollars"].is_number())
        b.maxDollars = j["max_dollars"].get<double>();
    if (j.contains("max_wall_seconds") && j["max_wall_seconds"].is_number())
        b.maxWallSeconds = j["max_wall_seconds"].get<double>();
    return b;
}

std::string jsonText(const Json &j, const char *key)
{
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// A resume's model overrides on top of those the run was started with: what
// is given replaces; another provider drops the stored URL and key variable,
// as applyOverrides does for the study's model.
ModelOverrides mergeOverrides(ModelOverrides stored, const ModelOverrides &given)
{
    if (given.provider && given.provider != stored.provider) {
        stored.provider = given.provider;
        if (given.baseUrl.empty())
            stored.baseUrl.clear();
        if (given.apiKeyEnv.empty())
            stored.apiKeyEnv.clear();
    }
    if (!given.baseUrl.empty())
        stored.baseUrl = given.baseUrl;
    if (!given.model.empty())
        stored.model = given.model;
    if (!given.apiKeyEnv.empty())
        stored.apiKeyEnv = given.apiKeyEnv;
    if (given.maxConcurrency > 0)
        stored.maxConcurrency = given.maxConcurrency;
    if (given.timeoutSeconds > 0)
        stored.timeoutSeconds = given.timeoutSeconds;
    return stored;
}

} // namespace

RunController::RunController(std::shared_ptr<RunStore> store)
    : m_store(std::move(store)), m_factory(makeOptimizer), m_metricFactory(makeMetric)
{}

RunController::RunController(StoreOpener openStore)
    : m_openStore(std::move(openStore)), m_factory(makeOptimizer), m_metricFactory(makeMetric)
{}

Result<void> RunController::openStore()
{
    if (m_store)
        return {};
    if (!m_openStore)
        return Error::make(ErrorKind::Internal, "the run controller has no run store");
    auto opened = m_openStore();
    if (!opened)
        return opened.error();
    m_store = std::move(opened.value());
    return {};
}

RunController::~RunController()
{
    if (m_thread.joinable()) {
        cancel();
        m_thread.join();
    }
}

void RunController::setOptimizerFactory(OptimizerFactory factory)
{
    m_factory = std::move(factory);
}

void RunController::setMetricFactory(MetricFactory factory)
{
    m_metricFactory = std::move(factory);
}

void RunController::addEventListener(EventBus::Listener listener)
{
    m_listeners.push_back(std::move(listener));
}

Result<void> RunController::prepare(const Study &study, const std::string &optimizerName,
                                    const ModelOverrides &overrides, const LmSetupOptions &lmOptions)
{
    if (!m_store && !m_openStore)
        return Error::make(ErrorKind::Internal, "the run controller has no run store");
    if (m_thread.joinable())
        return Error::make(ErrorKind::Internal, "this run controller already ran a run; use a new one");
    m_study = study;
    m_study.optimizer.name = optimizerName;

    auto models = setupModels(m_study, overrides, lmOptions);
    if (!models)
        return models.error();
    m_models = std::move(models.value());
    // Checked here, before a run exists; a judge metric is built again in
    // launch() on the journaled judge model, so a resume repeats no judge call.
    auto metric = m_metricFactory(m_study.metric, m_study.program, studyJudge(m_study, m_models));
    if (!metric)
        return metricBuildError(metric.error());
    m_metric = std::move(metric.value());
    m_adapter = makeAdapter(m_study.eval.adapter);
    auto optimizer = m_factory(m_study.optimizer);
    if (!optimizer)
        return optimizer.error();
    m_optimizer = std::move(optimizer.value());
    auto data = loadStudyData(m_study);
    if (!data)
        return data.error();
    m_data = std::move(data.value());
    if (m_data.train.examples.empty())
        return Error::make(ErrorKind::Data, "the study has no training examples to optimize on");
    return {};
}

OptimizerConfig runOptimizerConfig(const Study &study, const RunSettings &settings)
{
    OptimizerConfig config = study.optimizer;
    if (settings.autoMode)
        config.autoMode = *settings.autoMode;
    if (settings.seed)
        config.seed = *settings.seed;
    config.name = settings.optimizer.value_or(config.name);
    // A judge's verdict is a score, rarely a perfect 1: its pass threshold is
    // what makes a bootstrapped trace a demo, unless the optimizer sets one.
    if (!config.metricThreshold && study.metric.kind == "judge")
        config.metricThreshold = study.metric.judge.passThreshold;
    return config;
}

Result<void> checkRunSettings(const Study &study, const RunSettings &settings)
{
    return validateOptimizerFor(runOptimizerConfig(study, settings), study.program);
}

Result<std::string> RunController::start(const Study &input, const RunSettings &settings)
{
    auto run = newRunFor(input, settings);
    if (!run)
        return run.error();
    if (auto opened = openStore(); !opened)
        return opened.error();
    auto id = m_store->createRun(run.value());
    if (!id)
        return id.error();
    m_runId = id.value();
    m_session = 1;
    m_journal = std::make_shared<CallJournal>(m_store, m_runId, m_session, std::vector<JournalRecord>{});
    launch();
    return m_runId;
}

Result<std::string> RunController::enqueue(const Study &input, const RunSettings &settings,
                                           std::map<std::string, std::string> files)
{
    // Checked here and run by a worker: this process makes no call, so it
    // opens no response cache (an API server has none of its own).
    RunSettings checked = settings;
    checked.lm.openCache = false;
    auto run = newRunFor(input, checked);
    if (!run)
        return run.error();
    run->files = std::move(files);
    if (auto opened = openStore(); !opened)
        return opened.error();
    return m_store->enqueueRun(run.value());
}

Result<NewRun> RunController::newRunFor(const Study &input, const RunSettings &settings)
{
    // Before anything is created: a bad setting leaves no run in the store.
    if (auto valid = checkRunSettings(input, settings); !valid)
        return valid.error();
    Study study = input;
    study.optimizer = runOptimizerConfig(input, settings);
    const std::string optimizerName = study.optimizer.name;
    if (auto prepared = prepare(study, optimizerName, settings.models, settings.lm); !prepared)
        return prepared.error();
    m_studyPath = settings.studyPath;
    m_artifactPath = settings.artifactPath;
    m_threads = std::max(1, settings.threads.value_or(m_study.eval.threads));
    m_compareOnTest = settings.compareOnTest;

    Json options = Json::object();
    options["threads"] = m_threads;
    options["compare_on_test"] = m_compareOnTest;
    options["use_cache"] = settings.lm.useCache;
    options["budget"] = budgetJson(settings.lm.budget);
    options["global_concurrency"] = settings.lm.globalConcurrency;
    Json models = Json::object();
    models["provider"] = settings.models.provider ? providerName(*settings.models.provider) : ""; // "" = keep
    models["base_url"] = settings.models.baseUrl;
    models["model"] = settings.models.model;
    models["api_key_env"] = settings.models.apiKeyEnv;
    models["max_concurrency"] = settings.models.maxConcurrency;
    models["timeout_seconds"] = settings.models.timeoutSeconds;
    options["model_overrides"] = models;
    options["base_dir"] = m_study.baseDir;
    options["train_hash"] = m_data.train.hash;
    options["val_hash"] = m_data.val.hash;
    options["test_hash"] = m_data.test.hash;

    NewRun run;
    run.studyName = m_study.name;
    run.studyPath = m_studyPath;
    run.studyJson = studyToJsonText(m_study);
    run.optimizer = m_study.optimizer.name;
    run.optimizerConfigJson = optimizerConfigJson(m_study.optimizer).dump();
    run.optionsJson = options.dump(-1, ' ', false, Json::error_handler_t::replace);
    run.seed = m_study.optimizer.seed;
    return run;
}

ModelOverrides runModelOverrides(const RunRecord &run)
{
    ModelOverrides overrides;
    const Json options = Json::parse(run.optionsJson, nullptr, false);
    if (!options.is_object() || !options.contains("model_overrides") || !options["model_overrides"].is_object())
        return overrides;
    const Json &m = options["model_overrides"];
    overrides.provider = providerFromName(jsonText(m, "provider"));
    overrides.baseUrl = jsonText(m, "base_url");
    overrides.model = jsonText(m, "model");
    overrides.apiKeyEnv = jsonText(m, "api_key_env");
    if (m.contains("max_concurrency") && m["max_concurrency"].is_number_integer())
        overrides.maxConcurrency = m["max_concurrency"].get<int>();
    if (m.contains("timeout_seconds") && m["timeout_seconds"].is_number())
        overrides.timeoutSeconds = m["timeout_seconds"].get<double>();
    return overrides;
}

Result<std::string> RunController::resume(const std::string &runId, const ResumeSettings &settings)
{
    if (auto opened = openStore(); !opened)
        return opened.error();
    auto loaded = m_store->loadRun(runId);
    if (!loaded)
        return loaded.error();
    const RunRecord &run = loaded.value();
    // A queued run starts here: a resume with nothing to replay.
    if (run.status != RunStatus::Running && run.status != RunStatus::Cancelled && run.status != RunStatus::Queued)
        return Error::make(ErrorKind::Config,
                           "run " + runId + " is " + runStatusName(run.status)
                               + "; only a run that was cancelled or whose process died can be resumed");
    if (run.status == RunStatus::Queued && !settings.claimed)
        return Error::make(ErrorKind::Config, "run " + runId
                                                  + " is queued for the workers of its store (prism serve --worker);"
                                                    " a worker will start it");
    if (run.status == RunStatus::Running && runOwnerAlive(run.owner))
        return Error::make(ErrorKind::Config, "run " + runId + " is still running in process " + run.owner
                                                  + "; cancel it there, or wait for it to end");
    // A shared database: the process may be alive on its machine, and two
    // processes resuming one run would both pay for its calls.
    if (run.status == RunStatus::Running && m_store->isDatabase() && runOwnerElsewhere(run.owner))
        return Error::make(ErrorKind::Config, "run " + runId + " is running on another machine (" + run.owner
                                                  + "), whose process cannot be checked from here; resume it on "
                                                    "that machine, or cancel it there first");
    auto study = studyFromJsonText(run.studyJson, "run " + runId + " (study snapshot)");
    if (!study)
        return study.error();
    const Json options = Json::parse(run.optionsJson, nullptr, false);
    if (!options.is_object())
        return Error::make(ErrorKind::Data, "run " + runId + ": its launch options in the run store are unreadable");
    study->baseDir = settings.baseDir.value_or(jsonText(options, "base_dir"));

    LmSetupOptions lm;
    lm.useCache =
        !options.contains("use_cache") || !options["use_cache"].is_boolean() || options["use_cache"].get<bool>();
    lm.budget = budgetFromJson(options.contains("budget") ? options["budget"] : Json());
    if (options.contains("global_concurrency") && options["global_concurrency"].is_number_integer())
        lm.globalConcurrency = options["global_concurrency"].get<int>();
    ModelOverrides overrides = runModelOverrides(run);
    overrides = mergeOverrides(overrides, settings.models);
    if (settings.noCache)
        lm.useCache = false;
    lm.scheduler = settings.scheduler;
    if (auto prepared = prepare(study.value(), study->optimizer.name, overrides, lm); !prepared)
        return prepared.error();
    // Replaying against other data would not be a resume.
    const std::pair<const char *, const Dataset *> splits[] = {
        {"train", &m_data.train}, {"val", &m_data.val}, {"test", &m_data.test}};
    for (const auto &[name, dataset] : splits) {
        const std::string recorded = jsonText(options, (std::string(name) + "_hash").c_str());
        if (recorded != dataset->hash)
            return Error::make(ErrorKind::Data,
                               "run " + runId + ": the " + name + " data changed since the run started"
                                   + (dataset->path.empty() ? std::string() : " (" + dataset->path + ")")
                                   + "; restore it or start a new run");
    }
    m_studyPath = run.studyPath;
    m_artifactPath = settings.artifactPath;
    int threads = m_study.eval.threads;
    if (options.contains("threads") && options["threads"].is_number_integer())
        threads = options["threads"].get<int>();
    m_threads = std::max(1, settings.threads.value_or(threads));
    m_compareOnTest = options.contains("compare_on_test") && options["compare_on_test"].is_boolean()
                      && options["compare_on_test"].get<bool>();
    m_runId = runId;

    // Events after the cancel may reflect it (failed trials, the final
    // event): drop them, the replay makes them again without the cancel.
    if (run.cancelSeq) {
        if (auto cut = m_store->truncateEvents(runId, *run.cancelSeq + 1); !cut)
            return cut.error();
    }
    auto events = m_store->events(runId);
    if (!events)
        return events.error();
    m_storedEvents = std::move(events.value());
    m_replayUpTo = m_storedEvents.empty() ? 0 : m_storedEvents.back().seq;
    auto journal = m_store->journal(runId);
    if (!journal)
        return journal.error();
    auto earlier = m_store->ledger(runId);
    if (!earlier)
        return earlier.error();
    auto session = m_store->beginSession(runId);
    if (!session)
        return session.error();
    m_session = session.value();
    m_journal = std::make_shared<CallJournal>(m_store, m_runId, m_session, journal.value());
    // A budget covers the whole run: charge what earlier sessions started.
    if (m_models.services.budget) {
        for (const auto &row : earlier.value()) {
            if (row.entry.cacheHit)
                continue;
            (void)m_models.services.budget->tryStartCall();
            std::optional<long long> tokens;
            if (row.entry.promptTokens || row.entry.completionTokens)
                tokens = row.entry.promptTokens.value_or(0) + row.entry.completionTokens.value_or(0);
            m_models.services.budget->record(tokens, row.entry.dollars);
        }
    }
    if (!m_storedEvents.empty())
        m_bus.setElapsedOffset(m_storedEvents.back().elapsedSeconds);
    launch();
    return m_runId;
}

// The judge metric again, its judge model behind the run's journal (which
// only exists now): a resumed run gets the judge's answers back for free.
void RunController::attachJournaledJudge()
{
    std::shared_ptr<JournalLm> judgeLm;
    if (m_models.judge == m_models.task)
        judgeLm = m_taskLm;
    else if (m_models.judge == m_models.proposer)
        judgeLm = m_proposerLm;
    else if (m_models.judge == m_models.reflection)
        judgeLm = m_reflectionLm;
    else
        judgeLm = std::make_shared<JournalLm>(m_models.judge, m_journal);
    auto metric = m_metricFactory(m_study.metric, m_study.program,
                                  makeLmJudge(m_study.metric, judgeLm, m_study.eval.adapter, m_models.judgeConfig));
    if (metric) // built once already in prepare(), from the same spec
        m_metric = std::move(metric.value());
}

void RunController::launch()
{
    m_journal->attachLedger(*m_models.services.ledger);
    m_taskLm = std::make_shared<JournalLm>(m_models.task, m_journal);
    m_proposerLm = m_models.proposer ? std::make_shared<JournalLm>(m_models.proposer, m_journal) : m_taskLm;
    if (!m_models.reflection || m_models.reflection == m_models.proposer)
        m_reflectionLm = m_proposerLm;
    else if (m_models.reflection == m_models.task)
        m_reflectionLm = m_taskLm;
    else
        m_reflectionLm = std::make_shared<JournalLm>(m_models.reflection, m_journal);
    if (m_study.metric.kind == "judge")
        attachJournaledJudge();

    // The store is the first listener: an event is committed before anyone sees it.
    m_bus.addListener([this](const RunEvent &event) {
        auto stored = m_store->appendEvent(m_runId, event);
        if (!stored)
            onStoreError(stored.error());
    });
    for (auto &listener : m_listeners)
        m_bus.addListener(listener);
    if (m_replayUpTo > 0) {
        m_bus.setReplayUpTo(m_replayUpTo);
        m_bus.setReplayChecker([this](const RunEvent &event) {
            const RunEvent *stored = nullptr;
            if (event.seq >= 1 && event.seq <= m_storedEvents.size() && m_storedEvents[event.seq - 1].seq == event.seq)
                stored = &m_storedEvents[event.seq - 1];
            if (stored && stored->payload == event.payload)
                return true;
            // The rest of the log no longer describes this run: drop it and store anew.
            m_divergedAt.store(event.seq);
            spdlog::warn("run {}: resume diverged at event {}", m_runId, event.seq);
            if (auto cut = m_store->truncateEvents(m_runId, event.seq); !cut)
                onStoreError(cut.error());
            return false;
        });
    }
    m_running.store(true);
    m_thread = std::thread([this] { runThread(); });
}

void RunController::onStoreError(const Error &error)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_storeError)
            return;
        m_storeError = error;
    }
    spdlog::error("run {}: {}", m_runId, error.message);
    // Without the store nothing is durable: stop the run.
    m_models.services.requestCancel();
}

void RunController::cancel()
{
    if (!m_running.load() || m_cancelRequested.exchange(true))
        return;
    // Later events may reflect the cancel; a resume replays only up to here.
    // Read without the bus lock: cancel() may be called from a listener.
    auto last = m_store->lastSeq(m_runId);
    if (last) {
        auto marked = m_store->setCancelSeq(m_runId, last.value());
        if (!marked)
            spdlog::warn("{}", marked.error().message);
    }
    m_models.services.requestCancel();
}

bool RunController::running() const
{
    return m_running.load();
}

long long RunController::callsSoFar() const
{
    return m_models.services.ledger ? static_cast<long long>(m_models.services.ledger->size()) : 0;
}

RunOutcome RunController::wait()
{
    if (m_thread.joinable())
        m_thread.join();
    std::lock_guard lock(m_mutex);
    return m_outcome;
}

void RunController::publishRunStarted()
{
    RunStartedEvent started;
    started.runId = m_runId;
    started.optimizer = m_study.optimizer.name;
    started.seed = m_study.optimizer.seed;
    started.studyName = m_study.name;
    started.settings = optimizerSettings(m_study.optimizer);
    started.trainSize = m_data.train.examples.size();
    started.valSize = m_data.val.examples.size();
    started.testSize = m_data.test.examples.size();
    started.taskModel = modelInfo(m_models.taskConfig);
    started.proposerModel = modelInfo(m_models.proposerConfig);
    m_bus.publish(std::move(started));
}

OptimizeContext RunController::optimizeContext(WorkerPool &pool)
{
    OptimizeContext context;
    context.pool = &pool;
    context.taskLm = m_taskLm.get();
    context.proposerLm = m_proposerLm.get();
    context.reflectionLm = m_reflectionLm.get();
    context.teacherLm = m_taskLm.get();
    context.adapter = m_adapter.get();
    context.metric = m_metric.get();
    context.threads = m_threads;
    context.maxErrors = m_study.eval.maxErrors;
    context.events = &m_bus;
    context.cancel = m_models.services.cancel.get();
    context.taskTemperature = m_models.taskConfig.temperature;
    context.taskMaxTokens = m_models.taskConfig.maxTokens;
    context.onExampleResult = [this](const std::string &configKey, const ExampleResult &r) {
        ExampleResultRecord record;
        record.configKey = configKey;
        record.exampleIndex = static_cast<int>(r.index);
        record.score = r.score;
        record.error = r.error ? r.error->describe() : std::string();
        Json prediction = Json::object();
        prediction["values"] = toJson(r.prediction.values);
        prediction["raw"] = r.prediction.rawCompletion;
        prediction["feedback"] = r.feedback;
        // The example itself, so the studio can trace this row again (the
        // optimizer's validation indices are its own, e.g. a holdout of train).
        prediction["example"] = toJson(r.example);
        record.predictionJson = prediction.dump(-1, ' ', false, Json::error_handler_t::replace);
        record.calls = r.lmCalls;
        if (auto stored = m_store->putExampleResult(m_runId, record); !stored)
            onStoreError(stored.error());
    };
    return context;
}

void RunController::settleOutcome(const Result<OptimizeResult> &result, RunOutcome &outcome, RunStats &stats)
{
    const std::shared_ptr<BudgetTracker> &budget = m_models.services.budget;
    if (result) {
        const OptimizeResult &r = result.value();
        outcome.program = r.program;
        outcome.baselineScore = r.baselineScore;
        outcome.bestScore = r.bestScore;
        outcome.notes = r.stats.notes;
        stats = r.stats;
        outcome.stopReason = r.stopReason.is(StopReason::Kind::None) ? StopReason::completed() : r.stopReason;
        if (outcome.stopReason.is(StopReason::Kind::Completed) && budget && budget->exhausted())
            outcome.stopReason = StopReason::fromText(budget->stopReason());
        if (m_cancelRequested.load() && outcome.stopReason.is(StopReason::Kind::Completed))
            outcome.stopReason = StopReason::cancelled();
        outcome.status = statusForStop(outcome.stopReason);
    } else {
        const Error &e = result.error();
        if (e.kind == ErrorKind::Cancelled || m_cancelRequested.load()) {
            outcome.status = RunStatus::Cancelled;
            outcome.stopReason = StopReason::cancelled();
        } else if (e.kind == ErrorKind::Budget) {
            outcome.status = RunStatus::Finished;
            outcome.stopReason = budget && budget->exhausted() ? StopReason::fromText(budget->stopReason())
                                                               : StopReason::budget(e.message);
        } else {
            outcome.status = RunStatus::Failed;
            outcome.stopReason = StopReason::error(e.message);
            outcome.error = e;
        }
        outcome.notes.push_back(e.describe());
    }
    std::optional<Error> storeError;
    {
        std::lock_guard lock(m_mutex);
        storeError = m_storeError;
    }
    if (!storeError)
        storeError = m_journal->storeError();
    if (storeError) {
        outcome.status = RunStatus::Failed;
        outcome.stopReason = StopReason::error("run store: " + storeError->message);
        outcome.error = storeError;
    }
    outcome.replayedCalls = m_journal->replayedCalls();
    outcome.divergedAt = m_divergedAt.load();
    if (outcome.divergedAt > 0) {
        const std::string message =
            "resume diverged at event " + std::to_string(outcome.divergedAt)
            + ": the replay did not match the stored log from there on, so those events were recorded again";
        outcome.notes.push_back(message);
        m_bus.publish(WarningEvent{message});
    }
}

// Baseline vs optimized on the test split, never seen by the optimizer.
void RunController::compareOnTest(WorkerPool &pool, RunOutcome &outcome)
{
    if (!m_compareOnTest || outcome.status != RunStatus::Finished || m_data.test.examples.empty())
        return;
    EvalOptions evalOptions;
    evalOptions.pool = &pool;
    evalOptions.threads = m_threads;
    evalOptions.maxErrors = 0; // every example: a comparison needs them all
    evalOptions.call.temperature = m_models.taskConfig.temperature;
    evalOptions.call.maxTokens = m_models.taskConfig.maxTokens;
    // Its own ledger role: these calls are the run's report, not its search.
    evalOptions.call.role = "test_comparison";
    evalOptions.cancel = m_models.services.cancel.get();
    const Evaluator evaluator(*m_taskLm, *m_adapter, *m_metric, evalOptions);
    EvalReport baseline = evaluator.run(m_study.program, m_data.test.examples);
    // The same program gives the same answers: no second pass.
    EvalReport optimized =
        outcome.program == m_study.program ? baseline : evaluator.run(outcome.program, m_data.test.examples);
    if (baseline.stoppedEarly || optimized.stoppedEarly) {
        outcome.compareNote = "the test-split comparison was interrupted";
    } else {
        outcome.testBaseline = std::move(baseline);
        outcome.testOptimized = std::move(optimized);
    }
}

// The artifact: nothing in it depends on the clock, the thread count or the
// run id, so identical runs give identical files. A failed run has no
// artifact: its program is not an optimization result.
void RunController::writeArtifact(RunOutcome &outcome)
{
    if (outcome.status == RunStatus::Failed)
        return;
    ArtifactInfo info = artifactInfoFromStudy(m_study);
    info.trainHash = m_data.train.hash;
    info.valHash = m_data.val.hash;
    info.testHash = m_data.test.hash;
    info.taskModel = artifactModel(m_models.taskConfig);
    info.proposerModel = artifactModel(m_models.proposerConfig);
    info.baselineScore = outcome.baselineScore;
    info.optimizedScore = outcome.bestScore;
    // The scores the optimizer selected on: the study's val split, or (when it
    // has none) the part of train the optimizer held out for itself; random
    // search then selects on the whole of train, as DSPy does.
    const char *selectedOn = !m_data.val.examples.empty()                ? "val"
                             : m_study.optimizer.name == "random_search" ? "train"
                                                                         : "train_holdout";
    if (outcome.baselineScore || outcome.bestScore)
        info.splitScores[selectedOn] = SplitScores{outcome.baselineScore, outcome.bestScore};
    if (outcome.testBaseline && outcome.testOptimized)
        info.splitScores["test"] = SplitScores{outcome.testBaseline->scorePercent, outcome.testOptimized->scorePercent};
    outcome.artifactJson = programToDspyJson(outcome.program, info);
    outcome.artifactInfo = info;
    if (auto saved = m_store->setArtifact(m_runId, outcome.artifactJson); !saved)
        outcome.notes.push_back(saved.error().message);
    if (m_artifactPath.empty())
        return;
    if (auto written = writeFileAtomic(m_artifactPath, outcome.artifactJson); written) {
        outcome.artifactPath = m_artifactPath;
    } else {
        outcome.notes.push_back("the artifact could not be written: " + written.error().message);
        m_bus.publish(WarningEvent{outcome.notes.back()});
    }
}

// Stats over every session of the run: a resume adds to what was paid before.
RunFinishedEvent RunController::finishedEvent(const RunOutcome &outcome, const RunStats &stats) const
{
    RunFinishedEvent finished;
    finished.stopReason = outcome.stopReason;
    finished.baselineScore = outcome.baselineScore;
    finished.bestScore = outcome.bestScore;
    finished.notes = outcome.notes;
    finished.trials = stats.trials;
    if (auto totals = m_store->ledgerTotals(m_runId)) {
        for (const auto &[role, t] : totals->byRole) {
            finished.callsByRole[role] = RoleCallTotals{t.calls - t.cacheHits, t.cacheHits, t.errors};
            RoleTokenTotals &tokens = finished.tokensByRole[role];
            if (!(t.promptTokensUnknown && t.promptTokens == 0))
                tokens.prompt = t.promptTokens;
            if (!(t.completionTokensUnknown && t.completionTokens == 0))
                tokens.completion = t.completionTokens;
        }
        if (!totals->total.dollarsUnknown || totals->total.dollars > 0)
            finished.dollars = totals->total.dollars;
    }
    for (const auto &[role, c] : stats.callsByRole)
        finished.optimizerCallsByRole[role] = OptimizerRoleCalls{c.calls, c.cachedCalls};
    finished.fullEvals = stats.fullEvals;
    finished.memoHits = stats.memoHits;
    return finished;
}

void RunController::runThread()
{
    RunOutcome outcome;
    outcome.runId = m_runId;
    outcome.session = m_session;
    outcome.program = m_study.program;
    publishRunStarted();

    // One pool for the whole run: the optimizer's batches and the test-split
    // evaluations reuse its threads (and their connections and JS engines).
    WorkerPool pool(m_threads);
    OptimizeContext context = optimizeContext(pool);

    // The test split is never shown to the optimizer.
    std::optional<Result<OptimizeResult>> compiled;
    try {
        compiled.emplace(m_optimizer->compile(m_study.program, m_data.train.examples, m_data.val.examples, context));
    } catch (const std::exception &e) {
        compiled.emplace(Error::make(ErrorKind::Internal, std::string("the optimizer threw: ") + e.what()));
    }
    RunStats stats;
    settleOutcome(*compiled, outcome, stats);
    compareOnTest(pool, outcome);
    writeArtifact(outcome);
    RunFinishedEvent finished = finishedEvent(outcome, stats);
    outcome.summary = finished;

    // The store's row is final before anyone sees run_finished.
    if (auto done = m_store->finishRun(m_runId, outcome.status, outcome.stopReason, outcome.baselineScore,
                                       outcome.bestScore, outcome.summary);
        !done) {
        spdlog::error("{}", done.error().message);
    }
    if (outcome.status == RunStatus::Failed)
        m_bus.publish(ErrorEvent{outcome.stopReason.text()});
    m_bus.publish(std::move(finished));

    {
        std::lock_guard lock(m_mutex);
        m_outcome = std::move(outcome);
    }
    m_running.store(false);
}

} // namespace prism
