#include "sim/sim_text.h"

#include "core/hash.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace prism::sim {

namespace {

bool isAsciiAlnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool isWordByte(unsigned char c)
{
    return isAsciiAlnum(c) || c >= 0x80;
}
bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}
bool isUpper(char c)
{
    return c >= 'A' && c <= 'Z';
}
bool isLowerOrDigit(char c)
{
    return (c >= 'a' && c <= 'z') || isDigit(c);
}

bool inSortedList(const char *const *list, std::size_t size, std::string_view word)
{
    return std::binary_search(list, list + size, word, [](std::string_view a, std::string_view b) { return a < b; });
}

// A fixed English stopword list (sorted for binary search), plus the pieces
// contractions leave behind (don't -> don, t).
constexpr const char *kStopwords[] = {
    "about", "above",   "after", "again",   "against", "all",      "also",       "am",     "an",      "and",
    "any",   "are",     "aren",  "as",      "at",      "be",       "because",    "been",   "before",  "being",
    "below", "between", "both",  "but",     "by",      "can",      "cannot",     "could",  "couldn",  "did",
    "didn",  "do",      "does",  "doesn",   "doing",   "don",      "down",       "during", "each",    "else",
    "every", "few",     "for",   "from",    "further", "had",      "hadn",       "has",    "hasn",    "have",
    "haven", "having",  "he",    "her",     "here",    "hers",     "herself",    "him",    "himself", "his",
    "how",   "i",       "if",    "in",      "into",    "is",       "isn",        "it",     "its",     "itself",
    "just",  "ll",      "many",  "may",     "me",      "might",    "more",       "most",   "much",    "must",
    "my",    "myself",  "no",    "nor",     "not",     "now",      "of",         "off",    "on",      "once",
    "only",  "or",      "other", "ought",   "our",     "ours",     "ourselves",  "out",    "over",    "own",
    "re",    "same",    "shall", "shan",    "she",     "should",   "shouldn",    "so",     "some",    "such",
    "than",  "that",    "the",   "their",   "theirs",  "them",     "themselves", "then",   "there",   "these",
    "they",  "this",    "those", "through", "to",      "too",      "under",      "until",  "up",      "upon",
    "us",    "ve",      "very",  "was",     "wasn",    "we",       "were",       "weren",  "what",    "when",
    "where", "which",   "while", "who",     "whom",    "whose",    "why",        "will",   "with",    "won",
    "would", "wouldn",  "you",   "your",    "yours",   "yourself", "yourselves",
};

// Stems that describe the labelling rather than the content (SIMLM.md's
// "generic words"), so they never become cue words. Sorted.
constexpr const char *kGeneric[] = {
    "always",  "answer",  "appear",  "case",     "categorie", "category",   "choose", "class",   "classify", "contain",
    "content", "cue",     "default", "e",        "eg",        "especially", "etc",    "example", "field",    "g",
    "give",    "ie",      "include", "indicate", "input",     "keyword",    "label",  "labeled", "labelled", "like",
    "mark",    "mention", "none",    "often",    "option",    "otherwise",  "output", "phrase",  "pick",     "refer",
    "return",  "select",  "set",     "sign",     "signal",    "something",  "such",   "tag",     "term",     "text",
    "thing",   "unsure",  "use",     "usually",  "value",     "when",       "word",   "write",
};

} // namespace

bool startsWith(std::string_view text, std::string_view prefix)
{
    return text.substr(0, prefix.size()) == prefix;
}

bool endsWith(std::string_view text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::vector<std::string> splitLines(std::string_view text)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (true) {
        const std::size_t nl = text.find('\n', start);
        std::string line(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        lines.push_back(std::move(line));
        if (nl == std::string_view::npos)
            break;
        start = nl + 1;
    }
    return lines;
}

std::string dedent(std::string_view text)
{
    const std::vector<std::string> lines = splitLines(text);
    std::size_t common = std::numeric_limits<std::size_t>::max();
    for (const std::string &line : lines) {
        if (trimmed(line).empty())
            continue;
        std::size_t n = 0;
        while (n < line.size() && (line[n] == ' ' || line[n] == '\t'))
            ++n;
        common = std::min(common, n);
    }
    if (common == std::numeric_limits<std::size_t>::max())
        return {};
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i)
            out += '\n';
        out += trimmed(lines[i]).empty() ? std::string() : lines[i].substr(common);
    }
    return trimmed(out);
}

