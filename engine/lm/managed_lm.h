#pragma once

#include "core/clock.h"
#include "lm/budget.h"
#include "lm/inflight.h"
#include "lm/ledger.h"
#include "lm/lm.h"
#include "lm/prices.h"
#include "lm/response_cache.h"
#include "lm/scheduler.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace prism {

struct RetryPolicy {
    int maxRetries = 6;
    double baseSeconds = 0.5; // first backoff ceiling; doubles per retry
    double capSeconds = 30.0;
};

// What all the LM calls of a run share. Copies share the pointed-to objects;
// set the plain fields before calls start.
struct CallServices {
    std::shared_ptr<Scheduler> scheduler;
    std::shared_ptr<ResponseCache> cache; // null = no cache
    // Identical requests at the same moment pay one call (makeBasic makes it; null = none).
    std::shared_ptr<InFlightCalls> inFlight;
    std::shared_ptr<Ledger> ledger;
    std::shared_ptr<PriceTable> prices;
    std::shared_ptr<BudgetTracker> budget; // null = no budget
    std::shared_ptr<std::atomic<bool>> cancel;
    // Times call latency and waits; the scheduler and budget made by
    // makeBasic/makeDefault share it. Null: ManagedLm takes the scheduler's clock.
    std::shared_ptr<Clock> clock;
    bool cacheEnabled = true; // false: neither read nor write the cache
    bool cacheBypass = false; // true: do not read, but store fresh answers (--no-cache)
    RetryPolicy retry;
    // Set when the cache could not be opened and the run goes on without it.
    std::string cacheProblem;

    // In-memory pieces only: a scheduler, a ledger, the default prices, a
    // cancel flag, the clock (null means systemClock()); no cache, no budget.
    static CallServices makeBasic(int globalConcurrency = 32, std::shared_ptr<Clock> clock = nullptr);
    // makeBasic + prices from PriceTable::loadDefault() (a malformed user file
    // is an error) + the cache at userDataDir()/cache.sqlite when useCache (a
    // cache that cannot be opened leaves cache null and sets cacheProblem).
    static Result<CallServices> makeDefault(bool useCache, Budget budget = {}, int globalConcurrency = 32);

    // Sets the cancel flag and wakes everything that waits on the scheduler.
    void requestCancel() const;
    bool cancelled() const;
};

// One endpoint of a model: the client that calls it and its name on the
// scheduler and in the ledger.
struct LmRoute {
    std::shared_ptr<Lm> lm;
    std::string endpoint;
    std::optional<EndpointLimits> limits; // configured on the scheduler when set
};

// Every LM call of Prism goes through this decorator: cache, budget,
// scheduling and rate limits, retries with backoff, ledger. Blocking and
// thread-safe.
class ManagedLm final : public Lm {
public:
    ManagedLm(std::shared_ptr<Lm> inner, CallServices services, LmIdentity identity,
              std::optional<EndpointLimits> limits = std::nullopt);
    // A model served by several endpoints (the first is the identity's): each
    // call goes to the one with the fewest requests outstanding; a call that
    // fails there (unreachable, 5xx, 429, or a key refused when others remain)
    // is sent to another at once. The cache knows one model, whichever answers.
    ManagedLm(std::vector<LmRoute> routes, CallServices services, LmIdentity identity);

    Result<ChatResponse> complete(const ChatRequest &request) override;
    std::string describe() const override;

    // A prompt (all messages) of more than maxTokens estimated tokens fails
    // with ContextWindowExceeded before the cache, the budget, the scheduler and
    // the ledger: never sent, never billed. `setting` names where the limit
    // comes from ("models.task.max_prompt_tokens"). 0 = no limit (the
    // default). Set before calls start.
    void setPromptLimit(long long maxTokens, std::string setting);

    const LmIdentity &identity() const { return m_identity; }
    // The first endpoint's name (cache hits are ledgered under it).
    const std::string &endpoint() const { return m_endpoints.front(); }
    const std::vector<std::string> &endpoints() const { return m_endpoints; }
    const CallServices &services() const { return m_services; }
    Lm &inner() const { return *m_routes.front().lm; }

private:
    double backoffSeconds(int retry, const Error &error) const;
    void appendLedger(const ChatRequest &request, LedgerEntry entry, const std::string &endpoint) const;
    // A fresh answer: into the cache (when cacheKey is set), the ledger (with
    // timing's latency, wait and retries, under endpoint) and the budget.
    ChatResponse deliver(ChatResponse response, const ChatRequest &request, const std::string *cacheKey,
                         LedgerEntry timing, const std::string &endpoint) const;
    // Whether a failed attempt on endpoint `tried` is sent again (and where it
    // may not go); false when the error is final.
    bool sendAgain(const Error &error, std::size_t tried, std::vector<bool> &refused, int retries) const;
    // The prompt's estimated tokens, or ContextWindowExceeded over the limit.
    Result<long long> promptTokensWithinLimit(const ChatRequest &request) const;
    // A cached answer for `key` (ledgered as a cache hit), unless bypassed or
    // missing. A recheck (after waiting for the same request) counts no second miss.
    std::optional<ChatResponse> fromCache(const std::string &key, const ChatRequest &request, Clock::TimePoint start,
                                          bool recheck = false) const;

    std::vector<LmRoute> m_routes;
    std::vector<std::string> m_endpoints; // m_routes' names, in order
    CallServices m_services;
    LmIdentity m_identity;
    long long m_maxPromptTokens = 0;
    std::string m_promptLimitSetting;
};

} // namespace prism
