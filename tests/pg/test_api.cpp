// The team server's REST API (`prism serve --api`) against the test cluster:
// runs submitted over HTTP and run by `prism serve --worker` processes, the
// live event stream with Last-Event-ID, tokens and teams, and bad requests.
#include "cli_process.h"
#include "pg_test_db.h"

#include "core/pg_db.h"
#include "core/study.h"
#include "events/event_codec.h"
#include "run/run_store.h"
#include "server/api_client.h"
#include "server/api_request.h"
#include "server/compare_jobs.h"
#include "server/run_mirror.h"
#include "server/team_store.h"
#include "sim/sim_server.h"
#include "sim/simlm.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <set>

using namespace prism;
using namespace prism::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

long long scalar(const std::string &url, const std::string &sql)
{
    auto db = pg::Connection::open(url);
    if (!db)
        return -1;
    auto rows = db.value()->exec(sql);
    if (!rows || rows->rows.empty())
        return -1;
    return std::atoll(rows->rows[0][0].value_or("0").c_str());
}

// One test's world: a directory, the model behind HTTP (slow enough for a
// run to be caught in the middle), the API server as a process, a token.
class ApiWorld {
public:
    ApiWorld(const std::string &url, const std::string &name, int latencyMs = 15, std::vector<std::string> apiArgs = {})
        : m_url(url), m_dir(fs::temp_directory_path() / ("prism-api-" + name + "-" + std::to_string(::getpid()))),
          m_sim(std::make_shared<SimLm>("sim-small"), "sim-small", simOptions(latencyMs))
    {
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
        m_started = m_sim.start().ok();
        // The model the studies use is the only endpoint besides the providers' own.
        std::vector<std::string> args = {"serve",    "--api",       "--store",           url,
                                         "--listen", "127.0.0.1:0", "--allow-endpoints", m_sim.baseUrl()};
        args.insert(args.end(), apiArgs.begin(), apiArgs.end());
        m_api = spawnPrism(args, m_dir / "api-data", m_dir / "api.log");
        for (int i = 0; i < 400 && m_port == 0; ++i) {
            const std::string log = fileText(m_dir / "api.log");
            const auto at = log.find("listening on http://127.0.0.1:");
            if (at != std::string::npos)
                m_port = std::atoi(log.c_str() + at + 30);
            else
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
    }
    ~ApiWorld()
    {
        if (m_api > 0) {
            ::kill(m_api, SIGTERM);
            waitExit(m_api, std::chrono::seconds(20));
        }
        fs::remove_all(m_dir);
    }
    bool ready() const { return m_started && m_port > 0; }
    int port() const { return m_port; }
    const fs::path &dir() const { return m_dir; }
    std::string apiLog() const { return fileText(m_dir / "api.log"); }
    std::unique_ptr<httplib::Client> client() const
    {
        auto c = std::make_unique<httplib::Client>("127.0.0.1", m_port);
        c->set_read_timeout(60, 0);
        return c;
    }
    std::string token(const std::string &name, const std::string &team) const
    {
        auto teams = TeamStore::open(m_url);
        if (!teams)
            return {};
        auto token = teams.value()->addToken(name, team);
        return token ? token.value() : std::string();
    }

    // The moderation sample with its model behind HTTP; extra model keys merged in.
    json study(const json &modelExtra = json::object()) const
    {
        const fs::path sample = fs::path(PRISM_SAMPLES_DIR) / "moderation";
        json s = json::parse(fileText(sample / "moderation.prism.json"));
        json task = {{"provider", "openai"}, {"model", "sim-small"}, {"base_url", m_sim.baseUrl()}};
        task.update(modelExtra);
        s["models"] = {{"task", task}};
        return s;
    }
    json body(int seed, const json &modelExtra = json::object()) const
    {
        const fs::path sample = fs::path(PRISM_SAMPLES_DIR) / "moderation";
        return {{"study", study(modelExtra)},
                {"files",
                 {{"train.jsonl", fileText(sample / "train.jsonl")}, {"test.jsonl", fileText(sample / "test.jsonl")}}},
                {"settings", {{"seed", seed}, {"auto", "light"}, {"use_cache", false}}}};
    }
    // The same run done locally with the CLI: its artifact text.
    std::string localArtifact(int seed) const
    {
        const fs::path local = m_dir / ("local-" + std::to_string(seed));
        fs::create_directories(local);
        std::ofstream(local / "moderation.prism.json") << study().dump(2);
        fs::copy(fs::path(PRISM_SAMPLES_DIR) / "moderation" / "train.jsonl", local / "train.jsonl");
        fs::copy(fs::path(PRISM_SAMPLES_DIR) / "moderation" / "test.jsonl", local / "test.jsonl");
        auto run = runCli(local, "",
                          "optimize '" + (local / "moderation.prism.json").string()
                              + "' --auto light --no-cache"
                                " --no-compare --quiet --seed "
                              + std::to_string(seed) + " --out '" + (local / "artifact.json").string() + "'");
        return run.exitCode == 0 ? fileText(local / "artifact.json") : "local run failed: " + run.out;
    }

    // `prism compare --json` of the same study on this machine, with the
    // candidate (and baseline) program texts as files; its output, parsed.
    json localCompare(const std::string &name, const std::string &split, const std::string &candidate,
                      const std::string &baseline = "") const
    {
        const fs::path local = m_dir / ("compare-" + name);
        fs::create_directories(local);
        std::ofstream(local / "moderation.prism.json") << study().dump(2);
        fs::copy(fs::path(PRISM_SAMPLES_DIR) / "moderation" / "train.jsonl", local / "train.jsonl");
        fs::copy(fs::path(PRISM_SAMPLES_DIR) / "moderation" / "test.jsonl", local / "test.jsonl");
        std::ofstream(local / "candidate.json") << candidate;
        std::string args = "compare '" + (local / "moderation.prism.json").string() + "' --program '"
                           + (local / "candidate.json").string() + "' --split " + split + " --json --quiet";
        if (!baseline.empty()) {
            std::ofstream(local / "baseline.json") << baseline;
            args += " --baseline '" + (local / "baseline.json").string() + "'";
        }
        auto run = runCli(local, "", args);
        return run.exitCode == 0 ? json::parse(fileText(local / "out.txt"), nullptr, false)
                                 : json("local compare failed: " + run.out);
    }
    // The study's program with another instruction: a program to compare.
    json editedProgram() const
    {
        json program = study()["program"];
        program["predictors"][0]["signature"]["instruction"] =
            "Classify the snippet for moderation. Slurs and threats against a group are high severity hate.";
        return program;
    }

private:
    static SimServerOptions simOptions(int latencyMs)
    {
        SimServerOptions o;
        o.latencyMs = latencyMs;
        return o;
    }
    std::string m_url;
    fs::path m_dir;
    SimServer m_sim;
    bool m_started = false;
    pid_t m_api = -1;
    int m_port = 0;
};

httplib::Headers bearer(const std::string &token)
{
    return {{"Authorization", "Bearer " + token}};
}

// POST with a JSON body; the response (status 0 when the server did not answer).
std::pair<int, json> post(httplib::Client &c, const std::string &path, const std::string &token,
                          const std::string &body)
{
    auto r = c.Post(path.c_str(), bearer(token), body, "application/json");
    if (!r)
        return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
}

std::pair<int, json> get(httplib::Client &c, const std::string &path, const std::string &token)
{
    auto r = c.Get(path.c_str(), bearer(token));
    if (!r)
        return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
}

std::string waitForStatus(httplib::Client &c, const std::string &id, const std::string &token,
                          const std::set<std::string> &statuses, std::chrono::seconds limit)
{
    const auto until = std::chrono::steady_clock::now() + limit;
    std::string status;
    while (std::chrono::steady_clock::now() < until) {
        auto [code, run] = get(c, "/v1/runs/" + id, token);
        if (code == 200)
            status = run.value("status", "");
        if (statuses.count(status))
            return status;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "timeout (last " + status + ")";
}

// SIGKILLs the process (and reaps it) once `ready` holds, checked every 20 ms
// for up to 30 s; false when it never did.
bool killWhen(pid_t pid, const std::function<bool()> &ready)
{
    for (int i = 0; i < 1500; ++i) {
        if (ready()) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

// Billed answers of one request paid more than once, over the run's ledger.
int paidTwice(const json &ledger)
{
    std::map<std::string, int> paid;
    int twice = 0;
    for (const json &call : ledger["calls"])
        if (!call.value("cache_hit", false) && call.value("error", json()).is_null()
            && !call.value("request_key", "").empty())
            if (++paid[call["request_key"].get<std::string>()] == 2)
                ++twice;
    return twice;
}

} // namespace

TEST(ApiRuns, TenRunsSubmittedAtOnceFinishOnTwoWorkersAfterOneIsKilledAndNoCallIsPaidTwice)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "ten");
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string token = world.token("alice", "red");
    ASSERT_FALSE(token.empty());

    // Ten clients at once.
    std::vector<std::string> ids(10);
    std::vector<std::thread> clients;
    for (int seed = 0; seed < 10; ++seed)
        clients.emplace_back([&, seed] {
            auto c = world.client();
            auto [code, created] = post(*c, "/v1/runs", token, world.body(seed).dump());
            if (code == 201)
                ids[static_cast<std::size_t>(seed)] = created["id"].get<std::string>();
        });
    for (auto &t : clients)
        t.join();
    for (const auto &id : ids)
        ASSERT_FALSE(id.empty()) << world.apiLog();
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 10u);
    EXPECT_EQ(scalar(url, "SELECT COUNT(*) FROM run_queue"), 10);

