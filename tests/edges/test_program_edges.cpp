// Issue 13, "Edges": program files and optimizer settings a new user gets
// wrong. Items 2 (one program loader), 11 (one demo label check) and 7
// (optimizer settings checked before a run exists), each at the command line
// where the user met it, and through the studio's loader function.
#include "edges_cli.h"

#include "artifact/program_file.h"
#include "core/study.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#ifdef PRISM_EDGES_WITH_UI
#include "compare/programsource.h"
#include "export/exporters.h"

#include <QString>
#endif

#include <nlohmann/json.hpp>

#include <map>
#include <optional>

using namespace edges;

namespace {

const fs::path kRenderings = fs::path(PRISM_TEST_DATA_DIR) / "dspy-renderings";

// The demo error every format gives for a label outside severity's enum.
const std::string kBadLabel = "predictor 'classify': demo 1, field 'severity': \"urgent\" is not of type "
                              "enum[low,medium,high] (allowed: low, medium, high)";

// How each reader of a program file treated one file.
struct Verdicts {
    int evalExit = -1;
    std::string evalErr;
    int compareExit = -1;
    std::string compareErr;
    bool engineAccepts = false;
    std::string engineError;
    std::optional<bool> uiAccepts; // unset when the studio is not built
    std::string uiError;
};

class ProgramEdgeTest : public EdgeTest {
protected:
    fs::path study;

    void SetUp() override
    {
        EdgeTest::SetUp();
        study = sampleCopy("moderation");
    }

    // The study's own program, as Prism's {"predictors": [...]} JSON.
    std::string studyProgramJson() const
    {
        const auto root = nlohmann::ordered_json::parse(readAll(study));
        return root["program"].dump(2);
    }

    Verdicts verdicts(const fs::path &file)
    {
        Verdicts v;
        const CliResult eval = prism({"eval", study.string(), "--program", file.string(), "--quiet"});
        v.evalExit = eval.exitCode;
        v.evalErr = eval.err;
        const CliResult compare = prism({"compare", study.string(), "--program", file.string(), "--quiet"});
        v.compareExit = compare.exitCode;
        v.compareErr = compare.err;
        auto studyLoaded = prism::loadStudy(study.string());
        EXPECT_TRUE(studyLoaded.ok());
        auto engine = prism::loadProgramFile(file.string(), studyLoaded->program);
        v.engineAccepts = engine.ok();
        v.engineError = engine.ok() ? std::string() : engine.error().message;
#ifdef PRISM_EDGES_WITH_UI
        auto ui = loadProgramFromFile(QString::fromStdString(file.string()), studyLoaded->program);
        v.uiAccepts = ui.ok();
        v.uiError = ui.ok() ? std::string() : ui.error().message;
#endif
        return v;
    }

    // Runs a quick optimization (labeled demos: no search) into a store in dir,
    // writing --out; returns the run id.
    std::string optimizeInto(const fs::path &store, const fs::path &out)
    {
        const CliResult r = prism({"optimize", study.string(), "--optimizer", "labeled", "--no-compare", "--json",
                                   "--quiet", "--store", store.string(), "--out", out.string()});
        EXPECT_EQ(r.exitCode, 0) << r.err;
        const auto summary = nlohmann::json::parse(r.out, nullptr, false);
        EXPECT_TRUE(summary.is_object() && summary.contains("run_id")) << r.out;
        return summary.is_object() && summary.contains("run_id") ? summary["run_id"].get<std::string>() : std::string();
    }
};

} // namespace

