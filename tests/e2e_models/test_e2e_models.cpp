// `prism eval` end to end against SimLm served over HTTP (SimServer in this
// process, or the `prism simlm serve` binary): same answers as in-process
// SimLm despite faults, the cache, budgets, key hygiene and one-line errors.
#include "../support/closed_port.h"

#include "core/study.h"
#include "modelsetup/lm_setup.h"
#include "sim/sim_server.h"
#include "sim/simlm.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kModeration = std::string(PRISM_SAMPLES_DIR) + "/moderation/moderation.prism.json";
const std::string kQa = std::string(PRISM_SAMPLES_DIR) + "/qa/qa.prism.json";

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

std::string randomHex(std::size_t chars)
{
    std::random_device rd;
    std::string out;
    const char *digits = "0123456789abcdef";
    while (out.size() < chars)
        out += digits[rd() % 16];
    return out;
}

std::shared_ptr<prism::Lm> simModel(const std::string &name)
{
    if (!prism::SimLm::isKnownModel(name))
        return nullptr;
    return std::make_shared<prism::SimLm>(name);
}

using prism::testsupport::closedPort;

class E2eModels : public ::testing::Test {
protected:
    fs::path dir;
    int runs = 0;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-e2e-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir / "data");
        fs::create_directories(dir / "home");
        // The user's real cache and price table are never touched.
        ::setenv("PRISM_DATA_DIR", (dir / "data").c_str(), 1);
        ::setenv("HOME", (dir / "home").c_str(), 1);
    }
    void TearDown() override { fs::remove_all(dir); }

    // Captures go to files under dir, so the key scan reads them too.
    RunResult run(const std::vector<std::string> &args)
    {
        std::string cmd = quoted(PRISM_CLI_BINARY);
        for (const auto &a : args)
            cmd += " " + quoted(a);
        const int n = ++runs;
        const fs::path out = dir / ("stdout-" + std::to_string(n) + ".txt");
        const fs::path err = dir / ("stderr-" + std::to_string(n) + ".txt");
        cmd += " >" + quoted(out.string()) + " 2>" + quoted(err.string()) + " </dev/null";
        const int status = std::system(cmd.c_str());
        RunResult r;
        r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = readAll(out);
        r.err = readAll(err);
        return r;
    }

    // A copy of the moderation sample whose task (and proposer) model is
    // sim-small over HTTP at `primary`, with `replicas` as more endpoints.
    std::string moderationOn(const std::string &primary, const std::vector<std::string> &replicas)
    {
        const fs::path copy = dir / "moderation";
        fs::create_directories(copy);
        fs::copy(fs::path(kModeration).parent_path(), copy,
                 fs::copy_options::recursive | fs::copy_options::overwrite_existing);
        json study = json::parse(readAll(copy / "moderation.prism.json"));
        json task = {{"provider", "openai"}, {"model", "sim-small"}, {"base_url", primary}, {"max_concurrency", 4}};
        for (const auto &url : replicas)
            task["replicas"].push_back({{"base_url", url}});
        study["models"] = {{"task", task}};
        const fs::path path = copy / "moderation.prism.json";
        std::ofstream(path) << study.dump(2);
        return path.string();
    }

    static json parse(const RunResult &r)
    {
        json j = json::parse(r.out, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
        return j;
    }
};

// What must not change between the in-process and the HTTP path.
json answers(const json &report)
{
    return json{{"score", report["score"]},
                {"scored", report["scored"]},
                {"errors", report["errors"]},
                {"results", report["results"]},
                {"usage", report["usage"]}};
}

