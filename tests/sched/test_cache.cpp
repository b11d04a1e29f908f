// Response cache: through ManagedLm (hits, bypass, keys) and on its own
// (persistence, threads, two processes, corrupt files).
#include "fake_lm.h"

#include "lm/managed_lm.h"
#include "lm/response_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sqlite3.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace prism;
using namespace prism::test;

namespace {

const LmIdentity kIdentity{"openai", "http://fake/v1", "gpt-4o-mini"};

struct CachedSetup {
    TempDir dir;
    std::shared_ptr<FakeLm> fake = std::make_shared<FakeLm>();
    CallServices services = CallServices::makeBasic();
    std::unique_ptr<ManagedLm> lm;

    CachedSetup()
    {
        auto cache = ResponseCache::open(dir.file("cache.sqlite"));
        EXPECT_TRUE(cache.ok()) << cache.error().describe();
        services.cache = cache.value();
        lm = std::make_unique<ManagedLm>(fake, services, kIdentity);
    }
};

ChatResponse sampleResponse(const std::string &text)
{
    ChatResponse r;
    r.choices = {text};
    r.usage.promptTokens = 12;
    r.model = "m";
    return r;
}

// Polls for a state another thread reaches; false when it is not reached within
// a generous deadline (a missing state, not a slow machine).
bool eventually(const std::function<bool()> &reached)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!reached()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::yield();
    }
    return true;
}

} // namespace

TEST(ResponseCache, SecondIdenticalRequestMakesNoCallAndReportsAHit)
{
    CachedSetup s;
    auto first = s.lm->complete(makeRequest("q"));
    ASSERT_TRUE(first.ok());
    EXPECT_FALSE(first->cacheHit);
    auto second = s.lm->complete(makeRequest("q"));
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE(second->cacheHit);
    EXPECT_EQ(second->choices, first->choices);
    EXPECT_EQ(second->usage.promptTokens, first->usage.promptTokens);
    EXPECT_EQ(s.fake->calls.load(), 1);
    EXPECT_EQ(s.services.cache->hits(), 1);
    EXPECT_EQ(s.services.cache->misses(), 1);

    const auto entries = s.services.ledger->entries();
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_TRUE(entries[1].cacheHit);
    EXPECT_EQ(entries[1].dollars, 0.0);
    const auto totals = s.services.ledger->totals();
    EXPECT_EQ(totals.calls, 2);
    EXPECT_EQ(totals.cacheHits, 1);
    EXPECT_EQ(totals.promptTokens, 10); // only the billed call counts
}

// Two trials (or two pipeline configurations) that send the same prompt at the
// same moment: the second waits for the first's answer instead of paying again,
// so the ledger reads one call and one cache hit however the threads interleave.
TEST(ResponseCache, TheSameRequestAtTheSameMomentPaysOneCall)
{
    CachedSetup s;
    s.fake->gated = true;
    std::thread first([&] { EXPECT_TRUE(s.lm->complete(makeRequest("q")).ok()); });
    EXPECT_TRUE(eventually([&] { return s.fake->current.load() == 1; })); // the first is inside the model call
    std::optional<ChatResponse> secondAnswer;
    std::thread second([&] {
        auto r = s.lm->complete(makeRequest("q"));
        ASSERT_TRUE(r.ok());
        secondAnswer = r.value();
    });
    // The second finds the first's key taken and waits for it; then the first is let through.
    const bool waits = eventually([&] { return s.services.inFlight->waiting() == 1; });
    s.fake->release();
    first.join();
    second.join();
    EXPECT_TRUE(waits) << "the second request did not wait for the first";
    EXPECT_EQ(s.fake->calls.load(), 1);
    ASSERT_TRUE(secondAnswer);
    EXPECT_TRUE(secondAnswer->cacheHit);
    EXPECT_EQ(secondAnswer->choices, std::vector<std::string>{"answer to: q"});
    const auto totals = s.services.ledger->totals();
    EXPECT_EQ(totals.calls, 2);
    EXPECT_EQ(totals.cacheHits, 1);
    EXPECT_EQ(s.services.inFlight->held(), 0u);
}

// A failed first call leaves nothing to read: the waiting request makes its own call.
TEST(ResponseCache, AWaiterCallsItselfWhenTheFirstCallFails)
{
    CachedSetup s;
    s.fake->gated = true;
    s.fake->failWith = [](int attempt) -> std::optional<Error> {
        if (attempt == 0)
            return Error::make(ErrorKind::InvalidRequest, "fake bad request");
        return std::nullopt;
    };
    std::thread first([&] { EXPECT_FALSE(s.lm->complete(makeRequest("q")).ok()); });
    EXPECT_TRUE(eventually([&] { return s.fake->current.load() == 1; }));
    std::thread second([&] {
        auto r = s.lm->complete(makeRequest("q"));
        ASSERT_TRUE(r.ok()) << r.error().describe();
        EXPECT_FALSE(r->cacheHit);
    });
    const bool waits = eventually([&] { return s.services.inFlight->waiting() == 1; });
    s.fake->release();
    first.join();
    second.join();
    EXPECT_TRUE(waits);
    EXPECT_EQ(s.fake->calls.load(), 2);
    EXPECT_EQ(s.services.inFlight->held(), 0u);
}

