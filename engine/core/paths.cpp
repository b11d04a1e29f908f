#include "core/paths.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace prism {

namespace {

std::string envOrEmpty(const char *name)
{
    const char *value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

} // namespace

Result<std::string> userDataDir()
{
    std::string dir = envOrEmpty("PRISM_DATA_DIR");
    if (dir.empty()) {
        const std::string xdg = envOrEmpty("XDG_DATA_HOME");
        if (!xdg.empty()) {
            dir = xdg + "/prism";
        } else {
            const std::string home = envOrEmpty("HOME");
            if (home.empty())
                return Error::make(
                    ErrorKind::Io,
                    "cannot locate the data directory: neither PRISM_DATA_DIR, XDG_DATA_HOME nor HOME is set");
            dir = home + "/.local/share/prism";
        }
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir, ec))
        return Error::make(ErrorKind::Io, dir + ": cannot create the data directory ("
                                              + (ec ? ec.message() : std::string("not a directory"))
                                              + "); set PRISM_DATA_DIR to a writable directory");
    return dir;
}

Result<std::string> userDataPath(const std::string &name)
{
    auto dir = userDataDir();
    if (!dir)
        return dir.error();
    return dir.value() + "/" + name;
}

} // namespace prism
