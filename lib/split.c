/* split.c -- the split starts of a nested fit (gmoe_fit_nested): expert j
 * of the best fit with k - 1 experts made into two, in several ways.
 *
 * The exact split (the family's split, gating.h: two identical halves
 * sharing expert j's gate) has the smaller fit's likelihood and is a
 * stationary point of the k-expert likelihood (the halves are
 * interchangeable), which EM would never leave.  Each split start leaves
 * it in one direction:
 *   - along the response: the direction of most positive curvature of the
 *     log-likelihood there (gmoe_newton_escape: the halves pulled apart in
 *     their lines and gates together); where no direction raises it, the
 *     halves' intercepts are moved apart by a quarter of their sd each way;
 *   - the variance: one half with a quarter of expert j's variance (the
 *     core of its rows, the other half their tails);
 *   - along the gate: one half takes the rows of expert j beyond a cut of
 *     one gate covariate (at the 10%, 50% or 90% quantile of expert j's
 *     rows: the minority side) through a steep gate, with expert j's
 *     variance or a quarter of it (the core of the rows beyond the cut).
 *     EM's first M-step fits each half's line to its rows.  The extra
 *     expert of an over-specified model often sits at an edge of the
 *     design, on the core of the rows there (issue 11: reference model,
 *     1e4 rows, k = 3: the best known optimum is reached from the 90% cut
 *     with a quarter variance and from none of the splits along the
 *     response), which no split along the response reaches.
 * gmoe_fit's screening (short EM) ranks them with the random starts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "internal.h"
#include "newton.h"

/* The splits along a gate covariate: the cut's quantile among expert
 * j's rows (the half beyond it gets the core of those rows: a quarter of
 * expert j's variance). */
static const double gate_cut_quantile[] = {0.1, 0.9};
#define NGATE_SPLITS (sizeof gate_cut_quantile / sizeof *gate_cut_quantile)
/* the gate covariates cut one by one, at most this many (the first ones) */
#define MAX_CUT_COVARIATES 4
/* the cut's steepness: the logit changes by this many units per weighted
 * sd of the covariate among expert j's rows */
#define CUT_STEEPNESS 5.0
/* the core half's share of expert j's variance */
#define CORE_VAR_FACTOR 0.25

static size_t cut_covariates(const gmoe_model *m)
{
    return m->dg < MAX_CUT_COVARIATES ? m->dg : MAX_CUT_COVARIATES;
}

/* the response split, the variance split, then the gate splits */
size_t gmoe_split_kinds(const gmoe_model *m)
{
    return 2 + NGATE_SPLITS * cut_covariates(m);
}

/* The split along the response: the escape from the exact split (above). */
static int split_response(gmoe_model *m, size_t j, const gmoe_data *data, gmoe_em_ws *ws,
                          const gmoe_em_options *opt)
{
    gmoe_newton_ws *nw = gmoe_newton_ws_alloc(m, data->n);
    if (!nw)
        return GMOE_ENOMEM;
    double ll;
    int moved = gmoe_newton_escape(m, data, nw, ws->nthreads, opt->var_floor * ws->var_y, &ll);
    gmoe_newton_ws_free(nw);
    if (!moved) {
        double offset = 0.25 * sqrt(m->sigma2[j]);
        m->b[j] -= offset;
        m->b[m->k - 1] += offset;
    }
    return GMOE_OK;
}

/* The cut of expert j's rows (the smaller fit's responsibilities) at
 * quantile q of gate covariate u: into *cut and the steepness *slope
 * (per unit of u).  Non-zero when it cannot be made (no rows, a constant
 * covariate among them, no memory). */
static int gate_cut(const gmoe_model *smaller, size_t j, const gmoe_data *data, gmoe_em_ws *ws,
                    gmoe_smaller_cache *cache, size_t u, double q, double *cut, double *slope)
{
    const double *resp;
    int st = gmoe_smaller_resp(cache, smaller, data, ws, &resp);
    gmoe_quantile qt;
    if (st == GMOE_OK && (st = gmoe_gate_quantile(data, u, resp + j, smaller->k, q, &qt)) == GMOE_OK) {
        *cut = qt.cut;
        *slope = CUT_STEEPNESS / qt.sd;
    }
    return st;
}

void gmoe_split_step(gmoe_model *m, size_t j, size_t u, double cut, double slope)
{
    /* the reference half keeps expert j's logit (the exact split halved
     * it: the other experts' logits fall by log 2 against it), the other
     * half adds t (u - cut) to it */
    double t = slope * m->tau;
    for (size_t i = 0; i + 1 < m->k; i++)
        if (i != j)
            m->beta0[i] -= m->tau * log(2.0);
    m->beta1[j * m->dg + u] += t;
    m->beta0[j] -= t * cut;
}

/* The split along gate covariate u at quantile q: the half that is not
 * the reference (expert j of m; both halves' gates are the reference's
 * after the exact split) gets the minority side's rows. */
static int split_gate(gmoe_model *m, const gmoe_model *smaller, size_t j, const gmoe_data *data,
                      gmoe_em_ws *ws, gmoe_smaller_cache *cache, size_t u, double q)
{
    double cut, slope;
    int st = gate_cut(smaller, j, data, ws, cache, u, q, &cut, &slope);
    if (st == GMOE_OK)
        gmoe_split_step(m, j, u, cut, q < 0.5 ? -slope : slope);
    return st;
}

int gmoe_split_start(gmoe_model *m, const gmoe_model *smaller, size_t c, const gmoe_data *data,
                     gmoe_em_ws *ws, const gmoe_em_options *opt, gmoe_smaller_cache *cache)
{
    size_t kinds = gmoe_split_kinds(m), j = c / kinds, kind = c % kinds;
    if (!ws->gating->split || smaller->k + 1 != m->k || j >= smaller->k)
        return GMOE_EINVAL;
    ws->gating->split(m, smaller, j);
    if (kind == 0)
        return split_response(m, j, data, ws, opt);
    if (kind == 1) {
        m->sigma2[j] *= CORE_VAR_FACTOR;
        return GMOE_OK;
    }
    kind -= 2;
    int st = split_gate(m, smaller, j, data, ws, cache, kind / NGATE_SPLITS, gate_cut_quantile[kind % NGATE_SPLITS]);
    if (st == GMOE_OK)
        m->sigma2[j] *= CORE_VAR_FACTOR;
    /* no cut (expert j has no rows, or the covariate is constant there) */
    return st == GMOE_ENUMERIC ? split_response(m, j, data, ws, opt) : st;
}
