#include "core/json.h"

#include "core/demo_value.h"
#include "core/input_file.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace prism {

Json toJson(const Value &value)
{
    if (value.isNull())
        return nullptr;
    if (value.isString())
        return value.asString();
    if (value.isInt())
        return value.asInt();
    if (value.isFloat())
        return value.asNumber();
    if (value.isBool())
        return value.asBool();
    Json arr = Json::array();
    for (const auto &v : value.asList())
        arr.push_back(toJson(v));
    return arr;
}

Value valueFromJson(const Json &json)
{
    switch (json.type()) {
    case Json::value_t::string: return Value(json.get<std::string>());
    case Json::value_t::boolean: return Value(json.get<bool>());
    case Json::value_t::number_integer: return Value(static_cast<std::int64_t>(json.get<std::int64_t>()));
    case Json::value_t::number_unsigned: {
        // Above int64's range a cast would wrap (18446744073709551615 -> -1): keep the magnitude as a float.
        const std::uint64_t u = json.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return Value(static_cast<double>(u));
        return Value(static_cast<std::int64_t>(u));
    }
    case Json::value_t::number_float: return Value(json.get<double>());
    case Json::value_t::array: {
        Value::List list;
        for (const auto &item : json)
            list.push_back(valueFromJson(item));
        return Value(std::move(list));
    }
    case Json::value_t::object: return Value(json.dump()); // nested objects are kept as their JSON text
    default: return Value();
    }
}

Json toJson(const Fields &fields)
{
    Json obj = Json::object();
    for (const auto &[name, value] : fields)
        obj[name] = toJson(value);
    return obj;
}

Result<Fields> fieldsFromJson(const Json &json)
{
    if (!json.is_object())
        return Error::make(ErrorKind::Parse, "expected an object of field values");
    Fields out;
    for (auto it = json.begin(); it != json.end(); ++it)
        out.set(it.key(), valueFromJson(it.value()));
    return out;
}

Json toJson(const Type &type)
{
    switch (type.kind()) {
    case TypeKind::Enum: return Json{{"type", "enum"}, {"values", type.enumValues()}};
    case TypeKind::List: return Json{{"type", "list"}, {"items", toJson(type.element())}};
    default: return type.shortName();
    }
}

Result<Type> typeFromJson(const Json &json)
{
    Type out;
    std::string error;
    if (json.is_string()) {
        if (!Type::parseShort(json.get<std::string>(), out, error))
            return Error::make(ErrorKind::Parse, error);
        return out;
    }
    if (!json.is_object() || !json.contains("type") || !json["type"].is_string())
        return Error::make(ErrorKind::Parse, "a type is a string like \"str\" or an object with \"type\"");
    const std::string kind = json["type"].get<std::string>();
    if (kind == "enum") {
        if (!json.contains("values") || !json["values"].is_array() || json["values"].empty())
            return Error::make(ErrorKind::Parse, "an enum type needs a non-empty \"values\" array");
        std::vector<std::string> values;
        for (const auto &v : json["values"]) {
            if (!v.is_string())
                return Error::make(ErrorKind::Parse, "enum values must be strings");
            values.push_back(v.get<std::string>());
        }
        if (const auto repeated = repeatedEnumValue(values))
            return Error::make(ErrorKind::Parse,
                               "enum value '" + *repeated + "' is listed twice (answers match values ignoring case)");
        return Type::enumOf(std::move(values));
    }
    if (kind == "list") {
        if (!json.contains("items"))
            return Type::listOf(Type::string());
        auto element = typeFromJson(json["items"]);
        if (!element)
            return element.error();
        return Type::listOf(std::move(element.value()));
    }
    if (!Type::parseShort(kind, out, error))
        return Error::make(ErrorKind::Parse, error);
    return out;
}

Json toJson(const Field &field)
{
    Json obj = Json::object();
    obj["name"] = field.name;
    obj["type"] = toJson(field.type);
    if (!field.description.empty())
        obj["description"] = field.description;
    if (!field.prefix.empty())
        obj["prefix"] = field.prefix;
    return obj;
}

Result<Field> fieldFromJson(const Json &json)
{
    if (!json.is_object() || !json.contains("name") || !json["name"].is_string())
        return Error::make(ErrorKind::Parse, "a field needs a \"name\"");
    Field f;
    f.name = json["name"].get<std::string>();
    if (f.name.empty())
        return Error::make(ErrorKind::Parse, "a field name cannot be empty");
    if (json.contains("type")) {
        auto t = typeFromJson(json["type"]);
        if (!t)
            return Error::make(ErrorKind::Parse, "field '" + f.name + "': " + t.error().message);
        f.type = t.value();
    }
    if (json.contains("description") && json["description"].is_string())
        f.description = json["description"].get<std::string>();
    if (json.contains("prefix") && json["prefix"].is_string())
        f.prefix = json["prefix"].get<std::string>();
    return f;
}