TEST(ResponseCache, RoleIsNotPartOfTheKeyButEveryParameterIs)
{
    CachedSetup s;
    ASSERT_TRUE(s.lm->complete(makeRequest("q", "task")).ok());
    auto judge = s.lm->complete(makeRequest("q", "judge"));
    ASSERT_TRUE(judge.ok());
    EXPECT_TRUE(judge->cacheHit);
    EXPECT_EQ(s.services.ledger->entries()[1].role, "judge");

    const ChatRequest base = makeRequest("q");
    std::vector<ChatRequest> variants;
    for (int i = 0; i < 8; ++i)
        variants.push_back(base);
    variants[0].rollout = 1;
    variants[1].temperature = 0.7;
    variants[2].maxTokens = 77;
    variants[3].n = 2;
    variants[4].seed = 42;
    variants[5].responseFormat = ResponseFormat::JsonObject;
    variants[6].responseFormat = ResponseFormat::JsonSchema;
    variants[6].jsonSchema = "{}";
    variants[7].messages[0].role = "user";
    for (const auto &v : variants) {
        auto r = s.lm->complete(v);
        ASSERT_TRUE(r.ok());
        EXPECT_FALSE(r->cacheHit);
    }
    EXPECT_EQ(s.fake->calls.load(), 1 + 8);

    // Provider, base URL and model are part of it too.
    const std::string key = cacheKey(kIdentity, base);
    EXPECT_EQ(key.size(), 64u);
    EXPECT_NE(key, cacheKey(LmIdentity{"anthropic", kIdentity.baseUrl, kIdentity.model}, base));
    EXPECT_NE(key, cacheKey(LmIdentity{kIdentity.provider, "http://other/v1", kIdentity.model}, base));
    EXPECT_NE(key, cacheKey(LmIdentity{kIdentity.provider, kIdentity.baseUrl, "gpt-4o"}, base));
}

TEST(ResponseCache, BypassCallsAgainAndRefreshesTheEntry)
{
    CachedSetup s;
    ASSERT_TRUE(s.lm->complete(makeRequest("q")).ok());
    CallServices bypass = s.services;
    bypass.cacheBypass = true;
    ManagedLm fresh(s.fake, bypass, kIdentity);
    auto r = fresh.complete(makeRequest("q"));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->cacheHit);
    EXPECT_EQ(s.fake->calls.load(), 2);
    EXPECT_EQ(s.services.cache->entryCount().value(), 1);

    CallServices disabled = s.services;
    disabled.cacheEnabled = false;
    ManagedLm uncached(s.fake, disabled, kIdentity);
    ASSERT_TRUE(uncached.complete(makeRequest("not stored")).ok());
    EXPECT_EQ(s.fake->calls.load(), 3);
    EXPECT_EQ(s.services.cache->entryCount().value(), 1);
}

TEST(ResponseCache, AHitDoesNotConsumeTheCallBudget)
{
    CachedSetup s;
    CallServices budgeted = s.services;
    budgeted.budget = std::make_shared<BudgetTracker>(Budget{1, {}, {}, {}});
    ManagedLm lm(s.fake, budgeted, kIdentity);
    ASSERT_TRUE(lm.complete(makeRequest("q")).ok());
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(lm.complete(makeRequest("q")).ok());
    auto other = lm.complete(makeRequest("another"));
    ASSERT_FALSE(other.ok());
    EXPECT_EQ(other.error().kind, ErrorKind::Budget);
    EXPECT_EQ(budgeted.budget->callsStarted(), 1);
}

TEST(ResponseCache, FailedCallsAreNotCached)
{
    CachedSetup s;
    s.fake->failWith = [](int attempt) -> std::optional<Error> {
        if (attempt == 0)
            return makeError(ErrorKind::InvalidRequest);
        return std::nullopt;
    };
    EXPECT_FALSE(s.lm->complete(makeRequest("q")).ok());
    EXPECT_EQ(s.services.cache->entryCount().value(), 0);
    auto again = s.lm->complete(makeRequest("q"));
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->cacheHit);
}