std::string joinStrings(const std::vector<std::string> &items, std::string_view separator)
{
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i)
            out += separator;
        out += items[i];
    }
    return out;
}

std::vector<std::string> splitOn(std::string_view text, std::string_view separator)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t at = text.find(separator, start);
        out.push_back(trimmed(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start)));
        if (at == std::string_view::npos)
            return out;
        start = at + separator.size();
    }
}

std::string joinWords(const std::vector<std::string> &items, std::string_view joiner)
{
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            out += (i + 1 == items.size()) ? " " + std::string(joiner) + " " : std::string(", ");
        out += items[i];
    }
    return out;
}

std::size_t countChars(std::string_view text)
{
    std::size_t n = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80)
            ++n;
    return n;
}

std::string cutChars(std::string_view text, std::size_t maxChars)
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            if (n == maxChars)
                return std::string(text.substr(0, i));
            ++n;
        }
    }
    return std::string(text);
}

std::string stem(std::string_view lowerWord)
{
    // A plural "s" only: not the s of -ss, -us, -is (class, dangerous, analysis).
    if (lowerWord.size() > 3 && lowerWord.back() == 's') {
        const char before = lowerWord[lowerWord.size() - 2];
        if (before != 's' && before != 'u' && before != 'i')
            return std::string(lowerWord.substr(0, lowerWord.size() - 1));
    }
    return std::string(lowerWord);
}

bool isStopword(std::string_view lowerWord)
{
    return inSortedList(kStopwords, std::size(kStopwords), lowerWord);
}

bool isGenericWord(std::string_view stemmedWord)
{
    return inSortedList(kGeneric, std::size(kGeneric), stemmedWord);
}

std::vector<std::string> words(std::string_view text)
{
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!isWordByte(static_cast<unsigned char>(text[i]))) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && isWordByte(static_cast<unsigned char>(text[j])))
            ++j;
        out.push_back(stem(toLowerAscii(text.substr(i, j - i))));
        i = j;
    }
    return out;
}

std::vector<std::string> tokens(std::string_view text)
{
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!isWordByte(static_cast<unsigned char>(text[i]))) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && isWordByte(static_cast<unsigned char>(text[j])))
            ++j;
        const std::string lower = toLowerAscii(text.substr(i, j - i));
        i = j;
        if (isStopword(lower))
            continue;
        if (lower.size() == 1 && !isDigit(lower[0]))
            continue;
        out.push_back(stem(lower));
    }
    return out;
}

std::set<std::string> tokenSet(std::string_view text)
{
    const std::vector<std::string> t = tokens(text);
    return std::set<std::string>(t.begin(), t.end());
}

double jaccard(const std::set<std::string> &a, const std::set<std::string> &b)
{
    if (a.empty() && b.empty())
        return 0.0;
    std::size_t common = 0;
    for (const std::string &w : a)
        common += b.count(w);
    return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

bool isNumberWord(std::string_view word)
{
    return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) { return isDigit(c); });
}

std::vector<std::string> splitSentences(std::string_view text)
{
    std::vector<std::string> out;
    std::string current;
    auto flush = [&] {
        std::string t = trimmed(current);
        if (!t.empty())
            out.push_back(std::move(t));
        current.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            flush();
            continue;
        }
        current += c;
        if (c != '.' && c != '!' && c != '?')
            continue;
        std::size_t j = i + 1;
        while (j < text.size() && (text[j] == '.' || text[j] == '!' || text[j] == '?'))
            current += text[j++];
        const bool end = j >= text.size();
        const bool space = !end && isSpace(text[j]);
        const bool quote = !end && (text[j] == '"' || text[j] == '\'' || text[j] == ')');
        const bool glued = !end && isUpper(text[j]) && i > 0 && isLowerOrDigit(text[i - 1]);
        i = j - 1;
        if (quote && (j + 1 >= text.size() || isSpace(text[j + 1]))) {
            current += text[j];
            i = j;
            flush();
        } else if (end || space || glued) {
            flush();
        }
    }
    flush();
    return out;
}