    const pid_t first = spawnWorker(world.dir() / "worker1", url, world.dir() / "worker1.log");
    // The second runs three at a time, sharing its endpoint limits among them.
    const pid_t second = spawnWorker(world.dir() / "worker2", url, world.dir() / "worker2.log", {}, {"--runs", "3"});
    // The first worker dies in the middle of a run it holds.
    const std::string firstOwner = "%:" + std::to_string(first);
    const bool killed = killWhen(first, [&] {
        return scalar(url, "SELECT COUNT(*) FROM run_queue q JOIN events e ON e.run_id = q.run_id WHERE q.worker LIKE '"
                               + firstOwner + "'")
               > 10;
    });
    ASSERT_TRUE(killed) << fileText(world.dir() / "worker1.log");
    ASSERT_EQ(waitExit(second, std::chrono::seconds(600)), 0) << fileText(world.dir() / "worker2.log");

    auto c = world.client();
    for (int seed = 0; seed < 10; ++seed) {
        const std::string &id = ids[static_cast<std::size_t>(seed)];
        SCOPED_TRACE(id);
        auto [code, run] = get(*c, "/v1/runs/" + id, token);
        ASSERT_EQ(code, 200);
        EXPECT_EQ(run["status"], "finished") << run;
        auto artifact = c->Get(("/v1/runs/" + id + "/artifact").c_str(), bearer(token));
        ASSERT_TRUE(artifact && artifact->status == 200);
        EXPECT_EQ(artifact->body, world.localArtifact(seed));
        auto [ledgerCode, ledger] = get(*c, "/v1/runs/" + id + "/ledger", token);
        ASSERT_EQ(ledgerCode, 200);
        EXPECT_GT(ledger["total"]["lm_calls"].get<long long>(), 50);
        EXPECT_EQ(paidTwice(ledger), 0);
    }
    // The killed worker's run was taken over from its journal: one run has two sessions.
    EXPECT_EQ(scalar(url, "SELECT COUNT(*) FROM runs WHERE sessions = 2"), 1);
    EXPECT_EQ(scalar(url, "SELECT COUNT(*) FROM run_queue"), 0);
    // The worker wrote the uploaded files where it could read them, and removed them after.
    EXPECT_FALSE(fs::exists(world.dir() / "worker2" / "server-runs" / ids[0]));
}

namespace {

// Reads the event stream of a run, disconnecting after `take` events (0: to
// the end); appends each event's id and data line to `seen`. Returns true
// when the stream ended with the run.
bool readEvents(httplib::Client &c, const std::string &id, const std::string &token, std::optional<std::uint64_t> from,
                std::size_t take, std::vector<std::pair<std::uint64_t, std::string>> &seen)
{
    httplib::Headers headers = bearer(token);
    if (from)
        headers.emplace("Last-Event-ID", std::to_string(*from));
    std::string buffer;
    std::size_t got = 0;
    bool ended = false;
    std::uint64_t frameId = 0;
    c.Get(("/v1/runs/" + id + "/events").c_str(), headers, [&](const char *data, std::size_t size) {
        buffer.append(data, size);
        std::size_t end;
        while ((end = buffer.find("\n\n")) != std::string::npos) {
            const std::string frame = buffer.substr(0, end);
            buffer.erase(0, end + 2);
            std::istringstream lines(frame);
            std::string line, event, payload;
            frameId = 0;
            while (std::getline(lines, line)) {
                if (line.rfind("id: ", 0) == 0)
                    frameId = std::stoull(line.substr(4));
                else if (line.rfind("event: ", 0) == 0)
                    event = line.substr(7);
                else if (line.rfind("data: ", 0) == 0)
                    payload = line.substr(6);
            }
            if (event == "end") {
                ended = true;
                return false;
            }
            if (frameId == 0)
                continue; // a keep-alive comment
            seen.emplace_back(frameId, payload);
            if (take && ++got == take)
                return false; // the client goes away
        }
        return true;
    });
    return ended;
}

} // namespace

