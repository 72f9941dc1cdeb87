/* mstep_experts.c -- experts' M-step: weighted least squares (LAPACKE). */
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"

/* Expert i's normal equations at acc (w, S upper triangle, t) += row
 * (u, y) with weight w, z = (u, 1). */
static inline __attribute__((always_inline)) void
add_wls_row(double *acc, size_t d, const double *u, double y, double w)
{
    size_t p = d + 1;
    double *S = acc + 1, *t = S + p * p;
    acc[0] += w;
    for (size_t c = 0; c < p; c++) {
        double wz = w * (c < d ? u[c] : 1.0);
        t[c] += wz * y;
        for (size_t v = c; v < p; v++) /* upper triangle */
            S[c * p + v] += wz * (v < d ? u[v] : 1.0);
    }
}

/* Rows lo..hi-1 of the normal equations into acc (k blocks of 1 + p*p +
 * p), in the standardized covariates (k, d: GMOE_WITH_SHAPE). */
static inline __attribute__((always_inline)) void
wls_rows(size_t k, size_t d, const gmoe_data *data, const gmoe_em_ws *ws, size_t lo,
         size_t hi, double *acc)
{
    size_t stride = 1 + (d + 1) * (d + 1) + d + 1;
    for (size_t r = lo; r < hi; r++)
        for (size_t i = 0; i < k; i++) {
            double w = ws->resp[r * k + i];
            if (w != 0.0)
                add_wls_row(acc + i * stride, d, ws->x_std + r * d, data->y[r], w);
        }
}

/* Rows lo..hi-1 of the normal equations into acc (k blocks of 1 + p*p +
 * p), in the standardized covariates u, as weighted cross products of
 * the block's columns (u, 1, y) (block_gram.c): per expert, with the
 * responsibilities as weights, the upper triangle of their products
 * holds S (u and 1), t (the y column) and w (the 1 with itself).
 * scratch: gmoe_gram_scratch(p + 1, 0) doubles. */
static void wls_block(size_t k, size_t d, const gmoe_data *data, const gmoe_em_ws *ws,
                      size_t lo, size_t hi, double *acc, double *scratch)
{
    size_t p = d + 1, cols = p + 1, nrows = hi - lo, ld = gmoe_gram_ld(nrows);
    size_t stride = 1 + p * p + p;
    double *z = scratch, *wz = z + cols * ld, *w = wz + cols * ld, *prod = w + 2 * ld;
    gmoe_gram_transpose(ws->x_std + lo * d, nrows, d, z);
    gmoe_gram_column(NULL, 1.0, nrows, z + d * ld);
    gmoe_gram_column(data->y + lo, 0.0, nrows, z + p * ld);
    for (size_t i = 0; i < k; i++) {
        double *S = acc + i * stride + 1, *t = S + p * p;
        gmoe_gram_column(NULL, 0.0, nrows, w); /* the padding */
        for (size_t r = 0; r < nrows; r++)
            w[r] = ws->resp[(lo + r) * k + i];
        memset(prod, 0, cols * cols * sizeof(double));
        gmoe_gram_add(cols, nrows, w, z, wz, prod, cols, 1);
        acc[i * stride] = prod[d * cols + d];
        for (size_t c = 0; c < p; c++) {
            memcpy(S + c * p + c, prod + c * cols + c, (p - c) * sizeof(double));
            t[c] = prod[c * cols + p];
        }
    }
}

/* Rows lo..hi-1 of the weighted residual sums of squares at m's expert
 * parameters into rss[k] (k, d: GMOE_WITH_SHAPE). */
static inline __attribute__((always_inline)) void
rss_rows(size_t k, size_t d, const gmoe_model *m, const gmoe_data *data,
         const gmoe_em_ws *ws, size_t lo, size_t hi, double *rss)
{
    (void)d; /* the residuals need k only */
    for (size_t r = lo; r < hi; r++)
        for (size_t i = 0; i < k; i++) {
            double w = ws->resp[r * k + i];
            if (w == 0.0)
                continue;
            double e = data->y[r] - gmoe_expert_mean(m, i, data->x + r * m->d);
            rss[i] += w * e * e;
        }
}

enum block_sums { NORMAL_EQUATIONS, RESIDUALS };

/* Per block and expert, in block order:
 * - NORMAL_EQUATIONS into block_wls: w = sum r, S = sum r z z' and
 *   t = sum r z y with z = (u, 1), u the standardized covariates, which
 *   keep S well conditioned when covariates are large or far from zero
 *   (NIST Longley); the back-transform is exact.
 * - RESIDUALS into block_rss: the weighted residual sums of squares at
 *   m's expert parameters (a second pass: forming them from the normal
 *   equations cancels badly when sigma2 is small against y^2). */
