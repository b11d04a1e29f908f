// Parsers, request builders and error mapping of the HTTP clients, against
// hand-written bodies that follow the providers' public API docs.
#include "core/json.h"
#include "lm/anthropic_client.h"
#include "lm/http.h"
#include "lm/openai_client.h"
#include "sim/sim_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <ctime>

using namespace prism;

namespace {

std::string fixture(const std::string &name)
{
    auto text = readInputFile(std::string(PRISM_TEST_DATA_DIR) + "/http/" + name);
    EXPECT_TRUE(text.ok()) << name;
    return text.ok() ? *text : std::string();
}

ProviderContext openAiCtx(const std::string &model = "gpt-4o-mini")
{
    return ProviderContext{Provider::OpenAi, model, "https://api.openai.com/v1/chat/completions", "OPENAI_API_KEY", 256};
}

ProviderContext anthropicCtx(const std::string &model = "claude-nonexistent-1")
{
    return ProviderContext{Provider::Anthropic, model, "https://api.anthropic.com/v1/messages", "ANTHROPIC_API_KEY", 256};
}

bool oneLine(const std::string &s)
{
    return s.find('\n') == std::string::npos && s.find('\r') == std::string::npos;
}

std::time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

} // namespace

// ---- OpenAI-compatible success shapes ----

TEST(OpenAiParse, ChatCompletionWithUsage)
{
    auto r = parseOpenAiResponse(200, fixture("openai_chat_completion.json"), {}, openAiCtx());
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->choices.size(), 1u);
    EXPECT_EQ(r->text(), "[[ ## severity ## ]]\nhigh\n\n[[ ## completed ## ]]");
    EXPECT_EQ(r->usage.promptTokens, 19);
    EXPECT_EQ(r->usage.completionTokens, 10);
    EXPECT_EQ(r->usage.calls, 1);
    EXPECT_EQ(r->requestId, "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
    EXPECT_EQ(r->model, "gpt-4o-mini-2024-07-18");
}

TEST(OpenAiParse, TwoChoicesKeepTheirOrder)
{
    auto r = parseOpenAiResponse(200, fixture("openai_chat_completion_n2.json"), {}, openAiCtx());
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->choices.size(), 2u);
    EXPECT_EQ(r->choices[0], "Classify the snippet by severity.");
    EXPECT_EQ(r->choices[1], "Label each snippet low, medium or high.");
    EXPECT_EQ(r->usage.promptTokens, 120);
    EXPECT_EQ(r->usage.completionTokens, 17);
}

TEST(OpenAiParse, MissingUsageIsUnknownNotZero)
{
    auto r = parseOpenAiResponse(200, fixture("openai_chat_completion_no_usage.json"), {}, openAiCtx());
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->text(), "Paris");
    EXPECT_FALSE(r->usage.promptTokens.has_value());
    EXPECT_FALSE(r->usage.completionTokens.has_value());
    EXPECT_EQ(r->usage.calls, 1);
}

TEST(OpenAiParse, RequestIdFallsBackToHeader)
{
    const std::string body = R"({"choices":[{"message":{"role":"assistant","content":"ok"}}]})";
    auto r = parseOpenAiResponse(200, body, {{"x-request-id", "req_123"}}, openAiCtx());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->requestId, "req_123");
    EXPECT_EQ(r->model, "gpt-4o-mini"); // from the context when the body has none
}

TEST(OpenAiParse, ContentAsListOfParts)
{
    const std::string body =
        R"({"choices":[{"message":{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]})";
    auto r = parseOpenAiResponse(200, body, {}, openAiCtx());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->text(), "ab");
}

TEST(OpenAiParse, OllamaOpenAiCompatibleShape)
{
    auto r = parseOpenAiResponse(200, fixture("ollama_openai_compat.json"), {}, openAiCtx("llama3.2"));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->text(), "The answer is 42.");
    EXPECT_EQ(r->usage.promptTokens, 26);
    EXPECT_EQ(r->usage.completionTokens, 12);
    EXPECT_EQ(r->requestId, "chatcmpl-57");
}

TEST(OpenAiParse, OllamaNativeChatShape)
{
    auto r = parseOpenAiResponse(200, fixture("ollama_native_chat.json"), {}, openAiCtx("llama3.2"));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->text(), "Hello! How are you today?");
    EXPECT_EQ(r->usage.promptTokens, 26);
    EXPECT_EQ(r->usage.completionTokens, 298);
    EXPECT_EQ(r->model, "llama3.2");
}

