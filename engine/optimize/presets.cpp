#include "optimize/presets.h"

#include "optimize/bootstrap_fewshot.h"
#include "optimize/gepa.h"
#include "optimize/labeled_fewshot.h"
#include "optimize/miprov2.h"
#include "optimize/random_search.h"
#include "optimize/scoring.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace prism {

const AutoPreset *autoPreset(const std::string &name)
{
    static const AutoPreset presets[] = {{"light", 6, 100}, {"medium", 12, 300}, {"heavy", 18, 1000}};
    for (const AutoPreset &p : presets)
        if (name == p.name)
            return &p;
    return nullptr;
}

int autoNumTrials(int n, int numPredictors, bool zeroShot)
{
    const int variables = numPredictors * (zeroShot ? 1 : 2);
    const double trials = std::max(2.0 * variables * std::log2(static_cast<double>(n)), 1.5 * n);
    return static_cast<int>(trials);
}

bool miproUsesMinibatches(const OptimizerConfig &config, const MiproSettings &settings, std::size_t valRows)
{
    const bool wanted =
        settings.autoMode ? valRows > static_cast<std::size_t>(kAutoMinibatchThreshold) : config.minibatch;
    return wanted && valRows > static_cast<std::size_t>(config.minibatchSize);
}

namespace {

Error knobError(const std::string &message)
{
    return Error::make(ErrorKind::Config, "optimizer." + message);
}

// The ranges the study loader enforces (engine/core/study.cpp), checked again
// here for settings made in code or on the Run page.
Result<void> checkKnobRanges(const OptimizerConfig &c)
{
    const std::pair<const char *, int> atLeastZero[] = {{"max_bootstrapped_demos", c.maxBootstrappedDemos},
                                                        {"max_labeled_demos", c.maxLabeledDemos}};
    for (const auto &[key, value] : atLeastZero)
        if (value < 0)
            return knobError(fmt::format("{} is {}; it must be 0 or more", key, value));
    const std::pair<const char *, int> atLeastOne[] = {{"max_rounds", c.maxRounds},
                                                       {"minibatch_size", c.minibatchSize},
                                                       {"minibatch_full_eval_steps", c.minibatchFullEvalSteps},
                                                       {"view_data_batch_size", c.viewDataBatchSize}};
    for (const auto &[key, value] : atLeastOne)
        if (value < 1)
            return knobError(fmt::format("{} is {}; it must be at least 1", key, value));
    if (c.name == "random_search") {
        if (c.numCandidates && *c.numCandidates < 0)
            return knobError(fmt::format("num_candidates is {}; random_search needs 0 or more (the shuffled "
                                         "bootstraps after the zero-shot, labeled and unshuffled candidates)",
                                         *c.numCandidates));
    } else if (c.numCandidates && *c.numCandidates < 1) {
        return knobError(fmt::format("num_candidates is {}; it must be at least 1", *c.numCandidates));
    }
    if (c.stopAtScore && (!std::isfinite(*c.stopAtScore) || *c.stopAtScore < 0.0 || *c.stopAtScore > 100.0))
        return knobError(
            fmt::format("stop_at_score is {}; it must be a percent from 0 to 100, as the scores are", *c.stopAtScore));
    if (c.numTrials && *c.numTrials < 0)
        return knobError(fmt::format("num_trials is {}; it must be 0 or more", *c.numTrials));
    if (!std::isfinite(c.initTemperature) || c.initTemperature < 0.0)
        return knobError(fmt::format("init_temperature is {}; it must be a number >= 0", c.initTemperature));
    if (c.metricThreshold && !std::isfinite(*c.metricThreshold))
        return knobError("metric_threshold must be a finite number");
    return {};
}

// DSPy's rules between auto, num_trials and num_candidates. A manual mode
// without num_trials gets the value the auto formula would choose
// (docs/MIPROV2.md promises that suggestion).
Result<void> checkMiproMode(const OptimizerConfig &c, int numPredictors, bool zeroShot)
{
    if (!c.autoMode.empty()) {
        if (!autoPreset(c.autoMode))
            return knobError("auto is '" + c.autoMode + "'; use light, medium, heavy, or null for manual mode");
        if (c.numCandidates || c.numTrials)
            return knobError(
                fmt::format("{} is set together with auto = {}, which chooses num_candidates and num_trials "
                            "itself; remove {}, or set auto to null to choose them (manual mode)",
                            c.numTrials ? "num_trials" : "num_candidates", c.autoMode,
                            c.numTrials && c.numCandidates ? "both" : "it"));
        return {};
    }
    if (!c.numCandidates) {
        const AutoPreset &light = *autoPreset("light");
        return knobError(
            fmt::format("num_candidates is missing: manual mode (auto is null) needs num_candidates and "
                        "num_trials; for example num_candidates = {} with num_trials = {} (what auto = light "
                        "chooses), or set auto to light, medium or heavy",
                        light.n, c.numTrials.value_or(autoNumTrials(light.n, numPredictors, zeroShot))));
    }
    if (!c.numTrials)
        return knobError(fmt::format("num_trials is missing: manual mode (auto is null) needs it; for num_candidates = "
                                     "{} a good value is about {}",
                                     *c.numCandidates, autoNumTrials(*c.numCandidates, numPredictors, zeroShot)));
    return {};
}

} // namespace

