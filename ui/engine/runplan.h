#pragma once

#include "core/example.h"
#include "core/result.h"
#include "core/study.h"
#include "lm/estimate.h"
#include "lm/prices.h"
#include "optimize/presets.h"

#include <cstddef>
#include <string>
#include <vector>

// What a run of the study's optimizer will do and roughly cost, worked out
// before it starts from the same settings the engine resolves (presets.h) and
// the engine's per-call estimate (lm/estimate.h). Plain C++: no Qt.
//
// Counts are upper bounds of what the optimizer asks for: MIPROv2's memo
// answers repeated (config, example) pairs without a call, bootstrapping stops
// once its sets are full, the dataset descriptor stops early, and a response
// cache answers calls a previous run already made.
struct RunPlan {
    std::string optimizer;       // miprov2 | bootstrap | labeled
    std::size_t trainRows = 0;   // what the optimizer trains on (MIPROv2 halves a trainset when there is no valset)
    std::size_t valRows = 0;     // what it validates on (after an auto preset's subsample)
    prism::MiproSettings mipro;  // miprov2 only
    bool minibatch = false;      // miprov2: trials score minibatches, full evaluations now and then
    int fullEvals = 0;           // miprov2 with minibatches: full evaluations after the baseline

    long long bootstrapRuns = 0;  // program runs on training examples
    long long evaluationRuns = 0; // program runs on validation examples
    long long proposerCalls = 0;  // summaries, descriptions and instruction candidates

    prism::CostEstimate task;     // bootstrap + evaluation calls of the task model
    prism::CostEstimate proposer; // calls of the proposer model
    double seconds = 0.0;         // wall time with the study's concurrency

    prism::CostEstimate total() const;
};

// Config errors (a knob out of range, manual mode without num_trials) name the
// knob, as the engine would report them at start. valRows is the study's
// validation rows (0 = none).
prism::Result<RunPlan> planRun(const prism::Study &study, const std::vector<prism::Example> &train, std::size_t valRows,
                               const prism::PriceTable &prices, int threads);

// One plain sentence on what an auto preset does for this study, from the
// engine's preset table, e.g. "light: 6 demo sets and 3 instruction candidates
// per predictor, 10 trials; ...". Empty for a name that is not a preset.
std::string describeAutoPreset(const std::string &preset, const prism::Study &study, std::size_t trainRows,
                               std::size_t valRows);
