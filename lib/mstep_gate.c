/* mstep_gate.c -- gate M-step: maximize Q(theta) = sum_n sum_i r_ni log g_i(x_n).
 *
 * Newton with Levenberg damping and step halving for families that give a
 * Hessian (softmax: this is IRLS), BFGS (GSL multimin) otherwise.  Either
 * way the returned parameters never have a lower Q than the starting ones:
 * that is what keeps EM monotone. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "engine.h"
#include "internal.h"

/* The gate cache.  For a family whose gate is softmax(logits)
 * (gating.h: softmax_logits), a pass over the data at theta can keep each
 * row's log-gates and gates (PASS_WRITE, into gate_cache[1]).  When Newton
 * accepts that theta the two buffers swap, so gate_cache[0] holds the
 * gates of the accepted gate parameters: the E-step that follows and the
 * next M-step's first pass (PASS_READ: resp changed, the gates did not)
 * then need no exp or log.  The gates are computed a block at a time
 * (gmoe_block_softmax_gates), as the E-step computes them without the
 * cache, so a cached and a fresh evaluation agree to the last bit. */
enum gate_pass_mode { PASS_PLAIN, PASS_WRITE, PASS_READ };

/* One row's Q (and derivatives) from its log-gates and gates c. */
static inline __attribute__((always_inline)) double
row_from_cache(const double *c, size_t k, size_t d, const double *x, const double *r,
               double *grad, double *hess)
{
    return gmoe_softmax_row_given(k, d, c, 0.0, c + k, x, r, 1.0, grad, hess);
}

/* Rows lo..hi-1 into acc (Q, then the gradient and Hessian if wanted);
 * k and d are the model's (GMOE_WITH_SHAPE).  blk: the thread's block
 * scratch. */
static inline __attribute__((always_inline)) void
block_pass(size_t k, size_t d, gmoe_em_ws *ws, const gmoe_model *m, const double *xdata,
           size_t lo, size_t hi, double *acc, double *gb, double *hb, double *work,
           double *blk, enum gate_pass_mode mode)
{
    const double *resp = ws->resp;
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
    if (mode == PASS_READ) {
        const double *c = ws->gate_cache[0];
        for (size_t r = lo; r < hi; r++)
            acc[0] += row_from_cache(c + r * 2 * k, k, d, xdata + r * d, resp + r * k, gb, hb);
        return;
    }
    /* PASS_WRITE: the block's gates into the cache (exps and logs in one
     * batch), then the rows as PASS_READ reads them. */
    double *c = ws->gate_cache[1];
    gmoe_block_softmax_gates(m, ws->gating, xdata + lo * d, hi - lo, c + lo * 2 * k, blk,
                             blk + GMOE_BLOCK_ROWS, NULL);
    for (size_t r = lo; r < hi; r++)
        acc[0] += row_from_cache(c + r * 2 * k, k, d, xdata + r * d, resp + r * k, gb, hb);
}

static double gate_pass(gmoe_em_ws *ws, const gmoe_data *data, const double *theta,
                        double *grad, double *hess, enum gate_pass_mode mode)
{
    const gmoe_gating *g = ws->gating;
    gmoe_model *m = ws->trial;
    size_t n = ws->n, k = ws->k, d = ws->d, np = ws->np, nb = ws->nblocks;
    size_t stride = 1 + (grad ? np : 0) + (hess ? np * np : 0);
    double *block = ws->block_gate;
    g->unpack(m, theta);
    int nt = ws->nthreads;
    (void)nt;
#pragma omp parallel num_threads(nt)
    {
        double *work = gmoe_em_ws_scratch(ws), *blk = gmoe_em_ws_block_scratch(ws);
#pragma omp for schedule(static)
        for (size_t b = 0; b < nb; b++) {
            double *acc = block + b * stride;
            memset(acc, 0, stride * sizeof(double));
            double *gb = grad ? acc + 1 : NULL;
            double *hb = hess ? acc + 1 + (grad ? np : 0) : NULL;
            size_t lo = b * GMOE_BLOCK_ROWS;
            size_t hi = lo + GMOE_BLOCK_ROWS < n ? lo + GMOE_BLOCK_ROWS : n;
            GMOE_WITH_SHAPE(block_pass, k, d, ws, m, data->x, lo, hi, acc, gb, hb, work, blk,
                            mode);
        }
    }
    double q = 0.0;
    if (grad)
        memset(grad, 0, np * sizeof(double));
    if (hess)
        memset(hess, 0, np * np * sizeof(double));
    for (size_t b = 0; b < nb; b++) {
        const double *acc = block + b * stride;
        q += acc[0];
        if (grad)
            for (size_t u = 0; u < np; u++)
                grad[u] += acc[1 + u];
        if (hess)
            for (size_t u = 0; u < np * np; u++)
                hess[u] += acc[1 + (grad ? np : 0) + u];
    }
    return q;
}

