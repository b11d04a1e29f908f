#include "cli.h"
#include "options.h"
#include "spool.h"

#include "adapter/adapter.h"
#include "core/study.h"
#include "data/dataset.h"
#include "metric/builtin.h"
#include "modelsetup/lm_setup.h"
#include "run/study_judge.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace prism::cli {

namespace {

std::atomic<bool> g_interrupted{false};

struct EvalArgs {
    std::string studyPath;
    std::string split; // "" = test, else val, else train
    std::string programPath;
    ModelFlags model;
    Budget budget;
    RunFlags run;
    OutputFlags output;
};

void onInterrupt(int)
{
    // First Ctrl-C: finish the examples under way and report; a second one kills.
    g_interrupted.store(true);
    std::signal(SIGINT, SIG_DFL);
}

// The split to evaluate: the one asked for, else test, else val, else train.
Result<const Dataset *> pickSplit(const StudyData &data, const std::string &asked, std::string &name)
{
    const std::pair<const char *, const Dataset *> splits[] = {
        {"test", &data.test}, {"val", &data.val}, {"train", &data.train}};
    for (const auto &[splitName, dataset] : splits) {
        if (!asked.empty() && asked != splitName)
            continue;
        if (dataset->examples.empty()) {
            if (asked.empty())
                continue;
            return Error::make(ErrorKind::Data, "the study has no " + asked + " examples");
        }
        name = splitName;
        return dataset;
    }
    return Error::make(ErrorKind::Data, "the study's dataset has no examples");
}

std::vector<std::string> shownFields(const Study &study, const Program &program)
{
    std::vector<std::string> names;
    for (const auto &f : study.metric.fields)
        if (std::find(names.begin(), names.end(), f.field) == names.end())
            names.push_back(f.field);
    if (names.empty() && !program.predictors.empty())
        for (const auto &f : program.predictors.back().signature.outputs)
            names.push_back(f.name);
    return names;
}

int loadFailed(const Error &error)
{
    printError(error.message);
    return ExitLoad;
}

// What the command keeps of each result as it arrives, in dataset order: its
// row of the report, and the totals without the examples a budget refused
// (they did not run: they leave the report, and the totals are summed again).
struct EvalPieces {
    PieceSpool spool;    // text rows or --json items, in order
    EvalTextTable table; // the text table's column widths
    std::size_t ran = 0;
    std::size_t scored = 0;
    std::size_t errors = 0;
    double scoreSum = 0.0;
    TokenUsage usage;
    // The first kept result's error, and whether every kept result failed with
    // an error of its kind (commonEndpointFailure).
    std::optional<Error> firstError;
    bool sameErrorKind = true;

    void keep(const EvalContext &context, bool json, const ExampleResult &r)
    {
        if (r.error && r.error->kind == ErrorKind::Budget)
            return;
        if (json) {
            spool.append(evalJsonItem(context, r));
        } else {
            const EvalTextRow row = evalTextRow(context, r);
            table.add(row);
            spool.append(packCells(row));
        }
        ++ran;
        usage.add(r.prediction.usage);
        if (r.error) {
            ++errors;
            if (ran == 1)
                firstError = r.error;
            else if (!firstError || firstError->kind != r.error->kind)
                sameErrorKind = false;
        } else {
            ++scored;
            scoreSum += *r.score;
            sameErrorKind = false;
        }
    }

    // The report's totals without the refused examples.
    void dropRefusals(EvalReport &report) const
    {
        report.ran = ran;
        report.scored = scored;
        report.errors = errors;
        report.scoreSum = scoreSum;
        report.usage = usage;
        report.scorePercent = scored > 0 ? std::round(10000.0 * scoreSum / static_cast<double>(scored)) / 100.0 : 0.0;
    }

