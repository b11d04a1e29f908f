#pragma once

// The data files a study is uploaded with through a team server's API: the
// API checks their paths before it accepts a run, and the worker that takes
// the run writes them under a directory of its own, where the study's
// relative paths find them.
#include "core/result.h"

#include <cstddef>
#include <map>
#include <string>

namespace prism {

class RunStore;

inline constexpr std::size_t kMaxUploadFiles = 64;
inline constexpr std::size_t kMaxUploadPathLength = 200;

// A path relative to the study: segments of letters, digits, '.', '-', '_'
// joined by '/', none of them "." or "..", so no file lands outside the
// directory it is written to. Names the path and what is wrong with it.
Result<void> checkUploadPath(const std::string &path);
// Checks every path and that no file holds a NUL byte (a text column).
Result<void> checkUploadedFiles(const std::map<std::string, std::string> &files);
// Writes the files under dir, creating subdirectories; each file atomically.
Result<void> writeUploadedFiles(const std::string &dir, const std::map<std::string, std::string> &files);

// Writes the files run runId was uploaded with under dir (made when missing),
// so the study's relative paths resolve in dir. False (and nothing
// written) for a run queued from the CLI, which reads the paths it was
// queued with.
Result<bool> placeRunFiles(RunStore &store, const std::string &runId, const std::string &dir);

// A fresh directory under parent (mkdtemp), removed with its contents when
// this goes: where the API server checks an upload.
class ScratchDir {
public:
    static Result<ScratchDir> make(const std::string &parent);
    ScratchDir(ScratchDir &&other) noexcept : m_path(std::move(other.m_path)) { other.m_path.clear(); }
    ScratchDir &operator=(ScratchDir &&) = delete;
    ScratchDir(const ScratchDir &) = delete;
    ~ScratchDir();
    const std::string &path() const { return m_path; }

private:
    explicit ScratchDir(std::string path) : m_path(std::move(path)) {}
    std::string m_path;
};

} // namespace prism
