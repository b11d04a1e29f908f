#pragma once

// The trace of one example: what each stage of the program was given, every
// LM call it made (messages sent, raw completion, tokens, latency, cache hit),
// what it parsed, and how the metric scored it, field by field. Made by the
// one evaluation path (evaluateExample) with recording decorators around the
// Lm and the Adapter, so the prediction, score and call count are exactly
// those of an ordinary evaluation of the example.
#include "core/example.h"
#include "core/program.h"
#include "core/result.h"
#include "eval/evaluator.h"
#include "lm/lm.h"
#include "lm/response_cache.h"
#include "metric/builtin.h"

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace prism {

class RunStore;

// One LM call as it was made.
struct TracedCall {
    std::vector<ChatMessage> messages;
    std::string completion; // the first choice; empty when the call failed
    TokenUsage usage;
    double latencyMs = 0.0; // measured around the call (a cache hit or replay is near 0)
    bool cacheHit = false;
    bool jsonFallback = false; // the JSONAdapter retry after a ChatAdapter parse failure
    std::optional<Error> error;
};

struct TracedStage {
    std::string predictor;
    PredictorKind kind = PredictorKind::Predict;
    Fields inputs;
    Fields outputs;        // parsed; empty when the stage failed
    std::string reasoning; // ChainOfThought's `reasoning` output; empty otherwise
    std::vector<TracedCall> calls;
    std::optional<Error> error; // the stage's failure (the example's error names it)
};

struct ExampleTrace {
    std::size_t index = 0;
    Fields inputs;
    Fields labels; // the example's other values (what the metric compares against)
    std::vector<TracedStage> stages;
    ExampleResult result;                // exactly what evaluateExample returned
    std::vector<FieldScore> fieldScores; // per output field; empty for a script metric or an error
    // The first stage that went wrong (findFirstWrongStage): by the labels, or
    // against a passing run of the same example when judgedAgainstPassing.
    std::string firstWrongStage;
    bool judgedAgainstPassing = false;

    int calls() const { return result.lmCalls; }
    int cacheHits() const;
    double latencyMs() const; // sum over the calls
    TokenUsage usage() const { return result.prediction.usage; }
};

// Records every call made through it, in order. One per traced example: the
// stages of one example run one after the other, so the order is the program's.
class RecordingLm final : public Lm {
public:
    explicit RecordingLm(Lm &inner) : m_inner(inner) {}
    Result<ChatResponse> complete(const ChatRequest &request) override;
    std::string describe() const override { return m_inner.describe(); }
    std::size_t callCount() const;
    std::vector<TracedCall> takeCalls();

private:
    Lm &m_inner;
    mutable std::mutex m_mutex;
    std::vector<TracedCall> m_calls;
};

// Answers from a run's call journal, keyed as the run keyed them (cacheKey
// with the task model's identity). A request the run never made is an error,
// never a call: looking at a past run costs nothing.
class JournalReplayLm final : public Lm {
public:
    JournalReplayLm(LmIdentity identity, std::unordered_map<std::string, ChatResponse> answers);
    // Every answer the run recorded (all sessions).
    static Result<std::unique_ptr<JournalReplayLm>> open(RunStore &store, const std::string &runId,
                                                         LmIdentity identity);

    Result<ChatResponse> complete(const ChatRequest &request) override;
    std::string describe() const override;

private:
    LmIdentity m_identity;
    std::unordered_map<std::string, ChatResponse> m_answers;
};

// Runs `program` on `example` through evaluateExample and records it. metric
// scores the prediction; spec, when it is a composite metric, also gives the
// per-field scores (the same built-ins the composite metric sums).
ExampleTrace traceExample(const Program &program, const Example &example, std::size_t index, Lm &lm,
                          const Adapter &adapter, const Metric &metric, const CallOptions &options,
                          const MetricSpec *spec = nullptr);

// firstWrongStage (eval/evaluator.h) for a trace: its completed stages, the
// labels, the stage that failed; `passing`, when given, is a trace of the same
// example that passed the metric (another program's, in a comparison).
std::string findFirstWrongStage(const ExampleTrace &trace, const ExampleTrace *passing = nullptr);

// Sets trace.firstWrongStage against `passing` when that trace passed
// (score at least `passScore`); else leaves the labels' verdict.
void judgeAgainstPassing(ExampleTrace &trace, const ExampleTrace &passing, double passScore = 0.999);

// The trace as a JSON document ("Copy as JSON"), pretty-printed.
std::string traceToJsonText(const ExampleTrace &trace);

} // namespace prism
