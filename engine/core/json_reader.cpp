#include "core/json_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace prism {

namespace {

// A forgiving walk over JSON text that already parsed: it only tracks lines
// and keys, so it can tell where a value sits. Nesting deeper than kMaxDepth
// (far beyond any real study) gives up rather than recursing further.
class LineScanner {
public:
    explicit LineScanner(std::string_view text) : m_s(text) {}

    std::optional<int> find(const std::vector<std::string> &path, std::size_t depth = 0)
    {
        whitespace();
        if (depth >= path.size() || depth > kMaxDepth || m_i >= m_s.size())
            return std::nullopt;
        if (m_s[m_i] == '{')
            return findInObject(path, depth);
        if (m_s[m_i] == '[')
            return findInArray(path, depth);
        return std::nullopt;
    }

    // The member `key` of the top-level object: where its value starts and
    // ends in the text, and the line it starts on.
    std::optional<std::pair<std::size_t, std::size_t>> member(const std::string &key, int *line)
    {
        whitespace();
        if (m_i >= m_s.size() || m_s[m_i] != '{')
            return std::nullopt;
        ++m_i;
        std::optional<std::pair<std::size_t, std::size_t>> found;
        for (;;) {
            whitespace();
            if (m_i >= m_s.size() || m_s[m_i] != '"')
                return found;
            std::string name;
            readString(&name);
            whitespace();
            if (m_i >= m_s.size() || m_s[m_i] != ':')
                return found;
            ++m_i;
            whitespace();
            const std::size_t start = m_i;
            const int startLine = m_line;
            skipValue();
            // A repeated key: the last one counts, as in the parsed document.
            if (name == key) {
                found = std::make_pair(start, m_i);
                *line = startLine;
            }
            whitespace();
            if (m_i >= m_s.size() || m_s[m_i] != ',')
                return found;
            ++m_i;
        }
    }

private:
    static constexpr std::size_t kMaxDepth = 256;

    std::optional<int> findInObject(const std::vector<std::string> &path, std::size_t depth)
    {
        ++m_i; // '{'
        for (;;) {
            whitespace();
            if (m_i >= m_s.size() || m_s[m_i] != '"')
                return std::nullopt;
            const int keyLine = m_line;
            std::string key;
            readString(&key);
            whitespace();
            if (m_i >= m_s.size() || m_s[m_i] != ':')
                return std::nullopt;
            ++m_i;
            if (key == path[depth])
                return depth + 1 == path.size() ? std::optional<int>(keyLine) : find(path, depth + 1);
            skipValue();
            whitespace();
            if (m_i >= m_s.size() || m_s[m_i] != ',')
                return std::nullopt;
            ++m_i;
        }
    }

    std::optional<int> findInArray(const std::vector<std::string> &path, std::size_t depth)
    {
        ++m_i; // '['
        const std::string &wanted = path[depth];
        for (std::size_t index = 0;; ++index) {
            whitespace();
            if (std::to_string(index) == wanted)
                return depth + 1 == path.size() ? std::optional<int>(m_line) : find(path, depth + 1);
            skipValue();
            whitespace();
            if (m_i >= m_s.size() || m_s[m_i] != ',')
                return std::nullopt;
            ++m_i;
        }
    }

    void whitespace()
    {
        while (m_i < m_s.size() && (m_s[m_i] == ' ' || m_s[m_i] == '\t' || m_s[m_i] == '\n' || m_s[m_i] == '\r')) {
            m_line += m_s[m_i] == '\n' ? 1 : 0;
            ++m_i;
        }
    }

    // At a '"': reads to the closing quote. Escapes are kept as the escaped
    // character (a key with \u escapes simply does not match).
    void readString(std::string *out)
    {
        ++m_i;
        while (m_i < m_s.size() && m_s[m_i] != '"') {
            if (m_s[m_i] == '\\' && m_i + 1 < m_s.size())
                ++m_i;
            if (out)
                out->push_back(m_s[m_i]);
            ++m_i;
        }
        ++m_i;
    }

