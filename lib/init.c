/* init.c -- random starting models for EM restarts.
 *
 * Two strategies alternate over restarts, both giving a hard assignment of
 * rows to experts from which one M-step builds the starting model:
 *   even restarts: "x-partition": k distinct random rows are centres in
 *     standardized covariate space; each row goes to its nearest centre.
 *     Suits gates that split the covariate space (the softmax's job).
 *   odd restarts: "k-lines": each expert gets a least-squares line through
 *     d + 2 random rows; each row goes to the line with the smallest
 *     absolute residual.  Suits experts that overlap in x.
 * The gate starts at zero and takes a few Newton steps towards the
 * assignment (a hard assignment is separable, so a full fit would diverge).
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"

#define SURROGATE_ITERS 20

/* k distinct row indices drawn uniformly. */
static void choose_rows(const gsl_rng *rng, size_t n, size_t k, size_t *rows)
{
    for (size_t i = 0; i < k; i++) {
        size_t r;
        int dup;
        do {
            r = (size_t)gsl_rng_uniform_int(rng, n);
            dup = 0;
            for (size_t j = 0; j < i; j++)
                dup |= rows[j] == r;
        } while (dup && k <= n);
        rows[i] = r;
    }
}

/* Without covariates each row goes to a random expert: the draws of
 * the rows before this shard's are made and dropped, and those of the
 * rows after, so that every process's generator ends where one
 * process's would. */
static void random_labels(const gmoe_data *data, size_t k, const gsl_rng *rng, size_t *label)
{
    size_t first = data->shard ? data->shard->first_row : 0, total = gmoe_rows_total(data);
    for (size_t r = 0; r < first; r++)
        gsl_rng_uniform_int(rng, k);
    for (size_t r = 0; r < data->n; r++)
        label[r] = (size_t)gsl_rng_uniform_int(rng, k);
    for (size_t r = first + data->n; r < total; r++)
        gsl_rng_uniform_int(rng, k);
}

/* The whole-data rows rows[0..m) into x (m * d: the gate's covariates
 * when gate is set, else the experts') and y (or NULL), from whichever
 * process holds them. */
static int fetch_rows(const gmoe_data *data, const size_t *rows, size_t m, int gate, double *x,
                      double *y)
{
    size_t d = data->d, dg = data->gate_own ? data->dg : 0;
    double *xs = malloc((m * d + 1) * sizeof(double)), *gs = malloc((m * dg + 1) * sizeof(double));
    int st = xs && gs ? gmoe_chain_fetch_rows(data, rows, m, xs, gs, y) : GMOE_ENOMEM;
    if (st == GMOE_OK)
        memcpy(x, gate && dg ? gs : xs, m * (gate && dg ? dg : d) * sizeof(double));
    free(xs);
    free(gs);
    return st;
}

/* Keeps i as *nearest if dist is below *best: a minimum and arithmetic,
 * no branch (which, taken or not at random, mispredicted on about every
 * other row of the assignments below). */
static inline void keep_closer(double dist, size_t i, double *best, size_t *nearest)
{
    size_t closer = dist < *best;
    *best = closer ? dist : *best;
    *nearest += closer * (i - *nearest);
}

/* The partition is in the gate's covariates, the space the gate splits
 * (the experts' when the gate is constant); with neither, each row goes
 * to a random expert. */
static void assign_x_partition(const gmoe_data *data, size_t k, const gsl_rng *rng,
                               size_t *label)
{
    size_t n = data->n, d = gmoe_data_gate_d(data), first = data->shard ? data->shard->first_row : 0;
    const double *x = gmoe_data_gate_x(data);
    int gate = d > 0;
    if (d == 0) {
        d = data->d;
        x = data->x;
    }
    if (d == 0) {
        random_labels(data, k, rng, label);
        return;
    }
    double *mean = malloc((d + 1) * sizeof(double)), *sd = malloc((d + 1) * sizeof(double));
    size_t *centre = malloc(k * sizeof(size_t));
    double *cx = malloc((k * d + 1) * sizeof(double));
    if (mean && sd)
        gmoe_column_moments(data, x, d, mean, sd);
    if (centre)
        choose_rows(rng, gmoe_rows_total(data), k, centre);
    if (!mean || !sd || !centre || !cx || fetch_rows(data, centre, k, gate, cx, NULL)) {
        for (size_t r = 0; r < n; r++)
            label[r] = (first + r) % k;
        goto done;
    }
    for (size_t r = 0; r < n; r++) {
        double best = INFINITY;
        size_t nearest = 0;
        for (size_t i = 0; i < k; i++) {
            double dist = 0.0;
            for (size_t j = 0; j < d; j++) {
                double u = (x[r * d + j] - cx[i * d + j]) / sd[j];
                dist += u * u;
            }
            keep_closer(dist, i, &best, &nearest);
        }
        label[r] = nearest;
    }
done:
    free(mean);
    free(sd);
    free(centre);
    free(cx);
}

/* Least-squares coefficients (x, 1) -> y over the given rows (xr: m * d,
 * yr: m), by LAPACKE's minimum-norm solver so that degenerate picks
 * still give a line. */