void expectOneLineError(const RunResult &r)
{
    EXPECT_EQ(r.err.rfind("prism: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

long long chatRequests(const prism::SimServerStats &s)
{
    long long n = s.completions;
    for (const auto &[kind, count] : s.faults)
        if (kind != prism::SimFault::Stall) // a stall is counted as a completion too
            n += count;
    return n;
}

} // namespace

TEST_F(E2eModels, FaultyServerGivesTheInProcessAnswers)
{
    prism::SimServerOptions options;
    options.faultRates = prism::spreadFaultRate(0.2);
    options.seed = 11;
    options.stallMs = 1500; // past the 0.5 s client timeout below
    prism::SimServer server(simModel, prism::SimLm::modelNames(), options);
    ASSERT_TRUE(server.start(0).ok());

    long long retries = 0;
    for (const std::string &study : {kModeration, kQa}) {
        SCOPED_TRACE(study);
        auto local = run({"eval", study, "--json", "--no-cache", "--quiet"});
        ASSERT_EQ(local.exitCode, 0) << local.err;
        auto remote = run({"eval", study, "--json", "--no-cache", "--quiet", "--base-url", server.baseUrl(), "--model",
                           "sim-small", "--timeout", "0.5"});
        ASSERT_EQ(remote.exitCode, 0) << remote.err;
        const json a = parse(local), b = parse(remote);
        EXPECT_EQ(answers(a), answers(b));
        EXPECT_GT(a["scored"].get<int>(), 0);
        EXPECT_TRUE(contains(b["model"].get<std::string>(), "openai/sim-small @ http://127.0.0.1:")) << b["model"];
        EXPECT_TRUE(contains(a["model"].get<std::string>(), "simlm/sim-small")) << a["model"];

        // The HTTP path made one ledger call per example, retries apart.
        const json &totals = b["ledger"]["totals"];
        EXPECT_EQ(totals["lm_calls"], b["usage"]["calls"]);
        EXPECT_EQ(totals["errors"], 0);
        EXPECT_EQ(a["ledger"]["totals"]["retries"], 0);
        retries += totals["retries"].get<long long>();
        EXPECT_EQ(b["ledger"]["by_role"]["evaluation"]["calls"], b["usage"]["calls"]);
    }
    auto stats = server.stats();
    long long faults = 0;
    for (const auto &[kind, count] : stats.faults)
        faults += count;
    EXPECT_GT(faults, 5);
    // Every delivered fault was retried (a stall may also have answered late).
    EXPECT_GE(retries, faults - stats.faults[prism::SimFault::Stall]);
    EXPECT_GT(retries, 0);
}

TEST_F(E2eModels, SecondRunIsAnsweredByTheCache)
{
    prism::SimServer server(simModel, prism::SimLm::modelNames());
    ASSERT_TRUE(server.start(0).ok());
    const std::vector<std::string> base = {"eval", kModeration, "--base-url", server.baseUrl(), "--model", "sim-small"};
    auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        return run(args);
    };

    auto first = with({"--json"});
    ASSERT_EQ(first.exitCode, 0) << first.err;
    const json j1 = parse(first);
    const long long examples = j1["total"].get<long long>();
    EXPECT_EQ(server.stats().completions, examples);
    EXPECT_EQ(j1["cache"]["hits"], 0);
    EXPECT_EQ(j1["cache"]["misses"], examples);
    EXPECT_EQ(j1["ledger"]["totals"]["lm_calls"], examples);

    auto second = with({"--json"});
    ASSERT_EQ(second.exitCode, 0) << second.err;
    const json j2 = parse(second);
    EXPECT_EQ(server.stats().completions, examples) << "the second run called the model";
    EXPECT_EQ(j2["cache"]["hits"], examples);
    EXPECT_EQ(j2["cache"]["misses"], 0);
    EXPECT_EQ(j2["ledger"]["totals"]["lm_calls"], 0);
    EXPECT_EQ(j2["ledger"]["totals"]["cache_hits"], examples);
    EXPECT_EQ(j2["results"], j1["results"]);
    EXPECT_EQ(j2["score"], j1["score"]);

    auto text = with({});
    ASSERT_EQ(text.exitCode, 0) << text.err;
    EXPECT_TRUE(contains(text.out, "Cache: " + std::to_string(examples) + " hits, 0 misses (no LM calls made)"))
        << text.out;
    EXPECT_EQ(server.stats().completions, examples);

    auto fresh = with({"--no-cache", "--json"});
    ASSERT_EQ(fresh.exitCode, 0) << fresh.err;
    const json j3 = parse(fresh);
    EXPECT_EQ(server.stats().completions, 2 * examples);
    EXPECT_EQ(j3["ledger"]["totals"]["lm_calls"], examples);
    EXPECT_EQ(j3["cache"]["enabled"], false);
    EXPECT_EQ(j3["results"], j1["results"]);
}

TEST_F(E2eModels, BudgetOfCallsStopsTheEvaluation)
{
    prism::SimServer server(simModel, prism::SimLm::modelNames());
    ASSERT_TRUE(server.start(0).ok());
    const std::vector<std::string> args = {"eval",           kModeration,      "--base-url",
                                           server.baseUrl(), "--model",        "sim-small",
                                           "--no-cache",     "--budget-calls", "4"};
    auto text = run(args);
    EXPECT_EQ(text.exitCode, 1) << text.err;
    EXPECT_TRUE(contains(text.out, "Stopped: budget reached: 4 calls; 11 of 15 examples did not run")) << text.out;
    EXPECT_LE(chatRequests(server.stats()), 4);
    EXPECT_GE(chatRequests(server.stats()), 1);

    std::vector<std::string> jsonArgs = args;
    jsonArgs.push_back("--json");
    jsonArgs.push_back("--threads");
    jsonArgs.push_back("16");
    auto j = run(jsonArgs);
    EXPECT_EQ(j.exitCode, 1) << j.err;
    const json report = parse(j);
    EXPECT_EQ(report["stopped_early"], true);
    EXPECT_EQ(report["stop_reason"], "budget reached: 4 calls");
    // Refused examples did not run: they are neither results nor errors.
    EXPECT_LE(report["results"].size(), 4u);
    EXPECT_EQ(report["errors"], 0);
    EXPECT_LE(report["ledger"]["totals"]["lm_calls"].get<int>(), 4);
    EXPECT_LE(chatRequests(server.stats()), 8);
}

TEST_F(E2eModels, KeyIsNeverWrittenAnywhere)
{
    const std::string key = "sk-prism-scan-" + randomHex(32);
    const std::string wrongKey = "sk-prism-scan-wrong-" + randomHex(32);
    ::setenv("PRISM_E2E_SCAN_KEY", key.c_str(), 1);
    ::setenv("PRISM_E2E_WRONG_KEY", wrongKey.c_str(), 1);
    prism::SimServerOptions options;
    options.requiredApiKey = key;
    // The retry and error paths log too.
    options.faultRates = prism::parseFaultSpec("429:0.03,500:0.03,malformed:0.03").value();
    prism::SimServer server(simModel, prism::SimLm::modelNames(), options);
    ASSERT_TRUE(server.start(0).ok());

    const std::vector<std::string> base = {"eval",    kModeration, "--base-url", server.baseUrl(),
                                           "--model", "sim-small", "--verbose"};
    auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        return run(args);
    };
    auto first = with({"--api-key-env", "PRISM_E2E_SCAN_KEY"});
    ASSERT_EQ(first.exitCode, 0) << first.err;
    EXPECT_TRUE(contains(first.out, "15 scored")) << first.out;      // the key was accepted
    EXPECT_TRUE(contains(first.err, "prism: debug: ")) << first.err; // logging was verbose
    auto cached = with({"--api-key-env", "PRISM_E2E_SCAN_KEY", "--json"});
    EXPECT_EQ(cached.exitCode, 0) << cached.err;
    auto fresh = with({"--api-key-env", "PRISM_E2E_SCAN_KEY", "--json", "--no-cache"});
    EXPECT_EQ(fresh.exitCode, 0) << fresh.err;
    auto rejected = with({"--api-key-env", "PRISM_E2E_WRONG_KEY"});
    EXPECT_EQ(rejected.exitCode, 3) << rejected.err;
    EXPECT_TRUE(fs::exists(dir / "data" / "cache.sqlite"));

    int scanned = 0;
    for (const auto &entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file())
            continue;
        ++scanned;
        const std::string content = readAll(entry.path());
        EXPECT_FALSE(contains(content, key)) << "the key was written to " << entry.path();
        EXPECT_FALSE(contains(content, wrongKey)) << "the wrong key was written to " << entry.path();
        // A prefix of the key is as bad (OpenAI's 401 echoes part of it).
        EXPECT_FALSE(contains(content, key.substr(0, 24))) << entry.path();
    }
    EXPECT_GE(scanned, 9); // 4 x (stdout, stderr) + the cache
    ::unsetenv("PRISM_E2E_SCAN_KEY");
    ::unsetenv("PRISM_E2E_WRONG_KEY");
}

