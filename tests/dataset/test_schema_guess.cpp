#include "data/dataset.h"
#include "data/import.h"
#include "data/schema_guess.h"
#include "data/stratify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

using namespace prism;

namespace {

const std::string kWizardDir = std::string(PRISM_TEST_DATA_DIR) + "/wizard";

RawTable parsed(const std::string &text, const std::string &format)
{
    auto table = parseTable(text, format, "test." + format);
    EXPECT_TRUE(table) << table.error().message;
    return table ? table.value() : RawTable{};
}

const ColumnGuess &guessOf(const std::vector<ColumnGuess> &guesses, const std::string &column)
{
    const auto it =
        std::find_if(guesses.begin(), guesses.end(), [&](const ColumnGuess &g) { return g.column == column; });
    EXPECT_NE(it, guesses.end()) << column;
    return *it;
}

std::vector<std::string> labelsOf(const std::map<std::string, int> &counts)
{
    std::vector<std::string> labels;
    for (const auto &[label, n] : counts)
        for (int i = 0; i < n; ++i)
            labels.push_back(label);
    return labels;
}

} // namespace

TEST(SchemaGuess, ReviewCsvGuessesTheEnumTheIdAndTheSplitColumn)
{
    auto table = loadTable(kWizardDir + "/reviews.csv");
    ASSERT_TRUE(table) << table.error().message;
    const auto guesses = guessColumns(table.value());
    ASSERT_EQ(guesses.size(), 4u);

    const ColumnGuess &sentiment = guessOf(guesses, "sentiment");
    EXPECT_EQ(sentiment.kind, ColumnKind::Enum);
    // By frequency: 20 positive, 12 negative, 8 neutral.
    EXPECT_EQ(sentiment.values, (std::vector<std::string>{"positive", "negative", "neutral"}));
    EXPECT_EQ(sentiment.role, ColumnRole::Output);
    EXPECT_EQ(sentiment.distinct, 3u);
    EXPECT_EQ(sentiment.missing, 0u);

    const ColumnGuess &text = guessOf(guesses, "text");
    EXPECT_EQ(text.kind, ColumnKind::String); // 40 distinct texts
    EXPECT_EQ(text.distinct, 40u);
    EXPECT_EQ(text.role, ColumnRole::Input);

    EXPECT_EQ(guessOf(guesses, "review_id").role, ColumnRole::Ignore);
    EXPECT_EQ(guessOf(guesses, "split").role, ColumnRole::Ignore);

    const auto split = detectSplitColumn(table.value());
    ASSERT_TRUE(split);
    EXPECT_EQ(split->column, "split");
    ASSERT_EQ(split->splitOf.size(), 40u);
    // "dev" is the validation split.
    EXPECT_EQ(split->counts, (std::array<std::size_t, 3>{30, 5, 5}));
    EXPECT_EQ(split->splitOf[3], DataSplit::Test);
    EXPECT_EQ(split->splitOf[6], DataSplit::Val);
}

TEST(SchemaGuess, KindsOfColumns)
{
    const RawTable t =
        parsed("{\"n\": 1, \"x\": 1.5, \"ok\": true, \"tags\": [\"a\", \"b\"], \"note\": \"hello there\"}\n"
               "{\"n\": 2, \"x\": 2, \"ok\": false, \"tags\": [\"b\"], \"note\": null}\n"
               "{\"n\": 7, \"x\": 3.25, \"ok\": true, \"tags\": [], \"note\": \"  \"}\n",
               "jsonl");
    EXPECT_EQ(guessColumn(t, "n").kind, ColumnKind::Int);
    EXPECT_EQ(guessColumn(t, "x").kind, ColumnKind::Float);
    EXPECT_EQ(guessColumn(t, "ok").kind, ColumnKind::Bool);
    const ColumnGuess tags = guessColumn(t, "tags");
    EXPECT_EQ(tags.kind, ColumnKind::List);
    EXPECT_EQ(tags.values, (std::vector<std::string>{"b", "a"}));
    EXPECT_EQ(tags.type(), Type::listOf(Type::enumOf({"b", "a"})));
    const ColumnGuess note = guessColumn(t, "note");
    EXPECT_EQ(note.missing, 2u); // null and blank
    EXPECT_EQ(note.kind, ColumnKind::String);
}

