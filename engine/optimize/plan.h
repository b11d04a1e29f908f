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

namespace prism {

// What a run gets besides the study. The study must already carry the run's
// overrides (optimizer, auto preset, seed, model): the plan reads its knobs.
struct PlanInputs {
    std::size_t valRows = 0;    // the study's validation rows (0 = none)
    std::size_t testRows = 0;   // the test split's rows
    bool compareOnTest = false; // RunSettings::compareOnTest: baseline and result scored on the test split
    int threads = 1;            // examples and trials in parallel (RunSettings::threads)
};

// What a run of the study's optimizer will ask of the models, worked out
// before it starts from the constants and preset tables the optimizers run
// with (presets.h) and the engine's per-call estimate (lm/estimate.h).
//
// Counts are what the optimizer asks for at most; a run makes fewer calls
// when MIPROv2's memo answers a repeated (config, example) pair, bootstrapping
// fills its sets early, the dataset descriptor answers COMPLETE, the result
// equals the student (one test pass), a trace or trial stops at an error, or
// the response cache answers. LabeledFewShot's counts are exact.
// tests/run/test_plan_cli.cpp checks this against real runs of the samples.
struct OptimizePlan {
    std::string optimizer;     // miprov2 | gepa | bootstrap | labeled | random_search
    std::size_t trainRows = 0; // what the optimizer trains on (MIPROv2 halves a trainset when there is no valset)
    std::size_t valRows = 0;   // what it validates on (after an auto preset's subsample)
    std::size_t testRows = 0;  // what the test comparison scores (0 when there is none)
    MiproSettings mipro;       // miprov2 only
    bool minibatch = false;    // miprov2: trials score minibatches, full evaluations now and then
    int trials = 0;            // miprov2: search trials after the baseline (0 when the space holds only the baseline)
    int fullEvals = 0;         // miprov2 with minibatches: full evaluations after the baseline
    int candidates = 0;        // random_search: candidate programs scored at most (the three fixed ones included)

    // Program runs (one task call per predictor each).
    long long bootstrapRuns = 0;  // teacher traces on training rows (role bootstrap)
    long long trialRuns = 0;      // validation rows scored by the baseline and the trials (labeled and
                                  // bootstrap: the student and the result; random_search: every candidate)
    long long fullEvalRuns = 0;   // validation rows scored by MIPROv2's periodic full evaluations
    long long evaluationRuns = 0; // trialRuns + fullEvalRuns (role evaluation, without the test comparison)
    long long testRuns = 0;       // test rows scored by the baseline and the result (role test_comparison)

    // Proposer calls (role proposer).
    long long datasetCalls = 0;     // dataset descriptor batches and the summarizer
    long long descriptionCalls = 0; // the program description and one per predictor
    long long instructionCalls = 0; // instruction candidates, the original excluded
    long long proposerCalls = 0;    // the three above

    // GEPA: its budget in metric calls (program runs on an example, trainset
    // minibatches and validation alike, counted in trialRuns) and the most
    // reflection calls it can make (role reflection, the reflection model).
    long long maxMetricCalls = 0;
    std::string budgetBasis;
    long long reflectionCalls = 0;

    // A judge metric (metric.kind "judge"): one judge call per program run the
    // metric scores (bootstrap traces, trials, full evaluations, the test
    // comparison), on the judge model (role judge). Fewer when a cheaper field
    // metric decides first or the judge's memo or the cache answers.
    long long judgeCalls = 0;

    CostEstimate bootstrap;    // task model: bootstrapRuns
    CostEstimate trialCost;    // task model: trialRuns
    CostEstimate fullEvalCost; // task model: fullEvalRuns
    CostEstimate test;         // task model: testRuns
    CostEstimate task;         // the four above
    CostEstimate proposer;     // proposer model
    CostEstimate reflection;   // reflection model (GEPA)
    CostEstimate judge;        // judge model (a judge metric)
    double seconds = 0.0;      // wall time with the run's threads and the models' concurrency

    // Task, proposer, reflection and judge together; dollars unknown when any is.
    CostEstimate total() const;
    // Calls of role evaluation: trials and full evaluations (the test
    // comparison has its own role, test_comparison).
    CostEstimate evaluation() const;
};

// The plan of a run of study.optimizer on `train` (the study's training rows).
// Config errors (a knob out of range, manual mode without num_trials, an
// unknown optimizer or adapter) name the knob, as the engine reports them at
// start; a Data error when there is nothing to train on.
Result<OptimizePlan> planOptimization(const Study &study, const std::vector<Example> &train, const PlanInputs &inputs,
                                      const PriceTable &prices);

// One plain sentence on what an auto preset does for this study, from the
// preset table, e.g. "light: 6 demo sets and 3 instruction candidates per
// predictor, 10 trials; ...". Empty for a name that is not a preset.
std::string describeAutoPreset(const std::string &preset, const Study &study, std::size_t trainRows,
                               std::size_t valRows);

} // namespace prism
