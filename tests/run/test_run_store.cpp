// The run store: what the studio's history, the CLI and resume rely on.
#include "../pg/pg_test_db.h"

#include "core/json.h"
#include "run/run_store.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace prism;

namespace {

class RunStoreTest : public ::testing::Test {
protected:
    fs::path dir;
    std::string path;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-runstore-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        path = (dir / "runs.sqlite").string();
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::permissions(dir, fs::perms::owner_all, ec);
        fs::remove_all(dir, ec);
    }

    static NewRun newRun(std::uint64_t seed = 7)
    {
        NewRun r;
        r.studyName = "math";
        r.studyPath = "samples/math/math.prism.json";
        r.studyJson = "{\"prism_study\": 1}";
        r.optimizer = "miprov2";
        r.optimizerConfigJson = "{\"name\":\"miprov2\"}";
        r.optionsJson = "{\"threads\":4}";
        r.seed = seed;
        return r;
    }

    static RunEvent event(std::uint64_t seq, EventPayload payload)
    {
        RunEvent e;
        e.seq = seq;
        e.payload = std::move(payload);
        e.elapsedSeconds = 0.5 * static_cast<double>(seq);
        return e;
    }

    static TrialFinishedEvent trialPayload(int trial, const std::string &key, std::optional<double> score)
    {
        TrialFinishedEvent p;
        p.trial = trial;
        p.kind = "minibatch";
        p.config = {{"solve", trial, 0}};
        p.configKey = key;
        p.score = score;
        p.scored = 2;
        p.errors = 1;
        p.examples = 3;
        p.newCalls = 3;
        p.memoHits = 0;
        p.results = {{0, 1.0}, {4, 0.0}, {9, std::nullopt}};
        return p;
    }

    static RunFinishedEvent summaryWithTrials(int trials)
    {
        RunFinishedEvent e;
        e.stopReason = StopReason::completed();
        e.trials = trials;
        return e;
    }

    static RunStartedEvent started(const std::string &runId)
    {
        RunStartedEvent e;
        e.runId = runId;
        return e;
    }
};

// The tests that hold for every store: a SQLite file, and a PostgreSQL
// database on the throwaway test cluster (tests/pg.cmake).
class RunStoreOnBoth : public RunStoreTest, public ::testing::WithParamInterface<std::string> {
protected:
    std::unique_ptr<test::PgTestDb> database;

    void SetUp() override
    {
        RunStoreTest::SetUp();
        if (GetParam() != "postgres")
            return;
        database = std::make_unique<test::PgTestDb>();
        if (database->url().empty()) {
            if (const char *required = std::getenv("PRISM_REQUIRE_POSTGRES"); required && std::string(required) == "1")
                FAIL() << "no PostgreSQL test cluster (tests/support/pg_cluster.sh)";
            GTEST_SKIP() << "no PostgreSQL test cluster";
        }
        path = database->url();
    }
};

INSTANTIATE_TEST_SUITE_P(Store, RunStoreOnBoth, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string> &info) { return info.param; });

