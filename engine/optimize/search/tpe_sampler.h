#pragma once

#include "optimize/search/sampler.h"

#include <functional>
#include <memory>
#include <vector>

namespace prism {

// Optuna's defaults: gamma(n) = min(ceil(0.1 n), 25) good trials out of n.
int optunaGamma(int completedTrials);
// Optuna's defaults: weight 1 for up to 25 trials; beyond, the oldest n - 25
// ramp up linearly from 1/n, the newest 25 weigh 1. Oldest first.
std::vector<double> optunaWeights(int trials);

struct TpeOptions {
    // Random sampling until this many trials are complete (the baseline
    // counts). Optuna's default 10 makes DSPy's light mode almost pure random
    // search.
    int nStartupTrials = 10;
    // Candidates drawn from l(x) per ask; the one maximizing log l - log g wins.
    int nEiCandidates = 24;
    // Weight of the uniform prior kernel, and the smoothing of every kernel.
    // Optuna's is 1; 2 explores more, which the benchmark's needle rewards.
    double priorWeight = 2.0;
    bool considerPrior = true;
    // Joint kernels over all dimensions (what MIPROv2 uses) or one estimator
    // per dimension.
    bool multivariate = true;
    // Pending trials join the "bad" group g(x), as if they had the worst value
    // seen, so parallel asks spread out instead of repeating one config.
    bool constantLiar = true;
    // Number of "good" trials given the number of complete ones; empty = optunaGamma.
    std::function<int(int)> gamma;
    // Kernel weights for a group of n trials, oldest first; empty = optunaWeights.
    std::function<std::vector<double>(int)> weights;

    // Prism's additions for small noisy spaces (see docs/BENCHMARKS.md):
    // Startup trials form a balanced design (each value of each dimension
    // used about equally, no config twice) instead of uniform draws.
    bool balancedStartup = true;
    // Among the candidates, configs not yet observed (nor pending) win over
    // seen ones; up to 4 x nEiCandidates are drawn to find nEiCandidates
    // unseen ones. A repeat tells little about the space but costs a trial.
    bool preferUnseen = true;
    // Re-evaluate the config with the best mean score until it has this many
    // observations (pending ones count), so a single lucky minibatch does not
    // stay the recommendation unchecked. 0 = off.
    int confirmIncumbent = 2;
    // Confirmations stop while repeated observations exceed this fraction of
    // all observations: exploration keeps most of the budget.
    double maxRepeatFraction = 0.2;

    // Optuna's TPESampler as DSPy's MIPROv2 configures it (multivariate),
    // with the constant liar: prior weight 1, no Prism additions.
    static TpeOptions optunaDefaults();

    // Says which setting is out of range.
    Result<void> validate() const;
};

// Tree-structured Parzen Estimator for categorical spaces (Bergstra et al.
// 2011, as Optuna implements it): split the complete trials into the best
// gamma(n) and the rest, fit a Parzen estimator to each, and propose the
// candidate from the good one with the highest density ratio.
class TpeSampler final : public Sampler {
public:
    explicit TpeSampler(TpeOptions options = {});
    // Validates the options first.
    static Result<std::unique_ptr<TpeSampler>> create(TpeOptions options);

    std::string name() const override { return "tpe"; }
    Config sample(const SearchSpace &space, const std::vector<SearchTrial> &history, Rng &rng) override;

    const TpeOptions &options() const { return m_options; }

private:
    TpeOptions m_options;
};

} // namespace prism