TEST_F(E2eModels, EndpointProblemsAreOneClearLine)
{
    prism::SimServerOptions options;
    options.requiredApiKey = "sk-the-right-one";
    prism::SimServer server(simModel, prism::SimLm::modelNames(), options);
    ASSERT_TRUE(server.start(0).ok());
    ::setenv("PRISM_E2E_KEY", "sk-the-right-one", 1);
    ::setenv("PRISM_E2E_BAD_KEY", "sk-a-wrong-one", 1);
    auto eval = [&](const std::string &url, const std::string &model, const std::string &keyEnv) {
        std::vector<std::string> args = {"eval", kModeration, "--base-url", url, "--model", model};
        if (!keyEnv.empty()) {
            args.push_back("--api-key-env");
            args.push_back(keyEnv);
        }
        return run(args);
    };

    auto ok = eval(server.baseUrl(), "sim-small", "PRISM_E2E_KEY");
    EXPECT_EQ(ok.exitCode, 0) << ok.err;
    const long long before = server.stats().completions;

    auto badKey = eval(server.baseUrl(), "sim-small", "PRISM_E2E_BAD_KEY");
    EXPECT_EQ(badKey.exitCode, 3);
    expectOneLineError(badKey);
    EXPECT_TRUE(contains(badKey.err, "the key in $PRISM_E2E_BAD_KEY was rejected")) << badKey.err;
    EXPECT_FALSE(contains(badKey.err, "sk-a-wrong-one")) << badKey.err;

    auto noKey = eval(server.baseUrl(), "sim-small", "PRISM_E2E_UNSET_VARIABLE");
    EXPECT_EQ(noKey.exitCode, 3);
    expectOneLineError(noKey);
    EXPECT_TRUE(contains(noKey.err, "PRISM_E2E_UNSET_VARIABLE is not set")) << noKey.err;

    const int port = closedPort();
    auto unreachable = eval("http://127.0.0.1:" + std::to_string(port) + "/v1", "sim-small", "");
    EXPECT_EQ(unreachable.exitCode, 3);
    expectOneLineError(unreachable);
    EXPECT_TRUE(contains(unreachable.err, "could not reach http://127.0.0.1:" + std::to_string(port)))
        << unreachable.err;

    auto wrongModel = eval(server.baseUrl(), "sim-enormous", "PRISM_E2E_KEY");
    EXPECT_EQ(wrongModel.exitCode, 3);
    expectOneLineError(wrongModel);
    EXPECT_TRUE(contains(wrongModel.err, "model 'sim-enormous' not found")) << wrongModel.err;
    EXPECT_TRUE(contains(wrongModel.err, "sim-small")) << wrongModel.err; // what the server has

    // Each problem was found before any completion was asked for.
    EXPECT_EQ(server.stats().completions, before);

    // A URL whose /models the check cannot use: the calls fail, all alike,
    // and that one failure is summed up in one line after the report.
    std::string wrongPath = server.baseUrl();
    wrongPath.replace(wrongPath.size() - 3, 3, "/v2");
    auto allFailed = eval(wrongPath, "sim-small", "PRISM_E2E_KEY");
    EXPECT_EQ(allFailed.exitCode, 3);
    EXPECT_TRUE(contains(allFailed.out, "Score: ")) << allFailed.out;
    EXPECT_EQ(allFailed.err.rfind("prism: error: every example failed: ", 0), 0u) << allFailed.err;
    EXPECT_EQ(std::count(allFailed.err.begin(), allFailed.err.end(), '\n'), 1) << allFailed.err;
    EXPECT_TRUE(contains(allFailed.err, "/v2/chat/completions")) << allFailed.err;
    ::unsetenv("PRISM_E2E_KEY");
    ::unsetenv("PRISM_E2E_BAD_KEY");
}

