// SimLm: the prompt reader, every task and proposer rule of ../shared/SIMLM.md,
// determinism and the model variants. Prompts are written by hand in DSPy's
// ChatAdapter format (or taken from real DSPy renderings), never by Prism's
// adapter, so these tests also pin that SimLm reads what DSPy writes.

#include "sim/sim_prompt.h"
#include "sim/sim_task.h"
#include "sim/sim_text.h"
#include "sim/simlm.h"

#include "sim_chat_prompts.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <thread>

using namespace prism;
using namespace simtest;

namespace {

std::vector<ChatMessage> fixtureMessages(const std::string &name)
{
    std::ifstream in(std::string(PRISM_TEST_DATA_DIR) + "/dspy-renderings/" + name);
    EXPECT_TRUE(in.good()) << name;
    const nlohmann::json j = nlohmann::json::parse(in);
    std::vector<ChatMessage> messages;
    for (const auto &m : j.at("messages"))
        messages.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
    return messages;
}

sim::Prompt readFixture(const std::string &name)
{
    Result<sim::Prompt> p = sim::readPrompt(fixtureMessages(name), ResponseFormat::Text);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return p.ok() ? *p : sim::Prompt();
}

} // namespace

// ---- the prompt reader ------------------------------------------------------

TEST(SimPrompt, ReadsDspyChatAdapterModerationRendering)
{
    const sim::Prompt p = readFixture("predict_moderation_demos.ChatAdapter.json");
    ASSERT_EQ(p.inputs.size(), 1u);
    EXPECT_EQ(p.inputs[0].name, "snippet");
    EXPECT_EQ(p.inputs[0].kind, sim::FieldKind::String);
    ASSERT_EQ(p.outputs.size(), 2u);
    EXPECT_EQ(p.outputs[0].name, "severity");
    EXPECT_EQ(p.outputs[0].kind, sim::FieldKind::Enum);
    EXPECT_EQ(p.outputs[0].options, kSeverity);
    EXPECT_EQ(p.outputs[0].description, "Overall severity of the snippet for moderation routing.");
    EXPECT_EQ(p.outputs[1].kind, sim::FieldKind::ListEnum);
    EXPECT_EQ(p.outputs[1].options, kPolicies);
    EXPECT_EQ(p.instruction, "Classify the snippet for moderation.");
    ASSERT_EQ(p.demos.size(), 2u);
    EXPECT_EQ(*p.demos[0].find("snippet"), "You're an idiot and nobody likes you here.");
    EXPECT_EQ(*p.demos[0].find("severity"), "medium");
    EXPECT_EQ(sim::parseListItems(*p.demos[0].find("policy_violations")), std::vector<std::string>{"harassment"});
    EXPECT_TRUE(sim::parseListItems(*p.demos[1].find("policy_violations")).empty());
    // The final turn's value, without the "Respond with ..." request.
    EXPECT_EQ(*p.current.find("snippet"), "Stop posting, you embarrass yourself every time.");
    EXPECT_FALSE(p.jsonMode);
}

TEST(SimPrompt, IncompleteDemosLeaveOutNotSuppliedFields)
{
    const sim::Prompt p = readFixture("cot_moderation_demos.ChatAdapter.json");
    ASSERT_EQ(p.outputs.size(), 3u);
    EXPECT_EQ(p.outputs[0].name, "reasoning");
    EXPECT_TRUE(p.hasReasoning());
    ASSERT_EQ(p.demos.size(), 2u);
    EXPECT_EQ(p.demos[0].find("reasoning"), nullptr);
    EXPECT_EQ(*p.demos[0].find("severity"), "medium");
    EXPECT_EQ(*p.current.find("snippet"), "FREE iPhone giveaway, click my link in bio now!!!");
}

TEST(SimPrompt, ReadsJsonAdapterRenderingWithJsonDemos)
{
    Result<sim::Prompt> r =
        sim::readPrompt(fixtureMessages("cot_moderation_demos.JSONAdapter.json"), ResponseFormat::Text);
    ASSERT_TRUE(r.ok());
    const sim::Prompt &p = *r;
    EXPECT_TRUE(p.jsonMode);
    ASSERT_EQ(p.outputs.size(), 3u);
    EXPECT_EQ(p.outputs[1].options, kSeverity);
    ASSERT_EQ(p.demos.size(), 2u);
    EXPECT_EQ(p.demos[0].find("reasoning"), nullptr); // "Not supplied for this particular example. "
    EXPECT_EQ(*p.demos[1].find("severity"), "low");
    EXPECT_EQ(sim::parseListItems(*p.demos[0].find("policy_violations")), std::vector<std::string>{"harassment"});
}

TEST(SimPrompt, ReadsScalarTypesDescriptionsAndMultilineValues)
{
    const sim::Prompt p = readFixture("predict_types_nodemos.ChatAdapter.json");
    ASSERT_EQ(p.inputs.size(), 2u);
    EXPECT_EQ(p.inputs[0].description, "A short passage.");
    ASSERT_EQ(p.outputs.size(), 3u);
    EXPECT_EQ(p.outputs[0].kind, sim::FieldKind::Int);
    EXPECT_EQ(p.outputs[1].kind, sim::FieldKind::Bool);
    EXPECT_EQ(p.outputs[1].description, "Whether the passage states the count directly.");
    EXPECT_EQ(p.outputs[2].kind, sim::FieldKind::Float);
    EXPECT_EQ(*p.current.find("context"), "Ann, Bob and Cy met.\nThey talked.");
    EXPECT_EQ(*p.current.find("question"), "How many met?");
    EXPECT_TRUE(p.demos.empty());
}

TEST(SimPrompt, MultilineInstructionIsDedented)
{
    PromptSpec spec = moderation("Classify the snippet.\n  Be careful with sarcasm.", "hello");
    Result<sim::Prompt> p = sim::readPrompt(render(spec), ResponseFormat::Text);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->instruction, "Classify the snippet.\n  Be careful with sarcasm.");
}

TEST(SimPrompt, EnumClassOptionsComeFromThePlaceholderNote)
{
    PromptSpec spec = moderation("Rate the tone.", "hello");
    spec.outputs = {{"tone", "Tone"}};
    std::vector<ChatMessage> m = render(spec);
    const std::string placeholder = "{tone}";
    m[0].content.insert(m[0].content.find(placeholder) + placeholder.size(),
                        "        # note: the value you produce must be one of: calm; angry");
    Result<sim::Prompt> p = sim::readPrompt(m, ResponseFormat::Text);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->outputs[0].kind, sim::FieldKind::Enum);
    EXPECT_EQ(p->outputs[0].options, (std::vector<std::string>{"calm", "angry"}));
}

