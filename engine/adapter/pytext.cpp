#include "adapter/pytext.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace prism::pytext {

namespace {

unsigned char byteAt(std::string_view s, std::size_t i)
{
    return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
}

// Byte length of the Python whitespace character starting at i, or 0.
std::size_t spaceAt(std::string_view s, std::size_t i)
{
    const unsigned char c = byteAt(s, i);
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f))
        return 1;
    const unsigned char c1 = byteAt(s, i + 1), c2 = byteAt(s, i + 2);
    if (c == 0xc2 && (c1 == 0x85 || c1 == 0xa0))
        return 2;
    if (c == 0xe1 && c1 == 0x9a && c2 == 0x80)
        return 3;
    if (c == 0xe2 && c1 == 0x80 && ((c2 >= 0x80 && c2 <= 0x8a) || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf))
        return 3;
    if (c == 0xe2 && c1 == 0x81 && c2 == 0x9f)
        return 3;
    if (c == 0xe3 && c1 == 0x80 && c2 == 0x80)
        return 3;
    return 0;
}

// Byte length of the line boundary starting at i (str.splitlines), or 0.
std::size_t lineBreakAt(std::string_view s, std::size_t i)
{
    const unsigned char c = byteAt(s, i);
    if (c == '\r')
        return byteAt(s, i + 1) == '\n' ? 2 : 1;
    if (c == '\n' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e))
        return 1;
    const unsigned char c1 = byteAt(s, i + 1), c2 = byteAt(s, i + 2);
    if (c == 0xc2 && c1 == 0x85)
        return 2;
    if (c == 0xe2 && c1 == 0x80 && (c2 == 0xa8 || c2 == 0xa9))
        return 3;
    return 0;
}

// Decodes one UTF-8 sequence; invalid bytes read as U+FFFD, one byte long.
char32_t decodeUtf8(std::string_view s, std::size_t i, std::size_t &length)
{
    const unsigned char c = byteAt(s, i);
    auto cont = [&](std::size_t k) { return (byteAt(s, i + k) & 0xc0) == 0x80 && i + k < s.size(); };
    if (c < 0x80) {
        length = 1;
        return c;
    }
    if ((c & 0xe0) == 0xc0 && c >= 0xc2 && cont(1)) {
        length = 2;
        return (char32_t(c & 0x1f) << 6) | (byteAt(s, i + 1) & 0x3f);
    }
    if ((c & 0xf0) == 0xe0 && cont(1) && cont(2)) {
        const char32_t cp =
            (char32_t(c & 0x0f) << 12) | (char32_t(byteAt(s, i + 1) & 0x3f) << 6) | (byteAt(s, i + 2) & 0x3f);
        if (cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff)) {
            length = 3;
            return cp;
        }
    }
    if ((c & 0xf8) == 0xf0 && cont(1) && cont(2) && cont(3)) {
        const char32_t cp = (char32_t(c & 0x07) << 18) | (char32_t(byteAt(s, i + 1) & 0x3f) << 12)
                            | (char32_t(byteAt(s, i + 2) & 0x3f) << 6) | (byteAt(s, i + 3) & 0x3f);
        if (cp >= 0x10000 && cp <= 0x10ffff) {
            length = 4;
            return cp;
        }
    }
    length = 1;
    return 0xfffd;
}

void appendHex4(std::string &out, unsigned value)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", value & 0xffffu);
    out += buf;
}