TEST(ApiEvents, AClientThatReconnectsWithLastEventIdReceivesEveryEventOnceInOrder)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "sse", 40);
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string token = world.token("alice", "red");
    auto c = world.client();
    auto [code, created] = post(*c, "/v1/runs", token, world.body(3).dump());
    ASSERT_EQ(code, 201) << created;
    const std::string id = created["id"];
    const pid_t worker = spawnWorker(world.dir() / "worker", url, world.dir() / "worker.log");

    // Connects, takes a few events, drops the connection, comes back with the
    // last id it saw, while the run goes on; then reads to the end.
    std::vector<std::pair<std::uint64_t, std::string>> seen;
    std::optional<std::uint64_t> last;
    bool ended = false;
    for (int round = 0; round < 6 && !ended; ++round) {
        ended = readEvents(*c, id, token, last, round < 5 ? 7 : 0, seen);
        if (!seen.empty())
            last = seen.back().first;
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    ASSERT_TRUE(ended);
    ASSERT_EQ(waitExit(worker, std::chrono::seconds(300)), 0) << fileText(world.dir() / "worker.log");

    // Exactly the store's events: each once, in order, with the same text.
    const std::size_t total =
        static_cast<std::size_t>(scalar(url, "SELECT COUNT(*) FROM events WHERE run_id = '" + id + "'"));
    ASSERT_GT(total, 40u);
    ASSERT_EQ(seen.size(), total);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].first, i + 1);
        EXPECT_EQ(json::parse(seen[i].second)["seq"], i + 1);
    }
    EXPECT_EQ(json::parse(seen.back().second)["type"], "run_finished");
    // A client that comes after the end gets the whole run, then the end.
    std::vector<std::pair<std::uint64_t, std::string>> replay;
    EXPECT_TRUE(readEvents(*c, id, token, std::nullopt, 0, replay));
    EXPECT_EQ(replay, seen);
    // A Last-Event-ID that is not a number is refused, not read as 0.
    auto bad = c->Get(("/v1/runs/" + id + "/events").c_str(),
                      httplib::Headers{{"Authorization", "Bearer " + token}, {"Last-Event-ID", "12abc"}});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
}

TEST(ApiAccess, ATokenSeesOnlyItsTeamsRunsAndNoProviderKeyReachesTheDatabaseLogsOrResponses)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "access", 1);
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string alice = world.token("alice", "red");
    const std::string bob = world.token("bob", "blue");
    ASSERT_FALSE(alice.empty());
    ASSERT_FALSE(bob.empty());
    auto c = world.client();
    std::string responses; // every body the API sent, for the key scan

    // The model's key is the worker's environment variable; the study names it.
    const std::string secret = "sk-prism-test-3f9c2a7d5e1b";
    auto [code, created] =
        post(*c, "/v1/runs", alice, world.body(0, {{"api_key_env", "PRISM_TEST_PROVIDER_KEY"}}).dump());
    ASSERT_EQ(code, 201) << created;
    const std::string id = created["id"];
    const pid_t worker =
        spawnWorker(world.dir() / "worker", url, world.dir() / "worker.log", {"PRISM_TEST_PROVIDER_KEY=" + secret});
    ASSERT_EQ(waitExit(worker, std::chrono::seconds(300)), 0) << fileText(world.dir() / "worker.log");
    ASSERT_EQ(waitForStatus(*c, id, alice, {"finished"}, std::chrono::seconds(30)), "finished");

    const std::string run = "/v1/runs/" + id;
    for (const std::string &path : {run, run + "/trials", run + "/ledger", run + "/artifact", run + "/events"}) {
        SCOPED_TRACE(path);
        auto mine = c->Get(path.c_str(), bearer(alice));
        ASSERT_TRUE(mine);
        EXPECT_EQ(mine->status, 200);
        responses += mine->body;
        // Another team: as if the run did not exist.
        auto theirs = c->Get(path.c_str(), bearer(bob));
        ASSERT_TRUE(theirs);
        EXPECT_EQ(theirs->status, 404);
        EXPECT_EQ(json::parse(theirs->body)["code"], "not_found");
        responses += theirs->body;
        // No token, a token nobody made, a header that is not a bearer token.
        for (const httplib::Headers &headers :
             {httplib::Headers{}, bearer("prism_0000"), httplib::Headers{{"Authorization", "Basic " + alice}}}) {
            auto refused = c->Get(path.c_str(), headers);
            ASSERT_TRUE(refused);
            EXPECT_EQ(refused->status, 401);
            EXPECT_EQ(json::parse(refused->body)["code"], "unauthorized");
        }
    }
    for (const std::string action : {"/cancel", "/resume"}) {
        auto theirs = c->Post((run + action).c_str(), bearer(bob), "", "application/json");
        ASSERT_TRUE(theirs);
        EXPECT_EQ(theirs->status, 404);
        auto unauthenticated = c->Post((run + action).c_str(), "", "application/json");
        ASSERT_TRUE(unauthenticated);
        EXPECT_EQ(unauthenticated->status, 401);
    }
    auto [mineCode, mine] = get(*c, "/v1/runs", alice);
    auto [theirsCode, theirs] = get(*c, "/v1/runs", bob);
    ASSERT_EQ(mineCode, 200);
    ASSERT_EQ(theirsCode, 200);
    EXPECT_EQ(mine["runs"].size(), 1u);
    EXPECT_EQ(theirs["runs"].size(), 0u);
    responses += mine.dump() + theirs.dump();

    // Tokens are kept as hashes; the key is nowhere: not in any table, log or response.
    auto db = pg::Connection::open(url);
    ASSERT_TRUE(db.ok());
    auto tables = db.value()->exec("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    ASSERT_TRUE(tables.ok());
    std::string everything;
    for (const auto &row : tables->rows) {
        auto dump = db.value()->exec("SELECT t::text FROM " + row[0].value_or("") + " t");
        ASSERT_TRUE(dump.ok()) << row[0].value_or("");
        for (const auto &line : dump->rows)
            everything += line[0].value_or("") + "\n";
    }
    EXPECT_NE(everything.find("PRISM_TEST_PROVIDER_KEY"), std::string::npos); // the study names the variable
    EXPECT_GT(everything.size(), 10000u);
    EXPECT_EQ(everything.find(secret), std::string::npos);
    EXPECT_EQ(everything.find(alice), std::string::npos);
    EXPECT_EQ(everything.find(bob.substr(6)), std::string::npos);
    const std::string logs = world.apiLog() + fileText(world.dir() / "worker.log");
    EXPECT_EQ(logs.find(secret), std::string::npos);
    EXPECT_EQ(responses.find(secret), std::string::npos);
    EXPECT_NE(responses.find(id), std::string::npos);
}