TEST(SimPrompt, RequestsWithoutTheDspyPreambleAreRejectedClearly)
{
    Result<sim::Prompt> none = sim::readPrompt({}, ResponseFormat::Text);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().kind, ErrorKind::InvalidRequest);
    ChatRequest hello;
    hello.messages = {{"user", "Say hello"}};
    Result<ChatResponse> plain = SimLm("sim-small").complete(hello);
    ASSERT_FALSE(plain.ok());
    EXPECT_EQ(plain.error().kind, ErrorKind::InvalidRequest);
    EXPECT_NE(plain.error().message.find("Your output fields are:"), std::string::npos) << plain.error().message;
}

// ---- text basics -------------------------------------------------------------

TEST(SimText, TokensDropStopwordsAndPluralS)
{
    EXPECT_EQ(sim::tokens("The Cats were chasing 3 mice, and it's dangerous!"),
              (std::vector<std::string>{"cat", "chasing", "3", "mice", "dangerous"}));
    EXPECT_DOUBLE_EQ(sim::jaccard(sim::tokenSet("idiot loser"), sim::tokenSet("idiot nobody")), 1.0 / 3.0);
}

TEST(SimText, ArithmeticIsFoundAndEvaluatedLeftToRight)
{
    auto a = sim::findArithmetic("Tickets cost 7 dollars for 4 families. Solve 7 plus 5 times 4.");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->text, "7 plus 5 times 4");
    EXPECT_DOUBLE_EQ(a->value, 48.0); // (7 + 5) * 4, not 7 + 20
    auto b = sim::findArithmetic("That is 144 divided by 12 - 2.");
    ASSERT_TRUE(b.has_value());
    EXPECT_DOUBLE_EQ(b->value, 10.0);
    EXPECT_FALSE(sim::findArithmetic("Bob has 3 apples and 4 pears.").has_value());
    EXPECT_EQ(sim::firstNumber("A bottle holds 1,250 ml"), 1250.0);
}

// ---- task skills: enum -------------------------------------------------------

TEST(SimTask, NoEvidenceAnswersTheFirstOption)
{
    EXPECT_EQ(answerOf("sim-small", moderation("Classify the snippet.", "I will hunt you down tonight."), "severity"),
              "low");
}

TEST(SimTask, CueWordsInTheInstructionFlipAnEnumAnswer)
{
    const std::string snippet = "I will hunt you down tonight.";
    const std::string cue = "Classify the snippet. Use high when the snippet mentions hunt or bullet.";
    // instr(high) = 0.5 + 0.25 * 1 hit = 0.75, so high scores >= 0.9 against at most 0.35 of noise.
    for (const char *model : {"sim-small", "sim-large"})
        for (std::int64_t seed = 0; seed < 5; ++seed)
            EXPECT_EQ(answerOf(model, moderation(cue, snippet), "severity", seed), "high") << model << " seed " << seed;
}

TEST(SimTask, CueWordsComeOnlyFromSentencesNamingOneOption)
{
    Result<sim::Prompt> p =
        sim::readPrompt(render(moderation("Use harassment when the text has insults such as idiot or loser. "
                                          "Use high or medium when the snippet mentions hunt. Threats are high.",
                                          "x", true)),
                        ResponseFormat::Text);
    ASSERT_TRUE(p.ok());
    sim::DrawContext ctx;
    ctx.model = "sim-small";
    sim::TaskSkills skills(*p, ctx);
    // Generic words (use, when, text, such) and option and field names are not cues.
    EXPECT_EQ(skills.cueWords(p->outputs[1], 0), (std::vector<std::string>{"insult", "idiot", "loser"}));
    EXPECT_EQ(skills.cueWords(p->outputs[0], 2),
              (std::vector<std::string>{"threat"})); // not "hunt": that sentence names two
    EXPECT_TRUE(skills.cueWords(p->outputs[0], 1).empty());
    // The same snippet under both instructions: a two-option sentence flips nothing.
    EXPECT_EQ(answerOf("sim-small",
                       moderation("Use high or medium when the snippet mentions hunt.", "We hunt at dawn."),
                       "severity"),
              "low");
}

TEST(SimTask, ASimilarDemoFlipsTheAnswer)
{
    PromptSpec p = moderation("Classify the snippet.", "You are an idiot and a loser.");
    EXPECT_EQ(answerOf("sim-small", p, "severity"), "low");
    // sim = |{idiot, loser}| / |{idiot, loser, honestly}| = 0.67 > any noise.
    p.demos.push_back({{{"snippet", "Honestly, you are an idiot and a loser."}}, {{"severity", "medium"}}});
    p.demos.push_back({{{"snippet", "Lovely weather in the park today."}}, {{"severity", "low"}}});
    EXPECT_EQ(answerOf("sim-small", p, "severity"), "medium");
}

TEST(SimTask, DefaultSentenceIsUsedOnlyWithoutEvidence)
{
    const std::string snippet = "The bus was late again.";
    EXPECT_EQ(answerOf("sim-small", moderation("Classify the snippet. Otherwise use medium.", snippet), "severity"),
              "medium");
    EXPECT_EQ(answerOf("sim-small", moderation("If unsure, answer high.", snippet), "severity"), "high");
    EXPECT_EQ(answerOf("sim-small", moderation("By default the severity is medium.", snippet), "severity"), "medium");
    // A default sentence that names two options is no default.
    EXPECT_EQ(answerOf("sim-small", moderation("Otherwise use medium or high.", snippet), "severity"), "low");
    // Evidence beats the default: high has a cue hit.
    EXPECT_EQ(answerOf("sim-small",
                       moderation("Use high when the snippet mentions late. Otherwise use medium.", snippet),
                       "severity"),
              "high");
}

