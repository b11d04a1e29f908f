#pragma once

#include "core/rng.h"
#include "optimize/search/search_space.h"

#include <string>
#include <vector>

namespace prism {

enum class SearchTrialState {
    Pending,  // asked, not told yet (a trial running in parallel)
    Complete, // told a value
    Failed,   // the evaluation failed; samplers ignore it
};

const char *searchTrialStateName(SearchTrialState state);

struct SearchTrial {
    int number = 0;
    Config config;
    SearchTrialState state = SearchTrialState::Pending;
    double value = 0.0; // meaningful only when Complete; larger is better
    bool operator==(const SearchTrial &other) const = default;
};

// Proposes the next config of a categorical search, Optuna's sampler seam
// reduced to what a fixed, all-categorical space needs. A sampler draws only
// from the rng it is given, so its answer is a function of (space, history,
// rng): the same seed and the same history give the same config. A sampler
// keeps no state between calls; one instance may serve several studies, but
// not from several threads at once.
class Sampler {
public:
    virtual ~Sampler();
    // Short stable name: "random", "tpe".
    virtual std::string name() const = 0;
    // history: every trial of the study in number order, Pending, Complete
    // and Failed, not including the one being sampled. Returns a config that
    // space.contains().
    virtual Config sample(const SearchSpace &space, const std::vector<SearchTrial> &history, Rng &rng) = 0;
};

} // namespace prism
