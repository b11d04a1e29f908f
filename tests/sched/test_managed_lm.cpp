// ManagedLm: retries, fail-fast, Retry-After, cancellation, concurrency
// limits, adaptive 429 handling and budgets, seen from a caller. Waits run on
// a FakeClock and threads are positioned by observable state, never by sleeps.
#include "fake_lm.h"

#include "../support/fake_clock.h"

#include "lm/context_limit.h"
#include "lm/managed_lm.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <thread>

using namespace prism;
using namespace prism::test;
using prism::testsupport::FakeClock;
using prism::testsupport::waitFor;
using std::chrono::milliseconds;

namespace {

CallServices fastServices(int globalConcurrency = 32, std::shared_ptr<Clock> clock = nullptr)
{
    CallServices s = CallServices::makeBasic(globalConcurrency, std::move(clock));
    s.retry.baseSeconds = 0.001; // keep backoff sleeps tiny
    s.retry.capSeconds = 0.004;
    return s;
}

LmIdentity fakeIdentity(const std::string &baseUrl = "http://fake")
{
    return LmIdentity{"openai", baseUrl, "fake-model"};
}

// One complete() on its own thread. If it is still running when the test
// ends (a failing test), the run is cancelled and a fake clock pushed ahead,
// so the test fails instead of hanging.
class Caller {
public:
    Caller(ManagedLm &lm, const std::string &text, std::shared_ptr<FakeClock> clock = nullptr)
        : m_lm(lm), m_clock(std::move(clock)), m_thread([this, text] {
              auto r = m_lm.complete(makeRequest(text));
              std::lock_guard lock(m_mutex);
              m_result.emplace(std::move(r));
          })
    {}
    ~Caller()
    {
        if (m_thread.joinable()) {
            stop();
            m_thread.join();
        }
    }
    bool done() const
    {
        std::lock_guard lock(m_mutex);
        return m_result.has_value();
    }
    // Waits for the call to return (cancelling it after the waitFor() timeout)
    // and hands over its result.
    Result<ChatResponse> take()
    {
        if (!waitFor([&] { return done(); }))
            stop();
        m_thread.join();
        return std::move(*m_result);
    }

private:
    void stop()
    {
        m_lm.services().requestCancel();
        for (int i = 0; i < 100 && m_clock && !waitFor([&] { return done(); }, milliseconds(50)); ++i)
            m_clock->advance(std::chrono::hours(1));
    }

    ManagedLm &m_lm;
    std::shared_ptr<FakeClock> m_clock;
    mutable std::mutex m_mutex;
    std::optional<Result<ChatResponse>> m_result;
    std::thread m_thread;
};

// The earliest pending wait on the clock in seconds; -1 when nobody waits.
double pendingWait(const FakeClock &clock)
{
    const auto wait = clock.nextWait();
    return wait ? Clock::seconds(*wait) : -1.0;
}

} // namespace

TEST(ManagedLm, RetriesTransientErrorsAndLedgerShowsRetryCount)
{
    auto fake = std::make_shared<FakeLm>();
    fake->failWith = [](int attempt) -> std::optional<Error> {
        if (attempt == 0)
            return makeError(ErrorKind::Server);
        if (attempt == 1)
            return makeError(ErrorKind::Transport);
        if (attempt == 2)
            return makeError(ErrorKind::Timeout);
        return std::nullopt;
    };
    CallServices services = fastServices();
    ManagedLm lm(fake, services, fakeIdentity());

    auto result = lm.complete(makeRequest("hello"));
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(result->text(), "answer to: hello");
    EXPECT_FALSE(result->cacheHit);
    EXPECT_EQ(fake->calls.load(), 4);

    const auto entries = services.ledger->entries();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].retries, 3);
    EXPECT_FALSE(entries[0].errorKind.has_value());
    EXPECT_EQ(entries[0].role, "task");
    EXPECT_EQ(entries[0].model, "fake-model");
    EXPECT_EQ(entries[0].endpoint, "openai http://fake");
    EXPECT_EQ(services.ledger->totals().retries, 3);
}