// ---- OpenAI-compatible errors ----

TEST(OpenAiErrors, RejectedKeyNamesTheVariableButNotTheKey)
{
    auto r = parseOpenAiResponse(401, fixture("openai_error_401.json"), {}, openAiCtx());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Auth);
    EXPECT_EQ(r.error().httpStatus, 401);
    EXPECT_NE(r.error().message.find("$OPENAI_API_KEY"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("check it"), std::string::npos);
    // OpenAI's text echoes part of the key: it must not be passed on.
    EXPECT_EQ(r.error().message.find("sk-abc12"), std::string::npos) << r.error().message;
    EXPECT_TRUE(oneLine(r.error().message));
}

TEST(OpenAiErrors, KeylessEndpointAskingForAKeySaysToSetApiKeyEnv)
{
    ProviderContext ctx = openAiCtx();
    ctx.apiKeyEnv.clear();
    auto r = parseOpenAiResponse(401, fixture("openai_error_401.json"), {}, ctx);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Auth);
    EXPECT_NE(r.error().message.find("api_key_env"), std::string::npos) << r.error().message;
}

TEST(OpenAiErrors, ModelNotFound)
{
    auto r = parseOpenAiResponse(404, fixture("openai_error_404_model_not_found.json"), {}, openAiCtx("gpt-5-turbo"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidRequest);
    EXPECT_NE(r.error().message.find("model 'gpt-5-turbo' not found at https://api.openai.com/v1/chat/completions"),
              std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("check the model name"), std::string::npos);
    EXPECT_TRUE(oneLine(r.error().message));
}

TEST(OpenAiErrors, OllamaNativeModelNotFound)
{
    auto r = parseOpenAiResponse(404, fixture("ollama_native_error_404.json"), {}, openAiCtx("llama9"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidRequest);
    EXPECT_NE(r.error().message.find("'llama9'"), std::string::npos);
    EXPECT_NE(r.error().message.find("try pulling it first"), std::string::npos) << r.error().message;
}

TEST(OpenAiErrors, WrongPathIsNotBlamedOnTheModel)
{
    auto r = parseOpenAiResponse(404, "404 page not found", {}, openAiCtx());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidRequest);
    EXPECT_NE(r.error().message.find("check the base URL"), std::string::npos) << r.error().message;
}

TEST(OpenAiErrors, ContextLengthExceeded)
{
    auto r = parseOpenAiResponse(400, fixture("openai_error_400_context_length.json"), {}, openAiCtx());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::ContextWindowExceeded);
    EXPECT_NE(r.error().message.find("too long"), std::string::npos);
    // Detected from the message alone too (vLLM, llama.cpp send no code).
    auto vllm = parseOpenAiResponse(
        400,
        R"({"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","param":null,"code":400})",
        {}, openAiCtx());
    ASSERT_FALSE(vllm.ok());
    EXPECT_EQ(vllm.error().kind, ErrorKind::ContextWindowExceeded);
}

TEST(OpenAiErrors, OtherBadRequestCarriesTheServersMessage)
{
    auto r = parseOpenAiResponse(400, fixture("openai_error_400_invalid_value.json"), {}, openAiCtx());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidRequest);
    EXPECT_NE(r.error().message.find("Invalid 'temperature'"), std::string::npos) << r.error().message;
    EXPECT_FALSE(isRetryable(r.error()));
}

TEST(OpenAiErrors, RateLimitWithRetryAfterHeader)
{
    auto r = parseOpenAiResponse(429, fixture("openai_error_429.json"), {{"retry-after", "7"}}, openAiCtx());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::RateLimit);
    ASSERT_TRUE(r.error().retryAfterSeconds.has_value());
    EXPECT_DOUBLE_EQ(*r.error().retryAfterSeconds, 7.0);
    EXPECT_TRUE(isRetryable(r.error()));
}

TEST(OpenAiErrors, RateLimitDelayFromTheMessageWhenNoHeader)
{
    auto r = parseOpenAiResponse(429, fixture("openai_error_429.json"), {}, openAiCtx());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::RateLimit);
    ASSERT_TRUE(r.error().retryAfterSeconds.has_value());
    EXPECT_DOUBLE_EQ(*r.error().retryAfterSeconds, 0.12); // "Please try again in 120ms."
}

TEST(OpenAiErrors, QuotaExhaustedIsNotRetried)
{
    auto r = parseOpenAiResponse(429, fixture("openai_error_429_quota.json"), {}, openAiCtx());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Auth);
    EXPECT_NE(r.error().message.find("billing"), std::string::npos);
}

