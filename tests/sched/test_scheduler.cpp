// Scheduler on its own: adaptive limits under bursts, rate buckets, cancel.
#include "fake_lm.h"

#include "lm/scheduler.h"

#include <gtest/gtest.h>

#include <thread>

using namespace prism;
using namespace prism::test;

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
    std::atomic<bool> acquired{false};
    std::thread second([&] {
        auto p = scheduler.acquire("e", 0, nullptr);
        acquired = p.ok();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_FALSE(acquired.load());
    // Another endpoint is not blocked by this one.
    auto other = scheduler.acquire("other", 0, nullptr);
    EXPECT_TRUE(other.ok());
    first->finish(Scheduler::Outcome::Success);
    second.join();
    EXPECT_TRUE(acquired.load());
}

TEST(Scheduler, RequestsPerMinuteBucketSpacesCalls)
{
    Scheduler scheduler(8);
    EndpointLimits limits{8};
    limits.requestsPerMinute = 2400; // 40 per second
    limits.burstSeconds = 1.0 / 40;  // a bucket of one request
    scheduler.configureEndpoint("e", limits);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 6; ++i) {
        auto p = scheduler.acquire("e", 0, nullptr);
        ASSERT_TRUE(p.ok());
    }
    // The first passes at once, the next five wait 25 ms each.
    EXPECT_GE(secondsSince(start), 0.9 * 5 * 0.025);
}

TEST(Scheduler, TokensPerMinuteBucketSpacesLargePrompts)
{
    Scheduler scheduler(8);
    EndpointLimits limits{8};
    limits.tokensPerMinute = 120000; // 2000 tokens per second
    limits.burstSeconds = 0.05;      // a bucket of 100 tokens
    scheduler.configureEndpoint("e", limits);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(scheduler.acquire("e", 100, nullptr).ok());
    EXPECT_GE(secondsSince(start), 0.9 * 3 * 0.05);
    // A prompt larger than the whole bucket waits for a full bucket, not forever.
    const auto big = std::chrono::steady_clock::now();
    ASSERT_TRUE(scheduler.acquire("e", 1000000, nullptr).ok());
    EXPECT_LT(secondsSince(big), 1.0);
}

TEST(Scheduler, UnlimitedRatesDoNotWait)
{
    Scheduler scheduler(8);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i)
        ASSERT_TRUE(scheduler.acquire("e", 5000, nullptr).ok());
    EXPECT_LT(secondsSince(start), 0.2);
}

TEST(Scheduler, CancelDuringARateLimitWaitReturnsPromptly)
{
    Scheduler scheduler(8);
    EndpointLimits limits{8};
    limits.requestsPerMinute = 6; // one per 10 s
    limits.burstSeconds = 1;
    scheduler.configureEndpoint("e", limits);
    std::atomic<bool> cancel{false};
    ASSERT_TRUE(scheduler.acquire("e", 0, &cancel).ok());
    std::optional<Result<Scheduler::Permit>> second;
    std::thread waiter([&] { second.emplace(scheduler.acquire("e", 0, &cancel)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto cancelledAt = std::chrono::steady_clock::now();
    cancel = true;
    scheduler.wakeAll();
    waiter.join();
    EXPECT_LT(secondsSince(cancelledAt), 0.5);
    ASSERT_FALSE(second->ok());
    EXPECT_EQ(second->error().kind, ErrorKind::Cancelled);
    EXPECT_EQ(scheduler.globalInFlight(), 0); // the slot it held while waiting is back
}

TEST(Scheduler, LoweringAndRaisingTheGlobalLimit)
{
    Scheduler scheduler(1);
    EXPECT_EQ(scheduler.globalLimit(), 1);
    auto a = scheduler.acquire("x", 0, nullptr);
    ASSERT_TRUE(a.ok());
    std::atomic<bool> acquired{false};
    std::thread t([&] { acquired = scheduler.acquire("y", 0, nullptr).ok(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(acquired.load());
    scheduler.setGlobalLimit(2);
    t.join();
    EXPECT_TRUE(acquired.load());
    EXPECT_EQ(scheduler.status().globalLimit, 2);
}
