#include "optimize/search/tpe_sampler.h"

#include "optimize/search/parzen_estimator.h"
#include "optimize/search/random_sampler.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace prism {

int optunaGamma(int completedTrials)
{
    return std::min((completedTrials + 9) / 10, 25);
}

std::vector<double> optunaWeights(int trials)
{
    if (trials <= 0)
        return {};
    if (trials < 25)
        return std::vector<double>(static_cast<std::size_t>(trials), 1.0);
    std::vector<double> w;
    w.reserve(static_cast<std::size_t>(trials));
    const int rampCount = trials - 25;
    const double low = 1.0 / trials;
    for (int i = 0; i < rampCount; ++i)
        w.push_back(rampCount == 1 ? low : low + (1.0 - low) * i / (rampCount - 1));
    w.insert(w.end(), 25, 1.0);
    return w;
}

TpeOptions TpeOptions::optunaDefaults()
{
    TpeOptions o;
    o.priorWeight = 1.0;
    o.preferUnseen = false;
    o.balancedStartup = false;
    o.confirmIncumbent = 0;
    o.maxRepeatFraction = 0.0;
    return o;
}

Result<void> TpeOptions::validate() const
{
    if (nStartupTrials < 0)
        return Error::make(ErrorKind::Config,
                           fmt::format("tpe: n_startup_trials is {}; it must be >= 0", nStartupTrials));
    if (nEiCandidates < 1)
        return Error::make(ErrorKind::Config,
                           fmt::format("tpe: n_ei_candidates is {}; it must be >= 1", nEiCandidates));
    if (!(priorWeight > 0.0) || !std::isfinite(priorWeight))
        return Error::make(ErrorKind::Config,
                           fmt::format("tpe: prior_weight is {}; it must be a positive number", priorWeight));
    if (confirmIncumbent < 0)
        return Error::make(ErrorKind::Config,
                           fmt::format("tpe: confirm_incumbent is {}; it must be >= 0", confirmIncumbent));
    if (!(maxRepeatFraction >= 0.0 && maxRepeatFraction <= 1.0))
        return Error::make(ErrorKind::Config, fmt::format("tpe: max_repeat_fraction is {}; it must be between 0 and 1",
                                                          maxRepeatFraction));
    return {};
}

TpeSampler::TpeSampler(TpeOptions options) : m_options(std::move(options))
{
    if (!m_options.gamma)
        m_options.gamma = optunaGamma;
    if (!m_options.weights)
        m_options.weights = optunaWeights;
}

Result<std::unique_ptr<TpeSampler>> TpeSampler::create(TpeOptions options)
{
    if (Result<void> ok = options.validate(); !ok)
        return ok.error();
    return std::make_unique<TpeSampler>(std::move(options));
}

namespace {

struct Group {
    std::vector<Config> configs;
    std::vector<double> weights;
};

// Kernel weights follow trial age, so each group is put back in number order.
Group makeGroup(std::vector<const SearchTrial *> trials, const std::function<std::vector<double>(int)> &weightsOf)
{
    std::sort(trials.begin(), trials.end(),
              [](const SearchTrial *a, const SearchTrial *b) { return a->number < b->number; });
    Group g;
    for (const SearchTrial *t : trials)
        g.configs.push_back(t->config);
    g.weights = weightsOf(static_cast<int>(trials.size()));
    // A user-supplied function may return the wrong length: pad with 1, trim.
    g.weights.resize(g.configs.size(), 1.0);
    return g;
}

struct ConfigStats {
    double sum = 0.0;
    int complete = 0;
    int observations = 0; // complete + pending
    int firstNumber = 0;
};

// The config an optimizer would recommend now: best mean, then more
// observations, then the earlier one. nullptr before any complete trial.
const Config *incumbent(const std::map<Config, ConfigStats> &stats)
{
    const Config *best = nullptr;
    const ConfigStats *bestStats = nullptr;
    for (const auto &[config, s] : stats) {
        if (s.complete == 0)
            continue;
        if (!bestStats) {
            best = &config;
            bestStats = &s;
            continue;
        }
        const double mean = s.sum / s.complete;
        const double bestMean = bestStats->sum / bestStats->complete;
        if (mean > bestMean
            || (mean == bestMean
                && (s.complete > bestStats->complete
                    || (s.complete == bestStats->complete && s.firstNumber < bestStats->firstNumber)))) {
            best = &config;
            bestStats = &s;
        }
    }
    return best;
}

// A startup config drawn as a balanced design: in every dimension, a value
// among those observed least so far, and a config not observed yet when one
// can be found. Before any model exists, this covers each instruction and
// each demo set about equally and never spends a trial on a repeat, which
// uniform draws with replacement do (40 draws from 162 configs repeat ~4).
Config balancedDraw(const SearchSpace &space, const std::vector<SearchTrial> &history,
                    const std::map<Config, ConfigStats> &stats, Rng &rng)
{
    const int dims = space.dimensionCount();
    std::vector<std::vector<int>> uses(static_cast<std::size_t>(dims));
    for (int d = 0; d < dims; ++d)
        uses[static_cast<std::size_t>(d)].assign(static_cast<std::size_t>(space.dimension(d).size), 0);
    for (const SearchTrial &t : history) {
        if (!space.contains(t.config) || t.state == SearchTrialState::Failed)
            continue;
        for (int d = 0; d < dims; ++d)
            ++uses[static_cast<std::size_t>(d)][static_cast<std::size_t>(t.config[static_cast<std::size_t>(d)])];
    }
    const auto leastUsed = [&](int d) {
        const std::vector<int> &u = uses[static_cast<std::size_t>(d)];
        const int fewest = *std::min_element(u.begin(), u.end());
        std::vector<int> values;
        for (int v = 0; v < static_cast<int>(u.size()); ++v)
            if (u[static_cast<std::size_t>(v)] == fewest)
                values.push_back(v);
        return values;
    };
    Config config(static_cast<std::size_t>(dims));
    constexpr int attempts = 16;
    for (int attempt = 0; attempt < attempts; ++attempt) {
        for (int d = 0; d < dims; ++d) {
            // After a few collisions, relax to any value of the dimension.
            if (attempt < attempts / 2) {
                const std::vector<int> values = leastUsed(d);
                config[static_cast<std::size_t>(d)] =
                    values[static_cast<std::size_t>(rng.belowAlwaysDraws(static_cast<int>(values.size())))];
            } else {
                config[static_cast<std::size_t>(d)] = rng.belowAlwaysDraws(space.dimension(d).size);
            }
        }
        if (stats.count(config) == 0)
            break;
    }
    return config;
}

} // namespace

