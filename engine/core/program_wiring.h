#pragma once

// How the stages of a program are wired, by name, as runProgram reads them:
// a stage's input is the output of the latest earlier stage that writes that
// name, else the example's field of that name. The Program page draws this
// and flags what cannot work before anything runs.
#include "core/program.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace prism {

enum class InputSource {
    Example,    // a field of each row
    Stage,      // an earlier stage's output
    LaterStage, // only a later stage writes it: a mistake (the row's column would be read instead)
    Missing,    // no earlier stage writes it and the dataset has no such column
};

struct WiredInput {
    std::string field;
    InputSource source = InputSource::Example;
    int stage = -1; // the stage that writes it (Stage, LaterStage); -1 otherwise
};

struct StageWiring {
    std::vector<WiredInput> inputs;
    std::vector<std::string> problems; // what cannot work, one sentence each
};

struct ProgramWiring {
    std::vector<std::string> exampleFields; // the example fields the stages read, in first-use order
    std::vector<StageWiring> stages;        // one per predictor
    bool ok() const;
    // Every problem as "stage 'name': problem", in stage order.
    std::vector<std::string> problems(const Program &program) const;
};

// The wiring of `program`. `columns`, when known, are the dataset's columns:
// an example field not among them is Missing. Problems: a stage with no
// inputs or no outputs, an input only a later stage writes or that is
// missing, an output another stage also writes, an output named like an
// example field another stage reads (the row's value would win), an input
// the stage also writes, and (with the columns) a last-stage output the
// dataset has no label column for.
ProgramWiring wireProgram(const Program &program, const std::optional<std::vector<std::string>> &columns);

} // namespace prism
