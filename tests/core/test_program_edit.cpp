// The Program page's stage edits (issue 16 item 1), as the engine functions
// the page calls: the one-stage moderation study becomes the two-stage
// sample's program, and edits that cannot work are refused with the reason.
#include "core/program_edit.h"
#include "core/program_wiring.h"

#include <gtest/gtest.h>

using namespace prism;

namespace {

Study loadSampleStudy(const std::string &name)
{
    auto study = loadStudy(std::string(PRISM_SAMPLES_DIR) + "/" + name + "/" + name + ".prism.json");
    EXPECT_TRUE(study.ok()) << study.error().describe();
    return *study;
}

const std::vector<std::string> kColumns = {"snippet", "severity", "policy_violations"};

std::vector<std::string> names(const std::vector<Field> &fields)
{
    std::vector<std::string> out;
    for (const auto &f : fields)
        out.push_back(f.name);
    return out;
}

template <typename T> T value(Result<T> result)
{
    EXPECT_TRUE(result.ok()) << result.error().describe();
    return std::move(*result);
}

} // namespace

TEST(ProgramEdit, TheOneStageSampleBecomesTheTwoStageOne)
{
    Study study = loadSampleStudy("moderation");
    ASSERT_EQ(study.program.predictors.size(), 1u);

    // A stage before the classifier: it works at once, passing a note on.
    StageEdit edit = value(addStageBefore(study, 0));
    EXPECT_EQ(edit.stage, 0u);
    Program &p = edit.study.program;
    ASSERT_EQ(p.predictors.size(), 2u);
    EXPECT_EQ(names(p.predictors[0].signature.inputs), std::vector<std::string>{"snippet"});
    EXPECT_EQ(names(p.predictors[0].signature.outputs), std::vector<std::string>{"notes"});
    EXPECT_EQ(names(p.predictors[1].signature.inputs), (std::vector<std::string>{"snippet", "notes"}));
    EXPECT_TRUE(wireProgram(p, kColumns).ok());

    // Name it, move the violations into it, wire them into the classifier, drop the note.
    edit = value(renameStage(edit.study, 0, "find"));
    edit = value(moveField(edit.study, 1, "policy_violations", 0));
    EXPECT_EQ(edit.stage, 0u);
    const std::vector<InputChoice> choices = inputChoices(edit.study, 1, kColumns);
    ASSERT_FALSE(choices.empty());
    EXPECT_EQ(choices[0].field, "policy_violations");
    EXPECT_EQ(choices[0].stage, "find");
    edit = value(addInputFrom(edit.study, 1, "policy_violations"));
    Program &q = edit.study.program;
    EXPECT_EQ(q.predictors[1].signature.inputs.back().type, q.predictors[0].signature.outputs.back().type)
        << "the input has the type of the output it reads";
    q.predictors[0].signature.outputs.erase(q.predictors[0].signature.outputs.begin()); // notes
    q.predictors[1].signature.inputs.erase(q.predictors[1].signature.inputs.begin() + 1);
    edit = value(renameStage(edit.study, 1, "rate"));

    const Study sample = loadSampleStudy("moderation_pipeline");
    ASSERT_EQ(edit.study.program.predictors.size(), sample.program.predictors.size());
    for (std::size_t s = 0; s < sample.program.predictors.size(); ++s) {
        const Predictor &built = edit.study.program.predictors[s];
        const Predictor &want = sample.program.predictors[s];
        EXPECT_EQ(built.name, want.name);
        EXPECT_EQ(names(built.signature.inputs), names(want.signature.inputs)) << want.name;
        EXPECT_EQ(names(built.signature.outputs), names(want.signature.outputs)) << want.name;
    }
    const ProgramWiring wiring = wireProgram(edit.study.program, kColumns);
    EXPECT_TRUE(wiring.ok()) << wiring.problems(edit.study.program).front();
    EXPECT_EQ(wiring.stages[1].inputs[1].source, InputSource::Stage);
    // The metric still scores both fields: both are outputs of the program.
    EXPECT_EQ(edit.study.metric.fields.size(), 2u);
}

TEST(ProgramEdit, AStageAfterTheLastWritesALabelTheDatasetLacksUntilAFieldMoves)
{
    const Study study = loadSampleStudy("moderation");
    StageEdit edit = value(addStageAfter(study, 0));
    EXPECT_EQ(edit.stage, 1u);
    EXPECT_EQ(names(edit.study.program.predictors[1].signature.inputs),
              (std::vector<std::string>{"severity", "policy_violations"}));
    const ProgramWiring wiring = wireProgram(edit.study.program, kColumns);
    ASSERT_FALSE(wiring.ok());
    EXPECT_NE(wiring.problems(edit.study.program).back().find("'output' is a label"), std::string::npos);
}

TEST(ProgramEdit, EditsThatCannotWorkAreRefusedWithTheReason)
{
    const Study one = loadSampleStudy("moderation");
    EXPECT_EQ(removeStage(one, 0).error().message, "a program needs at least one stage");
    const Study two = loadSampleStudy("moderation_pipeline");
    EXPECT_EQ(renameStage(two, 0, "rate").error().message, "there is already a stage named 'rate'");
    EXPECT_NE(renameStage(two, 0, "2find").error().message.find("not a valid stage name"), std::string::npos);
    EXPECT_EQ(moveStage(two, 0, -1).error().message, "the first stage cannot move earlier");
    EXPECT_EQ(moveField(two, 0, "snippet", 1).error().message, "the stage 'rate' already has a field named 'snippet'");
    EXPECT_EQ(moveField(two, 0, "policy_violations", 1).error().message,
              "the stage 'rate' already has a field named 'policy_violations'");
    EXPECT_EQ(addInputFrom(two, 1, "severity").error().message, "the stage 'rate' writes 'severity' itself");

    // Removing find keeps the metric's severity; a metric on find's output alone refuses it.
    StageEdit removed = value(removeStage(two, 0));
    ASSERT_EQ(removed.study.metric.fields.size(), 1u);
    EXPECT_EQ(removed.study.metric.fields[0].field, "severity");
    Study onlyFind = two;
    onlyFind.metric.fields.erase(onlyFind.metric.fields.begin()); // keep policy_violations only
    EXPECT_NE(removeStage(onlyFind, 0).error().message.find("the metric scores only this stage's outputs"),
              std::string::npos);

    // Moving rate before find is allowed, and the wiring says what broke.
    StageEdit moved = value(moveStage(two, 1, -1));
    EXPECT_EQ(moved.study.program.predictors[0].name, "rate");
    EXPECT_FALSE(wireProgram(moved.study.program, kColumns).ok());
}
