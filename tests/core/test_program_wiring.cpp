// The wiring the Program page draws and checks (issue 16 item 1): each input
// of each stage comes from the row or from an earlier stage, as runProgram
// reads it, and what cannot work is named before anything runs.
#include "core/program_wiring.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace prism;

namespace {

Predictor stage(const std::string &name, std::vector<std::string> inputs, std::vector<std::string> outputs)
{
    Predictor p;
    p.name = name;
    for (const auto &f : inputs)
        p.signature.inputs.push_back(Field{f, Type::string(), "", ""});
    for (const auto &f : outputs)
        p.signature.outputs.push_back(Field{f, Type::string(), "", ""});
    return p;
}

const std::vector<std::string> kColumns = {"snippet", "severity", "policy_violations"};

} // namespace

TEST(ProgramWiring, InputsComeFromTheRowOrAnEarlierStage)
{
    Program program;
    program.predictors = {stage("find", {"snippet"}, {"policy_violations"}),
                          stage("rate", {"snippet", "policy_violations"}, {"severity"})};
    const ProgramWiring w = wireProgram(program, kColumns);
    ASSERT_TRUE(w.ok()) << w.problems(program).front();
    EXPECT_EQ(w.exampleFields, std::vector<std::string>{"snippet"});
    ASSERT_EQ(w.stages[1].inputs.size(), 2u);
    EXPECT_EQ(w.stages[1].inputs[0].source, InputSource::Example);
    EXPECT_EQ(w.stages[1].inputs[1].source, InputSource::Stage);
    EXPECT_EQ(w.stages[1].inputs[1].stage, 0);
}

TEST(ProgramWiring, AStageCannotReadALaterOutput)
{
    // rate first: it would read policy_violations from the row (the label), not from find.
    Program program;
    program.predictors = {stage("rate", {"snippet", "policy_violations"}, {"severity"}),
                          stage("find", {"snippet"}, {"policy_violations"})};
    const ProgramWiring w = wireProgram(program, kColumns);
    EXPECT_FALSE(w.ok());
    EXPECT_EQ(w.stages[0].inputs[1].source, InputSource::LaterStage);
    EXPECT_EQ(w.stages[0].inputs[1].stage, 1);
    ASSERT_EQ(w.problems(program).size(), 1u);
    EXPECT_EQ(w.problems(program)[0], "stage 'rate': it reads 'policy_violations', which only the later stage "
                                      "'find' writes: move this stage after it, or read another field");
}

TEST(ProgramWiring, AMissingInputIsFlaggedOnlyWhenTheColumnsAreKnown)
{
    Program program;
    program.predictors = {stage("find", {"snippet"}, {"policy_violations"}),
                          stage("rate", {"summary", "policy_violations"}, {"severity"})};
    const ProgramWiring known = wireProgram(program, kColumns);
    EXPECT_EQ(known.stages[1].inputs[0].source, InputSource::Missing);
    EXPECT_EQ(known.problems(program),
              std::vector<std::string>{"stage 'rate': it reads 'summary', which no earlier stage writes and the "
                                       "dataset has no column of"});
    const ProgramWiring unknown = wireProgram(program, std::nullopt);
    EXPECT_TRUE(unknown.ok());
    EXPECT_EQ(unknown.stages[1].inputs[0].source, InputSource::Example);
}

TEST(ProgramWiring, OutputsWrittenTwiceOrShadowedByTheRowAreFlagged)
{
    Program twice;
    twice.predictors = {stage("a", {"snippet"}, {"note"}), stage("b", {"snippet"}, {"note"})};
    EXPECT_EQ(wireProgram(twice, std::nullopt).problems(twice),
              std::vector<std::string>{"stage 'b': it writes 'note', which the stage 'a' writes too"});
    // With the columns known, the last stage's output must be a label the dataset has.
    const auto withColumns = wireProgram(twice, kColumns).problems(twice);
    EXPECT_NE(std::find(withColumns.begin(), withColumns.end(),
                        "stage 'b': its output 'note' is a label of the program (the last stage's outputs are), but "
                        "the dataset has no such column"),
              withColumns.end());
    Program loop;
    loop.predictors = {stage("a", {"snippet", "severity"}, {"severity"})};
    EXPECT_EQ(wireProgram(loop, kColumns).problems(loop),
              std::vector<std::string>{"stage 'a': it reads and writes 'severity'"});

    // b rewrites the snippet, but c reads the row's snippet: runProgram looks at the row first.
    Program shadow;
    shadow.predictors = {stage("a", {"snippet"}, {"severity"}), stage("b", {"severity"}, {"snippet"}),
                         stage("c", {"snippet"}, {"policy_violations"})};
    const ProgramWiring w = wireProgram(shadow, kColumns);
    EXPECT_EQ(w.stages[2].inputs[0].source, InputSource::Example);
    ASSERT_EQ(w.problems(shadow).size(), 1u) << w.problems(shadow).front();
    EXPECT_EQ(w.problems(shadow)[0].rfind("stage 'b': it writes 'snippet'", 0), 0u) << w.problems(shadow)[0];

    Program empty;
    empty.predictors = {stage("a", {}, {})};
    EXPECT_EQ(wireProgram(empty, kColumns).problems(empty),
              (std::vector<std::string>{"stage 'a': it has no inputs", "stage 'a': it has no outputs"}));
}
