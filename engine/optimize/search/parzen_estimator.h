#pragma once

#include "core/rng.h"
#include "optimize/search/search_space.h"

#include <vector>

namespace prism {

// A Parzen estimator over a categorical space, TPE's l(x) or g(x): a weighted
// mixture of one kernel per observed config plus a uniform prior kernel.
// Along each dimension an observation's kernel puts (a + 1) / (1 + C a) on
// the observed choice and a / (1 + C a) on each of the C choices, where
// a = priorWeight / (observations + 1): the more observations, the sharper
// the kernels. The joint density is the mixture of products over dimensions;
// the marginal of dimension d is what independent TPE models.
class CategoricalParzenEstimator {
public:
    // weights: one non-negative weight per observation; the prior kernel gets
    // priorWeight. With no observations (or no positive weight) the estimator
    // is the uniform distribution.
    CategoricalParzenEstimator(const SearchSpace &space, std::vector<Config> observations, std::vector<double> weights,
                               double priorWeight, bool considerPrior);

    Config sample(Rng &rng) const;
    double logPdf(const Config &config) const;

    int sampleDimension(int dimension, Rng &rng) const;
    double logPdfDimension(int dimension, int choice) const;

private:
    int pickKernel(Rng &rng) const;
    int sampleFromKernel(int kernel, int dimension, Rng &rng) const;
    double kernelProbability(int kernel, int dimension, int choice) const;
    // The density's form for logPdf: observations of the same config share
    // one kernel (their weights summed), and each kernel's factor along a
    // dimension is one of two logs computed once. A run of 1,500 trials on a
    // small space then costs a few hundred kernels per candidate, not 1,500
    // kernels of logs.
    void groupKernels();

    std::vector<int> m_sizes;
    std::vector<Config> m_observations; // kernel k < size() is observation k; the last may be the prior
    std::vector<double> m_mixture;      // normalized kernel weights
    std::vector<double> m_cumulative;   // running sums of m_mixture, in kernel order, for pickKernel
    bool m_hasPrior = true;
    double m_smoothing = 0.0; // a = priorWeight / (observations + 1)

    std::vector<Config> m_groupConfigs;   // distinct observed configs
    std::vector<double> m_groupLogWeight; // log of the summed mixture weight of each
    std::vector<double> m_logMatch;       // per dimension: log p of the kernel's own choice
    std::vector<double> m_logMiss;        // per dimension: log p of any other choice
    double m_priorLogDensity = 0.0;       // log(prior weight) + log of the uniform density
    bool m_priorInLogPdf = false;
};

} // namespace prism