bool containsRun(const std::vector<std::string> &haystack, const std::vector<std::string> &needle)
{
    if (needle.empty() || needle.size() > haystack.size())
        return false;
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

// ---- arithmetic ------------------------------------------------------------

namespace {

struct ArithToken {
    enum class Kind {
        Number,
        Op,
        Other,
    };
    Kind kind = Kind::Other;
    double number = 0;
    char op = 0;
    std::size_t begin = 0, end = 0;
};

std::vector<ArithToken> lexArithmetic(std::string_view text)
{
    std::vector<ArithToken> out;
    std::size_t i = 0;
    auto previousIsNumber = [&] { return !out.empty() && out.back().kind == ArithToken::Kind::Number; };
    while (i < text.size()) {
        const char c = text[i];
        if (isSpace(c)) {
            ++i;
            continue;
        }
        const bool sign = c == '-' && i + 1 < text.size() && isDigit(text[i + 1]) && !previousIsNumber();
        if (isDigit(c) || sign) {
            std::size_t j = i + (sign ? 1 : 0);
            std::string digits = sign ? "-" : "";
            while (j < text.size()) {
                if (isDigit(text[j])) {
                    digits += text[j++];
                } else if (text[j] == ',' && j + 3 < text.size() && isDigit(text[j + 1]) && isDigit(text[j + 2])
                           && isDigit(text[j + 3]) && (j + 4 >= text.size() || !isDigit(text[j + 4]))) {
                    ++j; // thousands separator
                } else if (text[j] == '.' && j + 1 < text.size() && isDigit(text[j + 1])
                           && digits.find('.') == std::string::npos) {
                    digits += text[j++];
                } else {
                    break;
                }
            }
            ArithToken t;
            t.kind = ArithToken::Kind::Number;
            t.number = std::strtod(digits.c_str(), nullptr);
            t.begin = i;
            t.end = j;
            out.push_back(t);
            i = j;
            continue;
        }
        if (c == '+' || c == '-' || c == '*' || c == '/') {
            out.push_back({ArithToken::Kind::Op, 0, c, i, i + 1});
            ++i;
            continue;
        }
        if (text.substr(i, 2) == "\xC3\x97" || text.substr(i, 2) == "\xC3\xB7") { // × ÷
            out.push_back({ArithToken::Kind::Op, 0, text[i + 1] == '\x97' ? '*' : '/', i, i + 2});
            i += 2;
            continue;
        }
        if (isWordByte(static_cast<unsigned char>(c))) {
            std::size_t j = i;
            while (j < text.size() && isWordByte(static_cast<unsigned char>(text[j])))
                ++j;
            const std::string w = toLowerAscii(text.substr(i, j - i));
            ArithToken t{ArithToken::Kind::Op, 0, 0, i, j};
            if (w == "plus")
                t.op = '+';
            else if (w == "minus")
                t.op = '-';
            else if (w == "times" || (w == "x" && previousIsNumber()))
                t.op = '*';
            else if (w == "divided" || w == "multiplied") {
                std::size_t k = j;
                while (k < text.size() && isSpace(text[k]))
                    ++k;
                if (toLowerAscii(text.substr(k, 2)) == "by"
                    && (k + 2 >= text.size() || !isWordByte(static_cast<unsigned char>(text[k + 2])))) {
                    t.op = w == "divided" ? '/' : '*';
                    j = k + 2;
                    t.end = j;
                }
            }
            if (t.op == 0)
                t.kind = ArithToken::Kind::Other;
            out.push_back(t);
            i = j;
            continue;
        }
        out.push_back({ArithToken::Kind::Other, 0, 0, i, i + 1});
        ++i;
    }
    return out;
}

} // namespace

std::optional<Arithmetic> findArithmetic(std::string_view text)
{
    const std::vector<ArithToken> toks = lexArithmetic(text);
    std::optional<Arithmetic> best;
    std::size_t i = 0;
    while (i < toks.size()) {
        if (toks[i].kind != ArithToken::Kind::Number) {
            ++i;
            continue;
        }
        double value = toks[i].number;
        int ops = 0;
        bool valid = true;
        std::size_t j = i;
        while (j + 2 < toks.size() && toks[j + 1].kind == ArithToken::Kind::Op
               && toks[j + 2].kind == ArithToken::Kind::Number) {
            const double rhs = toks[j + 2].number;
            switch (toks[j + 1].op) {
            case '+': value += rhs; break;
            case '-': value -= rhs; break;
            case '*': value *= rhs; break;
            default:
                if (rhs == 0)
                    valid = false;
                else
                    value /= rhs;
            }
            ++ops;
            j += 2;
        }
        if (ops > 0 && valid && (!best || ops > best->operations)) {
            Arithmetic a;
            a.text = std::string(text.substr(toks[i].begin, toks[j].end - toks[i].begin));
            a.value = value;
            a.operations = ops;
            best = a;
        }
        i = j + 1;
    }
    return best;
}

std::optional<double> firstNumber(std::string_view text)
{
    for (const ArithToken &t : lexArithmetic(text))
        if (t.kind == ArithToken::Kind::Number)
            return t.number;
    return std::nullopt;
}

std::string formatNumber(double value, bool asInt)
{
    if (!std::isfinite(value))
        return "0";
    char buf[64];
    if (asInt || std::fabs(value - std::round(value)) < 1e-9) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::llround(value)));
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%.10g", value);
    return buf;
}

