#include "optimize/search/search_rng.h"

#include "core/hash.h"

#include <cassert>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace prism {

namespace {

std::uint64_t rotl(std::uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

} // namespace

SearchRng::SearchRng(std::uint64_t seed)
{
    // mix64 adds the golden-ratio increment itself, so successive counters
    // give SplitMix64's output sequence; it never yields an all-zero state.
    for (int i = 0; i < 4; ++i)
        m_s[i] = mix64(seed + static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ULL);
}

SearchRng SearchRng::forStream(std::uint64_t seed, std::uint64_t stream)
{
    return SearchRng(mix64(seed) ^ mix64(~stream));
}

std::uint64_t SearchRng::next()
{
    const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const std::uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
}

double SearchRng::uniform()
{
    return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
}

int SearchRng::below(int n)
{
    assert(n >= 1);
    // Reject the top partial block so every residue is equally likely.
    const auto range = static_cast<std::uint64_t>(n);
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    for (;;) {
        const std::uint64_t x = next();
        if (x < limit)
            return static_cast<int>(x % range);
    }
}

double SearchRng::normal()
{
    const double u1 = 1.0 - uniform(); // (0, 1]: log stays finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

} // namespace prism
