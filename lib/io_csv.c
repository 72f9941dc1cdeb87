/* io_csv.c -- strict CSV reader (RFC 4180) into a gmoe_table.
 *
 * The whole file is read into memory, then parsed record by record.  The
 * separator is an option (comma by default, or sniffed from the header);
 * the cells are parsed by io_cell.c.  Positions in messages are
 * "file:line:column", both 1-based; the column counts UTF-8 characters
 * from the start of the physical line (a UTF-8 byte-order mark is skipped
 * and not counted). */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
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
    char sep;                     /* the field separator */
    const char *p, *end;          /* cursor */
    size_t line;                  /* line of *p */
    const char *line_start;       /* first byte of that line */
    char *field;                  /* text of the last field read (NUL-terminated) */
    size_t flen, fcap;
    unsigned char ends[256];      /* the bytes that end an unquoted field or
                                     are refused in one (ends_unquoted) */
    const char *raw;              /* or, unquoted, its flen bytes in the file:
                                     copied to field only when asked for
                                     (field_text; a number is parsed there) */
    int fquoted;                  /* the field was quoted */
    csv_pos fstart;               /* where the field starts */
    csv_pos fend;                 /* where it ends (its terminator) */
} csv_reader;

enum { TERM_SEP, TERM_EOL, TERM_EOF };

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
    } else if (*r->p == r->sep) {
        r->p++;
        *term = TERM_SEP;
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
static int ends_unquoted(char c, char sep)
{
    return c == sep || c == '\n' || c == '\r' || c == '"' || c == '\0';
}

/* The text of an unquoted field, up to its terminator (not consumed).
 * Ordinary bytes are skipped as a run and copied with one memcpy. */
static int read_unquoted(csv_reader *r)
{
    const char *q = r->p;
    while (q < r->end && !r->ends[(unsigned char)*q]) /* one look-up a byte */
        q++;
    r->raw = r->p;
    r->flen = (size_t)(q - r->p);
    r->p = q;
    if (q == r->end || *q == r->sep || at_eol(r))
        return GMOE_OK;
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

/* The last field's text into r->field, if it is still in the file. */
static int field_text(csv_reader *r)
{
    const char *raw = r->raw;
    size_t n = r->flen;
    if (!raw)
        return GMOE_OK;
    r->raw = NULL;
    r->flen = 0;
    return append(r, raw, n);
}

/* Reads one field (into r->field, or r->raw) and its terminator into *term. */
static int read_field(csv_reader *r, int *term)
{
    int status;
    r->flen = 0;
    r->raw = NULL;
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
        if (t->text && t->text[j]) {
            for (size_t r = 0; r < t->nrow; r++)
                free(t->text[j][r]);
            free(t->text[j]);
        }
    }
    free(t->names);
    free(t->bad_text);
    free(t->bad_line);
    free(t->na_line);
    free(t->row_line);
    free(t->text);
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

void gmoe_csv_options_default(gmoe_csv_options *o)
{
    memset(o, 0, sizeof *o);
    o->sep = ',';
    o->decimal = '.';
}

const char *gmoe_csv_options_check(const gmoe_csv_options *o)
{
    if (o->decimal != '.' && o->decimal != ',')
        return "decimal: the decimal mark must be '.' or ','";
    if (o->sep == 0)
        return NULL;
    unsigned char c = (unsigned char)o->sep;
    if (!(c == '\t' || c == ' ' || (c < 0x80 && ispunct(c))) || c == '"' || c == '.' || c == '+' || c == '-')
        return "sep: the separator must be a tab, a space or an ASCII punctuation mark other than '\"', '.', '+' "
               "and '-'";
    if (o->sep == o->decimal)
        return "sep: the separator and the decimal mark are the same character";
    return NULL;
}

/* The most frequent of , ; tab | on the first line, outside quotes (',' when
 * none occurs; ties go to the earlier in that list). */
static char sniff_sep(const char *p, const char *end)
{
    static const char cand[] = {',', ';', '\t', '|'};
    size_t count[4] = {0};
    int quoted = 0;
    for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
        if (*p == '"')
            quoted = !quoted;
        for (int i = 0; i < 4 && !quoted; i++)
            count[i] += *p == cand[i];
    }
    int best = 0;
    for (int i = 1; i < 4; i++)
        if (count[i] > count[best])
            best = i;
    return cand[best];
}

/* ------------------------------------------------------------ header */

/* A header name and its place, sorted to find duplicates in O(n log n). */
typedef struct {
    const char *name;
    size_t col;
} header_entry;

static int compare_entries(const void *a, const void *b)
{
    const header_entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->col > y->col) - (x->col < y->col);
}

