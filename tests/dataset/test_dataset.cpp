#include "core/json.h"
#include "core/study.h"
#include "data/csv.h"
#include "data/dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

using namespace prism;
namespace fs = std::filesystem;

namespace {

const std::string kDataDir = std::string(PRISM_TEST_DATA_DIR) + "/dataset";

Program moderationProgram()
{
    Predictor p;
    p.name = "classify";
    p.signature.inputs.push_back(Field{"snippet", Type::string(), "", ""});
    p.signature.outputs.push_back(Field{"severity", Type::enumOf({"low", "medium", "high"}), "", ""});
    p.signature.outputs.push_back(
        Field{"policy_violations",
              Type::listOf(Type::enumOf({"harassment", "hate", "sexual", "violence", "self_harm", "spam", "other"})),
              "", ""});
    Program program;
    program.predictors.push_back(p);
    return program;
}

// One input of each type and one output, to exercise conversions.
Program typesProgram()
{
    Predictor p;
    p.signature.inputs = {Field{"n", Type::integer(), "", ""}, Field{"x", Type::floating(), "", ""},
                          Field{"ok", Type::boolean(), "", ""}, Field{"tags", Type::listOf(Type::string()), "", ""},
                          Field{"s", Type::string(), "", ""}};
    p.signature.outputs = {Field{"level", Type::enumOf({"Low", "High"}), "", ""}};
    Program program;
    program.predictors.push_back(p);
    return program;
}

// Parses and maps text the way loadDataset does a file.
Result<std::vector<Example>> load(const std::string &text, const std::string &format, const Program &program,
                                  const DatasetSource &source = {}, const std::string &name = "x")
{
    auto table = parseTable(text, format, name);
    if (!table)
        return table.error();
    return mapRows(table.value(), source, program, name);
}

Value list(std::initializer_list<Value> items)
{
    return Value(Value::List(items));
}

std::string errorOf(const Result<std::vector<Example>> &r)
{
    return r ? std::string("(no error)") : r.error().message;
}

void writeFile(const fs::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

class TempDir {
public:
    TempDir()
    {
        m_path = fs::temp_directory_path()
                 / ("prism-dataset-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-"
                    + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_path);
        fs::create_directories(m_path);
    }
    ~TempDir() { fs::remove_all(m_path); }
    const fs::path &path() const { return m_path; }

private:
    fs::path m_path;
};

} // namespace

// ---- readers -------------------------------------------------------------------

TEST(Csv, QuotesDoubledQuotesEmbeddedNewlinesCrlfAndBom)
{
    const std::string text = "\xEF\xBB\xBF"
                             "a, b ,c\r\n"
                             "1,\"x, \"\"y\"\"\",\r\n"
                             "\"multi\r\nline\",\"\",3\n"
                             "\n"
                             "4,5,6";
    auto csv = parseCsv(text, "t.csv");
    ASSERT_TRUE(csv) << csv.error().message;
    EXPECT_EQ(csv->header, (std::vector<std::string>{"a", "b", "c"})); // BOM gone, names trimmed
    ASSERT_EQ(csv->rows.size(), 3u);
    EXPECT_EQ(csv->rows[0], (std::vector<std::string>{"1", "x, \"y\"", ""}));
    EXPECT_EQ(csv->rows[1], (std::vector<std::string>{"multi\nline", "", "3"}));
    EXPECT_EQ(csv->rows[2], (std::vector<std::string>{"4", "5", "6"}));
    // The second row spans lines 3-4; line 5 is blank; the last row is on line 6.
    EXPECT_EQ(csv->lineNumbers, (std::vector<int>{2, 3, 6}));
}

TEST(Csv, QuoteInsideUnquotedCellIsKept)
{
    auto csv = parseCsv("size,label\n5\" screen,ok\n", "t.csv");
    ASSERT_TRUE(csv) << csv.error().message;
    EXPECT_EQ(csv->rows[0][0], "5\" screen");
}

TEST(Table, CsvFileMatchesJsonlFileAndJsonFile)
{
    const Program program = moderationProgram();
    auto csv = loadDataset(DatasetSource{}, kDataDir + "/moderation.csv", program);
    auto jsonl = loadDataset(DatasetSource{}, kDataDir + "/moderation.jsonl", program);
    auto json = loadDataset(DatasetSource{}, kDataDir + "/moderation.json", program);
    ASSERT_TRUE(csv) << csv.error().message;
    ASSERT_TRUE(jsonl) << jsonl.error().message;
    ASSERT_TRUE(json) << json.error().message;

    ASSERT_EQ(jsonl->examples.size(), 3u);
    const Example &second = jsonl->examples[1];
    EXPECT_EQ(second.values.get("snippet"), Value("line one\nline two"));
    EXPECT_EQ(second.values.get("severity"), Value("high"));
    EXPECT_EQ(second.values.get("policy_violations"), list({"harassment", "violence"}));
    EXPECT_EQ(second.inputKeys, (std::vector<std::string>{"snippet"}));

    // The CSV has a BOM, CRLF, an embedded CRLF newline, "" quotes, upper-case enum
    // spellings, list text with spaces, an empty list cell, a JSON list cell and an
    // extra column; after mapping it is the same data.
    EXPECT_EQ(csv->examples, jsonl->examples);
    EXPECT_EQ(json->examples, jsonl->examples);
    EXPECT_EQ(csv->examples[0].values.get("snippet"), Value("Hello, \"friend\""));
    EXPECT_EQ(csv->examples[2].values.get("snippet"), Value("Buy now!!! Caf\xC3\xA9 deals"));
    EXPECT_FALSE(csv->examples[0].values.contains("notes"));
    EXPECT_EQ(csv->hash, jsonl->hash);
    EXPECT_EQ(json->hash, jsonl->hash);
    EXPECT_EQ(csv->hash.size(), 64u);
    EXPECT_EQ(csv->path, kDataDir + "/moderation.csv");
}

TEST(Table, LineNumbersOfRows)
{
    auto jsonl = loadTable(kDataDir + "/moderation.jsonl");
    ASSERT_TRUE(jsonl) << jsonl.error().message;
    EXPECT_EQ(jsonl->lineNumbers, (std::vector<int>{1, 3, 4})); // line 2 is blank

    auto json = loadTable(kDataDir + "/moderation.json");
    ASSERT_TRUE(json) << json.error().message;
    EXPECT_EQ(json->lineNumbers, (std::vector<int>{2, 7, 15})); // where each `{` is

    auto csv = loadTable(kDataDir + "/moderation.csv");
    ASSERT_TRUE(csv) << csv.error().message;
    EXPECT_EQ(csv->lineNumbers, (std::vector<int>{2, 3, 6}));
    EXPECT_EQ(csv->columns, (std::vector<std::string>{"snippet", "severity", "policy_violations", "notes"}));
    EXPECT_EQ(csv->rows[1].get("notes"), Value("multi\nline note"));
}

TEST(Table, JsonKeepsValueTypes)
{
    auto table = loadTable(kDataDir + "/types.ndjson"); // .ndjson is JSON Lines
    ASSERT_TRUE(table) << table.error().message;
    ASSERT_EQ(table->rows.size(), 2u);
    const Fields &row = table->rows[0];
    EXPECT_TRUE(row.get("n").isInt());
    EXPECT_EQ(row.get("n").asInt(), 42);
    EXPECT_TRUE(row.get("x").isFloat());
    EXPECT_EQ(row.get("ok"), Value(true));
    EXPECT_EQ(row.get("tags"), list({"a", "b"}));
    EXPECT_EQ(row.get("meta"), Value("{\"k\":1}"));
    EXPECT_TRUE(table->rows[1].get("meta").isNull());
    EXPECT_EQ(table->columns, (std::vector<std::string>{"n", "x", "ok", "tags", "meta", "s"}));
}

TEST(Table, FormatFromExtensionOrExplicit)
{
    TempDir dir;
    writeFile(dir.path() / "rows.txt", "a,b\n1,2\n");
    auto unknown = loadTable((dir.path() / "rows.txt").string());
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().kind, ErrorKind::Config);
    EXPECT_NE(unknown.error().message.find("format"), std::string::npos);
    auto explicitCsv = loadTable((dir.path() / "rows.txt").string(), "csv");
    ASSERT_TRUE(explicitCsv) << explicitCsv.error().message;
    EXPECT_EQ(explicitCsv->rows.size(), 1u);
    writeFile(dir.path() / "ROWS.CSV", "a,b\n1,2\n");
    EXPECT_TRUE(loadTable((dir.path() / "ROWS.CSV").string())); // extensions are case-insensitive

