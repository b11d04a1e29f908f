#include "cli.h"

#include "core/json.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace prism::cli {

namespace {

// The first difference between two field lists, or "".
std::string fieldDifference(const std::vector<Field> &mine, const std::vector<Field> &study, const char *role)
{
    for (const auto &f : study) {
        auto it = std::find_if(mine.begin(), mine.end(), [&](const Field &m) { return m.name == f.name; });
        if (it == mine.end())
            return std::string("lacks the ") + role + " field '" + f.name + "' of the study";
        if (!(it->type == f.type))
            return std::string(role) + " field '" + f.name + "' is " + it->type.shortName() + " here but " +
                   f.type.shortName() + " in the study";
    }
    for (const auto &m : mine) {
        auto it = std::find_if(study.begin(), study.end(), [&](const Field &f) { return f.name == m.name; });
        if (it == study.end())
            return std::string("has the ") + role + " field '" + m.name + "' that the study does not have";
    }
    return {};
}

} // namespace

Result<Program> loadProgramFile(const std::string &path, const Program &studyProgram)
{
    auto json = readJsonFile(path);
    if (!json)
        return json.error();
    Result<Program> parsed = Error::make(ErrorKind::Internal, "not parsed");
    try {
        parsed = programFromJson(json.value());
    } catch (const nlohmann::json::exception &e) {
        return Error::make(ErrorKind::Parse, path + ": a value has the wrong type: " + e.what());
    }
    if (!parsed)
        return Error::make(parsed.error().kind, path + ": " + parsed.error().message);
    const Program &program = parsed.value();

    auto mismatch = [&](const std::string &what) { return Error::make(ErrorKind::Data, path + ": " + what); };
    if (program.predictors.size() != studyProgram.predictors.size())
        return mismatch("the program has " + std::to_string(program.predictors.size()) + " predictor(s), the study's has " +
                        std::to_string(studyProgram.predictors.size()));
    for (std::size_t i = 0; i < program.predictors.size(); ++i) {
        const Predictor &mine = program.predictors[i];
        const Predictor &theirs = studyProgram.predictors[i];
        if (mine.name != theirs.name)
            return mismatch("predictor " + std::to_string(i + 1) + " is named '" + mine.name + "', the study's is '" +
                            theirs.name + "'");
        std::string diff = fieldDifference(mine.signature.inputs, theirs.signature.inputs, "input");
        if (diff.empty())
            diff = fieldDifference(mine.signature.outputs, theirs.signature.outputs, "output");
        if (!diff.empty())
            return mismatch("predictor '" + mine.name + "' " + diff);
    }
    return program;
}

} // namespace prism::cli