// The `prism simlm serve` command itself, as a user starts it.
TEST_F(E2eModels, SimlmServeCommandServesTheSameAnswers)
{
    int pipeFds[2];
    ASSERT_EQ(::pipe(pipeFds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::dup2(pipeFds[1], STDOUT_FILENO);
        ::close(pipeFds[0]);
        ::close(pipeFds[1]);
        ::execl(PRISM_CLI_BINARY, PRISM_CLI_BINARY, "simlm", "serve", "--port", "0", "--faults",
                "500:0.1,malformed:0.1", "--seed", "3", static_cast<char *>(nullptr));
        ::_exit(127);
    }
    ::close(pipeFds[1]);
    std::string line;
    pollfd pfd{pipeFds[0], POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        if (::poll(&pfd, 1, 200) <= 0)
            continue;
        char buf[256];
        const ssize_t n = ::read(pipeFds[0], buf, sizeof buf);
        if (n <= 0)
            break;
        line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipeFds[0]);
    const std::string prefix = "listening on ";
    const bool started = line.rfind(prefix, 0) == 0 && line.find('\n') != std::string::npos;
    const std::string url = started ? line.substr(prefix.size(), line.find('\n') - prefix.size()) : std::string();

    RunResult local, remote;
    if (started) {
        local = run({"eval", kModeration, "--json", "--no-cache"});
        remote = run({"eval", kModeration, "--json", "--no-cache", "--base-url", url, "--model", "sim-small"});
    }
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(started) << "no 'listening on' line: " << line;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    ASSERT_EQ(local.exitCode, 0) << local.err;
    ASSERT_EQ(remote.exitCode, 0) << remote.err;
    EXPECT_EQ(answers(parse(local)), answers(parse(remote)));
    EXPECT_GT(parse(remote)["ledger"]["totals"]["retries"].get<int>(), 0);
}

TEST_F(E2eModels, OverridesPickTheProviderAUserMeans)
{
    prism::ModelConfig sim; // simlm / sim-small
    prism::ModelOverrides url;
    url.baseUrl = "http://127.0.0.1:11434/v1";
    url.model = "llama3.1";
    const auto local = prism::applyOverrides(sim, url);
    EXPECT_EQ(local.provider, prism::Provider::OpenAi); // a base URL alone: an OpenAI-compatible server
    EXPECT_EQ(local.baseUrl, "http://127.0.0.1:11434/v1");
    EXPECT_EQ(local.model, "llama3.1");
    EXPECT_EQ(local.apiKeyEnv, "");

    prism::ModelConfig claude;
    claude.provider = prism::Provider::Anthropic;
    claude.model = "claude-3-5-haiku-latest";
    claude.apiKeyEnv = "ANTHROPIC_API_KEY";
    prism::ModelOverrides proxy;
    proxy.baseUrl = "https://proxy.example.com/v1";
    const auto proxied = prism::applyOverrides(claude, proxy);
    EXPECT_EQ(proxied.provider, prism::Provider::Anthropic); // an HTTP provider keeps its protocol
    EXPECT_EQ(proxied.apiKeyEnv, "ANTHROPIC_API_KEY");

    prism::ModelOverrides toSim;
    toSim.provider = prism::Provider::SimLm;
    toSim.model = "sim-large";
    const auto back = prism::applyOverrides(claude, toSim);
    EXPECT_EQ(back.provider, prism::Provider::SimLm);
    EXPECT_EQ(back.baseUrl, "");
    EXPECT_EQ(back.apiKeyEnv, ""); // no key variable for an in-process model

    prism::ModelOverrides limits;
    limits.maxConcurrency = 3;
    limits.timeoutSeconds = 2.5;
    const auto limited = prism::applyOverrides(sim, limits);
    EXPECT_EQ(limited.maxConcurrency, 3);
    EXPECT_EQ(limited.timeoutSeconds, 2.5);
    EXPECT_EQ(limited.provider, prism::Provider::SimLm);
}

TEST_F(E2eModels, SetupSharesOneModelWhenProposerEqualsTask)
{
    prism::Study study;
    prism::ModelOverrides none;
    prism::LmSetupOptions options;
    auto same = prism::setupModels(study, none, options);
    ASSERT_TRUE(same.ok()) << same.error().message;
    EXPECT_EQ(same->task, same->proposer);
    EXPECT_TRUE(same->services.cache != nullptr); // opened in PRISM_DATA_DIR
    EXPECT_TRUE(fs::exists(dir / "data" / "cache.sqlite"));
    EXPECT_FALSE(same->services.cacheBypass);

    // Overrides move a proposer that equals the task along with it.
    prism::ModelOverrides url;
    url.baseUrl = "http://127.0.0.1:9/v1";
    options.useCache = false;
    auto moved = prism::setupModels(study, url, options);
    ASSERT_TRUE(moved.ok()) << moved.error().message;
    EXPECT_EQ(moved->task, moved->proposer);
    EXPECT_EQ(moved->proposerConfig.provider, prism::Provider::OpenAi);
    EXPECT_TRUE(moved->services.cacheBypass); // --no-cache: not read, still written

    study.proposerModel.model = "sim-large";
    auto two = prism::setupModels(study, url, options);
    ASSERT_TRUE(two.ok()) << two.error().message;
    EXPECT_NE(two->task, two->proposer);
    EXPECT_EQ(two->proposerConfig.provider, prism::Provider::SimLm); // a distinct proposer keeps its entry
    EXPECT_EQ(two->proposer->describe(), "simlm/sim-large");
    // Both share one ledger and scheduler.
    EXPECT_EQ(two->task->services().ledger.get(), two->proposer->services().ledger.get());
    EXPECT_EQ(two->task->services().scheduler.get(), two->proposer->services().scheduler.get());

    study.taskModel.maxConcurrency = 0;
    auto bad = prism::setupModels(study, prism::ModelOverrides{}, options);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, prism::ErrorKind::Config);
    EXPECT_TRUE(contains(bad.error().message, "models.task: max_concurrency")) << bad.error().message;

    study.taskModel.maxConcurrency = 4;
    study.taskModel.requestsPerMinute = -5;
    auto badRate = prism::setupModels(study, prism::ModelOverrides{}, options);
    ASSERT_FALSE(badRate.ok());
    EXPECT_TRUE(contains(badRate.error().message, "models.task: requests_per_minute must be >= 0"))
        << badRate.error().message;
}

