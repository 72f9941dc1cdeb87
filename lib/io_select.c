/* io_select.c -- choosing a gmoe_data's columns from a gmoe_table: the
 * response, the covariates, and the message for a bad cell. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

/* "data.csv: no column named "foo" (columns: a, b, y)". */
static int no_column(const gmoe_table *t, const char *name, gmoe_err *err)
{
    char list[GMOE_ERRMSG_LEN] = "";
    size_t used = 0;
    for (size_t j = 0; j < t->ncol && used < sizeof list; j++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", t->names[j]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return gmoe_error(err, GMOE_EDATA, "%s: no column named \"%s\" (columns: %s)", t->path, name, list);
}

/* The message for the first bad cell of column j. */
static int bad_cell(const gmoe_table *t, size_t j, gmoe_err *err)
{
    const char *text = t->bad_text[j] ? t->bad_text[j] : "";
    double v;
    const char *file = t->path;
    size_t line = t->bad_line[j];
    const char *col = t->names[j];
    switch (gmoe_io_parse_number(text, &v)) {
    case GMOE_CELL_MISSING:
        return gmoe_error(err, GMOE_EDATA, "%s:%zu: column \"%s\": missing value", file, line, col);
    case GMOE_CELL_NONFINITE:
        return gmoe_error(err, GMOE_EDATA, "%s:%zu: column \"%s\": non-finite value \"%.40s\"",
                          file, line, col, text);
    case GMOE_CELL_RANGE:
        return gmoe_error(err, GMOE_EDATA, "%s:%zu: column \"%s\": \"%.40s\" is out of the range of a double",
                          file, line, col, text);
    default:
        return gmoe_error(err, GMOE_EDATA, "%s:%zu: column \"%s\": \"%.40s\"%s is not a number",
                          file, line, col, text, strlen(text) > 40 ? "..." : "");
    }
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

/* Fills cols[0..*d-1] with the covariate columns. */
static int select_x(const gmoe_table *t, const char *const *xnames, size_t nx,
                    size_t jy, int has_y, size_t *cols, size_t *d, gmoe_err *err)
{
    int status;
    *d = 0;
    if (!xnames || nx == 0) {
        for (size_t j = 0; j < t->ncol; j++)
            if (!has_y || j != jy)
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

/* The first bad cell (in file order) among the selected columns. */
static int check_cells(const gmoe_table *t, const size_t *cols, size_t d, size_t jy,
                       int has_y, gmoe_err *err)
{
    size_t worst = (size_t)-1, line = 0;
    for (size_t i = 0; i <= d; i++) {
        size_t j = i < d ? cols[i] : jy;
        if (i == d && !has_y)
            break;
        if (t->bad_line[j] && (line == 0 || t->bad_line[j] < line)) {
            line = t->bad_line[j];
            worst = j;
        }
    }
    return line ? bad_cell(t, worst, err) : GMOE_OK;
}

static gmoe_data *build(const gmoe_table *t, const size_t *cols, size_t d, size_t jy, int has_y)
{
    size_t n = t->nrow;
    gmoe_data *data = calloc(1, sizeof *data);
    if (!data)
        return NULL;
    data->n = n;
    data->d = d;
    if (n > ((size_t)-1) / sizeof(double) / d)
        goto fail;
    data->x = malloc(n * d * sizeof(double));
    data->xnames = calloc(d, sizeof(char *));
    if (!data->x || !data->xnames)
        goto fail;
    for (size_t i = 0; i < d; i++)
        if (!(data->xnames[i] = gmoe_strdup(t->names[cols[i]])))
            goto fail;
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < d; i++)
            data->x[r * d + i] = t->cells[r * t->ncol + cols[i]];
    if (has_y) {
        if (!(data->y = malloc(n * sizeof(double))) || !(data->yname = gmoe_strdup(t->names[jy])))
            goto fail;
        for (size_t r = 0; r < n; r++)
            data->y[r] = t->cells[r * t->ncol + jy];
    }
    return data;
fail:
    gmoe_data_free(data);
    return NULL;
}

int gmoe_data_from_table(const gmoe_table *t, const char *yname,
                         const char *const *xnames, size_t nx,
                         int y_optional, gmoe_data **out, gmoe_err *err)
{
    *out = NULL;
    if (!t || t->ncol == 0)
        return gmoe_error(err, GMOE_EINVAL, "no table");
    if (!xnames)
        nx = 0;
    size_t jy = 0, d = 0;
    int has_y, status;
    size_t *cols = malloc((nx > t->ncol ? nx : t->ncol) * sizeof *cols);
    if (!cols)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    if ((status = select_y(t, yname, xnames, nx, y_optional, &jy, &has_y, err)) == GMOE_OK &&
        (status = select_x(t, xnames, nx, jy, has_y, cols, &d, err)) == GMOE_OK &&
        (status = check_cells(t, cols, d, jy, has_y, err)) == GMOE_OK &&
        !(*out = build(t, cols, d, jy, has_y)))
        status = gmoe_error(err, GMOE_ENOMEM, "%s: out of memory", t->path);
    free(cols);
    return status;
}
