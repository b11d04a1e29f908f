// Runs the built `prism` binary on small studies written to a temp dir.
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

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

void writeFile(const fs::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string quoted(const std::string &arg)
{
    std::string out = "'";
    for (char c : arg)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

const char *kProgram = R"({"predictors": [{
  "name": "classify", "kind": "predict",
  "signature": {
    "instruction": "Classify the snippet for moderation. Use harassment when the text insults someone.",
    "inputs": [{"name": "snippet", "type": "str"}],
    "outputs": [
      {"name": "severity", "type": {"type": "enum", "values": ["low", "medium", "high"]}},
      {"name": "policy_violations", "type": {"type": "list", "items": {"type": "enum", "values": ["harassment", "hate", "spam"]}}}
    ]
  },
  "demos": []
}]})";

const char *kTrain = R"({"snippet": "Have a wonderful weekend everyone!", "severity": "low", "policy_violations": []}
{"snippet": "You are an idiot and nobody likes you.", "severity": "medium", "policy_violations": ["harassment"]}
{"snippet": "Buy cheap watches now, click this link!!!", "severity": "low", "policy_violations": ["spam"]}
{"snippet": "Thanks for the thorough code review.", "severity": "low", "policy_violations": []}
)";

const char *kTest =
    R"({"snippet": "Crawling back under your rock would do us all a favor.", "severity": "medium", "policy_violations": ["harassment"]}
{"snippet": "Great talk today, the slides were clear.", "severity": "low", "policy_violations": []}
{"snippet": "Limited offer!!! Free crypto for the first 100 people, click here.", "severity": "low", "policy_violations": ["spam"]}
)";

class Cli : public ::testing::Test {
protected:
    fs::path dir;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-cli-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        // The response cache lives in the data dir: never the user's real one.
        ::setenv("PRISM_DATA_DIR", (dir / "data").c_str(), 1);
    }
    void TearDown() override { fs::remove_all(dir); }

    // A moderation study on SimLm; withTest=false leaves only a train split.
    std::string writeStudy(bool withTest = true, const std::string &name = "study.prism.json")
    {
        writeFile(dir / "train.jsonl", kTrain);
        writeFile(dir / "test.jsonl", kTest);
        std::string data = withTest ? R"({"train": {"path": "train.jsonl"}, "test": {"path": "test.jsonl"}})"
                                    : R"({"train": {"path": "train.jsonl"}})";
        writeFile(dir / name, std::string(R"({"prism_study": 1, "name": "CLI test study", "data": )") + data
                                  + R"(, "program": )" + kProgram + R"(,
  "metric": {"kind": "composite", "fields": [
    {"field": "severity", "metric": "exact", "weight": 1},
    {"field": "policy_violations", "metric": "jaccard", "weight": 1}]},
  "models": {"task": {"provider": "simlm", "model": "sim-small"}},
  "eval": {"threads": 4, "max_errors": 10, "adapter": "chat"}
})");
        return (dir / name).string();
    }

    RunResult run(const std::vector<std::string> &args)
    {
        std::string cmd = quoted(PRISM_CLI_BINARY);
        for (const auto &a : args)
            cmd += " " + quoted(a);
        const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
        cmd += " >" + quoted(out.string()) + " 2>" + quoted(err.string()) + " </dev/null";
        const int status = std::system(cmd.c_str());
        RunResult r;
        r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = readAll(out);
        r.err = readAll(err);
        return r;
    }
};

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

