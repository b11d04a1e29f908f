// Frozen stages (issue 16 item 3): every optimizer leaves a frozen stage's
// instruction and demos as they came in, down to the bytes of the saved
// program, and spends no proposal on it.
#include "fixture.h"

#include "artifact/artifact.h"
#include "optimize/labeled_fewshot.h"
#include "optimize/plan.h"
#include "optimize/presets.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace prism;
using namespace prism::test;

namespace {

// The two-stage moderation sample with its first stage, `find`, given an
// instruction of its own and two labeled demos, then frozen: an optimizer
// that ignored the flag would replace both.
Sample frozenFindSample()
{
    Sample s = loadSample("moderation_pipeline");
    Predictor &find = s.study.program.predictors.at(0);
    find.signature.instruction = "Name each policy the snippet breaks, or none.";
    find.demos = {labeledDemo(find, s.data.train.examples.at(5)), labeledDemo(find, s.data.train.examples.at(9))};
    find.frozen = true;
    return s;
}

// A stage's block in the DSPy save of a program.
std::string savedStage(const Program &program, const std::string &key)
{
    const Json saved = Json::parse(programToDspyJson(program, std::nullopt));
    return saved.at(key).dump();
}

struct Compiled {
    Result<OptimizeResult> result = Error::make(ErrorKind::Internal, "not run");
    long long moduleDescriptions = 0;
    long long instructionProposals = 0;
};

Compiled compileWith(const Sample &s, const OptimizerConfig &config)
{
    RecordingLm lm(*s.lm);
    EventRecorder events;
    OptimizeContext ctx = contextFor(s, lm, &events, 4);
    auto optimizer = createOptimizer(config);
    if (!optimizer)
        return {optimizer.error()};
    Compiled out;
    out.result = (*optimizer)->compile(s.study.program, s.data.train.examples, s.data.val.examples, ctx);
    out.moduleDescriptions = lm.proposerCalls("module_description");
    out.instructionProposals = lm.proposerCalls("proposed_instruction");
    return out;
}

OptimizerConfig configFor(const Sample &s, const std::string &name)
{
    OptimizerConfig c = s.study.optimizer;
    c.name = name;
    c.autoMode.clear();
    if (name == "miprov2") {
        c.numCandidates = 3;
        c.numTrials = 6;
    } else if (name == "gepa") {
        c.gepa.maxMetricCalls = 90;
    } else if (name == "random_search") {
        c.numCandidates = 2;
    }
    return c;
}

class FrozenStage : public ::testing::TestWithParam<const char *> {};

} // namespace

TEST_P(FrozenStage, LeavesTheStageByteIdenticalInTheSavedProgram)
{
    const Sample s = frozenFindSample();
    const Compiled run = compileWith(s, configFor(s, GetParam()));
    ASSERT_TRUE(run.result.ok()) << run.result.error().describe();
    const Program &out = run.result->program;
    ASSERT_EQ(out.predictors.size(), 2u);
    EXPECT_EQ(savedStage(out, "find"), savedStage(s.study.program, "find"));
    EXPECT_TRUE(out.predictors[0].frozen) << "the flag travels with the program into the study";
    // The other stage was optimized: with the flag ignored it would be too,
    // so this is what tells a frozen stage from an optimizer that did nothing.
    EXPECT_NE(savedStage(out, "rate.predict"), savedStage(s.study.program, "rate.predict"));
}

INSTANTIATE_TEST_SUITE_P(Optimizers, FrozenStage,
                         ::testing::Values("labeled", "bootstrap", "random_search", "miprov2", "gepa"));

TEST(FrozenStage, MiproProposesOnlyForTheStagesItMayChange)
{
    Sample s = frozenFindSample();
    const OptimizerConfig c = configFor(s, "miprov2");
    const Compiled frozen = compileWith(s, c);
    ASSERT_TRUE(frozen.result.ok()) << frozen.result.error().describe();
    EXPECT_EQ(frozen.moduleDescriptions, 1) << "the rate stage only";
    EXPECT_EQ(frozen.instructionProposals, 2) << "candidates 1 and 2 of rate";

    s.study.program.predictors[0].frozen = false;
    const Compiled thawed = compileWith(s, c);
    ASSERT_TRUE(thawed.result.ok()) << thawed.result.error().describe();
    EXPECT_EQ(thawed.moduleDescriptions, 2);
    EXPECT_EQ(thawed.instructionProposals, 4);
}

