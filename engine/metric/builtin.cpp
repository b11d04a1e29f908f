#include "metric/builtin.h"

#include "core/text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <vector>

namespace prism {

namespace {

// Text for lexical metrics. Lists become their elements separated by spaces:
// their JSON form would glue elements together once punctuation is stripped.
std::string lexicalText(const Value &v)
{
    if (!v.isList())
        return v.toText();
    std::string out;
    for (const auto &item : v.asList()) {
        if (!out.empty())
            out += ' ';
        out += lexicalText(item);
    }
    return out;
}

// SQuAD's normalize_answer: lowercase, drop punctuation, drop the articles
// a/an/the, collapse whitespace. Non-ASCII bytes are kept as they are.
std::vector<std::string> normalizedTokens(const std::string &text)
{
    std::string cleaned;
    cleaned.reserve(text.size());
    for (unsigned char c : text) {
        if (c < 0x80 && std::ispunct(c))
            continue;
        cleaned += c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
    }
    std::vector<std::string> tokens;
    std::istringstream in(cleaned);
    std::string token;
    while (in >> token) {
        if (token != "a" && token != "an" && token != "the")
            tokens.push_back(token);
    }
    return tokens;
}

std::string joined(const std::vector<std::string> &tokens)
{
    std::string out;
    for (const auto &t : tokens) {
        if (!out.empty())
            out += ' ';
        out += t;
    }
    return out;
}

std::string normalizedText(const Value &v)
{
    return joined(normalizedTokens(lexicalText(v)));
}

bool scalarEqual(const Value &a, const Value &b)
{
    if (a.isNumber() && b.isNumber())
        return a.asNumber() == b.asNumber();
    if (a.isString() && b.isString())
        return trimmed(a.asString()) == trimmed(b.asString());
    return a == b;
}

bool valueEqual(const Value &a, const Value &b);

// Null is the empty set, a scalar a set of one; duplicates collapse.
std::vector<Value> asSet(const Value &v)
{
    std::vector<Value> out;
    if (v.isNull())
        return out;
    const Value::List items = v.isList() ? v.asList() : Value::List{v};
    for (const auto &item : items) {
        const bool seen = std::any_of(out.begin(), out.end(), [&](const Value &o) { return valueEqual(o, item); });
        if (!seen)
            out.push_back(item);
    }
    return out;
}

std::size_t intersectionSize(const std::vector<Value> &a, const std::vector<Value> &b)
{
    std::size_t n = 0;
    for (const auto &x : a)
        if (std::any_of(b.begin(), b.end(), [&](const Value &y) { return valueEqual(x, y); }))
            ++n;
    return n;
}

bool valueEqual(const Value &a, const Value &b)
{
    if (a.isList() && b.isList()) {
        const auto sa = asSet(a), sb = asSet(b);
        return sa.size() == sb.size() && intersectionSize(sa, sb) == sa.size();
    }
    return scalarEqual(a, b);
}

// Numbers in text: "42", "-3.5", "1,234.5", "2e3". Thousands separators must
// group by three so that "3,4" reads as two numbers.
const std::regex &numberPattern()
{
    static const std::regex re(
        R"([-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?)");
    return re;
}

double parseNumberToken(std::string token)
{
    token.erase(std::remove(token.begin(), token.end(), ','), token.end());
    return std::strtod(token.c_str(), nullptr);
}

// The tokens of `of` left over once each token of `against` has claimed one
// equal token: the multiset difference, in the order of `of`.
std::vector<std::string> unmatchedTokens(const std::vector<std::string> &of, const std::vector<std::string> &against)
{
    std::map<std::string, int> available;
    for (const auto &t : against)
        ++available[t];
    std::vector<std::string> left;
    for (const auto &t : of) {
        auto it = available.find(t);
        if (it != available.end() && it->second > 0)
            --it->second;
        else
            left.push_back(t);
    }
    return left;
}

// The items of `of` that `against` lacks, compared as setJaccard compares them.
std::vector<Value> itemsNotIn(const std::vector<Value> &of, const std::vector<Value> &against)
{
    std::vector<Value> out;
    for (const auto &x : of)
        if (std::none_of(against.begin(), against.end(), [&](const Value &y) { return valueEqual(x, y); }))
            out.push_back(x);
    return out;
}

} // namespace

// Answers tend to end with their result ("... so the total is 42"), hence the
// last number in a text.
std::optional<double> numberIn(const Value &v)
{
    if (v.isNumber())
        return v.asNumber();
    if (!v.isString())
        return std::nullopt;
    const std::string text = trimmed(v.asString());
    if (std::regex_match(text, numberPattern()))
        return parseNumberToken(text);
    std::optional<double> last;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), numberPattern()); it != std::sregex_iterator(); ++it)
        last = parseNumberToken(it->str());
    return last;
}

