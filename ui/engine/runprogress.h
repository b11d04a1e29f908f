#pragma once

#include "run/events.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Where a run stands, folded from its events (docs/RUNS.md): the phase, the
// trials finished, the best validation score so far and, once it ended, the
// stop reason. Plain C++; the Run page's status line reads it.
struct RunProgress {
    std::string runId;
    std::string optimizer;
    std::string phase;            // bootstrap, propose, search, final; empty before the first
    int trialsDone = 0;           // trial_finished events, failed trials included
    int failedTrials = 0;
    int fullEvals = 0;
    int candidates = 0;           // instruction candidates proposed
    std::optional<double> baselineScore; // percent
    std::optional<double> bestScore;     // percent
    std::string lastWarning;
    bool finished = false;
    std::string stopReason;       // set by run_finished
    std::uint64_t lastSeq = 0;

    void apply(const prism::RunEvent &event);
    void apply(const std::vector<prism::RunEvent> &events);
};
