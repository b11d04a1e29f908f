#include "lm/response_cache.h"

#include "core/pg_db.h"
#include "lm/cache_storage.h"

#include "core/hash.h"
#include "core/json.h"
#include "core/paths.h"
#include "core/sqlite_db.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <thread>

namespace prism {

namespace {

const char *responseFormatName(ResponseFormat format)
{
    switch (format) {
    case ResponseFormat::Text: return "text";
    case ResponseFormat::JsonObject: return "json_object";
    case ResponseFormat::JsonSchema: return "json_schema";
    }
    return "text";
}

std::string responseToText(const ChatResponse &r)
{
    Json j = Json::object();
    j["choices"] = r.choices;
    j["prompt_tokens"] = r.usage.promptTokens ? Json(*r.usage.promptTokens) : Json(nullptr);
    j["completion_tokens"] = r.usage.completionTokens ? Json(*r.usage.completionTokens) : Json(nullptr);
    j["model"] = r.model;
    j["request_id"] = r.requestId;
    j["latency_ms"] = r.latencyMs;
    return j.dump();
}

std::optional<ChatResponse> responseFromText(const std::string &text)
{
    try {
        const Json j = Json::parse(text);
        ChatResponse r;
        r.choices = j.at("choices").get<std::vector<std::string>>();
        if (j.contains("prompt_tokens") && j["prompt_tokens"].is_number_integer())
            r.usage.promptTokens = j["prompt_tokens"].get<long long>();
        if (j.contains("completion_tokens") && j["completion_tokens"].is_number_integer())
            r.usage.completionTokens = j["completion_tokens"].get<long long>();
        r.model = j.value("model", std::string());
        r.requestId = j.value("request_id", std::string());
        r.latencyMs = j.value("latency_ms", 0.0);
        return r;
    } catch (const Json::exception &) {
        return std::nullopt;
    }
}

void sqlKeyHash(sqlite3_context *context, int, sqlite3_value **argv)
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_value_text(argv[0]));
    const std::string key = text ? std::string(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))) : "";
    sqlite3_result_int64(context, cacheKeyHash(key));
}