    // An explicit format overrides the extension: JSON Lines read as a JSON array fails.
    auto asJson = loadTable(kDataDir + "/moderation.jsonl", "json");
    ASSERT_FALSE(asJson);
    EXPECT_NE(asJson.error().message.find("jsonl"), std::string::npos) << asJson.error().message;

    auto missing = loadTable(kDataDir + "/no-such-file.csv");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::Io);
    EXPECT_NE(missing.error().message.find("no-such-file.csv"), std::string::npos);
    EXPECT_NE(missing.error().message.find("not found"), std::string::npos);
}

// ---- mapping and conversion ----------------------------------------------------------

TEST(Mapping, ColumnsMapToFieldsAndValuesAreOrdered)
{
    DatasetSource source;
    source.columns = {{"snippet", "text"}, {"severity", "label"}};
    auto rows = load("{\"id\": 1, \"label\": \"LOW\", \"policy_violations\": \"spam\", \"text\": \"hi\"}\n", "jsonl",
                     moderationProgram(), source);
    ASSERT_TRUE(rows) << errorOf(rows);
    ASSERT_EQ(rows->size(), 1u);
    const Example &e = rows->front();
    std::vector<std::string> names;
    for (const auto &[name, value] : e.values)
        names.push_back(name);
    // Inputs first, then labels in signature order; extra columns (id) dropped.
    EXPECT_EQ(names, (std::vector<std::string>{"snippet", "severity", "policy_violations"}));
    EXPECT_EQ(e.values.get("snippet"), Value("hi"));
    EXPECT_EQ(e.values.get("severity"), Value("low"));
    EXPECT_EQ(e.values.get("policy_violations"), list({"spam"}));
    EXPECT_EQ(e.inputKeys, (std::vector<std::string>{"snippet"}));
    EXPECT_EQ(e.labels().size(), 2u);

    DatasetSource typo;
    typo.columns = {{"snipet", "text"}};
    auto bad = load("{\"text\": \"hi\", \"severity\": \"low\", \"policy_violations\": []}\n", "jsonl",
                    moderationProgram(), typo);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("'snipet'"), std::string::npos) << bad.error().message;
}

