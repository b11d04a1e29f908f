#pragma once

// A fresh database on the test cluster (tests/support/pg_cluster.sh) for one
// test, dropped at the end. Without a cluster the test is skipped, unless
// PRISM_REQUIRE_POSTGRES=1 (CI), where that fails.
#include "core/pg_db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace prism::test {

inline std::string clusterUrl()
{
    const char *state = std::getenv("PRISM_TEST_PG_STATE");
    if (!state)
        return {};
    std::ifstream in(std::string(state) + "/url");
    std::string url;
    std::getline(in, url);
    return url;
}

class PgTestDb {
public:
    PgTestDb()
    {
        const std::string cluster = clusterUrl();
        if (cluster.empty())
            return;
        static std::atomic<int> counter{0};
        m_name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
        m_admin = cluster;
        auto admin = pg::Connection::open(m_admin);
        if (!admin)
            return;
        (void)admin.value()->exec("DROP DATABASE IF EXISTS " + m_name);
        if (!admin.value()->exec("CREATE DATABASE " + m_name))
            return;
        m_url = cluster.substr(0, cluster.rfind('/') + 1) + m_name;
    }
    ~PgTestDb()
    {
        if (m_url.empty())
            return;
        if (auto admin = pg::Connection::open(m_admin))
            (void)admin.value()->exec("DROP DATABASE IF EXISTS " + m_name + " WITH (FORCE)");
    }
    // Empty when there is no cluster.
    const std::string &url() const { return m_url; }

private:
    std::string m_admin;
    std::string m_name;
    std::string m_url;
};

// In a test body: the database's URL, or skip (fail on CI) without a cluster.
#define PRISM_PG_DB(var)                                                                                               \
    ::prism::test::PgTestDb var##Holder;                                                                               \
    if (var##Holder.url().empty()) {                                                                                   \
        if (const char *required = std::getenv("PRISM_REQUIRE_POSTGRES"); required && std::string(required) == "1")    \
            FAIL() << "no PostgreSQL test cluster (tests/support/pg_cluster.sh)";                                      \
        GTEST_SKIP() << "no PostgreSQL test cluster";                                                                  \
    }                                                                                                                  \
    const std::string var = var##Holder.url()

} // namespace prism::test
