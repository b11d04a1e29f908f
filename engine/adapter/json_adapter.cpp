#include "adapter/json_adapter.h"

#include "adapter/pytext.h"
#include "adapter/value_parse.h"
#include "core/text.h"

#include <nlohmann/json.hpp>

#include <cctype>

namespace prism {

namespace {

// The answer's value for a field: the exact key, else a unique key that
// differs only in case.
const Json *findKey(const Json &object, const std::string &name)
{
    if (auto it = object.find(name); it != object.end())
        return &*it;
    const Json *found = nullptr;
    for (const auto &[key, value] : object.items()) {
        if (toLowerAscii(key) == toLowerAscii(name)) {
            if (found)
                return nullptr;
            found = &value;
        }
    }
    return found;
}

} // namespace

std::string JsonAdapter::fieldStructure(const Signature &signature) const
{
    Json placeholders = Json::object();
    for (const auto &f : signature.outputs)
        placeholders[f.name] = pytext::fieldPlaceholder(f, false);
    const std::vector<std::string> parts{
        "All interactions will be structured in the following way, with the appropriate values filled in.",
        "Inputs will have the following structure:",
        placeholderBlocks(signature.inputs, true),
        "Outputs will be a JSON object with the following fields.",
        pytext::jsonDumps(placeholders, false, 2),
    };
    return pytext::strip(pytext::join(parts, "\n\n"));
}

std::string JsonAdapter::assistantContent(const Signature &signature, const Fields &values,
                                          const std::string &missing) const
{
    Json object = Json::object();
    for (const auto &f : signature.outputs) {
        const Value *v = values.find(f.name);
        object[f.name] = v ? toJson(*v) : Json(missing);
    }
    return pytext::jsonDumps(object, false, 2);
}

std::string JsonAdapter::outputRequirements(const Signature &signature) const
{
    std::vector<std::string> fields;
    for (const auto &f : signature.outputs) {
        std::string item = "`" + f.name + "`";
        if (f.type.kind() != TypeKind::String)
            item += " (must be formatted as a valid Python " + pytext::annotationName(f.type) + ")";
        fields.push_back(std::move(item));
    }
    return "Respond with a JSON object in the following order of fields: " + pytext::join(fields, ", then ") + ".";
}

Result<Fields> JsonAdapter::parse(const Signature &signature, const std::string &completion) const
{
    if (pytext::strip(completion).empty())
        return Error::make(ErrorKind::Parse, "JSONAdapter: the LM returned an empty completion");
    const std::optional<Json> object = valueparse::findObject(completion);
    if (!object)
        return Error::make(ErrorKind::Parse, "JSONAdapter: the completion holds no JSON object: \""
                                                 + valueparse::excerpt(completion) + "\"");

    std::vector<std::string> missing;
    Fields out;
    std::optional<Error> firstError;
    for (const auto &f : signature.outputs) {
        const Json *v = findKey(*object, f.name);
        if (!v || v->is_null() || (v->is_string() && pytext::strip(v->get_ref<const std::string &>()).empty())) {
            missing.push_back(f.name);
            continue;
        }
        auto converted = valueparse::fromJson(f.type, *v);
        if (!converted) {
            if (!firstError)
                firstError = Error::make(ErrorKind::Parse, "JSONAdapter: output field `" + f.name + "` ("
                                                               + pytext::annotationName(f.type)
                                                               + "): " + converted.error().message);
            continue;
        }
        out.set(f.name, std::move(*converted));
    }
    if (!missing.empty()) {
        std::string names;
        for (std::size_t i = 0; i < missing.size(); ++i)
            names += (i ? ", `" : "`") + missing[i] + "`";
        return Error::make(ErrorKind::Parse, "JSONAdapter: output field" + std::string(missing.size() == 1 ? " " : "s ")
                                                 + names + (missing.size() == 1 ? " is" : " are")
                                                 + " missing or empty in the JSON object: \""
                                                 + valueparse::excerpt(completion) + "\"");
    }
    if (firstError)
        return *firstError;
    return out;
}

} // namespace prism
