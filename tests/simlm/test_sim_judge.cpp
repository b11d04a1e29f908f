// SimLm's judge skill (../shared/SIMLM.md, "Judge skill"): LLM-as-judge
// signatures get token recall / precision / F1 of the response against the
// reference (or a rubric's "must mention" items), mapped to the field's range,
// plus the model's noise; a reasoning output names matched and missing items.

#include "sim/sim_judge.h"

#include "sim_chat_prompts.h"

#include <cstdlib>

using namespace prism;
using namespace simtest;

namespace {

double number(const std::string &text)
{
    return std::strtod(text.c_str(), nullptr);
}

// DSPy's SemanticF1 signature as ChainOfThought renders it.
PromptSpec semanticF1(const std::string &truth, const std::string &response)
{
    PromptSpec p;
    p.inputs = {{"question"}, {"ground_truth"}, {"system_response"}};
    p.outputs = {{"reasoning"},
                 {"recall", "float", "fraction (out of 1.0) of ground truth covered by the system response"},
                 {"precision", "float", "fraction (out of 1.0) of system response covered by the ground truth"}};
    p.instruction = "Compare a system's response to the ground truth to compute its recall and precision.";
    p.current = {{"question", "Where is the Eiffel tower?"}, {"ground_truth", truth}, {"system_response", response}};
    return p;
}

PromptSpec rubricJudge(const std::string &rubric, const std::string &response, const std::string &scoreType = "int")
{
    PromptSpec p;
    p.inputs = {{"rubric"}, {"response"}};
    p.outputs = {{"score", scoreType, "A rating from 1 to 10."}, {"reason"}};
    p.instruction = "Grade the response against the rubric.";
    p.current = {{"rubric", rubric}, {"response", response}};
    return p;
}

sim::JudgeSkills judgeOf(const PromptSpec &spec, sim::Prompt &storage)
{
    Result<sim::Prompt> p = sim::readPrompt(render(spec), ResponseFormat::Text);
    EXPECT_TRUE(p.ok());
    storage = p.ok() ? *p : sim::Prompt();
    return sim::JudgeSkills(storage, sim::DrawContext{});
}

} // namespace

TEST(SimJudge, RecognizesScoreWithReferenceAndResponseOrARubric)
{
    sim::Prompt storage;
    EXPECT_TRUE(judgeOf(semanticF1("Paris", "Paris"), storage).recognized());
    EXPECT_TRUE(judgeOf(rubricJudge("The answer must mention Paris.", "Paris"), storage).recognized());
    // A task with a number output but nothing to judge against is a task, not a judgement.
    PromptSpec task;
    task.inputs = {{"response"}};
    task.outputs = {{"score", "int"}};
    task.instruction = "Rate it.";
    task.current = {{"response", "fine"}};
    EXPECT_FALSE(judgeOf(task, storage).recognized());
    // A reference and a response but no score-like output: the task skills answer.
    PromptSpec summary = task;
    summary.inputs = {{"reference"}, {"response"}};
    summary.outputs = {{"summary"}};
    summary.current = {{"reference", "a"}, {"response", "b"}};
    EXPECT_FALSE(judgeOf(summary, storage).recognized());
}

TEST(SimJudge, RecallAndPrecisionAreTokenOverlaps)
{
    sim::Prompt storage;
    const sim::JudgeSkills judge =
        judgeOf(semanticF1("The tower stands in Paris, France.", "It is in Paris near the river."), storage);
    ASSERT_TRUE(judge.recognized());
    EXPECT_EQ(judge.items(), (std::vector<std::string>{"tower", "stand", "paris", "france"}));
    EXPECT_DOUBLE_EQ(judge.recall(), 0.25);         // paris of 4
    EXPECT_DOUBLE_EQ(judge.precision(), 1.0 / 3.0); // paris of {paris, near, river}
}

TEST(SimJudge, ScoresFollowTheOverlapWithinTheNoise)
{
    double fullRecall = 0, noRecall = 0;
    for (std::int64_t seed = 0; seed < 10; ++seed) {
        const Parsed good = parseAnswer(
            completeText("sim-small", request(semanticF1("Paris, France", "The tower is in Paris, France."), seed)));
        const Parsed bad =
            parseAnswer(completeText("sim-small", request(semanticF1("Paris, France", "It is in Rome."), seed)));
        const double r = number(good.fields.at("recall")), p = number(good.fields.at("precision"));
        EXPECT_GE(r, 1.0 - 0.35 / 4 - 1e-9); // ChainOfThought halves the noise: +-0.0875
        EXPECT_LE(r, 1.0);
        EXPECT_NEAR(p, 2.0 / 3.0, 0.35 / 4 + 0.005); // paris and france of {tower, paris, france}
        fullRecall += r;
        noRecall += number(bad.fields.at("recall"));
        EXPECT_LE(number(bad.fields.at("recall")), 0.35 / 4 + 1e-9);
        EXPECT_NE(
            good.fields.at("reasoning").find("matches 2 of 2 reference items: paris, france. Nothing is missing."),
            std::string::npos)
            << good.fields.at("reasoning");
        EXPECT_NE(bad.fields.at("reasoning").find("Missing: paris, france."), std::string::npos);
    }
    EXPECT_GT(fullRecall, noRecall + 8);
}

TEST(SimJudge, RubricPhrasesAreItemsAndTheRangeIsTheFields)
{
    const std::string rubric = "The answer must mention the Seine, must mention Paris; it must include a date.";
    const Parsed all = parseAnswer(
        completeText("sim-large", request(rubricJudge(rubric, "On 1 May, by the Seine in Paris, on a date."))));
    const Parsed some = parseAnswer(completeText("sim-large", request(rubricJudge(rubric, "It is in Paris."))));
    const int high = std::atoi(all.fields.at("score").c_str());
    const int low = std::atoi(some.fields.at("score").c_str());
    EXPECT_GE(high, 1);
    EXPECT_LE(high, 10);
    EXPECT_GE(low, 1);
    EXPECT_GT(high, low);
    EXPECT_NE(some.fields.at("reason").find("matches 1 of 3 reference items: Paris."), std::string::npos)
        << some.fields.at("reason");
    EXPECT_NE(some.fields.at("reason").find("Missing: the Seine, a date."), std::string::npos)
        << some.fields.at("reason");
}

TEST(SimJudge, AFloatScoreWithoutAStatedRangeIsBetweenZeroAndOne)
{
    PromptSpec p = rubricJudge("It must mention Paris.", "Paris.", "float");
    p.outputs[0].description = "How well the response does.";
    for (std::int64_t seed = 0; seed < 5; ++seed) {
        const double s = number(parseAnswer(completeText("sim-small", request(p, seed))).fields.at("score"));
        EXPECT_GE(s, 1.0 - 0.35 / 2 - 1e-9);
        EXPECT_LE(s, 1.0);
    }
}

TEST(SimJudge, SameRequestSameScore)
{
    const ChatRequest r = request(semanticF1("Paris, France", "Paris."), 3, 0.7, 11);
    EXPECT_EQ(completeText("sim-small", r), completeText("sim-small", r));
}
