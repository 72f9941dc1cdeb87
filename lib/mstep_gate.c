/* mstep_gate.c -- gate M-step: maximize Q(theta) = sum_n sum_i r_ni log g_i(x_n).
 *
 * Newton with Levenberg damping and step halving (for softmax this is
 * IRLS); every family gives the Hessian (gating.h: row_objective).  The
 * returned parameters never have a lower Q than the starting ones: that
 * is what keeps EM monotone. */
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"

/* How a pass over the data takes the gates: computed afresh (PASS_PLAIN);
 * computed a block at a time and kept in the gate cache (PASS_WRITE); or
 * read from the cache, which holds the accepted theta's (PASS_READ).  See
 * gate_cache.c.  PASS_TRIAL writes them as PASS_WRITE but sums only the
 * change of Q from the gates the cache held, and the gate moments, not
 * reading the responsibilities (trial_pass). */
enum gate_pass_mode { PASS_PLAIN, PASS_WRITE, PASS_READ, PASS_TRIAL };

/* Up to this many gate covariates a pass reading the gate cache takes
 * its derivatives with the rows in vector lanes (gate_lanes.c); above,
 * as cross products of the block's columns (cache_block_derivs). */
#define GATE_LANES_MAX_D 1

/* The gradient and the Hessian's upper triangle of rows lo..hi-1 from
 * the cache's block c (gmoe_softmax_row_given's, scale 1), block-wise: per
 * expert i the gradient sum_r (r_i - R g_i) z and per pair i <= j the
 * Hessian block sum_r R g_i (g_j - delta_ij) z z' (R = sum_i r_i, z =
 * (1, x)) as weighted cross products of the block's columns (block_gram.c):
 * the ones, then xs, the block's d covariate columns by block
 * (gmoe_gram_blocks_std's layout; the sums are then in its coordinates),
 * or if xs is NULL x (nrows rows of d) transposed into blk.  With mb (and
 * gb), also the moments sum_r r_i z into mb (trial_block_derivs).
 * blk: gmoe_gram_scratch(d + 1, k) doubles. */
static void cache_block_derivs(size_t k, size_t d, const double *c, const double *x,
                               const double *xs, const double *resp, size_t nrows, double *gb,
                               double *hb, double *mb, double *blk)
{
    size_t p = d + 1, np = (k - 1) * p, ld = gmoe_gram_ld(nrows);
    double *z = blk, *w = z + p * ld, *rs = w + ld;
    const double *g = c + k * nrows; /* the gate columns */
    gmoe_gram_column(NULL, 1.0, nrows, z);
    if (!xs) {
        gmoe_gram_transpose(x, nrows, d, z + ld);
        xs = z + ld;
    }
    /* vector loops over the rows (elementwise: the same bits as a row at
     * a time); w's padding stays 0 */
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
        double s = 0.0;
        for (size_t i = 0; i < k; i++)
            s += resp[r * k + i];
        rs[r] = s;
    }
    for (size_t r = nrows; r < ld; r++)
        w[r] = 0.0;
    for (size_t i = 0; i + 1 < k; i++) {
        const double *gi = g + i * nrows;
        if (gb) {
#pragma omp simd
            for (size_t r = 0; r < nrows; r++)
                w[r] = resp[r * k + i] - rs[r] * gi[r];
            gmoe_gram_dots_split(p, z, 1, xs, nrows, w, gb + i * p);
        }
        if (gb && mb) {
#pragma omp simd
            for (size_t r = 0; r < nrows; r++)
                w[r] = resp[r * k + i];
            gmoe_gram_dots_split(p, z, 1, xs, nrows, w, mb + i * p);
        }
        if (!hb)
            continue;
        double *diag = hb + i * p * np + i * p;
#pragma omp simd
        for (size_t r = 0; r < nrows; r++)
            w[r] = -(rs[r] * gi[r]) * (1.0 - gi[r]);
        gmoe_gram_add_split(p, z, 1, xs, nrows, w, diag, np, 1);
        for (size_t j = i + 1; j + 1 < k; j++) {
            const double *gj = g + j * nrows;
#pragma omp simd
            for (size_t r = 0; r < nrows; r++)
                w[r] = rs[r] * gi[r] * gj[r];
            gmoe_gram_add_split(p, z, 1, xs, nrows, w, diag + (j - i) * p, np, 0);
        }
    }
}