TEST(SimTask, InstructionsChangeAnswersButNotTheNoisePattern)
{
    // "high and low" names two options (name = 1 each), so noise alone decides between
    // them. The noise hashes the inputs, not the instruction: the same example keeps
    // its answer under another instruction that says nothing about the options.
    int differentAcrossInputs = 0;
    std::string first;
    for (int i = 0; i < 20; ++i) {
        const std::string snippet = "high and low tide number " + std::to_string(i);
        const std::string a = answerOf("sim-small", moderation("Classify the snippet.", snippet), "severity");
        const std::string b = answerOf(
            "sim-small", moderation("Read the snippet, then classify it for moderation.", snippet), "severity");
        EXPECT_EQ(a, b) << snippet;
        EXPECT_TRUE(a == "low" || a == "high") << a;
        if (i == 0)
            first = a;
        else if (a != first)
            ++differentAcrossInputs;
    }
    EXPECT_GT(differentAcrossInputs, 0); // the noise does vary between inputs
}

TEST(SimTask, TemperatureMixesTheRolloutIntoTheNoise)
{
    const PromptSpec p = moderation("Classify the snippet.", "high and low tide");
    std::set<std::string> cold, hot;
    for (std::uint64_t rollout = 0; rollout < 20; ++rollout) {
        cold.insert(parseAnswer(completeText("sim-small", request(p, 0, 0.0, rollout))).fields["severity"]);
        hot.insert(parseAnswer(completeText("sim-small", request(p, 0, 1.0, rollout))).fields["severity"]);
    }
    EXPECT_EQ(cold.size(), 1u);
    EXPECT_EQ(hot, (std::set<std::string>{"low", "high"}));
}

// ---- task skills: list of enum ------------------------------------------------

TEST(SimTask, ListOfEnumKeepsOptionsScoringAtLeastTheThreshold)
{
    PromptSpec p = moderation(
        "Include spam when the snippet mentions click or free. Include harassment when the snippet mentions idiot.",
        "Free stuff, click here, you idiot.", true);
    // spam: 1.2 * 1.0; harassment: 1.2 * 0.75; the rest only noise (< 0.35 < 0.55). Option order.
    EXPECT_EQ(answerOf("sim-small", p, "policy_violations"), "[\"harassment\", \"spam\"]");
    // name(o) = 1 alone gives 0.6 >= 0.55.
    EXPECT_EQ(
        answerOf("sim-small", moderation("Classify.", "This is spam, pure and simple.", true), "policy_violations"),
        "[\"spam\"]");
    EXPECT_EQ(answerOf("sim-small", moderation("Classify.", "A quiet afternoon.", true), "policy_violations"), "[]");
}

TEST(SimTask, ChainOfThoughtHalvesTheNoise)
{
    // Each snippet shares 1 of 4 tokens with a demo labelled harassment: demo = 0.25.
    // harassment is listed iff 0.25 + noise >= 0.55, i.e. noise >= 0.30: possible with
    // sim-small's noise (< 0.35), impossible with half of it (< 0.175).
    int plain = 0, cot = 0;
    for (int i = 0; i < 120; ++i) {
        PromptSpec p = moderation(
            "Classify.", "idiot zq" + std::to_string(i) + "a zq" + std::to_string(i) + "b zq" + std::to_string(i) + "c",
            true);
        p.demos.push_back(
            {{{"snippet", "idiot"}}, {{"severity", "medium"}, {"policy_violations", "[\"harassment\"]"}}});
        plain += answerOf("sim-small", p, "policy_violations") != "[]";
        p.outputs.insert(p.outputs.begin(), FieldDef{"reasoning"});
        cot += answerOf("sim-small", p, "policy_violations") != "[]";
    }
    EXPECT_GT(plain, 3);
    EXPECT_EQ(cot, 0);
}

// ---- task skills: numbers ---------------------------------------------------

PromptSpec math(const std::string &instruction, const std::string &problem, const std::string &type = "int")
{
    PromptSpec p;
    p.inputs = {{"problem"}};
    p.outputs = {{"answer", type}};
    p.instruction = instruction;
    p.current = {{"problem", problem}};
    return p;
}

TEST(SimTask, ArithmeticOnlyWhenAskedOtherwiseTheFirstNumber)
{
    const std::string problem =
        "Tickets cost 7 dollars for an adult and 5 for a child, and 4 families come. Solve 7 plus 5 times 4.";
    EXPECT_EQ(answerOf("sim-small", math("Solve the word problem.", problem), "answer"), "7");
    EXPECT_EQ(
        answerOf("sim-small", math("Solve the word problem. Calculate the answer step by step.", problem), "answer"),
        "48");
    EXPECT_EQ(answerOf("sim-small", math("Compute the result.", problem), "answer"), "48");
    EXPECT_EQ(answerOf("sim-small", math("Reason step by step.", problem), "answer"), "48");
    EXPECT_EQ(answerOf("sim-small", math("Calculate.", "Share 10 pies. Work out 10 divided by 4.", "float"), "answer"),
              "2.5");
    EXPECT_EQ(answerOf("sim-small", math("Calculate.", "No numbers here."), "answer"), "0");
}

TEST(SimTask, AReasoningFieldAlsoTriggersArithmetic)
{
    PromptSpec p = math("Solve the word problem.", "A bottle holds 750 ml and Tom drinks 320 ml. Work out 750 - 320.");
    EXPECT_EQ(answerOf("sim-small", p, "answer"), "750");
    p.outputs.insert(p.outputs.begin(), FieldDef{"reasoning"});
    const Parsed out = parseAnswer(completeText("sim-small", request(p)));
    EXPECT_EQ(out.fields.at("answer"), "430");
    EXPECT_NE(out.fields.at("reasoning").find("750 - 320"), std::string::npos) << out.fields.at("reasoning");
}

// ---- task skills: strings ---------------------------------------------------

PromptSpec qa(const std::string &instruction)
{
    PromptSpec p;
    p.inputs = {{"passage", "str", "A short passage that contains the answer."}, {"question"}};
    p.outputs = {{"answer"}};
    p.instruction = instruction;
    p.current = {{"passage",
                  "Mossbeck is a market town in the hills above the Arlen valley. Its clock tower was paid for by "
                  "Josiah Crane, a wool merchant, in 1902. The clock still chimes every quarter hour."},
                 {"question", "Who paid for the clock tower of Mossbeck?"}};
    return p;
}

TEST(SimTask, QuestionAndPassageGiveTheBestOverlappingSentence)
{
    EXPECT_EQ(answerOf("sim-small", qa("Answer the question using the passage."), "answer"),
              "Its clock tower was paid for by Josiah Crane, a wool merchant, in 1902.");
}