TEST(ApiInput, MalformedWrongAndOversizedRequestsGetA4xxWithCodeAndMessage)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "input", 1, {"--max-request-mb", "1"});
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string token = world.token("alice", "red");
    auto c = world.client();
    const json good = world.body(0);
    const auto with = [&](const std::string &pointer, const json &value) {
        json b = good;
        b[json::json_pointer(pointer)] = value;
        return b.dump();
    };
    json noData = good;
    noData["study"].erase("data");
    json unknownOptimizer = good;
    unknownOptimizer["settings"]["optimizer"] = "annealing";
    const std::vector<std::tuple<std::string, int, std::string, std::string>> cases = {
        {"", 400, "invalid_json", "not valid JSON"},
        {"{\"study\": ", 400, "invalid_json", "not valid JSON"},
        {"[1, 2]", 422, "invalid_request", "the request body must be an object"},
        {"{}", 422, "invalid_request", "study"},
        {with("/settings/optimizer", "fastest"), 422, "invalid_request", "settings: optimizer.name is 'fastest'"},
        {with("/study", "moderation.prism.json"), 422, "invalid_request", "study"},
        {noData.dump(), 422, "invalid_study", "data"},
        {with("/study/program/predictors/0/signature/outputs", json::array()), 422, "invalid_study", "output"},
        {with("/files/..~1secret", "x"), 422, "invalid_request", "'..'"},
        {with("/files/%2Fetc~1passwd", "x"), 422, "invalid_request", "letters, digits"},
        {with("/files/train.jsonl", 12), 422, "invalid_request", "files.train.jsonl"},
        {with("/files/train.jsonl", "{\"snippet\": broken\n"), 422, "invalid_request", "files: train.jsonl:1"},
        {with("/files/train.jsonl", std::string("a\0b", 3)), 422, "invalid_request", "NUL"},
        {with("/settings/seed", -1), 422, "invalid_request", "settings.seed"},
        {with("/settings/auto", "extreme"), 422, "invalid_request", "settings.auto"},
        {with("/settings/threads", 0), 422, "invalid_request", "settings.threads"},
        {with("/settings/budget", json{{"calls", 0.5}}), 422, "invalid_request", "settings.budget.calls"},
        {unknownOptimizer.dump(), 422, "invalid_request", "annealing"},
        // Nothing on the server's disk is read, and the workers' keys go only where the server allows.
        {with("/study/data/train/path", "/etc/passwd"), 422, "invalid_request", "not one of the uploaded files"},
        {with("/study/data/test/path", "../moderation/test.jsonl"), 422, "invalid_request", "data.test.path"},
        {with("/study/models/task/base_url", "http://collector.example:9/v1"), 422, "invalid_request",
         "sends the workers' key to http://collector.example:9/v1"},
        {with("/study/models/proposer",
              json{{"provider", "anthropic"}, {"model", "m"}, {"base_url", "http://10.0.0.9/v1"}}),
         422, "invalid_request", "models.proposer"},
        {std::string(2 * 1024 * 1024, ' '), 413, "too_large", "1048576"},
    };
    for (const auto &[body, status, errorCode, says] : cases) {
        SCOPED_TRACE(body.substr(0, 120));
        auto [code, error] = post(*c, "/v1/runs", token, body);
        EXPECT_EQ(code, status) << error;
        EXPECT_EQ(error.value("code", ""), errorCode) << error;
        EXPECT_NE(error.value("message", "").find(says), std::string::npos) << error;
    }
    // A study error in a body written over many lines names the body's line.
    json badSeed = good;
    badSeed["study"]["optimizer"]["seed"] = -5;
    const std::string written = badSeed.dump(2);
    const std::size_t seedAt = written.find("\"seed\": -5");
    ASSERT_NE(seedAt, std::string::npos);
    const auto seedLine = std::count(written.begin(), written.begin() + static_cast<long>(seedAt), '\n') + 1;
    ASSERT_GT(seedLine, 20);
    auto [seedCode, seedError] = post(*c, "/v1/runs", token, written);
    EXPECT_EQ(seedCode, 422) << seedError;
    EXPECT_NE(seedError.value("message", "").find("optimizer.seed (line " + std::to_string(seedLine) + ")"),
              std::string::npos)
        << seedError;
    // Unknown paths and run ids, and a run id that is not one.
    auto [missingCode, missing] = get(*c, "/v1/runs/r-20991231-0001", token);
    EXPECT_EQ(missingCode, 404) << missing;
    EXPECT_EQ(get(*c, "/v1/runs/..%2F..%2Fetc", token).first, 404);
    EXPECT_EQ(get(*c, "/v2/anything", token).first, 404);
    // No run was created by any of them, and the server still answers.
    EXPECT_EQ(scalar(url, "SELECT COUNT(*) FROM runs"), 0);
    // Unknown keys anywhere are accepted and come back as warnings.
    json typos = good;
    typos["prority"] = 2;
    typos["settings"]["colour"] = "blue";
    typos["settings"]["budget"] = {{"dolars", 3}};
    typos["study"]["nmae"] = "x";
    auto [okCode, created] = post(*c, "/v1/runs", token, typos.dump());
    EXPECT_EQ(okCode, 201) << created;
    const std::string warned = created["warnings"].dump();
    for (const char *key : {"prority", "colour", "dolars", "nmae"})
        EXPECT_NE(warned.find(key), std::string::npos) << key << " not in " << warned;
    // Checking studies made the API server open no response cache of its own.
    EXPECT_FALSE(fs::exists(world.dir() / "api-data" / "cache.sqlite"));
}