TEST(ManagedLm, NonRetryableErrorsFailFastWithOneCall)
{
    for (ErrorKind kind :
         {ErrorKind::Auth, ErrorKind::InvalidRequest, ErrorKind::ContextWindowExceeded, ErrorKind::Parse}) {
        auto fake = std::make_shared<FakeLm>();
        fake->failWith = [kind](int) -> std::optional<Error> { return makeError(kind); };
        CallServices services = fastServices();
        ManagedLm lm(fake, services, fakeIdentity());

        auto result = lm.complete(makeRequest("x"));
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error().kind, kind);
        EXPECT_EQ(result.error().message.find("after"), std::string::npos) << result.error().message;
        EXPECT_EQ(fake->calls.load(), 1) << errorKindName(kind);
        const auto entries = services.ledger->entries();
        ASSERT_EQ(entries.size(), 1u);
        EXPECT_EQ(entries[0].errorKind, kind);
        EXPECT_EQ(entries[0].retries, 0);
    }
}

TEST(ManagedLm, GivesUpAfterMaxRetriesAndSaysSo)
{
    auto fake = std::make_shared<FakeLm>();
    fake->failWith = [](int) -> std::optional<Error> { return makeError(ErrorKind::Server); };
    CallServices services = fastServices();
    services.retry.maxRetries = 3;
    ManagedLm lm(fake, services, fakeIdentity());

    auto result = lm.complete(makeRequest("x"));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::Server);
    EXPECT_EQ(result.error().message, "fake server (after 3 retries)");
    EXPECT_EQ(fake->calls.load(), 4);
    const auto totals = services.ledger->totals();
    EXPECT_EQ(totals.calls, 1);
    EXPECT_EQ(totals.errors, 1);
    EXPECT_EQ(totals.retries, 3);
    // A failed request reports no usage, and is not counted as unknown usage either.
    EXPECT_FALSE(totals.promptTokensUnknown);
}

TEST(ManagedLm, RetryAfterIsTheMinimumWait)
{
    auto fake = std::make_shared<FakeLm>();
    fake->failWith = [](int attempt) -> std::optional<Error> {
        if (attempt < 2)
            return makeError(ErrorKind::RateLimit, 0.05);
        return std::nullopt;
    };
    auto clock = std::make_shared<FakeClock>();
    CallServices services = fastServices(32, clock);
    ManagedLm lm(fake, services, fakeIdentity());

    Caller caller(lm, "x", clock);
    for (int attempt = 1; attempt <= 2; ++attempt) {
        // Counting calls first: the sleeper of the previous attempt may not have left yet.
        ASSERT_TRUE(waitFor([&] {
            return fake->calls.load() == attempt && services.scheduler->sleeping() == 1 && clock->waiters() == 1;
        })) << attempt;
        EXPECT_EQ(fake->calls.load(), attempt);
        // The backoff alone would be at most 4 ms; Retry-After asks for 50 ms.
        EXPECT_NEAR(pendingWait(*clock), 0.05, 1e-9) << attempt;
        clock->advance(milliseconds(49));
        ASSERT_TRUE(waitFor([&] { return clock->settledWaiters() == 1 || fake->calls.load() > attempt; })) << attempt;
        EXPECT_EQ(fake->calls.load(), attempt) << "retried before Retry-After";
        clock->advance(milliseconds(1));
    }
    auto result = caller.take();
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(fake->calls.load(), 3);
    const auto entries = services.ledger->entries();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].retries, 2);
    EXPECT_NEAR(entries[0].waitMs, 100.0, 1e-6); // measured on the same clock
}

TEST(ManagedLm, BackoffWithoutRetryAfterStaysUnderTheCap)
{
    auto fake = std::make_shared<FakeLm>();
    fake->failWith = [](int attempt) -> std::optional<Error> {
        if (attempt < 4)
            return makeError(ErrorKind::Server);
        return std::nullopt;
    };
    auto clock = std::make_shared<FakeClock>();
    CallServices services = fastServices(32, clock);
    services.retry.baseSeconds = 0.002;
    services.retry.capSeconds = 0.005;
    ManagedLm lm(fake, services, fakeIdentity());

    Caller caller(lm, "x", clock);
    // Jittered below a ceiling that doubles per retry up to the cap: 2, 4, 5, 5 ms.
    const double ceilings[] = {0.002, 0.004, 0.005, 0.005};
    Clock::Duration waited{0};
    for (int retry = 0; retry < 4; ++retry) {
        // A jitter that rounds to no wait at all goes straight to the next attempt.
        ASSERT_TRUE(waitFor([&] {
            return (fake->calls.load() == retry + 1 && clock->waiters() == 1) || fake->calls.load() > retry + 1;
        })) << retry;
        if (fake->calls.load() > retry + 1)
            continue;
        const double wait = pendingWait(*clock);
        EXPECT_GT(wait, 0.0) << retry;
        EXPECT_LE(wait, ceilings[retry]) << retry;
        const Clock::Duration step = *clock->nextWait();
        waited += step;
        clock->advance(step);
    }
    ASSERT_TRUE(caller.take().ok());
    EXPECT_EQ(fake->calls.load(), 5);
    EXPECT_NEAR(services.ledger->entries()[0].waitMs, 1000.0 * Clock::seconds(waited), 1e-6);
}