/* A trial point's sums (d >= 2) over a block whose cache columns c were
 * just written at the trial point, as gmoe_gate_lanes_trial makes them
 * for d <= 1: returns sum R (log g_k - olast) (R: the case weight w, or 1
 * if w is NULL) and, if gb is not NULL, adds the gate moments sum R g_i z
 * (i < k - 1, z = (1, x)) as cache_block_derivs's cross products, over
 * xs (the block's standardized columns) or x transposed.  blk: the
 * block scratch past the trial pass's GMOE_GATE_TRIAL_SCRATCH doubles,
 * whose first 3 GMOE_BLOCK_ROWS it may use too. */
static double trial_block_derivs(size_t k, size_t d, const double *c, const double *olast,
                                 const double *wts, const double *x, const double *xs,
                                 size_t nrows, double *gb, double *blk)
{
    size_t p = d + 1, ld = gmoe_gram_ld(nrows);
    const double *last = c + (k - 1) * nrows;
    double q = 0.0;
    for (size_t r = 0; r < nrows; r++)
        q += (wts ? wts[r] : 1.0) * (last[r] - olast[r]);
    if (!gb)
        return q;
    double *w = blk - GMOE_GATE_TRIAL_SCRATCH, *one = w + ld;
    gmoe_gram_column(NULL, 1.0, nrows, one);
    if (!xs) {
        gmoe_gram_transpose(x, nrows, d, blk);
        xs = blk;
    }
    for (size_t i = 0; i + 1 < k; i++) {
        const double *gi = c + (k + i) * nrows;
#pragma omp simd
        for (size_t r = 0; r < nrows; r++)
            w[r] = wts ? wts[r] * gi[r] : gi[r];
        for (size_t r = nrows; r < ld; r++)
            w[r] = 0.0;
        gmoe_gram_dots_split(p, one, 1, xs, nrows, w, gb + i * p);
    }
    return q;
}

/* v (p = d + 1 entries, stride apart) from sums over z = (1, u), u the
 * standardized covariates (x - shift) / scale, to sums over (1, x) =
 * T (1, u): v_0 stays, v_a = shift_a v_0 + scale_a v_a. */
static void std_to_raw(double *v, size_t stride, size_t d, const double *shift,
                       const double *scale)
{
    for (size_t a = 1; a <= d; a++)
        v[a * stride] = shift[a - 1] * v[0] + scale[a - 1] * v[a * stride];
}

/* A pass's summed gradient (T g per expert) and Hessian's upper triangle
 * (T H T' per block, each diagonal block made whole first) from the
 * standardized coordinates of cache_block_derivs to the gate's own. */
static void derivs_to_raw(const gmoe_em_ws *ws, double *grad, double *hess)
{
    size_t d = ws->dg, p = d + 1, np = ws->np;
    const double *shift = ws->x_shift, *scale = ws->x_scale;
    for (size_t i = 0; i * p < np; i++) {
        if (grad)
            std_to_raw(grad + i * p, 1, d, shift, scale);
        for (size_t j = i; hess && j * p < np; j++) {
            double *h = hess + i * p * np + j * p;
            for (size_t a = 0; j == i && a < p; a++)
                for (size_t b = 0; b < a; b++)
                    h[a * np + b] = h[b * np + a];
            for (size_t b = 0; b < p; b++) /* rows: T H */
                std_to_raw(h + b, np, d, shift, scale);
            for (size_t a = 0; a < p; a++) /* columns: (T H) T' */
                std_to_raw(h + a * np, 1, d, shift, scale);
        }
    }
}

/* Rows lo..hi-1 into acc (Q, then the gradient and Hessian if wanted);
 * k and d are the model's (GMOE_WITH_SHAPE).  xstd: NULL, or the gate's
 * covariates standardized by block (ws->x_std) for cache_block_derivs.
 * blk: the thread's block scratch. */
