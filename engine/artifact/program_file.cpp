#include "artifact/program_file.h"

#include "core/json.h"
#include "core/json_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string_view>

namespace prism {

namespace {

// Prism's program JSON has a "predictors" list. A DSPy module with an
// attribute named `predictors` saves a predictor state (an object with a
// "signature") under that key instead: that file is DSPy's.
bool isPrismProgramJson(const Json &root)
{
    if (!root.is_object() || !root.contains("predictors"))
        return false;
    const Json &predictors = root["predictors"];
    return !(predictors.is_object() && predictors.contains("signature"));
}

// The first difference between a predictor's fields and the study's, or "".
std::string fieldDifference(const std::vector<Field> &mine, const std::vector<Field> &study, const char *role)
{
    for (const auto &f : study) {
        auto it = std::find_if(mine.begin(), mine.end(), [&](const Field &m) { return m.name == f.name; });
        if (it == mine.end())
            return std::string("lacks the ") + role + " field '" + f.name + "' of the study";
        if (!(it->type == f.type))
            return std::string(role) + " field '" + f.name + "' is " + it->type.shortName() + " here but "
                   + f.type.shortName() + " in the study";
    }
    for (const auto &m : mine) {
        auto it = std::find_if(study.begin(), study.end(), [&](const Field &f) { return f.name == m.name; });
        if (it == study.end())
            return std::string("has the ") + role + " field '" + m.name + "' that the study does not have";
    }
    return {};
}

// The outputs a predictor is checked on: a ChainOfThought predictor may
// declare its reasoning field (that keeps a custom description, as DSPy
// does); the field is the module's own, not one the study's metric reads.
std::vector<Field> checkedOutputs(const Predictor &predictor)
{
    std::vector<Field> outputs = predictor.signature.outputs;
    if (predictor.kind == PredictorKind::ChainOfThought)
        std::erase_if(outputs, [](const Field &f) { return f.name == "reasoning"; });
    return outputs;
}

// Whether the program can stand in for the study's: the same predictors in
// the same order, each with the study's fields (metrics and data read them).
Result<void> checkAgainstStudy(const Program &program, const Program &studyProgram, const std::string &source)
{
    auto mismatch = [&](const std::string &what) { return Error::make(ErrorKind::Data, source + ": " + what); };
    if (program.predictors.size() != studyProgram.predictors.size())
        return mismatch("the program has " + std::to_string(program.predictors.size())
                        + " predictor(s), the study's has " + std::to_string(studyProgram.predictors.size()));
    for (std::size_t i = 0; i < program.predictors.size(); ++i) {
        const Predictor &mine = program.predictors[i];
        const Predictor &theirs = studyProgram.predictors[i];
        if (mine.name != theirs.name)
            return mismatch("predictor " + std::to_string(i + 1) + " is named '" + mine.name + "', the study's is '"
                            + theirs.name + "'");
        std::string diff = fieldDifference(mine.signature.inputs, theirs.signature.inputs, "input");
        if (diff.empty())
            diff = fieldDifference(checkedOutputs(mine), checkedOutputs(theirs), "output");
        if (!diff.empty())
            return mismatch("predictor '" + mine.name + "' " + diff);
    }
    return {};
}

Result<LoadedArtifact> loadPrismProgram(const Json &root, std::string_view text, const std::string &source,
                                        const Program &studyProgram)
{
    JsonReader reader(source, text);
    const JsonPath list = JsonPath().key("predictors");
    const Json &predictors = root["predictors"];
    if (!predictors.is_array() || predictors.empty())
        return Error::make(ErrorKind::Parse,
                           source + ": " + reader.where(list) + " must be a non-empty array of predictors");
    LoadedArtifact out;
    for (std::size_t i = 0; i < predictors.size(); ++i) {
        const std::string where = source + ": " + reader.where(list.index(i)) + ": ";
        Result<Predictor> predictor = Error::make(ErrorKind::Internal, "not read");
        try {
            predictor = predictorFromJson(predictors[i]);
        } catch (const nlohmann::json::exception &e) {
            // Defensive: predictorFromJson checks the types it reads.
            return Error::make(ErrorKind::Parse, where + "a value has the wrong type (" + e.what() + ")");
        }
        if (!predictor)
            return Error::make(predictor.error().kind, where + predictor.error().message);
        if (out.program.find(predictor->name))
            return Error::make(ErrorKind::Parse, where + "a second predictor named '" + predictor->name + "'");
        out.program.predictors.push_back(std::move(predictor.value()));
    }
    for (auto it = root.begin(); it != root.end(); ++it)
        if (it.key() != "predictors")
            out.warnings.push_back(source + ": top-level key \"" + it.key() + "\" is not part of a program; ignored");
    if (auto fits = checkAgainstStudy(out.program, studyProgram, source); !fits)
        return fits.error();
    return out;
}

} // namespace

Result<LoadedArtifact> loadProgramText(const std::string &text, const std::string &sourceName,
                                       const Program &studyProgram)
{
    auto parsed = parseJson(text, sourceName);
    if (!parsed)
        return parsed.error();
    if (isPrismProgramJson(parsed.value()))
        return loadPrismProgram(parsed.value(), text, sourceName, studyProgram);
    return loadDspyProgram(text, sourceName, studyProgram);
}

Result<LoadedArtifact> loadProgramFile(const std::string &path, const Program &studyProgram)
{
    auto text = readInputFile(path);
    if (!text)
        return text.error();
    return loadProgramText(text.value(), path, studyProgram);
}

} // namespace prism
