#include "data/schema_guess.h"

#include "core/json.h"
#include "core/text.h"
#include "data/textutil.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

namespace prism {

namespace {

bool isMissing(const Value *v)
{
    return !v || v->isNull() || (v->isString() && trimmed(v->asString()).empty());
}

bool textIsInt(const std::string &t)
{
    std::string_view s = t;
    if (!s.empty() && (s.front() == '+' || s.front() == '-'))
        s.remove_prefix(1);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool textIsNumber(const std::string &t)
{
    std::string_view s = t;
    if (!s.empty() && s.front() == '+')
        s.remove_prefix(1);
    double d = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(d);
}

bool textIsBool(const std::string &t)
{
    const std::string l = toLowerAscii(t);
    return l == "true" || l == "false" || l == "yes" || l == "no";
}

// A JSON array written in a text cell ("[\"a\", \"b\"]"), as the loader reads it.
std::optional<Value::List> arrayInText(const std::string &t)
{
    if (t.empty() || t.front() != '[')
        return std::nullopt;
    try {
        const Json j = Json::parse(t);
        if (!j.is_array())
            return std::nullopt;
        Value::List items;
        for (const auto &item : j)
            items.push_back(valueFromJson(item));
        return items;
    } catch (const Json::exception &) {
        return std::nullopt;
    }
}

std::string scalarText(const Value &v)
{
    return trimmed(v.isString() ? v.asString() : v.toText());
}

// Distinct values ignoring ASCII case (as enums match), most frequent first;
// each keeps the spelling seen first.
std::vector<std::string> byFrequency(const std::vector<std::string> &texts)
{
    std::vector<std::string> spellings;
    std::vector<std::size_t> counts;
    std::unordered_map<std::string, std::size_t> indexOf; // a column of free text has as many keys as rows
    for (const auto &t : texts) {
        const auto [it, added] = indexOf.try_emplace(toLowerAscii(t), spellings.size());
        if (added) {
            spellings.push_back(t);
            counts.push_back(1);
        } else {
            ++counts[it->second];
        }
    }
    std::vector<std::size_t> order(spellings.size());
    for (std::size_t k = 0; k < order.size(); ++k)
        order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return counts[a] > counts[b]; });
    std::vector<std::string> out;
    for (std::size_t k : order)
        out.push_back(spellings[k]);
    return out;
}

// Short labels that repeat: an enum. Free text (long, multi-line or mostly
// distinct values) is not.
bool looksLikeEnum(const std::vector<std::string> &texts, std::size_t distinct)
{
    if (texts.empty() || distinct > kMaxGuessedEnumValues)
        return false;
    for (const auto &t : texts)
        if (t.size() > 40 || t.find('\n') != std::string::npos)
            return false;
    // Each value appears about twice or more on average; a value seen once says nothing.
    if (texts.size() < 4)
        return texts.size() >= 2 && distinct < texts.size();
    return distinct * 2 <= texts.size();
}

// Splits "a; b" cells on the first separator found in any cell; the column
// is a list when every item is a short label.
std::optional<std::vector<std::string>> textListItems(const std::vector<std::string> &texts, std::string &separator)
{
    for (const char *candidate : {";", "|"}) {
        if (std::none_of(texts.begin(), texts.end(),
                         [&](const std::string &t) { return t.find(candidate) != std::string::npos; }))
            continue;
        std::vector<std::string> items;
        for (const auto &t : texts) {
            std::size_t pos = 0;
            while (pos <= t.size()) {
                std::size_t end = t.find(candidate, pos);
                if (end == std::string::npos)
                    end = t.size();
                std::string item = trimmed(std::string_view(t).substr(pos, end - pos));
                if (!item.empty()) {
                    if (item.size() > 30 || item.find(' ') != std::string::npos)
                        return std::nullopt;
                    items.push_back(std::move(item));
                }
                pos = end + 1;
            }
        }
        separator = candidate;
        return items;
    }
    return std::nullopt;
}

std::vector<std::string> nameWords(const std::string &name)
{
    std::vector<std::string> words;
    std::string word;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool upper = c >= 'A' && c <= 'Z';
        const bool alnum = upper || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum || (upper && !word.empty() && !(name[i - 1] >= 'A' && name[i - 1] <= 'Z'))) {
            if (!word.empty())
                words.push_back(toLowerAscii(word));
            word.clear();
        }
        if (alnum)
            word += c;
    }
    if (!word.empty())
        words.push_back(toLowerAscii(word));
    return words;
}

