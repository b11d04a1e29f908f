#include "optimize/xoshiro.h"

#include "core/hash.h"

namespace prism {

namespace {

std::uint64_t rotl(std::uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

} // namespace

Xoshiro256::Xoshiro256(std::uint64_t seed)
{
    // mix64 adds the golden-ratio increment itself, so successive counters
    // give SplitMix64's output sequence; it never yields an all-zero state.
    for (int i = 0; i < 4; ++i)
        m_s[i] = mix64(seed + static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ULL);
}

std::uint64_t Xoshiro256::next()
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

double Xoshiro256::uniform()
{
    return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
}

} // namespace prism