TEST_P(RunStoreOnBoth, EventsSurviveReopenInOrderWithDerivedTables)
{
    std::string id;
    {
        auto store = RunStore::open(path);
        ASSERT_TRUE(store) << store.error().message;
        auto created = store.value()->createRun(newRun());
        ASSERT_TRUE(created) << created.error().message;
        id = created.value();
        EXPECT_EQ(id.rfind("r-", 0), 0u);

        const std::vector<RunEvent> events = {
            event(1, started(id)),
            event(2, PhaseStartedEvent{"bootstrap", std::nullopt}),
            event(3, DemoSetReadyEvent{"solve", 1, "bootstrapped", {Demo{Fields{{"q", Value("1+1")}}, false}}}),
            event(4, SummaryReadyEvent{"dataset", std::nullopt, "Word problems."}),
            event(5, InstructionProposedEvent{"solve", 1, "Think step by step.", "simple"}),
            event(6, trialPayload(1, "i1d0", 50.0)),
            event(7, trialPayload(2, "i0d1", std::nullopt)),
        };
        for (const auto &e : events)
            ASSERT_TRUE(store.value()->appendEvent(id, e));
    }
    // A new connection, as a new process would open it.
    auto store = RunStore::open(path);
    ASSERT_TRUE(store) << store.error().message;
    auto events = store.value()->events(id);
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), 7u);
    for (std::size_t i = 0; i < events->size(); ++i)
        EXPECT_EQ((*events)[i].seq, i + 1);
    EXPECT_EQ((*events)[2].type(), EventType::DemoSetReady);
    EXPECT_DOUBLE_EQ((*events)[2].elapsedSeconds, 1.5);
    auto later = store.value()->events(id, 5);
    ASSERT_TRUE(later);
    ASSERT_EQ(later->size(), 2u);
    EXPECT_EQ(later->front().seq, 6u);

    auto trials = store.value()->trials(id);
    ASSERT_TRUE(trials);
    ASSERT_EQ(trials->size(), 2u);
    EXPECT_EQ((*trials)[0].trial, 1);
    EXPECT_EQ((*trials)[0].configKey, "i1d0");
    EXPECT_EQ((*trials)[0].score, 50.0);
    EXPECT_EQ((*trials)[0].scored, 2);
    EXPECT_EQ((*trials)[0].errors, 1);
    EXPECT_EQ((*trials)[0].configJson, "{\"solve\":{\"instruction\":1,\"demos\":0}}");
    EXPECT_FALSE((*trials)[1].score.has_value());

    auto results = store.value()->exampleResults(id, "i1d0");
    ASSERT_TRUE(results);
    ASSERT_EQ(results->size(), 3u);
    EXPECT_EQ((*results)[1].exampleIndex, 4);
    EXPECT_EQ((*results)[1].score, 0.0);
    EXPECT_FALSE((*results)[2].score.has_value()); // an errored example has no score, not 0

    auto candidates = store.value()->candidates(id);
    ASSERT_TRUE(candidates);
    ASSERT_EQ(candidates->size(), 1u);
    EXPECT_EQ((*candidates)[0].text, "Think step by step.");
    EXPECT_EQ((*candidates)[0].tip, "simple");
    auto demos = store.value()->demoSets(id);
    ASSERT_TRUE(demos);
    ASSERT_EQ(demos->size(), 1u);
    EXPECT_EQ((*demos)[0].kind, "bootstrapped");
    EXPECT_EQ(Json::parse((*demos)[0].demosJson)[0]["q"], "1+1");
    auto summaries = store.value()->summaries(id);
    ASSERT_TRUE(summaries);
    ASSERT_EQ(summaries->size(), 1u);
    EXPECT_EQ((*summaries)[0].text, "Word problems.");
}

TEST_P(RunStoreOnBoth, RichExampleResultsAreKeptOverTheTrialSummary)
{
    auto store = RunStore::open(path);
    ASSERT_TRUE(store);
    const std::string id = store.value()->createRun(newRun()).value();
    ExampleResultRecord rich;
    rich.configKey = "k";
    rich.exampleIndex = 4;
    rich.score = 0.0;
    rich.predictionJson = "{\"values\":{\"answer\":3}}";
    rich.calls = 1;
    ASSERT_TRUE(store.value()->putExampleResult(id, rich));
    ASSERT_TRUE(store.value()->appendEvent(id, event(1, trialPayload(1, "k", 33.3))));
    auto results = store.value()->exampleResults(id, "k");
    ASSERT_TRUE(results);
    ASSERT_EQ(results->size(), 3u);
    EXPECT_EQ((*results)[1].predictionJson, rich.predictionJson);
    EXPECT_EQ((*results)[1].calls, 1);
}

TEST_P(RunStoreOnBoth, RunsListNewestFirstAndFinish)
{
    auto store = RunStore::open(path);
    ASSERT_TRUE(store);
    const std::string a = store.value()->createRun(newRun(1)).value();
    const std::string b = store.value()->createRun(newRun(2)).value();
    EXPECT_NE(a, b);
    EXPECT_LT(a, b); // numbered in creation order
    ASSERT_TRUE(
        store.value()->finishRun(a, RunStatus::Finished, StopReason::completed(), 40.0, 64.0, summaryWithTrials(3)));
    ASSERT_TRUE(store.value()->setArtifact(a, "{\"demos\": []}\n"));
    auto runs = store.value()->listRuns();
    ASSERT_TRUE(runs);
    ASSERT_EQ(runs->size(), 2u);
    EXPECT_EQ((*runs)[0].id, b);
    EXPECT_EQ((*runs)[0].status, RunStatus::Running);
    EXPECT_EQ((*runs)[1].status, RunStatus::Finished);
    EXPECT_EQ((*runs)[1].bestScore, 64.0);
    EXPECT_EQ((*runs)[1].seed, 1u);
    auto run = store.value()->loadRun(a);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->stopReason, StopReason::completed());
    ASSERT_TRUE(run->summary);
    EXPECT_EQ(run->summary->trials, 3);
    EXPECT_EQ(run->baselineScore, 40.0);
    EXPECT_EQ(run->optionsJson, "{\"threads\":4}");
    EXPECT_FALSE(run->finishedAt.empty());
    EXPECT_TRUE(run->hasArtifact);
    EXPECT_EQ(store.value()->artifact(a).value(), "{\"demos\": []}\n");
    EXPECT_EQ(store.value()->artifact(b).value(), "");

    auto missing = store.value()->loadRun("r-nope");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("r-nope"), std::string::npos);
}