TEST(SimTask, ConciseInstructionsCutToSixWordsWithoutTheQuestionsWords)
{
    EXPECT_EQ(answerOf("sim-small", qa("Answer the question using the passage. Keep it short."), "answer"),
              "Josiah Crane wool merchant 1902");
    EXPECT_EQ(answerOf("sim-small", qa("Answer with only the few words that answer the question."), "answer"),
              "Josiah Crane wool merchant 1902");
}

TEST(SimTask, StringsCopyANearIdenticalDemoOtherwiseTheFirstSentence)
{
    PromptSpec p = qa("Answer the question.");
    p.demos.push_back(
        {{{"passage", "mossbeck is a market town in the hills above the arlen valley! its clock tower was paid for by "
                      "Josiah Crane, a wool merchant, in 1902. The clock still chimes every quarter hour"},
          {"question", "Who paid for the clock tower of Mossbeck"}},
         {{"answer", "Josiah Crane"}}});
    EXPECT_EQ(answerOf("sim-small", p, "answer"), "Josiah Crane");
    // Without a question, the first sentence of the first input.
    PromptSpec plain;
    plain.inputs = {{"text"}};
    plain.outputs = {{"summary"}};
    plain.instruction = "Summarize the text.";
    plain.current = {{"text", "Rain fell all day. The river rose."}};
    EXPECT_EQ(answerOf("sim-small", plain, "summary"), "Rain fell all day.");
}

// ---- task skills: bool --------------------------------------------------------

TEST(SimTask, BoolIsAnEnumOverTrueAndFalse)
{
    PromptSpec p;
    p.inputs = {{"claim"}};
    p.outputs = {{"verified", "bool"}};
    p.instruction = "Check the claim.";
    p.current = {{"claim", "A rumour says the bridge closed."}};
    EXPECT_EQ(answerOf("sim-small", p, "verified"), "True"); // no evidence: the first option
    p.instruction = "Check the claim. Answer false when the claim mentions a rumour.";
    EXPECT_EQ(answerOf("sim-small", p, "verified"), "False");
    p.instruction = "Check the claim. Say no when the claim mentions a rumour.";
    EXPECT_EQ(answerOf("sim-small", p, "verified"), "False");
}

// ---- the call -----------------------------------------------------------------

TEST(SimLmCall, UsageCountsCharactersOverFour)
{
    ChatRequest r = request(moderation("Classify the snippet.", "Café au lait, s'il vous plaît."));
    Result<ChatResponse> res = SimLm("sim-small").complete(r);
    ASSERT_TRUE(res.ok());
    long long chars = 0;
    for (const ChatMessage &m : r.messages)
        for (unsigned char c : m.content)
            chars += (c & 0xC0) != 0x80; // code points, so "é" is one character
    long long completion = 0;
    for (unsigned char c : res->text())
        completion += (c & 0xC0) != 0x80;
    EXPECT_EQ(res->usage.promptTokens, (chars + 3) / 4);
    EXPECT_EQ(res->usage.completionTokens, (completion + 3) / 4);
    EXPECT_EQ(res->usage.calls, 1);
    EXPECT_EQ(res->model, "sim-small");
    EXPECT_EQ(res->text(), "[[ ## severity ## ]]\nlow\n\n[[ ## completed ## ]]");
}

TEST(SimLmCall, UnknownModelIsAnInvalidRequestNamingTheKnownModels)
{
    EXPECT_FALSE(SimLm::isKnownModel("gpt-4o"));
    EXPECT_EQ(SimLm::modelNames(), (std::vector<std::string>{"sim-small", "sim-large", "sim-flaky"}));
    Result<ChatResponse> res = SimLm("gpt-4o").complete(request(moderation("Classify.", "hi")));
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error().kind, ErrorKind::InvalidRequest);
    for (const char *name : {"gpt-4o", "sim-small", "sim-large", "sim-flaky"})
        EXPECT_NE(res.error().message.find(name), std::string::npos) << res.error().message;
    EXPECT_EQ(SimLm("sim-large").describe(), "simlm/sim-large");
}

TEST(SimLmCall, JsonModeAnswersAJsonObjectOfTheOutputs)
{
    PromptSpec p = moderation("Include spam when the snippet mentions click.", "Click here for prizes.", true);
    p.json = true;
    const std::string text = completeText("sim-small", request(p));
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
    ASSERT_TRUE(j.is_object());
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j.begin().key(), "severity");
    EXPECT_EQ(j.at("severity"), "low");
    EXPECT_EQ(j.at("policy_violations"), nlohmann::ordered_json::array({"spam"}));

    // DSPy's own JSONAdapter rendering, with typed outputs.
    ChatRequest r;
    r.messages = fixtureMessages("predict_types_nodemos.JSONAdapter.json");
    const nlohmann::json typed = nlohmann::json::parse(completeText("sim-small", r));
    EXPECT_TRUE(typed.at("count").is_number_integer());
    EXPECT_TRUE(typed.at("confident").is_boolean());
    EXPECT_TRUE(typed.at("ratio").is_number_float());
    // The response_format alone also asks for JSON.
    ChatRequest chat = request(moderation("Classify.", "hi"));
    chat.responseFormat = ResponseFormat::JsonObject;
    EXPECT_EQ(nlohmann::json::parse(completeText("sim-small", chat)).at("severity"), "low");
}

TEST(SimLmCall, AnswersTheDspyRenderingsInTheirOwnFormat)
{
    for (const char *name : {"predict_moderation_demos.ChatAdapter.json", "cot_moderation_demos.ChatAdapter.json",
                             "cot_qa_demos.ChatAdapter.json", "predict_types_nodemos.ChatAdapter.json"}) {
        ChatRequest r;
        r.messages = fixtureMessages(name);
        const Parsed out = parseAnswer(completeText("sim-small", r));
        EXPECT_TRUE(out.completed) << name;
        const sim::Prompt p = readFixture(name);
        for (const sim::PromptField &f : p.outputs)
            EXPECT_TRUE(out.fields.count(f.name)) << name << " " << f.name;
    }
    ChatRequest r;
    r.messages = fixtureMessages("cot_qa_demos.ChatAdapter.json"); // "What is 7 plus 8?" with a reasoning field
    const std::string reasoning = parseAnswer(completeText("sim-small", r)).fields["reasoning"];
    EXPECT_NE(reasoning.find("first sentence of question"), std::string::npos)
        << reasoning; // no passage: the fallback rule
}