TEST(ResponseCache, PersistsAcrossReopenAndKeepsUnknownUsageUnknown)
{
    TempDir dir;
    const std::string path = dir.file("cache.sqlite");
    {
        auto cache = ResponseCache::open(path);
        ASSERT_TRUE(cache.ok());
        ChatResponse r = sampleResponse("stored");
        r.usage.completionTokens.reset();
        ASSERT_TRUE(cache.value()->put("k1", r).ok());
    }
    auto cache = ResponseCache::open(path);
    ASSERT_TRUE(cache.ok());
    auto got = cache.value()->get("k1");
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(got->value().text(), "stored");
    EXPECT_EQ(got->value().usage.promptTokens, 12);
    EXPECT_FALSE(got->value().usage.completionTokens.has_value());
    auto missing = cache.value()->get("k2");
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());
}

TEST(ResponseCache, SizeCountAndClear)
{
    TempDir dir;
    auto cache = ResponseCache::open(dir.file("cache.sqlite")).value();
    for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(cache->put("key" + std::to_string(i), sampleResponse(std::string(2000, 'x'))).ok());
    EXPECT_EQ(cache->entryCount().value(), 50);
    const long long full = cache->sizeBytes().value();
    EXPECT_GT(full, 50 * 2000);
    ASSERT_TRUE(cache->clear().ok());
    EXPECT_EQ(cache->entryCount().value(), 0);
    EXPECT_LT(cache->sizeBytes().value(), full);
    EXPECT_FALSE(cache->get("key1").value().has_value());
}

TEST(ResponseCache, ManyThreadsShareOneCache)
{
    TempDir dir;
    auto cache = ResponseCache::open(dir.file("cache.sqlite")).value();
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                const std::string key = std::to_string(t) + ":" + std::to_string(i);
                if (!cache->put(key, sampleResponse(key)).ok())
                    ++failures;
                auto got = cache->get(key);
                if (!got.ok() || !got->has_value() || got->value().text() != key)
                    ++failures;
            }
        });
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(cache->entryCount().value(), 16 * 20);
    EXPECT_EQ(cache->hits(), 16 * 20);
}

TEST(ResponseCache, TwoProcessesWriteAndReadTheSameFile)
{
    TempDir dir;
    const std::string path = dir.file("cache.sqlite");
    constexpr int kPerProcess = 150;
    // Each process opens its own connection after the fork, as two Prism processes would.
    auto writeAndCheck = [&](const std::string &prefix) -> int {
        auto cache = ResponseCache::open(path);
        if (!cache.ok()) {
            std::fprintf(stderr, "%s: %s\n", prefix.c_str(), cache.error().describe().c_str());
            return 1;
        }
        int failures = 0;
        for (int i = 0; i < kPerProcess; ++i) {
            const std::string key = prefix + std::to_string(i);
            if (!cache.value()->put(key, sampleResponse(key)).ok())
                ++failures;
            auto got = cache.value()->get(key);
            if (!got.ok() || !got->has_value() || got->value().text() != key)
                ++failures;
        }
        return failures;
    };

    const pid_t child = ::fork();
    ASSERT_NE(child, -1);
    if (child == 0)
        ::_exit(std::min(writeAndCheck("child-"), 100));
    const int parentFailures = writeAndCheck("parent-");
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(parentFailures, 0);

    auto cache = ResponseCache::open(path).value();
    EXPECT_EQ(cache->entryCount().value(), 2 * kPerProcess);
    auto fromChild = cache->get("child-7");
    ASSERT_TRUE(fromChild.ok());
    ASSERT_TRUE(fromChild->has_value());
    EXPECT_EQ(fromChild->value().text(), "child-7");
}

TEST(ResponseCache, CorruptFileGivesAClearErrorNamingIt)
{
    TempDir dir;
    const std::string path = dir.file("cache.sqlite");
    {
        std::ofstream out(path, std::ios::binary);
        for (int i = 0; i < 512; ++i)
            out << "this is not a database ";
    }
    auto cache = ResponseCache::open(path);
    ASSERT_FALSE(cache.ok());
    EXPECT_EQ(cache.error().kind, ErrorKind::Io);
    EXPECT_NE(cache.error().message.find(path), std::string::npos) << cache.error().message;
    EXPECT_NE(cache.error().message.find("not a usable response cache"), std::string::npos) << cache.error().message;

    // Prism goes on without a cache, and says why.
    ScopedEnv env("PRISM_DATA_DIR", dir.path());
    auto services = CallServices::makeDefault(true);
    ASSERT_TRUE(services.ok()) << services.error().describe();
    EXPECT_EQ(services->cache, nullptr);
    EXPECT_NE(services->cacheProblem.find(path), std::string::npos);
    auto fake = std::make_shared<FakeLm>();
    ManagedLm lm(fake, services.value(), kIdentity);
    EXPECT_TRUE(lm.complete(makeRequest("q")).ok());
    EXPECT_TRUE(lm.complete(makeRequest("q")).ok());
    EXPECT_EQ(fake->calls.load(), 2);
}

