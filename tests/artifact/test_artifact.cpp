#include "artifact/artifact.h"
#include "artifact/prompt_export.h"
#include "core/json.h"
#include "core/study.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

using namespace prism;

namespace {

const std::string kRenderings = std::string(PRISM_TEST_DATA_DIR) + "/dspy-renderings/";

std::string readFixture(const std::string &path)
{
    auto text = readInputFile(path);
    EXPECT_TRUE(text.ok()) << path;
    return text.ok() ? text.value() : std::string();
}

const std::vector<std::string> kCategories = {"harassment", "hate", "sexual", "violence", "self_harm", "spam", "other"};

Field snippetField()
{
    return Field{"snippet", Type::string(), "", ""};
}
Field severityField(bool described = true)
{
    return Field{"severity", Type::enumOf({"low", "medium", "high"}),
                 described ? "Overall severity of the snippet for moderation routing." : "", ""};
}
Field violationsField()
{
    return Field{"policy_violations", Type::listOf(Type::enumOf(kCategories)),
                 "Zero or more policy categories the snippet violates.", ""};
}

// The two demos of the fixtures: a bootstrapped one, then a labeled one.
std::vector<Demo> moderationDemos()
{
    Demo bootstrapped;
    bootstrapped.augmented = true;
    bootstrapped.values.set("snippet", "You're an idiot and nobody likes you here.");
    bootstrapped.values.set("severity", "medium");
    bootstrapped.values.set("policy_violations", Value::List{Value("harassment")});
    Demo labeled;
    labeled.values.set("snippet", "Have a wonderful weekend everyone!");
    labeled.values.set("severity", "low");
    labeled.values.set("policy_violations", Value::List{});
    return {bootstrapped, labeled};
}

Predictor classifyPredictor(const std::string &instruction)
{
    Predictor p;
    p.name = "classify";
    p.signature.instruction = instruction;
    p.signature.inputs = {snippetField()};
    p.signature.outputs = {severityField(), violationsField()};
    return p;
}

// saved_predict_moderation.json: dspy.Predict(Moderation) with new instructions and the two demos.
Program predictProgram()
{
    Predictor p = classifyPredictor("Review the snippet and classify severity and policy violations.");
    p.demos = moderationDemos();
    return Program{{p}};
}

// saved_cot_moderation.json: dspy.ChainOfThought(Moderation) with the two demos.
Program cotProgram()
{
    Predictor p = classifyPredictor("Classify the snippet for moderation.");
    p.kind = PredictorKind::ChainOfThought;
    p.demos = moderationDemos();
    return Program{{p}};
}

// saved_two_predictors.json: classify = Predict(Moderation), explain = ChainOfThought("snippet, severity ->
// explanation").
Program twoPredictorProgram()
{
    Predictor classify = classifyPredictor("Classify the snippet for moderation.");
    Predictor explain;
    explain.name = "explain";
    explain.kind = PredictorKind::ChainOfThought;
    explain.signature.inputs = {snippetField(), severityField(false)};
    explain.signature.outputs = {Field{"explanation", Type::string(), "", ""}};
    // No instruction in DSPy: its default, computed before `reasoning` is added (a study fills it the same way).
    explain.signature.instruction = Signature::defaultInstruction(explain.signature.inputs, explain.signature.outputs);
    return Program{{classify, explain}};
}

// saved_two_stage_moderation.json: find = Predict("snippet -> policy_violations") with two demos, rate =
// ChainOfThought("snippet, policy_violations -> severity") with one bootstrapped demo.
Program twoStageProgram()
{
    Predictor find;
    find.name = "find";
    find.signature.instruction = "List every policy category the snippet violates; none is a valid answer.";
    find.signature.inputs = {snippetField()};
    find.signature.outputs = {violationsField()};
    for (Demo demo : moderationDemos()) {
        demo.values.erase("severity");
        find.demos.push_back(demo);
    }
    Predictor rate;
    rate.name = "rate";
    rate.kind = PredictorKind::ChainOfThought;
    rate.signature.instruction = "Rate the severity of the snippet given its violations.";
    Field violationsInput = violationsField();
    violationsInput.description.clear();
    rate.signature.inputs = {snippetField(), violationsInput};
    rate.signature.outputs = {severityField()};
    Demo traced;
    traced.augmented = true;
    traced.values.set("snippet", "You're an idiot and nobody likes you here.");
    traced.values.set("policy_violations", Value::List{Value("harassment")});
    traced.values.set("reasoning", "An insult aimed at a person, no threat.");
    traced.values.set("severity", "medium");
    rate.demos = {traced};
    return Program{{find, rate}};
}

// The same programs as a study holds them before optimization: other instructions, no demos.
Program asStudy(Program program)
{
    for (auto &p : program.predictors) {
        p.signature.instruction = "Original instruction of " + p.name + ".";
        p.demos.clear();
    }
    return program;
}

ArtifactInfo fullInfo()
{
    ArtifactInfo info;
    info.studyName = "Content moderation";
    info.studyHash = std::string(64, 'a');
    info.trainHash = std::string(64, 'b');
    info.valHash = std::string(64, 'c');
    info.testHash = std::string(64, 'd');
    info.taskModel = {"openai", "gpt-4o-mini", "http://localhost:8080/v1"};
    info.proposerModel = {"simlm", "sim-small", ""};
    info.seed = 0;
    info.optimizer = "miprov2";
    info.optimizerSettings.set("auto", "light");
    info.optimizerSettings.set("num_trials", Value());
    info.optimizerSettings.set("minibatch_size", 35);
    info.optimizerSettings.set("init_temperature", 0.5);
    info.optimizerSettings.set("minibatch", true);
    info.baselineScore = 0.5;
    info.optimizedScore = 0.75;
    info.splitScores["test"] = SplitScores{0.25, 0.625};
    info.splitScores["val"] = SplitScores{0.5, std::nullopt};
    info.runId = "run-42";
    info.createdAt = "2026-03-01T12:00:00Z";
    return info;
}

std::string withoutPrism(const std::string &text)
{
    Json j = Json::parse(text);
    j.erase("prism");
    return j.dump(2) + "\n";
}

std::string tempPath(const std::string &name)
{
    return (std::filesystem::temp_directory_path() / ("prism-artifact-" + std::to_string(::getpid()) + "-" + name))
        .string();
}

LoadedArtifact loadOk(const std::string &text, const Program &study)
{
    auto loaded = loadDspyProgram(text, "x.json", study);
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().describe());
    return loaded.ok() ? loaded.value() : LoadedArtifact{};
}

