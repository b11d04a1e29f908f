#include "core/rng.h"

#include "core/hash.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

namespace prism {

namespace {

std::uint64_t rotl(std::uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

} // namespace

Rng::Rng(std::uint64_t seed)
{
    // mix64 adds the golden-ratio increment itself, so successive counters
    // give SplitMix64's output sequence; it never yields an all-zero state.
    for (int i = 0; i < 4; ++i)
        m_s[i] = mix64(seed + static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ULL);
}

Rng Rng::forStream(std::uint64_t seed, std::string_view purpose, std::uint64_t index)
{
    std::uint64_t h = mix64(seed ^ mix64(fnv1a64(purpose)));
    h = mix64(h ^ mix64(index ^ 0x5851f42d4c957f2dULL));
    return Rng(h);
}

Rng Rng::forNumberedStream(std::uint64_t seed, std::uint64_t number)
{
    return Rng(mix64(seed) ^ mix64(~number));
}

std::uint64_t Rng::next()
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

double Rng::uniform()
{
    return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
}

double Rng::normal()
{
    const double u1 = 1.0 - uniform(); // (0, 1]: log stays finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

int Rng::below(int n)
{
    if (n <= 1)
        return 0;
    const auto un = static_cast<std::uint64_t>(n);
    // 2^64 mod n, computed without 128-bit arithmetic.
    const std::uint64_t threshold = (std::numeric_limits<std::uint64_t>::max() - un + 1) % un;
    for (;;) {
        const std::uint64_t x = next();
        if (x >= threshold)
            return static_cast<int>(x % un);
    }
}

int Rng::belowAlwaysDraws(int n)
{
    assert(n >= 1);
    const auto range = static_cast<std::uint64_t>(n);
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = max - max % range;
    for (;;) {
        const std::uint64_t x = next();
        if (x < limit)
            return static_cast<int>(x % range);
    }
}

int Rng::between(int lo, int hi)
{
    if (hi <= lo)
        return lo;
    return lo + below(hi - lo + 1);
}

std::vector<std::size_t> Rng::permutation(std::size_t n)
{
    std::vector<std::size_t> out(n);
    std::iota(out.begin(), out.end(), std::size_t{0});
    for (std::size_t i = n; i > 1; --i) {
        const auto j = static_cast<std::size_t>(below(static_cast<int>(i)));
        std::swap(out[i - 1], out[j]);
    }
    return out;
}

std::vector<std::size_t> Rng::sample(std::size_t n, std::size_t k)
{
    k = std::min(k, n);
    std::vector<std::size_t> pool(n);
    std::iota(pool.begin(), pool.end(), std::size_t{0});
    for (std::size_t i = 0; i < k; ++i) {
        const std::size_t j = i + static_cast<std::size_t>(below(static_cast<int>(n - i)));
        std::swap(pool[i], pool[j]);
    }
    pool.resize(k);
    return pool;
}

} // namespace prism
