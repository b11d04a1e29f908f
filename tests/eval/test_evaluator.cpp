#include "eval/evaluator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace prism;

namespace {

// Renders the input q as the whole prompt; parses the whole completion as a.
class FakeAdapter final : public Adapter {
public:
    AdapterKind kind() const override { return AdapterKind::Chat; }
    std::vector<ChatMessage> format(const Signature &, const std::vector<Demo> &, const Fields &inputs) const override
    {
        return {ChatMessage{"user", inputs.get("q").toText()}};
    }
    Result<Fields> parse(const Signature &, const std::string &completion) const override
    {
        if (completion.rfind("garbage", 0) == 0)
            return Error::make(ErrorKind::Parse, "cannot read '" + completion + "'");
        return Fields{{"a", completion}};
    }
};

// Answers "ans-<q>"; fails for q = "lmfail..."; echoes q = "garbage...".
// Sleeps a few ms that vary by prompt, so that threads finish out of order.
class FakeLm final : public Lm {
public:
    std::atomic<int> calls{0};
    std::atomic<bool> *cancelAfterCall3 = nullptr;

    Result<ChatResponse> complete(const ChatRequest &request) override
    {
        const std::string q = request.messages.back().content;
        const int n = ++calls;
        if (cancelAfterCall3 && n == 3)
            cancelAfterCall3->store(true);
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(std::hash<std::string>{}(q) % 4)));
        if (q.rfind("lmfail", 0) == 0)
            return Error::make(ErrorKind::Server, "HTTP 500 for " + q);
        ChatResponse response;
        response.choices.push_back(q.rfind("garbage", 0) == 0 ? q : "ans-" + q);
        response.usage.promptTokens = 10;
        response.usage.completionTokens = 2;
        response.usage.calls = 1;
        return response;
    }
    std::string describe() const override { return "fake/lm"; }
};

// Score = the example's label s. Checks that the prediction is the one made
// for this very example, so a result filed under the wrong index shows up.
class FakeMetric final : public Metric {
public:
    Result<MetricResult> score(const Example &example, const Prediction &prediction) const override
    {
        if (example.values.get("metric").toText() == "fail")
            return Error::make(ErrorKind::Script, "metric failed on purpose");
        const std::string want = "ans-" + example.values.get("q").toText();
        if (prediction.values.get("a").toText() != want)
            return Error::make(ErrorKind::Internal,
                               "prediction of another example: " + prediction.values.get("a").toText());
        return MetricResult{example.values.get("s").asNumber(), "s=" + example.values.get("s").toText()};
    }
    std::string describe() const override { return "fake"; }
};

Program program()
{
    Predictor p;
    p.name = "p";
    p.signature.instruction = "Answer.";
    p.signature.inputs.push_back(Field{"q", Type::string(), "", ""});
    p.signature.outputs.push_back(Field{"a", Type::string(), "", ""});
    Program prog;
    prog.predictors.push_back(p);
    return prog;
}

Example example(const std::string &q, double s, const char *metric = "")
{
    Example e;
    e.values.set("q", q);
    e.values.set("a", "ans-" + q);
    e.values.set("s", s);
    e.values.set("metric", metric);
    e.inputKeys = {"q"};
    return e;
}

EvalOptions options(int threads, int maxErrors = 0)
{
    EvalOptions o;
    o.threads = threads;
    o.maxErrors = maxErrors;
    o.call.jsonFallback = false;
    return o;
}

struct Fixture {
    FakeLm lm;
    FakeAdapter adapter;
    FakeMetric metric;

    EvalReport run(const std::vector<Example> &examples, EvalOptions o)
    {
        return Evaluator(lm, adapter, metric, std::move(o)).run(program(), examples);
    }
};

} // namespace

TEST(Evaluator, OrderAndValuesDoNotDependOnThreadCount)
{
    std::vector<Example> examples;
    for (int i = 0; i < 40; ++i)
        examples.push_back(example(std::to_string(i), 0.25 * (i % 5)));

    Fixture one, eight;
    const EvalReport a = one.run(examples, options(1));
    const EvalReport b = eight.run(examples, options(8));
    for (const EvalReport *report : {&a, &b}) {
        ASSERT_EQ(report->results.size(), 40u);
        EXPECT_EQ(report->total, 40u);
        EXPECT_EQ(report->scored, 40u);
        EXPECT_EQ(report->errors, 0u);
        EXPECT_FALSE(report->stoppedEarly);
        for (std::size_t i = 0; i < 40; ++i) {
            const ExampleResult &r = report->results[i];
            EXPECT_EQ(r.index, i);
            EXPECT_EQ(r.example, examples[i]);
            ASSERT_FALSE(r.error) << r.error->message;
            EXPECT_EQ(r.prediction.values.get("a").toText(), "ans-" + std::to_string(i));
            ASSERT_TRUE(r.score);
            EXPECT_EQ(*r.score, 0.25 * (i % 5));
        }
        // Mean of 0, .25, .5, .75, 1 repeated: 0.5.
        EXPECT_EQ(report->scorePercent, 50.0);
    }
    EXPECT_EQ(a.scoreSum, b.scoreSum);
}

