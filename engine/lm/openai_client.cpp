#include "lm/openai_client.h"

#include "core/text.h"
#include "lm/http.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <regex>

namespace prism {

namespace {

using nlohmann::json;
using OJson = nlohmann::ordered_json;

bool contains(const std::string &haystack, const char *needle)
{
    return haystack.find(needle) != std::string::npos;
}

// Server messages go into one-line errors: no newlines, bounded length.
std::string oneLine(const std::string &text, size_t maxLen = 240)
{
    std::string out;
    out.reserve(std::min(text.size(), maxLen + 3));
    bool space = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) < 0x20) {
            space = !out.empty();
            continue;
        }
        if (space) {
            out += ' ';
            space = false;
        }
        out += c;
        if (out.size() >= maxLen) {
            out += "...";
            break;
        }
    }
    return out;
}

std::string jsonString(const json &j, const char *key)
{
    if (!j.is_object())
        return {};
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return {};
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_number_integer())
        return std::to_string(it->get<long long>());
    return it->dump();
}

std::optional<long long> jsonCount(const json &j, const char *key)
{
    if (!j.is_object())
        return std::nullopt;
    auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return std::nullopt;
    if (it->is_number_float()) {
        const double d = it->get<double>();
        if (!std::isfinite(d) || d < 0)
            return std::nullopt;
        return static_cast<long long>(d);
    }
    const long long v = it->get<long long>();
    if (v < 0)
        return std::nullopt;
    return v;
}

Error malformed(const ProviderContext &ctx, int status, const std::string &what)
{
    Error e = Error::make(ErrorKind::Server, "the server at " + ctx.url + " sent a malformed response (" + what
                                                 + "): retry; if it persists, check that the base URL points at an "
                                                   "OpenAI-compatible API");
    e.httpStatus = status;
    return e;
}

std::string requestIdFrom(const HttpHeaders &headers)
{
    for (const char *name : {"x-request-id", "request-id", "openai-request-id"}) {
        auto it = headers.find(name);
        if (it != headers.end())
            return it->second;
    }
    return {};
}

std::string modelLabel(const ProviderContext &ctx)
{
    return "'" + ctx.model + "'";
}

std::string withServer(const ServerErrorInfo &info)
{
    const std::string msg = oneLine(info.message);
    return msg.empty() ? std::string() : ": " + msg;
}

} // namespace

static ServerErrorInfo extractServerErrorUnchecked(const std::string &body)
{
    ServerErrorInfo info;
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        info.message = oneLine(body, 160);
        return info;
    }
    if (j.contains("error")) {
        const json &e = j["error"];
        if (e.is_string()) {
            info.message = e.get<std::string>();
        } else if (e.is_object()) {
            info.message = jsonString(e, "message");
            info.type = jsonString(e, "type");
            info.code = jsonString(e, "code");
        }
    }
    if (info.message.empty()) {
        info.message = jsonString(j, "message");
        if (info.message.empty())
            info.message = jsonString(j, "detail");
        if (info.type.empty() && jsonString(j, "type") != "error")
            info.type = jsonString(j, "type");
        if (info.code.empty())
            info.code = jsonString(j, "code");
    }
    return info;
}