Json toJson(const Signature &signature)
{
    Json obj = Json::object();
    obj["instruction"] = signature.instruction;
    Json inputs = Json::array(), outputs = Json::array();
    for (const auto &f : signature.inputs)
        inputs.push_back(toJson(f));
    for (const auto &f : signature.outputs)
        outputs.push_back(toJson(f));
    obj["inputs"] = inputs;
    obj["outputs"] = outputs;
    return obj;
}

Result<Signature> signatureFromJson(const Json &json)
{
    if (!json.is_object())
        return Error::make(ErrorKind::Parse, "a signature is an object");
    Signature s;
    for (const char *key : {"inputs", "outputs"}) {
        if (!json.contains(key) || !json[key].is_array() || json[key].empty())
            return Error::make(ErrorKind::Parse, std::string("a signature needs a non-empty \"") + key + "\" array");
        for (const auto &fj : json[key]) {
            auto f = fieldFromJson(fj);
            if (!f)
                return f.error();
            if (s.findField(f->name))
                return Error::make(ErrorKind::Parse, "field '" + f->name + "' appears twice in the signature");
            (std::string(key) == "inputs" ? s.inputs : s.outputs).push_back(f.value());
        }
    }
    if (json.contains("instruction") && json["instruction"].is_string())
        s.instruction = json["instruction"].get<std::string>();
    if (s.instruction.empty())
        s.instruction = Signature::defaultInstruction(s.inputs, s.outputs);
    return s;
}

Json toJson(const Demo &demo)
{
    Json obj = Json::object();
    if (demo.augmented)
        obj["augmented"] = true;
    for (const auto &[name, value] : demo.values)
        obj[name] = toJson(value);
    return obj;
}

Result<Demo> demoFromJson(const Json &json)
{
    if (!json.is_object())
        return Error::make(ErrorKind::Parse, "a demo is an object of field values");
    Demo d;
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (it.key() == "augmented") {
            d.augmented = it.value().is_boolean() && it.value().get<bool>();
            continue;
        }
        d.values.set(it.key(), valueFromJson(it.value()));
    }
    return d;
}

Json toJson(const Example &example)
{
    return Json{{"values", toJson(example.values)}, {"input_keys", example.inputKeys}};
}

Result<Example> exampleFromJson(const Json &json)
{
    if (!json.is_object() || !json.contains("values"))
        return Error::make(ErrorKind::Parse, "an example needs \"values\"");
    auto values = fieldsFromJson(json["values"]);
    if (!values)
        return values.error();
    Example e;
    e.values = values.value();
    if (json.contains("input_keys") && json["input_keys"].is_array())
        for (const auto &k : json["input_keys"])
            if (k.is_string())
                e.inputKeys.push_back(k.get<std::string>());
    return e;
}

Json toJson(const Predictor &predictor)
{
    Json obj = Json::object();
    obj["name"] = predictor.name;
    obj["kind"] = predictorKindName(predictor.kind);
    obj["signature"] = toJson(predictor.signature);
    Json demos = Json::array();
    for (const auto &d : predictor.demos)
        demos.push_back(toJson(d));
    obj["demos"] = demos;
    if (predictor.frozen)
        obj["frozen"] = true;
    return obj;
}