// ---- determinism ---------------------------------------------------------------

std::vector<ChatRequest> batch()
{
    std::vector<ChatRequest> out;
    const std::vector<std::string> snippets = {"You idiot, shut up.", "Free crypto, click now", "Nice weather today",
                                               "I will hurt you", "high and low"};
    for (int i = 0; i < 40; ++i) {
        PromptSpec p = moderation("Classify. Include harassment when the snippet mentions idiot.",
                                  snippets[i % 5] + " #" + std::to_string(i), true);
        if (i % 3 == 0)
            p.demos.push_back(
                {{{"snippet", "you idiot"}}, {{"severity", "medium"}, {"policy_violations", "[\"harassment\"]"}}});
        out.push_back(request(p, i % 4, i % 2 ? 1.0 : 0.0, static_cast<std::uint64_t>(i)));
    }
    return out;
}

TEST(SimLmDeterminism, SameRequestSameAnswer)
{
    for (const ChatRequest &r : batch()) {
        Result<ChatResponse> a = SimLm("sim-flaky").complete(r);
        Result<ChatResponse> b = SimLm("sim-flaky").complete(r);
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_EQ(a->choices, b->choices);
        EXPECT_EQ(a->usage.promptTokens, b->usage.promptTokens);
        EXPECT_EQ(a->requestId, b->requestId);
    }
}

TEST(SimLmDeterminism, OneThreadAndEightThreadsAgree)
{
    const std::vector<ChatRequest> requests = batch();
    SimLm lm("sim-small");
    std::vector<std::string> serial(requests.size()), parallel(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i)
        serial[i] = lm.complete(requests[i])->text();
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (std::size_t i = static_cast<std::size_t>(t); i < requests.size(); i += 8)
                parallel[i] = lm.complete(requests[i])->text();
        });
    for (std::thread &t : threads)
        t.join();
    EXPECT_EQ(serial, parallel);
}

// ---- sim-flaky -----------------------------------------------------------------

bool malformed(const std::string &text)
{
    const Parsed p = parseAnswer(text);
    if (!p.completed || !p.fields.count("severity") || !p.fields.count("policy_violations"))
        return true;
    if (std::find(kSeverity.begin(), kSeverity.end(), p.fields.at("severity")) == kSeverity.end())
        return true;
    for (const auto &item : nlohmann::json::parse(p.fields.at("policy_violations")))
        if (std::find(kPolicies.begin(), kPolicies.end(), item.get<std::string>()) == kPolicies.end())
            return true;
    return false;
}

TEST(SimLmFlaky, AboutFivePercentMalformedAnswersAndNoneFromSimSmall)
{
    int flaky = 0, small = 0, sameWhenWellFormed = 0, wellFormed = 0;
    for (int i = 0; i < 400; ++i) {
        const ChatRequest r =
            request(moderation("Classify the snippet.", "Message number " + std::to_string(i), true), i % 7);
        const std::string f = completeText("sim-flaky", r);
        const std::string s = completeText("sim-small", r);
        flaky += malformed(f);
        small += malformed(s);
        if (!malformed(f)) {
            ++wellFormed;
            sameWhenWellFormed += f == s;
        }
    }
    EXPECT_GE(flaky, 8);  // 2%
    EXPECT_LE(flaky, 36); // 9%
    EXPECT_EQ(small, 0);
    EXPECT_EQ(sameWhenWellFormed, wellFormed); // otherwise sim-flaky is sim-small
}

// ---- proposer skills ---------------------------------------------------------------

std::string pyRepr(const std::string &s)
{
    const bool single = s.find('\'') != std::string::npos, dbl = s.find('"') != std::string::npos;
    const char q = single && !dbl ? '"' : '\'';
    std::string out(1, q);
    for (char c : s) {
        if (c == q || c == '\\')
            out += '\\';
        out += c;
    }
    return out + q;
}

struct Row {
    std::string snippet;
    std::string severity;
    std::vector<std::string> policies;
};

// DSPy's repr of a list of Examples, as DatasetDescriptor receives it.
std::string examplesRepr(const std::vector<Row> &rows)
{
    std::string s = "[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        std::string list = "[";
        for (std::size_t k = 0; k < rows[i].policies.size(); ++k)
            list += (k ? ", " : "") + pyRepr(rows[i].policies[k]);
        s += (i ? ", " : "") + std::string("Example({'snippet': ") + pyRepr(rows[i].snippet) + ", 'severity': "
             + pyRepr(rows[i].severity) + ", 'policy_violations': " + list + "]}) (input_keys={'snippet'})";
    }
    return s + "]";
}

const std::vector<Row> kRows = {
    {"You idiot, you are such a loser.", "medium", {"harassment"}},
    {"Shut up, idiot.", "medium", {"harassment"}},
    {"Loser, nobody wants you here.", "medium", {"harassment"}},
    {"Click here for free money!", "low", {"spam"}},
    {"Free prizes, click the link.", "low", {"spam"}},
    {"Have a nice day.", "low", {}},
    {"The weather is nice today.", "low", {}},
    {"Nice photo of the lake.", "low", {}},
};

std::string field(const std::string &completion, const std::string &name)
{
    return parseAnswer(completion).fields[name];
}

std::string observe(const std::string &examples, const std::string &prior = {})
{
    PromptSpec p;
    p.inputs = {{"examples", "str", "Sample data points from the dataset"}};
    if (!prior.empty())
        p.inputs.push_back({"prior_observations", "str", "Some prior observations I made about the data"});
    p.outputs = {{"observations", "str", "Somethings that holds true for most or all of the data you observed"}};
    p.instruction = "Given several examples from a dataset please write observations about trends that hold for most "
                    "or all of the samples.";
    p.current = {{"examples", examples}};
    if (!prior.empty())
        p.current.push_back({"prior_observations", prior});
    return field(completeText("sim-small", request(p, 0, 1.0)), "observations");
}

