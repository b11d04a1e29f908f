#include "server/team_store.h"

#include "core/hash.h"
#include "core/pg_db.h"
#include "core/sql_db.h"
#include "core/text.h"

#include <cstdio>
#include <ctime>

namespace prism {

namespace {

const char *kTeamSchema = "CREATE TABLE IF NOT EXISTS api_tokens (name TEXT PRIMARY KEY, team TEXT NOT NULL,"
                          "  token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);"
                          "CREATE TABLE IF NOT EXISTS run_teams (run_id TEXT PRIMARY KEY, team TEXT NOT NULL);"
                          "CREATE INDEX IF NOT EXISTS run_teams_team ON run_teams (team);";
// Step 2: the secret the API servers of this database sign event-stream tickets with.
const char *kSecretsSchema = "CREATE TABLE IF NOT EXISTS api_secrets (name TEXT PRIMARY KEY, secret TEXT NOT NULL);";

Result<std::string> randomHex(std::size_t bytes)
{
    std::FILE *f = std::fopen("/dev/urandom", "rb");
    if (!f)
        return Error::make(ErrorKind::Io, "/dev/urandom: cannot open it to make a token");
    std::string raw(bytes, '\0');
    const std::size_t got = std::fread(raw.data(), 1, bytes, f);
    std::fclose(f);
    if (got != bytes)
        return Error::make(ErrorKind::Io, "/dev/urandom: short read while making a token");
    static const char *digits = "0123456789abcdef";
    std::string hex;
    for (const unsigned char c : raw) {
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    return hex;
}

Error teamError(const std::string &what, const Error &cause)
{
    return Error::make(ErrorKind::Io, "team store: " + what + " failed: " + cause.message);
}

} // namespace

Result<void> checkTeamName(const std::string &what, const std::string &name)
{
    if (name.empty() || name.size() > 64)
        return Error::make(ErrorKind::Config, what + " must be 1 to 64 characters long");
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                        || c == '-' || c == '_';
        if (!ok)
            return Error::make(ErrorKind::Config,
                               what + " '" + name + "' may only use letters, digits, '.', '-' and '_'");
    }
    return {};
}

TeamStore::TeamStore(std::unique_ptr<SqlDb> db) : m_db(std::move(db)) {}
TeamStore::~TeamStore() = default;

Result<std::unique_ptr<TeamStore>> TeamStore::open(const std::string &url)
{
    if (!pg::isUrl(url))
        return Error::make(ErrorKind::Config, "tokens and teams need a PostgreSQL store (postgresql://...)");
    auto connection = pg::Connection::open(url);
    if (!connection)
        return connection.error();
    if (auto migrated = pg::migrate(*connection.value(), "team_server", {kTeamSchema, kSecretsSchema}); !migrated)
        return migrated.error();
    return std::unique_ptr<TeamStore>(new TeamStore(postgresSqlDb(std::move(connection).value())));
}

Result<std::string> TeamStore::addToken(const std::string &name, const std::string &team)
{
    if (auto ok = checkTeamName("a token name", name); !ok)
        return ok.error();
    if (auto ok = checkTeamName("a team name", team); !ok)
        return ok.error();
    auto secret = randomHex(32);
    if (!secret)
        return secret.error();
    const std::string token = "prism_" + secret.value();
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("INSERT INTO api_tokens (name, team, token_hash, created_at) VALUES (?, ?, ?, ?)"
                            " ON CONFLICT (name) DO NOTHING RETURNING name",
                            {name, team, sha256Hex(token), isoNowUtc()});
    if (!rows)
        return teamError("token creation", rows.error());
    if (rows->empty())
        return Error::make(ErrorKind::Config,
                           "a token named '" + name + "' exists; revoke it first or choose another name");
    return token;
}

Result<std::vector<ApiToken>> TeamStore::tokens()
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT name, team, created_at FROM api_tokens ORDER BY team, name");
    if (!rows)
        return teamError("token list", rows.error());
    std::vector<ApiToken> out;
    for (const SqlRow &row : rows.value())
        out.push_back({row.text(0), row.text(1), row.text(2)});
    return out;
}

Result<bool> TeamStore::revokeToken(const std::string &name)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("DELETE FROM api_tokens WHERE name = ? RETURNING name", {name});
    if (!rows)
        return teamError("token revocation", rows.error());
    return !rows->empty();
}

Result<std::optional<ApiToken>> TeamStore::authenticate(const std::string &token)
{
    std::lock_guard lock(m_mutex);
    // Looked up by hash: the token itself is never compared or kept.
    auto rows = m_db->query("SELECT name, team, created_at FROM api_tokens WHERE token_hash = ?", {sha256Hex(token)});
    if (!rows)
        return teamError("token check", rows.error());
    if (rows->empty())
        return std::optional<ApiToken>();
    const SqlRow &row = rows->front();
    return std::optional<ApiToken>(ApiToken{row.text(0), row.text(1), row.text(2)});
}

Result<std::string> TeamStore::streamSecret()
{
    auto fresh = randomHex(32);
    if (!fresh)
        return fresh.error();
    std::lock_guard lock(m_mutex);
    // The first API server makes it; every other one reads the same.
    if (auto made = m_db->exec("INSERT INTO api_secrets (name, secret) VALUES ('event_tickets', ?)"
                               " ON CONFLICT (name) DO NOTHING",
                               {fresh.value()});
        !made)
        return teamError("ticket secret", made.error());
    auto rows = m_db->query("SELECT secret FROM api_secrets WHERE name = 'event_tickets'");
    if (!rows || rows->empty())
        return teamError("ticket secret", rows ? Error::make(ErrorKind::Io, "no row") : rows.error());
    return rows->front().text(0);
}

Result<void> TeamStore::setRunTeam(const std::string &runId, const std::string &team)
{
    std::lock_guard lock(m_mutex);
    if (auto r = m_db->exec("INSERT INTO run_teams (run_id, team) VALUES (?, ?)", {runId, team}); !r)
        return teamError("run team", r.error());
    return {};
}

Result<std::optional<std::string>> TeamStore::runTeam(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT team FROM run_teams WHERE run_id = ?", {runId});
    if (!rows)
        return teamError("run team", rows.error());
    if (rows->empty())
        return std::optional<std::string>();
    return std::optional<std::string>(rows->front().text(0));
}

Result<std::vector<std::string>> TeamStore::teamRuns(const std::string &team)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT run_id FROM run_teams WHERE team = ?", {team});
    if (!rows)
        return teamError("team runs", rows.error());
    std::vector<std::string> ids;
    for (const SqlRow &row : rows.value())
        ids.push_back(row.text(0));
    return ids;
}

} // namespace prism
