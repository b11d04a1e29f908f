// Ledger totals and JSON, price table, budget tracker, data directory, estimates.
#include "fake_lm.h"

#include "../support/fake_clock.h"

#include "core/json.h"
#include "core/paths.h"
#include "lm/budget.h"
#include "lm/estimate.h"
#include "lm/ledger.h"
#include "lm/prices.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

using namespace prism;
using namespace prism::test;

namespace {

LedgerEntry entry(std::string role, std::string model, std::optional<long long> in, std::optional<long long> out,
                  std::optional<double> dollars)
{
    LedgerEntry e;
    e.role = std::move(role);
    e.model = std::move(model);
    e.promptTokens = in;
    e.completionTokens = out;
    e.dollars = dollars;
    return e;
}

void writeFile(const std::string &path, const std::string &text)
{
    std::ofstream(path, std::ios::binary) << text;
}

} // namespace

// --- Ledger -------------------------------------------------------------------

TEST(Ledger, TotalsByRoleAndModelKeepUnknownsUnknown)
{
    Ledger ledger;
    std::vector<long long> seen;
    ledger.setListener([&](const LedgerEntry &e) { seen.push_back(e.sequence); });

    ledger.append(entry("task", "a", 100, 20, 0.5));
    ledger.append(entry("task", "b", std::nullopt, 30, std::nullopt));
    ledger.append(entry("proposer", "a", 1000, 200, 2.0));
    LedgerEntry hit = entry("task", "a", 100, 20, 0.0);
    hit.cacheHit = true;
    ledger.append(hit);
    LedgerEntry failed = entry("judge", "a", std::nullopt, std::nullopt, std::nullopt);
    failed.errorKind = ErrorKind::Server;
    failed.retries = 6;
    ledger.append(failed);

    EXPECT_EQ(seen, (std::vector<long long>{1, 2, 3, 4, 5}));

    const auto total = ledger.totals();
    EXPECT_EQ(total.calls, 5);
    EXPECT_EQ(total.cacheHits, 1);
    EXPECT_EQ(total.errors, 1);
    EXPECT_EQ(total.retries, 6);
    EXPECT_EQ(total.promptTokens, 1100);
    EXPECT_TRUE(total.promptTokensUnknown); // "b" did not report prompt tokens
    EXPECT_EQ(total.completionTokens, 250);
    EXPECT_FALSE(total.completionTokensUnknown);
    EXPECT_DOUBLE_EQ(total.dollars, 2.5);
    EXPECT_TRUE(total.dollarsUnknown);

    const auto byRole = ledger.totalsByRole();
    ASSERT_EQ(byRole.size(), 3u);
    EXPECT_EQ(byRole.at("task").calls, 3);
    EXPECT_EQ(byRole.at("task").cacheHits, 1);
    EXPECT_EQ(byRole.at("task").promptTokens, 100);
    EXPECT_TRUE(byRole.at("task").promptTokensUnknown);
    EXPECT_FALSE(byRole.at("proposer").promptTokensUnknown);
    EXPECT_DOUBLE_EQ(byRole.at("proposer").dollars, 2.0);
    EXPECT_EQ(byRole.at("judge").errors, 1);
    EXPECT_FALSE(byRole.at("judge").dollarsUnknown); // a failed call bills nothing

    const auto byModel = ledger.totalsByModel();
    EXPECT_EQ(byModel.at("a").calls, 4);
    EXPECT_EQ(byModel.at("a").promptTokens, 1100);
    EXPECT_FALSE(byModel.at("a").promptTokensUnknown);
    EXPECT_TRUE(byModel.at("b").promptTokensUnknown);
    EXPECT_EQ(byModel.at("b").completionTokens, 30);
}

TEST(Ledger, JsonHasTotalsGroupsAndNullForUnknown)
{
    Ledger ledger;
    ledger.append(entry("task", "gpt-4o-mini", std::nullopt, 7, std::nullopt));
    const Json j = ledger.toJson(true);
    EXPECT_EQ(j["totals"]["calls"], 1);
    EXPECT_EQ(j["totals"]["prompt_tokens_unknown"], true);
    EXPECT_EQ(j["totals"]["dollars_unknown"], true);
    EXPECT_EQ(j["by_role"]["task"]["completion_tokens"], 7);
    EXPECT_EQ(j["by_model"]["gpt-4o-mini"]["calls"], 1);
    ASSERT_EQ(j["entries"].size(), 1u);
    EXPECT_TRUE(j["entries"][0]["prompt_tokens"].is_null());
    EXPECT_TRUE(j["entries"][0]["dollars"].is_null());
    EXPECT_TRUE(j["entries"][0]["error"].is_null());
    EXPECT_FALSE(ledger.toJson(false).contains("entries"));
}

