#pragma once

#include "core/kinds.h"
#include "core/program.h"
#include "core/result.h"
#include "core/signature.h"
#include "lm/lm.h"

#include <memory>
#include <string>
#include <vector>

namespace prism {

// Renders a signature, demos and inputs into chat messages, and parses a
// completion back into typed output values. Stateless and thread-safe.
class Adapter {
public:
    virtual ~Adapter() = default;
    virtual AdapterKind kind() const = 0;
    const char *name() const { return adapterKindName(kind()); }
    virtual std::vector<ChatMessage> format(const Signature &signature, const std::vector<Demo> &demos,
                                            const Fields &inputs) const = 0;
    // Every output field must be present and of its type, else a Parse error
    // that names the field and shows what was there.
    virtual Result<Fields> parse(const Signature &signature, const std::string &completion) const = 0;
    virtual ResponseFormat responseFormat() const { return ResponseFormat::Text; }
};

std::unique_ptr<Adapter> makeAdapter(AdapterKind kind);
// "chat" or "json" (also "ChatAdapter", "JSONAdapter", any case); nullptr
// for any other name.
std::unique_ptr<Adapter> makeAdapter(const std::string &name);

} // namespace prism
