#pragma once

#include "core/json.h"
#include "core/result.h"

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace prism {

// One LM request as Prism made it (all its retries together).
struct LedgerEntry {
    long long sequence = 0; // assigned by the ledger, from 1
    std::string role;       // task | proposer | bootstrap | evaluation | judge
    std::string model;
    std::string endpoint;
    std::optional<long long> promptTokens; // unknown is not zero
    std::optional<long long> completionTokens;
    std::optional<double> dollars; // unknown when the model has no price
    double latencyMs = 0.0;        // the answering attempt (or the cache lookup)
    double waitMs = 0.0;           // queueing, rate limits and backoff before it
    int retries = 0;
    bool cacheHit = false;
    std::optional<ErrorKind> errorKind; // set when the request failed for good
};

// Sums over entries. Tokens and dollars count what was billed: cache hits and
// failed requests add none. *Unknown is set when a billed request did not
// report that number, so the sum is then a lower bound.
struct LedgerTotals {
    long long calls = 0; // requests, cache hits included
    long long cacheHits = 0;
    long long errors = 0;
    long long retries = 0;
    long long promptTokens = 0;
    long long completionTokens = 0;
    bool promptTokensUnknown = false;
    bool completionTokensUnknown = false;
    double dollars = 0.0;
    bool dollarsUnknown = false;
    double latencyMs = 0.0;

    void add(const LedgerEntry &entry);
};

// Thread-safe record of every LM request of a run or evaluation.
class Ledger {
public:
    using Listener = std::function<void(const LedgerEntry &)>;

    // Assigns the sequence number and returns the stored entry.
    LedgerEntry append(LedgerEntry entry);
    // Called after each append, from the appending thread, outside the ledger lock.
    void setListener(Listener listener);

    std::vector<LedgerEntry> entries() const;
    std::size_t size() const;
    LedgerTotals totals() const;
    std::map<std::string, LedgerTotals> totalsByRole() const;
    std::map<std::string, LedgerTotals> totalsByModel() const;
    void clear();

    // {"totals": {...}, "by_role": {...}, "by_model": {...}} and, with
    // includeEntries, "entries": [...]. Unknown numbers are null.
    Json toJson(bool includeEntries = false) const;

private:
    mutable std::mutex m_mutex;
    std::vector<LedgerEntry> m_entries;
    long long m_nextSequence = 1;
    Listener m_listener;
};

Json toJson(const LedgerTotals &totals);
Json toJson(const LedgerEntry &entry);

} // namespace prism
