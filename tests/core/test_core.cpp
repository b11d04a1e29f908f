#include "core/json.h"
#include "core/program.h"
#include "core/study.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <filesystem>

using namespace prism;

namespace {

Signature moderationSignature()
{
    Signature s;
    s.instruction = "Classify the snippet for moderation.";
    s.inputs.push_back(Field{"snippet", Type::string(), "", ""});
    s.outputs.push_back(Field{"severity", Type::enumOf({"low", "medium", "high"}), "Overall severity.", ""});
    s.outputs.push_back(Field{"policy_violations", Type::listOf(Type::enumOf({"harassment", "spam"})), "", ""});
    return s;
}

} // namespace

TEST(Type, PythonNamesMatchDspy)
{
    EXPECT_EQ(Type::string().pythonName(), "str");
    EXPECT_EQ(Type::enumOf({"low", "medium", "high"}).pythonName(), "Literal['low', 'medium', 'high']");
    EXPECT_EQ(Type::listOf(Type::enumOf({"a", "b"})).pythonName(), "list[Literal['a', 'b']]");
    EXPECT_EQ(Type::listOf(Type::string()).pythonName(), "list[str]");
}

TEST(Type, ShortNotationRoundTrips)
{
    for (const Type &t : {Type::string(), Type::integer(), Type::floating(), Type::boolean(), Type::enumOf({"x", "y"}),
                          Type::listOf(Type::enumOf({"x", "y"})), Type::listOf(Type::integer())}) {
        Type parsed;
        std::string error;
        ASSERT_TRUE(Type::parseShort(t.shortName(), parsed, error)) << error;
        EXPECT_EQ(parsed, t) << t.shortName();
        ASSERT_TRUE(Type::parseShort(t.pythonName(), parsed, error)) << error;
        EXPECT_EQ(parsed, t) << t.pythonName();
    }
    Type parsed;
    std::string error;
    EXPECT_FALSE(Type::parseShort("dict[str,int]", parsed, error));
    EXPECT_NE(error.find("dict"), std::string::npos);
    EXPECT_FALSE(Type::parseShort("enum[]", parsed, error));
}

TEST(Field, PrefixInferredLikeDspy)
{
    EXPECT_EQ(inferPrefix("policy_violations"), "Policy Violations");
    EXPECT_EQ(inferPrefix("questionText"), "Question Text");
    EXPECT_EQ((Field{"answer", Type::string(), "", ""}.effectivePrefix()), "Answer:");
    EXPECT_EQ((Field{"answer", Type::string(), "", "Final:"}.effectivePrefix()), "Final:");
}

TEST(Signature, WithInstructionReturnsACopy)
{
    const Signature s = moderationSignature();
    const Signature t = s.withInstruction("Be careful.");
    EXPECT_EQ(s.instruction, "Classify the snippet for moderation.");
    EXPECT_EQ(t.instruction, "Be careful.");
    EXPECT_EQ(t.outputs, s.outputs);
    EXPECT_EQ(Signature::defaultInstruction(s.inputs, s.outputs),
              "Given the fields `snippet`, produce the fields `severity`, `policy_violations`.");
}

TEST(Predictor, ChainOfThoughtAddsReasoningFirst)
{
    Predictor p;
    p.signature = moderationSignature();
    EXPECT_EQ(p.effectiveSignature().outputs.size(), 2u);
    p.kind = PredictorKind::ChainOfThought;
    const Signature s = p.effectiveSignature();
    ASSERT_EQ(s.outputs.size(), 3u);
    EXPECT_EQ(s.outputs[0].name, "reasoning");
    EXPECT_EQ(s.outputs[0].type, Type::string());
    EXPECT_EQ(s.outputs[1].name, "severity");
}

TEST(Program, PipelineInputsAndOutputs)
{
    Program prog;
    Predictor a;
    a.name = "classify";
    a.signature = moderationSignature();
    Predictor b;
    b.name = "explain";
    b.signature.inputs = {Field{"snippet", Type::string(), "", ""}, Field{"severity", Type::string(), "", ""}};
    b.signature.outputs = {Field{"explanation", Type::string(), "", ""}};
    prog.predictors = {a, b};
    EXPECT_EQ(prog.externalInputs(), std::vector<std::string>{"snippet"});
    EXPECT_EQ(prog.allOutputs().size(), 3u);
}