TEST(Evaluator, ErrorsAreCountedApartAndNotScoredAsZero)
{
    std::vector<Example> examples;
    for (int i = 0; i < 10; ++i) {
        if (i == 2)
            examples.push_back(example("lmfail-2", 1.0));
        else if (i == 5)
            examples.push_back(example("garbage-5", 1.0));
        else if (i == 7)
            examples.push_back(example("7", 1.0, "fail"));
        else
            examples.push_back(example(std::to_string(i), 1.0));
    }
    Fixture f;
    const EvalReport report = f.run(examples, options(4, 10));
    ASSERT_EQ(report.results.size(), 10u);
    EXPECT_EQ(report.errors, 3u);
    EXPECT_EQ(report.scored, 7u);
    // 7 perfect scores; were errors zeros this would be 70%.
    EXPECT_EQ(report.scorePercent, 100.0);
    EXPECT_FALSE(report.stoppedEarly);
    EXPECT_EQ(report.stopReason, "");

    ASSERT_TRUE(report.results[2].error);
    EXPECT_EQ(report.results[2].error->kind, ErrorKind::Server);
    EXPECT_FALSE(report.results[2].score);
    ASSERT_TRUE(report.results[5].error);
    EXPECT_EQ(report.results[5].error->kind, ErrorKind::Parse);
    EXPECT_FALSE(report.results[5].score);
    ASSERT_TRUE(report.results[7].error);
    EXPECT_EQ(report.results[7].error->kind, ErrorKind::Script);
    EXPECT_FALSE(report.results[7].score);
}

TEST(Evaluator, ScorePercentIsRoundedToTwoDecimals)
{
    Fixture f;
    const EvalReport third = f.run({example("0", 1.0), example("1", 0.0), example("2", 0.0)}, options(2));
    EXPECT_EQ(third.scorePercent, 33.33);
    const EvalReport twoThirds = f.run({example("0", 1.0), example("1", 1.0), example("2", 0.0)}, options(2));
    EXPECT_EQ(twoThirds.scorePercent, 66.67);
}

TEST(Evaluator, StopsStartingExamplesAtMaxErrors)
{
    std::vector<Example> examples;
    for (int i = 0; i < 10; ++i)
        examples.push_back(example(i == 1 || i == 3 ? "lmfail-" + std::to_string(i) : std::to_string(i), 1.0));
    Fixture f;
    const EvalReport report = f.run(examples, options(1, 2));
    // One thread: examples 0..3 ran, the second error (index 3) stopped the rest.
    ASSERT_EQ(report.results.size(), 4u);
    EXPECT_EQ(report.total, 10u);
    EXPECT_EQ(report.errors, 2u);
    EXPECT_EQ(report.scored, 2u);
    EXPECT_TRUE(report.stoppedEarly);
    EXPECT_EQ(report.stopReason, "max_errors");
    EXPECT_EQ(f.lm.calls.load(), 4);
}

TEST(Evaluator, MaxErrorsBoundsWorkWithManyThreads)
{
    std::vector<Example> examples;
    for (int i = 0; i < 100; ++i)
        examples.push_back(example("lmfail-" + std::to_string(i), 1.0));
    Fixture f;
    const EvalReport report = f.run(examples, options(4, 5));
    // At most the 5 errors plus what the 3 other threads had under way.
    EXPECT_GE(report.results.size(), 5u);
    EXPECT_LE(report.results.size(), 8u);
    EXPECT_EQ(report.errors, report.results.size());
    EXPECT_TRUE(report.stoppedEarly);
    EXPECT_EQ(report.stopReason, "max_errors");
    EXPECT_EQ(report.scorePercent, 0.0);
    for (std::size_t i = 1; i < report.results.size(); ++i)
        EXPECT_LT(report.results[i - 1].index, report.results[i].index);
}

TEST(Evaluator, CancelFlagStopsNewExamples)
{
    std::vector<Example> examples;
    for (int i = 0; i < 10; ++i)
        examples.push_back(example(std::to_string(i), 1.0));
    std::atomic<bool> cancel{false};
    Fixture f;
    f.lm.cancelAfterCall3 = &cancel;
    EvalOptions o = options(1);
    o.cancel = &cancel;
    const EvalReport report = f.run(examples, o);
    ASSERT_EQ(report.results.size(), 3u);
    EXPECT_EQ(report.scored, 3u);
    EXPECT_TRUE(report.stoppedEarly);
    EXPECT_EQ(report.stopReason, "cancelled");
    EXPECT_EQ(report.scorePercent, 100.0);
}