TEST(ModelSetup, RateLimitsRoundTripThroughTheStudyFile)
{
    auto loaded = prism::loadStudy(kModeration);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    prism::Study study = loaded.value();
    study.taskModel.provider = prism::Provider::OpenAi;
    study.taskModel.model = "gpt-4o-mini";
    study.taskModel.requestsPerMinute = 500;
    study.taskModel.tokensPerMinute = 200000;
    const std::string text = prism::studyToJsonText(study);
    EXPECT_TRUE(contains(text, "\"requests_per_minute\": 500")) << text;
    EXPECT_TRUE(contains(text, "\"tokens_per_minute\": 200000")) << text;
    // No limit is not written (the proposer has none): files without limits stay as they were.
    std::size_t written = 0;
    for (std::size_t at = text.find("requests_per_minute"); at != std::string::npos;
         at = text.find("requests_per_minute", at + 1))
        ++written;
    EXPECT_EQ(written, 1u) << text;
    auto back = prism::studyFromJsonText(text, "study.prism.json");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->taskModel.requestsPerMinute, 500);
    EXPECT_EQ(back->taskModel.tokensPerMinute, 200000);
    EXPECT_EQ(back->proposerModel.requestsPerMinute, 0);
}

// A model's retry settings come from its study entry: how often a failing
// endpoint is retried and how long the waits are, round-tripped and checked.
TEST_F(E2eModels, RetrySettingsComeFromTheModelEntry)
{
    prism::SimServerOptions options;
    options.faultRates = {{prism::SimFault::Error503, 1.0}}; // the endpoint is down
    prism::SimServer server(simModel, prism::SimLm::modelNames(), options);
    ASSERT_TRUE(server.start(0).ok());

    auto loaded = prism::loadStudy(kModeration);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    prism::Study study = loaded.value();
    study.taskModel.provider = prism::Provider::OpenAi;
    study.taskModel.model = "sim-small";
    study.taskModel.baseUrl = server.baseUrl();
    study.proposerModel = prism::ModelConfig{};
    study.taskModel.maxRetries = 2;
    study.taskModel.retryBaseSeconds = 0.001;
    prism::LmSetupOptions setup;
    setup.useCache = false;
    auto models = prism::setupModels(study, prism::ModelOverrides{}, setup);
    ASSERT_TRUE(models.ok()) << models.error().message;

    prism::ChatRequest request;
    request.messages = {{"user", "Snippet: hello"}};
    auto answer = models->task->complete(request);
    ASSERT_FALSE(answer.ok());
    EXPECT_TRUE(contains(answer.error().message, "503")) << answer.error().message;
    EXPECT_TRUE(contains(answer.error().message, "(after 2 retries)")) << answer.error().message;
    // The first try and exactly two retries reached the server.
    EXPECT_EQ(server.stats().faults[prism::SimFault::Error503], 3);
    const auto totals = models->services.ledger->totals();
    EXPECT_EQ(totals.retries, 2);
    EXPECT_EQ(totals.errors, 1);

    // None at all: one try.
    study.taskModel.maxRetries = 0;
    auto once = prism::setupModels(study, prism::ModelOverrides{}, setup);
    ASSERT_TRUE(once.ok()) << once.error().message;
    auto notRetried = once->task->complete(request);
    ASSERT_FALSE(notRetried.ok());
    EXPECT_TRUE(contains(notRetried.error().message, "(not retried: the model's max_retries is 0)"))
        << notRetried.error().message;
    EXPECT_EQ(server.stats().faults[prism::SimFault::Error503], 4);

    // Written only when not the default, and read back.
    study.taskModel.maxRetries = 3;
    const std::string text = prism::studyToJsonText(study);
    EXPECT_TRUE(contains(text, "\"max_retries\": 3")) << text;
    EXPECT_TRUE(contains(text, "\"retry_base_seconds\": 0.001")) << text;
    EXPECT_EQ(text.find("max_retries"), text.rfind("max_retries")) << text; // not on the default proposer
    auto back = prism::studyFromJsonText(text, "study.prism.json");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->taskModel.maxRetries, 3);
    EXPECT_EQ(back->taskModel.retryBaseSeconds, 0.001);
    EXPECT_EQ(back->proposerModel.maxRetries, prism::ModelConfig{}.maxRetries);

    // Out of bounds is a clear error naming the entry.
    study.taskModel.maxRetries = 21;
    auto tooMany = prism::setupModels(study, prism::ModelOverrides{}, setup);
    ASSERT_FALSE(tooMany.ok());
    EXPECT_TRUE(contains(tooMany.error().message, "models.task: max_retries must be between 0 and 20, not 21"))
        << tooMany.error().message;
    study.taskModel.maxRetries = 2;
    study.taskModel.retryBaseSeconds = -1;
    auto negative = prism::setupModels(study, prism::ModelOverrides{}, setup);
    ASSERT_FALSE(negative.ok());
    EXPECT_TRUE(contains(negative.error().message, "models.task: retry_base_seconds must be between 0 and 60, not -1"))
        << negative.error().message;
}

