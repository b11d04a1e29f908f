#include "run/example_trace.h"

#include "core/json.h"
#include "run/run_store.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <exception>

namespace prism {

namespace {

// Sees the adapter calls of one example: runProgram formats once per stage
// with the study's adapter (a JSON fallback formats with its own adapter), so
// each format() marks where a stage's calls begin.
class StageMarkingAdapter final : public Adapter {
public:
    StageMarkingAdapter(const Adapter &inner, const RecordingLm &lm, std::vector<std::size_t> &starts,
                        std::vector<Fields> &inputs)
        : m_inner(inner), m_lm(lm), m_starts(starts), m_inputs(inputs)
    {}

    AdapterKind kind() const override { return m_inner.kind(); }
    std::vector<ChatMessage> format(const Signature &signature, const std::vector<Demo> &demos,
                                    const Fields &inputs) const override
    {
        m_starts.push_back(m_lm.callCount());
        m_inputs.push_back(inputs);
        return m_inner.format(signature, demos, inputs);
    }
    Result<Fields> parse(const Signature &signature, const std::string &completion) const override
    {
        return m_inner.parse(signature, completion);
    }
    ResponseFormat responseFormat() const override { return m_inner.responseFormat(); }

private:
    const Adapter &m_inner;
    const RecordingLm &m_lm;
    std::vector<std::size_t> &m_starts;
    std::vector<Fields> &m_inputs;
};

Json usageJson(const TokenUsage &usage)
{
    Json j = Json::object();
    j["prompt_tokens"] = usage.promptTokens ? Json(*usage.promptTokens) : Json(nullptr);
    j["completion_tokens"] = usage.completionTokens ? Json(*usage.completionTokens) : Json(nullptr);
    j["calls"] = usage.calls;
    return j;
}

Json errorJson(const std::optional<Error> &error)
{
    return error ? Json(error->describe()) : Json(nullptr);
}

Json callJson(const TracedCall &call)
{
    Json j = Json::object();
    Json messages = Json::array();
    for (const auto &m : call.messages)
        messages.push_back({{"role", m.role}, {"content", m.content}});
    j["messages"] = std::move(messages);
    j["completion"] = call.completion;
    j["usage"] = usageJson(call.usage);
    j["latency_ms"] = call.latencyMs;
    j["cache_hit"] = call.cacheHit;
    j["json_fallback"] = call.jsonFallback;
    j["error"] = errorJson(call.error);
    return j;
}

Json stageJson(const TracedStage &stage)
{
    Json j = Json::object();
    j["predictor"] = stage.predictor;
    j["kind"] = predictorKindName(stage.kind);
    j["inputs"] = toJson(stage.inputs);
    j["outputs"] = toJson(stage.outputs);
    if (!stage.reasoning.empty())
        j["reasoning"] = stage.reasoning;
    Json calls = Json::array();
    for (const auto &c : stage.calls)
        calls.push_back(callJson(c));
    j["calls"] = std::move(calls);
    j["error"] = errorJson(stage.error);
    return j;
}

// Cuts the recorded calls into stages at the marks the adapter left.
std::vector<TracedStage> buildStages(const Program &program, const ProgramTrace &programTrace,
                                     const std::vector<std::size_t> &starts, const std::vector<Fields> &inputs,
                                     std::vector<TracedCall> calls, const ExampleResult &result)
{
    std::vector<TracedStage> stages;
    for (std::size_t s = 0; s < starts.size() && s < program.predictors.size(); ++s) {
        const Predictor &predictor = program.predictors[s];
        TracedStage stage;
        stage.predictor = predictor.name;
        stage.kind = predictor.kind;
        stage.inputs = inputs[s];
        const std::size_t end = s + 1 < starts.size() ? starts[s + 1] : calls.size();
        for (std::size_t c = starts[s]; c < end && c < calls.size(); ++c) {
            calls[c].jsonFallback = c > starts[s];
            stage.calls.push_back(std::move(calls[c]));
        }
        if (s < programTrace.stages.size()) {
            stage.outputs = programTrace.stages[s].outputs;
            if (predictor.kind == PredictorKind::ChainOfThought)
                if (const Value *r = stage.outputs.find("reasoning"))
                    stage.reasoning = r->toText();
        } else if (result.prediction.error) {
            stage.error = result.prediction.error; // the stage that stopped the program
        }
        stages.push_back(std::move(stage));
    }
    return stages;
}

} // namespace

Result<ChatResponse> RecordingLm::complete(const ChatRequest &request)
{
    TracedCall call;
    call.messages = request.messages;
    const auto start = std::chrono::steady_clock::now();
    Result<ChatResponse> response = Error::make(ErrorKind::Internal, "no response");
    try {
        response = m_inner.complete(request);
    } catch (...) {
        // Recorded as runProgram will report it, then passed on unchanged.
        call.error = Error::make(ErrorKind::Internal, "the LM client threw");
        {
            std::lock_guard lock(m_mutex);
            m_calls.push_back(std::move(call));
        }
        throw;
    }
    call.latencyMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (response) {
        call.completion = response->choices.empty() ? std::string() : response->text();
        call.usage = response->usage;
        if (call.usage.calls == 0)
            call.usage.calls = 1;
        call.cacheHit = response->cacheHit;
    } else {
        call.error = response.error();
    }
    std::lock_guard lock(m_mutex);
    m_calls.push_back(std::move(call));
    return response;
}

std::size_t RecordingLm::callCount() const
{
    std::lock_guard lock(m_mutex);
    return m_calls.size();
}

std::vector<TracedCall> RecordingLm::takeCalls()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_calls, {});
}