TEST(OpenAiErrors, ServerErrorsAreRetryable)
{
    for (int status : {500, 502, 503}) {
        auto r = parseOpenAiResponse(status, fixture("openai_error_500.json"), {}, openAiCtx());
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().kind, ErrorKind::Server) << status;
        EXPECT_EQ(r.error().httpStatus, status);
        EXPECT_TRUE(isRetryable(r.error()));
    }
}

TEST(OpenAiErrors, BrokenSuccessBodiesAreRetryableServerErrors)
{
    const std::string good = fixture("openai_chat_completion.json");
    const std::string cases[] = {
        good.substr(0, good.size() / 2), // truncated
        "<html><body>502 Bad Gateway</body></html>",
        "",
        R"({"id":"x","choices":[]})",
        R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}]})",
        R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"stop"}]})",
    };
    for (const auto &body : cases) {
        auto r = parseOpenAiResponse(200, body, {}, openAiCtx());
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(r.error().kind, ErrorKind::Server) << body;
        EXPECT_TRUE(r.error().message.find("malformed") != std::string::npos
                    || r.error().message.find("empty") != std::string::npos)
            << r.error().message;
        EXPECT_TRUE(oneLine(r.error().message));
    }
}

TEST(OpenAiErrors, EmptyBecauseOfMaxTokensSaysSo)
{
    const std::string body =
        R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"length"}]})";
    auto r = parseOpenAiResponse(200, body, {}, openAiCtx());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidRequest); // retrying would fail the same way
    EXPECT_NE(r.error().message.find("raise max_tokens"), std::string::npos);
}

TEST(OpenAiErrors, MissingKeyVariable)
{
    ::unsetenv("PRISM_HTTP_TEST_SURELY_UNSET");
    auto k = readApiKey("PRISM_HTTP_TEST_SURELY_UNSET");
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.error().kind, ErrorKind::Auth);
    EXPECT_EQ(k.error().message.rfind("environment variable PRISM_HTTP_TEST_SURELY_UNSET is not set", 0), 0u);
    auto none = readApiKey("");
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
}

TEST(OpenAiModels, ListsIds)
{
    auto r = parseModelList(200, fixture("openai_models.json"), {}, openAiCtx());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, (std::vector<std::string>{"gpt-4o-mini", "gpt-4o"}));
    auto tags = parseModelList(200, R"({"models":[{"name":"llama3.2:latest"}]})", {}, openAiCtx());
    ASSERT_TRUE(tags.ok());
    EXPECT_EQ(*tags, (std::vector<std::string>{"llama3.2:latest"}));
}

// ---- Request bodies ----

TEST(OpenAiBody, CarriesTheRequest)
{
    ChatRequest req;
    req.messages = {{"system", "sys"}, {"user", "hi"}};
    req.temperature = 0.7;
    req.seed = 42;
    req.responseFormat = ResponseFormat::JsonObject;
    req.rollout = 9;
    auto body = buildOpenAiRequestBody(req, "gpt-4o-mini", 300, false);
    ASSERT_TRUE(body.ok());
    const auto j = nlohmann::json::parse(*body);
    EXPECT_EQ(j["model"], "gpt-4o-mini");
    EXPECT_EQ(j["messages"].size(), 2u);
    EXPECT_EQ(j["messages"][0]["role"], "system");
    EXPECT_EQ(j["messages"][1]["content"], "hi");
    EXPECT_DOUBLE_EQ(j["temperature"].get<double>(), 0.7);
    EXPECT_EQ(j["max_tokens"], 300);
    EXPECT_EQ(j["seed"], 42);
    EXPECT_EQ(j["response_format"]["type"], "json_object");
    EXPECT_FALSE(j.contains("n"));       // n = 1 is the default everywhere
    EXPECT_FALSE(j.contains("rollout")); // never sent to a real provider

    req.n = 3;
    req.seed.reset();
    auto sim = buildOpenAiRequestBody(req, "sim-small", 300, true);
    ASSERT_TRUE(sim.ok());
    const auto s = nlohmann::json::parse(*sim);
    EXPECT_EQ(s["n"], 3);
    EXPECT_FALSE(s.contains("seed"));
    EXPECT_EQ(s["rollout"], 9);

    req.rollout = 0;
    auto zero = nlohmann::json::parse(*buildOpenAiRequestBody(req, "sim-small", 300, true));
    EXPECT_FALSE(zero.contains("rollout"));
}