// "prism: error: ..." on a single line.
void expectOneLineError(const RunResult &r)
{
    EXPECT_EQ(r.err.rfind("prism: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

} // namespace

TEST_F(Cli, HelpAndVersion)
{
    auto help = run({"--help"});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_TRUE(contains(help.out, "usage: prism")) << help.out;
    auto evalHelp = run({"help", "eval"});
    EXPECT_EQ(evalHelp.exitCode, 0);
    EXPECT_TRUE(contains(evalHelp.out, "--max-errors")) << evalHelp.out;
    auto version = run({"--version"});
    EXPECT_EQ(version.exitCode, 0);
    EXPECT_EQ(version.out, std::string("prism ") + PRISM_VERSION + "\n");
}

TEST_F(Cli, BadUsageExitsWithTwo)
{
    const std::string study = writeStudy();
    auto unknownFlag = run({"eval", study, "--bogus"});
    EXPECT_EQ(unknownFlag.exitCode, 2);
    EXPECT_TRUE(contains(unknownFlag.err, "--bogus")) << unknownFlag.err;
    EXPECT_TRUE(contains(unknownFlag.err, "usage: prism eval")) << unknownFlag.err;
    EXPECT_TRUE(unknownFlag.out.empty());

    EXPECT_EQ(run({"frobnicate"}).exitCode, 2);
    EXPECT_EQ(run({}).exitCode, 2);
    EXPECT_EQ(run({"eval"}).exitCode, 2);
    EXPECT_EQ(run({"eval", study, "--threads"}).exitCode, 2);
    EXPECT_EQ(run({"eval", study, "--threads", "0"}).exitCode, 2);
    EXPECT_EQ(run({"eval", study, "--split", "dev"}).exitCode, 2);
}

TEST_F(Cli, MissingStudyExitsWithThree)
{
    const std::string missing = (dir / "nope.prism.json").string();
    auto r = run({"eval", missing});
    EXPECT_EQ(r.exitCode, 3);
    expectOneLineError(r);
    EXPECT_TRUE(contains(r.err, missing)) << r.err;
    EXPECT_TRUE(r.out.empty());
}

TEST_F(Cli, MalformedStudyNamesFileAndLine)
{
    const fs::path bad = dir / "bad.prism.json";
    writeFile(bad, "{\n  \"prism_study\": 1,\n  \"name\": \"x\" \"data\": {}\n}\n");
    auto r = run({"eval", bad.string()});
    EXPECT_EQ(r.exitCode, 3);
    expectOneLineError(r);
    EXPECT_TRUE(contains(r.err, bad.string() + ":3:")) << r.err;
}

TEST_F(Cli, MalformedDatasetNamesFileAndLine)
{
    const std::string study = writeStudy();
    writeFile(dir / "test.jsonl", std::string(R"({"snippet": "fine", "severity": "low", "policy_violations": []})")
                                      + "\n{\"snippet\": \"broken\", \"severity\": \n");
    auto r = run({"eval", study});
    EXPECT_EQ(r.exitCode, 3);
    expectOneLineError(r);
    EXPECT_TRUE(contains(r.err, "test.jsonl:2")) << r.err;
}

TEST_F(Cli, JsonOutputHasTheDocumentedKeys)
{
    const std::string study = writeStudy();
    auto r = run({"eval", study, "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
    ASSERT_TRUE(j.is_object());
    for (const char *key :
         {"score", "split", "total", "scored", "errors", "stopped_early", "stop_reason", "results", "usage"})
        EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j["split"], "test");
    EXPECT_EQ(j["total"], 3);
    ASSERT_EQ(j["results"].size(), 3u);
    EXPECT_EQ(j["scored"].get<int>() + j["errors"].get<int>(), 3);
    EXPECT_EQ(j["stopped_early"], false);
    for (std::size_t i = 0; i < 3; ++i) {
        const auto &res = j["results"][i];
        for (const char *key : {"index", "inputs", "expected", "prediction", "score", "feedback", "error"})
            EXPECT_TRUE(res.contains(key)) << key;
        EXPECT_EQ(res["index"], i);
        EXPECT_TRUE(res["inputs"].contains("snippet"));
        EXPECT_TRUE(res["expected"].contains("severity"));
        // An error has no score; a score has no error.
        EXPECT_NE(res["score"].is_null(), res["error"].is_null());
    }
    EXPECT_EQ(j["results"][0]["expected"]["severity"], "medium");
    for (const char *key : {"calls", "prompt_tokens", "completion_tokens"})
        EXPECT_TRUE(j["usage"].contains(key)) << key;
    EXPECT_GE(j["usage"]["calls"].get<int>(), 3);
    // A fresh cache: every call went to the model and into the ledger.
    ASSERT_TRUE(j.contains("ledger"));
    ASSERT_TRUE(j.contains("cache"));
    EXPECT_EQ(j["ledger"]["totals"]["lm_calls"], j["usage"]["calls"]);
    EXPECT_EQ(j["ledger"]["totals"]["cache_hits"], 0);
    EXPECT_EQ(j["ledger"]["by_role"]["evaluation"]["calls"], j["usage"]["calls"]);
    EXPECT_EQ(j["ledger"]["by_model"]["sim-small"]["calls"], j["usage"]["calls"]);
    EXPECT_EQ(j["ledger"]["totals"]["dollars"], 0.0); // SimLm is free
    EXPECT_EQ(j["cache"]["enabled"], true);
    EXPECT_EQ(j["cache"]["hits"], 0);
    EXPECT_EQ(j["cache"]["misses"], j["usage"]["calls"]);
    const double score = j["score"].get<double>();
    EXPECT_GE(score, 0.0);
    EXPECT_LE(score, 100.0);
}

// Each example's feedback says, field by field, what the metric found wrong
// with its prediction: the same words the studio shows and optimizers read.
TEST_F(Cli, EvalJsonCarriesEachExamplesFeedback)
{
    const std::string study = writeStudy();
    auto r = run({"eval", study, "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["results"].size(), 3u);
    int wrong = 0;
    for (const auto &res : j["results"]) {
        if (!res["error"].is_null())
            continue;
        const std::string feedback = res["feedback"].get<std::string>();
        const auto &expected = res["expected"];
        const auto &predicted = res["prediction"];
        // severity (exact): correct, or expected vs got.
        const std::string want = expected["severity"].get<std::string>();
        const std::string got = predicted.value("severity", std::string("nothing"));
        const std::string severity =
            want == got ? "severity: correct." : "severity: expected " + want + ", got " + got + ".";
        // policy_violations (jaccard): correct, or the missing and extra labels.
        std::vector<std::string> missing, extra;
        const auto gotList = predicted.value("policy_violations", nlohmann::json::array());
        for (const auto &v : expected["policy_violations"])
            if (std::find(gotList.begin(), gotList.end(), v) == gotList.end())
                missing.push_back(v.get<std::string>());
        for (const auto &v : gotList)
            if (std::find(expected["policy_violations"].begin(), expected["policy_violations"].end(), v)
                == expected["policy_violations"].end())
                extra.push_back(v.get<std::string>());
        auto joined = [](const std::vector<std::string> &items) {
            std::string out;
            for (const auto &item : items)
                out += (out.empty() ? "" : ", ") + item;
            return out;
        };
        std::string violations = "policy_violations: correct.";
        if (!missing.empty() || !extra.empty()) {
            violations = "policy_violations: ";
            if (!missing.empty())
                violations += "missing " + joined(missing);
            if (gotList.empty())
                violations += "; got nothing";
            else if (!extra.empty())
                violations += (missing.empty() ? "" : "; ") + std::string("extra ") + joined(extra);
            violations += ".";
        }
        EXPECT_EQ(feedback, severity + " " + violations) << res;
        if (res["score"].get<double>() < 1.0)
            ++wrong;
    }
    // sim-small misses at least one of these, so some feedback names a mistake.
    EXPECT_GT(wrong, 0) << r.out;
}

// Issue 16, item 4: a pipeline's eval --json carries each stage's inputs and
// outputs and names the first stage that went wrong; a one-stage program has neither.
TEST_F(Cli, PipelineEvalJsonCarriesEachStageAndTheFirstThatWentWrong)
{
    const std::string pipeline = std::string(PRISM_SAMPLES_DIR) + "/moderation_pipeline/moderation_pipeline.prism.json";
    auto r = run({"eval", pipeline, "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["results"].size(), 15u);
    int findWrong = 0;
    for (const auto &res : j["results"]) {
        const auto &stages = res["stages"];
        ASSERT_EQ(stages.size(), 2u) << res;
        EXPECT_EQ(stages[0]["predictor"], "find");
        EXPECT_EQ(stages[1]["predictor"], "rate");
        EXPECT_EQ(stages[0]["inputs"], res["inputs"]);
        // Stage 2 reads stage 1's output, and the prediction is both stages' outputs.
        EXPECT_EQ(stages[1]["inputs"]["policy_violations"], stages[0]["outputs"]["policy_violations"]);
        EXPECT_EQ(stages[1]["inputs"]["snippet"], res["inputs"]["snippet"]);
        EXPECT_EQ(stages[0]["outputs"]["policy_violations"], res["prediction"]["policy_violations"]);
        EXPECT_EQ(stages[1]["outputs"]["severity"], res["prediction"]["severity"]);
        EXPECT_TRUE(stages[1]["outputs"].contains("reasoning")); // rate is a ChainOfThought
        // The first wrong stage: find when its violations miss the label (as sets), else rate on a wrong severity.
        auto asSet = [](const nlohmann::json &list) {
            std::vector<std::string> items;
            for (const auto &v : list)
                items.push_back(v.get<std::string>());
            std::sort(items.begin(), items.end());
            return items;
        };
        const bool findOk =
            asSet(res["expected"]["policy_violations"]) == asSet(res["prediction"]["policy_violations"]);
        const bool rateOk = res["expected"]["severity"] == res["prediction"]["severity"];
        const nlohmann::json want = !findOk ? nlohmann::json("find") : !rateOk ? nlohmann::json("rate") : nullptr;
        EXPECT_EQ(res["first_wrong_stage"], want) << res;
        findWrong += !findOk;
    }
    EXPECT_GT(findWrong, 0) << "sim-small misses violations on this split";

    // A stage that fails is listed with its error and is the first wrong stage.
    auto failed = run({"eval", pipeline, "--json", "--max-prompt-tokens", "20", "--max-errors", "0"});
    ASSERT_EQ(failed.exitCode, 0) << failed.err;
    const auto fj = nlohmann::json::parse(failed.out);
    const auto &first = fj["results"][0];
    ASSERT_EQ(first["stages"].size(), 1u) << first;
    EXPECT_EQ(first["stages"][0]["predictor"], "find");
    EXPECT_NE(first["stages"][0]["error"].get<std::string>().find("stage 'find'"), std::string::npos) << first;
    EXPECT_EQ(first["first_wrong_stage"], "find");

    // One stage: no stage list.
    auto single = run({"eval", writeStudy(), "--json"});
    ASSERT_EQ(single.exitCode, 0) << single.err;
    // Parsed into a variable: a range-for over a member of the temporary would
    // read it after it is destroyed (TSan's heap-use-after-free, 2026-12-05).
    const auto singleJson = nlohmann::json::parse(single.out);
    ASSERT_FALSE(singleJson["results"].empty());
    for (const auto &res : singleJson["results"]) {
        EXPECT_FALSE(res.contains("stages"));
        EXPECT_FALSE(res.contains("first_wrong_stage"));
    }
}

TEST_F(Cli, OptimizeFreezeKeepsTheNamedStageAndRefusesAnUnknownOne)
{
    const std::string pipeline = std::string(PRISM_SAMPLES_DIR) + "/moderation_pipeline/moderation_pipeline.prism.json";
    const std::string store = (dir / "runs.sqlite").string();
    const fs::path out = dir / "frozen.json";
    auto r = run({"optimize", pipeline, "--optimizer", "labeled", "--freeze", "find", "--no-compare", "--quiet",
                  "--store", store, "--out", out.string()});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto saved = nlohmann::json::parse(readAll(out));
    // The study's find stage: its instruction and no demos; rate got labeled demos.
    EXPECT_EQ(saved["find"]["demos"], nlohmann::json::array()) << saved["find"];
    EXPECT_EQ(saved["find"]["signature"]["instructions"],
              "List every policy category the snippet violates; none is a valid answer.");
    EXPECT_FALSE(saved["rate.predict"]["demos"].empty());

    auto unknown = run({"optimize", pipeline, "--optimizer", "labeled", "--freeze", "find, judge", "--store", store});
    EXPECT_EQ(unknown.exitCode, 3);
    expectOneLineError(unknown);
    EXPECT_TRUE(contains(unknown.err, "no stage named 'judge' (its stages: find, rate)")) << unknown.err;

    // The plan says which stages stay and counts proposals for the others only.
    auto plan = run({"optimize", pipeline, "--freeze", "find", "--dry-run", "--json"});
    ASSERT_EQ(plan.exitCode, 0) << plan.err;
    const auto planned = nlohmann::json::parse(plan.out);
    EXPECT_EQ(planned["frozen"], nlohmann::json::array({"find"}));
    EXPECT_EQ(planned["proposer_calls"]["descriptions"], 2) << "the program and the rate stage";
    auto planText = run({"optimize", pipeline, "--freeze", "find", "--dry-run"});
    EXPECT_TRUE(contains(planText.out, "frozen      find (kept as it is")) << planText.out;

    auto all = run({"optimize", pipeline, "--freeze", "find,rate", "--store", store});
    EXPECT_EQ(all.exitCode, 3);
    EXPECT_TRUE(contains(all.err, "every stage of the program is frozen")) << all.err;
}

TEST_F(Cli, TwoRunsGiveIdenticalJson)
{
    const std::string study = writeStudy();
    // b and c come from the cache a filled; the ledger (timings, cache hits) differs.
    auto a = run({"eval", study, "--json", "--threads", "1"});
    auto b = run({"eval", study, "--json", "--threads", "4"});
    auto c = run({"eval", study, "--json", "--threads", "4", "--no-cache"});
    ASSERT_EQ(a.exitCode, 0) << a.err;
    EXPECT_FALSE(a.out.empty());
    auto answers = [](const RunResult &r) {
        auto j = nlohmann::json::parse(r.out);
        j.erase("ledger");
        j.erase("cache");
        return j;
    };
    EXPECT_EQ(answers(a), answers(b));
    EXPECT_EQ(answers(b), answers(c));
}

TEST_F(Cli, DefaultSplitFallsBackToTrain)
{
    const std::string study = writeStudy(false);
    auto r = run({"eval", study, "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["split"], "train");
    EXPECT_EQ(j["results"].size(), 4u);

    auto val = run({"eval", study, "--split", "val"});
    EXPECT_EQ(val.exitCode, 3);
    expectOneLineError(val);
}

TEST_F(Cli, ExplicitSplitIsEvaluated)
{
    const std::string study = writeStudy();
    auto r = run({"eval", study, "--json", "--split", "train"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["split"], "train");
    EXPECT_EQ(j["total"], 4);
    EXPECT_EQ(j["results"].size(), 4u);
}

TEST_F(Cli, HumanOutputHasHeaderTableAndSummary)
{
    const std::string study = writeStudy();
    auto r = run({"eval", study});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "CLI test study")) << r.out;
    EXPECT_TRUE(contains(r.out, "split test, 3 examples")) << r.out;
    EXPECT_TRUE(contains(r.out, "sim-small")) << r.out;
    EXPECT_TRUE(contains(r.out, "adapter chat")) << r.out;
    EXPECT_TRUE(contains(r.out, "Great talk today, the slides were clear.")) << r.out;
    // The 66-character snippet is cut to one 40-character cell.
    EXPECT_FALSE(contains(r.out, "for the first 100 people, click here.")) << r.out;
    EXPECT_TRUE(contains(r.out, "Score: ")) << r.out;
    EXPECT_TRUE(contains(r.out, "LM calls: 3 made, 0 answered from the cache; retries: 0; failed: 0")) << r.out;
    EXPECT_TRUE(contains(r.out, "evaluation  sim-small")) << r.out; // the ledger by role and model
    EXPECT_TRUE(contains(r.out, "Cache: 0 hits, 3 misses\n")) << r.out;
    // stderr is not a terminal here: no progress line.
    EXPECT_FALSE(contains(r.err, "eval 1/3")) << r.err;
}

TEST_F(Cli, ProgramFileMustMatchTheStudy)
{
    const std::string study = writeStudy();
    nlohmann::json program = nlohmann::json::parse(kProgram);
    program["predictors"][0]["signature"]["instruction"] = "Another instruction.";
    writeFile(dir / "same.json", program.dump());
    auto ok = run({"eval", study, "--program", (dir / "same.json").string(), "--json"});
    EXPECT_EQ(ok.exitCode, 0) << ok.err;

    program["predictors"][0]["signature"]["outputs"].erase(1);
    writeFile(dir / "fewer.json", program.dump());
    auto bad = run({"eval", study, "--program", (dir / "fewer.json").string()});
    EXPECT_EQ(bad.exitCode, 3);
    expectOneLineError(bad);
    EXPECT_TRUE(contains(bad.err, "fewer.json")) << bad.err;
    EXPECT_TRUE(contains(bad.err, "'policy_violations'")) << bad.err;

    writeFile(dir / "broken.json", "{\"predictors\": [\n  {\"name\": }\n]}");
    auto broken = run({"eval", study, "--program", (dir / "broken.json").string()});
    EXPECT_EQ(broken.exitCode, 3);
    EXPECT_TRUE(contains(broken.err, "broken.json:2:")) << broken.err;
}

TEST_F(Cli, UnknownModelListsTheKnownOnes)
{
    const std::string study = writeStudy();
    auto r = run({"eval", study, "--model", "sim-huge"});
    EXPECT_EQ(r.exitCode, 3);
    expectOneLineError(r);
    EXPECT_TRUE(contains(r.err, "sim-huge")) << r.err;
    EXPECT_TRUE(contains(r.err, "sim-small")) << r.err;
}

TEST_F(Cli, SecondRunSaysEverythingCameFromTheCache)
{
    const std::string study = writeStudy();
    ASSERT_EQ(run({"eval", study}).exitCode, 0);
    auto again = run({"eval", study});
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_TRUE(contains(again.out, "LM calls: 0 made, 3 answered from the cache")) << again.out;
    EXPECT_TRUE(contains(again.out, "Cache: 3 hits, 0 misses (no LM calls made)")) << again.out;
    auto fresh = run({"eval", study, "--no-cache"});
    ASSERT_EQ(fresh.exitCode, 0) << fresh.err;
    EXPECT_TRUE(contains(fresh.out, "LM calls: 3 made, 0 answered from the cache")) << fresh.out;
    EXPECT_TRUE(contains(fresh.out, "Cache: not read (--no-cache)")) << fresh.out;
    // The cache is in PRISM_DATA_DIR.
    EXPECT_TRUE(fs::exists(dir / "data" / "cache.sqlite"));
}

TEST_F(Cli, BudgetStopIsAnEarlyStopWithItsReason)
{
    const std::string study = writeStudy();
    auto r = run({"eval", study, "--budget-calls", "1", "--threads", "1"});
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_TRUE(contains(r.out, "Stopped: budget reached: 1 calls; 2 of 3 examples did not run")) << r.out;
    EXPECT_TRUE(contains(r.out, "(1 scored, 0 errors)")) << r.out;

    // Cache hits are free: with the cache warm, the same budget lets all run.
    ASSERT_EQ(run({"eval", study}).exitCode, 0);
    auto warm = run({"eval", study, "--budget-calls", "1", "--json"});
    EXPECT_EQ(warm.exitCode, 0) << warm.err;
    const auto j = nlohmann::json::parse(warm.out);
    EXPECT_EQ(j["stopped_early"], false);
    EXPECT_EQ(j["results"].size(), 3u);
}

TEST_F(Cli, ModelFlagsAreCheckedAsUsage)
{
    const std::string study = writeStudy();
    auto provider = run({"eval", study, "--provider", "bogus"});
    EXPECT_EQ(provider.exitCode, 2);
    EXPECT_TRUE(contains(provider.err, "--provider must be simlm, openai or anthropic")) << provider.err;
    // A key pasted where the variable's name belongs is refused and not echoed.
    auto pasted = run({"eval", study, "--api-key-env", "sk-live-0123456789abcdef"});
    EXPECT_EQ(pasted.exitCode, 2);
    EXPECT_TRUE(contains(pasted.err, "NAME of an environment variable")) << pasted.err;
    EXPECT_FALSE(contains(pasted.err, "0123456789abcdef")) << pasted.err;
    EXPECT_EQ(run({"eval", study, "--base-url", "ftp://example.com"}).exitCode, 2);
    EXPECT_EQ(run({"eval", study, "--budget-calls", "0"}).exitCode, 2);
    EXPECT_EQ(run({"eval", study, "--budget-dollars", "x"}).exitCode, 2);
    EXPECT_EQ(run({"eval", study, "--concurrency", "0"}).exitCode, 2);
    EXPECT_EQ(run({"eval", study, "--timeout", "-1"}).exitCode, 2);
    EXPECT_EQ(run({"eval", study, "--no-cache=yes"}).exitCode, 2);

    auto larger = run({"eval", study, "--provider", "simlm", "--model", "sim-large", "--json"});
    ASSERT_EQ(larger.exitCode, 0) << larger.err;
    EXPECT_EQ(nlohmann::json::parse(larger.out)["model"], "simlm/sim-large");
}

TEST_F(Cli, SimlmCommandIsDispatched)
{
    auto help = run({"help", "simlm"});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_TRUE(contains(help.out, "usage: prism simlm serve")) << help.out;
    auto serveHelp = run({"simlm", "serve", "--help"});
    EXPECT_EQ(serveHelp.exitCode, 0);
    EXPECT_TRUE(contains(serveHelp.out, "--fault-rate")) << serveHelp.out;
    EXPECT_EQ(run({"simlm"}).exitCode, 2);
    auto unknown = run({"simlm", "talk"});
    EXPECT_EQ(unknown.exitCode, 2);
    EXPECT_TRUE(contains(unknown.err, "unknown simlm command 'talk'")) << unknown.err;
    EXPECT_EQ(run({"simlm", "serve", "--port", "x"}).exitCode, 2);
}

#ifdef PRISM_CLI_HAS_SCRIPTING
// The study's metric as JavaScript: the same average of severity exact and
// violations Jaccard as the composite metric of writeStudy().
const char *kScriptMetric = R"(function metric(example, pred) {
  const sev = example.severity === pred.severity ? 1 : 0;
  const a = new Set(example.policy_violations), b = new Set(pred.policy_violations || []);
  let both = 0;
  for (const v of a) if (b.has(v)) both++;
  const union = a.size + b.size - both;
  return {score: (sev + (union === 0 ? 1 : both / union)) / 2, feedback: 'severity ' + sev};
})";

TEST_F(Cli, ScriptMetricScoresLikeTheEquivalentBuiltIn)
{
    const std::string composite = writeStudy();
    auto builtIn = run({"eval", composite, "--json"});
    ASSERT_EQ(builtIn.exitCode, 0) << builtIn.err;

    std::string text = readAll(composite);
    const auto start = text.find(R"("metric": {)");
    const auto end = text.find("]},", start);
    ASSERT_NE(start, std::string::npos);
    ASSERT_NE(end, std::string::npos);
    nlohmann::json metric = {{"kind", "script"}, {"script", kScriptMetric}};
    text.replace(start, end + 2 - start, std::string(R"("metric": )") + metric.dump());
    writeFile(dir / "script.prism.json", text);
    auto scripted = run({"eval", (dir / "script.prism.json").string(), "--json"});
    ASSERT_EQ(scripted.exitCode, 0) << scripted.err;
    const auto a = nlohmann::json::parse(builtIn.out), b = nlohmann::json::parse(scripted.out);
    EXPECT_EQ(a["score"], b["score"]);
    EXPECT_EQ(b["errors"], 0);
    EXPECT_EQ(b["results"][0]["feedback"].get<std::string>().rfind("severity ", 0), 0u) << b["results"][0];

    // The optimizer runs with it too.
    auto optimized = run({"optimize", (dir / "script.prism.json").string(), "--optimizer", "labeled", "--json",
                          "--store", (dir / "runs.sqlite").string()});
    EXPECT_EQ(optimized.exitCode, 0) << optimized.err;
}

TEST_F(Cli, BrokenScriptMetricNamesItsLine)
{
    std::string text = readAll(writeStudy());
    const auto start = text.find(R"("metric": {)");
    const auto end = text.find("]},", start);
    nlohmann::json metric = {{"kind", "script"},
                             {"script", "function metric(example, pred) {\n  return {score: 1;\n}"}};
    text.replace(start, end + 2 - start, std::string(R"("metric": )") + metric.dump());
    writeFile(dir / "broken.prism.json", text);
    auto r = run({"eval", (dir / "broken.prism.json").string()});
    EXPECT_EQ(r.exitCode, 3);
    expectOneLineError(r);
    EXPECT_TRUE(contains(r.err, "line 2")) << r.err;
}
#endif

TEST_F(Cli, CacheShowsWhatAnEvalStoredAndClearEmptiesIt)
{
    const std::string study = writeStudy();
    auto empty = run({"cache", "--json"});
    ASSERT_EQ(empty.exitCode, 0) << empty.err;
    EXPECT_EQ(nlohmann::json::parse(empty.out)["entries"], 0);

    auto eval = run({"eval", study, "--json"});
    ASSERT_EQ(eval.exitCode, 0) << eval.err;
    const auto calls = nlohmann::json::parse(eval.out)["usage"]["calls"].get<long long>();
    auto full = run({"cache", "--json"});
    ASSERT_EQ(full.exitCode, 0) << full.err;
    const auto shown = nlohmann::json::parse(full.out);
    EXPECT_EQ(shown["entries"].get<long long>(), calls);
    EXPECT_GT(shown["bytes"].get<long long>(), 0);
    EXPECT_EQ(shown["path"].get<std::string>(), (dir / "data" / "cache.sqlite").string());

    auto cleared = run({"cache", "clear"});
    ASSERT_EQ(cleared.exitCode, 0) << cleared.err;
    EXPECT_TRUE(contains(cleared.out, "cleared " + std::to_string(calls) + " cached answers")) << cleared.out;
    auto after = run({"cache", "--json"});
    EXPECT_EQ(nlohmann::json::parse(after.out)["entries"], 0);

    // The next eval calls the model again.
    auto again = run({"eval", study, "--json"});
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_EQ(nlohmann::json::parse(again.out)["cache"]["hits"], 0);

    auto bad = run({"cache", "flush"});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_TRUE(contains(bad.err, "unknown cache command 'flush'")) << bad.err;
}
