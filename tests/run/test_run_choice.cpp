// Any configuration a run evaluated, made the run's program (issue 16 item
// 5): the artifact holds that program and says who chose it, the run's events
// end with program_chosen, and the fold shows it.
#include "run/run_choice.h"

#include "../ui/recordedrun.h"

#include "artifact/artifact.h"
#include "run/run_state.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <unistd.h>

using namespace prism;

namespace {

struct RunChoice : ::testing::Test {
    std::filesystem::path dir = std::filesystem::temp_directory_path()
                                / ("prism-run-choice-" + std::to_string(::getpid()) + "-"
                                   + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    void TearDown() override { std::filesystem::remove_all(dir); }
};

// A fully evaluated configuration of the run other than its best.
std::optional<FullEvalFinishedEvent> anotherFullEval(const std::vector<RunEvent> &events)
{
    std::string best;
    for (const auto &b : recordedrun::payloadsOf<BestUpdatedEvent>(events))
        best = b.configKey;
    for (const auto &f : recordedrun::payloadsOf<FullEvalFinishedEvent>(events))
        if (f.configKey != best)
            return f;
    return std::nullopt;
}

} // namespace

TEST_F(RunChoice, ATrialsProgramBecomesTheRunsAndTheRunSaysWhoChose)
{
    const auto rec = recordedrun::record(dir, recordedrun::smallMipro, "moderation_pipeline");
    ASSERT_TRUE(rec.error.empty()) << rec.error;
    const auto other = anotherFullEval(rec.events);
    ASSERT_TRUE(other.has_value()) << "the small run evaluates more than one configuration fully";
    const std::string pick = recordedrun::payloadsOf<BestUpdatedEvent>(rec.events).back().configKey;

    auto chosen = chooseRunProgram(*rec.store, rec.runId, other->config, "user");
    ASSERT_TRUE(chosen.ok()) << chosen.error().describe();
    EXPECT_EQ(chosen->configKey, other->configKey);
    EXPECT_EQ(chosen->replaced, pick);
    EXPECT_EQ(chosen->score, other->score);

    // The stored artifact is that program, with the choice in its prism block.
    auto program = programOfConfig(*rec.store, rec.runId, other->config);
    ASSERT_TRUE(program.ok());
    const std::string text = rec.store->artifact(rec.runId).value();
    auto loaded = loadDspyProgram(text, "artifact", *program);
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    EXPECT_EQ(loaded->program, *program);
    ASSERT_TRUE(loaded->info.has_value());
    EXPECT_EQ(loaded->info->chosenBy, "user");
    EXPECT_EQ(loaded->info->chosenConfigKey, other->configKey);
    EXPECT_EQ(loaded->info->replacedConfigKey, pick);
    EXPECT_EQ(loaded->info->optimizedScore, other->score);
    EXPECT_EQ(loaded->info->splitScores.count("test"), 0u) << "the test comparison was of the replaced program";
    const auto block = nlohmann::json::parse(text)["prism"]["chosen"];
    EXPECT_EQ(block["by"], "user");

    // The run's events end with the choice; the fold logs it.
    const std::vector<RunEvent> events = rec.store->events(rec.runId).value();
    ASSERT_EQ(events.back().type(), EventType::ProgramChosen);
    EXPECT_EQ(events.back().seq, events[events.size() - 2].seq + 1);
    RunState state;
    state.apply(events);
    ASSERT_TRUE(state.chosen().has_value());
    EXPECT_EQ(state.chosen()->by, "user");
    EXPECT_NE(state.log().back().text.find("program chosen by user: " + other->configKey), std::string::npos)
        << state.log().back().text;

    // Choosing again replaces the earlier choice, not the optimizer's pick.
    auto again = chooseRunProgram(*rec.store, rec.runId,
                                  recordedrun::payloadsOf<BestUpdatedEvent>(rec.events).back().config, "user");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->replaced, other->configKey);
}

TEST_F(RunChoice, AnUnfinishedRunOrAnUnknownConfigIsRefused)
{
    const auto rec = recordedrun::record(dir, recordedrun::smallMipro, "moderation_pipeline");
    ASSERT_TRUE(rec.error.empty()) << rec.error;
    std::vector<ConfigChoice> bogus = {{"find", 99, 0}, {"rate", 0, 0}};
    auto refused = chooseRunProgram(*rec.store, rec.runId, bogus, "user");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("predictor 'find' has no instruction 99"), std::string::npos)
        << refused.error().message;
    const std::string before = rec.store->artifact(rec.runId).value();

    ASSERT_TRUE(rec.store->setStatus(rec.runId, RunStatus::Cancelled, StopReason::cancelled()).ok());
    const auto full = recordedrun::payloadsOf<FullEvalFinishedEvent>(rec.events).front();
    auto cancelled = chooseRunProgram(*rec.store, rec.runId, full.config, "user");
    ASSERT_FALSE(cancelled.ok());
    EXPECT_NE(cancelled.error().message.find("has not finished"), std::string::npos) << cancelled.error().message;
    EXPECT_EQ(rec.store->artifact(rec.runId).value(), before) << "nothing changed";
}
