// The OpenAI client against the loopback SimServer: round trips, fault
// injection and its mapping to error kinds, keys. Loopback only.
#include "../support/closed_port.h"

#include "core/hash.h"
#include "lm/anthropic_client.h"
#include "lm/http.h"
#include "lm/openai_client.h"
#include "sim/sim_server.h"

#include "../support/fake_clock.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

using namespace prism;

namespace {

// A deterministic stand-in for SimLm: its answer depends on every request
// field the wire must carry, so a lost field changes the text.
class EchoLm final : public Lm {
public:
    Result<ChatResponse> complete(const ChatRequest &r) override
    {
        ++calls;
        std::string text = "echo";
        for (const auto &m : r.messages)
            text += "|" + m.role + ":" + m.content;
        text += "|t=" + std::to_string(r.temperature) + "|max=" + std::to_string(r.maxTokens) + "|seed="
                + (r.seed ? std::to_string(*r.seed) : std::string("none")) + "|rollout=" + std::to_string(r.rollout)
                + "|fmt=" + std::to_string(static_cast<int>(r.responseFormat)) + "|schema=" + r.jsonSchema;
        ChatResponse out;
        long long completion = 0;
        long long prompt = 0;
        for (const auto &m : r.messages)
            prompt += static_cast<long long>((m.content.size() + 3) / 4);
        for (int i = 0; i < r.n; ++i) {
            out.choices.push_back(text + "#" + std::to_string(i));
            completion += static_cast<long long>((out.choices.back().size() + 3) / 4);
        }
        out.usage.promptTokens = prompt;
        out.usage.completionTokens = completion;
        out.usage.calls = 1;
        out.model = "echo";
        return out;
    }
    std::string describe() const override { return "test/echo"; }
    std::atomic<int> calls{0};
};

// Passes calls to an inner Lm, but holds the first `parties` calls until all
// of them are inside at once (or 10 s after the first came, for a failing test).
class RendezvousLm final : public Lm {
public:
    RendezvousLm(std::shared_ptr<Lm> inner, int parties) : m_inner(std::move(inner)), m_parties(parties) {}
    Result<ChatResponse> complete(const ChatRequest &r) override
    {
        {
            std::unique_lock lock(m_mutex);
            if (m_arrived == 0)
                m_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            if (m_arrived < m_parties && ++m_arrived == m_parties) {
                m_met = true;
                m_cv.notify_all();
            }
            m_cv.wait_until(lock, m_deadline, [&] { return m_met; });
        }
        return m_inner->complete(r);
    }
    std::string describe() const override { return "test/rendezvous"; }
    bool metAll() const
    {
        std::lock_guard lock(m_mutex);
        return m_met;
    }

private:
    std::shared_ptr<Lm> m_inner;
    const int m_parties;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    int m_arrived = 0;
    bool m_met = false;
    std::chrono::steady_clock::time_point m_deadline;
};

// Fails with a message that quotes the key, as a careless server might.
class LeakyFailLm final : public Lm {
public:
    Result<ChatResponse> complete(const ChatRequest &) override
    {
        const char *key = std::getenv("PRISM_HTTP_TEST_LEAKY_KEY");
        return Error::make(ErrorKind::InvalidRequest, std::string("bad request for key ") + (key ? key : "?"));
    }
    std::string describe() const override { return "test/leaky"; }
};

ModelConfig configFor(const SimServer &server, const std::string &model = "echo")
{
    ModelConfig c;
    c.provider = Provider::OpenAi;
    c.model = model;
    c.baseUrl = server.baseUrl();
    c.timeoutSeconds = 5.0;
    return c;
}

ChatRequest sampleRequest()
{
    ChatRequest r;
    r.messages = {{"system", "Classify severity."}, {"user", "[[ ## snippet ## ]]\nyou idiot"}};
    r.temperature = 0.7;
    r.maxTokens = 321;
    r.seed = 42;
    r.rollout = 7;
    return r;
}

using prism::testsupport::closedPort;

} // namespace

