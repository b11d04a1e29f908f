#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace prism {

// Screening, MIPROv2's way of paying less for full evaluations on a small
// validation set (no minibatches): each config first runs on a third of the
// validation set, the examples on which the configs fully evaluated so far
// disagreed most; only a config whose paired upper bound can still beat the
// incumbent (the best full evaluation so far) is then evaluated on the rest.
// Scores are compared example by example against the incumbent's on the same
// examples, which cancels the examples' difficulty, and examples every config
// got equally right or wrong tell configs apart least.

// Examples a config is screened on: a third of the valset, at least 5; the
// whole valset (no screening) when that is not smaller.
std::size_t screenSize(std::size_t valSize);

// z of the one-sided bound on the mean paired difference (about 93%). The
// bound extrapolates the screen's spread onto the other examples, where the
// configs seen so far agreed, so it is wider than it looks.
constexpr double kScreenZ = 1.5;

// The screen: the `size` validation examples whose scores varied most across
// the fully evaluated configs (scores[config][example], empty = errored,
// counted as 0), ties broken by `tiebreak` (a permutation of the examples,
// earlier first); in ascending order.
std::vector<std::size_t> pickScreen(const std::vector<std::vector<std::optional<double>>> &scores, std::size_t size,
                                    const std::vector<std::size_t> &tiebreak);

struct ScreenVerdict {
    // The config can still beat the incumbent strictly: both the exact bound
    // (every unseen example gains all the incumbent left) and the statistical
    // one (the unseen examples gain the mean difference plus z standard
    // errors) are above 0.
    bool promote = false;
    // The config's estimated full-valset mean in [0, 1]: the incumbent's mean
    // plus the mean paired difference over the examples both scored.
    double estimate = 0.0;
    // It scored exactly as the incumbent on every screened example: the
    // screen could not tell them apart (see worthExtending).
    bool tied = false;
};

// incumbent: its score on every validation example (empty = errored, counted
// as 0). screen: the validation indices the config ran on; config: its scores
// there, in the same order (empty = errored, which bounds optimistically: the
// example could have gone either way).
ScreenVerdict screenAgainst(const std::vector<std::optional<double>> &incumbent, const std::vector<std::size_t> &screen,
                            const std::vector<std::optional<double>> &config, double z = kScreenZ);

// A config tied with the incumbent on k of n examples is screened on more
// while the unseen examples are expected to hold at least one difference: by
// Laplace's rule of succession each differs with chance 1 / (k + 2), so while
// (n - k) / (k + 2) >= 1. A gain on a single example no screen held is how a
// config beats an incumbent it otherwise copies.
bool worthExtending(std::size_t valSize, std::size_t screened);

// True when no config can beat the incumbent strictly: it scored 1 on every
// validation example.
bool unbeatable(const std::vector<std::optional<double>> &incumbent);

} // namespace prism
