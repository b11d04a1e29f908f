#include "core/example.h"

#include "core/result.h"

#include <algorithm>

namespace prism {

bool Example::isInput(std::string_view name) const
{
    return std::find(inputKeys.begin(), inputKeys.end(), name) != inputKeys.end();
}

Fields Example::inputs() const
{
    Fields out;
    for (const auto &[name, value] : values)
        if (isInput(name))
            out.set(name, value);
    return out;
}

Fields Example::labels() const
{
    Fields out;
    for (const auto &[name, value] : values)
        if (!isInput(name))
            out.set(name, value);
    return out;
}

void TokenUsage::add(const TokenUsage &other)
{
    auto sum = [](std::optional<long long> &a, const std::optional<long long> &b, bool firstCall) {
        // Unknown stays unknown once any call's count is unknown.
        if (firstCall)
            a = b;
        else if (a && b)
            *a += *b;
        else
            a.reset();
    };
    const bool first = calls == 0;
    if (other.calls == 0)
        return;
    sum(promptTokens, other.promptTokens, first);
    sum(completionTokens, other.completionTokens, first);
    calls += other.calls;
}

} // namespace prism
