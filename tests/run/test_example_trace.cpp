#include "run/example_trace.h"

#include "../ui/recordedrun.h"

#include "adapter/adapter.h"
#include "core/study.h"
#include "data/dataset.h"
#include "metric/builtin.h"
#include "modelsetup/lm_setup.h"
#include "run/journal_lm.h"
#include "run/run_example_trace.h"
#include "run/run_store.h"
#include "sim/simlm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>

using namespace prism;

namespace {

struct Sample {
    Study study;
    std::vector<Example> examples;
    std::unique_ptr<Adapter> adapter;
    std::unique_ptr<Metric> metric;
};

Sample loadSample(const std::string &name, PredictorKind kind = PredictorKind::Predict)
{
    auto study = loadStudy(std::string(PRISM_SAMPLES_DIR) + "/" + name + "/" + name + ".prism.json");
    EXPECT_TRUE(study) << study.error().message;
    Sample s;
    s.study = std::move(*study);
    for (auto &p : s.study.program.predictors)
        p.kind = kind;
    auto data = loadStudyData(s.study);
    EXPECT_TRUE(data) << data.error().message;
    s.examples = data->train.examples;
    s.adapter = makeAdapter(s.study.eval.adapter);
    auto metric = makeMetric(s.study.metric, s.study.program);
    EXPECT_TRUE(metric) << metric.error().message;
    s.metric = std::move(*metric);
    return s;
}

// Counts the calls that reach the model.
class CountingLm final : public Lm {
public:
    explicit CountingLm(Lm &inner) : m_inner(inner) {}
    Result<ChatResponse> complete(const ChatRequest &request) override
    {
        ++calls;
        return m_inner.complete(request);
    }
    std::string describe() const override { return m_inner.describe(); }
    std::atomic<int> calls{0};

private:
    Lm &m_inner;
};

CallOptions evalOptions()
{
    CallOptions o;
    o.role = "evaluation";
    return o;
}

// The trace of each of the first `count` examples says what evaluateExample says.
void expectSameAsEvaluation(const Sample &s, std::size_t count)
{
    SimLm sim(s.study.taskModel.model);
    ASSERT_GE(s.examples.size(), count);
    for (std::size_t i = 0; i < count; ++i) {
        const Example &e = s.examples[i];
        const ExampleResult plain = evaluateExample(s.study.program, e, i, sim, *s.adapter, *s.metric, evalOptions());
        CountingLm counting(sim);
        const ExampleTrace t =
            traceExample(s.study.program, e, i, counting, *s.adapter, *s.metric, evalOptions(), &s.study.metric);
        SCOPED_TRACE("example " + std::to_string(i));
        EXPECT_EQ(t.result.prediction.values, plain.prediction.values);
        EXPECT_EQ(t.result.score, plain.score);
        EXPECT_EQ(t.result.feedback, plain.feedback);
        EXPECT_EQ(t.result.error.has_value(), plain.error.has_value());
        EXPECT_EQ(t.calls(), plain.lmCalls);
        EXPECT_EQ(counting.calls.load(), plain.lmCalls);

        std::size_t traced = 0;
        for (const auto &stage : t.stages)
            traced += stage.calls.size();
        EXPECT_EQ(traced, static_cast<std::size_t>(plain.lmCalls));
        ASSERT_FALSE(t.stages.empty());
        const TracedCall &last = t.stages.back().calls.back();
        EXPECT_EQ(last.completion, plain.prediction.rawCompletion);
        ASSERT_FALSE(last.messages.empty());
        EXPECT_EQ(last.messages.front().role, "system");

        // The composite score is the weighted sum of the per-field scores shown.
        if (plain.score) {
            ASSERT_EQ(t.fieldScores.size(), s.study.metric.fields.size());
            double sum = 0.0;
            for (const auto &f : t.fieldScores) {
                sum += f.weight * f.score;
                EXPECT_EQ(f.predicted, plain.prediction.values.get(f.field));
                EXPECT_EQ(f.expected, e.values.get(f.field));
            }
            EXPECT_NEAR(sum, *plain.score, 1e-12);
        }
    }
}

} // namespace

