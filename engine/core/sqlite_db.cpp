#include "core/sqlite_db.h"

#include <chrono>
#include <thread>

namespace prism::sqlite {

Connection openConnection(const std::string &path, Access access)
{
    const int flags = access == Access::ReadOnly ? SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX
                                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    Connection c;
    const int rc = sqlite3_open_v2(path.c_str(), &c.db, flags, nullptr);
    if (rc != SQLITE_OK) {
        c.error = c.db ? sqlite3_errmsg(c.db) : sqlite3_errstr(rc);
        sqlite3_close_v2(c.db);
        c.db = nullptr;
        return c;
    }
    sqlite3_busy_timeout(c.db, kBusyTimeoutMs);
    return c;
}

int execSetup(sqlite3 *db, const char *sql)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (;;) {
        const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
        const int primary = rc & 0xff;
        if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline)
            return rc;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

} // namespace prism::sqlite