static inline __attribute__((always_inline)) void
block_pass(size_t k, size_t d, gmoe_em_ws *ws, const gmoe_model *m, const double *xdata,
           const double *xstd, size_t lo, size_t hi, double *acc, double *gb, double *hb,
           double *mb, const double *wts, double *work, double *blk, enum gate_pass_mode mode)
{
    const double *resp = ws->resp;
    if (mode == PASS_TRIAL) {
        size_t nr = hi - lo;
        double *cb = ws->gate_cache + lo * 2 * k, *olast = blk + 3 * GMOE_BLOCK_ROWS;
        memcpy(olast, cb + (k - 1) * nr, nr * sizeof(double));
        gmoe_block_gate_cols(m, ws->gating, xdata + lo * d, nr, cb, blk, blk + GMOE_BLOCK_ROWS);
        if (d > GATE_LANES_MAX_D)
            acc[0] += trial_block_derivs(k, d, cb, olast, wts ? wts + lo : NULL, xdata + lo * d,
                                         xstd ? xstd + lo * d : NULL, nr, gb,
                                         blk + GMOE_GATE_TRIAL_SCRATCH);
        else
            acc[0] += gmoe_gate_lanes_trial(k, d, cb, olast, wts ? wts + lo : NULL,
                                            xdata + lo * d, nr, gb, blk + GMOE_GATE_TRIAL_SCRATCH);
        return;
    }
    if (mode == PASS_PLAIN && ws->gating->block_objective) {
        acc[0] += ws->gating->block_objective(m, xdata + lo * d, hi - lo, resp + lo * k, gb, hb,
                                              blk);
        return;
    }
    if (mode == PASS_PLAIN) {
        /* A sparse gate's infeasible trial (-INFINITY) is known at its
         * first infeasible row: skip the rest of the block. */
        for (size_t r = lo; r < hi && acc[0] > -INFINITY; r++)
            acc[0] += ws->gating->row_objective(m, xdata + r * d, resp + r * k, gb, hb, work);
        return;
    }
    /* PASS_WRITE: the block's gates into the cache first (exps and logs
     * in one batch); then both modes read them. */
    double *c = ws->gate_cache;
    if (mode == PASS_WRITE)
        gmoe_block_gate_cols(m, ws->gating, xdata + lo * d, hi - lo, c + lo * 2 * k, blk,
                             blk + GMOE_BLOCK_ROWS);
    int blocked = (gb || hb) && d > GATE_LANES_MAX_D;
    acc[0] += gmoe_gate_lanes(k, d, c + lo * 2 * k, xdata + lo * d, resp + lo * k, hi - lo,
                              blocked ? NULL : gb, blocked ? NULL : hb, blocked ? NULL : mb, blk);
    if (blocked)
        cache_block_derivs(k, d, c + lo * 2 * k, xdata + lo * d, xstd ? xstd + lo * d : NULL,
                           resp + lo * k, hi - lo, gb, hb, mb, blk);
}

/* Whether a pass of the plain softmax gate over its cache also sums the
 * moments sum r_i z (ws->gate_mom) with the gradient, so that the trial
 * points of the line search need no pass over the responsibilities
 * (PASS_TRIAL; d >= 2: cache_block_derivs and trial_block_derivs). */
static int takes_moments(const gmoe_em_ws *ws, int grad, enum gate_pass_mode mode)
{
    return grad && (mode == PASS_READ || mode == PASS_WRITE) && gmoe_gate_cache_usable(ws) &&
           ws->gating->softmax_logits == gmoe_softmax_logits;
}

/* Doubles a block keeps in ws->block_gate: Q, then the gradient and the
 * Hessian if wanted, then the moments (takes_moments). */
static size_t gate_stride(const gmoe_em_ws *ws, int grad, int hess, enum gate_pass_mode mode)
{
    return 1 + (grad ? ws->np : 0) + (hess ? ws->np * ws->np : 0) +
           (takes_moments(ws, grad, mode) ? ws->np : 0);
}

/* The block-wise derivatives (d >= 2, from the cache) over the experts'
 * standardized covariates when the gate reads the same ones: no
 * transposition of x per pass, and sums in better scaled columns.
 * NULL when a pass takes x itself. */
