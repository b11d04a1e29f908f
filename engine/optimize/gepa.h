#pragma once

#include "core/study.h"
#include "optimize/optimizer.h"

namespace prism {

// GEPA (Agrawal et al. 2025, arXiv 2507.19457; DSPy's dspy.GEPA), as
// docs/GEPA.md describes it: a pool of candidate programs, each scored on
// every validation example; each iteration draws a parent from the Pareto
// frontier of those scores (or takes the best), runs it on a minibatch of the
// trainset with traces, asks the reflection model for a better instruction of
// one predictor (or all) from the inputs, outputs and metric feedback, keeps
// the child only when it beats the parent on the same minibatch, then scores
// it on the validation set. Merges recombine two frontier candidates that
// improved different predictors of a common ancestor.
//
// Where it differs from DSPy's: a (program, example) pair is scored once and
// remembered, so repeats are free and do not count against the budget; the
// budget (metric calls, and reflection calls when capped) is checked before
// every step, so a run never overshoots it; minibatches and validation run
// on the run's worker pool; every step is deterministic for a seed at any
// thread count, so a resumed run replays its journal and continues.
class Gepa final : public Optimizer {
public:
    explicit Gepa(OptimizerConfig config);

    const char *name() const override { return "gepa"; }
    // valset empty: half of the trainset (a seeded shuffle) becomes the valset,
    // as MIPROv2 does (DSPy's GEPA would score the trainset against itself).
    Result<OptimizeResult> compile(const Program &student, const std::vector<Example> &trainset,
                                   const std::vector<Example> &valset, OptimizeContext &context) override;

private:
    OptimizerConfig m_config;
};

} // namespace prism