TEST(ApiRuns, CancelStopsAQueuedOrRunningRunAndResumeFinishesItWithTheSameArtifact)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "cancel", 60);
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string token = world.token("alice", "red");
    auto c = world.client();
    auto [code1, waiting] = post(*c, "/v1/runs", token, world.body(1).dump());
    ASSERT_EQ(code1, 201);
    // No worker yet: a queued run is cancelled at once.
    auto [cancelCode, cancelled] = post(*c, "/v1/runs/" + waiting["id"].get<std::string>() + "/cancel", token, "");
    EXPECT_EQ(cancelCode, 200) << cancelled;
    EXPECT_EQ(cancelled["status"], "cancelled");
    EXPECT_EQ(post(*c, "/v1/runs/" + waiting["id"].get<std::string>() + "/cancel", token, "").first, 409);

    auto [code2, created] = post(*c, "/v1/runs", token, world.body(2).dump());
    ASSERT_EQ(code2, 201);
    const std::string id = created["id"];
    const pid_t worker = spawnWorker(world.dir() / "worker", url, world.dir() / "worker.log");
    // A running run: its worker is asked, and stops it within a second or so.
    for (int i = 0; i < 600 && scalar(url, "SELECT COUNT(*) FROM events WHERE run_id = '" + id + "'") < 10; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto [runningCode, cancelling] = post(*c, "/v1/runs/" + id + "/cancel", token, "");
    EXPECT_EQ(runningCode, 202) << cancelling;
    EXPECT_EQ(cancelling["status"], "cancelling");
    EXPECT_EQ(waitForStatus(*c, id, token, {"cancelled", "finished"}, std::chrono::seconds(30)), "cancelled");
    EXPECT_EQ(post(*c, "/v1/runs/" + id + "/resume", token, "").first, 202);
    EXPECT_EQ(post(*c, "/v1/runs/" + waiting["id"].get<std::string>() + "/resume", token, "").first, 202);
    EXPECT_EQ(waitExit(worker, std::chrono::seconds(300)), 0) << fileText(world.dir() / "worker.log");
    // The worker (--exit-when-idle) may have found the queue empty between
    // the cancel and the resume and left: then the next worker takes the run.
    if (waitForStatus(*c, id, token, {"finished"}, std::chrono::seconds(1)) != "finished") {
        const pid_t next = spawnWorker(world.dir() / "worker2", url, world.dir() / "worker2.log");
        EXPECT_EQ(waitExit(next, std::chrono::seconds(300)), 0) << fileText(world.dir() / "worker2.log");
    }
    EXPECT_EQ(waitForStatus(*c, id, token, {"finished"}, std::chrono::seconds(5)), "finished");
    EXPECT_EQ(post(*c, "/v1/runs/" + id + "/resume", token, "").first, 409);

    // The resumed run replayed its journal: the artifact of an uninterrupted
    // run, and no request paid twice.
    auto artifact = c->Get(("/v1/runs/" + id + "/artifact").c_str(), bearer(token));
    ASSERT_TRUE(artifact);
    EXPECT_EQ(artifact->body, world.localArtifact(2));
    auto [ledgerCode, ledger] = get(*c, "/v1/runs/" + id + "/ledger", token);
    EXPECT_EQ(paidTwice(ledger), 0);
    auto [runCode, run] = get(*c, "/v1/runs/" + id, token);
    EXPECT_EQ(run["sessions"], 2);
}

TEST(ApiMirror, AStudioMirrorOfAServerRunHoldsTheSameEventsTrialsLedgerAndArtifactAsTheServer)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "mirror", 30);
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string token = world.token("alice", "red");

    // The body the studio sends: a study file on this machine, with its data
    // files at an absolute path (uploaded as data/train.jsonl).
    const fs::path local = world.dir() / "mine";
    fs::create_directories(local);
    json study = world.study();
    study["data"]["train"]["path"] = (fs::path(PRISM_SAMPLES_DIR) / "moderation" / "train.jsonl").string();
    std::ofstream(local / "study.prism.json") << study.dump(2);
    fs::copy(fs::path(PRISM_SAMPLES_DIR) / "moderation" / "test.jsonl", local / "test.jsonl");
    auto loaded = loadStudy((local / "study.prism.json").string());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    RunSettings settings;
    settings.seed = 4;
    auto body = createRunRequestBody(loaded.value(), settings);
    ASSERT_TRUE(body.ok()) << body.error().message;
    EXPECT_TRUE(json::parse(body.value())["files"].contains("data/train.jsonl"));

    auto client = ApiClient::connect("http://127.0.0.1:" + std::to_string(world.port()), token);
    ASSERT_TRUE(client.ok()) << client.error().message;
    auto created = client.value()->postJson("/v1/runs", body.value());
    ASSERT_TRUE(created.ok()) << created.error().message;
    const std::string id = created.value()["id"];

    auto mirrorStore = RunStore::open((world.dir() / "mirror.sqlite").string());
    ASSERT_TRUE(mirrorStore.ok());
    RunMirror mirror(client.value(), mirrorStore.value());
    const pid_t worker = spawnWorker(world.dir() / "worker", url, world.dir() / "worker.log");
    // Synced while the run goes on: each event arrives once, in order.
    std::uint64_t lastSeen = 0;
    bool ended = false;
    int syncsWithEvents = 0;
    for (int i = 0; i < 3000 && !ended; ++i) {
        auto changes = mirror.sync();
        ASSERT_TRUE(changes.ok()) << changes.error().message;
        for (const auto &change : changes.value()) {
            ASSERT_EQ(change.runId, id);
            syncsWithEvents += change.events.empty() ? 0 : 1;
            for (const RunEvent &event : change.events)
                EXPECT_EQ(event.seq, ++lastSeen);
            ended = ended || change.ended;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(ended);
    EXPECT_GT(syncsWithEvents, 2); // it was followed live, not copied once at the end
    ASSERT_EQ(waitExit(worker, std::chrono::seconds(60)), 0);
    // A further sync finds nothing new.
    auto again = mirror.sync();
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->empty());

    auto server = RunStore::open(url, StoreAccess::ReadOnly);
    ASSERT_TRUE(server.ok());
    RunStore &a = *server.value();
    RunStore &b = *mirrorStore.value();
    auto eventsA = a.events(id), eventsB = b.events(id);
    ASSERT_TRUE(eventsA.ok() && eventsB.ok());
    ASSERT_EQ(eventsA->size(), eventsB->size());
    for (std::size_t i = 0; i < eventsA->size(); ++i)
        EXPECT_EQ(toJsonLine((*eventsA)[i]), toJsonLine((*eventsB)[i]));
    EXPECT_EQ(a.trials(id).value(), b.trials(id).value());
    EXPECT_EQ(a.artifact(id).value(), b.artifact(id).value());
    EXPECT_FALSE(b.artifact(id).value().empty());
    auto totalsA = a.ledgerTotals(id).value(), totalsB = b.ledgerTotals(id).value();
    EXPECT_EQ(totalsA.total.calls, totalsB.total.calls);
    EXPECT_EQ(totalsA.total.promptTokens, totalsB.total.promptTokens);
    auto runA = a.loadRun(id).value(), runB = b.loadRun(id).value();
    EXPECT_EQ(runB.status, RunStatus::Finished);
    EXPECT_EQ(runB.bestScore, runA.bestScore);
    EXPECT_EQ(runB.baselineScore, runA.baselineScore);
    EXPECT_TRUE(runB.summary.has_value());

    // A token that is not the team's cannot connect.
    auto stranger = ApiClient::connect("http://127.0.0.1:" + std::to_string(world.port()), "prism_nope");
    ASSERT_TRUE(stranger.ok());
    auto refused = stranger.value()->getJson("/v1/runs");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::Auth);
}

