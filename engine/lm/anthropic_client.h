#pragma once

#include "core/study.h"
#include "lm/lm.h"
#include "lm/openai_client.h"

#include <atomic>
#include <string>

namespace prism {

// The /messages body: system messages joined into the top-level "system",
// user/assistant turns in "messages", max_tokens (required by the API), and the
// temperature clamped to Anthropic's [0, 1]. No seed or response format: the
// Messages API has neither; the JSON adapter's prompt asks for JSON anyway.
Result<std::string> buildAnthropicRequestBody(const ChatRequest &request, const std::string &model, int maxTokens);
// Parses a /messages answer: text blocks of content[] joined, usage
// input_tokens (+ cache tokens) / output_tokens, id. Errors as classifyHttpError.
Result<ChatResponse> parseAnthropicResponse(int status, const std::string &body, const HttpHeaders &headers,
                                            const ProviderContext &ctx = {});

// Anthropic Messages API. n > 1 makes n calls (the API has no n). Thread-safe.
class AnthropicClient final : public Lm {
public:
    explicit AnthropicClient(ModelConfig config);

    Result<ChatResponse> complete(const ChatRequest &request) override;
    std::string describe() const override; // "anthropic/<model> @ <base_url>"

    void setCancelFlag(const std::atomic<bool> *flag) { m_cancel = flag; }
    const ModelConfig &config() const { return m_config; }

private:
    Result<ChatResponse> completeOnce(const ChatRequest &request, const std::string &key);

    ModelConfig m_config;
    std::string m_baseUrl;
    const std::atomic<bool> *m_cancel = nullptr;
};

} // namespace prism