static const double *derivs_xstd(const gmoe_em_ws *ws, const gmoe_data *data, int derivs,
                                 enum gate_pass_mode mode)
{
    size_t d = ws->dg;
    return mode != PASS_PLAIN && derivs && d > GATE_LANES_MAX_D && !data->gate_own && d == ws->d
               ? ws->x_std
               : NULL;
}

/* Block b's sums into its place in ws->block_gate, the gates as mode
 * says (those of m for PASS_PLAIN and PASS_WRITE). */
static void gate_block(gmoe_em_ws *ws, const gmoe_data *data, const gmoe_model *m, size_t b,
                       int grad, int hess, enum gate_pass_mode mode)
{
    size_t n = ws->n, k = ws->k, d = ws->dg, np = ws->np;
    size_t stride = gate_stride(ws, grad, hess, mode);
    const double *xstd = derivs_xstd(ws, data, grad || hess, mode);
    double *work = gmoe_em_ws_scratch(ws), *blk = gmoe_em_ws_block_scratch(ws);
    double *acc = ws->block_gate + b * stride;
    memset(acc, 0, stride * sizeof(double));
    double *gb = grad ? acc + 1 : NULL;
    double *hb = hess ? acc + 1 + (grad ? np : 0) : NULL;
    double *mb = takes_moments(ws, grad, mode) ? acc + 1 + np + (hess ? np * np : 0) : NULL;
    size_t lo = b * GMOE_BLOCK_ROWS;
    size_t hi = lo + GMOE_BLOCK_ROWS < n ? lo + GMOE_BLOCK_ROWS : n;
    GMOE_WITH_SHAPE(block_pass, k, d, ws, m, gmoe_data_gate_x(data), xstd, lo, hi, acc, gb, hb,
                    mb, data->w, work, blk, mode);
}

void gmoe_mstep_gate_block(const gmoe_data *data, gmoe_em_ws *ws, size_t b)
{
    gate_block(ws, data, ws->trial, b, 1, 1, PASS_READ);
}

/* The sum over the blocks (of every shard) after the last block: Q
 * returned, the gradient and Hessian into grad and hess if not NULL
 * (turned to the gate's covariates if the blocks took derivs_xstd's). */
static double gate_fold(gmoe_em_ws *ws, const gmoe_data *data, double *grad, double *hess,
                        enum gate_pass_mode mode)
{
    size_t np = ws->np, nb = ws->nblocks;
    size_t stride = gate_stride(ws, grad != NULL, hess != NULL, mode);
    double *sum = ws->block_gate + nb * stride;
    gmoe_fold_blocks(data, ws->block_gate, nb, stride, sum);
    if (grad)
        memcpy(grad, sum + 1, np * sizeof(double));
    if (hess)
        memcpy(hess, sum + 1 + (grad ? np : 0), np * np * sizeof(double));
    int mom = takes_moments(ws, grad != NULL, mode);
    if (mom)
        memcpy(ws->gate_mom, sum + 1 + np + (hess ? np * np : 0), np * sizeof(double));
    if (derivs_xstd(ws, data, grad || hess, mode)) {
        derivs_to_raw(ws, grad, hess);
        if (mom)
            derivs_to_raw(ws, ws->gate_mom, NULL);
    }
    return sum[0];
}

static double gate_pass(gmoe_em_ws *ws, const gmoe_data *data, const double *theta,
                        double *grad, double *hess, enum gate_pass_mode mode)
{
    size_t nb = ws->nblocks;
    ws->gating->unpack(ws->trial, theta);
    if (mode == PASS_WRITE || mode == PASS_TRIAL)
        gmoe_gate_cache_begin_write(ws);
    int nt = ws->nthreads;
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t b = 0; b < nb; b++)
        gate_block(ws, data, ws->trial, b, grad != NULL, hess != NULL, mode);
    return gate_fold(ws, data, grad, hess, mode);
}

double gmoe_gate_objective(gmoe_em_ws *ws, const gmoe_data *data,
                           const double *theta, double *grad, double *hess)
{
    return gate_pass(ws, data, theta, grad, hess, PASS_PLAIN);
}

/* Newton direction: solve (-H + lambda I) s = grad, raising lambda until
 * the matrix is positive definite (H is only semi-definite when the gate
 * separates the data).  Returns 0 on success. */