TEST(SimProposer, ObservationsNameTheDistributionAndDistinctiveWordsPerLabel)
{
    const std::string obs = observe(examplesRepr(kRows));
    EXPECT_EQ(obs.rfind("There are 8 examples with input field `snippet` and output fields `severity` (low in 5 and "
                        "medium in 3) and "
                        "`policy_violations` (harassment in 3, spam in 2 and empty in 3).",
                        0),
              0u)
        << obs;
    // harassment: idiot and loser appear twice with it and never without (highest
    // log-odds), then nobody, shut, want once each (alphabetical ties); "here" is a stopword.
    // The counts are the label's examples that have the word.
    EXPECT_NE(
        obs.find("Examples labelled harassment often mention idiot (2), loser (2), nobody (1), shut (1), want (1)."),
        std::string::npos)
        << obs;
    // spam: click, free twice; then link, money, prize once.
    EXPECT_NE(obs.find("Examples labelled spam often mention click (2), free (2), link (1), money (1), prize (1)."),
              std::string::npos)
        << obs;
    // The majority label of severity (low) comes last.
    EXPECT_GT(obs.find("Examples labelled low"), obs.find("Examples labelled medium"));
}

TEST(SimProposer, ObservationsAlsoReadJsonExamples)
{
    // Without input_keys, the label-like fields and the last field are the outputs.
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const Row &r : kRows)
        rows.push_back({{"snippet", r.snippet}, {"severity", r.severity}, {"policy_violations", r.policies}});
    const std::string fromJson = observe(rows.dump());
    EXPECT_EQ(fromJson, observe(examplesRepr(kRows)));
}

const std::vector<Row> kMoreRows = {
    {"What an idiot you are.", "medium", {"harassment"}},
    {"Nobody likes a loser like you, idiot.", "medium", {"harassment"}},
    {"I will hurt you badly.", "high", {"violence"}},
    {"I will hurt your family.", "high", {"violence"}},
    {"Win a free cruise, click now.", "low", {"spam"}},
    {"A nice walk in the park.", "low", {}},
};

TEST(SimProposer, FurtherBatchesMergeCountsOverEveryBatchSeen)
{
    const std::string first = observe(examplesRepr(kRows));
    const std::string merged = observe(examplesRepr(kMoreRows), first);
    // The example count and the label distribution cover both batches.
    EXPECT_EQ(merged.rfind("There are 14 examples with input field `snippet` and output fields `severity` (low in 7, "
                           "medium in 5 and high in 2) and `policy_violations` (harassment in 5, spam in 3, violence "
                           "in 2 and empty in 4).",
                           0),
              0u)
        << merged;
    // Counts add per (label, word); a word seen in one example of the label is not listed
    // (shut, want); nobody reaches 2 with the second batch.
    EXPECT_NE(merged.find("Examples labelled harassment often mention idiot (4), loser (3), nobody (2)."),
              std::string::npos)
        << merged;
    // A new label is listed once two of its examples share a word.
    EXPECT_NE(merged.find("Examples labelled violence often mention hurt (2)."), std::string::npos) << merged;
    EXPECT_NE(merged.find("Examples labelled spam often mention click (3), free (3)."), std::string::npos) << merged;

    // DSPy concatenates every batch's observations with no separator: the latest state counts.
    const std::string third = observe(examplesRepr(kRows), first + merged);
    EXPECT_EQ(third.rfind("There are 22 examples", 0), 0u) << third;
    EXPECT_NE(third.find("Examples labelled harassment often mention idiot (6), loser (5), nobody (3)"),
              std::string::npos)
        << third;
}

TEST(SimProposer, ObservationsSayCompleteWhenABatchChangesNothing)
{
    const std::string first = observe(examplesRepr(kRows));
    EXPECT_EQ(observe("[]", first), "COMPLETE");
    EXPECT_EQ(observe("not examples at all", first), "COMPLETE");
    EXPECT_NE(observe(examplesRepr(kRows), first), "COMPLETE"); // the counts grow
}

std::string summarize(const std::string &observations)
{
    PromptSpec p;
    p.inputs = {{"observations", "str", "Observations I have made about my dataset"}};
    p.outputs = {{"summary", "str", "Two to Three sentence summary of only the most significant highlights"}};
    p.instruction = "Given a series of observations I have made about my dataset, please summarize them.";
    p.current = {{"observations", observations}};
    return field(completeText("sim-small", request(p, 0, 1.0)), "summary");
}

TEST(SimProposer, SummaryKeepsTheCountsAndEveryLabel)
{
    const std::string first = observe(examplesRepr(kRows));
    const std::string merged = observe(examplesRepr(kMoreRows), first);
    const std::string summary = summarize(first + merged);
    EXPECT_EQ(summary, merged); // the latest state, whole
    for (const std::string label : {"harassment", "spam", "violence", "medium", "high", "low"})
        EXPECT_NE(summary.find("Examples labelled " + label + " often mention"), std::string::npos) << label;
}

TEST(SimProposer, SummaryOfObservationsItDidNotWriteIsTheFirstThreeSentences)
{
    EXPECT_EQ(summarize("One is here. Two is there.Three is glued! Four? Five."),
              "One is here. Two is there. Three is glued!");
}

TEST(SimProposer, ProgramAndModuleDescriptionsComeFromTheSignature)
{
    PromptSpec p;
    p.inputs = {{"program_code"}, {"program_example"}};
    p.outputs = {{"program_description"}};
    p.instruction = "Below is some pseudo-code for a pipeline that solves tasks with calls to language models.";
    p.current = {
        {"program_code", "StringSignature(snippet -> severity, policy_violations\n    instructions='Classify.'\n)"},
        {"program_example", "No task demos provided."}};
    EXPECT_EQ(field(completeText("sim-small", request(p)), "program_description"),
              "Maps snippet to severity and policy_violations in one step.");
    p.inputs = {{"program_code"}, {"program_example"}, {"program_description"}, {"module"}};
    p.outputs = {{"module_description"}};
    p.current = {{"program_code", "StringSignature(question -> reasoning, answer\n)"},
                 {"program_example", "No task demos provided."},
                 {"program_description", "x"},
                 {"module", "Predict(question) -> reasoning, answer"}};
    EXPECT_EQ(field(completeText("sim-small", request(p)), "module_description"),
              "The Predict module maps question to answer, writing its reasoning first.");
}

// ---- proposed instructions -------------------------------------------------------------

