#include "adapter/value_parse.h"

#include "adapter/pytext.h"
#include "core/text.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace prism::valueparse {

namespace {

Error parseError(std::string message)
{
    return Error::make(ErrorKind::Parse, std::move(message));
}

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool endsWith(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void appendUtf8(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// A recursive-descent reader for JSON and Python literals. No exceptions:
// any syntax it does not know makes the whole parse fail.
class LiteralParser {
public:
    explicit LiteralParser(std::string_view text) : m_s(text) {}

    std::optional<Json> parseAll()
    {
        auto v = value(0);
        skipSpace();
        if (!v || m_i != m_s.size())
            return std::nullopt;
        return v;
    }

private:
    static constexpr int kMaxDepth = 200;

    bool atEnd() const { return m_i >= m_s.size(); }
    char peek() const { return atEnd() ? '\0' : m_s[m_i]; }

    void skipSpace()
    {
        while (!atEnd() && std::isspace(static_cast<unsigned char>(m_s[m_i])))
            ++m_i;
    }

    std::optional<Json> value(int depth)
    {
        if (depth > kMaxDepth)
            return std::nullopt;
        skipSpace();
        const char c = peek();
        if (c == '{')
            return object(depth);
        if (c == '[')
            return array(depth, ']');
        if (c == '(')
            return array(depth, ')');
        if (c == '"' || c == '\'') {
            auto s = string();
            return s ? std::optional<Json>(Json(std::move(*s))) : std::nullopt;
        }
        if (c == '-' || c == '+' || c == '.' || std::isdigit(static_cast<unsigned char>(c)))
            return number();
        if (std::isalpha(static_cast<unsigned char>(c))) {
            const std::string word = identifier();
            if (word == "true" || word == "True")
                return Json(true);
            if (word == "false" || word == "False")
                return Json(false);
            if (word == "null" || word == "None")
                return Json(nullptr);
        }
        return std::nullopt;
    }

    std::string identifier()
    {
        const std::size_t start = m_i;
        while (!atEnd() && (std::isalnum(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == '_'))
            ++m_i;
        return std::string(m_s.substr(start, m_i - start));
    }

    std::optional<Json> object(int depth)
    {
        ++m_i; // {
        Json out = Json::object();
        skipSpace();
        if (peek() == '}') {
            ++m_i;
            return out;
        }
        while (true) {
            skipSpace();
            std::optional<std::string> key;
            if (peek() == '"' || peek() == '\'')
                key = string();
            else if (std::isalpha(static_cast<unsigned char>(peek())) || peek() == '_')
                key = identifier();
            if (!key)
                return std::nullopt;
            skipSpace();
            if (peek() != ':')
                return std::nullopt;
            ++m_i;
            auto v = value(depth + 1);
            if (!v)
                return std::nullopt;
            out[*key] = std::move(*v);
            skipSpace();
            if (peek() == ',') {
                ++m_i;
                skipSpace();
                if (peek() == '}') {
                    ++m_i;
                    return out;
                }
                continue;
            }
            if (peek() == '}') {
                ++m_i;
                return out;
            }
            return std::nullopt;
        }
    }

    std::optional<Json> array(int depth, char close)
    {
        ++m_i; // [ or (
        Json out = Json::array();
        skipSpace();
        if (peek() == close) {
            ++m_i;
            return out;
        }
        while (true) {
            auto v = value(depth + 1);
            if (!v)
                return std::nullopt;
            out.push_back(std::move(*v));
            skipSpace();
            if (peek() == ',') {
                ++m_i;
                skipSpace();
                if (peek() == close) {
                    ++m_i;
                    return out;
                }
                continue;
            }
            if (peek() == close) {
                ++m_i;
                return out;
            }
            return std::nullopt;
        }
    }

    std::optional<unsigned> hex(std::size_t digits)
    {
        if (m_i + digits > m_s.size())
            return std::nullopt;
        unsigned v = 0;
        for (std::size_t k = 0; k < digits; ++k) {
            const char c = m_s[m_i + k];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<unsigned>(c - 'A' + 10);
            else
                return std::nullopt;
        }
        m_i += digits;
        return v;
    }

    std::optional<std::string> string()
    {
        const char quote = m_s[m_i++];
        std::string out;
        while (!atEnd()) {
            const char c = m_s[m_i++];
            if (c == quote)
                return out;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (atEnd())
                return std::nullopt;
            const char e = m_s[m_i++];
            switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case '/': out += '/'; break;
            case '\\': out += '\\'; break;
            case '"': out += '"'; break;
            case '\'': out += '\''; break;
            case '\n': break; // line continuation
            case 'x': {
                auto v = hex(2);
                if (!v)
                    return std::nullopt;
                appendUtf8(out, *v);
                break;
            }
            case 'u': {
                auto v = hex(4);
                if (!v)
                    return std::nullopt;
                char32_t cp = *v;
                if (cp >= 0xd800 && cp <= 0xdbff && m_i + 1 < m_s.size() && m_s[m_i] == '\\' && m_s[m_i + 1] == 'u') {
                    const std::size_t save = m_i;
                    m_i += 2;
                    auto low = hex(4);
                    if (low && *low >= 0xdc00 && *low <= 0xdfff)
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (*low - 0xdc00);
                    else
                        m_i = save;
                }
                if (cp >= 0xd800 && cp <= 0xdfff)
                    cp = 0xfffd;
                appendUtf8(out, cp);
                break;
            }
            default:
                out += '\\';
                out += e;
                break;
            }
        }
        return std::nullopt;
    }

    std::optional<Json> number()
    {
        const std::size_t start = m_i;
        if (peek() == '+' || peek() == '-')
            ++m_i;
        std::size_t digits = 0;
        bool isFloat = false;
        while (std::isdigit(static_cast<unsigned char>(peek()))) {
            ++m_i;
            ++digits;
        }
        if (peek() == '.') {
            isFloat = true;
            ++m_i;
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                ++m_i;
                ++digits;
            }
        }
        if (digits == 0)
            return std::nullopt;
        if (peek() == 'e' || peek() == 'E') {
            const std::size_t save = m_i;
            ++m_i;
            if (peek() == '+' || peek() == '-')
                ++m_i;
            if (std::isdigit(static_cast<unsigned char>(peek()))) {
                isFloat = true;
                while (std::isdigit(static_cast<unsigned char>(peek())))
                    ++m_i;
            } else {
                m_i = save;
            }
        }
        std::string_view text = m_s.substr(start, m_i - start);
        if (!text.empty() && text.front() == '+')
            text.remove_prefix(1);
        if (!isFloat) {
            std::int64_t v = 0;
            const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
            if (r.ec == std::errc() && r.ptr == text.data() + text.size())
                return Json(v);
        }
        double d = 0;
        const auto r = std::from_chars(text.data(), text.data() + text.size(), d);
        if (r.ec != std::errc() || r.ptr != text.data() + text.size())
            return std::nullopt;
        return Json(d);
    }

    std::string_view m_s;
    std::size_t m_i = 0;
};

// The index of the brace that closes the one at `open`, skipping "strings".
std::size_t matchingBrace(std::string_view text, std::size_t open)
{
    int depth = 0;
    for (std::size_t i = open; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"')
            i = jsonStringEnd(text, i);
        else if (c == '{')
            ++depth;
        else if (c == '}' && --depth == 0)
            return i;
    }
    return std::string_view::npos;
}

// Strips the wrappers an LM puts around a scalar: quotes, backticks, **bold**.
std::string unwrap(std::string_view text)
{
    std::string v = pytext::strip(text);
    bool changed = true;
    while (changed && v.size() >= 2) {
        changed = false;
        if (v.size() >= 4 && startsWith(v, "**") && endsWith(v, "**")) {
            v = pytext::strip(v.substr(2, v.size() - 4));
            changed = true;
        } else if (v.front() == v.back() && (v.front() == '"' || v.front() == '\'' || v.front() == '`')) {
            v = pytext::strip(v.substr(1, v.size() - 2));
            changed = true;
        }
    }
    return v;
}

std::string quotedList(const std::vector<std::string> &values)
{
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i)
            out += ", ";
        out += "'" + values[i] + "'";
    }
    return out;
}