TEST(ResponseCache, AnotherProgramsDatabaseIsRefused)
{
    TempDir dir;
    const std::string path = dir.file("other.sqlite");
    sqlite3 *db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE responses (id INTEGER)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto cache = ResponseCache::open(path);
    ASSERT_FALSE(cache.ok());
    EXPECT_EQ(cache.error().kind, ErrorKind::Io);
    EXPECT_NE(cache.error().message.find(path + ": not a Prism response cache"), std::string::npos)
        << cache.error().message;
}

TEST(ResponseCache, DefaultLocationIsInTheDataDirectory)
{
    TempDir dir;
    ScopedEnv env("PRISM_DATA_DIR", dir.path() + "/data");
    auto cache = ResponseCache::openDefault();
    ASSERT_TRUE(cache.ok()) << cache.error().describe();
    EXPECT_EQ(cache.value()->path(), dir.path() + "/data/cache.sqlite");
    EXPECT_TRUE(std::filesystem::exists(dir.path() + "/data/cache.sqlite"));
}

TEST(ResponseCache, NewAnswersAreHeldServedAndWrittenTogether)
{
    TempDir dir;
    const std::string path = dir.file("cache.sqlite");
    ResponseCacheOptions slow;
    slow.writeBatch = 100;
    slow.writeDelay = std::chrono::hours(1);
    auto writer = ResponseCache::open(path, slow).value();
    auto reader = ResponseCache::open(path).value();
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(writer->put("held" + std::to_string(i), sampleResponse("answer " + std::to_string(i))).ok());
    // The writer serves what it holds; another connection does not see it yet.
    EXPECT_EQ(writer->get("held1").value()->text(), "answer 1");
    EXPECT_EQ(writer->entryCount().value(), 3);
    EXPECT_FALSE(reader->get("held1").value().has_value());
    ASSERT_TRUE(writer->flush().ok());
    EXPECT_EQ(reader->get("held1").value()->text(), "answer 1");
    EXPECT_EQ(reader->entryCount().value(), 3);
    // A full batch is written without waiting.
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(writer->put("batch" + std::to_string(i), sampleResponse("b")).ok());
    EXPECT_EQ(reader->entryCount().value(), 103);
}

TEST(ResponseCache, AHeldAnswerReachesTheFileWithinTheDelayAndOnClose)
{
    TempDir dir;
    const std::string path = dir.file("cache.sqlite");
    ResponseCacheOptions quick;
    quick.writeDelay = std::chrono::milliseconds(20);
    auto writer = ResponseCache::open(path, quick).value();
    auto reader = ResponseCache::open(path).value();
    ASSERT_TRUE(writer->put("soon", sampleResponse("written")).ok());
    bool seen = false;
    for (int i = 0; i < 500 && !seen; ++i) {
        seen = reader->get("soon", false).value().has_value();
        if (!seen)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(seen) << "the writer's timer writes held answers without a flush";

    ResponseCacheOptions never;
    never.writeDelay = std::chrono::hours(1);
    {
        auto closing = ResponseCache::open(path, never).value();
        ASSERT_TRUE(closing->put("at close", sampleResponse("kept")).ok());
    }
    EXPECT_EQ(reader->get("at close").value()->text(), "kept");
}

TEST(ResponseCache, ACacheFromBeforeTheHashedTableKeepsItsAnswers)
{
    TempDir dir;
    const std::string path = dir.file("old.sqlite");
    sqlite3 *db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string old =
        "CREATE TABLE responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, created_at INTEGER NOT NULL);"
        "INSERT INTO responses VALUES ('k-old', '{\"choices\": [\"from the old table\"], \"prompt_tokens\": 7}', 1);";
    ASSERT_EQ(sqlite3_exec(db, old.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    {
        auto cache = ResponseCache::open(path);
        ASSERT_TRUE(cache.ok()) << cache.error().describe();
        auto got = cache.value()->get("k-old");
        ASSERT_TRUE(got.ok() && got->has_value());
        EXPECT_EQ(got->value().text(), "from the old table");
        EXPECT_EQ(got->value().usage.promptTokens, 7);
        EXPECT_EQ(cache.value()->entryCount().value(), 1);
    }
    // Moved once: the old table is gone, and opening again keeps the answer.
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt *stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'responses'", -1, &stmt, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    EXPECT_EQ(ResponseCache::open(path).value()->get("k-old").value()->text(), "from the old table");
}