TEST(Evaluator, CancelledBeforeStartRunsNothing)
{
    std::atomic<bool> cancel{true};
    Fixture f;
    EvalOptions o = options(4);
    o.cancel = &cancel;
    const EvalReport report = f.run({example("0", 1.0), example("1", 1.0)}, o);
    EXPECT_TRUE(report.results.empty());
    EXPECT_EQ(report.total, 2u);
    EXPECT_TRUE(report.stoppedEarly);
    EXPECT_EQ(report.stopReason, "cancelled");
    EXPECT_EQ(report.scorePercent, 0.0);
    EXPECT_EQ(f.lm.calls.load(), 0);
}

TEST(Evaluator, UsageIsSummedOverExamples)
{
    std::vector<Example> examples;
    for (int i = 0; i < 12; ++i)
        examples.push_back(example(std::to_string(i), 1.0));
    Fixture f;
    const EvalReport report = f.run(examples, options(3));
    EXPECT_EQ(report.usage.calls, 12);
    ASSERT_TRUE(report.usage.promptTokens);
    ASSERT_TRUE(report.usage.completionTokens);
    EXPECT_EQ(*report.usage.promptTokens, 120);
    EXPECT_EQ(*report.usage.completionTokens, 24);
    for (const auto &r : report.results)
        EXPECT_EQ(r.lmCalls, 1);
}

TEST(Evaluator, ProgressCallbackSeesEveryExample)
{
    std::vector<Example> examples;
    for (int i = 0; i < 20; ++i)
        examples.push_back(example(std::to_string(i), 1.0));
    std::atomic<int> seen{0};
    EvalOptions o = options(4);
    o.onResult = [&seen](const ExampleResult &) { ++seen; };
    Fixture f;
    const EvalReport report = f.run(examples, o);
    EXPECT_EQ(seen.load(), 20);
    EXPECT_EQ(report.results.size(), 20u);
}

TEST(Evaluator, NoExamplesGiveAnEmptyReport)
{
    Fixture f;
    const EvalReport report = f.run({}, options(8));
    EXPECT_TRUE(report.results.empty());
    EXPECT_EQ(report.total, 0u);
    EXPECT_EQ(report.scorePercent, 0.0);
    EXPECT_FALSE(report.stoppedEarly);
}

TEST(Evaluator, ARunsPoolGivesTheSameReportsAndNestsInsideItsJobs)
{
    std::vector<Example> examples;
    for (int i = 0; i < 24; ++i)
        examples.push_back(example(i == 4 ? "lmfail-4" : std::to_string(i), 0.25 * (i % 5)));
    Fixture alone;
    const EvalReport want = alone.run(examples, options(1));

    WorkerPool pool(3);
    Fixture f;
    EvalOptions o = options(99); // the pool's size wins over threads
    o.pool = &pool;
    const Evaluator evaluator(f.lm, f.adapter, f.metric, o);
    // An evaluation inside each job of a parallel batch, as in a parallel trial.
    std::vector<EvalReport> reports(4);
    pool.parallelFor(reports.size(), [&](std::size_t k) { reports[k] = evaluator.run(program(), examples); });
    reports.push_back(evaluator.run(program(), examples));
    for (const EvalReport &got : reports) {
        ASSERT_EQ(got.results.size(), want.results.size());
        EXPECT_EQ(got.scoreSum, want.scoreSum);
        EXPECT_EQ(got.errors, 1u);
        for (std::size_t i = 0; i < got.results.size(); ++i) {
            EXPECT_EQ(got.results[i].index, i);
            EXPECT_EQ(got.results[i].score, want.results[i].score);
        }
    }
}

TEST(EvaluateExample, OneWordingAndEveryCallCounted)
{
    Fixture f;
    const ExampleResult failed =
        evaluateExample(program(), example("lmfail-1", 1.0), 3, f.lm, f.adapter, f.metric, options(1).call);
    EXPECT_EQ(failed.index, 3u);
    ASSERT_TRUE(failed.error);
    EXPECT_EQ(failed.error->message.rfind("stage 'p': LM call failed: ", 0), 0u) << failed.error->message;
    EXPECT_EQ(failed.lmCalls, 1); // a failed call is a call
    EXPECT_FALSE(failed.score);

    ProgramTrace trace;
    const ExampleResult ok =
        evaluateExample(program(), example("x", 0.5), 0, f.lm, f.adapter, f.metric, options(1).call, &trace);
    ASSERT_FALSE(ok.error) << ok.error->message;
    EXPECT_EQ(ok.score, 0.5);
    EXPECT_EQ(ok.lmCalls, 1);
    ASSERT_EQ(trace.stages.size(), 1u);
    EXPECT_EQ(trace.stages[0].predictor, "p");
    EXPECT_EQ(trace.stages[0].inputs, (Fields{{"q", "x"}}));
    EXPECT_EQ(trace.stages[0].outputs, (Fields{{"a", "ans-x"}}));
}