// json.dumps string escaping: ESCAPE_ASCII (everything outside ' '..'~') or ESCAPE.
void appendJsonString(std::string &out, std::string_view s, bool ensureAscii)
{
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '"':
            out += "\\\"";
            ++i;
            continue;
        case '\\':
            out += "\\\\";
            ++i;
            continue;
        case '\n':
            out += "\\n";
            ++i;
            continue;
        case '\r':
            out += "\\r";
            ++i;
            continue;
        case '\t':
            out += "\\t";
            ++i;
            continue;
        case '\b':
            out += "\\b";
            ++i;
            continue;
        case '\f':
            out += "\\f";
            ++i;
            continue;
        default: break;
        }
        if (c < 0x20) {
            appendHex4(out, c);
            ++i;
            continue;
        }
        if (c < 0x7f) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (!ensureAscii) {
            if (c == 0x7f) {
                out += static_cast<char>(c);
                ++i;
                continue;
            }
            std::size_t length = 0;
            const char32_t cp = decodeUtf8(s, i, length);
            if (cp == 0xfffd && length == 1) // an invalid byte
                out += "\xef\xbf\xbd";
            else
                out.append(s.substr(i, length));
            i += length;
            continue;
        }
        std::size_t length = 0;
        const char32_t cp = c == 0x7f ? (length = 1, char32_t(0x7f)) : decodeUtf8(s, i, length);
        if (cp >= 0x10000) {
            const char32_t v = cp - 0x10000;
            appendHex4(out, 0xd800 + static_cast<unsigned>(v >> 10));
            appendHex4(out, 0xdc00 + static_cast<unsigned>(v & 0x3ff));
        } else {
            appendHex4(out, static_cast<unsigned>(cp));
        }
        i += length;
    }
    out += '"';
}

std::string jsonFloat(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "Infinity" : "-Infinity";
    return floatRepr(value);
}

void dumpTo(std::string &out, const Json &value, bool ensureAscii, int indent, int level)
{
    const std::string newline = indent >= 0 ? "\n" : "";
    auto pad = [&](int depth) {
        return indent >= 0 ? std::string(static_cast<std::size_t>(indent * depth), ' ') : std::string();
    };
    const std::string itemSeparator = indent >= 0 ? "," : ", ";
    switch (value.type()) {
    case Json::value_t::null: out += "null"; return;
    case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
    case Json::value_t::number_integer: out += std::to_string(value.get<std::int64_t>()); return;
    case Json::value_t::number_unsigned: out += std::to_string(value.get<std::uint64_t>()); return;
    case Json::value_t::number_float: out += jsonFloat(value.get<double>()); return;
    case Json::value_t::string: appendJsonString(out, value.get_ref<const std::string &>(), ensureAscii); return;
    case Json::value_t::array: {
        if (value.empty()) {
            out += "[]";
            return;
        }
        out += "[" + newline;
        bool first = true;
        for (const auto &item : value) {
            if (!first)
                out += itemSeparator + newline;
            first = false;
            out += pad(level + 1);
            dumpTo(out, item, ensureAscii, indent, level + 1);
        }
        out += newline + pad(level) + "]";
        return;
    }
    case Json::value_t::object: {
        if (value.empty()) {
            out += "{}";
            return;
        }
        out += "{" + newline;
        bool first = true;
        for (const auto &[key, item] : value.items()) {
            if (!first)
                out += itemSeparator + newline;
            first = false;
            out += pad(level + 1);
            appendJsonString(out, key, ensureAscii);
            out += ": ";
            dumpTo(out, item, ensureAscii, indent, level + 1);
        }
        out += newline + pad(level) + "}";
        return;
    }
    default: out += "null"; return;
    }
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to)
{
    std::size_t pos = 0;
    while ((pos = text.find(from, pos)) != std::string::npos) {
        text.replace(pos, from.size(), to);
        pos += to.size();
    }
    return text;
}

// _format_blob(): one list item of a str-typed field.
std::string formatBlob(const std::string &blob)
{
    if (blob.find('\n') == std::string::npos && blob.find("\xc2\xab") == std::string::npos
        && blob.find("\xc2\xbb") == std::string::npos)
        return "\xc2\xab" + blob + "\xc2\xbb";
    return "\xc2\xab\xc2\xab\xc2\xab\n    " + replaceAll(blob, "\n", "\n    ") + "\n\xc2\xbb\xc2\xbb\xc2\xbb";
}

