#pragma once

#include "adapter/adapter.h"
#include "core/example.h"
#include "core/program.h"
#include "lm/lm.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prism {

struct CallOptions {
    double temperature = 0.0;
    int maxTokens = 1024;
    std::optional<std::int64_t> seed;
    std::uint64_t rollout = 0;
    std::string role = "task";
    bool jsonFallback = true; // ChatAdapter parse failure -> one JSONAdapter retry
};

// The outcome of one predictor call, successful or not. usage and lmCalls
// count every LM call made, including a failed first try and the fallback.
struct PredictorCall {
    Fields outputs;
    std::string rawCompletion;
    TokenUsage usage;
    int lmCalls = 0;
    bool usedFallback = false;
    std::optional<Error> error;
};

// format -> complete -> parse. A Parse failure with the ChatAdapter is retried
// once with the JSONAdapter (an extra call); LM errors are not.
PredictorCall runPredictor(const Predictor &predictor, const Fields &inputs, Lm &lm, const Adapter &adapter,
                           const CallOptions &options);

// One stage of a program run: what the predictor was given and what it said.
struct StageTrace {
    std::string predictor;
    Fields inputs;
    Fields outputs; // in the order of the predictor's effective signature
};

// What runProgram records when asked: the stages that completed (bootstrapped
// demos are made of them) and every LM call, failed tries and JSON fallbacks included.
struct ProgramTrace {
    std::vector<StageTrace> stages;
    int lmCalls = 0;
};

// Runs the stages in order; each takes its inputs by name from `inputs` and
// earlier outputs, and its outputs join the prediction in the order of its
// effective signature. On failure prediction.error is set and starts with
// "stage '<name>': ". Fills *trace when given.
Prediction runProgram(const Program &program, const Fields &inputs, Lm &lm, const Adapter &adapter,
                      const CallOptions &options, ProgramTrace *trace = nullptr);

} // namespace prism