static std::optional<double> retryAfterUnchecked(const HttpHeaders &headers, const std::string &message,
                                                 std::time_t now)
{
    auto header = [&](const char *name) -> const std::string * {
        auto it = headers.find(name);
        return it == headers.end() ? nullptr : &it->second;
    };
    if (const auto *ms = header("retry-after-ms")) {
        char *end = nullptr;
        const double v = std::strtod(ms->c_str(), &end);
        if (end != ms->c_str() && std::isfinite(v) && v >= 0)
            return v / 1000.0;
    }
    if (const auto *ra = header("retry-after")) {
        if (auto s = parseRetryAfter(*ra, now))
            return s;
    }
    // OpenAI / Groq: durations per bucket; prefer the bucket that is exhausted.
    std::optional<double> best;
    bool exhaustedFound = false;
    for (const char *bucket : {"requests", "tokens"}) {
        const auto *reset = header((std::string("x-ratelimit-reset-") + bucket).c_str());
        if (!reset)
            continue;
        const auto seconds = parseDurationSeconds(*reset);
        if (!seconds)
            continue;
        const auto *remaining = header((std::string("x-ratelimit-remaining-") + bucket).c_str());
        const bool exhausted = remaining && std::strtod(remaining->c_str(), nullptr) <= 0.0;
        if (exhausted) {
            best = exhaustedFound ? std::max(*best, *seconds) : *seconds;
            exhaustedFound = true;
        } else if (!exhaustedFound) {
            best = best ? std::min(*best, *seconds) : *seconds;
        }
    }
    if (best)
        return best;
    if (const auto *reset = header("x-ratelimit-reset")) {
        char *end = nullptr;
        const double v = std::strtod(reset->c_str(), &end);
        if (end != reset->c_str() && *end == '\0' && std::isfinite(v)) {
            // Large values are epoch seconds, small ones a delay.
            if (v > 1e9)
                return std::max(0.0, v - static_cast<double>(now));
            return std::max(0.0, v);
        }
        if (auto s = parseDurationSeconds(*reset))
            return s;
    }
    for (const char *name : {"anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset",
                             "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-reset"}) {
        if (const auto *reset = header(name)) {
            if (auto s = parseRfc3339Delay(*reset, now))
                best = best ? std::min(*best, *s) : *s;
        }
    }
    if (best)
        return best;
    // "Please try again in 1.898s." / "in 20ms" / "after 2 seconds"
    static const std::regex re(
        R"((?:try again|retry) (?:in|after) ([0-9]+(?:\.[0-9]+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b)",
        std::regex::icase);
    std::smatch m;
    if (std::regex_search(message, m, re)) {
        const double v = std::strtod(m[1].str().c_str(), nullptr);
        const std::string unit = toLowerAscii(m[2].str());
        if (unit == "ms" || unit.rfind("milli", 0) == 0)
            return v / 1000.0;
        if (unit == "m" || unit.rfind("min", 0) == 0)
            return v * 60.0;
        return v;
    }
    return std::nullopt;
}

// A server decides how long we wait: a hostile or broken one could say
// 1e300 seconds (or an overflowing "1e308h"), which would stall the run for
// good and overflow the clock's arithmetic. An hour is the longest honoured.
std::optional<double> retryAfterFrom(const HttpHeaders &headers, const std::string &message, std::time_t now)
{
    constexpr double kLongestRetryAfterSeconds = 3600.0;
    const auto seconds = retryAfterUnchecked(headers, message, now);
    if (!seconds || std::isnan(*seconds))
        return std::nullopt;
    return std::clamp(*seconds, 0.0, kLongestRetryAfterSeconds);
}