TEST(OpenAiBody, JsonSchemaIsWrapped)
{
    ChatRequest req;
    req.messages = {{"user", "hi"}};
    req.responseFormat = ResponseFormat::JsonSchema;
    req.jsonSchema = R"({"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]})";
    auto body = buildOpenAiRequestBody(req, "gpt-4o-mini", 100);
    ASSERT_TRUE(body.ok());
    const auto j = nlohmann::json::parse(*body);
    EXPECT_EQ(j["response_format"]["type"], "json_schema");
    EXPECT_EQ(j["response_format"]["json_schema"]["name"], "prism_output");
    EXPECT_EQ(j["response_format"]["json_schema"]["schema"]["required"][0], "answer");
    req.jsonSchema = "{not json";
    EXPECT_FALSE(buildOpenAiRequestBody(req, "gpt-4o-mini", 100).ok());
}

TEST(OpenAiBody, MaxTokensIsCappedByTheModelEntry)
{
    ChatRequest req;
    req.maxTokens = 2000;
    EXPECT_EQ(effectiveMaxTokens(req, 512), 512);
    EXPECT_EQ(effectiveMaxTokens(req, 0), 2000);
    req.maxTokens = 100;
    EXPECT_EQ(effectiveMaxTokens(req, 512), 100);
}

TEST(OpenAiClientTest, DescribeNamesModelAndUrlOnly)
{
    ModelConfig c;
    c.provider = Provider::OpenAi;
    c.model = "gpt-4o-mini";
    c.apiKeyEnv = "OPENAI_API_KEY";
    EXPECT_EQ(OpenAiClient(c).describe(), "openai/gpt-4o-mini @ https://api.openai.com/v1");
    c.baseUrl = "http://localhost:11434/v1/";
    c.model = "llama3.2";
    EXPECT_EQ(OpenAiClient(c).describe(), "openai/llama3.2 @ http://localhost:11434/v1");
}

// ---- Anthropic ----

TEST(AnthropicParse, TextBlocksUsageAndId)
{
    auto r = parseAnthropicResponse(200, fixture("anthropic_message.json"), {}, anthropicCtx("claude-sonnet-4"));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->text(), "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]");
    EXPECT_EQ(r->usage.promptTokens, 2095 + 100); // cached prompt tokens are prompt tokens too
    EXPECT_EQ(r->usage.completionTokens, 503);
    EXPECT_EQ(r->requestId, "msg_013Zva2CMHLNnXjNJJKqJ2EF");
    EXPECT_EQ(r->model, "claude-sonnet-4-20250514");
}

TEST(AnthropicParse, EmptyAndBrokenBodies)
{
    auto empty = parseAnthropicResponse(
        200,
        R"({"id":"msg_1","type":"message","content":[],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":0}})",
        {}, anthropicCtx());
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().kind, ErrorKind::Server);
    auto limit = parseAnthropicResponse(
        200, R"({"id":"msg_1","type":"message","content":[],"stop_reason":"max_tokens"})", {}, anthropicCtx());
    ASSERT_FALSE(limit.ok());
    EXPECT_EQ(limit.error().kind, ErrorKind::InvalidRequest);
    const std::string good = fixture("anthropic_message.json");
    auto cut = parseAnthropicResponse(200, good.substr(0, good.size() / 2), {}, anthropicCtx());
    ASSERT_FALSE(cut.ok());
    EXPECT_EQ(cut.error().kind, ErrorKind::Server);
}

TEST(AnthropicErrors, EachErrorType)
{
    struct Case {
        const char *file;
        int status;
        ErrorKind kind;
        const char *mustMention;
    };
    const Case cases[] = {
        {"anthropic_error_rate_limit_error.json", 429, ErrorKind::RateLimit, "rate limited"},
        {"anthropic_error_authentication_error.json", 401, ErrorKind::Auth, "$ANTHROPIC_API_KEY"},
        {"anthropic_error_permission_error.json", 403, ErrorKind::Auth, "not allowed"},
        {"anthropic_error_not_found_error.json", 404, ErrorKind::InvalidRequest,
         "model 'claude-nonexistent-1' not found"},
        {"anthropic_error_invalid_request_error.json", 400, ErrorKind::InvalidRequest, "max_tokens: Field required"},
        {"anthropic_error_prompt_too_long.json", 400, ErrorKind::ContextWindowExceeded, "too long"},
        {"anthropic_error_overloaded_error.json", 529, ErrorKind::Server, "overloaded"},
        {"anthropic_error_api_error.json", 500, ErrorKind::Server, "server error"},
    };
    for (const auto &c : cases) {
        auto r = parseAnthropicResponse(c.status, fixture(c.file), {{"retry-after", "3"}}, anthropicCtx());
        ASSERT_FALSE(r.ok()) << c.file;
        EXPECT_EQ(r.error().kind, c.kind) << c.file << ": " << r.error().describe();
        EXPECT_NE(r.error().message.find(c.mustMention), std::string::npos) << c.file << ": " << r.error().message;
        EXPECT_EQ(r.error().httpStatus, c.status);
        EXPECT_TRUE(oneLine(r.error().message));
        if (c.kind == ErrorKind::RateLimit) {
            ASSERT_TRUE(r.error().retryAfterSeconds.has_value());
            EXPECT_DOUBLE_EQ(*r.error().retryAfterSeconds, 3.0);
        }
    }
}