TEST(ApiCompare, AJobOnAWorkerGivesWhatPrismCompareGivesForTheSameProgramsAndOnlyToItsTeam)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "compare");
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string red = world.token("alice", "red"), blue = world.token("bob", "blue");
    auto c = world.client();
    auto [code0, first] = post(*c, "/v1/runs", red, world.body(0).dump());
    auto [code1, second] = post(*c, "/v1/runs", red, world.body(1).dump());
    auto [code2, theirs] = post(*c, "/v1/runs", blue, world.body(2).dump());
    ASSERT_TRUE(code0 == 201 && code1 == 201 && code2 == 201) << world.apiLog();
    const std::string a = first["id"], b = second["id"], other = theirs["id"];
    const std::string compares = "/v1/runs/" + a + "/compares";
    // A run without an artifact yet cannot be the candidate.
    auto [early, earlyBody] = post(*c, compares, red, "{}");
    EXPECT_EQ(early, 409) << earlyBody;
    EXPECT_EQ(earlyBody["code"], "no_artifact");
    ASSERT_EQ(
        waitExit(spawnWorker(world.dir() / "worker1", url, world.dir() / "worker1.log"), std::chrono::seconds(300)), 0)
        << fileText(world.dir() / "worker1.log");
    auto artifactA = c->Get(("/v1/runs/" + a + "/artifact").c_str(), bearer(red));
    auto artifactB = c->Get(("/v1/runs/" + b + "/artifact").c_str(), bearer(red));
    ASSERT_TRUE(artifactA && artifactA->status == 200 && artifactB && artifactB->status == 200);

    // The defaults: the study's program against the run's artifact, on test.
    auto defaults = c->Post(compares.c_str(), bearer(red), "", "application/json");
    ASSERT_TRUE(defaults);
    ASSERT_EQ(defaults->status, 202) << defaults->body;
    const std::string job1 = json::parse(defaults->body)["id"];
    EXPECT_EQ(defaults->get_header_value("Location"), "/v1/compares/" + job1);
    // Another run's artifact against a program sent inline, on train.
    const json edited = world.editedProgram();
    auto [queued2, created2] =
        post(*c, compares, red,
             json{{"split", "train"}, {"baseline", {{"run", b}}}, {"candidate", {{"program", edited}}}}.dump());
    ASSERT_EQ(queued2, 202) << created2;
    const std::string job2 = created2["id"];

    // Bad requests make no job; each says what is wrong.
    const std::vector<std::pair<std::string, int>> bad = {
        {R"({"split": "dev"})", 422},
        {R"({"candidate": "best"})", 422},
        {R"({"candidate": {"program": {"predictors": []}}})", 422},
        {R"({"candidate": {"run": "r-20990101-0001"}})", 404},
        {json{{"candidate", {{"run", other}}}}.dump(), 404}, // another team's run
        {"{not json", 400},
    };
    for (const auto &[body, status] : bad) {
        auto [code, error] = post(*c, compares, red, body);
        EXPECT_EQ(code, status) << body << " -> " << error;
        EXPECT_FALSE(error.value("message", "").empty()) << body;
    }
    EXPECT_EQ(post(*c, compares, blue, "{}").first, 404);
    EXPECT_EQ(post(*c, compares, "", "{}").first, 401);
    EXPECT_EQ(scalar(url, "SELECT COUNT(*) FROM compare_jobs"), 2);

    ASSERT_EQ(
        waitExit(spawnWorker(world.dir() / "worker2", url, world.dir() / "worker2.log"), std::chrono::seconds(120)), 0)
        << fileText(world.dir() / "worker2.log");
    auto [got1, done1] = get(*c, "/v1/compares/" + job1, red);
    ASSERT_EQ(got1, 200);
    ASSERT_EQ(done1["status"], "done") << done1;
    EXPECT_EQ(done1["run"], a);
    EXPECT_EQ(done1["split"], "test");
    EXPECT_EQ(done1["baseline"], "baseline");
    EXPECT_EQ(done1["candidate"], "optimized");
    EXPECT_EQ(done1["attempts"], 1);
    EXPECT_EQ(done1["comparison"]["paired"], 15);
    EXPECT_EQ(done1["comparison"], world.localCompare("defaults", "test", artifactA->body));
    const json &calls = done1["calls"];
    EXPECT_GT(calls["lm_calls"].get<long long>(), 0);
    EXPECT_EQ(calls["calls"].get<long long>(),
              calls["lm_calls"].get<long long>() + calls["cache_hits"].get<long long>());
    auto [got2, done2] = get(*c, "/v1/compares/" + job2, red);
    ASSERT_EQ(done2["status"], "done") << done2;
    EXPECT_EQ(done2["baseline"], json({{"run", b}}));
    EXPECT_EQ(done2["comparison"], world.localCompare("inline", "train", edited.dump(), artifactB->body));

    // A job is its team's: another team, or no such job, is 404.
    EXPECT_EQ(get(*c, "/v1/compares/" + job1, blue).first, 404);
    EXPECT_EQ(get(*c, "/v1/compares/c-999999", red).first, 404);
    auto [listed, list] = get(*c, compares, red);
    ASSERT_EQ(listed, 200);
    ASSERT_EQ(list["compares"].size(), 2u);
    EXPECT_EQ(list["compares"][0]["id"], job1);
    EXPECT_EQ(list["compares"][1]["id"], job2);
    EXPECT_FALSE(list["compares"][0].contains("comparison"));
}