TEST(Mapping, ConvertsToFieldTypes)
{
    const std::string csv = "n,x,ok,tags,s,level\n"
                            "42,4.5,yes,a;b,12,low\n"
                            "42.0,3,FALSE,,text,HIGH\n"
                            " +7 ,-1e2,1,[\"x;y\"],2.5,High\n"
                            "-3,0.25,No, solo ,true,low\n";
    auto rows = load(csv, "csv", typesProgram());
    ASSERT_TRUE(rows) << errorOf(rows);
    ASSERT_EQ(rows->size(), 4u);
    const auto &r = *rows;
    EXPECT_EQ(r[0].values.get("n"), Value(42));
    EXPECT_EQ(r[1].values.get("n"), Value(42));
    EXPECT_EQ(r[2].values.get("n"), Value(7));
    EXPECT_EQ(r[3].values.get("n"), Value(-3));
    EXPECT_EQ(r[0].values.get("x"), Value(4.5));
    EXPECT_EQ(r[1].values.get("x"), Value(3.0));
    EXPECT_TRUE(r[1].values.get("x").isFloat());
    EXPECT_EQ(r[2].values.get("x"), Value(-100.0));
    EXPECT_EQ(r[0].values.get("ok"), Value(true));
    EXPECT_EQ(r[1].values.get("ok"), Value(false));
    EXPECT_EQ(r[2].values.get("ok"), Value(true));
    EXPECT_EQ(r[3].values.get("ok"), Value(false));
    EXPECT_EQ(r[0].values.get("tags"), list({"a", "b"}));
    EXPECT_EQ(r[1].values.get("tags"), list({}));
    EXPECT_EQ(r[2].values.get("tags"), list({"x;y"})); // JSON text is not split
    EXPECT_EQ(r[3].values.get("tags"), list({"solo"}));
    EXPECT_EQ(r[0].values.get("s"), Value("12"));
    EXPECT_EQ(r[0].values.get("level"), Value("Low")); // canonical spelling
    EXPECT_EQ(r[1].values.get("level"), Value("High"));

    // JSON values: ints from 42.0, strings from numbers and booleans, lists kept.
    auto json =
        load("[{\"n\": 42.0, \"x\": 2, \"ok\": 0, \"tags\": [\"p\", 3], \"s\": 1.5, \"level\": \"low\"},"
             " {\"n\": \"5\", \"x\": \"0.5\", \"ok\": \"True\", \"tags\": \"q\", \"s\": false, \"level\": \"LOW\"}]",
             "json", typesProgram());
    ASSERT_TRUE(json) << errorOf(json);
    EXPECT_EQ((*json)[0].values.get("n"), Value(42));
    EXPECT_TRUE((*json)[0].values.get("x").isFloat());
    EXPECT_EQ((*json)[0].values.get("ok"), Value(false));
    EXPECT_EQ((*json)[0].values.get("tags"), list({"p", "3"}));
    EXPECT_EQ((*json)[0].values.get("s"), Value("1.5"));
    EXPECT_EQ((*json)[1].values.get("n"), Value(5));
    EXPECT_EQ((*json)[1].values.get("ok"), Value(true));
    EXPECT_EQ((*json)[1].values.get("tags"), list({"q"}));
    EXPECT_EQ((*json)[1].values.get("s"), Value("false"));
}

