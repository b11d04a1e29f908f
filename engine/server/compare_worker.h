#pragma once

// What a worker does with a compare job it claimed: the run's study (its
// snapshot, with the files it was uploaded with, the model overrides it was
// started with and its use of the response cache) evaluates the job's two
// programs on the job's split.
#include "core/result.h"
#include "run/run_controller.h"
#include "server/compare_jobs.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace prism {

class RunStore;
class Scheduler;

struct CompareWorkOptions {
    std::optional<int> threads; // default: the study's eval.threads
    std::shared_ptr<Scheduler> scheduler;
    MetricFactory metricFactory;
    const std::atomic<bool> *cancel = nullptr;
    // An empty directory of the caller's (who removes it) where the run's
    // uploaded files are written for the job.
    std::string filesDir;
};

// The job's result as stored and served: {"comparison": <prism compare
// --json>, "calls": <the two evaluations' ledger totals>}. An error is the
// job's failure, one line; a Cancelled error means it was stopped (hand it
// back to the queue).
Result<std::string> runCompareJob(RunStore &store, const CompareJob &job, const CompareWorkOptions &options);

} // namespace prism