Result<Predictor> predictorFromJson(const Json &json)
{
    if (!json.is_object() || !json.contains("signature"))
        return Error::make(ErrorKind::Parse, "a predictor needs a \"signature\"");
    Predictor p;
    if (json.contains("name") && json["name"].is_string())
        p.name = json["name"].get<std::string>();
    if (json.contains("kind") && json["kind"].is_string()) {
        const std::string kind = json["kind"].get<std::string>();
        if (kind == "predict" || kind == "Predict")
            p.kind = PredictorKind::Predict;
        else if (kind == "chain_of_thought" || kind == "ChainOfThought" || kind == "cot")
            p.kind = PredictorKind::ChainOfThought;
        else
            return Error::make(ErrorKind::Parse, "predictor '" + p.name + "': unknown kind '" + kind
                                                     + "' (expected predict or chain_of_thought)");
    }
    if (json.contains("frozen")) {
        if (!json["frozen"].is_boolean())
            return Error::make(ErrorKind::Parse, "predictor '" + p.name + "': \"frozen\" must be true or false, not "
                                                     + json["frozen"].dump());
        p.frozen = json["frozen"].get<bool>();
    }
    auto sig = signatureFromJson(json["signature"]);
    if (!sig)
        return Error::make(ErrorKind::Parse, "predictor '" + p.name + "': " + sig.error().message);
    p.signature = sig.value();
    if (json.contains("demos") && json["demos"].is_array()) {
        const Signature effective = p.effectiveSignature();
        for (std::size_t i = 0; i < json["demos"].size(); ++i) {
            const Json &dj = json["demos"][i];
            auto d = demoFromJson(dj);
            if (!d)
                return Error::make(ErrorKind::Parse, "predictor '" + p.name + "': demo " + std::to_string(i + 1) + ": "
                                                         + d.error().message);
            // The check and conversion a DSPy saved program's demos get: one rule for every format.
            for (auto it = dj.begin(); it != dj.end(); ++it) {
                const Field *field = it.key() == "augmented" ? nullptr : effective.findField(it.key());
                if (!field)
                    continue;
                auto value = readDemoValue(it.value(), *field, i + 1);
                if (!value)
                    return Error::make(value.error().kind, "predictor '" + p.name + "': " + value.error().message);
                d->values.set(it.key(), std::move(value.value()));
            }
            p.demos.push_back(std::move(d.value()));
        }
    }
    return p;
}

Json toJson(const Program &program)
{
    Json preds = Json::array();
    for (const auto &p : program.predictors)
        preds.push_back(toJson(p));
    return Json{{"predictors", preds}};
}

Result<Program> programFromJson(const Json &json)
{
    if (!json.is_object() || !json.contains("predictors") || !json["predictors"].is_array()
        || json["predictors"].empty())
        return Error::make(ErrorKind::Parse, "a program needs a non-empty \"predictors\" array");
    Program program;
    for (const auto &pj : json["predictors"]) {
        auto p = predictorFromJson(pj);
        if (!p)
            return p.error();
        if (program.find(p->name))
            return Error::make(ErrorKind::Parse, "two predictors are named '" + p->name + "'");
        program.predictors.push_back(p.value());
    }
    return program;
}

Result<Json> parseJson(const std::string &text, const std::string &sourceName)
{
    try {
        return Json::parse(text);
    } catch (const Json::parse_error &e) {
        // e.byte is 1-based; turn it into line and column.
        std::size_t line = 1, column = 1;
        const std::size_t upto = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        for (std::size_t i = 0; i < upto; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        std::string what = e.what();
        const auto pos = what.find("syntax error");
        if (pos != std::string::npos)
            what = what.substr(pos);
        return Error::make(ErrorKind::Parse, sourceName + ":" + std::to_string(line) + ":" + std::to_string(column)
                                                 + ": invalid JSON: " + what);
    } catch (const Json::exception &e) {
        // A number too large for a double (out_of_range): nlohmann gives no position.
        std::size_t line = 1, column = 1;
        if (const auto at = outOfRangeNumberAt(text))
            for (std::size_t i = 0; i < *at; ++i) {
                column = text[i] == '\n' ? 1 : column + 1;
                line += text[i] == '\n' ? 1 : 0;
            }
        return Error::make(ErrorKind::Parse, sourceName + ":" + std::to_string(line) + ":" + std::to_string(column)
                                                 + ": invalid JSON: a number too large to represent");
    }
}

std::optional<std::size_t> outOfRangeNumberAt(std::string_view text)
{
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            i = jsonStringEnd(text, i);
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            std::size_t end = i;
            while (end < text.size() && std::strchr("+-.eE0123456789", text[end]) != nullptr)
                ++end;
            const std::string literal(text.substr(i, end - i));
            if (std::isinf(std::strtod(literal.c_str(), nullptr)))
                return i;
            i = end - 1;
        }
    }
    return std::nullopt;
}

std::size_t jsonStringEnd(std::string_view text, std::size_t quote)
{
    for (std::size_t i = quote + 1; i < text.size(); ++i) {
        if (text[i] == '\\')
            ++i;
        else if (text[i] == '"')
            return i;
    }
    return text.size();
}

Result<Json> readJsonFile(const std::string &path)
{
    auto text = readInputFile(path);
    if (!text)
        return text.error();
    return parseJson(text.value(), path);
}

} // namespace prism
