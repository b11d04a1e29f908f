#pragma once

#include "core/study.h"
#include "lm/http.h"
#include "lm/lm.h"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace prism {

using HttpHeaders = std::map<std::string, std::string>; // lowercased names

// What a client knows when it turns an HTTP answer into an Error message.
struct ProviderContext {
    Provider provider = Provider::OpenAi;
    std::string model;
    std::string url;       // the endpoint called, display form (no query, no user info)
    std::string apiKeyEnv; // the NAME of the variable, never its value
    int maxTokens = 0;
};

// The error a server described in its body: OpenAI {"error":{"message","type","code"}},
// Anthropic {"type":"error","error":{"type","message"}}, Ollama {"error":"text"},
// vLLM {"message","type","code"}; otherwise the start of the body text.
struct ServerErrorInfo {
    std::string message;
    std::string type;
    std::string code;
};
ServerErrorInfo extractServerError(const std::string &body);

// Maps a non-2xx answer (or a 2xx carrying an error) to an Error whose
// one-line message says what the user can do. Sets httpStatus, requestId and,
// for rate limits, retryAfterSeconds.
Error classifyHttpError(const ProviderContext &ctx, int status, const ServerErrorInfo &info, const HttpHeaders &headers,
                        std::time_t now);

// Seconds to wait after a 429: retry-after-ms, Retry-After (seconds or HTTP-date),
// x-ratelimit-reset*, anthropic-ratelimit-*-reset, then "try again in 20s" in the message.
std::optional<double> retryAfterFrom(const HttpHeaders &headers, const std::string &message, std::time_t now);

// The base URL a client calls: the configured one without trailing slashes,
// or the provider's public API when none is configured.
inline constexpr const char *kOpenAiBaseUrl = "https://api.openai.com/v1";
inline constexpr const char *kAnthropicBaseUrl = "https://api.anthropic.com/v1";
std::string baseUrlOr(const std::string &configured, const char *providerDefault);

// text with every occurrence of secret replaced by "***" (a secret shorter
// than 4 characters is left alone: it would mangle ordinary words).
std::string redactSecret(std::string text, const std::string &secret);

// A request to a model provider's endpoint, as every client sends it: a POST with a JSON body
// gets the model entry's timeout, a GET (the connection test's model list) at most 30 s; the
// connection itself at most 10 s; the run's cancel flag; JSON content headers; then `auth` (the
// provider's key and version headers); then the study's extra headers.
HttpRequest providerRequest(const std::string &method, const std::string &url, const ModelConfig &config,
                            const std::atomic<bool> *cancel,
                            const std::vector<std::pair<std::string, std::string>> &auth, std::string body = {});
// A failed call's error with the API key taken out of its message.
Error withoutSecret(Error error, const std::string &secret);
// The text of a chat message's content: a string, null (empty), or a list of parts. Lenient
// (a client reading an answer) takes string parts and {"text": ...} parts and skips others;
// strict (a server reading a request) refuses a list with any other part.
std::optional<std::string> chatContentText(const nlohmann::json &content, bool strict);

// The key from the environment variable named envName, read at call time.
// An empty envName means no key (local servers): returns "".
Result<std::string> readApiKey(const std::string &envName);

// The max_tokens sent: the request's, capped by the model entry's when that is set.
int effectiveMaxTokens(const ChatRequest &request, int configMaxTokens);

// The /chat/completions body. `n` is sent only when > 1, `seed` when set, and the
// extra field "rollout" only when sendRollout and the nonce is nonzero. OpenAiClient
// sets sendRollout for loopback base URLs only (127.0.0.1, localhost, ::1), where
// `prism simlm serve` reads it (local servers such as Ollama ignore unknown fields);
// remote providers never see a field they do not document.
Result<std::string> buildOpenAiRequestBody(const ChatRequest &request, const std::string &model, int maxTokens,
                                           bool sendRollout = false);
// Parses a /chat/completions answer: OpenAI's shape, Ollama's OpenAI-compatible
// shape (usage may be missing: unknown, not 0) and Ollama's native /api/chat shape.
// Non-2xx, malformed JSON and empty completions become Errors (see classifyHttpError).
Result<ChatResponse> parseOpenAiResponse(int status, const std::string &body, const HttpHeaders &headers,
                                         const ProviderContext &ctx = {});
// Model ids from /models: {"data":[{"id"}]} (OpenAI) or {"models":[{"name"}]} (Ollama /api/tags).
Result<std::vector<std::string>> parseModelList(int status, const std::string &body, const HttpHeaders &headers,
                                                const ProviderContext &ctx = {});

// OpenAI-compatible chat completions: OpenAI, Ollama, vLLM, llama.cpp server,
// LM Studio, OpenRouter, Groq, `prism simlm serve`. Thread-safe.
class OpenAiClient final : public Lm {
public:
    explicit OpenAiClient(ModelConfig config);

    Result<ChatResponse> complete(const ChatRequest &request) override;
    std::string describe() const override; // "openai/<model> @ <base_url>"

    // GET {base}/models, for the connection test.
    Result<std::vector<std::string>> listModels();
    // In-flight calls abort (Cancelled) when *flag becomes true. Set before use.
    void setCancelFlag(const std::atomic<bool> *flag) { m_cancel = flag; }
    const ModelConfig &config() const { return m_config; }

private:
    ModelConfig m_config;
    std::string m_baseUrl; // without trailing slash
    bool m_sendRollout = false;
    const std::atomic<bool> *m_cancel = nullptr;
};

} // namespace prism
