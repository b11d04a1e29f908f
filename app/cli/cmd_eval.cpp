#include "cli.h"

#include "adapter/adapter.h"
#include "core/study.h"
#include "data/dataset.h"
#include "lm/factory.h"
#include "metric/builtin.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace prism::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void onInterrupt(int)
{
    // First Ctrl-C: finish the examples under way and report; a second one kills.
    g_interrupted.store(true);
    std::signal(SIGINT, SIG_DFL);
}

// The split to evaluate: the one asked for, else test, else val, else train.
Result<const Dataset *> pickSplit(const StudyData &data, const std::string &asked, std::string &name)
{
    const std::pair<const char *, const Dataset *> splits[] = {{"test", &data.test}, {"val", &data.val}, {"train", &data.train}};
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

} // namespace

int runEval(const EvalArgs &args)
{
    auto loaded = loadStudy(args.studyPath);
    if (!loaded)
        return loadFailed(loaded.error());
    Study study = std::move(loaded).value();
    if (!args.model.empty())
        study.taskModel.model = args.model;
    spdlog::debug("study '{}' from {}", study.name, args.studyPath);

    Program program = study.program;
    if (!args.programPath.empty()) {
        auto p = loadProgramFile(args.programPath, study.program);
        if (!p)
            return loadFailed(p.error());
        program = std::move(p).value();
        spdlog::debug("program from {}", args.programPath);
    }

    auto metric = makeMetric(study.metric, program);
    if (!metric)
        return loadFailed(Error::make(metric.error().kind, args.studyPath + ": " + metric.error().message));
    auto lm = makeLm(study.taskModel);
    if (!lm)
        return loadFailed(Error::make(lm.error().kind, args.studyPath + ": models.task: " + lm.error().message));
    auto adapter = makeAdapter(study.eval.adapter);
    if (!adapter)
        return loadFailed(Error::make(ErrorKind::Config, args.studyPath + ": unknown adapter '" + study.eval.adapter + "'"));

    auto data = loadStudyData(study);
    if (!data)
        return loadFailed(data.error());
    std::string splitName;
    auto split = pickSplit(data.value(), args.split, splitName);
    if (!split)
        return loadFailed(Error::make(split.error().kind, args.studyPath + ": " + split.error().message));
    const std::vector<Example> &examples = split.value()->examples;

    EvalContext context;
    context.studyName = study.name.empty() ? std::filesystem::path(args.studyPath).filename().string() : study.name;
    context.split = splitName;
    context.model = lm.value()->describe();
    context.adapter = adapter->name();
    context.shownFields = shownFields(study, program);
    context.maxErrors = args.maxErrors.value_or(study.eval.maxErrors);

    ProgressLine progress(examples.size(), !args.quiet && ::isatty(STDERR_FILENO) == 1);
    EvalOptions options;
    options.threads = args.threads.value_or(study.eval.threads);
    options.maxErrors = context.maxErrors;
    options.call.temperature = study.taskModel.temperature;
    options.call.maxTokens = study.taskModel.maxTokens;
    options.call.role = "evaluation";
    options.cancel = &g_interrupted;
    options.onResult = [&progress](const ExampleResult &) { progress.advance(); };
    spdlog::debug("evaluating {} {} examples on {} thread(s)", examples.size(), splitName, options.threads);

    g_interrupted.store(false);
    auto previous = std::signal(SIGINT, onInterrupt);
    const Evaluator evaluator(*lm.value(), *adapter, *metric.value(), options);
    const EvalReport report = evaluator.run(program, examples);
    std::signal(SIGINT, previous);
    progress.finish();

    const std::string text = args.json ? renderEvalJson(context, report) : renderEvalText(context, report);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    if (report.stoppedEarly)
        spdlog::warn("evaluation stopped early ({})", report.stopReason);
    return report.stoppedEarly ? ExitStoppedEarly : ExitOk;
}

} // namespace prism::cli
