#include "core/kinds.h"

#include "core/text.h"

#include <string>

namespace prism {

const char *providerName(Provider provider)
{
    switch (provider) {
    case Provider::SimLm: return "simlm";
    case Provider::OpenAi: return "openai";
    case Provider::Anthropic: return "anthropic";
    }
    return "simlm";
}

std::optional<Provider> providerFromName(std::string_view name)
{
    for (Provider p : {Provider::SimLm, Provider::OpenAi, Provider::Anthropic})
        if (name == providerName(p))
            return p;
    return std::nullopt;
}

const char *adapterKindName(AdapterKind kind)
{
    return kind == AdapterKind::Json ? "json" : "chat";
}

std::optional<AdapterKind> adapterKindFromName(std::string_view name, bool lenient)
{
    const std::string key = lenient ? toLowerAscii(name) : std::string(name);
    if (key == "chat" || (lenient && key == "chatadapter"))
        return AdapterKind::Chat;
    if (key == "json" || (lenient && key == "jsonadapter"))
        return AdapterKind::Json;
    return std::nullopt;
}

} // namespace prism