// _quoted_string_for_literal_type_annotation().
std::string quoteLiteral(const std::string &s)
{
    const bool single = s.find('\'') != std::string::npos;
    const bool dbl = s.find('"') != std::string::npos;
    if (single && !dbl)
        return "\"" + s + "\"";
    if (single && dbl)
        return "'" + replaceAll(s, "'", "\\'") + "'";
    return "'" + s + "'";
}

} // namespace

std::string strip(std::string_view text)
{
    std::size_t b = 0;
    while (b < text.size()) {
        const std::size_t n = spaceAt(text, b);
        if (!n)
            break;
        b += n;
    }
    std::size_t e = text.size();
    while (e > b) {
        std::size_t n = 0;
        for (std::size_t k = 1; k <= 3 && k <= e - b; ++k) {
            if (spaceAt(text, e - k) == k) {
                n = k;
                break;
            }
        }
        if (!n)
            break;
        e -= n;
    }
    return std::string(text.substr(b, e - b));
}

std::vector<std::string> splitLines(std::string_view text)
{
    std::vector<std::string> lines;
    std::size_t start = 0, i = 0;
    while (i < text.size()) {
        const std::size_t n = lineBreakAt(text, i);
        if (n) {
            lines.emplace_back(text.substr(start, i - start));
            i += n;
            start = i;
        } else {
            ++i;
        }
    }
    if (start < text.size())
        lines.emplace_back(text.substr(start));
    return lines;
}

std::string dedent(std::string_view text)
{
    // textwrap.dedent works on '\n'-separated lines: blank out lines of only
    // spaces and tabs, then remove the longest common [ \t]* margin.
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (true) {
        const std::size_t pos = text.find('\n', start);
        lines.emplace_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos)
            break;
        start = pos + 1;
    }
    bool haveMargin = false;
    std::string margin;
    for (auto &line : lines) {
        if (!line.empty() && line.find_first_not_of(" \t") == std::string::npos)
            line.clear();
        if (line.empty())
            continue;
        const std::string indent = line.substr(0, line.find_first_not_of(" \t"));
        if (!haveMargin) {
            margin = indent;
            haveMargin = true;
        } else {
            std::size_t k = 0;
            while (k < margin.size() && k < indent.size() && margin[k] == indent[k])
                ++k;
            margin.resize(k);
        }
    }
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i)
            out += '\n';
        if (!margin.empty() && lines[i].compare(0, margin.size(), margin) == 0)
            out += lines[i].substr(margin.size());
        else
            out += lines[i];
    }
    return out;
}

std::string floatRepr(double value)
{
    if (std::isnan(value))
        return "nan";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    if (value == 0.0)
        return std::signbit(value) ? "-0.0" : "0.0";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    const std::string sci(buf, res.ptr);
    std::string sign, digits;
    std::size_t i = 0;
    if (sci[i] == '-') {
        sign = "-";
        ++i;
    }
    for (; i < sci.size() && sci[i] != 'e'; ++i)
        if (sci[i] != '.')
            digits += sci[i];
    const int exponent = std::atoi(sci.c_str() + i + 1);
    const int decpt = exponent + 1;
    const int n = static_cast<int>(digits.size());
    // Python's repr switches to exponent notation when decpt <= -4 or decpt > 16.
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0)
            return sign + "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
        if (decpt >= n)
            return sign + digits + std::string(static_cast<std::size_t>(decpt - n), '0') + ".0";
        return sign + digits.substr(0, static_cast<std::size_t>(decpt)) + "."
               + digits.substr(static_cast<std::size_t>(decpt));
    }
    std::string mantissa = digits.substr(0, 1);
    if (n > 1)
        mantissa += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return sign + mantissa + exp;
}

std::string jsonDumps(const Json &value, bool ensureAscii, int indent)
{
    std::string out;
    dumpTo(out, value, ensureAscii, indent, 0);
    return out;
}