// Item 2: `prism eval --program` took only Prism's program JSON, so the file
// `prism optimize --out` writes was refused ("a program needs a non-empty
// predictors array") while `prism compare` accepted it.
TEST_F(ProgramEdgeTest, EvalAcceptsTheFileOptimizeWrites)
{
    const fs::path out = dir / "optimized.json";
    optimizeInto(dir / "store" / "runs.sqlite", out);
    ASSERT_TRUE(fs::exists(out));
    const CliResult r = prism({"eval", study.string(), "--program", out.string(), "--json", "--quiet"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_FALSE(contains(r.err, "predictors")) << r.err;
    const auto report = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << r.out;
    EXPECT_TRUE(report.contains("score")) << r.out;
}

// Item 2: DSPy 3.3.1's own saved programs load in eval and compare alike.
TEST_F(ProgramEdgeTest, EvalAndCompareAcceptDspySavedPrograms)
{
    const CliResult eval = prism(
        {"eval", study.string(), "--program", (kRenderings / "saved_predict_moderation.json").string(), "--quiet"});
    EXPECT_EQ(eval.exitCode, 0) << eval.err;
    const CliResult compare = prism(
        {"compare", study.string(), "--program", (kRenderings / "saved_predict_moderation.json").string(), "--quiet"});
    EXPECT_EQ(compare.exitCode, 0) << compare.err;

    // The ChainOfThought one fits the same study as ChainOfThought.
    replaceOnce(study, "\"kind\": \"predict\"", "\"kind\": \"chain_of_thought\"");
    const CliResult cot =
        prism({"eval", study.string(), "--program", (kRenderings / "saved_cot_moderation.json").string(), "--quiet"});
    EXPECT_EQ(cot.exitCode, 0) << cot.err;
}

// Item 2: a two-stage module saved by DSPy (keys "find" and "rate.predict")
// against a study with the same two predictors.
TEST_F(ProgramEdgeTest, EvalAcceptsDspyTwoStageProgram)
{
    auto root = nlohmann::ordered_json::parse(readAll(study));
    const auto violations = root["program"]["predictors"][0]["signature"]["outputs"][1];
    const auto severity = root["program"]["predictors"][0]["signature"]["outputs"][0];
    auto snippet = root["program"]["predictors"][0]["signature"]["inputs"][0];
    auto violationsInput = violations;
    violationsInput.erase("description");
    nlohmann::ordered_json find = {
        {"name", "find"},
        {"kind", "predict"},
        {"signature",
         {{"instruction", "List the policy violations."}, {"inputs", {snippet}}, {"outputs", {violations}}}}};
    nlohmann::ordered_json rate = {
        {"name", "rate"},
        {"kind", "chain_of_thought"},
        {"signature",
         {{"instruction", "Rate the severity."}, {"inputs", {snippet, violationsInput}}, {"outputs", {severity}}}}};
    root["program"]["predictors"] = {find, rate};
    writeAll(study, root.dump(2));
    const fs::path saved = kRenderings / "saved_two_stage_moderation.json";
    const CliResult eval = prism({"eval", study.string(), "--program", saved.string(), "--quiet"});
    EXPECT_EQ(eval.exitCode, 0) << eval.err;
    const CliResult compare = prism({"compare", study.string(), "--program", saved.string(), "--quiet"});
    EXPECT_EQ(compare.exitCode, 0) << compare.err;
}

// Item 2, done-when: eval, compare and the studio's Compare page accept
// exactly the same program files (every file Prism writes and DSPy's own)
// and refuse the same others with the same message.
TEST_F(ProgramEdgeTest, EvalCompareAndStudioAcceptAndRefuseTheSameFiles)
{
    const fs::path store = dir / "store" / "runs.sqlite";
    const std::string runId = optimizeInto(store, dir / "optimize-out.json");
    ASSERT_FALSE(runId.empty());
    ASSERT_EQ(prism({"export", runId, "--store", store.string(), "--out", (dir / "export-out.json").string()}).exitCode,
              0);
    writeAll(dir / "prism-program.json", studyProgramJson());
    std::string renamed = studyProgramJson();
    renamed.replace(renamed.find("\"snippet\""), 9, "\"text\"");
    writeAll(dir / "prism-wrong-field.json", renamed);
    writeAll(dir / "prism-empty.json", "{\"predictors\": []}");
    writeAll(dir / "malformed.json", "{\n  \"predictors\": [\n    {\"name\": \"classify\",}\n  ]\n}\n");
    fs::create_directories(dir / "a-directory");

    std::map<std::string, bool> expected = {
        {"optimize-out.json", true},
        {"export-out.json", true},
        {"prism-program.json", true},
        {(kRenderings / "saved_predict_moderation.json").string(), true},
        {(kRenderings / "saved_cot_moderation.json").string(), false}, // a ChainOfThought, the study's is Predict
        {(kRenderings / "saved_two_predictors.json").string(), false},
        {"prism-wrong-field.json", false},
        {"prism-empty.json", false},
        {"malformed.json", false},
        {"a-directory", false},
    };
#ifdef PRISM_EDGES_WITH_UI
    {
        // The studio's Export page writes the program file from the run store.
        auto opened = prism::RunStore::open(store.string());
        ASSERT_TRUE(opened.ok());
        auto exported = exportProgramJson(*opened.value(), QString::fromStdString(runId),
                                          QString::fromStdString((dir / "studio-export.json").string()));
        ASSERT_TRUE(exported.ok()) << exported.error().message;
        expected["studio-export.json"] = true;
    }
#endif
    for (const auto &[name, accepted] : expected) {
        const fs::path file = fs::path(name).is_absolute() ? fs::path(name) : dir / name;
        const Verdicts v = verdicts(file);
        SCOPED_TRACE(name);
        EXPECT_EQ(v.engineAccepts, accepted) << v.engineError;
        EXPECT_EQ(v.evalExit, accepted ? 0 : 3) << v.evalErr;
        EXPECT_EQ(v.compareExit, accepted ? 0 : 3) << v.compareErr;
        if (v.uiAccepts) {
            EXPECT_EQ(*v.uiAccepts, accepted) << v.uiError;
        }
        if (!accepted) {
            // One loader: the same message everywhere, naming the file.
            EXPECT_TRUE(contains(v.engineError, file.string())) << v.engineError;
            EXPECT_TRUE(contains(v.evalErr, v.engineError)) << v.evalErr;
            EXPECT_TRUE(contains(v.compareErr, v.engineError)) << v.compareErr;
            if (v.uiAccepts) {
                EXPECT_EQ(v.uiError, v.engineError);
            }
        }
    }
}

// Item 2: a malformed program file names its line and column; a bad
// predictor names its key path and line.
TEST_F(ProgramEdgeTest, ProgramFileErrorsSayWhere)
{
    writeAll(dir / "malformed.json", "{\n  \"predictors\": [\n    {\"name\": \"classify\",}\n  ]\n}\n");
    const CliResult malformed =
        prism({"eval", study.string(), "--program", (dir / "malformed.json").string(), "--quiet"});
    EXPECT_EQ(malformed.exitCode, 3);
    EXPECT_TRUE(contains(malformed.err, (dir / "malformed.json").string() + ":3:")) << malformed.err;

    writeAll(dir / "nosig.json", "{\n  \"predictors\": [\n    {\"name\": \"classify\"}\n  ]\n}\n");
    const CliResult nosig = prism({"compare", study.string(), "--program", (dir / "nosig.json").string(), "--quiet"});
    EXPECT_EQ(nosig.exitCode, 3);
    EXPECT_TRUE(contains(nosig.err, "nosig.json: predictors[0] (line 3): a predictor needs a \"signature\""))
        << nosig.err;
}

// Item 11: a demo label outside the enum was refused in a DSPy file only.
// Now the study's own demos, Prism's program JSON and DSPy's format refuse it
// alike, naming the file, predictor, demo, field and the allowed values.
TEST_F(ProgramEdgeTest, DemoLabelOutsideTheEnumIsRefusedInEveryFormat)
{
    const std::string demo = R"({"snippet": "x", "severity": "urgent", "policy_violations": []})";

    std::string program = studyProgramJson();
    program.replace(program.find("\"demos\": []"), 11, "\"demos\": [" + demo + "]");
    writeAll(dir / "prism-demo.json", program);
    const CliResult prismFormat =
        prism({"eval", study.string(), "--program", (dir / "prism-demo.json").string(), "--quiet"});
    EXPECT_EQ(prismFormat.exitCode, 3);
    EXPECT_TRUE(
        contains(prismFormat.err, (dir / "prism-demo.json").string() + ": predictors[0] (line 3): " + kBadLabel))
        << prismFormat.err;

    std::string dspy = readAll(kRenderings / "saved_predict_moderation.json");
    dspy.replace(dspy.find("\"severity\": \"medium\""), 20, "\"severity\": \"urgent\"");
    writeAll(dir / "dspy-demo.json", dspy);
    const CliResult dspyFormat =
        prism({"eval", study.string(), "--program", (dir / "dspy-demo.json").string(), "--quiet"});
    EXPECT_EQ(dspyFormat.exitCode, 3);
    EXPECT_TRUE(contains(dspyFormat.err, (dir / "dspy-demo.json").string() + ": " + kBadLabel)) << dspyFormat.err;

    replaceOnce(study, "\"demos\": []", "\"demos\": [" + demo + "]");
    const CliResult studyDemo = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(studyDemo.exitCode, 3);
    EXPECT_TRUE(contains(studyDemo.err, study.string() + ": program (line 8) is invalid: " + kBadLabel))
        << studyDemo.err;

    // A label of the enum passes in the same place.
    replaceOnce(study, "\"urgent\"", "\"high\"");
    EXPECT_EQ(prism({"eval", study.string(), "--quiet"}).exitCode, 0);
}

// Item 7: optimizer settings that cannot run made a run, stored it as failed
// and exited 1. Now each is refused before anything exists: exit 3, the key
// named, no run store, no artifact, no event log.
TEST_F(ProgramEdgeTest, BadOptimizerSettingsCreateNoRun)
{
    struct Case {
        std::string optimizer; // replaces the sample's optimizer settings
        std::vector<std::string> flags;
        std::vector<std::string> said;
    };
    const std::vector<Case> cases = {
        {R"("auto": "light", "num_trials": 5)", {}, {"optimizer.num_trials is set together with auto = light"}},
        {R"("auto": null, "num_trials": 10, "num_candidates": 4)",
         {"--auto", "light"},
         {"optimizer.num_trials is set together with auto = light", "remove both"}},
        // docs/MIPROV2.md: "the error suggests a num_trials from the formula".
        {R"("auto": null, "num_candidates": 4)",
         {},
         {"optimizer.num_trials is missing", "for num_candidates = 4 a good value is about 8"}},
        {R"("auto": null)", {}, {"optimizer.num_candidates is missing", "num_candidates = 6 with num_trials = 10"}},
        {R"("auto": "light", "max_bootstrapped_demos": -1)",
         {},
         {"optimizer.max_bootstrapped_demos (line 41) must be a whole number from 0"}},
        {R"("auto": "light", "max_labeled_demos": -3)", {}, {"optimizer.max_labeled_demos (line 41)"}},
        {R"("auto": "light", "minibatch_size": 0)",
         {},
         {"optimizer.minibatch_size (line 41) must be a whole number from 1 to 1000000, not 0"}},
    };
    const std::string original = readAll(study);
    for (const auto &c : cases) {
        SCOPED_TRACE(c.optimizer);
        writeAll(study, original);
        replaceOnce(study, "\"auto\": \"light\"", c.optimizer);
        const fs::path store = dir / "store" / "runs.sqlite";
        std::vector<std::string> args = {"optimize",
                                         study.string(),
                                         "--quiet",
                                         "--store",
                                         store.string(),
                                         "--out",
                                         (dir / "out.json").string(),
                                         "--events",
                                         (dir / "events.jsonl").string()};
        args.insert(args.end(), c.flags.begin(), c.flags.end());
        const CliResult r = prism(args);
        EXPECT_EQ(r.exitCode, 3) << r.err;
        for (const auto &text : c.said)
            EXPECT_TRUE(contains(r.err, text)) << r.err;
        EXPECT_TRUE(contains(r.err, study.string() + ": ")) << r.err;
        EXPECT_FALSE(contains(r.err, "failed")) << r.err;
        EXPECT_FALSE(fs::exists(store));
        EXPECT_FALSE(fs::exists(dir / "out.json"));
        EXPECT_FALSE(fs::exists(dir / "events.jsonl"));
    }
}

// Item 7, for the studio and any other caller of the engine: RunController
// checks the settings before it creates the run.
TEST_F(ProgramEdgeTest, RunControllerRefusesBadSettingsBeforeTheRunExists)
{
    auto loaded = prism::loadStudy(study.string());
    ASSERT_TRUE(loaded.ok());
    prism::Study s = loaded.value();
    s.optimizer.autoMode.clear();
    s.optimizer.numCandidates = 4;
    auto store = prism::RunStore::open((dir / "runs.sqlite").string());
    ASSERT_TRUE(store.ok());
    prism::RunController controller(store.value());
    auto started = controller.start(s, prism::RunSettings{});
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().kind, prism::ErrorKind::Config);
    EXPECT_TRUE(contains(started.error().message, "optimizer.num_trials is missing")) << started.error().message;
    auto runs = store.value()->listRuns();
    ASSERT_TRUE(runs.ok());
    EXPECT_TRUE(runs->empty());
}

// Item 2 (found by the item-22b fix): a ChainOfThought artifact with a custom
// reasoning description loads with `reasoning` declared; the same program in
// Prism's format is accepted too, while a stray output field is still refused.
TEST_F(ProgramEdgeTest, ChainOfThoughtProgramDeclaringItsReasoningIsAccepted)
{
    auto program = nlohmann::json::parse(studyProgramJson());
    ASSERT_TRUE(program.is_object());
    nlohmann::json &predictor = program["predictors"][0];
    predictor["kind"] = "chain_of_thought";
    auto &outputs = predictor["signature"]["outputs"];
    outputs.insert(
        outputs.begin(),
        nlohmann::json{{"name", "reasoning"}, {"type", "str"}, {"description", "Think it through in two sentences."}});
    const fs::path file = dir / "cot-with-reasoning.json";
    std::ofstream(file) << program.dump(2);
    const Verdicts v = verdicts(file);
    EXPECT_EQ(v.evalExit, 0) << v.evalErr;
    EXPECT_EQ(v.compareExit, 0) << v.compareErr;
    EXPECT_TRUE(v.engineAccepts) << v.engineError;

    predictor["kind"] = "predict"; // a Predict module's `reasoning` is an output the study lacks
    std::ofstream(file, std::ios::trunc) << program.dump(2);
    const Verdicts refused = verdicts(file);
    EXPECT_FALSE(refused.engineAccepts);
    EXPECT_TRUE(contains(refused.engineError, "'reasoning' that the study does not have")) << refused.engineError;
    EXPECT_EQ(refused.evalExit, 3) << refused.evalErr;
}