std::string loadError(const std::string &text, const Program &study)
{
    auto loaded = loadDspyProgram(text, "x.json", study);
    EXPECT_FALSE(loaded.ok());
    return loaded.ok() ? std::string() : loaded.error().message;
}

std::string replaced(std::string text, const std::string &from, const std::string &to)
{
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos)
        text.replace(pos, from.size(), to);
    return text;
}

} // namespace

// ---- DSPy layouts, byte for byte -------------------------------------------

TEST(DspyLayout, SinglePredictIsFlatLikeDspy)
{
    EXPECT_EQ(programToDspyJson(predictProgram(), std::nullopt),
              readFixture(kRenderings + "saved_predict_moderation.json"));
}

TEST(DspyLayout, SingleChainOfThoughtSitsUnderPredict)
{
    EXPECT_EQ(programToDspyJson(cotProgram(), std::nullopt), readFixture(kRenderings + "saved_cot_moderation.json"));
}

TEST(DspyLayout, SeveralPredictorsAreKeyedByAttributePath)
{
    EXPECT_EQ(programToDspyJson(twoPredictorProgram(), std::nullopt),
              readFixture(kRenderings + "saved_two_predictors.json"));
    EXPECT_EQ(dspyStateKey(twoPredictorProgram(), 0), "classify");
    EXPECT_EQ(dspyStateKey(twoPredictorProgram(), 1), "explain.predict");
}

// Issue 16, item 6: a pipeline whose second stage reads the first's output saves as DSPy saves the module.
TEST(DspyLayout, TwoStagePipelineIsKeyedFindAndRatePredict)
{
    EXPECT_EQ(programToDspyJson(twoStageProgram(), std::nullopt),
              readFixture(kRenderings + "saved_two_stage_moderation.json"));
    EXPECT_EQ(dspyStateKey(twoStageProgram(), 0), "find");
    EXPECT_EQ(dspyStateKey(twoStageProgram(), 1), "rate.predict");
}