static void line_through(size_t d, const double *xr, const double *yr, size_t m, double *coef)
{
    size_t p = d + 1;
    double *A = malloc(m * p * sizeof(double)), *bvec = malloc((m > p ? m : p) * sizeof(double));
    memset(coef, 0, p * sizeof(double));
    if (A && bvec) {
        for (size_t r = 0; r < m; r++) {
            for (size_t j = 0; j < d; j++)
                A[r * p + j] = xr[r * d + j];
            A[r * p + d] = 1.0;
            bvec[r] = yr[r];
        }
        for (size_t r = m; r < p; r++)
            bvec[r] = 0.0;
        lapack_int rank;
        double *sv = malloc(p * sizeof(double));
        if (sv && LAPACKE_dgelss(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)p, 1, A,
                                 (lapack_int)p, bvec, 1, sv, -1.0, &rank) == 0)
            memcpy(coef, bvec, p * sizeof(double));
        free(sv);
    }
    free(A);
    free(bvec);
}

static void assign_k_lines(const gmoe_data *data, size_t k, const gsl_rng *rng, size_t *label)
{
    size_t n = data->n, d = data->d, p = d + 1, total = gmoe_rows_total(data);
    size_t m = d + 2 < total ? d + 2 : total, first = data->shard ? data->shard->first_row : 0;
    double *coef = malloc(k * p * sizeof(double)), *xr = malloc((m * d + 1) * sizeof(double));
    double *yr = malloc((m + 1) * sizeof(double));
    size_t *rows = malloc(m * sizeof(size_t));
    int st = coef && xr && yr && rows ? GMOE_OK : GMOE_ENOMEM;
    for (size_t i = 0; st == GMOE_OK && i < k; i++) {
        choose_rows(rng, total, m, rows);
        if ((st = fetch_rows(data, rows, m, 0, xr, yr)) == GMOE_OK)
            line_through(d, xr, yr, m, coef + i * p);
    }
    if (st) {
        for (size_t r = 0; r < n; r++)
            label[r] = (first + r) % k;
        goto done;
    }
    for (size_t r = 0; r < n; r++) {
        double best = INFINITY;
        size_t nearest = 0;
        for (size_t i = 0; i < k; i++) {
            double mu = coef[i * p + d];
            for (size_t j = 0; j < d; j++)
                mu += coef[i * p + j] * data->x[r * d + j];
            keep_closer(fabs(data->y[r] - mu), i, &best, &nearest);
        }
        label[r] = nearest;
    }
done:
    free(coef);
    free(xr);
    free(yr);
    free(rows);
}

/* The rows' responses (times their weights) added to *sum in order. */
static void add_responses(void *job, double *sum)
{
    const gmoe_data *data = job;
    for (size_t r = 0; r < data->n; r++)
        *sum += data->w ? data->w[r] * data->y[r] : data->y[r];
}

int gmoe_init_random(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                     const gmoe_em_options *opt, size_t restart, uint64_t seed)
{
    size_t n = data->n, k = m->k, d = m->d, dg = m->dg;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    size_t *label = malloc(n * sizeof(size_t));
    if (!rng || !label) {
        gsl_rng_free(rng);
        free(label);
        return GMOE_ENOMEM;
    }
    gsl_rng_set(rng, (unsigned long)seed);
    if (restart % 2 == 0)
        assign_x_partition(data, k, rng, label);
    else
        assign_k_lines(data, k, rng, label);
    /* the hard assignment, each row with its case weight as the E-step
     * gives them (estep.c) */
    memset(ws->resp, 0, n * k * sizeof(double));
    for (size_t r = 0; r < n; r++)
        ws->resp[r * k + label[r]] = data->w ? data->w[r] : 1.0;

    /* Experts the assignment leaves (nearly) empty keep a fallback: the
     * overall mean with a random offset and the overall variance. */
    double ymean;
    gmoe_chain_run(data, &ymean, 1, add_responses, (void *)data);
    ymean /= ws->total;
    for (size_t i = 0; i < k; i++) {
        memset(m->a + i * d, 0, d * sizeof(double));
        m->b[i] = ymean + gsl_ran_gaussian(rng, sqrt(ws->var_y));
        m->sigma2[i] = ws->var_y > 0 ? ws->var_y : 1.0;
    }
    memset(m->beta0, 0, k * sizeof(double));
    memset(m->beta1, 0, k * dg * sizeof(double));
    gsl_rng_free(rng);
    free(label);

    gmoe_mstep_experts(m, data, ws, opt);
    /* A sparse family takes this first step on its dense surrogate (same
     * theta layout): its own objective is -INFINITY on a hard assignment. */
    gmoe_em_options few = *opt;
    few.gate_max_iter = 1;
    const gmoe_gating *own = ws->gating;
    const gmoe_gating *sur = own->init_surrogate ? own->init_surrogate(m) : NULL;
    if (sur)
        ws->gating = sur;
    int st = gmoe_mstep_gate(m, data, ws, &few);
    if (st == GMOE_OK && sur) {
        /* A few EM iterations of the dense surrogate place the experts and
         * order the gate before the sparse fit, which cannot change its
         * selection pattern much, takes over. */
        gmoe_family fam = m->family;
        m->family = sur->family;
        gmoe_em_estep(m, data, ws, ws->resp);
        for (int it = 0; it < SURROGATE_ITERS && st == GMOE_OK; it++) {
            int failed = 0;
            gmoe_em_step(m, data, ws, opt, &failed);
            st = failed ? GMOE_ENUMERIC : GMOE_OK;
        }
        m->family = fam;
    }
    ws->gating = own;
    return st;
}
