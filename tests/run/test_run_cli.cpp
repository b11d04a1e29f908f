// `prism optimize / compare / runs / resume / export` as a user runs them:
// the built binary on the samples, with a temporary data directory and store.
#include "core/json.h"
#include "events/event_codec.h"
#include "run/run_store.h"

#include "../support/sim_server_process.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
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
#include <thread>
#include <unistd.h>

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

class RunCli : public ::testing::Test {
protected:
    fs::path dir;
    std::string store;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-runcli-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        store = (dir / "runs.sqlite").string();
        // The cache, prices and default store live here, never in the user's directory.
        ::setenv("PRISM_DATA_DIR", (dir / "data").string().c_str(), 1);
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    void killResumeAndCompare(const std::vector<std::string> &optimizerArgs, const std::string &killAfter,
                              const std::string &sample = "math");

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

    std::vector<std::string> paidKeys(const std::string &runId)
    {
        auto opened = RunStore::open(store);
        EXPECT_TRUE(opened);
        std::vector<std::string> keys;
        const std::vector<LedgerRow> rows = opened.value()->ledger(runId).value();
        for (const auto &row : rows)
            if (!row.entry.cacheHit && !row.entry.errorKind)
                keys.push_back(row.requestKey);
        return keys;
    }
};

Json parseOut(const RunResult &r)
{
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
}

TEST_F(RunCli, ThreadsAndRepetitionGiveByteIdenticalArtifacts)
{
    const std::string a1 = (dir / "a1.json").string();
    const std::string a8 = (dir / "a8.json").string();
    const std::string again = (dir / "again.json").string();
    auto r1 = prism({"optimize", kMath, "--auto", "light", "--seed", "0", "--threads", "1", "--no-cache", "--store",
                     store, "--out", a1, "--quiet"});
    ASSERT_EQ(r1.exitCode, 0) << r1.err;
    auto r8 = prism({"optimize", kMath, "--auto", "light", "--seed", "0", "--threads", "8", "--no-cache", "--store",
                     store, "--out", a8, "--quiet"});
    ASSERT_EQ(r8.exitCode, 0) << r8.err;
    // Cache hits this time: the answers, hence the artifact, are the same.
    auto r3 = prism({"optimize", kMath, "--seed", "0", "--threads", "8", "--store", store, "--out", again, "--quiet"});
    ASSERT_EQ(r3.exitCode, 0) << r3.err;
    const std::string text = readAll(a1);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text, readAll(a8));
    EXPECT_EQ(text, readAll(again));
    // The artifact carries the test-split scores of the comparison.
    const Json artifact = Json::parse(text);
    ASSERT_TRUE(artifact.contains("prism")) << text;
    EXPECT_EQ(artifact["prism"]["seed"], 0);
    EXPECT_NE(text.find("\"test\""), std::string::npos);

    // Another seed is another run with its own result file; seed 0 is not "random".
    auto runs = prism({"runs", "--json", "--store", store});
    ASSERT_EQ(runs.exitCode, 0) << runs.err;
    const Json list = parseOut(runs);
    ASSERT_EQ(list.size(), 3u);
    for (const auto &run : list) {
        EXPECT_EQ(run["status"], "finished");
        EXPECT_EQ(run["seed"], 0);
        EXPECT_EQ(run["optimizer"], "miprov2");
        EXPECT_EQ(run["stop_reason"], "completed");
    }
}

