/* fit_scale.c -- covariates of extreme magnitude are fitted on a copy
 * scaled by powers of two, and the slopes reported on the data's scale.
 *
 * Why: the fit's sums (the covariates' standard deviations, the gate's
 * Newton sums) square the covariates.  Beyond about 1e153 the squares
 * overflowed and the standardized covariates became 0, so EM
 * "converged" to a fit without slopes; below about 1e-165 they
 * underflowed (issue 16, fault 5).  A power of two scales exactly, so the
 * fit on the copy is the fit on the data, and only columns far outside
 * the range where the sums are safe are touched (ordinary data keep their
 * bits). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fit_scale.h"
#include "gating.h"
#include "internal.h"

/* Columns whose largest |x| is within [2^-SAFE_EXP, 2^SAFE_EXP] are left
 * alone: n * x^2 stays far from overflow and underflow for any n. */
#define SAFE_EXP 64

/* The factor for one column: 1, or 2^(e-1) with max |x| = f 2^e, f in
 * [1/2, 1), so that the scaled column's largest |x| is in [1, 2). */
static double column_scale(const gmoe_data *data, size_t j)
{
    double big = 0.0;
    int constant = 1;
    for (size_t r = 0; r < data->n; r++) {
        double v = data->x[r * data->d + j];
        big = fmax(big, fabs(v));
        constant &= v == data->x[j];
    }
    if (constant || !isfinite(big))
        return 1.0; /* the fit's checks refuse it, naming the value as given */
    int e;
    frexp(big, &e);
    return e - 1 > SAFE_EXP || e - 1 < -SAFE_EXP ? ldexp(1.0, e - 1) : 1.0;
}

static void scale_slopes(gmoe_model *m, const double *scale, int divide)
{
    for (size_t i = 0; i < m->k; i++)
        for (size_t j = 0; j < m->d; j++) {
            double f = divide ? 1.0 / scale[j] : scale[j]; /* exact: a power of two */
            m->beta1[i * m->d + j] *= f;
            m->a[i * m->d + j] *= f;
        }
}

int gmoe_fit_scaling_make(const gmoe_data *data, const gmoe_model *init, gmoe_fit_scaling *s,
                          gmoe_err *err)
{
    *s = (gmoe_fit_scaling){0};
    if (!data || !data->x || data->d == 0 || (init && init->d != data->d))
        return GMOE_OK;
    size_t d = data->d;
    if (!(s->scale = malloc(d * sizeof(double))))
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    for (size_t j = 0; j < d; j++)
        s->active |= (s->scale[j] = column_scale(data, j)) != 1.0;
    if (!s->active)
        return GMOE_OK;
    s->data = *data;
    s->data.x = malloc(data->n * d * sizeof(double));
    if (init && (s->init = gmoe_model_alloc(init->family, init->k, d)))
        gmoe_model_copy_params(s->init, init);
    if (!s->data.x || (init && !s->init)) {
        gmoe_fit_scaling_free(s);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    for (size_t u = 0; u < data->n * d; u++)
        s->data.x[u] = data->x[u] / s->scale[u % d];
    if (s->init)
        scale_slopes(s->init, s->scale, 0);
    return GMOE_OK;
}

int gmoe_fit_scaling_restore(const gmoe_fit_scaling *s, gmoe_model *m, gmoe_err *err)
{
    if (!s->active)
        return GMOE_OK;
    scale_slopes(m, s->scale, 1);
    for (size_t i = 0; i < m->k; i++)
        for (size_t j = 0; j < m->d; j++)
            if (!isfinite(m->beta1[i * m->d + j]) || !isfinite(m->a[i * m->d + j])) {
                char name[128];
                if (s->data.xnames && s->data.xnames[j])
                    snprintf(name, sizeof name, "\"%s\"", s->data.xnames[j]);
                else
                    snprintf(name, sizeof name, "%zu", j + 1);
                return gmoe_error(err, GMOE_ENUMERIC,
                                  "covariate %s: its values are so small (largest |x| about %.3g) that the "
                                  "fitted slopes are beyond a double on its scale; multiply the column by "
                                  "a power of ten", name, s->scale[j]);
            }
    const gmoe_gating *g = gmoe_gating_get(m->family);
    if (g && g->normalize)
        g->normalize(m); /* a convention on beta1's norm, as after each M-step */
    return GMOE_OK;
}

void gmoe_fit_scaling_free(gmoe_fit_scaling *s)
{
    free(s->data.x);
    gmoe_model_free(s->init);
    free(s->scale);
    *s = (gmoe_fit_scaling){0};
}
