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
    : ManagedLm(
        std::vector<LmRoute>{LmRoute{std::move(inner), endpointKey(identity.provider, identity.baseUrl), limits}},
        std::move(services), identity)
{}

ManagedLm::ManagedLm(std::vector<LmRoute> routes, CallServices services, LmIdentity identity)
    : m_routes(std::move(routes)), m_services(std::move(services)), m_identity(std::move(identity))
{
    if (!m_services.clock)
        m_services.clock = m_services.scheduler ? m_services.scheduler->clock() : systemClock();
    if (!m_services.scheduler)
        m_services.scheduler = std::make_shared<Scheduler>(32, EndpointLimits{}, m_services.clock);
    if (!m_services.ledger)
        m_services.ledger = std::make_shared<Ledger>();
    for (const auto &route : m_routes) {
        m_endpoints.push_back(route.endpoint);
        if (route.limits)
            m_services.scheduler->configureEndpoint(route.endpoint, *route.limits);
    }
}

void ManagedLm::setPromptLimit(long long maxTokens, std::string setting)
{
    m_maxPromptTokens = maxTokens;
    m_promptLimitSetting = std::move(setting);
}

std::string ManagedLm::describe() const
{
    std::string out = m_routes.front().lm->describe();
    if (m_routes.size() > 1)
        out += " and " + std::to_string(m_routes.size() - 1) + (m_routes.size() == 2 ? " replica" : " replicas");
    return out;
}

double ManagedLm::backoffSeconds(int retry, const Error &error) const
{
    const RetryPolicy &p = m_services.retry;
    const double ceiling = std::min(p.capSeconds, p.baseSeconds * std::ldexp(1.0, std::min(retry, 30)));
    const double jittered = ceiling * uniformUnit();
    return std::max(jittered, error.retryAfterSeconds.value_or(0.0));
}

void ManagedLm::appendLedger(const ChatRequest &request, LedgerEntry entry, const std::string &endpoint) const
{
    entry.role = request.role;
    entry.model = m_identity.model;
    entry.endpoint = endpoint;
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
    appendLedger(request, std::move(e), m_endpoints.front());
    return response;
}

bool ManagedLm::sendAgain(const Error &error, std::size_t tried, std::vector<bool> &refused, int retries) const
{
    if (retries >= m_services.retry.maxRetries)
        return false;
    if (isRetryable(error))
        return true;
    // A key rejected at one endpoint may be accepted at another (several
    // provider keys): that endpoint is out for this request.
    if (error.kind != ErrorKind::Auth || m_routes.size() < 2)
        return false;
    refused[tried] = true;
    return std::find(refused.begin(), refused.end(), false) != refused.end();
}

ChatResponse ManagedLm::deliver(ChatResponse response, const ChatRequest &request, const std::string *cacheKey,
                                LedgerEntry timing, const std::string &endpoint) const
{
    response.cacheHit = false;
    if (response.latencyMs <= 0.0)
        response.latencyMs = timing.latencyMs;
    if (cacheKey) {
        auto stored = m_services.cache->put(*cacheKey, response);
        if (!stored)
            spdlog::warn("{}", stored.error().message);
    }
    LedgerEntry e = freshEntry(response, m_services.prices.get(), m_identity.model);
    e.latencyMs = timing.latencyMs;
    e.waitMs = timing.waitMs;
    e.retries = timing.retries;
    const std::optional<double> dollars = e.dollars;
    appendLedger(request, std::move(e), endpoint);
    if (m_services.budget)
        m_services.budget->record(sumKnown(response.usage.promptTokens, response.usage.completionTokens), dollars);
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
    std::string lastEndpoint = m_endpoints.front();
    std::vector<bool> refused(m_routes.size(), false); // endpoints that refused this request's key
    Error failure;
    for (;;) {
        const auto queued = clock.now();
        auto permit = scheduler.acquireAny(m_endpoints, refused, estimatedTokens, cancel);
        waitMs += msSince(clock, queued);
        if (!permit) {
            failure = permit.error();
            break;
        }
        const LmRoute &route = m_routes[permit->index()];
        lastEndpoint = route.endpoint;
        const auto sent = clock.now();
        auto result = route.lm->complete(request);
        lastLatencyMs = msSince(clock, sent);
        ++attempts;
        if (result) {
            permit->finish(Scheduler::Outcome::Success);
            LedgerEntry e;
            e.latencyMs = lastLatencyMs;
            e.waitMs = waitMs;
            e.retries = retries;
            return deliver(std::move(result.value()), request, useCache ? &key : nullptr, std::move(e), route.endpoint);
        }

        Error error = result.error();
        const auto outcome = error.kind == ErrorKind::RateLimit ? Scheduler::Outcome::RateLimited
                             : isRetryable(error)               ? Scheduler::Outcome::Unavailable
                                                                : Scheduler::Outcome::Failure;
        permit->finish(outcome, error.retryAfterSeconds.value_or(0.0));
        if (!sendAgain(error, permit->index(), refused, retries)) {
            failure = std::move(error);
            break;
        }
        ++retries;
        // Another endpoint ready now takes the call at once; otherwise back off.
        if (m_routes.size() > 1 && scheduler.anyReady(m_endpoints, refused)) {
            spdlog::debug("{}: {} (sent to another endpoint, retry {} of {})", route.endpoint, error.describe(),
                          retries, m_services.retry.maxRetries);
            continue;
        }
        const double wait = backoffSeconds(retries - 1, error);
        spdlog::debug("{}: {} (retry {} of {} in {:.3f} s)", route.endpoint, error.describe(), retries,
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
        appendLedger(request, std::move(e), lastEndpoint);
    }
    if (retries > 0)
        failure.message += " (after " + std::to_string(retries) + (retries == 1 ? " retry)" : " retries)");
    else if (isRetryable(failure) && m_services.retry.maxRetries == 0)
        failure.message += " (not retried: the model's max_retries is 0)";
    return failure;
}

} // namespace prism