const std::string kModerationCode =
    "StringSignature(snippet -> severity, policy_violations\n"
    "    instructions='Classify the snippet for moderation.'\n"
    "    snippet = Field(annotation=str required=True json_schema_extra={'__dspy_field_type': 'input', 'prefix': "
    "'Snippet:', 'desc': '${snippet}'})\n"
    "    severity = Field(annotation=Literal['low', 'medium', 'high'] required=True "
    "json_schema_extra={'__dspy_field_type': 'output', 'prefix': 'Severity:', 'desc': 'x'})\n"
    "    policy_violations = Field(annotation=list[Literal['harassment', 'hate', 'sexual', 'violence', 'self_harm', "
    "'spam', 'other']] "
    "required=True json_schema_extra={'__dspy_field_type': 'output', 'prefix': 'Policy Violations:', 'desc': 'x'})\n)";

const std::string kModerationDemos =
    "Snippet: Shut up, loser, go cry to your mom.\nSeverity: medium\nPolicy Violations: ['harassment']\n\n"
    "Snippet: I'm going to find where you live and hurt you.\nSeverity: high\nPolicy Violations: ['violence', "
    "'harassment']\n\n"
    "Snippet: Free crypto airdrop, connect wallet now\nSeverity: medium\nPolicy Violations: ['spam']\n\n";

const std::vector<std::string> kTips = {
    "",
    "Don't be afraid to be creative when creating the new instruction!",
    "Keep the instruction clear and concise.",
    "Make sure your instruction is very informative and descriptive.",
    "The instruction should include a high stakes scenario in which the LM must solve the task!",
    "Include a persona that is relevant to the task in the instruction (ie. \"You are a ...\")"};

struct ProposalInputs {
    std::string description;
    std::string code = kModerationCode;
    std::string module = "Predict(snippet) -> severity, policy_violations";
    std::string demos = kModerationDemos;
    std::string basic = "Classify the snippet for moderation.";
    std::string tip;
};

std::string propose(const ProposalInputs &in, const std::string &model = "sim-small", std::int64_t seed = 0,
                    std::uint64_t rollout = 0)
{
    PromptSpec p;
    p.outputs = {{"proposed_instruction", "str",
                  "Propose an instruction that will be used to prompt a Language Model to perform this task."}};
    p.instruction = "Use the information below to learn about a task that we are trying to solve using calls to an LM, "
                    "then generate a new "
                    "instruction that will be used to prompt a Language Model to better solve the task.";
    auto add = [&](const std::string &name, const std::string &value) {
        p.inputs.push_back({name});
        p.current.push_back({name, value});
    };
    if (!in.description.empty())
        add("dataset_description", in.description);
    add("program_code", in.code);
    add("program_description", "Maps snippet to severity and policy_violations in one step.");
    add("module", in.module);
    add("module_description", "The Predict module maps snippet to severity and policy_violations.");
    add("task_demos", in.demos);
    add("basic_instruction", in.basic);
    if (!in.tip.empty())
        add("tip", in.tip);
    return field(completeText(model, request(p, seed, 1.0, rollout)), "proposed_instruction");
}

std::string summaryOf(const std::vector<Row> &rows)
{
    return summarize(observe(examplesRepr(rows)));
}

int cueSentences(const std::string &instruction)
{
    int n = 0;
    for (const std::string &s : sim::splitSentences(instruction))
        n += s.rfind("Use ", 0) == 0 || s.rfind("Include ", 0) == 0;
    return n;
}

TEST(SimProposer, ProposalsStartFromTheBasicInstructionAndVary)
{
    ProposalInputs in;
    in.description = summaryOf(kRows);
    std::set<std::string> seen;
    for (std::int64_t seed = 0; seed < 3; ++seed)
        for (std::uint64_t rollout = 0; rollout < 3; ++rollout) {
            const std::string text = propose(in, "sim-small", seed, rollout);
            EXPECT_NE(text.find("Classify the snippet for moderation."), std::string::npos) << text;
            seen.insert(text);
        }
    EXPECT_GE(seen.size(), 7u); // seed and rollout both matter
    std::set<std::string> byTip;
    for (const std::string &tip : kTips) {
        in.tip = tip;
        byTip.insert(propose(in));
    }
    EXPECT_EQ(byTip.size(), kTips.size());
    in.tip.clear();
    EXPECT_NE(propose(in, "sim-small"), propose(in, "sim-large"));
    EXPECT_EQ(propose(in, "sim-small", 4, 9), propose(in, "sim-small", 4, 9));
}

TEST(SimProposer, CueSentencesUseDescriptionAndDemoWordsAndWorkForTheTaskSkill)
{
    ProposalInputs in;
    in.description = summaryOf(kRows);
    in.tip = kTips[3]; // descriptive: 5 cue words (or all there are)
    bool sawHarassment = false;
    for (std::uint64_t rollout = 0; rollout < 10; ++rollout) {
        const std::string text = propose(in, "sim-large", 0, rollout);
        // The cue sentences must make cue words for the task skill's instr(o).
        PromptSpec task = moderation(text, "x", true);
        Result<sim::Prompt> prompt = sim::readPrompt(render(task), ResponseFormat::Text);
        ASSERT_TRUE(prompt.ok());
        sim::DrawContext ctx;
        ctx.model = "sim-small";
        sim::TaskSkills skills(*prompt, ctx);
        const std::size_t harassment = 0;
        if (text.find("Include harassment when") != std::string::npos) {
            sawHarassment = true;
            const std::vector<std::string> cues = skills.cueWords(prompt->outputs[1], harassment);
            EXPECT_GE(cues.size(), 2u) << text;
            for (const std::string &w : cues) // from the description's harassment sentence or the harassment demos
                EXPECT_TRUE(std::set<std::string>({"idiot", "loser", "nobody", "shut", "want", "go", "cry", "mom",
                                                   "going", "find", "live", "hurt"})
                                .count(w))
                    << w << " in " << text;
        }
        // "Otherwise use low." names the description's most frequent severity.
        EXPECT_NE(text.find("Otherwise use low."), std::string::npos) << text;
        EXPECT_EQ(skills.defaultOption(prompt->outputs[0]), 0) << text;
    }
    EXPECT_TRUE(sawHarassment);
}