TEST(Mapping, ListsFromSeparatorAndJson)
{
    Predictor p;
    p.signature.inputs = {Field{"q", Type::string(), "", ""}};
    p.signature.outputs = {Field{"nums", Type::listOf(Type::integer()), "", ""},
                           Field{"words", Type::listOf(Type::string()), "", ""}};
    Program program;
    program.predictors.push_back(p);
    DatasetSource source;
    source.listSeparator = "|";
    const std::string csv = "q,nums,words\n"
                            "a,1 | 2|3,[note] one | two |\n"
                            "b,\"[4, 5]\",\"[\"\"x\"\", \"\"y\"\"]\"\n"
                            "c,  ,a;b\n";
    auto rows = load(csv, "csv", program, source);
    ASSERT_TRUE(rows) << errorOf(rows);
    EXPECT_EQ((*rows)[0].values.get("nums"), list({1, 2, 3}));
    // Not valid JSON, so it is split; empty trailing items are dropped.
    EXPECT_EQ((*rows)[0].values.get("words"), list({"[note] one", "two"}));
    EXPECT_EQ((*rows)[1].values.get("nums"), list({4, 5}));
    EXPECT_EQ((*rows)[1].values.get("words"), list({"x", "y"}));
    EXPECT_EQ((*rows)[2].values.get("nums"), list({}));
    EXPECT_EQ((*rows)[2].values.get("words"), list({"a;b"})); // ';' is not this file's separator

    auto bad = load("q,nums,words\nz,1|x,\n", "csv", program, source);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "x:2: field 'nums': item 2 of the list: expected an integer, got 'x'");
}

TEST(Mapping, PipelineLabelsAreTheLastStageOutputs)
{
    Predictor first, second;
    first.name = "extract";
    first.signature.inputs = {Field{"doc", Type::string(), "", ""}};
    first.signature.outputs = {Field{"facts", Type::string(), "", ""}};
    second.name = "answer";
    second.signature.inputs = {Field{"facts", Type::string(), "", ""}, Field{"question", Type::string(), "", ""}};
    second.signature.outputs = {Field{"answer", Type::string(), "", ""}};
    Program program;
    program.predictors = {first, second};

    auto rows = load("question,doc,answer,facts\nq1,d1,a1,\nq2,d2,a2,f2\n", "csv", program);
    ASSERT_TRUE(rows) << errorOf(rows);
    const Example &a = (*rows)[0];
    EXPECT_EQ(a.inputKeys, (std::vector<std::string>{"doc", "question"}));
    EXPECT_FALSE(a.values.contains("facts")); // intermediate output, not given
    EXPECT_EQ(a.values.get("answer"), Value("a1"));
    EXPECT_EQ((*rows)[1].values.get("facts"), Value("f2"));

    auto missing = load("{\"doc\": \"d\", \"question\": \"q\", \"facts\": \"f\"}\n", "jsonl", program);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "x:1: missing label column 'answer'");
}

// ---- malformed input: every error names the file and the line ----------------------------

struct Malformed {
    const char *name;
    const char *format;
    std::string text;
    int line;
    int column; // 0 = not checked
    const char *keyword;
};

void PrintTo(const Malformed &m, std::ostream *os)
{
    *os << m.name;
}

class MalformedInput : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedInput, FailsNamingFileLineAndProblem)
{
    const Malformed &m = GetParam();
    DatasetSource source;
    source.columns = {{"snippet", "text"}};
    const std::string file = std::string("bad.") + m.format;
    auto rows = load(m.text, m.format, moderationProgram(), source, file);
    ASSERT_FALSE(rows) << m.name;
    const std::string &msg = rows.error().message;
    std::string prefix = file + ":" + std::to_string(m.line) + ":";
    if (m.column > 0)
        prefix += std::to_string(m.column) + ":";
    EXPECT_EQ(msg.rfind(prefix, 0), 0u) << m.name << ": " << msg;
    EXPECT_NE(msg.find(m.keyword), std::string::npos) << m.name << ": " << msg;
}

