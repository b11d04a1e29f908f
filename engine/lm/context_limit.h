#pragma once

// How long a prompt each model takes (ModelConfig::maxPromptTokens): the
// study's max_prompt_tokens when set, else a default by model family. ManagedLm
// refuses a longer prompt before it is sent, so it is never billed.
#include "core/study.h"

#include <string>

namespace prism {

// An HTTP model Prism does not know (a local Ollama or vLLM model, a new
// name): generous, so a real model is never refused by a guess; its server
// still answers context_window_exceeded for what does not fit.
inline constexpr int kUnknownModelMaxPromptTokens = 1'048'576;
// SimLm (sim-*), in process or served: see context_limit.cpp for why.
inline constexpr int kSimMaxPromptTokens = 32'768;

// The context window of the model's family in tokens, by name (a provider
// prefix such as "openai/" is ignored; case does not matter): gpt-4.1 1047576,
// gpt-4o and gpt-4-turbo 128000, gpt-4 8192, gpt-4-32k 32768, gpt-3.5-turbo
// 16385, gpt-5 400000, o1/o3/o4 200000 (o1-mini, o1-preview 128000), claude-*
// 200000, sim-* (and every SimLm model) kSimMaxPromptTokens, anything else
// kUnknownModelMaxPromptTokens.
int defaultMaxPromptTokens(Provider provider, const std::string &model);

// config.maxPromptTokens when set, else defaultMaxPromptTokens.
int effectiveMaxPromptTokens(const ModelConfig &config);

} // namespace prism
