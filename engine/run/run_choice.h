#pragma once

// Any configuration a run evaluated, as a program, and made the run's program
// instead of the optimizer's pick (issue 16 item 5: users ask for this when the
// selection rule is opaque). The run records who chose: a program_chosen event
// and the artifact's prism block.
#include "core/program.h"
#include "core/result.h"
#include "events/events.h"

#include <string>
#include <vector>

namespace prism {

class RunStore;

// The program of one configuration of the run, built from the run's own
// events (its proposed instructions and demo sets) over the program in the
// run's study snapshot, exactly as the optimizer built it. An instruction or
// demo set index the run never announced is an error naming the predictor.
Result<Program> programOfConfig(RunStore &store, const std::string &runId, const std::vector<ConfigChoice> &config);

// Makes `config` the finished run's program: its artifact is rewritten with
// that program (the selection score is the config's full evaluation; the
// test comparison, made of the replaced program, is dropped) and a
// program_chosen event naming `by` and the replaced configuration is
// appended. Returns the event. Refused for a run that is not finished.
Result<ProgramChosenEvent> chooseRunProgram(RunStore &store, const std::string &runId,
                                            const std::vector<ConfigChoice> &config, const std::string &by);

} // namespace prism
