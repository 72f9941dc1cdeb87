/* io_csv.c -- strict CSV reader (RFC 4180) into a gmoe_table.
 *
 * The whole file is read into memory, then parsed record by record.
 * Positions in messages are "file:line:column", both 1-based; the column
 * counts UTF-8 characters from the start of the physical line (a UTF-8
 * byte-order mark is skipped and not counted).  Cells are parsed with
 * strtod, which follows LC_NUMERIC: the library never calls setlocale, so
 * this is the C locale unless the calling program changed it. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

/* ------------------------------------------------------------ numbers */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The white space strtod skips before a number in the C locale. */
static int is_c_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* gmoe_io_parse_number for a cell whose length is known: text[n] is its
 * terminating NUL and there is no NUL before it.  The reader calls this
 * directly, which saves a strlen per cell. */
static gmoe_cell_class parse_cell(const char *text, size_t n, double *v)
{
    *v = NAN;
    const char *s = text;
    while (n > 0 && is_blank(*s))
        s++, n--;
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    if (n == 0 || (n == 2 && s[0] == 'N' && s[1] == 'A'))
        return GMOE_CELL_MISSING;
    /* strtod would skip other white space (a quoted newline) and accept
     * hexadecimal; neither belongs in a data cell. */
    if (is_c_space(s[0]))
        return GMOE_CELL_NAN;
    for (size_t i = 0; i < n; i++)
        if (s[i] == 'x' || s[i] == 'X')
            return GMOE_CELL_NAN;
    errno = 0;
    char *end;
    double x = strtod(s, &end);
    if (end != s + n)
        return GMOE_CELL_NAN;
    if (errno == ERANGE && isinf(x))
        return GMOE_CELL_RANGE;
    if (!isfinite(x))
        return GMOE_CELL_NONFINITE;
    *v = x; /* underflow to a subnormal or zero is accepted */
    return GMOE_CELL_OK;
}

gmoe_cell_class gmoe_io_parse_number(const char *text, double *v)
{
    return parse_cell(text, strlen(text), v);
}

/* ------------------------------------------------------------ tokenizer */

/* A place in the file.  It is kept as pointers rather than a column
 * number because counting the column means scanning the line from its
 * start: that is done only when a message needs it (pos_column). */
typedef struct {
    size_t line;
    const char *line_start;       /* first byte of that line */
    const char *at;
} csv_pos;

typedef struct {
    const char *name;             /* file name for messages */
    gmoe_err *err;
    const char *p, *end;          /* cursor */
    size_t line;                  /* line of *p */
    const char *line_start;       /* first byte of that line */
    char *field;                  /* text of the last field read (NUL-terminated) */
    size_t flen, fcap;
    int fquoted;                  /* the field was quoted */
    csv_pos fstart;               /* where the field starts */
    csv_pos fend;                 /* where it ends (its terminator) */
} csv_reader;

enum { TERM_COMMA, TERM_EOL, TERM_EOF };

/* Column of `ptr` on the line starting at `ls`: UTF-8 characters + 1. */
static size_t column_of(const char *ls, const char *ptr)
{
    size_t c = 1;
    for (; ls < ptr; ls++)
        if (((unsigned char)*ls & 0xC0) != 0x80)
            c++;
    return c;
}

static size_t pos_column(csv_pos pos)
{
    return column_of(pos.line_start, pos.at);
}

/* The cursor as a csv_pos. */
static csv_pos here(const csv_reader *r)
{
    return (csv_pos){r->line, r->line_start, r->p};
}

