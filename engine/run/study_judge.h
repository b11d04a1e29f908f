#pragma once

#include "metric/judge.h"
#include "modelsetup/lm_setup.h"

#include <memory>

namespace prism {

// The judge of a study's judge metric: its judge model from the set (with that
// model's temperature and max tokens) and the study's adapter. Null when the
// metric is not a judge metric. Every front end that builds a study's metric
// next to its models (eval, optimize, compare, the studio's jobs) passes this
// to the metric factory.
std::shared_ptr<const Judge> studyJudge(const Study &study, const ModelSet &models);

} // namespace prism