TEST(FrozenStage, GepaReflectsOnlyOnTheStagesItMayChange)
{
    const Sample s = frozenFindSample();
    OptimizerConfig c = configFor(s, "gepa");
    c.gepa.componentSelector = GepaComponents::All;
    RecordingLm lm(*s.lm);
    EventRecorder events;
    OptimizeContext ctx = contextFor(s, lm, &events, 4);
    auto gepa = createOptimizer(c);
    ASSERT_TRUE(gepa.ok());
    auto result = (*gepa)->compile(s.study.program, s.data.train.examples, s.data.val.examples, ctx);
    ASSERT_TRUE(result.ok()) << result.error().describe();
    int proposals = 0;
    for (const Json &e : events.of(EventType::CandidateProposed))
        for (const Json &p : e.value("proposals", Json::array())) {
            ++proposals;
            EXPECT_EQ(p.at("predictor"), "rate") << e.dump();
        }
    EXPECT_GT(proposals, 0);
}

TEST(FrozenStage, EveryStageFrozenIsRefusedBeforeAnyCall)
{
    Sample s = frozenFindSample();
    s.study.program.predictors[1].frozen = true;
    for (const char *name : {"labeled", "bootstrap", "random_search", "miprov2", "gepa"}) {
        RecordingLm lm(*s.lm);
        OptimizeContext ctx = contextFor(s, lm, nullptr, 2);
        auto optimizer = createOptimizer(configFor(s, name));
        ASSERT_TRUE(optimizer.ok());
        auto result = (*optimizer)->compile(s.study.program, s.data.train.examples, s.data.val.examples, ctx);
        ASSERT_FALSE(result.ok()) << name;
        EXPECT_EQ(result.error().kind, ErrorKind::Config) << name;
        EXPECT_NE(result.error().message.find("every stage of the program is frozen"), std::string::npos)
            << result.error().message;
        EXPECT_EQ(lm.total(), 0) << name;
        EXPECT_FALSE(validateOptimizerFor(configFor(s, name), s.study.program).ok()) << name;
    }
}

TEST(FrozenStage, ThePlanCountsProposalsForTheOtherStagesOnly)
{
    Sample s = frozenFindSample();
    s.study.optimizer = configFor(s, "miprov2");
    PlanInputs inputs;
    const PriceTable prices = PriceTable::defaults();
    auto frozen = planOptimization(s.study, s.data.train.examples, inputs, prices);
    ASSERT_TRUE(frozen.ok()) << frozen.error().describe();
    s.study.program.predictors[0].frozen = false;
    auto thawed = planOptimization(s.study, s.data.train.examples, inputs, prices);
    ASSERT_TRUE(thawed.ok()) << thawed.error().describe();
    EXPECT_EQ(frozen->instructionCalls, 2);
    EXPECT_EQ(thawed->instructionCalls, 4);
    EXPECT_EQ(frozen->descriptionCalls, thawed->descriptionCalls - 1);
}

TEST(FrozenStage, TheStudyFileKeepsTheFlagAndRefusesANonBoolean)
{
    const Sample s = frozenFindSample();
    const std::string text = studyToJsonText(s.study);
    auto back = studyFromJsonText(text, "frozen.prism.json");
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_TRUE(back->program.predictors[0].frozen);
    EXPECT_FALSE(back->program.predictors[1].frozen);
    EXPECT_EQ(back->program, s.study.program);

    Json bad = Json::parse(text);
    bad["program"]["predictors"][0]["frozen"] = "yes";
    auto refused = studyFromJsonText(bad.dump(), "frozen.prism.json");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("\"frozen\" must be true or false"), std::string::npos)
        << refused.error().message;
}
