#pragma once

// The one SQLite helper of the engine: a prepared statement that is finalized
// on every path out, and the open-and-set-up sequence shared by the run store
// and the response cache. Include only from .cpp files: it pulls in sqlite3.h.

#include <sqlite3.h>

#include <optional>
#include <string>

namespace prism::sqlite {

// How long a connection waits on another connection's write lock.
constexpr int kBusyTimeoutMs = 10000;

class Statement {
public:
    Statement(sqlite3 *db, const char *sql) { m_rc = sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr); }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    bool prepared() const { return m_rc == SQLITE_OK; }
    Statement &text(int i, const std::string &v)
    {
        sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement &integer(int i, long long v)
    {
        sqlite3_bind_int64(m_stmt, i, static_cast<sqlite3_int64>(v));
        return *this;
    }
    Statement &real(int i, double v)
    {
        sqlite3_bind_double(m_stmt, i, v);
        return *this;
    }
    Statement &null(int i)
    {
        sqlite3_bind_null(m_stmt, i);
        return *this;
    }
    Statement &optReal(int i, std::optional<double> v) { return v ? real(i, *v) : null(i); }
    Statement &optInteger(int i, std::optional<long long> v) { return v ? integer(i, *v) : null(i); }
    int step() { return sqlite3_step(m_stmt); }
    void reset()
    {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    bool done() { return step() == SQLITE_DONE; }

    std::string columnText(int c) const
    {
        const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, c))) : std::string();
    }
    long long columnInt(int c) const { return static_cast<long long>(sqlite3_column_int64(m_stmt, c)); }
    double columnReal(int c) const { return sqlite3_column_double(m_stmt, c); }
    int columnCount() const { return sqlite3_column_count(m_stmt); }
    int columnType(int c) const { return sqlite3_column_type(m_stmt, c); }
    bool columnNull(int c) const { return sqlite3_column_type(m_stmt, c) == SQLITE_NULL; }
    std::optional<double> columnOptReal(int c) const
    {
        if (columnNull(c))
            return std::nullopt;
        return sqlite3_column_double(m_stmt, c);
    }
    std::optional<long long> columnOptInt(int c) const
    {
        if (columnNull(c))
            return std::nullopt;
        return columnInt(c);
    }

private:
    sqlite3_stmt *m_stmt = nullptr;
    int m_rc = SQLITE_ERROR;
};

enum class Access { ReadWrite, ReadOnly };

// Opens a connection (ReadWrite creates the file) with the busy timeout set.
// On failure db is null and error holds SQLite's reason.
struct Connection {
    sqlite3 *db = nullptr;
    std::string error;
};
Connection openConnection(const std::string &path, Access access);

// Runs setup SQL (pragmas, schema). Two processes opening a new file at once
// race to switch it to WAL, and that switch can report "locked" without
// waiting on the busy handler, so a busy or locked answer is retried until
// the busy timeout. Returns SQLite's result code.
int execSetup(sqlite3 *db, const char *sql);

} // namespace prism::sqlite