Result<MiproSettings> resolveMiproSettings(const OptimizerConfig &c, int numPredictors)
{
    if (numPredictors < 1)
        return Error::make(ErrorKind::Config, "miprov2: the program has no predictors");
    if (auto ranges = checkKnobRanges(c); !ranges)
        return ranges.error();
    MiproSettings s;
    s.zeroShot = c.maxBootstrappedDemos == 0 && c.maxLabeledDemos == 0;
    s.labeledOnly = c.maxBootstrappedDemos == 0 && c.maxLabeledDemos > 0;
    if (auto mode = checkMiproMode(c, numPredictors, s.zeroShot); !mode)
        return mode.error();
    if (!c.autoMode.empty()) {
        const AutoPreset *preset = autoPreset(c.autoMode);
        s.autoMode = true;
        s.autoName = preset->name;
        s.numFewshotCandidates = preset->n;
        s.numInstructCandidates = s.zeroShot ? preset->n : preset->n / 2;
        s.numTrials = autoNumTrials(preset->n, numPredictors, s.zeroShot);
        s.valSize = preset->valSize;
    } else {
        s.autoMode = false;
        s.numFewshotCandidates = *c.numCandidates;
        s.numInstructCandidates = *c.numCandidates;
        s.numTrials = *c.numTrials;
    }
    if (s.zeroShot)
        s.numFewshotCandidates = 0;
    else // DSPy proposes min(N_instr, N_demo_sets) instructions per predictor.
        s.numInstructCandidates = std::min(s.numInstructCandidates, s.numFewshotCandidates);
    s.numInstructCandidates = std::max(1, s.numInstructCandidates);
    return s;
}

int gepaAutoCandidates(const std::string &autoName)
{
    if (autoName == "light")
        return 6;
    if (autoName == "medium")
        return 12;
    if (autoName == "heavy")
        return 18;
    return 0;
}

long long gepaAutoBudget(int numPredictors, int numCandidates, std::size_t valSize)
{
    constexpr long long kMinibatch = 35;
    constexpr long long kFullEvalSteps = 5;
    constexpr long long kBootstrapTrialsPerCandidate = 5;
    const double n = static_cast<double>(numCandidates);
    const auto trials = static_cast<long long>(std::max(4.0 * numPredictors * std::log2(n), 1.5 * n));
    const auto v = static_cast<long long>(valSize);
    long long total = v + numCandidates * kBootstrapTrialsPerCandidate + trials * kMinibatch;
    if (trials == 0)
        return total;
    const long long periodicFulls = (trials + 1) / kFullEvalSteps + 1;
    const long long extraFinal = trials < kFullEvalSteps ? 1 : 0;
    return total + (periodicFulls + extraFinal) * v;
}

GepaBudget gepaBudget(const OptimizerConfig &c, int numPredictors, std::size_t trainSize, std::size_t valSize)
{
    if (c.gepa.maxMetricCalls)
        return {*c.gepa.maxMetricCalls, "max_metric_calls"};
    if (c.gepa.maxFullEvals)
        return {static_cast<long long>(*c.gepa.maxFullEvals) * static_cast<long long>(trainSize + valSize),
                fmt::format("max_full_evals {} x (train {} + val {})", *c.gepa.maxFullEvals, trainSize, valSize)};
    return {gepaAutoBudget(numPredictors, gepaAutoCandidates(c.autoMode), valSize),
            fmt::format("auto {}: DSPy's budget for {} predictor(s) and {} validation examples", c.autoMode,
                        numPredictors, valSize)};
}

