#include "optimize/search/parzen_estimator.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <map>

namespace prism {

namespace {

// Keeps log() finite when a kernel has no mass on a choice (priorWeight 0).
constexpr double kTinyDensity = 1e-300;

} // namespace

CategoricalParzenEstimator::CategoricalParzenEstimator(const SearchSpace &space, std::vector<Config> observations,
                                                       std::vector<double> weights, double priorWeight,
                                                       bool considerPrior)
    : m_observations(std::move(observations))
{
    assert(m_observations.size() == weights.size());
    for (const SearchDimension &d : space.dimensions())
        m_sizes.push_back(d.size);

    double total = 0.0;
    for (double w : weights)
        total += std::max(w, 0.0);
    if (m_observations.empty() || total <= 0.0) {
        m_observations.clear();
        m_mixture = {1.0};
        m_hasPrior = true;
        groupKernels();
        return;
    }
    m_hasPrior = considerPrior && priorWeight > 0.0;
    m_smoothing = std::max(priorWeight, 0.0) / static_cast<double>(m_observations.size() + 1);
    m_mixture.reserve(weights.size() + 1);
    for (double w : weights)
        m_mixture.push_back(std::max(w, 0.0));
    if (m_hasPrior) {
        m_mixture.push_back(priorWeight);
        total += priorWeight;
    }
    for (double &w : m_mixture)
        w /= total;
    groupKernels();
}

void CategoricalParzenEstimator::groupKernels()
{
    double cumulative = 0.0;
    m_cumulative.reserve(m_mixture.size());
    for (const double w : m_mixture) {
        cumulative += w;
        m_cumulative.push_back(cumulative);
    }
    const std::size_t observed = m_observations.size();
    std::map<Config, std::size_t> groupOf;
    std::vector<double> weights;
    for (std::size_t k = 0; k < observed; ++k) {
        if (m_mixture[k] <= 0.0)
            continue;
        const auto [it, inserted] = groupOf.try_emplace(m_observations[k], m_groupConfigs.size());
        if (inserted) {
            m_groupConfigs.push_back(m_observations[k]);
            weights.push_back(0.0);
        }
        weights[it->second] += m_mixture[k];
    }
    for (const double w : weights)
        m_groupLogWeight.push_back(std::log(w));
    for (const int size : m_sizes) {
        const double denominator = 1.0 + size * m_smoothing;
        m_logMatch.push_back(std::log(std::max((m_smoothing + 1.0) / denominator, kTinyDensity)));
        m_logMiss.push_back(std::log(std::max(m_smoothing / denominator, kTinyDensity)));
    }
    m_priorInLogPdf = m_mixture.size() > observed && m_mixture.back() > 0.0;
    if (m_priorInLogPdf) {
        m_priorLogDensity = std::log(m_mixture.back());
        for (const int size : m_sizes)
            m_priorLogDensity += std::log(1.0 / size);
    }
}

double CategoricalParzenEstimator::kernelProbability(int kernel, int dimension, int choice) const
{
    const int size = m_sizes[static_cast<std::size_t>(dimension)];
    if (kernel >= static_cast<int>(m_observations.size()))
        return 1.0 / size;
    const int observed = m_observations[static_cast<std::size_t>(kernel)][static_cast<std::size_t>(dimension)];
    return (m_smoothing + (choice == observed ? 1.0 : 0.0)) / (1.0 + size * m_smoothing);
}

int CategoricalParzenEstimator::pickKernel(Rng &rng) const
{
    // The first kernel whose running sum exceeds u: the same kernel a linear
    // walk adding the weights in order finds, in log time.
    const double u = rng.uniform();
    const auto first = std::upper_bound(m_cumulative.begin(), m_cumulative.end(), u);
    if (first != m_cumulative.end())
        return static_cast<int>(first - m_cumulative.begin());
    // Rounding can leave the sum a hair below 1: fall back to the last kernel with mass.
    for (std::size_t k = m_mixture.size(); k-- > 0;) {
        if (m_mixture[k] > 0.0)
            return static_cast<int>(k);
    }
    return 0;
}

int CategoricalParzenEstimator::sampleFromKernel(int kernel, int dimension, Rng &rng) const
{
    const int size = m_sizes[static_cast<std::size_t>(dimension)];
    if (kernel >= static_cast<int>(m_observations.size()))
        return rng.belowAlwaysDraws(size);
    // The kernel is "the observed choice" with probability 1 / (1 + C a),
    // otherwise a uniform draw over all C choices.
    const int observed = m_observations[static_cast<std::size_t>(kernel)][static_cast<std::size_t>(dimension)];
    const double pObserved = 1.0 / (1.0 + size * m_smoothing);
    if (rng.uniform() < pObserved)
        return observed;
    return rng.belowAlwaysDraws(size);
}

Config CategoricalParzenEstimator::sample(Rng &rng) const
{
    const int kernel = pickKernel(rng);
    Config config(m_sizes.size());
    for (std::size_t d = 0; d < m_sizes.size(); ++d)
        config[d] = sampleFromKernel(kernel, static_cast<int>(d), rng);
    return config;
}

double CategoricalParzenEstimator::logPdf(const Config &config) const
{
    assert(config.size() == m_sizes.size());
    // log-sum-exp over kernels of log(pi_k) + sum_d log p_kd(x_d).
    std::vector<double> terms;
    terms.reserve(m_groupConfigs.size() + 1);
    double maxTerm = -std::numeric_limits<double>::infinity();
    for (std::size_t g = 0; g < m_groupConfigs.size(); ++g) {
        const Config &observed = m_groupConfigs[g];
        double term = m_groupLogWeight[g];
        for (std::size_t d = 0; d < m_sizes.size(); ++d)
            term += observed[d] == config[d] ? m_logMatch[d] : m_logMiss[d];
        terms.push_back(term);
        maxTerm = std::max(maxTerm, term);
    }
    if (m_priorInLogPdf) {
        terms.push_back(m_priorLogDensity);
        maxTerm = std::max(maxTerm, m_priorLogDensity);
    }
    if (terms.empty())
        return std::log(kTinyDensity);
    // Terms 50 nats below the largest add less than 1e-21 of it: skip their exp.
    double sum = 0.0;
    for (const double t : terms)
        if (t > maxTerm - 50.0)
            sum += std::exp(t - maxTerm);
    return maxTerm + std::log(sum);
}

int CategoricalParzenEstimator::sampleDimension(int dimension, Rng &rng) const
{
    return sampleFromKernel(pickKernel(rng), dimension, rng);
}

double CategoricalParzenEstimator::logPdfDimension(int dimension, int choice) const
{
    double p = 0.0;
    for (std::size_t k = 0; k < m_mixture.size(); ++k)
        p += m_mixture[k] * kernelProbability(static_cast<int>(k), dimension, choice);
    return std::log(std::max(p, kTinyDensity));
}

} // namespace prism
