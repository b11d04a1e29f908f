#include "sim/sim_prompt.h"

#include "sim/sim_text.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace prism::sim {

namespace {

constexpr std::string_view kNotSupplied = "Not supplied for this particular example.";

Error badRequest(const std::string &what)
{
    return Error::make(ErrorKind::InvalidRequest, "SimLm cannot read the prompt: " + what);
}

// Python's json.dumps layout (", " and ": " separators), as DSPy writes list values.
std::string pythonJsonDump(const nlohmann::json &value)
{
    if (value.is_array()) {
        std::string out = "[";
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (i)
                out += ", ";
            out += pythonJsonDump(value[i]);
        }
        return out + "]";
    }
    if (value.is_object()) {
        std::string out = "{";
        bool first = true;
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (!first)
                out += ", ";
            first = false;
            out += nlohmann::json(it.key()).dump() + ": " + pythonJsonDump(it.value());
        }
        return out + "}";
    }
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string jsonValueText(const nlohmann::json &value)
{
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_boolean())
        return value.get<bool>() ? "True" : "False";
    return pythonJsonDump(value);
}

void addValue(Record &record, const std::string &name, const std::string &value)
{
    if (trimmed(value) == kNotSupplied)
        return;
    record.set(name, value);
}

// The "# note: the value you produce ..." placeholder note of a field, if any.
std::string placeholderNote(std::string_view system, const std::string &name)
{
    const std::string placeholder = "{" + name + "}";
    std::size_t pos = 0;
    while ((pos = system.find(placeholder, pos)) != std::string_view::npos) {
        const std::size_t eol = std::min(system.find('\n', pos), system.size());
        const std::string_view line = system.substr(pos, eol - pos);
        const std::size_t note = line.find("# note: the value you produce ");
        if (note != std::string_view::npos)
            return std::string(line.substr(note));
        pos = eol;
    }
    return {};
}

void applyNote(PromptField &field, const std::string &note)
{
    const std::size_t at = note.find("one of: ");
    if (field.kind != FieldKind::Other || at == std::string::npos)
        return;
    std::string rest = trimmed(note.substr(at + 8));
    if (endsWith(rest, "\","))
        rest.pop_back();
    if (endsWith(rest, "\""))
        rest.pop_back(); // the closing quote of the JSONAdapter placeholder
    std::vector<std::string> options = splitOn(rest, "; ");
    std::erase_if(options, [](const std::string &o) { return o.empty(); });
    if (!options.empty()) {
        field.kind = FieldKind::Enum;
        field.options = std::move(options);
    }
}

struct FieldLists {
    std::vector<PromptField> inputs;
    std::vector<PromptField> outputs;
    bool sawOutputs = false;
};

FieldLists readFieldLists(std::string_view system)
{
    FieldLists lists;
    std::vector<PromptField> *target = nullptr;
    for (const std::string &line : splitLines(system)) {
        const std::string t = trimmed(line);
        if (startsWith(t, "Your input fields are:")) {
            target = &lists.inputs;
            continue;
        }
        if (startsWith(t, "Your output fields are:")) {
            target = &lists.outputs;
            lists.sawOutputs = true;
            continue;
        }
        if (startsWith(t, "All interactions will be structured") || startsWith(t, "[[ ##")) {
            target = nullptr;
            continue;
        }
        if (!target)
            continue;
        PromptField field;
        if (parseFieldLine(line, field))
            target->push_back(std::move(field));
        else if (!target->empty())
            target->back().description = trimmed(target->back().description + "\n" + line);
    }
    for (PromptField &field : lists.outputs)
        applyNote(field, placeholderNote(system, field.name));
    return lists;
}

std::string readInstruction(std::string_view system)
{
    const std::string lower = toLowerAscii(system);
    const std::string marker = "your objective is:";
    const std::size_t at = lower.rfind(marker);
    if (at == std::string::npos)
        return {};
    return dedent(system.substr(at + marker.size()));
}

// Demo outputs: a JSON object in JSONAdapter requests, sections otherwise;
// either form is accepted in both modes.
void readAssistantTurn(std::string_view text, Record &record)
{
    const std::string t = trimmed(text);
    if (!t.empty() && t.front() == '{') {
        try {
            const nlohmann::json j = nlohmann::json::parse(t);
            if (j.is_object()) {
                for (auto it = j.begin(); it != j.end(); ++it)
                    if (!it.value().is_null())
                        addValue(record, it.key(), jsonValueText(it.value()));
                return;
            }
        } catch (const nlohmann::json::exception &) {
            // fall through to sections
        }
    }
    for (const auto &[name, value] : readSections(text))
        addValue(record, name, value);
}

} // namespace

void parseTypeText(std::string_view typeText, PromptField &field)
{
    std::string t = trimmed(typeText);
    field.typeText = t;
    field.options.clear();
    if (startsWith(t, "Optional[") && endsWith(t, "]"))
        t = trimmed(t.substr(9, t.size() - 10));
    if (endsWith(t, "| None"))
        t = trimmed(t.substr(0, t.size() - 6));
    if (t == "str") {
        field.kind = FieldKind::String;
    } else if (t == "int") {
        field.kind = FieldKind::Int;
    } else if (t == "float") {
        field.kind = FieldKind::Float;
    } else if (t == "bool") {
        field.kind = FieldKind::Bool;
    } else if (startsWith(t, "Literal[") && endsWith(t, "]")) {
        std::size_t pos = 7;
        Literal lit;
        field.kind = FieldKind::Other;
        if (parseLiteral(t, pos, lit) && lit.kind == Literal::Kind::List) {
            for (const Literal &item : lit.items)
                field.options.push_back(item.plainText());
            field.kind = FieldKind::Enum;
        }
    } else if ((startsWith(t, "list[") || startsWith(t, "List[")) && endsWith(t, "]")) {
        PromptField element;
        parseTypeText(t.substr(5, t.size() - 6), element);
        field.kind = element.kind == FieldKind::Enum ? FieldKind::ListEnum : FieldKind::List;
        field.options = element.options;
    } else {
        field.kind = FieldKind::Other;
    }
}