TEST(Ledger, ConcurrentAppendsGetDistinctSequences)
{
    Ledger ledger;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 250; ++i)
                ledger.append(entry("task", "m", 1, 1, 0.0));
        });
    for (auto &t : threads)
        t.join();
    const auto entries = ledger.entries();
    ASSERT_EQ(entries.size(), 2000u);
    std::vector<bool> used(2001, false);
    for (const auto &e : entries) {
        ASSERT_GE(e.sequence, 1);
        ASSERT_LE(e.sequence, 2000);
        EXPECT_FALSE(used[e.sequence]);
        used[e.sequence] = true;
    }
    EXPECT_EQ(ledger.totals().promptTokens, 2000);
}

// --- Prices -------------------------------------------------------------------

TEST(Prices, ExactThenLongestPrefix)
{
    const PriceTable prices = PriceTable::defaults();
    ASSERT_TRUE(prices.find("gpt-4o").has_value());
    EXPECT_DOUBLE_EQ(prices.find("gpt-4o")->inputPerMillion, 2.50);
    // Dated snapshot names fall back to their family, and the longest family wins.
    EXPECT_DOUBLE_EQ(prices.find("gpt-4o-mini-2024-07-18")->inputPerMillion, 0.15);
    EXPECT_DOUBLE_EQ(prices.find("gpt-4o-2024-08-06")->inputPerMillion, 2.50);
    EXPECT_DOUBLE_EQ(prices.find("gpt-4.1-mini-2025-04-14")->outputPerMillion, 1.60);
    EXPECT_DOUBLE_EQ(prices.find("claude-3-5-haiku-20241022")->inputPerMillion, 0.80);
    EXPECT_DOUBLE_EQ(prices.find("claude-sonnet-4-20250514")->outputPerMillion, 15.0);
    EXPECT_DOUBLE_EQ(prices.find("o3-mini")->inputPerMillion, 1.10);
    EXPECT_EQ(prices.find("sim-small"), (ModelPrice{0.0, 0.0}));
    EXPECT_FALSE(prices.find("llama3.1:8b").has_value());
    EXPECT_FALSE(prices.find("gpt").has_value()); // a key longer than the name is no match
}

TEST(Prices, Dollars)
{
    const PriceTable prices = PriceTable::defaults();
    EXPECT_NEAR(*prices.dollars("gpt-4o-mini", 1000000, 1000000), 0.15 + 0.60, 1e-12);
    EXPECT_NEAR(*prices.dollars("claude-3-5-haiku-latest", 2000, 1000), (2000 * 0.80 + 1000 * 4.00) / 1e6, 1e-12);
    EXPECT_FALSE(prices.dollars("gpt-4o-mini", std::nullopt, 10).has_value());
    EXPECT_FALSE(prices.dollars("mystery-model", 10, 10).has_value());
    EXPECT_EQ(prices.dollars("sim-large", std::nullopt, std::nullopt), 0.0);
}

TEST(Prices, ResourceFileMatchesTheEmbeddedTable)
{
    auto file = PriceTable::load(std::string(PRISM_SAMPLES_DIR) + "/../resources/prices.json");
    ASSERT_TRUE(file.ok()) << file.error().describe();
    EXPECT_EQ(file->models(), PriceTable::defaults().models());
    EXPECT_GE(file->models().size(), 10u);
    // And our own output reads back the same.
    auto again = PriceTable::fromJsonText(file->toJsonText(), "round trip");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->models(), file->models());
}

TEST(Prices, MalformedFileNamesFileAndLine)
{
    TempDir dir;
    const std::string path = dir.file("prices.json");
    writeFile(path,
              "{\n  \"models\": {\n    \"x\": {\"input_per_million\": 1.0,, \"output_per_million\": 2.0}\n  }\n}\n");
    auto table = PriceTable::load(path);
    ASSERT_FALSE(table.ok());
    EXPECT_EQ(table.error().kind, ErrorKind::Parse);
    EXPECT_EQ(table.error().message.rfind(path + ":3:", 0), 0u) << table.error().message;

    writeFile(path, R"({"models": {"my-model": {"input_per_million": 1.0}}})");
    table = PriceTable::load(path);
    ASSERT_FALSE(table.ok());
    EXPECT_NE(table.error().message.find("\"my-model\""), std::string::npos) << table.error().message;
    EXPECT_NE(table.error().message.find("output_per_million"), std::string::npos);

    writeFile(path, R"({"models": {"my-model": {"input_per_million": "cheap", "output_per_million": 1}}})");
    EXPECT_FALSE(PriceTable::load(path).ok());
    writeFile(path, R"(["not", "a", "table"])");
    EXPECT_FALSE(PriceTable::load(path).ok());
}

