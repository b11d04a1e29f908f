// PostgreSQL: the connection helper, migrations, and the response cache that a
// team's machines share (two workers never pay twice for one call).
#include "../support/closed_port.h"

#include "cli_process.h"
#include "pg_test_db.h"

#include "../sched/fake_lm.h"

#include "core/pg_db.h"
#include "lm/managed_lm.h"
#include "lm/response_cache.h"
#include "run/run_store.h"
#include "sim/sim_server.h"
#include "sim/simlm.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace prism;
using namespace prism::test;
namespace fs = std::filesystem;

namespace {

using prism::testsupport::closedPort;

long long scalar(pg::Connection &db, const std::string &sql)
{
    auto rows = db.exec(sql);
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    return rows.ok() ? std::atoll(rows->rows.at(0).at(0).value_or("0").c_str()) : -1;
}

ChatResponse answer(const std::string &text)
{
    ChatResponse r;
    r.choices = {text};
    r.usage.promptTokens = 12;
    r.usage.completionTokens = 3;
    r.model = "m";
    return r;
}

} // namespace

TEST(PgUrl, PasswordsNeverShow)
{
    EXPECT_EQ(pg::displayUrl("postgresql://bob:s3cret@db.example:5432/prism"),
              "postgresql://bob:***@db.example:5432/prism");
    EXPECT_EQ(pg::displayUrl("postgres://db/prism?password=s3cret&sslmode=require"),
              "postgres://db/prism?password=***&sslmode=require");
    EXPECT_EQ(pg::displayUrl("postgresql://bob@db/prism"), "postgresql://bob@db/prism");
    EXPECT_TRUE(pg::isUrl("postgresql://x/y"));
    EXPECT_TRUE(pg::isUrl("postgres://x/y"));
    EXPECT_FALSE(pg::isUrl("/home/me/cache.sqlite"));
}

