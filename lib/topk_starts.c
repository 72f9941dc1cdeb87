/* topk_starts.c -- moves that place the selection boundaries of a top-K
 * gate (issue 11).
 *
 * EM cannot move a top-K boundary: the gate M-step's objective is
 * -INFINITY wherever a row with positive responsibility would lose one of
 * its selected experts, and a row crossing a boundary always does.  So a
 * run keeps, up to small shifts, the selection pattern of its start, and
 * a misplaced boundary costs a lot of log-likelihood (MODELS.md section 1:
 * with select = logit the biases move the boundaries too).
 *
 * The move here is a search along one gate coordinate c (a bias or one
 * slope of a free expert i) with every other parameter held: the
 * observed log-likelihood is smooth between the values of c where some
 * row's selection changes, and those values are known exactly: row n
 * gains or loses expert i where l_i(x_n) crosses t_n, the K-th largest
 * score of the other experts, i.e. at c + (t_n - s_i(x_n)) / z_n (z_n = 1
 * for the bias, the covariate for a slope).  The search tries the
 * midpoints between these breakpoints, coarse to fine (a grid over their
 * ranks, then a finer grid around the best), so that a move can carry the
 * boundary over one row or over most of the data.  A sweep over every
 * coordinate, kept only where it raises the log-likelihood, is followed
 * by an EM run, which re-fits the experts and the smooth part of the gate
 * to the new pattern; sweeps repeat until none moves. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "internal.h"
#include "topk_dense.h"
#include "topk_face.h"
#include "topk_lines.h"
#include "topk_select.h"

#define MAX_SWEEPS 30    /* sweeps, each followed by Newton steps on the pattern */
#define MAX_ROUNDS 12    /* rounds of moves, each followed by an EM run */
#define FACE_STEPS 20    /* at most that many Newton steps */
#define DENSE_PROPOSALS 2 /* of the dense runs, best first, run on */
#define PROPOSALS 3      /* new-line or exchange proposals run on, best judged first */
#define MAX_KEPT 4       /* such proposals kept, one after another */
#define MAX_ENDS GMOE_TOPK_MAX_ENDS
#define MAX_PIVOT_ROUNDS 6 /* pivot sweeps kept, each followed by the rounds */
#define REPROPOSE_GAIN 1e-4 /* per row: a kept proposal that gains less ends
                             * where the fit was, so new proposals are the same */

/* A coordinate move's judge: the log-likelihood with every other
 * parameter held. */
typedef struct {
    const gmoe_model *m;
    const gmoe_data *data;
    gmoe_em_ws *ws;
    const gmoe_topk_dir *dir;
} held_judge;

static double loglik_at(void *ctx, double delta)
{
    held_judge *h = ctx;
    gmoe_model *t = h->ws->trial;
    gmoe_model_copy_params(t, h->m);
    gmoe_topk_shift(t, h->dir, delta);
    double ll = gmoe_estep(t, h->data, NULL, h->ws->block_ll, h->ws->nthreads);
    return isfinite(ll) ? ll : -INFINITY;
}

/* Search along dir over its breakpoints' intervals
 * (gmoe_topk_line_search); moves the coordinate if that raises *ll.
 * Returns 1 if it moved. */
static int search_direction(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                            gmoe_topk_dir dir, double *s, double *bp, double *ll)
{
    size_t nb = gmoe_topk_breakpoints(m, data, &dir, s, bp);
    if (nb == 0)
        return 0;
    double best_ll = *ll;
    held_judge h = {.m = m, .data = data, .ws = ws, .dir = &dir};
    ptrdiff_t here = gmoe_topk_interval_of_zero(bp, nb);
    ptrdiff_t best = gmoe_topk_line_search(loglik_at, &h, bp, nb, here, 0, &best_ll);
    if (best == here || !(best_ll > *ll + 1e-9 * (double)data->n))
        return 0;
    /* no move may leave an expert (nearly) never selected: the variance
     * floor would reward one fitted to a handful of rows */
    double before = gmoe_topk_smallest_share(m, data, s);
    double delta = gmoe_topk_candidate(bp, nb, best);
    gmoe_topk_shift(m, &dir, delta);
    if (gmoe_topk_smallest_share(m, data, s) < fmin(before, GMOE_TOPK_MIN_SHARE)) {
        gmoe_topk_shift(m, &dir, -delta);
        return 0;
    }
    *ll = best_ll;
    return 1;
}

/* One sweep over the free gate coordinates; returns how many moved. */
static size_t sweep(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws, double *s, double *bp,
                    double *ll)
{
    size_t moved = 0;
    for (size_t i = 0; i < m->k; i++)
        for (size_t u = 0; u <= m->dg; u++)
            moved += (size_t)search_direction(m, data, ws, (gmoe_topk_dir){.i = i, .u = u}, s, bp, ll);
    return moved;
}