TEST(ExampleTrace, ModerationPredictEqualsEvaluation)
{
    const Sample s = loadSample("moderation");
    expectSameAsEvaluation(s, 8);
    const ExampleTrace t = [&] {
        SimLm sim(s.study.taskModel.model);
        return traceExample(s.study.program, s.examples[0], 0, sim, *s.adapter, *s.metric, evalOptions(),
                            &s.study.metric);
    }();
    ASSERT_EQ(t.stages.size(), 1u);
    EXPECT_EQ(t.stages[0].predictor, s.study.program.predictors[0].name);
    EXPECT_EQ(t.stages[0].inputs, s.examples[0].inputs());
    EXPECT_TRUE(t.stages[0].reasoning.empty());
    // The user message carries the example's input text.
    const std::string input = s.examples[0].inputs().begin()->second.toText();
    EXPECT_NE(t.stages[0].calls[0].messages.back().content.find(input), std::string::npos);
}

TEST(ExampleTrace, QaAndMathEqualEvaluation)
{
    expectSameAsEvaluation(loadSample("qa"), 6);
    expectSameAsEvaluation(loadSample("math"), 6);
}

TEST(ExampleTrace, ChainOfThoughtShowsItsReasoning)
{
    const Sample s = loadSample("math", PredictorKind::ChainOfThought);
    expectSameAsEvaluation(s, 6);
    SimLm sim(s.study.taskModel.model);
    const ExampleTrace t =
        traceExample(s.study.program, s.examples[1], 1, sim, *s.adapter, *s.metric, evalOptions(), &s.study.metric);
    ASSERT_FALSE(t.result.error) << t.result.error->message;
    ASSERT_EQ(t.stages.size(), 1u);
    EXPECT_FALSE(t.stages[0].reasoning.empty());
    EXPECT_EQ(t.stages[0].reasoning, t.result.prediction.values.get("reasoning").toText());
    EXPECT_NE(t.stages[0].calls[0].completion.find("[[ ## reasoning ## ]]"), std::string::npos);
}

TEST(ExampleTrace, TwoStagesSplitTheCallsByStage)
{
    Sample s = loadSample("moderation");
    Predictor explain;
    explain.name = "explain";
    explain.kind = PredictorKind::ChainOfThought;
    explain.signature.instruction = "Explain the label in one sentence.";
    explain.signature.inputs = s.study.program.predictors[0].signature.inputs;
    for (const auto &out : s.study.program.predictors[0].signature.outputs)
        explain.signature.inputs.push_back(out);
    explain.signature.outputs.push_back(Field{"explanation", Type::string(), "", ""});
    s.study.program.predictors.push_back(explain);
    expectSameAsEvaluation(s, 5);

    SimLm sim(s.study.taskModel.model);
    const ExampleTrace t =
        traceExample(s.study.program, s.examples[2], 2, sim, *s.adapter, *s.metric, evalOptions(), &s.study.metric);
    ASSERT_EQ(t.stages.size(), 2u);
    EXPECT_EQ(t.stages[1].predictor, "explain");
    // The second stage was given the first stage's output.
    for (const auto &[name, value] : t.stages[0].outputs)
        EXPECT_EQ(t.stages[1].inputs.get(name), value) << name;
    EXPECT_GE(t.stages[0].calls.size(), 1u);
    EXPECT_GE(t.stages[1].calls.size(), 1u);
    EXPECT_NE(t.stages[0].calls[0].messages, t.stages[1].calls[0].messages);
}

