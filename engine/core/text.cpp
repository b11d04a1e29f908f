#include "core/text.h"

#include <ctime>

namespace prism {

std::string trimmed(std::string_view text, std::string_view chars)
{
    const auto first = text.find_first_not_of(chars);
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(chars);
    return std::string(text.substr(first, last - first + 1));
}

std::string toLowerAscii(std::string_view text)
{
    std::string out(text);
    for (char &c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string utcNow(const char *format)
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    return std::strftime(buf, sizeof buf, format, &tm) ? std::string(buf) : std::string();
}

std::string isoNowUtc()
{
    return utcNow("%Y-%m-%dT%H:%M:%SZ");
}

} // namespace prism
