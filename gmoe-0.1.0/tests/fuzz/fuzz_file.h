/* fuzz_file.h -- the fuzz input as a file the readers can open by name.
 *
 * The readers take a path (they slurp the whole file), so each input is
 * written to one anonymous in-memory file (memfd) and read back through
 * /proc/self/fd/N, which opens it afresh at offset 0: no disk, no
 * temporary names left behind. */
#ifndef GMOE_FUZZ_FILE_H
#define GMOE_FUZZ_FILE_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before any #include (memfd_create)"
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The path of a file holding exactly data[0..size-1]; aborts if the
 * memfd cannot be made (an environment fault, not a finding). */
static const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("gmoe-fuzz", 0);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("fuzz input file");
        abort();
    }
    return path;
}

#endif
