/* mstep_experts.c -- experts' M-step: weighted least squares (LAPACKE). */
#include "config.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"
#include "vector_math.h"

/* A block's regressor columns beside its covariates (ws->x_std, laid
 * out by block once per fit): ones, then y.  tail: 2 ld doubles. */
static void block_tail(const gmoe_data *data, size_t lo, size_t nrows, double *tail)
{
    gmoe_gram_column(NULL, 1.0, nrows, tail);
    gmoe_gram_column(data->y + lo, 0.0, nrows, tail + gmoe_gram_ld(nrows));
}

/* The block's responsibilities by expert, w[i * ld + r] (0 past nrows:
 * the padding rows weigh nothing), one column at a time (writes 4 KB
 * apart collide). */
static inline __attribute__((always_inline)) void
weights_cols(const double *resp, size_t k, size_t nrows, double *w, size_t ld)
{
    for (size_t i = 0; i < k; i++) {
        double *wi = w + i * ld;
#pragma omp simd
        for (size_t r = 0; r < nrows; r++)
            wi[r] = resp[r * k + i];
        for (size_t r = nrows; r < ld; r++)
            wi[r] = 0.0;
    }
}

/* weights_cols, with a copy for k = 3 (a stride known to the compiler:
 * vector loads and shuffles instead of element by element). */
VECTOR_CLONES
static void block_weights(const double *resp, size_t k, size_t nrows, double *w)
{
    size_t ld = gmoe_gram_ld(nrows);
    if (k == 3)
        weights_cols(resp, 3, nrows, w, ld);
    else
        weights_cols(resp, k, nrows, w, ld);
}

/* A block's normal equations into acc: per expert i, GMOE_WLS_SUMS(p)
 * doubles, the upper triangle of the cross products of the columns
 * (u, 1, y) weighted by its responsibilities w_i (block_gram.c): S, the
 * (u, 1) part; t, the y column; the weight sum, the (1, 1) entry. */
static void wls_block(size_t k, size_t d, const double *u, const double *tail, const double *w,
                      size_t wld, size_t nrows, double *acc)
{
    size_t c = d + 2;
    for (size_t i = 0; i < k; i++)
        gmoe_gram_add_split(c, u, d, tail, nrows, w + i * wld, acc + i * c * c, c, 1);
}

/* A block's weighted residual sums of squares at m's expert parameters,
 * added to rss[k]: the mean b + a'x is c0 + c'u in the standardized
 * columns u (gmoe_lines_std).  e: ld + k (d + 1) doubles. */
VECTOR_CLONES
static void rss_block(const gmoe_model *m, const gmoe_em_ws *ws, const double *u,
                      const double *tail, const double *w, size_t nrows, double *rss,
                      double *e)
{
    size_t k = ws->k, d = ws->d, ld = gmoe_gram_ld(nrows);
    const double *y = tail + ld;
    double *c0 = e + ld, *c = c0 + k;
    gmoe_lines_std(k, d, m->b, m->a, ws->x_shift, ws->x_scale, c0, c);
    for (size_t i = 0; i < k; i++) {
        double ci = c0[i];
#pragma omp simd
        for (size_t r = 0; r < ld; r++)
            e[r] = y[r] - ci;
        for (size_t j = 0; j < d; j++) {
            double cj = c[i * d + j];
            const double *uj = u + j * ld;
#pragma omp simd
            for (size_t r = 0; r < ld; r++)
                e[r] -= cj * uj[r];
        }
        gmoe_gram_add_split(1, e, 1, NULL, nrows, w + i * ld, rss + i, 1, 1);
    }
}

enum block_sums { NORMAL_EQUATIONS, RESIDUALS };

static size_t sums_stride(const gmoe_em_ws *ws, enum block_sums what)
{
    return what == RESIDUALS ? ws->k : ws->k * GMOE_WLS_SUMS(ws->p);
}

static double *sums_blocks(const gmoe_em_ws *ws, enum block_sums what)
{
    return what == RESIDUALS ? ws->block_rss : ws->block_wls;
}