Config TpeSampler::sample(const SearchSpace &space, const std::vector<SearchTrial> &history, Rng &rng)
{
    std::vector<const SearchTrial *> complete;
    std::vector<const SearchTrial *> pending;
    std::map<Config, ConfigStats> stats;
    int observations = 0;
    for (const SearchTrial &t : history) {
        // A trial from another space (e.g. a resumed study whose program
        // changed) says nothing here; failed trials are deleted for samplers.
        if (!space.contains(t.config) || t.state == SearchTrialState::Failed)
            continue;
        auto [it, inserted] = stats.try_emplace(t.config);
        if (inserted)
            it->second.firstNumber = t.number;
        ++it->second.observations;
        ++observations;
        if (t.state == SearchTrialState::Complete) {
            complete.push_back(&t);
            it->second.sum += t.value;
            ++it->second.complete;
        } else {
            pending.push_back(&t);
        }
    }

    const int n = static_cast<int>(complete.size());
    if (space.dimensionCount() == 0) {
        RandomSampler random;
        return random.sample(space, history, rng);
    }
    if (n < m_options.nStartupTrials) {
        if (!m_options.balancedStartup) {
            RandomSampler random;
            return random.sample(space, history, rng);
        }
        return balancedDraw(space, history, stats, rng);
    }

    if (m_options.confirmIncumbent > 0) {
        const int repeats = observations - static_cast<int>(stats.size());
        const bool repeatBudgetLeft = repeats < m_options.maxRepeatFraction * (observations + 1);
        const Config *best = incumbent(stats);
        if (repeatBudgetLeft && best && stats.at(*best).observations < m_options.confirmIncumbent)
            return *best;
    }

    // Best first; equal values keep the earlier trial first so the split is deterministic.
    std::stable_sort(complete.begin(), complete.end(),
                     [](const SearchTrial *a, const SearchTrial *b) { return a->value > b->value; });
    const int nBelow = std::clamp(m_options.gamma(n), 0, n);
    std::vector<const SearchTrial *> below(complete.begin(), complete.begin() + nBelow);
    std::vector<const SearchTrial *> above(complete.begin() + nBelow, complete.end());
    if (m_options.constantLiar)
        above.insert(above.end(), pending.begin(), pending.end());

    Group good = makeGroup(std::move(below), m_options.weights);
    Group bad = makeGroup(std::move(above), m_options.weights);
    const CategoricalParzenEstimator l(space, std::move(good.configs), std::move(good.weights), m_options.priorWeight,
                                       m_options.considerPrior);
    const CategoricalParzenEstimator g(space, std::move(bad.configs), std::move(bad.weights), m_options.priorWeight,
                                       m_options.considerPrior);

    const auto seen = [&](const Config &c) { return m_options.preferUnseen && stats.count(c) > 0; };
    const int maxDraws = m_options.preferUnseen ? 4 * m_options.nEiCandidates : m_options.nEiCandidates;

    if (m_options.multivariate) {
        Config best;
        double bestScore = -std::numeric_limits<double>::infinity();
        bool bestSeen = true;
        int unseenDrawn = 0;
        for (int i = 0; i < maxDraws && (i < m_options.nEiCandidates || unseenDrawn < m_options.nEiCandidates); ++i) {
            Config candidate = l.sample(rng);
            const double score = l.logPdf(candidate) - g.logPdf(candidate);
            const bool isSeen = seen(candidate);
            unseenDrawn += isSeen ? 0 : 1;
            if (best.empty() || (bestSeen && !isSeen) || (isSeen == bestSeen && score > bestScore)) {
                bestScore = score;
                best = std::move(candidate);
                bestSeen = isSeen;
            }
        }
        return best;
    }

    // Independent: one choice per dimension; a seen result is redrawn a few times.
    Config config(static_cast<std::size_t>(space.dimensionCount()));
    for (int attempt = 0; attempt < 4; ++attempt) {
        for (int d = 0; d < space.dimensionCount(); ++d) {
            int best = -1;
            double bestScore = -std::numeric_limits<double>::infinity();
            for (int i = 0; i < m_options.nEiCandidates; ++i) {
                const int candidate = l.sampleDimension(d, rng);
                const double score = l.logPdfDimension(d, candidate) - g.logPdfDimension(d, candidate);
                if (best < 0 || score > bestScore) {
                    bestScore = score;
                    best = candidate;
                }
            }
            config[static_cast<std::size_t>(d)] = best;
        }
        if (!seen(config))
            break;
    }
    return config;
}

} // namespace prism