JournalReplayLm::JournalReplayLm(LmIdentity identity, std::unordered_map<std::string, ChatResponse> answers)
    : m_identity(std::move(identity)), m_answers(std::move(answers))
{}

Result<std::unique_ptr<JournalReplayLm>> JournalReplayLm::open(RunStore &store, const std::string &runId,
                                                               LmIdentity identity)
{
    auto journal = store.journal(runId);
    if (!journal)
        return journal.error();
    std::unordered_map<std::string, ChatResponse> answers;
    for (auto &record : *journal)
        answers.emplace(record.requestKey, std::move(record.response));
    return std::make_unique<JournalReplayLm>(std::move(identity), std::move(answers));
}

Result<ChatResponse> JournalReplayLm::complete(const ChatRequest &request)
{
    const auto it = m_answers.find(cacheKey(m_identity, request));
    if (it == m_answers.end())
        return Error::make(ErrorKind::Config,
                           "run journal: the run never made this call (" + m_identity.provider + "/" + m_identity.model
                               + "); replay makes no new calls, so run the example again to trace it");
    ChatResponse response = it->second;
    response.cacheHit = true; // answered without a call
    return response;
}

std::string JournalReplayLm::describe() const
{
    return "journal replay of " + m_identity.provider + "/" + m_identity.model;
}

int ExampleTrace::cacheHits() const
{
    int hits = 0;
    for (const auto &s : stages)
        for (const auto &c : s.calls)
            hits += c.cacheHit ? 1 : 0;
    return hits;
}

double ExampleTrace::latencyMs() const
{
    double ms = 0.0;
    for (const auto &s : stages)
        for (const auto &c : s.calls)
            ms += c.latencyMs;
    return ms;
}

ExampleTrace traceExample(const Program &program, const Example &example, std::size_t index, Lm &lm,
                          const Adapter &adapter, const Metric &metric, const CallOptions &options,
                          const MetricSpec *spec)
{
    RecordingLm recorder(lm);
    std::vector<std::size_t> starts;
    std::vector<Fields> stageInputs;
    const StageMarkingAdapter marking(adapter, recorder, starts, stageInputs);

    ExampleTrace trace;
    trace.index = index;
    trace.inputs = example.inputs();
    trace.labels = example.labels();
    ProgramTrace programTrace;
    trace.result = evaluateExample(program, example, index, recorder, marking, metric, options, &programTrace);
    trace.stages = buildStages(program, programTrace, starts, stageInputs, recorder.takeCalls(), trace.result);
    if (spec && spec->kind == "composite" && !trace.result.error) {
        auto fields = scoreFields(*spec, program, example, trace.result.prediction);
        if (fields)
            trace.fieldScores = std::move(*fields);
    }
    trace.firstWrongStage = findFirstWrongStage(trace);
    return trace;
}

namespace {

std::vector<StageTrace> completedStages(const ExampleTrace &trace)
{
    std::vector<StageTrace> out;
    for (const TracedStage &stage : trace.stages)
        if (!stage.error)
            out.push_back(StageTrace{stage.predictor, stage.inputs, stage.outputs});
    return out;
}

} // namespace

std::string findFirstWrongStage(const ExampleTrace &trace, const ExampleTrace *passing)
{
    std::string failed;
    for (const TracedStage &stage : trace.stages)
        if (stage.error && failed.empty())
            failed = stage.predictor;
    if (failed.empty())
        failed = failedStageOf(trace.result.error);
    if (!passing)
        return firstWrongStage(completedStages(trace), trace.labels, failed);
    const std::vector<StageTrace> good = completedStages(*passing);
    return firstWrongStage(completedStages(trace), trace.labels, failed, &good);
}

void judgeAgainstPassing(ExampleTrace &trace, const ExampleTrace &passing, double passScore)
{
    if (!passing.result.score || *passing.result.score < passScore || passing.result.error)
        return;
    if (trace.result.score && *trace.result.score >= passScore)
        return; // nothing went wrong
    trace.firstWrongStage = findFirstWrongStage(trace, &passing);
    trace.judgedAgainstPassing = true;
}

std::string traceToJsonText(const ExampleTrace &trace)
{
    const ExampleResult &r = trace.result;
    Json j = Json::object();
    j["index"] = trace.index;
    j["inputs"] = toJson(trace.inputs);
    j["labels"] = toJson(trace.labels);
    j["prediction"] = toJson(r.prediction.values);
    j["score"] = r.score ? Json(*r.score) : Json(nullptr);
    j["feedback"] = r.feedback;
    j["error"] = errorJson(r.error);
    j["first_wrong_stage"] = trace.firstWrongStage.empty() ? Json(nullptr) : Json(trace.firstWrongStage);
    j["lm_calls"] = r.lmCalls;
    j["cache_hits"] = trace.cacheHits();
    j["latency_ms"] = trace.latencyMs();
    j["usage"] = usageJson(r.prediction.usage);
    Json fields = Json::array();
    for (const auto &f : trace.fieldScores)
        fields.push_back({{"field", f.field},
                          {"metric", f.metric},
                          {"weight", f.weight},
                          {"expected", toJson(f.expected)},
                          {"predicted", toJson(f.predicted)},
                          {"score", f.score},
                          {"feedback", f.feedback}});
    j["field_scores"] = std::move(fields);
    Json stages = Json::array();
    for (const auto &s : trace.stages)
        stages.push_back(stageJson(s));
    j["stages"] = std::move(stages);
    return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

} // namespace prism
