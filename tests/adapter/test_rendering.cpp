// Rendering: the messages Prism sends must be DSPy 3.3.1's, byte for byte.
#include "adapter/adapter.h"
#include "adapter/pytext.h"
#include "core/json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>

using namespace prism;

namespace {

const std::string kRenderings = std::string(PRISM_TEST_DATA_DIR) + "/dspy-renderings";

std::string between(const std::string &text, const std::string &from, const std::string &to)
{
    const std::size_t a = text.find(from);
    EXPECT_NE(a, std::string::npos) << from;
    const std::size_t b = text.find(to, a + from.size());
    EXPECT_NE(b, std::string::npos) << to;
    return text.substr(a + from.size(), b - a - from.size());
}

// "1. `name` (type): description" lines, as DSPy prints a field list.
std::vector<Field> fieldsFromList(const std::string &block)
{
    static const std::regex line(R"(^(\d+)\. `([^`]+)` \((.*)\):(?: (.*))?$)");
    std::vector<Field> fields;
    std::size_t start = 0;
    while (start <= block.size()) {
        std::size_t end = block.find('\n', start);
        if (end == std::string::npos)
            end = block.size();
        const std::string text = block.substr(start, end - start);
        std::smatch m;
        EXPECT_TRUE(std::regex_match(text, m, line)) << "not a field line: " << text;
        if (!m.empty()) {
            Field f;
            f.name = m[2];
            std::string error;
            EXPECT_TRUE(Type::parseShort(m[3].str(), f.type, error)) << error;
            f.description = m[4];
            fields.push_back(f);
        }
        start = end + 1;
    }
    return fields;
}

struct RenderingCase {
    Predictor predictor;
    Fields inputs;
    std::vector<ChatMessage> expected;
};

// Rebuilds the predictor from the fixture: fields from the system message,
// ChainOfThought when the first output is DSPy's description-less `reasoning`.
RenderingCase loadCase(const std::string &path)
{
    RenderingCase c;
    auto json = readJsonFile(path);
    EXPECT_TRUE(json.ok()) << path;
    if (!json.ok())
        return c;
    for (const auto &m : json->at("messages"))
        c.expected.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
    const std::string &system = c.expected.front().content;
    Signature sig;
    sig.instruction = json->at("signature_instructions").get<std::string>();
    sig.inputs = fieldsFromList(between(system, "Your input fields are:\n", "\nYour output fields are:\n"));
    sig.outputs = fieldsFromList(between(system, "\nYour output fields are:\n", "\nAll interactions will be"));
    if (!sig.outputs.empty() && sig.outputs.front().name == "reasoning" && sig.outputs.front().description.empty()) {
        c.predictor.kind = PredictorKind::ChainOfThought;
        sig.outputs.erase(sig.outputs.begin());
    }
    c.predictor.signature = sig;
    for (const auto &d : json->at("demos")) {
        Demo demo;
        for (const auto &[key, value] : d.items()) {
            if (key == "augmented")
                demo.augmented = value.get<bool>();
            else
                demo.values.set(key, valueFromJson(value));
        }
        c.predictor.demos.push_back(demo);
    }
    for (const auto &[key, value] : json->at("inputs").items())
        c.inputs.set(key, valueFromJson(value));
    return c;
}

std::vector<std::string> fixtures(const std::string &suffix)
{
    std::vector<std::string> out;
    for (const auto &entry : std::filesystem::directory_iterator(kRenderings)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

void expectGolden(const std::string &adapterName, const std::string &suffix, std::size_t cases)
{
    const auto files = fixtures(suffix);
    ASSERT_EQ(files.size(), cases) << "expected " << cases << " DSPy rendering cases for " << suffix;
    auto adapter = makeAdapter(adapterName);
    ASSERT_TRUE(adapter);
    for (const auto &file : files) {
        SCOPED_TRACE(file);
        const RenderingCase c = loadCase(file);
        const auto messages = adapter->format(c.predictor.effectiveSignature(), c.predictor.demos, c.inputs);
        ASSERT_EQ(messages.size(), c.expected.size());
        for (std::size_t i = 0; i < messages.size(); ++i) {
            SCOPED_TRACE("message " + std::to_string(i));
            EXPECT_EQ(messages[i].role, c.expected[i].role);
            EXPECT_EQ(messages[i].content, c.expected[i].content);
        }
    }
}

Signature moderationSignature()
{
    Signature sig;
    sig.instruction = "Classify the snippet for moderation.";
    sig.inputs = {{"snippet", Type::string(), "", ""}};
    sig.outputs = {
        {"severity", Type::enumOf({"low", "medium", "high"}), "Overall severity of the snippet for moderation routing.",
         ""},
        {"policy_violations",
         Type::listOf(Type::enumOf({"harassment", "hate", "sexual", "violence", "self_harm", "spam", "other"})),
         "Zero or more policy categories the snippet violates.", ""},
    };
    return sig;
}

Signature simpleSignature(std::vector<Field> inputs, std::vector<Field> outputs, std::string instruction = "Do it.")
{
    Signature sig;
    sig.instruction = std::move(instruction);
    sig.inputs = std::move(inputs);
    sig.outputs = std::move(outputs);
    return sig;
}

} // namespace

TEST(AdapterGolden, ChatAdapterMatchesDspyByteForByte)
{
    // The five cases of both adapters, and the second stage of a two-stage module (a list input).
    expectGolden("chat", ".ChatAdapter.json", 6);
}

TEST(AdapterGolden, JsonAdapterMatchesDspyByteForByte)
{
    expectGolden("json", ".JSONAdapter.json", 5);
}

// Stage 2 of saved_two_stage_moderation.json: a ChainOfThought that reads stage 1's list output.
TEST(AdapterGolden, TwoStageRateStageIsReadAsTheModuleDefinesIt)
{
    const RenderingCase c = loadCase(kRenderings + "/two_stage_rate_demos.ChatAdapter.json");
    EXPECT_EQ(c.predictor.kind, PredictorKind::ChainOfThought);
    ASSERT_EQ(c.predictor.signature.inputs.size(), 2u);
    EXPECT_EQ(c.predictor.signature.inputs[1].name, "policy_violations");
    EXPECT_TRUE(c.predictor.signature.inputs[1].description.empty());
    EXPECT_EQ(c.predictor.signature.inputs[1].type, moderationSignature().outputs[1].type);
    ASSERT_EQ(c.predictor.signature.outputs.size(), 1u);
    EXPECT_EQ(c.predictor.signature.outputs[0], moderationSignature().outputs[0]);
    ASSERT_EQ(c.predictor.demos.size(), 1u);
    EXPECT_EQ(c.predictor.demos[0].values.get("reasoning"), Value("An insult aimed at a person, no threat."));
}

TEST(AdapterGolden, DerivedModerationSignatureIsTheTutorialOne)
{
    // Guards the golden tests against a derivation that drifts with the code under test.
    const RenderingCase c = loadCase(kRenderings + "/cot_moderation_demos.ChatAdapter.json");
    EXPECT_EQ(c.predictor.kind, PredictorKind::ChainOfThought);
    EXPECT_EQ(c.predictor.signature, moderationSignature());
    ASSERT_EQ(c.predictor.demos.size(), 2u);
    EXPECT_TRUE(c.predictor.demos[0].augmented);
    EXPECT_EQ(c.predictor.demos[0].values.get("policy_violations"), Value(Value::List{Value("harassment")}));
}

TEST(AdapterFormat, MakeAdapterNamesAndResponseFormats)
{
    auto chat = makeAdapter("chat");
    auto json = makeAdapter("json");
    ASSERT_TRUE(chat && json);
    EXPECT_STREQ(chat->name(), "chat");
    EXPECT_STREQ(json->name(), "json");
    EXPECT_EQ(chat->responseFormat(), ResponseFormat::Text);
    EXPECT_EQ(json->responseFormat(), ResponseFormat::JsonObject);
    EXPECT_TRUE(makeAdapter("JSONAdapter"));
    EXPECT_FALSE(makeAdapter("xml"));
}

TEST(AdapterFormat, InputValuesAreFormattedAsDspyDoes)
{
    // format_field_value: list for a str field -> numbered «blobs»; list for a
    // list field -> json.dumps(ensure_ascii=False); others -> str().
    const Signature sig = simpleSignature({{"docs", Type::string(), "", ""},
                                           {"tags", Type::listOf(Type::string()), "", ""},
                                           {"flag", Type::boolean(), "", ""},
                                           {"score", Type::floating(), "", ""},
                                           {"n", Type::integer(), "", ""}},
                                          {{"answer", Type::string(), "", ""}});
    Fields inputs;
    inputs.set("docs", Value::List{Value("first"), Value("second\nline")});
    inputs.set("tags", Value::List{Value("a"), Value("\xc3\xa9")});
    inputs.set("flag", true);
    inputs.set("score", 1e16);
    inputs.set("n", 42);
    const auto messages = makeAdapter("chat")->format(sig, {}, inputs);
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[1].content,
              "[[ ## docs ## ]]\n[1] \xc2\xab"
              "first\xc2\xbb\n[2] \xc2\xab\xc2\xab\xc2\xab\n    second\n    line\n"
              "\xc2\xbb\xc2\xbb\xc2\xbb\n\n"
              "[[ ## tags ## ]]\n[\"a\", \"\xc3\xa9\"]\n\n"
              "[[ ## flag ## ]]\nTrue\n\n"
              "[[ ## score ## ]]\n1e+16\n\n"
              "[[ ## n ## ]]\n42\n\n"
              "Respond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then "
              "ending with the marker for `[[ ## completed ## ]]`.");

    const Field docs{"docs", Type::string(), "", ""};
    EXPECT_EQ(pytext::formatFieldValue(docs, Value(Value::List{Value("only")})), "\xc2\xab"
                                                                                 "only\xc2\xbb");
    EXPECT_EQ(pytext::formatFieldValue(docs, Value(Value::List{})), "N/A");
    EXPECT_EQ(pytext::formatFieldValue(docs, Value()), "None");
}

TEST(AdapterFormat, FloatsPrintAsPythonRepr)
{
    EXPECT_EQ(pytext::floatRepr(0.5), "0.5");
    EXPECT_EQ(pytext::floatRepr(3.0), "3.0");
    EXPECT_EQ(pytext::floatRepr(-2.5), "-2.5");
    EXPECT_EQ(pytext::floatRepr(0.1 + 0.2), "0.30000000000000004");
    EXPECT_EQ(pytext::floatRepr(1e15), "1000000000000000.0");
    EXPECT_EQ(pytext::floatRepr(1e16), "1e+16");
    EXPECT_EQ(pytext::floatRepr(0.0001), "0.0001");
    EXPECT_EQ(pytext::floatRepr(0.00001), "1e-05");
    EXPECT_EQ(pytext::floatRepr(1.5e-7), "1.5e-07");
    EXPECT_EQ(pytext::floatRepr(123456789.125), "123456789.125");
}

TEST(AdapterFormat, JsonDumpsMatchesPythonSeparatorsAndEscapes)
{
    const Json value = Json::parse(R"({"a": [1, 2.0, true, null], "b": "x\n\"y\"", "c": {}, "d": []})");
    EXPECT_EQ(pytext::jsonDumps(value, false), R"({"a": [1, 2.0, true, null], "b": "x\n\"y\"", "c": {}, "d": []})");
    EXPECT_EQ(pytext::jsonDumps(value, false, 2), "{\n  \"a\": [\n    1,\n    2.0,\n    true,\n    null\n  ],\n  "
                                                  "\"b\": \"x\\n\\\"y\\\"\",\n  \"c\": {},\n  \"d\": []\n}");
    EXPECT_EQ(pytext::jsonDumps(Json("caf\xc3\xa9 \xf0\x9f\x98\x80"), true), "\"caf\\u00e9 \\ud83d\\ude00\"");
    EXPECT_EQ(pytext::jsonDumps(Json("caf\xc3\xa9"), false), "\"caf\xc3\xa9\"");
}