TEST(Prices, UserFileInTheDataDirOverlaysTheDefaults)
{
    TempDir dir;
    ScopedEnv env("PRISM_DATA_DIR", dir.path());
    writeFile(dir.file("prices.json"),
              R"({"models": {"gpt-4o": {"input_per_million": 9, "output_per_million": 9},
                             "llama3": {"input_per_million": 0, "output_per_million": 0}}})");
    auto table = PriceTable::loadDefault();
    ASSERT_TRUE(table.ok()) << table.error().describe();
    EXPECT_DOUBLE_EQ(table->find("gpt-4o")->inputPerMillion, 9.0);
    EXPECT_DOUBLE_EQ(table->find("gpt-4o-mini")->inputPerMillion, 0.15); // defaults kept
    EXPECT_EQ(table->dollars("llama3.1:8b", 100, 100), 0.0);

    writeFile(dir.file("prices.json"), "{\"models\": {\n");
    table = PriceTable::loadDefault();
    ASSERT_FALSE(table.ok());
    EXPECT_NE(table.error().message.find(dir.file("prices.json") + ":2:"), std::string::npos) << table.error().message;
}

// --- Budget -------------------------------------------------------------------

TEST(Budget, CallLimitHoldsUnderThirtyTwoRacingThreads)
{
    for (int round = 0; round < 5; ++round) {
        BudgetTracker tracker(Budget{20, {}, {}, {}});
        std::atomic<int> started{0};
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int t = 0; t < 32; ++t)
            threads.emplace_back([&] {
                while (!go.load())
                    std::this_thread::yield();
                for (int i = 0; i < 3; ++i)
                    if (tracker.tryStartCall().ok())
                        ++started;
            });
        go = true;
        for (auto &t : threads)
            t.join();
        ASSERT_EQ(started.load(), 20);
        EXPECT_EQ(tracker.callsStarted(), 20);
        EXPECT_EQ(tracker.stopReason(), "budget: 20 calls reached");
        EXPECT_TRUE(tracker.exhausted());
    }
}

TEST(Budget, StopReasonsAndErrors)
{
    BudgetTracker unlimited;
    for (int i = 0; i < 1000; ++i)
        ASSERT_TRUE(unlimited.tryStartCall().ok());
    EXPECT_EQ(unlimited.stopReason(), "");

    BudgetTracker tokens(Budget{{}, 100, {}, {}});
    ASSERT_TRUE(tokens.tryStartCall().ok());
    tokens.record(std::nullopt, std::nullopt); // unknown adds nothing
    ASSERT_TRUE(tokens.tryStartCall().ok());
    tokens.record(100, 0.0);
    auto refused = tokens.tryStartCall();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::Budget);
    EXPECT_EQ(refused.error().message, "budget reached: 100 tokens");
    EXPECT_EQ(tokens.stopReason(), "budget: 100 tokens reached");

    // Wall time on a clock the test moves: the run stops exactly at the limit.
    auto clock = std::make_shared<testsupport::FakeClock>();
    BudgetTracker wall(Budget{{}, {}, {}, 0.02}, clock);
    ASSERT_TRUE(wall.tryStartCall().ok());
    clock->advance(std::chrono::milliseconds(19));
    ASSERT_TRUE(wall.tryStartCall().ok());
    EXPECT_FALSE(wall.exhausted());
    EXPECT_NEAR(wall.elapsedSeconds(), 0.019, 1e-9);
    clock->advance(std::chrono::milliseconds(1));
    EXPECT_TRUE(wall.exhausted());
    auto late = wall.tryStartCall();
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().kind, ErrorKind::Budget);
    EXPECT_EQ(late.error().message, "budget reached: 0.02 s wall time");
    EXPECT_EQ(wall.stopReason(), "budget: 0.02 s wall time reached");
    EXPECT_EQ(wall.callsStarted(), 2);

    // restartClock() starts the wall time again from the clock's now.
    BudgetTracker restarted(Budget{{}, {}, {}, 1.0}, clock);
    clock->advance(std::chrono::milliseconds(1500));
    restarted.restartClock();
    EXPECT_TRUE(restarted.tryStartCall().ok());
    EXPECT_EQ(restarted.elapsedSeconds(), 0.0);

    // The first reason is kept.
    BudgetTracker both(Budget{1, {}, 0.5, {}});
    ASSERT_TRUE(both.tryStartCall().ok());
    both.record(10, 1.0);
    EXPECT_FALSE(both.tryStartCall().ok());
    EXPECT_EQ(both.stopReason(), "budget: 1 calls reached");
}

