#include "core/word_diff.h"

#include "core/text.h"

#include <algorithm>
#include <cstdint>

namespace prism {

namespace {

std::vector<std::string_view> wordsOf(std::string_view text)
{
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < text.size()) {
        i = text.find_first_not_of(kAsciiWhitespace, i);
        if (i == std::string_view::npos)
            break;
        std::size_t end = text.find_first_of(kAsciiWhitespace, i);
        if (end == std::string_view::npos)
            end = text.size();
        words.push_back(text.substr(i, end - i));
        i = end;
    }
    return words;
}

void append(std::vector<WordDiffPiece> &pieces, WordDiffPiece::Kind kind, std::string_view word)
{
    if (!pieces.empty() && pieces.back().kind == kind) {
        pieces.back().text += ' ';
        pieces.back().text += word;
        return;
    }
    pieces.push_back({kind, std::string(word)});
}

using Words = std::vector<std::string_view>;

// The middle of the texts (their common start and end already taken off):
// LCS lengths of every suffix pair, then one walk from the start.
void diffMiddle(const Words &a, const Words &b, std::size_t a0, std::size_t a1, std::size_t b0, std::size_t b1,
                std::vector<WordDiffPiece> &pieces)
{
    const std::size_t n = a1 - a0;
    const std::size_t m = b1 - b0;
    if (n > kWordDiffMaxWords || m > kWordDiffMaxWords) {
        for (std::size_t i = a0; i < a1; ++i)
            append(pieces, WordDiffPiece::Kind::Removed, a[i]);
        for (std::size_t j = b0; j < b1; ++j)
            append(pieces, WordDiffPiece::Kind::Added, b[j]);
        return;
    }
    // lcs[i * (m + 1) + j]: the LCS length of a[a0 + i ..] and b[b0 + j ..].
    std::vector<std::uint16_t> lcs((n + 1) * (m + 1), 0);
    const auto at = [&](std::size_t i, std::size_t j) -> std::uint16_t & { return lcs[i * (m + 1) + j]; };
    for (std::size_t i = n; i-- > 0;)
        for (std::size_t j = m; j-- > 0;)
            at(i, j) = a[a0 + i] == b[b0 + j] ? static_cast<std::uint16_t>(at(i + 1, j + 1) + 1)
                                              : std::max(at(i + 1, j), at(i, j + 1));
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[a0 + i] == b[b0 + j]) {
            append(pieces, WordDiffPiece::Kind::Same, a[a0 + i]);
            ++i;
            ++j;
        } else if (j == m || (i < n && at(i + 1, j) >= at(i, j + 1))) {
            append(pieces, WordDiffPiece::Kind::Removed, a[a0 + i]);
            ++i;
        } else {
            append(pieces, WordDiffPiece::Kind::Added, b[b0 + j]);
            ++j;
        }
    }
}

} // namespace

std::vector<WordDiffPiece> wordDiff(std::string_view before, std::string_view after)
{
    const Words a = wordsOf(before);
    const Words b = wordsOf(after);
    std::size_t start = 0;
    while (start < a.size() && start < b.size() && a[start] == b[start])
        ++start;
    std::size_t endA = a.size();
    std::size_t endB = b.size();
    while (endA > start && endB > start && a[endA - 1] == b[endB - 1]) {
        --endA;
        --endB;
    }
    std::vector<WordDiffPiece> pieces;
    for (std::size_t i = 0; i < start; ++i)
        append(pieces, WordDiffPiece::Kind::Same, a[i]);
    diffMiddle(a, b, start, endA, start, endB, pieces);
    for (std::size_t i = endA; i < a.size(); ++i)
        append(pieces, WordDiffPiece::Kind::Same, a[i]);
    return pieces;
}

} // namespace prism