TEST(AdapterFormat, IncompleteDemoWithLastOutputMissingLosesTrailingSpace)
{
    const Signature sig = simpleSignature({{"q", Type::string(), "", ""}},
                                          {{"answer", Type::string(), "", ""}, {"label", Type::string(), "", ""}});
    std::vector<Demo> demos(3);
    demos[0].values = {{"q", "complete"}, {"answer", "A"}, {"label", "L"}};
    demos[1].values = {{"q", "no label"}, {"answer", "B"}};
    demos[2].values = {{"q", "inputs only"}}; // no output at all: dropped
    const auto messages = makeAdapter("chat")->format(sig, demos, Fields{{"q", "now"}});
    ASSERT_EQ(messages.size(), 6u);
    EXPECT_EQ(messages[1].content,
              "This is an example of the task, though some input or output fields are not supplied.\n\n"
              "[[ ## q ## ]]\nno label");
    // The block is strip()ped, so only a missing *last* field loses its trailing space.
    EXPECT_EQ(messages[2].content,
              "[[ ## answer ## ]]\nB\n\n[[ ## label ## ]]\nNot supplied for this particular example.\n\n"
              "[[ ## completed ## ]]\n");
    EXPECT_EQ(messages[3].content, "[[ ## q ## ]]\ncomplete");
    EXPECT_EQ(messages[4].content, "[[ ## answer ## ]]\nA\n\n[[ ## label ## ]]\nL\n\n[[ ## completed ## ]]\n");

    const auto json = makeAdapter("json")->format(sig, demos, Fields{{"q", "now"}});
    ASSERT_EQ(json.size(), 6u);
    EXPECT_EQ(json[2].content,
              "{\n  \"answer\": \"B\",\n  \"label\": \"Not supplied for this particular example. \"\n}");
}