TEST(ArtifactRoundTrip, DspysTwoStageModuleLoadsIntoTheStudyPipeline)
{
    const LoadedArtifact loaded =
        loadOk(readFixture(kRenderings + "saved_two_stage_moderation.json"), asStudy(twoStageProgram()));
    EXPECT_EQ(loaded.program, twoStageProgram());
}

TEST(DspyLayout, EmptyInstructionIsWrittenAsDspysDefault)
{
    Program program = twoPredictorProgram();
    program.predictors[1].signature.instruction.clear();
    EXPECT_EQ(programToDspyJson(program, std::nullopt), readFixture(kRenderings + "saved_two_predictors.json"));
}

TEST(DspyLayout, PrismBlockComesLastAndLeavesDspyPartUnchanged)
{
    const struct {
        Program program;
        const char *fixture;
    } cases[] = {{predictProgram(), "saved_predict_moderation.json"},
                 {cotProgram(), "saved_cot_moderation.json"},
                 {twoPredictorProgram(), "saved_two_predictors.json"}};
    for (const auto &c : cases) {
        const std::string text = programToDspyJson(c.program, fullInfo());
        EXPECT_EQ(withoutPrism(text), readFixture(kRenderings + c.fixture)) << c.fixture;
        const Json j = Json::parse(text);
        EXPECT_EQ(std::prev(j.end()).key(), "prism") << c.fixture;
        EXPECT_EQ(text.back(), '\n');
    }
}

TEST(DspyLayout, NoWallClockTimeByDefault)
{
    // Two identical runs must write identical files: nothing time-dependent unless the caller asks.
    ArtifactInfo info;
    info.studyName = "s";
    const Json j = Json::parse(programToDspyJson(predictProgram(), info));
    EXPECT_FALSE(j["prism"].contains("created_at"));
    EXPECT_EQ(j["prism"]["app_version"], PRISM_VERSION);
}

// ---- Round trips -------------------------------------------------------------

TEST(ArtifactRoundTrip, PredictCotAndPipelineComeBackWhole)
{
    for (const Program &program : {predictProgram(), cotProgram(), twoPredictorProgram()}) {
        const LoadedArtifact loaded = loadOk(programToDspyJson(program, fullInfo()), asStudy(program));
        EXPECT_EQ(loaded.program, program) << program.predictors.front().name;
        ASSERT_TRUE(loaded.info.has_value());
        EXPECT_EQ(*loaded.info, fullInfo());
        EXPECT_TRUE(loaded.warnings.empty());
    }
}

TEST(ArtifactRoundTrip, DspyFilesLoadIntoTheStudyProgram)
{
    // Files DSPy wrote itself: instructions and demos (with the augmented flag) come from the file.
    const LoadedArtifact predict =
        loadOk(readFixture(kRenderings + "saved_predict_moderation.json"), asStudy(predictProgram()));
    EXPECT_EQ(predict.program, predictProgram());
    EXPECT_FALSE(predict.info.has_value());
    ASSERT_EQ(predict.program.predictors[0].demos.size(), 2u);
    EXPECT_TRUE(predict.program.predictors[0].demos[0].augmented);
    EXPECT_FALSE(predict.program.predictors[0].demos[1].augmented);
    EXPECT_EQ(loadOk(readFixture(kRenderings + "saved_cot_moderation.json"), asStudy(cotProgram())).program,
              cotProgram());
    EXPECT_EQ(loadOk(readFixture(kRenderings + "saved_two_predictors.json"), asStudy(twoPredictorProgram())).program,
              twoPredictorProgram());
}

TEST(ArtifactRoundTrip, CustomPrefixesAndDescriptionsSurvive)
{
    Program program = predictProgram();
    Predictor &p = program.predictors[0];
    p.signature.inputs[0].prefix = "Post:";
    p.signature.inputs[0].description = "The user's post.";
    const std::string text = programToDspyJson(program, std::nullopt);
    EXPECT_NE(text.find("\"prefix\": \"Post:\""), std::string::npos);
    EXPECT_NE(text.find("\"description\": \"The user's post.\""), std::string::npos);

    Program study = asStudy(program);
    study.predictors[0].signature.inputs[0].description.clear(); // the study's description may differ; the artifact's
                                                                 // wins
    EXPECT_EQ(loadOk(text, study).program, program);
}

