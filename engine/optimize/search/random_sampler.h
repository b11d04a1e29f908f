#pragma once

#include "optimize/search/sampler.h"

namespace prism {

// Each index uniform and independent, whatever the history.
class RandomSampler final : public Sampler {
public:
    std::string name() const override { return "random"; }
    Config sample(const SearchSpace &space, const std::vector<SearchTrial> &history, Rng &rng) override;
};

} // namespace prism
