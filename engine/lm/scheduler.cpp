#include "lm/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace prism {

namespace {

// Waiters re-check their cancel flag at least this often (real time, on every
// clock), so a flag set by someone who does not call wakeAll() is still seen promptly.
constexpr std::chrono::milliseconds kPollInterval(10);

Error cancelledError(const char *where)
{
    return Error::make(ErrorKind::Cancelled, std::string("cancelled ") + where);
}

bool isCancelled(const std::atomic<bool> *cancel)
{
    return cancel && cancel->load(std::memory_order_relaxed);
}

} // namespace

// --- Bucket -----------------------------------------------------------------

double Scheduler::Bucket::reserve(double amount, Clock::TimePoint now)
{
    if (ratePerSecond <= 0.0)
        return 0.0;
    const double elapsed = std::chrono::duration<double>(now - last).count();
    level = std::min(capacity, level + ratePerSecond * std::max(0.0, elapsed));
    last = now;
    // A single request larger than the whole bucket waits for a full bucket
    // instead of forever.
    level -= std::min(amount, capacity);
    return level >= 0.0 ? 0.0 : -level / ratePerSecond;
}

double Scheduler::Bucket::waitFor(double amount, Clock::TimePoint now) const
{
    if (ratePerSecond <= 0.0)
        return 0.0;
    const double elapsed = std::chrono::duration<double>(now - last).count();
    const double after =
        std::min(capacity, level + ratePerSecond * std::max(0.0, elapsed)) - std::min(amount, capacity);
    return after >= 0.0 ? 0.0 : -after / ratePerSecond;
}

void Scheduler::Bucket::refund(double amount)
{
    if (ratePerSecond <= 0.0)
        return;
    level = std::min(capacity, level + std::min(amount, capacity));
}

// --- Permit -----------------------------------------------------------------

Scheduler::Permit::Permit(Permit &&other) noexcept
    : m_scheduler(other.m_scheduler), m_endpoint(other.m_endpoint), m_generation(other.m_generation),
      m_index(other.m_index)
{
    other.m_scheduler = nullptr;
}

Scheduler::Permit &Scheduler::Permit::operator=(Permit &&other) noexcept
{
    if (this != &other) {
        finish(Outcome::Failure);
        m_scheduler = other.m_scheduler;
        m_endpoint = other.m_endpoint;
        m_generation = other.m_generation;
        m_index = other.m_index;
        other.m_scheduler = nullptr;
    }
    return *this;
}

Scheduler::Permit::~Permit()
{
    finish(Outcome::Failure);
}

void Scheduler::Permit::finish(Outcome outcome, double retryAfterSeconds)
{
    if (!m_scheduler)
        return;
    Scheduler *scheduler = m_scheduler;
    m_scheduler = nullptr;
    scheduler->release(*this, outcome, retryAfterSeconds);
}

// --- Scheduler --------------------------------------------------------------

Scheduler::Scheduler(int globalLimit, EndpointLimits defaults, std::shared_ptr<Clock> clock)
    : m_clock(clock ? std::move(clock) : systemClock()), m_globalLimit(std::max(1, globalLimit)), m_defaults(defaults)
{}

Scheduler::~Scheduler() = default;

void Scheduler::setGlobalLimit(int limit)
{
    {
        std::lock_guard lock(m_mutex);
        m_globalLimit = std::max(1, limit);
    }
    m_slotFreed.notify_all();
}

void Scheduler::setGrowEvery(int successes)
{
    std::lock_guard lock(m_mutex);
    m_growEvery = std::max(1, successes);
}

void Scheduler::setLimitsLocked(Endpoint &e, const EndpointLimits &limits)
{
    e.configured = limits;
    e.configured.maxConcurrency = std::max(1, limits.maxConcurrency);
    e.limit = e.configured.maxConcurrency;
    e.successStreak = 0;
    ++e.generation;
    const auto now = m_clock->now();
    auto setBucket = [&](Bucket &b, double perMinute) {
        b.ratePerSecond = perMinute > 0.0 ? perMinute / 60.0 : 0.0;
        b.capacity = std::max(1.0, b.ratePerSecond * std::max(0.0, limits.burstSeconds));
        b.level = b.capacity;
        b.last = now;
    };
    setBucket(e.requests, limits.requestsPerMinute);
    setBucket(e.tokens, limits.tokensPerMinute);
}

Scheduler::Endpoint &Scheduler::endpointLocked(const std::string &name)
{
    auto it = m_endpoints.find(name);
    if (it != m_endpoints.end())
        return *it->second;
    auto e = std::make_unique<Endpoint>();
    e->name = name;
    setLimitsLocked(*e, m_defaults);
    return *m_endpoints.emplace(name, std::move(e)).first->second;
}