TEST(ExampleTrace, ParseFailureShowsTheJsonFallbackCall)
{
    // Answers the chat prompt with prose and the JSON retry with JSON.
    class ProseThenJsonLm final : public Lm {
    public:
        Result<ChatResponse> complete(const ChatRequest &request) override
        {
            ChatResponse r;
            r.choices.push_back(request.responseFormat == ResponseFormat::Text ? "I think it is fine."
                                                                               : R"({"answer": 4})");
            return r;
        }
        std::string describe() const override { return "fake/prose"; }
    } lm;
    const Sample s = loadSample("math");
    const ExampleTrace t =
        traceExample(s.study.program, s.examples[0], 0, lm, *s.adapter, *s.metric, evalOptions(), &s.study.metric);
    ASSERT_EQ(t.stages.size(), 1u);
    ASSERT_EQ(t.stages[0].calls.size(), 2u);
    EXPECT_FALSE(t.stages[0].calls[0].jsonFallback);
    EXPECT_TRUE(t.stages[0].calls[1].jsonFallback);
    EXPECT_EQ(t.stages[0].calls[0].completion, "I think it is fine.");
    EXPECT_EQ(t.calls(), 2);
    EXPECT_EQ(t.result.prediction.values.get("answer"), Value(4));
}

TEST(ExampleTrace, LmErrorIsRecordedOnTheStage)
{
    class DownLm final : public Lm {
    public:
        Result<ChatResponse> complete(const ChatRequest &) override
        {
            return Error::make(ErrorKind::Server, "HTTP 503 from the test");
        }
        std::string describe() const override { return "fake/down"; }
    } lm;
    const Sample s = loadSample("moderation");
    const ExampleTrace t =
        traceExample(s.study.program, s.examples[0], 0, lm, *s.adapter, *s.metric, evalOptions(), &s.study.metric);
    ASSERT_TRUE(t.result.error);
    EXPECT_FALSE(t.result.score);
    ASSERT_EQ(t.stages.size(), 1u);
    ASSERT_TRUE(t.stages[0].error);
    ASSERT_EQ(t.stages[0].calls.size(), 1u);
    ASSERT_TRUE(t.stages[0].calls[0].error);
    EXPECT_NE(t.stages[0].calls[0].error->message.find("HTTP 503"), std::string::npos);
    EXPECT_TRUE(t.fieldScores.empty());

    const auto json = nlohmann::json::parse(traceToJsonText(t));
    EXPECT_TRUE(json["score"].is_null());
    EXPECT_NE(json["stages"][0]["calls"][0]["error"].get<std::string>().find("HTTP 503"), std::string::npos);
}

TEST(ExampleTrace, JsonHasMessagesCompletionAndScores)
{
    const Sample s = loadSample("moderation");
    SimLm sim(s.study.taskModel.model);
    const ExampleTrace t =
        traceExample(s.study.program, s.examples[3], 3, sim, *s.adapter, *s.metric, evalOptions(), &s.study.metric);
    const auto json = nlohmann::json::parse(traceToJsonText(t));
    EXPECT_EQ(json["index"], 3);
    EXPECT_EQ(json["lm_calls"], t.calls());
    EXPECT_EQ(json["stages"][0]["calls"][0]["completion"], t.stages[0].calls[0].completion);
    EXPECT_EQ(json["stages"][0]["calls"][0]["messages"][0]["role"], "system");
    EXPECT_EQ(json["field_scores"].size(), t.fieldScores.size());
    ASSERT_TRUE(t.result.score);
    EXPECT_DOUBLE_EQ(json["score"].get<double>(), *t.result.score);
}