Result<Value> matchEnum(const Type &type, const std::string &text)
{
    const auto &values = type.enumValues();
    for (const auto &v : values)
        if (v == text)
            return Value(v);
    std::string v = pytext::strip(text);
    for (bool changed = true; changed;) {
        changed = false;
        if ((startsWith(v, "Literal[") || startsWith(v, "str[")) && endsWith(v, "]")) {
            v = pytext::strip(v.substr(v.find('[') + 1, v.size() - v.find('[') - 2));
            changed = true;
        }
        const std::string u = unwrap(v);
        if (u != v) {
            v = u;
            changed = true;
        }
    }
    for (const auto &allowed : values)
        if (allowed == v)
            return Value(allowed);
    if (!v.empty() && v.back() == '.') {
        const std::string noDot = v.substr(0, v.size() - 1);
        for (const auto &allowed : values)
            if (allowed == noDot)
                return Value(allowed);
        v = noDot;
    }
    const std::string *match = nullptr;
    int matches = 0;
    for (const auto &allowed : values) {
        if (toLowerAscii(allowed) == toLowerAscii(v)) {
            match = &allowed;
            ++matches;
        }
    }
    if (matches == 1)
        return Value(*match);
    return parseError("'" + excerpt(text) + "' is not one of: " + quotedList(values));
}

