#include "cli.h"

#include "artifact/program_file.h"

namespace prism::cli {

Result<Program> loadProgramForCommand(const std::string &path, const Program &studyProgram)
{
    auto loaded = loadProgramFile(path, studyProgram);
    if (!loaded)
        return loaded.error();
    for (const auto &w : loaded->warnings)
        printWarning(w);
    return std::move(loaded->program);
}

} // namespace prism::cli