TEST(PgUrl, AnUnreachableDatabaseIsOneLineThatNamesItButNotThePassword)
{
    const std::string url = "postgresql://bob:pw-9f3k2@127.0.0.1:" + std::to_string(closedPort()) + "/prism";
    auto db = pg::Connection::open(url);
    ASSERT_FALSE(db.ok());
    const std::string &message = db.error().message;
    EXPECT_EQ(db.error().kind, ErrorKind::Io);
    EXPECT_EQ(message.rfind("postgresql://bob:***@127.0.0.1:", 0), 0u) << message;
    EXPECT_NE(message.find("cannot connect to PostgreSQL"), std::string::npos) << message;
    EXPECT_EQ(message.find("pw-9f3k2"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;

    auto cache = ResponseCache::open(url);
    ASSERT_FALSE(cache.ok());
    EXPECT_EQ(cache.error().message.find("pw-9f3k2"), std::string::npos) << cache.error().message;
}

TEST(PgMigrations, EachStepIsAppliedOnceWhenProcessesStartTogether)
{
    PRISM_PG_DB(url);
    const std::vector<std::string> steps = {"CREATE TABLE notes (id BIGINT PRIMARY KEY)",
                                            "ALTER TABLE notes ADD COLUMN text TEXT NOT NULL DEFAULT ''"};
    std::atomic<int> applied{0}, failures{0};
    std::vector<std::thread> workers;
    for (int i = 0; i < 4; ++i)
        workers.emplace_back([&] {
            auto db = pg::Connection::open(url);
            if (!db) {
                ++failures;
                return;
            }
            auto n = pg::migrate(*db.value(), "notes", steps);
            if (n)
                applied += n.value();
            else
                ++failures;
        });
    for (auto &w : workers)
        w.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(applied.load(), 2);
    auto db = pg::Connection::open(url);
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_EQ(scalar(*db.value(), "SELECT count(*) FROM prism_migrations WHERE component = 'notes'"), 2);
    EXPECT_TRUE(db.value()->exec("INSERT INTO notes (id, text) VALUES (1, 'x')").ok());

    // Opened again: nothing to do.
    auto again = pg::migrate(*db.value(), "notes", steps);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again.value(), 0);
    // A later Prism added a step: only that one runs.
    auto later = pg::migrate(*db.value(), "notes", {steps[0], steps[1], "CREATE INDEX notes_text ON notes (text)"});
    ASSERT_TRUE(later.ok()) << later.error().message;
    EXPECT_EQ(later.value(), 1);
    // An older Prism meets the newer tables: refused, with the reason.
    auto older = pg::migrate(*db.value(), "notes", {steps[0]});
    ASSERT_FALSE(older.ok());
    EXPECT_NE(older.error().message.find("notes tables are at version 3, newer than this Prism knows (1)"),
              std::string::npos)
        << older.error().message;
    // A failing step leaves nothing half-done and names itself.
    auto broken = pg::migrate(*db.value(), "broken", {"CREATE TABLE b (x INT)", "ALTER TABLE nowhere ADD y INT"});
    ASSERT_FALSE(broken.ok());
    EXPECT_NE(broken.error().message.find("cannot bring the broken tables to version 2"), std::string::npos)
        << broken.error().message;
    EXPECT_EQ(scalar(*db.value(), "SELECT count(*) FROM prism_migrations WHERE component = 'broken'"), 1);
}

TEST(PgCache, AnswersAreSharedByEveryMachineThatOpensTheDatabase)
{
    PRISM_PG_DB(url);
    auto a = ResponseCache::open(url);
    auto b = ResponseCache::open(url);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(a.value()->path(), url);

    auto missing = b.value()->get("k1");
    ASSERT_TRUE(missing.ok()) << missing.error().message;
    EXPECT_FALSE(missing.value().has_value());
    ASSERT_TRUE(a.value()->put("k1", answer("one")).ok());
    ASSERT_TRUE(a.value()->put("k2", answer("two")).ok());
    // Held by A until its batch is written; then B sees them.
    ASSERT_TRUE(a.value()->flush().ok());
    auto hit = b.value()->get("k1");
    ASSERT_TRUE(hit.ok()) << hit.error().message;
    ASSERT_TRUE(hit.value().has_value());
    EXPECT_EQ(hit.value()->text(), "one");
    EXPECT_EQ(hit.value()->usage.promptTokens, 12);
    EXPECT_EQ(b.value()->hits(), 1);
    EXPECT_EQ(b.value()->misses(), 1);

    // A newer answer for a key replaces the old one.
    ASSERT_TRUE(b.value()->put("k1", answer("one, again")).ok());
    ASSERT_TRUE(b.value()->flush().ok());
    EXPECT_EQ(a.value()->get("k1").value()->text(), "one, again");

    auto count = a.value()->entryCount();
    ASSERT_TRUE(count.ok()) << count.error().message;
    EXPECT_EQ(count.value(), 2);
    auto bytes = a.value()->sizeBytes();
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    EXPECT_GT(bytes.value(), 0);
    ASSERT_TRUE(b.value()->clear().ok());
    EXPECT_EQ(a.value()->entryCount().value(), 0);
    EXPECT_FALSE(a.value()->get("k2").value().has_value());
}

TEST(PgCache, TwoWorkersPayOnceForTheSameCall)
{
    PRISM_PG_DB(url);
    auto worker = [&](std::shared_ptr<FakeLm> model) {
        CallServices services = CallServices::makeBasic();
        auto cache = ResponseCache::open(url, ResponseCacheOptions{1, std::chrono::milliseconds(1000)});
        EXPECT_TRUE(cache.ok()) << cache.error().message;
        services.cache = cache.value();
        return std::make_shared<ManagedLm>(model, services, LmIdentity{"openai", "http://model", "m"});
    };
    auto first = std::make_shared<FakeLm>(), second = std::make_shared<FakeLm>();
    auto one = worker(first), two = worker(second);
    auto paid = one->complete(makeRequest("the same question"));
    ASSERT_TRUE(paid.ok()) << paid.error().describe();
    EXPECT_FALSE(paid->cacheHit);
    auto free = two->complete(makeRequest("the same question"));
    ASSERT_TRUE(free.ok()) << free.error().describe();
    EXPECT_TRUE(free->cacheHit);
    EXPECT_EQ(free->text(), paid->text());
    EXPECT_EQ(first->calls.load(), 1);
    EXPECT_EQ(second->calls.load(), 0);
    EXPECT_EQ(two->services().ledger->totals().cacheHits, 1);
}

TEST(PgCache, ALostConnectionIsOpenedAgain)
{
    PRISM_PG_DB(url);
    auto cache = ResponseCache::open(url, ResponseCacheOptions{1, std::chrono::milliseconds(1000)});
    ASSERT_TRUE(cache.ok()) << cache.error().message;
    ASSERT_TRUE(cache.value()->put("before", answer("kept")).ok());
    // The server drops every other connection to the database (a restart, a failover).
    auto admin = pg::Connection::open(url);
    ASSERT_TRUE(admin.ok());
    ASSERT_TRUE(admin.value()
                    ->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                           " WHERE datname = current_database() AND pid <> pg_backend_pid()")
                    .ok());
    auto after = cache.value()->get("before");
    ASSERT_TRUE(after.ok()) << after.error().message;
    ASSERT_TRUE(after.value().has_value());
    EXPECT_EQ(after.value()->text(), "kept");
    EXPECT_TRUE(cache.value()->put("after", answer("also kept")).ok());
    EXPECT_EQ(cache.value()->entryCount().value(), 2);
}

