#pragma once

#include <cstdint>

namespace prism {

// xoshiro256** seeded through SplitMix64. The samplers and the benchmark draw
// only from this generator, never from std:: distributions, whose output
// differs between standard libraries: the same seed gives the same numbers on
// every platform.
class SearchRng {
public:
    explicit SearchRng(std::uint64_t seed);
    // An independent stream for (seed, stream), e.g. one per trial number, so
    // a trial's draws do not depend on how many numbers earlier trials used.
    static SearchRng forStream(std::uint64_t seed, std::uint64_t stream);

    std::uint64_t next();
    // Uniform in [0, 1), 53 random bits.
    double uniform();
    // Uniform integer in [0, n), unbiased; n must be >= 1.
    int below(int n);
    // Standard normal by Box-Muller.
    double normal();

private:
    std::uint64_t m_s[4];
};

} // namespace prism