Error classifyHttpError(const ProviderContext &ctx, int status, const ServerErrorInfo &info, const HttpHeaders &headers,
                        std::time_t now)
{
    const std::string msg = toLowerAscii(info.message);
    const std::string type = toLowerAscii(info.type);
    const std::string code = toLowerAscii(info.code);
    const std::string where = ctx.url.empty() ? std::string("the server") : ctx.url;
    const std::string http = "HTTP " + std::to_string(status);
    const std::string keyRef = "$" + ctx.apiKeyEnv;

    auto make = [&](ErrorKind kind, std::string message) {
        Error e = Error::make(kind, std::move(message));
        e.httpStatus = status;
        e.requestId = requestIdFrom(headers);
        return e;
    };

    const bool contextTooLong = code == "context_length_exceeded" || type == "exceed_context_size_error"
                                || contains(msg, "maximum context length") || contains(msg, "context_length_exceeded")
                                || contains(msg, "context length") || contains(msg, "context window")
                                || contains(msg, "prompt is too long") || contains(msg, "exceeds the available context")
                                || contains(msg, "too many tokens") || contains(msg, "input is too long");

    if (code == "insufficient_quota" || type == "insufficient_quota" || contains(msg, "exceeded your current quota"))
        return make(ErrorKind::Auth, "the account behind " + keyRef + " has no quota left at " + where + " (" + http
                                         + "): check the plan and billing of that account");
    if (status == 429 || contains(type, "rate_limit") || code == "rate_limit_exceeded") {
        Error e =
            make(ErrorKind::RateLimit, "rate limited by " + where + " (" + http + withServer(info)
                                           + "): Prism waits and retries; lower the concurrency if this persists");
        e.retryAfterSeconds = retryAfterFrom(headers, info.message, now);
        return e;
    }
    if (status == 529 || type == "overloaded_error")
        return make(ErrorKind::Server, where + " is overloaded (" + http + withServer(info)
                                           + "): Prism retries; if it persists, try again later");
    if (status == 401 || type == "authentication_error" || code == "invalid_api_key") {
        if (ctx.apiKeyEnv.empty())
            return make(ErrorKind::Auth,
                        where + " requires an API key (" + http
                            + "): set api_key_env to the name of the environment variable that holds it");
        // The server's text is left out: OpenAI's echoes part of the key.
        return make(ErrorKind::Auth,
                    "the key in " + keyRef + " was rejected by " + where + " (" + http + "): check it");
    }
    if (status == 403 || type == "permission_error") {
        if (ctx.apiKeyEnv.empty())
            return make(ErrorKind::Auth, where + " refused access (" + http + withServer(info)
                                             + "): it may need an API key; set api_key_env");
        return make(ErrorKind::Auth, "the key in " + keyRef + " is not allowed to use model " + modelLabel(ctx) + " at "
                                         + where + " (" + http + withServer(info) + "): check the key's permissions");
    }
    if (status >= 400 && status < 500 && contextTooLong)
        return make(ErrorKind::ContextWindowExceeded,
                    "the prompt is too long for model " + modelLabel(ctx) + " (" + http + withServer(info)
                        + "): use fewer or shorter demos, or a model with a larger context window");
    const bool mentionsModel = contains(msg, "model");
    const bool saysMissing = contains(msg, "not found") || contains(msg, "does not exist")
                             || contains(msg, "unknown model") || contains(msg, "no such model");
    if (code == "model_not_found" || ((status == 404 || type == "not_found_error") && mentionsModel)
        || (status >= 400 && status < 500 && mentionsModel && saysMissing)) {
        return make(ErrorKind::InvalidRequest, "model " + modelLabel(ctx) + " not found at " + where + " (" + http
                                                   + withServer(info) + "): check the model name");
    }
    if (status == 404)
        return make(ErrorKind::InvalidRequest,
                    where + " does not exist (" + http + withServer(info)
                        + "): check the base URL (OpenAI-compatible servers usually end in /v1) and the model name "
                        + modelLabel(ctx));
    if (status == 408)
        return make(ErrorKind::Timeout,
                    where + " timed out the request (" + http + "): Prism retries; raise the timeout if this persists");
    if (status == 409)
        return make(ErrorKind::Server, where + " reported a conflict (" + http + withServer(info) + "): Prism retries");
    if (status >= 400 && status < 500)
        return make(ErrorKind::InvalidRequest, where + " rejected the request for model " + modelLabel(ctx) + " ("
                                                   + http + withServer(info)
                                                   + "): check the model's settings (max tokens, temperature, "
                                                     "response format)");
    if (status >= 500)
        return make(ErrorKind::Server, where + " had a server error (" + http + withServer(info)
                                           + "): Prism retries; if it persists, try again later");
    if (status >= 300 && status < 400) {
        auto loc = headers.find("location");
        return make(ErrorKind::Config, where + " redirects (" + http
                                           + (loc != headers.end() ? " to " + displayUrl(loc->second) : std::string())
                                           + "): use the final URL as base URL");
    }
    return make(ErrorKind::Server,
                where + " sent an unexpected answer (" + http + withServer(info) + "): check the base URL");
}

Result<std::string> readApiKey(const std::string &envName)
{
    if (envName.empty())
        return std::string();
    const char *value = std::getenv(envName.c_str());
    if (!value || !*value)
        return Error::make(ErrorKind::Auth, "environment variable " + envName
                                                + " is not set: export it with your API key before starting Prism "
                                                  "(or clear api_key_env for a local server)");
    return std::string(value);
}