TEST_P(RunStoreOnBoth, JournalAndLedgerAreWrittenTogether)
{
    auto store = RunStore::open(path);
    ASSERT_TRUE(store);
    const std::string id = store.value()->createRun(newRun()).value();
    ChatResponse response;
    response.choices = {"[[ ## answer ## ]]\n4"};
    response.usage.promptTokens = 120;
    response.usage.completionTokens = 5;
    response.model = "sim-small";
    LedgerEntry paid;
    paid.role = "evaluation";
    paid.model = "sim-small";
    paid.promptTokens = 120;
    paid.completionTokens = 5;
    paid.dollars = 0.001;
    ASSERT_TRUE(store.value()->recordCall(id, {"key-1", response, 1}, {{1, "key-1", paid}}));
    LedgerEntry hit = paid;
    hit.cacheHit = true;
    hit.dollars = 0.0;
    ASSERT_TRUE(store.value()->recordCall(id, {"key-2", response, 1}, {{1, "key-2", hit}}));
    // The first answer recorded for a key is kept.
    ChatResponse other = response;
    other.choices = {"different"};
    ASSERT_TRUE(store.value()->recordCall(id, {"key-1", other, 2}, {}));
    LedgerEntry failed;
    failed.role = "proposer";
    failed.errorKind = ErrorKind::Timeout;
    ASSERT_TRUE(store.value()->appendLedger(id, {2, "", failed}));

    auto journal = store.value()->journal(id);
    ASSERT_TRUE(journal);
    ASSERT_EQ(journal->size(), 2u);
    EXPECT_EQ((*journal)[0].requestKey, "key-1");
    EXPECT_EQ((*journal)[0].response.choices, response.choices);
    EXPECT_EQ((*journal)[0].response.usage.promptTokens, 120);
    EXPECT_EQ((*journal)[0].response.model, "sim-small");

    auto ledger = store.value()->ledger(id);
    ASSERT_TRUE(ledger);
    ASSERT_EQ(ledger->size(), 3u);
    EXPECT_EQ((*ledger)[0].requestKey, "key-1");
    EXPECT_EQ((*ledger)[2].session, 2);
    EXPECT_EQ((*ledger)[2].entry.errorKind, ErrorKind::Timeout);
    EXPECT_FALSE((*ledger)[2].entry.promptTokens.has_value()); // unknown stays unknown

    auto totals = store.value()->ledgerTotals(id);
    ASSERT_TRUE(totals);
    EXPECT_EQ(totals->total.calls, 3);
    EXPECT_EQ(totals->total.cacheHits, 1);
    EXPECT_EQ(totals->total.errors, 1);
    EXPECT_EQ(totals->byRole.at("evaluation").calls, 2);
    EXPECT_EQ(totals->byRole.at("evaluation").promptTokens, 120); // the cache hit is not billed
    EXPECT_NEAR(totals->total.dollars, 0.001, 1e-12);
}

