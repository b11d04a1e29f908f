#include "cli.h"

#include <algorithm>

namespace prism::cli {

namespace {

bool isContinuationByte(char c)
{
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

} // namespace

std::string oneLine(const std::string &text)
{
    std::string out;
    out.reserve(text.size());
    bool lastSpace = false;
    for (char c : text) {
        const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
        if (space && lastSpace)
            continue;
        out += space ? ' ' : c;
        lastSpace = space;
    }
    return out;
}

// Counts code points, not bytes: close enough to terminal columns for the
// text of a table (wide CJK characters are the exception).
std::size_t displayWidth(const std::string &text)
{
    std::size_t n = 0;
    for (char c : text)
        if (!isContinuationByte(c))
            ++n;
    return n;
}

std::string truncateText(const std::string &text, std::size_t maxChars)
{
    if (displayWidth(text) <= maxChars)
        return text;
    const std::size_t keep = maxChars > 3 ? maxChars - 3 : 0;
    std::size_t chars = 0, i = 0;
    for (; i < text.size(); ++i) {
        if (!isContinuationByte(text[i])) {
            if (chars == keep)
                break;
            ++chars;
        }
    }
    return text.substr(0, i) + std::string(std::min<std::size_t>(3, maxChars), '.');
}

std::string withThousands(long long value)
{
    std::string digits = std::to_string(value < 0 ? -value : value);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return value < 0 ? "-" + out : out;
}

} // namespace prism::cli