void Scheduler::configureEndpoint(const std::string &endpoint, const EndpointLimits &limits)
{
    {
        std::lock_guard lock(m_mutex);
        Endpoint &e = endpointLocked(endpoint);
        if (m_keepFirstLimits && e.configuredOnce)
            return;
        e.configuredOnce = true;
        setLimitsLocked(e, limits);
    }
    m_slotFreed.notify_all();
}

void Scheduler::keepFirstLimits()
{
    std::lock_guard lock(m_mutex);
    m_keepFirstLimits = true;
}

Result<Scheduler::Permit> Scheduler::acquire(const std::string &endpoint, long long estimatedTokens,
                                             const std::atomic<bool> *cancel)
{
    return acquireAny({endpoint}, {}, estimatedTokens, cancel);
}

std::size_t Scheduler::pickLocked(const std::vector<Endpoint *> &endpoints, const std::vector<bool> &skip,
                                  double tokens, Clock::TimePoint now) const
{
    if (m_globalInFlight >= m_globalLimit)
        return std::string::npos;
    // Skipping every endpoint would leave none: then none is skipped.
    bool skipAll = true;
    for (std::size_t i = 0; i < endpoints.size(); ++i)
        skipAll = skipAll && i < skip.size() && skip[i];
    auto skipped = [&](std::size_t i) { return !skipAll && i < skip.size() && skip[i]; };
    // An endpoint cooling down after a failure takes no call while another
    // could, even if that one is busy: the call waits for its slot instead.
    bool anyWarm = false;
    for (std::size_t i = 0; i < endpoints.size(); ++i)
        anyWarm = anyWarm || (!skipped(i) && (endpoints.size() == 1 || endpoints[i]->coolUntil <= now));
    std::size_t best = std::string::npos;
    double bestWait = 0.0;
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const Endpoint &e = *endpoints[i];
        const bool cooling = endpoints.size() > 1 && e.coolUntil > now;
        if (skipped(i) || e.inFlight >= e.limit || (cooling && anyWarm))
            continue;
        const double wait = std::max(e.requests.waitFor(1.0, now), e.tokens.waitFor(tokens, now));
        bool better = best == std::string::npos;
        if (!better) {
            const Endpoint &b = *endpoints[best];
            if (wait != bestWait)
                better = wait < bestWait;
            else if (e.inFlight * b.limit != b.inFlight * e.limit)
                better = e.inFlight * b.limit < b.inFlight * e.limit; // outstanding per slot
            else
                better = e.pickedAt < b.pickedAt;
        }
        if (better) {
            best = i;
            bestWait = wait;
        }
    }
    return best;
}

Result<Scheduler::Permit> Scheduler::acquireAny(const std::vector<std::string> &endpoints,
                                                const std::vector<bool> &skip, long long estimatedTokens,
                                                const std::atomic<bool> *cancel)
{
    if (endpoints.empty())
        return Error::make(ErrorKind::Internal, "a model without an endpoint");
    std::unique_lock lock(m_mutex);
    std::vector<Endpoint *> candidates;
    candidates.reserve(endpoints.size());
    for (const auto &name : endpoints)
        candidates.push_back(&endpointLocked(name));
    const double tokens = static_cast<double>(std::max(0LL, estimatedTokens));
    bool queued = false;
    std::size_t index = std::string::npos;
    for (;;) {
        const bool cancelled = isCancelled(cancel);
        if (!cancelled)
            index = pickLocked(candidates, skip, tokens, m_clock->now());
        if (cancelled || index != std::string::npos) {
            if (queued)
                --m_waitingForSlot;
            if (cancelled)
                return cancelledError("while waiting for a free slot");
            break;
        }
        if (!queued) {
            ++m_waitingForSlot;
            queued = true;
        }
        // Slots free up on events, not on time: the poll only watches the cancel flag.
        m_slotFreed.wait_for(lock, kPollInterval);
    }
    Endpoint &e = *candidates[index];
    ++m_globalInFlight;
    ++e.inFlight;
    e.pickedAt = ++m_picks;
    Permit permit;
    permit.m_scheduler = this;
    permit.m_endpoint = &e;
    permit.m_generation = e.generation;
    permit.m_index = index;

    const auto now = m_clock->now();
    const double wait = std::max(e.requests.reserve(1.0, now), e.tokens.reserve(tokens, now));
    if (wait > 0.0 && !sleepUntilLocked(lock, now + Clock::fromSeconds(wait), cancel, &m_waitingForRate)) {
        e.requests.refund(1.0);
        e.tokens.refund(tokens);
        lock.unlock();
        permit.finish(Outcome::Failure);
        return cancelledError("while waiting for the rate limit");
    }
    return permit;
}