const std::string kHeader = "text,severity,policy_violations\n";
const std::string kGood = "{\"text\": \"ok\", \"severity\": \"low\", \"policy_violations\": []}\n";

INSTANTIATE_TEST_SUITE_P(
    Dataset, MalformedInput,
    ::testing::Values(
        Malformed{"csv_unterminated_quote", "csv", kHeader + "a,low,\nb,low,\nc,low,\"spam;\n", 4, 7,
                  "unterminated quoted field (opened at line 4)"},
        // Found by fuzzing (fuzz/regressions/json, jsonl): a number beyond a double's range
        // made the JSON library throw an exception nobody caught, and Prism abort.
        Malformed{"jsonl_number_out_of_range", "jsonl", kGood + "{\"text\": \"x\", \"severity\": 1e400}\n", 2, 27,
                  "a number too large"},
        Malformed{"json_number_out_of_range", "json", "[\n  {\"text\": \"x\",\n   \"n\": -71e1111}\n]", 3, 9,
                  "a number too large"},
        Malformed{"csv_cell_count", "csv", kHeader + "a,low,\nb,low,,\n", 3, 0,
                  "4 cells, but the header has 3 columns"},
        Malformed{"csv_duplicate_header", "csv", "text,severity,text\n", 1, 0, "duplicate column name 'text'"},
        Malformed{"csv_text_after_quote", "csv", kHeader + "\"a\"b,low,\n", 2, 4, "after a closing quote"},
        Malformed{"csv_invalid_utf8", "csv", kHeader + "a,low,\nb\xFF,low,\n", 3, 2, "invalid UTF-8"},
        Malformed{"csv_empty", "csv", "\xEF\xBB\xBF\r\n", 1, 0, "empty"},
        Malformed{"csv_missing_input_column", "csv", "snippet,severity,policy_violations\nhi,low,\n", 2, 0,
                  "missing input column 'text' (mapped to field 'snippet')"},
        Malformed{"csv_bad_enum", "csv", kHeader + "a,low,\nb,extreme,\n", 3, 0,
                  "field 'severity': 'extreme' is not one of low, medium, high"},
        Malformed{"csv_bad_list_item", "csv", kHeader + "a,low,spam;violense\n", 2, 0,
                  "item 2 of the list: 'violense' is not one of"},
        Malformed{"jsonl_array_line", "jsonl", kGood + "\n[1, 2]\n", 3, 0, "expected a JSON object, got an array"},
        Malformed{"jsonl_invalid_json", "jsonl", kGood + kGood + "\n\n{\"text\": nope}\n", 5, 11, "invalid JSON"},
        Malformed{"jsonl_missing_label", "jsonl", kGood + "{\"text\": \"x\", \"policy_violations\": []}\n", 2, 0,
                  "missing label column 'severity'"},
        Malformed{"jsonl_null_input", "jsonl", "{\"text\": null, \"severity\": \"low\", \"policy_violations\": []}\n",
                  1, 0, "null input column 'text'"},
        Malformed{"jsonl_invalid_utf8", "jsonl", kGood + "{\"text\": \"caf\xC3\x28\"}\n", 2, 14, "invalid UTF-8"},
        Malformed{"json_top_level_object", "json", "\n {\"text\": \"a\"}\n", 2, 0, "expected a JSON array of objects"},
        Malformed{"json_element_not_object", "json",
                  "[\n  {\"text\": \"a\", \"severity\": \"low\", \"policy_violations\": []},\n  \"b\"\n]\n", 3, 0,
                  "element 2 of the array is a string, expected an object"},
        Malformed{"json_syntax_error", "json", "[\n  {\"text\": \"a\"},\n  {\"text\": \"b\",}\n]\n", 3, 16,
                  "invalid JSON"},
        Malformed{"json_bad_enum", "json",
                  "[\n {\"text\": \"a\", \"severity\": \"low\", \"policy_violations\": []},\n\n"
                  " {\"text\": \"b\",\n  \"severity\": \"extreme\", \"policy_violations\": []}]",
                  4, 0, "field 'severity': 'extreme' is not one of low, medium, high"},
        Malformed{"json_list_not_a_list", "json",
                  "[{\"text\": \"a\", \"severity\": \"low\", \"policy_violations\": {\"a\": 1}}]", 1, 0,
                  "'{\"a\":1}' is not one of"},
        Malformed{"json_empty", "json", "  \n", 1, 0, "empty"}),
    [](const ::testing::TestParamInfo<Malformed> &info) { return std::string(info.param.name); });

