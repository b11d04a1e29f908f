// WorkerPool: results by index, exceptions back to the caller, nested batches,
// cancel, and the same threads from one batch to the next.
#include "core/worker_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace prism;

namespace {

void pause(int ms)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// Built once per thread that runs a job, like a thread-local curl handle or JS engine.
std::atomic<int> g_threadStates{0};
struct ThreadState {
    ThreadState() { g_threadStates.fetch_add(1); }
};
void touchThreadState()
{
    thread_local ThreadState state;
    (void)state;
}

} // namespace

TEST(WorkerPool, ResultsAreFiledByIndex)
{
    WorkerPool pool(4);
    EXPECT_EQ(pool.size(), 4);
    std::vector<int> out(200, -1);
    EXPECT_TRUE(pool.parallelFor(out.size(), [&](std::size_t i) {
        if (i % 7 == 0)
            pause(1);
        out[i] = static_cast<int>(i * i);
    }));
    for (std::size_t i = 0; i < out.size(); ++i)
        EXPECT_EQ(out[i], static_cast<int>(i * i)) << i;
    EXPECT_TRUE(pool.parallelFor(0, [](std::size_t) { FAIL() << "no job expected"; }));
}

TEST(WorkerPool, NeverRunsMoreJobsAtOnceThanItsSize)
{
    WorkerPool pool(3);
    std::atomic<int> active{0};
    std::atomic<int> most{0};
    pool.parallelFor(40, [&](std::size_t) {
        const int now = ++active;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {}
        pause(2);
        --active;
    });
    EXPECT_LE(most.load(), 3);
    EXPECT_GE(most.load(), 2); // the workers did take part
}

TEST(WorkerPool, AJobsExceptionReachesTheCaller)
{
    WorkerPool pool(4);
    std::atomic<int> ran{0};
    try {
        pool.parallelFor(50, [&](std::size_t i) {
            ++ran;
            if (i == 5)
                throw std::runtime_error("job 5 failed");
            pause(1);
        });
        FAIL() << "the exception was not rethrown";
    } catch (const std::runtime_error &e) {
        EXPECT_STREQ(e.what(), "job 5 failed");
    }
    EXPECT_LT(ran.load(), 50); // no new job started after the failure (within a few)

    // The pool is still usable afterwards.
    std::vector<int> out(10, 0);
    EXPECT_TRUE(pool.parallelFor(out.size(), [&](std::size_t i) { out[i] = 1; }));
    EXPECT_EQ(std::count(out.begin(), out.end(), 1), 10);
}

TEST(WorkerPool, AFailureStopsStartingJobsOnOneThread)
{
    WorkerPool pool(1);
    int ran = 0;
    EXPECT_THROW(pool.parallelFor(10,
                                  [&](std::size_t i) {
                                      ++ran;
                                      if (i == 2)
                                          throw std::logic_error("bug");
                                  }),
                 std::logic_error);
    EXPECT_EQ(ran, 3);
}

TEST(WorkerPool, NestedBatchesDoNotDeadlock)
{
    for (const int size : {1, 2, 3}) {
        WorkerPool pool(size);
        // Three levels: every job of a level runs a whole batch of the next one,
        // as an evaluation inside a parallel trial does.
        std::vector<std::atomic<int>> leaves(4 * 5 * 6);
        pool.parallelFor(4, [&](std::size_t a) {
            pool.parallelFor(5, [&](std::size_t b) {
                pool.parallelFor(6, [&](std::size_t c) {
                    if (c % 2 == 0)
                        pause(1);
                    ++leaves[(a * 5 + b) * 6 + c];
                });
            });
        });
        for (std::size_t i = 0; i < leaves.size(); ++i)
            EXPECT_EQ(leaves[i].load(), 1) << "pool of " << size << ", leaf " << i;
    }
}

TEST(WorkerPool, ANestedExceptionReachesTheOuterCaller)
{
    WorkerPool pool(2);
    EXPECT_THROW(pool.parallelFor(4,
                                  [&](std::size_t a) {
                                      pool.parallelFor(4, [&](std::size_t b) {
                                          if (a == 1 && b == 3)
                                              throw std::runtime_error("inner");
                                      });
                                  }),
                 std::runtime_error);
}

TEST(WorkerPool, CancelStopsStartingJobs)
{
    {
        WorkerPool pool(1);
        std::atomic<bool> cancel{false};
        std::vector<int> ran;
        EXPECT_FALSE(pool.parallelFor(
            10,
            [&](std::size_t i) {
                ran.push_back(static_cast<int>(i));
                if (i == 3)
                    cancel.store(true);
            },
            &cancel));
        EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3}));
    }
    {
        WorkerPool pool(4);
        std::atomic<bool> cancel{false};
        std::atomic<int> ran{0};
        EXPECT_FALSE(pool.parallelFor(
            100,
            [&](std::size_t i) {
                ++ran;
                if (i == 10)
                    cancel.store(true);
                pause(1);
            },
            &cancel));
        EXPECT_LT(ran.load(), 100);
        // Already cancelled: nothing starts; a batch that ran everything returns true.
        std::atomic<int> after{0};
        EXPECT_FALSE(pool.parallelFor(
            5, [&](std::size_t) { ++after; }, &cancel));
        EXPECT_EQ(after.load(), 0);
        cancel.store(false);
        EXPECT_TRUE(pool.parallelFor(
            5, [&](std::size_t) { ++after; }, &cancel));
        EXPECT_EQ(after.load(), 5);
    }
}

TEST(WorkerPool, BatchesReuseTheSameThreads)
{
    const int before = g_threadStates.load();
    std::set<std::thread::id> ids;
    std::mutex mutex;
    {
        WorkerPool pool(3);
        for (int batch = 0; batch < 20; ++batch) {
            pool.parallelFor(30, [&](std::size_t) {
                touchThreadState();
                pause(1);
                std::lock_guard lock(mutex);
                ids.insert(std::this_thread::get_id());
            });
        }
    }
    EXPECT_LE(ids.size(), 3u);
    EXPECT_LE(g_threadStates.load() - before, 3);
}

TEST(WorkerPool, WithoutAPoolABatchStartsThreadsOfItsOwn)
{
    std::vector<int> out(20, 0);
    EXPECT_TRUE(parallelFor(nullptr, out.size(), 4, [&](std::size_t i) { out[i] = static_cast<int>(i) + 1; }));
    for (std::size_t i = 0; i < out.size(); ++i)
        EXPECT_EQ(out[i], static_cast<int>(i) + 1);
    WorkerPool pool(2);
    EXPECT_TRUE(parallelFor(&pool, out.size(), 99, [&](std::size_t i) { out[i] = 0; }));
    EXPECT_EQ(std::count(out.begin(), out.end(), 0), 20);
}
