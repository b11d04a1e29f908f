#include "core/outfile.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace prism {

namespace {

// As the kernel's own limit (MAXSYMLINKS): deeper than this is a loop.
constexpr int kMaxLinkHops = 40;

std::string named(const std::string &path, const std::string &target)
{
    return target.empty() || target == path ? path : path + " (a link to " + target + ")";
}

Error refuse(const std::string &path, const std::string &target, const std::string &why)
{
    return Error::make(ErrorKind::Io, named(path, target) + ": " + why);
}

std::string reason(int error)
{
    if (error == ENOTDIR)
        return "a part of the path is not a directory";
    return std::strerror(error);
}

// What an output may never replace; nullptr for what it may write.
const char *unwritableKind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISBLK(mode))
        return "a block device";
    return nullptr;
}

Error notAFile(const std::string &path, const char *kind)
{
    return refuse(path, {},
                  std::string("is ") + kind
                      + ", not a file; an output must be a regular file, a FIFO or "
                        "a character device, and nothing else is replaced");
}

// Follows symlinks from `path` to the first name that is not one (it may not
// exist: a dangling link). A relative link is read against its own
// directory; the joined path is left for the kernel to walk, so ".." means
// what it means on disk. Stops at a link in /proc (/dev/stdout ->
// /proc/self/fd/1): its text is no path, only the kernel can follow it.
Result<std::string> followLinks(const std::string &path)
{
    std::string current = path;
    std::vector<char> buffer(4096);
    for (int hops = 0; hops <= kMaxLinkHops; ++hops) {
        struct stat st {};
        if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode) || current.rfind("/proc/", 0) == 0)
            return current;
        const ssize_t n = ::readlink(current.c_str(), buffer.data(), buffer.size());
        if (n <= 0 || static_cast<std::size_t>(n) >= buffer.size())
            return refuse(path, current,
                          "cannot read the symbolic link (" + reason(n < 0 ? errno : ENAMETOOLONG) + ")");
        const std::string link(buffer.data(), static_cast<std::size_t>(n));
        const std::filesystem::path dir = std::filesystem::path(current).parent_path();
        current = link.front() == '/' || dir.empty() ? link : (dir / link).string();
    }
    return refuse(path, current, "too many levels of symbolic links");
}

Result<OutputTarget> directTarget(const std::string &path)
{
    if (::access(path.c_str(), W_OK) != 0)
        return refuse(path, {}, "no permission to write it (" + reason(errno) + ")");
    OutputTarget target;
    target.kind = OutputTarget::Kind::Direct;
    target.path = path;
    return target;
}

// The replacement is created in the target's directory: it must be there and writable.
Result<void> checkDirectory(const std::string &path, const std::string &target)
{
    const std::filesystem::path parent = std::filesystem::path(target).parent_path();
    const std::string dir = parent.empty() ? "." : parent.string();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        return refuse(path, target,
                      errno == ENOENT ? "the directory " + dir + " does not exist"
                                      : "the directory " + dir + ": " + reason(errno));
    if (!S_ISDIR(st.st_mode))
        return refuse(path, target, dir + " is not a directory");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return refuse(path, target, "no permission to create files in " + dir);
    return {};
}