TEST(AnthropicBody, SystemApartAndTemperatureClamped)
{
    ChatRequest req;
    req.messages = {{"system", "You are terse."},
                    {"system", "Answer in French."},
                    {"user", "Q1"},
                    {"assistant", "A1"},
                    {"user", "Q2"}};
    req.temperature = 1.4;
    req.seed = 3;
    auto body = buildAnthropicRequestBody(req, "claude-sonnet-4", 512);
    ASSERT_TRUE(body.ok());
    const auto j = nlohmann::json::parse(*body);
    EXPECT_EQ(j["system"], "You are terse.\n\nAnswer in French.");
    ASSERT_EQ(j["messages"].size(), 3u);
    EXPECT_EQ(j["messages"][0]["role"], "user");
    EXPECT_EQ(j["messages"][1]["role"], "assistant");
    EXPECT_EQ(j["messages"][2]["content"], "Q2");
    EXPECT_EQ(j["max_tokens"], 512);
    EXPECT_DOUBLE_EQ(j["temperature"].get<double>(), 1.0);
    EXPECT_FALSE(j.contains("seed")); // the Messages API has none
}

// ---- HTTP helpers ----

TEST(HttpHelpers, RetryAfterForms)
{
    const std::time_t now = utc(2015, 10, 21, 7, 27, 30);
    EXPECT_EQ(parseRetryAfter("2", now), 2.0);
    EXPECT_EQ(parseRetryAfter(" 1.5 ", now), 1.5);
    EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), 30.0);
    EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), 0.0); // in the past
    EXPECT_FALSE(parseRetryAfter("soon", now).has_value());
    EXPECT_FALSE(parseRetryAfter("", now).has_value());
}

TEST(HttpHelpers, GoDurations)
{
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("20ms"), 0.02);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("1.5s"), 1.5);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("6m0s"), 360.0);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("1h2m3s"), 3723.0);
    EXPECT_FALSE(parseDurationSeconds("3 fortnights").has_value());
    EXPECT_FALSE(parseDurationSeconds("").has_value());
}

TEST(HttpHelpers, Rfc3339)
{
    const std::time_t now = utc(2024, 5, 1, 12, 0, 0);
    EXPECT_DOUBLE_EQ(*parseRfc3339Delay("2024-05-01T12:00:30Z", now), 30.0);
    EXPECT_DOUBLE_EQ(*parseRfc3339Delay("2024-05-01T14:00:30+02:00", now), 30.0);
    EXPECT_FALSE(parseRfc3339Delay("tomorrow", now).has_value());
}

TEST(HttpHelpers, RetryAfterFromRateLimitHeaders)
{
    const std::time_t now = utc(2024, 5, 1, 12, 0, 0);
    // The exhausted bucket decides, not the shorter reset.
    HttpHeaders h = {{"x-ratelimit-remaining-requests", "0"},
                     {"x-ratelimit-reset-requests", "6m0s"},
                     {"x-ratelimit-remaining-tokens", "1500"},
                     {"x-ratelimit-reset-tokens", "1s"}};
    EXPECT_DOUBLE_EQ(*retryAfterFrom(h, "", now), 360.0);
    EXPECT_DOUBLE_EQ(*retryAfterFrom({{"retry-after-ms", "250"}, {"retry-after", "9"}}, "", now), 0.25);
    EXPECT_DOUBLE_EQ(*retryAfterFrom({{"anthropic-ratelimit-requests-reset", "2024-05-01T12:00:05Z"}}, "", now), 5.0);
    EXPECT_DOUBLE_EQ(*retryAfterFrom({}, "Please try again in 1.898s.", now), 1.898);
    EXPECT_FALSE(retryAfterFrom({}, "slow down", now).has_value());
}

