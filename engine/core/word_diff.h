#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace prism {

// A word-level diff of two texts (the Monitor's instruction diff from a GEPA
// parent to its child). Words are runs of non-whitespace; the whitespace
// between them is not compared, so a re-wrapped instruction shows no change.
struct WordDiffPiece {
    enum class Kind { Same, Removed, Added };
    Kind kind = Kind::Same;
    std::string text; // consecutive words of one kind, joined by single spaces
    bool operator==(const WordDiffPiece &other) const = default;
};

// The pieces that turn `before` into `after`: a longest common subsequence
// of words is kept (Same); at a place where the texts differ, the removed
// words come before the added ones. Texts of more than kWordDiffMaxWords words (after
// their common start and end) are shown as one removal and one addition.
inline constexpr std::size_t kWordDiffMaxWords = 2000;
std::vector<WordDiffPiece> wordDiff(std::string_view before, std::string_view after);

} // namespace prism