TEST(SimServer, RoundTripGivesTheModelsOwnAnswer)
{
    auto lm = std::make_shared<EchoLm>();
    SimServer server(lm, "echo");
    ASSERT_TRUE(server.start().ok());
    OpenAiClient client(configFor(server));

    ChatRequest req = sampleRequest();
    req.n = 2;
    req.responseFormat = ResponseFormat::JsonSchema;
    req.jsonSchema = R"({"properties":{"a":{"type":"string"}},"type":"object"})";
    auto viaHttp = client.complete(req);
    ASSERT_TRUE(viaHttp.ok()) << viaHttp.error().describe();
    auto direct = lm->complete(req);
    ASSERT_TRUE(direct.ok());
    EXPECT_EQ(viaHttp->choices, direct->choices); // every field crossed the wire, rollout included
    EXPECT_NE(viaHttp->text().find("rollout=7"), std::string::npos);
    EXPECT_EQ(viaHttp->usage.promptTokens, direct->usage.promptTokens);
    EXPECT_EQ(viaHttp->usage.completionTokens, direct->usage.completionTokens);
    EXPECT_EQ(viaHttp->model, "echo");
    EXPECT_EQ(viaHttp->requestId.rfind("chatcmpl-sim-", 0), 0u);
    EXPECT_GT(viaHttp->latencyMs, 0.0);
}

TEST(SimServer, ListsModelsAndReusesTheConnection)
{
    SimServer server(std::make_shared<EchoLm>(), "echo");
    ASSERT_TRUE(server.start().ok());
    OpenAiClient client(configFor(server));
    auto models = client.listModels();
    ASSERT_TRUE(models.ok()) << models.error().describe();
    EXPECT_EQ(*models, std::vector<std::string>{"echo"});

    const auto start = std::chrono::steady_clock::now();
    const int calls = 50;
    for (int i = 0; i < calls; ++i) {
        ChatRequest req = sampleRequest();
        req.rollout = static_cast<std::uint64_t>(i);
        ASSERT_TRUE(client.complete(req).ok());
    }
    const double perCallMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / calls;
    // Keep-alive: this thread's handle used one connection for everything.
    EXPECT_EQ(server.stats().connections, 1);
    EXPECT_EQ(server.stats().requests, calls + 1);
    // Loose bound on a shared machine; the benchmark measures the real figure.
    EXPECT_LT(perCallMs, 20.0);
}

TEST(SimServer, EachFaultMapsToItsErrorKind)
{
    struct Case {
        SimFault fault;
        ErrorKind kind;
        int status;
    };
    const Case cases[] = {
        {SimFault::RateLimit, ErrorKind::RateLimit, 429}, {SimFault::Error500, ErrorKind::Server, 500},
        {SimFault::Error503, ErrorKind::Server, 503},     {SimFault::Stall, ErrorKind::Timeout, 0},
        {SimFault::Truncated, ErrorKind::Server, 0},      {SimFault::Malformed, ErrorKind::Server, 200},
        {SimFault::Empty, ErrorKind::Server, 200},
    };
    for (const auto &c : cases) {
        SimServerOptions options;
        options.faultRates = {{c.fault, 1.0}};
        options.retryAfterSeconds = 2;
        options.stallMs = 2000;
        auto lm = std::make_shared<EchoLm>();
        SimServer server(lm, "echo", options);
        ASSERT_TRUE(server.start().ok());
        ModelConfig config = configFor(server);
        config.timeoutSeconds = 0.5;
        OpenAiClient client(config);
        const auto t0 = std::chrono::steady_clock::now();
        auto r = client.complete(sampleRequest());
        ASSERT_FALSE(r.ok()) << simFaultName(c.fault);
        const Error &e = r.error();
        EXPECT_EQ(e.kind, c.kind) << simFaultName(c.fault) << ": " << e.describe();
        EXPECT_TRUE(isRetryable(e)) << simFaultName(c.fault);
        if (c.status) {
            EXPECT_EQ(e.httpStatus, c.status) << simFaultName(c.fault);
        }
        EXPECT_EQ(e.message.find('\n'), std::string::npos);
        if (c.fault == SimFault::RateLimit) {
            ASSERT_TRUE(e.retryAfterSeconds.has_value());
            EXPECT_DOUBLE_EQ(*e.retryAfterSeconds, 2.0);
        }
        if (c.fault == SimFault::Truncated) {
            EXPECT_NE(e.message.find("truncated"), std::string::npos) << e.message;
        }
        if (c.fault == SimFault::Malformed) {
            EXPECT_NE(e.message.find("malformed"), std::string::npos) << e.message;
        }
        if (c.fault == SimFault::Empty) {
            EXPECT_NE(e.message.find("empty completion"), std::string::npos) << e.message;
        }
        EXPECT_EQ(server.stats().faults[c.fault], 1);
        server.stop(); // must not wait out the 2 s stall
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        EXPECT_LT(ms, 1500.0) << simFaultName(c.fault);
    }
}

