#pragma once

#include "core/value.h"
#include "metric/metric.h"

#include <memory>
#include <string>
#include <vector>

namespace prism {

// Per-value scores in [0, 1]. Lists are compared as sets by jaccard.
double exactMatch(const Value &expected, const Value &predicted);
double normalizedExactMatch(const Value &expected, const Value &predicted); // case, punctuation, articles, whitespace
double tokenF1(const Value &expected, const Value &predicted);              // SQuAD-style
double setJaccard(const Value &expected, const Value &predicted);           // both empty = 1
double numericMatch(const Value &expected, const Value &predicted, double tolerance);
double containsMatch(const Value &expected, const Value &predicted); // predicted text contains expected
Result<double> regexMatch(const std::string &pattern, const Value &predicted);

// One output field scored on its own, as the composite metric scores it.
struct FieldScore {
    std::string field;
    std::string metric;
    double weight = 0.0; // normalized: the weights of a composite metric sum to 1
    Value expected;
    Value predicted;
    double score = 0.0;
    std::string feedback;
};

// Each field of a composite metric spec, scored the way makeMetric's metric
// scores it (its score is the weighted sum of these). A Config error for a
// spec makeMetric would refuse; a script metric has no fields to score.
Result<std::vector<FieldScore>> scoreFields(const MetricSpec &spec, const Program &program, const Example &example,
                                            const Prediction &prediction);

// The composite metric of a study: a weighted mean of one built-in per output
// field. Checks that every field exists and every metric name is known.
Result<std::unique_ptr<Metric>> makeMetric(const MetricSpec &spec, const Program &program);

} // namespace prism
