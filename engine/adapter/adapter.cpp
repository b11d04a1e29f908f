#include "adapter/adapter.h"

#include "adapter/chat_adapter.h"
#include "adapter/json_adapter.h"

namespace prism {

std::unique_ptr<Adapter> makeAdapter(AdapterKind kind)
{
    if (kind == AdapterKind::Json)
        return std::make_unique<JsonAdapter>();
    return std::make_unique<ChatAdapter>();
}

std::unique_ptr<Adapter> makeAdapter(const std::string &name)
{
    const auto kind = adapterKindFromName(name, true);
    return kind ? makeAdapter(*kind) : nullptr;
}

} // namespace prism