TEST(SimServer, FaultsAreDeterministicAndRetriesSucceed)
{
    auto attempts = [](std::uint64_t seed) {
        SimServerOptions options;
        options.seed = seed;
        options.faultRates = {{SimFault::Error500, 0.3}, {SimFault::Malformed, 0.3}};
        auto lm = std::make_shared<EchoLm>();
        SimServer server(lm, "echo", options);
        EXPECT_TRUE(server.start().ok());
        OpenAiClient client(configFor(server));
        std::vector<std::string> outcomes;
        for (int i = 0; i < 60; ++i) {
            auto r = client.complete(sampleRequest());
            if (r.ok()) {
                outcomes.push_back(r->text());
                break;
            }
            outcomes.push_back(std::to_string(r.error().httpStatus));
        }
        return outcomes;
    };
    const auto first = attempts(11);
    ASSERT_FALSE(first.empty());
    const auto direct = EchoLm().complete(sampleRequest());
    EXPECT_EQ(first.back(), direct->text()); // the retried request got the model's answer
    EXPECT_EQ(attempts(11), first);          // same seed, same sequence of faults
}

TEST(SimServer, FaultRateIsRoughlyHonoured)
{
    SimServerOptions options;
    options.faultRates = {{SimFault::Error500, 0.2}, {SimFault::Error503, 0.2}};
    SimServer server(std::make_shared<EchoLm>(), "echo", options);
    ASSERT_TRUE(server.start().ok());
    OpenAiClient client(configFor(server));
    int ok = 0;
    const int n = 300;
    for (int i = 0; i < n; ++i) {
        ChatRequest req = sampleRequest();
        req.messages.back().content += std::to_string(i); // distinct requests, first attempts
        if (client.complete(req).ok())
            ++ok;
    }
    auto stats = server.stats();
    // Binomial(300, 0.2): mean 60, sd ~6.9; the bounds are 4+ sd away.
    EXPECT_GT(stats.faults[SimFault::Error500], 30);
    EXPECT_LT(stats.faults[SimFault::Error500], 90);
    EXPECT_GT(stats.faults[SimFault::Error503], 30);
    EXPECT_LT(stats.faults[SimFault::Error503], 90);
    EXPECT_EQ(ok + stats.faults[SimFault::Error500] + stats.faults[SimFault::Error503], n);
}

TEST(SimServer, UnknownModelIsAnInvalidRequestNamingIt)
{
    SimServer server(std::make_shared<EchoLm>(), "echo");
    ASSERT_TRUE(server.start().ok());
    OpenAiClient client(configFor(server, "sim-huge"));
    auto r = client.complete(sampleRequest());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidRequest);
    EXPECT_EQ(r.error().httpStatus, 404);
    EXPECT_NE(r.error().message.find("model 'sim-huge' not found at " + server.baseUrl() + "/chat/completions"),
              std::string::npos)
        << r.error().message;
    EXPECT_FALSE(isRetryable(r.error()));
}

TEST(SimServer, FactoryServesSeveralModels)
{
    auto small = std::make_shared<EchoLm>();
    auto large = std::make_shared<EchoLm>();
    SimServer server(
        [&](const std::string &name) -> std::shared_ptr<Lm> {
            if (name == "small")
                return small;
            if (name == "large")
                return large;
            return nullptr;
        },
        {"small", "large"});
    ASSERT_TRUE(server.start().ok());
    ASSERT_TRUE(OpenAiClient(configFor(server, "large")).complete(sampleRequest()).ok());
    EXPECT_EQ(small->calls, 0);
    EXPECT_EQ(large->calls, 1);
    auto models = OpenAiClient(configFor(server, "small")).listModels();
    ASSERT_TRUE(models.ok());
    EXPECT_EQ(*models, (std::vector<std::string>{"small", "large"}));
}

TEST(SimServer, ClosedPortIsATransportErrorOnOneLine)
{
    ModelConfig c;
    c.provider = Provider::OpenAi;
    c.model = "echo";
    c.baseUrl = "http://127.0.0.1:" + std::to_string(closedPort()) + "/v1";
    c.timeoutSeconds = 2.0;
    auto r = OpenAiClient(c).complete(sampleRequest());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Transport);
    EXPECT_EQ(r.error().message.rfind("could not reach " + c.baseUrl + "/chat/completions", 0), 0u)
        << r.error().message;
    EXPECT_NE(r.error().message.find("check that the server is running"), std::string::npos);
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
}

