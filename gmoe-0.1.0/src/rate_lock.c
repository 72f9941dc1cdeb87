/* rate_lock.c -- see rate_lock.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "rate_files.h"
#include "rate_lock.h"
#include "rate_provenance.h"

/* The holder line of an open lock file ("pid P on HOST since TIME"), or
 * "an unknown holder" when the file is empty. */
static void read_holder(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (!buf[0])
        snprintf(buf, size, "an unknown holder");
}

static int write_holder(int fd)
{
    char host[256], when[32], line[400];
    rate_host_and_time(host, sizeof host, when, sizeof when);
    int len = snprintf(line, sizeof line, "pid %ld on %s since %s\n", (long)getpid(), host, when);
    return ftruncate(fd, 0) == 0 && pwrite(fd, line, (size_t)len, 0) == len ? 0 : -1;
}

/* Whether fd is still the file at path (a run that finished may have
 * removed it between our open and our lock). */
static int still_linked(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int rate_lock_take(const char *outdir)
{
    char *path = rate_path(outdir, "lock");
    if (!path) {
        cli_error("out of memory");
        return -1;
    }
    int fd = -1;
    for (int attempt = 0; attempt < 10 && fd < 0; attempt++) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            cli_error("%s: cannot create the lock file: %s", path, strerror(errno));
            break;
        }
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        char holder[400];
        read_holder(fd, holder, sizeof holder);
        if (fcntl(fd, F_SETLK, &fl) != 0) {
            if (errno == EACCES || errno == EAGAIN)
                cli_error("-O %s: another mixrate run is writing this directory (%s; %s); wait for it or "
                          "use another -O directory",
                          outdir, holder, path);
            else
                cli_error("%s: cannot lock: %s", path, strerror(errno));
            close(fd);
            fd = -1;
            break;
        }
        if (!still_linked(fd, path)) {
            close(fd);
            fd = -1;
            continue;
        }
        /* Locked: a holder line left in the file is a run that ended
         * without removing it (killed). */
        if (strcmp(holder, "an unknown holder") != 0)
            cli_warn("%s: the run that held this directory (%s) is no longer running; lock taken over", path,
                     holder);
        if (write_holder(fd) != 0) {
            cli_error("%s: cannot write: %s", path, strerror(errno));
            close(fd);
            fd = -1;
            break;
        }
    }
    free(path);
    return fd >= 0 ? fd : -1;
}

void rate_lock_release(const char *outdir, int fd)
{
    if (fd < 0)
        return;
    char *path = rate_path(outdir, "lock");
    if (path)
        unlink(path);
    free(path);
    close(fd);
}