TEST(ArtifactRoundTrip, CustomReasoningDescriptionIsKept)
{
    Program program = cotProgram();
    std::string text = programToDspyJson(program, std::nullopt);
    text = replaced(text, "\"${reasoning}\"", "\"Think about the audience first.\"");
    const LoadedArtifact loaded = loadOk(text, asStudy(program));
    const Signature effective = loaded.program.predictors[0].effectiveSignature();
    ASSERT_EQ(effective.outputs.size(), 3u);
    EXPECT_EQ(effective.outputs[0].name, "reasoning");
    EXPECT_EQ(effective.outputs[0].description, "Think about the audience first.");
    // and it is written back the same way
    EXPECT_EQ(programToDspyJson(loaded.program, std::nullopt), text);
}

TEST(ArtifactRoundTrip, DemoValuesComeBackTyped)
{
    Predictor p;
    p.name = "solve";
    p.signature.instruction = "Solve it.";
    p.signature.inputs = {Field{"question", Type::string(), "", ""}};
    p.signature.outputs = {Field{"answer", Type::integer(), "", ""}, Field{"confidence", Type::floating(), "", ""},
                           Field{"certain", Type::boolean(), "", ""},
                           Field{"steps", Type::listOf(Type::integer()), "", ""}};
    Demo d;
    d.augmented = true;
    d.values.set("question", "2+3?");
    d.values.set("answer", 5);
    d.values.set("confidence", 2.0); // integral float stays a float
    d.values.set("certain", false);
    d.values.set("steps", Value::List{Value(2), Value(3)});
    p.demos = {d};
    const Program program{{p}};
    const LoadedArtifact loaded = loadOk(programToDspyJson(program, std::nullopt), asStudy(program));
    EXPECT_EQ(loaded.program, program);
    const Demo &back = loaded.program.predictors[0].demos[0];
    EXPECT_TRUE(back.values.get("answer").isInt());
    EXPECT_TRUE(back.values.get("confidence").isFloat());
    EXPECT_TRUE(back.values.get("certain").isBool());
    EXPECT_TRUE(back.values.get("steps").asList()[0].isInt());
}

TEST(ArtifactRoundTrip, DemoValuesAreConvertedToFieldTypes)
{
    // A hand-edited file (or another tool) may write numbers as text.
    const std::string text = R"({
  "traces": [], "train": [],
  "demos": [{"question": "2+3?", "answer": "5", "confidence": 1, "certain": "true", "steps": "[2, 3]", "note": 7}],
  "signature": {"instructions": "Solve it.", "fields": [
    {"prefix": "Question:", "description": "${question}"},
    {"prefix": "Answer:", "description": "${answer}"},
    {"prefix": "Confidence:", "description": "${confidence}"},
    {"prefix": "Certain:", "description": "${certain}"},
    {"prefix": "Steps:", "description": "${steps}"}]},
  "lm": null, "metadata": {"dependency_versions": {}}})";
    Predictor p;
    p.name = "solve";
    p.signature.inputs = {Field{"question", Type::string(), "", ""}};
    p.signature.outputs = {Field{"answer", Type::integer(), "", ""}, Field{"confidence", Type::floating(), "", ""},
                           Field{"certain", Type::boolean(), "", ""},
                           Field{"steps", Type::listOf(Type::integer()), "", ""}};
    const LoadedArtifact loaded = loadOk(text, Program{{p}});
    ASSERT_EQ(loaded.program.predictors.size(), 1u);
    const Fields &v = loaded.program.predictors[0].demos.at(0).values;
    EXPECT_EQ(v.get("answer"), Value(5));
    EXPECT_EQ(v.get("confidence"), Value(1.0));
    EXPECT_EQ(v.get("certain"), Value(true));
    EXPECT_EQ(v.get("steps"), Value(Value::List{Value(2), Value(3)}));
    EXPECT_EQ(v.get("note"), Value(7)); // keys outside the signature are kept as they are, like DSPy
    EXPECT_FALSE(loaded.program.predictors[0].demos[0].augmented);

    const std::string bad = replaced(text, "\"answer\": \"5\"", "\"answer\": \"five\"");
    const std::string message = loadError(bad, Program{{p}});
    EXPECT_NE(message.find("demo 1, field 'answer'"), std::string::npos) << message;
    EXPECT_NE(message.find("\"five\" is not of type int"), std::string::npos) << message;
}