TEST(Json, CoreTypesRoundTrip)
{
    Predictor p;
    p.name = "classify";
    p.kind = PredictorKind::ChainOfThought;
    p.signature = moderationSignature();
    p.demos.push_back(
        Demo{Fields{{"snippet", "hi"}, {"severity", "low"}, {"policy_violations", Value(Value::List{})}}, true});
    p.demos.push_back(
        Demo{Fields{{"snippet", "x"}, {"severity", "high"}, {"policy_violations", Value(Value::List{Value("spam")})}},
             false});
    Program prog;
    prog.predictors.push_back(p);
    auto back = programFromJson(Json::parse(toJson(prog).dump()));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back.value(), prog);

    Example e{
        Fields{{"q", "What?"}, {"n", 3}, {"f", 2.5}, {"b", true}, {"l", Value(Value::List{Value("a"), Value(1)})}},
        {"q"}};
    auto eb = exampleFromJson(Json::parse(toJson(e).dump()));
    ASSERT_TRUE(eb);
    EXPECT_EQ(eb.value(), e);
    EXPECT_EQ(eb->inputs().size(), 1u);
    EXPECT_EQ(eb->labels().size(), 4u);
}

TEST(Json, BadProgramsAreRejectedWithTheReason)
{
    auto r = programFromJson(Json::parse(
        R"({"predictors":[{"name":"a","kind":"react","signature":{"inputs":[{"name":"q"}],"outputs":[{"name":"a"}]}}]})"));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("react"), std::string::npos);
    r = programFromJson(
        Json::parse(R"({"predictors":[{"signature":{"inputs":[{"name":"q"}],"outputs":[{"name":"q"}]}}]})"));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("twice"), std::string::npos);
}

TEST(Json, ParseErrorsNameLineAndColumn)
{
    auto r = parseJson("{\n  \"a\": 1,\n  \"b\" 2\n}", "x.json");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("x.json:3:"), std::string::npos) << r.error().message;
}

TEST(Study, RoundTripsAndRejectsKeys)
{
    const std::string text = R"({
      "prism_study": 1, "name": "t",
      "data": {"train": {"path": "train.csv", "columns": {"snippet": "text"}}, "test": "test.jsonl"},
      "program": {"predictors": [{"name": "classify", "signature": {"instruction": "Do it.",
         "inputs": [{"name": "snippet"}], "outputs": [{"name": "severity", "type": "enum[low,high]"}]}}]},
      "metric": {"kind": "composite", "fields": [{"field": "severity", "metric": "exact"}]},
      "models": {"task": {"provider": "openai", "model": "gpt-4o-mini", "api_key_env": "OPENAI_API_KEY"}},
      "optimizer": {"name": "miprov2", "auto": "light", "seed": 0}
    })";
    auto s = studyFromJsonText(text, "t.prism.json");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->data.train->columns.at("snippet"), "text");
    EXPECT_EQ(s->data.test->path, "test.jsonl");
    EXPECT_EQ(s->taskModel.apiKeyEnv, "OPENAI_API_KEY");
    EXPECT_EQ(s->proposerModel, s->taskModel);
    auto again = studyFromJsonText(studyToJsonText(s.value()), "again");
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again.value(), s.value());

    std::string withKey = text;
    withKey.replace(withKey.find("\"api_key_env\""), 13, "\"api_key\"");
    auto bad = studyFromJsonText(withKey, "k.prism.json");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("never stores a key"), std::string::npos);

    auto badMetric = studyFromJsonText(
        std::string(text).replace(text.find("\"field\": \"severity\""), 19, "\"field\": \"nope\""), "m");
    ASSERT_FALSE(badMetric);
    EXPECT_NE(badMetric.error().message.find("nope"), std::string::npos);
}

