#pragma once

// The edits the Program page makes to a study's stages, as plain functions:
// each returns the edited study (the metric follows where it must), or an
// error that says why the edit cannot be made. The page pushes the result on
// its undo stack; nothing here knows about Qt.
#include "core/result.h"
#include "core/study.h"

#include <cstddef>
#include <string>
#include <vector>

namespace prism {

struct StageEdit {
    Study study;
    std::size_t stage = 0; // the stage to show after the edit
};

// A new stage before stage `at`: it reads what stage `at` reads and writes a
// new free-text field that stage `at` then reads too, so the program works
// at once and the last stage's labels do not change.
Result<StageEdit> addStageBefore(const Study &study, std::size_t at);
// A new stage after stage `at`: it reads stage `at`'s outputs and writes a new
// free-text field. After the last stage its output becomes the label the
// dataset must have (the Program page flags it until a field is moved there).
Result<StageEdit> addStageAfter(const Study &study, std::size_t at);
// Refused for the only stage, or when the metric scores nothing else.
Result<StageEdit> removeStage(const Study &study, std::size_t at);
// A Python identifier not used by another stage.
Result<StageEdit> renameStage(const Study &study, std::size_t at, const std::string &name);
// One place earlier (delta -1) or later (+1).
Result<StageEdit> moveStage(const Study &study, std::size_t at, int delta);
// Moves a field (input or output) of stage `from` to stage `to`, as the same
// role. Refused when `to` has a field of that name or `from` would be left
// without inputs or outputs. The field's values leave `from`'s demos.
Result<StageEdit> moveField(const Study &study, std::size_t from, const std::string &field, std::size_t to);
// Adds an input to stage `at` wired to `field`: an earlier stage's output or a
// dataset column, with the type it has there (str for a column no stage
// reads yet).
Result<StageEdit> addInputFrom(const Study &study, std::size_t at, const std::string &field);

// What stage `at` can read and does not yet: earlier stages' outputs (in
// stage order), then the dataset's columns that are not an output of the
// program.
struct InputChoice {
    std::string field;
    std::string stage; // the earlier stage that writes it; empty = a column of the row
};
std::vector<InputChoice> inputChoices(const Study &study, std::size_t at, const std::vector<std::string> &columns);

} // namespace prism
