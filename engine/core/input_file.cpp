#include "core/input_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace prism {

std::string describeBytes(std::uint64_t bytes)
{
    const std::string exact = std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
    if (bytes >= kMiB && bytes % kMiB == 0)
        return std::to_string(bytes / kMiB) + " MiB (" + exact + ")";
    if (bytes >= 1024 && bytes % 1024 == 0)
        return std::to_string(bytes / 1024) + " KiB (" + exact + ")";
    return exact;
}

Result<std::string> readInputFile(const std::string &path, const ReadLimit &limit)
{
    // An ifstream opens a directory and reads nothing, which a JSON parser
    // then reports as "unexpected end of input": say what it is instead.
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return Error::make(ErrorKind::Io, path + ": is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error::make(ErrorKind::Io, path + ": cannot open file for reading");

    // Grows with what is actually read: a small file costs a small buffer.
    constexpr std::size_t kChunk = 64 * 1024;
    std::string text;
    char buffer[kChunk];
    for (;;) {
        const std::uint64_t room = limit.maxBytes - std::min<std::uint64_t>(text.size(), limit.maxBytes);
        // One byte past the limit tells "exactly the limit" from "more".
        const auto want = static_cast<std::streamsize>(room < kChunk ? room + 1 : kChunk);
        in.read(buffer, want);
        const std::streamsize got = in.gcount();
        text.append(buffer, static_cast<std::size_t>(got));
        if (text.size() > limit.maxBytes) {
            std::string message =
                path + ": larger than the limit of " + describeBytes(limit.maxBytes) + " for " + limit.what + "; ";
            message +=
                limit.setting.empty() ? std::string("this limit is fixed") : "raise " + limit.setting + " to read it";
            return Error::make(ErrorKind::Io, message);
        }
        if (got < want)
            break;
    }
    if (in.bad())
        return Error::make(ErrorKind::Io, path + ": read error");
    return text;
}

} // namespace prism