    // Skips one value of any kind without recursion.
    void skipValue()
    {
        whitespace();
        int nesting = 0;
        while (m_i < m_s.size()) {
            const char c = m_s[m_i];
            if (c == '"') {
                readString(nullptr);
            } else if (c == '{' || c == '[') {
                ++nesting;
                ++m_i;
            } else if (c == '}' || c == ']') {
                if (nesting == 0)
                    return;
                --nesting;
                ++m_i;
            } else if (c == ',' && nesting == 0) {
                return;
            } else {
                m_line += c == '\n' ? 1 : 0;
                ++m_i;
            }
            if (nesting == 0 && (c == '"' || c == '}' || c == ']'))
                return;
        }
    }

    std::string_view m_s;
    std::size_t m_i = 0;
    int m_line = 1;
};

// Optimal string alignment distance: a swap of two neighbours ("tset") is one edit.
std::size_t editDistance(std::string_view a, std::string_view b)
{
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

std::string typeName(const Json &value)
{
    if (value.is_string())
        return "a string";
    if (value.is_boolean())
        return value.get<bool>() ? "true" : "false";
    if (value.is_number())
        return "the number " + value.dump();
    if (value.is_array())
        return "a list";
    if (value.is_object())
        return "an object";
    return "null";
}

} // namespace

std::optional<int> jsonLineOf(std::string_view text, const std::vector<std::string> &path)
{
    if (path.empty())
        return std::nullopt;
    return LineScanner(text).find(path);
}

std::optional<std::string> jsonMemberKeepingLines(std::string_view text, const std::string &key)
{
    int line = 1;
    auto span = LineScanner(text).member(key, &line);
    if (!span || span->second <= span->first)
        return std::nullopt;
    return std::string(static_cast<std::size_t>(line - 1), '\n')
           + std::string(text.substr(span->first, span->second - span->first));
}

std::string nearestKey(std::string_view unknown, std::initializer_list<std::string_view> known)
{
    std::string best;
    std::size_t bestDistance = unknown.size() <= 3 ? 1 : 2;
    for (std::string_view candidate : known) {
        const std::size_t d = editDistance(unknown, candidate);
        if (d <= bestDistance && (best.empty() || d < bestDistance)) {
            best = std::string(candidate);
            bestDistance = d;
        }
    }
    return best;
}

JsonPath JsonPath::key(std::string_view name) const
{
    JsonPath p = *this;
    p.m_segments.emplace_back(name);
    p.m_isIndex.push_back(false);
    return p;
}

JsonPath JsonPath::index(std::size_t i) const
{
    JsonPath p = *this;
    p.m_segments.push_back(std::to_string(i));
    p.m_isIndex.push_back(true);
    return p;
}

std::string JsonPath::text() const
{
    std::string out;
    for (std::size_t i = 0; i < m_segments.size(); ++i) {
        if (m_isIndex[i])
            out += "[" + m_segments[i] + "]";
        else
            out += (out.empty() ? "" : ".") + m_segments[i];
    }
    return out;
}

JsonReader::JsonReader(std::string sourceName, std::string_view text) : m_source(std::move(sourceName)), m_text(text) {}

std::string JsonReader::where(const JsonPath &path) const
{
    const auto line = jsonLineOf(m_text, path.segments());
    return path.text() + (line ? " (line " + std::to_string(*line) + ")" : std::string());
}

void JsonReader::fail(const JsonPath &path, const std::string &what) const
{
    throw Failure(m_source + ": " + where(path) + " " + what);
}

Error JsonReader::toError(const Failure &failure, ErrorKind kind)
{
    return Error::make(kind, failure.what());
}

void JsonReader::read(const Json &object, const JsonPath &at, const char *key, std::string &out) const
{
    if (!object.contains(key) || object[key].is_null())
        return;
    if (!object[key].is_string())
        fail(at.key(key), "must be a string, not " + typeName(object[key]));
    out = object[key].get<std::string>();
}

void JsonReader::read(const Json &object, const JsonPath &at, const char *key, bool &out) const
{
    if (!object.contains(key) || object[key].is_null())
        return;
    if (!object[key].is_boolean())
        fail(at.key(key), "must be true or false, not " + typeName(object[key]));
    out = object[key].get<bool>();
}

void JsonReader::read(const Json &object, const JsonPath &at, const char *key, double &out) const
{
    if (!object.contains(key) || object[key].is_null())
        return;
    if (!object[key].is_number())
        fail(at.key(key), "must be a number, not " + typeName(object[key]));
    out = object[key].get<double>();
    if (!std::isfinite(out))
        fail(at.key(key), "must be a finite number");
}

void JsonReader::read(const Json &object, const JsonPath &at, const char *key, std::optional<double> &out) const
{
    if (!object.contains(key) || object[key].is_null())
        return;
    double value = 0.0;
    read(object, at, key, value);
    out = value;
}

long long JsonReader::wholeNumber(const Json &value, const JsonPath &at, long long min, long long max) const
{
    const std::string range = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    if (value.is_number_unsigned()) {
        // nlohmann stores every non-negative integer as unsigned: the minimum
        // applies here too (a minibatch_size of 0 is below 1).
        const auto u = value.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(max) || (min > 0 && u < static_cast<std::uint64_t>(min)))
            fail(at, "must be " + range + ", not " + value.dump());
        return static_cast<long long>(u);
    }
    if (value.is_number_integer()) {
        const auto v = value.get<std::int64_t>();
        if (v < min || v > max)
            fail(at, "must be " + range + ", not " + value.dump());
        return v;
    }
    if (value.is_number_float()) {
        // 4.0 is a whole number; 1e120 and 2.5 are not (converting them to an
        // integer would be undefined or silently truncate).
        const double d = value.get<double>();
        if (std::trunc(d) != d || d < static_cast<double>(min) || d > static_cast<double>(max))
            fail(at, "must be " + range + ", not " + value.dump());
        return static_cast<long long>(d);
    }
    fail(at, "must be " + range + ", not " + typeName(value));
}

