#pragma once

#include "core/example.h"
#include "core/signature.h"

#include <string>
#include <vector>

namespace prism {

enum class PredictorKind {
    Predict,
    ChainOfThought,
};

const char *predictorKindName(PredictorKind kind);

// One LM call site: a signature, its demos, and how it is called.
struct Predictor {
    std::string name = "predict";
    PredictorKind kind = PredictorKind::Predict;
    Signature signature;
    std::vector<Demo> demos;
    // A frozen stage keeps its instruction and demos through every optimizer
    // (node-by-node optimization; DSPy's `_compiled` sub-module). Saved in
    // the study only, not in a DSPy program file.
    bool frozen = false;

    // The signature the LM sees: ChainOfThought adds a `reasoning` string
    // output before the others, as DSPy does.
    Signature effectiveSignature() const;
    bool operator==(const Predictor &other) const = default;
};

// One predictor, or a linear pipeline: stages run in order, and each stage
// takes its inputs by name from the example and from earlier stages' outputs.
struct Program {
    std::vector<Predictor> predictors;

    const Predictor *find(std::string_view name) const;
    Predictor *find(std::string_view name);
    // Inputs the program needs from an example (inputs not produced by an earlier stage).
    std::vector<std::string> externalInputs() const;
    // The outputs of the last stage plus every earlier output, in stage order.
    std::vector<Field> allOutputs() const;
    // Predictors an optimizer may change (not frozen).
    std::size_t tunableCount() const;
    bool operator==(const Program &other) const = default;
};

} // namespace prism
