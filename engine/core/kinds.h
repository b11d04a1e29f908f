#pragma once

// Small closed sets the engine branches on. Their names are the words of the
// study file, the CLI and the stores; only those boundaries convert.

#include <optional>
#include <string_view>

namespace prism {

// Who serves a model: the built-in simulator or an HTTP API.
enum class Provider { SimLm, OpenAi, Anthropic };

const char *providerName(Provider provider);                     // "simlm" | "openai" | "anthropic"
std::optional<Provider> providerFromName(std::string_view name); // exact names only
inline bool isHttpProvider(Provider provider)
{
    return provider != Provider::SimLm;
}

// How a predictor's prompt is written and its answer parsed.
enum class AdapterKind { Chat, Json };

const char *adapterKindName(AdapterKind kind); // "chat" | "json"
// "chat" or "json"; with lenient, also DSPy's class names in any case
// ("ChatAdapter", "jsonadapter").
std::optional<AdapterKind> adapterKindFromName(std::string_view name, bool lenient = false);

} // namespace prism
