#include "core/signature.h"

#include "core/text.h"

#include <cctype>
#include <optional>
#include <set>

namespace prism {

Field stringField(std::string name, std::string description)
{
    Field f;
    f.name = std::move(name);
    f.type = Type::string();
    f.description = std::move(description);
    return f;
}

std::optional<std::string> repeatedEnumValue(const std::vector<std::string> &values)
{
    std::set<std::string> seen;
    for (const std::string &v : values)
        if (!seen.insert(toLowerAscii(v)).second)
            return v;
    return std::nullopt;
}

Type Type::enumOf(std::vector<std::string> values)
{
    Type t(TypeKind::Enum);
    t.m_enumValues = std::move(values);
    return t;
}

Type Type::listOf(Type element)
{
    Type t(TypeKind::List);
    t.m_element.push_back(std::move(element));
    return t;
}

std::string Type::pythonName() const
{
    switch (m_kind) {
    case TypeKind::String: return "str";
    case TypeKind::Int: return "int";
    case TypeKind::Float: return "float";
    case TypeKind::Bool: return "bool";
    case TypeKind::Enum: {
        std::string s = "Literal[";
        for (std::size_t i = 0; i < m_enumValues.size(); ++i) {
            if (i)
                s += ", ";
            s += "'" + m_enumValues[i] + "'";
        }
        return s + "]";
    }
    case TypeKind::List: return "list[" + element().pythonName() + "]";
    }
    return "str";
}

std::string Type::shortName() const
{
    switch (m_kind) {
    case TypeKind::Enum: {
        std::string s = "enum[";
        for (std::size_t i = 0; i < m_enumValues.size(); ++i) {
            if (i)
                s += ",";
            s += m_enumValues[i];
        }
        return s + "]";
    }
    case TypeKind::List: return "list[" + element().shortName() + "]";
    default: return pythonName();
    }
}

bool Type::parseShort(std::string_view text, Type &out, std::string &error)
{
    const std::string t = trimmed(text);
    const std::string l = toLowerAscii(t);
    if (l == "str" || l == "string") {
        out = string();
        return true;
    }
    if (l == "int" || l == "integer") {
        out = integer();
        return true;
    }
    if (l == "float" || l == "number") {
        out = floating();
        return true;
    }
    if (l == "bool" || l == "boolean") {
        out = boolean();
        return true;
    }
    auto inner = [&](std::string_view head) -> std::optional<std::string> {
        if (l.size() > head.size() + 1 && l.compare(0, head.size(), head) == 0 && l[head.size()] == '['
            && l.back() == ']')
            return t.substr(head.size() + 1, t.size() - head.size() - 2);
        return std::nullopt;
    };
    if (auto body = inner("list")) {
        Type element;
        if (!parseShort(*body, element, error))
            return false;
        out = listOf(std::move(element));
        return true;
    }
    std::optional<std::string> body = inner("enum");
    if (!body)
        body = inner("literal");
    if (body) {
        std::vector<std::string> values;
        std::string current;
        auto flush = [&]() {
            std::string v = trimmed(current);
            if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front())
                v = v.substr(1, v.size() - 2);
            if (!v.empty())
                values.push_back(v);
            current.clear();
        };
        for (char c : *body) {
            if (c == ',' || c == ';' || c == '|')
                flush();
            else
                current += c;
        }
        flush();
        if (values.empty()) {
            error = "an enum type needs at least one value: '" + t + "'";
            return false;
        }
        if (const auto repeated = repeatedEnumValue(values)) {
            error = "enum value '" + *repeated + "' is listed twice (values match ignoring case): '" + t + "'";
            return false;
        }
        out = enumOf(std::move(values));
        return true;
    }
    error = "unknown type '" + t + "' (expected str, int, float, bool, enum[a,b] or list[...])";
    return false;
}

std::string inferPrefix(std::string_view name)
{
    // Split snake_case and camelCase into words, capitalize each.
    std::vector<std::string> words;
    std::string current;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '_' || c == '-' || c == ' ') {
            if (!current.empty())
                words.push_back(current);
            current.clear();
            continue;
        }
        const bool upper = std::isupper(static_cast<unsigned char>(c));
        if (upper && !current.empty() && std::islower(static_cast<unsigned char>(current.back()))) {
            words.push_back(current);
            current.clear();
        }
        current += c;
    }
    if (!current.empty())
        words.push_back(current);
    std::string out;
    for (auto &w : words) {
        if (!out.empty())
            out += ' ';
        std::string word = w;
        word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
        for (std::size_t i = 1; i < word.size(); ++i)
            word[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(word[i])));
        out += word;
    }
    return out;
}

std::string Field::effectivePrefix() const
{
    return prefix.empty() ? inferPrefix(name) + ":" : prefix;
}

Signature Signature::withInstruction(std::string text) const
{
    Signature copy = *this;
    copy.instruction = std::move(text);
    return copy;
}

const Field *Signature::findInput(std::string_view name) const
{
    for (const auto &f : inputs)
        if (f.name == name)
            return &f;
    return nullptr;
}

const Field *Signature::findOutput(std::string_view name) const
{
    for (const auto &f : outputs)
        if (f.name == name)
            return &f;
    return nullptr;
}

const Field *Signature::findField(std::string_view name) const
{
    const Field *f = findInput(name);
    return f ? f : findOutput(name);
}

std::string Signature::defaultInstruction(const std::vector<Field> &inputs, const std::vector<Field> &outputs)
{
    auto list = [](const std::vector<Field> &fields) {
        std::string s;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i)
                s += ", ";
            s += "`" + fields[i].name + "`";
        }
        return s;
    };
    return "Given the fields " + list(inputs) + ", produce the fields " + list(outputs) + ".";
}

} // namespace prism
