/* data.c -- selecting a gmoe_data from a table, and checking that data can
 * support a fit. */
#include "config.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

void gmoe_data_free(gmoe_data *data)
{
    if (!data)
        return;
    if (data->xnames)
        for (size_t j = 0; j < data->d; j++)
            free(data->xnames[j]);
    free(data->xnames);
    free(data->yname);
    free(data->x);
    free(data->y);
    free(data);
}

/* ------------------------------------------------------------ selection */

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

/* ------------------------------------------------------------ fit checks */

/* Name of covariate j for messages: "x2" or "covariate 2". */
static const char *xname(const gmoe_data *data, size_t j, char *buf, size_t len)
{
    if (data->xnames && data->xnames[j])
        snprintf(buf, len, "\"%s\"", data->xnames[j]);
    else
        snprintf(buf, len, "%zu", j + 1);
    return buf;
}

/* Smallest eigenvalue ratio of the standardized cross-product (the
 * correlation matrix) of x below which the design [x, 1] is collinear.
 *
 * Why 1e-10: standardizing makes the test scale-free (units do not
 * matter) and, with centring, accounts for the intercept column.  The
 * M-steps solve (weighted) normal equations on this design, whose
 * condition number is this ratio's inverse: at 1e10 they keep at most 6 of
 * the 16 significant digits of a double, so the fit is meaningless below
 * it.  The threshold is still far above rounding noise: dsyev's eigenvalues
 * carry an absolute error of about d * 1e-16 * lambda_max, so an exact
 * linear dependence shows up as ~1e-16, never near 1e-10. */
#define GMOE_COLLINEAR_RATIO 1e-10

/* Components of the null direction at least this fraction of the largest
 * are named as involved in the dependence. */
#define GMOE_COLLINEAR_INVOLVED 1e-3

static int check_collinear(const gmoe_data *data, gmoe_err *err)
{
    size_t n = data->n, d = data->d;
    if (d < 2)
        return GMOE_OK; /* one non-constant covariate cannot be collinear with 1 */
    double *mean = calloc(d, sizeof(double)), *sd = calloc(d, sizeof(double));
    double *c = calloc(d * d, sizeof(double)), *w = malloc(d * sizeof(double));
    int status = GMOE_OK;
    if (!mean || !sd || !c || !w) {
        status = gmoe_error(err, GMOE_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            mean[j] += data->x[r * d + j] / (double)n;
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++) {
            double z = data->x[r * d + j] - mean[j];
            sd[j] += z * z;
        }
    for (size_t j = 0; j < d; j++)
        sd[j] = sqrt(sd[j]);
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++) {
            double zj = (data->x[r * d + j] - mean[j]) / sd[j];
            for (size_t l = j; l < d; l++)
                c[j * d + l] += zj * (data->x[r * d + l] - mean[l]) / sd[l];
        }
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, c, (lapack_int)d, w);
    if (info != 0) {
        status = gmoe_error(err, GMOE_ENUMERIC, "eigenvalues of the covariate correlation matrix failed (dsyev info %d)", (int)info);
        goto done;
    }
    if (w[0] >= GMOE_COLLINEAR_RATIO * w[d - 1])
        goto done; /* w is ascending; column 0 of c is the null direction */
    double vmax = 0;
    for (size_t j = 0; j < d; j++)
        vmax = fmax(vmax, fabs(c[j * d]));
    char names[GMOE_ERRMSG_LEN] = "", one[128];
    size_t used = 0, count = 0;
    for (size_t j = 0; j < d && used < sizeof names; j++)
        if (fabs(c[j * d]) >= GMOE_COLLINEAR_INVOLVED * vmax) {
            int k = snprintf(names + used, sizeof names - used, "%s%s", count ? ", " : "",
                             xname(data, j, one, sizeof one));
            used += k > 0 ? (size_t)k : 0;
            count++;
        }
    status = gmoe_error(err, GMOE_EDATA,
                        "covariates are collinear (with the intercept): %s "
                        "(smallest/largest eigenvalue of their correlation matrix %.3g)",
                        names, w[0] / w[d - 1]);
done:
    free(mean);
    free(sd);
    free(c);
    free(w);
    return status;
}

int gmoe_data_check_fit(const gmoe_data *data, size_t k, gmoe_err *err)
{
    char nm[128];
    if (!data || !data->x || data->d < 1 || k < 1)
        return gmoe_error(err, GMOE_EINVAL, "no data, no covariate or k < 1");
    size_t n = data->n, d = data->d;
    if (!data->y)
        return gmoe_error(err, GMOE_EDATA, "the data have no response column");
    if (n < (d + 2) * k)
        return gmoe_error(err, GMOE_EDATA,
                          "too few rows: %zu expert%s with %zu covariate%s need at least (d + 2) * k = %zu rows, "
                          "the data have %zu", k, k == 1 ? "" : "s", d, d == 1 ? "" : "s", (d + 2) * k, n);
    for (size_t r = 0; r < n; r++) {
        if (!isfinite(data->y[r]))
            return gmoe_error(err, GMOE_EDATA, "row %zu: the response is not finite", r + 1);
        for (size_t j = 0; j < d; j++)
            if (!isfinite(data->x[r * d + j]))
                return gmoe_error(err, GMOE_EDATA, "row %zu: covariate %s is not finite", r + 1,
                                  xname(data, j, nm, sizeof nm));
    }
    for (size_t j = 0; j < d; j++) {
        size_t r = 1;
        while (r < n && data->x[r * d + j] == data->x[j])
            r++;
        if (r == n)
            return gmoe_error(err, GMOE_EDATA, "covariate %s is constant (every row is %.17g)",
                              xname(data, j, nm, sizeof nm), data->x[j]);
    }
    size_t r = 1;
    while (r < n && data->y[r] == data->y[0])
        r++;
    if (r == n)
        return gmoe_error(err, GMOE_EDATA, "the response%s%s%s is constant (every row is %.17g)",
                          data->yname ? " \"" : "", data->yname ? data->yname : "",
                          data->yname ? "\"" : "", data->y[0]);
    return check_collinear(data, err);
}
