// prism optimize, and what optimize and resume share: options, progress,
// the event log, the test-split comparison and the run summary.
#include "cli.h"
#include "options.h"

#include "artifact/artifact.h"
#include "core/json.h"
#include "core/outfile.h"
#include "core/paths.h"
#include "core/pg_db.h"
#include "core/text.h"
#include "eval/compare.h"
#include "events/event_codec.h"
#include "modelsetup/lm_setup.h"
#include "run/run_controller.h"
#include "run/run_state.h"
#include "run/run_store.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <unistd.h>

namespace prism::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void onInterrupt(int)
{
    // First Ctrl-C: cancel and keep the best so far; a second one kills.
    g_interrupted.store(true);
    std::signal(SIGINT, SIG_DFL);
}

std::string percent(std::optional<double> v)
{
    return v ? fmt::format("{:.2f}%", *v) : std::string("n/a");
}

// "evaluation 312 (+20 cached), proposer 14"
std::string callsLine(const std::map<std::string, RoleCallTotals> &callsByRole)
{
    std::string out;
    for (const auto &[role, c] : callsByRole) {
        if (!out.empty())
            out += ", ";
        out += role + " " + withThousands(c.calls);
        if (c.cacheHits > 0)
            out += " (+" + withThousands(c.cacheHits) + " cached)";
        if (c.errors > 0)
            out += " [" + withThousands(c.errors) + " failed]";
    }
    return out.empty() ? std::string("none") : out;
}

std::string tokensLine(const std::map<std::string, RoleTokenTotals> &tokensByRole)
{
    std::string out;
    auto count = [](const std::optional<long long> &n) { return n ? withThousands(*n) : std::string("unknown"); };
    for (const auto &[role, t] : tokensByRole) {
        if (!out.empty())
            out += "; ";
        out += role + " " + count(t.prompt) + " in / " + count(t.completion) + " out";
    }
    return out;
}

// What the progress line shows; updated from the engine thread.
// The run as the progress line shows it: the engine's fold of its events.
struct Progress {
    std::mutex mutex;
    RunState state;
};

} // namespace

Result<std::shared_ptr<RunStore>> openRunStore(const std::string &path)
{
    if (path.empty())
        return RunStore::openDefault();
    if (pg::isUrl(path))
        return RunStore::open(path);
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty())
        std::filesystem::create_directories(parent, ec);
    return RunStore::open(path);
}

std::string optimizeUsage()
{
    return "usage: prism optimize STUDY [--optimizer miprov2|gepa|bootstrap|labeled|random_search]\n"
           "                      [--auto light|medium|heavy]\n"
           "                      [--seed N] [--threads N] [--budget-calls N] [--out FILE]\n"
           "                      [--events FILE.jsonl] [--json] [--no-compare] [--store PATH] [--queue]\n"
           "                      [--freeze STAGE,...]\n"
           "                      [model options] [budget options] [--quiet] [--verbose]\n"
           "                      [--dry-run]\n"
           "\n"
           "Optimizes the study's program on its train (and val) split on a background\n"
           "thread, records the run in the run store, writes the compiled program in\n"
           "DSPy's format, then compares baseline and optimized on the test split (the\n"
           "optimizer never sees it). Ctrl-C cancels and keeps the best program so far;\n"
           "`prism resume RUN_ID` continues a cancelled or crashed run.\n"
           "\n"
           "Options:\n"
           "  --optimizer NAME   miprov2, gepa, bootstrap, labeled or random_search\n"
           "                     (default: the study's)\n"
           "  --auto MODE        light, medium or heavy (the MIPROv2 or GEPA preset)\n"
           "  --seed N           the run's seed (default: the study's; 0 means 0)\n"
           + threadsHelp()
           + "  --out FILE         write the artifact here (default: artifacts/RUN_ID.json\n"
             "                     beside the run store)\n"
             "  --events FILE      write every event as one JSON line, as it happens\n"
             "  --json             print the run summary as one JSON object\n"
             "  --no-compare       skip the test-split comparison\n"
             "  --freeze STAGES    keep these stages (names, comma-separated) as they are:\n"
             "                     the optimizer varies only the others (as the study's\n"
             "                     \"frozen\": true on a predictor)\n"
             "  --queue            put the run in the store's queue for `prism serve --worker`\n"
             "                     (a PostgreSQL store) instead of running it here\n"
             "  --store PATH       the run store: a file, or a postgresql:// URL a team shares\n"
             "                     (default: $PRISM_STORE, else runs.sqlite in the data directory)\n"
             "  --quiet            no progress on stderr\n"
             "  --verbose          debug logs on stderr\n"
             "  --dry-run          print the plan (calls by role, tokens, dollars, time; with\n"
             "                     --json one JSON object) and exit: no model call, no run\n"
             "\n"
             "GEPA (each replaces the study's optimizer setting; docs/GEPA.md):\n"
             "  --max-metric-calls N         the budget in program runs (instead of --auto)\n"
             "  --max-full-evals N           the budget as N x (train + val) runs (instead of --auto)\n"
             "  --reflection-minibatch-size N  examples each reflection reads (default 3)\n"
             "  --candidate-selection S      pareto or current_best (default pareto)\n"
             "  --component-selector S       round_robin or all (default round_robin)\n"
             "  --no-merge                   never merge two candidates\n"
             "  --max-merge-invocations N    merges tried at most (default 5)\n"
             "  --no-skip-perfect-score      reflect even on a perfect minibatch\n"
             "  --max-reflection-calls N     cap on reflection calls (default: none)\n"
             "  The reflection model is the study's models.reflection (else the proposer).\n"
             "\n"
             "MIPROv2 and random search (each replaces the study's optimizer setting):\n"
             "  --num-candidates N           miprov2 (manual mode): demo sets and instructions;\n"
             "                               random_search: shuffled bootstraps after the\n"
             "                               zero-shot, labeled and unshuffled ones (default 16)\n"
             "  --stop-at-score P            random_search: stop at the first candidate scoring\n"
             "                               at least P percent on the validation set\n"
             "\n"
           + modelFlagsHelp()
           + "                     (the run records these: `prism resume` uses them again)\n"
             "\n"
           + budgetFlagsHelp()
           + "\n"
             "Exit codes: 0 done, 1 stopped early (cancelled, budget, failed), 2 bad usage,\n"
             "3 a study, dataset, model or store that cannot be loaded.\n";
}

