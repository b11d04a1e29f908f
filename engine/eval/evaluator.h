#pragma once

#include "adapter/predict.h"
#include "core/example.h"
#include "core/program.h"
#include "core/worker_pool.h"
#include "metric/metric.h"

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace prism {

struct ExampleResult {
    std::size_t index = 0;
    Example example;
    Prediction prediction;
    std::optional<double> score; // empty when the example errored
    std::string feedback;
    std::optional<Error> error; // LM, parse or metric error; never folded into a 0 score
    int lmCalls = 0;
    // With EvalOptions::keepStages: the inputs and outputs of each stage that
    // completed, in order (a failed stage is named by error's "stage '<name>': ").
    std::vector<StageTrace> stages;
};

// The one evaluation path of the engine (the Evaluator, the optimizers'
// trials, compare): runs the program on the example (filling *trace when
// given) and scores the prediction. An LM, parse or metric error, a score
// outside [0, 1], or an exception is kept in `error`, never folded into a 0;
// lmCalls counts every LM call, failed tries and JSON fallbacks included.
ExampleResult evaluateExample(const Program &program, const Example &example, std::size_t index, Lm &lm,
                              const Adapter &adapter, const Metric &metric, const CallOptions &options,
                              ProgramTrace *trace = nullptr);

// The stage a pipeline error names (runProgram's "stage '<name>': " prefix);
// empty for any other error or none.
std::string failedStageOf(const std::optional<Error> &error);

// The first stage of a pipeline that went wrong on an example: the first
// whose output differs from the example's label for that field (lists compare
// as sets) or, given `passing` (the stages of a run of the same example that
// passed the metric), from that run's output of the same stage, which is how
// an output without a label of its own (free text passed on) is judged;
// `reasoning` is free to differ. Else the stage that failed (failedStage).
// Empty when no stage can be named.
std::string firstWrongStage(const std::vector<StageTrace> &stages, const Fields &labels, const std::string &failedStage,
                            const std::vector<StageTrace> *passing = nullptr);

struct EvalOptions {
    // The run's (or command's) worker pool; when null, run() starts up to
    // `threads` threads for its own batch.
    WorkerPool *pool = nullptr;
    int threads = 8;
    int maxErrors = 10; // stop starting new examples once this many have errored
    CallOptions call;
    const std::atomic<bool> *cancel = nullptr; // optional external cancel flag
    // Keep each example's per-stage trace in ExampleResult::stages (a pipeline's
    // `eval --json`); off by default, as it holds every intermediate value.
    bool keepStages = false;
    // Called from worker threads after each example (for progress).
    std::function<void(const ExampleResult &)> onResult;
    // When set, each result is handed over here in dataset order (from
    // worker threads, one at a time, as soon as every earlier example is
    // done) instead of being kept in EvalReport::results, so a large
    // evaluation holds only the few results that finished out of order.
    std::function<void(ExampleResult &&)> sink;
};

struct EvalReport {
    std::vector<ExampleResult> results; // dataset order; only examples that ran (empty with a sink)
    std::size_t total = 0;              // examples asked for
    std::size_t ran = 0;                // examples that ran (results.size() without a sink)
    std::size_t scored = 0;
    std::size_t errors = 0;
    double scoreSum = 0.0;
    // Mean score of the scored examples, as a percentage with 2 decimals, as
    // DSPy reports it. Errors are counted apart and not folded in as zeros.
    double scorePercent = 0.0;
    TokenUsage usage;
    bool stoppedEarly = false;
    std::string stopReason; // "" when complete; "max_errors" / "cancelled"
};

// Runs a program over examples on a worker pool and scores each prediction.
class Evaluator {
public:
    Evaluator(Lm &lm, const Adapter &adapter, const Metric &metric, EvalOptions options = {});
    EvalReport run(const Program &program, const std::vector<Example> &examples) const;

private:
    Lm &m_lm;
    const Adapter &m_adapter;
    const Metric &m_metric;
    EvalOptions m_options;
};

} // namespace prism