TEST(ArtifactRoundTrip, PrismBlockRoundTripsAndSeedZeroIsKept)
{
    ArtifactInfo info = fullInfo();
    info.seed = 0;
    const std::string text = programToDspyJson(predictProgram(), info);
    const Json j = Json::parse(text);
    EXPECT_EQ(j["prism"]["seed"], 0);
    EXPECT_EQ(j["prism"]["models"]["task"]["base_url"], "http://localhost:8080/v1");
    EXPECT_FALSE(j["prism"]["models"]["proposer"].contains("base_url"));
    EXPECT_EQ(j["prism"]["scores"]["splits"]["test"]["optimized"], 0.625);
    EXPECT_FALSE(j["prism"]["scores"]["splits"]["val"].contains("optimized"));
    EXPECT_EQ(j["prism"]["optimizer"]["settings"]["minibatch_size"], 35);
    auto loaded = loadOk(text, asStudy(predictProgram()));
    ASSERT_TRUE(loaded.info.has_value());
    EXPECT_EQ(*loaded.info, info);

    ArtifactInfo sparse; // only what every artifact has
    sparse.studyName = "s";
    loaded = loadOk(programToDspyJson(predictProgram(), sparse), asStudy(predictProgram()));
    ASSERT_TRUE(loaded.info.has_value());
    EXPECT_EQ(*loaded.info, sparse);
    EXPECT_FALSE(loaded.info->seed.has_value());
}

TEST(ArtifactRoundTrip, InfoFromStudyNeverHoldsAKey)
{
    auto study = loadStudy(std::string(PRISM_SAMPLES_DIR) + "/moderation/moderation.prism.json");
    ASSERT_TRUE(study.ok()) << study.error().describe();
    Study s = study.value();
    s.taskModel.apiKeyEnv = "SECRET_KEY_VARIABLE_NAME";
    s.taskModel.extraHeaders["Authorization"] = "Bearer sk-not-a-real-key";
    const ArtifactInfo info = artifactInfoFromStudy(s);
    EXPECT_EQ(info.studyName, s.name);
    EXPECT_EQ(info.studyHash.size(), 64u);
    EXPECT_EQ(info.seed, std::optional<std::uint64_t>(0));
    EXPECT_EQ(info.optimizer, "miprov2");
    EXPECT_EQ(info.optimizerSettings.get("auto"), Value("light"));
    EXPECT_EQ(info.taskModel, (ArtifactModel{"simlm", "sim-small", ""}));
    const std::string text = programToDspyJson(s.program, info);
    EXPECT_EQ(text.find("SECRET_KEY_VARIABLE_NAME"), std::string::npos);
    EXPECT_EQ(text.find("sk-not-a-real-key"), std::string::npos);

    // The hash follows the study's content.
    Study changed = s;
    changed.optimizer.seed = 1;
    EXPECT_NE(studyHash(changed), info.studyHash);
    EXPECT_EQ(studyHash(s), info.studyHash);

    // The sample's program (one Predict named "classify") saves flat and loads back.
    const Json j = Json::parse(text);
    EXPECT_TRUE(j.contains("signature"));
    EXPECT_EQ(loadOk(text, s.program).program, s.program);
}

TEST(ArtifactRoundTrip, SaveAndLoadFiles)
{
    const std::string path = tempPath("two.json");
    ASSERT_TRUE(saveDspyProgramFile(path, twoPredictorProgram(), fullInfo()).ok());
    EXPECT_EQ(readFixture(path), programToDspyJson(twoPredictorProgram(), fullInfo()));
    auto loaded = loadDspyProgramFile(path, asStudy(twoPredictorProgram()));
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    EXPECT_EQ(loaded->program, twoPredictorProgram());
    std::filesystem::remove(path);

    auto missing = loadDspyProgramFile(tempPath("does-not-exist.json"), predictProgram());
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::Io);
    EXPECT_FALSE(saveDspyProgramFile(tempPath("no-such-dir") + "/x.json", predictProgram(), std::nullopt).ok());
}