TEST(SimProposer, CueWordsFromTheDescriptionAreDrawnByTheirCounts)
{
    ProposalInputs in;
    in.description = "There are 12 examples with input field `snippet` and output fields `severity` (low in 8 and "
                     "medium in 4). Examples labelled medium often mention idiot (12), loser (1), shut (1), want (1).";
    in.demos.clear();
    in.tip = kTips[2]; // concise: two cue words per label
    int withMedium = 0, withIdiot = 0, withLoser = 0;
    for (std::uint64_t rollout = 0; rollout < 40; ++rollout) {
        const std::string text = propose(in, "sim-large", 0, rollout);
        const std::size_t at = text.find("Use medium when the snippet mentions ");
        if (at == std::string::npos)
            continue;
        const std::string sentence = text.substr(at, text.find('.', at) - at);
        ++withMedium;
        withIdiot += sentence.find("idiot") != std::string::npos;
        withLoser += sentence.find("loser") != std::string::npos;
    }
    ASSERT_GE(withMedium, 10);
    // Two of four words: idiot (12 of 15 counts) nearly always, loser about one time in three.
    EXPECT_GE(withIdiot, withMedium * 9 / 10);
    EXPECT_LT(withLoser, withMedium * 2 / 3);
}

TEST(SimProposer, TipsShapeTheProposal)
{
    ProposalInputs in;
    in.description = summaryOf(kRows);
    in.tip = kTips[5];
    EXPECT_EQ(propose(in).rfind("You are a careful reviewer of the snippet.", 0), 0u);
    in.tip = kTips[4];
    EXPECT_TRUE(sim::endsWith(propose(in), "Mistakes are costly."));
    in.tip = kTips[2]; // concise: two cue words per label
    for (std::uint64_t rollout = 0; rollout < 5; ++rollout)
        for (const std::string &s : sim::splitSentences(propose(in, "sim-small", 0, rollout)))
            if (s.rfind("Use ", 0) == 0 || s.rfind("Include ", 0) == 0) {
                const std::size_t mentions = s.find(" mentions ");
                ASSERT_NE(mentions, std::string::npos) << s;
                const std::string list = s.substr(mentions + 10);
                EXPECT_NE(list.find(" or "), std::string::npos) << s;
                EXPECT_EQ(list.find(", "), std::string::npos) << s;
            }
}

TEST(SimProposer, TheLargeModelCoversMoreLabels)
{
    ProposalInputs in;
    in.description = summaryOf(kRows);
    int small = 0, large = 0;
    for (std::uint64_t rollout = 0; rollout < 30; ++rollout) {
        small += cueSentences(propose(in, "sim-small", 0, rollout));
        large += cueSentences(propose(in, "sim-large", 0, rollout));
    }
    EXPECT_GT(large, small);
}

// Issue 13 item 19: DSPy sends an empty program code; the labels then come
// from the description "`severity` (low in 5 and medium in 3)", and the first
// one was read as "(low".
TEST(SimProposer, LabelsReadFromTheDescriptionKeepTheirFirstCharacter)
{
    ProposalInputs in;
    in.description = summaryOf(kRows);
    ASSERT_NE(in.description.find("`severity` (low in 5"), std::string::npos) << in.description;
    in.code = "";
    bool namedLow = false;
    for (std::uint64_t rollout = 0; rollout < 30; ++rollout) {
        const std::string text = propose(in, "sim-large", 0, rollout);
        EXPECT_EQ(text.find("(low"), std::string::npos) << text;
        EXPECT_EQ(text.find("(harassment"), std::string::npos) << text;
        namedLow = namedLow || text.find(" low") != std::string::npos;
    }
    EXPECT_TRUE(namedLow); // the label is still used, spelled as in the data
}

TEST(SimProposer, WithoutDescriptionOrDemosItOnlyRephrases)
{
    ProposalInputs in;
    in.demos = "No task demos provided.";
    for (std::uint64_t rollout = 0; rollout < 10; ++rollout) {
        const std::string text = propose(in, "sim-large", 0, rollout);
        EXPECT_NE(text.find("Classify the snippet for moderation."), std::string::npos) << text;
        EXPECT_EQ(cueSentences(text), 0) << text;
        EXPECT_EQ(text.find("Otherwise"), std::string::npos) << text;
    }
}

TEST(SimProposer, ArithmeticInTheDemosAsksForCalculationSometimes)
{
    ProposalInputs in;
    in.code = "StringSignature(problem -> answer\n    problem = Field(annotation=str required=True)\n    answer = "
              "Field(annotation=int required=True)\n)";
    in.module = "Predict(problem) -> answer";
    in.basic = "Solve the word problem.";
    in.demos = "Problem: Tom has 7 apples and buys 5 more. Work out 7 plus 5.\nAnswer: 12\n\n";
    int withCalc = 0;
    for (std::uint64_t rollout = 0; rollout < 30; ++rollout)
        withCalc +=
            propose(in, "sim-small", 0, rollout).find("Calculate the answer step by step.") != std::string::npos;
    EXPECT_GT(withCalc, 5); // probability c, c in [0.3, 1)
    EXPECT_LT(withCalc, 30);
    in.demos = "Problem: Tom has 7 apples. How many apples?\nAnswer: 7\n\n";
    for (std::uint64_t rollout = 0; rollout < 10; ++rollout)
        EXPECT_EQ(propose(in, "sim-small", 0, rollout).find("Calculate"), std::string::npos);
}

TEST(SimProposer, ShortFreeTextAnswersAskForOnlyTheAnsweringWords)
{
    ProposalInputs in;
    in.code = "StringSignature(passage, question -> answer\n    answer = Field(annotation=str required=True)\n)";
    in.module = "Predict(passage, question) -> answer";
    in.basic = "Answer the question using the passage.";
    in.demos = "Passage: Ann lives in Oslo. She paints.\nQuestion: Where does Ann live?\nAnswer: Oslo\n\n";
    in.tip = kTips[2];
    const std::string sentence = "Answer with only the few words that answer the question.";
    for (std::uint64_t rollout = 0; rollout < 5; ++rollout)
        EXPECT_NE(propose(in, "sim-small", 0, rollout).find(sentence), std::string::npos);
    // The description alone can say the answers are short.
    in.demos = "No task demos provided.";
    in.description = "There are 10 examples with input fields `passage` and `question` and output field `answer`. "
                     "The `answer` values are short, 1.7 words on average.";
    EXPECT_NE(propose(in).find(sentence), std::string::npos);
    // Long answers never get it.
    in.description = "The `answer` values are 14.0 words long on average.";
    for (std::uint64_t rollout = 0; rollout < 5; ++rollout)
        EXPECT_EQ(propose(in, "sim-small", 0, rollout).find(sentence), std::string::npos);
}