TEST(ManagedLm, CancelWakesQueuedCallersAndLetsInFlightCallsFinish)
{
    auto fake = std::make_shared<FakeLm>();
    fake->gated = true;
    CallServices services = fastServices(1); // one slot: the others queue
    ManagedLm lm(fake, services, fakeIdentity());

    Caller holder(lm, "first");
    ASSERT_TRUE(waitFor([&] { return fake->calls.load() == 1; }));

    std::vector<std::unique_ptr<Caller>> queued;
    for (int i = 0; i < 4; ++i)
        queued.push_back(std::make_unique<Caller>(lm, "queued " + std::to_string(i)));
    ASSERT_TRUE(waitFor([&] { return services.scheduler->waitingForSlot() == 4; }));

    // The slot stays taken: only the cancel can end their wait.
    services.requestCancel();
    for (auto &q : queued) {
        auto r = q->take();
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().kind, ErrorKind::Cancelled);
    }
    EXPECT_EQ(services.scheduler->waitingForSlot(), 0);
    EXPECT_EQ(fake->calls.load(), 1); // none of the queued calls reached the model
    EXPECT_FALSE(holder.done());

    fake->release();
    EXPECT_TRUE(holder.take().ok()); // the in-flight call finished normally

    // Nothing new starts after a cancel.
    auto late = lm.complete(makeRequest("late"));
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().kind, ErrorKind::Cancelled);
    EXPECT_EQ(fake->calls.load(), 1);
}

TEST(ManagedLm, CancelInterruptsABackoffSleepEvenWithoutWake)
{
    auto fake = std::make_shared<FakeLm>();
    fake->failWith = [](int) -> std::optional<Error> { return makeError(ErrorKind::RateLimit, 30.0); };
    auto clock = std::make_shared<FakeClock>();
    CallServices services = fastServices(32, clock);
    ManagedLm lm(fake, services, fakeIdentity());

    Caller caller(lm, "x", clock);
    ASSERT_TRUE(waitFor([&] { return services.scheduler->sleeping() == 1 && clock->waiters() == 1; }));
    EXPECT_NEAR(pendingWait(*clock), 30.0, 1e-9);
    // The flag alone, as an evaluator would set it; the clock stays put, so
    // only the sleeper's own poll of the flag can end the 30 s Retry-After.
    services.cancel->store(true);
    ASSERT_TRUE(waitFor([&] { return caller.done(); }));
    auto result = caller.take();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::Cancelled);
    EXPECT_NE(result.error().message.find("(after 1 retry)"), std::string::npos) << result.error().message;
    EXPECT_EQ(fake->calls.load(), 1);
}

TEST(ManagedLm, GlobalConcurrencyLimitHoldsWithSixteenThreads)
{
    auto fake = std::make_shared<FakeLm>();
    fake->gated = true; // every first call holds its slot until release()
    CallServices services = fastServices(3);
    ManagedLm lm(fake, services, fakeIdentity(), EndpointLimits{100});

    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 16; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i)
                if (!lm.complete(makeRequest(std::to_string(t) + "/" + std::to_string(i))).ok())
                    ++failures;
        });
    // Every thread is either in the model or queued for a slot.
    EXPECT_TRUE(waitFor([&] { return fake->current.load() + services.scheduler->waitingForSlot() == 16; }));
    EXPECT_EQ(fake->current.load(), 3); // the limit is reached, and not passed
    EXPECT_EQ(services.scheduler->waitingForSlot(), 13);
    EXPECT_EQ(services.scheduler->globalInFlight(), 3);
    fake->release();
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(fake->calls.load(), 80);
    EXPECT_EQ(fake->maxConcurrent.load(), 3);
    EXPECT_EQ(services.scheduler->globalInFlight(), 0);
    EXPECT_EQ(services.scheduler->waitingForSlot(), 0);
}

