/* simulate.c -- designs and responses drawn from a model.  Every sampler
 * owns a Mersenne twister seeded from the caller's seed (mt_block.c: GSL's
 * gsl_rng_mt19937 and its numbers, made a block at a time) and runs
 * sequentially, so the same seed gives the same numbers whatever the
 * thread count. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gating.h"
#include "internal.h"
#include "mt_block.h"

/* The grid design's first covariate, evenly spaced on [l, h], into
 * column 0 of x (stride d): a loop without draws, which vectorises. */
static void grid_column(double l, double h, size_t n, size_t d, double *x)
{
    if (n == 1) {
        x[0] = l;
        return;
    }
    double span = h - l, last = (double)(n - 1);
#pragma omp simd
    for (size_t r = 0; r < n; r++)
        x[r * d] = l + span * (double)r / last;
}

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
    gmoe_mt *mt = malloc(sizeof *mt);
    if (!mt)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    gsl_rng rng;
    gmoe_mt_as_gsl(mt, &rng);
    gmoe_mt_seed(mt, (unsigned long)seed);
    int grid = design == GMOE_DESIGN_GRID;
    if (grid)
        grid_column(lo ? lo[0] : 0.0, hi ? hi[0] : 1.0, n, d, x);
    for (size_t r = 0; r < n && (d > 1 || !grid); r++) {
        for (size_t j = grid ? 1 : 0; j < d; j++) {
            double l = lo ? lo[j] : 0.0, h = hi ? hi[j] : 1.0;
            x[r * d + j] = design == GMOE_DESIGN_NORMAL ? gsl_ran_gaussian(&rng, 1.0)
                                                        : l + (h - l) * gmoe_mt_uniform(mt);
        }
    }
    free(mt);
    return GMOE_OK;
}

int gmoe_simulate_y(const gmoe_model *m, const double *x, size_t n,
                    uint64_t seed, double *y, size_t *z, gmoe_err *err)
{
    return gmoe_simulate_y_gx(m, x, NULL, n, seed, y, z, err);
}

/* Rows whose gates one batch computes. */
#define GATE_ROWS GMOE_BLOCK_ROWS

/* The gates of nrows rows (gate covariates gx, dg each) into c + k, 2k
 * doubles per row (gmoe_block_softmax_gates' layout): for a family with
 * softmax_logits or block_logits a block at a time, exps and logs in
 * vector loops; for the others a row at a time.  scratch: gate_scratch's
 * doubles. */
static void block_gates(const gmoe_model *m, const gmoe_gating *g, const double *gx, size_t nrows,
                        double *c, double *scratch)
{
    size_t k = m->k, dg = m->dg;
    if (g->softmax_logits || g->block_logits) {
        double *lse = scratch, *buf = lse + GATE_ROWS, *work = buf + GATE_ROWS * (k + 1);
        gmoe_block_softmax_gates(m, g, gx, nrows, c, lse, buf, work);
        return;
    }
    for (size_t r = 0; r < nrows; r++) {
        double *cr = c + r * 2 * k;
        gmoe_log_gate(m, gx + r * dg, cr);
        for (size_t i = 0; i < k; i++)
            cr[k + i] = exp(cr[i]);
    }
}

static size_t gate_scratch(const gmoe_model *m, const gmoe_gating *g)
{
    return GATE_ROWS * (2 * m->k + 1 + m->k + 1) + (g->block_work_size ? g->block_work_size(m) : 0);
}

/* Draws the expert by inverting the cumulative gate (k gates); the last
 * expert with a positive gate absorbs rounding.  k when no gate is
 * positive (NaN gates). */
static size_t draw_expert(const double *gate, size_t k, double u)
{
    double c = 0.0;
    size_t pick = k;
    for (size_t i = 0; i < k; i++) {
        if (gate[i] <= 0)
            continue;
        pick = i;
        c += gate[i];
        if (u < c)
            break;
    }
    return pick;
}

int gmoe_simulate_y_gx(const gmoe_model *m, const double *x, const double *gx, size_t n,
                       uint64_t seed, double *y, size_t *z, gmoe_err *err)
{
    int st = gmoe_model_check(m, err);
    if (st)
        return st;
    const gmoe_gating *g = gmoe_gating_get(m->family);
    size_t k = m->k, d = m->d, dg = m->dg;
    if (!gx)
        gx = x;
    gmoe_mt *mt = malloc(sizeof *mt);
    double *sd = malloc((k + gate_scratch(m, g)) * sizeof(double));
    if (!mt || !sd) {
        free(mt);
        free(sd);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    gsl_rng rng; /* for GSL's ziggurat, over mt */
    gmoe_mt_as_gsl(mt, &rng);
    double *gates = sd + k, *scratch = gates + GATE_ROWS * 2 * k;
    for (size_t i = 0; i < k; i++) /* once per expert, not per row */
        sd[i] = sqrt(m->sigma2[i]);
    gmoe_mt_seed(mt, (unsigned long)seed);
    for (size_t r = 0; r < n && st == GMOE_OK; r++) {
        if (r % GATE_ROWS == 0)
            block_gates(m, g, gx + r * dg, n - r < GATE_ROWS ? n - r : GATE_ROWS, gates, scratch);
        const double *xr = x + r * d;
        size_t pick = draw_expert(gates + (r % GATE_ROWS) * 2 * k + k, k, gmoe_mt_uniform(mt));
        /* no positive gate (NaN gates), or a mean beyond a double */
        if (pick == k ||
            !isfinite(y[r] = gmoe_expert_mean(m, pick, xr) + gsl_ran_gaussian_ziggurat(&rng, sd[pick]))) {
            char first[64] = "";
            if (d)
                snprintf(first, sizeof first, " (first covariate %.6g)", xr[0]);
            st = gmoe_error(err, GMOE_ENUMERIC,
                            "simulating row %zu: the gate or the expert's mean overflows a double at "
                            "these covariates%s", r + 1, first);
        } else if (z) {
            z[r] = pick;
        }
    }
    free(mt);
    free(sd);
    return st;
}