// Caches written before the answers table (one row per key in "responses",
// keyed by the text) are moved over once. Fails on a "responses" table that
// is not Prism's.
Result<void> migrateKeyedTable(sqlite3 *db)
{
    {
        sqlite::Statement exists(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'responses'");
        if (!exists.prepared() || exists.step() != SQLITE_ROW)
            return {};
    }
    {
        sqlite::Statement probe(db, "SELECT key, response, created_at FROM responses LIMIT 1");
        if (!probe.prepared())
            return Error::make(ErrorKind::Io, "responses table of another shape");
    }
    sqlite3_create_function(db, "prism_key_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, sqlKeyHash, nullptr,
                            nullptr);
    const int rc = sqlite::execSetup(db, "BEGIN IMMEDIATE;"
                                         "INSERT OR REPLACE INTO answers (key_hash, key, response, created_at)"
                                         "  SELECT prism_key_hash(key), key, response, created_at FROM responses;"
                                         "DROP TABLE responses;"
                                         "COMMIT;");
    if (rc != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        // Another process may be migrating the same file right now; its copy wins.
        sqlite::Statement again(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'responses'");
        if (again.prepared() && again.step() != SQLITE_ROW)
            return {};
        return Error::make(ErrorKind::Io, "cannot move the old cache table over");
    }
    return {};
}

// The cache in one SQLite file (WAL mode; other processes may use it at once).
class SqliteCacheStorage final : public CacheStorage {
public:
    SqliteCacheStorage(std::string path, sqlite3 *db) : m_path(std::move(path)), m_db(db) {}
    ~SqliteCacheStorage() override { sqlite3_close_v2(m_db); }

    const std::string &location() const override { return m_path; }

    Result<std::optional<std::string>> find(const std::string &key) override
    {
        sqlite::Statement s(m_db, "SELECT key, response FROM answers WHERE key_hash = ?");
        if (!s.prepared())
            return sqlError("lookup");
        s.integer(1, cacheKeyHash(key));
        const int rc = s.step();
        if (rc == SQLITE_DONE || (rc == SQLITE_ROW && s.columnText(0) != key))
            return std::optional<std::string>(); // none, or another key with the same hash
        if (rc != SQLITE_ROW)
            return sqlError("lookup");
        return std::optional<std::string>(s.columnText(1));
    }

    Result<void> store(const std::map<std::string, std::string> &answers) override
    {
        auto failed = [this]() -> Result<void> {
            Error e = sqlError("write");
            sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
            return e;
        };
        if (sqlite3_exec(m_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
            return failed();
        {
            sqlite::Statement s(
                m_db, "INSERT OR REPLACE INTO answers (key_hash, key, response, created_at) VALUES (?, ?, ?, ?)");
            if (!s.prepared())
                return failed();
            const auto now = static_cast<long long>(std::time(nullptr));
            for (const auto &[key, text] : answers) {
                s.integer(1, cacheKeyHash(key)).text(2, key).text(3, text).integer(4, now);
                if (!s.done())
                    return failed();
                s.reset();
            }
        }
        if (sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
            return failed();
        return {};
    }

    Result<long long> sizeBytes() override
    {
        sqlite::Statement s(m_db, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
        if (!s.prepared() || s.step() != SQLITE_ROW)
            return sqlError("size query");
        return s.columnInt(0);
    }

    Result<long long> count() override
    {
        sqlite::Statement s(m_db, "SELECT count(*) FROM answers");
        if (!s.prepared() || s.step() != SQLITE_ROW)
            return sqlError("count");
        return s.columnInt(0);
    }

    Result<void> clear() override
    {
        if (sqlite3_exec(m_db, "DELETE FROM answers", nullptr, nullptr, nullptr) != SQLITE_OK)
            return sqlError("clear");
        // Give the space back so the size shown drops; another process reading
        // the file can make this fail, which only delays the shrink.
        if (sqlite3_exec(m_db, "VACUUM", nullptr, nullptr, nullptr) != SQLITE_OK)
            spdlog::debug("{}: VACUUM after clear failed: {}", m_path, sqlite3_errmsg(m_db));
        return {};
    }

private:
    Error sqlError(const std::string &what) const
    {
        return Error::make(ErrorKind::Io, m_path + ": response cache " + what + " failed: " + sqlite3_errmsg(m_db));
    }

    std::string m_path;
    sqlite3 *m_db = nullptr;
};

} // namespace

long long cacheKeyHash(const std::string &key)
{
    std::uint64_t h = 14695981039346656037ull;
    for (const unsigned char c : key) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return static_cast<long long>(h);
}

std::string endpointKey(const std::string &provider, const std::string &baseUrl)
{
    return baseUrl.empty() ? provider : provider + " " + baseUrl;
}

std::string cacheKey(const LmIdentity &identity, const ChatRequest &request)
{
    Json j = Json::object();
    j["v"] = 1;
    j["provider"] = identity.provider;
    j["base_url"] = identity.baseUrl;
    j["model"] = identity.model;
    Json messages = Json::array();
    for (const auto &m : request.messages)
        messages.push_back(Json::array({m.role, m.content}));
    j["messages"] = std::move(messages);
    j["temperature"] = request.temperature;
    j["max_tokens"] = request.maxTokens;
    j["n"] = request.n;
    j["seed"] = request.seed ? Json(*request.seed) : Json(nullptr);
    j["response_format"] = responseFormatName(request.responseFormat);
    j["schema"] = request.jsonSchema;
    j["rollout"] = request.rollout;
    return sha256Hex(j.dump());
}

Result<std::unique_ptr<CacheStorage>> openSqliteCacheStorage(const std::string &path)
{
    sqlite::Connection connection = sqlite::openConnection(path, sqlite::Access::ReadWrite);
    if (!connection.db)
        return Error::make(ErrorKind::Io, path + ": cannot open the response cache (" + connection.error + ")");
    sqlite3 *db = connection.db;
    auto refuse = [&](const std::string &what) -> Error {
        std::string message = sqlite3_errmsg(db);
        sqlite3_close_v2(db);
        return Error::make(ErrorKind::Io, path + what + " (" + message + "); delete the file or choose another path");
    };
    // The first statements read the file header: a corrupt or foreign file fails here.
    // Answers are found by a 64-bit hash of the key: an index of small
    // integers takes far fewer page writes per insert than one of 64-character
    // keys (docs/BENCHMARKS.md, "Cache writes"); the key itself is compared
    // on every lookup, so a hash collision is only a miss.
    const int setupRc =
        sqlite::execSetup(db, "PRAGMA journal_mode=WAL;"
                              "PRAGMA synchronous=NORMAL;"
                              "CREATE TABLE IF NOT EXISTS answers ("
                              "  key_hash INTEGER NOT NULL,"
                              "  key TEXT NOT NULL,"
                              "  response TEXT NOT NULL,"
                              "  created_at INTEGER NOT NULL);"
                              "CREATE UNIQUE INDEX IF NOT EXISTS answers_by_key_hash ON answers (key_hash);");
    if (setupRc != SQLITE_OK) {
        const std::string message = sqlite3_errmsg(db);
        const int primary = setupRc & 0xff;
        if (primary == SQLITE_ERROR)
            return refuse(": not a Prism response cache");
        sqlite3_close_v2(db);
        if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
            return Error::make(ErrorKind::Io,
                               path + ": not a usable response cache (" + message
                                   + "); delete the file to start a new cache, or run without the cache");
        if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
            return Error::make(ErrorKind::Io,
                               path + ": the response cache stayed locked by another process (" + message + ")");
        return Error::make(ErrorKind::Io, path + ": cannot set up the response cache (" + message + ")");
    }
    // A table of that name with other columns (someone else's database) fails here, not mid-run.
    {
        sqlite::Statement probe(db, "SELECT key, response, created_at FROM answers WHERE key_hash = ?");
        if (!probe.prepared())
            return refuse(": not a Prism response cache");
    }
    if (auto migrated = migrateKeyedTable(db); !migrated)
        return refuse(": not a Prism response cache");
    return std::unique_ptr<CacheStorage>(new SqliteCacheStorage(path, db));
}

ResponseCache::ResponseCache(std::unique_ptr<CacheStorage> storage, ResponseCacheOptions options)
    : m_path(storage->location()), m_storage(std::move(storage)), m_options(options)
{
    if (m_options.writeBatch > 1)
        m_flusher = std::thread([this] { flushLoop(); });
}

ResponseCache::~ResponseCache()
{
    {
        std::lock_guard lock(m_mutex);
        m_closing = true;
    }
    m_wake.notify_all();
    if (m_flusher.joinable())
        m_flusher.join();
    std::lock_guard lock(m_mutex);
    (void)writePendingLocked();
    // A write that failed after the last answer was put: say it now.
    if (m_writeFailure && !m_writeFailureReported)
        spdlog::warn("{}", m_writeFailure->message);
}

void ResponseCache::flushLoop()
{
    std::unique_lock lock(m_mutex);
    while (!m_closing) {
        if (m_wake.wait_for(lock, m_options.writeDelay, [this] { return m_closing; }))
            break;
        (void)writePendingLocked();
    }
}

Result<void> ResponseCache::writePendingLocked() const
{
    if (m_pending.empty())
        return {};
    if (m_writeFailure) {
        // After a failed write nothing more is written (a full disk stays full).
        m_pending.clear();
        return {};
    }
    // The cache is a convenience: a failed write (a full disk, a lock held
    // too long by another process, a database gone) drops this batch and the
    // run goes on.
    if (auto stored = m_storage->store(m_pending); !stored) {
        Error e = stored.error();
        e.message += "; answers are not cached from here on, the run goes on";
        m_pending.clear();
        m_writeFailure = e;
        return e;
    }
    m_pending.clear();
    return {};
}

Result<std::shared_ptr<ResponseCache>> ResponseCache::open(const std::string &location, ResponseCacheOptions options)
{
    auto storage = pg::isUrl(location) ? openPostgresCacheStorage(location) : openSqliteCacheStorage(location);
    if (!storage)
        return storage.error();
    return std::shared_ptr<ResponseCache>(new ResponseCache(std::move(storage).value(), options));
}

Result<std::shared_ptr<ResponseCache>> ResponseCache::openDefault()
{
    if (const char *chosen = std::getenv("PRISM_CACHE"); chosen && *chosen)
        return open(chosen);
    auto path = userDataPath("cache.sqlite");
    if (!path)
        return path.error();
    return open(path.value());
}

Result<std::optional<ChatResponse>> ResponseCache::get(const std::string &key, bool countMiss)
{
    std::lock_guard lock(m_mutex);
    if (const auto held = m_pending.find(key); held != m_pending.end()) {
        if (auto response = responseFromText(held->second)) {
            ++m_hits;
            return response;
        }
    }
    auto found = m_storage->find(key);
    if (!found)
        return found.error();
    std::optional<ChatResponse> response;
    if (found.value()) {
        response = responseFromText(*found.value());
        // A damaged row is as good as absent; the fresh answer overwrites it.
        if (!response)
            spdlog::warn("{}: unreadable cache entry {}, ignoring it", m_path, key);
    }
    if (response)
        ++m_hits;
    else if (countMiss)
        ++m_misses;
    return response;
}

Result<void> ResponseCache::put(const std::string &key, const ChatResponse &response)
{
    std::string text = responseToText(response);
    std::lock_guard lock(m_mutex);
    m_pending[key] = std::move(text);
    if (m_pending.size() >= std::max<std::size_t>(1, m_options.writeBatch))
        (void)writePendingLocked();
    // Reported once, not per answer: a full disk must not fill the run's log.
    if (m_writeFailure && !m_writeFailureReported) {
        m_writeFailureReported = true;
        return *m_writeFailure;
    }
    return {};
}

Result<void> ResponseCache::flush()
{
    std::lock_guard lock(m_mutex);
    return writePendingLocked();
}

Result<long long> ResponseCache::sizeBytes() const
{
    std::lock_guard lock(m_mutex);
    (void)writePendingLocked(); // the size of every answer, held ones included
    return m_storage->sizeBytes();
}

Result<long long> ResponseCache::entryCount() const
{
    std::lock_guard lock(m_mutex);
    auto stored = m_storage->count();
    if (!stored)
        return stored.error();
    // Held answers whose key is not stored yet count too (without writing them).
    long long held = 0;
    for (const auto &[key, text] : m_pending) {
        auto found = m_storage->find(key);
        if (!found)
            return found.error();
        held += found.value() ? 0 : 1;
    }
    return stored.value() + held;
}

Result<void> ResponseCache::clear()
{
    std::lock_guard lock(m_mutex);
    m_pending.clear();
    return m_storage->clear();
}

} // namespace prism