TEST(ManagedLm, PerEndpointLimitsAreIndependent)
{
    auto fakeA = std::make_shared<FakeLm>();
    auto fakeB = std::make_shared<FakeLm>();
    fakeA->gated = fakeB->gated = true;
    CallServices services = fastServices(16);
    ManagedLm lmA(fakeA, services, fakeIdentity("http://a"), EndpointLimits{2});
    ManagedLm lmB(fakeB, services, fakeIdentity("http://b"), EndpointLimits{4});

    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 16; ++t)
        threads.emplace_back([&, t] {
            ManagedLm &lm = t % 2 ? lmA : lmB;
            for (int i = 0; i < 5; ++i)
                if (!lm.complete(makeRequest(std::to_string(t) + "/" + std::to_string(i))).ok())
                    ++failures;
        });
    EXPECT_TRUE(waitFor(
        [&] { return fakeA->current.load() + fakeB->current.load() + services.scheduler->waitingForSlot() == 16; }));
    EXPECT_EQ(fakeA->current.load(), 2);
    EXPECT_EQ(fakeB->current.load(), 4); // B is not held to A's limit
    EXPECT_EQ(services.scheduler->waitingForSlot(), 6 + 4);
    fakeA->release();
    fakeB->release();
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(fakeA->maxConcurrent.load(), 2);
    EXPECT_EQ(fakeB->maxConcurrent.load(), 4);
    const auto status = services.scheduler->status();
    ASSERT_EQ(status.endpoints.size(), 2u);
    EXPECT_EQ(status.endpoints[0].endpoint, "openai http://a");
    EXPECT_EQ(status.endpoints[0].configuredLimit, 2);
    EXPECT_EQ(status.endpoints[1].configuredLimit, 4);
}

TEST(ManagedLm, RateLimitCutsConcurrencyAndSuccessesGrowItBackSlowly)
{
    auto fake = std::make_shared<FakeLm>();
    fake->failWith = [](int attempt) -> std::optional<Error> {
        if (attempt == 0)
            return makeError(ErrorKind::RateLimit, 0.0);
        return std::nullopt;
    };
    CallServices services = fastServices();
    services.scheduler->setGrowEvery(20);
    ManagedLm lm(fake, services, fakeIdentity(), EndpointLimits{8});
    const std::string endpoint = lm.endpoint();

    ASSERT_TRUE(lm.complete(makeRequest("first")).ok()); // 429, then a success
    EXPECT_EQ(services.scheduler->endpointLimit(endpoint), 4);
    for (int i = 0; i < 18; ++i)
        ASSERT_TRUE(lm.complete(makeRequest("again " + std::to_string(i))).ok());
    EXPECT_EQ(services.scheduler->endpointLimit(endpoint), 4); // 19 successes
    ASSERT_TRUE(lm.complete(makeRequest("twentieth")).ok());
    EXPECT_EQ(services.scheduler->endpointLimit(endpoint), 5);
    for (int i = 0; i < 200; ++i)
        ASSERT_TRUE(lm.complete(makeRequest("more " + std::to_string(i))).ok());
    EXPECT_EQ(services.scheduler->endpointLimit(endpoint), 8); // never above the configured limit
    EXPECT_EQ(services.scheduler->status().endpoints[0].rateLimited, 1);
}

TEST(ManagedLm, CallBudgetStartsAtMostNCallsUnderRacingThreads)
{
    auto fake = std::make_shared<FakeLm>();
    CallServices services = fastServices();
    services.budget = std::make_shared<BudgetTracker>(Budget{20, {}, {}, {}});
    ManagedLm lm(fake, services, fakeIdentity());

    std::atomic<int> ok{0}, refused{0}, other{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 32; ++t)
        threads.emplace_back([&, t] {
            while (!go.load())
                std::this_thread::yield();
            for (int i = 0; i < 4; ++i) {
                auto r = lm.complete(makeRequest(std::to_string(t) + "/" + std::to_string(i)));
                if (r.ok())
                    ++ok;
                else if (r.error().kind == ErrorKind::Budget && r.error().message == "budget reached: 20 calls")
                    ++refused;
                else
                    ++other;
            }
        });
    go = true;
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(fake->calls.load(), 20);
    EXPECT_EQ(ok.load(), 20);
    EXPECT_EQ(refused.load(), 32 * 4 - 20);
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(services.ledger->size(), 20u);
    EXPECT_EQ(services.budget->stopReason(), "budget: 20 calls reached");
}