void JsonReader::read(const Json &object, const JsonPath &at, const char *key, int &out, long long min,
                      long long max) const
{
    if (!object.contains(key) || object[key].is_null())
        return;
    min = std::max<long long>(min, std::numeric_limits<int>::min());
    max = std::min<long long>(max, std::numeric_limits<int>::max());
    out = static_cast<int>(wholeNumber(object[key], at.key(key), min, max));
}

void JsonReader::read(const Json &object, const JsonPath &at, const char *key, std::optional<int> &out, long long min,
                      long long max) const
{
    if (!object.contains(key) || object[key].is_null())
        return;
    int value = 0;
    read(object, at, key, value, min, max);
    out = value;
}

void JsonReader::read(const Json &object, const JsonPath &at, const char *key, std::uint64_t &out) const
{
    if (!object.contains(key) || object[key].is_null())
        return;
    const Json &value = object[key];
    if (value.is_number_unsigned()) {
        out = value.get<std::uint64_t>();
        return;
    }
    // A negative seed must not wrap to 18446744073709551611; whole doubles
    // beyond 2^53 cannot be told apart, so only exact integers are taken.
    out = static_cast<std::uint64_t>(wholeNumber(value, at.key(key), 0, std::numeric_limits<long long>::max()));
}

void JsonReader::read(const Json &object, const JsonPath &at, const char *key, std::uint64_t &out, long long min,
                      long long max) const
{
    if (!object.contains(key) || object[key].is_null())
        return;
    out = static_cast<std::uint64_t>(wholeNumber(object[key], at.key(key), min, max));
}

const Json &JsonReader::object(const Json &value, const JsonPath &at) const
{
    if (!value.is_object())
        fail(at, "must be an object, not " + typeName(value));
    return value;
}

void JsonReader::expectKeys(const Json &object, const JsonPath &at, std::initializer_list<std::string_view> known)
{
    if (!object.is_object())
        return;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (std::find(known.begin(), known.end(), it.key()) != known.end())
            continue;
        const std::string guess = nearestKey(it.key(), known);
        const JsonPath path = at.key(it.key());
        const auto line = jsonLineOf(m_text, path.segments());
        m_warnings.push_back(m_source + ": unknown key \"" + path.text() + "\""
                             + (line ? " (line " + std::to_string(*line) + ")" : std::string()) + " is ignored"
                             + (guess.empty() ? std::string() : "; did you mean \"" + guess + "\"?"));
    }
}

} // namespace prism