TEST_F(RunCli, JsonSummaryEventLogAndExport)
{
    const std::string events = (dir / "events.jsonl").string();
    const std::string out = (dir / "qa.json").string();
    auto r = prism({"optimize", PRISM_SAMPLES_DIR "/qa/qa.prism.json", "--seed", "0", "--json", "--store", store,
                    "--events", events, "--out", out});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const Json summary = parseOut(r);
    const std::string runId = summary["run_id"].get<std::string>();
    EXPECT_EQ(summary["stop_reason"], "completed");
    EXPECT_TRUE(summary["baseline_score"].is_number());
    EXPECT_TRUE(summary["best_score"].is_number());
    EXPECT_GE(summary["best_score"].get<double>(), summary["baseline_score"].get<double>());
    EXPECT_TRUE(summary["calls_by_role"]["evaluation"]["calls"].is_number_integer());
    EXPECT_TRUE(summary["tokens_by_role"]["evaluation"]["prompt"].is_number_integer());
    EXPECT_EQ(summary["artifact"], out);
    // On the QA sample the improvement on the test split is beyond the noise.
    const Json &cmp = summary["comparison"];
    ASSERT_TRUE(cmp.is_object()) << r.out;
    EXPECT_GT(cmp["difference_ci"][0].get<double>(), 0.0) << cmp.dump();
    EXPECT_LE(cmp["difference_ci"][0].get<double>(), cmp["difference"].get<double>());

    // The event log: one line per stored event, and enough for the trial table.
    auto opened = RunStore::open(store);
    ASSERT_TRUE(opened);
    const auto storedEvents = opened.value()->events(runId).value();
    std::istringstream lines(readAll(events));
    std::string line;
    std::vector<TrialRecord> rebuilt;
    std::size_t count = 0;
    while (std::getline(lines, line)) {
        const Json j = Json::parse(line);
        ASSERT_LT(count, storedEvents.size());
        EXPECT_EQ(j["seq"], storedEvents[count].seq);
        ++count;
        if (j["type"] != "trial_finished")
            continue;
        TrialRecord t;
        t.seq = j["seq"].get<std::uint64_t>();
        t.trial = j["trial"].get<int>();
        t.kind = j["kind"].get<std::string>();
        t.configKey = j["config_key"].get<std::string>();
        t.configJson = j["config"].dump();
        t.config = configFromJsonText(t.configJson, t.seq).value();
        if (j["score"].is_number())
            t.score = j["score"].get<double>();
        t.scored = j["scored"].get<int>();
        t.errors = j["errors"].get<int>();
        t.examples = j["examples"].get<int>();
        t.newCalls = j.value("new_calls", 0LL);
        t.memoHits = j.value("memo_hits", 0LL);
        t.state = j["state"].get<std::string>();
        t.error = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : std::string();
        rebuilt.push_back(t);
    }
    EXPECT_EQ(count, storedEvents.size());
    const auto trials = opened.value()->trials(runId).value();
    EXPECT_FALSE(trials.empty());
    EXPECT_EQ(rebuilt, trials);

    // Export: the same artifact, the event log, the prompt and the trial table.
    const fs::path exported = dir / "exported.json";
    const fs::path csv = dir / "trials.csv";
    const fs::path prompt = dir / "prompt.txt";
    const fs::path exportedEvents = dir / "exported.jsonl";
    auto e = prism({"export", runId, "--store", store, "--out", exported.string(), "--trials", csv.string(), "--prompt",
                    prompt.string(), "--events", exportedEvents.string()});
    ASSERT_EQ(e.exitCode, 0) << e.err;
    EXPECT_EQ(readAll(exported), readAll(out));
    EXPECT_EQ(readAll(exportedEvents), readAll(events));
    const std::string table = readAll(csv);
    EXPECT_EQ(table.rfind("trial,kind,config_key,", 0), 0u);
    EXPECT_EQ(static_cast<std::size_t>(std::count(table.begin(), table.end(), '\n')), trials.size() + 1);
    EXPECT_NE(readAll(prompt).find("=== system ==="), std::string::npos);

    // compare loads the artifact back and agrees with the run's comparison.
    auto c = prism({"compare", PRISM_SAMPLES_DIR "/qa/qa.prism.json", "--program", out, "--json"});
    ASSERT_EQ(c.exitCode, 0) << c.err;
    const Json compared = parseOut(c);
    EXPECT_EQ(compared["difference_ci"], cmp["difference_ci"]);
    EXPECT_EQ(compared["optimized_score"], cmp["optimized_score"]);
    EXPECT_EQ(compared["flips"].size(), cmp["flips"].size());
    // Each listed example carries what the metric (f1 on answer) said of both sides.
    std::size_t listed = 0;
    for (const char *list : {"flips", "changed"})
        for (const auto &change : compared[list]) {
            ++listed;
            for (const char *side : {"baseline", "optimized"}) {
                const std::string feedback = change[std::string(side) + "_feedback"].get<std::string>();
                if (change[std::string(side) + "_score"].get<double>() >= 1.0)
                    EXPECT_EQ(feedback, "answer: correct.") << change;
                else
                    EXPECT_TRUE(feedback.rfind("answer: ", 0) == 0 && feedback.find(" (f1 ") != std::string::npos)
                        << change;
            }
        }
    EXPECT_GT(listed, 0u) << c.out;
}

TEST_F(RunCli, BudgetStopsTheRunCleanly)
{
    auto r = prism({"optimize", kMath, "--budget-calls", "60", "--no-cache", "--json", "--store", store});
    EXPECT_EQ(r.exitCode, 1) << r.err;
    const Json summary = parseOut(r);
    const std::string reason = summary["stop_reason"].get<std::string>();
    EXPECT_NE(reason.find("budget"), std::string::npos) << reason;
    EXPECT_LE(paidKeys(summary["run_id"].get<std::string>()).size(), 60u);
    EXPECT_FALSE(summary["artifact"].is_null());
}