TEST(Study, ReplicasRoundTripAndInheritTheEntrysSettings)
{
    const std::string head = R"({
      "prism_study": 1, "name": "t",
      "data": {"train": "train.jsonl"},
      "program": {"predictors": [{"name": "classify", "signature": {"instruction": "Do it.",
         "inputs": [{"name": "snippet"}], "outputs": [{"name": "severity"}]}}]},
      "metric": {"kind": "composite", "fields": [{"field": "severity", "metric": "exact"}]},
      "models": {"task": )";
    auto study = [&](const std::string &task) { return studyFromJsonText(head + task + "}}", "r.prism.json"); };

    auto s = study(R"({"provider": "openai", "model": "llama3", "base_url": "http://gpu1:8000/v1",
        "api_key_env": "KEY_ONE", "max_concurrency": 6, "requests_per_minute": 600,
        "replicas": [{"base_url": "http://gpu2:8000/v1"},
                     {"base_url": "http://gpu1:8000/v1", "api_key_env": "KEY_TWO", "max_concurrency": 2,
                      "tokens_per_minute": 50000}]})");
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(s->taskModel.replicas.size(), 2u);
    auto again = studyFromJsonText(studyToJsonText(s.value()), "again");
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->taskModel, s->taskModel);

    const auto endpoints = endpointConfigs(s->taskModel);
    ASSERT_EQ(endpoints.size(), 3u);
    EXPECT_EQ(endpoints[1].baseUrl, "http://gpu2:8000/v1");
    EXPECT_EQ(endpoints[1].apiKeyEnv, "KEY_ONE"); // unset: the entry's
    EXPECT_EQ(endpoints[1].maxConcurrency, 6);
    EXPECT_EQ(endpoints[1].requestsPerMinute, 600.0);
    EXPECT_EQ(endpoints[2].apiKeyEnv, "KEY_TWO");
    EXPECT_EQ(endpoints[2].maxConcurrency, 2);
    EXPECT_EQ(endpoints[2].tokensPerMinute, 50000.0);
    EXPECT_EQ(endpoints[2].model, "llama3");
    for (const auto &e : endpoints)
        EXPECT_TRUE(e.replicas.empty());

    struct Bad {
        std::string task;
        std::string says;
    };
    const std::vector<Bad> bad = {
        {R"({"provider": "simlm", "model": "sim-small", "replicas": [{"base_url": "http://x/v1"}]})",
         "models.task.replicas (line 7) need an HTTP provider"},
        {R"({"provider": "openai", "model": "m", "replicas": {"base_url": "http://x/v1"}})",
         "must be a list of endpoints"},
        {R"({"provider": "openai", "model": "m", "replicas": [{"api_key_env": "K"}]})",
         "models.task.replicas[0] (line 7) needs a base_url"},
        {R"({"provider": "openai", "model": "m", "replicas": [{"base_url": "file:///etc/passwd"}]})",
         "models.task.replicas[0].base_url must be an http:// or https:// URL"},
        {R"({"provider": "openai", "model": "m", "base_url": "http://x/v1", "replicas": [{"base_url": "http://x/v1"}]})",
         "repeats the endpoint http://x/v1"},
        {R"({"provider": "openai", "model": "m", "replicas": [{"base_url": "http://x/v1", "api_key_env": "1BAD"}]})",
         "replicas[0].api_key_env must be the name of an environment variable"},
        {R"({"provider": "openai", "model": "m", "replicas": [{"base_url": "http://x/v1", "max_concurency": 2}]})",
         "max_concurency"},
    };
    for (const auto &b : bad) {
        std::vector<std::string> warnings;
        auto r = studyFromJsonText(head + b.task + "}}", "r.prism.json", &warnings);
        std::string said = r ? std::string() : r.error().message;
        for (const auto &w : warnings)
            said += "\n" + w;
        EXPECT_NE(said.find(b.says), std::string::npos) << b.task << "\n" << said;
    }
}

TEST(Study, SaveIsAtomicAndLoadResolvesPaths)
{
    const auto dir = std::filesystem::temp_directory_path() / "prism_test_core_study";
    std::filesystem::create_directories(dir);
    Study s;
    s.name = "x";
    s.data.train = DatasetSource{"train.jsonl", "", {}, ";"};
    Predictor p;
    p.signature.inputs = {Field{"q", Type::string(), "", ""}};
    p.signature.outputs = {Field{"a", Type::string(), "", ""}};
    p.signature.instruction = "Answer.";
    s.program.predictors = {p};
    s.metric.fields = {FieldMetric{"a", "f1", 1.0, 0.0, {}}};
    const std::string path = (dir / "s.prism.json").string();
    ASSERT_TRUE(saveStudy(s, path));
    auto loaded = loadStudy(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->resolvePath("train.jsonl"), (dir / "train.jsonl").string());
    for (const auto &entry : std::filesystem::directory_iterator(dir))
        EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos);
    std::filesystem::remove_all(dir);
}

#include "core/hash.h"