TEST(ManagedLm, TokenAndDollarBudgetsStopAfterTheCallThatReachesThem)
{
    {
        auto fake = std::make_shared<FakeLm>(); // 10 + 5 tokens per call
        CallServices services = fastServices();
        services.budget = std::make_shared<BudgetTracker>(Budget{{}, 30, {}, {}});
        ManagedLm lm(fake, services, fakeIdentity());
        EXPECT_TRUE(lm.complete(makeRequest("a")).ok()); // 15 used
        EXPECT_TRUE(lm.complete(makeRequest("b")).ok()); // 30 used: reached
        auto third = lm.complete(makeRequest("c"));
        ASSERT_FALSE(third.ok());
        EXPECT_EQ(third.error().kind, ErrorKind::Budget);
        EXPECT_EQ(fake->calls.load(), 2);
        EXPECT_EQ(services.budget->stopReason(), "budget: 30 tokens reached");
    }
    {
        auto fake = std::make_shared<FakeLm>();
        fake->promptTokens = 1000000;
        fake->completionTokens = 0;
        CallServices services = fastServices();
        services.prices->set("priced", ModelPrice{1.0, 2.0}); // $1 per call here
        services.budget = std::make_shared<BudgetTracker>(Budget{{}, {}, 2.5, {}});
        ManagedLm lm(fake, services, LmIdentity{"openai", "http://fake", "priced"});
        for (int i = 0; i < 3; ++i)
            EXPECT_TRUE(lm.complete(makeRequest(std::to_string(i))).ok());
        auto fourth = lm.complete(makeRequest("3"));
        ASSERT_FALSE(fourth.ok());
        EXPECT_EQ(fourth.error().message, "budget reached: $2.50");
        EXPECT_DOUBLE_EQ(services.budget->dollarsUsed(), 3.0);
        EXPECT_DOUBLE_EQ(services.ledger->totals().dollars, 3.0);
    }
}

TEST(ManagedLm, LedgerRecordsRoleTokensDollarsAndUnknowns)
{
    auto known = std::make_shared<FakeLm>();
    known->promptTokens = 1000;
    known->completionTokens = 500;
    auto unknown = std::make_shared<FakeLm>();
    unknown->promptTokens = std::nullopt;
    unknown->completionTokens = std::nullopt;
    CallServices services = fastServices();
    ManagedLm mini(known, services, LmIdentity{"openai", "https://api.openai.com/v1", "gpt-4o-mini"});
    ManagedLm local(unknown, services, LmIdentity{"openai", "http://localhost:11434/v1", "llama3.2"});
    ManagedLm sim(unknown, services, LmIdentity{"simlm", "", "sim-small"});

    ASSERT_TRUE(mini.complete(makeRequest("a", "task")).ok());
    ASSERT_TRUE(mini.complete(makeRequest("b", "proposer")).ok());
    ASSERT_TRUE(local.complete(makeRequest("c", "task")).ok());
    ASSERT_TRUE(sim.complete(makeRequest("d", "evaluation")).ok());

    const auto entries = services.ledger->entries();
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].sequence, 1);
    EXPECT_EQ(entries[3].sequence, 4);
    // gpt-4o-mini: $0.15 / M in, $0.60 / M out.
    ASSERT_TRUE(entries[0].dollars.has_value());
    EXPECT_NEAR(*entries[0].dollars, (1000 * 0.15 + 500 * 0.60) / 1e6, 1e-12);
    EXPECT_EQ(entries[1].role, "proposer");
    EXPECT_FALSE(entries[2].promptTokens.has_value()); // unknown stays unknown
    EXPECT_FALSE(entries[2].dollars.has_value());      // no price for llama3.2
    ASSERT_TRUE(entries[3].dollars.has_value());       // SimLm is free even without counts
    EXPECT_EQ(*entries[3].dollars, 0.0);

    const auto byRole = services.ledger->totalsByRole();
    EXPECT_EQ(byRole.at("task").calls, 2);
    EXPECT_EQ(byRole.at("task").promptTokens, 1000);
    EXPECT_TRUE(byRole.at("task").promptTokensUnknown);
    EXPECT_EQ(byRole.at("proposer").promptTokens, 1000);
    EXPECT_FALSE(byRole.at("proposer").promptTokensUnknown);
    const auto byModel = services.ledger->totalsByModel();
    EXPECT_EQ(byModel.at("gpt-4o-mini").calls, 2);
    EXPECT_EQ(byModel.at("gpt-4o-mini").completionTokens, 1000);
    EXPECT_NEAR(byModel.at("gpt-4o-mini").dollars, 2 * (1000 * 0.15 + 500 * 0.60) / 1e6, 1e-12);
    EXPECT_FALSE(byModel.at("gpt-4o-mini").dollarsUnknown);
    EXPECT_TRUE(byModel.at("llama3.2").dollarsUnknown);
    EXPECT_FALSE(byModel.at("sim-small").dollarsUnknown);
}

