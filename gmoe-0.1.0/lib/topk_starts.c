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
#include "topk_face.h"

#define MAX_SWEEPS 30    /* sweeps, each followed by Newton steps on the pattern */
#define FACE_STEPS 20    /* at most that many Newton steps */
#define MIN_SHARE 0.01   /* of the rows, selecting each expert (fit_notes' tiny mass) */

/* The breakpoints of coordinate (i, u) (u = 0: the bias, else slope u-1),
 * sorted, into bp; returns how many (rows with z_n = 0 have none). */
static size_t breakpoints(const gmoe_model *m, const gmoe_data *data, size_t i, size_t u,
                          double *s, double *bp)
{
    size_t k = m->k, d = m->dg, K = m->top_k, nb = 0;
    int logit = m->select == GMOE_SELECT_LOGIT;
    const double *gx = gmoe_data_gate_x(data);
    for (size_t r = 0; r < data->n; r++) {
        const double *x = gx + r * d;
        double z = u == 0 ? 1.0 : x[u - 1];
        if (z == 0.0 || (u == 0 && !logit))
            continue;
        gmoe_topk_scores(m, x, s);
        /* t = the K-th largest of the others' scores */
        double t = -INFINITY;
        for (size_t j = 0; j < k; j++) {
            if (j == i)
                continue;
            size_t above = 0;
            for (size_t l = 0; l < k; l++)
                above += l != i && (s[l] > s[j] || (s[l] == s[j] && l < j));
            if (above == K - 1)
                t = s[j];
        }
        double b = (t - s[i]) / z;
        if (isfinite(b))
            bp[nb++] = b;
    }
    return nb;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Adds delta to coordinate u of expert i; for the pinned last expert,
 * subtracts it from every other expert's instead (the same gate). */
static void shift_coordinate(gmoe_model *m, size_t i, size_t u, double delta)
{
    size_t d = m->dg;
    if (i + 1 < m->k) {
        *(u == 0 ? m->beta0 + i : m->beta1 + i * d + (u - 1)) += delta;
        return;
    }
    for (size_t j = 0; j + 1 < m->k; j++)
        *(u == 0 ? m->beta0 + j : m->beta1 + j * d + (u - 1)) -= delta;
}

/* The shift of the coordinate to the middle of the interval between
 * breakpoints j and j + 1 (j = -1: before the first, nb - 1: past the
 * last). */
static double candidate(const double *bp, size_t nb, ptrdiff_t j)
{
    if (j < 0)
        return bp[0] - 1.0 - fabs(bp[0]);
    if ((size_t)j + 1 >= nb)
        return bp[nb - 1] + 1.0 + fabs(bp[nb - 1]);
    return 0.5 * (bp[j] + bp[j + 1]);
}

/* The log-likelihood with coordinate (i, u) shifted by delta. */
static double loglik_at(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws, size_t i,
                        size_t u, double delta)
{
    gmoe_model *t = ws->trial;
    gmoe_model_copy_params(t, m);
    shift_coordinate(t, i, u, delta);
    double ll = gmoe_estep(t, data, NULL, ws->block_ll, ws->nthreads);
    return isfinite(ll) ? ll : -INFINITY;
}

/* The next rung of the ladder of rank offsets 1, 2, 3, 4, 6, 8, 12, ...
 * (every scale, from one row's move to the whole data). */
static ptrdiff_t next_rung(ptrdiff_t g)
{
    return g < 4 ? g + 1 : ((g & (g - 1)) == 0 ? g + g / 2 : (g / 3) * 4);
}

/* Tries the intervals centre +- every rung up to radius; returns the best
 * rank found (centre if none beats *best_ll). */
static ptrdiff_t ladder(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws, size_t i,
                        size_t u, const double *bp, size_t nb, ptrdiff_t centre,
                        ptrdiff_t radius, double *best_ll)
{
    ptrdiff_t best = centre;
    for (ptrdiff_t g = 1; g <= radius; g = next_rung(g))
        for (int sign = -1; sign <= 1; sign += 2) {
            ptrdiff_t j = centre + sign * g;
            if (j < -1 || j >= (ptrdiff_t)nb)
                continue;
            double l = loglik_at(m, data, ws, i, u, candidate(bp, nb, j));
            if (l > *best_ll) {
                *best_ll = l;
                best = j;
            }
        }
    return best;
}

/* The smallest share of the rows (weighted) that select any one expert (s: 2k
 * doubles of scratch). */
static double smallest_share(const gmoe_model *m, const gmoe_data *data, double *s)
{
    size_t k = m->k, d = m->dg;
    const double *gx = gmoe_data_gate_x(data);
    double *count = s + k, least = INFINITY, total = 0.0;
    memset(count, 0, k * sizeof(double));
    for (size_t r = 0; r < data->n; r++) {
        double w = data->w ? data->w[r] : 1.0; /* case weights count rows */
        gmoe_topk_scores(m, gx + r * d, s);
        for (size_t j = 0; j < k; j++)
            count[j] += gmoe_topk_is_selected(m, s, j) ? w : 0.0;
        total += w;
    }
    for (size_t j = 0; j < k; j++)
        least = fmin(least, count[j] / total);
    return least;
}

/* Search of coordinate (i, u) over its breakpoints' intervals: a ladder
 * of offsets around the current interval, then finer ladders around the
 * best found; moves the coordinate if that raises *ll.  Returns 1 if it
 * moved. */
static int search_coordinate(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws, size_t i,
                             size_t u, double *s, double *bp, double *ll)
{
    size_t nb = breakpoints(m, data, i, u, s, bp);
    if (nb == 0)
        return 0;
    qsort(bp, nb, sizeof(double), cmp_double);
    double best_ll = *ll;
    /* the current value lies in interval `here` (bp[here] < 0 <= bp[here + 1]) */
    ptrdiff_t here = -1;
    while (here + 1 < (ptrdiff_t)nb && bp[here + 1] < 0)
        here++;
    ptrdiff_t centre = here, radius = (ptrdiff_t)nb;
    for (;;) {
        ptrdiff_t best = ladder(m, data, ws, i, u, bp, nb, centre, radius, &best_ll);
        if (best == centre)
            break;
        radius = (best > centre ? best - centre : centre - best) / 2;
        centre = best;
    }
    if (centre == here || !(best_ll > *ll + 1e-9 * (double)data->n))
        return 0;
    /* no move may leave an expert (nearly) never selected: the variance
     * floor would reward one fitted to a handful of rows */
    double before = smallest_share(m, data, s);
    shift_coordinate(m, i, u, candidate(bp, nb, centre));
    if (smallest_share(m, data, s) < fmin(before, MIN_SHARE)) {
        shift_coordinate(m, i, u, -candidate(bp, nb, centre));
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
            moved += (size_t)search_coordinate(m, data, ws, i, u, s, bp, ll);
    return moved;
}

int gmoe_topk_place_boundaries(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                               const gmoe_em_options *opt, size_t restart, gmoe_fit_info *info)
{
    if (m->family != GMOE_TOPK || m->top_k >= m->k || m->select != GMOE_SELECT_LOGIT ||
        !isfinite(info->loglik) || info->stop == GMOE_STOP_NONE)
        return GMOE_OK;
    double *s = malloc(2 * m->k * sizeof(double)), *bp = malloc(data->n * sizeof(double));
    if (!s || !bp) {
        free(s);
        free(bp);
        return GMOE_ENOMEM;
    }
    double floor = opt->var_floor * ws->var_y, ll0 = info->loglik;
    double ll = gmoe_estep(m, data, NULL, ws->block_ll, ws->nthreads);
    int st = GMOE_OK;
    for (int t = 0; t < MAX_SWEEPS && st == GMOE_OK; t++) {
        double before = ll;
        sweep(m, data, ws, s, bp, &ll);
        /* not with a tiny expert: Newton would fit it to its few rows
         * (the variance to its floor), which EM's min_weight prevents */
        if (smallest_share(m, data, s) >= MIN_SHARE)
            st = gmoe_topk_face_steps(m, data, ws->nthreads, floor, FACE_STEPS, &ll);
        if (!(ll > before + 1e-9 * (double)data->n))
            break;
    }
    if (st == GMOE_OK && ll > ll0) {
        /* an EM run from the new point: its stop reason and gradient */
        gmoe_fit_info run;
        size_t iterations = info->iterations, best_restart = info->best_restart;
        gmoe_em_run(m, data, ws, opt, restart, &run);
        *info = run;
        info->iterations += iterations;
        info->best_restart = best_restart;
    }
    free(s);
    free(bp);
    return st;
}
