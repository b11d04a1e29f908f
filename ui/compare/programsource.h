#pragma once

// Where a compared or exported program comes from: the study itself, a run's
// artifact in the store, or a program file. Errors are the loaders' messages.
#include "core/program.h"
#include "core/result.h"

#include <QString>

namespace prism {
class RunStore;
}

// The run's artifact read against the study's program by the engine's one
// program loader (artifact/program_file.h); a different signature fails with
// its message.
prism::Result<prism::Program> loadRunProgram(prism::RunStore &store, const QString &runId,
                                             const prism::Program &studyProgram);

// A program file of either format, read by the same loader as `prism eval
// --program` and `prism compare`: they accept and refuse the same files.
prism::Result<prism::Program> loadProgramFromFile(const QString &path, const prism::Program &studyProgram);