TEST(SimServer, UnsetKeyVariableFailsBeforeAnyRequest)
{
    SimServer server(std::make_shared<EchoLm>(), "echo");
    ASSERT_TRUE(server.start().ok());
    ::unsetenv("PRISM_HTTP_TEST_NO_SUCH_KEY");
    ModelConfig c = configFor(server);
    c.apiKeyEnv = "PRISM_HTTP_TEST_NO_SUCH_KEY";
    auto r = OpenAiClient(c).complete(sampleRequest());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Auth);
    EXPECT_EQ(r.error().message.rfind("environment variable PRISM_HTTP_TEST_NO_SUCH_KEY is not set", 0), 0u);
    ::setenv("PRISM_HTTP_TEST_NO_SUCH_KEY", "", 1); // empty counts as unset
    EXPECT_EQ(OpenAiClient(c).complete(sampleRequest()).error().kind, ErrorKind::Auth);
    ::unsetenv("PRISM_HTTP_TEST_NO_SUCH_KEY");
    EXPECT_EQ(server.stats().requests, 0);
}

TEST(SimServer, KeyReachesTheServerButNoErrorMessage)
{
    const std::string key = "sk-prism-test-" + std::to_string(fnv1a64("http-key-test", 12345));
    ::setenv("PRISM_HTTP_TEST_KEY", key.c_str(), 1);

    std::mutex seenMutex;
    std::vector<std::string> authHeaders;
    SimServerOptions options;
    options.onRequest = [&](const SimRequestInfo &info) {
        std::lock_guard<std::mutex> lock(seenMutex);
        auto it = info.headers.find("authorization");
        authHeaders.push_back(it == info.headers.end() ? "" : it->second);
    };
    options.requiredApiKey = key;
    SimServer server(std::make_shared<EchoLm>(), "echo", options);
    ASSERT_TRUE(server.start().ok());
    ModelConfig c = configFor(server);
    c.apiKeyEnv = "PRISM_HTTP_TEST_KEY";
    ASSERT_TRUE(OpenAiClient(c).complete(sampleRequest()).ok());
    {
        std::lock_guard<std::mutex> lock(seenMutex);
        ASSERT_EQ(authHeaders.size(), 1u);
        EXPECT_EQ(authHeaders[0], "Bearer " + key);
    }
    // The key is read at call time: a changed variable is used on the next call.
    ::setenv("PRISM_HTTP_TEST_KEY", (key + "-wrong").c_str(), 1);
    auto rejected = OpenAiClient(c).complete(sampleRequest());
    ASSERT_FALSE(rejected.ok());
    EXPECT_EQ(rejected.error().kind, ErrorKind::Auth);
    EXPECT_NE(rejected.error().message.find("the key in $PRISM_HTTP_TEST_KEY was rejected"), std::string::npos)
        << rejected.error().message;
    EXPECT_EQ(rejected.error().message.find(key), std::string::npos);
    ::unsetenv("PRISM_HTTP_TEST_KEY");

    // A server whose error text quotes the key: the client redacts it.
    ::setenv("PRISM_HTTP_TEST_LEAKY_KEY", key.c_str(), 1);
    SimServer leaky(std::make_shared<LeakyFailLm>(), "leaky");
    ASSERT_TRUE(leaky.start().ok());
    ModelConfig lc = configFor(leaky, "leaky");
    lc.apiKeyEnv = "PRISM_HTTP_TEST_LEAKY_KEY";
    auto leaked = OpenAiClient(lc).complete(sampleRequest());
    ASSERT_FALSE(leaked.ok());
    EXPECT_EQ(leaked.error().kind, ErrorKind::InvalidRequest);
    EXPECT_EQ(leaked.error().message.find(key), std::string::npos) << leaked.error().message;
    EXPECT_NE(leaked.error().message.find("***"), std::string::npos) << leaked.error().message;
    ::unsetenv("PRISM_HTTP_TEST_LEAKY_KEY");
}

TEST(SimServer, CancelAbortsAnInFlightCall)
{
    SimServerOptions options;
    options.latencyMs = 3000;
    auto lm = std::make_shared<EchoLm>();
    SimServer server(lm, "echo", options);
    ASSERT_TRUE(server.start().ok());
    std::atomic<bool> cancel{false};
    OpenAiClient client(configFor(server));
    client.setCancelFlag(&cancel);
    // Cancels once the server has the request (its model answered; the
    // simulated latency runs), so the call is in flight, not yet sent.
    std::thread canceller([&] {
        testsupport::waitFor([&] { return lm->calls.load() == 1; });
        cancel = true;
    });
    auto r = client.complete(sampleRequest());
    canceller.join();
    EXPECT_EQ(lm->calls.load(), 1);
    ASSERT_FALSE(r.ok());
    // Not the answer after 3 s, nor the client's 5 s timeout.
    EXPECT_EQ(r.error().kind, ErrorKind::Cancelled) << r.error().describe();
}

