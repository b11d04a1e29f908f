#pragma once

#include "core/result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace prism {

// One point of a categorical search space: an index per dimension.
using Config = std::vector<int>;

// A categorical dimension with unordered, unrelated choices 0..size-1. For
// MIPROv2 these are "<i>_predictor_instruction" and "<i>_predictor_demos".
struct SearchDimension {
    std::string name;
    int size = 1;
    bool operator==(const SearchDimension &other) const = default;
};

// A product of categorical dimensions. Immutable once created.
class SearchSpace {
public:
    SearchSpace() = default; // no dimensions: the single empty config
    // Fails on an empty or duplicate name or a size below 1, naming the dimension.
    static Result<SearchSpace> create(std::vector<SearchDimension> dimensions);

    int dimensionCount() const { return static_cast<int>(m_dimensions.size()); }
    const std::vector<SearchDimension> &dimensions() const { return m_dimensions; }
    const SearchDimension &dimension(int index) const { return m_dimensions[static_cast<std::size_t>(index)]; }
    // -1 when absent.
    int indexOf(std::string_view name) const;
    // Number of distinct configs, saturating at UINT64_MAX.
    std::uint64_t configCount() const;

    bool contains(const Config &config) const;
    // Says which dimension is wrong and why.
    Result<void> validate(const Config &config) const;
    // "0_predictor_instruction=2, 0_predictor_demos=0", for logs and errors.
    std::string describe(const Config &config) const;

    bool operator==(const SearchSpace &other) const = default;

private:
    std::vector<SearchDimension> m_dimensions;
};

} // namespace prism