TEST(ApiCompare, AJobWhoseWorkerIsKilledIsFinishedByAnotherWithTheCallsItMadeAnsweredFromTheSharedCache)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "compare-kill", 120);
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string token = world.token("alice", "red");
    auto c = world.client();
    json body = world.body(3);
    body["settings"]["use_cache"] = true;
    auto [created, run] = post(*c, "/v1/runs", token, body.dump());
    ASSERT_EQ(created, 201) << run;
    const std::string id = run["id"];
    // The run itself is not needed: the study's program against another.
    ASSERT_EQ(post(*c, "/v1/runs/" + id + "/cancel", token, "").first, 200);
    const json edited = world.editedProgram();
    auto [queued, job] =
        post(*c, "/v1/runs/" + id + "/compares", token, json{{"candidate", {{"program", edited}}}}.dump());
    ASSERT_EQ(queued, 202) << job;

    // Both workers share the response cache in the database.
    const std::vector<std::string> shared = {"PRISM_CACHE=" + url};
    const pid_t first =
        spawnWorker(world.dir() / "worker1", url, world.dir() / "worker1.log", shared, {"--threads", "1"});
    const bool killed = killWhen(first, [&] { return scalar(url, "SELECT COUNT(*) FROM answers") >= 4; });
    ASSERT_TRUE(killed) << fileText(world.dir() / "worker1.log");
    const long long cachedBefore = scalar(url, "SELECT COUNT(*) FROM answers");
    const pid_t second = spawnWorker(world.dir() / "worker2", url, world.dir() / "worker2.log", shared);
    ASSERT_EQ(waitExit(second, std::chrono::seconds(120)), 0) << fileText(world.dir() / "worker2.log");

    auto [got, done] = get(*c, "/v1/compares/" + job["id"].get<std::string>(), token);
    ASSERT_EQ(got, 200);
    ASSERT_EQ(done["status"], "done") << done;
    EXPECT_EQ(done["attempts"], 2);
    // What the killed worker had paid for was not paid again.
    EXPECT_GE(done["calls"]["cache_hits"].get<long long>(), cachedBefore);
    EXPECT_EQ(done["comparison"], world.localCompare("killed", "test", edited.dump()));

    // A worker stopped by SIGTERM (a deploy) hands its job back at once, and
    // the hand-over is not one of the job's attempts.
    json other = edited;
    other["predictors"][0]["signature"]["instruction"] = "Label each snippet for the moderation queue.";
    auto [queued2, job2] =
        post(*c, "/v1/runs/" + id + "/compares", token, json{{"candidate", {{"program", other}}}}.dump());
    ASSERT_EQ(queued2, 202) << job2;
    const std::string path2 = "/v1/compares/" + job2["id"].get<std::string>();
    const long long cachedNow = scalar(url, "SELECT COUNT(*) FROM answers");
    const pid_t third =
        spawnWorker(world.dir() / "worker3", url, world.dir() / "worker3.log", shared, {"--threads", "1"});
    for (int i = 0; i < 1500 && scalar(url, "SELECT COUNT(*) FROM answers") < cachedNow + 3; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ::kill(third, SIGTERM);
    ASSERT_EQ(waitExit(third, std::chrono::seconds(30)), 0) << fileText(world.dir() / "worker3.log");
    auto [handedCode, handed] = get(*c, path2, token);
    EXPECT_EQ(handed["status"], "queued") << handed;
    EXPECT_EQ(handed["attempts"], 0);
    ASSERT_EQ(waitExit(spawnWorker(world.dir() / "worker4", url, world.dir() / "worker4.log", shared),
                       std::chrono::seconds(120)),
              0);
    auto [doneCode2, done2] = get(*c, path2, token);
    ASSERT_EQ(done2["status"], "done") << done2;
    EXPECT_EQ(done2["attempts"], 1);
    EXPECT_EQ(done2["comparison"], world.localCompare("stopped", "test", other.dump()));
}

TEST(ApiCompare, AJobTheWorkerCannotRunFailsWithOneLineSayingWhy)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "compare-fail");
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string token = world.token("alice", "red");
    auto c = world.client();
    // The study names a key variable the worker does not have.
    auto [created, run] =
        post(*c, "/v1/runs", token, world.body(5, {{"api_key_env", "PRISM_TEST_KEY_NOBODY_HAS"}}).dump());
    ASSERT_EQ(created, 201) << run;
    const std::string id = run["id"];
    ASSERT_EQ(post(*c, "/v1/runs/" + id + "/cancel", token, "").first, 200);
    auto [queued, job] = post(*c, "/v1/runs/" + id + "/compares", token,
                              json{{"candidate", {{"program", world.editedProgram()}}}}.dump());
    ASSERT_EQ(queued, 202) << job;
    ASSERT_EQ(waitExit(spawnWorker(world.dir() / "worker", url, world.dir() / "worker.log"), std::chrono::seconds(60)),
              0)
        << fileText(world.dir() / "worker.log");
    auto [got, failed] = get(*c, "/v1/compares/" + job["id"].get<std::string>(), token);
    ASSERT_EQ(got, 200);
    EXPECT_EQ(failed["status"], "failed") << failed;
    EXPECT_NE(failed["error"].get<std::string>().find("PRISM_TEST_KEY_NOBODY_HAS"), std::string::npos) << failed;
    EXPECT_FALSE(failed.contains("comparison"));
    EXPECT_FALSE(failed["finished_at"].is_null());
}

namespace {

// A job for the queue's own tests (nobody evaluates it).
CompareJob queueTestJob()
{
    CompareJob job;
    job.runId = "r-20261205-0001";
    job.team = "red";
    job.split = "test";
    job.baselineSpec = job.candidateSpec = "\"baseline\"";
    job.baselineProgram = job.candidateProgram = "{}";
    return job;
}

} // namespace

TEST(CompareQueue, AJobTakenThreeTimesWithoutAnEndFailsInsteadOfTakingDownAFourthWorker)
{
    PRISM_PG_DB(url);
    auto opened = CompareJobs::open(url);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    CompareJobs &jobs = *opened.value();
    const CompareJob job = queueTestJob();
    auto first = jobs.add(job), second = jobs.add(job);
    ASSERT_TRUE(first.ok() && second.ok());

    // Oldest first; a held job is not taken by another worker.
    auto a = jobs.claim("w1", 30);
    ASSERT_TRUE(a.ok() && a.value());
    EXPECT_EQ(a.value()->id, first.value());
    auto b = jobs.claim("w2", 30);
    ASSERT_TRUE(b.ok() && b.value());
    EXPECT_EQ(b.value()->id, second.value());
    EXPECT_FALSE(jobs.claim("w3", 30).value().has_value());
    EXPECT_FALSE(jobs.renewLease(first.value(), "w2", 30).value()); // not w2's
    EXPECT_TRUE(jobs.finish(second.value(), "w2", "{\"comparison\": {}}", "").value());
    EXPECT_EQ(jobs.pending().value(), 1);

    // The first job's workers die: each lease runs out and the next worker takes it.
    EXPECT_TRUE(jobs.renewLease(first.value(), "w1", 0.05).value());
    EXPECT_EQ(jobs.job(first.value()).value()->status, CompareStatus::Running);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(jobs.job(first.value()).value()->status, CompareStatus::Queued); // waiting for a worker
    for (const char *worker : {"w4", "w5"}) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto again = jobs.claim(worker, 0.05);
        ASSERT_TRUE(again.ok() && again.value()) << worker;
        EXPECT_EQ(again.value()->id, first.value());
    }
    // The worker that lost it writes nothing.
    EXPECT_FALSE(jobs.finish(first.value(), "w1", "{}", "").value());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // Taken three times: a fourth worker gets nothing, and the job says why it failed.
    EXPECT_FALSE(jobs.claim("w6", 30).value().has_value());
    auto failed = jobs.job(first.value());
    ASSERT_TRUE(failed.ok() && failed.value());
    EXPECT_EQ(failed.value()->status, CompareStatus::Failed);
    EXPECT_EQ(failed.value()->claims, 3);
    EXPECT_NE(failed.value()->error.find("stopped 3 times"), std::string::npos) << failed.value()->error;
    EXPECT_EQ(jobs.pending().value(), 0);
    EXPECT_EQ(jobs.job(second.value()).value()->status, CompareStatus::Done);
    EXPECT_EQ(compareJobId(compareJobName(first.value())), first.value());
    EXPECT_FALSE(compareJobId("c-").has_value());
    EXPECT_FALSE(compareJobId("r-1").has_value());
}