TEST(SimServer, BadRequestsGetOpenAiErrorBodies)
{
    SimServer server(std::make_shared<EchoLm>(), "echo");
    ASSERT_TRUE(server.start().ok());
    HttpRequest req;
    req.method = "POST";
    req.url = server.baseUrl() + "/chat/completions";
    req.body = "{not json";
    auto r = httpSend(req);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(extractServerError(r->body).type, "invalid_request_error");

    req.body = R"({"model":"echo","messages":[{"role":"user","content":"hi"}],"rollout":-1})";
    auto neg = httpSend(req);
    ASSERT_TRUE(neg.ok());
    EXPECT_EQ(neg->status, 400);

    req.body = R"({"model":"echo","messages":[{"role":"user","content":"hi"}],"response_format":{"type":5}})";
    auto odd = httpSend(req);
    ASSERT_TRUE(odd.ok());
    EXPECT_EQ(odd->status, 400);

    req.body = R"({"model":"echo","messages":[{"role":"user","content":"hi"}],"stream":true})";
    auto stream = httpSend(req);
    ASSERT_TRUE(stream.ok());
    EXPECT_EQ(stream->status, 400);
    EXPECT_NE(extractServerError(stream->body).message.find("streaming"), std::string::npos);

    req.method = "GET";
    req.body.clear();
    req.url = server.baseUrl() + "/nowhere";
    auto missing = httpSend(req);
    ASSERT_TRUE(missing.ok());
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(missing->headers["content-type"], "application/json");
}

TEST(SimServer, ParallelClientsGetTheirOwnAnswers)
{
    const int clients = 8;
    auto echo = std::make_shared<EchoLm>();
    auto lm = std::make_shared<RendezvousLm>(echo, clients);
    SimServerOptions options;
    options.latencyMs = 20;
    SimServer server(lm, "echo", options);
    ASSERT_TRUE(server.start().ok());
    OpenAiClient client(configFor(server));
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i) {
                ChatRequest req = sampleRequest();
                req.rollout = static_cast<std::uint64_t>(t * 100 + i);
                auto r = client.complete(req);
                if (!r.ok() || r->text() != EchoLm().complete(req)->text())
                    ++mismatches;
            }
        });
    }
    for (auto &th : threads)
        th.join();
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(echo->calls, clients * 5);
    // The first requests of all 8 clients were inside the model at once: the
    // server serves them in parallel, not one after another.
    EXPECT_TRUE(lm->metAll());
}

TEST(SimServer, AnthropicClientSendsItsHeadersToMessages)
{
    const std::string key = "sk-ant-test-" + std::to_string(fnv1a64("anthropic-key", 7));
    ::setenv("PRISM_HTTP_TEST_ANTHROPIC_KEY", key.c_str(), 1);
    std::mutex seenMutex;
    std::vector<SimRequestInfo> seen;
    SimServerOptions options;
    options.onRequest = [&](const SimRequestInfo &info) {
        std::lock_guard<std::mutex> lock(seenMutex);
        seen.push_back(info);
    };
    SimServer server(std::make_shared<EchoLm>(), "echo", options);
    ASSERT_TRUE(server.start().ok());
    ModelConfig c;
    c.provider = Provider::Anthropic;
    c.model = "claude-test";
    c.baseUrl = server.baseUrl();
    c.apiKeyEnv = "PRISM_HTTP_TEST_ANTHROPIC_KEY";
    c.timeoutSeconds = 5;
    auto r = AnthropicClient(c).complete(sampleRequest());
    ::unsetenv("PRISM_HTTP_TEST_ANTHROPIC_KEY");
    // The server has no /v1/messages: a 404 that blames the URL, not the key.
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidRequest);
    EXPECT_EQ(r.error().message.find(key), std::string::npos);
    std::lock_guard<std::mutex> lock(seenMutex);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "POST");
    EXPECT_EQ(seen[0].path, "/v1/messages");
    EXPECT_EQ(seen[0].headers["x-api-key"], key);
    EXPECT_EQ(seen[0].headers["anthropic-version"], "2023-06-01");
    EXPECT_EQ(seen[0].headers.count("authorization"), 0u);
}
