#pragma once

#include "core/example.h"
#include "core/program.h"
#include "core/study.h"

#include <cstddef>

class TraceDialog;

// Traces one example by running it again on the study's task model, with the
// study's adapter and metric, in the dialog's background thread. The models
// use the response cache, so an example evaluated before costs nothing and
// its calls show as cache hits.
void startRerunTrace(TraceDialog *dialog, prism::Study study, prism::Program program, prism::Example example,
                     std::size_t index);