std::optional<Json> numberIn(const std::string &text)
{
    auto lit = parseLiteral(unwrap(text));
    if (lit && lit->is_number())
        return lit;
    return std::nullopt;
}

Result<Value> intFromNumber(const Json &n, const std::string &shown)
{
    if (n.is_number_integer() && !n.is_number_unsigned())
        return Value(n.get<std::int64_t>());
    if (n.is_number_unsigned()) {
        const auto u = n.get<std::uint64_t>();
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return Value(static_cast<std::int64_t>(u));
    } else {
        const double d = n.get<double>();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18)
            return Value(static_cast<std::int64_t>(d));
    }
    return parseError("'" + excerpt(shown) + "' is not a whole number (expected an int)");
}

Result<Value> intFromText(const std::string &text)
{
    auto n = numberIn(text);
    if (!n)
        return parseError("'" + excerpt(text) + "' is not an int");
    return intFromNumber(*n, text);
}

Result<Value> floatFromText(const std::string &text)
{
    auto n = numberIn(text);
    if (!n)
        return parseError("'" + excerpt(text) + "' is not a float");
    return Value(n->get<double>());
}

Result<Value> boolFromText(const std::string &text)
{
    const std::string v = toLowerAscii(unwrap(text));
    if (v == "true" || v == "yes" || v == "y" || v == "t" || v == "1" || v == "on")
        return Value(true);
    if (v == "false" || v == "no" || v == "n" || v == "f" || v == "0" || v == "off")
        return Value(false);
    return parseError("'" + excerpt(text) + "' is not a bool (expected True or False)");
}

// "- a", "* a", "• a", "1. a", "2) a" -> "a".
std::string stripBullet(const std::string &item)
{
    std::string v = item;
    if (startsWith(v, "- ") || startsWith(v, "* "))
        return pytext::strip(v.substr(2));
    if (startsWith(v, "\xe2\x80\xa2"))
        return pytext::strip(v.substr(3));
    std::size_t k = 0;
    while (k < v.size() && std::isdigit(static_cast<unsigned char>(v[k])))
        ++k;
    if (k > 0 && k + 1 < v.size() && (v[k] == '.' || v[k] == ')') && v[k + 1] == ' ')
        return pytext::strip(v.substr(k + 2));
    return v;
}

Result<Value> listFromText(const Type &type, const std::string &text)
{
    if (auto lit = parseLiteral(text)) {
        if (lit->is_array() || lit->is_string() || lit->is_number() || lit->is_boolean())
            return fromJson(type, *lit);
        return parseError("'" + excerpt(text) + "' is not a list");
    }
    // A bare list: "a, b", "[a, b]", or one item per line with bullets.
    std::string body = text;
    if (body.size() >= 2
        && ((body.front() == '[' && body.back() == ']') || (body.front() == '(' && body.back() == ')')))
        body = body.substr(1, body.size() - 2);
    std::vector<std::string> items;
    std::string current;
    auto flush = [&]() {
        std::string item = unwrap(stripBullet(pytext::strip(current)));
        if (!item.empty())
            items.push_back(item);
        current.clear();
    };
    for (char c : body) {
        if (c == ',' || c == '\n')
            flush();
        else
            current += c;
    }
    flush();
    if (items.empty())
        return parseError("'" + excerpt(text) + "' is not a list");
    Value::List out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto v = fromText(type.element(), items[i]);
        if (!v)
            return parseError("list item " + std::to_string(i + 1) + ": " + v.error().message);
        out.push_back(std::move(*v));
    }
    return Value(std::move(out));
}

} // namespace

std::optional<Json> parseLiteral(std::string_view text)
{
    return LiteralParser(text).parseAll();
}