TEST(ExampleTrace, ReplayFromTheRunJournalMakesNoCall)
{
    const auto dir = std::filesystem::temp_directory_path() / ("prism-trace-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    // The response cache goes in the test's folder, not the user's.
    ::setenv("PRISM_DATA_DIR", (dir / "data").string().c_str(), 1);
    auto store = RunStore::open((dir / "runs.sqlite").string());
    ASSERT_TRUE(store) << store.error().message;
    NewRun run;
    run.studyName = "trace";
    auto runId = (*store)->createRun(run);
    ASSERT_TRUE(runId) << runId.error().message;

    Sample s = loadSample("moderation");
    LmSetupOptions setup;
    setup.useCache = false;
    auto models = setupModels(s.study, {}, setup);
    ASSERT_TRUE(models) << models.error().message;
    auto journal = std::make_shared<CallJournal>(*store, *runId, 1, std::vector<JournalRecord>{});
    JournalLm journaled(models->task, journal);
    const ExampleResult recorded =
        evaluateExample(s.study.program, s.examples[0], 0, journaled, *s.adapter, *s.metric, evalOptions());
    ASSERT_FALSE(recorded.error) << recorded.error->message;

    auto replay = JournalReplayLm::open(**store, *runId, lmIdentity(models->taskConfig));
    ASSERT_TRUE(replay) << replay.error().message;
    const ExampleTrace t = traceExample(s.study.program, s.examples[0], 0, **replay, *s.adapter, *s.metric,
                                        evalOptions(), &s.study.metric);
    EXPECT_EQ(t.result.prediction.values, recorded.prediction.values);
    EXPECT_EQ(t.result.score, recorded.score);
    EXPECT_EQ(t.calls(), recorded.lmCalls);
    EXPECT_EQ(t.cacheHits(), recorded.lmCalls);

    // An example the run never asked about: an error, and no call is made.
    const ExampleTrace missing = traceExample(s.study.program, s.examples[1], 1, **replay, *s.adapter, *s.metric,
                                              evalOptions(), &s.study.metric);
    ASSERT_TRUE(missing.result.error);
    EXPECT_NE(missing.result.error->message.find("never made this call"), std::string::npos)
        << missing.result.error->message;
    EXPECT_EQ(models->services.ledger->totals().calls, recorded.lmCalls);
    std::filesystem::remove_all(dir);
}

TEST(ExampleTrace, ATrialExampleOfARealRunReplaysAsRecorded)
{
    const auto dir = std::filesystem::temp_directory_path() / ("prism-trace-run-" + std::to_string(::getpid()));
    ::setenv("PRISM_DATA_DIR", (dir / "data").string().c_str(), 1);
    const recordedrun::Recording rec = recordedrun::record(dir);
    ASSERT_TRUE(rec.error.empty()) << rec.error;
    auto trials = rec.store->trials(rec.runId);
    ASSERT_TRUE(trials && !trials->empty());
    int checked = 0;
    for (const auto &trial : *trials) {
        auto results = rec.store->exampleResults(rec.runId, trial.configKey);
        ASSERT_TRUE(results) << results.error().message;
        for (const auto &r : *results) {
            if (checked >= 12)
                break;
            SCOPED_TRACE(trial.configKey + " example " + std::to_string(r.exampleIndex));
            auto setup = prepareRunExample(*rec.store, rec.runId, trial.configKey, r.exampleIndex);
            ASSERT_TRUE(setup) << setup.error().message;
            auto metric = makeMetric(setup->study.metric, setup->program);
            ASSERT_TRUE(metric) << metric.error().message;
            auto trace = replayRunExample(*rec.store, rec.runId, *setup, **metric);
            ASSERT_TRUE(trace) << trace.error().message;
            ASSERT_FALSE(trace->result.error) << trace->result.error->message;
            EXPECT_EQ(trace->result.prediction.values, setup->storedPrediction);
            EXPECT_EQ(trace->result.score, r.score);
            EXPECT_EQ(trace->calls(), r.calls);
            EXPECT_EQ(trace->cacheHits(), r.calls); // every answer from the journal
            ++checked;
        }
    }
    EXPECT_GE(checked, 5);
    EXPECT_FALSE(prepareRunExample(*rec.store, rec.runId, "no-such-config", 0));
    std::filesystem::remove_all(dir);
}

// ---- the first stage that went wrong (issue 16 item 4) ----------------------

namespace {

StageTrace stageOf(const std::string &predictor, Fields outputs)
{
    return StageTrace{predictor, Fields{}, std::move(outputs)};
}

Fields fieldsOf(std::initializer_list<std::pair<std::string, Value>> items)
{
    Fields f;
    for (const auto &[name, value] : items)
        f.set(name, value);
    return f;
}

} // namespace

TEST(FirstWrongStage, ALabelledOutputThatDiffersNamesItsStage)
{
    const Fields labels =
        fieldsOf({{"policy_violations", Value(Value::List{Value("spam")})}, {"severity", Value("low")}});
    // Lists compare as sets: find is right, rate is not.
    std::vector<StageTrace> stages = {
        stageOf("find", fieldsOf({{"policy_violations", Value(Value::List{Value("spam")})}})),
        stageOf("rate", fieldsOf({{"reasoning", Value("cues")}, {"severity", Value("high")}}))};
    EXPECT_EQ(firstWrongStage(stages, labels, ""), "rate");
    stages[0].outputs.set("policy_violations", Value(Value::List{Value("spam"), Value("hate")}));
    EXPECT_EQ(firstWrongStage(stages, labels, ""), "find");
    // Right everywhere: no stage; a failure with nothing wrong before it names the failed stage.
    const std::vector<StageTrace> good = {
        stageOf("find", fieldsOf({{"policy_violations", Value(Value::List{Value("spam")})}}))};
    EXPECT_EQ(firstWrongStage(good, labels, ""), "");
    EXPECT_EQ(firstWrongStage(good, labels, "rate"), "rate");
}

TEST(FirstWrongStage, AnUnlabelledOutputIsJudgedAgainstAPassingRun)
{
    const Fields labels = fieldsOf({{"answer", Value("Josiah Crane")}});
    const std::vector<StageTrace> wrong = {
        stageOf("quote", fieldsOf({{"evidence", Value("Its clock tower was paid for by Josiah Crane.")}})),
        stageOf("answer", fieldsOf({{"answer", Value("Its clock tower was paid for by Josiah Crane.")}}))};
    // By the labels alone only the last stage can be blamed.
    EXPECT_EQ(firstWrongStage(wrong, labels, ""), "answer");
    const std::vector<StageTrace> passing = {
        stageOf("quote", fieldsOf({{"reasoning", Value("other words")}, {"evidence", Value("Josiah Crane")}})),
        stageOf("answer", fieldsOf({{"answer", Value("Josiah Crane")}}))};
    EXPECT_EQ(firstWrongStage(wrong, labels, "", &passing), "quote");
    // Reasoning is free to differ: the same evidence is not wrong.
    std::vector<StageTrace> sameEvidence = wrong;
    sameEvidence[0].outputs = fieldsOf({{"reasoning", Value("mine")}, {"evidence", Value("Josiah Crane")}});
    EXPECT_EQ(firstWrongStage(sameEvidence, labels, "", &passing), "answer");
}

TEST(FirstWrongStage, ATraceOfTheQaPipelineBlamesTheQuoteAgainstAPassingRun)
{
    Sample s = loadSample("qa_pipeline");
    // The answer stage reads the quote and the question only (not the
    // passage), so what the quote hands on is all it has; then the same
    // program with a quote stage told to be brief: its evidence is the answer.
    auto &answerInputs = s.study.program.predictors[1].signature.inputs;
    answerInputs.erase(answerInputs.begin());                                        // passage
    std::rotate(answerInputs.begin(), answerInputs.begin() + 1, answerInputs.end()); // evidence first
    Program brief = s.study.program;
    brief.predictors[0].signature.instruction += " Answer with only the few words that answer the question.";
    SimLm sim(s.study.taskModel.model);
    int judged = 0;
    for (std::size_t i = 0; i < s.examples.size() && judged < 3; ++i) {
        ExampleTrace t =
            traceExample(s.study.program, s.examples[i], i, sim, *s.adapter, *s.metric, evalOptions(), &s.study.metric);
        const ExampleTrace good =
            traceExample(brief, s.examples[i], i, sim, *s.adapter, *s.metric, evalOptions(), &s.study.metric);
        if (!t.result.score || *t.result.score >= 0.999 || !good.result.score || *good.result.score < 0.999)
            continue;
        SCOPED_TRACE("example " + std::to_string(i));
        EXPECT_EQ(t.firstWrongStage, "answer") << "the labels judge only the answer";
        EXPECT_FALSE(t.judgedAgainstPassing);
        judgeAgainstPassing(t, good);
        EXPECT_TRUE(t.judgedAgainstPassing);
        EXPECT_EQ(t.firstWrongStage, "quote");
        const auto json = nlohmann::json::parse(traceToJsonText(t));
        EXPECT_EQ(json["first_wrong_stage"], "quote");
        ++judged;
    }
    EXPECT_EQ(judged, 3) << "rows the long quote gets wrong and the brief one right";
}