// Writes all of `content` to `fd`; 0, or the errno of the failed write.
int writeAll(int fd, const std::string &content)
{
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

// A FIFO, a device or a file behind /proc is written as a stream: no O_CREAT
// (it is there already), and appended, never truncated, so `--out /dev/stdout
// >> log` adds to the log. Opening a FIFO waits for its reader.
int openDirect(const std::string &path)
{
    return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
}

Result<void> writeDirect(const std::string &path, const std::string &content)
{
    const int fd = openDirect(path);
    if (fd < 0)
        return refuse(path, {}, "cannot open it for writing (" + reason(errno) + ")");
    int failed = writeAll(fd, content);
    if (::close(fd) != 0 && failed == 0)
        failed = errno;
    if (failed != 0)
        return refuse(path, {}, std::string("write failed (") + std::strerror(failed) + ")");
    return {};
}

Result<void> replaceFile(const std::string &path, const OutputTarget &target, const std::string &content)
{
    // Unique per process and call: two threads may write beside the same target.
    static std::atomic<unsigned> serial{0};
    const std::string tmp = target.path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return refuse(path, target.path, "cannot create " + tmp + " (" + reason(errno) + ")");
    // The replacement keeps the replaced file's permissions (a private key
    // file stays private); best effort: on failure the umask's bits stand.
    if (target.exists)
        (void)::fchmod(fd, static_cast<mode_t>(target.permissions));
    int failed = writeAll(fd, content);
    if (failed == 0 && ::fsync(fd) != 0)
        failed = errno;
    if (::close(fd) != 0 && failed == 0)
        failed = errno;
    if (failed != 0) {
        ::unlink(tmp.c_str());
        return refuse(path, target.path,
                      std::string("write failed (") + std::strerror(failed) + "); the previous file is unchanged");
    }
    if (::rename(tmp.c_str(), target.path.c_str()) != 0) {
        const int error = errno;
        ::unlink(tmp.c_str());
        return refuse(path, target.path,
                      std::string("cannot replace the file (") + std::strerror(error)
                          + "); the previous file is unchanged");
    }
    return {};
}

} // namespace

Result<OutputTarget> resolveOutputTarget(const std::string &path)
{
    if (path.empty())
        return Error::make(ErrorKind::Io, "an output path is empty");
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (!exists && errno != ENOENT)
        return refuse(path, {}, reason(errno));
    if (exists) {
        if (const char *kind = unwritableKind(st.st_mode))
            return notAFile(path, kind);
        if (!S_ISREG(st.st_mode))
            return directTarget(path); // a FIFO or a character device
    }
    auto followed = followLinks(path);
    if (!followed)
        return followed.error();
    OutputTarget target;
    target.path = followed.value();
    if (exists) {
        struct stat at {};
        // A link the kernel follows but whose text names no file (/proc/self/fd/1
        // of stdout redirected to a file): write through the kernel, as a stream.
        if (::lstat(target.path.c_str(), &at) != 0 || S_ISLNK(at.st_mode) || at.st_dev != st.st_dev
            || at.st_ino != st.st_ino)
            return directTarget(path);
        if (::access(target.path.c_str(), W_OK) != 0)
            return refuse(path, target.path, "the file is read-only (" + reason(errno) + ")");
        target.exists = true;
        target.permissions = st.st_mode & 07777;
    }
    if (auto dir = checkDirectory(path, target.path); !dir)
        return dir.error();
    return target;
}

Result<void> checkWritableOutput(const std::string &path)
{
    auto target = resolveOutputTarget(path);
    if (!target)
        return target.error();
    return {};
}

Result<void> writeFileAtomic(const std::string &path, const std::string &content)
{
    auto target = resolveOutputTarget(path);
    if (!target)
        return target.error();
    if (target->kind == OutputTarget::Kind::Direct)
        return writeDirect(path, content);
    return replaceFile(path, target.value(), content);
}

Result<std::FILE *> openOutputStream(const std::string &path)
{
    auto target = resolveOutputTarget(path);
    if (!target)
        return target.error();
    // A log written as it happens is read while it grows (tail -f): a regular
    // file is truncated and written in place, not replaced at the end.
    const bool direct = target->kind == OutputTarget::Kind::Direct;
    const int fd =
        direct ? openDirect(path) : ::open(target->path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return refuse(path, direct ? std::string() : target->path,
                      "cannot open it for writing (" + reason(errno) + ")");
    std::FILE *file = ::fdopen(fd, "wb");
    if (!file) {
        const int error = errno;
        ::close(fd);
        return refuse(path, {}, "cannot open it for writing (" + reason(error) + ")");
    }
    return file;
}

} // namespace prism
