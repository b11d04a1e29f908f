#include "optimize/presets.h"

#include "optimize/bootstrap_fewshot.h"
#include "optimize/labeled_fewshot.h"
#include "optimize/miprov2.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>

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
    const bool wanted = settings.autoMode ? valRows > static_cast<std::size_t>(kAutoMinibatchThreshold) : config.minibatch;
    return wanted && valRows > static_cast<std::size_t>(config.minibatchSize);
}

Result<MiproSettings> resolveMiproSettings(const OptimizerConfig &c, int numPredictors)
{
    auto bad = [](std::string message) { return Error::make(ErrorKind::Config, "miprov2: " + std::move(message)); };
    if (numPredictors < 1)
        return bad("the program has no predictors");
    if (c.maxBootstrappedDemos < 0 || c.maxLabeledDemos < 0)
        return bad(fmt::format("max_bootstrapped_demos ({}) and max_labeled_demos ({}) must be 0 or more",
                               c.maxBootstrappedDemos, c.maxLabeledDemos));
    if (c.maxRounds < 1)
        return bad(fmt::format("max_rounds is {}; it must be at least 1", c.maxRounds));
    if (c.minibatchSize < 1)
        return bad(fmt::format("minibatch_size is {}; it must be at least 1", c.minibatchSize));
    if (c.minibatchFullEvalSteps < 1)
        return bad(fmt::format("minibatch_full_eval_steps is {}; it must be at least 1", c.minibatchFullEvalSteps));
    if (c.viewDataBatchSize < 1)
        return bad(fmt::format("view_data_batch_size is {}; it must be at least 1", c.viewDataBatchSize));
    if (!std::isfinite(c.initTemperature) || c.initTemperature < 0.0)
        return bad(fmt::format("init_temperature is {}; it must be a number >= 0", c.initTemperature));
    if (c.metricThreshold && !std::isfinite(*c.metricThreshold))
        return bad("metric_threshold must be a finite number");

    MiproSettings s;
    s.zeroShot = c.maxBootstrappedDemos == 0 && c.maxLabeledDemos == 0;
    s.labeledOnly = c.maxBootstrappedDemos == 0 && c.maxLabeledDemos > 0;
    if (!c.autoMode.empty()) {
        const AutoPreset *preset = autoPreset(c.autoMode);
        if (!preset)
            return bad("auto is '" + c.autoMode + "'; use light, medium, heavy, or none for manual mode");
        if (c.numCandidates || c.numTrials)
            return bad(fmt::format("auto={} sets num_candidates and num_trials itself; unset them, or set auto to none "
                                   "to choose them",
                                   c.autoMode));
        s.autoMode = true;
        s.autoName = preset->name;
        s.numFewshotCandidates = preset->n;
        s.numInstructCandidates = s.zeroShot ? preset->n : preset->n / 2;
        s.numTrials = autoNumTrials(preset->n, numPredictors, s.zeroShot);
        s.valSize = preset->valSize;
    } else {
        if (!c.numCandidates && !c.numTrials)
            return bad("manual mode (auto is none) needs num_candidates and num_trials");
        if (!c.numCandidates)
            return bad("manual mode (auto is none) needs num_candidates as well as num_trials");
        if (*c.numCandidates < 1)
            return bad(fmt::format("num_candidates is {}; it must be at least 1", *c.numCandidates));
        if (!c.numTrials)
            return bad(fmt::format("manual mode (auto is none) needs num_trials; for num_candidates = {} a good value is "
                                   "about {}",
                                   *c.numCandidates, autoNumTrials(*c.numCandidates, numPredictors, s.zeroShot)));
        if (*c.numTrials < 0)
            return bad(fmt::format("num_trials is {}; it must be 0 or more", *c.numTrials));
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

Result<std::unique_ptr<Optimizer>> createOptimizer(const OptimizerConfig &config)
{
    if (config.name == "labeled") {
        if (config.maxLabeledDemos < 0)
            return Error::make(ErrorKind::Config, "labeled: max_labeled_demos must be 0 or more");
        return std::unique_ptr<Optimizer>(std::make_unique<LabeledFewShot>(config));
    }
    if (config.name == "bootstrap") {
        if (config.maxBootstrappedDemos < 0 || config.maxLabeledDemos < 0 || config.maxRounds < 1)
            return Error::make(ErrorKind::Config, fmt::format("bootstrap: max_bootstrapped_demos ({}) and max_labeled_demos "
                                                              "({}) must be 0 or more and max_rounds ({}) at least 1",
                                                              config.maxBootstrappedDemos, config.maxLabeledDemos,
                                                              config.maxRounds));
        return std::unique_ptr<Optimizer>(std::make_unique<BootstrapFewShot>(config));
    }
    if (config.name == "miprov2") {
        // The predictor count only shapes num_trials; 1 checks every knob.
        if (auto checked = resolveMiproSettings(config, 1); !checked)
            return checked.error();
        return std::unique_ptr<Optimizer>(std::make_unique<MiproV2>(config));
    }
    return Error::make(ErrorKind::Config, "unknown optimizer '" + config.name + "' (miprov2, bootstrap or labeled)");
}

} // namespace prism
