#include "compare/programsource.h"

#include "artifact/artifact.h"
#include "core/json.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include <nlohmann/json.hpp>

prism::Result<prism::Program> loadRunProgram(prism::RunStore &store, const QString &runId, const prism::Program &studyProgram)
{
    const std::string id = runId.toStdString();
    auto text = store.artifact(id);
    if (!text)
        return text.error();
    if (text->empty())
        return prism::Error::make(prism::ErrorKind::Data, "run " + id + " has no artifact yet (it is running or failed early)");
    auto loaded = prism::loadDspyProgram(text.value(), "the artifact of run " + id, studyProgram);
    if (!loaded)
        return loaded.error();
    return std::move(loaded->program);
}

prism::Result<prism::Program> loadProgramFromFile(const QString &path, const prism::Program &studyProgram)
{
    const std::string file = path.toStdString();
    auto json = prism::readJsonFile(file);
    if (!json)
        return json.error();
    if (json->is_object() && json->contains("predictors") && (*json)["predictors"].is_array()) {
        prism::Result<prism::Program> parsed = prism::Error::make(prism::ErrorKind::Internal, "not parsed");
        try {
            parsed = prism::programFromJson(json.value());
        } catch (const nlohmann::json::exception &e) {
            return prism::Error::make(prism::ErrorKind::Parse, file + ": a value has the wrong type: " + e.what());
        }
        if (!parsed)
            return prism::Error::make(parsed.error().kind, file + ": " + parsed.error().message);
        const prism::Program &program = parsed.value();
        if (program.predictors.size() != studyProgram.predictors.size())
            return prism::Error::make(prism::ErrorKind::Data, file + ": the program has " + std::to_string(program.predictors.size()) +
                                                                  " predictor(s), the study's has " +
                                                                  std::to_string(studyProgram.predictors.size()));
        for (std::size_t i = 0; i < program.predictors.size(); ++i) {
            const auto &mine = program.predictors[i];
            const auto &theirs = studyProgram.predictors[i];
            if (mine.name != theirs.name || mine.signature.inputs != theirs.signature.inputs ||
                mine.signature.outputs != theirs.signature.outputs)
                return prism::Error::make(prism::ErrorKind::Data, file + ": predictor '" + mine.name +
                                                                      "' does not have the study's name and fields");
        }
        return parsed;
    }
    auto loaded = prism::loadDspyProgramFile(file, studyProgram);
    if (!loaded)
        return loaded.error();
    return std::move(loaded->program);
}