TEST(PgCache, TheCliUsesTheDatabaseNamedInPrismCache)
{
    PRISM_PG_DB(url);
    const fs::path dir = fs::temp_directory_path() / ("prism-pg-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto run = [&](const std::string &args) {
        const std::string out = (dir / "out.txt").string();
        const std::string cmd = "PRISM_DATA_DIR='" + (dir / "data").string() + "' PRISM_CACHE='" + url + "' '"
                                + PRISM_CLI_BINARY + "' " + args + " >'" + out + "' 2>&1 </dev/null";
        const int status = std::system(cmd.c_str());
        std::ifstream in(out);
        std::stringstream text;
        text << in.rdbuf();
        return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str());
    };
    const std::string study = std::string(PRISM_SAMPLES_DIR) + "/moderation/moderation.prism.json";
    auto first = run("eval '" + study + "' --json --quiet");
    ASSERT_EQ(first.first, 0) << first.second;
    const auto j1 = nlohmann::json::parse(first.second);
    const long long examples = j1["total"].get<long long>();
    EXPECT_EQ(j1["cache"]["misses"], examples);

    // Another machine (another data folder) with the same PRISM_CACHE: all hits.
    fs::remove_all(dir / "data");
    auto second = run("eval '" + study + "' --json --quiet");
    ASSERT_EQ(second.first, 0) << second.second;
    const auto j2 = nlohmann::json::parse(second.second);
    EXPECT_EQ(j2["cache"]["hits"], examples);
    EXPECT_EQ(j2["ledger"]["totals"]["lm_calls"], 0);
    EXPECT_EQ(j2["results"], j1["results"]);

    auto shown = run("cache --json");
    ASSERT_EQ(shown.first, 0) << shown.second;
    const auto j3 = nlohmann::json::parse(shown.second);
    EXPECT_EQ(j3["path"], url);
    EXPECT_EQ(j3["entries"], examples);
    fs::remove_all(dir);
}

