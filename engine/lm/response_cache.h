#pragma once

#include "core/result.h"
#include "lm/lm.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

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

struct ResponseCacheOptions {
    // New answers are written in transactions of up to this many: one
    // transaction per answer rewrites whole index and table pages each time
    // (14-18 KB written per answer). 1 writes each answer at once.
    std::size_t writeBatch = 4096;
    // A new answer reaches the file within this delay even when the batch is
    // not full, so other processes see it and a crash loses at most this much
    // of the cache (never of a run: the run store's journal has every answer).
    std::chrono::milliseconds writeDelay{1000};
};

class CacheStorage;

// Persistent response cache, shared safely by the threads of this process (one
// mutex-guarded connection) and by other Prism processes: one SQLite file in
// WAL mode, or a PostgreSQL database that several machines share. New answers
// are held in memory (and served from there) until they are written in a batch.
class ResponseCache {
public:
    // Opens or creates the cache: a file path, or a postgresql:// URL (the
    // tables are created or migrated). A file that is not a usable SQLite
    // database, or a database that cannot be reached, gives an Io error naming
    // it; Prism can then run without a cache.
    static Result<std::shared_ptr<ResponseCache>> open(const std::string &location, ResponseCacheOptions options = {});
    // $PRISM_CACHE when set (a path or a postgresql:// URL), else userDataDir()/cache.sqlite.
    static Result<std::shared_ptr<ResponseCache>> openDefault();

    ~ResponseCache();
    ResponseCache(const ResponseCache &) = delete;
    ResponseCache &operator=(const ResponseCache &) = delete;

    // Empty when the key is not cached. Counts a hit, or a miss unless
    // countMiss is false (a second look at a key already counted as missed).
    Result<std::optional<ChatResponse>> get(const std::string &key, bool countMiss = true);
    // Holds the answer for the next batch write. Returns the error of a failed
    // batch write once (a full disk): answers are then no longer cached.
    Result<void> put(const std::string &key, const ChatResponse &response);
    // Writes the held answers now (the destructor does too).
    Result<void> flush();

    long long hits() const { return m_hits.load(); }
    long long misses() const { return m_misses.load(); }
    Result<long long> sizeBytes() const; // the file's or the table's bytes
    Result<long long> entryCount() const;
    Result<void> clear();
    // The file path or the database URL (without its password).
    const std::string &path() const { return m_path; }

private:
    ResponseCache(std::unique_ptr<CacheStorage> storage, ResponseCacheOptions options);
    // With m_mutex held: one transaction for every held answer.
    // Const: writing held answers out changes no answer anyone can see.
    Result<void> writePendingLocked() const;
    void flushLoop();

    std::string m_path;
    std::unique_ptr<CacheStorage> m_storage; // guarded by m_mutex
    ResponseCacheOptions m_options;
    mutable std::mutex m_mutex;
    mutable std::map<std::string, std::string> m_pending; // key -> response text, not yet written
    bool m_writeFailureReported = false;                  // a full disk is reported once, not per answer
    mutable std::optional<Error> m_writeFailure;          // the failed write, until put() reports it
    std::condition_variable m_wake;
    bool m_closing = false;
    std::thread m_flusher;
    std::atomic<long long> m_hits{0};
    std::atomic<long long> m_misses{0};
};

} // namespace prism
