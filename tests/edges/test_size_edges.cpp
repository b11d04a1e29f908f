// Issue 13, item 15: no size limits. A study whose data file was /dev/zero
// hung, and a 50 MB one-line example was sent to the model as one
// 12.6-million-token prompt. Each test runs `prism` as the user did.
#include "edges_cli.h"

#include <algorithm>

#include <nlohmann/json.hpp>

using namespace edges;

namespace {

const std::string kTrainSource = "\"train\": {\"path\": \"train.jsonl\"}";
const std::string kTestSource = "\"test\": {\"path\": \"test.jsonl\"}";

// One moderation example whose snippet is `bytes` long (plus the JSON around it).
std::string exampleLine(std::size_t bytes)
{
    return "{\"snippet\": \"" + std::string(bytes, 'x') + "\", \"severity\": \"low\", \"policy_violations\": []}\n";
}

} // namespace

// Item 15: the data file is /dev/zero (stat size 0, endless): the load stops
// at the limit, fast, naming the file, the limit and the setting.
TEST_F(EdgeTest, DevZeroDataFileFailsAtTheFileLimitNamingIt)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, kTrainSource,
                "\"train\": {\"path\": \"/dev/zero\", \"format\": \"jsonl\"}, \"max_file_bytes\": 65536");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "/dev/zero: larger than the limit of 64 KiB (65536 bytes) for a data file; raise "
                                "data.max_file_bytes in the study"))
        << r.err;
}

// Item 15: one example over data.max_example_bytes (1 MiB by default) is
// refused at load, naming the file, its line and the setting; raising the
// setting loads it.
TEST_F(EdgeTest, OversizedExampleIsRefusedNamingTheLineAndTheSetting)
{
    const fs::path study = sampleCopy("moderation");
    {
        std::ofstream train(study.parent_path() / "train.jsonl", std::ios::app | std::ios::binary);
        train << exampleLine(2 * 1024 * 1024);
    }
    const std::string train = readAll(study.parent_path() / "train.jsonl");
    const auto lines = std::count(train.begin(), train.end(), '\n'); // the new example's line
    const CliResult refused = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(refused.exitCode, 3) << refused.err;
    EXPECT_TRUE(contains(refused.err, "train.jsonl:" + std::to_string(lines) + ": this example is ")) << refused.err;
    EXPECT_TRUE(contains(refused.err, "over the limit of 1 MiB (1048576 bytes) per example; raise "
                                      "data.max_example_bytes in the study"))
        << refused.err;

    replaceOnce(study, kTrainSource, kTrainSource + ", \"max_example_bytes\": 4194304");
    const CliResult accepted = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(accepted.exitCode, 0) << accepted.err;
}

// Item 15: the same holds in a CSV file (a record) and a JSON array (an element).
TEST_F(EdgeTest, OversizedCsvRecordAndJsonElementAreRefusedByLine)
{
    const fs::path study = sampleCopy("moderation");
    writeAll(study.parent_path() / "small.csv", "snippet,severity,policy_violations\n"
                                                "hello,low,\n"
                                                "\"" + std::string(300, 'y')
                                                    + "\",low,\n");
    replaceOnce(study, kTrainSource, "\"train\": {\"path\": \"small.csv\"}, \"max_example_bytes\": 200");
    const CliResult csv = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(csv.exitCode, 3) << csv.err;
    EXPECT_TRUE(contains(csv.err, "small.csv:3: this example is 307 bytes, over the limit of 200 bytes")) << csv.err;

    writeAll(study.parent_path() / "small.json",
             "[\n  {\"snippet\": \"hello\", \"severity\": \"low\"},\n  " + exampleLine(300) + "]\n");
    replaceOnce(study, "small.csv", "small.json");
    const CliResult json = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(json.exitCode, 3) << json.err;
    EXPECT_TRUE(contains(json.err, "small.json:3: this example is 359 bytes, over the limit of 200 bytes")) << json.err;
}