// --- Data directory ------------------------------------------------------------

TEST(Paths, DataDirFromEnvironmentCreatedOnDemand)
{
    TempDir dir;
    {
        ScopedEnv prism("PRISM_DATA_DIR", dir.path() + "/a/b");
        auto d = userDataDir();
        ASSERT_TRUE(d.ok()) << d.error().describe();
        EXPECT_EQ(d.value(), dir.path() + "/a/b");
        EXPECT_TRUE(std::filesystem::is_directory(d.value()));
    }
    {
        ScopedEnv prism("PRISM_DATA_DIR", std::nullopt);
        ScopedEnv xdg("XDG_DATA_HOME", dir.path() + "/xdg");
        EXPECT_EQ(userDataDir().value(), dir.path() + "/xdg/prism");
        EXPECT_EQ(userDataPath("cache.sqlite").value(), dir.path() + "/xdg/prism/cache.sqlite");
    }
    {
        ScopedEnv prism("PRISM_DATA_DIR", std::nullopt);
        ScopedEnv xdg("XDG_DATA_HOME", std::nullopt);
        ScopedEnv home("HOME", dir.path() + "/home");
        EXPECT_EQ(userDataDir().value(), dir.path() + "/home/.local/share/prism");
    }
    {
        writeFile(dir.file("blocker"), "a file where a directory should go");
        ScopedEnv prism("PRISM_DATA_DIR", dir.file("blocker") + "/prism");
        auto d = userDataDir();
        ASSERT_FALSE(d.ok());
        EXPECT_EQ(d.error().kind, ErrorKind::Io);
        EXPECT_NE(d.error().message.find(dir.file("blocker") + "/prism"), std::string::npos) << d.error().message;
    }
}

// --- Estimate -------------------------------------------------------------------

TEST(Estimate, CallsTokensAndDollarsForAnEvaluation)
{
    Program program;
    Predictor first;
    first.name = "first";
    first.signature.inputs.push_back(Field{"question", Type::string(), "", ""});
    first.signature.outputs.push_back(Field{"answer", Type::string(), "", ""});
    Predictor second = first;
    second.name = "second";
    program.predictors = {first, second};

    const PriceTable prices = PriceTable::defaults();
    CostEstimate e = estimateEvaluation(program, 10, 400, prices, "gpt-4o-mini", 80);
    EXPECT_EQ(e.calls, 20);
    EXPECT_EQ(e.promptTokens, 20 * 100);
    EXPECT_EQ(e.completionTokens, 20 * 20);
    ASSERT_TRUE(e.dollars.has_value());
    EXPECT_NEAR(*e.dollars, (2000 * 0.15 + 400 * 0.60) / 1e6, 1e-12);

    EXPECT_FALSE(estimateEvaluation(program, 10, 400, prices, "unpriced", 80).dollars.has_value());
    EXPECT_EQ(estimateEvaluation(program, 10, 400, prices, "sim-small").dollars, 0.0);

    // Without a measurement, ChainOfThought is guessed longer than Predict.
    Program cot = program;
    cot.predictors[0].kind = cot.predictors[1].kind = PredictorKind::ChainOfThought;
    EXPECT_GT(defaultCompletionChars(cot), defaultCompletionChars(program));
    EXPECT_GT(defaultCompletionChars(program), 0u);

    CostEstimate sum = e;
    sum += estimateEvaluation(program, 5, 400, prices, "gpt-4o-mini", 80);
    EXPECT_EQ(sum.calls, 30);
    sum += estimateEvaluation(program, 5, 400, prices, "unpriced", 80);
    EXPECT_FALSE(sum.dollars.has_value());
}

// Found by fuzzing (fuzz/regressions/prices): a price too large for a double
// aborted Prism instead of failing the load of the user's price table.
TEST(Prices, NumberOutOfRangeIsAParseErrorWithItsLine)
{
    auto table = PriceTable::fromJsonText("{\"models\": {\n  \"m\": {\"input_per_million\": 1e999}}}", "prices.json");
    ASSERT_FALSE(table.ok());
    EXPECT_EQ(table.error().message.rfind("prices.json:2:30: invalid JSON: a number too large", 0), 0u)
        << table.error().message;
}
