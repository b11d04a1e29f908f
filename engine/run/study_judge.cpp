#include "run/study_judge.h"

#include "eval/lm_judge.h"

namespace prism {

std::shared_ptr<const Judge> studyJudge(const Study &study, const ModelSet &models)
{
    return makeLmJudge(study.metric, models.judge, study.eval.adapter, models.judgeConfig);
}

} // namespace prism
