#pragma once

#include "core/example.h"
#include "core/result.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace prism {

struct ChatMessage {
    std::string role; // system | user | assistant
    std::string content;
    bool operator==(const ChatMessage &other) const = default;
};

enum class ResponseFormat {
    Text,
    JsonObject,
    JsonSchema,
};

struct ChatRequest {
    std::vector<ChatMessage> messages;
    double temperature = 0.0;
    int maxTokens = 1024;
    int n = 1;
    std::optional<std::int64_t> seed;
    ResponseFormat responseFormat = ResponseFormat::Text;
    std::string jsonSchema;    // the schema text when responseFormat is JsonSchema
    std::uint64_t rollout = 0; // rollout nonce: tells apart otherwise identical calls
    std::string role = "task"; // ledger role: task | proposer | bootstrap | evaluation | judge
};

struct ChatResponse {
    std::vector<std::string> choices; // n completions; usually one
    TokenUsage usage;
    double latencyMs = 0.0;
    std::string requestId;
    std::string model;
    bool cacheHit = false;

    const std::string &text() const;
};

// One model endpoint. complete() is thread-safe for every implementation.
class Lm {
public:
    virtual ~Lm() = default;
    virtual Result<ChatResponse> complete(const ChatRequest &request) = 0;
    // "simlm/sim-small", "openai/gpt-4o-mini @ http://..." (never a key).
    virtual std::string describe() const = 0;
};

} // namespace prism