TEST(SchemaGuess, CsvTextCellsAsBoolsNumbersAndSeparatedLists)
{
    const RawTable t = parsed("flag,score,violations,comment\n"
                              "yes,0.5,spam;hate,first\n"
                              "no,1e3,,second one\n"
                              "Yes,-2,spam,third\n"
                              "no,4,hate; spam,fourth\n",
                              "csv");
    EXPECT_EQ(guessColumn(t, "flag").kind, ColumnKind::Bool);
    EXPECT_EQ(guessColumn(t, "score").kind, ColumnKind::Float);
    const ColumnGuess violations = guessColumn(t, "violations");
    EXPECT_EQ(violations.kind, ColumnKind::List);
    EXPECT_EQ(violations.listSeparator, ";");
    EXPECT_EQ(violations.values, (std::vector<std::string>{"spam", "hate"}));
    EXPECT_EQ(guessColumn(t, "comment").kind, ColumnKind::String);
}

TEST(SchemaGuess, WithoutALabelNameTheLastEnumIsTheOutput)
{
    const RawTable t = parsed("question,kind,difficulty\n"
                              "a?,x,easy\nb?,y,hard\nc?,x,easy\nd?,y,easy\n",
                              "csv");
    const auto guesses = guessColumns(t);
    EXPECT_EQ(guessOf(guesses, "question").role, ColumnRole::Input);
    EXPECT_EQ(guessOf(guesses, "kind").role, ColumnRole::Input);
    EXPECT_EQ(guessOf(guesses, "difficulty").role, ColumnRole::Output);
    EXPECT_FALSE(detectSplitColumn(t));
}

TEST(SchemaGuess, ASplitColumnWithOtherValuesIsNotASplit)
{
    const RawTable t = parsed("text,set\na,train\nb,A\n", "csv");
    EXPECT_FALSE(detectSplitColumn(t));
    EXPECT_EQ(splitFromName(" Validation "), DataSplit::Val);
    EXPECT_EQ(splitFromName("DEV"), DataSplit::Val);
    EXPECT_EQ(splitFromName("training"), DataSplit::Train);
    EXPECT_FALSE(splitFromName("misc"));
}

TEST(Stratify, LabelsKeepTheirSharesInEverySplit)
{
    const auto labels = labelsOf({{"a", 20}, {"b", 12}, {"c", 8}});
    const SplitAssignment s = stratifiedAssignment(labels, 0.0, 0.25, 7);
    ASSERT_EQ(s.labels.size(), 3u);
    std::map<std::string, std::size_t> test;
    for (std::size_t r = 0; r < labels.size(); ++r)
        if (s.splitOf[r] == DataSplit::Test)
            ++test[labels[r]];
    EXPECT_EQ(test["a"], 5u);
    EXPECT_EQ(test["b"], 3u);
    EXPECT_EQ(test["c"], 2u);
    EXPECT_EQ(s.counts[0], (std::array<std::size_t, 3>{15, 0, 5}));
}

TEST(Stratify, TotalsMatchTheUnstratifiedSplitAndRemaindersGoToTheLargest)
{
    // 40 rows, val 0.15 -> 6, test 0.15 -> 6, as splitByFraction counts them.
    const auto labels = labelsOf({{"a", 20}, {"b", 12}, {"c", 8}});
    const SplitAssignment s = stratifiedAssignment(labels, 0.15, 0.15, 1);
    std::array<std::size_t, 3> totals{};
    for (DataSplit split : s.splitOf)
        ++totals[static_cast<std::size_t>(split)];
    EXPECT_EQ(totals, (std::array<std::size_t, 3>{28, 6, 6}));
    // Exact shares 3, 1.8, 1.2: floors 3, 1, 1, the one left goes to b (0.8).
    EXPECT_EQ(s.counts[0][2], 3u);
    EXPECT_EQ(s.counts[1][2], 2u);
    EXPECT_EQ(s.counts[2][2], 1u);
}

TEST(Stratify, TheSameSeedGivesTheSameSplitAndAnotherSeedAnother)
{
    const auto labels = labelsOf({{"a", 20}, {"b", 12}, {"c", 8}});
    const SplitAssignment first = stratifiedAssignment(labels, 0.2, 0.2, 42);
    const SplitAssignment again = stratifiedAssignment(labels, 0.2, 0.2, 42);
    const SplitAssignment other = stratifiedAssignment(labels, 0.2, 0.2, 43);
    EXPECT_EQ(first.splitOf, again.splitOf);
    EXPECT_NE(first.splitOf, other.splitOf);
    EXPECT_EQ(first.counts, other.counts); // the counts depend on the labels only
}