// Item 15: a prompt longer than the model's max_prompt_tokens is an example
// error (not a 0 score), never sent and never billed: no call in the ledger.
TEST_F(EdgeTest, PromptOverMaxPromptTokensIsAnExampleErrorAndNoCall)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "\"task\": {\"provider\": \"simlm\", \"model\": \"sim-small\"}",
                "\"task\": {\"provider\": \"simlm\", \"model\": \"sim-small\", \"max_prompt_tokens\": 50}");
    const CliResult r = prism({"eval", study.string(), "--json", "--quiet", "--max-errors", "0"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << r.out;
    EXPECT_EQ(report["errors"], report["total"]);
    EXPECT_EQ(report["scored"], 0);
    EXPECT_EQ(report["usage"]["calls"], 0);
    EXPECT_EQ(report["ledger"]["totals"]["calls"], 0) << report["ledger"].dump();
    for (const auto &result : report["results"]) {
        ASSERT_TRUE(result["error"].is_string()) << result.dump();
        const std::string error = result["error"];
        EXPECT_TRUE(contains(error, "context_window_exceeded")) << error;
        EXPECT_TRUE(contains(error, "exceeds the model's max_prompt_tokens 50 (models.task.max_prompt_tokens); it "
                                    "was not sent"))
            << error;
        EXPECT_TRUE(result["score"].is_null()) << result.dump();
    }
}

// Item 15: the 50 MB example case end to end, scaled down: once the data limit
// lets a huge example in, SimLm's default context limit stops its call, and
// only that example is an error.
TEST_F(EdgeTest, HugeExampleIsStoppedBySimLmsDefaultPromptLimit)
{
    const fs::path study = sampleCopy("moderation");
    {
        std::ofstream test(study.parent_path() / "test.jsonl", std::ios::app | std::ios::binary);
        test << exampleLine(2 * 1024 * 1024);
    }
    replaceOnce(study, kTestSource, kTestSource + ", \"max_example_bytes\": 4194304");
    const CliResult r = prism({"eval", study.string(), "--json", "--quiet"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << r.out;
    EXPECT_EQ(report["errors"], 1);
    EXPECT_EQ(report["scored"], report["total"].get<int>() - 1);
    const auto &last = report["results"].back();
    ASSERT_TRUE(last["error"].is_string()) << last.dump();
    EXPECT_TRUE(contains(last["error"].get<std::string>(), "exceeds the model's max_prompt_tokens 32768")) << last;
    EXPECT_EQ(report["usage"]["calls"], report["scored"]);
}

// Item 15: the limit is also a model flag, like --timeout.
TEST_F(EdgeTest, MaxPromptTokensFlagSetsTheLimit)
{
    const fs::path study = sampleCopy("moderation");
    const CliResult r =
        prism({"eval", study.string(), "--json", "--quiet", "--max-errors", "0", "--max-prompt-tokens", "50"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << r.out;
    EXPECT_EQ(report["errors"], report["total"]);
    EXPECT_TRUE(contains(report["results"][0]["error"].dump(), "exceeds the model's max_prompt_tokens 50")) << r.out;
    const CliResult bad = prism({"eval", study.string(), "--quiet", "--max-prompt-tokens", "0"});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_TRUE(contains(bad.err, "--max-prompt-tokens must be a whole number >= 1, not '0'")) << bad.err;
}

// Item 15 with item 22's rule: the limits are range-checked like every other
// whole number of a study, naming the key.
TEST_F(EdgeTest, OutOfRangeLimitsAreRefusedNamingTheKey)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, kTrainSource, kTrainSource + ", \"max_file_bytes\": 0");
    const CliResult file = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(file.exitCode, 3) << file.err;
    EXPECT_TRUE(contains(file.err, "data.max_file_bytes (line 5) must be a whole number from 1 to 17179869184, not 0"))
        << file.err;

    replaceOnce(study, "\"max_file_bytes\": 0", "\"max_example_bytes\": -1");
    const CliResult example = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(example.exitCode, 3) << example.err;
    EXPECT_TRUE(contains(example.err, "data.max_example_bytes (line 5) must be a whole number from 1 to"))
        << example.err;

    replaceOnce(study, ", \"max_example_bytes\": -1", "");
    replaceOnce(study, "\"model\": \"sim-small\"}", "\"model\": \"sim-small\", \"max_prompt_tokens\": 0}");
    const CliResult prompt = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(prompt.exitCode, 3) << prompt.err;
    EXPECT_TRUE(contains(prompt.err, "models.task.max_prompt_tokens (line 38) must be a whole number from 1 to "
                                     "2147483647, not 0"))
        << prompt.err;
}

// Item 15 in `optimize`: candidates whose demos make the prompt too long fail
// as unscored trials naming the limit (never a 0 score), the run goes on with
// the rest, and none of those calls is made or billed.
TEST_F(EdgeTest, OptimizeReportsTooLongCandidatesAsFailedTrialsNotZeroScores)
{
    const fs::path study = sampleCopy("moderation");
    // The baseline's prompts (about 360 tokens) fit; with demos they do not.
    replaceOnce(study, "\"task\": {\"provider\": \"simlm\", \"model\": \"sim-small\"}",
                "\"task\": {\"provider\": \"simlm\", \"model\": \"sim-small\", \"max_prompt_tokens\": 420}");
    const CliResult r =
        prism({"optimize", study.string(), "--json", "--quiet", "--store", (dir / "runs.sqlite").string()});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    const auto summary = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(summary.is_object()) << r.out;
    EXPECT_EQ(summary["status"], "finished");
    ASSERT_TRUE(summary["notes"].is_array()) << r.out;
    EXPECT_TRUE(contains(summary["notes"][0].get<std::string>(), "trial(s) failed and were not scored"))
        << summary["notes"];
    EXPECT_TRUE(contains(summary["notes"][0].get<std::string>(),
                         "exceeds the model's max_prompt_tokens 420 (models.task.max_prompt_tokens)"))
        << summary["notes"];
    for (const auto &[role, calls] : summary["calls_by_role"].items())
        EXPECT_EQ(calls["errors"], 0) << role;
}