double exactMatch(const Value &expected, const Value &predicted)
{
    return valueEqual(expected, predicted) ? 1.0 : 0.0;
}

double normalizedExactMatch(const Value &expected, const Value &predicted)
{
    if (expected.isList() && predicted.isList()) {
        // Set comparison on normalized elements, so order and case do not matter.
        auto normSet = [](const Value &v) {
            std::vector<std::string> out;
            for (const auto &item : v.asList())
                out.push_back(normalizedText(item));
            std::sort(out.begin(), out.end());
            out.erase(std::unique(out.begin(), out.end()), out.end());
            return out;
        };
        return normSet(expected) == normSet(predicted) ? 1.0 : 0.0;
    }
    return normalizedText(expected) == normalizedText(predicted) ? 1.0 : 0.0;
}

double tokenF1(const Value &expected, const Value &predicted)
{
    const auto gold = normalizedTokens(lexicalText(expected));
    const auto pred = normalizedTokens(lexicalText(predicted));
    if (gold.empty() || pred.empty())
        return gold.empty() && pred.empty() ? 1.0 : 0.0;
    const std::size_t common = pred.size() - unmatchedTokens(pred, gold).size();
    if (common == 0)
        return 0.0;
    const double precision = static_cast<double>(common) / static_cast<double>(pred.size());
    const double recall = static_cast<double>(common) / static_cast<double>(gold.size());
    return 2.0 * precision * recall / (precision + recall);
}

double setJaccard(const Value &expected, const Value &predicted)
{
    const auto a = asSet(expected), b = asSet(predicted);
    if (a.empty() && b.empty())
        return 1.0;
    // The items setDifference reports as missing are the ones not shared.
    const std::size_t inter = a.size() - itemsNotIn(a, b).size();
    return static_cast<double>(inter) / static_cast<double>(a.size() + b.size() - inter);
}

double numericMatch(const Value &expected, const Value &predicted, double tolerance)
{
    const auto a = numberIn(expected), b = numberIn(predicted);
    if (!a || !b || !std::isfinite(*a) || !std::isfinite(*b))
        return 0.0;
    // A hair of relative slack so that 0.1 + 0.2 equals 0.3 at tolerance 0.
    const double slack = 1e-9 * std::max({1.0, std::fabs(*a), std::fabs(*b)});
    return std::fabs(*a - *b) <= std::max(0.0, tolerance) + slack ? 1.0 : 0.0;
}

double containsMatch(const Value &expected, const Value &predicted)
{
    const std::string e = normalizedText(expected), p = normalizedText(predicted);
    // An empty label matches only an empty answer: a blank label must not
    // score every answer as right.
    if (e.empty())
        return p.empty() ? 1.0 : 0.0;
    // Whole tokens only: "cat" is not in "concatenate".
    return (" " + p + " ").find(" " + e + " ") != std::string::npos ? 1.0 : 0.0;
}

ItemDifference setDifference(const Value &expected, const Value &predicted)
{
    const auto a = asSet(expected), b = asSet(predicted);
    return {itemsNotIn(a, b), itemsNotIn(b, a)};
}

WordDifference tokenDifference(const Value &expected, const Value &predicted)
{
    const auto gold = normalizedTokens(lexicalText(expected));
    const auto pred = normalizedTokens(lexicalText(predicted));
    return {unmatchedTokens(gold, pred), unmatchedTokens(pred, gold)};
}

Result<double> regexMatch(const std::string &pattern, const Value &predicted)
{
    try {
        const std::regex re(pattern, std::regex::ECMAScript);
        return std::regex_search(predicted.toText(), re) ? 1.0 : 0.0;
    } catch (const std::regex_error &e) {
        return Error::make(ErrorKind::Config, "invalid regex /" + pattern + "/: " + e.what());
    }
}

} // namespace prism