bool nameSuggestsOutput(const std::string &name)
{
    static const char *const outputs[] = {"label",     "labels", "answer",  "answers", "category", "categories",
                                          "sentiment", "class",  "target",  "output",  "gold",     "expected",
                                          "intent",    "topic",  "verdict", "y",       "tag",      "tags"};
    for (const auto &w : nameWords(name))
        for (const char *o : outputs)
            if (w == o)
                return true;
    return false;
}

bool nameSuggestsId(const std::string &name)
{
    const auto words = nameWords(name);
    if (words.empty())
        return false;
    static const char *const ids[] = {"id", "uuid", "guid", "idx", "index", "key"};
    for (const char *id : ids)
        if (words.back() == id)
            return true;
    return false;
}

void guessRole(ColumnGuess &g, std::size_t nonMissing, bool distinctIdTokens)
{
    if (nameSuggestsOutput(g.column)) {
        g.role = ColumnRole::Output;
        g.why = "named like a label";
    } else if (nameSuggestsId(g.column) || (nonMissing > 1 && g.distinct == nonMissing && distinctIdTokens)) {
        g.role = ColumnRole::Ignore;
        g.why = "looks like a row id";
    } else if (nonMissing > 1 && g.distinct <= 1) {
        g.role = ColumnRole::Ignore;
        g.why = "has one value only";
    } else if (nonMissing == 0) {
        g.role = ColumnRole::Ignore;
        g.why = "is empty";
    }
}

void guessList(ColumnGuess &g, const std::vector<Value::List> &lists)
{
    g.kind = ColumnKind::List;
    std::vector<std::string> items;
    bool allText = true;
    for (const auto &list : lists)
        for (const auto &item : list) {
            allText = allText && item.isString();
            items.push_back(scalarText(item));
        }
    const auto values = byFrequency(items);
    if (allText && !values.empty() && values.size() <= kMaxGuessedEnumValues
        && std::all_of(values.begin(), values.end(), [](const std::string &v) { return v.size() <= 40; }))
        g.values = values;
}

} // namespace

Type ColumnGuess::type() const
{
    switch (kind) {
    case ColumnKind::Bool: return Type::boolean();
    case ColumnKind::Int: return Type::integer();
    case ColumnKind::Float: return Type::floating();
    case ColumnKind::Enum: return Type::enumOf(values);
    case ColumnKind::List: return Type::listOf(values.empty() ? Type::string() : Type::enumOf(values));
    case ColumnKind::String: return Type::string();
    }
    return Type::string();
}

