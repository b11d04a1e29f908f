#include "optimize/search/search_space.h"

#include <spdlog/fmt/fmt.h>

#include <set>

namespace prism {

Result<SearchSpace> SearchSpace::create(std::vector<SearchDimension> dimensions)
{
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < dimensions.size(); ++i) {
        const SearchDimension &d = dimensions[i];
        if (d.name.empty())
            return Error::make(ErrorKind::Config, fmt::format("search space: dimension {} has an empty name", i));
        if (d.size < 1)
            return Error::make(
                ErrorKind::Config,
                fmt::format("search space: dimension '{}' has size {}; it needs at least 1 choice", d.name, d.size));
        if (!seen.insert(d.name).second)
            return Error::make(ErrorKind::Config,
                               fmt::format("search space: dimension name '{}' appears twice", d.name));
    }
    SearchSpace space;
    space.m_dimensions = std::move(dimensions);
    return space;
}

int SearchSpace::indexOf(std::string_view name) const
{
    for (std::size_t i = 0; i < m_dimensions.size(); ++i) {
        if (m_dimensions[i].name == name)
            return static_cast<int>(i);
    }
    return -1;
}

std::uint64_t SearchSpace::configCount() const
{
    std::uint64_t count = 1;
    for (const SearchDimension &d : m_dimensions) {
        const auto size = static_cast<std::uint64_t>(d.size);
        if (count > UINT64_MAX / size)
            return UINT64_MAX;
        count *= size;
    }
    return count;
}

bool SearchSpace::contains(const Config &config) const
{
    if (config.size() != m_dimensions.size())
        return false;
    for (std::size_t i = 0; i < config.size(); ++i) {
        if (config[i] < 0 || config[i] >= m_dimensions[i].size)
            return false;
    }
    return true;
}

Result<void> SearchSpace::validate(const Config &config) const
{
    if (config.size() != m_dimensions.size())
        return Error::make(ErrorKind::Config,
                           fmt::format("config has {} indices but the search space has {} dimensions", config.size(),
                                       m_dimensions.size()));
    for (std::size_t i = 0; i < config.size(); ++i) {
        if (config[i] < 0 || config[i] >= m_dimensions[i].size)
            return Error::make(ErrorKind::Config,
                               fmt::format("config index {} for dimension '{}' is outside 0..{}", config[i],
                                           m_dimensions[i].name, m_dimensions[i].size - 1));
    }
    return {};
}

std::string SearchSpace::describe(const Config &config) const
{
    std::string out;
    for (std::size_t i = 0; i < config.size(); ++i) {
        if (i > 0)
            out += ", ";
        out += i < m_dimensions.size() ? m_dimensions[i].name : fmt::format("dim{}", i);
        out += '=';
        out += std::to_string(config[i]);
    }
    return out;
}

} // namespace prism