int effectiveMaxTokens(const ChatRequest &request, int configMaxTokens)
{
    int value = request.maxTokens > 0 ? request.maxTokens : INT_MAX;
    if (configMaxTokens > 0)
        value = std::min(value, configMaxTokens);
    return value == INT_MAX ? 1024 : value;
}

Result<std::string> buildOpenAiRequestBody(const ChatRequest &request, const std::string &model, int maxTokens,
                                           bool sendRollout)
{
    OJson body = OJson::object();
    body["model"] = model;
    OJson messages = OJson::array();
    for (const auto &m : request.messages)
        messages.push_back(OJson{{"role", m.role}, {"content", m.content}});
    body["messages"] = std::move(messages);
    body["temperature"] = request.temperature;
    body["max_tokens"] = maxTokens;
    if (request.n > 1)
        body["n"] = request.n;
    if (request.seed)
        body["seed"] = *request.seed;
    switch (request.responseFormat) {
    case ResponseFormat::Text: break;
    case ResponseFormat::JsonObject: body["response_format"] = OJson{{"type", "json_object"}}; break;
    case ResponseFormat::JsonSchema: {
        OJson schema = OJson::parse(request.jsonSchema, nullptr, false);
        if (schema.is_discarded() || !schema.is_object())
            return Error::make(ErrorKind::Internal,
                               "the JSON schema of the request is not a JSON object: this is a bug in the adapter");
        OJson wrapper;
        // Accept either a bare schema or OpenAI's {"name","schema",...} wrapper.
        if (schema.contains("schema") && schema.contains("name") && schema["schema"].is_object())
            wrapper = std::move(schema);
        else
            wrapper = OJson{{"name", "prism_output"}, {"schema", std::move(schema)}};
        body["response_format"] = OJson{{"type", "json_schema"}, {"json_schema", std::move(wrapper)}};
        break;
    }
    }
    if (sendRollout && request.rollout != 0)
        body["rollout"] = request.rollout;
    return body.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

static Result<ChatResponse> parseOpenAiResponseUnchecked(int status, const std::string &body,
                                                         const HttpHeaders &headers, const ProviderContext &ctx)
{
    const std::time_t now = std::time(nullptr);
    if (status < 200 || status >= 300)
        return classifyHttpError(ctx, status, extractServerError(body), headers, now);

    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) {
        if (body.empty())
            return malformed(ctx, status, "empty body");
        return malformed(ctx, status, "not valid JSON");
    }
    if (!j.is_object())
        return malformed(ctx, status, "not a JSON object");
    // Some gateways answer 200 with an error object.
    if (j.contains("error") && !j.contains("choices") && !j.contains("message")) {
        ServerErrorInfo info = extractServerError(body);
        int effective = 500;
        if (!info.code.empty() && std::all_of(info.code.begin(), info.code.end(), ::isdigit) && info.code.size() == 3)
            effective = std::atoi(info.code.c_str());
        return classifyHttpError(ctx, effective, info, headers, now);
    }

    ChatResponse response;
    response.requestId = jsonString(j, "id");
    if (response.requestId.empty())
        response.requestId = requestIdFrom(headers);
    response.model = jsonString(j, "model");
    if (response.model.empty())
        response.model = ctx.model;

    std::vector<std::string> finishReasons;
    if (j.contains("choices")) {
        const json &choices = j["choices"];
        if (!choices.is_array())
            return malformed(ctx, status, "\"choices\" is not a list");
        for (const auto &choice : choices) {
            if (!choice.is_object())
                return malformed(ctx, status, "a choice is not an object");
            std::optional<std::string> text;
            if (choice.contains("message") && choice["message"].is_object()) {
                const json &message = choice["message"];
                text = message.contains("content") ? chatContentText(message["content"], false) : std::string();
            } else if (choice.contains("text")) {
                text = chatContentText(choice["text"], false); // legacy completions shape
            }
            if (!text)
                return malformed(ctx, status, "a choice has no message content");
            response.choices.push_back(std::move(*text));
            finishReasons.push_back(jsonString(choice, "finish_reason"));
        }
        if (response.choices.empty())
            return malformed(ctx, status, "no choices");
    } else if (j.contains("message") && j["message"].is_object()) {
        // Ollama native /api/chat
        const json &message = j["message"];
        auto text =
            message.contains("content") ? chatContentText(message["content"], false) : std::optional<std::string>("");
        if (!text)
            return malformed(ctx, status, "the message has no text content");
        response.choices.push_back(std::move(*text));
        finishReasons.push_back(jsonString(j, "done_reason"));
    } else {
        return malformed(ctx, status, "no \"choices\"");
    }

    for (size_t i = 0; i < response.choices.size(); ++i) {
        if (!response.choices[i].empty())
            continue;
        if (finishReasons[i] == "length") {
            Error e = Error::make(ErrorKind::InvalidRequest,
                                  "model " + modelLabel(ctx) + " used all "
                                      + (ctx.maxTokens > 0 ? std::to_string(ctx.maxTokens) + " " : std::string())
                                      + "max tokens before answering: raise max_tokens for this model");
            e.httpStatus = status;
            e.requestId = response.requestId;
            return e;
        }
        Error e = Error::make(ErrorKind::Server, "the server at " + (ctx.url.empty() ? std::string("?") : ctx.url)
                                                     + " sent an empty completion: retry; if it persists, check the "
                                                       "model");
        e.httpStatus = status;
        e.requestId = response.requestId;
        return e;
    }

    if (j.contains("usage") && j["usage"].is_object()) {
        response.usage.promptTokens = jsonCount(j["usage"], "prompt_tokens");
        response.usage.completionTokens = jsonCount(j["usage"], "completion_tokens");
    } else {
        response.usage.promptTokens = jsonCount(j, "prompt_eval_count");
        response.usage.completionTokens = jsonCount(j, "eval_count");
    }
    response.usage.calls = 1;
    return response;
}

