#include "core/sql_db.h"

#include "core/pg_db.h"
#include "core/sqlite_db.h"

#include <spdlog/fmt/fmt.h>

#include <cstdlib>

namespace prism {

long long SqlRow::integer(int c) const
{
    const auto &v = m_values.at(static_cast<std::size_t>(c));
    return v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
}

double SqlRow::real(int c) const
{
    const auto &v = m_values.at(static_cast<std::size_t>(c));
    return v ? std::strtod(v->c_str(), nullptr) : 0.0;
}

std::optional<long long> SqlRow::optInteger(int c) const
{
    if (isNull(c))
        return std::nullopt;
    return integer(c);
}

std::optional<double> SqlRow::optReal(int c) const
{
    if (isNull(c))
        return std::nullopt;
    return real(c);
}

Result<void> SqlDb::exec(const std::string &sql, const std::vector<SqlParam> &params)
{
    auto rows = query(sql, params);
    if (!rows)
        return rows.error();
    return {};
}

Result<void> SqlDb::execDurable(const std::string &sql, const std::vector<SqlParam> &params)
{
    if (auto begun = begin(false, true); !begun)
        return begun.error();
    if (auto done = exec(sql, params); !done) {
        rollback();
        return done.error();
    }
    return commit();
}

namespace {

class SqliteSqlDb final : public SqlDb {
public:
    SqliteSqlDb(sqlite3 *db, std::string path) : m_db(db), m_path(std::move(path)) {}
    ~SqliteSqlDb() override { sqlite3_close_v2(m_db); }

    Kind kind() const override { return Kind::Sqlite; }
    const std::string &location() const override { return m_path; }
    const char *insertionOrder() const override { return "rowid"; }

    Result<SqlRows> query(const std::string &sql, const std::vector<SqlParam> &params) override
    {
        sqlite::Statement s(m_db, sql.c_str());
        if (!s.prepared())
            return error();
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int at = static_cast<int>(i) + 1;
            std::visit(
                [&](const auto &v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, std::monostate>)
                        s.null(at);
                    else if constexpr (std::is_same_v<T, long long>)
                        s.integer(at, v);
                    else if constexpr (std::is_same_v<T, double>)
                        s.real(at, v);
                    else
                        s.text(at, v);
                },
                params[i]);
        }
        SqlRows rows;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW)
            rows.push_back(readRow(s));
        if (rc != SQLITE_DONE)
            return error();
        return rows;
    }

    Result<void> begin(bool, bool durable) override
    {
        m_durable = durable;
        if (durable)
            sqlite3_exec(m_db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
        if (sqlite3_exec(m_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
            Error e = error();
            endDurable();
            return e;
        }
        return {};
    }

    Result<void> commit() override
    {
        if (sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
            Error e = error();
            rollback();
            return e;
        }
        endDurable();
        return {};
    }

    void rollback() override
    {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        endDurable();
    }

private:
    Error error() const { return Error::make(ErrorKind::Io, sqlite3_errmsg(m_db)); }

    // FULL synced the WAL at commit (which covers earlier NORMAL commits
    // too); the connection goes back to NORMAL.
    void endDurable()
    {
        if (m_durable)
            sqlite3_exec(m_db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
        m_durable = false;
    }

    SqlRow readRow(const sqlite::Statement &s) const
    {
        std::vector<std::optional<std::string>> values;
        const int n = s.columnCount();
        values.reserve(static_cast<std::size_t>(n));
        for (int c = 0; c < n; ++c) {
            switch (s.columnType(c)) {
            case SQLITE_NULL: values.emplace_back(); break;
            case SQLITE_INTEGER: values.emplace_back(std::to_string(s.columnInt(c))); break;
            // The shortest text that reads back as the same double.
            case SQLITE_FLOAT: values.emplace_back(fmt::format("{}", s.columnReal(c))); break;
            default: values.emplace_back(s.columnText(c)); break;
            }
        }
        return SqlRow(std::move(values));
    }

    sqlite3 *m_db;
    std::string m_path;
    bool m_durable = false;
};

// `?` placeholders as $1, $2... (none inside quoted text).
std::string numberedPlaceholders(const std::string &sql)
{
    std::string out;
    out.reserve(sql.size() + 16);
    int n = 0;
    char quote = 0;
    for (char c : sql) {
        if (quote) {
            if (c == quote)
                quote = 0;
            out += c;
        } else if (c == '\'' || c == '"') {
            quote = c;
            out += c;
        } else if (c == '?') {
            out += "$" + std::to_string(++n);
        } else {
            out += c;
        }
    }
    return out;
}

class PostgresSqlDb final : public SqlDb {
public:
    explicit PostgresSqlDb(std::unique_ptr<pg::Connection> db) : m_db(std::move(db)) {}

    Kind kind() const override { return Kind::Postgres; }
    const std::string &location() const override { return m_db->displayUrl(); }
    const char *insertionOrder() const override { return "id"; }

    Result<SqlRows> query(const std::string &sql, const std::vector<SqlParam> &params) override
    {
        std::vector<pg::Param> texts;
        texts.reserve(params.size());
        for (const auto &p : params)
            texts.push_back(std::visit(
                [](const auto &v) -> pg::Param {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, std::monostate>)
                        return std::nullopt;
                    else if constexpr (std::is_same_v<T, long long>)
                        return std::to_string(v);
                    else if constexpr (std::is_same_v<T, double>)
                        return fmt::format("{}", v);
                    else
                        return v;
                },
                p));
        auto rows = m_db->exec(numberedPlaceholders(sql), texts);
        if (!rows)
            return withoutLocation(rows.error());
        SqlRows out;
        out.reserve(rows->rows.size());
        for (auto &row : rows->rows)
            out.emplace_back(std::move(row));
        return out;
    }

    Result<void> begin(bool exclusive, bool) override
    {
        if (auto r = m_db->exec("BEGIN"); !r)
            return withoutLocation(r.error());
        if (exclusive) {
            // One lock per database for the store's exclusive transactions (run numbering).
            if (auto r = m_db->exec("SELECT pg_advisory_xact_lock(7072697300)"); !r) {
                rollback();
                return withoutLocation(r.error());
            }
        }
        return {};
    }

    Result<void> commit() override
    {
        if (auto r = m_db->exec("COMMIT"); !r) {
            rollback();
            return withoutLocation(r.error());
        }
        return {};
    }

    void rollback() override { (void)m_db->exec("ROLLBACK"); }

private:
    // pg's errors start with the URL and "query failed: "; the store adds its own context.
    Error withoutLocation(Error e) const
    {
        const std::string prefix = m_db->displayUrl() + ": query failed: ";
        if (e.message.rfind(prefix, 0) == 0)
            e.message.erase(0, prefix.size());
        return e;
    }

    std::unique_ptr<pg::Connection> m_db;
};

} // namespace

std::unique_ptr<SqlDb> sqliteSqlDb(sqlite3 *db, std::string path)
{
    return std::make_unique<SqliteSqlDb>(db, std::move(path));
}

std::unique_ptr<SqlDb> postgresSqlDb(std::unique_ptr<pg::Connection> db)
{
    return std::unique_ptr<SqlDb>(new PostgresSqlDb(std::move(db)));
}

} // namespace prism
