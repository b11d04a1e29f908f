// An LLM-judge metric (metric kind "judge") from the command line, on a
// passage-QA study written for this test (tests/data/judge): eval, compare
// and optimize (MIPROv2 and GEPA) score with the judge model, its calls carry
// the ledger role "judge", and a repeat answers them from the cache.
#include "../support/cli_process.h"

#include "core/json.h"
#include "run/run_store.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace prism;

namespace {

using testsupport::CliResult;

class JudgeCli : public ::testing::Test {
protected:
    fs::path dir;
    std::string study;
    std::string store;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-judgecli-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        for (const char *name : {"judge.prism.json", "train.jsonl", "val.jsonl", "test.jsonl"})
            fs::copy_file(fs::path(PRISM_TEST_DATA_DIR) / "judge" / name, dir / name);
        study = (dir / "judge.prism.json").string();
        store = (dir / "runs.sqlite").string();
        ::setenv("PRISM_DATA_DIR", (dir / "data").string().c_str(), 1);
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    CliResult prism(const std::vector<std::string> &args) { return testsupport::runCli(PRISM_CLI_BINARY, args, dir); }

    // The run's paid calls by role, from its ledger in the store.
    std::map<std::string, int> paidByRole(const std::string &runId)
    {
        std::map<std::string, int> out;
        auto opened = RunStore::open(store);
        EXPECT_TRUE(opened);
        if (!opened)
            return out;
        const std::vector<LedgerRow> rows = opened.value()->ledger(runId).value();
        for (const auto &row : rows)
            if (!row.entry.cacheHit && !row.entry.errorKind)
                ++out[row.entry.role];
        return out;
    }
};

Json parse(const CliResult &r)
{
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
}

} // namespace

TEST_F(JudgeCli, EvalScoresWithTheJudgeAndTheCacheAnswersARepeat)
{
    auto first = prism({"eval", study, "--json"});
    ASSERT_EQ(first.exitCode, 0) << first.err;
    const Json j = parse(first);
    ASSERT_EQ(j["results"].size(), 4u);
    for (const Json &r : j["results"]) {
        ASSERT_TRUE(r["error"].is_null()) << r.dump();
        const std::string feedback = r["feedback"];
        EXPECT_TRUE(feedback.rfind("pass (judge ", 0) == 0 || feedback.rfind("fail (judge ", 0) == 0) << feedback;
    }
    // One judge call per answer, to the judge model (sim-large), under its own role.
    EXPECT_EQ(j["ledger"]["by_role"]["judge"]["calls"], 4) << j["ledger"].dump();
    EXPECT_EQ(j["ledger"]["by_role"]["evaluation"]["calls"], 4);
    EXPECT_EQ(j["ledger"]["by_model"]["sim-large"]["calls"], 4) << j["ledger"].dump();

    auto again = prism({"eval", study, "--json"});
    ASSERT_EQ(again.exitCode, 0) << again.err;
    const Json k = parse(again);
    EXPECT_EQ(k["score"], j["score"]);
    EXPECT_EQ(k["ledger"]["totals"]["lm_calls"], 0)
        << "the same outputs are never judged twice: " << k["ledger"].dump();
}

TEST_F(JudgeCli, CompareJudgesBothPrograms)
{
    const std::string artifact = (dir / "baseline.json").string();
    auto saved = prism(
        {"optimize", study, "--optimizer", "labeled", "--store", store, "--out", artifact, "--quiet", "--no-compare"});
    ASSERT_EQ(saved.exitCode, 0) << saved.err;
    auto compared = prism({"compare", study, "--program", artifact, "--json"});
    ASSERT_EQ(compared.exitCode, 0) << compared.err;
    const Json j = parse(compared);
    // Both sides scored by the judge, as eval scores the same program on the same split.
    auto evaluated = prism({"eval", study, "--json"});
    ASSERT_EQ(evaluated.exitCode, 0) << evaluated.err;
    const Json e = parse(evaluated);
    EXPECT_EQ(j["paired"], 4) << j.dump();
    EXPECT_DOUBLE_EQ(j["baseline_score"].get<double>(), e["score"].get<double>()) << j.dump();
    EXPECT_EQ(e["results"][0]["feedback"].get<std::string>().find("(judge "), 5u)
        << e.dump(); // "pass (judge" / "fail (judge"
}

// The judge's calls are paid once and recorded by role in the run's ledger;
// both optimizers that read scores (and GEPA, which reads the feedback) run on it.
TEST_F(JudgeCli, MiproAndGepaOptimizeOnTheJudgesScores)
{
    for (const std::vector<std::string> &optimizer :
         {std::vector<std::string>{"--optimizer", "miprov2", "--auto", "light"},
          std::vector<std::string>{"--optimizer", "gepa", "--max-metric-calls", "40"}}) {
        std::vector<std::string> args{"optimize", study,    "--seed",  "0",         "--store",
                                      store,      "--json", "--quiet", "--no-cache"};
        args.insert(args.end(), optimizer.begin(), optimizer.end());
        auto r = prism(args);
        ASSERT_EQ(r.exitCode, 0) << optimizer[1] << ": " << r.err;
        const Json j = parse(r);
        const std::string runId = j["run_id"];
        const auto paid = paidByRole(runId);
        ASSERT_TRUE(paid.count("judge")) << optimizer[1];
        EXPECT_GT(paid.at("judge"), 0);
        ASSERT_TRUE(j["calls_by_role"].contains("judge")) << j["calls_by_role"].dump();
        EXPECT_EQ(j["calls_by_role"]["judge"]["calls"], paid.at("judge")) << j["calls_by_role"].dump();
    }
}
