#pragma once

// Two programs on one split of a study (`prism compare`, the team server's
// compare jobs): the study's data, models and metric are set up once, then
// both programs are evaluated on the same examples and paired.
#include "data/dataset.h"
#include "eval/compare.h"
#include "lm/ledger.h"
#include "modelsetup/lm_setup.h"
#include "run/run_controller.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace prism {

class Adapter;

struct StudyCompareOptions {
    std::string split = "test"; // train, val or test
    ModelOverrides overrides;
    bool useCache = true;
    int threads = 8;
    const std::atomic<bool> *cancel = nullptr;
    std::shared_ptr<Scheduler> scheduler; // a worker's shared one; null: its own
    MetricFactory metricFactory;
    std::string where; // names the study in its errors (its path); may be empty
    // Said before each evaluation ("evaluating the baseline on 40 test examples").
    std::function<void(const std::string &)> progress;
};

// Everything both evaluations share. Errors here are the study's (data,
// models, metric, an endpoint that cannot work): nothing was evaluated yet.
struct ComparisonSetup {
    StudyData data;
    ModelSet models;
    std::unique_ptr<Metric> metric;
    std::unique_ptr<Adapter> adapter;
    StudyCompareOptions options;

    // The split of data the options chose.
    const Dataset &split() const;

    ComparisonSetup();
    ~ComparisonSetup();
    ComparisonSetup(ComparisonSetup &&) noexcept;
    ComparisonSetup &operator=(ComparisonSetup &&) noexcept;
};

Result<ComparisonSetup> prepareComparison(const Study &study, StudyCompareOptions options);

// The reports the comparison points into travel with it.
struct StudyComparison {
    std::unique_ptr<EvalReport> baseline;
    std::unique_ptr<EvalReport> candidate; // null when the two programs are equal (baseline is both)
    Comparison comparison;
    LedgerTotals calls; // what the two evaluations cost (cache hits included, at no cost)
};

// How two programs are evaluated on the same examples.
struct ProgramPairOptions {
    int threads = 8;
    const std::atomic<bool> *cancel = nullptr;
    std::function<void(const ExampleResult &)> onResult; // from worker threads, after each example
    std::function<void(const std::string &)> progress;   // before each evaluation
    std::string examplesName = "examples";               // "test examples", in the progress line
};

// Both programs on one worker pool (the second evaluation reuses the first's
// threads, connections and JS engines; an equal candidate is evaluated once),
// then paired: what `prism compare`, the compare jobs and the studio's Compare
// page share. A Cancelled error when stopped before every example ran; a Data
// error when the two share no scored example. `calls` is left to the caller,
// who owns the models.
Result<StudyComparison> evaluateProgramPair(Lm &task, const ModelConfig &taskConfig, const Adapter &adapter,
                                            const Metric &metric, const std::vector<Example> &examples,
                                            const Program &baseline, const Program &candidate,
                                            const ProgramPairOptions &options);

// Evaluates both programs on the setup's split (evaluateProgramPair) and
// pairs them. A Cancelled error when stopped before every example ran; a
// Data error when the two share no scored example.
Result<StudyComparison> runComparison(ComparisonSetup &setup, const Program &baseline, const Program &candidate);

} // namespace prism
