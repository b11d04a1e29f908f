#include "adapter/predict.h"

#include "adapter/json_adapter.h"

#include <exception>

namespace prism {

namespace {

struct Attempt {
    std::optional<Fields> outputs;
    std::optional<Error> error;
    bool lmFailed = false; // the error came from the LM, not from parsing
};

Attempt attempt(const Predictor &predictor, const Signature &signature, const Fields &inputs, Lm &lm,
                const Adapter &adapter, const CallOptions &options, PredictorCall &call)
{
    ChatRequest request;
    request.messages = adapter.format(signature, predictor.demos, inputs);
    request.temperature = options.temperature;
    request.maxTokens = options.maxTokens;
    request.seed = options.seed;
    request.rollout = options.rollout;
    request.role = options.role;
    request.responseFormat = adapter.responseFormat();

    Attempt out;
    Result<ChatResponse> response = Error::make(ErrorKind::Internal, "no response");
    try {
        response = lm.complete(request);
    } catch (const std::exception &e) {
        response = Error::make(ErrorKind::Internal, std::string("the LM client threw: ") + e.what());
    }
    ++call.lmCalls;
    if (!response) {
        out.error = response.error();
        out.lmFailed = true;
        return out;
    }
    TokenUsage usage = response->usage;
    if (usage.calls == 0)
        usage.calls = 1;
    call.usage.add(usage);
    call.rawCompletion = response->text();

    Result<Fields> parsed = adapter.parse(signature, call.rawCompletion);
    if (parsed)
        out.outputs = std::move(*parsed);
    else
        out.error = parsed.error();
    return out;
}

// The predictor's outputs in the order of its effective signature, then any
// others in the order parsed (a parse gives each output once).
Fields orderedOutputs(const Predictor &predictor, const Fields &outputs)
{
    Fields ordered;
    for (const Field &f : predictor.effectiveSignature().outputs)
        if (const Value *v = outputs.find(f.name))
            ordered.set(f.name, *v);
    for (const auto &[name, value] : outputs)
        if (!ordered.contains(name))
            ordered.set(name, value);
    return ordered;
}

Error withMessage(Error error, std::string message)
{
    error.message = std::move(message);
    return error;
}

// `label` says who failed in the error message: "predictor 'x'" or "stage 'x'".
PredictorCall runLabelled(const Predictor &predictor, const Fields &inputs, Lm &lm, const Adapter &adapter,
                          const CallOptions &options, const std::string &label)
{
    PredictorCall call;
    Signature signature = predictor.effectiveSignature();
    // DSPy's default instruction names the declared outputs, not `reasoning`.
    if (signature.instruction.empty())
        signature.instruction = Signature::defaultInstruction(predictor.signature.inputs, predictor.signature.outputs);

    Attempt first = attempt(predictor, signature, inputs, lm, adapter, options, call);
    if (first.outputs) {
        call.outputs = std::move(*first.outputs);
        return call;
    }
    const Error &error = *first.error;
    if (first.lmFailed) {
        call.error = withMessage(error, label + ": LM call failed: " + error.message);
        return call;
    }
    const bool fallback = options.jsonFallback && error.kind == ErrorKind::Parse && adapter.kind() == AdapterKind::Chat;
    if (!fallback) {
        call.error = withMessage(error, label + ": " + error.message);
        return call;
    }

    call.usedFallback = true;
    const JsonAdapter json;
    Attempt second = attempt(predictor, signature, inputs, lm, json, options, call);
    if (second.outputs) {
        call.outputs = std::move(*second.outputs);
        return call;
    }
    const Error &retryError = *second.error;
    if (second.lmFailed)
        call.error =
            withMessage(retryError, label + ": " + error.message
                                        + "; the JSONAdapter retry then failed: LM call failed: " + retryError.message);
    else
        call.error = withMessage(retryError, label + ": " + error.message
                                                 + "; the JSONAdapter retry also failed: " + retryError.message);
    return call;
}

} // namespace

PredictorCall runPredictor(const Predictor &predictor, const Fields &inputs, Lm &lm, const Adapter &adapter,
                           const CallOptions &options)
{
    return runLabelled(predictor, inputs, lm, adapter, options, "predictor '" + predictor.name + "'");
}

Prediction runProgram(const Program &program, const Fields &inputs, Lm &lm, const Adapter &adapter,
                      const CallOptions &options, ProgramTrace *trace)
{
    Prediction prediction;
    if (program.predictors.empty()) {
        prediction.error = Error::make(ErrorKind::Config, "the program has no predictors");
        return prediction;
    }
    for (const auto &predictor : program.predictors) {
        const std::string label = "stage '" + predictor.name + "'";
        StageTrace stage;
        stage.predictor = predictor.name;
        for (const auto &field : predictor.signature.inputs) {
            const Value *v = inputs.find(field.name);
            if (!v)
                v = prediction.values.find(field.name);
            if (!v) {
                prediction.error = Error::make(
                    ErrorKind::Data, label + ": input `" + field.name
                                         + "` is missing: it is not in the example and no earlier stage produces it");
                return prediction;
            }
            stage.inputs.set(field.name, *v);
        }
        PredictorCall call = runLabelled(predictor, stage.inputs, lm, adapter, options, label);
        if (trace)
            trace->lmCalls += call.lmCalls;
        prediction.usage.add(call.usage);
        if (call.lmCalls > 0)
            prediction.rawCompletion = call.rawCompletion;
        if (call.error) {
            prediction.error = std::move(call.error);
            return prediction;
        }
        stage.outputs = orderedOutputs(predictor, call.outputs);
        for (const auto &[name, value] : stage.outputs)
            prediction.values.set(name, value);
        if (trace)
            trace->stages.push_back(std::move(stage));
    }
    return prediction;
}

} // namespace prism
