/* simulate.c -- designs and responses drawn from a model.  Every sampler
 * owns a GSL Mersenne twister seeded from the caller's seed and runs
 * sequentially, so the same seed gives the same numbers whatever the
 * thread count. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

int gmoe_simulate_design(gmoe_design design, size_t n, size_t d,
                         const double *lo, const double *hi, uint64_t seed,
                         double *x, gmoe_err *err)
{
    if (n < 1 || d < 1)
        return gmoe_error(err, GMOE_EINVAL, "design needs n >= 1 and d >= 1");
    if ((int)design < 0 || design > GMOE_DESIGN_GRID)
        return gmoe_error(err, GMOE_EINVAL, "unknown design %d", (int)design);
    for (size_t j = 0; j < d; j++) {
        double l = lo ? lo[j] : 0.0, h = hi ? hi[j] : 1.0;
        if (!isfinite(l) || !isfinite(h) || !(l < h))
            return gmoe_error(err, GMOE_EINVAL, "covariate %zu: range [%g, %g] must be finite with lo < hi", j + 1, l, h);
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    gsl_rng_set(rng, (unsigned long)seed);
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < d; j++) {
            double l = lo ? lo[j] : 0.0, h = hi ? hi[j] : 1.0;
            double v;
            if (design == GMOE_DESIGN_NORMAL)
                v = gsl_ran_gaussian(rng, 1.0);
            else if (design == GMOE_DESIGN_GRID && j == 0)
                v = n > 1 ? l + (h - l) * (double)r / (double)(n - 1) : l;
            else
                v = l + (h - l) * gsl_rng_uniform(rng);
            x[r * d + j] = v;
        }
    }
    gsl_rng_free(rng);
    return GMOE_OK;
}

int gmoe_simulate_y(const gmoe_model *m, const double *x, size_t n,
                    uint64_t seed, double *y, size_t *z, gmoe_err *err)
{
    return gmoe_simulate_y_gx(m, x, NULL, n, seed, y, z, err);
}

int gmoe_simulate_y_gx(const gmoe_model *m, const double *x, const double *gx, size_t n,
                       uint64_t seed, double *y, size_t *z, gmoe_err *err)
{
    int st = gmoe_model_check(m, err);
    if (st)
        return st;
    size_t k = m->k, d = m->d, dg = m->dg;
    if (!gx)
        gx = x;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *gate = malloc(k * sizeof(double));
    if (!rng || !gate) {
        gsl_rng_free(rng);
        free(gate);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    gsl_rng_set(rng, (unsigned long)seed);
    for (size_t r = 0; r < n; r++) {
        const double *xr = x + r * d;
        double mean, var;
        gmoe_predict_gx(m, xr, gx + r * dg, &mean, &var, gate, NULL);
        /* Draw the expert by inverting the cumulative gate; the last
         * expert with a positive gate absorbs rounding. */
        double u = gsl_rng_uniform(rng), c = 0.0;
        size_t pick = k;
        for (size_t i = 0; i < k; i++) {
            if (gate[i] <= 0)
                continue;
            pick = i;
            c += gate[i];
            if (u < c)
                break;
        }
        /* no positive gate (NaN gates), or a mean beyond a double */
        if (pick == k ||
            !isfinite(y[r] = gmoe_expert_mean(m, pick, xr) + gsl_ran_gaussian_ziggurat(rng, sqrt(m->sigma2[pick])))) {
            char first[64] = "";
            if (d)
                snprintf(first, sizeof first, " (first covariate %.6g)", xr[0]);
            st = gmoe_error(err, GMOE_ENUMERIC,
                            "simulating row %zu: the gate or the expert's mean overflows a double at "
                            "these covariates%s", r + 1, first);
            break;
        }
        if (z)
            z[r] = pick;
    }
    gsl_rng_free(rng);
    free(gate);
    return st;
}
