#pragma once

#include "core/study.h"
#include "lm/budget.h"
#include "lm/managed_lm.h"

#include <memory>
#include <string>

namespace prism {

// Command-line or UI overrides of the study's task model.
struct ModelOverrides {
    std::string provider;  // "" = keep; a base URL alone means "openai"
    std::string baseUrl;
    std::string model;
    std::string apiKeyEnv;
};

struct LmSetupOptions {
    bool useCache = true;     // false: --no-cache reads nothing (fresh answers are still stored)
    Budget budget;            // per run / evaluation
    int globalConcurrency = 32;
};

// The managed task and proposer models of one evaluation or run, sharing one
// set of CallServices (scheduler, cache, ledger, prices, budget, cancel).
struct ModelSet {
    CallServices services;
    ModelConfig taskConfig;     // after overrides
    ModelConfig proposerConfig;
    std::shared_ptr<ManagedLm> task;
    std::shared_ptr<ManagedLm> proposer;
};

// Applies overrides to the study's task model, builds the raw clients
// (makeLm) and wraps them in ManagedLm with per-endpoint limits from
// ModelConfig::maxConcurrency. Errors are Config errors with one clear line.
ModelConfig applyOverrides(const ModelConfig &base, const ModelOverrides &overrides);
Result<ModelSet> setupModels(const Study &study, const ModelOverrides &overrides, const LmSetupOptions &options);

} // namespace prism
