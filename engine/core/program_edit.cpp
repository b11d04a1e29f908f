#include "core/program_edit.h"

#include <algorithm>
#include <cctype>

namespace prism {

namespace {

Error refused(const std::string &message)
{
    return Error::make(ErrorKind::Config, message);
}

bool isIdentifier(const std::string &name)
{
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
        return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// `base`, or base2, base3... so that no field of the program has the name.
std::string freshFieldName(const Program &program, const std::string &base)
{
    auto used = [&](const std::string &name) {
        return std::any_of(program.predictors.begin(), program.predictors.end(),
                           [&](const Predictor &p) { return p.signature.findField(name) != nullptr; });
    };
    std::string name = base;
    for (int n = 2; used(name); ++n)
        name = base + std::to_string(n);
    return name;
}

std::string freshStageName(const Program &program)
{
    std::string name;
    for (std::size_t n = program.predictors.size() + 1;; ++n) {
        name = "stage" + std::to_string(n);
        if (!program.find(name))
            return name;
    }
}

Field freeText(const std::string &name)
{
    return Field{name, Type::string(), "", ""};
}

// A composite metric keeps only the fields the program still writes; an
// error when none is left.
Result<void> keepMetricFields(Study &study)
{
    if (study.metric.kind != "composite")
        return {};
    const std::vector<Field> outputs = study.program.allOutputs();
    std::vector<FieldMetric> kept;
    for (const FieldMetric &fm : study.metric.fields)
        if (std::any_of(outputs.begin(), outputs.end(), [&](const Field &f) { return f.name == fm.field; }))
            kept.push_back(fm);
    if (kept.empty() && !study.metric.fields.empty())
        return refused("the metric scores only this stage's outputs: score another stage's output on the Metric "
                       "page first");
    study.metric.fields = std::move(kept);
    return {};
}

Result<void> checkStage(const Study &study, std::size_t at)
{
    if (at >= study.program.predictors.size())
        return refused("there is no stage " + std::to_string(at + 1));
    return {};
}

} // namespace

Result<StageEdit> addStageBefore(const Study &study, std::size_t at)
{
    if (auto ok = checkStage(study, at); !ok)
        return ok.error();
    StageEdit edit{study, at};
    Program &program = edit.study.program;
    Predictor stage;
    stage.name = freshStageName(program);
    stage.signature.inputs = program.predictors[at].signature.inputs;
    const std::string passed = freshFieldName(program, "notes");
    stage.signature.outputs = {freeText(passed)};
    program.predictors[at].signature.inputs.push_back(freeText(passed));
    program.predictors.insert(program.predictors.begin() + static_cast<std::ptrdiff_t>(at), std::move(stage));
    return edit;
}

Result<StageEdit> addStageAfter(const Study &study, std::size_t at)
{
    if (auto ok = checkStage(study, at); !ok)
        return ok.error();
    StageEdit edit{study, at + 1};
    Program &program = edit.study.program;
    Predictor stage;
    stage.name = freshStageName(program);
    for (const Field &f : program.predictors[at].signature.outputs)
        stage.signature.inputs.push_back(Field{f.name, f.type, "", ""});
    stage.signature.outputs = {freeText(freshFieldName(program, "output"))};
    program.predictors.insert(program.predictors.begin() + static_cast<std::ptrdiff_t>(at + 1), std::move(stage));
    return edit;
}

Result<StageEdit> removeStage(const Study &study, std::size_t at)
{
    if (auto ok = checkStage(study, at); !ok)
        return ok.error();
    if (study.program.predictors.size() == 1)
        return refused("a program needs at least one stage");
    StageEdit edit{study, at > 0 ? at - 1 : 0};
    edit.study.program.predictors.erase(edit.study.program.predictors.begin() + static_cast<std::ptrdiff_t>(at));
    if (auto kept = keepMetricFields(edit.study); !kept)
        return kept.error();
    return edit;
}

Result<StageEdit> renameStage(const Study &study, std::size_t at, const std::string &name)
{
    if (auto ok = checkStage(study, at); !ok)
        return ok.error();
    if (!isIdentifier(name))
        return refused("'" + name
                       + "' is not a valid stage name: use letters, digits and _ (DSPy keys a saved "
                         "program by the module's attribute name)");
    const Predictor *other = study.program.find(name);
    if (other && other != &study.program.predictors[at])
        return refused("there is already a stage named '" + name + "'");
    StageEdit edit{study, at};
    edit.study.program.predictors[at].name = name;
    return edit;
}

Result<StageEdit> moveStage(const Study &study, std::size_t at, int delta)
{
    if (auto ok = checkStage(study, at); !ok)
        return ok.error();
    const long long to = static_cast<long long>(at) + delta;
    if (to < 0 || to >= static_cast<long long>(study.program.predictors.size()))
        return refused(delta < 0 ? "the first stage cannot move earlier" : "the last stage cannot move later");
    StageEdit edit{study, static_cast<std::size_t>(to)};
    std::swap(edit.study.program.predictors[at], edit.study.program.predictors[static_cast<std::size_t>(to)]);
    return edit;
}

Result<StageEdit> moveField(const Study &study, std::size_t from, const std::string &field, std::size_t to)
{
    if (auto ok = checkStage(study, from); !ok)
        return ok.error();
    if (auto ok = checkStage(study, to); !ok)
        return ok.error();
    if (from == to)
        return refused("the field is already in that stage");
    StageEdit edit{study, to};
    Predictor &source = edit.study.program.predictors[from];
    Predictor &target = edit.study.program.predictors[to];
    if (target.signature.findField(field))
        return refused("the stage '" + target.name + "' already has a field named '" + field + "'");
    auto take = [&](std::vector<Field> &list, std::vector<Field> &into, const char *role) -> Result<bool> {
        const auto it = std::find_if(list.begin(), list.end(), [&](const Field &f) { return f.name == field; });
        if (it == list.end())
            return false;
        if (list.size() == 1)
            return refused("the stage '" + source.name + "' would have no " + role + " left");
        into.push_back(*it);
        list.erase(it);
        return true;
    };
    auto moved = take(source.signature.inputs, target.signature.inputs, "input");
    if (!moved)
        return moved.error();
    if (!*moved) {
        moved = take(source.signature.outputs, target.signature.outputs, "output");
        if (!moved)
            return moved.error();
        if (!*moved)
            return refused("the stage '" + source.name + "' has no field named '" + field + "'");
    }
    for (Demo &demo : source.demos) {
        Fields kept;
        for (const auto &[name, value] : demo.values)
            if (name != field)
                kept.set(name, value);
        demo.values = std::move(kept);
    }
    return edit;
}

Result<StageEdit> addInputFrom(const Study &study, std::size_t at, const std::string &field)
{
    if (auto ok = checkStage(study, at); !ok)
        return ok.error();
    const Predictor &stage = study.program.predictors[at];
    if (stage.signature.findInput(field))
        return refused("the stage '" + stage.name + "' already reads '" + field + "'");
    if (stage.signature.findOutput(field))
        return refused("the stage '" + stage.name + "' writes '" + field + "' itself");
    Field wired = freeText(field);
    // The type it has where it comes from: the latest earlier stage that writes it, else a stage that reads it.
    bool typed = false;
    for (std::size_t q = at; q-- > 0 && !typed;)
        if (const Field *f = study.program.predictors[q].signature.findOutput(field)) {
            wired.type = f->type;
            typed = true;
        }
    for (const Predictor &p : study.program.predictors)
        if (const Field *f = p.signature.findInput(field); f && !typed) {
            wired.type = f->type;
            typed = true;
        }
    StageEdit edit{study, at};
    edit.study.program.predictors[at].signature.inputs.push_back(std::move(wired));
    return edit;
}

std::vector<InputChoice> inputChoices(const Study &study, std::size_t at, const std::vector<std::string> &columns)
{
    std::vector<InputChoice> out;
    if (at >= study.program.predictors.size())
        return out;
    const Signature &signature = study.program.predictors[at].signature;
    auto listed = [&](const std::string &name) {
        return signature.findField(name) != nullptr
               || std::any_of(out.begin(), out.end(), [&](const InputChoice &c) { return c.field == name; });
    };
    for (std::size_t q = 0; q < at; ++q)
        for (const Field &f : study.program.predictors[q].effectiveSignature().outputs)
            if (!listed(f.name))
                out.push_back({f.name, study.program.predictors[q].name});
    const std::vector<Field> outputs = study.program.allOutputs();
    for (const std::string &column : columns)
        if (!listed(column)
            && std::none_of(outputs.begin(), outputs.end(), [&](const Field &f) { return f.name == column; }))
            out.push_back({column, ""});
    return out;
}

} // namespace prism
