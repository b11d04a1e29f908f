#include "lm/response_cache.h"

#include "core/hash.h"
#include "core/json.h"
#include "core/paths.h"
#include "core/sqlite_db.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
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

} // namespace

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

ResponseCache::ResponseCache(std::string path, sqlite3 *db) : m_path(std::move(path)), m_db(db) {}

ResponseCache::~ResponseCache()
{
    sqlite3_close_v2(m_db);
}

Error ResponseCache::sqlError(const std::string &what) const
{
    return Error::make(ErrorKind::Io, m_path + ": response cache " + what + " failed: " + sqlite3_errmsg(m_db));
}

Result<std::shared_ptr<ResponseCache>> ResponseCache::open(const std::string &path)
{
    sqlite::Connection connection = sqlite::openConnection(path, sqlite::Access::ReadWrite);
    if (!connection.db)
        return Error::make(ErrorKind::Io, path + ": cannot open the response cache (" + connection.error + ")");
    sqlite3 *db = connection.db;
    // The first statements read the file header: a corrupt or foreign file fails here.
    const int setupRc = sqlite::execSetup(db, "PRAGMA journal_mode=WAL;"
                                              "PRAGMA synchronous=NORMAL;"
                                              "CREATE TABLE IF NOT EXISTS responses ("
                                              "  key TEXT PRIMARY KEY,"
                                              "  response TEXT NOT NULL,"
                                              "  created_at INTEGER NOT NULL);");
    if (setupRc != SQLITE_OK) {
        const std::string message = sqlite3_errmsg(db);
        const int primary = setupRc & 0xff;
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
        sqlite::Statement probe(db, "SELECT response, created_at FROM responses WHERE key = ?");
        if (!probe.prepared()) {
            std::string message = sqlite3_errmsg(db);
            sqlite3_close_v2(db);
            return Error::make(ErrorKind::Io, path + ": not a Prism response cache (" + message
                                                  + "); delete the file or choose another path");
        }
    }
    return std::shared_ptr<ResponseCache>(new ResponseCache(path, db));
}

Result<std::shared_ptr<ResponseCache>> ResponseCache::openDefault()
{
    auto path = userDataPath("cache.sqlite");
    if (!path)
        return path.error();
    return open(path.value());
}

Result<std::optional<ChatResponse>> ResponseCache::get(const std::string &key, bool countMiss)
{
    std::lock_guard lock(m_mutex);
    sqlite::Statement s(m_db, "SELECT response FROM responses WHERE key = ?");
    if (!s.prepared())
        return sqlError("lookup");
    s.text(1, key);
    const int rc = s.step();
    if (rc == SQLITE_DONE) {
        if (countMiss)
            ++m_misses;
        return std::optional<ChatResponse>();
    }
    if (rc != SQLITE_ROW)
        return sqlError("lookup");
    auto response = responseFromText(s.columnText(0));
    if (!response) {
        // A damaged row is as good as absent; the fresh answer overwrites it.
        spdlog::warn("{}: unreadable cache entry {}, ignoring it", m_path, key);
        if (countMiss)
            ++m_misses;
        return std::optional<ChatResponse>();
    }
    ++m_hits;
    return response;
}

Result<void> ResponseCache::put(const std::string &key, const ChatResponse &response)
{
    const std::string text = responseToText(response);
    std::lock_guard lock(m_mutex);
    sqlite::Statement s(m_db, "INSERT OR REPLACE INTO responses (key, response, created_at) VALUES (?, ?, ?)");
    if (!s.prepared())
        return sqlError("write");
    s.text(1, key).text(2, text).integer(3, static_cast<long long>(std::time(nullptr)));
    if (!s.done()) {
        // The cache is a convenience: a failed write (a full disk) must not
        // stop a run, nor fill its log with one warning per answer.
        if (m_writeFailureReported)
            return {};
        m_writeFailureReported = true;
        Error e = sqlError("write");
        e.message += "; answers are not cached from here on, the run goes on";
        return e;
    }
    return {};
}

Result<long long> ResponseCache::sizeBytes() const
{
    std::lock_guard lock(m_mutex);
    sqlite::Statement s(m_db, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    if (!s.prepared() || s.step() != SQLITE_ROW)
        return sqlError("size query");
    return s.columnInt(0);
}

Result<long long> ResponseCache::entryCount() const
{
    std::lock_guard lock(m_mutex);
    sqlite::Statement s(m_db, "SELECT count(*) FROM responses");
    if (!s.prepared() || s.step() != SQLITE_ROW)
        return sqlError("count");
    return s.columnInt(0);
}

Result<void> ResponseCache::clear()
{
    std::lock_guard lock(m_mutex);
    if (sqlite3_exec(m_db, "DELETE FROM responses", nullptr, nullptr, nullptr) != SQLITE_OK)
        return sqlError("clear");
    // Give the space back so the size shown drops; another process reading
    // the file can make this fail, which only delays the shrink.
    if (sqlite3_exec(m_db, "VACUUM", nullptr, nullptr, nullptr) != SQLITE_OK)
        spdlog::debug("{}: VACUUM after clear failed: {}", m_path, sqlite3_errmsg(m_db));
    return {};
}

} // namespace prism
