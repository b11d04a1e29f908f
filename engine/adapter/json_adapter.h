#pragma once

#include "adapter/dspy_adapter.h"

namespace prism {

// DSPy's JSONAdapter: inputs as "[[ ## name ## ]]" sections, outputs as one
// JSON object. Asks for a JSON object response format.
class JsonAdapter final : public DspyAdapter {
public:
    AdapterKind kind() const override { return AdapterKind::Json; }
    Result<Fields> parse(const Signature &signature, const std::string &completion) const override;
    ResponseFormat responseFormat() const override { return ResponseFormat::JsonObject; }

protected:
    std::string fieldStructure(const Signature &signature) const override;
    std::string assistantContent(const Signature &signature, const Fields &values,
                                 const std::string &missing) const override;
    std::string outputRequirements(const Signature &signature) const override;
};

} // namespace prism
