#pragma once

#include "core/value.h"
#include "metric/metric.h"

#include <memory>
#include <string>

namespace prism {

// Per-value scores in [0, 1]. Lists are compared as sets by jaccard.
double exactMatch(const Value &expected, const Value &predicted);
double normalizedExactMatch(const Value &expected, const Value &predicted); // case, punctuation, articles, whitespace
double tokenF1(const Value &expected, const Value &predicted);              // SQuAD-style
double setJaccard(const Value &expected, const Value &predicted);           // both empty = 1
double numericMatch(const Value &expected, const Value &predicted, double tolerance);
double containsMatch(const Value &expected, const Value &predicted); // predicted text contains expected
Result<double> regexMatch(const std::string &pattern, const Value &predicted);

// The composite metric of a study: a weighted mean of one built-in per output
// field. Checks that every field exists and every metric name is known.
Result<std::unique_ptr<Metric>> makeMetric(const MetricSpec &spec, const Program &program);

} // namespace prism
