#include "core/program_wiring.h"

#include <algorithm>

namespace prism {

namespace {

bool contains(const std::vector<std::string> &list, const std::string &name)
{
    return std::find(list.begin(), list.end(), name) != list.end();
}

// The latest stage before `stage` (or after it, when `later`) that writes `field`; -1 if none.
int writerOf(const Program &program, const std::string &field, std::size_t stage, bool later)
{
    int found = -1;
    const std::size_t begin = later ? stage + 1 : 0;
    const std::size_t end = later ? program.predictors.size() : stage;
    for (std::size_t q = begin; q < end; ++q)
        if (program.predictors[q].effectiveSignature().findOutput(field)) {
            found = static_cast<int>(q);
            if (later)
                break;
        }
    return found;
}

// Whether a stage after `stage` reads `field`.
bool readAfter(const Program &program, const std::string &field, std::size_t stage)
{
    for (std::size_t q = stage + 1; q < program.predictors.size(); ++q)
        if (program.predictors[q].signature.findInput(field))
            return true;
    return false;
}

} // namespace

bool ProgramWiring::ok() const
{
    return std::all_of(stages.begin(), stages.end(), [](const StageWiring &s) { return s.problems.empty(); });
}

std::vector<std::string> ProgramWiring::problems(const Program &program) const
{
    std::vector<std::string> out;
    for (std::size_t s = 0; s < stages.size() && s < program.predictors.size(); ++s)
        for (const std::string &p : stages[s].problems)
            out.push_back("stage '" + program.predictors[s].name + "': " + p);
    return out;
}

ProgramWiring wireProgram(const Program &program, const std::optional<std::vector<std::string>> &columns)
{
    ProgramWiring wiring;
    const auto &predictors = program.predictors;
    // What runProgram reads from the row: it looks there before the earlier stages' outputs.
    const std::vector<std::string> external = program.externalInputs();
    wiring.stages.resize(predictors.size());
    for (std::size_t s = 0; s < predictors.size(); ++s) {
        const Signature &signature = predictors[s].signature;
        StageWiring &stage = wiring.stages[s];
        if (signature.inputs.empty())
            stage.problems.push_back("it has no inputs");
        if (signature.outputs.empty())
            stage.problems.push_back("it has no outputs");
        for (const Field &field : signature.inputs) {
            if (signature.findOutput(field.name))
                stage.problems.push_back("it reads and writes '" + field.name + "'");
            WiredInput in;
            in.field = field.name;
            const int earlier = writerOf(program, field.name, s, false);
            int later = earlier < 0 ? writerOf(program, field.name, s, true) : -1;
            // A later stage that writes it for a stage after itself is meant
            // for that stage (flagged there if the row's value shadows it):
            // this stage's read from the row is no mistake.
            if (later >= 0 && readAfter(program, field.name, static_cast<std::size_t>(later)))
                later = -1;
            if (earlier >= 0 && !contains(external, field.name)) {
                in.source = InputSource::Stage;
                in.stage = earlier;
            } else if (later >= 0) {
                in.source = InputSource::LaterStage;
                in.stage = later;
                stage.problems.push_back("it reads '" + field.name + "', which only the later stage '"
                                         + predictors[static_cast<std::size_t>(later)].name
                                         + "' writes: move this stage after it, or read another field");
            } else if (columns && !contains(*columns, field.name)) {
                in.source = InputSource::Missing;
                stage.problems.push_back("it reads '" + field.name
                                         + "', which no earlier stage writes and the dataset has no column of");
            } else {
                in.source = InputSource::Example;
                if (!contains(wiring.exampleFields, field.name))
                    wiring.exampleFields.push_back(field.name);
            }
            stage.inputs.push_back(std::move(in));
        }
    }
    // The last stage's outputs are the labels the metric compares with.
    if (columns && !predictors.empty())
        for (const Field &field : predictors.back().signature.outputs)
            if (!contains(*columns, field.name))
                wiring.stages.back().problems.push_back(
                    "its output '" + field.name
                    + "' is a label of the program (the last stage's outputs are), but the dataset has no such "
                      "column");
    // Outputs: written twice, or shadowed by the example field of the same name.
    for (std::size_t s = 0; s < predictors.size(); ++s)
        for (const Field &field : predictors[s].signature.outputs) {
            for (std::size_t q = 0; q < s; ++q)
                if (predictors[q].signature.findOutput(field.name)) {
                    wiring.stages[s].problems.push_back("it writes '" + field.name + "', which the stage '"
                                                        + predictors[q].name + "' writes too");
                    break;
                }
            if (readAfter(program, field.name, s) && contains(external, field.name))
                wiring.stages[s].problems.push_back("it writes '" + field.name
                                                    + "', which a later stage reads from the example instead "
                                                      "(the row has it and is read first)");
        }
    return wiring;
}

} // namespace prism