static Result<std::vector<std::string>> parseModelListUnchecked(int status, const std::string &body,
                                                                const HttpHeaders &headers, const ProviderContext &ctx)
{
    if (status < 200 || status >= 300)
        return classifyHttpError(ctx, status, extractServerError(body), headers, std::time(nullptr));
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return malformed(ctx, status, "the model list is not a JSON object");
    std::vector<std::string> ids;
    auto collect = [&](const char *listKey, const char *idKey) {
        if (!j.contains(listKey) || !j[listKey].is_array())
            return false;
        for (const auto &m : j[listKey]) {
            const std::string id = jsonString(m, idKey);
            if (!id.empty())
                ids.push_back(id);
        }
        return true;
    };
    if (!collect("data", "id") && !collect("models", "name"))
        return malformed(ctx, status, "no \"data\" list of models");
    return ids;
}

std::string baseUrlOr(const std::string &configured, const char *providerDefault)
{
    std::string url = configured.empty() ? std::string(providerDefault) : configured;
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    return url;
}

std::string redactSecret(std::string text, const std::string &secret)
{
    if (secret.size() < 4)
        return text;
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
        text.replace(pos, secret.size(), "***");
    return text;
}

Error withoutSecret(Error error, const std::string &secret)
{
    error.message = redactSecret(std::move(error.message), secret);
    return error;
}

std::optional<std::string> chatContentText(const json &content, bool strict)
{
    if (content.is_string())
        return content.get<std::string>();
    if (content.is_null())
        return std::string();
    if (!content.is_array())
        return std::nullopt;
    std::string out;
    for (const auto &part : content) {
        if (part.is_object() && part.contains("text") && part["text"].is_string())
            out += part["text"].get<std::string>();
        else if (!strict && part.is_string())
            out += part.get<std::string>();
        else if (strict)
            return std::nullopt;
    }
    return out;
}

HttpRequest providerRequest(const std::string &method, const std::string &url, const ModelConfig &config,
                            const std::atomic<bool> *cancel,
                            const std::vector<std::pair<std::string, std::string>> &auth, std::string body)
{
    HttpRequest http;
    http.method = method;
    http.url = url;
    http.body = std::move(body);
    const double configured = config.timeoutSeconds;
    http.timeoutSeconds = method == "GET" ? std::min(30.0, configured > 0 ? configured : 30.0) : configured;
    http.connectTimeoutSeconds = std::min(10.0, http.timeoutSeconds > 0 ? http.timeoutSeconds : 10.0);
    http.cancel = cancel;
    if (!http.body.empty())
        http.headers.emplace_back("Content-Type", "application/json");
    http.headers.emplace_back("Accept", "application/json");
    for (const auto &header : auth)
        http.headers.push_back(header);
    for (const auto &[name, value] : config.extraHeaders)
        http.headers.emplace_back(name, value);
    return http;
}

