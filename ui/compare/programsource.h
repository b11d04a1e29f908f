#pragma once

// Where a compared or exported program comes from: the study itself, a run's
// artifact in the store, or a program file. Errors are the loaders' messages.
#include "core/program.h"
#include "core/result.h"

#include <QString>

namespace prism {
class RunStore;
}

// The run's DSPy artifact read against the study's program (fields matched
// by position; a different signature fails with the loader's message).
prism::Result<prism::Program> loadRunProgram(prism::RunStore &store, const QString &runId, const prism::Program &studyProgram);

// A program file: DSPy's saved format (what runs write), or Prism's own
// {"predictors": [...]} whose predictors must match the study's by name and
// fields.
prism::Result<prism::Program> loadProgramFromFile(const QString &path, const prism::Program &studyProgram);
