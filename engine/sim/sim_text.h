#pragma once

// Text utilities of SimLm (docs/SIMLM.md): tokens, similarity, sentences,
// arithmetic, Python/JSON literals and seeded draws. Pure functions only, so
// SimLm stays a pure function of its request on any thread.

#include "core/text.h" // trimmed, toLowerAscii: used by every sim_*.cpp

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace prism::sim {

bool startsWith(std::string_view text, std::string_view prefix);
bool endsWith(std::string_view text, std::string_view suffix);
std::vector<std::string> splitLines(std::string_view text);
// textwrap.dedent + strip: removes the common leading whitespace of non-blank lines.
std::string dedent(std::string_view text);
// "a", "a and b", "a, b and c" (joiner "and" or "or").
std::string joinWords(const std::vector<std::string> &items, std::string_view joiner = "and");
std::string joinStrings(const std::vector<std::string> &items, std::string_view separator);
// Pieces between separators, each trimmed (empty pieces kept).
std::vector<std::string> splitOn(std::string_view text, std::string_view separator);
// The names between backticks, in order ("`a` and `b`" -> a, b).
std::vector<std::string> backtickedNames(std::string_view text);
// Code points in UTF-8 text (for token counts).
std::size_t countChars(std::string_view text);
// Cuts at most maxChars code points, never inside a UTF-8 sequence.
std::string cutChars(std::string_view text, std::size_t maxChars);

// All words: lowercase, split on non-alphanumerics (bytes >= 0x80 count as
// letters so non-ASCII words stay whole), plural "s" stripped. No stopword removal.
std::vector<std::string> words(std::string_view text);
// words() minus stopwords and single letters: the tokens of SIMLM.md.
std::vector<std::string> tokens(std::string_view text);
std::set<std::string> tokenSet(std::string_view text);
std::string stem(std::string_view lowerWord);
bool isStopword(std::string_view lowerWord);
// Words that never count as cue words (label, use, when, text, mention, ...).
bool isGenericWord(std::string_view stemmedWord);
// Jaccard of two token sets; 0 when both are empty.
double jaccard(const std::set<std::string> &a, const std::set<std::string> &b);
bool isNumberWord(std::string_view word);

// Sentences: ends at . ! ? followed by space, quote, end of text, or by an
// upper-case letter right after a lower-case one (observations concatenated
// without a separator); a line break also ends a sentence. Trimmed, non-empty.
std::vector<std::string> splitSentences(std::string_view text);
// Does the word sequence contain `needle` as a contiguous run?
bool containsRun(const std::vector<std::string> &haystack, const std::vector<std::string> &needle);

// Arithmetic stated in text: NUMBER (OP NUMBER)+ with OP one of plus, minus,
// times, multiplied by, divided by, + - * / x ÷.
struct Arithmetic {
    std::string text; // "7 plus 5 times 4"
    double value = 0; // evaluated left to right
    int operations = 0;
};
// The chain with the most operations (the first of equals); nullopt if none.
std::optional<Arithmetic> findArithmetic(std::string_view text);
std::optional<double> firstNumber(std::string_view text);
// Python's str(): 48 -> "48", 12.5 -> "12.5"; asInt rounds to the nearest integer.
std::string formatNumber(double value, bool asInt);
// Python-style float text: 8 -> "8.0".
std::string formatFloat(double value);

// A Python or JSON literal: 'x', "x", 1.5, True/true, None/null, [..], (..), {k: v}, {a, b}.
struct Literal {
    enum class Kind {
        Null,
        Bool,
        Number,
        String,
        List,
        Dict,
    };
    Kind kind = Kind::Null;
    bool flag = false;
    std::string text;              // String: the value; Number: as written
    std::vector<std::string> keys; // Dict keys (as text), parallel to items
    std::vector<Literal> items;    // List / tuple / set items, or Dict values

    const Literal *get(std::string_view key) const;
    // Text a reader sees: strings as they are, numbers as written, True/False,
    // lists as their items joined with ", ".
    std::string plainText() const;
};
// Parses one literal at `pos` (skipping leading space) and advances `pos`.
bool parseLiteral(std::string_view text, std::size_t &pos, Literal &out);
// A list value as written by an LM or a demo: JSON or Python list, or one bare value.
std::vector<std::string> parseListItems(std::string_view text);

// Seeded, portable draws: FNV-1a over length-prefixed parts, then mix64.
class DrawHash {
public:
    DrawHash();
    DrawHash &add(std::string_view part);
    DrawHash &add(std::uint64_t part);
    std::uint64_t value() const;
    double unit() const; // uniform in [0, 1)

private:
    std::uint64_t m_state;
};

} // namespace prism::sim
