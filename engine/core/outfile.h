#pragma once

// Every file Prism writes for a user (artifacts, exports, event logs, saved
// studies, settings) goes through here, so one rule holds for any output path:
// - a symlink is written through to its final target (chains and relative
//   links followed; a dangling link creates its target), the link stays;
// - a regular file is replaced atomically (temporary file in the target's own
//   directory, then rename), keeping its permission bits;
// - a FIFO or character device (/dev/null, a terminal), or a file reached by
//   a /proc link (/dev/stdout), is written directly as a stream (appended):
//   no temporary file, no rename;
// - anything else (directory, socket, block device) is never replaced, and a
//   path that cannot be written is refused with the reason, before any work.
#include "core/result.h"

#include <cstdio>
#include <string>

namespace prism {

// Where an output path leads once its symlinks are followed, and how it is written.
struct OutputTarget {
    enum class Kind {
        File,   // a regular file, or none yet: temporary file beside it, then rename
        Direct, // a FIFO, a character device, or a file behind a /proc link: appended, as a stream
    };
    Kind kind = Kind::File;
    std::string path;         // File: the final target; Direct: the path as given (the kernel follows it)
    bool exists = false;      // File: a regular file is there now
    unsigned permissions = 0; // File, when exists: its permission bits, kept by the replacement
};

// Resolves `path` and says whether it can be written: refuses a directory, a
// socket, a block device, a missing or unwritable directory, a read-only file,
// a symlink loop; each message names the path (and its target) and the reason.
// Opens nothing, so it never blocks on a FIFO.
Result<OutputTarget> resolveOutputTarget(const std::string &path);

// The verdict of resolveOutputTarget alone: run it on every output path of a
// command before any work whose result goes there.
Result<void> checkWritableOutput(const std::string &path);

// Writes the whole of `content` to `path` by the rule above: a reader never
// sees a half-written regular file, and a failed write leaves it unchanged.
Result<void> writeFileAtomic(const std::string &path, const std::string &content);

// Opens `path` for a stream written as it happens (the event log of a run):
// the same resolution and refusals; a regular target is truncated in place.
// The caller closes the stream with std::fclose.
Result<std::FILE *> openOutputStream(const std::string &path);

} // namespace prism
