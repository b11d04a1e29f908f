#include "lm/managed_lm.h"

#include "lm/estimate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <thread>

namespace prism {

namespace {

// The ledger entry of a fresh answer: its tokens and, from the price table, its dollars.
LedgerEntry freshEntry(const ChatResponse &response, const PriceTable *prices, const std::string &model)
{
    LedgerEntry e;
    e.promptTokens = response.usage.promptTokens;
    e.completionTokens = response.usage.completionTokens;
    e.dollars = prices ? prices->dollars(model, e.promptTokens, e.completionTokens) : std::nullopt;
    return e;
}

double msSince(const Clock &clock, Clock::TimePoint start)
{
    return 1000.0 * Clock::seconds(clock.now() - start);
}

// Jitter only spreads retries in time; it never changes an answer, so real
// randomness is fine here.
double uniformUnit()
{
    thread_local std::mt19937_64 engine(std::random_device{}()
                                        ^ std::hash<std::thread::id>{}(std::this_thread::get_id()));
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

std::optional<long long> sumKnown(std::optional<long long> a, std::optional<long long> b)
{
    if (!a && !b)
        return std::nullopt;
    return a.value_or(0) + b.value_or(0);
}

} // namespace

CallServices CallServices::makeBasic(int globalConcurrency, std::shared_ptr<Clock> clock)
{
    CallServices s;
    s.clock = clock ? std::move(clock) : systemClock();
    s.scheduler = std::make_shared<Scheduler>(globalConcurrency, EndpointLimits{}, s.clock);
    s.ledger = std::make_shared<Ledger>();
    s.prices = std::make_shared<PriceTable>(PriceTable::defaults());
    s.cancel = std::make_shared<std::atomic<bool>>(false);
    s.inFlight = std::make_shared<InFlightCalls>();
    return s;
}

Result<CallServices> CallServices::makeDefault(bool useCache, Budget budget, int globalConcurrency)
{
    CallServices s = makeBasic(globalConcurrency);
    auto prices = PriceTable::loadDefault();
    if (!prices)
        return prices.error();
    s.prices = std::make_shared<PriceTable>(std::move(prices.value()));
    if (!budget.unlimited())
        s.budget = std::make_shared<BudgetTracker>(budget, s.clock);
    s.cacheEnabled = useCache;
    if (useCache) {
        auto cache = ResponseCache::openDefault();
        if (cache) {
            s.cache = cache.value();
        } else {
            s.cacheProblem = cache.error().message;
            s.cacheEnabled = false;
            spdlog::warn("running without the response cache: {}", s.cacheProblem);
        }
    }
    return s;
}

void CallServices::requestCancel() const
{
    if (cancel)
        cancel->store(true);
    if (scheduler)
        scheduler->wakeAll();
}

bool CallServices::cancelled() const
{
    return cancel && cancel->load();
}

ManagedLm::ManagedLm(std::shared_ptr<Lm> inner, CallServices services, LmIdentity identity,
                     std::optional<EndpointLimits> limits)
    : m_inner(std::move(inner)), m_services(std::move(services)), m_identity(std::move(identity)),
      m_endpoint(endpointKey(m_identity.provider, m_identity.baseUrl))
{
    if (!m_services.clock)
        m_services.clock = m_services.scheduler ? m_services.scheduler->clock() : systemClock();
    if (!m_services.scheduler)
        m_services.scheduler = std::make_shared<Scheduler>(32, EndpointLimits{}, m_services.clock);
    if (!m_services.ledger)
        m_services.ledger = std::make_shared<Ledger>();
    if (limits)
        m_services.scheduler->configureEndpoint(m_endpoint, *limits);
}

void ManagedLm::setPromptLimit(long long maxTokens, std::string setting)
{
    m_maxPromptTokens = maxTokens;
    m_promptLimitSetting = std::move(setting);
}

std::string ManagedLm::describe() const
{
    return m_inner->describe();
}

double ManagedLm::backoffSeconds(int retry, const Error &error) const
{
    const RetryPolicy &p = m_services.retry;
    const double ceiling = std::min(p.capSeconds, p.baseSeconds * std::ldexp(1.0, std::min(retry, 30)));
    const double jittered = ceiling * uniformUnit();
    return std::max(jittered, error.retryAfterSeconds.value_or(0.0));
}

void ManagedLm::appendLedger(const ChatRequest &request, LedgerEntry entry) const
{
    entry.role = request.role;
    entry.model = m_identity.model;
    entry.endpoint = m_endpoint;
    m_services.ledger->append(std::move(entry));
}

Result<long long> ManagedLm::promptTokensWithinLimit(const ChatRequest &request) const
{
    std::size_t promptChars = 0;
    for (const auto &m : request.messages)
        promptChars += m.content.size();
    const long long estimated = estimateTokens(promptChars);
    if (m_maxPromptTokens > 0 && estimated > m_maxPromptTokens)
        return Error::make(ErrorKind::ContextWindowExceeded, "prompt of about " + std::to_string(estimated)
                                                                 + " tokens exceeds the model's max_prompt_tokens "
                                                                 + std::to_string(m_maxPromptTokens) + " ("
                                                                 + m_promptLimitSetting + "); it was not sent");
    return estimated;
}

std::optional<ChatResponse> ManagedLm::fromCache(const std::string &key, const ChatRequest &request,
                                                 Clock::TimePoint start, bool recheck) const
{
    if (m_services.cacheBypass)
        return std::nullopt;
    auto hit = m_services.cache->get(key, !recheck);
    if (!hit) {
        spdlog::warn("{}", hit.error().message);
        return std::nullopt;
    }
    if (!hit.value())
        return std::nullopt;
    ChatResponse response = std::move(*hit.value());
    response.cacheHit = true;
    response.latencyMs = msSince(*m_services.clock, start);
    LedgerEntry e;
    e.promptTokens = response.usage.promptTokens;
    e.completionTokens = response.usage.completionTokens;
    e.dollars = 0.0;
    e.latencyMs = response.latencyMs;
    e.cacheHit = true;
    appendLedger(request, std::move(e));
    return response;
}

Result<ChatResponse> ManagedLm::complete(const ChatRequest &request)
{
    const Clock &clock = *m_services.clock;
    const auto start = clock.now();
    const std::atomic<bool> *cancel = m_services.cancel.get();
    if (cancel && cancel->load())
        return Error::make(ErrorKind::Cancelled, "cancelled: no new LM call is started");

    // Before the cache too: an answer cached under a larger limit is not
    // given for a prompt the model cannot take now.
    auto tokens = promptTokensWithinLimit(request);
    if (!tokens)
        return tokens.error();
    const long long estimatedTokens = tokens.value();

    const bool useCache = m_services.cache && m_services.cacheEnabled;
    std::string key;
    std::optional<InFlightCalls::Claim> claim;
    if (useCache) {
        key = cacheKey(m_identity, request);
        if (auto hit = fromCache(key, request, start))
            return std::move(*hit);
        // The same request on another thread right now: wait for its answer (a
        // cache hit) rather than pay twice. With --no-cache nothing is read
        // back, so each request makes its own call.
        if (m_services.inFlight && !m_services.cacheBypass) {
            auto claimed = m_services.inFlight->claim(key, cancel);
            if (!claimed)
                return Error::make(ErrorKind::Cancelled, "cancelled: no new LM call is started");
            claim.emplace(std::move(*claimed));
            if (auto hit = fromCache(key, request, start, true))
                return std::move(*hit);
        }
    }

    if (m_services.budget) {
        auto admitted = m_services.budget->tryStartCall();
        if (!admitted)
            return admitted.error();
    }

    Scheduler &scheduler = *m_services.scheduler;
    int retries = 0;
    int attempts = 0;
    double waitMs = 0.0;
    double lastLatencyMs = 0.0;
    Error failure;
    for (;;) {
        const auto queued = clock.now();
        auto permit = scheduler.acquire(m_endpoint, estimatedTokens, cancel);
        waitMs += msSince(clock, queued);
        if (!permit) {
            failure = permit.error();
            break;
        }
        const auto sent = clock.now();
        auto result = m_inner->complete(request);
        lastLatencyMs = msSince(clock, sent);
        ++attempts;
        if (result) {
            permit->finish(Scheduler::Outcome::Success);
            ChatResponse response = std::move(result.value());
            response.cacheHit = false;
            if (response.latencyMs <= 0.0)
                response.latencyMs = lastLatencyMs;
            if (useCache) {
                auto stored = m_services.cache->put(key, response);
                if (!stored)
                    spdlog::warn("{}", stored.error().message);
            }
            LedgerEntry e = freshEntry(response, m_services.prices.get(), m_identity.model);
            e.latencyMs = lastLatencyMs;
            e.waitMs = waitMs;
            e.retries = retries;
            const std::optional<double> dollars = e.dollars;
            appendLedger(request, std::move(e));
            if (m_services.budget)
                m_services.budget->record(sumKnown(response.usage.promptTokens, response.usage.completionTokens),
                                          dollars);
            return response;
        }

        Error error = result.error();
        permit->finish(error.kind == ErrorKind::RateLimit ? Scheduler::Outcome::RateLimited
                                                          : Scheduler::Outcome::Failure);
        if (!isRetryable(error) || retries >= m_services.retry.maxRetries) {
            failure = std::move(error);
            break;
        }
        const double wait = backoffSeconds(retries, error);
        ++retries;
        spdlog::debug("{}: {} (retry {} of {} in {:.3f} s)", m_endpoint, error.describe(), retries,
                      m_services.retry.maxRetries, wait);
        const auto slept = clock.now();
        const bool awake = scheduler.sleepFor(wait, cancel);
        waitMs += msSince(clock, slept);
        if (!awake) {
            failure = Error::make(ErrorKind::Cancelled, "cancelled while waiting to retry after: " + error.describe());
            break;
        }
    }

    // A request that never reached the model is not a call.
    if (attempts > 0) {
        LedgerEntry e;
        e.latencyMs = lastLatencyMs;
        e.waitMs = waitMs;
        e.retries = retries;
        e.errorKind = failure.kind;
        appendLedger(request, std::move(e));
    }
    if (retries > 0)
        failure.message += " (after " + std::to_string(retries) + (retries == 1 ? " retry)" : " retries)");
    else if (isRetryable(failure) && m_services.retry.maxRetries == 0)
        failure.message += " (not retried: the model's max_retries is 0)";
    return failure;
}

} // namespace prism
