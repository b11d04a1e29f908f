#pragma once

#include "core/result.h"
#include "lm/lm.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

struct sqlite3;

namespace prism {

// Which endpoint and model a request goes to; part of the cache key.
struct LmIdentity {
    std::string provider; // simlm | openai | anthropic
    std::string baseUrl;  // empty for in-process models
    std::string model;
};

// "openai https://api.openai.com/v1", or just the provider when there is no URL.
std::string endpointKey(const std::string &provider, const std::string &baseUrl);

// sha256 of a canonical JSON of everything that determines the answer:
// provider, base URL, model, messages, temperature, max_tokens, n, seed,
// response format and schema, rollout. The ledger role is not part of it, and
// neither is any credential (requests never carry one).
std::string cacheKey(const LmIdentity &identity, const ChatRequest &request);

// Persistent response cache: one SQLite file in WAL mode, shared safely by the
// threads of this process (one mutex-guarded connection) and by other Prism
// processes (WAL + busy timeout).
class ResponseCache {
public:
    // Opens or creates the cache file. A file that is not a usable SQLite
    // database gives an Io error naming it; Prism can then run without a cache.
    static Result<std::shared_ptr<ResponseCache>> open(const std::string &path);
    // userDataDir()/cache.sqlite
    static Result<std::shared_ptr<ResponseCache>> openDefault();

    ~ResponseCache();
    ResponseCache(const ResponseCache &) = delete;
    ResponseCache &operator=(const ResponseCache &) = delete;

    // Empty when the key is not cached. Counts a hit, or a miss unless
    // countMiss is false (a second look at a key already counted as missed).
    Result<std::optional<ChatResponse>> get(const std::string &key, bool countMiss = true);
    Result<void> put(const std::string &key, const ChatResponse &response);

    long long hits() const { return m_hits.load(); }
    long long misses() const { return m_misses.load(); }
    Result<long long> sizeBytes() const; // page_count * page_size
    Result<long long> entryCount() const;
    Result<void> clear();
    const std::string &path() const { return m_path; }

private:
    ResponseCache(std::string path, sqlite3 *db);
    Error sqlError(const std::string &what) const;

    std::string m_path;
    sqlite3 *m_db = nullptr;
    mutable std::mutex m_mutex;
    bool m_writeFailureReported = false; // a full disk is reported once, not per answer
    std::atomic<long long> m_hits{0};
    std::atomic<long long> m_misses{0};
};

} // namespace prism
