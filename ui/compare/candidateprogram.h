#pragma once

// The programs a run tried, beyond the one it picked (issue 14's grid: "any
// candidates"): each configuration the run evaluated on the full split, built
// from the run's own events (its proposed instructions and demo sets) over
// the program in the run's study snapshot, exactly as the optimizer built it.
#include "core/program.h"
#include "core/result.h"
#include "events/events.h"

#include <QString>

#include <vector>

namespace prism {
class RunStore;
}

struct RunCandidate {
    QString runId;
    QString label; // "r-... trial 6 · instr 2 · demos 1"
    std::vector<prism::ConfigChoice> config;
    double score = 0.0; // percent, on the run's selection split
};

// The fully evaluated configurations of a run, best first, one per config.
prism::Result<std::vector<RunCandidate>> runCandidates(prism::RunStore &store, const QString &runId);

// The program of one configuration of the run. An instruction or demo set
// index the run never announced is an error naming the predictor.
prism::Result<prism::Program> candidateProgram(prism::RunStore &store, const RunCandidate &candidate);
