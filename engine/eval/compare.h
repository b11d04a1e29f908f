#pragma once

// Baseline vs optimized on the same examples (DESIGN.md §7, "Compare"):
// both scores, the paired difference with a bootstrap interval, and the
// examples whose outcome changed.
#include "core/json.h"
#include "eval/evaluator.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prism {

struct CompareOptions {
    int resamples = 10000;
    std::uint64_t seed = 0; // the resampling PRNG's seed; same seed, same interval
    double confidence = 0.95;
    double correctThreshold = 0.999; // a score at or above this counts as correct
};

// One example whose outcome differs between the two programs.
struct ExampleChange {
    std::size_t index = 0;                   // dataset index
    const ExampleResult *baseline = nullptr; // points into the compared reports
    const ExampleResult *optimized = nullptr;
    std::optional<double> baselineScore;
    std::optional<double> optimizedScore;
};

struct Comparison {
    double baselineScore = 0.0; // percent over the examples both programs scored
    double optimizedScore = 0.0;
    double difference = 0.0; // optimized - baseline, percentage points
    double ciLow = 0.0;      // paired bootstrap percentile interval of the difference
    double ciHigh = 0.0;
    double confidence = 0.95;
    int resamples = 0;
    std::size_t paired = 0;           // examples scored by both
    double baselineReportScore = 0.0; // each report's own score (its scored examples)
    double optimizedReportScore = 0.0;
    std::vector<ExampleChange> fixed;            // baseline wrong -> optimized correct
    std::vector<ExampleChange> broken;           // baseline correct -> optimized wrong
    std::vector<ExampleChange> changed;          // other score changes (partial scores)
    std::vector<ExampleChange> erroredBaseline;  // errored with the baseline
    std::vector<ExampleChange> erroredOptimized; // errored with the optimized program
};

// Pairs the results by dataset index. A Data error when the two reports
// share no scored example.
Result<Comparison> compareReports(const EvalReport &baseline, const EvalReport &optimized,
                                  const CompareOptions &options = {});

// The comparison as `prism compare --json` prints it and the API's compare
// jobs return it: scores, the interval, every flip with its inputs, expected
// values, both predictions and the metric's feedback, and the errors.
Json comparisonToJson(const Comparison &comparison, const std::string &split);

} // namespace prism
