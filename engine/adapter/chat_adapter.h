#pragma once

#include "adapter/dspy_adapter.h"

namespace prism {

// DSPy's ChatAdapter: fields as "[[ ## name ## ]]" sections.
class ChatAdapter final : public DspyAdapter {
public:
    AdapterKind kind() const override { return AdapterKind::Chat; }
    Result<Fields> parse(const Signature &signature, const std::string &completion) const override;

protected:
    std::string fieldStructure(const Signature &signature) const override;
    std::string assistantContent(const Signature &signature, const Fields &values,
                                 const std::string &missing) const override;
    std::string outputRequirements(const Signature &signature) const override;
};

} // namespace prism
