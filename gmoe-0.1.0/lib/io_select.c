/* io_select.c -- choosing a gmoe_data's columns from a gmoe_table: the
 * response, the covariates and the factors; the rows are io_rows.c's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

/* "data.csv: no column named "foo" (columns: a, b, y)". */
static int no_column(const gmoe_table *t, const char *name, gmoe_err *err)
{
    char list[GMOE_ERRMSG_LEN] = "", shown[128];
    size_t used = 0;
    for (size_t j = 0; j < t->ncol && used < sizeof list; j++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "",
                         gmoe_io_escape(t->names[j], 40, shown, sizeof shown));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return gmoe_error(err, GMOE_EDATA, "%s: no column named \"%s\" (columns: %s)", t->path,
                      gmoe_io_escape(name, 40, shown, sizeof shown), list);
}

/* Column of a name, with the error message for an unknown one. */
static int find_column(const gmoe_table *t, const char *name, size_t *j, gmoe_err *err)
{
    long c = gmoe_table_column(t, name);
    if (c < 0)
        return no_column(t, name, err);
    *j = (size_t)c;
    return GMOE_OK;
}

/* Resolves the response column: *jy, or *has_y = 0 when there is none.
 * With yname NULL the last column is the response, except that when the
 * response is optional and the caller selected that column as a covariate
 * there is no response (prediction from a file of covariates only). */
static int select_y(const gmoe_table *t, const char *yname, const char *const *xnames,
                    size_t nx, int y_optional, size_t *jy, int *has_y, gmoe_err *err)
{
    *has_y = 1;
    if (yname) {
        long c = gmoe_table_column(t, yname);
        if (c < 0) {
            if (y_optional) {
                *has_y = 0;
                return GMOE_OK;
            }
            return no_column(t, yname, err);
        }
        *jy = (size_t)c;
        return GMOE_OK;
    }
    *jy = t->ncol - 1;
    if (y_optional)
        for (size_t i = 0; i < nx; i++)
            if (xnames[i] && strcmp(xnames[i], t->names[*jy]) == 0)
                *has_y = 0;
    return GMOE_OK;
}

/* Fills cols[0..*d-1] with the covariate columns (by default every
 * column but the response and the case weights, column jw if has_w). */
static int select_x(const gmoe_table *t, const char *const *xnames, size_t nx,
                    size_t jy, int has_y, size_t jw, int has_w, size_t *cols, size_t *d,
                    gmoe_err *err)
{
    int status;
    *d = 0;
    if (!xnames || nx == 0) {
        for (size_t j = 0; j < t->ncol; j++)
            if ((!has_y || j != jy) && (!has_w || j != jw))
                cols[(*d)++] = j;
    } else {
        for (size_t i = 0; i < nx; i++) {
            if (!xnames[i])
                return gmoe_error(err, GMOE_EINVAL, "covariate name %zu is NULL", i + 1);
            if ((status = find_column(t, xnames[i], &cols[i], err)) != GMOE_OK)
                return status;
            if (has_y && cols[i] == jy)
                return gmoe_error(err, GMOE_EDATA, "%s: column \"%s\" is both the response and a covariate",
                                  t->path, xnames[i]);
            for (size_t l = 0; l < i; l++)
                if (cols[l] == cols[i])
                    return gmoe_error(err, GMOE_EDATA, "%s: column \"%s\" is selected twice",
                                      t->path, xnames[i]);
        }
        *d = nx;
    }
    if (*d == 0)
        return gmoe_error(err, GMOE_EDATA, "%s: no covariate column (the only column, \"%s\", is the response)",
                          t->path, t->names[jy]);
    return GMOE_OK;
}

/* The factor request of each covariate column (NULL for a numeric one). */
static int match_factors(gmoe_selection *s, gmoe_err *err)
{
    const gmoe_select_options *o = s->o;
    const gmoe_table *t = s->t;
    for (size_t f = 0; f < o->nfactors; f++) {
        size_t j;
        int status = find_column(t, o->factors[f].name, &j, err);
        if (status != GMOE_OK)
            return status;
        if (s->has_y && j == s->jy)
            return gmoe_error(err, GMOE_EDATA, "%s: the response \"%s\" cannot be a factor", t->path, t->names[j]);
        if (!t->text[j])
            return gmoe_error(err, GMOE_EINVAL, "%s: factor \"%s\": the column was not read as text "
                              "(gmoe_csv_options.text_columns)", t->path, t->names[j]);
        for (size_t i = 0; i < s->nsrc; i++)
            if (s->src[i] == j)
                s->req[i] = &o->factors[f];
    }
    return GMOE_OK;
}

/* Covariates after coding: a factor gives one per level but the reference. */
static size_t coded_width(const gmoe_selection *s)
{
    size_t d = 0;
    for (size_t i = 0; i < s->nsrc; i++)
        d += s->req[i] ? s->levels[i].nlevels - 1 : 1;
    return d;
}

/* The covariate names and the factors' levels. */
static int build_names(gmoe_selection *s, gmoe_data *data)
{
    size_t c = 0;
    for (size_t i = 0; i < s->nsrc; i++) {
        const gmoe_factor *f = &s->levels[i];
        if (!s->req[i]) {
            if (!(data->xnames[c++] = gmoe_strdup(s->t->names[s->src[i]])))
                return GMOE_ENOMEM;
            continue;
        }
        for (size_t l = 1; l < f->nlevels; l++)
            if (!(data->xnames[c++] = gmoe_factor_indicator_name(f->name, f->levels[l])))
                return GMOE_ENOMEM;
        data->factors[data->nfactors++] = *f; /* moved: s->levels no longer owns it */
        memset(&s->levels[i], 0, sizeof *f);
    }
    return GMOE_OK;
}

