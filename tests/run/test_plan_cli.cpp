// `prism optimize --dry-run` against the runs it plans: for each sample and
// optimizer the built CLI prints the plan, then makes the run (--json reports
// the calls it made by role), and the two are compared. The relation, which
// optimize/plan.h promises:
//   - every role's requests (LM calls plus cache hits) are at most planned:
//     the plan is an upper bound, never an underestimate;
//   - LabeledFewShot is exact: its only calls score the student and the result
//     on the valset and both programs on the test split;
//   - the plan of the same study and settings is the same every time.
// A dry run makes no call, stores no run and writes no file.
#include "core/json.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using prism::Json;

namespace {

struct CliResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

std::string readAll(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string quoted(const std::string &arg)
{
    std::string out = "'";
    for (char c : arg)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string sample(const std::string &name)
{
    return std::string(PRISM_SAMPLES_DIR) + "/" + name + "/" + name + ".prism.json";
}

long long roleCalls(const Json &byRole, const char *role, const char *key)
{
    return byRole.contains(role) ? byRole[role].value(key, 0LL) : 0LL;
}

class PlanCli : public ::testing::Test {
protected:
    fs::path dir;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-plancli-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir / "out");
        // The cache, prices and default store live here, never in the user's directory.
        ::setenv("PRISM_DATA_DIR", (dir / "data").string().c_str(), 1);
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    CliResult prism(const std::vector<std::string> &args)
    {
        std::string cmd = quoted(PRISM_CLI_BINARY);
        for (const auto &a : args)
            cmd += " " + quoted(a);
        const fs::path out = dir / "out" / "stdout.txt";
        const fs::path err = dir / "out" / "stderr.txt";
        cmd += " >" + quoted(out.string()) + " 2>" + quoted(err.string()) + " </dev/null";
        const int status = std::system(cmd.c_str());
        CliResult r;
        r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = readAll(out);
        r.err = readAll(err);
        return r;
    }

    Json jsonOf(const std::vector<std::string> &args)
    {
        const CliResult r = prism(args);
        EXPECT_EQ(r.exitCode, 0) << r.err;
        Json j = Json::parse(r.out, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
        return j;
    }

    // Plans and runs one sample with one optimizer; checks the relation above.
    void check(const std::string &name, const std::string &optimizer)
    {
        SCOPED_TRACE(name + " / " + optimizer);
        const std::vector<std::string> common = {
            "optimize", sample(name), "--optimizer", optimizer,
            "--seed",   "0",          "--store",     (dir / "runs.sqlite").string()};
        std::vector<std::string> planArgs = common;
        planArgs.insert(planArgs.end(), {"--dry-run", "--json"});
        const Json plan = jsonOf(planArgs);
        ASSERT_TRUE(plan.is_object());
        EXPECT_EQ(plan, jsonOf(planArgs)); // the same plan every time

        std::vector<std::string> runArgs = common;
        runArgs.insert(runArgs.end(),
                       {"--json", "--no-cache", "--quiet", "--out", (dir / "out" / "artifact.json").string()});
        const Json run = jsonOf(runArgs);
        ASSERT_TRUE(run.is_object());
        ASSERT_EQ(run.value("stop_reason", std::string()), "completed");
        const Json &made = run["calls_by_role"];
        const Json &planned = plan["calls_by_role"];
        long long plannedTotal = 0;
        for (const char *role : {"bootstrap", "evaluation", "test_comparison", "proposer"}) {
            const long long asked = roleCalls(made, role, "calls") + roleCalls(made, role, "cache_hits");
            const long long upTo = roleCalls(planned, role, "calls");
            plannedTotal += upTo;
            std::printf("[plan] %-10s %-9s %-10s planned %5lld, asked %5lld (%lld cached)\n", name.c_str(),
                        optimizer.c_str(), role, upTo, asked, roleCalls(made, role, "cache_hits"));
            EXPECT_LE(asked, upTo) << role << ": the run asked for more calls than planned";
            if (optimizer == "labeled") {
                EXPECT_EQ(asked, upTo) << role << ": LabeledFewShot's plan is exact";
            }
        }
        EXPECT_EQ(plan["total"]["calls"].get<long long>(), plannedTotal);
    }
};

} // namespace

TEST_F(PlanCli, PlannedCallsBoundTheRunsOfEverySample)
{
    for (const std::string name : {"moderation", "qa", "math"})
        for (const std::string optimizer : {"labeled", "bootstrap", "miprov2", "random_search"})
            check(name, optimizer);
}

TEST_F(PlanCli, DryRunMakesNoCallStoresNoRunWritesNoFile)
{
    const fs::path store = dir / "runs.sqlite";
    const CliResult text = prism({"optimize", sample("moderation"), "--dry-run", "--store", store.string()});
    ASSERT_EQ(text.exitCode, 0) << text.err;
    EXPECT_NE(text.out.find("Plan for Content moderation"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("10 trials"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("total "), std::string::npos) << text.out;
    const CliResult json = prism({"optimize", sample("moderation"), "--dry-run", "--json", "--store", store.string()});
    ASSERT_EQ(json.exitCode, 0) << json.err;
    const Json plan = Json::parse(json.out);
    // light on moderation (docs/MIPROV2.md): 165 evaluation rows, at most 15 bootstrap traces, 7 proposer calls,
    // and the test comparison (baseline and result on 15 rows) the run makes by default.
    EXPECT_EQ(plan["program_runs"]["trials"], 165);
    EXPECT_EQ(plan["program_runs"]["bootstrap"], 15);
    EXPECT_EQ(plan["program_runs"]["test_comparison"], 30);
    EXPECT_EQ(plan["proposer"]["calls"], 7);
    EXPECT_EQ(plan["total"]["dollars"], 0.0);

    EXPECT_FALSE(fs::exists(store));
    std::size_t files = 0;
    if (fs::exists(dir / "data"))
        for (const auto &entry : fs::recursive_directory_iterator(dir / "data"))
            files += entry.is_regular_file() ? 1 : 0;
    EXPECT_EQ(files, 0u) << "a dry run wrote into the data directory (cache, store or ledger)";

    // A study that cannot be loaded: exit 3, as for a real run.
    const CliResult missing = prism({"optimize", (dir / "absent.prism.json").string(), "--dry-run"});
    EXPECT_EQ(missing.exitCode, 3) << missing.err;
}
