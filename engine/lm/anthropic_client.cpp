#include "lm/anthropic_client.h"

#include "lm/http.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

namespace prism {

namespace {

using nlohmann::json;
using OJson = nlohmann::ordered_json;

Error malformedAnthropic(const ProviderContext &ctx, int status, const std::string &what)
{
    Error e = Error::make(ErrorKind::Server, "the server at " + ctx.url + " sent a malformed response (" + what
                                                 + "): retry; if it persists, check that the base URL points at "
                                                   "Anthropic's Messages API");
    e.httpStatus = status;
    return e;
}

std::optional<long long> count(const json &usage, const char *key)
{
    auto it = usage.find(key);
    if (it == usage.end() || !it->is_number_integer())
        return std::nullopt;
    const long long v = it->get<long long>();
    return v < 0 ? std::nullopt : std::optional<long long>(v);
}

} // namespace

Result<std::string> buildAnthropicRequestBody(const ChatRequest &request, const std::string &model, int maxTokens)
{
    OJson body = OJson::object();
    body["model"] = model;
    body["max_tokens"] = maxTokens;
    std::string system;
    OJson messages = OJson::array();
    for (const auto &m : request.messages) {
        if (m.role == "system") {
            if (!system.empty())
                system += "\n\n";
            system += m.content;
        } else if (m.role == "user" || m.role == "assistant") {
            messages.push_back(OJson{{"role", m.role}, {"content", m.content}});
        } else {
            return Error::make(ErrorKind::Internal, "chat message with role '" + m.role
                                                        + "' cannot be sent to Anthropic: this is a bug in the caller");
        }
    }
    if (!system.empty())
        body["system"] = system;
    body["messages"] = std::move(messages);
    body["temperature"] = std::clamp(request.temperature, 0.0, 1.0);
    return body.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

static Result<ChatResponse> parseAnthropicResponseUnchecked(int status, const std::string &body,
                                                            const HttpHeaders &headers, const ProviderContext &ctx)
{
    const std::time_t now = std::time(nullptr);
    if (status < 200 || status >= 300)
        return classifyHttpError(ctx, status, extractServerError(body), headers, now);
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded())
        return malformedAnthropic(ctx, status, body.empty() ? "empty body" : "not valid JSON");
    if (!j.is_object())
        return malformedAnthropic(ctx, status, "not a JSON object");
    if (j.value("type", std::string()) == "error" || (j.contains("error") && !j.contains("content")))
        return classifyHttpError(ctx, 500, extractServerError(body), headers, now);
    if (!j.contains("content") || !j["content"].is_array())
        return malformedAnthropic(ctx, status, "no \"content\" list");

    ChatResponse response;
    std::string text;
    for (const auto &block : j["content"]) {
        if (block.is_object() && block.value("type", std::string()) == "text" && block.contains("text")
            && block["text"].is_string())
            text += block["text"].get<std::string>();
    }
    if (j.contains("id") && j["id"].is_string())
        response.requestId = j["id"].get<std::string>();
    if (response.requestId.empty()) {
        auto it = headers.find("request-id");
        if (it != headers.end())
            response.requestId = it->second;
    }
    response.model = j.contains("model") && j["model"].is_string() ? j["model"].get<std::string>() : ctx.model;

    if (text.empty()) {
        const bool hitLimit = j.contains("stop_reason") && j["stop_reason"] == "max_tokens";
        Error e = hitLimit
                      ? Error::make(ErrorKind::InvalidRequest,
                                    "model '" + ctx.model + "' used all "
                                        + (ctx.maxTokens > 0 ? std::to_string(ctx.maxTokens) + " " : std::string())
                                        + "max tokens before answering: raise max_tokens for this model")
                      : Error::make(ErrorKind::Server, "the server at " + ctx.url
                                                           + " sent an empty completion: retry; if it persists, check "
                                                             "the model");
        e.httpStatus = status;
        e.requestId = response.requestId;
        return e;
    }
    response.choices.push_back(std::move(text));

    if (j.contains("usage") && j["usage"].is_object()) {
        const json &u = j["usage"];
        auto input = count(u, "input_tokens");
        // input_tokens excludes cached prompt tokens; the prompt is all of them.
        if (input) {
            *input += count(u, "cache_creation_input_tokens").value_or(0);
            *input += count(u, "cache_read_input_tokens").value_or(0);
        }
        response.usage.promptTokens = input;
        response.usage.completionTokens = count(u, "output_tokens");
    }
    response.usage.calls = 1;
    return response;
}

// Never throws: a body of an unexpected shape is an error value.
Result<ChatResponse> parseAnthropicResponse(int status, const std::string &body, const HttpHeaders &headers,
                                            const ProviderContext &ctx)
{
    try {
        return parseAnthropicResponseUnchecked(status, body, headers, ctx);
    } catch (const std::exception &e) {
        return malformedAnthropic(ctx, status, std::string("unexpected shape: ") + e.what());
    }
}

AnthropicClient::AnthropicClient(ModelConfig config) : m_config(std::move(config))
{
    m_baseUrl = baseUrlOr(m_config.baseUrl, kAnthropicBaseUrl);
    // Anthropic's own endpoint always needs a key; use the conventional variable when none is named.
    if (m_config.apiKeyEnv.empty() && m_config.baseUrl.empty())
        m_config.apiKeyEnv = "ANTHROPIC_API_KEY";
}

std::string AnthropicClient::describe() const
{
    return "anthropic/" + m_config.model + " @ " + displayUrl(m_baseUrl);
}

Result<ChatResponse> AnthropicClient::complete(const ChatRequest &request)
{
    auto key = readApiKey(m_config.apiKeyEnv);
    if (!key)
        return key.error();
    if (request.n <= 1)
        return completeOnce(request, *key);
    ChatResponse merged;
    for (int i = 0; i < request.n; ++i) {
        auto one = completeOnce(request, *key);
        if (!one)
            return one.error();
        if (i == 0) {
            merged = *one;
            continue;
        }
        merged.choices.push_back(one->text());
        merged.usage.add(one->usage);
        merged.latencyMs += one->latencyMs;
    }
    return merged;
}

Result<ChatResponse> AnthropicClient::completeOnce(const ChatRequest &request, const std::string &key)
{
    const std::string url = m_baseUrl + "/messages";
    ProviderContext ctx{Provider::Anthropic, m_config.model, displayUrl(url), m_config.apiKeyEnv,
                        effectiveMaxTokens(request, m_config.maxTokens)};
    auto body = buildAnthropicRequestBody(request, m_config.model, ctx.maxTokens);
    if (!body)
        return body.error();

    std::vector<std::pair<std::string, std::string>> auth{{"anthropic-version", "2023-06-01"}};
    if (!key.empty())
        auth.emplace_back("x-api-key", key);
    auto sent = httpSend(providerRequest("POST", url, m_config, m_cancel, auth, std::move(*body)));
    if (!sent)
        return withoutSecret(sent.error(), key);
    auto parsed = parseAnthropicResponse(sent->status, sent->body, sent->headers, ctx);
    if (!parsed)
        return withoutSecret(parsed.error(), key);
    parsed->latencyMs = sent->elapsedMs;
    return parsed;
}

} // namespace prism