ColumnGuess guessColumn(const RawTable &table, const std::string &column)
{
    ColumnGuess g;
    g.column = column;
    std::vector<const Value *> cells;
    for (const auto &row : table.rows) {
        const Value *v = row.find(column);
        if (isMissing(v))
            ++g.missing;
        else
            cells.push_back(v);
    }
    std::vector<std::string> texts;
    std::vector<Value::List> lists;
    bool allBool = true, allInt = true, allNumber = true, allList = true, idTokens = true;
    for (const Value *v : cells) {
        if (v->isList()) {
            lists.push_back(v->asList());
        } else if (auto items = v->isString() ? arrayInText(trimmed(v->asString())) : std::nullopt) {
            lists.push_back(std::move(*items));
        } else {
            allList = false;
        }
        const std::string t = v->isList() ? std::string() : scalarText(*v);
        texts.push_back(t);
        allBool = allBool && (v->isBool() || (v->isString() && textIsBool(t)));
        allInt = allInt && (v->isInt() || (v->isString() && textIsInt(t)));
        allNumber = allNumber && (v->isNumber() || (v->isString() && textIsNumber(t)));
        idTokens = idTokens && !t.empty() && t.find(' ') == std::string::npos
                   && std::any_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    }
    std::vector<std::string> distinctTexts = texts;
    std::sort(distinctTexts.begin(), distinctTexts.end());
    distinctTexts.erase(std::unique(distinctTexts.begin(), distinctTexts.end()), distinctTexts.end());
    g.distinct = distinctTexts.size();
    std::string separator;
    if (cells.empty()) {
        g.kind = ColumnKind::String;
    } else if (allList) {
        guessList(g, lists);
        // Lists differ as wholes, not by their text.
        idTokens = false;
    } else if (allBool) {
        g.kind = ColumnKind::Bool;
    } else if (allInt) {
        g.kind = ColumnKind::Int;
    } else if (allNumber) {
        g.kind = ColumnKind::Float;
    } else if (auto items = textListItems(texts, separator);
               items && byFrequency(*items).size() <= kMaxGuessedEnumValues && !looksLikeEnum(texts, g.distinct)) {
        g.kind = ColumnKind::List;
        g.values = byFrequency(*items);
        g.listSeparator = separator;
    } else if (looksLikeEnum(texts, g.distinct)) {
        g.kind = ColumnKind::Enum;
        g.values = byFrequency(texts);
    } else {
        g.kind = ColumnKind::String;
    }
    guessRole(g, cells.size(), idTokens && (g.kind == ColumnKind::String || g.kind == ColumnKind::Int));
    return g;
}

std::optional<DataSplit> splitFromName(const std::string &value)
{
    const std::string v = toLowerAscii(trimmed(value));
    if (v == "train" || v == "training")
        return DataSplit::Train;
    if (v == "val" || v == "valid" || v == "validation" || v == "dev")
        return DataSplit::Val;
    if (v == "test" || v == "testing" || v == "eval" || v == "holdout")
        return DataSplit::Test;
    return std::nullopt;
}

std::optional<SplitColumn> detectSplitColumn(const RawTable &table)
{
    static const char *const names[] = {"split", "set", "partition", "fold", "subset"};
    for (const auto &column : table.columns) {
        const std::string name = toLowerAscii(trimmed(column));
        if (std::none_of(std::begin(names), std::end(names), [&](const char *n) { return name == n; }))
            continue;
        SplitColumn found;
        found.column = column;
        bool all = !table.rows.empty();
        for (const auto &row : table.rows) {
            const Value *v = row.find(column);
            const auto split = v && !v->isList() && !v->isNull() ? splitFromName(scalarText(*v)) : std::nullopt;
            if (!split) {
                all = false;
                break;
            }
            found.splitOf.push_back(*split);
            ++found.counts[static_cast<std::size_t>(*split)];
        }
        if (all)
            return found;
    }
    return std::nullopt;
}

std::vector<ColumnGuess> guessColumns(const RawTable &table)
{
    std::vector<ColumnGuess> guesses;
    const auto split = detectSplitColumn(table);
    for (const auto &column : table.columns) {
        ColumnGuess g = guessColumn(table, column);
        if (split && split->column == column) {
            g.role = ColumnRole::Ignore;
            g.why = "says the split of each row";
        }
        guesses.push_back(std::move(g));
    }
    const bool anyOutput =
        std::any_of(guesses.begin(), guesses.end(), [](const ColumnGuess &g) { return g.role == ColumnRole::Output; });
    if (!anyOutput) {
        for (auto it = guesses.rbegin(); it != guesses.rend(); ++it) {
            if (it->role == ColumnRole::Input && (it->kind == ColumnKind::Enum || it->kind == ColumnKind::Bool)) {
                it->role = ColumnRole::Output;
                it->why = "the last column with a few repeated values";
                break;
            }
        }
    }
    return guesses;
}

} // namespace prism