TEST(ApiEvents, ABrowserWithATicketFollowsOneRunsEventsWithoutItsToken)
{
    PRISM_PG_DB(url);
    ApiWorld world(url, "ticket");
    ASSERT_TRUE(world.ready()) << world.apiLog();
    const std::string red = world.token("alice", "red"), blue = world.token("bob", "blue");
    auto c = world.client();
    auto [codeA, runA] = post(*c, "/v1/runs", red, world.body(0).dump());
    auto [codeB, runB] = post(*c, "/v1/runs", red, world.body(1).dump());
    ASSERT_TRUE(codeA == 201 && codeB == 201);
    const std::string a = runA["id"], b = runB["id"];
    ASSERT_EQ(waitExit(spawnWorker(world.dir() / "worker", url, world.dir() / "worker.log"), std::chrono::seconds(300)),
              0);

    auto [made, ticket] = post(*c, "/v1/runs/" + a + "/events/ticket", red, "");
    ASSERT_EQ(made, 201) << ticket;
    const std::string eventsUrl = ticket["events_url"];
    EXPECT_EQ(eventsUrl, "/v1/runs/" + a + "/events?ticket=" + ticket["ticket"].get<std::string>());
    // No Authorization header, as an EventSource sends it: every event, then the end.
    const auto stream = [](httplib::Client &client, const std::string &path) {
        auto r = client.Get(path.c_str(), httplib::Headers{{"Accept", "text/event-stream"}});
        return r ? std::make_pair(r->status, r->body) : std::make_pair(0, std::string());
    };
    auto [status, body] = stream(*c, eventsUrl);
    ASSERT_EQ(status, 200) << body;
    auto store = RunStore::open(url, StoreAccess::ReadOnly);
    ASSERT_TRUE(store.ok());
    const auto events = store.value()->events(a).value();
    std::size_t frames = 0;
    for (std::size_t at = body.find("\nid: "); at != std::string::npos; at = body.find("\nid: ", at + 1))
        ++frames;
    frames += body.rfind("id: ", 0) == 0 ? 1 : 0;
    EXPECT_EQ(frames, events.size());
    EXPECT_NE(body.find("event: end"), std::string::npos);
    // Another API server of the same database accepts it (one shared secret).
    ApiWorld second(url, "ticket-2");
    ASSERT_TRUE(second.ready()) << second.apiLog();
    EXPECT_EQ(stream(*second.client(), eventsUrl).first, 200);

    // It opens that run's events and nothing else.
    const std::string t = ticket["ticket"];
    std::string tampered = t;
    tampered.back() = tampered.back() == '0' ? '1' : '0';
    EXPECT_EQ(stream(*c, "/v1/runs/" + b + "/events?ticket=" + t).first, 401);
    EXPECT_EQ(stream(*c, "/v1/runs/" + a + "/events?ticket=" + tampered).first, 401);
    EXPECT_EQ(stream(*c, "/v1/runs/" + a + "/events?ticket=9" + t).first, 401); // a later expiry, same signature
    EXPECT_EQ(stream(*c, "/v1/runs/" + a + "?ticket=" + t).first, 401);
    EXPECT_EQ(stream(*c, "/v1/runs/" + a + "/artifact?ticket=" + t).first, 401);
    // Only the run's team gets one; a short one expires.
    EXPECT_EQ(post(*c, "/v1/runs/" + a + "/events/ticket", blue, "").first, 404);
    EXPECT_EQ(post(*c, "/v1/runs/" + a + "/events/ticket", "", "").first, 401);
    EXPECT_EQ(post(*c, "/v1/runs/" + a + "/events/ticket?ttl_seconds=0", red, "").first, 422);
    auto [shortMade, shortTicket] = post(*c, "/v1/runs/" + a + "/events/ticket?ttl_seconds=1", red, "");
    ASSERT_EQ(shortMade, 201);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    auto expired = c->Get(shortTicket["events_url"].get<std::string>().c_str());
    ASSERT_TRUE(expired);
    EXPECT_EQ(expired->status, 401);
    EXPECT_EQ(expired->get_header_value("WWW-Authenticate"), "Bearer");
    EXPECT_NE(expired->body.find("expired"), std::string::npos) << expired->body;
}

TEST(CompareQueue, AStoppingWorkerHandsAJobOnFreelyAndPassingProblemsAreTriedThreeTimes)
{
    PRISM_PG_DB(url);
    auto opened = CompareJobs::open(url);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    CompareJobs &jobs = *opened.value();
    const CompareJob job = queueTestJob();
    auto id = jobs.add(job);
    ASSERT_TRUE(id.ok());

    // Rolling restarts: each worker stops and hands the job on; none of it counts.
    for (const char *worker : {"w1", "w2", "w3", "w4"}) {
        auto taken = jobs.claim(worker, 30);
        ASSERT_TRUE(taken.ok() && taken.value()) << worker;
        ASSERT_TRUE(jobs.release(id.value(), worker).ok());
    }
    EXPECT_EQ(jobs.job(id.value()).value()->claims, 0);
    EXPECT_EQ(jobs.job(id.value()).value()->status, CompareStatus::Queued);

    // An endpoint that does not answer: three tries, then the job fails saying so.
    for (const char *worker : {"w5", "w6", "w7"}) {
        auto taken = jobs.claim(worker, 30);
        ASSERT_TRUE(taken.ok() && taken.value()) << worker;
        ASSERT_TRUE(
            jobs.release(id.value(), worker, std::string("http://model:9/v1: connection refused (") + worker + ")")
                .ok());
    }
    EXPECT_FALSE(jobs.claim("w8", 30).value().has_value());
    auto failed = jobs.job(id.value()).value();
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->status, CompareStatus::Failed);
    EXPECT_EQ(failed->error, "tried 3 times; the last time: http://model:9/v1: connection refused (w7)");
    EXPECT_FALSE(failed->finishedAt.empty());
}
