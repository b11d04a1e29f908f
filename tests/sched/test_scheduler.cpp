// Scheduler on its own: adaptive limits under bursts, rate buckets, cancel.
// Time is a FakeClock; threads are positioned by the scheduler's waiting
// counts, never by sleeps.
#include "fake_lm.h"

#include "../support/fake_clock.h"

#include "lm/scheduler.h"

#include <gtest/gtest.h>

#include <thread>

using namespace prism;
using namespace prism::test;
using prism::testsupport::FakeClock;
using prism::testsupport::waitFor;
using std::chrono::milliseconds;

namespace {

// An acquire() on its own thread; done() once it returned. Unless given a
// cancel flag it uses its own, which it sets if the call is still blocked
// when the test ends, so a failing test ends instead of hanging.
class Acquirer {
public:
    Acquirer(Scheduler &scheduler, std::string endpoint, long long tokens = 0,
             const std::atomic<bool> *cancel = nullptr)
        : m_scheduler(scheduler), m_thread([this, endpoint = std::move(endpoint), tokens, cancel] {
              auto r = m_scheduler.acquire(endpoint, tokens, cancel ? cancel : &m_cancel);
              std::lock_guard lock(m_mutex);
              m_result.emplace(std::move(r));
          })
    {}
    ~Acquirer()
    {
        if (!m_thread.joinable())
            return;
        m_cancel = true;
        m_scheduler.wakeAll();
        m_thread.join();
    }
    bool done() const
    {
        std::lock_guard lock(m_mutex);
        return m_result.has_value();
    }
    // Joins the thread and hands over what acquire() returned; a call still
    // blocked after the waitFor() timeout is cancelled first.
    Result<Scheduler::Permit> take()
    {
        if (!waitFor([&] { return done(); })) {
            m_cancel = true;
            m_scheduler.wakeAll();
        }
        m_thread.join();
        return std::move(*m_result);
    }

private:
    Scheduler &m_scheduler;
    std::atomic<bool> m_cancel{false};
    mutable std::mutex m_mutex;
    std::optional<Result<Scheduler::Permit>> m_result;
    std::thread m_thread;
};

// The earliest pending wait on the clock in seconds; -1 when nobody waits.
// Compared with a tolerance: bucket levels are doubles.
double pendingWait(const FakeClock &clock)
{
    const auto wait = clock.nextWait();
    return wait ? Clock::seconds(*wait) : -1.0;
}

} // namespace

TEST(Scheduler, ABurstOf429sHalvesTheLimitOnceNotOncePerCall)
{
    Scheduler scheduler(32);
    scheduler.configureEndpoint("e", EndpointLimits{8});
    std::vector<Scheduler::Permit> permits;
    for (int i = 0; i < 6; ++i) {
        auto p = scheduler.acquire("e", 0, nullptr);
        ASSERT_TRUE(p.ok());
        permits.push_back(std::move(p.value()));
    }
    EXPECT_EQ(scheduler.endpointInFlight("e"), 6);
    for (auto &p : permits)
        p.finish(Scheduler::Outcome::RateLimited);
    EXPECT_EQ(scheduler.endpointLimit("e"), 4);
    EXPECT_EQ(scheduler.endpointInFlight("e"), 0);

    // Each 429 from a call admitted after the last cut halves again, down to 1.
    for (int expected : {2, 1, 1}) {
        auto p = scheduler.acquire("e", 0, nullptr);
        ASSERT_TRUE(p.ok());
        p->finish(Scheduler::Outcome::RateLimited);
        EXPECT_EQ(scheduler.endpointLimit("e"), expected);
    }
}

TEST(Scheduler, EndpointLimitBlocksUntilASlotIsFreed)
{
    Scheduler scheduler(8);
    scheduler.configureEndpoint("e", EndpointLimits{1});
    auto first = scheduler.acquire("e", 0, nullptr);
    ASSERT_TRUE(first.ok());
    Acquirer second(scheduler, "e");
    ASSERT_TRUE(waitFor([&] { return scheduler.waitingForSlot() == 1 || second.done(); }));
    EXPECT_FALSE(second.done()); // queued behind the endpoint's one slot
    EXPECT_EQ(scheduler.endpointInFlight("e"), 1);
    // Another endpoint is not blocked by this one.
    auto other = scheduler.acquire("other", 0, nullptr);
    EXPECT_TRUE(other.ok());
    EXPECT_EQ(scheduler.waitingForSlot(), 1);
    first->finish(Scheduler::Outcome::Success);
    auto p = second.take();
    EXPECT_TRUE(p.ok());
    EXPECT_EQ(scheduler.waitingForSlot(), 0);
    EXPECT_EQ(scheduler.endpointInFlight("e"), 1);
}

