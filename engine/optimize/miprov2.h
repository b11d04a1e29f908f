#pragma once

#include "core/study.h"
#include "optimize/optimizer.h"
#include "optimize/scoring.h"

#include <optional>
#include <string>

namespace prism {

// Prism's own MIPROv2 knobs (DSPy has no equivalent). None changes with the
// thread count, so results do not either.
struct MiproOptions {
    // Trials asked from the sampler and scored together on one minibatch.
    int batchSize = 4;
    // m of the shrinkage estimate that ranks configs for full evaluation.
    double shrinkageWeight = kShrinkageWeight;
    // "tpe" (multivariate, constant liar) or "random".
    std::string sampler = "tpe";
    // TPE's random start-up, in completed trials (the baseline and full
    // evaluations count). Unset = half the trials, between 4 and 10: DSPy's
    // fixed 10 makes light mode almost pure random search.
    std::optional<int> startupTrials;
    // Without minibatches, screen each trial on a third of the valset and
    // evaluate fully only the configs that can still beat the best so far
    // (optimize/screening.h). Off: every trial is a full evaluation.
    bool screen = true;
};

// MIPROv2 (reference/dspy-miprov2.md) with the knobs of OptimizerConfig and
// the differences docs/MIPROV2.md lists: demo sets share bootstrap traces,
// program and module descriptions are made once, candidate 0 costs no call,
// trials run in parallel batches on a common minibatch, (config, example)
// scores are memoized, full evaluations go to the config with the best
// shrinkage estimate, failures are reported, never scored 0.
class MiproV2 final : public Optimizer {
public:
    explicit MiproV2(OptimizerConfig config, MiproOptions options = {});

    const char *name() const override { return "miprov2"; }
    // valset empty: half of the trainset (a seeded shuffle) becomes the valset.
    Result<OptimizeResult> compile(const Program &student, const std::vector<Example> &trainset,
                                   const std::vector<Example> &valset, OptimizeContext &context) override;

    const OptimizerConfig &config() const { return m_config; }
    const MiproOptions &options() const { return m_options; }

private:
    OptimizerConfig m_config;
    MiproOptions m_options;
};

} // namespace prism