TEST(Dataset, ErrorMessagesReadAsDocumented)
{
    DatasetSource source;
    source.columns = {{"snippet", "text"}};
    std::string rows = "[\n";
    for (int i = 0; i < 7; ++i)
        rows += " {\"text\": \"a\", \"severity\": \"low\", \"policy_violations\": []},\n";
    rows += " {\"text\": \"b\", \"severity\": \"extreme\", \"policy_violations\": []}\n]\n";
    auto r = load(rows, "json", moderationProgram(), source, "x.json");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Data);
    EXPECT_EQ(r.error().message, "x.json:9: field 'severity': 'extreme' is not one of low, medium, high");

    auto cells = load("a,b\n1,2\n3,4\n5,6,7\n", "csv", moderationProgram(), source, "rows.csv");
    ASSERT_FALSE(cells);
    EXPECT_EQ(cells.error().kind, ErrorKind::Parse);
    EXPECT_EQ(cells.error().message, "rows.csv:4: 3 cells, but the header has 2 columns");

    auto integer = load("n,x,ok,tags,s,level\n4.5,1,1,,s,low\n", "csv", typesProgram(), {}, "t.csv");
    ASSERT_FALSE(integer);
    EXPECT_EQ(integer.error().message, "t.csv:2: field 'n': expected an integer, got '4.5'");

    auto boolean = load("n,x,ok,tags,s,level\n4,1,maybe,,s,low\n", "csv", typesProgram(), {}, "t.csv");
    ASSERT_FALSE(boolean);
    EXPECT_NE(boolean.error().message.find("field 'ok': expected true or false"), std::string::npos);

    auto number = load("n,x,ok,tags,s,level\n4,abc,1,,s,low\n", "csv", typesProgram(), {}, "t.csv");
    ASSERT_FALSE(number);
    EXPECT_EQ(number.error().message, "t.csv:2: field 'x': expected a number, got 'abc'");
}

TEST(Dataset, ErrorInAnyRowFailsTheWholeFile)
{
    TempDir dir;
    // 50 good rows, then one bad: nothing is returned.
    std::string text;
    for (int i = 0; i < 50; ++i)
        text += "{\"snippet\": \"s" + std::to_string(i) + "\", \"severity\": \"low\", \"policy_violations\": []}\n";
    text += "{\"snippet\": \"s\", \"severity\": \"low\", \"policy_violations\": [\"unknown\"]}\n";
    writeFile(dir.path() / "data.jsonl", text);
    auto loaded = loadDataset(DatasetSource{}, (dir.path() / "data.jsonl").string(), moderationProgram());
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().message.find("data.jsonl:51: field 'policy_violations'"), std::string::npos)
        << loaded.error().message;
}

// ---- splits and hashes ----------------------------------------------------------------

namespace {

std::vector<Example> numbered(int n)
{
    std::vector<Example> out;
    for (int i = 0; i < n; ++i) {
        Example e;
        e.values.set("i", Value(i));
        e.inputKeys = {"i"};
        out.push_back(e);
    }
    return out;
}

std::vector<std::int64_t> ids(const std::vector<Example> &examples)
{
    std::vector<std::int64_t> out;
    for (const auto &e : examples)
        out.push_back(e.values.get("i").asInt());
    return out;
}

} // namespace