bool Scheduler::anyReady(const std::vector<std::string> &endpoints, const std::vector<bool> &skip) const
{
    std::lock_guard lock(m_mutex);
    const auto now = m_clock->now();
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        if (i < skip.size() && skip[i])
            continue;
        auto it = m_endpoints.find(endpoints[i]);
        if (it == m_endpoints.end() || it->second->coolUntil <= now)
            return true;
    }
    return false;
}

void Scheduler::release(Permit &permit, Outcome outcome, double retryAfterSeconds)
{
    {
        std::lock_guard lock(m_mutex);
        auto &e = *static_cast<Endpoint *>(permit.m_endpoint);
        --m_globalInFlight;
        --e.inFlight;
        if (outcome == Outcome::RateLimited || outcome == Outcome::Unavailable) {
            // Calls go elsewhere while this endpoint recovers: half a second,
            // doubling per failure in a row up to 30 s, or what the server asked.
            ++e.failStreak;
            const double cool =
                std::max(retryAfterSeconds, std::min(30.0, 0.5 * std::ldexp(1.0, std::min(e.failStreak, 7) - 1)));
            e.coolUntil = m_clock->now() + Clock::fromSeconds(cool);
        }
        switch (outcome) {
        case Outcome::RateLimited:
            ++e.rateLimited;
            e.successStreak = 0;
            // Calls admitted before the last cut saw the old limit; one burst
            // of 429s halves the limit once, not once per call.
            if (permit.m_generation == e.generation && e.limit > 1) {
                e.limit = std::max(1, e.limit / 2);
                ++e.generation;
                spdlog::debug("scheduler: 429 from {}, concurrency cut to {}", e.name, e.limit);
            }
            break;
        case Outcome::Success:
            e.failStreak = 0;
            e.coolUntil = {};
            if (e.limit < e.configured.maxConcurrency && ++e.successStreak >= m_growEvery) {
                ++e.limit;
                e.successStreak = 0;
                spdlog::debug("scheduler: {} concurrency grows back to {}", e.name, e.limit);
            }
            break;
        case Outcome::Unavailable:
        case Outcome::Failure: break;
        }
    }
    m_slotFreed.notify_all();
}

bool Scheduler::sleepFor(double seconds, const std::atomic<bool> *cancel)
{
    std::unique_lock lock(m_mutex);
    return sleepUntilLocked(lock, m_clock->now() + Clock::fromSeconds(seconds), cancel, &m_sleeping);
}

bool Scheduler::sleepUntilLocked(std::unique_lock<std::mutex> &lock, Clock::TimePoint deadline,
                                 const std::atomic<bool> *cancel, int *waiting)
{
    ++*waiting;
    bool awake = true;
    for (;;) {
        if (isCancelled(cancel)) {
            awake = false;
            break;
        }
        if (m_clock->now() >= deadline)
            break;
        m_clock->waitUntil(m_wake, lock, deadline, kPollInterval);
    }
    --*waiting;
    return awake;
}

void Scheduler::wakeAll()
{
    {
        // Taking the lock orders the notification after any waiter's flag check.
        std::lock_guard lock(m_mutex);
    }
    m_slotFreed.notify_all();
    m_wake.notify_all();
}

int Scheduler::globalInFlight() const
{
    std::lock_guard lock(m_mutex);
    return m_globalInFlight;
}

int Scheduler::globalLimit() const
{
    std::lock_guard lock(m_mutex);
    return m_globalLimit;
}

int Scheduler::endpointLimit(const std::string &endpoint) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_endpoints.find(endpoint);
    return it == m_endpoints.end() ? std::max(1, m_defaults.maxConcurrency) : it->second->limit;
}

int Scheduler::endpointInFlight(const std::string &endpoint) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_endpoints.find(endpoint);
    return it == m_endpoints.end() ? 0 : it->second->inFlight;
}

int Scheduler::waitingForSlot() const
{
    std::lock_guard lock(m_mutex);
    return m_waitingForSlot;
}

int Scheduler::waitingForRate() const
{
    std::lock_guard lock(m_mutex);
    return m_waitingForRate;
}

int Scheduler::sleeping() const
{
    std::lock_guard lock(m_mutex);
    return m_sleeping;
}

SchedulerStatus Scheduler::status() const
{
    std::lock_guard lock(m_mutex);
    SchedulerStatus s;
    s.globalInFlight = m_globalInFlight;
    s.globalLimit = m_globalLimit;
    for (const auto &[name, e] : m_endpoints)
        s.endpoints.push_back({name, e->inFlight, e->limit, e->configured.maxConcurrency, e->rateLimited});
    return s;
}

} // namespace prism
