/* topk_exchange.c -- the top-K move that exchanges two experts selected
 * together (issue 11), for 2 <= K < k, select = logit, one gate covariate.
 *
 * Where experts i and j are selected together, the order of their two
 * scores decides which of them leaves the selection where a third
 * expert's score rises past them.  A fit can end with every true line
 * fitted but that order wrong: on tests/topk_birth.sh's data (the scalar
 * build, seed 1) the gate dropped, over x in (0.087, 0.335), the expert
 * whose line fits there and kept the other, whose line was dragged
 * towards those rows (22.2 below the fit from the truth).  Putting it
 * right moves both experts' gates at once, through points worse than the
 * fit for every single gate coordinate and with the experts re-fitted.
 * The proposal: i and j exchange their lines and variances (the gates
 * stay, so the side where the order was wrong is now right and the other
 * side wrong), then each of the two gates is moved, every other parameter
 * held, along its bias and its slope turned about each end of its
 * selection runs (the line searches over the exact breakpoints of
 * topk_lines.c), which puts the other side right; judged after one
 * E-step and the experts' least squares.  From seed 1's end above, the
 * proposal for the two experts, run on (EM and the boundary moves),
 * ended at -1841.137, 0.03 above the fit from the truth. */
#include <math.h>
#include <stdlib.h>

#include "engine.h"
#include "internal.h"
#include "topk_lines.h"
#include "topk_select.h"

#define MAX_ENDS GMOE_TOPK_MAX_ENDS

typedef struct {
    const gmoe_data *data;
    gmoe_em_ws *ws;
    gmoe_model *trial;      /* the held judge's model */
    const gmoe_model *base; /* the proposal searched from */
    gmoe_topk_dir dir;
    double *s, *bp, *xs, *share; /* 2k scratch, n breakpoints, n sorted x, k x k */
    size_t *order;
} exchange_ws;

/* The log-likelihood of the base moved by delta along dir, every other
 * parameter held (a line search's judge). */
static double held(void *ctx, double delta)
{
    exchange_ws *w = ctx;
    gmoe_model_copy_params(w->trial, w->base);
    gmoe_topk_shift(w->trial, &w->dir, delta);
    double ll = gmoe_estep(w->trial, w->data, NULL, w->ws->block_ll, w->ws->nthreads);
    return isfinite(ll) ? ll : -INFINITY;
}

/* The line search along dir from t; t moved there if that raises *ll. */
static void search(exchange_ws *w, gmoe_model *t, gmoe_topk_dir dir, double *ll)
{
    w->base = t;
    w->dir = dir;
    size_t nb = gmoe_topk_breakpoints(t, w->data, &dir, w->s, w->bp);
    if (nb == 0)
        return;
    ptrdiff_t here = gmoe_topk_interval_of_zero(w->bp, nb);
    double best = *ll;
    ptrdiff_t at = gmoe_topk_line_search(held, w, w->bp, nb, here, 0, &best);
    if (at == here || !(best > *ll))
        return;
    gmoe_topk_shift(t, &dir, gmoe_topk_candidate(w->bp, nb, at));
    *ll = best;
}

/* Experts i and j of t exchange their lines and variances. */
static void exchange(gmoe_model *t, size_t i, size_t j)
{
    size_t d = t->d;
    for (size_t u = 0; u < d; u++) {
        double a = t->a[i * d + u];
        t->a[i * d + u] = t->a[j * d + u];
        t->a[j * d + u] = a;
    }
    double b = t->b[i], v = t->sigma2[i];
    t->b[i] = t->b[j];
    t->b[j] = b;
    t->sigma2[i] = t->sigma2[j];
    t->sigma2[j] = v;
}

/* The share of the rows (case weights count) that select both i and j,
 * for every pair, into w->share (k x k). */