bool parseFieldLine(std::string_view line, PromptField &field)
{
    std::size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
        ++i;
    const std::size_t digits = i;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9')
        ++i;
    if (i == digits || line.substr(i, 3) != ". `")
        return false;
    i += 3;
    const std::size_t nameEnd = line.find('`', i);
    if (nameEnd == std::string_view::npos || line.substr(nameEnd, 3) != "` (")
        return false;
    field = PromptField();
    field.name = std::string(line.substr(i, nameEnd - i));
    i = nameEnd + 3;
    const std::size_t typeBegin = i;
    int depth = 0;
    char quote = 0;
    for (; i < line.size(); ++i) {
        const char c = line[i];
        if (quote) {
            if (c == '\\')
                ++i;
            else if (c == quote)
                quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '[' || c == '(') {
            ++depth;
        } else if (c == ']' || c == ')') {
            if (depth == 0)
                break;
            --depth;
        }
    }
    if (i >= line.size() || line.substr(i, 2) != "):")
        return false;
    parseTypeText(line.substr(typeBegin, i - typeBegin), field);
    field.description = trimmed(line.substr(i + 2));
    return true;
}

const std::string *Record::find(std::string_view name) const
{
    for (const auto &[key, value] : m_items)
        if (key == name)
            return &value;
    return nullptr;
}

void Record::set(std::string name, std::string value)
{
    for (auto &[key, old] : m_items) {
        if (key == name) {
            old = std::move(value);
            return;
        }
    }
    m_items.emplace_back(std::move(name), std::move(value));
}

const PromptField *Prompt::findOutput(std::string_view name) const
{
    for (const PromptField &f : outputs)
        if (f.name == name)
            return &f;
    return nullptr;
}

std::string Prompt::inputText(const Record &record) const
{
    std::vector<std::string> parts;
    for (const PromptField &f : inputs)
        if (const std::string *v = record.find(f.name))
            parts.push_back(*v);
    return joinStrings(parts, "\n");
}

std::vector<std::pair<std::string, std::string>> readSections(std::string_view text)
{
    std::vector<std::pair<std::string, std::string>> sections;
    std::vector<std::string> seen;
    std::string name;
    std::string body;
    bool open = false;
    auto close = [&] {
        if (open && std::find(seen.begin(), seen.end(), name) == seen.end()) {
            seen.push_back(name);
            sections.emplace_back(name, trimmed(body));
        }
        body.clear();
    };
    for (const std::string &line : splitLines(text)) {
        const std::string t = trimmed(line);
        if (startsWith(t, "[[ ## ")) {
            const std::size_t end = t.find(" ## ]]", 6);
            if (end != std::string::npos) {
                close();
                name = t.substr(6, end - 6);
                open = true;
                body = t.substr(end + 6);
                continue;
            }
        }
        if (open)
            body += "\n" + line;
    }
    close();
    std::erase_if(sections, [](const auto &s) { return s.first == "completed"; });
    return sections;
}

Result<Prompt> readPrompt(const std::vector<ChatMessage> &messages, ResponseFormat format)
{
    if (messages.empty())
        return badRequest("the request has no messages");
    std::size_t systemIndex = messages.size();
    for (std::size_t i = 0; i < messages.size() && systemIndex == messages.size(); ++i)
        if (messages[i].role == "system")
            systemIndex = i;
    for (std::size_t i = 0; i < messages.size() && systemIndex == messages.size(); ++i)
        if (messages[i].content.find("Your output fields are:") != std::string::npos)
            systemIndex = i;
    if (systemIndex == messages.size())
        return badRequest(
            "no system message (expected DSPy's \"Your input fields are: ... Your output fields are:\" preamble)");
    const std::string &system = messages[systemIndex].content;

    Prompt prompt;
    FieldLists lists = readFieldLists(system);
    if (!lists.sawOutputs)
        return badRequest("the system message has no \"Your output fields are:\" list");
    if (lists.outputs.empty())
        return badRequest("the system message lists no output fields (expected lines like \"1. `answer` (str): ...\")");
    prompt.inputs = std::move(lists.inputs);
    prompt.outputs = std::move(lists.outputs);
    prompt.instruction = readInstruction(system);

    std::size_t lastUser = messages.size();
    for (std::size_t i = messages.size(); i-- > systemIndex + 1;) {
        if (messages[i].role == "user") {
            lastUser = i;
            break;
        }
    }
    if (lastUser == messages.size())
        return badRequest("no user message after the system message");

    for (std::size_t i = systemIndex + 1; i + 1 < lastUser; ++i) {
        if (messages[i].role != "user" || messages[i + 1].role != "assistant")
            continue;
        Record demo;
        for (const auto &[name, value] : readSections(messages[i].content))
            addValue(demo, name, value);
        readAssistantTurn(messages[i + 1].content, demo);
        if (!demo.empty())
            prompt.demos.push_back(std::move(demo));
        ++i;
    }

    std::string last = messages[lastUser].content;
    const std::size_t respond = last.rfind("\n\nRespond with ");
    if (respond != std::string::npos)
        last.erase(respond);
    for (const auto &[name, value] : readSections(last))
        addValue(prompt.current, name, value);

    prompt.jsonMode = format != ResponseFormat::Text
                      || system.find("Outputs will be a JSON object") != std::string::npos
                      || messages[lastUser].content.find("Respond with a JSON object") != std::string::npos;
    return prompt;
}

} // namespace prism::sim
