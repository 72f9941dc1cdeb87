/* io_rows.c -- which rows of a table a selection uses: every row, with
 * the first missing value an error, or (na_drop) the rows without a
 * missing value in a selected column, counted per column; and the message
 * for the first cell that refuses the selection. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

/* Table column of selected column i (the response is i = s->nsrc). */
static size_t column_at(const gmoe_selection *s, size_t i)
{
    return i < s->nsrc ? s->src[i] : s->jy;
}

static size_t selected_count(const gmoe_selection *s)
{
    return s->nsrc + (s->has_y ? 1 : 0);
}

/* The message for column j's first refused cell: its first missing value
 * (with_missing, when it comes first) or its first bad one. */
static int cell_error(const gmoe_table *t, size_t j, int with_missing, gmoe_err *err)
{
    char col[128], text[128];
    const char *file = t->path;
    gmoe_io_escape(t->names[j], 40, col, sizeof col);
    if (with_missing && t->na_line[j] && (!t->bad_line[j] || t->na_line[j] < t->bad_line[j]))
        return gmoe_error(err, GMOE_EDATA, "%s:%zu: column \"%s\": missing value", file, t->na_line[j], col);
    const char *raw = t->bad_text[j] ? t->bad_text[j] : "";
    size_t line = t->bad_line[j];
    double v;
    gmoe_io_escape(raw, 40, text, sizeof text);
    switch (gmoe_io_parse_cell(raw, strlen(raw), t->decimal, &v)) {
    case GMOE_CELL_NONFINITE:
        return gmoe_error(err, GMOE_EDATA, "%s:%zu: column \"%s\": non-finite value \"%s\"", file, line, col, text);
    case GMOE_CELL_RANGE:
        return gmoe_error(err, GMOE_EDATA, "%s:%zu: column \"%s\": \"%s\" is out of the range of a double",
                          file, line, col, text);
    default:
        return gmoe_error(err, GMOE_EDATA,
                          "%s:%zu: column \"%s\": \"%s\" is not a number (a categorical column must be "
                          "declared a factor)", file, line, col, text);
    }
}

/* The first cell in file order that refuses the selection: present but
 * bad in a numeric column, or missing when rows are not dropped.  A
 * factor's cells are texts: only their missing values count here. */
static int first_refused(const gmoe_selection *s, gmoe_err *err)
{
    const gmoe_table *t = s->t;
    size_t worst = 0, line = 0;
    for (size_t i = 0; i < selected_count(s); i++) {
        size_t j = column_at(s, i);
        int factor = i < s->nsrc && s->req[i];
        size_t bad = factor ? 0 : t->bad_line[j];
        size_t na = s->o->na_drop ? 0 : t->na_line[j];
        size_t l = bad && (!na || bad < na) ? bad : na;
        if (l && (line == 0 || l < line))
            line = l, worst = j;
    }
    return line ? cell_error(t, worst, !s->o->na_drop, err) : GMOE_OK;
}

/* Is cell (r, selected column i) missing?  A numeric column has no bad
 * cell here, so NaN means missing. */
static int cell_missing(const gmoe_selection *s, size_t r, size_t i)
{
    const gmoe_table *t = s->t;
    size_t j = column_at(s, i);
    if (i < s->nsrc && s->req[i]) {
        const char *text = t->text[j][r];
        return gmoe_io_is_missing(text, strlen(text));
    }
    return isnan(t->cells[r * t->ncol + j]);
}

int gmoe_io_select_rows(gmoe_selection *s, gmoe_err *err)
{
    const gmoe_table *t = s->t;
    int status = first_refused(s, err);
    if (status != GMOE_OK)
        return status;
    s->keep = malloc(t->nrow);
    s->na_count = calloc(s->nsrc + 1, sizeof *s->na_count);
    if (!s->keep || !s->na_count)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    memset(s->keep, 1, t->nrow);
    s->nkeep = t->nrow;
    if (!s->o->na_drop)
        return GMOE_OK;
    for (size_t r = 0; r < t->nrow; r++) {
        for (size_t i = 0; i < selected_count(s); i++)
            if (cell_missing(s, r, i)) {
                s->na_count[i]++;
                s->keep[r] = 0;
            }
        s->nkeep -= !s->keep[r];
    }
    if (s->nkeep == 0)
        return gmoe_error(err, GMOE_EDATA, "%s: every row has a missing value in a selected column", t->path);
    return GMOE_OK;
}
