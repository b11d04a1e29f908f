#pragma once

// The one PostgreSQL helper of the engine (libpq): a connection that runs one
// statement with text parameters and returns the rows as text, and the
// migrations every PostgreSQL-backed part applies to its schema. Nothing here
// includes libpq-fe.h, so front ends need not know libpq.

#include "core/result.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

typedef struct pg_conn PGconn; // libpq's own declaration, repeated

namespace prism::pg {

// True for "postgresql://..." and "postgres://..." (libpq's URI forms): where
// Prism takes a database instead of a file path.
bool isUrl(const std::string &location);

// The URL as it may be shown or logged: a password (user:secret@) replaced by
// "***", and a "password=" query parameter too. The password itself is
// better kept in PGPASSWORD or ~/.pgpass, which libpq reads.
std::string displayUrl(const std::string &url);

using Param = std::optional<std::string>; // nullopt = SQL NULL

struct Rows {
    std::vector<std::vector<std::optional<std::string>>> rows; // text values, nullopt = NULL
    long long affected = 0;                                    // rows changed by an INSERT, UPDATE or DELETE
};

// One connection. Not thread-safe: its owner serializes calls (as the SQLite
// stores do with their mutex).
class Connection {
public:
    // Connects (10 s at most). Errors are Io errors naming displayUrl(url).
    static Result<std::unique_ptr<Connection>> open(const std::string &url);
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // One statement with $1, $2... bound to params (as text); without params,
    // several statements separated by ';' may run at once. A connection
    // that was lost (a server restart) is re-established once and the
    // statement tried again, unless inside a transaction.
    Result<Rows> exec(const std::string &sql, const std::vector<Param> &params = {});
    // BEGIN; body; COMMIT, or ROLLBACK when body fails.
    Result<void> transaction(const std::function<Result<void>(Connection &)> &body);
    const std::string &displayUrl() const { return m_display; }

private:
    Connection(PGconn *conn, std::string display);
    Error errorOf(const std::string &what) const;

    PGconn *m_conn = nullptr;
    std::string m_display;
    bool m_inTransaction = false;
};

// Brings `component`'s tables up to date: applies, in order, each of `steps`
// not applied yet (one transaction each, recorded in prism_migrations), under
// an advisory lock, so processes that start at once apply each step once.
// Returns the number of steps applied now. A database whose recorded version
// is past `steps` (a newer Prism) is refused with an error that says so.
Result<int> migrate(Connection &db, const std::string &component, const std::vector<std::string> &steps);

} // namespace prism::pg