static void co_selection(const gmoe_model *m, exchange_ws *w)
{
    size_t k = m->k;
    double total = 0.0;
    for (size_t q = 0; q < k * k; q++)
        w->share[q] = 0.0;
    for (size_t r = 0; r < w->data->n; r++) {
        double wt = w->data->w ? w->data->w[r] : 1.0;
        gmoe_topk_scores(m, gmoe_data_gate_x(w->data) + r, w->s);
        for (size_t i = 0; i < k; i++)
            for (size_t j = i + 1; j < k && gmoe_topk_is_selected(m, w->s, i); j++)
                w->share[i * k + j] += gmoe_topk_is_selected(m, w->s, j) ? wt : 0.0;
        total += wt;
    }
    for (size_t q = 0; q < k * k; q++)
        w->share[q] /= total;
}

/* The proposal for the pair (i, j) into t: the exchange, then each of the
 * two gates moved along its bias and its slope turned about each end of
 * its selection runs, every move kept only if it raises the held
 * log-likelihood. */
static void propose(exchange_ws *w, const gmoe_model *m, gmoe_model *t, size_t i, size_t j)
{
    gmoe_model_copy_params(t, m);
    exchange(t, i, j);
    double ll = gmoe_estep(t, w->data, NULL, w->ws->block_ll, w->ws->nthreads);
    if (!isfinite(ll))
        ll = -INFINITY;
    size_t pair[2] = {i, j};
    double ends[MAX_ENDS];
    for (int e = 0; e < 2; e++) {
        search(w, t, (gmoe_topk_dir){.i = pair[e], .u = 0}, &ll);
        size_t ne = gmoe_topk_region_ends(t, w->xs, w->data->n, pair[e], w->s, ends, MAX_ENDS);
        for (size_t q = 0; q < ne; q++)
            search(w, t, (gmoe_topk_dir){.i = pair[e], .u = 1, .pivot = ends[q]}, &ll);
    }
}

/* Every pair selected together on at least GMOE_TOPK_MIN_SHARE of the rows
 * proposed and judged; the best nout kept in out.  Returns how many. */
static size_t judge_pairs(exchange_ws *w, const gmoe_model *m, const gmoe_em_options *opt,
                          gmoe_model *t, gmoe_model **out, double *val, size_t nout)
{
    double least = fmin(gmoe_topk_smallest_share(m, w->data, w->s), GMOE_TOPK_MIN_SHARE);
    size_t found = 0;
    co_selection(m, w);
    for (size_t i = 0; i < m->k; i++)
        for (size_t j = i + 1; j < m->k; j++) {
            if (w->share[i * m->k + j] < GMOE_TOPK_MIN_SHARE)
                continue;
            propose(w, m, t, i, j);
            double ll = gmoe_topk_judge_refitted(t, w->data, w->ws, opt, least, w->s);
            if (isfinite(ll))
                gmoe_topk_keep_best(t, ll, out, val, nout, &found);
        }
    return found;
}

int gmoe_topk_exchange_proposals(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                                 const gmoe_em_options *opt, gmoe_model **out, size_t nout,
                                 size_t *found)
{
    *found = 0;
    if (!gmoe_topk_birth_applies(m, data) || nout == 0)
        return GMOE_OK;
    size_t n = data->n, k = m->k;
    exchange_ws w = {.data = data, .ws = ws};
    w.trial = gmoe_model_clone(m);
    gmoe_model *t = gmoe_model_clone(m);
    w.order = malloc(n * sizeof(size_t));
    w.s = malloc((2 * k + 2 * n + k * k + nout) * sizeof(double));
    int st = w.trial && t && w.order && w.s ? GMOE_OK : GMOE_ENOMEM;
    if (st == GMOE_OK) {
        w.bp = w.s + 2 * k;
        w.xs = w.bp + n;
        w.share = w.xs + n;
        st = gmoe_topk_sort_rows(data, w.order, w.xs);
    }
    if (st == GMOE_OK)
        *found = judge_pairs(&w, m, opt, t, out, w.share + k * k, nout);
    gmoe_model_free(w.trial);
    gmoe_model_free(t);
    free(w.order);
    free(w.s);
    return st;
}
