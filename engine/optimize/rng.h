#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace prism {

// The optimizers' seeded generator: xoshiro256** seeded through SplitMix64.
// Never std:: distributions, whose output differs between standard libraries:
// the same seed gives the same draws on every platform. Seed 0 is a seed like
// any other.
class SeededRng {
public:
    explicit SeededRng(std::uint64_t seed);
    // An independent stream per (seed, purpose, index), e.g. ("minibatch", 3):
    // a step's draws do not depend on how many numbers other steps used, so
    // adding a step elsewhere does not shift them.
    static SeededRng forStream(std::uint64_t seed, std::string_view purpose, std::uint64_t index = 0);

    std::uint64_t next();
    // Uniform in [0, 1), 53 random bits.
    double uniform();
    // Uniform integer in [0, n), unbiased; n >= 1.
    int below(int n);
    // Uniform integer in [lo, hi], both included; lo <= hi.
    int between(int lo, int hi);
    // A uniformly shuffled 0..n-1 (Fisher-Yates).
    std::vector<std::size_t> permutation(std::size_t n);
    // k distinct indices of 0..n-1 (k <= n), in draw order, like random.sample.
    std::vector<std::size_t> sample(std::size_t n, std::size_t k);

private:
    std::uint64_t m_s[4];
};

} // namespace prism
