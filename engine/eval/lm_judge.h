#pragma once

// The Judge of a judge metric made of a model and an adapter: Prism's own
// judge signature (rubric, inputs, reference, response -> reason, score),
// rendered by the study's adapter like any predictor and sent with role
// "judge", so the ledger, the cache, budgets and the run's journal treat the
// judge's calls like every other call.

#include "adapter/adapter.h"
#include "adapter/predict.h"
#include "metric/judge.h"

#include <memory>

namespace prism {

// The judge's signature; `withReference` adds the reference input.
Signature judgeSignature(bool withReference);

// Null when the spec is not a judge metric (the metric needs no judge).
// Calls go with role "judge" and the judge model's temperature and max tokens.
std::shared_ptr<const Judge> makeLmJudge(const MetricSpec &spec, std::shared_ptr<Lm> lm, AdapterKind adapter,
                                         const ModelConfig &judgeModel);

} // namespace prism