std::string formatFloat(double value)
{
    std::string s = formatNumber(value, false);
    if (s.find_first_of(".eE") == std::string::npos)
        s += ".0";
    return s;
}

// ---- literals --------------------------------------------------------------

const Literal *Literal::get(std::string_view key) const
{
    for (std::size_t i = 0; i < keys.size() && i < items.size(); ++i)
        if (keys[i] == key)
            return &items[i];
    return nullptr;
}

std::string Literal::plainText() const
{
    switch (kind) {
    case Kind::Null: return {};
    case Kind::Bool: return flag ? "True" : "False";
    case Kind::Number:
    case Kind::String: return text;
    case Kind::List: {
        std::vector<std::string> parts;
        for (const Literal &item : items)
            parts.push_back(item.plainText());
        return joinStrings(parts, ", ");
    }
    case Kind::Dict: {
        std::vector<std::string> parts;
        for (std::size_t i = 0; i < keys.size() && i < items.size(); ++i)
            parts.push_back(keys[i] + ": " + items[i].plainText());
        return joinStrings(parts, ", ");
    }
    }
    return {};
}

namespace {

void skipSpace(std::string_view text, std::size_t &pos)
{
    while (pos < text.size() && isSpace(text[pos]))
        ++pos;
}

void appendUtf8(std::string &out, unsigned cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool parseQuoted(std::string_view text, std::size_t &pos, std::string &out)
{
    const char quote = text[pos++];
    out.clear();
    while (pos < text.size()) {
        const char c = text[pos++];
        if (c == quote)
            return true;
        if (c != '\\' || pos >= text.size()) {
            out += c;
            continue;
        }
        const char e = text[pos++];
        switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'x':
        case 'u': {
            const std::size_t len = e == 'x' ? 2 : 4;
            if (pos + len > text.size())
                return false;
            unsigned cp = 0;
            for (std::size_t k = 0; k < len; ++k) {
                const char h = text[pos + k];
                cp <<= 4;
                if (isDigit(h))
                    cp |= static_cast<unsigned>(h - '0');
                else if (h >= 'a' && h <= 'f')
                    cp |= static_cast<unsigned>(h - 'a' + 10);
                else if (h >= 'A' && h <= 'F')
                    cp |= static_cast<unsigned>(h - 'A' + 10);
                else
                    return false;
            }
            pos += len;
            appendUtf8(out, cp);
            break;
        }
        default: out += e; // \\ \' \" and anything else: the character itself
        }
    }
    return false;
}

bool parseSequence(std::string_view text, std::size_t &pos, char close, Literal &out)
{
    ++pos; // opening bracket
    while (true) {
        skipSpace(text, pos);
        if (pos >= text.size())
            return false;
        if (text[pos] == close) {
            ++pos;
            return true;
        }
        Literal item;
        if (!parseLiteral(text, pos, item))
            return false;
        skipSpace(text, pos);
        if (close == '}' && pos < text.size() && text[pos] == ':') { // a dict entry
            ++pos;
            Literal value;
            if (!parseLiteral(text, pos, value))
                return false;
            out.kind = Literal::Kind::Dict;
            out.keys.push_back(item.plainText());
            out.items.push_back(std::move(value));
            skipSpace(text, pos);
        } else {
            out.items.push_back(std::move(item));
        }
        if (pos < text.size() && text[pos] == ',')
            ++pos;
    }
}

} // namespace

