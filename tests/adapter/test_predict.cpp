// runPredictor / runProgram against a scripted fake LM.
#include "adapter/predict.h"

#include <gtest/gtest.h>

#include <deque>

using namespace prism;

namespace {

// Returns queued answers in order and records every request.
class ScriptedLm final : public Lm {
public:
    void answer(std::string text, long long promptTokens = 10, long long completionTokens = 5)
    {
        ChatResponse r;
        r.choices.push_back(std::move(text));
        r.usage.promptTokens = promptTokens;
        r.usage.completionTokens = completionTokens;
        r.usage.calls = 1;
        m_queue.emplace_back(std::move(r));
    }
    void fail(ErrorKind kind, std::string message) { m_queue.emplace_back(Error::make(kind, std::move(message))); }

    Result<ChatResponse> complete(const ChatRequest &request) override
    {
        requests.push_back(request);
        if (m_queue.empty())
            return Error::make(ErrorKind::Internal, "script exhausted");
        Result<ChatResponse> next = std::move(m_queue.front());
        m_queue.pop_front();
        return next;
    }
    std::string describe() const override { return "scripted"; }

    std::vector<ChatRequest> requests;

private:
    std::deque<Result<ChatResponse>> m_queue;
};

Predictor classifier()
{
    Predictor p;
    p.name = "classify";
    p.signature.instruction = "Classify the snippet.";
    p.signature.inputs = {{"snippet", Type::string(), "", ""}};
    p.signature.outputs = {{"severity", Type::enumOf({"low", "medium", "high"}), "", ""}};
    return p;
}

Predictor explainer()
{
    Predictor p;
    p.name = "explain";
    p.kind = PredictorKind::ChainOfThought;
    p.signature.instruction = "Explain the severity.";
    p.signature.inputs = {{"snippet", Type::string(), "", ""},
                          {"severity", Type::enumOf({"low", "medium", "high"}), "", ""}};
    p.signature.outputs = {{"explanation", Type::string(), "", ""}};
    return p;
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

TEST(RunPredictor, SendsTheAdapterMessagesAndOptions)
{
    ScriptedLm lm;
    lm.answer("[[ ## severity ## ]]\nhigh\n\n[[ ## completed ## ]]");
    auto chat = makeAdapter("chat");
    CallOptions options;
    options.temperature = 0.7;
    options.maxTokens = 256;
    options.seed = 11;
    options.rollout = 3;
    options.role = "bootstrap";
    const Fields inputs{{"snippet", "You are awful."}};
    const PredictorCall call = runPredictor(classifier(), inputs, lm, *chat, options);
    ASSERT_FALSE(call.error) << call.error->message;
    EXPECT_EQ(call.outputs, (Fields{{"severity", "high"}}));
    EXPECT_EQ(call.lmCalls, 1);
    EXPECT_FALSE(call.usedFallback);
    EXPECT_EQ(call.usage.calls, 1);
    EXPECT_EQ(call.usage.promptTokens, 10);
    EXPECT_EQ(call.rawCompletion, "[[ ## severity ## ]]\nhigh\n\n[[ ## completed ## ]]");
    ASSERT_EQ(lm.requests.size(), 1u);
    const ChatRequest &r = lm.requests.front();
    EXPECT_EQ(r.messages, chat->format(classifier().signature, {}, inputs));
    EXPECT_EQ(r.temperature, 0.7);
    EXPECT_EQ(r.maxTokens, 256);
    EXPECT_EQ(r.seed, 11);
    EXPECT_EQ(r.rollout, 3u);
    EXPECT_EQ(r.role, "bootstrap");
    EXPECT_EQ(r.responseFormat, ResponseFormat::Text);
}

TEST(RunPredictor, ChatParseFailureFallsBackToJsonOnce)
{
    ScriptedLm lm;
    lm.answer("The severity is high.", 100, 7);
    lm.answer("{\"severity\": \"high\"}", 120, 9);
    auto chat = makeAdapter("chat");
    const PredictorCall call = runPredictor(classifier(), Fields{{"snippet", "x"}}, lm, *chat, CallOptions{});
    ASSERT_FALSE(call.error) << call.error->message;
    EXPECT_EQ(call.outputs, (Fields{{"severity", "high"}}));
    EXPECT_EQ(call.lmCalls, 2);
    EXPECT_TRUE(call.usedFallback);
    EXPECT_EQ(call.usage.calls, 2);
    EXPECT_EQ(call.usage.promptTokens, 220);
    EXPECT_EQ(call.usage.completionTokens, 16);
    EXPECT_EQ(call.rawCompletion, "{\"severity\": \"high\"}");
    ASSERT_EQ(lm.requests.size(), 2u);
    EXPECT_EQ(lm.requests[0].responseFormat, ResponseFormat::Text);
    EXPECT_EQ(lm.requests[1].responseFormat, ResponseFormat::JsonObject);
    EXPECT_TRUE(
        contains(lm.requests[1].messages.front().content, "Outputs will be a JSON object with the following fields."));
}

TEST(RunPredictor, FailedFallbackReportsBothAttempts)
{
    ScriptedLm lm;
    lm.answer("The severity is high.");
    lm.answer("still not json");
    auto chat = makeAdapter("chat");
    const PredictorCall call = runPredictor(classifier(), Fields{{"snippet", "x"}}, lm, *chat, CallOptions{});
    ASSERT_TRUE(call.error);
    EXPECT_EQ(call.error->kind, ErrorKind::Parse);
    EXPECT_EQ(call.lmCalls, 2);
    EXPECT_TRUE(call.usedFallback);
    EXPECT_TRUE(contains(call.error->message, "predictor 'classify'")) << call.error->message;
    EXPECT_TRUE(contains(call.error->message, "`severity`")) << call.error->message;
    EXPECT_TRUE(contains(call.error->message, "JSONAdapter")) << call.error->message;
    EXPECT_EQ(call.rawCompletion, "still not json");
    EXPECT_TRUE(call.outputs.empty());
}

TEST(RunPredictor, NoFallbackWhenDisabledOrForJsonAdapter)
{
    ScriptedLm lm;
    lm.answer("nonsense");
    CallOptions noFallback;
    noFallback.jsonFallback = false;
    PredictorCall call = runPredictor(classifier(), Fields{{"snippet", "x"}}, lm, *makeAdapter("chat"), noFallback);
    ASSERT_TRUE(call.error);
    EXPECT_EQ(call.lmCalls, 1);
    EXPECT_FALSE(call.usedFallback);

    ScriptedLm lm2;
    lm2.answer("nonsense");
    call = runPredictor(classifier(), Fields{{"snippet", "x"}}, lm2, *makeAdapter("json"), CallOptions{});
    ASSERT_TRUE(call.error);
    EXPECT_EQ(call.error->kind, ErrorKind::Parse);
    EXPECT_EQ(call.lmCalls, 1);
    EXPECT_EQ(lm2.requests.front().responseFormat, ResponseFormat::JsonObject);
}

TEST(RunPredictor, LmErrorIsNotRetriedWithJson)
{
    ScriptedLm lm;
    lm.fail(ErrorKind::Timeout, "no answer after 30 s");
    lm.answer("{\"severity\": \"high\"}"); // must not be consumed
    const PredictorCall call =
        runPredictor(classifier(), Fields{{"snippet", "x"}}, lm, *makeAdapter("chat"), CallOptions{});
    ASSERT_TRUE(call.error);
    EXPECT_EQ(call.error->kind, ErrorKind::Timeout);
    EXPECT_EQ(call.lmCalls, 1);
    EXPECT_FALSE(call.usedFallback);
    EXPECT_EQ(lm.requests.size(), 1u);
    EXPECT_TRUE(contains(call.error->message, "predictor 'classify'")) << call.error->message;
    EXPECT_TRUE(contains(call.error->message, "no answer after 30 s")) << call.error->message;
}

TEST(RunPredictor, EmptyCompletionIsAParseErrorAndFallsBack)
{
    ScriptedLm lm;
    lm.answer("");
    lm.answer("{\"severity\": \"low\"}");
    const PredictorCall call =
        runPredictor(classifier(), Fields{{"snippet", "x"}}, lm, *makeAdapter("chat"), CallOptions{});
    ASSERT_FALSE(call.error) << call.error->message;
    EXPECT_EQ(call.lmCalls, 2);
    EXPECT_EQ(call.outputs.get("severity"), Value("low"));
}

TEST(RunPredictor, ChainOfThoughtReturnsReasoning)
{
    ScriptedLm lm;
    lm.answer("[[ ## reasoning ## ]]\nIt insults.\n\n[[ ## explanation ## ]]\nAn insult.\n\n[[ ## completed ## ]]");
    const PredictorCall call = runPredictor(explainer(), Fields{{"snippet", "x"}, {"severity", "high"}}, lm,
                                            *makeAdapter("chat"), CallOptions{});
    ASSERT_FALSE(call.error) << call.error->message;
    EXPECT_EQ(call.outputs, (Fields{{"reasoning", "It insults."}, {"explanation", "An insult."}}));
    EXPECT_TRUE(
        contains(lm.requests.front().messages.back().content, "starting with the field `[[ ## reasoning ## ]]`"));
}

TEST(RunProgram, TwoStagesPassFieldsByName)
{
    Program program;
    program.predictors = {classifier(), explainer()};
    ScriptedLm lm;
    lm.answer("[[ ## severity ## ]]\nhigh\n\n[[ ## completed ## ]]", 10, 2);
    lm.answer("[[ ## reasoning ## ]]\nRude.\n\n[[ ## explanation ## ]]\nIt is rude.\n\n[[ ## completed ## ]]", 30, 8);
    const Prediction p =
        runProgram(program, Fields{{"snippet", "You are awful."}}, lm, *makeAdapter("chat"), CallOptions{});
    ASSERT_FALSE(p.error) << p.error->message;
    EXPECT_EQ(p.values, (Fields{{"severity", "high"}, {"reasoning", "Rude."}, {"explanation", "It is rude."}}));
    EXPECT_EQ(p.usage.calls, 2);
    EXPECT_EQ(p.usage.promptTokens, 40);
    EXPECT_EQ(p.usage.completionTokens, 10);
    EXPECT_TRUE(contains(p.rawCompletion, "It is rude."));
    ASSERT_EQ(lm.requests.size(), 2u);
    EXPECT_EQ(lm.requests[1].messages.back().content.rfind(
                  "[[ ## snippet ## ]]\nYou are awful.\n\n[[ ## severity ## ]]\nhigh\n\n", 0),
              0u)
        << lm.requests[1].messages.back().content;
}

TEST(RunProgram, ExampleInputsTakePrecedenceOverEarlierOutputs)
{
    Program program;
    program.predictors = {classifier(), explainer()};
    ScriptedLm lm;
    lm.answer("[[ ## severity ## ]]\nhigh");
    lm.answer("[[ ## reasoning ## ]]\nr\n[[ ## explanation ## ]]\ne");
    const Prediction p =
        runProgram(program, Fields{{"snippet", "s"}, {"severity", "low"}}, lm, *makeAdapter("chat"), CallOptions{});
    ASSERT_FALSE(p.error) << p.error->message;
    ASSERT_EQ(lm.requests.size(), 2u);
    EXPECT_TRUE(contains(lm.requests[1].messages.back().content, "[[ ## severity ## ]]\nlow"));
}

TEST(RunProgram, FailingStageKeepsEarlierValuesAndNamesTheStage)
{
    Program program;
    program.predictors = {classifier(), explainer()};
    ScriptedLm lm;
    lm.answer("[[ ## severity ## ]]\nmedium");
    lm.fail(ErrorKind::RateLimit, "429 too many requests");
    const Prediction p = runProgram(program, Fields{{"snippet", "s"}}, lm, *makeAdapter("chat"), CallOptions{});
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.error->kind, ErrorKind::RateLimit);
    EXPECT_EQ(p.error->message.rfind("stage 'explain': ", 0), 0u) << p.error->message;
    EXPECT_EQ(p.values, (Fields{{"severity", "medium"}}));
    EXPECT_EQ(p.usage.calls, 1);
}

TEST(RunProgram, MissingInputStopsBeforeAnyCall)
{
    Program program;
    program.predictors = {explainer()};
    ScriptedLm lm;
    const Prediction p = runProgram(program, Fields{{"snippet", "s"}}, lm, *makeAdapter("chat"), CallOptions{});
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.error->kind, ErrorKind::Data);
    EXPECT_TRUE(contains(p.error->message, "stage 'explain'")) << p.error->message;
    EXPECT_TRUE(contains(p.error->message, "`severity`")) << p.error->message;
    EXPECT_TRUE(lm.requests.empty());

    const Prediction empty = runProgram(Program{}, Fields{}, lm, *makeAdapter("chat"), CallOptions{});
    ASSERT_TRUE(empty.error);
}