/* The first repeated name in file order: the smallest column that repeats
 * an earlier one.  Sorting by (name, column) puts each name's first column
 * just before its repeats. */
static int check_duplicates(csv_reader *r, const gmoe_table *t, const csv_pos *where)
{
    header_entry *e = malloc(t->ncol * sizeof *e);
    if (!e)
        return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
    for (size_t j = 0; j < t->ncol; j++)
        e[j] = (header_entry){t->names[j], j};
    qsort(e, t->ncol, sizeof *e, compare_entries);
    size_t first = 0, dup = (size_t)-1, group = 0; /* e[group]: the first entry of e[i]'s name */
    for (size_t i = 1; i < t->ncol; i++) {
        if (strcmp(e[i].name, e[i - 1].name) != 0)
            group = i;
        else if (e[i].col < dup)
            dup = e[i].col, first = e[group].col;
    }
    free(e);
    if (dup == (size_t)-1)
        return GMOE_OK;
    char shown[128];
    return csv_error(r, where[dup].line, pos_column(where[dup]), "duplicate column name \"%s\" (columns %zu and %zu)",
                     gmoe_io_escape(t->names[dup], 40, shown, sizeof shown), first + 1, dup + 1);
}

/* One header name (r->field) trimmed and stored as column t->ncol. */
static int add_name(csv_reader *r, gmoe_table *t, size_t *cap, csv_pos **where)
{
    int status = field_text(r);
    if (status != GMOE_OK)
        return status;
    const char *s = r->field;
    size_t n = r->flen;
    if (!r->fquoted) /* "x, y" names y, not " y" */
        gmoe_io_trim(&s, &n);
    if (n == 0)
        return csv_error(r, r->fstart.line, pos_column(r->fstart), "empty column name (column %zu)", t->ncol + 1);
    if (t->ncol == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        char **nn = realloc(t->names, nc * sizeof *nn);
        if (nn)
            t->names = nn;
        csv_pos *nw = nn ? realloc(*where, nc * sizeof *nw) : NULL;
        if (!nw)
            return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
        *where = nw;
        *cap = nc;
    }
    if (!(t->names[t->ncol] = malloc(n + 1)))
        return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
    memcpy(t->names[t->ncol], s, n);
    t->names[t->ncol][n] = '\0';
    (*where)[t->ncol++] = r->fstart;
    return GMOE_OK;
}

/* The per-column records, and the text arrays of the columns asked for. */
static int alloc_columns(csv_reader *r, gmoe_table *t, const gmoe_csv_options *o)
{
    t->bad_line = calloc(t->ncol, sizeof *t->bad_line);
    t->bad_text = calloc(t->ncol, sizeof *t->bad_text);
    t->na_line = calloc(t->ncol, sizeof *t->na_line);
    t->text = calloc(t->ncol, sizeof *t->text);
    if (!t->bad_line || !t->bad_text || !t->na_line || !t->text)
        return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
    for (size_t i = 0; i < o->ntext; i++) {
        long j = o->text_columns[i] ? gmoe_table_column(t, o->text_columns[i]) : -1;
        if (j >= 0 && !t->text[j] && !(t->text[j] = calloc(1, sizeof(char *))))
            return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
    }
    return GMOE_OK;
}

/* Reads the header row into t->names / t->ncol. */
static int read_header(csv_reader *r, gmoe_table *t, const gmoe_csv_options *o)
{
    size_t cap = 0;
    csv_pos *where = NULL;
    int term, status;
    do {
        if ((status = read_field(r, &term)) != GMOE_OK || (status = add_name(r, t, &cap, &where)) != GMOE_OK)
            break;
    } while (term == TERM_SEP);
    if (status == GMOE_OK)
        status = check_duplicates(r, t, where);
    free(where);
    return status == GMOE_OK ? alloc_columns(r, t, o) : status;
}

/* ------------------------------------------------------------ rows */

/* Room for one more row of cells, of line numbers and of kept texts. */
static int grow_rows(csv_reader *r, gmoe_table *t, size_t *cap)
{
    if (t->nrow < *cap)
        return GMOE_OK;
    size_t nc = *cap ? 2 * *cap : 64;
    if (nc > ((size_t)-1) / sizeof(double) / t->ncol)
        return gmoe_error(r->err, GMOE_ENOMEM, "%s: too many cells", r->name);
    double *c = realloc(t->cells, nc * t->ncol * sizeof(double));
    if (c)
        t->cells = c;
    size_t *l = c ? realloc(t->row_line, nc * sizeof *l) : NULL;
    if (!l)
        return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
    t->row_line = l;
    for (size_t j = 0; j < t->ncol; j++) {
        char **tx = t->text[j] ? realloc(t->text[j], nc * sizeof *tx) : NULL;
        if (t->text[j] && !tx)
            return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
        if (tx)
            t->text[j] = tx;
    }
    *cap = nc;
    return GMOE_OK;
}

