#pragma once

// Evaluating two programs on the same examples and comparing them (what
// `prism compare` does), as a job the Compare page runs off the UI thread.
// Plain C++ apart from QString labels, so it is testable without widgets.
#include "core/program.h"
#include "core/result.h"
#include "core/study.h"
#include "eval/compare.h"
#include "eval/evaluator.h"
#include "lm/ledger.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace prism {
struct CallServices;
}

// Both reports and their comparison. The Comparison points into the reports,
// which live on the heap: moving or copying the outcome keeps it valid.
struct ComparisonOutcome {
    std::shared_ptr<const prism::EvalReport> reportA;
    std::shared_ptr<const prism::EvalReport> reportB;
    prism::Comparison comparison;         // B minus A
    std::vector<std::string> shownFields; // the fields the metric reads (else the program's outputs)
};

// The fields a comparison shows: those the metric scores, else the last
// stage's outputs (as `prism compare` does).
std::vector<std::string> comparisonFields(const prism::Study &study);

// One comparison: build the study's models, adapter and metric, evaluate
// program A then B (once when they are equal) on the examples, compare.
// run() blocks; cancel() may be called from any thread and makes run()
// return a Cancelled error soon (calls in flight finish).
class ComparisonJob {
public:
    ComparisonJob(prism::Study study, std::vector<prism::Example> examples, prism::Program a, prism::Program b);
    ~ComparisonJob();
    ComparisonJob(const ComparisonJob &) = delete;
    ComparisonJob &operator=(const ComparisonJob &) = delete;

    prism::Result<ComparisonOutcome> run();
    void cancel();
    bool cancelled() const { return m_cancel.load(); }
    // Examples evaluated so far over both programs, and the total to do.
    int done() const { return m_done.load(); }
    int total() const { return m_total; }
    // The job's model calls by role, once run() returned (also after a cancel).
    std::map<std::string, prism::LedgerTotals> ledgerByRole() const;

private:
    prism::Study m_study;
    std::vector<prism::Example> m_examples;
    prism::Program m_a;
    prism::Program m_b;
    int m_total = 0;
    std::atomic<bool> m_cancel{false};
    std::atomic<int> m_done{0};
    mutable std::mutex m_mutex;                      // guards m_services and m_ledgerByRole
    std::shared_ptr<prism::CallServices> m_services; // set while models exist, to wake waiting calls on cancel
    std::map<std::string, prism::LedgerTotals> m_ledgerByRole; // guarded by m_mutex
};

// Where the words of a comparison say whether the interval excludes 0.
QString comparisonVerdict(const prism::Comparison &comparison);
// "+21.33" points, signed with two decimals.
QString signedPoints(double points);

struct CompareSummary;
// The display summary of an outcome (flips with their texts).
CompareSummary summarizeComparison(const ComparisonOutcome &outcome, const QString &labelA, const QString &labelB,
                                   const QString &split);
// "name: value · name: value" for the given fields (all fields when empty).
QString fieldsText(const prism::Fields &values, const std::vector<std::string> &fields = {});
// The prediction of one side as text: its shown fields, or "error: ..." when it errored.
QString predictionText(const prism::ExampleResult *result, const std::vector<std::string> &fields);
