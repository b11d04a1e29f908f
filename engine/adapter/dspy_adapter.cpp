#include "adapter/dspy_adapter.h"

#include "adapter/pytext.h"

namespace prism {

namespace {

const char *const kIncompleteDemoPrefix =
    "This is an example of the task, though some input or output fields are not supplied.";
const char *const kMissingInIncompleteDemo = "Not supplied for this particular example. ";
const char *const kMissingInCompleteDemo = "Not supplied for this conversation history message. ";

bool hasAny(const std::vector<Field> &fields, const Fields &values)
{
    for (const auto &f : fields)
        if (values.contains(f.name))
            return true;
    return false;
}

bool hasAllNonNull(const std::vector<Field> &fields, const Fields &values)
{
    for (const auto &f : fields) {
        const Value *v = values.find(f.name);
        if (!v || v->isNull())
            return false;
    }
    return true;
}

} // namespace

std::vector<ChatMessage> DspyAdapter::format(const Signature &signature, const std::vector<Demo> &demos,
                                             const Fields &inputs) const
{
    std::vector<ChatMessage> messages;
    messages.push_back({"system", systemMessage(signature)});

    // DSPy's format_demos: incomplete demos (a field missing or None, but at
    // least one input and one output) come first; demos without both are dropped.
    std::vector<const Demo *> complete, incomplete;
    for (const auto &demo : demos) {
        if (hasAllNonNull(signature.inputs, demo.values) && hasAllNonNull(signature.outputs, demo.values))
            complete.push_back(&demo);
        else if (hasAny(signature.inputs, demo.values) && hasAny(signature.outputs, demo.values))
            incomplete.push_back(&demo);
    }
    for (const Demo *demo : incomplete) {
        messages.push_back({"user", userContent(signature, demo->values, kIncompleteDemoPrefix, false)});
        messages.push_back({"assistant", assistantContent(signature, demo->values, kMissingInIncompleteDemo)});
    }
    for (const Demo *demo : complete) {
        messages.push_back({"user", userContent(signature, demo->values, "", false)});
        messages.push_back({"assistant", assistantContent(signature, demo->values, kMissingInCompleteDemo)});
    }

    std::string request = userContent(signature, inputs, "", true);
    if (!request.empty())
        messages.push_back({"user", std::move(request)});
    return messages;
}

std::string DspyAdapter::systemMessage(const Signature &signature) const
{
    const std::string description = "Your input fields are:\n" + pytext::fieldDescriptions(signature.inputs)
                                    + "\nYour output fields are:\n" + pytext::fieldDescriptions(signature.outputs);

    const std::string instruction = signature.instruction.empty()
                                        ? Signature::defaultInstruction(signature.inputs, signature.outputs)
                                        : signature.instruction;
    std::string task = "In adhering to this structure, your objective is: ";
    for (const auto &line : pytext::splitLines(pytext::dedent(instruction)))
        task += "\n        " + line;

    return description + "\n" + fieldStructure(signature) + "\n" + task;
}

std::string DspyAdapter::userContent(const Signature &signature, const Fields &values, const std::string &prefix,
                                     bool mainRequest) const
{
    std::vector<std::string> parts{prefix};
    for (const auto &f : signature.inputs)
        if (const Value *v = values.find(f.name))
            parts.push_back("[[ ## " + f.name + " ## ]]\n" + pytext::formatFieldValue(f, *v));
    if (mainRequest)
        parts.push_back(outputRequirements(signature));
    parts.emplace_back(); // DSPy's empty suffix
    return pytext::strip(pytext::join(parts, "\n\n"));
}

std::string DspyAdapter::fieldBlocks(const std::vector<Field> &fields, const Fields &values)
{
    std::vector<std::string> parts;
    for (const auto &f : fields)
        if (const Value *v = values.find(f.name))
            parts.push_back("[[ ## " + f.name + " ## ]]\n" + pytext::formatFieldValue(f, *v));
    return pytext::strip(pytext::join(parts, "\n\n"));
}

std::string DspyAdapter::placeholderBlocks(const std::vector<Field> &fields, bool inputs)
{
    std::vector<std::string> parts;
    for (const auto &f : fields)
        parts.push_back("[[ ## " + f.name + " ## ]]\n" + pytext::fieldPlaceholder(f, inputs));
    return pytext::strip(pytext::join(parts, "\n\n"));
}

} // namespace prism
