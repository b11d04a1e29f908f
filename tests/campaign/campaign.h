#pragma once

// Shared pieces of the fault and crash campaigns: the built `prism` binary run
// as a child, a `prism simlm serve` child with faults, a scratch directory, and
// the figures each campaign appends to its report.
#include "core/json.h"
#include "run/run_store.h"

#include "../support/sim_server_process.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace prism::campaign {

namespace fs = std::filesystem;

inline std::string readAll(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct ChildResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

// Starts `prism args...` with stdin from /dev/null and stdout / stderr to the
// given files (/dev/null when empty); returns its pid.
inline pid_t spawnPrism(const std::vector<std::string> &args, const fs::path &out = {}, const fs::path &err = {})
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int o =
            out.empty() ? ::open("/dev/null", O_WRONLY) : ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e =
            err.empty() ? ::open("/dev/null", O_WRONLY) : ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in = ::open("/dev/null", O_RDONLY);
        ::dup2(o, STDOUT_FILENO);
        ::dup2(e, STDERR_FILENO);
        ::dup2(in, STDIN_FILENO);
        std::vector<char *> argv;
        argv.push_back(const_cast<char *>(PRISM_CLI_BINARY));
        for (const auto &a : args)
            argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(PRISM_CLI_BINARY, argv.data());
        ::_exit(127);
    }
    return pid;
}

// Runs `prism args...` to completion, stdout and stderr captured in files of dir.
inline ChildResult runPrism(const fs::path &dir, const std::vector<std::string> &args)
{
    const fs::path out = dir / "child-stdout.txt";
    const fs::path err = dir / "child-stderr.txt";
    const pid_t pid = spawnPrism(args, out, err);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ChildResult r;
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = readAll(out);
    r.err = readAll(err);
    return r;
}

using testsupport::SimServerProcess;

// The total of "kind xN" counts in the server's exit line.
inline long long faultsInjected(const std::string &serverOutput)
{
    long long total = 0;
    const auto at = serverOutput.find("faults: ");
    if (at == std::string::npos)
        return 0;
    std::istringstream in(serverOutput.substr(at + 8));
    std::string item;
    while (std::getline(in, item, ',')) {
        const auto x = item.find(" x");
        if (x != std::string::npos)
            total += std::atoll(item.c_str() + x + 2);
    }
    return total;
}

// The math sample with both models behind the server, written into dir.
// modelKeys: more keys for both model entries (e.g. retry settings).
inline std::string mathStudyAgainst(const fs::path &dir, const std::string &url, const std::string &taskModel,
                                    double timeoutSeconds, const Json &modelKeys = Json::object())
{
    Json study = Json::parse(readAll(PRISM_SAMPLES_DIR "/math/math.prism.json"));
    for (const char *split : {"train", "val", "test"})
        study["data"][split]["path"] = std::string(PRISM_SAMPLES_DIR "/math/") + split + ".jsonl";
    Json model =
        Json{{"provider", "openai"}, {"base_url", url}, {"model", taskModel}, {"timeout_seconds", timeoutSeconds}};
    model.update(modelKeys);
    study["models"]["task"] = model;
    model["model"] = "sim-small";
    study["models"]["proposer"] = model;
    const std::string path = (dir / "math-http.prism.json").string();
    std::ofstream(path) << study.dump(2);
    return path;
}

struct PaidCalls {
    std::size_t total = 0;
    std::size_t distinct = 0;
    long long retries = 0;
    std::size_t failedForGood = 0;
};

inline PaidCalls paidCalls(const std::string &store, const std::string &runId)
{
    PaidCalls out;
    auto opened = RunStore::open(store);
    EXPECT_TRUE(opened.ok());
    if (!opened)
        return out;
    std::set<std::string> keys;
    const std::vector<LedgerRow> rows = opened.value()->ledger(runId).value();
    for (const auto &row : rows) {
        out.retries += row.entry.retries;
        if (row.entry.errorKind) {
            ++out.failedForGood;
            continue;
        }
        if (row.entry.cacheHit)
            continue;
        ++out.total;
        keys.insert(row.requestKey);
    }
    out.distinct = keys.size();
    return out;
}

// SQLite's own check of a store file: "ok" when sound.
inline std::string integrityCheck(const std::string &path)
{
    sqlite3 *db = nullptr;
    std::string result = "cannot open";
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt *stmt = nullptr;
        result.clear();
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK)
            while (sqlite3_step(stmt) == SQLITE_ROW)
                result += reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return result;
}

// A scratch directory per test, removed unless the test failed (then kept and named).
class CampaignTest : public ::testing::Test {
protected:
    fs::path dir;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-campaign-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        ::setenv("PRISM_DATA_DIR", (dir / "data").string().c_str(), 1);
    }
    void TearDown() override
    {
        if (HasFailure()) {
            std::printf("kept for diagnosis: %s\n", dir.c_str());
            return;
        }
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    // One line of figures: printed, and appended to $PRISM_CAMPAIGN_REPORT when set.
    static void report(const std::string &line)
    {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
        if (const char *path = std::getenv("PRISM_CAMPAIGN_REPORT"))
            std::ofstream(path, std::ios::app) << line << "\n";
    }
};

inline Json parseJson(const std::string &text)
{
    Json j = Json::parse(text, nullptr, false);
    return j.is_discarded() ? Json() : j;
}

} // namespace prism::campaign
