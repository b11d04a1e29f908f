// prism compare: baseline vs optimized on one split, with a paired bootstrap
// interval of the difference and the examples that flipped.
#include "cli.h"
#include "options.h"

#include "artifact/artifact.h"
#include "core/json.h"
#include "core/study.h"
#include "data/dataset.h"
#include "eval/compare.h"
#include "metric/builtin.h"
#include "modelsetup/lm_setup.h"
#include "run/study_compare.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace prism::cli {

namespace {

std::atomic<bool> g_compareInterrupted{false};

void onCompareInterrupt(int)
{
    g_compareInterrupted.store(true);
    std::signal(SIGINT, SIG_DFL);
}

std::string signedPoints(double v)
{
    return fmt::format("{:+.2f}", v);
}

// "answer=12" for the shown fields of a value set.
std::string shownValues(const Fields &values, const std::vector<std::string> &fields)
{
    std::string out;
    for (const auto &name : fields) {
        const Value *v = values.find(name);
        if (!out.empty())
            out += " ";
        out += name + "=" + (v ? v->toText() : std::string("-"));
    }
    return out;
}

std::string resultText(const ExampleResult *r, const std::vector<std::string> &fields)
{
    if (!r)
        return "-";
    if (r->error)
        return "error: " + r->error->message;
    return shownValues(r->prediction.values, fields);
}

std::string compareUsageText()
{
    return "usage: prism compare STUDY --program FILE [--baseline FILE] [--split train|val|test]\n"
           "                     [--threads N] [model options] [--json] [--quiet] [--verbose]\n"
           "\n"
           "Evaluates the baseline (the study's program, or --baseline FILE) and the\n"
           "optimized program (--program FILE) on the same examples and reports both\n"
           "scores, the paired difference with a 95% paired bootstrap interval (10,000\n"
           "resamples, seeded), and the examples that flipped: baseline wrong and\n"
           "optimized correct (fixed) or the reverse (broken); correct means a score of\n"
           "at least 0.999. Programs are DSPy saved programs (what `prism optimize`\n"
           "writes) or Prism program JSON ({\"predictors\": [...]}).\n"
           "\n"
           "Options:\n"
           "  --program FILE     the optimized program (required)\n"
           "  --baseline FILE    the baseline program (default: the study's program)\n"
           "  --split S          train, val or test (default: test)\n"
           + threadsHelp()
           + "  --json             print one JSON object\n"
             "  --quiet            no progress on stderr\n"
             "  --verbose          debug logs on stderr\n"
             "\n"
           + modelFlagsHelp()
           + "                     (--module sets the study's program, the default baseline)\n"
             "\n"
             "Exit codes: 0 done, 1 stopped early (interrupted or errors), 2 bad usage,\n"
             "3 a study, dataset, program or model that cannot be loaded.\n";
}

} // namespace

std::string compareUsage()
{
    return compareUsageText();
}

std::vector<std::string> comparisonShownFields(const Study &study)
{
    std::vector<std::string> names;
    for (const auto &f : study.metric.fields)
        if (std::find(names.begin(), names.end(), f.field) == names.end())
            names.push_back(f.field);
    if (names.empty() && !study.program.predictors.empty())
        for (const auto &f : study.program.predictors.back().signature.outputs)
            names.push_back(f.name);
    return names;
}