TEST_F(E2eModels, ReplicasShareTheCallsAndGiveTheSameAnswers)
{
    prism::SimServerOptions slow;
    slow.latencyMs = 20; // calls overlap, so outstanding requests decide
    prism::SimServer a(simModel, prism::SimLm::modelNames(), slow), b(simModel, prism::SimLm::modelNames(), slow);
    ASSERT_TRUE(a.start(0).ok());
    ASSERT_TRUE(b.start(0).ok());
    const std::string study = moderationOn(a.baseUrl(), {b.baseUrl()});

    auto local = run({"eval", kModeration, "--json", "--no-cache", "--quiet"});
    ASSERT_EQ(local.exitCode, 0) << local.err;
    auto remote = run({"eval", study, "--json", "--no-cache", "--quiet"});
    ASSERT_EQ(remote.exitCode, 0) << remote.err;
    const json l = parse(local), r = parse(remote);
    EXPECT_EQ(answers(l), answers(r));
    const long long examples = r["total"].get<long long>();
    EXPECT_EQ(a.stats().completions + b.stats().completions, examples);
    EXPECT_GE(a.stats().completions, examples / 4) << "A took too few of " << examples;
    EXPECT_GE(b.stats().completions, examples / 4) << "B took too few of " << examples;
    EXPECT_TRUE(contains(r["model"].get<std::string>(), "and 1 replica")) << r["model"];
    const json &byEndpoint = r["ledger"]["by_endpoint"];
    ASSERT_EQ(byEndpoint.size(), 2u) << r["ledger"];
    EXPECT_EQ(byEndpoint["openai " + b.baseUrl()]["lm_calls"], b.stats().completions);

    // The text report says how the calls were spread.
    auto text = run({"eval", study, "--no-cache"});
    ASSERT_EQ(text.exitCode, 0) << text.err;
    EXPECT_TRUE(contains(text.out, "\nEndpoints:\n")) << text.out;
    for (const auto *server : {&a, &b})
        EXPECT_TRUE(contains(text.out, "\n  openai " + server->baseUrl() + ": ")) << text.out;

    // --base-url names one server: the study's replicas are not used.
    const long long before = b.stats().completions;
    auto one = run({"eval", study, "--json", "--no-cache", "--quiet", "--base-url", a.baseUrl()});
    ASSERT_EQ(one.exitCode, 0) << one.err;
    EXPECT_EQ(b.stats().completions, before);
    EXPECT_FALSE(parse(one)["ledger"].contains("by_endpoint"));
}

