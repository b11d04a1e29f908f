#pragma once

#include "optimize/xoshiro.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace prism {

// The optimizers' seeded generator (xoshiro.h), with the draws they need.
class SeededRng : public Xoshiro256 {
public:
    using Xoshiro256::Xoshiro256;
    // An independent stream per (seed, purpose, index), e.g. ("minibatch", 3):
    // a step's draws do not depend on how many numbers other steps used, so
    // adding a step elsewhere does not shift them.
    static SeededRng forStream(std::uint64_t seed, std::string_view purpose, std::uint64_t index = 0);

    // Uniform integer in [0, n), unbiased; n <= 1 gives 0 and draws nothing.
    int below(int n);
    // Uniform integer in [lo, hi], both included; lo <= hi.
    int between(int lo, int hi);
    // A uniformly shuffled 0..n-1 (Fisher-Yates).
    std::vector<std::size_t> permutation(std::size_t n);
    // k distinct indices of 0..n-1 (k <= n), in draw order, like random.sample.
    std::vector<std::size_t> sample(std::size_t n, std::size_t k);
};

} // namespace prism