TEST_F(RunCli, UsageAndLoadErrors)
{
    EXPECT_EQ(prism({"optimize"}).exitCode, 2);
    EXPECT_EQ(prism({"optimize", kMath, "--optimizer", "nope"}).exitCode, 2);
    EXPECT_EQ(prism({"optimize", kMath, "--threads", "0"}).exitCode, 2);
    EXPECT_EQ(prism({"compare", kMath}).exitCode, 2);
    auto missing = prism({"optimize", (dir / "none.prism.json").string(), "--store", store});
    EXPECT_EQ(missing.exitCode, 3);
    EXPECT_NE(missing.err.find("none.prism.json"), std::string::npos) << missing.err;
    auto resume = prism({"resume", "r-nope", "--store", store});
    EXPECT_EQ(resume.exitCode, 3);
    EXPECT_NE(resume.err.find("r-nope"), std::string::npos) << resume.err;
    std::ofstream(dir / "bad.sqlite") << std::string(2048, 'x');
    auto corrupt = prism({"runs", "--store", (dir / "bad.sqlite").string()});
    EXPECT_EQ(corrupt.exitCode, 3);
    EXPECT_NE(corrupt.err.find("bad.sqlite"), std::string::npos) << corrupt.err;
    auto help = prism({"help", "optimize"});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_NE(help.out.find("--budget-calls"), std::string::npos);
}

// Runs a sample's study (math unless told) on a loopback SimLm server with
// `optimizerArgs`, once whole and once killed (SIGKILL) as soon as its event
// log holds `killAfter`, then resumes the killed run: the same artifact, no
// paid call twice.
void RunCli::killResumeAndCompare(const std::vector<std::string> &optimizerArgs, const std::string &killAfter,
                                  const std::string &sample)
{
    // Some latency, so that the run lasts long enough to be killed mid-search.
    prism::testsupport::SimServerProcess server(dir, {"--latency-ms", "8"});
    ASSERT_FALSE(server.url().empty());
    // The study, its models behind the loopback server.
    const std::string sampleDir = std::string(PRISM_SAMPLES_DIR) + "/" + sample + "/";
    Json study = Json::parse(readAll(sampleDir + sample + ".prism.json"));
    for (const char *split : {"train", "val", "test"})
        if (study["data"].contains(split))
            study["data"][split]["path"] = sampleDir + split + ".jsonl";
    const Json model = Json{{"provider", "openai"}, {"base_url", server.url()}, {"model", "sim-small"}};
    study["models"]["task"] = model;
    study["models"]["proposer"] = model;
    const std::string studyPath = (dir / (sample + "-http.prism.json")).string();
    std::ofstream(studyPath) << study.dump(2);

    // The uninterrupted reference.
    const std::string reference = (dir / "reference.json").string();
    std::vector<std::string> refArgs = {"optimize",   studyPath, "--seed", "0",     "--threads", "4",
                                        "--no-cache", "--store", store,    "--out", reference,   "--json"};
    refArgs.insert(refArgs.end(), optimizerArgs.begin(), optimizerArgs.end());
    auto ref = prism(refArgs);
    ASSERT_EQ(ref.exitCode, 0) << ref.err;
    const std::string referenceRun = parseOut(ref)["run_id"].get<std::string>();

    // The same run, killed once its event log shows `killAfter`.
    const fs::path events = dir / "killed.jsonl";
    std::vector<std::string> childArgs = {
        PRISM_CLI_BINARY, "optimize", studyPath,  "--seed",        "0",      "--threads", "4", "--no-cache",
        "--store",        store,      "--events", events.string(), "--quiet"};
    childArgs.insert(childArgs.end(), optimizerArgs.begin(), optimizerArgs.end());
    std::vector<char *> argv;
    for (std::string &a : childArgs)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        const int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, STDOUT_FILENO);
        ::dup2(devnull, STDERR_FILENO);
        ::execv(PRISM_CLI_BINARY, argv.data());
        ::_exit(127);
    }
    bool sawTrial = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!sawTrial && std::chrono::steady_clock::now() < deadline) {
        sawTrial = readAll(events).find("\"type\":\"" + killAfter + "\"") != std::string::npos;
        if (!sawTrial)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(sawTrial);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run ended before it could be killed; exit " << WEXITSTATUS(status);

    auto opened = RunStore::open(store);
    ASSERT_TRUE(opened);
    std::string killedRun;
    const std::vector<RunRecord> runs = opened.value()->listRuns().value();
    for (const auto &run : runs)
        if (run.id != referenceRun)
            killedRun = run.id;
    ASSERT_FALSE(killedRun.empty());
    EXPECT_EQ(opened.value()->loadRun(killedRun)->status, RunStatus::Running);
    EXPECT_LT(opened.value()->trials(killedRun)->size(), opened.value()->trials(referenceRun)->size());
    const std::size_t paidBeforeResume = paidKeys(killedRun).size();
    EXPECT_GT(paidBeforeResume, 0u);

    const std::string resumedArtifact = (dir / "resumed.json").string();
    const fs::path resumedEvents = dir / "resumed.jsonl";
    auto resumed = prism({"resume", killedRun, "--store", store, "--out", resumedArtifact, "--json", "--events",
                          resumedEvents.string()});
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    const Json summary = parseOut(resumed);
    EXPECT_EQ(summary["run_id"], killedRun);
    EXPECT_EQ(summary["stop_reason"], "completed");
    // Every answer paid before the kill is replayed; in a pipeline, the same
    // stage-1 request comes again under other configurations, and is replayed again.
    if (sample == "math")
        EXPECT_EQ(summary["replayed_calls"].get<std::size_t>(), paidBeforeResume);
    else
        EXPECT_GE(summary["replayed_calls"].get<std::size_t>(), paidBeforeResume);
    EXPECT_EQ(readAll(resumedArtifact), readAll(reference));

    // No paid call twice, and no more paid calls than the uninterrupted run.
    const std::vector<std::string> keys = paidKeys(killedRun);
    EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
    EXPECT_EQ(keys.size(), paidKeys(referenceRun).size());
    EXPECT_EQ(opened.value()->trials(killedRun)->size(), opened.value()->trials(referenceRun)->size());
    // The resumed run's event log is whole: the stored events, then the new ones.
    std::istringstream lines(readAll(resumedEvents));
    std::string line;
    std::uint64_t seq = 0;
    while (std::getline(lines, line))
        EXPECT_EQ(Json::parse(line)["seq"].get<std::uint64_t>(), ++seq);
    EXPECT_EQ(seq, opened.value()->lastSeq(killedRun).value());
    EXPECT_EQ(seq, opened.value()->lastSeq(referenceRun).value());
}