    // When every example that ran failed with the same endpoint problem (a bad
    // key, an unknown model, a server that went away), that one problem.
    std::optional<Error> commonEndpointFailure() const
    {
        if (ran == 0 || scored > 0 || !firstError || !sameErrorKind)
            return std::nullopt;
        const ErrorKind kind = firstError->kind;
        if (kind != ErrorKind::Auth && kind != ErrorKind::InvalidRequest && kind != ErrorKind::Transport
            && kind != ErrorKind::Timeout)
            return std::nullopt;
        return firstError;
    }
};

// Watches results for the first budget refusal: it stops the command from
// starting further examples (those under way finish) and gives the reason.
class BudgetWatch {
public:
    // From worker threads.
    void see(const ExampleResult &r)
    {
        if (!r.error || r.error->kind != ErrorKind::Budget)
            return;
        std::lock_guard<std::mutex> lock(m_mutex);
        // The budget's own words ("budget reached: 20 calls"), without the stage prefix.
        if (!m_reason) {
            const std::string &m = r.error->message;
            const auto at = m.find("budget reached");
            m_reason = at == std::string::npos ? m : m.substr(at);
        }
        g_interrupted.store(true);
    }
    std::optional<std::string> stopReason() const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_reason;
    }

private:
    mutable std::mutex m_mutex;
    std::optional<std::string> m_reason;
};

// The cache's line of the report: on, bypassed, or why there is none.
CacheSummary cacheSummaryOf(const CallServices &services)
{
    CacheSummary summary;
    if (const auto &cache = services.cache) {
        summary.enabled = services.cacheEnabled && !services.cacheBypass;
        summary.bypassed = services.cacheBypass;
        summary.hits = cache->hits();
        summary.misses = cache->misses();
    } else {
        summary.problem = services.cacheProblem;
    }
    return summary;
}

// Fails fast, with one line, on a key, server or model that cannot work: the
// task model's, and a judge metric's judge model when it is another.
Result<void> checkModelsReachable(const Study &study, const ModelSet &set)
{
    if (auto reachable = checkConnection(set.taskConfig, set.services.cancel.get()); !reachable)
        return reachable.error();
    if (study.metric.kind == "judge" && set.judge != set.task) {
        if (auto judge = checkConnection(set.judgeConfig, set.services.cancel.get()); !judge)
            return Error::make(judge.error().kind, "the judge model (models.judge): " + judge.error().message);
    }
    return {};
}