TEST(AdapterFormat, DemoWithNullValueIsIncompleteAndComesFirst)
{
    const Signature sig = simpleSignature({{"q", Type::string(), "", ""}}, {{"answer", Type::string(), "", ""}});
    std::vector<Demo> demos(2);
    demos[0].values = {{"q", "first"}, {"answer", "1"}};
    demos[1].values = {{"q", "second"}, {"answer", Value()}};
    const auto messages = makeAdapter("chat")->format(sig, demos, Fields{{"q", "now"}});
    ASSERT_EQ(messages.size(), 6u);
    EXPECT_EQ(messages[1].content.find("This is an example of the task"), 0u);
    EXPECT_NE(messages[1].content.find("second"), std::string::npos);
    EXPECT_EQ(messages[3].content, "[[ ## q ## ]]\nfirst");
}

TEST(AdapterFormat, JsonAssistantTurnsKeepTypesAndUnicode)
{
    const Signature sig =
        simpleSignature({{"q", Type::string(), "", ""}}, {{"answer", Type::string(), "", ""},
                                                          {"tags", Type::listOf(Type::string()), "", ""},
                                                          {"ok", Type::boolean(), "", ""},
                                                          {"ratio", Type::floating(), "", ""}});
    std::vector<Demo> demos(1);
    demos[0].values = {
        {"q", "x"}, {"answer", "caf\xc3\xa9"}, {"tags", Value::List{"a", "b"}}, {"ok", true}, {"ratio", 1.0}};
    const auto json = makeAdapter("json")->format(sig, demos, Fields{{"q", "now"}});
    ASSERT_EQ(json.size(), 4u);
    // DSPy 3.3.1 dumps with indent=2 and ensure_ascii=False.
    EXPECT_EQ(json[2].content, "{\n  \"answer\": \"caf\xc3\xa9\",\n  \"tags\": [\n    \"a\",\n    \"b\"\n  ],\n"
                               "  \"ok\": true,\n  \"ratio\": 1.0\n}");
    const auto chat = makeAdapter("chat")->format(sig, demos, Fields{{"q", "now"}});
    EXPECT_EQ(chat[2].content, "[[ ## answer ## ]]\ncaf\xc3\xa9\n\n[[ ## tags ## ]]\n[\"a\", \"b\"]\n\n"
                               "[[ ## ok ## ]]\nTrue\n\n[[ ## ratio ## ]]\n1.0\n\n[[ ## completed ## ]]\n");
}

