// The rendered-prompt export with the real ChatAdapter, checked against what
// DSPy 3.3.1 sends for the same program (tests/data/dspy-renderings).
#include "adapter/adapter.h"
#include "artifact/prompt_export.h"
#include "core/json.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

using namespace prism;

namespace {

Json readFixture(const std::string &name)
{
    auto j = readJsonFile(std::string(PRISM_TEST_DATA_DIR) + "/dspy-renderings/" + name);
    EXPECT_TRUE(j.ok()) << name;
    return j.ok() ? j.value() : Json();
}

// The moderation predictor of the fixtures, with the fixture's instruction and demos.
Program moderationProgram(const Json &fixture, PredictorKind kind)
{
    Predictor p;
    p.name = "classify";
    p.kind = kind;
    p.signature.instruction = fixture["signature_instructions"].get<std::string>();
    p.signature.inputs = {Field{"snippet", Type::string(), "", ""}};
    p.signature.outputs = {
        Field{"severity", Type::enumOf({"low", "medium", "high"}),
              "Overall severity of the snippet for moderation routing.", ""},
        Field{"policy_violations",
              Type::listOf(Type::enumOf({"harassment", "hate", "sexual", "violence", "self_harm", "spam", "other"})),
              "Zero or more policy categories the snippet violates.", ""}};
    for (const auto &d : fixture["demos"]) {
        auto demo = demoFromJson(d);
        EXPECT_TRUE(demo.ok());
        if (demo.ok())
            p.demos.push_back(demo.value());
    }
    return Program{{p}};
}

Fields inputsOf(const Json &fixture)
{
    auto inputs = fieldsFromJson(fixture["inputs"]);
    EXPECT_TRUE(inputs.ok());
    return inputs.ok() ? inputs.value() : Fields{};
}

} // namespace

TEST(PromptExportChat, MessagesAreWhatDspySends)
{
    const auto adapter = makeAdapter("chat");
    ASSERT_TRUE(adapter);
    for (const auto &[file, kind] :
         {std::pair{"predict_moderation_demos.ChatAdapter.json", PredictorKind::Predict},
          std::pair{"cot_moderation_demos.ChatAdapter.json", PredictorKind::ChainOfThought}}) {
        const Json fixture = readFixture(file);
        const Json exported =
            Json::parse(renderPromptMessagesJson(moderationProgram(fixture, kind), inputsOf(fixture), *adapter));
        ASSERT_EQ(exported.size(), 1u) << file;
        EXPECT_EQ(exported[0]["predictor"], "classify");
        EXPECT_EQ(exported[0]["messages"], fixture["messages"]) << file;
    }
}

TEST(PromptExportChat, PlainTextHoldsEveryMessage)
{
    const auto adapter = makeAdapter("chat");
    ASSERT_TRUE(adapter);
    const Json fixture = readFixture("predict_moderation_demos.ChatAdapter.json");
    std::string expected;
    for (const auto &m : fixture["messages"]) {
        if (!expected.empty())
            expected += "\n\n";
        expected += "=== " + m["role"].get<std::string>() + " ===\n" + m["content"].get<std::string>();
    }
    expected += "\n";
    EXPECT_EQ(renderPromptText(moderationProgram(fixture, PredictorKind::Predict), inputsOf(fixture), *adapter),
              expected);
}