/* Block b's sums (what) into its place; the calling thread's block
 * scratch:
 * - NORMAL_EQUATIONS into block_wls: w = sum r, S = sum r z z' and
 *   t = sum r z y with z = (u, 1), u the standardized covariates, which
 *   keep S well conditioned when covariates are large or far from zero
 *   (NIST Longley); the back-transform is exact.
 * - RESIDUALS into block_rss: the weighted residual sums of squares at
 *   m's expert parameters (a second pass: forming them from the normal
 *   equations cancels badly when sigma2 is small against y^2). */
static void accumulate_block(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                             enum block_sums what, size_t b)
{
    size_t n = ws->n, d = ws->d, k = ws->k, stride = sums_stride(ws, what);
    double *acc = sums_blocks(ws, what) + b * stride;
    memset(acc, 0, stride * sizeof(double));
    size_t lo = b * GMOE_BLOCK_ROWS;
    size_t nrows = lo + GMOE_BLOCK_ROWS < n ? GMOE_BLOCK_ROWS : n - lo;
    size_t ld = gmoe_gram_ld(nrows);
    /* block scratch: gmoe_gram_scratch(d + 2, k) >= (k + 3) ld + k (d + 1) */
    double *w = gmoe_em_ws_block_scratch(ws), *tail = w + k * ld, *e = tail + 2 * ld;
    block_weights(ws->resp + lo * k, k, nrows, w);
    block_tail(data, lo, nrows, tail);
    if (what == RESIDUALS)
        rss_block(m, ws, ws->x_std + lo * d, tail, w, nrows, acc, e);
    else
        wls_block(k, d, ws->x_std + lo * d, tail, w, ld, nrows, acc);
}

void gmoe_mstep_experts_block(const gmoe_data *data, gmoe_em_ws *ws, size_t b)
{
    accumulate_block(NULL, data, ws, NORMAL_EQUATIONS, b);
}

void gmoe_mstep_experts_block_cols(const gmoe_data *data, gmoe_em_ws *ws, size_t b,
                                   const double *w, size_t wld, double *scratch)
{
    size_t stride = sums_stride(ws, NORMAL_EQUATIONS), lo = b * GMOE_BLOCK_ROWS;
    size_t nrows = lo + GMOE_BLOCK_ROWS < ws->n ? GMOE_BLOCK_ROWS : ws->n - lo;
    double *acc = ws->block_wls + b * stride;
    memset(acc, 0, stride * sizeof(double));
    block_tail(data, lo, nrows, scratch);
    wls_block(ws->k, ws->d, ws->x_std + lo * ws->d, scratch, w, wld, nrows, acc);
}

/* The sum over the blocks (of every shard) after the last block. */
static void fold_sums(const gmoe_data *data, gmoe_em_ws *ws, enum block_sums what)
{
    size_t nb = ws->nblocks, stride = sums_stride(ws, what);
    double *blocks = sums_blocks(ws, what);
    gmoe_fold_blocks(data, blocks, nb, stride, blocks + nb * stride);
}

/* Per block and expert, in block order, the sums (what) and their
 * total. */
static void accumulate(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                       enum block_sums what)
{
    size_t nb = ws->nblocks;
    int nt = ws->nthreads;
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t b = 0; b < nb; b++)
        accumulate_block(m, data, ws, what, b);
    fold_sums(data, ws, what);
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

/* Expert i's normal equations summed over the blocks (accumulate): S
 * (upper triangle), t; returns the weight sum. */
static double sum_blocks(const gmoe_em_ws *ws, size_t i, double *S, double *t)
{
    size_t p = ws->p, c = p + 1;
    const double *g = ws->block_wls + (ws->nblocks * ws->k + i) * GMOE_WLS_SUMS(p);
    for (size_t u = 0; u < p; u++) {
        memcpy(S + u * p, g + u * c, p * sizeof(double));
        t[u] = g[u * c + p];
    }
    return g[(p - 1) * c + p - 1];
}

size_t gmoe_mstep_experts(gmoe_model *m, const gmoe_data *data,
                          gmoe_em_ws *ws, const gmoe_em_options *opt)
{
    size_t d = ws->d, k = ws->k, p = ws->p;
    double floor = opt->var_floor * ws->var_y;
    size_t frozen = 0;

    if (ws->use_fused & GMOE_FUSED_WLS)
        fold_sums(data, ws, NORMAL_EQUATIONS); /* the E-step made the block sums */
    else
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
