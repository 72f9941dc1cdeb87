/* io.h -- helpers shared by the file readers (private, not installed). */
#ifndef GMOE_IO_H
#define GMOE_IO_H

#include <stddef.h>

#include "gmoe.h"

/* Reads a whole file ("-" is stdin) into a malloc'd, NUL-terminated
 * buffer; *len excludes the terminator.  GMOE_EIO with "path: strerror"
 * on failure. */
int gmoe_io_slurp(const char *path, char **buf, size_t *len, gmoe_err *err);

/* The name of `path` in messages: "<stdin>" for "-". */
const char *gmoe_io_display_name(const char *path);

/* Writes len bytes of text to path atomically: a new file next to it
 * (".<name>.<pid>.<n>.tmp", created with mode 0666 less the umask) is
 * written, fsync'd and renamed over path, so readers see the old file or
 * the whole new one, never half a file.  "-" writes to stdout; an
 * existing path that is not a regular file (/dev/null, a fifo) is written
 * in place, never replaced.  GMOE_EIO
 * naming the path and the step that failed; nothing is left behind. */
int gmoe_io_write_atomic(const char *path, const char *text, size_t len, gmoe_err *err);

/* How a CSV cell parsed. */
typedef enum {
    GMOE_CELL_OK = 0,
    GMOE_CELL_MISSING,   /* empty (after trimming) or "NA" */
    GMOE_CELL_NONFINITE, /* "inf", "nan", ... */
    GMOE_CELL_RANGE,     /* finite text that overflows a double */
    GMOE_CELL_NAN        /* not a number at all */
} gmoe_cell_class;

/* Parses a cell as a decimal number (strtod, C locale; spaces and tabs
 * around it allowed, the whole text consumed, no hexadecimal).  *v is the
 * value, or NaN unless the class is GMOE_CELL_OK. */
gmoe_cell_class gmoe_io_parse_number(const char *text, double *v);

#endif