bool parseLiteral(std::string_view text, std::size_t &pos, Literal &out)
{
    out = Literal();
    skipSpace(text, pos);
    if (pos >= text.size())
        return false;
    const char c = text[pos];
    if (c == '\'' || c == '"') {
        out.kind = Literal::Kind::String;
        return parseQuoted(text, pos, out.text);
    }
    if (c == '[' || c == '(') {
        out.kind = Literal::Kind::List;
        return parseSequence(text, pos, c == '[' ? ']' : ')', out);
    }
    if (c == '{') {
        out.kind = Literal::Kind::List; // a set unless an entry has a key
        const bool ok = parseSequence(text, pos, '}', out);
        if (ok && out.kind == Literal::Kind::List && out.items.empty())
            out.kind = Literal::Kind::Dict;
        return ok;
    }
    if (isDigit(c) || c == '-' || c == '+' || c == '.') {
        std::size_t j = pos + 1;
        while (j < text.size()
               && (isDigit(text[j]) || text[j] == '.' || text[j] == 'e' || text[j] == 'E'
                   || ((text[j] == '-' || text[j] == '+') && (text[j - 1] == 'e' || text[j - 1] == 'E'))))
            ++j;
        out.kind = Literal::Kind::Number;
        out.text = std::string(text.substr(pos, j - pos));
        pos = j;
        return true;
    }
    std::size_t j = pos;
    while (j < text.size() && (isAsciiAlnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
        ++j;
    const std::string_view word = text.substr(pos, j - pos);
    if (word == "True" || word == "true" || word == "False" || word == "false") {
        out.kind = Literal::Kind::Bool;
        out.flag = word[0] == 'T' || word[0] == 't';
    } else if (word == "None" || word == "null") {
        out.kind = Literal::Kind::Null;
    } else {
        return false;
    }
    pos = j;
    return true;
}

std::vector<std::string> parseListItems(std::string_view text)
{
    const std::string t = trimmed(text);
    if (t.empty())
        return {};
    std::size_t pos = 0;
    Literal lit;
    if (t.front() == '[' && parseLiteral(t, pos, lit) && lit.kind == Literal::Kind::List) {
        std::vector<std::string> out;
        for (const Literal &item : lit.items)
            out.push_back(trimmed(item.plainText()));
        return out;
    }
    // Not a literal list: comma-separated bare words, brackets and quotes tolerated.
    std::string inner = t;
    if (!inner.empty() && inner.front() == '[')
        inner.erase(0, 1);
    if (!inner.empty() && inner.back() == ']')
        inner.pop_back();
    std::vector<std::string> out;
    for (std::string item : splitOn(inner, ",")) {
        while (!item.empty() && (item.front() == '\'' || item.front() == '"'))
            item.erase(0, 1);
        while (!item.empty() && (item.back() == '\'' || item.back() == '"'))
            item.pop_back();
        if (!item.empty())
            out.push_back(item);
    }
    return out;
}

// ---- draws -----------------------------------------------------------------

DrawHash::DrawHash() : m_state(0xcbf29ce484222325ULL) {}

DrawHash &DrawHash::add(std::string_view part)
{
    add(static_cast<std::uint64_t>(part.size()));
    m_state = fnv1a64(part, m_state);
    return *this;
}

DrawHash &DrawHash::add(std::uint64_t part)
{
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<unsigned char>(part >> (8 * i));
    m_state = fnv1a64(std::string_view(reinterpret_cast<const char *>(bytes), 8), m_state);
    return *this;
}

std::uint64_t DrawHash::value() const
{
    return mix64(m_state);
}

double DrawHash::unit() const
{
    return unitFromHash(value());
}

std::vector<std::string> backtickedNames(std::string_view text)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    while ((pos = text.find('`', pos)) != std::string_view::npos) {
        const std::size_t end = text.find('`', pos + 1);
        if (end == std::string_view::npos)
            break;
        out.emplace_back(text.substr(pos + 1, end - pos - 1));
        pos = end + 1;
    }
    return out;
}

} // namespace prism::sim