TEST(ArtifactRoundTrip, SingleModulePredictorKeyedByItsNameLoads)
{
    // A DSPy module holding `self.classify = dspy.Predict(...)` saves under "classify".
    Json j = Json::parse(programToDspyJson(predictProgram(), std::nullopt));
    Json keyed = Json::object();
    keyed["classify"] = j;
    keyed["classify"].erase("metadata");
    keyed["metadata"] = j["metadata"];
    EXPECT_EQ(loadOk(keyed.dump(2), asStudy(predictProgram())).program, predictProgram());
}

TEST(ArtifactRoundTrip, SavedLmStateIsReportedNotImported)
{
    const std::string text = replaced(readFixture(kRenderings + "saved_predict_moderation.json"), "\"lm\": null",
                                      R"("lm": {"model": "openai/gpt-4o-mini", "temperature": 0.0})");
    const LoadedArtifact loaded = loadOk(text, asStudy(predictProgram()));
    EXPECT_EQ(loaded.program, predictProgram());
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_NE(loaded.warnings[0].find("LM"), std::string::npos);
}

// ---- Mismatches name the difference ------------------------------------------

TEST(ArtifactMismatch, FieldCount)
{
    // A ChainOfThought file (4 fields with reasoning) against a Predict study (3 fields).
    const std::string message =
        loadError(readFixture(kRenderings + "saved_cot_moderation.json"), asStudy(predictProgram()));
    EXPECT_NE(message.find("predictor 'classify': the artifact has 4 fields, the study's signature has 3 "
                           "(snippet, severity, policy_violations)"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.rfind("x.json: ", 0), 0u) << message;
    // and the other way round: the study's ChainOfThought expects reasoning.
    const std::string other =
        loadError(readFixture(kRenderings + "saved_predict_moderation.json"), asStudy(cotProgram()));
    EXPECT_NE(
        other.find(
            "the artifact has 3 fields, the study's signature has 4 (snippet, reasoning, severity, policy_violations)"),
        std::string::npos)
        << other;
}

TEST(ArtifactMismatch, PrefixAtPosition)
{
    Program study = asStudy(predictProgram());
    std::swap(study.predictors[0].signature.outputs[0], study.predictors[0].signature.outputs[1]);
    const std::string message = loadError(readFixture(kRenderings + "saved_predict_moderation.json"), study);
    EXPECT_NE(message.find("predictor 'classify': field 2 is 'Severity:' in the artifact but 'policy_violations' "
                           "(Policy Violations:) in the study"),
              std::string::npos)
        << message;
}

TEST(ArtifactMismatch, RenamedFieldWithSamePrefix)
{
    Program study = asStudy(predictProgram());
    study.predictors[0].signature.inputs[0] = Field{"text", Type::string(), "", "Snippet:"};
    const std::string message = loadError(readFixture(kRenderings + "saved_predict_moderation.json"), study);
    EXPECT_NE(
        message.find("field 1 is named 'snippet' in the artifact (description \"${snippet}\") but 'text' in the study"),
        std::string::npos)
        << message;
}

TEST(ArtifactMismatch, MissingAndExtraPredictors)
{
    const std::string text = readFixture(kRenderings + "saved_two_predictors.json");
    Program study = asStudy(twoPredictorProgram());
    study.predictors[1].name = "summarize";
    std::string message = loadError(text, study);
    EXPECT_NE(message.find("the artifact has no predictor 'summarize' (expected key \"summarize.predict\"; "
                           "the artifact has: classify, explain.predict)"),
              std::string::npos)
        << message;

    Program single = asStudy(predictProgram());
    message = loadError(text, single);
    EXPECT_NE(message.find("the artifact has a predictor \"explain.predict\" that the study's program does not have"),
              std::string::npos)
        << message;

    single.predictors[0].name = "judge";
    message = loadError(text, single);
    EXPECT_NE(
        message.find("the artifact has no predictor 'judge' (expected a flat dspy.Predict file or the key \"judge\"; "
                     "the artifact has: classify, explain.predict)"),
        std::string::npos)
        << message;

    message = loadError(readFixture(kRenderings + "saved_predict_moderation.json"), asStudy(twoPredictorProgram()));
    EXPECT_NE(message.find("single dspy.Predict (flat layout) but the study's program has 2 predictors"),
              std::string::npos)
        << message;
}

TEST(ArtifactMismatch, UnknownLayoutAndLegacyFiles)
{
    std::string message = loadError(R"({"classifier": {"demos": []}, "metadata": {}})", asStudy(predictProgram()));
    EXPECT_NE(message.find("unknown layout"), std::string::npos) << message;
    EXPECT_NE(message.find("classifier, metadata"), std::string::npos) << message;
    message = loadError("[1, 2]", asStudy(predictProgram()));
    EXPECT_NE(message.find("unknown layout"), std::string::npos) << message;

    const std::string legacy = replaced(readFixture(kRenderings + "saved_predict_moderation.json"), "\"lm\": null",
                                        "\"lm\": null, \"extended_signature\": {}");
    message = loadError(legacy, asStudy(predictProgram()));
    EXPECT_NE(message.find("extended_signature"), std::string::npos) << message;

    const std::string noFields =
        replaced(readFixture(kRenderings + "saved_predict_moderation.json"), "\"fields\": [", "\"fieldz\": [");
    message = loadError(noFields, asStudy(predictProgram()));
    EXPECT_NE(message.find("signature.fields must be an array"), std::string::npos) << message;
}

TEST(ArtifactMismatch, MalformedJsonNamesLineAndColumn)
{
    const std::string good = readFixture(kRenderings + "saved_predict_moderation.json");
    // Drop the comma after "lm": null; the parser notices at "metadata" on the next line.
    const auto pos = good.find("\"lm\": null,");
    ASSERT_NE(pos, std::string::npos);
    const long lmLine = std::count(good.begin(), good.begin() + static_cast<long>(pos), '\n') + 1;
    const std::string bad = replaced(good, "\"lm\": null,", "\"lm\": null");
    auto loaded = loadDspyProgram(bad, "broken.json", asStudy(predictProgram()));
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::Parse);
    EXPECT_NE(loaded.error().message.find("broken.json:" + std::to_string(lmLine + 1) + ":"), std::string::npos)
        << loaded.error().message;

    auto truncated = loadDspyProgram(good.substr(0, good.size() / 2), "half.json", asStudy(predictProgram()));
    ASSERT_FALSE(truncated.ok());
    EXPECT_EQ(truncated.error().message.rfind("half.json:", 0), 0u) << truncated.error().message;
}