TEST(Hash, HmacSha256KnownVectors)
{
    // RFC 4231, test cases 2 and 6 (a key longer than the block is hashed first).
    EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(hmacSha256Hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hash, Sha256KnownVectors)
{
    EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // FIPS 180-2 appendix B.3 and the two-block 896-bit message of the NIST examples.
    EXPECT_EQ(sha256Hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    EXPECT_EQ(sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopq"
                        "rsmnopqrstnopqrstu"),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    Sha256 incremental;
    incremental.update("ab");
    incremental.update("c");
    EXPECT_EQ(incremental.finishHex(), sha256Hex("abc"));
}

TEST(Hash, IncrementalChunksAcrossBlocksAndRestartAfterFinish)
{
    const std::string million(1000000, 'a');
    Sha256 sha;
    for (std::size_t at = 0, step = 1; at < million.size(); at += step, step = step % 131 + 7)
        sha.update(std::string_view(million).substr(at, step));
    EXPECT_EQ(sha.finishHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // finishHex starts a new message on the same object.
    sha.update("abc");
    EXPECT_EQ(sha.finishHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha.finishHex(), sha256Hex(""));
}

TEST(Hash, UnitDrawsAreInRangeAndSpread)
{
    double lo = 1, hi = 0;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        const double u = unitFromHash(i);
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        lo = std::min(lo, u);
        hi = std::max(hi, u);
    }
    EXPECT_LT(lo, 0.01);
    EXPECT_GT(hi, 0.99);
}

// Found by fuzzing (fuzz/regressions/study): a number too large for a double
// aborted Prism instead of failing the load with its position.
TEST(Study, NumberOutOfRangeIsAParseErrorWithItsLine)
{
    auto study = studyFromJsonText("{\n  \"prism_study\": 1,\n  \"eval\": {\"threads\": 4e999}\n}", "huge.prism.json");
    ASSERT_FALSE(study.ok());
    EXPECT_EQ(study.error().kind, ErrorKind::Parse);
    EXPECT_EQ(study.error().message.rfind("huge.prism.json:3:23: invalid JSON: a number too large", 0), 0u)
        << study.error().message;
}

// Reported by review: a whole number above int64's range was cast and wrapped
// (18446744073709551615 became -1), a silent change of the data.
TEST(Values, WholeNumbersBeyondInt64KeepTheirMagnitude)
{
    const Value huge = valueFromJson(nlohmann::json::parse("18446744073709551615"));
    ASSERT_TRUE(huge.isFloat());
    EXPECT_DOUBLE_EQ(huge.asNumber(), 18446744073709551615.0);
    EXPECT_EQ(valueFromJson(nlohmann::json::parse("9223372036854775807")), Value(std::int64_t{9223372036854775807}));
}

#include "core/text.h"

TEST(Text, TrimmedRemovesAsciiWhitespaceAtBothEndsOnly)
{
    EXPECT_EQ(trimmed(" \t\n\v\f\r a b \r\n"), "a b");
    EXPECT_EQ(trimmed(" \t\n "), "");
    EXPECT_EQ(trimmed(""), "");
    EXPECT_EQ(trimmed("x"), "x");
    // U+00A0 (C2 A0) and other UTF-8 bytes are not ASCII whitespace.
    EXPECT_EQ(trimmed("\xc2\xa0x\xc2\xa0"), "\xc2\xa0x\xc2\xa0");
    EXPECT_EQ(trimmed("\f x \v", " \t\r\n"), "\f x \v");
    EXPECT_EQ(trimmed("--x-y--", "-"), "x-y");
}

TEST(Text, ToLowerAsciiMapsOnlyAToZ)
{
    EXPECT_EQ(toLowerAscii("Hello, WORLD 42_Z@["), "hello, world 42_z@[");
    EXPECT_EQ(toLowerAscii("\xc3\x84pfel"), "\xc3\x84pfel"); // "Äpfel": UTF-8 kept
    EXPECT_EQ(toLowerAscii(""), "");
}

#include "core/kinds.h"

// Providers and adapters are enums inside Prism; their study-file words are
// the only spelling read, and they read back to the same value.
TEST(Kinds, ProviderAndAdapterNamesRoundTripAndUnknownNamesAreRefused)
{
    for (prism::Provider p : {prism::Provider::SimLm, prism::Provider::OpenAi, prism::Provider::Anthropic})
        EXPECT_EQ(prism::providerFromName(prism::providerName(p)), p);
    EXPECT_FALSE(prism::providerFromName("OpenAI")); // the study's word is exact
    EXPECT_FALSE(prism::providerFromName(""));
    for (prism::AdapterKind k : {prism::AdapterKind::Chat, prism::AdapterKind::Json})
        EXPECT_EQ(prism::adapterKindFromName(prism::adapterKindName(k)), k);
    EXPECT_FALSE(prism::adapterKindFromName("JSONAdapter"));
    EXPECT_EQ(prism::adapterKindFromName("JSONAdapter", true), prism::AdapterKind::Json); // DSPy's class name
    EXPECT_EQ(prism::adapterKindFromName("chatadapter", true), prism::AdapterKind::Chat);

    const std::string base = R"({"prism_study": 1, "data": {"train": "train.jsonl"},
      "program": {"predictors": [{"name": "p", "signature": {"inputs": [{"name": "q"}], "outputs": [{"name": "a"}]}}]},)";
    auto study = prism::studyFromJsonText(base + R"("models": {"task": {"provider": "bard"}}})", "p.prism.json");
    ASSERT_FALSE(study);
    EXPECT_NE(study.error().message.find("provider must be simlm, openai or anthropic, not 'bard'"), std::string::npos)
        << study.error().message;
    auto json = prism::studyFromJsonText(base + R"("eval": {"adapter": "json"}})", "a.prism.json");
    ASSERT_TRUE(json) << json.error().message;
    EXPECT_EQ(json->eval.adapter, prism::AdapterKind::Json);
    EXPECT_NE(prism::studyToJsonText(json.value()).find("\"adapter\": \"json\""), std::string::npos);
}