TEST(PgRunStore, ARunKeptInTheDatabaseIsTheSameRunAsInAFile)
{
    PRISM_PG_DB(url);
    const fs::path dir = fs::temp_directory_path() / ("prism-pg-runs-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string study = std::string(PRISM_SAMPLES_DIR) + "/moderation/moderation.prism.json";
    const std::string optimize = "optimize '" + study + "' --auto light --no-cache --quiet --no-compare";

    auto local = runCli(dir, "", optimize + " --out '" + (dir / "local.json").string() + "'");
    ASSERT_EQ(local.exitCode, 0) << local.out;
    auto shared =
        runCli(dir, "PRISM_STORE='" + url + "'", optimize + " --out '" + (dir / "shared.json").string() + "'");
    ASSERT_EQ(shared.exitCode, 0) << shared.out;
    EXPECT_EQ(fileText(dir / "shared.json"), fileText(dir / "local.json"));

    // Another machine (its own data folder) sees the run, its trials and its artifact.
    fs::remove_all(dir / "data");
    auto listed = runCli(dir, "", "runs --json --store '" + url + "'");
    ASSERT_EQ(listed.exitCode, 0) << listed.out;
    const auto runs = nlohmann::json::parse(listed.out);
    ASSERT_EQ(runs.size(), 1u) << runs;
    const std::string id = runs[0]["id"].get<std::string>();
    EXPECT_EQ(runs[0]["status"], "finished") << runs;
    EXPECT_EQ(runs[0]["stop_reason"], "completed") << runs;
    auto exported =
        runCli(dir, "", "export " + id + " --store '" + url + "' --out '" + (dir / "export.json").string() + "'");
    ASSERT_EQ(exported.exitCode, 0) << exported.out;
    EXPECT_EQ(fileText(dir / "export.json"), fileText(dir / "local.json"));

    // The database's run has every event a file's run has, in the same order.
    auto dbStore = RunStore::open(url, StoreAccess::ReadOnly);
    ASSERT_TRUE(dbStore.ok()) << dbStore.error().message;
    auto events = dbStore.value()->events(id);
    ASSERT_TRUE(events.ok()) << events.error().message;
    EXPECT_GT(events->size(), 20u);
    EXPECT_TRUE(events->front().as<RunStartedEvent>() != nullptr);
    EXPECT_TRUE(events->back().as<RunFinishedEvent>() != nullptr);
    auto trials = dbStore.value()->trials(id);
    ASSERT_TRUE(trials.ok());
    EXPECT_FALSE(trials->empty());
    auto totals = dbStore.value()->ledgerTotals(id);
    ASSERT_TRUE(totals.ok()) << totals.error().message;
    EXPECT_GT(totals->total.calls, 0);
    // A read-only connection cannot write.
    EXPECT_FALSE(dbStore.value()->createRun(NewRun{}).ok());

    // A run another machine is running (as far as the store says) is not
    // resumed from here: both would pay for its calls.
    auto admin = pg::Connection::open(url);
    ASSERT_TRUE(admin.ok());
    ASSERT_TRUE(admin.value()
                    ->exec("UPDATE runs SET status = 'running', owner = 'elsewhere.example:4242' WHERE id = $1", {id})
                    .ok());
    auto resumed = runCli(dir, "", "resume " + id + " --store '" + url + "' --quiet");
    EXPECT_NE(resumed.exitCode, 0) << resumed.out;
    EXPECT_NE(resumed.out.find("is running on another machine (elsewhere.example:4242)"), std::string::npos)
        << resumed.out;
    fs::remove_all(dir);
}

TEST(PgQueue, TwoWorkersFinishEveryQueuedRunAfterOneIsKilledAndNoCallIsPaidTwice)
{
    PRISM_PG_DB(url);
    const fs::path dir = fs::temp_directory_path() / ("prism-pg-queue-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "moderation");
    // The model behind HTTP with a latency, so a run lasts long enough to be killed in the middle.
    SimServerOptions slow;
    slow.latencyMs = 15;
    SimServer server(std::make_shared<SimLm>("sim-small"), "sim-small", slow);
    ASSERT_TRUE(server.start().ok());
    fs::copy(fs::path(PRISM_SAMPLES_DIR) / "moderation", dir / "moderation", fs::copy_options::recursive);
    auto study = nlohmann::json::parse(fileText(dir / "moderation" / "moderation.prism.json"));
    study["models"] = {{"task", {{"provider", "openai"}, {"model", "sim-small"}, {"base_url", server.baseUrl()}}}};
    const fs::path studyPath = dir / "moderation" / "moderation.prism.json";
    std::ofstream(studyPath) << study.dump(2);
    const std::string optimize = "optimize '" + studyPath.string() + "' --auto light --no-cache --no-compare --quiet";

    const std::vector<int> seeds = {0, 1, 2};
    std::vector<std::string> ids;
    for (int seed : seeds) {
        auto local = runCli(dir, "",
                            optimize + " --seed " + std::to_string(seed) + " --out '"
                                + (dir / ("local-" + std::to_string(seed) + ".json")).string() + "'");
        ASSERT_EQ(local.exitCode, 0) << local.out;
        auto queued =
            runCli(dir, "", optimize + " --seed " + std::to_string(seed) + " --queue --json --store '" + url + "'");
        ASSERT_EQ(queued.exitCode, 0) << queued.out;
        ids.push_back(nlohmann::json::parse(queued.out)["id"].get<std::string>());
    }
    auto admin = pg::Connection::open(url);
    ASSERT_TRUE(admin.ok()) << admin.error().message;
    EXPECT_EQ(scalar(*admin.value(), "SELECT COUNT(*) FROM runs WHERE status = 'queued'"), 3);
    // A queued run is the workers': not resumed by hand, and a file store has no queue.
    auto byHand = runCli(dir, "", "resume " + ids[0] + " --store '" + url + "' --quiet");
    EXPECT_NE(byHand.exitCode, 0);
    EXPECT_NE(byHand.out.find("is queued for the workers of its store"), std::string::npos) << byHand.out;
    auto noQueue = runCli(dir, "", optimize + " --queue");
    EXPECT_EQ(noQueue.exitCode, 3);
    EXPECT_NE(noQueue.out.find("a run queue needs a PostgreSQL store"), std::string::npos) << noQueue.out;

    const pid_t first = spawnWorker(dir / "worker1", url, dir / "worker1.log");
    const pid_t second = spawnWorker(dir / "worker2", url, dir / "worker2.log");
    // The first worker is killed in the middle of a run it holds.
    const std::string firstOwner = "%:" + std::to_string(first);
    bool killed = false;
    for (int i = 0; i < 1200 && !killed; ++i) {
        auto rows = admin.value()->exec("SELECT COUNT(*) FROM run_queue q JOIN events e ON e.run_id = q.run_id"
                                        " WHERE q.worker LIKE $1",
                                        {firstOwner});
        if (rows && std::atoll(rows->rows[0][0].value_or("0").c_str()) > 10) {
            ::kill(first, SIGKILL);
            killed = true;
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
    }
    ASSERT_TRUE(killed) << fileText(dir / "worker1.log");
    ::waitpid(first, nullptr, 0);
    ASSERT_EQ(waitExit(second, std::chrono::seconds(300)), 0) << fileText(dir / "worker2.log");

    // Every run finished, with the artifact of the same run done locally.
    for (std::size_t i = 0; i < ids.size(); ++i) {
        SCOPED_TRACE(ids[i]);
        auto exported = runCli(dir, "",
                               "export " + ids[i] + " --store '" + url + "' --out '"
                                   + (dir / ("queued-" + std::to_string(i) + ".json")).string() + "'");
        ASSERT_EQ(exported.exitCode, 0) << exported.out;
        EXPECT_EQ(fileText(dir / ("queued-" + std::to_string(i) + ".json")),
                  fileText(dir / ("local-" + std::to_string(seeds[i]) + ".json")));
    }
    EXPECT_EQ(scalar(*admin.value(), "SELECT COUNT(*) FROM runs WHERE status = 'finished'"), 3);
    EXPECT_EQ(scalar(*admin.value(), "SELECT COUNT(*) FROM run_queue"), 0);
    // The killed worker's run was taken over and resumed: a second session.
    EXPECT_EQ(scalar(*admin.value(), "SELECT COUNT(*) FROM runs WHERE sessions = 2"), 1);
    EXPECT_EQ(scalar(*admin.value(), "SELECT COUNT(*) FROM runs WHERE sessions = 1"), 2);
    // The journal pays each request of a run once, across both workers.
    EXPECT_EQ(scalar(*admin.value(), "SELECT COUNT(*) FROM (SELECT run_id, request_key FROM ledger"
                                     " WHERE cache_hit = 0 AND error_kind IS NULL AND request_key <> ''"
                                     " GROUP BY run_id, request_key HAVING COUNT(*) > 1) twice"),
              0);
    EXPECT_GT(scalar(*admin.value(), "SELECT COUNT(*) FROM ledger WHERE cache_hit = 0"), 100);
    fs::remove_all(dir);
}
