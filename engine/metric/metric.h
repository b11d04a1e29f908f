#pragma once

#include "core/example.h"
#include "core/program.h"
#include "core/result.h"
#include "core/study.h"

#include <memory>
#include <string>

namespace prism {

struct MetricResult {
    double score = 0.0; // in [0, 1]
    std::string feedback;
};

// Scores one prediction against its example. Thread-safe: the evaluator
// calls it from several threads at once.
class Metric {
public:
    virtual ~Metric() = default;
    virtual Result<MetricResult> score(const Example &example, const Prediction &prediction) const = 0;
    virtual std::string describe() const = 0;
};

// A metric that could not be built, said once: the builders' own messages
// name the study key ("metric: ...", "metric.fields[0].pattern: ..."); any
// other gets "metric: " in front. A non-empty `where` (the study) goes first.
Error metricBuildError(const Error &error, const std::string &where = "");

} // namespace prism
