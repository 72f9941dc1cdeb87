/* io.h -- helpers shared by the file readers (private, not installed).
 *
 * Also the command-line tools' one private contract with the library:
 * src/ includes this header (and no other private one) for
 * gmoe_io_display_name and gmoe_io_write_atomic, the two functions of it
 * that libgmoe.sym exports; the rest is the readers' own. */
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
    GMOE_CELL_MISSING,   /* empty (after trimming), "NA", "NaN" or "." */
    GMOE_CELL_NONFINITE, /* "inf", "nan", ... */
    GMOE_CELL_RANGE,     /* finite text that overflows a double */
    GMOE_CELL_NAN        /* not a number at all */
} gmoe_cell_class;

/* Parses the n bytes of a cell (text[n] is a NUL, none before it) as a
 * decimal number with the decimal mark `decimal` ('.' or ','; strtod, C
 * locale; spaces and tabs around it allowed, the whole text consumed, no
 * hexadecimal).  *v is the value, or NaN unless the class is
 * GMOE_CELL_OK.  gmoe_io_parse_number: a NUL-terminated text with '.'. */
gmoe_cell_class gmoe_io_parse_cell(const char *text, size_t n, char decimal, double *v);
gmoe_cell_class gmoe_io_parse_number(const char *text, double *v);

/* s[0..n) as a plain decimal number with `decimal` as its point (io_decimal.c):
 * 1 and *v (the double strtod gives) when it is one of the common
 * numbers converted there exactly, 0 (v untouched) otherwise. */
int gmoe_io_decimal(const char *s, size_t n, char decimal, double *v);

/* 1 and *v when the n bytes s (no NUL needed), spaces and tabs around
 * them trimmed, are such a number (gmoe_io_parse_cell's GMOE_CELL_OK and
 * value); 0 (v untouched) when gmoe_io_parse_cell must look at them. */
int gmoe_io_parse_plain(const char *s, size_t n, char decimal, double *v);

/* Is the text (n bytes) a missing value: empty after trimming, NA, NaN or "."? */
int gmoe_io_is_missing(const char *s, size_t n);
/* Moves *s and shortens *n past the spaces and tabs at both ends. */
void gmoe_io_trim(const char **s, size_t *n);

/* Text for a message: at most `max` characters of s, line feeds, tabs and
 * other control bytes written as \n, \t, \xNN, "..." when cut; into buf
 * (len bytes, at least 4), which is returned. */
const char *gmoe_io_escape(const char *s, size_t max, char *buf, size_t len);

/* The "factors" key of a model file (io_model_factors.c): the array to
 * write (NULL when out of memory), and reading it into m (after its
 * x_names) with a message on failure (GMOE_EFORMAT, GMOE_ENOMEM).  The
 * json_t is jansson's, declared here so that only these files see it. */
struct json_t;

/* The shortest decimal text (15 to 17 significant digits) of v that reads
 * back as the same double, into buf; 0 when out of memory or buf is too
 * short (io_number.c). */
int gmoe_io_number_text(double v, char *buf, size_t len);

/* The "inference" key of a model file (io_model_inference.c): written as
 * text pieces through put(ctx, text), indented for its place; read into
 * m->inference (after the model's parameters, whose names it must
 * match), with a message on failure (GMOE_EFORMAT, GMOE_ENOMEM). */
void gmoe_io_inference_write(const gmoe_inference *inf, void (*put)(void *ctx, const char *text),
                             void *ctx);
int gmoe_io_inference_read(struct json_t *v, gmoe_model *m, char *msg, size_t len);
/* The "notes" key (io_model_notes.c): written as text pieces like
 * "inference"; read into m->notes (experts and covariates checked against
 * m's sizes), with a message on failure (GMOE_EFORMAT, GMOE_ENOMEM). */
void gmoe_io_notes_write(const gmoe_note_list *notes, void (*put)(void *ctx, const char *text), void *ctx);
int gmoe_io_notes_read(struct json_t *v, gmoe_model *m, char *msg, size_t len);
struct json_t *gmoe_io_factors_json(const gmoe_model *m);
int gmoe_io_factors_read(struct json_t *v, gmoe_model *m, char *msg, size_t len);

/* ------------------------------------------------ selecting columns
 * gmoe_data_select in steps: io_select.c chooses the columns and builds
 * the data, io_rows.c deals with missing values, io_levels.c with the
 * levels of factors.  A selection being built: */
typedef struct {
    const gmoe_table *t;
    const gmoe_select_options *o;
    size_t jy;                         /* the response column, if has_y */
    int has_y;
    size_t nsrc;                       /* selected covariate columns */
    size_t *src;
    const gmoe_factor_request **req;   /* per covariate column: its factor, or NULL */
    gmoe_factor *levels;               /* per covariate column: the levels of a factor */
    unsigned char *keep;               /* per table row: used (not dropped) */
    size_t nkeep;
    size_t *na_count;                  /* per covariate column, then the response */
    size_t jw;                         /* the case-weight column, if has_w */
    int has_w;
    size_t w_na;                       /* rows dropped for a missing weight */
} gmoe_selection;

/* Fills s->keep / s->nkeep / s->na_count: every row, or (na_drop) the rows
 * without a missing value in a selected column; refuses a present but bad
 * cell, and (without na_drop) the first missing one, in file order. */
int gmoe_io_select_rows(gmoe_selection *s, gmoe_err *err);

/* Fills s->levels for the factor columns: the levels of the kept rows
 * (the reference first), or the fixed ones after checking every kept
 * row's level is among them. */
int gmoe_io_select_levels(gmoe_selection *s, gmoe_err *err);

/* The case-weight column (io_weights.c).  gmoe_io_weights_column: s->jw
 * and s->has_w from s->o->wname (before the covariates are chosen),
 * refusing an unknown column or the response.  gmoe_io_weights_rows
 * (after gmoe_io_select_rows): refuses a weight column that is also a
 * covariate, a bad, non-finite or negative cell, a missing one (without
 * na_drop; with it, the row is dropped and counted in s->w_na), and
 * weights that are all zero, each with the file, line and column.
 * gmoe_io_weights_build: the kept rows' weights into data->w. */
int gmoe_io_weights_column(gmoe_selection *s, gmoe_err *err);
int gmoe_io_weights_rows(gmoe_selection *s, gmoe_err *err);
int gmoe_io_weights_build(const gmoe_selection *s, gmoe_data *data);

/* Index in f->levels of a level (levels[1..] in strcmp order), or
 * f->nlevels when it is not one. */
size_t gmoe_io_level_index(const gmoe_factor *f, const char *text);

#endif
