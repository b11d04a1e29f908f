#include "sim/sim_examples.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace prism::sim {

namespace {

// Lower-case alphanumerics only: "Policy Violations" and "policy_violations" agree.
std::string norm(std::string_view s)
{
    std::string out;
    for (char c : s)
        if (std::isalnum(static_cast<unsigned char>(c)))
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Literal stringLiteral(std::string text)
{
    Literal l;
    l.kind = Literal::Kind::String;
    l.text = std::move(text);
    return l;
}

Literal jsonToLiteral(const nlohmann::ordered_json &j)
{
    Literal l;
    if (j.is_string()) {
        l = stringLiteral(j.get<std::string>());
    } else if (j.is_boolean()) {
        l.kind = Literal::Kind::Bool;
        l.flag = j.get<bool>();
    } else if (j.is_number()) {
        l.kind = Literal::Kind::Number;
        l.text = j.dump();
    } else if (j.is_array()) {
        l.kind = Literal::Kind::List;
        for (const auto &item : j)
            l.items.push_back(jsonToLiteral(item));
    } else if (j.is_object()) {
        l.kind = Literal::Kind::Dict;
        for (auto it = j.begin(); it != j.end(); ++it) {
            l.keys.push_back(it.key());
            l.items.push_back(jsonToLiteral(it.value()));
        }
    }
    return l;
}

// DSPy's repr: [Example({'q': 'What?', 'a': '7'}) (input_keys={'q'}), ...]
std::vector<DataRow> parseDspyExamples(std::string_view text)
{
    std::vector<DataRow> rows;
    std::size_t pos = 0;
    while ((pos = text.find("Example(", pos)) != std::string_view::npos) {
        std::size_t p = pos + 8;
        Literal dict;
        if (!parseLiteral(text, p, dict) || dict.kind != Literal::Kind::Dict) {
            pos += 8;
            continue;
        }
        DataRow row;
        for (std::size_t i = 0; i < dict.keys.size(); ++i)
            row.add(dict.keys[i], dict.items[i]);
        while (p < text.size() && (text[p] == ')' || text[p] == ' '))
            ++p;
        if (text.substr(p, 12) == "(input_keys=") {
            p += 12;
            Literal keys;
            if (parseLiteral(text, p, keys)) {
                for (const Literal &k : keys.items)
                    row.inputKeys.push_back(k.plainText());
                row.knowsInputs = true;
            }
        }
        rows.push_back(std::move(row));
        pos = p;
    }
    return rows;
}

// A JSON array of objects, or one JSON object per line.
std::vector<DataRow> parseJsonExamples(std::string_view text)
{
    std::vector<DataRow> rows;
    auto addObject = [&rows](const nlohmann::ordered_json &j) {
        if (!j.is_object())
            return;
        DataRow row;
        for (auto it = j.begin(); it != j.end(); ++it)
            row.add(it.key(), jsonToLiteral(it.value()));
        rows.push_back(std::move(row));
    };
    try {
        const nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
        if (j.is_array())
            for (const auto &item : j)
                addObject(item);
        else
            addObject(j);
        return rows;
    } catch (const nlohmann::json::exception &) {
        rows.clear();
    }
    for (const std::string &line : splitLines(text)) {
        const std::string t = trimmed(line);
        if (!startsWith(t, "{"))
            continue;
        try {
            addObject(nlohmann::ordered_json::parse(t));
        } catch (const nlohmann::json::exception &) {
            // not a JSON line
        }
    }
    return rows;
}

} // namespace

bool isNumericText(const std::string &text)
{
    const std::string t = trimmed(text);
    std::size_t i = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
    bool digits = false, dot = false;
    for (; i < t.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(t[i])))
            digits = true;
        else if (t[i] == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digits;
}

// The label items of a value: list items, or the value itself; none when null.
std::vector<std::string> itemsOf(const Literal &value)
{
    if (value.kind == Literal::Kind::Null)
        return {};
    if (value.kind == Literal::Kind::List) {
        std::vector<std::string> out;
        for (const Literal &item : value.items)
            out.push_back(trimmed(item.plainText()));
        return out;
    }
    const std::string text = trimmed(value.plainText());
    if (value.kind == Literal::Kind::String && startsWith(text, "[") && endsWith(text, "]"))
        return parseListItems(text);
    return {text};
}

bool isListValue(const Literal &value)
{
    return value.kind == Literal::Kind::List
           || (value.kind == Literal::Kind::String && startsWith(trimmed(value.text), "[")
               && endsWith(trimmed(value.text), "]"));
}

// "Prefix: value" lines (DSPy's task_demos and create_example_string), one
// block per example. A prefix maps to a known field by its normalized name.
std::vector<DataRow> parsePrefixBlocks(std::string_view text, const std::vector<std::string> &knownFields)
{
    std::vector<DataRow> rows;
    DataRow current;
    std::string *open = nullptr;
    std::string pendingBlank;
    auto fieldOf = [&](const std::string &line, std::string &value) -> std::string {
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos || colon == 0 || colon > 60)
            return {};
        const std::string prefix = line.substr(0, colon);
        if (!std::all_of(prefix.begin(), prefix.end(),
                         [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '_'; }))
            return {};
        value = trimmed(line.substr(colon + 1));
        for (const std::string &f : knownFields)
            if (norm(f) == norm(prefix))
                return f;
        if (!knownFields.empty() || !std::isupper(static_cast<unsigned char>(prefix[0])) || words(prefix).size() > 4)
            return {};
        std::string snake = toLowerAscii(trimmed(prefix));
        std::replace(snake.begin(), snake.end(), ' ', '_');
        return snake;
    };
    auto flush = [&] {
        if (!current.keys.empty())
            rows.push_back(std::move(current));
        current = DataRow();
        open = nullptr;
    };
    for (const std::string &line : splitLines(text)) {
        std::string value;
        const std::string field = fieldOf(line, value);
        if (!field.empty()) {
            if (current.get(field))
                flush();
            current.add(field, stringLiteral(value));
            open = &current.values.back().text;
            pendingBlank.clear();
        } else if (trimmed(line).empty()) {
            pendingBlank += "\n";
        } else if (open) {
            *open += (pendingBlank.empty() ? "\n" : "\n" + pendingBlank) + line;
            pendingBlank.clear();
        }
    }
    flush();
    return rows;
}

std::vector<DataRow> readExamples(std::string_view text)
{
    std::vector<DataRow> rows = parseDspyExamples(text);
    if (rows.empty())
        rows = parseJsonExamples(text);
    if (rows.empty())
        rows = parsePrefixBlocks(text, {});
    return rows;
}

std::string rowInputText(const DataRow &row, const std::vector<std::string> &inputs)
{
    std::vector<std::string> parts;
    for (const std::string &name : inputs)
        if (const Literal *v = row.get(name))
            parts.push_back(v->plainText());
    return joinStrings(parts, "\n");
}

} // namespace prism::sim
