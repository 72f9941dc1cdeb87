/* topk_refit.c -- top-K boundary moves judged after re-fitting the
 * experts (issue 11).
 *
 * The sweeps of topk_starts.c judge a move of one gate coordinate with
 * every other parameter held.  A move that hands rows from an expert to
 * another is then judged with experts fitted to the old assignment: an
 * expert fitted to a mix of two true experts' rows (it holds a sliver of
 * rows that belong to an expert selected on two separate intervals) only
 * fits well once the sliver has gone, so the move that removes the sliver
 * gains nothing until the expert is re-fitted, and is never made (k = 4,
 * K = 2: 271 log-likelihood units below the maximum, at a point where no
 * held move gains).  Here a move is judged by the log-likelihood after
 * one E-step and the experts' M-step (weighted least squares for every
 * expert with the gate at the proposal): the value of the new selection
 * with the experts re-fitted to it.  The directions: every expert's bias
 * and, per gate covariate, its slope turned about the quartiles of that
 * covariate (the bias and the slope moved together, so that one boundary
 * of the expert stays near its place while another moves), searched with
 * coarse ladders over the breakpoints (topk_lines.c). */
#include <math.h>
#include <stdlib.h>

#include "engine.h"
#include "internal.h"
#include "topk_face.h"
#include "topk_lines.h"

#define NPIVOTS 3          /* the quartiles of each gate covariate */

typedef struct {
    const gmoe_model *m;
    const gmoe_data *data;
    gmoe_em_ws *ws;
    const gmoe_em_options *opt;
    const gmoe_topk_dir *dir;
    gmoe_model *trial;
    double *s;
    double least;
} refit_judge;

/* The log-likelihood after the move and one E-step and experts' M-step
 * (the model in j->trial); -INFINITY if it leaves an expert on too few
 * rows. */
static double refit_at(void *ctx, double delta)
{
    refit_judge *j = ctx;
    gmoe_model_copy_params(j->trial, j->m);
    gmoe_topk_shift(j->trial, j->dir, delta);
    if (gmoe_topk_smallest_share(j->trial, j->data, j->s) < j->least)
        return -INFINITY;
    double ll = gmoe_em_estep(j->trial, j->data, j->ws, j->ws->resp);
    if (!isfinite(ll))
        return -INFINITY;
    gmoe_mstep_experts(j->trial, j->data, j->ws, j->opt);
    ll = gmoe_estep(j->trial, j->data, NULL, j->ws->block_ll, j->ws->nthreads);
    return isfinite(ll) ? ll : -INFINITY;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The quartiles of gate covariate u over the rows into q (NPIVOTS);
 * bp: n doubles of scratch. */
static void quartiles(const gmoe_model *m, const gmoe_data *data, size_t u, double *bp, double *q)
{
    const double *gx = gmoe_data_gate_x(data);
    for (size_t r = 0; r < data->n; r++)
        bp[r] = gx[r * m->dg + u];
    qsort(bp, data->n, sizeof(double), cmp_double);
    for (size_t p = 0; p < NPIVOTS; p++)
        q[p] = bp[(size_t)((double)(p + 1) / (NPIVOTS + 1) * (double)(data->n - 1))];
}

/* The best move along j->dir by the refit judge, if it beats *best_ll:
 * then the re-fitted model into best, *best_ll updated. */
static void search_direction(refit_judge *j, double *bp, gmoe_model *best, double *best_ll)
{
    size_t nb = gmoe_topk_breakpoints(j->m, j->data, j->dir, j->s, bp);
    if (nb == 0)
        return;
    double ll = *best_ll;
    ptrdiff_t here = gmoe_topk_interval_of_zero(bp, nb);
    ptrdiff_t at = gmoe_topk_line_search(refit_at, j, bp, nb, here, 1, &ll);
    if (at == here || !(ll > *best_ll))
        return;
    double judged = refit_at(j, gmoe_topk_candidate(bp, nb, at));
    if (judged > *best_ll) {
        gmoe_model_copy_params(best, j->trial);
        *best_ll = judged;
    }
}

int gmoe_topk_refit_moves(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                          const gmoe_em_options *opt, double *ll)
{
    if (m->select != GMOE_SELECT_LOGIT)
        return GMOE_OK;
    size_t k = m->k, dg = m->dg;
    double *bp = malloc((data->n + 2 * k + NPIVOTS) * sizeof(double));
    gmoe_model *trial = gmoe_model_clone(m), *best = gmoe_model_clone(m);
    int st = bp && trial && best ? GMOE_OK : GMOE_ENOMEM;
    refit_judge j = {.m = m, .data = data, .ws = ws, .opt = opt, .trial = trial};
    j.s = bp + data->n;
    double *q = j.s + 2 * k, best_ll = *ll + 1e-9 * (double)data->n;
    if (st == GMOE_OK) {
        j.least = fmin(gmoe_topk_smallest_share(m, data, j.s), GMOE_TOPK_MIN_SHARE);
        /* a move must beat re-fitting the experts where they are */
        gmoe_topk_dir none = {.i = 0, .u = 0, .pivot = 0.0};
        j.dir = &none;
        best_ll = fmax(best_ll, refit_at(&j, 0.0) + 1e-9 * (double)data->n);
    }
    double threshold = best_ll;
    for (size_t u = 0; u <= dg && st == GMOE_OK; u++) {
        if (u > 0)
            quartiles(m, data, u - 1, bp, q);
        for (size_t p = 0; p < (u == 0 ? 1 : NPIVOTS); p++)
            for (size_t i = 0; i < k; i++) {
                gmoe_topk_dir dir = {.i = i, .u = u, .pivot = u == 0 ? 0.0 : q[p]};
                j.dir = &dir;
                search_direction(&j, bp, best, &best_ll);
            }
    }
    if (st == GMOE_OK && best_ll > threshold) {
        gmoe_model_copy_params(m, best);
        *ll = best_ll;
    }
    gmoe_model_free(trial);
    gmoe_model_free(best);
    free(bp);
    return st;
}
