/* io_file.c -- whole-file reading and atomic writing, shared by the
 * readers and writers of data, model and result files. */
#define _XOPEN_SOURCE 700 /* POSIX 2008 with realpath */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "io.h"

const char *gmoe_io_display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

int gmoe_io_slurp(const char *path, char **buf, size_t *len, gmoe_err *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = gmoe_io_display_name(path);
    *buf = NULL;
    *len = 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return gmoe_error(err, GMOE_EIO, "%s: %s", name, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    int status = b ? GMOE_OK : gmoe_error(err, GMOE_ENOMEM, "%s: out of memory", name);
    while (status == GMOE_OK) {
        if (cap - n < 2) {
            char *nb = cap > ((size_t)-1) / 2 ? NULL : realloc(b, cap * 2);
            if (!nb) {
                status = gmoe_error(err, GMOE_ENOMEM, "%s: out of memory", name);
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                status = gmoe_error(err, GMOE_EIO, "%s: read error: %s", name, strerror(errno));
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (status != GMOE_OK) {
        free(b);
        return status;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return GMOE_OK;
}

/* ------------------------------------------------------------ writing */

static int write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The temporary files being written, for gmoe_remove_temp_files(), which
 * a signal handler may call at any moment: each slot holds a path or
 * NULL, and is claimed and released by one lock-free atomic exchange (the
 * path is complete before it is published, and freed only after it is
 * withdrawn).  Past TEMP_SLOTS writes at once, a write is not recorded
 * (it still works; only its cleanup on a signal is lost). */
#define TEMP_SLOTS 64
static _Atomic(char *) temp_slots[TEMP_SLOTS];

static void temp_record(char *path)
{
    for (size_t i = 0; i < TEMP_SLOTS; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&temp_slots[i], &expected, path))
            return;
    }
}

static void temp_forget(char *path)
{
    for (size_t i = 0; i < TEMP_SLOTS; i++) {
        char *expected = path;
        if (atomic_compare_exchange_strong(&temp_slots[i], &expected, NULL))
            return;
    }
}

/* Async-signal-safe: atomic loads and unlink() only.  A path recorded a
 * moment before its file exists, or whose file was just renamed into
 * place, only makes unlink() fail with ENOENT. */
void gmoe_remove_temp_files(void)
{
    for (size_t i = 0; i < TEMP_SLOTS; i++) {
        char *path = atomic_load(&temp_slots[i]);
        if (path)
            unlink(path);
    }
}

/* Creates "<dir>/.<base>.<pid>.<n>.tmp" next to path.  O_EXCL with mode
 * 0666 lets the umask apply as for any new file (mkstemp's 0600 would
 * need the umask, which cannot be read without a race between threads);
 * a name taken by another writer is skipped. */
static int open_temp(const char *path, char **tmp)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t size = strlen(path) + 64;
    char *t = malloc(size);
    if (!t)
        return -1;
    for (unsigned n = 0; n < 1000; n++) {
        snprintf(t, size, "%.*s.%s.%ld.%u.tmp", (int)dirlen, path, path + dirlen, (long)getpid(), n);
        temp_record(t); /* before the file exists: no moment without it */
        int fd = open(t, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0) {
            *tmp = t;
            return fd;
        }
        int e = errno;
        temp_forget(t);
        errno = e;
        if (errno != EEXIST)
            break;
    }
    int e = errno;
    free(t);
    errno = e;
    return -1;
}

/* Best effort: make the rename itself durable. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? malloc((size_t)(slash - path) + 2) : NULL;
    if (slash && !dir)
        return;
    if (dir) {
        memcpy(dir, path, (size_t)(slash - path) + 1);
        dir[slash - path + 1] = '\0';
    }
    int fd = open(dir ? dir : ".", O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

/* An existing target that is not a regular file (a device such as
 * /dev/null or /dev/stdout, a fifo) is written in place: renaming a
 * temporary file over it would replace the device node itself (as root)
 * or fail for want of a writable /dev.  Atomicity means nothing there. */
static int write_in_place(const char *path, const char *text, size_t len, gmoe_err *err)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return gmoe_error(err, GMOE_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
    if (write_all(fd, text, len) != 0) {
        int e = errno;
        close(fd);
        return gmoe_error(err, GMOE_EIO, "%s: write error: %s", path, strerror(e));
    }
    if (close(fd) != 0)
        return gmoe_error(err, GMOE_EIO, "%s: write error: %s", path, strerror(errno));
    return GMOE_OK;
}

/* The path a symbolic link points to (malloc'ed): the file itself when
 * it exists, else (a dangling link) the link's own text, taken relative
 * to the link's directory.  NULL with errno set if it cannot be
 * followed: a loop of links gives ELOOP here (from realpath), so the
 * caller's recursion over a chain of dangling links always ends. */
static char *link_target(const char *link)
{
    char *real = realpath(link, NULL);
    if (real || errno != ENOENT)
        return real;
    char buf[4096];
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0 || (size_t)n >= sizeof buf - 1) {
        errno = n < 0 ? errno : ENAMETOOLONG;
        return NULL;
    }
    buf[n] = '\0';
    const char *slash = strrchr(link, '/');
    size_t dirlen = buf[0] == '/' || !slash ? 0 : (size_t)(slash - link) + 1;
    char *t = malloc(dirlen + (size_t)n + 1);
    if (t) {
        memcpy(t, link, dirlen);
        memcpy(t + dirlen, buf, (size_t)n + 1);
    }
    return t;
}

/* The whole text to path, or GMOE_EIO naming the step that failed; the
 * temporary file is removed on failure. */
int gmoe_io_write_atomic(const char *path, const char *text, size_t len, gmoe_err *err)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
            return gmoe_error(err, GMOE_EIO, "<stdout>: write error: %s", strerror(errno));
        return GMOE_OK;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return write_in_place(path, text, len, err);
    /* Through a symbolic link to a file, the file is replaced, not the
     * link (as `> link` in the shell would write it). */
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *target = link_target(path);
        if (!target)
            return gmoe_error(err, GMOE_EIO, "%s: cannot follow the symbolic link: %s", path,
                              strerror(errno));
        int status = gmoe_io_write_atomic(target, text, len, err);
        free(target);
        return status;
    }
    int status = GMOE_OK;
    char *tmp = NULL;
    int fd = open_temp(path, &tmp);
    if (fd < 0) {
        status = gmoe_error(err, GMOE_EIO, "%s: cannot create a temporary file next to it: %s", path,
                            strerror(errno));
    } else if (write_all(fd, text, len) != 0 || fsync(fd) != 0) {
        status = gmoe_error(err, GMOE_EIO, "%s: write error: %s", path, strerror(errno));
        close(fd);
    } else if (close(fd) != 0) {
        status = gmoe_error(err, GMOE_EIO, "%s: write error: %s", path, strerror(errno));
    } else if (rename(tmp, path) != 0) {
        status = gmoe_error(err, GMOE_EIO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
    } else {
        sync_dir(path);
    }
    if (status != GMOE_OK && tmp)
        unlink(tmp);
    if (tmp)
        temp_forget(tmp);
    free(tmp);
    return status;
}