double gmoe_gate_objective(gmoe_em_ws *ws, const gmoe_data *data,
                           const double *theta, double *grad, double *hess)
{
    return gate_pass(ws, data, theta, grad, hess, PASS_PLAIN);
}

static int cache_usable(const gmoe_em_ws *ws)
{
    return ws->gating->softmax_logits && ws->gate_cache[0];
}

/* gate_cache[1] holds the gates at theta, just accepted. */
static void cache_accept(gmoe_em_ws *ws, const double *theta)
{
    double *t = ws->gate_cache[0];
    ws->gate_cache[0] = ws->gate_cache[1];
    ws->gate_cache[1] = t;
    memcpy(ws->gate_cache_theta, theta, ws->np * sizeof(double));
    ws->gate_cache_family = ws->gating;
    ws->gate_cache_ok = 1;
}

static int cache_holds(const gmoe_em_ws *ws, const gmoe_gating *family, const double *theta)
{
    return ws->gate_cache_ok && ws->gate_cache_family == family &&
           memcmp(theta, ws->gate_cache_theta, ws->np * sizeof(double)) == 0;
}

const double *gmoe_gate_cache_for(gmoe_em_ws *ws, const gmoe_model *m)
{
    const gmoe_gating *family = gmoe_gating_get(m->family);
    if (!ws->gate_cache_ok || family != ws->gate_cache_family || family != ws->gating)
        return NULL;
    family->pack(m, ws->gate_cache_probe);
    return cache_holds(ws, family, ws->gate_cache_probe) ? ws->gate_cache[0] : NULL;
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

/* Newton's method on the concave Q.  The gradient and Hessian are taken at
 * the full-step trial point, so an accepted step (the usual case) costs
 * one pass over the data; step halving only evaluates Q. */
static int gate_newton(gmoe_em_ws *ws, const gmoe_data *data, const gmoe_em_options *opt)
{
    size_t np = ws->np;
    double *theta = ws->theta, *trial = ws->theta_new, *step = ws->step;
    int cache = cache_usable(ws);
    enum gate_pass_mode eval = cache ? PASS_WRITE : PASS_PLAIN;
    double q;
    if (cache && cache_holds(ws, ws->gating, theta)) {
        q = gate_pass(ws, data, theta, ws->grad, ws->hess, PASS_READ);
    } else {
        q = gate_pass(ws, data, theta, ws->grad, ws->hess, eval);
        if (cache && isfinite(q))
            cache_accept(ws, theta);
    }
    if (!isfinite(q))
        return GMOE_ENUMERIC;
    double tol = opt->gate_tol * (double)ws->n;
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
        /* Derivatives at the trial point only if another iteration may
         * use them: the last allowed step, or one whose predicted gain is
         * already below the tolerance, needs Q alone. */
        int last = it + 1 >= opt->gate_max_iter || decrement <= 4 * tol;
        double t = 1.0, qt;
        for (size_t u = 0; u < np; u++)
            trial[u] = theta[u] + step[u];
        qt = gate_pass(ws, data, trial, last ? NULL : ws->grad_new,
                       last ? NULL : ws->hess_new, eval);
        for (int halving = 0; !(qt >= q) && halving < 40; halving++) {
            t *= 0.5;
            for (size_t u = 0; u < np; u++)
                trial[u] = theta[u] + t * step[u];
            qt = gate_pass(ws, data, trial, NULL, NULL, eval);
        }
        if (!(qt >= q))
            break; /* no ascent along the Newton direction: at the optimum */
        memcpy(theta, trial, np * sizeof(double));
        if (cache)
            cache_accept(ws, theta); /* the last pass evaluated theta */
        if (last)
            break;
        if (t == 1.0) {
            double *sw = ws->grad; ws->grad = ws->grad_new; ws->grad_new = sw;
            sw = ws->hess; ws->hess = ws->hess_new; ws->hess_new = sw;
        } else {
            qt = gate_pass(ws, data, theta, ws->grad, ws->hess, cache ? PASS_READ : PASS_PLAIN);
        }
        double gain = qt - q;
        q = qt;
        if (gain <= tol)
            break;
    }
    return GMOE_OK;
}

