/* edge_start.c -- the edge starts of gmoe_fit_auto's fit after its
 * lead-in (fit.c): the best fit with k - 1 experts and a new expert on the
 * rows at one end of the design.
 *
 * The extra expert of an over-specified fit often ends on a few rows at
 * an edge of the design (issue 11: over-specified softmax, k = 3 on
 * k* = 2 truths, the best known maxima hold one expert on 13 to 223 rows
 * at an edge, variance 0.02 to 0.09 of the pooled).  The split starts
 * (split.c) cut one expert's rows; no split reaches those maxima, whose
 * small expert takes its rows from the experts that share the edge.
 *
 * Edge start c: gate covariate u (the first MAX_EDGE_COVARIATES), its
 * low or high end, and the share q of the rows there (edge_shares: 30 to
 * 250 rows of 5000 at d = 1, 30 to 5000 of 1e5).  The new expert is made by the
 * family's split of the expert that holds most of those rows; its line
 * and variance are the weighted least squares fit to them (the experts'
 * M-step with those rows given to it, every other row as the smaller
 * fit's responsibilities, so the other experts are refitted without
 * them), and its gate steps up at the cut. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"

/* The rows at an end: from EDGE_MIN_ROWS (d + 2) rows to EDGE_MAX_SHARE
 * of them, in at most MAX_SIZES sizes about EDGE_SIZE_RATIO apart
 * (geometric); on small data, where EDGE_MIN_ROWS (d + 2) rows are more
 * than EDGE_MAX_SHARE of them, that many rows while they are at most
 * EDGE_SMALL_SHARE of them (no edge starts beyond). */
#define EDGE_MIN_ROWS 10.0
#define EDGE_MAX_SHARE 0.05
#define EDGE_SMALL_SHARE 0.25
#define EDGE_SIZE_RATIO 4.0
#define MAX_SIZES 6
#define MAX_EDGE_COVARIATES 4
/* the step's steepness: the logit changes by this many units per
 * weighted sd of the covariate among the rows beyond the cut */
#define EDGE_STEEPNESS 5.0

/* The shares of the rows at an end used on n rows of d covariates
 * (increasing) into share (MAX_SIZES); their count. */
static size_t edge_shares(size_t n, size_t d, double *share)
{
    double least = EDGE_MIN_ROWS * (double)(d + 2) / (double)n;
    if (least > EDGE_SMALL_SHARE)
        return 0;
    if (least >= EDGE_MAX_SHARE) {
        share[0] = least;
        return 1;
    }
    double span = EDGE_MAX_SHARE / least;
    size_t ns = 1 + (size_t)ceil(log(span) / log(EDGE_SIZE_RATIO));
    ns = ns < MAX_SIZES ? ns : MAX_SIZES;
    for (size_t i = 0; i < ns; i++)
        share[i] = least * pow(span, (double)i / (double)(ns - 1));
    return ns;
}

static size_t edge_covariates(const gmoe_model *m)
{
    return m->dg < MAX_EDGE_COVARIATES ? m->dg : MAX_EDGE_COVARIATES;
}

size_t gmoe_edge_starts(const gmoe_model *m, size_t n)
{
    double share[MAX_SIZES];
    return 2 * edge_covariates(m) * edge_shares(n, m->d, share);
}

/* Row r of gate covariate u is beyond the cut. */
static int beyond(const gmoe_data *data, size_t r, size_t u, double cut, int high)
{
    double v = gmoe_gate_row(data, r)[u];
    return high ? v >= cut : v <= cut;
}

typedef struct {
    const gmoe_data *data;
    const double *resp; /* the smaller fit's, k - 1 columns */
    size_t k1, u;
    double cut;
    int high;
} edge_job;

/* buf[i]: expert i's responsibilities summed over this process's rows
 * beyond the cut (added to what the processes before left there). */
static void add_edge_mass(void *job, double *buf)
{
    const edge_job *e = job;
    for (size_t r = 0; r < e->data->n; r++)
        if (beyond(e->data, r, e->u, e->cut, e->high))
            for (size_t i = 0; i < e->k1; i++)
                buf[i] += e->resp[r * e->k1 + i];
}

