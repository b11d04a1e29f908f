#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace prism {

// The engine's seeded generator: xoshiro256** seeded through SplitMix64,
// behind the optimizers' draws and the samplers'. Never std:: distributions,
// whose output differs between standard libraries: the same seed gives the
// same numbers on every platform. Seed 0 is a seed like any other.
//
// Artifacts and event logs store the results of these draws, so no method may
// change what it draws: a new need is a new method. The two integer draws
// below() and belowAlwaysDraws() differ on purpose (see each) and are not
// interchangeable without changing sequences.
class Rng {
public:
    explicit Rng(std::uint64_t seed);

    // An independent stream per (seed, purpose, index), e.g. ("minibatch", 3):
    // a step's draws do not depend on how many numbers other steps used, so
    // adding a step elsewhere does not shift them. The optimizers' streams.
    static Rng forStream(std::uint64_t seed, std::string_view purpose, std::uint64_t index = 0);
    // An independent stream per (seed, number), e.g. one per trial number, so
    // a trial's draws do not depend on how many numbers earlier trials used.
    // The samplers' streams; not the same as forStream(seed, "", number).
    static Rng forNumberedStream(std::uint64_t seed, std::uint64_t number);

    // The next raw 64 bits.
    std::uint64_t next();
    // Uniform in [0, 1), 53 random bits; one draw.
    double uniform();
    // Standard normal by Box-Muller; two draws.
    double normal();

    // Uniform integer in [0, n), unbiased. n <= 1 gives 0 and draws nothing;
    // otherwise draws until a value is at or above 2^64 mod n (rejecting the
    // bottom partial range). The optimizers' draw.
    int below(int n);
    // Uniform integer in [0, n), unbiased; n must be >= 1 and n = 1 still
    // draws once. Draws until a value is below 2^64-1 - (2^64-1) mod n
    // (rejecting the top partial range). The samplers' draw.
    int belowAlwaysDraws(int n);
    // Uniform integer in [lo, hi], both included, by below(); hi <= lo gives lo.
    int between(int lo, int hi);
    // A uniformly shuffled 0..n-1 (Fisher-Yates from the back, by below()).
    std::vector<std::size_t> permutation(std::size_t n);
    // k distinct indices of 0..n-1 (k is capped at n), in draw order, like
    // Python's random.sample (partial Fisher-Yates from the front, by below()).
    std::vector<std::size_t> sample(std::size_t n, std::size_t k);

private:
    std::uint64_t m_s[4];
};

} // namespace prism