namespace {

// DSPy's rule: exactly one of auto, max_metric_calls and max_full_evals.
Result<void> checkGepaSettings(const OptimizerConfig &c)
{
    const GepaConfig &g = c.gepa;
    if (!c.autoMode.empty() && !gepaAutoCandidates(c.autoMode))
        return knobError("auto is '" + c.autoMode + "'; use light, medium, heavy, or null with a budget");
    const int budgets = (c.autoMode.empty() ? 0 : 1) + (g.maxMetricCalls ? 1 : 0) + (g.maxFullEvals ? 1 : 0);
    if (budgets == 0)
        return knobError("gepa needs a budget: set auto (light, medium or heavy), max_metric_calls or max_full_evals");
    if (budgets > 1)
        return knobError(
            fmt::format("{} is set together with {}; gepa takes exactly one budget (set auto to null to use "
                        "max_metric_calls or max_full_evals)",
                        g.maxMetricCalls ? "max_metric_calls" : "max_full_evals",
                        c.autoMode.empty() ? std::string("max_metric_calls") : "auto = " + c.autoMode));
    if (g.maxMetricCalls && *g.maxMetricCalls < 1)
        return knobError(fmt::format("max_metric_calls is {}; it must be at least 1", *g.maxMetricCalls));
    if (g.maxFullEvals && *g.maxFullEvals < 1)
        return knobError(fmt::format("max_full_evals is {}; it must be at least 1", *g.maxFullEvals));
    if (g.reflectionMinibatchSize < 1)
        return knobError(
            fmt::format("reflection_minibatch_size is {}; it must be at least 1", g.reflectionMinibatchSize));
    if (g.maxMergeInvocations < 0)
        return knobError(fmt::format("max_merge_invocations is {}; it must be 0 or more", g.maxMergeInvocations));
    if (g.maxReflectionCalls && *g.maxReflectionCalls < 1)
        return knobError(fmt::format("max_reflection_calls is {}; it must be at least 1", *g.maxReflectionCalls));
    return {};
}

} // namespace

Result<void> validateOptimizerSettings(const OptimizerConfig &config, std::size_t numPredictors)
{
    if (config.name != "miprov2" && config.name != "gepa" && config.name != "bootstrap" && config.name != "labeled"
        && config.name != "random_search")
        return knobError("name is '" + config.name + "'; use miprov2, gepa, bootstrap, labeled or random_search");
    if (numPredictors == 0)
        return Error::make(ErrorKind::Config, "the program has no predictors to optimize");
    if (config.name == "gepa")
        return checkGepaSettings(config);
    if (config.name == "miprov2") {
        // Every knob and the auto / manual rules, as the run will resolve them.
        if (auto resolved = resolveMiproSettings(config, static_cast<int>(numPredictors)); !resolved)
            return resolved.error();
        return {};
    }
    return checkKnobRanges(config);
}

Result<void> validateOptimizerFor(const OptimizerConfig &config, const Program &program)
{
    if (auto tunable = checkTunable(program, config.name); !tunable)
        return tunable;
    return validateOptimizerSettings(config, program.tunableCount());
}

Result<std::unique_ptr<Optimizer>> createOptimizer(const OptimizerConfig &config)
{
    // The predictor count only shapes num_trials' suggestion; 1 checks every knob.
    if (auto valid = validateOptimizerSettings(config, 1); !valid)
        return valid.error();
    if (config.name == "labeled")
        return std::unique_ptr<Optimizer>(std::make_unique<LabeledFewShot>(config));
    if (config.name == "bootstrap")
        return std::unique_ptr<Optimizer>(std::make_unique<BootstrapFewShot>(config));
    if (config.name == "gepa")
        return std::unique_ptr<Optimizer>(std::make_unique<Gepa>(config));
    if (config.name == "random_search")
        return std::unique_ptr<Optimizer>(std::make_unique<BootstrapFewShotWithRandomSearch>(config));
    return std::unique_ptr<Optimizer>(std::make_unique<MiproV2>(config));
}

} // namespace prism