static int newton_direction(gmoe_em_ws *ws, const double *grad, const double *hess,
                            double *s)
{
    size_t np = ws->np;
    double *A = ws->newton_mat;
    double scale = 0.0;
    for (size_t u = 0; u < np; u++)
        scale = fmax(scale, fabs(hess[u * np + u]));
    if (scale == 0.0)
        scale = 1.0;
    for (double lambda = 0.0; lambda < 1e6 * scale; lambda = lambda ? lambda * 100 : 1e-10 * scale) {
        for (size_t u = 0; u < np * np; u++)
            A[u] = -hess[u];
        for (size_t u = 0; u < np; u++)
            A[u * np + u] += lambda;
        memcpy(s, grad, np * sizeof(double));
        if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, 1, A, (lapack_int)np, s, 1) == 0)
            return 0;
    }
    return -1;
}

/* The Newton decrement g' s of a step from a point whose gradient is
 * grad, s solved with the factor of the last step's damped Hessian
 * (newton_direction leaves it in ws->newton_mat): near the maximum the
 * Hessian hardly moves in one step, so this predicts the next step's
 * decrement without a pass for the Hessian.  ws->step: its scratch. */
static double decrement_last_factor(gmoe_em_ws *ws, const double *grad)
{
    size_t np = ws->np;
    double *s = ws->step, decrement = 0.0;
    memcpy(s, grad, np * sizeof(double));
    if (LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, 1, ws->newton_mat, (lapack_int)np,
                       s, 1) != 0)
        return INFINITY;
    for (size_t u = 0; u < np; u++)
        decrement += grad[u] * s[u];
    return decrement;
}

/* A trial point's pass when the cache holds the gates of theta_c, whose Q
 * is q_c, and ws->gate_mom the moments S_i = sum r_i z of this M-step:
 * Q(trial) = q_c + (trial - theta_c)' S + sum R (lse(theta_c) -
 * lse(trial)) and the gradient S - sum R g z (R: the case weight) need
 * the new gates and the old last log-gate (-lse, the last expert's logit
 * being 0), not the responsibilities, and Q's change is summed from
 * small terms.  The cache then holds the trial's gates: theta_c and q_c
 * become the trial's. */
static double trial_pass(gmoe_em_ws *ws, const gmoe_data *data, const double *trial,
                         double *grad, double *theta_c, double *q_c)
{
    size_t np = ws->np;
    const double *mom = ws->gate_mom;
    double q = gate_pass(ws, data, trial, grad, NULL, PASS_TRIAL);
    for (size_t u = 0; u < np; u++)
        q += (trial[u] - theta_c[u]) * mom[u];
    for (size_t u = 0; grad && u < np; u++)
        grad[u] = mom[u] - grad[u];
    q += *q_c;
    *q_c = q;
    memcpy(theta_c, trial, np * sizeof(double));
    return q;
}

/* Q at the trial point theta + t step (ws->theta_new) of a line search
 * from Q = q, halving t from 1 until Q does not fall (at most 40 times);
 * the gradient there into ws->grad_new if grad and the full step is
 * taken; t into *t.  Trial points through trial_pass if q_c is not NULL
 * (then q_c and theta_c follow the cache), else passes in mode eval. */
static double line_search(gmoe_em_ws *ws, const gmoe_data *data, double q, int grad,
                          enum gate_pass_mode eval, double *theta_c, double *q_c, double *t)
{
    size_t np = ws->np;
    const double *theta = ws->theta, *step = ws->step;
    double *trial = ws->theta_new, qt = q;
    *t = 1.0;
    for (int halving = 0; halving <= 40; halving++, *t *= 0.5) {
        for (size_t u = 0; u < np; u++)
            trial[u] = halving ? theta[u] + *t * step[u] : theta[u] + step[u];
        double *g = grad && !halving ? ws->grad_new : NULL;
        qt = q_c ? trial_pass(ws, data, trial, g, theta_c, q_c)
                 : gate_pass(ws, data, trial, g, NULL, eval);
        if (qt >= q)
            break;
    }
    return qt;
}

