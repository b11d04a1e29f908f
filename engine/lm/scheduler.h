#pragma once

#include "core/clock.h"
#include "core/result.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace prism {

// Limits of one endpoint (provider + base URL). 0 = unlimited for the rates.
struct EndpointLimits {
    int maxConcurrency = 8;
    double requestsPerMinute = 0.0;
    double tokensPerMinute = 0.0;
    // How many seconds' worth of the rate a bucket holds when full (the burst).
    // Providers refill per minute, hence 60.
    double burstSeconds = 60.0;
};

struct EndpointStatus {
    std::string endpoint;
    int inFlight = 0;
    int limit = 0;             // current adaptive limit
    int configuredLimit = 0;   // the ceiling it grows back to
    long long rateLimited = 0; // 429s seen
};

struct SchedulerStatus {
    int globalInFlight = 0;
    int globalLimit = 0;
    std::vector<EndpointStatus> endpoints;
};

// Admission control for every LM call: a global concurrency limit, per-endpoint
// limits that shrink on 429s and grow back slowly, and request/token buckets.
// Thread-safe. Waiting callers poll the cancel flag, and wakeAll() wakes them at once.
// Buckets and sleeps run on an injected Clock (the system clock by default);
// the waiting counts let a test see callers queue instead of guessing with sleeps.
class Scheduler {
public:
    enum class Outcome {
        Success,
        RateLimited, // a 429: the adaptive limit shrinks, the endpoint cools down
        Unavailable, // unreachable, timed out or a 5xx: the endpoint cools down
        Failure,     // anything else: says nothing about the endpoint
    };

    // Holds one global and one endpoint slot until finished or destroyed.
    class Permit {
    public:
        Permit() = default;
        Permit(Permit &&other) noexcept;
        Permit &operator=(Permit &&other) noexcept;
        Permit(const Permit &) = delete;
        Permit &operator=(const Permit &) = delete;
        ~Permit();
        // Releases the slots and feeds the outcome to the adaptive limit and,
        // for a 429 or an unavailable endpoint, to its cool-down (at least
        // retryAfterSeconds when the server said so).
        void finish(Outcome outcome, double retryAfterSeconds = 0.0);
        bool held() const { return m_scheduler != nullptr; }
        // Which of the endpoints given to acquireAny() the slot is on.
        std::size_t index() const { return m_index; }

    private:
        friend class Scheduler;
        Scheduler *m_scheduler = nullptr;
        void *m_endpoint = nullptr;
        std::uint64_t m_generation = 0;
        std::size_t m_index = 0;
    };

    // clock times the rate buckets and every sleep; null means systemClock().
    explicit Scheduler(int globalLimit = 32, EndpointLimits defaults = {}, std::shared_ptr<Clock> clock = nullptr);
    ~Scheduler();
    Scheduler(const Scheduler &) = delete;
    Scheduler &operator=(const Scheduler &) = delete;

    void setGlobalLimit(int limit);
    // Sets (or resets) the limits of an endpoint; unknown endpoints get the defaults.
    void configureEndpoint(const std::string &endpoint, const EndpointLimits &limits);
    // Several runs of one process share this scheduler (a worker's --runs):
    // an endpoint keeps the limits it was first given, so a run that starts
    // later neither refills its rate buckets nor changes its limits.
    void keepFirstLimits();
    // Successes in a row needed before a cut limit grows by one.
    void setGrowEvery(int successes);

    // Blocks until both slots are free and the buckets allow the call.
    // Cancelled error when *cancel becomes true while waiting.
    Result<Permit> acquire(const std::string &endpoint, long long estimatedTokens, const std::atomic<bool> *cancel);
    // The same for a model served by several endpoints (replicas): of those not
    // skipped (skip[i], may be empty) that have a free slot, the one that is not
    // cooling down after a failure, can send without waiting for its rate
    // buckets, and has the fewest requests outstanding for its limit; ties go
    // to the one picked least recently. Blocks while none has a free slot.
    Result<Permit> acquireAny(const std::vector<std::string> &endpoints, const std::vector<bool> &skip,
                              long long estimatedTokens, const std::atomic<bool> *cancel);
    // True when an endpoint not skipped is not cooling down: a failed call can
    // be sent there at once instead of backing off.
    bool anyReady(const std::vector<std::string> &endpoints, const std::vector<bool> &skip) const;
    // Sleeps on the scheduler's clock, waking early on cancel; false when cancelled.
    bool sleepFor(double seconds, const std::atomic<bool> *cancel);
    // Wakes every waiter so it sees a cancel flag that was just set.
    void wakeAll();

    int globalInFlight() const;
    int globalLimit() const;
    int endpointLimit(const std::string &endpoint) const;
    int endpointInFlight(const std::string &endpoint) const;
    SchedulerStatus status() const;
    // Callers blocked in acquire() until a global or endpoint slot is free.
    int waitingForSlot() const;
    // Callers holding slots in acquire() until the request or token bucket allows them.
    int waitingForRate() const;
    // Callers inside sleepFor() (retry backoff).
    int sleeping() const;
    const std::shared_ptr<Clock> &clock() const { return m_clock; }

private:
    struct Bucket {
        double capacity = 0.0;
        double ratePerSecond = 0.0; // 0 = unlimited
        double level = 0.0;
        Clock::TimePoint last;
        double reserve(double amount, Clock::TimePoint now);
        // The wait reserve() would return, without reserving.
        double waitFor(double amount, Clock::TimePoint now) const;
        void refund(double amount);
    };
    struct Endpoint {
        std::string name;
        EndpointLimits configured;
        int limit = 1;
        int inFlight = 0;
        int successStreak = 0;
        std::uint64_t generation = 0;
        bool configuredOnce = false; // configureEndpoint was called for it
        long long rateLimited = 0;
        int failStreak = 0;           // 429s and unavailable answers in a row
        Clock::TimePoint coolUntil{}; // avoided until then while another endpoint is ready
        std::uint64_t pickedAt = 0;   // acquireAny's tie-break: least recently picked first
        Bucket requests;
        Bucket tokens;
    };

    Endpoint &endpointLocked(const std::string &name);
    void setLimitsLocked(Endpoint &e, const EndpointLimits &limits);
    void release(Permit &permit, Outcome outcome, double retryAfterSeconds);
    // The index acquireAny() takes now, or npos when no endpoint has a free slot.
    std::size_t pickLocked(const std::vector<Endpoint *> &endpoints, const std::vector<bool> &skip, double tokens,
                           Clock::TimePoint now) const;
    // Waits on m_wake until the clock reaches deadline (true) or *cancel is
    // set (false), counting the caller in *waiting meanwhile.
    bool sleepUntilLocked(std::unique_lock<std::mutex> &lock, Clock::TimePoint deadline,
                          const std::atomic<bool> *cancel, int *waiting);

    const std::shared_ptr<Clock> m_clock;
    mutable std::mutex m_mutex;
    std::condition_variable m_slotFreed;
    std::condition_variable m_wake;
    int m_globalLimit;
    bool m_keepFirstLimits = false;
    int m_globalInFlight = 0;
    int m_growEvery = 20;
    int m_waitingForSlot = 0;
    int m_waitingForRate = 0;
    int m_sleeping = 0;
    std::uint64_t m_picks = 0;
    EndpointLimits m_defaults;
    std::map<std::string, std::unique_ptr<Endpoint>> m_endpoints;
};

} // namespace prism
