#include "compare/programsource.h"

#include "artifact/program_file.h"
#include "run/run_store.h"

prism::Result<prism::Program> loadRunProgram(prism::RunStore &store, const QString &runId,
                                             const prism::Program &studyProgram)
{
    const std::string id = runId.toStdString();
    auto text = store.artifact(id);
    if (!text)
        return text.error();
    if (text->empty())
        return prism::Error::make(prism::ErrorKind::Data,
                                  "run " + id + " has no artifact yet (it is running or failed early)");
    auto loaded = prism::loadProgramText(text.value(), "the artifact of run " + id, studyProgram);
    if (!loaded)
        return loaded.error();
    return std::move(loaded->program);
}

prism::Result<prism::Program> loadProgramFromFile(const QString &path, const prism::Program &studyProgram)
{
    auto loaded = prism::loadProgramFile(path.toStdString(), studyProgram);
    if (!loaded)
        return loaded.error();
    return std::move(loaded->program);
}