TEST(Stratify, ExamplesKeepFileOrderWithinEachSplit)
{
    std::vector<Example> all;
    for (int i = 0; i < 10; ++i) {
        Example e;
        e.values.set("i", Value(std::int64_t{i}));
        e.values.set("y", Value(std::string(i % 2 ? "odd" : "even")));
        all.push_back(e);
    }
    std::vector<Example> train, val, test;
    stratifiedSplit(
        all, [](const Example &e) { return stratumOf(e, "y"); }, 0.2, 0.2, 3, train, val, test);
    ASSERT_EQ(train.size(), 6u);
    ASSERT_EQ(val.size(), 2u);
    ASSERT_EQ(test.size(), 2u);
    for (const auto *split : {&train, &val, &test})
        EXPECT_TRUE(std::is_sorted(split->begin(), split->end(), [](const Example &a, const Example &b) {
            return a.values.get("i").asInt() < b.values.get("i").asInt();
        }));
    EXPECT_NE(stratumOf(val[0], "y"), stratumOf(val[1], "y"));
    EXPECT_NE(stratumOf(test[0], "y"), stratumOf(test[1], "y"));
}

namespace {

Program reviewProgram()
{
    Predictor p;
    p.signature.inputs.push_back(Field{"text", Type::string(), "", ""});
    p.signature.outputs.push_back(Field{"sentiment", Type::enumOf({"positive", "negative", "neutral"}), "", ""});
    Program program;
    program.predictors.push_back(p);
    return program;
}

// reviews.csv with the label of two rows (file lines 5 and 12) made unknown.
RawTable reviewsWithTwoBadRows()
{
    std::ifstream in(kWizardDir + "/reviews.csv");
    std::string line, text;
    for (int n = 1; std::getline(in, line); ++n) {
        if (n == 5 || n == 12) {
            const auto at =
                line.find(",negative,") != std::string::npos ? line.find(",negative,") : line.find(",neutral,");
            EXPECT_NE(at, std::string::npos) << line;
            line = line.substr(0, at) + ",angry," + line.substr(line.find(',', at + 1) + 1);
        }
        text += line + "\n";
    }
    return parsed(text, "csv");
}

} // namespace

TEST(LenientImport, SkipsTheRowsThatDoNotFitAndNamesTheirLines)
{
    const RawTable table = reviewsWithTwoBadRows();
    ASSERT_EQ(table.rows.size(), 40u);
    // The strict mapping stops at the first.
    auto strict = mapRows(table, {}, reviewProgram(), "reviews.csv");
    ASSERT_FALSE(strict);
    EXPECT_NE(strict.error().message.find("reviews.csv:5: field 'sentiment'"), std::string::npos);

    auto lenient = mapRowsLenient(table, {}, reviewProgram(), "reviews.csv");
    ASSERT_TRUE(lenient) << lenient.error().message;
    EXPECT_EQ(lenient->examples.size(), 38u);
    ASSERT_EQ(lenient->problems.size(), 2u);
    EXPECT_EQ(lenient->problems[0].line, 5);
    EXPECT_EQ(lenient->problems[1].line, 12);
    EXPECT_EQ(lenient->problems[0].field, "sentiment");
    EXPECT_NE(lenient->problems[1].message.find("reviews.csv:12: field 'sentiment': 'angry' is not one of"),
              std::string::npos)
        << lenient->problems[1].message;
    // Each example knows its row: row 3 (line 5) is skipped.
    EXPECT_EQ(lenient->rowOf[2], 2u);
    EXPECT_EQ(lenient->rowOf[3], 4u);
    EXPECT_EQ(lenient->examples[3].values.get("text").asString(), table.rows[4].get("text").asString());
}

TEST(LenientImport, AMappingToAnUnknownFieldIsStillAnError)
{
    DatasetSource source;
    source.columns["nope"] = "text";
    EXPECT_FALSE(mapRowsLenient(reviewsWithTwoBadRows(), source, reviewProgram(), "reviews.csv"));
}

TEST(LenientImport, SplitsFromAColumnNameTheLineOfAValueThatIsNotASplit)
{
    auto table = loadTable(kWizardDir + "/reviews.csv");
    ASSERT_TRUE(table);
    auto splits = splitsFromColumn(table.value(), "split", "reviews.csv");
    ASSERT_TRUE(splits) << splits.error().message;
    EXPECT_EQ(std::count(splits->begin(), splits->end(), DataSplit::Val), 5);
    auto wrong = splitsFromColumn(table.value(), "sentiment", "reviews.csv");
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("reviews.csv:2: column 'sentiment' is 'positive', not a split"),
              std::string::npos)
        << wrong.error().message;
}