TEST_F(E2eModels, ReplicasTakeOverFromAnEndpointThatIsDownOrDiesMidRun)
{
    prism::SimServerOptions down;
    down.faultRates = {{prism::SimFault::Error503, 1.0}};
    prism::SimServerOptions slow;
    slow.latencyMs = 30;
    prism::SimServer broken(simModel, prism::SimLm::modelNames(), down);
    prism::SimServer dying(simModel, prism::SimLm::modelNames(), slow),
        healthy(simModel, prism::SimLm::modelNames(), slow);
    ASSERT_TRUE(broken.start(0).ok());
    ASSERT_TRUE(dying.start(0).ok());
    ASSERT_TRUE(healthy.start(0).ok());
    auto local = run({"eval", kModeration, "--json", "--no-cache", "--quiet"});
    ASSERT_EQ(local.exitCode, 0) << local.err;
    const json expected = answers(parse(local));

    // The first endpoint answers 503 to everything: every call ends on the other.
    const std::string study = moderationOn(broken.baseUrl(), {healthy.baseUrl()});
    auto around = run({"eval", study, "--json", "--no-cache", "--quiet"});
    ASSERT_EQ(around.exitCode, 0) << around.err;
    const json j = parse(around);
    EXPECT_EQ(answers(j), expected);
    EXPECT_GT(broken.stats().faults[prism::SimFault::Error503], 0);
    EXPECT_EQ(healthy.stats().completions, j["total"].get<long long>());
    EXPECT_EQ(j["ledger"]["totals"]["errors"], 0);

    // One endpoint stops in the middle of the run: the other finishes it.
    const long long healthyBefore = healthy.stats().completions;
    const std::string both = moderationOn(dying.baseUrl(), {healthy.baseUrl()});
    RunResult midRun;
    std::thread evaluation([&] { midRun = run({"eval", both, "--json", "--no-cache", "--quiet"}); });
    for (int i = 0; i < 2000 && dying.stats().completions < 3; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    dying.stop();
    evaluation.join();
    ASSERT_EQ(midRun.exitCode, 0) << midRun.err;
    const json m = parse(midRun);
    EXPECT_EQ(answers(m), expected);
    EXPECT_GE(dying.stats().completions, 3);
    EXPECT_GT(healthy.stats().completions - healthyBefore, 0);
    EXPECT_EQ(m["ledger"]["totals"]["errors"], 0);
}