TEST(HttpHelpers, DisplayUrlDropsSecrets)
{
    EXPECT_EQ(displayUrl("https://user:pass@example.com/v1/x?key=abc#f"), "https://example.com/v1/x");
    EXPECT_EQ(displayUrl("http://127.0.0.1:8080/v1"), "http://127.0.0.1:8080/v1");
}

TEST(HttpHelpers, Loopback)
{
    EXPECT_TRUE(isLoopbackUrl("http://127.0.0.1:8080/v1"));
    EXPECT_TRUE(isLoopbackUrl("http://localhost:11434/v1"));
    EXPECT_TRUE(isLoopbackUrl("http://[::1]:8000/v1"));
    EXPECT_FALSE(isLoopbackUrl("https://api.openai.com/v1"));
    EXPECT_FALSE(isLoopbackUrl("http://127.0.0.1.evil.com/v1"));
    EXPECT_FALSE(isLoopbackUrl("http://localhost.example.com/v1"));
}

// ---- Fault specs of `prism simlm serve` ----

TEST(SimFaults, SpecParsing)
{
    auto r = parseFaultSpec("429:0.05,500:0.05,503:0.02,stall:0.01,truncated:0.01,malformed:0.01,empty:0.01");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->size(), 7u);
    EXPECT_DOUBLE_EQ(r->at(SimFault::RateLimit), 0.05);
    EXPECT_DOUBLE_EQ(r->at(SimFault::Empty), 0.01);
    EXPECT_FALSE(parseFaultSpec("418:0.1").ok());
    EXPECT_FALSE(parseFaultSpec("429").ok());
    EXPECT_FALSE(parseFaultSpec("429:x").ok());
    EXPECT_FALSE(parseFaultSpec("429:1.5").ok());
    EXPECT_FALSE(parseFaultSpec("429:0.6,500:0.6").ok());
    double total = 0.0;
    for (const auto &[kind, rate] : spreadFaultRate(0.21))
        total += rate;
    EXPECT_NEAR(total, 0.21, 1e-12);
    EXPECT_EQ(spreadFaultRate(0.21).size(), 7u);
}

TEST(Robustness, OddShapesAreErrorValuesNotExceptions)
{
    const char *bodies[] = {
        R"({"choices":[{"message":{"content":5}}]})",
        R"({"choices":{"a":1}})",
        R"({"choices":[7]})",
        R"([1,2,3])",
        R"({"type":5,"content":[{"type":7,"text":8}]})",
        R"({"error":{"message":["x"],"type":{"a":1},"code":1.5}})",
        R"({"message":{"content":{"x":1}}})",
        "\xff\xfe{",
    };
    for (const char *body : bodies) {
        for (int status : {200, 400, 429, 500}) {
            auto a = parseOpenAiResponse(status, body, {}, openAiCtx());
            auto b = parseAnthropicResponse(status, body, {}, anthropicCtx());
            auto c = parseModelList(status, body, {}, openAiCtx());
            EXPECT_FALSE(a.ok()) << body;
            EXPECT_TRUE(oneLine(a.error().message));
            EXPECT_TRUE(oneLine(b.ok() ? std::string() : b.error().message));
            EXPECT_FALSE(c.ok() && status != 200) << body;
        }
    }
}

// Reported by review: a server decides how long Prism waits after a 429. A
// hostile or broken one could ask for 1e300 seconds, or an overflowing
// "1e308h", which would stall the run for good (and overflow the clock).
TEST(RetryAfter, AServerCannotMakeARunWaitLongerThanAnHour)
{
    const std::time_t now = 1714564800;
    for (const HttpHeaders &h :
         {HttpHeaders{{"retry-after", "1e300"}}, HttpHeaders{{"retry-after", "99999999999"}},
          HttpHeaders{{"retry-after-ms", "1e300"}},
          HttpHeaders{{"x-ratelimit-remaining-requests", "0"}, {"x-ratelimit-reset-requests", "1e308h"}}}) {
        const auto seconds = retryAfterFrom(h, "", now);
        ASSERT_TRUE(seconds.has_value()) << h.begin()->second;
        EXPECT_DOUBLE_EQ(*seconds, 3600.0) << h.begin()->second;
    }
    EXPECT_DOUBLE_EQ(*retryAfterFrom({}, "Please try again in 99999999 minutes.", now), 3600.0);
    EXPECT_DOUBLE_EQ(*retryAfterFrom({{"retry-after", "30"}}, "", now), 30.0);
}
