#include "optimize/rng.h"

#include "core/hash.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace prism {

SeededRng SeededRng::forStream(std::uint64_t seed, std::string_view purpose, std::uint64_t index)
{
    std::uint64_t h = mix64(seed ^ mix64(fnv1a64(purpose)));
    h = mix64(h ^ mix64(index ^ 0x5851f42d4c957f2dULL));
    return SeededRng(h);
}

int SeededRng::below(int n)
{
    if (n <= 1)
        return 0;
    const auto un = static_cast<std::uint64_t>(n);
    // Reject the top partial range so every residue is equally likely.
    const std::uint64_t threshold = (std::numeric_limits<std::uint64_t>::max() - un + 1) % un;
    for (;;) {
        const std::uint64_t x = next();
        if (x >= threshold)
            return static_cast<int>(x % un);
    }
}

int SeededRng::between(int lo, int hi)
{
    if (hi <= lo)
        return lo;
    return lo + below(hi - lo + 1);
}

std::vector<std::size_t> SeededRng::permutation(std::size_t n)
{
    std::vector<std::size_t> out(n);
    std::iota(out.begin(), out.end(), std::size_t{0});
    for (std::size_t i = n; i > 1; --i) {
        const auto j = static_cast<std::size_t>(below(static_cast<int>(i)));
        std::swap(out[i - 1], out[j]);
    }
    return out;
}

std::vector<std::size_t> SeededRng::sample(std::size_t n, std::size_t k)
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
