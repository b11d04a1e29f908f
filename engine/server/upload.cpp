#include "server/upload.h"

#include "run/run_store.h"

#include "core/outfile.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace prism {

Result<void> checkUploadPath(const std::string &path)
{
    const auto bad = [&](const std::string &why) {
        return Error::make(ErrorKind::Data, "files: \"" + path.substr(0, kMaxUploadPathLength) + "\" " + why);
    };
    if (path.empty())
        return Error::make(ErrorKind::Data, "files: a file has an empty path");
    if (path.size() > kMaxUploadPathLength)
        return bad("is longer than " + std::to_string(kMaxUploadPathLength) + " characters");
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::string segment = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (segment.empty())
            return bad("has an empty segment (a leading, doubled or trailing '/')");
        if (segment == "." || segment == "..")
            return bad("may not contain '.' or '..' segments: files stay in the study's directory");
        for (const char c : segment) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                            || c == '-' || c == '_';
            if (!ok)
                return bad("may only use letters, digits, '.', '-', '_' and '/'");
        }
        if (slash == std::string::npos)
            break;
        start = slash + 1;
    }
    return {};
}

Result<void> checkUploadedFiles(const std::map<std::string, std::string> &files)
{
    if (files.size() > kMaxUploadFiles)
        return Error::make(ErrorKind::Data, "files: " + std::to_string(files.size()) + " files; at most "
                                                + std::to_string(kMaxUploadFiles) + " may be uploaded with a study");
    for (const auto &[path, content] : files) {
        if (auto ok = checkUploadPath(path); !ok)
            return ok.error();
        if (content.find('\0') != std::string::npos)
            return Error::make(ErrorKind::Data, "files: \"" + path + "\" holds a NUL byte; data files are text");
    }
    return {};
}

Result<void> writeUploadedFiles(const std::string &dir, const std::map<std::string, std::string> &files)
{
    if (auto ok = checkUploadedFiles(files); !ok)
        return ok.error();
    for (const auto &[path, content] : files) {
        const std::filesystem::path target = std::filesystem::path(dir) / path;
        std::error_code ec;
        std::filesystem::create_directories(target.parent_path(), ec);
        if (ec)
            return Error::make(ErrorKind::Io,
                               target.parent_path().string() + ": cannot create it (" + ec.message() + ")");
        if (auto written = writeFileAtomic(target.string(), content); !written)
            return written.error();
    }
    return {};
}

Result<bool> placeRunFiles(RunStore &store, const std::string &runId, const std::string &dir)
{
    auto files = store.runFiles(runId);
    if (!files)
        return files.error();
    if (files->empty())
        return false;
    // Into dir as it is (a private scratch directory stays private).
    if (auto written = writeUploadedFiles(dir, files.value()); !written)
        return written.error();
    return true;
}

Result<ScratchDir> ScratchDir::make(const std::string &parent)
{
    std::string pattern = (std::filesystem::path(parent) / "upload-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        return Error::make(ErrorKind::Io, parent + ": cannot make a directory for an upload");
    return ScratchDir(pattern);
}

ScratchDir::~ScratchDir()
{
    if (m_path.empty())
        return;
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

} // namespace prism
