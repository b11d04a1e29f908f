#pragma once

// One SQL database a store writes through, a SQLite file or a PostgreSQL
// database, so the store's statements are written once. Statements use `?`
// placeholders (rewritten to $1, $2... for PostgreSQL) and the SQL both speak:
// INSERT ... ON CONFLICT, COALESCE, CASE; what differs (the schema's column
// types, row order by insertion, durability, exclusive transactions) is asked
// of the database here. Not thread-safe: the store serializes its calls.

#include "core/result.h"

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

struct sqlite3;

namespace prism {

using SqlParam = std::variant<std::monostate, long long, double, std::string>; // monostate = NULL

// A row's values as text (NULL = nullopt), read back as the column's type.
class SqlRow {
public:
    explicit SqlRow(std::vector<std::optional<std::string>> values) : m_values(std::move(values)) {}
    bool isNull(int c) const { return !m_values.at(static_cast<std::size_t>(c)); }
    std::string text(int c) const { return m_values.at(static_cast<std::size_t>(c)).value_or(std::string()); }
    long long integer(int c) const;
    double real(int c) const;
    std::optional<long long> optInteger(int c) const;
    std::optional<double> optReal(int c) const;

private:
    std::vector<std::optional<std::string>> m_values;
};

using SqlRows = std::vector<SqlRow>;

class SqlDb {
public:
    enum class Kind { Sqlite, Postgres };
    virtual ~SqlDb() = default;
    virtual Kind kind() const = 0;
    // The file path, or the database URL without its password.
    virtual const std::string &location() const = 0;
    // Errors carry the database's own message; the store says what it was doing.
    virtual Result<SqlRows> query(const std::string &sql, const std::vector<SqlParam> &params = {}) = 0;
    Result<void> exec(const std::string &sql, const std::vector<SqlParam> &params = {});
    // exclusive: no other process may begin an exclusive transaction of the
    // same store until this one ends (SQLite: every write transaction is
    // IMMEDIATE anyway; PostgreSQL: a transaction-scoped advisory lock).
    // durable: its commit survives a crash of the machine, not only of the
    // process (SQLite syncs its WAL, and with it every commit before; a
    // PostgreSQL commit is durable anyway).
    virtual Result<void> begin(bool exclusive, bool durable) = 0;
    virtual Result<void> commit() = 0;
    virtual void rollback() = 0;
    // A statement outside a transaction, made durable (see commit).
    Result<void> execDurable(const std::string &sql, const std::vector<SqlParam> &params = {});
    // The column that orders a table's rows as they were inserted.
    virtual const char *insertionOrder() const = 0;
};

// Wraps an open SQLite connection (closed with the SqlDb).
std::unique_ptr<SqlDb> sqliteSqlDb(sqlite3 *db, std::string path);
namespace pg {
class Connection;
}
// Wraps a PostgreSQL connection.
std::unique_ptr<SqlDb> postgresSqlDb(std::unique_ptr<pg::Connection> db);

} // namespace prism