// Issue 13 item 15: a prompt over max_prompt_tokens fails before it is sent:
// the model is never called, the ledger has no entry, and nothing is retried.
TEST(ManagedLm, PromptOverTheLimitIsNeverSentNorLedgered)
{
    auto fake = std::make_shared<FakeLm>();
    CallServices services = fastServices();
    ManagedLm lm(fake, services, fakeIdentity());
    lm.setPromptLimit(10, "models.task.max_prompt_tokens");

    // 15 characters of system message + 25 of user text = 40 characters, 10 tokens: fits.
    auto fits = lm.complete(makeRequest(std::string(25, 'a')));
    ASSERT_TRUE(fits.ok()) << fits.error().describe();
    EXPECT_EQ(fake->calls.load(), 1);

    // One character more is 11 tokens.
    auto over = lm.complete(makeRequest(std::string(26, 'a')));
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().kind, ErrorKind::ContextWindowExceeded);
    EXPECT_FALSE(isRetryable(over.error()));
    EXPECT_EQ(over.error().message, "prompt of about 11 tokens exceeds the model's max_prompt_tokens 10 "
                                    "(models.task.max_prompt_tokens); it was not sent");
    EXPECT_EQ(fake->calls.load(), 1);
    EXPECT_EQ(services.ledger->entries().size(), 1u);
}

// The documented defaults when a study sets no max_prompt_tokens: the model
// family's window by name (docs/STUDY_FORMAT.md), SimLm's own, else a generous one.
TEST(ManagedLm, DefaultPromptLimitFollowsTheModelFamily)
{
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "gpt-4o-mini"), 128000);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "gpt-4.1-mini"), 1047576);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "gpt-4"), 8192);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "gpt-4-turbo"), 128000);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "gpt-3.5-turbo"), 16385);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "o3-mini"), 200000);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "o1-mini"), 128000);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "openai/GPT-4o"), 128000);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::Anthropic, "claude-sonnet-4-5"), 200000);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::SimLm, "sim-small"), kSimMaxPromptTokens);
    // SimLm served over HTTP keeps its limit, so in-process and served runs agree.
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "sim-large"), kSimMaxPromptTokens);
    EXPECT_EQ(defaultMaxPromptTokens(Provider::OpenAi, "llama3.1"), kUnknownModelMaxPromptTokens);

    ModelConfig config;
    config.provider = Provider::OpenAi;
    config.model = "gpt-4o";
    EXPECT_EQ(effectiveMaxPromptTokens(config), 128000);
    config.maxPromptTokens = 5000;
    EXPECT_EQ(effectiveMaxPromptTokens(config), 5000);
}

// --- A model served by several endpoints (replicas) --------------------------

namespace {

struct Replicas {
    std::shared_ptr<FakeLm> a = std::make_shared<FakeLm>();
    std::shared_ptr<FakeLm> b = std::make_shared<FakeLm>();

    std::vector<LmRoute> routes(EndpointLimits limitsA = {4}, EndpointLimits limitsB = {4}) const
    {
        return {LmRoute{a, "openai http://a", limitsA}, LmRoute{b, "openai http://b", limitsB}};
    }
};

std::map<std::string, int> callsByEndpoint(const Ledger &ledger)
{
    std::map<std::string, int> out;
    for (const auto &e : ledger.entries())
        ++out[e.endpoint];
    return out;
}

} // namespace

TEST(ManagedLmReplicas, ConcurrentCallsAreSpreadByOutstandingRequests)
{
    Replicas r;
    r.a->gated = r.b->gated = true;
    CallServices services = fastServices();
    ManagedLm lm(r.routes(), services, fakeIdentity("http://a"));

    std::vector<std::unique_ptr<Caller>> callers;
    for (int i = 0; i < 4; ++i)
        callers.push_back(std::make_unique<Caller>(lm, "q" + std::to_string(i)));
    ASSERT_TRUE(waitFor([&] { return r.a->current.load() + r.b->current.load() == 4; }));
    // Each endpoint could take all four; the fewest outstanding wins each time.
    EXPECT_EQ(r.a->current.load(), 2);
    EXPECT_EQ(r.b->current.load(), 2);
    r.a->release();
    r.b->release();
    for (auto &c : callers)
        EXPECT_TRUE(c->take().ok());
}

