#pragma once

// LLM-as-judge metrics (study metric kind "judge"). The metric layer knows no
// model: it asks a Judge, which the layer above builds on a model and an
// adapter (eval/lm_judge.h). What the metric adds around the judge: the
// cheaper field metrics tried first, the pass threshold in the feedback, and a
// memo so one (rubric, inputs, response, reference) is judged once per metric.

#include "core/result.h"
#include "metric/metric.h"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace prism {

// What the judge is shown: each part as "name: value" lines.
struct JudgeRequest {
    std::string rubric;
    std::string inputs;                   // the example's inputs
    std::string response;                 // the program's final outputs
    std::optional<std::string> reference; // the label of the reference field, when the spec names one
};

struct JudgeVerdict {
    double score = 0.0; // in [0, 1]
    std::string reason;
};

// Thread-safe: the metric calls it from the evaluator's threads.
class Judge {
public:
    virtual ~Judge() = default;
    // An error for a failed call or an answer without a score in [0, 1].
    virtual Result<JudgeVerdict> judge(const JudgeRequest &request) const = 0;
    virtual std::string describe() const = 0; // e.g. "judge simlm/sim-small"
};

// The judge metric of a study. `cheap` is the composite metric of
// spec.fields, or null when the spec lists none.
class JudgeMetric final : public Metric {
public:
    JudgeMetric(JudgeSpec spec, std::vector<std::string> responseFields, std::unique_ptr<Metric> cheap,
                std::shared_ptr<const Judge> judge);

    Result<MetricResult> score(const Example &example, const Prediction &prediction) const override;
    std::string describe() const override;

    // The request the judge gets for this example and prediction (exposed for
    // the tests and the Metric page's preview).
    Result<JudgeRequest> requestFor(const Example &example, const Prediction &prediction) const;
    // Judge calls made by this metric (memo hits are not calls).
    long long judgeCalls() const;

private:
    std::optional<MetricResult> cheapVerdict(const MetricResult &cheap) const;

    JudgeSpec m_spec;
    std::vector<std::string> m_responseFields;
    std::unique_ptr<Metric> m_cheap;
    std::shared_ptr<const Judge> m_judge;
    mutable std::mutex m_mutex;
    mutable std::map<std::string, JudgeVerdict> m_memo;
    mutable long long m_calls = 0;
};

// The feedback line of a verdict: "pass (judge 0.80, passes at 0.50): reason".
std::string judgeFeedback(const JudgeVerdict &verdict, double passThreshold);

} // namespace prism
