#include "core/demo_value.h"

#include "core/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>

namespace prism {

std::string shortJsonText(const Json &j)
{
    std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() > 60)
        text = text.substr(0, 57) + "...";
    return text;
}

namespace {

// Demo values written by hand: space, tab and line breaks around a number or
// a bool are forgiven, \f and \v are not (they were never accepted here).
std::string trimmedDemoText(const std::string &s)
{
    return trimmed(s, " \t\r\n");
}

} // namespace

std::optional<Value> demoValueAs(const Json &j, const Type &type)
{
    if (j.is_null())
        return Value();
    switch (type.kind()) {
    case TypeKind::String:
        if (j.is_string())
            return Value(j.get<std::string>());
        return Value(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    case TypeKind::Enum:
        // Only a value of the set: anything else would reach prompts as an
        // option the signature does not offer.
        if (j.is_string()
            && std::find(type.enumValues().begin(), type.enumValues().end(), j.get<std::string>())
                   != type.enumValues().end())
            return Value(j.get<std::string>());
        return std::nullopt;
    case TypeKind::Int: {
        if (j.is_number_integer())
            return valueFromJson(j);
        if (j.is_number_float()) {
            const double d = j.get<double>();
            if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18)
                return Value(static_cast<std::int64_t>(d));
            return std::nullopt;
        }
        if (j.is_string()) {
            const std::string s = trimmedDemoText(j.get<std::string>());
            std::int64_t v = 0;
            const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (!s.empty() && ec == std::errc() && end == s.data() + s.size())
                return Value(v);
        }
        return std::nullopt;
    }
    case TypeKind::Float: {
        if (j.is_number())
            return Value(j.get<double>());
        if (j.is_string()) {
            const std::string s = trimmedDemoText(j.get<std::string>());
            try {
                std::size_t used = 0;
                const double d = std::stod(s, &used);
                if (used == s.size())
                    return Value(d);
            } catch (const std::exception &) {}
        }
        return std::nullopt;
    }
    case TypeKind::Bool:
        if (j.is_boolean())
            return Value(j.get<bool>());
        if (j.is_string()) {
            const std::string s = toLowerAscii(trimmedDemoText(j.get<std::string>()));
            if (s == "true")
                return Value(true);
            if (s == "false")
                return Value(false);
        }
        return std::nullopt;
    case TypeKind::List: {
        Json array = j;
        if (j.is_string()) {
            array = Json::parse(j.get<std::string>(), nullptr, false);
            if (array.is_discarded())
                return std::nullopt;
        }
        if (!array.is_array())
            return std::nullopt;
        Value::List list;
        for (const auto &item : array) {
            auto v = demoValueAs(item, type.element());
            if (!v)
                return std::nullopt;
            list.push_back(std::move(*v));
        }
        return Value(std::move(list));
    }
    }
    return std::nullopt;
}

namespace {

// The values an enum (or a list of enums) allows, "low, medium, high"; empty for other types.
std::string allowedValues(const Type &type)
{
    const Type *t = &type;
    if (t->kind() == TypeKind::List)
        t = &t->element();
    if (t->kind() != TypeKind::Enum)
        return {};
    std::string out;
    for (const auto &v : t->enumValues())
        out += (out.empty() ? "" : ", ") + v;
    return out;
}

} // namespace

Result<Value> readDemoValue(const Json &value, const Field &field, std::size_t demoNumber)
{
    if (auto v = demoValueAs(value, field.type))
        return std::move(*v);
    std::string what = "demo " + std::to_string(demoNumber) + ", field '" + field.name + "': " + shortJsonText(value)
                       + " is not of type " + field.type.shortName();
    if (const std::string allowed = allowedValues(field.type); !allowed.empty())
        what += " (allowed: " + allowed + ")";
    return Error::make(ErrorKind::Data, what);
}

} // namespace prism