TEST(ManagedLmReplicas, OutstandingRequestsAreWeighedByEachEndpointsLimit)
{
    Replicas r;
    r.a->gated = r.b->gated = true;
    CallServices services = fastServices();
    ManagedLm lm(r.routes(EndpointLimits{6}, EndpointLimits{2}), services, fakeIdentity("http://a"));

    std::vector<std::unique_ptr<Caller>> callers;
    for (int i = 0; i < 4; ++i)
        callers.push_back(std::make_unique<Caller>(lm, "q" + std::to_string(i)));
    ASSERT_TRUE(waitFor([&] { return r.a->current.load() + r.b->current.load() == 4; }));
    EXPECT_EQ(r.a->current.load(), 3); // 3 of 6 slots, as busy as B with 1 of 2
    EXPECT_EQ(r.b->current.load(), 1);
    r.a->release();
    r.b->release();
    for (auto &c : callers)
        EXPECT_TRUE(c->take().ok());
}

TEST(ManagedLmReplicas, OneAfterAnotherTheEndpointsTakeTurns)
{
    Replicas r;
    CallServices services = fastServices();
    ManagedLm lm(r.routes(), services, fakeIdentity("http://a"));
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(lm.complete(makeRequest("q" + std::to_string(i))).ok());
    EXPECT_EQ(r.a->calls.load(), 5);
    EXPECT_EQ(r.b->calls.load(), 5);
    const auto byEndpoint = callsByEndpoint(*services.ledger);
    EXPECT_EQ(byEndpoint.at("openai http://a"), 5);
    EXPECT_EQ(byEndpoint.at("openai http://b"), 5);
    EXPECT_EQ(lm.describe(), "fake and 1 replica");
    // The ledger's JSON splits the calls by endpoint only when a model has several.
    const Json j = services.ledger->toJson();
    EXPECT_EQ(j["by_endpoint"]["openai http://b"]["lm_calls"], 5);
}

TEST(ManagedLmReplicas, AFailingEndpointHandsTheCallToAnotherAtOnceAndCoolsDown)
{
    auto clock = std::make_shared<FakeClock>();
    Replicas r;
    r.a->failWith = [](int attempt) -> std::optional<Error> {
        if (attempt == 0)
            return makeError(ErrorKind::Transport);
        return std::nullopt;
    };
    CallServices services = fastServices(32, clock);
    ManagedLm lm(r.routes(), services, fakeIdentity("http://a"));

    // No backoff: the fake clock never moves, so a sleep would never end.
    Caller first(lm, "first", clock);
    auto answered = first.take();
    ASSERT_TRUE(answered.ok()) << answered.error().describe();
    EXPECT_EQ(r.a->calls.load(), 1);
    EXPECT_EQ(r.b->calls.load(), 1);
    auto entries = services.ledger->entries();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].endpoint, "openai http://b");
    EXPECT_EQ(entries[0].retries, 1);
    EXPECT_EQ(entries[0].waitMs, 0.0);

    // While A cools down, B takes every call, even when it is A's turn.
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(lm.complete(makeRequest("while cooling " + std::to_string(i))).ok());
    EXPECT_EQ(r.a->calls.load(), 1);
    EXPECT_EQ(r.b->calls.load(), 4);

    // Half a second later A is tried again, answers, and the turns resume.
    clock->advance(milliseconds(600));
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(lm.complete(makeRequest("recovered " + std::to_string(i))).ok());
    EXPECT_EQ(r.a->calls.load(), 3);
    EXPECT_EQ(r.b->calls.load(), 6);
}

TEST(ManagedLmReplicas, A429MovesTheCallAndKeepsTheEndpointAwayForRetryAfter)
{
    auto clock = std::make_shared<FakeClock>();
    Replicas r;
    r.a->failWith = [](int attempt) -> std::optional<Error> {
        if (attempt == 0)
            return makeError(ErrorKind::RateLimit, 20.0);
        return std::nullopt;
    };
    CallServices services = fastServices(32, clock);
    ManagedLm lm(r.routes(), services, fakeIdentity("http://a"));
    Caller first(lm, "first", clock);
    ASSERT_TRUE(first.take().ok());
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(lm.complete(makeRequest("later " + std::to_string(i))).ok());
    EXPECT_EQ(r.a->calls.load(), 1); // the server asked for 20 s
    clock->advance(std::chrono::seconds(19));
    ASSERT_TRUE(lm.complete(makeRequest("at 19 s")).ok());
    EXPECT_EQ(r.a->calls.load(), 1);
    clock->advance(std::chrono::seconds(2));
    ASSERT_TRUE(lm.complete(makeRequest("at 21 s")).ok());
    EXPECT_EQ(r.a->calls.load(), 2);
    // The 429 also halved A's adaptive limit, and only A's.
    EXPECT_EQ(services.scheduler->endpointLimit("openai http://a"), 2);
    EXPECT_EQ(services.scheduler->endpointLimit("openai http://b"), 4);
}