static int csv_error(const csv_reader *r, size_t line, size_t col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int csv_error(const csv_reader *r, size_t line, size_t col, const char *fmt, ...)
{
    char msg[GMOE_ERRMSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gmoe_error(r->err, GMOE_EFORMAT, "%s:%zu:%zu: %s", r->name, line, col, msg);
}

static int error_here(const csv_reader *r, const char *what)
{
    return csv_error(r, r->line, column_of(r->line_start, r->p), "%s", what);
}

/* Appends n bytes to r->field, which stays NUL-terminated. */
static int append(csv_reader *r, const char *s, size_t n)
{
    if (n >= r->fcap - r->flen) { /* room for n bytes and the NUL */
        size_t cap = r->fcap ? r->fcap : 64;
        while (cap - r->flen <= n && cap <= ((size_t)-1) / 2)
            cap *= 2;
        char *f = cap - r->flen > n ? realloc(r->field, cap) : NULL;
        if (!f)
            return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
        r->field = f;
        r->fcap = cap;
    }
    memcpy(r->field + r->flen, s, n);
    r->flen += n;
    r->field[r->flen] = '\0';
    return GMOE_OK;
}

static void newline(csv_reader *r)
{
    r->line++;
    r->line_start = r->p;
}

/* At a line end ("\n" or "\r\n")? */
static int at_eol(const csv_reader *r)
{
    return r->p < r->end && (*r->p == '\n' || (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n'));
}

/* Consumes the terminator after a field into *term. */
static int read_terminator(csv_reader *r, int *term)
{
    r->fend = here(r);
    if (r->p == r->end) {
        *term = TERM_EOF;
    } else if (*r->p == ',') {
        r->p++;
        *term = TERM_COMMA;
    } else if (at_eol(r)) {
        r->p += *r->p == '\r' ? 2 : 1;
        newline(r);
        *term = TERM_EOL;
    } else if (*r->p == '\r') {
        return error_here(r, "carriage return not followed by a line feed");
    } else {
        return error_here(r, "unexpected character after a closing quote "
                             "(a quote inside a quoted field is written \"\")");
    }
    return GMOE_OK;
}

/* Bytes that end an unquoted field or are refused in one. */
static int ends_unquoted(char c)
{
    return c == ',' || c == '\n' || c == '\r' || c == '"' || c == '\0';
}

/* The text of an unquoted field, up to its terminator (not consumed).
 * Ordinary bytes are skipped as a run and copied with one memcpy. */
static int read_unquoted(csv_reader *r)
{
    const char *q = r->p;
    while (q < r->end && !ends_unquoted(*q))
        q++;
    int status = append(r, r->p, (size_t)(q - r->p));
    r->p = q;
    if (status != GMOE_OK || q == r->end || *q == ',' || at_eol(r))
        return status;
    if (*q == '"')
        return error_here(r, "quote inside an unquoted field "
                             "(a quoted field must start with the quote)");
    if (*q == '\r')
        return error_here(r, "carriage return not followed by a line feed");
    return error_here(r, "NUL byte (not a text file?)");
}

/* The text of a quoted field (the cursor at its opening quote), up to and
 * including the closing quote.  Runs of ordinary bytes are copied at once;
 * a line feed inside the field starts a new line for the positions. */
static int read_quoted(csv_reader *r)
{
    int status;
    r->p++;
    for (;;) {
        const char *q = r->p;
        while (q < r->end && *q != '"' && *q != '\n' && *q != '\0')
            q++;
        if ((status = append(r, r->p, (size_t)(q - r->p))) != GMOE_OK)
            return status;
        r->p = q;
        if (q == r->end)
            return csv_error(r, r->fstart.line, pos_column(r->fstart), "unterminated quoted field");
        if (*q == '\0')
            return error_here(r, "NUL byte (not a text file?)");
        if (*q == '"' && !(q + 1 < r->end && q[1] == '"')) {
            r->p++; /* the closing quote */
            return GMOE_OK;
        }
        if ((status = append(r, q, 1)) != GMOE_OK) /* a line feed, or "" as one quote */
            return status;
        r->p += *q == '"' ? 2 : 1;
        if (*q == '\n')
            newline(r);
    }
}

/* Reads one field into r->field and its terminator into *term. */
static int read_field(csv_reader *r, int *term)
{
    int status;
    r->flen = 0;
    if ((status = append(r, r->p, 0)) != GMOE_OK) /* make r->field a valid "" */
        return status;
    r->fstart = here(r);
    r->fquoted = r->p < r->end && *r->p == '"';
    status = r->fquoted ? read_quoted(r) : read_unquoted(r);
    if (status != GMOE_OK)
        return status;
    return read_terminator(r, term);
}

/* Only line ends from the cursor to the end of the file? */
static int rest_is_blank(const csv_reader *r)
{
    for (const char *q = r->p; q < r->end; q++)
        if (*q != '\n' && !(*q == '\r' && q + 1 < r->end && q[1] == '\n'))
            return 0;
    return 1;
}

/* ------------------------------------------------------------ table */

void gmoe_table_free(gmoe_table *t)
{
    if (!t)
        return;
    for (size_t j = 0; j < t->ncol; j++) {
        if (t->names)
            free(t->names[j]);
        if (t->bad_text)
            free(t->bad_text[j]);
    }
    free(t->names);
    free(t->bad_text);
    free(t->bad_line);
    free(t->cells);
    free(t->path);
    free(t);
}

long gmoe_table_column(const gmoe_table *t, const char *name)
{
    for (size_t j = 0; j < t->ncol; j++)
        if (strcmp(t->names[j], name) == 0)
            return (long)j;
    return -1;
}

/* Reads the header row into t->names / t->ncol. */
static int read_header(csv_reader *r, gmoe_table *t)
{
    size_t cap = 0;
    int term, status;
    do {
        if ((status = read_field(r, &term)) != GMOE_OK)
            return status;
        char *s = r->field;
        size_t n = r->flen;
        if (!r->fquoted) { /* "x, y" names y, not " y" */
            while (is_blank(*s))
                s++, n--;
            while (n > 0 && is_blank(s[n - 1]))
                n--;
        }
        if (n == 0)
            return csv_error(r, r->fstart.line, pos_column(r->fstart), "empty column name (column %zu)",
                             t->ncol + 1);
        s[n] = '\0';
        for (size_t j = 0; j < t->ncol; j++)
            if (strcmp(t->names[j], s) == 0)
                return csv_error(r, r->fstart.line, pos_column(r->fstart),
                                 "duplicate column name \"%s\" (columns %zu and %zu)", s, j + 1, t->ncol + 1);
        if (t->ncol == cap) {
            cap = cap ? 2 * cap : 16;
            char **nn = realloc(t->names, cap * sizeof *nn);
            if (!nn)
                return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
            t->names = nn;
        }
        if (!(t->names[t->ncol] = gmoe_strdup(s)))
            return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
        t->ncol++;
    } while (term == TERM_COMMA);
    t->bad_line = calloc(t->ncol, sizeof *t->bad_line);
    t->bad_text = calloc(t->ncol, sizeof *t->bad_text);
    if (!t->bad_line || !t->bad_text)
        return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
    return GMOE_OK;
}

/* Room for one more row of cells. */
static int grow_rows(csv_reader *r, gmoe_table *t, size_t *cap)
{
    if (t->nrow < *cap)
        return GMOE_OK;
    size_t nc = *cap ? 2 * *cap : 64;
    if (nc > ((size_t)-1) / sizeof(double) / t->ncol)
        return gmoe_error(r->err, GMOE_ENOMEM, "%s: too many cells", r->name);
    double *c = realloc(t->cells, nc * t->ncol * sizeof(double));
    if (!c)
        return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
    t->cells = c;
    *cap = nc;
    return GMOE_OK;
}

/* Reads one data row (the cursor is at a non-blank line). */
static int read_row(csv_reader *r, gmoe_table *t, size_t *cap)
{
    int term, status;
    size_t nf = 0;
    csv_pos extra = {0}; /* where the first extra field starts */
    if ((status = grow_rows(r, t, cap)) != GMOE_OK)
        return status;
    double *row = t->cells + t->nrow * t->ncol;
    do {
        if ((status = read_field(r, &term)) != GMOE_OK)
            return status;
        if (nf < t->ncol) {
            if (parse_cell(r->field, r->flen, &row[nf]) != GMOE_CELL_OK && t->bad_line[nf] == 0) {
                t->bad_line[nf] = r->fstart.line;
                if (!(t->bad_text[nf] = gmoe_strdup(r->field)))
                    return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
            }
        } else if (nf == t->ncol) {
            extra = r->fstart;
        }
        nf++;
    } while (term == TERM_COMMA);
    if (nf > t->ncol)
        return csv_error(r, extra.line, pos_column(extra), "row has %zu fields, header has %zu",
                         nf, t->ncol);
    if (nf < t->ncol)
        return csv_error(r, r->fend.line, pos_column(r->fend), "row has %zu field%s, header has %zu",
                         nf, nf == 1 ? "" : "s", t->ncol);
    t->nrow++;
    return GMOE_OK;
}

static int parse(csv_reader *r, gmoe_table *t)
{
    int status;
    if (rest_is_blank(r))
        return csv_error(r, 1, 1, "empty file (expected a header row)");
    if ((status = read_header(r, t)) != GMOE_OK)
        return status;
    size_t cap = 0;
    while (r->p < r->end) {
        if (at_eol(r)) {
            if (rest_is_blank(r))
                break;
            return csv_error(r, r->line, 1, "blank line inside the data (only trailing blank lines are allowed)");
        }
        if ((status = read_row(r, t, &cap)) != GMOE_OK)
            return status;
    }
    if (t->nrow == 0)
        return csv_error(r, r->line, 1, "no data rows after the header");
    return GMOE_OK;
}

int gmoe_table_read(const char *path, gmoe_table **out, gmoe_err *err)
{
    *out = NULL;
    if (!path)
        return gmoe_error(err, GMOE_EINVAL, "no file name");
    char *buf;
    size_t len;
    int status = gmoe_io_slurp(path, &buf, &len, err);
    if (status != GMOE_OK)
        return status;
    gmoe_table *t = calloc(1, sizeof *t);
    csv_reader r = {0};
    r.name = gmoe_io_display_name(path);
    r.err = err;
    r.p = buf;
    r.end = buf + len;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        r.p += 3; /* UTF-8 byte-order mark, as some spreadsheets write */
    r.line = 1;
    r.line_start = r.p;
    if (!t || !(t->path = gmoe_strdup(r.name)))
        status = gmoe_error(err, GMOE_ENOMEM, "%s: out of memory", r.name);
    else
        status = parse(&r, t);
    free(r.field);
    free(buf);
    if (status != GMOE_OK) {
        gmoe_table_free(t);
        return status;
    }
    *out = t;
    return GMOE_OK;
}
