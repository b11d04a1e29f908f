#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace prism {

// The time source of everything that waits for or measures time in the LM
// layer (scheduler buckets and backoff sleeps, budgets, call timings). The
// real one is std::chrono::steady_clock; tests substitute a clock they
// advance by hand, so rate limits and Retry-After are checked without sleeping.
class Clock {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Duration = std::chrono::steady_clock::duration;

    virtual ~Clock() = default;

    // The current time; never goes back.
    virtual TimePoint now() const = 0;

    // Blocks on cv, whose mutex the caller holds through lock, until cv is
    // notified, this clock reaches deadline, or maxBlock of real time passed,
    // whichever comes first; spurious wake-ups are allowed, so the caller
    // re-checks its condition. maxBlock is real time on every clock: it bounds
    // how late a waiter sees a flag set by someone who does not notify cv.
    virtual void waitUntil(std::condition_variable &cv, std::unique_lock<std::mutex> &lock, TimePoint deadline,
                           std::chrono::nanoseconds maxBlock) = 0;

    // Seconds between two time points of this clock.
    static double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
    // A non-negative number of seconds as a duration, clamped to a day so the
    // conversion cannot overflow (NaN counts as 0).
    static Duration fromSeconds(double seconds)
    {
        const double bounded = seconds > 0.0 ? (seconds < 86400.0 ? seconds : 86400.0) : 0.0;
        return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(bounded));
    }
};

// std::chrono::steady_clock behind the Clock interface.
class SystemClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::steady_clock::now(); }
    void waitUntil(std::condition_variable &cv, std::unique_lock<std::mutex> &lock, TimePoint deadline,
                   std::chrono::nanoseconds maxBlock) override
    {
        const TimePoint cap = now() + std::chrono::duration_cast<Duration>(maxBlock);
        cv.wait_until(lock, deadline < cap ? deadline : cap);
    }
};

// The process's one SystemClock: what every component uses unless given another.
inline std::shared_ptr<Clock> systemClock()
{
    static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
    return clock;
}

} // namespace prism