TEST(AdapterFormat, InstructionIsDedentedAndIndentedLineByLine)
{
    const Signature sig = simpleSignature({{"q", Type::string(), "", ""}}, {{"a", Type::string(), "", ""}},
                                          "  Line one.\n    Indented.\n   \n  Line three.");
    const std::string system = makeAdapter("chat")->format(sig, {}, {}).front().content;
    const std::string tail =
        "In adhering to this structure, your objective is: \n        Line one.\n          Indented.\n"
        "        \n        Line three.";
    ASSERT_GE(system.size(), tail.size());
    EXPECT_EQ(system.substr(system.size() - tail.size()), tail);

    const Signature noInstruction =
        simpleSignature({{"q", Type::string(), "", ""}}, {{"a", Type::string(), "", ""}}, "");
    const std::string fallback = makeAdapter("chat")->format(noInstruction, {}, {}).front().content;
    const std::string expected = "your objective is: \n        Given the fields `q`, produce the fields `a`.";
    EXPECT_EQ(fallback.substr(fallback.size() - expected.size()), expected);
}

TEST(AdapterFormat, TypeNotesAndAnnotations)
{
    const Field nums{"nums", Type::listOf(Type::integer()), "", ""};
    EXPECT_EQ(pytext::fieldPlaceholder(nums, false),
              "{nums}        # note: the value you produce must adhere to the JSON schema: "
              "{\"type\": \"array\", \"items\": {\"type\": \"integer\"}}");
    EXPECT_EQ(pytext::fieldPlaceholder(nums, true), "{nums}");
    EXPECT_EQ(pytext::annotationName(Type::enumOf({"it's", "say \"hi\"", "plain"})),
              "Literal[\"it's\", 'say \"hi\"', 'plain']");
    const Field described{"x", Type::string(), "${x}", ""};
    EXPECT_EQ(pytext::fieldDescriptions({described, {"y", Type::integer(), "Why.", ""}}),
              "1. `x` (str): \n2. `y` (int): Why.");
}

TEST(AdapterFormat, PythonStripAndSplitLines)
{
    EXPECT_EQ(pytext::strip(" \t\n x y \xc2\xa0\n"), "x y");
    EXPECT_EQ(pytext::strip("\xe3\x80\x80z\xe2\x80\x83"), "z");
    const std::vector<std::string> lines{"a", "b", "", "c"};
    EXPECT_EQ(pytext::splitLines("a\r\nb\r\rc\n"), lines);
    EXPECT_TRUE(pytext::splitLines("").empty());
}