TEST_F(RunCli, AKilledRunResumesToTheSameArtifactWithoutRepeatingAPaidCall)
{
    killResumeAndCompare({}, "trial_finished");
}

TEST_F(RunCli, AKilledGepaRunResumesToTheSameArtifactWithoutRepeatingAPaidCall)
{
    killResumeAndCompare({"--optimizer", "gepa", "--max-metric-calls", "150"}, "candidate_proposed");
}

// Issue 16: a two-stage program, its artifact the same whatever the threads and after a crash.
TEST_F(RunCli, PipelineArtifactsAreByteIdenticalWithOneAndEightThreads)
{
    for (const std::string sample : {"moderation_pipeline", "qa_pipeline"})
        for (const std::string optimizer : {"miprov2", "gepa"}) {
            SCOPED_TRACE(sample + " " + optimizer);
            const std::string study = std::string(PRISM_SAMPLES_DIR) + "/" + sample + "/" + sample + ".prism.json";
            std::vector<std::string> texts;
            for (const char *threads : {"1", "8"}) {
                const std::string out = (dir / (sample + "-" + optimizer + "-" + threads + ".json")).string();
                auto r =
                    prism({"optimize", study, "--optimizer", optimizer, "--auto", "light", "--seed", "0", "--threads",
                           threads, "--no-cache", "--no-compare", "--store", store, "--out", out, "--quiet"});
                ASSERT_EQ(r.exitCode, 0) << r.err;
                texts.push_back(readAll(out));
            }
            ASSERT_FALSE(texts[0].empty());
            EXPECT_EQ(texts[0], texts[1]);
            const Json artifact = Json::parse(texts[0]);
            EXPECT_EQ(artifact.contains("find") || artifact.contains("quote"), true) << "keyed by stage";
        }
}

TEST_F(RunCli, AKilledPipelineRunResumesToTheSameArtifactWithoutRepeatingAPaidCall)
{
    killResumeAndCompare({"--auto", "light"}, "trial_finished", "moderation_pipeline");
}

TEST_F(RunCli, AKilledRandomSearchResumesToTheSameArtifactWithoutRepeatingAPaidCall)
{
    // Killed once the zero-shot and labeled candidates are scored, before the bootstraps.
    killResumeAndCompare({"--optimizer", "random_search", "--num-candidates", "4"}, "trial_finished");
}

} // namespace
