#include "optimize/search/search_rng.h"

#include "core/hash.h"

#include <cassert>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace prism {

SearchRng SearchRng::forStream(std::uint64_t seed, std::uint64_t stream)
{
    return SearchRng(mix64(seed) ^ mix64(~stream));
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