// The studio polls totals twice a second; they are summed in SQL and must
// say exactly what folding the rows with LedgerTotals::add says.
TEST_P(RunStoreOnBoth, LedgerTotalsInSqlMatchTheFoldOfTheRows)
{
    auto store = RunStore::open(path);
    ASSERT_TRUE(store);
    const std::string id = store.value()->createRun(newRun()).value();
    const std::string other = store.value()->createRun(newRun()).value();
    const char *roles[] = {"evaluation", "proposer", "bootstrap"};
    for (int i = 0; i < 60; ++i) {
        LedgerEntry e;
        e.role = roles[i % 3];
        e.model = "sim-small";
        e.retries = i % 4 == 0 ? 1 : 0;
        e.latencyMs = 0.25 * i;
        e.cacheHit = i % 7 == 0;
        if (i % 11 == 0)
            e.errorKind = ErrorKind::Timeout;
        if (i % 13 != 5)
            e.promptTokens = 100 + i;
        if (i % 17 != 3)
            e.completionTokens = 3 + i % 5;
        if (i % 19 != 2)
            e.dollars = 0.0001 * (i + 1);
        ASSERT_TRUE(store.value()->appendLedger(id, {1, "k" + std::to_string(i), e}));
        ASSERT_TRUE(store.value()->appendLedger(other, {1, "k" + std::to_string(i), e})); // not counted for id
    }
    auto rows = store.value()->ledger(id);
    ASSERT_TRUE(rows);
    LedgerSummary folded;
    for (const auto &row : rows.value()) {
        folded.total.add(row.entry);
        folded.byRole[row.entry.role].add(row.entry);
    }
    auto totals = store.value()->ledgerTotals(id);
    ASSERT_TRUE(totals);
    auto expectSame = [](const LedgerTotals &got, const LedgerTotals &want, const std::string &what) {
        SCOPED_TRACE(what);
        EXPECT_EQ(got.calls, want.calls);
        EXPECT_EQ(got.cacheHits, want.cacheHits);
        EXPECT_EQ(got.errors, want.errors);
        EXPECT_EQ(got.retries, want.retries);
        EXPECT_EQ(got.promptTokens, want.promptTokens);
        EXPECT_EQ(got.completionTokens, want.completionTokens);
        EXPECT_EQ(got.promptTokensUnknown, want.promptTokensUnknown);
        EXPECT_EQ(got.completionTokensUnknown, want.completionTokensUnknown);
        EXPECT_EQ(got.dollarsUnknown, want.dollarsUnknown);
        EXPECT_NEAR(got.dollars, want.dollars, 1e-12);
        EXPECT_NEAR(got.latencyMs, want.latencyMs, 1e-9);
    };
    expectSame(totals->total, folded.total, "total");
    ASSERT_EQ(totals->byRole.size(), 3u);
    for (const auto &[role, want] : folded.byRole)
        expectSame(totals->byRole.at(role), want, role);
    // Some rows of the fixture leave a number unknown, some roles do not.
    EXPECT_TRUE(folded.total.promptTokensUnknown);
    EXPECT_GT(folded.total.errors, 0);
    EXPECT_GT(folded.total.cacheHits, 0);

    auto none = store.value()->ledgerTotals("r-19990101-0001");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->total.calls, 0);
    EXPECT_TRUE(none->byRole.empty());
}