TEST(Split, SizesPartitionAndDeterminism)
{
    const auto all = numbered(20);
    std::vector<Example> rest, val, test;
    splitByFraction(all, 0.2, 0.15, 7, rest, val, test);
    EXPECT_EQ(val.size(), 4u);  // round(20 * 0.2)
    EXPECT_EQ(test.size(), 3u); // round(20 * 0.15) = round(3.0)
    EXPECT_EQ(rest.size(), 13u);

    // A partition of the input.
    std::vector<std::int64_t> every;
    for (const auto *part : {&rest, &val, &test}) {
        const auto p = ids(*part);
        EXPECT_TRUE(std::is_sorted(p.begin(), p.end())); // file order kept in each split
        every.insert(every.end(), p.begin(), p.end());
    }
    std::sort(every.begin(), every.end());
    EXPECT_EQ(every, ids(all));

    // Same seed, same split.
    std::vector<Example> rest2, val2, test2;
    splitByFraction(all, 0.2, 0.15, 7, rest2, val2, test2);
    EXPECT_EQ(ids(val2), ids(val));
    EXPECT_EQ(ids(test2), ids(test));
    EXPECT_EQ(ids(rest2), ids(rest));

    // Another seed picks other rows (at least one of a few seeds must differ).
    bool differs = false;
    for (std::uint64_t seed : {0ULL, 1ULL, 8ULL, 12345ULL}) {
        splitByFraction(all, 0.2, 0.15, seed, rest2, val2, test2);
        EXPECT_EQ(val2.size(), 4u);
        differs = differs || ids(val2) != ids(val) || ids(test2) != ids(test);
    }
    EXPECT_TRUE(differs);

    // Not simply the first or last rows.
    splitByFraction(all, 0.5, 0.0, 3, rest2, val2, test2);
    EXPECT_EQ(val2.size(), 10u);
    EXPECT_TRUE(test2.empty());
    EXPECT_NE(ids(val2), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_NE(ids(val2), (std::vector<std::int64_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
}

TEST(Split, RoundingAndEdgeCases)
{
    std::vector<Example> rest, val, test;
    splitByFraction(numbered(5), 0.5, 0.1, 1, rest, val, test); // 2.5 -> 3, 0.5 -> 1
    EXPECT_EQ(val.size(), 3u);
    EXPECT_EQ(test.size(), 1u);
    EXPECT_EQ(rest.size(), 1u);

    splitByFraction(numbered(0), 0.2, 0.2, 1, rest, val, test);
    EXPECT_TRUE(rest.empty() && val.empty() && test.empty());

    splitByFraction(numbered(3), 0.0, 0.0, 1, rest, val, test);
    EXPECT_EQ(ids(rest), (std::vector<std::int64_t>{0, 1, 2}));
    EXPECT_TRUE(val.empty() && test.empty());
}

TEST(Hash, StableAndSensitive)
{
    const Program program = moderationProgram();
    auto a = load("snippet,severity,policy_violations\nhi,low,spam\n", "csv", program);
    auto b =
        load("{\"snippet\": \"hi\", \"severity\": \"low\", \"policy_violations\": [\"spam\"]}\n", "jsonl", program);
    auto c = load("snippet,severity,policy_violations\nhi,medium,spam\n", "csv", program);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(hashExamples(*a), hashExamples(*b));
    EXPECT_NE(hashExamples(*a), hashExamples(*c));
    EXPECT_EQ(hashExamples(*a), hashExamples(*a));

    // Order matters, and the hash is the SHA-256 of the canonical JSON lines.
    auto two = load("snippet,severity,policy_violations\nx,low,\ny,high,\n", "csv", program);
    auto swapped = load("snippet,severity,policy_violations\ny,high,\nx,low,\n", "csv", program);
    ASSERT_TRUE(two && swapped);
    EXPECT_NE(hashExamples(*two), hashExamples(*swapped));
    EXPECT_EQ(hashExamples({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"); // SHA-256 of ""
}

// ---- studies ----------------------------------------------------------------------

namespace {

std::string studyJson(const std::string &data)
{
    return R"({"prism_study": 1, "name": "t", "data": )" + data + R"(,
  "program": {"predictors": [{"name": "classify", "signature": {
    "inputs": [{"name": "snippet", "type": "str"}],
    "outputs": [{"name": "severity", "type": {"type": "enum", "values": ["low", "medium", "high"]}}]}}]}})";
}

std::string rowsJsonl(int n, int offset = 0)
{
    std::string text;
    for (int i = 0; i < n; ++i)
        text += "{\"snippet\": \"s" + std::to_string(i + offset) + "\", \"severity\": \"low\"}\n";
    return text;
}

} // namespace

TEST(StudyData, CarvesSplitsFromTrainAndExplicitFilesWin)
{
    TempDir dir;
    fs::create_directories(dir.path() / "data");
    writeFile(dir.path() / "data" / "train.jsonl", rowsJsonl(20));
    writeFile(dir.path() / "data" / "val.csv", "text,severity\nv1,HIGH\nv2,low\n");

    writeFile(
        dir.path() / "a.prism.json",
        studyJson(R"({"train": "data/train.jsonl", "val_fraction": 0.25, "test_fraction": 0.1, "split_seed": 3})"));
    auto study = loadStudy((dir.path() / "a.prism.json").string());
    ASSERT_TRUE(study) << study.error().message;
    auto data = loadStudyData(study.value());
    ASSERT_TRUE(data) << data.error().message;
    EXPECT_EQ(data->val.examples.size(), 5u);
    EXPECT_EQ(data->test.examples.size(), 2u);
    EXPECT_EQ(data->train.examples.size(), 13u);
    EXPECT_EQ(data->train.hash, hashExamples(data->train.examples));
    EXPECT_EQ(data->val.hash, hashExamples(data->val.examples));
    EXPECT_NE(data->train.hash, data->val.hash);
    EXPECT_TRUE(fs::equivalent(data->train.path, dir.path() / "data" / "train.jsonl"));

    // Loading again gives the same split.
    auto again = loadStudyData(study.value());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->val.hash, data->val.hash);
    EXPECT_EQ(again->test.hash, data->test.hash);

    // An explicit val file wins over val_fraction; test is still carved.
    writeFile(
        dir.path() / "b.prism.json",
        studyJson(R"({"train": "data/train.jsonl", "val": {"path": "data/val.csv", "columns": {"snippet": "text"}},
                            "val_fraction": 0.25, "test_fraction": 0.1, "split_seed": 3})"));
    auto studyB = loadStudy((dir.path() / "b.prism.json").string());
    ASSERT_TRUE(studyB) << studyB.error().message;
    auto dataB = loadStudyData(studyB.value());
    ASSERT_TRUE(dataB) << dataB.error().message;
    ASSERT_EQ(dataB->val.examples.size(), 2u);
    EXPECT_EQ(dataB->val.examples[0].values.get("snippet"), Value("v1"));
    EXPECT_EQ(dataB->val.examples[0].values.get("severity"), Value("high"));
    EXPECT_EQ(dataB->test.examples.size(), 2u);
    EXPECT_EQ(dataB->train.examples.size(), 18u);

    // No fractions, no val/test: everything is train.
    writeFile(dir.path() / "c.prism.json", studyJson(R"({"train": "data/train.jsonl"})"));
    auto dataC = loadStudyData(loadStudy((dir.path() / "c.prism.json").string()).value());
    ASSERT_TRUE(dataC) << dataC.error().message;
    EXPECT_EQ(dataC->train.examples.size(), 20u);
    EXPECT_TRUE(dataC->val.examples.empty());
    EXPECT_TRUE(dataC->test.examples.empty());
}

TEST(StudyData, Errors)
{
    TempDir dir;
    writeFile(dir.path() / "one.jsonl", rowsJsonl(1));
    writeFile(dir.path() / "none.json", "[]");
    writeFile(dir.path() / "bad.jsonl", rowsJsonl(2) + "{\"snippet\": \"x\", \"severity\": \"severe\"}\n");

    auto run = [&](const std::string &data) {
        writeFile(dir.path() / "s.prism.json", studyJson(data));
        auto study = loadStudy((dir.path() / "s.prism.json").string());
        EXPECT_TRUE(study) << study.error().message;
        return loadStudyData(study.value());
    };

    auto missing = run(R"({"train": "nope.jsonl"})");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::Io);
    EXPECT_NE(missing.error().message.find("nope.jsonl"), std::string::npos);

    auto empty = run(R"({"train": "none.json"})");
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("training split is empty"), std::string::npos) << empty.error().message;

    // One row, half of it to test: round(0.5) = 1 leaves nothing to train on.
    auto carvedEmpty = run(R"({"train": "one.jsonl", "test_fraction": 0.5})");
    ASSERT_FALSE(carvedEmpty);
    EXPECT_NE(carvedEmpty.error().message.find("training split is empty"), std::string::npos);

    auto badTest = run(R"({"train": "one.jsonl", "test": "bad.jsonl"})");
    ASSERT_FALSE(badTest);
    EXPECT_NE(badTest.error().message.find("bad.jsonl:3: field 'severity'"), std::string::npos)
        << badTest.error().message;

    Study noTrain;
    auto r = loadStudyData(noTrain);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("data.train"), std::string::npos);
}

TEST(StudyData, SamplesLoadWhenPresent)
{
    int found = 0;
    const fs::path samples = PRISM_SAMPLES_DIR;
    if (fs::is_directory(samples)) {
        for (const auto &entry : fs::recursive_directory_iterator(samples)) {
            const std::string name = entry.path().filename().string();
            if (name.size() < 11 || name.substr(name.size() - 11) != ".prism.json")
                continue;
            auto study = loadStudy(entry.path().string());
            ASSERT_TRUE(study) << study.error().message;
            const DatasetSource &train = *study->data.train;
            if (!fs::exists(study->resolvePath(train.path)))
                continue; // the sample's data is not written yet
            auto data = loadStudyData(study.value());
            ASSERT_TRUE(data) << entry.path() << ": " << data.error().message;
            EXPECT_FALSE(data->train.examples.empty());
            for (const auto &e : data->train.examples)
                EXPECT_EQ(e.inputKeys, study->program.externalInputs());
            ++found;
        }
    }
    if (found == 0)
        GTEST_SKIP() << "no sample studies with data yet";
}