/* Sweeps, each followed by Newton steps on the pattern, until one gains
 * less than 1e-9 per row (or MAX_SWEEPS).  *ll updated. */
static int sweep_to_fixed_point(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                                double floor, double *s, double *bp, double *ll)
{
    int st = GMOE_OK;
    for (int t = 0; t < MAX_SWEEPS && st == GMOE_OK; t++) {
        double before = *ll;
        sweep(m, data, ws, s, bp, ll);
        /* not with a tiny expert: Newton would fit it to its few rows
         * (the variance to its floor), which EM's min_weight prevents */
        if (gmoe_topk_smallest_share(m, data, s) >= GMOE_TOPK_MIN_SHARE)
            st = gmoe_topk_face_steps(m, data, ws->nthreads, floor, FACE_STEPS, ll);
        if (!(*ll > before + 1e-9 * (double)data->n))
            break;
    }
    return st;
}

/* One sweep that turns each expert's gate slope about each end of its
 * selection runs (one boundary held, the others moved: a move no
 * coordinate of sweep makes); one gate covariate.  Returns how many
 * moved. */
static size_t pivot_sweep(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws, const double *xs,
                          double *s, double *bp, double *ll)
{
    size_t moved = 0;
    double ends[MAX_ENDS];
    for (size_t i = 0; i < m->k; i++) {
        size_t ne = gmoe_topk_region_ends(m, xs, data->n, i, s, ends, MAX_ENDS);
        for (size_t e = 0; e < ne; e++)
            moved += (size_t)search_direction(m, data, ws, (gmoe_topk_dir){.i = i, .u = 1, .pivot = ends[e]},
                                              s, bp, ll);
    }
    return moved;
}

/* The moves apply to a top-K gate with K < k whose boundaries a gate
 * coordinate can move: select = logit (biases and slopes) or slope with
 * covariates in the gate. */
static int moves_apply(const gmoe_model *m)
{
    return m->family == GMOE_TOPK && m->top_k < m->k &&
           (m->select == GMOE_SELECT_LOGIT || m->dg > 0);
}

/* An EM run from the moved point m: its stop reason and gradient into
 * info (the iterations added); returns the log-likelihood. */
static double em_run_on(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                        const gmoe_em_options *opt, size_t restart, gmoe_fit_info *info)
{
    gmoe_fit_info run;
    size_t iterations = info->iterations, best_restart = info->best_restart;
    gmoe_em_run(m, data, ws, opt, restart, &run);
    *info = run;
    info->iterations += iterations;
    info->best_restart = best_restart;
    return gmoe_estep(m, data, NULL, ws->block_ll, ws->nthreads);
}

/* What the rounds of moves share. */
typedef struct {
    const gmoe_data *data;
    gmoe_em_ws *ws;
    const gmoe_em_options *opt;
    size_t restart;
    gmoe_topk_relocator *rel;
    double *s, *bp, floor;
    double beat; /* a trial's run must end above this (-INFINITY: the fit's) */
} mover;

/* A trial's run (a proposal run on) that, gaining at most what its last
 * round gained in each round left, would still end at or below v->beat:
 * stopped there, it would be thrown away anyway.  The rounds' gains fall
 * off as a run settles (tests/topk_birth.sh's case, seed 5: a new line
 * 114 below the fit gained 0.3-0.6 a round for 10 rounds). */
static int hopeless(const mover *v, double ll, double last_gain, int rounds_left)
{
    return ll + last_gain * (double)rounds_left <= v->beat;
}

/* Rounds of moves, each followed by an EM run, until a round finds
 * nothing (*fixed_point set) or MAX_ROUNDS; *ll and info updated. */
static int run_rounds(mover *v, gmoe_model *m, gmoe_fit_info *info, double *ll, int *fixed_point)
{
    const gmoe_data *data = v->data;
    int st = GMOE_OK;
    *fixed_point = 0;
    double last_start = -INFINITY;
    for (int round = 0; round < MAX_ROUNDS && st == GMOE_OK; round++) {
        double before = *ll;
        if (hopeless(v, *ll, *ll - last_start, MAX_ROUNDS - round))
            break;
        last_start = before;
        st = sweep_to_fixed_point(m, data, v->ws, v->floor, v->s, v->bp, ll);
        /* moves judged with the experts re-fitted, then relocations
         * (costlier), only where the sweeps find nothing */
        int more = !gmoe_topk_segments_apply(m, data);
        if (more && st == GMOE_OK && !(*ll > before + 1e-9 * (double)data->n))
            st = gmoe_topk_refit_moves(m, data, v->ws, v->opt, ll);
        if (more && st == GMOE_OK && !(*ll > before + 1e-9 * (double)data->n))
            st = gmoe_topk_relocate(v->rel, m, data, v->ws, v->opt, ll);
        if (st != GMOE_OK)
            break;
        if (!(*ll > before + 1e-9 * (double)data->n)) {
            *fixed_point = 1;
            break;
        }
        *ll = em_run_on(m, data, v->ws, v->opt, v->restart, info);
    }
    return st;
}

