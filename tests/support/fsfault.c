/* An LD_PRELOAD shim that makes one directory act like a full or read-only
 * disk for the process it is loaded into (tests/run/test_storage_faults.cpp).
 * We run tests as root, where chmod does not stop writes, and cannot count on
 * mounting a small filesystem in CI.
 *
 *   PRISM_FSFAULT_DIR=/abs/dir    the directory (and everything under it)
 *   PRISM_FSFAULT_MODE=full       writes fail with ENOSPC once PRISM_FSFAULT_BYTES
 *                                 bytes have been written there by this process
 *   PRISM_FSFAULT_MODE=readonly   opening for writing, creating, renaming,
 *                                 removing there fails with EROFS
 *
 * stdio's own writes do not pass through write(): for FILE streams the shim
 * fails fflush/fclose instead, which is where a full disk shows up for them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 4096

static char tracked[MAX_FDS];
static long long written;

static const char *dir(void) { return getenv("PRISM_FSFAULT_DIR"); }
static int mode_is(const char *m)
{
    const char *v = getenv("PRISM_FSFAULT_MODE");
    return v && strcmp(v, m) == 0;
}
static long long budget(void)
{
    const char *v = getenv("PRISM_FSFAULT_BYTES");
    return v ? atoll(v) : 0;
}
static int under(const char *path)
{
    const char *d = dir();
    if (!d || !path)
        return 0;
    size_t n = strlen(d);
    return strncmp(path, d, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
static int writes(int flags) { return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) != 0; }
static int fmode_writes(const char *m) { return strpbrk(m, "wa+") != NULL; }
static void track(int fd, const char *path)
{
    if (fd >= 0 && fd < MAX_FDS)
        tracked[fd] = under(path);
}
#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static int refuse_open(const char *path, int flags)
{
    return mode_is("readonly") && under(path) && writes(flags);
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = (flags & O_CREAT) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (refuse_open(path, flags)) {
        errno = EROFS;
        return -1;
    }
    int fd = REAL(open)(path, flags, m);
    track(fd, path);
    return fd;
}
int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = (flags & O_CREAT) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (refuse_open(path, flags)) {
        errno = EROFS;
        return -1;
    }
    int fd = REAL(open64)(path, flags, m);
    track(fd, path);
    return fd;
}
int openat(int at, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = (flags & O_CREAT) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (refuse_open(path, flags)) {
        errno = EROFS;
        return -1;
    }
    int fd = REAL(openat)(at, path, flags, m);
    track(fd, path);
    return fd;
}
int openat64(int at, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = (flags & O_CREAT) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (refuse_open(path, flags)) {
        errno = EROFS;
        return -1;
    }
    int fd = REAL(openat64)(at, path, flags, m);
    track(fd, path);
    return fd;
}
FILE *fopen(const char *path, const char *m)
{
    if (mode_is("readonly") && under(path) && fmode_writes(m)) {
        errno = EROFS;
        return NULL;
    }
    FILE *f = REAL(fopen)(path, m);
    if (f)
        track(fileno(f), path);
    return f;
}
FILE *fopen64(const char *path, const char *m)
{
    if (mode_is("readonly") && under(path) && fmode_writes(m)) {
        errno = EROFS;
        return NULL;
    }
    FILE *f = REAL(fopen64)(path, m);
    if (f)
        track(fileno(f), path);
    return f;
}
int close(int fd)
{
    if (fd >= 0 && fd < MAX_FDS)
        tracked[fd] = 0;
    return REAL(close)(fd);
}

static int full_for(int fd, size_t count)
{
    if (!mode_is("full") || fd < 0 || fd >= MAX_FDS || !tracked[fd])
        return 0;
    if (written + (long long)count > budget())
        return 1;
    written += (long long)count;
    return 0;
}
ssize_t write(int fd, const void *buf, size_t count)
{
    if (full_for(fd, count)) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(write)(fd, buf, count);
}
ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
    if (full_for(fd, count)) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(pwrite)(fd, buf, count, offset);
}
ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset)
{
    if (full_for(fd, count)) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(pwrite64)(fd, buf, count, offset);
}
ssize_t writev(int fd, const struct iovec *iov, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; ++i)
        total += iov[i].iov_len;
    if (full_for(fd, total)) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(writev)(fd, iov, n);
}
/* stdio: the buffered bytes are unknown here; once the budget is spent, any
 * flush of a stream on the full disk fails. */
static int stream_full(FILE *f)
{
    if (!f || !mode_is("full"))
        return 0;
    int fd = fileno(f);
    return fd >= 0 && fd < MAX_FDS && tracked[fd] && written >= budget();
}
int fflush(FILE *f)
{
    if (stream_full(f)) {
        errno = ENOSPC;
        return EOF;
    }
    return REAL(fflush)(f);
}
int fclose(FILE *f)
{
    int full = stream_full(f);
    if (f) {
        int fd = fileno(f);
        if (fd >= 0 && fd < MAX_FDS)
            tracked[fd] = 0;
    }
    int rc = REAL(fclose)(f);
    if (full) {
        errno = ENOSPC;
        return EOF;
    }
    return rc;
}
int mkdir(const char *path, mode_t m)
{
    if (mode_is("readonly") && under(path)) {
        errno = EROFS;
        return -1;
    }
    return REAL(mkdir)(path, m);
}
int rename(const char *from, const char *to)
{
    if (mode_is("readonly") && (under(from) || under(to))) {
        errno = EROFS;
        return -1;
    }
    return REAL(rename)(from, to);
}
int unlink(const char *path)
{
    if (mode_is("readonly") && under(path)) {
        errno = EROFS;
        return -1;
    }
    return REAL(unlink)(path);
}