TEST(ArtifactMismatch, BadPrismBlockIsAnError)
{
    Json j = Json::parse(programToDspyJson(predictProgram(), fullInfo()));
    j["prism"]["seed"] = "zero";
    const std::string message = loadError(j.dump(2), asStudy(predictProgram()));
    EXPECT_NE(message.find("prism block: \"seed\""), std::string::npos) << message;

    // A block from a newer Prism does not stop the program from loading.
    j["prism"] = Json{{"format", 2}, {"seed", "whatever"}};
    const LoadedArtifact loaded = loadOk(j.dump(2), asStudy(predictProgram()));
    EXPECT_EQ(loaded.program, predictProgram());
    EXPECT_FALSE(loaded.info.has_value());
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_NE(loaded.warnings[0].find("format 2"), std::string::npos) << loaded.warnings[0];
}

// ---- Rendered prompt export (with a stand-in adapter) ------------------------

namespace {

// Renders what it is given, so the test sees which signature, demos and inputs each stage got.
class EchoAdapter : public Adapter {
public:
    AdapterKind kind() const override { return AdapterKind::Chat; }
    std::vector<ChatMessage> format(const Signature &signature, const std::vector<Demo> &demos,
                                    const Fields &inputs) const override
    {
        std::string outputs;
        for (const auto &f : signature.outputs)
            outputs += (outputs.empty() ? "" : ",") + f.name;
        std::string in;
        for (const auto &[name, value] : inputs)
            in += (in.empty() ? "" : "\n") + name + "=" + value.toText();
        return {{"system", signature.instruction + " -> " + outputs + " (" + std::to_string(demos.size()) + " demos)"},
                {"user", in}};
    }
    Result<Fields> parse(const Signature &, const std::string &) const override { return Fields{}; }
};

} // namespace

