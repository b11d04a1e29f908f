#include "core/pg_db.h"

#include <libpq-fe.h>

#include <spdlog/fmt/fmt.h>

namespace prism::pg {

namespace {

// One advisory lock for every component's migrations: they are rare and short.
constexpr long long kMigrationLock = 0x707269736d; // "prism"

// The password of a URL, for redacting it from libpq's messages too.
std::string passwordOf(const std::string &url)
{
    const auto scheme = url.find("://");
    if (scheme == std::string::npos)
        return {};
    const auto at = url.find('@', scheme + 3);
    const auto slash = url.find('/', scheme + 3);
    if (at == std::string::npos || (slash != std::string::npos && slash < at))
        return {};
    const auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at)
        return {};
    return url.substr(colon + 1, at - colon - 1);
}

std::string oneLine(std::string text)
{
    for (char &c : text)
        if (c == '\n' || c == '\r')
            c = ' ';
    while (!text.empty() && text.back() == ' ')
        text.pop_back();
    return text;
}

} // namespace

bool isUrl(const std::string &location)
{
    return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string displayUrl(const std::string &url)
{
    std::string out = url;
    if (const std::string password = passwordOf(url); !password.empty()) {
        const auto scheme = out.find("://");
        const auto colon = out.find(':', scheme + 3);
        out.replace(colon + 1, password.size(), "***");
    }
    // ?password=... or &password=...
    for (const char *key : {"?password=", "&password="}) {
        const auto p = out.find(key);
        if (p == std::string::npos)
            continue;
        const auto start = p + std::char_traits<char>::length(key);
        const auto end = out.find('&', start);
        out.replace(start, (end == std::string::npos ? out.size() : end) - start, "***");
    }
    return out;
}

Connection::Connection(PGconn *conn, std::string display) : m_conn(conn), m_display(std::move(display)) {}

Connection::~Connection()
{
    PQfinish(m_conn);
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string &url)
{
    const char *keywords[] = {"dbname", "connect_timeout", "application_name", nullptr};
    const char *values[] = {url.c_str(), "10", "prism", nullptr};
    PGconn *conn = PQconnectdbParams(keywords, values, 1);
    if (!conn)
        return Error::make(ErrorKind::Io, pg::displayUrl(url) + ": cannot connect to PostgreSQL (out of memory)");
    if (PQstatus(conn) != CONNECTION_OK) {
        std::string message = oneLine(PQerrorMessage(conn));
        PQfinish(conn);
        if (const std::string password = passwordOf(url); password.size() >= 4)
            for (auto p = message.find(password); p != std::string::npos; p = message.find(password))
                message.replace(p, password.size(), "***");
        return Error::make(ErrorKind::Io, pg::displayUrl(url) + ": cannot connect to PostgreSQL: " + message);
    }
    // Notices (e.g. "relation already exists, skipping") are not the user's business.
    PQsetNoticeProcessor(
        conn, [](void *, const char *) {}, nullptr);
    return std::unique_ptr<Connection>(new Connection(conn, pg::displayUrl(url)));
}

Error Connection::errorOf(const std::string &what) const
{
    return Error::make(ErrorKind::Io, m_display + ": " + what + " failed: " + oneLine(PQerrorMessage(m_conn)));
}

Result<Rows> Connection::exec(const std::string &sql, const std::vector<Param> &params)
{
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const auto &p : params)
        values.push_back(p ? p->c_str() : nullptr);
    for (int attempt = 0;; ++attempt) {
        // Without parameters, the simple protocol: a migration step may hold several statements.
        PGresult *result = values.empty() ? PQexec(m_conn, sql.c_str())
                                          : PQexecParams(m_conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                                         values.data(), nullptr, nullptr, 0);
        const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            Rows rows;
            const int n = PQntuples(result), columns = PQnfields(result);
            rows.rows.resize(static_cast<std::size_t>(n));
            for (int r = 0; r < n; ++r) {
                auto &row = rows.rows[static_cast<std::size_t>(r)];
                row.reserve(static_cast<std::size_t>(columns));
                for (int c = 0; c < columns; ++c)
                    row.push_back(PQgetisnull(result, r, c) ? std::nullopt
                                                            : std::optional<std::string>(std::string(
                                                                PQgetvalue(result, r, c),
                                                                static_cast<std::size_t>(PQgetlength(result, r, c)))));
            }
            const char *affected = PQcmdTuples(result);
            rows.affected = affected && *affected ? std::atoll(affected) : 0;
            PQclear(result);
            return rows;
        }
        PQclear(result);
        // A lost connection (the server restarted) is opened again once; inside
        // a transaction the work so far is gone, so the caller must redo it.
        if (attempt == 0 && !m_inTransaction && PQstatus(m_conn) == CONNECTION_BAD) {
            PQreset(m_conn);
            if (PQstatus(m_conn) == CONNECTION_OK)
                continue;
        }
        return errorOf("query");
    }
}

Result<void> Connection::transaction(const std::function<Result<void>(Connection &)> &body)
{
    if (auto begun = exec("BEGIN"); !begun)
        return begun.error();
    m_inTransaction = true;
    auto done = body(*this);
    if (done) {
        auto committed = exec("COMMIT");
        m_inTransaction = false;
        if (!committed)
            return committed.error();
        return {};
    }
    (void)exec("ROLLBACK");
    m_inTransaction = false;
    return done.error();
}

Result<int> migrate(Connection &db, const std::string &component, const std::vector<std::string> &steps)
{
    const std::string lock = std::to_string(kMigrationLock);
    if (auto locked = db.exec("SELECT pg_advisory_lock(" + lock + ")"); !locked)
        return locked.error();
    auto applyAll = [&]() -> Result<int> {
        auto created = db.exec("CREATE TABLE IF NOT EXISTS prism_migrations ("
                               "  component TEXT NOT NULL, version INTEGER NOT NULL,"
                               "  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (component, version))");
        if (!created)
            return created.error();
        auto current =
            db.exec("SELECT COALESCE(MAX(version), 0) FROM prism_migrations WHERE component = $1", {component});
        if (!current)
            return current.error();
        const int version = std::atoi(current->rows.at(0).at(0).value_or("0").c_str());
        if (version > static_cast<int>(steps.size()))
            return Error::make(ErrorKind::Io, fmt::format("{}: the {} tables are at version {}, newer than this Prism "
                                                          "knows ({}): use a newer Prism with this database",
                                                          db.displayUrl(), component, version, steps.size()));
        int applied = 0;
        for (int v = version + 1; v <= static_cast<int>(steps.size()); ++v) {
            auto step = db.transaction([&](Connection &c) -> Result<void> {
                if (auto r = c.exec(steps[static_cast<std::size_t>(v - 1)]); !r)
                    return r.error();
                if (auto r = c.exec("INSERT INTO prism_migrations (component, version) VALUES ($1, $2)",
                                    {component, std::to_string(v)});
                    !r)
                    return r.error();
                return {};
            });
            if (!step) {
                std::string why = step.error().message;
                if (why.rfind(db.displayUrl() + ": ", 0) == 0)
                    why.erase(0, db.displayUrl().size() + 2);
                return Error::make(ErrorKind::Io, fmt::format("{}: cannot bring the {} tables to version {}: {}",
                                                              db.displayUrl(), component, v, why));
            }
            ++applied;
        }
        return applied;
    };
    auto applied = applyAll();
    (void)db.exec("SELECT pg_advisory_unlock(" + lock + ")");
    return applied;
}

} // namespace prism::pg
