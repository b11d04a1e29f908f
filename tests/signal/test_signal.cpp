// SimLm must give optimizers real signal: better instructions and demos
// score better, on the shipped samples, for both task models. These are the
// foundation issue's acceptance checks.
#include "adapter/adapter.h"
#include "core/study.h"
#include "data/dataset.h"
#include "eval/evaluator.h"
#include "metric/builtin.h"
#include "sim/simlm.h"

#include <gtest/gtest.h>

#include <string>

using namespace prism;

namespace {

struct Sample {
    Study study;
    StudyData data;
    std::unique_ptr<Metric> metric;
};

Sample loadSample(const std::string &name)
{
    Sample s;
    auto study = loadStudy(std::string(PRISM_SAMPLES_DIR) + "/" + name + "/" + name + ".prism.json");
    EXPECT_TRUE(study) << study.error().message;
    s.study = study.value();
    auto data = loadStudyData(s.study);
    EXPECT_TRUE(data) << data.error().message;
    s.data = data.value();
    auto metric = makeMetric(s.study.metric, s.study.program);
    EXPECT_TRUE(metric) << metric.error().message;
    s.metric = std::move(metric.value());
    return s;
}

double score(const Sample &s, const Program &program, const std::vector<Example> &examples, const std::string &model)
{
    SimLm lm(model);
    auto adapter = makeAdapter("chat");
    EvalOptions options;
    options.threads = 4;
    Evaluator evaluator(lm, *adapter, *s.metric, options);
    const EvalReport report = evaluator.run(program, examples);
    EXPECT_EQ(report.errors, 0u) << model;
    EXPECT_EQ(report.scored, examples.size());
    return report.scorePercent;
}

Program withInstruction(const Program &p, const std::string &instruction)
{
    Program copy = p;
    copy.predictors[0].signature = copy.predictors[0].signature.withInstruction(instruction);
    return copy;
}

// One cue sentence per label, with cue words read off the moderation train split.
const char *kModerationCueInstruction =
    "Classify the snippet for moderation. "
    "Use harassment when the text has insults such as idiot, loser, nobody, shut or embarrass. "
    "Use hate when the text calls a group criminals, subhuman or dangerous, or says they don't belong. "
    "Use sexual when the text mentions explicit sexual acts, cam or hot pics. "
    "Use violence when the text threatens to hurt, break bones, put a bullet in someone or find where they live. "
    "Use self_harm when the text talks about ending it all, nothing matters anymore, or how to cut myself. "
    "Use spam when the text says click here, buy now, cheap replicas, catalog, free crypto airdrop or wallet. "
    "Use high for threats to hurt, bullet, bone, subhuman, criminals, banned, cut or end it all. "
    "Use medium for insults such as idiot, loser, embarrass, stand, and for explicit sexual pics or crypto. "
    "Otherwise use low.";

class SignalTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SignalTest, ModerationCueInstructionBeatsBareOnTrainAndHoldsOnTest)
{
    const Sample s = loadSample("moderation");
    const Program bare = s.study.program;
    const Program cue = withInstruction(bare, kModerationCueInstruction);
    const double bareTrain = score(s, bare, s.data.train.examples, GetParam());
    const double cueTrain = score(s, cue, s.data.train.examples, GetParam());
    EXPECT_GE(cueTrain, bareTrain + 15.0) << "bare " << bareTrain << " cue " << cueTrain;
    const double bareTest = score(s, bare, s.data.test.examples, GetParam());
    const double cueTest = score(s, cue, s.data.test.examples, GetParam());
    EXPECT_GE(cueTest, bareTest) << "bare " << bareTest << " cue " << cueTest;
}

TEST_P(SignalTest, ModerationLabeledDemosBeatNoDemos)
{
    const Sample s = loadSample("moderation");
    Program withDemos = s.study.program;
    // Four labeled demos from the train split, one each of harassment, hate, violence and spam.
    for (std::size_t index : {5u, 9u, 14u, 19u})
        withDemos.predictors[0].demos.push_back(Demo{s.data.train.examples.at(index).values, false});
    const double none = score(s, s.study.program, s.data.train.examples, GetParam());
    const double four = score(s, withDemos, s.data.train.examples, GetParam());
    EXPECT_GT(four, none) << "no demos " << none << " four demos " << four;
}

TEST_P(SignalTest, ArithmeticStepByStepBeatsBareBy30Points)
{
    const Sample s = loadSample("math");
    const Program bare = s.study.program;
    const Program calc = withInstruction(bare, "Solve the word problem. Calculate the answer step by step.");
    const double bareTest = score(s, bare, s.data.test.examples, GetParam());
    const double calcTest = score(s, calc, s.data.test.examples, GetParam());
    EXPECT_GE(calcTest, bareTest + 30.0) << "bare " << bareTest << " calc " << calcTest;
}

TEST_P(SignalTest, QaShortAnswerInstructionRaisesF1)
{
    const Sample s = loadSample("qa");
    const Program bare = s.study.program;
    const Program concise = withInstruction(
        bare, "Answer the question using the passage. Answer with only the few words that answer the question.");
    const double bareTest = score(s, bare, s.data.test.examples, GetParam());
    const double conciseTest = score(s, concise, s.data.test.examples, GetParam());
    EXPECT_GT(conciseTest, bareTest) << "bare " << bareTest << " concise " << conciseTest;
}

TEST_P(SignalTest, ChainOfThoughtIsNotWorseThanPredict)
{
    for (const char *name : {"moderation", "qa", "math"}) {
        const Sample s = loadSample(name);
        Program cot = s.study.program;
        cot.predictors[0].kind = PredictorKind::ChainOfThought;
        const double predict = score(s, s.study.program, s.data.test.examples, GetParam());
        const double reasoning = score(s, cot, s.data.test.examples, GetParam());
        EXPECT_GE(reasoning, predict) << name << ": predict " << predict << " cot " << reasoning;
    }
}

INSTANTIATE_TEST_SUITE_P(Models, SignalTest, ::testing::Values("sim-small", "sim-large"),
                         [](const auto &info) { return info.param == "sim-small" ? "small" : "large"; });

} // namespace