/* The expert of the smaller fit holding most of the rows beyond the cut
 * into *j; GMOE_ENUMERIC when they are more than twice the share q
 * (ties at the cut: a covariate with few values), GMOE_EINVAL when the
 * shards' chain failed, GMOE_ENOMEM. */
static int edge_holder(const edge_job *e, double q, double total, size_t *j)
{
    double *mass = malloc(e->k1 * sizeof(double));
    int st = mass ? gmoe_chain_run(e->data, mass, e->k1, add_edge_mass, (void *)e) : GMOE_ENOMEM;
    double sum = 0.0;
    *j = 0;
    for (size_t i = 0; st == GMOE_OK && i < e->k1; i++) {
        sum += mass[i];
        if (mass[i] > mass[*j])
            *j = i;
    }
    free(mass);
    return st ? st : sum > 2.0 * q * total ? GMOE_ENUMERIC : GMOE_OK;
}

/* ws->resp (k columns) for the experts' M-step: the rows beyond the cut
 * to expert j (the new half), every other row as the smaller fit's, with
 * expert j's share to its other half (the last expert). */
static void edge_responsibilities(const edge_job *e, size_t j, double *resp)
{
    size_t k1 = e->k1, k = k1 + 1;
    for (size_t r = 0; r < e->data->n; r++) {
        const double *from = e->resp + r * k1;
        double *to = resp + r * k;
        if (beyond(e->data, r, e->u, e->cut, e->high)) {
            memset(to, 0, k * sizeof(double));
            to[j] = e->data->w ? e->data->w[r] : 1.0;
        } else {
            memcpy(to, from, k1 * sizeof(double));
            to[k1] = from[j];
            to[j] = 0.0;
        }
    }
}

/* Edge start c into m, given the cut's quantile (u, q, high). */
static int make_edge(gmoe_model *m, const gmoe_model *smaller, const gmoe_data *data, gmoe_em_ws *ws,
                     const gmoe_em_options *opt, gmoe_smaller_cache *cache, size_t u, double q, int high)
{
    gmoe_quantile qt;
    int st = gmoe_smaller_gate_quantile(cache, data, u, high ? 1.0 - q : q, &qt);
    if (st)
        return st;
    if (!(qt.tail_sd > 0))
        return GMOE_ENUMERIC;
    const double *resp;
    if ((st = gmoe_smaller_resp(cache, smaller, data, ws, &resp)))
        return st;
    edge_job e = {data, resp, smaller->k, u, qt.cut, high};
    size_t j = 0;
    if ((st = edge_holder(&e, q, ws->total, &j)) == GMOE_OK) {
        ws->gating->split(m, smaller, j);
        edge_responsibilities(&e, j, ws->resp);
        gmoe_mstep_experts(m, data, ws, opt);
        double slope = EDGE_STEEPNESS / qt.tail_sd;
        gmoe_split_step(m, j, u, qt.cut, high ? slope : -slope);
    }
    return st;
}

int gmoe_edge_start(gmoe_model *m, const gmoe_model *smaller, size_t c, const gmoe_data *data,
                    gmoe_em_ws *ws, const gmoe_em_options *opt, gmoe_smaller_cache *cache)
{
    double share[MAX_SIZES];
    size_t ns = edge_shares(gmoe_rows_total(data), m->d, share);
    if (!ws->gating->split || smaller->k + 1 != m->k || c >= 2 * edge_covariates(m) * ns)
        return GMOE_EINVAL;
    int st = make_edge(m, smaller, data, ws, opt, cache, c / (2 * ns), share[c % ns], (int)(c / ns % 2));
    /* no edge there (a covariate with few values): the split of expert 1
     * with a quarter of its variance, a start of its own kind */
    return st == GMOE_ENUMERIC ? gmoe_split_start(m, smaller, 1, data, ws, opt, cache) : st;
}