std::optional<std::string> scalarStr(const Value &value)
{
    if (value.isNull())
        return "None";
    if (value.isString())
        return value.asString();
    if (value.isBool())
        return value.asBool() ? "True" : "False";
    if (value.isInt())
        return std::to_string(value.asInt());
    if (value.isFloat())
        return floatRepr(value.asNumber());
    return std::nullopt;
}

std::string str(const Value &value)
{
    if (auto scalar = scalarStr(value))
        return *std::move(scalar);
    return jsonDumps(toJson(value), false);
}

std::string annotationName(const Type &type)
{
    switch (type.kind()) {
    case TypeKind::String: return "str";
    case TypeKind::Int: return "int";
    case TypeKind::Float: return "float";
    case TypeKind::Bool: return "bool";
    case TypeKind::Enum: {
        std::vector<std::string> quoted;
        for (const auto &v : type.enumValues())
            quoted.push_back(quoteLiteral(v));
        return "Literal[" + join(quoted, ", ") + "]";
    }
    case TypeKind::List: return "list[" + annotationName(type.element()) + "]";
    }
    return "str";
}

Json jsonSchema(const Type &type)
{
    Json schema = Json::object();
    switch (type.kind()) {
    case TypeKind::String: schema["type"] = "string"; break;
    case TypeKind::Int: schema["type"] = "integer"; break;
    case TypeKind::Float: schema["type"] = "number"; break;
    case TypeKind::Bool: schema["type"] = "boolean"; break;
    case TypeKind::Enum:
        schema["type"] = "string";
        if (type.enumValues().size() == 1) {
            schema["const"] = type.enumValues().front();
        } else {
            schema["enum"] = Json::array();
            for (const auto &v : type.enumValues())
                schema["enum"].push_back(v);
        }
        break;
    case TypeKind::List:
        schema["type"] = "array";
        schema["items"] = jsonSchema(type.element());
        break;
    }
    return schema;
}

std::string fieldPlaceholder(const Field &field, bool isInput)
{
    std::string desc;
    if (!isInput) {
        switch (field.type.kind()) {
        case TypeKind::String: break;
        case TypeKind::Bool: desc = "must be True or False"; break;
        case TypeKind::Int: desc = "must be a single int value"; break;
        case TypeKind::Float: desc = "must be a single float value"; break;
        case TypeKind::Enum:
            desc = "must exactly match (no extra characters) one of: " + join(field.type.enumValues(), "; ");
            break;
        case TypeKind::List:
            desc = "must adhere to the JSON schema: " + jsonDumps(jsonSchema(field.type), false);
            break;
        }
    }
    std::string out = "{" + field.name + "}";
    if (!desc.empty())
        out += std::string(8, ' ') + "# note: the value you produce " + desc;
    return out;
}

std::string formatFieldValue(const Field &field, const Value &value)
{
    if (value.isList() && field.type.kind() == TypeKind::String) {
        const auto &items = value.asList();
        if (items.empty())
            return "N/A";
        if (items.size() == 1)
            return formatBlob(str(items.front()));
        std::vector<std::string> lines;
        for (std::size_t i = 0; i < items.size(); ++i)
            lines.push_back("[" + std::to_string(i + 1) + "] " + formatBlob(str(items[i])));
        return join(lines, "\n");
    }
    return str(value);
}

std::string fieldDescriptions(const std::vector<Field> &fields)
{
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const Field &f = fields[i];
        const std::string desc = f.description == "${" + f.name + "}" ? std::string() : f.description;
        lines.push_back(std::to_string(i + 1) + ". `" + f.name + "` (" + annotationName(f.type) + "): " + desc);
    }
    return strip(join(lines, "\n"));
}

std::string join(const std::vector<std::string> &parts, std::string_view separator)
{
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i)
            out += separator;
        out += parts[i];
    }
    return out;
}

} // namespace prism::pytext
