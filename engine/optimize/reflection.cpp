#include "optimize/reflection.h"

#include "core/text.h"

#include <spdlog/fmt/fmt.h>

namespace prism {

namespace {

// A value as a reader of the records sees it: list items one per line.
std::string recordValue(const Value &value)
{
    if (!value.isList())
        return value.isString() ? value.asString() : value.toText();
    std::string out;
    for (const Value &item : value.asList())
        out += (out.empty() ? "" : "\n") + recordValue(item);
    return out;
}

void renderFields(std::string &out, const Fields &fields)
{
    for (const auto &[name, value] : fields.items())
        out += "### " + name + "\n" + recordValue(value) + "\n\n";
}

} // namespace

Signature reflectionSignature()
{
    Signature s;
    s.instruction =
        "You improve the instruction of one step of a language-model program. You are given the instruction the "
        "step followed and examples of its work: the inputs it saw, the outputs it generated and feedback on each "
        "output. Work out what the failing examples have in common and what the instruction does not tell the "
        "step. Write a new instruction that keeps what already works and adds the specific facts, cues and rules "
        "the feedback reveals, stated generally enough to hold for inputs beyond these examples. Answer with the "
        "complete new instruction only.";
    s.inputs = {stringField("current_instruction", "The instruction the step followed"),
                stringField("examples_with_feedback", "Examples of the step's work with feedback on each output")};
    s.outputs = {stringField("new_instruction", "The complete improved instruction")};
    return s;
}

std::string renderReflectionRecords(const std::vector<ReflectionRecord> &records)
{
    std::string out;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const ReflectionRecord &r = records[i];
        out += fmt::format("# Example {}\n## Inputs\n", i + 1);
        renderFields(out, r.inputs);
        out += "## Generated Outputs\n";
        if (r.outputs.empty())
            out += "(no output could be read)\n\n";
        else
            renderFields(out, r.outputs);
        out += "## Feedback\n" + r.feedback + "\n\n\n\n";
    }
    return std::string(trimmed(out));
}

std::string instructionFromAnswer(std::string_view answer)
{
    const std::string text(trimmed(answer));
    const std::size_t first = text.find("```");
    if (first == std::string::npos)
        return text;
    const std::size_t last = text.rfind("```");
    std::string inner;
    if (last == first) {
        inner = text.substr(first + 3); // an unclosed block loses its opening fence
    } else {
        inner = text.substr(first + 3, last - first - 3);
    }
    // A language tag on the opening line ("```text").
    const std::size_t newline = inner.find('\n');
    if (newline != std::string::npos && inner.find_first_of(" \t") > newline
        && !trimmed(std::string_view(inner).substr(0, newline)).empty())
        inner = inner.substr(newline + 1);
    return std::string(trimmed(inner));
}

std::string defaultFeedback(std::optional<double> score)
{
    if (!score)
        return "This trajectory failed with an error.";
    // Python's float repr, as DSPy writes it: 0.0, 1.0, 0.5.
    const bool whole = *score == static_cast<double>(static_cast<long long>(*score));
    return whole ? fmt::format("This trajectory got a score of {:.1f}.", *score)
                 : fmt::format("This trajectory got a score of {}.", *score);
}

} // namespace prism
