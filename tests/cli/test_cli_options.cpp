// The option groups every `prism` command shares (app/cli/options.h), as a
// user meets them: the built binary, a temporary data directory and store,
// and an in-test `prism simlm serve` for the model flags over HTTP.
#include "core/json.h"
#include "run/run_store.h"

#include "../support/sim_server_process.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace prism;

namespace {

const std::string kMath = PRISM_SAMPLES_DIR "/math/math.prism.json";

struct RunResult {
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

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

// The artifact without what names the endpoint (the prism block's models):
// what the optimizer produced.
Json withoutModels(const std::string &artifactText)
{
    Json j = Json::parse(artifactText, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << artifactText;
    if (j.contains("prism") && j["prism"].is_object())
        for (auto it = j["prism"].begin(); it != j["prism"].end();)
            it = it.key().find("model") != std::string::npos ? j["prism"].erase(it) : std::next(it);
    return j;
}

class CliOptions : public ::testing::Test {
protected:
    fs::path dir;
    std::string store;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-cliopts-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        store = (dir / "runs.sqlite").string();
        ::setenv("PRISM_DATA_DIR", (dir / "data").string().c_str(), 1);
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    RunResult prism(const std::vector<std::string> &args)
    {
        std::string cmd = quoted(PRISM_CLI_BINARY);
        for (const auto &a : args)
            cmd += " " + quoted(a);
        const fs::path out = dir / "stdout.txt";
        const fs::path err = dir / "stderr.txt";
        cmd += " >" + quoted(out.string()) + " 2>" + quoted(err.string()) + " </dev/null";
        const int status = std::system(cmd.c_str());
        RunResult r;
        r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = readAll(out);
        r.err = readAll(err);
        return r;
    }

    // The math study with eval.threads and the task model's max_concurrency set.
    std::string mathStudy(int threads, int concurrency)
    {
        Json study = Json::parse(readAll(kMath));
        for (const char *split : {"train", "val", "test"})
            study["data"][split]["path"] = std::string(PRISM_SAMPLES_DIR "/math/") + split + ".jsonl";
        study["eval"]["threads"] = threads;
        study["models"]["task"]["max_concurrency"] = concurrency;
        study["models"]["proposer"]["max_concurrency"] = concurrency;
        const std::string path = (dir / "math.prism.json").string();
        std::ofstream(path) << study.dump(2);
        return path;
    }

    Json runOptions(const std::string &runId)
    {
        auto opened = RunStore::open(store);
        EXPECT_TRUE(opened);
        auto run = opened.value()->loadRun(runId);
        EXPECT_TRUE(run);
        return Json::parse(run->optionsJson);
    }
};

TEST_F(CliOptions, OptimizeAndCompareOverHttpMatchInProcess)
{
    prism::testsupport::SimServerProcess server(dir, {});
    ASSERT_FALSE(server.url().empty());
    const std::string local = (dir / "local.json").string();
    const std::string http = (dir / "http.json").string();
    const std::vector<std::string> common = {"--optimizer", "bootstrap", "--seed", "0",
                                             "--no-cache",  "--store",   store,    "--quiet"};
    std::vector<std::string> a = {"optimize", kMath, "--out", local};
    a.insert(a.end(), common.begin(), common.end());
    auto inProcess = prism(a);
    ASSERT_EQ(inProcess.exitCode, 0) << inProcess.err;
    std::vector<std::string> b = {"optimize", kMath, "--out=" + http, "--base-url", server.url(), "--model=sim-small"};
    b.insert(b.end(), common.begin(), common.end());
    auto overHttp = prism(b);
    ASSERT_EQ(overHttp.exitCode, 0) << overHttp.err;
    EXPECT_EQ(withoutModels(readAll(local)), withoutModels(readAll(http)));
    EXPECT_TRUE(contains(readAll(http), server.url())) << "the artifact names the endpoint it was made with";

    auto compareLocal = prism({"compare", kMath, "--program", local, "--json", "--no-cache"});
    ASSERT_EQ(compareLocal.exitCode, 0) << compareLocal.err;
    auto compareHttp =
        prism({"compare", kMath, "--program", local, "--json", "--no-cache", "--base-url=" + server.url(), "--model",
               "sim-small", "--concurrency", "4", "--timeout", "30"});
    ASSERT_EQ(compareHttp.exitCode, 0) << compareHttp.err;
    EXPECT_EQ(compareLocal.out, compareHttp.out);
    const std::string said = server.stop();
    EXPECT_FALSE(contains(said, " 0 completions")) << said;
}

TEST_F(CliOptions, ModelFlagsThatCannotWorkFailBeforeTheRun)
{
    // Nothing listens there: optimize and compare check the connection first, as eval does.
    auto optimize = prism({"optimize", kMath, "--base-url", "http://127.0.0.1:9/v1", "--store", store, "--quiet"});
    EXPECT_EQ(optimize.exitCode, 3) << optimize.err;
    EXPECT_TRUE(contains(optimize.err, "127.0.0.1:9")) << optimize.err;
    auto runs = prism({"runs", "--json", "--store", store});
    EXPECT_EQ(Json::parse(runs.out), Json::array()) << "no run was created";
}

TEST_F(CliOptions, ModuleCotChangesTheProgramKind)
{
    const std::string predict = (dir / "predict.json").string();
    const std::string cot = (dir / "cot.json").string();
    auto p = prism({"optimize", kMath, "--optimizer", "labeled", "--no-compare", "--store", store, "--out", predict,
                    "--quiet", "--module", "predict"});
    ASSERT_EQ(p.exitCode, 0) << p.err;
    auto c = prism({"optimize", kMath, "--optimizer", "labeled", "--no-compare", "--store", store, "--out", cot,
                    "--quiet", "--module=cot"});
    ASSERT_EQ(c.exitCode, 0) << c.err;
    EXPECT_FALSE(contains(readAll(predict), "reasoning")) << readAll(predict);
    EXPECT_TRUE(contains(readAll(cot), "reasoning")) << readAll(cot);

    // eval: the answers carry the reasoning ChainOfThought asks for.
    auto evalCot = prism({"eval", kMath, "--module", "cot", "--json", "--no-cache"});
    ASSERT_EQ(evalCot.exitCode, 0) << evalCot.err;
    EXPECT_TRUE(contains(evalCot.out, "reasoning")) << evalCot.out;
    auto evalPredict = prism({"eval", kMath, "--json", "--no-cache"});
    ASSERT_EQ(evalPredict.exitCode, 0) << evalPredict.err;
    EXPECT_FALSE(contains(evalPredict.out, "reasoning")) << evalPredict.out;
}

TEST_F(CliOptions, OneThreadRuleForEveryCommand)
{
    // A study asking for 2 threads from a model allowing 8 calls runs on 2.
    const std::string study = mathStudy(2, 8);
    auto byStudy = prism({"eval", study, "--verbose", "--no-cache"});
    ASSERT_EQ(byStudy.exitCode, 0) << byStudy.err;
    EXPECT_TRUE(contains(byStudy.err, "on 2 thread(s), 8 call(s) in flight")) << byStudy.err;
    auto byFlag = prism({"eval", study, "--verbose", "--threads", "3"});
    ASSERT_EQ(byFlag.exitCode, 0) << byFlag.err;
    EXPECT_TRUE(contains(byFlag.err, "on 3 thread(s)")) << byFlag.err;

    auto optimized = prism({"optimize", study, "--optimizer", "labeled", "--no-compare", "--store", store, "--json"});
    ASSERT_EQ(optimized.exitCode, 0) << optimized.err;
    EXPECT_EQ(runOptions(Json::parse(optimized.out)["run_id"].get<std::string>())["threads"], 2);
    auto flagged =
        prism({"optimize", study, "--optimizer", "labeled", "--no-compare", "--store", store, "--json", "--threads=5"});
    ASSERT_EQ(flagged.exitCode, 0) << flagged.err;
    EXPECT_EQ(runOptions(Json::parse(flagged.out)["run_id"].get<std::string>())["threads"], 5);

    // The same bounds everywhere.
    for (const std::string command : {"eval", "optimize", "compare"}) {
        std::vector<std::string> args = {command, study, "--threads", "100000"};
        if (command == "compare")
            args.insert(args.end(), {"--program", kMath});
        auto r = prism(args);
        EXPECT_EQ(r.exitCode, 2) << command;
        EXPECT_TRUE(contains(r.err, "--threads must be a whole number from 1 to 1024, not '100000'"))
            << command << ": " << r.err;
    }
    auto resume = prism({"resume", "r-nope", "--threads=0", "--store", store});
    EXPECT_EQ(resume.exitCode, 2);
    EXPECT_TRUE(contains(resume.err, "--threads must be")) << resume.err;
    for (const std::string command : {"eval", "optimize", "compare"}) {
        auto help = prism({"help", command});
        EXPECT_TRUE(contains(help.out, "study's eval.threads")) << command << ": " << help.out;
    }
    // A resumed run keeps the thread count it started with unless told otherwise.
    EXPECT_TRUE(contains(prism({"help", "resume"}).out, "the run's own thread count"));
}

TEST_F(CliOptions, ResumeTakesTheModelFlags)
{
    // The flags parse (the run does not exist: a load error, not a usage error).
    auto r = prism({"resume", "r-nope", "--base-url", "http://127.0.0.1:9/v1", "--model", "sim-small", "--api-key-env",
                    "SOME_KEY", "--concurrency", "2", "--timeout", "5", "--no-cache", "--store", store});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "r-nope")) << r.err;
    // The program is part of the run.
    auto module = prism({"resume", "r-nope", "--module", "cot", "--store", store});
    EXPECT_EQ(module.exitCode, 2);
    EXPECT_TRUE(contains(module.err, "unknown option '--module'")) << module.err;
    auto help = prism({"resume", "--help"});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_TRUE(contains(help.out, "--base-url")) << help.out;
    EXPECT_TRUE(contains(help.out, "journal")) << help.out;
}

TEST_F(CliOptions, ABadValueInEachGroupIsAUsageErrorNamingTheOption)
{
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        // model flags
        {{"optimize", kMath, "--concurrency", "0"}, "--concurrency must be a whole number >= 1, not '0'"},
        {{"compare", kMath, "--program", kMath, "--provider=bard"},
         "--provider must be simlm, openai or anthropic, not 'bard'"},
        {{"resume", "r-1", "--base-url", "ftp://x"}, "--base-url must start with http:// or https://"},
        {{"eval", kMath, "--module", "react"}, "--module must be predict or cot, not 'react'"},
        {{"optimize", kMath, "--timeout", "soon"}, "--timeout must be a number > 0, not 'soon'"},
        {{"compare", kMath, "--program", kMath, "--api-key-env", "sk-123"},
         "--api-key-env takes the NAME of an environment variable"},
        // budget flags
        {{"optimize", kMath, "--budget-tokens", "x"}, "--budget-tokens must be a whole number >= 1, not 'x'"},
        {{"eval", kMath, "--budget-dollars=-1"}, "--budget-dollars must be a number > 0, not '-1'"},
        // run flags
        {{"optimize", kMath, "--seed", "x"}, "--seed must be a whole number >= 0, not 'x'"},
        {{"optimize", kMath, "--seed=-1"}, "--seed must be a whole number >= 0, not '-1'"},
        // random search
        {{"optimize", kMath, "--optimizer", "random_search", "--num-candidates", "-1"},
         "--num-candidates must be a whole number >= 0, not '-1'"},
        {{"optimize", kMath, "--optimizer", "random_search", "--stop-at-score", "150"},
         "--stop-at-score must be a percent from 0 to 100, not '150'"},
        {{"optimize", kMath, "--optimizer", "random_sarch"}, "--optimizer must be"},
        {{"eval", kMath, "--max-errors", "-2"}, "--max-errors must be a whole number >= 0, not '-2'"},
        // output flags
        {{"runs", "--json=yes"}, "option --json takes no value"},
        {{"export", "r-1", "--out"}, "option --out needs a value"},
        {{"optimize", kMath, "--events", "--quiet"}, "option --events needs a value"},
        // the rest
        {{"optimize", kMath, "--bogus"}, "unknown option '--bogus'"},
        {{"cache", "--path"}, "option --path needs a value"},
        {{"simlm", "serve", "--latency-ms", "-5"}, "--latency-ms '-5' is not a number in [0, 3600000]"},
        {{"help", "frobnicate"}, "no help for unknown command 'frobnicate'"},
        {{"optimize", kMath, kMath}, "optimize takes one STUDY file"},
    };
    for (const auto &c : cases) {
        auto r = prism(c.args);
        EXPECT_EQ(r.exitCode, 2) << c.args.front() << " " << c.message << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "prism: error: " + c.message)) << r.err;
        EXPECT_TRUE(contains(r.err, "usage: prism")) << r.err;
    }
    // -h/--help per command, whatever else is on the line.
    for (const std::string command : {"eval", "optimize", "compare", "runs", "resume", "export", "cache"}) {
        auto help = prism({command, "--help", "--seed"});
        EXPECT_EQ(help.exitCode, 0) << command;
        EXPECT_TRUE(contains(help.out, "usage: prism " + command)) << command << ": " << help.out;
        EXPECT_EQ(prism({command, "-h"}).out, help.out);
    }
}

} // namespace
