#pragma once

#include "core/example.h"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace prism {

enum class DataSplit {
    Train,
    Val,
    Test,
};

// How many rows of each split, per label, after a stratified split.
struct SplitAssignment {
    std::vector<DataSplit> splitOf;  // one per row, in row order
    std::vector<std::string> labels; // the distinct labels, in order of first appearance
    // counts[label index][split]: rows of that label in train, val, test
    std::vector<std::array<std::size_t, 3>> counts;
};

// Deals rows into train / val / test so that each label keeps its share in
// every split. The totals are those of splitByFraction (round(n * fraction)),
// shared among the labels by largest remainder; within a label the rows are
// shuffled by the SplitMix64 Fisher-Yates of splitByFraction, so the same
// seed gives the same split on every platform.
SplitAssignment stratifiedAssignment(const std::vector<std::string> &labelOfRow, double valFraction,
                                     double testFraction, std::uint64_t seed);

// The same on examples: each split keeps the file order.
void stratifiedSplit(const std::vector<Example> &all, const std::function<std::string(const Example &)> &labelOf,
                     double valFraction, double testFraction, std::uint64_t seed, std::vector<Example> &rest,
                     std::vector<Example> &val, std::vector<Example> &test);

// The label of an example for stratifying by one output field: its value as
// text ("" when absent; a list's items joined by ", ").
std::string stratumOf(const Example &example, const std::string &field);

} // namespace prism