/* Proposals of several coordinates at once (the new lines of
 * topk_birth.c, the exchanges of topk_exchange.c), made where the rounds
 * end, for the caller to run on. */
typedef int (*proposer)(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                        const gmoe_em_options *opt, gmoe_model **out, size_t nout, size_t *found);

/* Where the rounds end: up to PROPOSALS proposals of propose,
 * each run on (EM, the rounds) and the one that ends highest kept if it
 * ends higher than m; again after one is kept that gains REPROPOSE_GAIN
 * per row (at most MAX_KEPT).  A trial's run stops when hopeless.
 * Every proposal is run, not only up to the first that gains: which one
 * gains first turns on the last bits of the arithmetic (tests/
 * topk_birth.sh's case, scalar exp and log: the new line that gained
 * first ended 35.6 below the fit from the truth, the best of the three
 * 22.2 below). */
static int try_proposals(mover *v, proposer propose, gmoe_model *m, gmoe_fit_info *info, double *ll,
                         int *fixed_point)
{
    gmoe_model *prop[PROPOSALS] = {NULL};
    /* the proposals' runs are trials: the caller's progress hook sees only
     * the fit (whose log-likelihood never falls) */
    gmoe_em_options quiet = *v->opt;
    quiet.progress = NULL;
    mover trial = *v;
    trial.opt = &quiet;
    int st = GMOE_OK;
    for (size_t c = 0; c < PROPOSALS && st == GMOE_OK; c++)
        st = (prop[c] = gmoe_model_clone(m)) ? GMOE_OK : GMOE_ENOMEM;
    for (int b = 0; b < MAX_KEPT && st == GMOE_OK; b++) {
        size_t found = 0;
        int material = 0; /* the last proposal kept gained REPROPOSE_GAIN */
        st = propose(m, v->data, v->ws, v->opt, prop, PROPOSALS, &found);
        for (size_t c = 0; c < found && st == GMOE_OK; c++) {
            gmoe_fit_info run = *info;
            int fixed = 0;
            trial.beat = *ll;
            double pll = em_run_on(prop[c], v->data, v->ws, &quiet, v->restart, &run);
            st = run_rounds(&trial, prop[c], &run, &pll, &fixed);
            if (st == GMOE_OK && pll > *ll + 1e-9 * (double)v->data->n) {
                material = pll > *ll + REPROPOSE_GAIN * (double)v->data->n;
                gmoe_model_copy_params(m, prop[c]);
                *ll = pll;
                *info = run;
                *fixed_point = fixed;
            }
        }
        if (!material)
            break;
    }
    for (size_t c = 0; c < PROPOSALS; c++)
        gmoe_model_free(prop[c]);
    return st;
}

/* At the fixed point after the births: sweeps that turn slopes about
 * the ends of the selection runs (pivot_sweep, each move kept only if it
 * raises the log-likelihood), then Newton steps, an EM run and the
 * rounds; again until a sweep gains nothing (at most MAX_PIVOT_ROUNDS).
 * Run last, so that they cannot change the path to the new lines (in the
 * sweeps themselves they did: tests/topk_birth.sh's case ended 53.6
 * lower). */
static int try_pivots(mover *v, gmoe_model *m, gmoe_fit_info *info, double *ll, int *fixed_point)
{
    const gmoe_data *data = v->data;
    size_t *order = malloc(data->n * sizeof(size_t));
    double *xs = malloc(data->n * sizeof(double));
    int st = order && xs ? gmoe_topk_sort_rows(data, order, xs) : GMOE_ENOMEM;
    for (int r = 0; r < MAX_PIVOT_ROUNDS && st == GMOE_OK && *fixed_point; r++) {
        double before = *ll;
        pivot_sweep(m, data, v->ws, xs, v->s, v->bp, ll);
        if (!(*ll > before + 1e-9 * (double)data->n))
            break;
        if (gmoe_topk_smallest_share(m, data, v->s) >= GMOE_TOPK_MIN_SHARE)
            st = gmoe_topk_face_steps(m, data, v->ws->nthreads, v->floor, FACE_STEPS, ll);
        if (st == GMOE_OK) {
            *ll = em_run_on(m, data, v->ws, v->opt, v->restart, info);
            st = run_rounds(v, m, info, ll, fixed_point);
        }
    }
    free(order);
    free(xs);
    return st;
}

