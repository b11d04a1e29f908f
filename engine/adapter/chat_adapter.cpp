#include "adapter/chat_adapter.h"

#include "adapter/pytext.h"
#include "adapter/value_parse.h"

#include <cctype>
#include <optional>

namespace prism {

namespace {

const char *const kStructureIntro =
    "All interactions will be structured in the following way, with the appropriate values filled in.";

bool isWordByte(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || u >= 0x80;
}

// "[[ ## name ## ]]" at the start of a stripped line. DSPy wants exactly one
// space around each "##"; Prism accepts any spacing. `end` is where the
// marker ends in `line`.
std::optional<std::string> headerAt(const std::string &line, std::size_t &end)
{
    std::size_t i = 0;
    auto skipSpaces = [&]() {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
    };
    auto expect = [&](std::string_view token) {
        if (line.compare(i, token.size(), token) != 0)
            return false;
        i += token.size();
        return true;
    };
    if (!expect("[["))
        return std::nullopt;
    skipSpaces();
    if (!expect("##"))
        return std::nullopt;
    skipSpaces();
    const std::size_t nameStart = i;
    while (i < line.size() && isWordByte(line[i]))
        ++i;
    if (i == nameStart)
        return std::nullopt;
    std::string name = line.substr(nameStart, i - nameStart);
    skipSpaces();
    if (!expect("##"))
        return std::nullopt;
    skipSpaces();
    if (!expect("]]"))
        return std::nullopt;
    end = i;
    return name;
}

std::string fieldList(const std::vector<std::string> &names)
{
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i)
            out += ", ";
        out += "`" + names[i] + "`";
    }
    return out;
}

} // namespace

std::string ChatAdapter::fieldStructure(const Signature &signature) const
{
    const std::vector<std::string> parts{kStructureIntro, placeholderBlocks(signature.inputs, true),
                                         placeholderBlocks(signature.outputs, false), "[[ ## completed ## ]]\n"};
    return pytext::strip(pytext::join(parts, "\n\n"));
}

std::string ChatAdapter::assistantContent(const Signature &signature, const Fields &values,
                                          const std::string &missing) const
{
    Fields shown;
    for (const auto &f : signature.outputs) {
        const Value *v = values.find(f.name);
        shown.set(f.name, v ? *v : Value(missing));
    }
    return fieldBlocks(signature.outputs, shown) + "\n\n[[ ## completed ## ]]\n";
}

std::string ChatAdapter::outputRequirements(const Signature &signature) const
{
    std::vector<std::string> fields;
    for (const auto &f : signature.outputs) {
        std::string item = "`[[ ## " + f.name + " ## ]]`";
        if (f.type.kind() != TypeKind::String)
            item += " (must be formatted as a valid Python " + pytext::annotationName(f.type) + ")";
        fields.push_back(std::move(item));
    }
    return "Respond with the corresponding output fields, starting with the field " + pytext::join(fields, ", then ")
           + ", and then ending with the marker for `[[ ## completed ## ]]`.";
}

Result<Fields> ChatAdapter::parse(const Signature &signature, const std::string &completion) const
{
    if (pytext::strip(completion).empty())
        return Error::make(ErrorKind::Parse, "ChatAdapter: the LM returned an empty completion");

    // Sections open at lines whose stripped text starts with a marker; text
    // after the marker on that line belongs to the section. Text before the
    // first marker is ignored.
    struct Section {
        std::optional<std::string> name;
        std::vector<std::string> lines;
    };
    std::vector<Section> sections(1);
    for (const auto &line : pytext::splitLines(completion)) {
        const std::string stripped = pytext::strip(line);
        std::size_t end = 0;
        if (auto name = headerAt(stripped, end)) {
            Section s;
            s.name = std::move(name);
            const std::string rest = pytext::strip(std::string_view(stripped).substr(end));
            if (!rest.empty())
                s.lines.push_back(rest);
            sections.push_back(std::move(s));
        } else {
            sections.back().lines.push_back(line);
        }
    }

    std::vector<std::optional<std::string>> texts(signature.outputs.size());
    for (const auto &s : sections) {
        if (!s.name)
            continue;
        for (std::size_t i = 0; i < signature.outputs.size(); ++i) {
            if (signature.outputs[i].name == *s.name && !texts[i]) // first occurrence wins
                texts[i] = pytext::strip(pytext::join(s.lines, "\n"));
        }
    }

    std::vector<std::string> missing;
    for (std::size_t i = 0; i < texts.size(); ++i)
        if (!texts[i] || texts[i]->empty())
            missing.push_back(signature.outputs[i].name);
    if (!missing.empty()) {
        std::string message = "ChatAdapter: " + std::string(missing.size() == 1 ? "output field " : "output fields ")
                              + fieldList(missing) + (missing.size() == 1 ? " is" : " are")
                              + " missing or empty (expected a [[ ## " + missing.front()
                              + " ## ]] section); the completion reads: \"" + valueparse::excerpt(completion) + "\"";
        return Error::make(ErrorKind::Parse, std::move(message));
    }

    Fields out;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const Field &f = signature.outputs[i];
        auto v = valueparse::fromText(f.type, *texts[i]);
        if (!v)
            return Error::make(ErrorKind::Parse, "ChatAdapter: output field `" + f.name + "` ("
                                                     + pytext::annotationName(f.type) + "): " + v.error().message);
        out.set(f.name, std::move(*v));
    }
    return out;
}

} // namespace prism