/* Newton's method on the concave Q.  The gradient is taken at the
 * full-step trial point, so an accepted step (the usual case) costs one
 * pass over the data; step halving only evaluates Q.  The Hessian there
 * costs a pass of its own, skipped when the next step's decrement,
 * predicted with the last step's Hessian, is at most half the one below
 * which that step would not be taken (2 tol): in a steady EM iteration
 * it is far below, and one step is all.  (Without the factor 2, top-K
 * gates, whose Hessian moves with the selected experts, stopped too
 * early: predictions 7-23% below the decrement in 16 of 447 M-steps of
 * tests/topk_boundaries.sh's k3d2 fit, which then stalled.) */
static int gate_newton(gmoe_em_ws *ws, const gmoe_data *data, const gmoe_em_options *opt)
{
    size_t np = ws->np;
    double *theta = ws->theta, *step = ws->step;
    int cache = gmoe_gate_cache_usable(ws);
    enum gate_pass_mode eval = cache ? PASS_WRITE : PASS_PLAIN;
    enum gate_pass_mode again = cache ? PASS_READ : PASS_PLAIN;
    double q;
    if (cache && gmoe_gate_cache_holds(ws, ws->gating, theta)) {
        /* the sums of this pass made by the E-step (em_step.c), or made now */
        if (ws->use_fused & GMOE_FUSED_GATE)
            q = gate_fold(ws, data, ws->grad, ws->hess, PASS_READ);
        else
            q = gate_pass(ws, data, theta, ws->grad, ws->hess, PASS_READ);
    } else {
        q = gate_pass(ws, data, theta, ws->grad, ws->hess, eval);
        if (cache && isfinite(q))
            gmoe_gate_cache_accept(ws, theta);
    }
    if (!isfinite(q))
        return GMOE_ENUMERIC;
    /* the trial points from the gates in the cache (trial_pass) */
    double q_c = q, *q_trial = takes_moments(ws, 1, PASS_READ) ? &q_c : NULL;
    double tol = opt->gate_tol * ws->total;
    for (size_t it = 0; it < opt->gate_max_iter; it++) {
        if (newton_direction(ws, ws->grad, ws->hess, step) != 0)
            break;
        /* Newton decrement: the predicted gain of a full step is g's/2. */
        double decrement = 0.0;
        for (size_t u = 0; u < np; u++)
            decrement += ws->grad[u] * step[u];
        if (!(decrement > 2 * tol))
            break;
        /* Inexact M-step: after the first step, polishing the gate
         * beyond a fraction of this M-step's first predicted gain buys
         * nothing that the next E-step does not undo. */
        if (it == 0)
            tol = fmax(tol, opt->gate_rel_tol * decrement / 2);
        /* The gradient at the trial point only if another iteration may
         * use it: the last allowed step, or one whose predicted gain is
         * already below the tolerance, needs Q alone. */
        int last = it + 1 >= opt->gate_max_iter || decrement <= 4 * tol;
        double t, qt = line_search(ws, data, q, !last, eval, ws->gate_cache_theta, q_trial, &t);
        if (!(qt >= q))
            break; /* no ascent along the Newton direction: at the optimum */
        memcpy(theta, ws->theta_new, np * sizeof(double));
        if (cache)
            gmoe_gate_cache_accept(ws, theta); /* the last pass evaluated theta */
        if (last || qt - q <= tol)
            break;
        if (t == 1.0) {
            double *sw = ws->grad; ws->grad = ws->grad_new; ws->grad_new = sw;
            if (!(decrement_last_factor(ws, ws->grad) > tol))
                break; /* the next step's test, with this step's Hessian */
        }
        /* another step: the derivatives at theta (the cache holds its gates) */
        q = q_c = gate_pass(ws, data, theta, ws->grad, ws->hess, again);
    }
    return GMOE_OK;
}

int gmoe_mstep_gate(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                    const gmoe_em_options *opt)
{
    const gmoe_gating *g = ws->gating;
    if (ws->np == 0)
        return GMOE_OK; /* k = 1: nothing to estimate */
    gmoe_model_copy_params(ws->trial, m);
    g->pack(m, ws->theta);
    int status = gate_newton(ws, data, opt);
    if (status != GMOE_OK)
        return status;
    g->unpack(m, ws->theta);
    if (g->normalize)
        g->normalize(m);
    return GMOE_OK;
}