/* Cell nf of the row being read: its number, and its text when kept. */
static int store_cell(csv_reader *r, gmoe_table *t, size_t nf, double *cell)
{
    /* a plain number straight from the file (most cells), else the text */
    if (r->raw && !t->text[nf] && gmoe_io_parse_plain(r->raw, r->flen, t->decimal, cell))
        return GMOE_OK;
    int status = field_text(r);
    if (status != GMOE_OK)
        return status;
    gmoe_cell_class c = gmoe_io_parse_cell(r->field, r->flen, t->decimal, cell);
    size_t line = r->fstart.line;
    if (c == GMOE_CELL_MISSING && t->na_line[nf] == 0)
        t->na_line[nf] = line;
    if (c != GMOE_CELL_OK && c != GMOE_CELL_MISSING && t->bad_line[nf] == 0) {
        t->bad_line[nf] = line;
        if (!(t->bad_text[nf] = gmoe_strdup(r->field)))
            return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
    }
    if (t->text[nf]) {
        const char *s = r->field;
        size_t n = r->flen;
        gmoe_io_trim(&s, &n);
        char *copy = malloc(n + 1);
        if (!copy)
            return gmoe_error(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
        memcpy(copy, s, n);
        copy[n] = '\0';
        t->text[nf][t->nrow] = copy;
    }
    return GMOE_OK;
}

/* Frees the kept texts of a row that was not completed. */
static void drop_row_texts(gmoe_table *t, size_t nf)
{
    for (size_t j = 0; j < nf && j < t->ncol; j++)
        if (t->text[j])
            free(t->text[j][t->nrow]);
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
    t->row_line[t->nrow] = r->line;
    do {
        if ((status = read_field(r, &term)) != GMOE_OK)
            break;
        if (nf < t->ncol && (status = store_cell(r, t, nf, &row[nf])) != GMOE_OK)
            break;
        if (nf == t->ncol)
            extra = r->fstart;
        nf++;
    } while (term == TERM_SEP);
    if (status == GMOE_OK && nf > t->ncol)
        status = csv_error(r, extra.line, pos_column(extra), "row has %zu fields, header has %zu", nf, t->ncol);
    if (status == GMOE_OK && nf < t->ncol)
        status = csv_error(r, r->fend.line, pos_column(r->fend), "row has %zu field%s, header has %zu",
                           nf, nf == 1 ? "" : "s", t->ncol);
    if (status != GMOE_OK) {
        drop_row_texts(t, nf);
        return status;
    }
    t->nrow++;
    return GMOE_OK;
}

static int parse(csv_reader *r, gmoe_table *t, const gmoe_csv_options *o, int bom)
{
    int status;
    if (rest_is_blank(r))
        return csv_error(r, 1, 1, bom ? "the file holds only a UTF-8 byte-order mark (expected a header row)"
                                      : "empty file (expected a header row)");
    if ((status = read_header(r, t, o)) != GMOE_OK)
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

int gmoe_table_read_csv(const char *path, const gmoe_csv_options *o, gmoe_table **out, gmoe_err *err)
{
    *out = NULL;
    if (!path || !o)
        return gmoe_error(err, GMOE_EINVAL, "no file name or no options");
    const char *bad = gmoe_csv_options_check(o);
    if (bad)
        return gmoe_error(err, GMOE_EINVAL, "%s", bad);
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
    int bom = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0;
    if (bom)
        r.p += 3; /* UTF-8 byte-order mark, as some spreadsheets write */
    r.line = 1;
    r.line_start = r.p;
    r.sep = o->sep ? o->sep : sniff_sep(r.p, r.end);
    for (int c = 0; c < 256; c++)
        r.ends[c] = (unsigned char)ends_unquoted((char)c, r.sep);
    if (!t || !(t->path = gmoe_strdup(r.name))) {
        status = gmoe_error(err, GMOE_ENOMEM, "%s: out of memory", r.name);
    } else {
        t->sep = r.sep;
        t->decimal = o->decimal;
        status = parse(&r, t, o, bom);
    }
    free(r.field);
    free(buf);
    if (status != GMOE_OK) {
        gmoe_table_free(t);
        return status;
    }
    *out = t;
    return GMOE_OK;
}

int gmoe_table_read(const char *path, gmoe_table **out, gmoe_err *err)
{
    gmoe_csv_options o;
    gmoe_csv_options_default(&o);
    return gmoe_table_read_csv(path, &o, out, err);
}