// The studio's pages read through a read-only connection of their own: they
// see every commit of the writer, cannot write, and never create a file.
TEST_F(RunStoreTest, ReadOnlyConnectionSeesCommitsAndCannotWrite)
{
    auto missing = RunStore::open((dir / "absent.sqlite").string(), StoreAccess::ReadOnly);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("absent.sqlite"), std::string::npos) << missing.error().message;
    EXPECT_FALSE(fs::exists(dir / "absent.sqlite"));

    auto writer = RunStore::open(path);
    ASSERT_TRUE(writer);
    auto reader = RunStore::open(path, StoreAccess::ReadOnly);
    ASSERT_TRUE(reader) << reader.error().message;
    const std::string id = writer.value()->createRun(newRun()).value();
    ASSERT_TRUE(writer.value()->appendEvent(id, event(1, started(id))));
    ASSERT_TRUE(writer.value()->appendEvent(id, event(2, trialPayload(1, "a", 10.0))));
    EXPECT_EQ(reader.value()->lastSeq(id).value(), 2u);
    EXPECT_EQ(reader.value()->trials(id)->size(), 1u);
    ASSERT_TRUE(writer.value()->appendEvent(id, event(3, trialPayload(2, "b", 20.0))));
    EXPECT_EQ(reader.value()->trials(id)->size(), 2u);

    auto refused = reader.value()->createRun(newRun());
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("readonly"), std::string::npos) << refused.error().message;
    EXPECT_EQ(writer.value()->listRuns()->size(), 1u);

    // A file that is not a run store is refused read-only too, and left as it was.
    const fs::path foreign = dir / "foreign.sqlite";
    {
        sqlite3 *db = nullptr;
        ASSERT_EQ(sqlite3_open(foreign.string().c_str(), &db), SQLITE_OK);
        sqlite3_exec(db, "CREATE TABLE t (x INTEGER)", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
    auto notAStore = RunStore::open(foreign.string(), StoreAccess::ReadOnly);
    ASSERT_FALSE(notAStore);
    EXPECT_NE(notAStore.error().message.find("not a Prism run store"), std::string::npos) << notAStore.error().message;
}

TEST_P(RunStoreOnBoth, TruncateDropsEventsAndTheirRows)
{
    auto store = RunStore::open(path);
    ASSERT_TRUE(store);
    const std::string id = store.value()->createRun(newRun()).value();
    ASSERT_TRUE(store.value()->appendEvent(id, event(1, started(id))));
    ASSERT_TRUE(store.value()->appendEvent(id, event(2, trialPayload(1, "a", 10.0))));
    ASSERT_TRUE(store.value()->appendEvent(id, event(3, trialPayload(2, "b", 20.0))));
    ASSERT_TRUE(store.value()->truncateEvents(id, 3));
    EXPECT_EQ(store.value()->lastSeq(id).value(), 2u);
    EXPECT_EQ(store.value()->trials(id)->size(), 1u);
    EXPECT_TRUE(store.value()->exampleResults(id, "b")->empty());
    EXPECT_EQ(store.value()->exampleResults(id, "a")->size(), 3u);
    // Seq 3 can be written again.
    EXPECT_TRUE(store.value()->appendEvent(id, event(3, trialPayload(2, "c", 30.0))));
}

TEST_P(RunStoreOnBoth, SessionsAndCancelMark)
{
    auto store = RunStore::open(path);
    ASSERT_TRUE(store);
    const std::string id = store.value()->createRun(newRun()).value();
    ASSERT_TRUE(store.value()->setCancelSeq(id, 12));
    ASSERT_TRUE(store.value()->setCancelSeq(id, 20)); // the first mark stays
    ASSERT_TRUE(
        store.value()->finishRun(id, RunStatus::Cancelled, StopReason::cancelled(), std::nullopt, std::nullopt, {}));
    EXPECT_EQ(store.value()->loadRun(id)->cancelSeq, 12u);
    auto session = store.value()->beginSession(id);
    ASSERT_TRUE(session);
    EXPECT_EQ(session.value(), 2);
    auto run = store.value()->loadRun(id);
    EXPECT_EQ(run->status, RunStatus::Running);
    EXPECT_FALSE(run->cancelSeq.has_value());
    EXPECT_TRUE(run->finishedAt.empty());
}

TEST_F(RunStoreTest, CorruptFileIsAClearErrorAndIsLeftAlone)
{
    const std::string garbage(4096, 'x');
    {
        std::ofstream out(path, std::ios::binary);
        out << garbage;
    }
    auto store = RunStore::open(path);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, ErrorKind::Io);
    EXPECT_NE(store.error().message.find(path), std::string::npos);
    EXPECT_NE(store.error().message.find("not a usable run store"), std::string::npos);
    std::ifstream in(path, std::ios::binary);
    std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(after, garbage);
}

TEST_F(RunStoreTest, ForeignDatabaseAndOtherSchemaVersionAreRefused)
{
    const std::string foreign = (dir / "foreign.sqlite").string();
    sqlite3 *db = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE runs (name TEXT)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto store = RunStore::open(foreign);
    ASSERT_FALSE(store);
    EXPECT_NE(store.error().message.find("not a Prism run store"), std::string::npos) << store.error().message;

    {
        auto fresh = RunStore::open(path);
        ASSERT_TRUE(fresh);
    }
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    auto newer = RunStore::open(path);
    ASSERT_FALSE(newer);
    EXPECT_NE(newer.error().message.find("schema version 99"), std::string::npos) << newer.error().message;

    // An empty file is a fine new store.
    const std::string empty = (dir / "empty.sqlite").string();
    {
        std::ofstream touch(empty);
    }
    EXPECT_TRUE(RunStore::open(empty));
}

TEST_F(RunStoreTest, ReadOnlyDirectoryIsAClearError)
{
    if (::geteuid() == 0)
        GTEST_SKIP() << "root ignores directory permissions";
    const fs::path ro = dir / "ro";
    fs::create_directories(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    auto store = RunStore::open((ro / "runs.sqlite").string());
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, ErrorKind::Io);
    EXPECT_NE(store.error().message.find("runs.sqlite"), std::string::npos);
}

TEST_F(RunStoreTest, MissingDirectoryIsAClearError)
{
    auto store = RunStore::open((dir / "no" / "such" / "runs.sqlite").string());
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, ErrorKind::Io);
    EXPECT_NE(store.error().message.find("cannot open the run store"), std::string::npos);
}

} // namespace
