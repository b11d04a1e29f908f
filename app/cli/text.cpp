#include "cli.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <array>
#include <optional>

namespace prism::cli {

namespace {

struct Range {
    char32_t first;
    char32_t last;
};

// Code points a terminal draws over the previous character: combining marks,
// zero-width joiners and spaces, variation selectors, tag characters.
constexpr std::array kZeroWidth{
    Range{0x0300, 0x036F},   Range{0x0483, 0x0489},   Range{0x0591, 0x05BD}, Range{0x05BF, 0x05BF},
    Range{0x05C1, 0x05C2},   Range{0x05C4, 0x05C5},   Range{0x05C7, 0x05C7}, Range{0x0610, 0x061A},
    Range{0x064B, 0x065F},   Range{0x0670, 0x0670},   Range{0x06D6, 0x06DC}, Range{0x06DF, 0x06E4},
    Range{0x06E7, 0x06E8},   Range{0x06EA, 0x06ED},   Range{0x0900, 0x0902}, Range{0x093A, 0x093A},
    Range{0x093C, 0x093C},   Range{0x0941, 0x0948},   Range{0x094D, 0x094D}, Range{0x0E31, 0x0E31},
    Range{0x0E34, 0x0E3A},   Range{0x0E47, 0x0E4E},   Range{0x1AB0, 0x1AFF}, Range{0x1DC0, 0x1DFF},
    Range{0x200B, 0x200D},   Range{0x20D0, 0x20FF},   Range{0xFE00, 0xFE0F}, Range{0xFE20, 0xFE2F},
    Range{0xE0000, 0xE007F}, Range{0xE0100, 0xE01EF},
};

// East Asian Wide and Fullwidth characters, and emoji drawn as pictures
// (Emoji_Presentation): two columns in every current terminal.
constexpr std::array kWide{
    Range{0x1100, 0x115F},   Range{0x231A, 0x231B},   Range{0x2329, 0x232A},   Range{0x23E9, 0x23EC},
    Range{0x23F0, 0x23F0},   Range{0x23F3, 0x23F3},   Range{0x25FD, 0x25FE},   Range{0x2614, 0x2615},
    Range{0x2648, 0x2653},   Range{0x267F, 0x267F},   Range{0x2693, 0x2693},   Range{0x26A1, 0x26A1},
    Range{0x26AA, 0x26AB},   Range{0x26BD, 0x26BE},   Range{0x26C4, 0x26C5},   Range{0x26CE, 0x26CE},
    Range{0x26D4, 0x26D4},   Range{0x26EA, 0x26EA},   Range{0x26F2, 0x26F3},   Range{0x26F5, 0x26F5},
    Range{0x26FA, 0x26FA},   Range{0x26FD, 0x26FD},   Range{0x2705, 0x2705},   Range{0x270A, 0x270B},
    Range{0x2728, 0x2728},   Range{0x274C, 0x274C},   Range{0x274E, 0x274E},   Range{0x2753, 0x2755},
    Range{0x2757, 0x2757},   Range{0x2795, 0x2797},   Range{0x27B0, 0x27B0},   Range{0x27BF, 0x27BF},
    Range{0x2B1B, 0x2B1C},   Range{0x2B50, 0x2B50},   Range{0x2B55, 0x2B55},   Range{0x2E80, 0x303E},
    Range{0x3041, 0x33FF},   Range{0x3400, 0x4DBF},   Range{0x4E00, 0x9FFF},   Range{0xA000, 0xA4CF},
    Range{0xA960, 0xA97F},   Range{0xAC00, 0xD7A3},   Range{0xF900, 0xFAFF},   Range{0xFE10, 0xFE19},
    Range{0xFE30, 0xFE6F},   Range{0xFF00, 0xFF60},   Range{0xFFE0, 0xFFE6},   Range{0x16FE0, 0x16FE4},
    Range{0x17000, 0x18AFF}, Range{0x1B000, 0x1B2FF}, Range{0x1F004, 0x1F004}, Range{0x1F0CF, 0x1F0CF},
    Range{0x1F18E, 0x1F18E}, Range{0x1F191, 0x1F19A}, Range{0x1F200, 0x1F2FF}, Range{0x1F300, 0x1F64F},
    Range{0x1F680, 0x1F6FF}, Range{0x1F7E0, 0x1F7EB}, Range{0x1F90C, 0x1F9FF}, Range{0x1FA70, 0x1FAFF},
    Range{0x20000, 0x2FFFD}, Range{0x30000, 0x3FFFD},
};

template <std::size_t N> bool inRanges(const std::array<Range, N> &ranges, char32_t cp)
{
    const auto it =
        std::upper_bound(ranges.begin(), ranges.end(), cp, [](char32_t c, const Range &r) { return c < r.first; });
    return it != ranges.begin() && cp <= std::prev(it)->last;
}

// One decoded UTF-8 sequence: its code point, or nothing for a byte that does
// not start a well-formed sequence (overlong forms and surrogates included).
struct Decoded {
    std::optional<char32_t> cp;
    std::size_t length = 1;
};

Decoded decodeAt(const std::string &text, std::size_t i)
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80)
        return {lead, 1};
    const std::size_t length = lead >= 0xF0 && lead <= 0xF4  ? 4
                               : lead >= 0xE0                ? 3
                               : lead >= 0xC2 && lead < 0xE0 ? 2
                                                             : 0;
    if (length == 0 || i + length > text.size())
        return {};
    char32_t cp = lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return {};
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    const bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return {};
    return {cp, length};
}

// C0 and C1 controls and DEL move the cursor or start escape sequences; the
// bidi controls reorder the text around them (U+202E shows "abc" as "cba").
bool needsEscape(char32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F
           || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

std::size_t codePointWidth(char32_t cp)
{
    if (inRanges(kZeroWidth, cp))
        return 0;
    return inRanges(kWide, cp) ? 2 : 1;
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

std::string escapeControls(const std::string &text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const Decoded d = decodeAt(text, i);
        if (!d.cp)
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
        else if (needsEscape(*d.cp))
            out += fmt::format("\\u{:04x}", static_cast<std::uint32_t>(*d.cp));
        else
            out.append(text, i, d.length);
        i += d.length;
    }
    return out;
}

std::size_t displayWidth(const std::string &text)
{
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size();) {
        const Decoded d = decodeAt(text, i);
        // An undecodable byte is printed by escapeControls as \xNN; a terminal
        // shows it as one replacement character otherwise.
        width += d.cp ? codePointWidth(*d.cp) : 1;
        i += d.length;
    }
    return width;
}

std::string truncateText(const std::string &text, std::size_t maxWidth)
{
    if (displayWidth(text) <= maxWidth)
        return text;
    const std::size_t dots = std::min<std::size_t>(3, maxWidth);
    const std::size_t keep = maxWidth - dots;
    std::size_t width = 0, i = 0;
    while (i < text.size()) {
        const Decoded d = decodeAt(text, i);
        const std::size_t w = d.cp ? codePointWidth(*d.cp) : 1;
        // A wide character that would overhang the limit is dropped whole.
        if (width + w > keep)
            break;
        width += w;
        i += d.length;
    }
    return text.substr(0, i) + std::string(dots, '.');
}

std::string tableCell(const std::string &text, std::size_t maxWidth)
{
    return truncateText(escapeControls(oneLine(text)), maxWidth);
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
