#pragma once

// SimLm's reader of dataset examples as proposer prompts show them: DSPy's
// repr of Examples, JSON (array or lines) and "Prefix: value" blocks
// (docs/SIMLM.md, "Proposer skills"). Shared by the observations and the
// proposed-instruction skills.

#include "sim/sim_text.h"

#include <string>
#include <string_view>
#include <vector>

namespace prism::sim {

// One example: field name -> literal value, in the order the text gave them.
struct DataRow {
    std::vector<std::string> keys;
    std::vector<Literal> values;
    std::vector<std::string> inputKeys;
    bool knowsInputs = false;

    const Literal *get(std::string_view name) const
    {
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == name)
                return &values[i];
        return nullptr;
    }
    void add(std::string key, Literal value)
    {
        if (key == "augmented")
            return;
        keys.push_back(std::move(key));
        values.push_back(std::move(value));
    }
};

bool isNumericText(const std::string &text);
// The label items of a value: list items, or the value itself; none when null.
std::vector<std::string> itemsOf(const Literal &value);
bool isListValue(const Literal &value);
// "Prefix: value" lines (DSPy's task_demos and create_example_string), one
// block per example. A prefix maps to a known field by its normalized name.
std::vector<DataRow> parsePrefixBlocks(std::string_view text, const std::vector<std::string> &knownFields);
// DSPy's repr of Examples, else JSON, else "Prefix: value" blocks.
std::vector<DataRow> readExamples(std::string_view text);
// The row's values of the input fields, joined by newlines.
std::string rowInputText(const DataRow &row, const std::vector<std::string> &inputs);

} // namespace prism::sim
