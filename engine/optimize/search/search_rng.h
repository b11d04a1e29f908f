#pragma once

#include "optimize/xoshiro.h"

#include <cstdint>

namespace prism {

// The samplers' and the sampler benchmark's generator (xoshiro.h).
class SearchRng : public Xoshiro256 {
public:
    using Xoshiro256::Xoshiro256;
    // An independent stream for (seed, stream), e.g. one per trial number, so
    // a trial's draws do not depend on how many numbers earlier trials used.
    static SearchRng forStream(std::uint64_t seed, std::uint64_t stream);

    // Uniform integer in [0, n), unbiased; n must be >= 1 (n = 1 still draws).
    int below(int n);
    // Standard normal by Box-Muller.
    double normal();
};

} // namespace prism