/* K = 1, select = logit, several gate covariates: the fit continued with the dense softmax gate
 * (topk_dense.c), then EM, kept if it ends higher; before the rounds,
 * which cost less from there.  *ll and info updated. */
static int dense_start(mover *v, gmoe_model *m, gmoe_fit_info *info, double *ll)
{
    if (!gmoe_topk_dense_applies(m, v->data))
        return GMOE_OK;
    gmoe_model *prop[DENSE_PROPOSALS] = {NULL};
    int st = GMOE_OK;
    for (size_t c = 0; c < DENSE_PROPOSALS && st == GMOE_OK; c++)
        st = (prop[c] = gmoe_model_clone(m)) ? GMOE_OK : GMOE_ENOMEM;
    size_t found = 0;
    if (st == GMOE_OK)
        st = gmoe_topk_dense_proposals(m, v->data, v->ws, v->opt, prop, DENSE_PROPOSALS, &found);
    for (size_t c = 0; c < found && st == GMOE_OK; c++) {
        gmoe_fit_info run = *info;
        double pll = em_run_on(prop[c], v->data, v->ws, v->opt, v->restart, &run);
        if (pll > *ll + 1e-9 * (double)v->data->n) {
            gmoe_model_copy_params(m, prop[c]);
            *ll = pll;
            *info = run;
        }
    }
    for (size_t c = 0; c < DENSE_PROPOSALS; c++)
        gmoe_model_free(prop[c]);
    return st;
}

int gmoe_topk_place_boundaries(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                               const gmoe_em_options *opt, size_t restart, gmoe_fit_info *info,
                               int *fixed_point)
{
    *fixed_point = 1;
    if (!moves_apply(m) || !isfinite(info->loglik) || info->stop == GMOE_STOP_NONE)
        return GMOE_OK;
    *fixed_point = 0;
    mover v = {.data = data, .ws = ws, .opt = opt, .restart = restart, .floor = opt->var_floor * ws->var_y,
             .beat = -INFINITY};
    v.s = malloc(2 * m->k * sizeof(double));
    v.bp = malloc(data->n * sizeof(double));
    v.rel = gmoe_topk_relocator_alloc(m, data);
    int st = v.s && v.bp && v.rel ? GMOE_OK : GMOE_ENOMEM;
    double ll = gmoe_estep(m, data, NULL, ws->block_ll, ws->nthreads), start_ll = ll;
    /* K = 1 with one gate covariate: the best selection on a grid */
    if (st == GMOE_OK && (st = gmoe_topk_segment_start(m, data, ws, opt, &ll)) == GMOE_OK &&
        ll > start_ll)
        ll = em_run_on(m, data, ws, opt, restart, info);
    if (st == GMOE_OK)
        st = dense_start(&v, m, info, &ll);
    if (st == GMOE_OK)
        st = run_rounds(&v, m, info, &ll, fixed_point);
    /* the proposals also when the rounds ran out: they can creep, each
     * gaining a little, to MAX_ROUNDS (tests/topk_birth.sh's case, seed 1,
     * AVX2 exp and log: 12 rounds gaining 0.001-0.01 each, 53 below the
     * fit from the truth, the proposals never made) */
    if (st == GMOE_OK && gmoe_topk_birth_applies(m, data))
        st = try_proposals(&v, gmoe_topk_birth_proposals, m, info, &ll, fixed_point);
    if (st == GMOE_OK && gmoe_topk_birth_applies(m, data))
        st = try_proposals(&v, gmoe_topk_exchange_proposals, m, info, &ll, fixed_point);
    if (st == GMOE_OK && *fixed_point && gmoe_topk_birth_applies(m, data))
        st = try_pivots(&v, m, info, &ll, fixed_point);
    gmoe_topk_relocator_free(v.rel);
    free(v.s);
    free(v.bp);
    return st;
}

void gmoe_topk_selection_stop(const gmoe_model *m, int fixed_point, gmoe_fit_info *info)
{
    if (!moves_apply(m) || info->stop != GMOE_STOP_TOL)
        return;
    if (!fixed_point)
        info->stop = GMOE_STOP_MAXITER; /* the moves' rounds ran out */
    else if (m->top_k == 1)
        info->stop = GMOE_STOP_SELECTION;
    info->converged = info->stop == GMOE_STOP_TOL;
}
