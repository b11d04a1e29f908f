#pragma once

#include "core/value.h"
#include "metric/judge.h"
#include "metric/metric.h"

#include <memory>
#include <optional>
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

// What an answer lacks and adds, computed the way setJaccard scores it (both
// sides as sets; null is the empty set, a scalar a set of one), so the
// feedback names exactly what cost the score. In first-seen order.
struct ItemDifference {
    std::vector<Value> missing; // expected, not predicted
    std::vector<Value> extra;   // predicted, not expected
};
ItemDifference setDifference(const Value &expected, const Value &predicted);

// The words tokenF1 did not match, after the normalization it scores with
// (lowercase, no punctuation, no articles). Counted as f1 counts them: a word
// the label has twice and the answer once is missing once.
struct WordDifference {
    std::vector<std::string> missing; // label words the answer lacks
    std::vector<std::string> extra;   // answer words the label lacks
};
WordDifference tokenDifference(const Value &expected, const Value &predicted);

// The number numericMatch reads from a value: a number as it is, a string
// that is a number, else the last number in the text; none when there is none.
std::optional<double> numberIn(const Value &v);

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

// The metric of a study built from the engine's parts: the composite metric (a
// weighted mean of one built-in per output field; every field must exist and
// every metric name be known), or the judge metric, which needs `judge`
// (a Config error without one) and tries the spec's fields first when it has any.
Result<std::unique_ptr<Metric>> makeMetric(const MetricSpec &spec, const Program &program,
                                           std::shared_ptr<const Judge> judge = nullptr);

} // namespace prism
