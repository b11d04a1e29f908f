#include "optimize/pareto.h"

#include <algorithm>

namespace prism {

std::vector<std::set<std::size_t>> paretoFronts(const CandidateScores &scores, std::size_t examples)
{
    std::vector<std::set<std::size_t>> fronts(examples);
    const auto scoreOf = [&](std::size_t c, std::size_t e) -> std::optional<double> {
        return e < scores[c].size() ? scores[c][e] : std::nullopt;
    };
    for (std::size_t e = 0; e < examples; ++e) {
        std::optional<double> best;
        for (std::size_t c = 0; c < scores.size(); ++c)
            if (const auto s = scoreOf(c, e); s && (!best || *s > *best))
                best = s;
        if (!best)
            continue;
        for (std::size_t c = 0; c < scores.size(); ++c)
            if (scoreOf(c, e) == best)
                fronts[e].insert(c);
    }
    return fronts;
}

std::set<std::size_t> dominatedCandidates(const std::vector<std::set<std::size_t>> &fronts,
                                          const std::vector<double> &overall)
{
    std::vector<std::size_t> order(overall.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return overall[a] < overall[b]; });
    std::set<std::size_t> dropped;
    for (const std::size_t c : order) {
        bool inAny = false;
        bool shadowed = true;
        for (const auto &front : fronts) {
            if (!front.count(c))
                continue;
            inAny = true;
            const bool other =
                std::any_of(front.begin(), front.end(), [&](std::size_t o) { return o != c && !dropped.count(o); });
            if (!other) {
                shadowed = false;
                break;
            }
        }
        if (!inAny || shadowed)
            dropped.insert(c);
    }
    return dropped;
}

} // namespace prism