int runEval(const EvalArgs &args)
{
    auto loaded = loadStudyForCommand(args.studyPath);
    if (!loaded)
        return loadFailed(loaded.error());
    Study study = std::move(loaded).value();
    applyModule(study, args.model);
    spdlog::debug("study '{}' from {}", study.name, args.studyPath);

    Program program = study.program;
    if (!args.programPath.empty()) {
        auto p = loadProgramForCommand(args.programPath, study.program);
        if (!p)
            return loadFailed(p.error());
        program = std::move(p).value();
        spdlog::debug("program from {}", args.programPath);
    }

    LmSetupOptions setup;
    setup.useCache = !args.model.noCache;
    setup.budget = args.budget;
    auto models = setupModels(study, args.model.overrides, setup);
    if (!models)
        return loadFailed(Error::make(models.error().kind, args.studyPath + ": " + models.error().message));
    ModelSet &set = models.value();
    auto metric = studyMetric(study.metric, program, studyJudge(study, set));
    if (!metric)
        return loadFailed(metricBuildError(metric.error(), args.studyPath));
    auto adapter = makeAdapter(study.eval.adapter);

    auto data = loadStudyData(study);
    if (!data)
        return loadFailed(data.error());
    std::string splitName;
    auto split = pickSplit(data.value(), args.split, splitName);
    if (!split)
        return loadFailed(Error::make(split.error().kind, args.studyPath + ": " + split.error().message));
    const std::vector<Example> &examples = split.value()->examples;

    if (auto reachable = checkModelsReachable(study, set); !reachable)
        return loadFailed(reachable.error());
    if (set.services.budget)
        set.services.budget->restartClock();

    EvalContext context;
    context.studyName = study.name.empty() ? std::filesystem::path(args.studyPath).filename().string() : study.name;
    context.split = splitName;
    context.model = set.task->describe();
    context.adapter = adapter->name();
    context.shownFields = shownFields(study, program);
    context.maxErrors = args.run.maxErrors.value_or(study.eval.maxErrors);
    context.ledger = set.services.ledger;
    context.stages = args.output.json && program.predictors.size() > 1;

    ProgressLine progress(examples.size(), !args.output.quiet && ::isatty(STDERR_FILENO) == 1);
    EvalOptions options;
    options.threads = resolveThreads(args.run, study.eval.threads);
    options.maxErrors = context.maxErrors;
    options.call.temperature = set.taskConfig.temperature;
    options.call.maxTokens = set.taskConfig.maxTokens;
    options.call.role = "evaluation";
    options.cancel = &g_interrupted;
    options.keepStages = context.stages;
    BudgetWatch budget;
    options.onResult = [&](const ExampleResult &r) {
        budget.see(r);
        progress.advance();
    };
    // Each result becomes its piece of the report as it arrives; none is kept
    // whole (a 50,000-row evaluation would hold every input and answer).
    EvalPieces pieces;
    options.sink = [&](ExampleResult &&r) { pieces.keep(context, args.output.json, r); };
    spdlog::debug("evaluating {} {} examples on {} thread(s), {} call(s) in flight at most", examples.size(), splitName,
                  options.threads, set.taskConfig.maxConcurrency);

    // One pool for the command: its threads keep their connections and JS engines.
    WorkerPool pool(options.threads);
    options.pool = &pool;
    g_interrupted.store(false);
    auto previous = std::signal(SIGINT, onInterrupt);
    const Evaluator evaluator(*set.task, *adapter, *metric.value(), options);
    EvalReport report = evaluator.run(program, examples);
    std::signal(SIGINT, previous);
    progress.finish();

    const std::optional<std::string> budgetStop = budget.stopReason();
    if (budgetStop) {
        pieces.dropRefusals(report);
        report.stoppedEarly = true;
        report.stopReason = *budgetStop;
    }
    context.cache = cacheSummaryOf(set.services);

    if (args.output.json)
        writeEvalJson(stdout, context, report, pieces.spool);
    else
        writeEvalText(stdout, context, report, pieces.spool, pieces.table);
    std::fflush(stdout);

    if (auto failure = pieces.commonEndpointFailure()) {
        printError("every example failed: " + failure->message);
        return ExitLoad;
    }
    if (report.stoppedEarly && !budgetStop)
        spdlog::warn("evaluation stopped early ({})", report.stopReason);
    return report.stoppedEarly ? ExitStoppedEarly : ExitOk;
}

} // namespace

int runEvalCommand(const std::vector<std::string> &argv)
{
    EvalArgs args;
    std::optional<std::string> split;
    std::optional<std::string> programPath;
    std::vector<std::string> positional;
    CommandLine line("eval", evalUsage());
    line.choice("--split", split, {"train", "val", "test"});
    line.text("--program", programPath);
    addRunFlags(line, args.run, ThreadsFlag | MaxErrorsFlag);
    addModelFlags(line, args.model);
    addBudgetFlags(line, args.budget);
    addOutputFlags(line, args.output, JsonFlag | QuietFlag | VerboseFlag);
    line.positionals(positional);
    if (auto stop = line.parse(argv))
        return *stop;
    if (positional.empty())
        return line.fail("eval needs a STUDY file");
    if (positional.size() > 1)
        return line.fail("eval takes one STUDY file, got also '" + positional[1] + "'");
    args.studyPath = positional.front();
    args.split = split.value_or("");
    args.programPath = programPath.value_or("");
    setupLogging(args.output.verbose);
    return runEval(args);
}

} // namespace prism::cli
