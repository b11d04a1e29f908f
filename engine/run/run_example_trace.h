#pragma once

// One example of a past run's trial, traced again from the run's call journal:
// the program of the trial's config, the example as the run stored it, the
// run's task model; every answer comes from the journal, none from a new call.
#include "core/example.h"
#include "core/program.h"
#include "core/result.h"
#include "core/study.h"
#include "run/example_trace.h"

#include <memory>
#include <optional>
#include <string>

namespace prism {

class Judge;
class Metric;
class RunStore;

struct RunExampleSetup {
    Study study;     // the run's snapshot
    Program program; // the study's program with the trial config's instructions and demos
    Example example;
    int exampleIndex = 0;
    ModelConfig taskConfig;  // after the run's model overrides
    ModelConfig judgeConfig; // a judge metric's model, resolved as setupModels resolves it
    // What the run recorded for this (config, example).
    Fields storedPrediction;
    std::optional<double> storedScore;
    int storedCalls = 0;
};

// Rebuilds what the run evaluated for (configKey, exampleIndex). An error
// names the run and what is missing (e.g. a run recorded before examples were
// stored with their results).
Result<RunExampleSetup> prepareRunExample(RunStore &store, const std::string &runId, const std::string &configKey,
                                          int exampleIndex);

// Traces the example with answers from the run's journal only. A call the
// run never made is an error in the trace, never a call.
Result<ExampleTrace> replayRunExample(RunStore &store, const std::string &runId, const RunExampleSetup &setup,
                                      const Metric &metric);

// The judge of the run's judge metric, answering from the run's journal only
// (null when the metric has no judge): the metric to pass replayRunExample.
Result<std::shared_ptr<const Judge>> replayJudge(RunStore &store, const std::string &runId,
                                                 const RunExampleSetup &setup);

} // namespace prism
