#include "adapter/adapter.h"

#include "adapter/chat_adapter.h"
#include "adapter/json_adapter.h"
#include "core/text.h"

#include <cctype>

namespace prism {

std::unique_ptr<Adapter> makeAdapter(const std::string &name)
{
    const std::string key = toLowerAscii(name);
    if (key == "chat" || key == "chatadapter")
        return std::make_unique<ChatAdapter>();
    if (key == "json" || key == "jsonadapter")
        return std::make_unique<JsonAdapter>();
    return nullptr;
}

} // namespace prism