TEST(ManagedLmReplicas, EachEndpointKeepsItsOwnRateLimit)
{
    auto clock = std::make_shared<FakeClock>();
    Replicas r;
    CallServices services = fastServices(32, clock);
    // A: one request per second, a bucket of one; B: no limit.
    EndpointLimits slow{4, 60.0, 0.0, 1.0};
    ManagedLm lm(r.routes(slow, EndpointLimits{4}), services, fakeIdentity("http://a"));
    for (int i = 0; i < 6; ++i) {
        Caller call(lm, "q" + std::to_string(i), clock);
        ASSERT_TRUE(call.take().ok()) << "call " << i << " waited for A's rate limit";
    }
    // A took its one request; B every call that would have waited for A.
    EXPECT_EQ(r.a->calls.load(), 1);
    EXPECT_EQ(r.b->calls.load(), 5);
    EXPECT_EQ(services.scheduler->waitingForRate(), 0);
    clock->advance(std::chrono::seconds(1));
    ASSERT_TRUE(lm.complete(makeRequest("a second later")).ok());
    EXPECT_EQ(r.a->calls.load(), 2);
}

TEST(ManagedLmReplicas, AKeyRefusedAtOneEndpointIsTriedAtTheOthersOnly)
{
    Replicas r;
    r.a->failWith = [](int) -> std::optional<Error> { return makeError(ErrorKind::Auth); };
    CallServices services = fastServices();
    ManagedLm lm(r.routes(), services, fakeIdentity("http://a"));
    ASSERT_TRUE(lm.complete(makeRequest("one")).ok());
    EXPECT_EQ(r.a->calls.load(), 1);
    EXPECT_EQ(r.b->calls.load(), 1);

    // Refused everywhere: the auth error, after one try per endpoint.
    r.b->failWith = r.a->failWith;
    auto refused = lm.complete(makeRequest("two"));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::Auth);
    EXPECT_EQ(r.a->calls.load() + r.b->calls.load(), 4);
}

TEST(ManagedLmReplicas, WhenEveryEndpointIsDownTheCallBacksOffAndFailsAfterMaxRetries)
{
    Replicas r;
    r.a->failWith = r.b->failWith = [](int) -> std::optional<Error> { return makeError(ErrorKind::Server); };
    CallServices services = fastServices();
    services.retry.maxRetries = 5;
    ManagedLm lm(r.routes(), services, fakeIdentity("http://a"));
    auto failed = lm.complete(makeRequest("nobody home"));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().kind, ErrorKind::Server);
    EXPECT_NE(failed.error().message.find("(after 5 retries)"), std::string::npos) << failed.error().message;
    EXPECT_EQ(r.a->calls.load() + r.b->calls.load(), 6);
    EXPECT_GE(r.a->calls.load(), 1);
    EXPECT_GE(r.b->calls.load(), 1);
    const auto entries = services.ledger->entries();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_GT(entries[0].waitMs, 0.0); // both cooling: it backed off
}

TEST(ManagedLmReplicas, ACallWaitsForABusyHealthyEndpointRatherThanGoToACoolingOne)
{
    auto clock = std::make_shared<FakeClock>();
    Replicas r;
    r.a->failWith = [](int) -> std::optional<Error> { return makeError(ErrorKind::Server); };
    r.b->gated = true;
    CallServices services = fastServices(32, clock);
    ManagedLm lm(r.routes(EndpointLimits{4}, EndpointLimits{1}), services, fakeIdentity("http://a"));

    Caller first(lm, "first", clock); // fails at A, then holds B's only slot
    ASSERT_TRUE(waitFor([&] { return r.b->current.load() == 1; }));
    Caller second(lm, "second", clock);
    ASSERT_TRUE(waitFor([&] { return services.scheduler->waitingForSlot() == 1; }));
    EXPECT_EQ(r.a->calls.load(), 1); // A is idle but cooling down: not sent there
    r.b->release();
    EXPECT_TRUE(first.take().ok());
    EXPECT_TRUE(second.take().ok());
    EXPECT_EQ(r.a->calls.load(), 1);
    EXPECT_EQ(r.b->calls.load(), 2);
}