TEST(Scheduler, RunsSharingAWorkersSchedulerKeepTheEndpointsFirstLimits)
{
    Scheduler scheduler(64);
    scheduler.keepFirstLimits();
    scheduler.configureEndpoint("e", EndpointLimits{2});
    auto a = scheduler.acquire("e", 0, nullptr);
    auto b = scheduler.acquire("e", 0, nullptr);
    ASSERT_TRUE(a.ok() && b.ok());
    // A second run starts and configures the same endpoint: the worker's two
    // slots stay two, both held, and a third call waits.
    scheduler.configureEndpoint("e", EndpointLimits{8});
    Acquirer third(scheduler, "e");
    ASSERT_TRUE(waitFor([&] { return scheduler.waitingForSlot() == 1 || third.done(); }));
    EXPECT_FALSE(third.done());
    EXPECT_EQ(scheduler.endpointInFlight("e"), 2);
    a->finish(Scheduler::Outcome::Success);
    EXPECT_TRUE(third.take().ok());

    // Without it (one run per scheduler), configuring again sets the new limits.
    Scheduler own(64);
    own.configureEndpoint("e", EndpointLimits{1});
    own.configureEndpoint("e", EndpointLimits{3});
    auto x = own.acquire("e", 0, nullptr), y = own.acquire("e", 0, nullptr), z = own.acquire("e", 0, nullptr);
    EXPECT_TRUE(x.ok() && y.ok() && z.ok());
    EXPECT_EQ(own.endpointInFlight("e"), 3);
}

TEST(Scheduler, RequestsPerMinuteBucketSpacesCalls)
{
    auto clock = std::make_shared<FakeClock>();
    Scheduler scheduler(8, {}, clock);
    EndpointLimits limits{8};
    limits.requestsPerMinute = 2400; // 40 per second
    limits.burstSeconds = 1.0 / 40;  // a bucket of one request
    scheduler.configureEndpoint("e", limits);
    const auto start = clock->now();
    EXPECT_TRUE(Acquirer(scheduler, "e").take().ok()); // the full bucket lets the first pass at once
    for (int i = 1; i < 6; ++i) {
        Acquirer next(scheduler, "e");
        ASSERT_TRUE(waitFor([&] { return clock->waiters() == 1 || next.done(); })) << i;
        ASSERT_FALSE(next.done()) << i;
        EXPECT_EQ(scheduler.waitingForRate(), 1);
        EXPECT_NEAR(pendingWait(*clock), 0.025, 1e-6) << i;
        // One millisecond short of the refill it is still waiting ...
        clock->advance(milliseconds(24));
        ASSERT_TRUE(waitFor([&] { return clock->settledWaiters() == 1 || next.done(); })) << i;
        EXPECT_FALSE(next.done()) << i;
        // ... and the refill lets it through.
        clock->advance(milliseconds(1));
        EXPECT_TRUE(next.take().ok());
        EXPECT_EQ(scheduler.waitingForRate(), 0);
    }
    EXPECT_EQ(clock->now() - start, milliseconds(5 * 25));
}