namespace {

// Polls the run until it ends: the terminal's progress line, and Ctrl-C as a
// clean cancel that keeps the best program so far.
void waitForRun(RunController &controller, Progress &progress, bool quiet, bool drawProgress, bool tty)
{
    bool cancelAnnounced = false;
    auto drawLine = [&]() {
        std::lock_guard lock(progress.mutex);
        const RunState &state = progress.state;
        std::string text = "trial " + std::to_string(state.highestTrialNumber());
        if (const auto total = state.announcedTrials())
            text += "/" + std::to_string(*total);
        text += " best " + percent(state.bestScore()) + " calls " + withThousands(controller.callsSoFar());
        if (!state.phase().empty())
            text += " (" + state.phase() + ")";
        std::fprintf(stderr, "\r\033[K%s", text.c_str());
        std::fflush(stderr);
    };
    while (controller.running()) {
        if (g_interrupted.load() && !cancelAnnounced) {
            cancelAnnounced = true;
            if (!quiet)
                std::fprintf(stderr, "%scancelling: keeping the best program so far (Ctrl-C again to kill)\n",
                             tty ? "\r\033[K" : "");
            controller.cancel();
        }
        if (drawProgress)
            drawLine();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

// The --events log. Opened by the first event, not before: a run that never
// starts (its inputs do not load) leaves no file behind.
class EventLog {
public:
    explicit EventLog(std::string path) : m_path(std::move(path)) {}
    ~EventLog() { close(); }
    EventLog(const EventLog &) = delete;
    EventLog &operator=(const EventLog &) = delete;

    // On the engine thread, one event at a time.
    void write(const RunEvent &event, RunStore *store, const std::string &runId)
    {
        if (m_path.empty() || !m_problem.empty())
            return;
        if (!m_file) {
            auto opened = openOutputStream(m_path);
            if (!opened) {
                m_problem = opened.error().message;
                return;
            }
            m_file = opened.value();
            // A resumed run delivers only new events: the log starts with the stored ones.
            if (store) {
                if (auto earlier = store->events(runId))
                    for (const auto &e : earlier.value())
                        if (e.seq < event.seq)
                            std::fprintf(m_file, "%s\n", toJsonLine(e).c_str());
            }
        }
        std::fprintf(m_file, "%s\n", toJsonLine(event).c_str());
        if (std::fflush(m_file) != 0)
            m_problem = m_path + ": write failed (" + std::strerror(errno) + ")";
    }
    void close()
    {
        if (m_file && std::fclose(m_file) != 0 && m_problem.empty())
            m_problem = m_path + ": write failed (" + std::strerror(errno) + ")";
        m_file = nullptr;
    }
    const std::string &problem() const { return m_problem; }

private:
    std::string m_path;
    std::FILE *m_file = nullptr;
    std::string m_problem;
};

// Writes the artifact to outPath, else beside the store; returns where it
// went, or "" with `problem` set when it could not be written.
std::string writeArtifactFile(const RunOutcome &outcome, const std::string &outPath, const RunStore &store,
                              std::string &problem)
{
    if (outcome.artifactJson.empty())
        return {};
    std::string path = outPath;
    if (path.empty()) {
        // A database store has no folder: the data directory's artifacts/ then.
        std::filesystem::path dir;
        if (!store.isDatabase()) {
            dir = std::filesystem::path(store.path()).parent_path() / "artifacts";
        } else if (auto data = userDataPath("artifacts")) {
            dir = data.value();
        } else {
            problem = data.error().message;
            return {};
        }
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        path = (dir / (outcome.runId + ".json")).string();
    }
    if (auto written = writeFileAtomic(path, outcome.artifactJson); !written) {
        problem = written.error().message;
        return {};
    }
    return path;
}

void printRunJson(const RunOutcome &outcome, const std::string &artifactPath,
                  const std::optional<Comparison> &comparison, const std::string &compareNote)
{
    const RunFinishedEvent &summary = outcome.summary;
    Json out = Json::object();
    out["run_id"] = outcome.runId;
    out["status"] = runStatusName(outcome.status);
    out["baseline_score"] = outcome.baselineScore ? Json(*outcome.baselineScore) : Json(nullptr);
    out["best_score"] = outcome.bestScore ? Json(*outcome.bestScore) : Json(nullptr);
    out["stop_reason"] = outcome.stopReason.text();
    out["notes"] = outcome.notes;
    out["trials"] = summary.trials;
    out["calls_by_role"] = callsByRoleToJson(summary.callsByRole);
    out["tokens_by_role"] = tokensByRoleToJson(summary.tokensByRole);
    out["dollars"] = summary.dollars ? Json(*summary.dollars) : Json(nullptr);
    out["artifact"] = artifactPath.empty() ? Json(nullptr) : Json(artifactPath);
    out["replayed_calls"] = outcome.replayedCalls;
    out["comparison"] = comparison ? comparisonToJson(*comparison, "test") : Json(nullptr);
    if (!compareNote.empty())
        out["comparison_note"] = compareNote;
    const std::string text = out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
}

void printRunText(const RunOutcome &outcome, const Study &study, const std::string &artifactPath,
                  const std::optional<Comparison> &comparison, const std::string &compareNote)
{
    const RunFinishedEvent &summary = outcome.summary;
    std::string text =
        fmt::format("Run {}: {} ({})\n", outcome.runId, runStatusName(outcome.status), outcome.stopReason.text());
    text += fmt::format("  study       {}\n", study.name);
    text += fmt::format("  optimizer   {}, seed {}\n", study.optimizer.name, study.optimizer.seed);
    text +=
        fmt::format("  validation  baseline {}, best {}\n", percent(outcome.baselineScore), percent(outcome.bestScore));
    text += fmt::format("  trials      {}\n", summary.trials);
    text += fmt::format("  LM calls    {}\n", callsLine(summary.callsByRole));
    text += fmt::format("  tokens      {}\n", tokensLine(summary.tokensByRole));
    if (summary.dollars)
        text += fmt::format("  dollars     {:.4f}\n", *summary.dollars);
    if (outcome.session > 1)
        text += fmt::format("  resumed     session {}, {} answers replayed from the journal; calls, failures, tokens\n"
                            "              and dollars above count every session, the interrupted ones included\n",
                            outcome.session, withThousands(outcome.replayedCalls));
    for (std::size_t i = 0; i < outcome.notes.size(); ++i)
        text += fmt::format("  {}   {}\n", i == 0 ? "notes   " : "        ", oneLine(outcome.notes[i]));
    if (!artifactPath.empty())
        text += fmt::format("  artifact    {}\n", artifactPath);
    if (comparison) {
        text += "\n";
        text += renderComparisonText(*comparison, "test", comparisonShownFields(study));
    } else if (!compareNote.empty()) {
        text += "\n" + compareNote + "\n";
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
}

} // namespace

int driveRun(RunController &controller, const RunOutputOptions &options,
             const std::function<Result<std::string>()> &start)
{
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    const bool showProgress = !options.quiet && !options.json;
    auto progress = std::make_shared<Progress>();

    // The commands checked the path before any work (checkOutputPaths); what
    // goes wrong since shows when the first event opens the file.
    EventLog eventLog(options.eventsPath);
    std::string runId;
    controller.addEventListener([&, progress](const RunEvent &event) {
        eventLog.write(event, controller.store().get(), controller.runId());
        std::string line;
        {
            std::lock_guard lock(progress->mutex);
            (void)progress->state.apply(event);
            line = progressLine(event, progress->state);
        }
        if (showProgress && !tty && !line.empty())
            std::fprintf(stderr, "%s\n", oneLine(line).c_str());
    });

    g_interrupted.store(false);
    auto previous = std::signal(SIGINT, onInterrupt);
    auto started = start();
    if (!started) {
        std::signal(SIGINT, previous);
        printError(started.error().message);
        return ExitLoad;
    }
    runId = started.value();
    if (showProgress)
        std::fprintf(stderr, "run %s started\n", runId.c_str());

    waitForRun(controller, *progress, options.quiet, showProgress && tty, tty);
    RunOutcome outcome = controller.wait();
    if (showProgress && tty) {
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
    }

    // Baseline vs optimized on the test split: the run did the evaluations
    // (RunSettings::compareOnTest); this only pairs them up.
    std::optional<Comparison> comparison;
    std::string compareNote = outcome.compareNote;
    if (outcome.testBaseline && outcome.testOptimized) {
        auto compared = compareReports(*outcome.testBaseline, *outcome.testOptimized);
        if (compared)
            comparison = std::move(compared.value());
        else
            compareNote = compared.error().message;
    }
    std::signal(SIGINT, previous);
    eventLog.close();

    // The artifact file: --out, else beside the store.
    std::string artifactProblem;
    const std::string artifactPath = writeArtifactFile(outcome, options.outPath, *controller.store(), artifactProblem);

    if (options.json)
        printRunJson(outcome, artifactPath, comparison, compareNote);
    else
        printRunText(outcome, controller.study(), artifactPath, comparison, compareNote);
    std::fflush(stdout);
    if (!artifactProblem.empty())
        printError("the artifact could not be written: " + artifactProblem + "; the run is stored, `prism export "
                   + outcome.runId + " --out FILE` writes it");
    if (outcome.status == RunStatus::Failed) {
        std::string hint;
        if (outcome.stopReason.is(StopReason::Kind::Error) && outcome.stopReason.detail().rfind("run store:", 0) == 0)
            hint = "; what was stored is kept: once the store can be written again (free some space), `prism resume "
                   + outcome.runId + "` continues the run without paying again for stored answers";
        printError("run " + outcome.runId
                   + " failed: " + (outcome.error ? outcome.error->message : outcome.stopReason.text()) + hint);
        return ExitStoppedEarly;
    }
    if (!eventLog.problem().empty())
        printError("the event log could not be written: " + eventLog.problem() + "; the run is stored, `prism export "
                   + outcome.runId + " --events FILE` writes it");
    if (!artifactProblem.empty() || !eventLog.problem().empty() || !outcome.compareNote.empty())
        return ExitStoppedEarly;
    return outcome.status == RunStatus::Finished && outcome.stopReason.is(StopReason::Kind::Completed)
               ? ExitOk
               : ExitStoppedEarly;
}

namespace {

// GEPA's knobs on the command line; each given one replaces the study's.
struct GepaFlags {
    std::optional<int> maxMetricCalls;
    std::optional<int> maxFullEvals;
    std::optional<int> reflectionMinibatchSize;
    std::optional<GepaSelection> candidateSelection;
    std::optional<GepaComponents> componentSelector;
    bool noMerge = false;
    std::optional<int> maxMergeInvocations;
    bool noSkipPerfectScore = false;
    std::optional<int> maxReflectionCalls;
};

void wholeNumberFlag(CommandLine &line, const std::string &name, long long min, std::optional<int> &target)
{
    line.checked(name, [name, min, &target](const std::string &v) -> std::optional<std::string> {
        const auto n = parseWholeNumber(v);
        if (!n || *n < min || *n > INT_MAX)
            return fmt::format("{} must be a whole number >= {}, not '{}'", name, min, v);
        target = static_cast<int>(*n);
        return std::nullopt;
    });
}

void addGepaFlags(CommandLine &line, GepaFlags &flags)
{
    wholeNumberFlag(line, "--max-metric-calls", 1, flags.maxMetricCalls);
    wholeNumberFlag(line, "--max-full-evals", 1, flags.maxFullEvals);
    wholeNumberFlag(line, "--reflection-minibatch-size", 1, flags.reflectionMinibatchSize);
    wholeNumberFlag(line, "--max-merge-invocations", 0, flags.maxMergeInvocations);
    wholeNumberFlag(line, "--max-reflection-calls", 1, flags.maxReflectionCalls);
    line.checked("--candidate-selection", [&flags](const std::string &v) -> std::optional<std::string> {
        flags.candidateSelection = gepaSelectionFromName(v);
        if (!flags.candidateSelection)
            return "--candidate-selection must be pareto or current_best, not '" + v + "'";
        return std::nullopt;
    });
    line.checked("--component-selector", [&flags](const std::string &v) -> std::optional<std::string> {
        flags.componentSelector = gepaComponentsFromName(v);
        if (!flags.componentSelector)
            return "--component-selector must be round_robin or all, not '" + v + "'";
        return std::nullopt;
    });
    line.flag("--no-merge", flags.noMerge);
    line.flag("--no-skip-perfect-score", flags.noSkipPerfectScore);
}

// --num-candidates and --stop-at-score; each given one replaces the study's.
struct SearchFlags {
    std::optional<int> numCandidates;
    std::optional<double> stopAtScore;
};

void addSearchFlags(CommandLine &line, SearchFlags &flags)
{
    wholeNumberFlag(line, "--num-candidates", 0, flags.numCandidates);
    line.checked("--stop-at-score", [&flags](const std::string &v) -> std::optional<std::string> {
        const auto n = parseNumber(v);
        if (!n || !(*n >= 0.0 && *n <= 100.0))
            return "--stop-at-score must be a percent from 0 to 100, not '" + v + "'";
        flags.stopAtScore = *n;
        return std::nullopt;
    });
}

// A budget given here replaces the study's auto preset unless --auto is given
// too (then the settings check reports the two budgets).
void applyGepaFlags(OptimizerConfig &c, const GepaFlags &flags, bool autoGiven)
{
    GepaConfig &g = c.gepa;
    if (flags.maxMetricCalls || flags.maxFullEvals) {
        g.maxMetricCalls = flags.maxMetricCalls;
        g.maxFullEvals = flags.maxFullEvals;
        if (!autoGiven)
            c.autoMode.clear();
    }
    if (flags.reflectionMinibatchSize)
        g.reflectionMinibatchSize = *flags.reflectionMinibatchSize;
    if (flags.candidateSelection)
        g.candidateSelection = *flags.candidateSelection;
    if (flags.componentSelector)
        g.componentSelector = *flags.componentSelector;
    if (flags.noMerge)
        g.useMerge = false;
    if (flags.maxMergeInvocations)
        g.maxMergeInvocations = *flags.maxMergeInvocations;
    if (flags.noSkipPerfectScore)
        g.skipPerfectScore = false;
    if (flags.maxReflectionCalls)
        g.maxReflectionCalls = flags.maxReflectionCalls;
}

// --freeze find,rate: those stages stay as they are. A name the program
// lacks is an error that lists the stages it has.
Result<void> applyFreeze(Study &study, const std::string &names)
{
    std::string known;
    for (const auto &p : study.program.predictors)
        known += (known.empty() ? "" : ", ") + p.name;
    std::size_t start = 0;
    while (start <= names.size()) {
        const std::size_t comma = std::min(names.find(',', start), names.size());
        const std::string name = trimmed(std::string_view(names).substr(start, comma - start));
        start = comma + 1;
        if (name.empty())
            continue;
        Predictor *predictor = study.program.find(name);
        if (!predictor)
            return Error::make(ErrorKind::Config,
                               "--freeze: the program has no stage named '" + name + "' (its stages: " + known + ")");
        predictor->frozen = true;
    }
    return {};
}

} // namespace

namespace {

// --queue: the run waits in a PostgreSQL store's queue for `prism serve
// --worker`. The model is not called from here: the workers hold the keys.
int queueRun(const Study &study, const RunSettings &settings, const std::string &storePath, bool json)
{
    RunController controller([&]() { return openRunStore(storePath); });
    controller.setMetricFactory(studyMetric);
    auto id = controller.enqueue(study, settings);
    if (!id) {
        printError(settings.studyPath + ": " + id.error().message);
        return ExitLoad;
    }
    if (json)
        std::printf("{\"id\": \"%s\", \"status\": \"queued\"}\n", id.value().c_str());
    else
        std::printf("run %s queued in %s\n", id.value().c_str(), controller.store()->path().c_str());
    return ExitOk;
}

} // namespace

int runOptimizeCommand(const std::vector<std::string> &args)
{
    RunSettings settings;
    RunFlags run;
    ModelFlags model;
    OutputFlags output;
    std::optional<std::string> storePath;
    bool noCompare = false;
    std::vector<std::string> positional;
    CommandLine line("optimize", optimizeUsage());
    line.choice("--optimizer", settings.optimizer, {"miprov2", "gepa", "bootstrap", "labeled", "random_search"});
    line.choice("--auto", settings.autoMode, {"light", "medium", "heavy"});
    addRunFlags(line, run, SeedFlag | ThreadsFlag);
    addBudgetFlags(line, settings.lm.budget);
    addOutputFlags(line, output, OutFlag | EventsFlag | JsonFlag | QuietFlag | VerboseFlag);
    line.flag("--no-compare", noCompare);
    bool dryRun = false;
    line.flag("--dry-run", dryRun);
    bool queue = false;
    line.flag("--queue", queue);
    line.text("--store", storePath);
    std::optional<std::string> freeze;
    line.text("--freeze", freeze);
    GepaFlags gepa;
    addGepaFlags(line, gepa);
    SearchFlags search;
    addSearchFlags(line, search);
    addModelFlags(line, model);
    line.positionals(positional);
    if (auto stop = line.parse(args))
        return *stop;
    if (positional.size() != 1)
        return line.fail(positional.empty() ? "optimize needs a STUDY file"
                                            : "optimize takes one STUDY file, got also '" + positional[1] + "'");
    setupLogging(output.verbose);

    settings.studyPath = positional.front();
    settings.seed = run.seed;
    settings.threads = run.threads;
    settings.models = model.overrides;
    settings.lm.useCache = !model.noCache;
    settings.compareOnTest = !noCompare;
    RunOutputOptions outputOptions;
    outputOptions.outPath = output.out.value_or("");
    outputOptions.eventsPath = output.events.value_or("");
    outputOptions.json = output.json;
    outputOptions.quiet = output.quiet;

    auto study = loadStudyForCommand(settings.studyPath);
    if (!study) {
        printError(study.error().message);
        return ExitLoad;
    }
    applyModule(study.value(), model);
    if (freeze) {
        if (auto frozen = applyFreeze(study.value(), *freeze); !frozen) {
            printError(settings.studyPath + ": " + frozen.error().message);
            return ExitLoad;
        }
    }
    applyGepaFlags(study->optimizer, gepa, settings.autoMode.has_value());
    if (search.numCandidates)
        study->optimizer.numCandidates = search.numCandidates;
    if (search.stopAtScore)
        study->optimizer.stopAtScore = search.stopAtScore;
    // Before the store or any file exists: a bad setting leaves no run behind.
    if (auto valid = checkRunSettings(study.value(), settings); !valid) {
        printError(settings.studyPath + ": " + valid.error().message);
        return ExitLoad;
    }
    if (dryRun)
        return printOptimizePlan(study.value(), settings, output.json);
    // Every file the run will write, before it costs a call (issue 13 item 8).
    if (auto stop = checkOutputPaths({output.out, output.events}))
        return *stop;
    if (queue)
        return queueRun(study.value(), settings, storePath.value_or(""), output.json);
    // As eval: fail fast, with one line, on a key, server or model that cannot work.
    if (auto reachable = checkConnection(applyOverrides(study->taskModel, model.overrides)); !reachable) {
        printError(reachable.error().message);
        return ExitLoad;
    }
    // The store is created only once every input has loaded (issue 13 item 13).
    RunController controller([&]() { return openRunStore(storePath.value_or("")); });
    controller.setMetricFactory(studyMetric);
    return driveRun(controller, outputOptions, [&]() -> Result<std::string> {
        auto id = controller.start(study.value(), settings);
        if (!id)
            return Error::make(id.error().kind, settings.studyPath + ": " + id.error().message);
        return id;
    });
}

} // namespace prism::cli
