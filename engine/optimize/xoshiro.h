#pragma once

#include <cstdint>

namespace prism {

// xoshiro256** seeded through SplitMix64: the one generator behind the
// optimizers' draws (SeededRng) and the samplers' (SearchRng). Never std::
// distributions, whose output differs between standard libraries: the same
// seed gives the same numbers on every platform. Seed 0 is a seed like any
// other.
class Xoshiro256 {
public:
    explicit Xoshiro256(std::uint64_t seed);

    std::uint64_t next();
    // Uniform in [0, 1), 53 random bits.
    double uniform();

private:
    std::uint64_t m_s[4];
};

} // namespace prism