std::string renderComparisonText(const Comparison &c, const std::string &split,
                                 const std::vector<std::string> &shownFields)
{
    std::string out = fmt::format("Comparison on the {} split ({} examples scored by both)\n", split, c.paired);
    out += fmt::format("  baseline    {:.2f}%\n", c.baselineScore);
    out += fmt::format("  optimized   {:.2f}%\n", c.optimizedScore);
    out += fmt::format("  difference  {} points, {:.0f}% paired bootstrap interval [{}, {}] ({} resamples)\n",
                       signedPoints(c.difference), c.confidence * 100.0, signedPoints(c.ciLow), signedPoints(c.ciHigh),
                       withThousands(c.resamples));
    if (c.ciLow == 0.0 && c.ciHigh == 0.0 && c.fixed.empty() && c.broken.empty() && c.changed.empty())
        out += "              no difference: every example scored the same with both programs\n";
    else if (c.ciLow > 0.0)
        out += "              the improvement is larger than the noise (the interval excludes 0)\n";
    else if (c.ciHigh < 0.0)
        out += "              the optimized program is worse beyond the noise (the interval excludes 0)\n";
    else
        out += "              not distinguishable from noise on these examples (the interval includes 0)\n";
    out += fmt::format("  flips       {} fixed (baseline wrong, optimized correct), {} broken (the reverse)",
                       c.fixed.size(), c.broken.size());
    if (!c.changed.empty())
        out += fmt::format(", {} partial score changes", c.changed.size());
    out += "\n";
    if (!c.erroredBaseline.empty() || !c.erroredOptimized.empty())
        out += fmt::format("  errors      baseline {}, optimized {} (not scored, not counted as 0)\n",
                           c.erroredBaseline.size(), c.erroredOptimized.size());
    // The text shows the first flips; --json has them all.
    constexpr std::size_t kShown = 12;
    std::size_t shown = 0;
    auto list = [&](const std::vector<ExampleChange> &changes, const char *label) {
        for (const auto &ch : changes) {
            if (shown++ >= kShown)
                continue;
            const ExampleResult *any = ch.baseline ? ch.baseline : ch.optimized;
            out += fmt::format("    #{:<4} {:<7} expected {} | baseline {} | optimized {}\n", ch.index + 1, label,
                               tableCell(any ? shownValues(any->example.labels(), shownFields) : "-", 40),
                               tableCell(resultText(ch.baseline, shownFields), 40),
                               tableCell(resultText(ch.optimized, shownFields), 40));
        }
    };
    if (!c.fixed.empty() || !c.broken.empty()) {
        out += "  examples that flipped:\n";
        list(c.fixed, "fixed");
        list(c.broken, "broken");
        if (shown > kShown)
            out += fmt::format("    ... and {} more (--json lists them all)\n", shown - kShown);
    }
    if (!c.changed.empty()) {
        out += "  partial score changes:\n";
        for (std::size_t i = 0; i < c.changed.size() && i < kShown; ++i) {
            const ExampleChange &ch = c.changed[i];
            out += fmt::format("    #{:<4} {:.3f} -> {:.3f}\n", ch.index + 1, ch.baselineScore.value_or(0),
                               ch.optimizedScore.value_or(0));
        }
        if (c.changed.size() > kShown)
            out += fmt::format("    ... and {} more\n", c.changed.size() - kShown);
    }
    return out;
}

int runCompareCommand(const std::vector<std::string> &args)
{
    std::optional<std::string> programPath;
    std::optional<std::string> baselinePath;
    std::optional<std::string> splitName;
    RunFlags run;
    ModelFlags model;
    OutputFlags output;
    std::vector<std::string> positional;
    CommandLine line("compare", compareUsageText());
    line.text("--program", programPath);
    line.text("--baseline", baselinePath);
    line.choice("--split", splitName, {"train", "val", "test"});
    addRunFlags(line, run, ThreadsFlag);
    addModelFlags(line, model);
    addOutputFlags(line, output, JsonFlag | QuietFlag | VerboseFlag);
    line.positionals(positional);
    if (auto stop = line.parse(args))
        return *stop;
    if (positional.size() != 1)
        return line.fail(positional.empty() ? "compare needs a STUDY file"
                                            : "compare takes one STUDY file, got also '" + positional[1] + "'");
    if (!programPath)
        return line.fail("compare needs --program FILE (the optimized program)");
    const std::string split = splitName.value_or("test");
    setupLogging(output.verbose);
    const bool quiet = output.quiet || output.json;
    auto loadFailed = [](const Error &e) {
        printError(e.message);
        return ExitLoad;
    };

    const std::string studyPath = positional.front();
    auto study = loadStudyForCommand(studyPath);
    if (!study)
        return loadFailed(study.error());
    applyModule(study.value(), model);
    auto optimized = loadProgramForCommand(*programPath, study->program);
    if (!optimized)
        return loadFailed(optimized.error());
    Program baseline = study->program;
    if (baselinePath) {
        auto loaded = loadProgramForCommand(*baselinePath, study->program);
        if (!loaded)
            return loadFailed(loaded.error());
        baseline = std::move(loaded.value());
    }
    StudyCompareOptions options;
    options.split = split;
    options.overrides = model.overrides;
    options.useCache = !model.noCache;
    options.threads = resolveThreads(run, study->eval.threads);
    options.cancel = &g_compareInterrupted;
    options.metricFactory = studyMetric;
    options.where = studyPath;
    if (!quiet)
        options.progress = [](const std::string &what) { std::fprintf(stderr, "%s\n", what.c_str()); };
    g_compareInterrupted.store(false);
    auto setup = prepareComparison(study.value(), options);
    if (!setup)
        return loadFailed(setup.error());
    auto previous = std::signal(SIGINT, onCompareInterrupt);
    auto compared = runComparison(setup.value(), baseline, optimized.value());
    std::signal(SIGINT, previous);
    if (!compared) {
        printError(compared.error().message);
        return ExitStoppedEarly;
    }
    std::string text;
    if (output.json)
        text = comparisonToJson(compared->comparison, split).dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    else
        text = renderComparisonText(compared->comparison, split, comparisonShownFields(study.value()));
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return ExitOk;
}

} // namespace prism::cli
