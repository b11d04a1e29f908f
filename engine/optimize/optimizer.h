#pragma once

#include "adapter/adapter.h"
#include "core/example.h"
#include "core/program.h"
#include "core/result.h"
#include "core/study.h"
#include "core/worker_pool.h"
#include "eval/evaluator.h"
#include "events/events.h"
#include "lm/lm.h"
#include "metric/metric.h"

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace prism {

// Everything an optimizer needs from outside. The Lms are expected to be
// ManagedLm (scheduler, cache, ledger, budget) in real runs; tests may pass
// SimLm directly.
struct OptimizeContext {
    Lm *taskLm = nullptr;
    Lm *proposerLm = nullptr;   // defaults to taskLm when null
    Lm *teacherLm = nullptr;    // bootstrapping model; defaults to taskLm
    Lm *reflectionLm = nullptr; // GEPA's reflection model; defaults to proposerLm, then taskLm
    const Adapter *adapter = nullptr;
    const Metric *metric = nullptr;
    int threads = 8;            // jobs at once when there is no pool
    WorkerPool *pool = nullptr; // the run's worker pool; may be null (each batch then starts its own threads)
    int maxErrors = 10;
    EventSink *events = nullptr;               // may be null
    const std::atomic<bool> *cancel = nullptr; // may be null; checked between steps
    double taskTemperature = 0.0;
    int taskMaxTokens = 1024;
    // Called on the optimizer's thread for every newly scored (config, example)
    // pair, in a deterministic order, so the run store can keep predictions for
    // drill-down. configKey is the trial events' config_key. May be empty.
    std::function<void(const std::string &configKey, const ExampleResult &)> onExampleResult;
};

struct RoleCalls {
    long long calls = 0;       // LM calls made (cache hits excluded)
    long long cachedCalls = 0; // answered from a cache or memo without an LM call
};

struct RunStats {
    std::map<std::string, RoleCalls> callsByRole; // bootstrap | proposer | evaluation | minibatch | reflection
    int trials = 0;
    int fullEvals = 0;
    long long memoHits = 0;         // (config, example) scores reused instead of recomputed
    std::vector<std::string> notes; // plain-language findings: saturation, no improvement...
};

struct OptimizeResult {
    Program program;
    std::optional<double> baselineScore; // percent, on the optimizer's validation set
    std::optional<double> bestScore;     // percent, on the optimizer's validation set
    StopReason stopReason = StopReason::completed();
    RunStats stats;
};

// Optimizers take a program and return a new one; they never mutate their input.
class Optimizer {
public:
    virtual ~Optimizer() = default;
    virtual const char *name() const = 0;
    virtual Result<OptimizeResult> compile(const Program &student, const std::vector<Example> &trainset,
                                           const std::vector<Example> &valset, OptimizeContext &context) = 0;
};

} // namespace prism