OpenAiClient::OpenAiClient(ModelConfig config) : m_config(std::move(config))
{
    m_baseUrl = baseUrlOr(m_config.baseUrl, kOpenAiBaseUrl);
    // OpenAI's own endpoint always needs a key; use the conventional variable when none is named.
    if (m_config.apiKeyEnv.empty() && m_config.baseUrl.empty())
        m_config.apiKeyEnv = "OPENAI_API_KEY";
    // "rollout" is Prism's own field for `prism simlm serve`: only loopback endpoints get it.
    m_sendRollout = m_config.provider != Provider::Anthropic && isLoopbackUrl(m_baseUrl);
}

std::string OpenAiClient::describe() const
{
    return "openai/" + m_config.model + " @ " + displayUrl(m_baseUrl);
}

Result<ChatResponse> OpenAiClient::complete(const ChatRequest &request)
{
    const std::string url = m_baseUrl + "/chat/completions";
    ProviderContext ctx{Provider::OpenAi, m_config.model, displayUrl(url), m_config.apiKeyEnv,
                        effectiveMaxTokens(request, m_config.maxTokens)};
    auto key = readApiKey(m_config.apiKeyEnv);
    if (!key)
        return key.error();
    auto body = buildOpenAiRequestBody(request, m_config.model, ctx.maxTokens, m_sendRollout);
    if (!body)
        return body.error();

    std::vector<std::pair<std::string, std::string>> auth;
    if (!key->empty())
        auth.emplace_back("Authorization", "Bearer " + *key);
    auto sent = httpSend(providerRequest("POST", url, m_config, m_cancel, auth, std::move(*body)));
    if (!sent)
        return withoutSecret(sent.error(), *key);
    auto parsed = parseOpenAiResponse(sent->status, sent->body, sent->headers, ctx);
    if (!parsed)
        return withoutSecret(parsed.error(), *key);
    parsed->latencyMs = sent->elapsedMs;
    return parsed;
}

Result<std::vector<std::string>> OpenAiClient::listModels()
{
    const std::string url = m_baseUrl + "/models";
    ProviderContext ctx{Provider::OpenAi, m_config.model, displayUrl(url), m_config.apiKeyEnv, m_config.maxTokens};
    auto key = readApiKey(m_config.apiKeyEnv);
    if (!key)
        return key.error();
    std::vector<std::pair<std::string, std::string>> auth;
    if (!key->empty())
        auth.emplace_back("Authorization", "Bearer " + *key);
    auto sent = httpSend(providerRequest("GET", url, m_config, m_cancel, auth));
    if (!sent)
        return withoutSecret(sent.error(), *key);
    auto models = parseModelList(sent->status, sent->body, sent->headers, ctx);
    if (!models)
        return withoutSecret(models.error(), *key);
    return models;
}

// The public parsers never throw: a body of an unexpected shape is an error value.
ServerErrorInfo extractServerError(const std::string &body)
{
    try {
        return extractServerErrorUnchecked(body);
    } catch (const std::exception &) {
        ServerErrorInfo info;
        info.message = oneLine(body, 160);
        return info;
    }
}

Result<ChatResponse> parseOpenAiResponse(int status, const std::string &body, const HttpHeaders &headers,
                                         const ProviderContext &ctx)
{
    try {
        return parseOpenAiResponseUnchecked(status, body, headers, ctx);
    } catch (const std::exception &e) {
        return malformed(ctx, status, std::string("unexpected shape: ") + e.what());
    }
}

Result<std::vector<std::string>> parseModelList(int status, const std::string &body, const HttpHeaders &headers,
                                                const ProviderContext &ctx)
{
    try {
        return parseModelListUnchecked(status, body, headers, ctx);
    } catch (const std::exception &e) {
        return malformed(ctx, status, std::string("unexpected shape: ") + e.what());
    }
}

} // namespace prism
