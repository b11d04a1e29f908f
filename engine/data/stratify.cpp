#include "data/stratify.h"

#include "core/hash.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace prism {

namespace {

std::size_t totalFor(std::size_t n, double fraction)
{
    if (!(fraction > 0))
        return 0;
    return static_cast<std::size_t>(
        std::min<double>(static_cast<double>(n), std::llround(static_cast<double>(n) * fraction)));
}

// Shares `total` among groups in proportion to `sizes`, never more than
// `room` per group: floors first, then one more to the largest remainders
// (ties: the bigger group, then the earlier one).
std::vector<std::size_t> largestRemainder(const std::vector<std::size_t> &sizes, const std::vector<std::size_t> &room,
                                          std::size_t total)
{
    const std::size_t n = std::accumulate(sizes.begin(), sizes.end(), std::size_t{0});
    std::vector<std::size_t> share(sizes.size(), 0);
    if (n == 0 || total == 0)
        return share;
    std::vector<double> remainder(sizes.size(), 0.0);
    std::size_t given = 0;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
        const double exact = static_cast<double>(sizes[k]) * static_cast<double>(total) / static_cast<double>(n);
        share[k] = std::min(room[k], static_cast<std::size_t>(std::floor(exact)));
        remainder[k] = exact - std::floor(exact);
        given += share[k];
    }
    std::vector<std::size_t> order(sizes.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (remainder[a] != remainder[b])
            return remainder[a] > remainder[b];
        return sizes[a] > sizes[b];
    });
    // Round-robin in that order until the total is met or no group has room.
    while (given < total) {
        bool progressed = false;
        for (std::size_t k : order) {
            if (given == total)
                break;
            if (share[k] < room[k]) {
                ++share[k];
                ++given;
                progressed = true;
            }
        }
        if (!progressed)
            break;
    }
    return share;
}

} // namespace

SplitAssignment stratifiedAssignment(const std::vector<std::string> &labelOfRow, double valFraction,
                                     double testFraction, std::uint64_t seed)
{
    SplitAssignment out;
    const std::size_t n = labelOfRow.size();
    out.splitOf.assign(n, DataSplit::Train);
    std::vector<std::vector<std::size_t>> members;
    for (std::size_t r = 0; r < n; ++r) {
        const auto it = std::find(out.labels.begin(), out.labels.end(), labelOfRow[r]);
        const std::size_t k = static_cast<std::size_t>(it - out.labels.begin());
        if (it == out.labels.end()) {
            out.labels.push_back(labelOfRow[r]);
            members.emplace_back();
        }
        members[k].push_back(r);
    }
    std::vector<std::size_t> sizes;
    for (const auto &m : members)
        sizes.push_back(m.size());
    const std::size_t nVal = totalFor(n, valFraction);
    const std::size_t nTest = std::min(totalFor(n, testFraction), n - nVal);
    const std::vector<std::size_t> test = largestRemainder(sizes, sizes, nTest);
    std::vector<std::size_t> room(sizes.size());
    for (std::size_t k = 0; k < sizes.size(); ++k)
        room[k] = sizes[k] - test[k];
    const std::vector<std::size_t> val = largestRemainder(sizes, room, nVal);

    // One SplitMix64 stream across the labels, in order of first appearance.
    std::uint64_t state = seed;
    out.counts.resize(members.size());
    for (std::size_t k = 0; k < members.size(); ++k) {
        std::vector<std::size_t> order = members[k];
        for (std::size_t i = order.size(); i > 1; --i) {
            state += 0x9e3779b97f4a7c15ULL;
            const std::size_t j = static_cast<std::size_t>(mix64(state) % i);
            std::swap(order[i - 1], order[j]);
        }
        for (std::size_t i = 0; i < order.size(); ++i)
            out.splitOf[order[i]] = i < test[k]            ? DataSplit::Test
                                    : i < test[k] + val[k] ? DataSplit::Val
                                                           : DataSplit::Train;
        out.counts[k] = {sizes[k] - test[k] - val[k], val[k], test[k]};
    }
    return out;
}

void stratifiedSplit(const std::vector<Example> &all, const std::function<std::string(const Example &)> &labelOf,
                     double valFraction, double testFraction, std::uint64_t seed, std::vector<Example> &rest,
                     std::vector<Example> &val, std::vector<Example> &test)
{
    rest.clear();
    val.clear();
    test.clear();
    std::vector<std::string> labels;
    labels.reserve(all.size());
    for (const auto &example : all)
        labels.push_back(labelOf(example));
    const SplitAssignment assignment = stratifiedAssignment(labels, valFraction, testFraction, seed);
    for (std::size_t r = 0; r < all.size(); ++r) {
        switch (assignment.splitOf[r]) {
        case DataSplit::Train: rest.push_back(all[r]); break;
        case DataSplit::Val: val.push_back(all[r]); break;
        case DataSplit::Test: test.push_back(all[r]); break;
        }
    }
}

std::string stratumOf(const Example &example, const std::string &field)
{
    const Value *value = example.values.find(field);
    if (!value || value->isNull())
        return {};
    if (!value->isList())
        return value->isString() ? value->asString() : value->toText();
    std::string out;
    for (const auto &item : value->asList()) {
        if (!out.empty())
            out += ", ";
        out += item.isString() ? item.asString() : item.toText();
    }
    return out;
}

} // namespace prism
