#pragma once

// SimLm's prompt reader: reads a ChatAdapter or JSONAdapter request as text,
// the way a real LM would, without Prism's adapter code (docs/SIMLM.md).

#include "core/result.h"
#include "lm/lm.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prism::sim {

enum class FieldKind {
    String,
    Int,
    Float,
    Bool,
    Enum,     // Literal[...] or an Enum class with a "must be one of" note
    ListEnum, // list[Literal[...]]
    List,     // any other list
    Other,    // dict, custom types: answered as text
};

struct PromptField {
    std::string name;
    std::string typeText; // as written: "Literal['low', 'high']"
    FieldKind kind = FieldKind::String;
    std::vector<std::string> options; // Enum / ListEnum
    std::string description;
};

// Parses a DSPy type annotation ("str", "Literal['a', 'b']", "list[Literal[...]]",
// "Optional[int]") into kind and options.
void parseTypeText(std::string_view typeText, PromptField &field);
// "1. `name` (type): description" -> field; false for any other line.
bool parseFieldLine(std::string_view line, PromptField &field);

// Field name -> value text, in the order the prompt gave them. A value
// "Not supplied for this particular example." is left out.
class Record {
public:
    const std::string *find(std::string_view name) const;
    void set(std::string name, std::string value);
    const std::vector<std::pair<std::string, std::string>> &items() const { return m_items; }
    bool empty() const { return m_items.empty(); }

private:
    std::vector<std::pair<std::string, std::string>> m_items;
};

struct Prompt {
    std::vector<PromptField> inputs;
    std::vector<PromptField> outputs;
    std::string instruction;   // de-indented text after "your objective is:"
    std::vector<Record> demos; // user/assistant pairs before the last user turn
    Record current;            // the final user turn's input values
    bool jsonMode = false;     // answer with a JSON object

    const PromptField *findOutput(std::string_view name) const;
    bool hasReasoning() const { return findOutput("reasoning") != nullptr; }
    // All input values of a record, in input-field order, joined by newlines.
    std::string inputText(const Record &record) const;
};

// `[[ ## name ## ]]` sections of a message, DSPy's rules: a line whose
// stripped text starts with the marker opens a section; text before the first
// marker is ignored; sections are stripped; the first occurrence wins.
std::vector<std::pair<std::string, std::string>> readSections(std::string_view text);

Result<Prompt> readPrompt(const std::vector<ChatMessage> &messages, ResponseFormat format);

} // namespace prism::sim
