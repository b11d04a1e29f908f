#pragma once

#include "adapter/adapter.h"

#include <string>
#include <vector>

namespace prism {

// What the Chat and JSON adapters share: DSPy's Adapter.format() message
// layout (system, demos as user/assistant pairs, the request), the field list
// and the task description of the system message, and the user turns.
class DspyAdapter : public Adapter {
public:
    std::vector<ChatMessage> format(const Signature &signature, const std::vector<Demo> &demos,
                                    const Fields &inputs) const override;

    std::string systemMessage(const Signature &signature) const;

protected:
    // The middle part of the system message: how inputs and outputs are laid out.
    virtual std::string fieldStructure(const Signature &signature) const = 0;
    // A demo's outputs; fields absent from `values` read `missing`.
    virtual std::string assistantContent(const Signature &signature, const Fields &values,
                                         const std::string &missing) const = 0;
    // The last paragraph of the request: which output fields to produce.
    virtual std::string outputRequirements(const Signature &signature) const = 0;

    std::string userContent(const Signature &signature, const Fields &values, const std::string &prefix,
                            bool mainRequest) const;
    // "[[ ## name ## ]]\nvalue" blocks for the fields present in `values`.
    static std::string fieldBlocks(const std::vector<Field> &fields, const Fields &values);
    // The same blocks with "{name}" placeholders, as the system message shows them.
    static std::string placeholderBlocks(const std::vector<Field> &fields, bool inputs);
};

} // namespace prism
