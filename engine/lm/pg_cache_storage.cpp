// The response cache in a PostgreSQL database, shared by a team's machines and
// by the team server's workers: an answer one of them paid for is a cache hit
// for all. The same table as the SQLite file's (answers), under migrations.
#include "core/pg_db.h"
#include "lm/cache_storage.h"

namespace prism {

namespace {

const std::vector<std::string> kMigrations = {
    // 1: answers filed by a 64-bit hash of the key (the key is compared on lookup).
    "CREATE TABLE IF NOT EXISTS answers ("
    "  key_hash BIGINT PRIMARY KEY,"
    "  key TEXT NOT NULL,"
    "  response TEXT NOT NULL,"
    "  created_at TIMESTAMPTZ NOT NULL DEFAULT now())",
};

class PostgresCacheStorage final : public CacheStorage {
public:
    explicit PostgresCacheStorage(std::unique_ptr<pg::Connection> db) : m_db(std::move(db)) {}

    const std::string &location() const override { return m_db->displayUrl(); }

    Result<std::optional<std::string>> find(const std::string &key) override
    {
        auto rows =
            m_db->exec("SELECT key, response FROM answers WHERE key_hash = $1", {std::to_string(cacheKeyHash(key))});
        if (!rows)
            return failure("lookup", rows.error());
        if (rows->rows.empty() || rows->rows[0][0] != key)
            return std::optional<std::string>(); // none, or another key with the same hash
        return std::optional<std::string>(rows->rows[0][1]);
    }

    Result<void> store(const std::map<std::string, std::string> &answers) override
    {
        auto stored = m_db->transaction([&](pg::Connection &db) -> Result<void> {
            for (const auto &[key, text] : answers) {
                auto r = db.exec("INSERT INTO answers (key_hash, key, response) VALUES ($1, $2, $3)"
                                 " ON CONFLICT (key_hash) DO UPDATE"
                                 " SET key = EXCLUDED.key, response = EXCLUDED.response, created_at = now()",
                                 {std::to_string(cacheKeyHash(key)), key, text});
                if (!r)
                    return r.error();
            }
            return {};
        });
        if (!stored)
            return failure("write", stored.error());
        return {};
    }

    Result<long long> sizeBytes() override
    {
        auto rows = m_db->exec("SELECT pg_total_relation_size('answers')");
        if (!rows)
            return failure("size query", rows.error());
        return std::atoll(rows->rows.at(0).at(0).value_or("0").c_str());
    }

    Result<long long> count() override
    {
        auto rows = m_db->exec("SELECT count(*) FROM answers");
        if (!rows)
            return failure("count", rows.error());
        return std::atoll(rows->rows.at(0).at(0).value_or("0").c_str());
    }

    Result<void> clear() override
    {
        if (auto r = m_db->exec("DELETE FROM answers"); !r)
            return failure("clear", r.error());
        return {};
    }

private:
    // pg's messages start with the URL already; say which cache step failed.
    static Error failure(const std::string &what, Error e)
    {
        const auto colon = e.message.find(": ");
        if (colon != std::string::npos)
            e.message.insert(colon + 2, "response cache " + what + ": ");
        return e;
    }

    std::unique_ptr<pg::Connection> m_db;
};

} // namespace

Result<std::unique_ptr<CacheStorage>> openPostgresCacheStorage(const std::string &url)
{
    auto db = pg::Connection::open(url);
    if (!db)
        return db.error();
    if (auto migrated = pg::migrate(*db.value(), "response_cache", kMigrations); !migrated)
        return migrated.error();
    return std::unique_ptr<CacheStorage>(new PostgresCacheStorage(std::move(db).value()));
}

} // namespace prism