/* ---- BFGS for families without a Hessian: minimize -Q / n. */

typedef struct {
    gmoe_em_ws *ws;
    const gmoe_data *data;
} bfgs_ctx;

static double neg_q(const gsl_vector *v, void *p)
{
    bfgs_ctx *c = p;
    double q = gmoe_gate_objective(c->ws, c->data, v->data, NULL, NULL);
    return isfinite(q) ? -q / (double)c->ws->n : GSL_POSINF;
}

static void neg_q_df(const gsl_vector *v, void *p, double *f, gsl_vector *df)
{
    bfgs_ctx *c = p;
    double q = gmoe_gate_objective(c->ws, c->data, v->data, df->data, NULL);
    double inv_n = 1.0 / (double)c->ws->n;
    *f = isfinite(q) ? -q * inv_n : GSL_POSINF;
    for (size_t u = 0; u < c->ws->np; u++)
        df->data[u] *= -inv_n;
}

static void neg_q_grad(const gsl_vector *v, void *p, gsl_vector *df)
{
    double f;
    neg_q_df(v, p, &f, df);
}

static int gate_bfgs(gmoe_em_ws *ws, const gmoe_data *data, const gmoe_em_options *opt)
{
    size_t np = ws->np;
    bfgs_ctx ctx = {ws, data};
    double q0 = gmoe_gate_objective(ws, data, ws->theta, NULL, NULL);
    if (!isfinite(q0))
        return GMOE_ENUMERIC;
    gsl_multimin_function_fdf fdf = {neg_q, neg_q_grad, neg_q_df, np, &ctx};
    gsl_vector_view x0 = gsl_vector_view_array(ws->theta, np);
    gsl_multimin_fdfminimizer *s =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, np);
    if (!s)
        return GMOE_ENOMEM;
    /* GSL copies x0 into the minimizer; theta itself is only overwritten
     * with a point that is at least as good. */
    int status = gsl_multimin_fdfminimizer_set(s, &fdf, &x0.vector, 0.01, 0.1);
    double best = q0;
    memcpy(ws->theta_new, ws->theta, np * sizeof(double));
    for (size_t it = 0; status == GSL_SUCCESS && it < opt->gate_max_iter; it++) {
        double prev = -s->f * (double)ws->n;
        status = gsl_multimin_fdfminimizer_iterate(s);
        if (status != GSL_SUCCESS)
            break;
        double q = -s->f * (double)ws->n;
        if (q > best) {
            best = q;
            memcpy(ws->theta_new, s->x->data, np * sizeof(double));
        }
        if (gsl_multimin_test_gradient(s->gradient, 1e-10) == GSL_SUCCESS ||
            fabs(q - prev) <= opt->gate_tol * (double)ws->n)
            break;
    }
    gsl_multimin_fdfminimizer_free(s);
    if (best > q0)
        memcpy(ws->theta, ws->theta_new, np * sizeof(double));
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
    int status = g->has_hessian(m) ? gate_newton(ws, data, opt) : gate_bfgs(ws, data, opt);
    if (status != GMOE_OK)
        return status;
    g->unpack(m, ws->theta);
    if (g->normalize)
        g->normalize(m);
    return GMOE_OK;
}
