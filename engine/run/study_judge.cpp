#include "run/study_judge.h"

#include "eval/lm_judge.h"

namespace prism {

std::shared_ptr<const Judge> studyJudge(const Study &study, const ModelSet &models)
{
    CallOptions call;
    call.temperature = models.judgeConfig.temperature;
    call.maxTokens = models.judgeConfig.maxTokens;
    return makeLmJudge(study.metric, models.judge, study.eval.adapter, call);
}

} // namespace prism
