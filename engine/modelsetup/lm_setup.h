#pragma once

#include "core/study.h"
#include "lm/budget.h"
#include "lm/managed_lm.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace prism {

// Bounds of a model's retry settings (max_retries, retry_base_seconds): past
// them a run would wait for hours on an endpoint that is down.
inline constexpr int kMaxRetriesLimit = 20;
inline constexpr double kRetryBaseSecondsLimit = 60.0;

// Command-line or UI overrides of the study's task model.
struct ModelOverrides {
    std::optional<Provider> provider; // none = keep; a base URL alone means openai
    std::string baseUrl;
    std::string model;
    std::string apiKeyEnv;
    int maxConcurrency = 0;             // 0 = keep; the endpoint's concurrency limit
    double timeoutSeconds = 0.0;        // 0 = keep
    std::optional<int> maxPromptTokens; // none = keep
};

struct LmSetupOptions {
    bool useCache = true; // false: --no-cache reads nothing (fresh answers are still stored)
    // False: no response cache at all, for a setup that only checks a study
    // and makes no call (a run being queued).
    bool openCache = true;
    Budget budget; // per run / evaluation
    int globalConcurrency = 32;
    // The scheduler of every run of this process (a worker's --runs N), so an
    // endpoint's limits hold across them; null: the run's own.
    std::shared_ptr<Scheduler> scheduler;
};

// The managed task and proposer models of one evaluation or run, sharing one
// set of CallServices (scheduler, cache, ledger, prices, budget, cancel).
struct ModelSet {
    CallServices services;
    ModelConfig taskConfig; // after overrides
    ModelConfig proposerConfig;
    ModelConfig reflectionConfig; // GEPA's reflection model
    ModelConfig judgeConfig;      // a judge metric's model
    std::shared_ptr<ManagedLm> task;
    std::shared_ptr<ManagedLm> proposer;
    std::shared_ptr<ManagedLm> reflection;
    std::shared_ptr<ManagedLm> judge;
};

// Applies overrides to the study's task model, builds the raw clients
// (makeLm) and wraps them in ManagedLm with per-endpoint limits from
// ModelConfig::maxConcurrency. Errors are Config errors with one clear line.
// A base URL without a provider switches an in-process model to "openai" and
// keeps an HTTP provider. The proposer follows the overrides when the study's
// proposer entry equals its task entry; equal configs share one ManagedLm.
ModelConfig applyOverrides(const ModelConfig &base, const ModelOverrides &overrides);
Result<ModelSet> setupModels(const Study &study, const ModelOverrides &overrides, const LmSetupOptions &options);

// The cache and ledger identity of a model entry (base URL normalized).
LmIdentity lmIdentity(const ModelConfig &config);

// One cheap request that tells whether the endpoint can be used, before any
// paid call: GET {base}/models for HTTP providers (for OpenAI-compatible
// servers the model must be listed when the server lists models; Ollama's
// ":latest" suffix may be left out). Nothing for SimLm. Errors are one line:
// Auth (key missing or rejected), Transport/Timeout (unreachable),
// InvalidRequest (model not found), Config (bad URL). Other answers (a server
// without /models, a 5xx) pass: the calls themselves will tell.
// A model with replicas passes when any endpoint passes; each one that fails
// is logged as a warning and, with `problems`, returned there (one line each).
Result<void> checkConnection(const ModelConfig &config, const std::atomic<bool> *cancel = nullptr,
                             std::vector<std::string> *problems = nullptr);

} // namespace prism