TEST(PromptExport, PipelineStagesUsePlaceholdersForEarlierOutputs)
{
    Program program = twoPredictorProgram();
    program.predictors[1].signature.instruction = "Explain.";
    program.predictors[1].demos = {moderationDemos()[1]};
    EchoAdapter adapter;
    // "severity" is in the example too, but stage 2 gets it from stage 1: a placeholder.
    const Fields inputs{{"snippet", "Buy cheap pills now"}, {"severity", "high"}};
    const Json j = Json::parse(renderPromptMessagesJson(program, inputs, adapter));
    ASSERT_TRUE(j.is_array());
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["predictor"], "classify");
    EXPECT_EQ(j[0]["messages"][0]["role"], "system");
    EXPECT_EQ(j[0]["messages"][0]["content"],
              "Classify the snippet for moderation. -> severity,policy_violations (0 demos)");
    EXPECT_EQ(j[0]["messages"][1]["content"], "snippet=Buy cheap pills now");
    EXPECT_EQ(j[1]["predictor"], "explain");
    EXPECT_EQ(j[1]["messages"][0]["content"], "Explain. -> reasoning,explanation (1 demos)"); // effective signature
    EXPECT_EQ(j[1]["messages"][1]["content"], "snippet=Buy cheap pills now\nseverity={severity}");

    const Fields none;
    const Json empty = Json::parse(renderPromptMessagesJson(predictProgram(), none, adapter));
    EXPECT_EQ(empty[0]["messages"][1]["content"], "snippet={snippet}");
}

TEST(PromptExport, PlainText)
{
    EchoAdapter adapter;
    const Fields inputs{{"snippet", "hello"}};
    EXPECT_EQ(
        renderPromptText(predictProgram(), inputs, adapter),
        "=== system ===\nReview the snippet and classify severity and policy violations. -> severity,policy_violations "
        "(2 demos)\n\n=== user ===\nsnippet=hello\n");
    const std::string pipeline = renderPromptText(twoPredictorProgram(), inputs, adapter);
    EXPECT_EQ(pipeline.rfind("##### predictor: classify #####\n\n=== system ===\n", 0), 0u) << pipeline;
    EXPECT_NE(pipeline.find("snippet=hello\n\n##### predictor: explain #####\n\n=== system ===\n"), std::string::npos)
        << pipeline;
    EXPECT_NE(pipeline.find("severity={severity}\n"), std::string::npos) << pipeline;
}

// Found by fuzzing (fuzz/regressions/artifact): a demo's enum value outside the
// field's set was loaded as it was, and reached prompts as an option the
// signature does not offer.
TEST(ArtifactMismatch, EnumDemoValueOutsideTheSetIsAnError)
{
    const std::string good = readFixture(kRenderings + "saved_cot_moderation.json");
    const std::string bad = replaced(good, "\"severity\": \"medium\"", "\"severity\": \"mmetad\"");
    ASSERT_NE(bad, good);
    auto loaded = loadDspyProgram(bad, "edited.json", asStudy(cotProgram()));
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find("edited.json"), std::string::npos) << loaded.error().message;
    EXPECT_NE(loaded.error().message.find("demo 1, field 'severity'"), std::string::npos) << loaded.error().message;
    EXPECT_NE(loaded.error().message.find("\"mmetad\" is not of type enum[low,medium,high]"), std::string::npos)
        << loaded.error().message;
    EXPECT_TRUE(loadDspyProgram(good, "saved.json", asStudy(cotProgram())).ok());
}

// Found by fuzzing (fuzz/regressions/json): a number too large for a double
// aborted Prism instead of failing the load.
TEST(ArtifactMismatch, NumberOutOfRangeIsAParseErrorWithItsLine)
{
    auto loaded =
        loadDspyProgram("{\n  \"predict\": {\"demos\": [{\"x\": 1e999}]}\n}", "huge.json", asStudy(predictProgram()));
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::Parse);
    EXPECT_EQ(loaded.error().message.rfind("huge.json:2:31: invalid JSON: a number too large", 0), 0u)
        << loaded.error().message;
}
