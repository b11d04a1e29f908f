#include "optimize/search/random_sampler.h"

namespace prism {

Config RandomSampler::sample(const SearchSpace &space, const std::vector<SearchTrial> &, Rng &rng)
{
    Config config(static_cast<std::size_t>(space.dimensionCount()));
    for (int d = 0; d < space.dimensionCount(); ++d)
        config[static_cast<std::size_t>(d)] = rng.belowAlwaysDraws(space.dimension(d).size);
    return config;
}

} // namespace prism
