#include "optimize/screening.h"

#include <algorithm>
#include <cmath>

namespace prism {

namespace {

constexpr std::size_t kMinScreen = 5;
// Bounds at or below this are "cannot beat": sums of floats in [0, 1].
constexpr double kTolerance = 1e-9;

} // namespace

std::size_t screenSize(std::size_t valSize)
{
    return std::min(valSize, std::max(kMinScreen, (valSize + 2) / 3));
}

std::vector<std::size_t> pickScreen(const std::vector<std::vector<std::optional<double>>> &scores, std::size_t size,
                                    const std::vector<std::size_t> &tiebreak)
{
    const std::size_t n = tiebreak.size();
    std::vector<double> spread(n, 0.0);
    if (!scores.empty()) {
        for (std::size_t i = 0; i < n; ++i) {
            double sum = 0.0;
            double squares = 0.0;
            for (const auto &config : scores) {
                const double v = i < config.size() ? config[i].value_or(0.0) : 0.0;
                sum += v;
                squares += v * v;
            }
            const double count = static_cast<double>(scores.size());
            spread[i] = std::max(0.0, squares / count - (sum / count) * (sum / count));
        }
    }
    std::vector<std::size_t> rank(n);
    for (std::size_t r = 0; r < n; ++r)
        if (tiebreak[r] < n)
            rank[tiebreak[r]] = r;
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i)
        order[i] = i;
    // Spreads are compared with a tolerance: sums of the same scores in another
    // order must not reorder examples.
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (std::abs(spread[a] - spread[b]) > kTolerance)
            return spread[a] > spread[b];
        return rank[a] < rank[b];
    });
    // Half the screen (rounded up) is where configs disagreed most; the rest
    // is drawn in tiebreak order from the others, so an example on which no
    // config has differed yet (where a new config may be the first to gain)
    // still gets looked at.
    const std::size_t take = std::min(size, n);
    std::vector<std::size_t> screen(order.begin(), order.begin() + static_cast<std::ptrdiff_t>((take + 1) / 2));
    std::vector<std::size_t> others(order.begin() + static_cast<std::ptrdiff_t>(screen.size()), order.end());
    std::sort(others.begin(), others.end(), [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
    for (std::size_t i = 0; screen.size() < take; ++i)
        screen.push_back(others[i]);
    std::sort(screen.begin(), screen.end());
    return screen;
}

ScreenVerdict screenAgainst(const std::vector<std::optional<double>> &incumbent, const std::vector<std::size_t> &screen,
                            const std::vector<std::optional<double>> &config, double z)
{
    const std::size_t n = incumbent.size();
    std::vector<bool> screened(n, false);
    std::vector<double> diffs;
    double gain = 0.0;    // sum of paired differences on the screen
    double bothSum = 0.0; // differences where both scored, for the estimate
    std::size_t both = 0;
    for (std::size_t k = 0; k < screen.size() && k < config.size(); ++k) {
        const std::size_t i = screen[k];
        if (i >= n || screened[i])
            continue;
        screened[i] = true;
        const double inc = incumbent[i].value_or(0.0);
        const double d = config[k] ? *config[k] - inc : 1.0 - inc;
        diffs.push_back(d);
        gain += d;
        if (config[k] && incumbent[i]) {
            bothSum += d;
            ++both;
        }
    }
    double incSum = 0.0;
    std::size_t incScored = 0;
    double unseenHeadroom = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (incumbent[i]) {
            incSum += *incumbent[i];
            ++incScored;
        }
        if (!screened[i])
            unseenHeadroom += 1.0 - incumbent[i].value_or(0.0);
    }

    ScreenVerdict verdict;
    const double incMean = incScored > 0 ? incSum / static_cast<double>(incScored) : 0.0;
    verdict.estimate = std::clamp(incMean + (both > 0 ? bothSum / static_cast<double>(both) : 0.0), 0.0, 1.0);

    const std::size_t k = diffs.size();
    verdict.tied = k > 0 && std::all_of(diffs.begin(), diffs.end(), [](double d) { return std::abs(d) <= kTolerance; });
    const double exact = gain + unseenHeadroom;
    double statistical = exact;
    if (k >= 2 && k < n) {
        const double mean = gain / static_cast<double>(k);
        double squares = 0.0;
        for (const double d : diffs)
            squares += (d - mean) * (d - mean);
        const double standardError = std::sqrt(squares / static_cast<double>(k - 1) / static_cast<double>(k));
        statistical = gain + static_cast<double>(n - k) * (mean + z * standardError);
    }
    verdict.promote = std::min(exact, statistical) > kTolerance;
    return verdict;
}

bool worthExtending(std::size_t valSize, std::size_t screened)
{
    return screened < valSize && valSize - screened >= screened + 2;
}

bool unbeatable(const std::vector<std::optional<double>> &incumbent)
{
    return !incumbent.empty() && std::all_of(incumbent.begin(), incumbent.end(), [](const std::optional<double> &s) {
        return s && *s >= 1.0 - kTolerance;
    });
}

} // namespace prism
