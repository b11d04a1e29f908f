#pragma once

// Every file Prism reads as user input (a study, a data file, a program or
// artifact, the user's price table) goes through readInputFile, so one rule
// holds: reading stops at a byte limit. The limit is enforced while reading,
// not from the file's size, because /dev/zero, a FIFO or a /proc file reports
// a size of 0 and would otherwise be read until memory runs out.
#include "core/result.h"

#include <cstdint>
#include <string>

namespace prism {

inline constexpr std::uint64_t kMiB = 1024 * 1024;
// Studies, programs, artifacts and price tables: far above any real one (a
// study with a long metric script and many demos is well under 1 MiB).
inline constexpr std::uint64_t kMaxDocumentBytes = 64 * kMiB;

struct ReadLimit {
    std::uint64_t maxBytes = kMaxDocumentBytes;
    // What the file is, for the message: "a data file", "a study or program file".
    std::string what = "a study, program or price file";
    // How to raise the limit ("data.max_file_bytes in the study"); empty = a fixed limit.
    std::string setting;
};

// "256 MiB (268435456 bytes)", "1000 bytes".
std::string describeBytes(std::uint64_t bytes);

// The whole file as bytes. Errors (Io) name the path: missing, a directory,
// unreadable, or over the limit ("PATH: larger than the limit of 1 MiB
// (1048576 bytes) for a data file; raise data.max_file_bytes in the study").
// Reads at most limit.maxBytes + 1 bytes whatever the file is.
Result<std::string> readInputFile(const std::string &path, const ReadLimit &limit = {});

} // namespace prism