static void accumulate(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                       enum block_sums what)
{
    size_t n = ws->n, d = ws->d, k = ws->k, p = ws->p, nb = ws->nblocks;
    size_t stride = what == RESIDUALS ? k : k * (1 + p * p + p);
    double *blocks = what == RESIDUALS ? ws->block_rss : ws->block_wls;
    int nt = ws->nthreads;
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t b = 0; b < nb; b++) {
        double *acc = blocks + b * stride;
        memset(acc, 0, stride * sizeof(double));
        size_t lo = b * GMOE_BLOCK_ROWS;
        size_t hi = lo + GMOE_BLOCK_ROWS < n ? lo + GMOE_BLOCK_ROWS : n;
        if (what == RESIDUALS)
            GMOE_WITH_SHAPE(rss_rows, k, d, m, data, ws, lo, hi, acc);
        else if (d >= GMOE_GRAM_MIN_D)
            wls_block(k, d, data, ws, lo, hi, acc, gmoe_em_ws_block_scratch(ws));
        else
            GMOE_WITH_SHAPE(wls_rows, k, d, data, ws, lo, hi, acc);
    }
    /* the sum over the blocks (of every shard) after the last block */
    gmoe_fold_blocks(data, blocks, nb, stride, blocks + nb * stride);
}

/* Solves S c = t (S symmetric, upper triangle filled) by Cholesky; if S is
 * not numerically positive definite, retries with a ridge of 1e-10 times
 * its mean diagonal (a near-empty or one-point expert).  The solution
 * replaces t.  Returns 0 on success. */
static int solve_spd(double *S, double *t, size_t p, double *copy)
{
    double *Sc = copy, *tc = copy + p * p;
    memcpy(Sc, S, p * p * sizeof(double));
    memcpy(tc, t, p * sizeof(double));
    if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, 1, Sc, (lapack_int)p, tc, 1) == 0) {
        memcpy(t, tc, p * sizeof(double));
        return 0;
    }
    double tr = 0.0;
    for (size_t u = 0; u < p; u++)
        tr += S[u * p + u];
    for (size_t u = 0; u < p; u++)
        S[u * p + u] += 1e-10 * tr / (double)p;
    return LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, 1, S, (lapack_int)p, t, 1) == 0 ? 0 : -1;
}

/* Expert i's normal equations summed over the blocks (accumulate). */
static double sum_blocks(const gmoe_em_ws *ws, size_t i, double *S, double *t)
{
    size_t k = ws->k, p = ws->p, stride = 1 + p * p + p;
    const double *a = ws->block_wls + (ws->nblocks * k + i) * stride;
    memcpy(S, a + 1, p * p * sizeof(double));
    memcpy(t, a + 1 + p * p, p * sizeof(double));
    return a[0];
}

size_t gmoe_mstep_experts(gmoe_model *m, const gmoe_data *data,
                          gmoe_em_ws *ws, const gmoe_em_options *opt)
{
    size_t d = ws->d, k = ws->k, p = ws->p;
    double floor = opt->var_floor * ws->var_y;
    size_t frozen = 0;

    accumulate(m, data, ws, NORMAL_EQUATIONS);
    for (size_t i = 0; i < k; i++) {
        double *S = ws->wls_mat, *t = ws->wls_rhs;
        double w = sum_blocks(ws, i, S, t);
        ws->expert_w[i] = w;
        /* Too little weight to estimate d + 2 parameters: keep the expert
         * as it is rather than fit it to a handful of points (documented
         * option --min-weight). */
        ws->expert_updated[i] = w >= opt->min_weight && w > 0 &&
                                solve_spd(S, t, p, ws->wls_copy) == 0;
        if (!ws->expert_updated[i]) {
            frozen++;
            continue;
        }
        /* back to the original covariates: a = c / scale, b = c0 - a'shift */
        double b = t[d];
        for (size_t j = 0; j < d; j++) {
            m->a[i * d + j] = t[j] / ws->x_scale[j];
            b -= m->a[i * d + j] * ws->x_shift[j];
        }
        m->b[i] = b;
    }
    accumulate(m, data, ws, RESIDUALS);
    for (size_t i = 0; i < k; i++) {
        if (!ws->expert_updated[i])
            continue;
        double rss = ws->block_rss[ws->nblocks * k + i]; /* summed by accumulate */
        double s2 = rss / ws->expert_w[i];
        /* Clamping is the constrained maximizer: the likelihood is
         * unimodal in sigma2, so EM monotonicity is kept. */
        m->sigma2[i] = s2 > floor ? s2 : floor;
    }
    return frozen;
}
