#pragma once

// A Clock that only moves when a test advances it, and a helper that waits
// for observable state instead of sleeping a guessed time.
#include "core/clock.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

namespace prism::testsupport {

// Manual time: now() changes only in advance(), which wakes every waiter so it
// re-checks its deadline. A waiter also wakes after its real-time maxBlock,
// as with the real clock, so a cancel flag is seen without an advance.
class FakeClock final : public Clock {
public:
    TimePoint now() const override
    {
        std::lock_guard lock(m_mutex);
        return m_now;
    }

    void waitUntil(std::condition_variable &cv, std::unique_lock<std::mutex> &lock, TimePoint deadline,
                   std::chrono::nanoseconds maxBlock) override
    {
        std::list<Waiter>::iterator self;
        {
            std::lock_guard guard(m_mutex);
            if (m_now >= deadline)
                return;
            self = m_waiters.insert(m_waiters.end(), Waiter{&cv, deadline, m_generation});
        }
        // advance() may notify between the registration and this wait; then
        // the wait ends after maxBlock instead, which costs time, not correctness.
        cv.wait_for(lock, maxBlock);
        std::lock_guard guard(m_mutex);
        m_waiters.erase(self);
    }

    // Moves time forward and wakes every waiter.
    void advance(Duration by)
    {
        std::lock_guard guard(m_mutex);
        m_now += by;
        ++m_generation;
        // Under m_mutex: a registered waiter's cv outlives its registration.
        for (const Waiter &w : m_waiters)
            w.cv->notify_all();
    }

    // Threads blocked in waitUntil().
    int waiters() const
    {
        std::lock_guard guard(m_mutex);
        return static_cast<int>(m_waiters.size());
    }

    // Threads that blocked again after the last advance(), i.e. that saw the
    // current time and found their deadline still ahead.
    int settledWaiters() const
    {
        std::lock_guard guard(m_mutex);
        return static_cast<int>(std::count_if(m_waiters.begin(), m_waiters.end(),
                                              [&](const Waiter &w) { return w.generation == m_generation; }));
    }

    // How far ahead of now the earliest waiter's deadline is; empty when nobody waits.
    std::optional<Duration> nextWait() const
    {
        std::lock_guard guard(m_mutex);
        if (m_waiters.empty())
            return std::nullopt;
        const auto earliest =
            std::min_element(m_waiters.begin(), m_waiters.end(),
                             [](const Waiter &a, const Waiter &b) { return a.deadline < b.deadline; });
        return earliest->deadline - m_now;
    }

private:
    struct Waiter {
        std::condition_variable *cv;
        TimePoint deadline;
        long long generation;
    };

    mutable std::mutex m_mutex;
    TimePoint m_now{std::chrono::hours(1)}; // arbitrary, far from the epoch
    long long m_generation = 0;
    std::list<Waiter> m_waiters;
};

// Polls condition until it holds (true) or timeout of real time passed
// (false). The timeout only bounds a failing test; a passing one returns as
// soon as the state is reached.
inline bool waitFor(const std::function<bool()> &condition,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000))
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

} // namespace prism::testsupport
