// Issue 13, "Edges": study files a new user gets wrong. Each test reproduces
// what the user met at the command line and checks what Prism now says.
#include "edges_cli.h"

#include "core/json.h"
#include "core/study.h"

#include <nlohmann/json.hpp>

#include <fstream>

using namespace edges;

// Item 5: a typo in a key is not silently ignored.
TEST_F(EdgeTest, UnknownKeyWarnsWithTheNearestKnownKey)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "\"metric\": {", "\"metrics\": {");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_TRUE(contains(r.err, "unknown key \"metrics\" (line 30) is ignored; did you mean \"metric\"?")) << r.err;
}

TEST_F(EdgeTest, UnknownNestedKeyIsNamedByItsPath)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "\"seed\": 0", "\"sede\": 0");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_TRUE(contains(r.err, "unknown key \"optimizer.sede\" (line 41) is ignored; did you mean \"seed\"?"))
        << r.err;
}

// Item 5: a JSON file that is not a study is refused, not loaded with defaults.
TEST_F(EdgeTest, FileWithoutPrismStudyIsRefused)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "\"prism_study\": 1,", "");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "not a Prism study: the key \"prism_study\" is missing")) << r.err;
}

// Item 9: a negative seed in the study is refused as on the command line,
// never wrapped to 18446744073709551611.
TEST_F(EdgeTest, NegativeSeedInTheStudyIsRefusedNamingTheKey)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "\"seed\": 0", "\"seed\": -5");
    const CliResult r = prism({"optimize", study.string(), "--quiet", "--store", (dir / "runs.sqlite").string()});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "optimizer.seed (line 41) must be a whole number from 0 to")) << r.err;
    EXPECT_TRUE(contains(r.err, "not -5")) << r.err;
    EXPECT_FALSE(contains(r.err + r.out, "18446744073709551611"));
}

// Item 10: a value of the wrong type names its key path and line.
TEST_F(EdgeTest, WrongTypeNamesTheKeyPathAndLine)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "{\"field\": \"severity\", \"metric\": \"exact\", \"weight\": 1}",
                "{\"field\": \"severity\", \"metric\": \"exact\", \"weight\": \"heavy\"}");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "metric.fields[0].weight (line 33) must be a number, not a string")) << r.err;
    EXPECT_FALSE(contains(r.err, "json.exception")) << r.err;
}

// Item 22 (fuzz, study target): a 120-digit format version reached an
// out-of-range double-to-int conversion; now it is a range error.
TEST_F(EdgeTest, HugeWholeNumberIsARangeErrorNotUndefinedBehaviour)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "\"prism_study\": 1,", "\"prism_study\": " + std::string(119, '4') + "1,");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "prism_study (line 2) must be a whole number from 1 to 2147483647")) << r.err;
}

TEST_F(EdgeTest, FractionalCountIsRefused)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "\"seed\": 0", "\"seed\": 0, \"max_labeled_demos\": 2.5");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "optimizer.max_labeled_demos (line 41) must be a whole number from 0 to")) << r.err;
}

// Item 6: the study's data is found from any working directory: the study
// records the absolute directory it was loaded from.
TEST_F(EdgeTest, StudyLoadedByARelativePathRecordsAnAbsoluteBaseDirectory)
{
    const fs::path study = sampleCopy("moderation");
    const fs::path previous = fs::current_path();
    fs::current_path(dir);
    auto loaded = prism::loadStudy("study/moderation.prism.json");
    fs::current_path(previous);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_TRUE(fs::path(loaded->baseDir).is_absolute()) << loaded->baseDir;
    EXPECT_EQ(fs::path(loaded->baseDir), study.parent_path());
}

// Item 14: a directory given as the study says so, instead of "invalid JSON:
// unexpected end of input".
TEST_F(EdgeTest, DirectoryInsteadOfAStudyIsNamedAsADirectory)
{
    fs::create_directories(dir / "some" / "dir");
    const CliResult r = prism({"eval", (dir / "some" / "dir").string() + "/", "--quiet"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "is a directory, not a file")) << r.err;
    EXPECT_FALSE(contains(r.err, "unexpected end of input")) << r.err;
}

// Item 17: an enum that lists a value twice, or two values that differ only
// in case (answers match ignoring case), is refused.
TEST_F(EdgeTest, RepeatedEnumValuesAreRefused)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "[\"low\", \"medium\", \"high\"]", "[\"low\", \"medium\", \"high\", \"Low\"]");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "enum value 'Low' is listed twice")) << r.err;
}

// Item 4: metric settings that would score everything alike are refused when
// the study loads, naming the key.
TEST_F(EdgeTest, RegexMetricWithoutPatternIsRefused)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "{\"field\": \"severity\", \"metric\": \"exact\", \"weight\": 1}",
                "{\"field\": \"severity\", \"metric\": \"regex\", \"weight\": 1}");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "metric.fields[0].pattern")) << r.err;
}

TEST_F(EdgeTest, NumericMetricOnAnEnumFieldIsRefused)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "{\"field\": \"severity\", \"metric\": \"exact\", \"weight\": 1}",
                "{\"field\": \"severity\", \"metric\": \"numeric\", \"weight\": 1}");
    const CliResult r = prism({"eval", study.string(), "--quiet"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "metric.fields[0].metric: numeric compares numbers, but 'severity' is enum")) << r.err;
}

// A metric the study names wrongly is named once, with where it is, by every
// command that builds it (eval builds it itself, optimize through the run
// controller, compare through the comparison setup).
TEST_F(EdgeTest, AnUnknownMetricIsSaidOnceByEvalOptimizeAndCompare)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study, "{\"field\": \"severity\", \"metric\": \"exact\", \"weight\": 1}",
                "{\"field\": \"severity\", \"metric\": \"exact_match\", \"weight\": 1}");
    const fs::path program = study.parent_path() / "program.json";
    auto loaded = prism::loadStudy(study.string());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    std::ofstream(program) << prism::toJson(loaded.value().program).dump();
    const std::vector<std::vector<std::string>> commands = {
        {"eval", study.string(), "--quiet"},
        {"optimize", study.string(), "--quiet", "--no-compare"},
        {"compare", study.string(), "--program", program.string(), "--quiet"},
    };
    for (const auto &args : commands) {
        const CliResult r = prism(args);
        EXPECT_EQ(r.exitCode, 3) << args[0] << ": " << r.err;
        EXPECT_TRUE(contains(r.err, study.string() + ": metric: unknown metric 'exact_match' for field 'severity'"))
            << args[0] << ": " << r.err;
        EXPECT_FALSE(contains(r.err, "metric: metric:")) << args[0] << ": " << r.err;
    }
}

// Item 12: when nothing scores above 0, the run's note says so instead of
// advising a harder metric.
TEST_F(EdgeTest, AllZeroScoresGetATruthfulNote)
{
    const fs::path study = sampleCopy("moderation");
    replaceOnce(study,
                "      {\"field\": \"severity\", \"metric\": \"exact\", \"weight\": 1},\n"
                "      {\"field\": \"policy_violations\", \"metric\": \"jaccard\", \"weight\": 1}",
                "      {\"field\": \"severity\", \"metric\": \"regex\", \"pattern\": \"^never$\", \"weight\": 1}");
    const CliResult r = prism({"optimize", study.string(), "--auto", "light", "--json", "--no-compare", "--quiet",
                               "--store", (dir / "runs.sqlite").string(), "--out", (dir / "out.json").string()});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(
        contains(r.out, "every trial scored 0%: no example scored above 0; check the metric, the model and the data"))
        << r.out;
    EXPECT_FALSE(contains(r.out, "harder metric")) << r.out;
}
