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

} // namespace prism
