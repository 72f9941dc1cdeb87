/* data.c -- a gmoe_data's lifetime, and checking that data can support a
 * fit (the model's side; choosing the columns from a table is the readers'
 * side, io_select.c). */
#include "config.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit_scale.h"
#include "internal.h"

void gmoe_data_free(gmoe_data *data)
{
    if (!data)
        return;
    if (data->xnames)
        for (size_t j = 0; j < data->d; j++)
            free(data->xnames[j]);
    free(data->xnames);
    if (data->gate_own) {
        for (size_t j = 0; data->gxnames && j < data->dg; j++)
            free(data->gxnames[j]);
        free(data->gxnames);
        free(data->gx);
    }
    free(data->yname);
    free(data->x);
    free(data->y);
    gmoe_factors_free(data->factors, data->nfactors);
    for (size_t j = 0; data->na_columns && j < data->n_na_columns; j++)
        free(data->na_columns[j]);
    free(data->na_columns);
    free(data->na_counts);
    free(data->w);
    free(data);
}

const double *gmoe_data_gate_x(const gmoe_data *data)
{
    return data->gate_own ? data->gx : data->x;
}

size_t gmoe_data_gate_d(const gmoe_data *data)
{
    return data->gate_own ? data->dg : data->d;
}

int gmoe_data_match_model(const gmoe_data *data, const gmoe_model *m, gmoe_err *err)
{
    if (data->d != m->d)
        return gmoe_error(err, GMOE_EINVAL, "the data have %zu covariates, the model %zu", data->d, m->d);
    if (data->gate_own != m->gate_own)
        return gmoe_error(err, GMOE_EINVAL, "the model's gate reads %s, the data's %s",
                          m->gate_own ? "covariates of its own" : "the experts' covariates",
                          data->gate_own ? "covariates of its own" : "the experts' covariates");
    if (data->gate_own && data->dg != m->dg)
        return gmoe_error(err, GMOE_EINVAL, "the data have %zu gate covariates, the model %zu",
                          data->dg, m->dg);
    return GMOE_OK;
}

/* One design checked: the experts' covariates or the gate's. */
typedef struct {
    size_t n, d;
    const double *x;
    char *const *names;
    const char *what; /* "covariate" or "gate covariate" */
} design;

static design experts_design(const gmoe_data *data)
{
    return (design){data->n, data->d, data->x, data->xnames, "covariate"};
}

static design gate_design(const gmoe_data *data)
{
    return (design){data->n, data->dg, data->gx, data->gxnames, "gate covariate"};
}

/* Name of covariate j for messages: "x2" or "covariate 2". */
static const char *xname(const design *data, size_t j, char *buf, size_t len)
{
    if (data->names && data->names[j])
        snprintf(buf, len, "\"%s\"", data->names[j]);
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

static int check_collinear(const design *data, gmoe_err *err)
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
                        "%ss are collinear (with the intercept): %s "
                        "(smallest/largest eigenvalue of their correlation matrix %.3g)",
                        data->what, names, w[0] / w[d - 1]);
done:
    free(mean);
    free(sd);
    free(c);
    free(w);
    return status;
}

/* Finite and not constant, every column of one design. */
static int check_columns(const design *x, gmoe_err *err)
{
    char nm[128];
    size_t n = x->n, d = x->d;
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            if (!isfinite(x->x[r * d + j]))
                return gmoe_error(err, GMOE_EDATA, "row %zu: %s %s is not finite", r + 1, x->what,
                                  xname(x, j, nm, sizeof nm));
    for (size_t j = 0; j < d; j++) {
        size_t r = 1;
        while (r < n && x->x[r * d + j] == x->x[j])
            r++;
        if (r == n)
            return gmoe_error(err, GMOE_EDATA, "%s %s is constant (every row is %.17g)", x->what,
                              xname(x, j, nm, sizeof nm), x->x[j]);
    }
    return GMOE_OK;
}

int gmoe_data_check_fit(const gmoe_data *data, size_t k, gmoe_err *err)
{
    if (!data || !data->x || (data->d < 1 && !data->gate_own) || k < 1 ||
        (data->gate_own && !data->gx))
        return gmoe_error(err, GMOE_EINVAL, "no data, no covariate or k < 1");
    size_t n = data->n, d = data->d;
    if (!data->y)
        return gmoe_error(err, GMOE_EDATA, "the data have no response column");
    if (n < (d + 2) * k)
        return gmoe_error(err, GMOE_EDATA,
                          "too few rows: %zu expert%s with %zu covariate%s need at least (d + 2) * k = %zu rows, "
                          "the data have %zu", k, k == 1 ? "" : "s", d, d == 1 ? "" : "s", (d + 2) * k, n);
    /* frequency weights count observations: as many as the rows would need */
    if (data->w && gmoe_data_total_weight(data) < (double)((d + 2) * k))
        return gmoe_error(err, GMOE_EDATA,
                          "too few observations: the case weights sum to %g, and %zu expert%s with "
                          "%zu covariate%s need at least (d + 2) * k = %zu (a row of weight w counts "
                          "as w rows: weights scaled to sum to 1 are not frequency weights)",
                          gmoe_data_total_weight(data), k, k == 1 ? "" : "s", d, d == 1 ? "" : "s",
                          (d + 2) * k);
    for (size_t r = 0; r < n; r++)
        if (!isfinite(data->y[r]))
            return gmoe_error(err, GMOE_EDATA, "row %zu: the response is not finite", r + 1);
    design xd = experts_design(data), gd = gate_design(data);
    int st = check_columns(&xd, err);
    if (st == GMOE_OK && data->gate_own)
        st = check_columns(&gd, err);
    if (st)
        return st;
    size_t r = 1;
    while (r < n && data->y[r] == data->y[0])
        r++;
    if (r == n)
        return gmoe_error(err, GMOE_EDATA, "the response%s%s%s is constant (every row is %.17g)",
                          data->yname ? " \"" : "", data->yname ? data->yname : "",
                          data->yname ? "\"" : "", data->y[0]);
    /* on covariates of extreme magnitude the sums overflow: test the copy
     * that gmoe_fit would fit (the same columns, scaled by powers of two) */
    gmoe_fit_scaling s;
    st = gmoe_fit_scaling_make(data, NULL, &s, err);
    const gmoe_data *fitted = s.active ? &s.data : data;
    xd = experts_design(fitted);
    gd = gate_design(fitted);
    if (st == GMOE_OK)
        st = check_collinear(&xd, err);
    if (st == GMOE_OK && data->gate_own)
        st = check_collinear(&gd, err);
    gmoe_fit_scaling_free(&s);
    return st;
}