std::optional<Json> findObject(std::string_view text)
{
    if (auto v = parseLiteral(pytext::strip(text)); v && v->is_object())
        return v;
    for (std::size_t pos = text.find("```"); pos != std::string_view::npos;) {
        const std::size_t lineEnd = text.find('\n', pos);
        if (lineEnd == std::string_view::npos)
            break;
        const std::size_t close = text.find("```", lineEnd);
        if (close == std::string_view::npos)
            break;
        if (auto v = parseLiteral(pytext::strip(text.substr(lineEnd + 1, close - lineEnd - 1))); v && v->is_object())
            return v;
        pos = text.find("```", close + 3);
    }
    constexpr int kMaxCandidates = 64;
    int tried = 0;
    for (std::size_t open = text.find('{'); open != std::string_view::npos && tried < kMaxCandidates;
         open = text.find('{', open + 1), ++tried) {
        const std::size_t close = matchingBrace(text, open);
        if (close == std::string_view::npos)
            continue;
        if (auto v = parseLiteral(text.substr(open, close - open + 1)); v && v->is_object())
            return v;
    }
    return std::nullopt;
}

Result<Value> fromText(const Type &type, const std::string &text)
{
    if (pytext::strip(text).empty())
        return parseError("the value is empty");
    switch (type.kind()) {
    case TypeKind::String: return Value(text);
    case TypeKind::Enum: return matchEnum(type, text);
    case TypeKind::Int: return intFromText(text);
    case TypeKind::Float: return floatFromText(text);
    case TypeKind::Bool: return boolFromText(text);
    case TypeKind::List: return listFromText(type, pytext::strip(text));
    }
    return parseError("unknown type");
}

Result<Value> fromJson(const Type &type, const Json &json)
{
    if (json.is_null())
        return parseError("the value is null");
    if (json.is_string() && type.kind() != TypeKind::String)
        return fromText(type, pytext::strip(json.get_ref<const std::string &>()));
    switch (type.kind()) {
    case TypeKind::String:
        if (json.is_string())
            return Value(json.get<std::string>());
        if (json.is_number_float())
            return Value(pytext::floatRepr(json.get<double>()));
        if (json.is_boolean())
            return Value(json.get<bool>() ? "True" : "False");
        return Value(pytext::jsonDumps(json, false));
    case TypeKind::Enum:
        if (json.is_number() || json.is_boolean())
            return matchEnum(type, pytext::jsonDumps(json, false));
        return parseError("'" + excerpt(pytext::jsonDumps(json, false))
                          + "' is not one of: " + quotedList(type.enumValues()));
    case TypeKind::Int:
        if (json.is_number())
            return intFromNumber(json, pytext::jsonDumps(json, false));
        return parseError("'" + excerpt(pytext::jsonDumps(json, false)) + "' is not an int");
    case TypeKind::Float:
        if (json.is_number())
            return Value(json.get<double>());
        return parseError("'" + excerpt(pytext::jsonDumps(json, false)) + "' is not a float");
    case TypeKind::Bool:
        if (json.is_boolean())
            return Value(json.get<bool>());
        if (json.is_number_integer() && (json.get<std::int64_t>() == 0 || json.get<std::int64_t>() == 1))
            return Value(json.get<std::int64_t>() == 1);
        return parseError("'" + excerpt(pytext::jsonDumps(json, false)) + "' is not a bool (expected True or False)");
    case TypeKind::List: {
        if (!json.is_array()) {
            if (json.is_object())
                return parseError("'" + excerpt(pytext::jsonDumps(json, false)) + "' is not a list");
            auto single = fromJson(type.element(), json);
            if (!single)
                return single;
            return Value(Value::List{std::move(*single)});
        }
        Value::List out;
        for (std::size_t i = 0; i < json.size(); ++i) {
            auto v = fromJson(type.element(), json[i]);
            if (!v)
                return parseError("list item " + std::to_string(i + 1) + ": " + v.error().message);
            out.push_back(std::move(*v));
        }
        return Value(std::move(out));
    }
    }
    return parseError("unknown type");
}

std::string excerpt(std::string_view text, std::size_t maxChars)
{
    std::string out;
    std::size_t i = 0;
    for (; i < text.size() && out.size() < maxChars; ++i) {
        const char c = text[i];
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else
            out += c;
    }
    if (i < text.size()) {
        // Do not cut a UTF-8 sequence in half.
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80)
            out.pop_back();
        if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0)
            out.pop_back();
        out += "...";
    }
    return out;
}

} // namespace prism::valueparse