/* One kept row's covariates. */
static void build_row(const gmoe_selection *s, const gmoe_data *data, size_t r, double *x)
{
    const gmoe_table *t = s->t;
    size_t c = 0, nf = 0;
    for (size_t i = 0; i < s->nsrc; i++) {
        if (!s->req[i]) {
            x[c++] = t->cells[r * t->ncol + s->src[i]];
            continue;
        }
        const gmoe_factor *f = &data->factors[nf++];
        size_t level = gmoe_io_level_index(f, t->text[s->src[i]][r]);
        for (size_t l = 1; l < f->nlevels; l++)
            x[c++] = level == l ? 1.0 : 0.0;
    }
}

/* The missing-value counts of the columns that had some. */
static int build_na_report(const gmoe_selection *s, gmoe_data *data)
{
    size_t nsel = s->nsrc + (s->has_y ? 1 : 0);
    data->dropped = s->t->nrow - s->nkeep;
    if (!(data->na_columns = calloc(nsel + 1, sizeof(char *))) ||
        !(data->na_counts = calloc(nsel + 1, sizeof(size_t))))
        return GMOE_ENOMEM;
    if (s->w_na) { /* the case weights' column */
        if (!(data->na_columns[data->n_na_columns] = gmoe_strdup(s->t->names[s->jw])))
            return GMOE_ENOMEM;
        data->na_counts[data->n_na_columns++] = s->w_na;
    }
    for (size_t i = 0; i < nsel; i++) {
        if (!s->na_count[i])
            continue;
        size_t j = i < s->nsrc ? s->src[i] : s->jy;
        if (!(data->na_columns[data->n_na_columns] = gmoe_strdup(s->t->names[j])))
            return GMOE_ENOMEM;
        data->na_counts[data->n_na_columns++] = s->na_count[i];
    }
    return GMOE_OK;
}

static int build(gmoe_selection *s, gmoe_data **out)
{
    const gmoe_table *t = s->t;
    size_t n = s->nkeep, d = coded_width(s);
    gmoe_data *data = calloc(1, sizeof *data);
    if (!data || n > ((size_t)-1) / sizeof(double) / d)
        goto fail;
    data->n = n;
    data->d = d;
    data->x = malloc(n * d * sizeof(double));
    data->xnames = calloc(d, sizeof(char *));
    data->factors = calloc(s->nsrc, sizeof *data->factors);
    if (!data->x || !data->xnames || !data->factors || build_names(s, data) != GMOE_OK ||
        build_na_report(s, data) != GMOE_OK || gmoe_io_weights_build(s, data) != GMOE_OK)
        goto fail;
    if (s->has_y && (!(data->y = malloc(n * sizeof(double))) || !(data->yname = gmoe_strdup(t->names[s->jy]))))
        goto fail;
    for (size_t r = 0, i = 0; r < t->nrow; r++) {
        if (!s->keep[r])
            continue;
        build_row(s, data, r, data->x + i * d);
        if (s->has_y)
            data->y[i] = t->cells[r * t->ncol + s->jy];
        i++;
    }
    *out = data;
    return GMOE_OK;
fail:
    gmoe_data_free(data);
    return GMOE_ENOMEM;
}

static void selection_free(gmoe_selection *s)
{
    for (size_t i = 0; s->levels && i < s->nsrc; i++)
        gmoe_factor_clear(&s->levels[i]);
    free(s->levels);
    free(s->src);
    free(s->req);
    free(s->keep);
    free(s->na_count);
}

int gmoe_data_select(const gmoe_table *t, const gmoe_select_options *o, gmoe_data **out, gmoe_err *err)
{
    *out = NULL;
    if (!t || t->ncol == 0 || !o)
        return gmoe_error(err, GMOE_EINVAL, "no table or no options");
    size_t nx = o->xnames ? o->nx : 0, cap = nx > t->ncol ? nx : t->ncol;
    gmoe_selection s = {.t = t, .o = o};
    s.src = malloc(cap * sizeof *s.src);
    s.req = calloc(cap, sizeof *s.req);
    s.levels = calloc(cap, sizeof *s.levels);
    int status;
    if (!s.src || !s.req || !s.levels)
        status = gmoe_error(err, GMOE_ENOMEM, "out of memory");
    else if ((status = select_y(t, o->yname, o->xnames, nx, o->y_optional, &s.jy, &s.has_y, err)) == GMOE_OK &&
             (status = gmoe_io_weights_column(&s, err)) == GMOE_OK &&
             (status = select_x(t, o->xnames, nx, s.jy, s.has_y, s.jw, s.has_w, s.src, &s.nsrc,
                                err)) == GMOE_OK &&
             (status = match_factors(&s, err)) == GMOE_OK &&
             (status = gmoe_io_select_rows(&s, err)) == GMOE_OK &&
             (status = gmoe_io_weights_rows(&s, err)) == GMOE_OK &&
             (status = gmoe_io_select_levels(&s, err)) == GMOE_OK && build(&s, out) != GMOE_OK)
        status = gmoe_error(err, GMOE_ENOMEM, "%s: out of memory", t->path);
    selection_free(&s);
    return status;
}

int gmoe_data_from_table(const gmoe_table *t, const char *yname,
                         const char *const *xnames, size_t nx,
                         int y_optional, gmoe_data **out, gmoe_err *err)
{
    gmoe_select_options o = {.yname = yname, .xnames = xnames, .nx = xnames ? nx : 0, .y_optional = y_optional};
    return gmoe_data_select(t, &o, out, err);
}