TEST(Scheduler, TokensPerMinuteBucketSpacesLargePrompts)
{
    auto clock = std::make_shared<FakeClock>();
    Scheduler scheduler(8, {}, clock);
    EndpointLimits limits{8};
    limits.tokensPerMinute = 120000; // 2000 tokens per second
    limits.burstSeconds = 0.05;      // a bucket of 100 tokens
    scheduler.configureEndpoint("e", limits);
    EXPECT_TRUE(Acquirer(scheduler, "e", 100).take().ok());
    {
        // 100 more tokens refill in 50 ms.
        Acquirer next(scheduler, "e", 100);
        ASSERT_TRUE(waitFor([&] { return clock->waiters() == 1 || next.done(); }));
        ASSERT_FALSE(next.done());
        EXPECT_NEAR(pendingWait(*clock), 0.05, 1e-6);
        clock->advance(milliseconds(50));
        EXPECT_TRUE(next.take().ok());
    }
    // Half a bucket waits half as long.
    {
        Acquirer next(scheduler, "e", 50);
        ASSERT_TRUE(waitFor([&] { return clock->waiters() == 1 || next.done(); }));
        EXPECT_NEAR(pendingWait(*clock), 0.025, 1e-6);
        clock->advance(milliseconds(25));
        EXPECT_TRUE(next.take().ok());
    }
    // A prompt larger than the whole bucket waits for a full bucket, not forever.
    {
        Acquirer big(scheduler, "e", 1000000);
        ASSERT_TRUE(waitFor([&] { return clock->waiters() == 1 || big.done(); }));
        EXPECT_NEAR(pendingWait(*clock), 0.05, 1e-6);
        clock->advance(milliseconds(50));
        EXPECT_TRUE(big.take().ok());
    }
}

TEST(Scheduler, UnlimitedRatesDoNotWait)
{
    auto clock = std::make_shared<FakeClock>();
    Scheduler scheduler(8, {}, clock);
    // The clock never moves: any rate wait would block until cancelled.
    std::atomic<bool> cancel{false};
    std::atomic<int> admitted{0};
    std::thread caller([&] {
        for (int i = 0; i < 1000; ++i)
            if (scheduler.acquire("e", 5000, &cancel).ok())
                ++admitted;
    });
    const bool finished = waitFor([&] { return admitted.load() == 1000; });
    cancel = true;
    scheduler.wakeAll();
    caller.join();
    EXPECT_TRUE(finished);
    EXPECT_EQ(admitted.load(), 1000);
    EXPECT_EQ(clock->waiters(), 0);
    EXPECT_EQ(scheduler.globalInFlight(), 0);
}

TEST(Scheduler, CancelDuringARateLimitWaitReturnsPromptly)
{
    auto clock = std::make_shared<FakeClock>();
    Scheduler scheduler(8, {}, clock);
    EndpointLimits limits{8};
    limits.requestsPerMinute = 6; // one per 10 s
    limits.burstSeconds = 1;
    scheduler.configureEndpoint("e", limits);
    std::atomic<bool> cancel{false};
    EXPECT_TRUE(Acquirer(scheduler, "e", 0, &cancel).take().ok());
    Acquirer second(scheduler, "e", 0, &cancel);
    ASSERT_TRUE(waitFor([&] { return scheduler.waitingForRate() == 1 || second.done(); }));
    EXPECT_EQ(scheduler.globalInFlight(), 1); // it holds a slot while it waits
    // The clock stays put: only the cancel can end this wait.
    cancel = true;
    scheduler.wakeAll();
    ASSERT_TRUE(waitFor([&] { return second.done(); }));
    auto r = second.take();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Cancelled);
    EXPECT_EQ(r.error().message, "cancelled while waiting for the rate limit");
    EXPECT_EQ(scheduler.globalInFlight(), 0); // the slot it held while waiting is back
    EXPECT_EQ(scheduler.waitingForRate(), 0);

    // The refunded request is there for the next caller once the bucket refills.
    cancel = false;
    Acquirer third(scheduler, "e", 0, &cancel);
    ASSERT_TRUE(waitFor([&] { return clock->waiters() == 1 || third.done(); }));
    EXPECT_NEAR(pendingWait(*clock), 10.0, 1e-6); // not 20 s: the cancelled request was refunded
    clock->advance(std::chrono::seconds(10));
    EXPECT_TRUE(third.take().ok());
}

TEST(Scheduler, LoweringAndRaisingTheGlobalLimit)
{
    Scheduler scheduler(1);
    EXPECT_EQ(scheduler.globalLimit(), 1);
    auto a = scheduler.acquire("x", 0, nullptr);
    ASSERT_TRUE(a.ok());
    Acquirer b(scheduler, "y"); // another endpoint: only the global limit holds it
    ASSERT_TRUE(waitFor([&] { return scheduler.waitingForSlot() == 1 || b.done(); }));
    EXPECT_FALSE(b.done());
    scheduler.setGlobalLimit(2);
    EXPECT_TRUE(b.take().ok());
    EXPECT_EQ(scheduler.status().globalLimit, 2);
    EXPECT_EQ(scheduler.globalInFlight(), 1); // b's permit went out of scope with its result
}
