#pragma once

#include "core/example.h"
#include "core/program.h"
#include "core/study.h"
#include "engine/spendtracker.h"

#include <cstddef>
#include <functional>
#include <optional>

class TraceDialog;

// Traces one example by running it again on the study's task model, with the
// study's adapter and metric, in the dialog's background thread. The models
// use the response cache, so an example evaluated before costs nothing and
// its calls show as cache hits.
// onSpent, when given, gets the calls the trace made (by role) once it is on
// screen, for the session's spend in the status bar. `other`, when given, is
// a second program (the other side of a comparison): when the traced program
// got the example wrong, `other` runs on it too, and if it passed, the first
// stage that went wrong is judged against its run (prism::judgeAgainstPassing).
void startRerunTrace(TraceDialog *dialog, prism::Study study, prism::Program program, prism::Example example,
                     std::size_t index, std::function<void(const SpendByRole &)> onSpent = {},
                     std::optional<prism::Program> other = std::nullopt);
