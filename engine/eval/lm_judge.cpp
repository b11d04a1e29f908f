#include "eval/lm_judge.h"

#include <spdlog/fmt/fmt.h>

#include <cmath>

namespace prism {

namespace {

class LmJudge final : public Judge {
public:
    LmJudge(std::shared_ptr<Lm> lm, AdapterKind adapter, CallOptions call, bool withReference)
        : m_lm(std::move(lm)), m_adapter(makeAdapter(adapter)), m_call(std::move(call))
    {
        m_predictor.name = "judge";
        m_predictor.signature = judgeSignature(withReference);
    }

    Result<JudgeVerdict> judge(const JudgeRequest &request) const override
    {
        Fields inputs{{"rubric", request.rubric}, {"task_inputs", request.inputs}};
        if (request.reference)
            inputs.set("reference", *request.reference);
        inputs.set("response", request.response);
        const PredictorCall answer = runPredictor(m_predictor, inputs, *m_lm, *m_adapter, m_call);
        if (answer.error)
            return Error::make(answer.error->kind, "judge: " + answer.error->message);
        const Value &score = answer.outputs.get("score");
        if (!score.isNumber() || !std::isfinite(score.asNumber()) || score.asNumber() < 0.0 || score.asNumber() > 1.0)
            return Error::make(ErrorKind::Parse,
                               fmt::format("judge: the score '{}' is not a number from 0 to 1", score.toText()));
        return JudgeVerdict{score.asNumber(), answer.outputs.get("reason").toText()};
    }

    std::string describe() const override { return "judge " + m_lm->describe(); }

private:
    std::shared_ptr<Lm> m_lm;
    std::unique_ptr<Adapter> m_adapter;
    CallOptions m_call;
    Predictor m_predictor;
};

} // namespace

Signature judgeSignature(bool withReference)
{
    Signature s;
    s.instruction = "Judge how well the response does the task the rubric describes. When a reference answer is "
                    "given, compare the response with it: what the reference says and the response lacks counts "
                    "against it. Give the reason first, then a score from 0.0 (fails the rubric) to 1.0 (fully meets "
                    "it).";
    s.inputs.push_back(stringField("rubric", "What a good response does."));
    s.inputs.push_back(stringField("task_inputs", "The inputs the response was produced from."));
    if (withReference)
        s.inputs.push_back(stringField("reference", "A correct answer to compare with."));
    s.inputs.push_back(stringField("response", "The response to judge."));
    s.outputs.push_back(stringField("reason", "What the response gets right and what it misses, in one or two "
                                              "sentences."));
    Field score;
    score.name = "score";
    score.type = Type::floating();
    score.description = "How well the response meets the rubric, from 0.0 to 1.0.";
    s.outputs.push_back(score);
    return s;
}

std::shared_ptr<const Judge> makeLmJudge(const MetricSpec &spec, std::shared_ptr<Lm> lm, AdapterKind adapter,
                                         const ModelConfig &judgeModel)
{
    if (spec.kind != "judge" || !lm)
        return nullptr;
    CallOptions call;
    call.temperature = judgeModel.temperature;
    call.maxTokens = judgeModel.maxTokens;
    call.role = "judge";
    return std::make_shared<LmJudge>(std::move(lm), adapter, std::move(call), !spec.judge.referenceField.empty());
}

} // namespace prism
