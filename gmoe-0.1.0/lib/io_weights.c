/* io_weights.c -- the case-weight column of a selection (gmoe_data_select
 * with wname): which column, its cells checked with the file, line and
 * column named, and the weights of the kept rows. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

/* "data.csv:7: column "w" (--weights): " as the start of a message. */
static int weight_error(const gmoe_selection *s, size_t line, const char *what,
                        const char *text, gmoe_err *err)
{
    char col[128], shown[128];
    const char *label = s->o->wlabel ? s->o->wlabel : "case weights";
    gmoe_io_escape(s->t->names[s->jw], 40, col, sizeof col);
    gmoe_io_escape(text, 40, shown, sizeof shown);
    if (line)
        return gmoe_error(err, GMOE_EDATA, "%s:%zu: column \"%s\" (%s): %s \"%s\"", s->t->path,
                          line, col, label, what, shown);
    return gmoe_error(err, GMOE_EDATA, "%s: column \"%s\" (%s): %s", s->t->path, col, label, what);
}

int gmoe_io_weights_column(gmoe_selection *s, gmoe_err *err)
{
    s->has_w = 0;
    if (!s->o->wname)
        return GMOE_OK;
    long c = gmoe_table_column(s->t, s->o->wname);
    if (c < 0) {
        char shown[128];
        return gmoe_error(err, GMOE_EDATA, "%s: no column named \"%s\" for the %s", s->t->path,
                          gmoe_io_escape(s->o->wname, 40, shown, sizeof shown),
                          s->o->wlabel ? s->o->wlabel : "case weights");
    }
    s->jw = (size_t)c;
    s->has_w = 1;
    if (s->has_y && s->jw == s->jy)
        return weight_error(s, 0, "is the response too", "", err);
    return GMOE_OK;
}

/* The file's text of cell (r, jw), for a message. */
static const char *cell_text(const gmoe_selection *s, size_t r, char *buf, size_t len)
{
    double v = s->t->cells[r * s->t->ncol + s->jw];
    if (isnan(v))
        return "";
    gmoe_io_number_text(v, buf, len);
    return buf;
}

/* Refuses the first bad or (without na_drop) missing cell in file order. */
static int refuse_bad_cell(const gmoe_selection *s, gmoe_err *err)
{
    const gmoe_table *t = s->t;
    size_t bad = t->bad_line[s->jw], na = s->o->na_drop ? 0 : t->na_line[s->jw];
    if (na && (!bad || na < bad))
        return weight_error(s, na, "missing value", "", err);
    if (!bad)
        return GMOE_OK;
    const char *raw = t->bad_text[s->jw] ? t->bad_text[s->jw] : "";
    double v;
    gmoe_cell_class c = gmoe_io_parse_cell(raw, strlen(raw), t->decimal, &v);
    return weight_error(s, bad, c == GMOE_CELL_NAN ? "not a number:" : "not a finite number:", raw,
                        err);
}

int gmoe_io_weights_rows(gmoe_selection *s, gmoe_err *err)
{
    if (!s->has_w)
        return GMOE_OK;
    const gmoe_table *t = s->t;
    for (size_t i = 0; i < s->nsrc; i++)
        if (s->src[i] == s->jw)
            return weight_error(s, 0, "cannot be a covariate too", "", err);
    int st = refuse_bad_cell(s, err);
    int positive = 0;
    for (size_t r = 0; st == GMOE_OK && r < t->nrow; r++) {
        double w = t->cells[r * t->ncol + s->jw];
        char buf[40];
        if (!s->keep[r])
            continue;
        if (isnan(w)) { /* missing, and na_drop */
            s->keep[r] = 0;
            s->nkeep--;
            s->w_na++;
        } else if (w < 0) {
            st = weight_error(s, t->row_line[r], "negative weight", cell_text(s, r, buf, sizeof buf),
                              err);
        }
        positive |= w > 0;
    }
    if (st == GMOE_OK && !positive)
        st = weight_error(s, 0, "every weight is zero (or missing): nothing to fit", "", err);
    return st;
}

int gmoe_io_weights_build(const gmoe_selection *s, gmoe_data *data)
{
    if (!s->has_w)
        return GMOE_OK;
    if (!(data->w = malloc((s->nkeep + 1) * sizeof(double))))
        return GMOE_ENOMEM;
    for (size_t r = 0, i = 0; r < s->t->nrow; r++)
        if (s->keep[r])
            data->w[i++] = s->t->cells[r * s->t->ncol + s->jw];
    return GMOE_OK;
}
