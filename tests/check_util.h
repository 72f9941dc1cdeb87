/* check_util.h -- helpers shared by the Check suites (tests/check_*.c).
 * Header-only: each suite is one program built from one source file. */
#ifndef GMOE_CHECK_UTIL_H
#define GMOE_CHECK_UTIL_H

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe.h"

/* Runs every test of the suite; the exit status of the suite's main(). */
static inline int check_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A model of the family with k experts on d covariates and the given
 * parameters (beta0, b, sigma2: k each; beta1, a: k * d, row per expert). */
static inline gmoe_model *check_model_with(gmoe_family family, size_t k, size_t d, const double *beta0,
                                           const double *beta1, const double *a, const double *b,
                                           const double *sigma2)
{
    gmoe_model *m = gmoe_model_alloc(family, k, d);
    ck_assert_ptr_nonnull(m);
    memcpy(m->beta0, beta0, k * sizeof(double));
    memcpy(m->beta1, beta1, k * d * sizeof(double));
    memcpy(m->a, a, k * d * sizeof(double));
    memcpy(m->b, b, k * sizeof(double));
    memcpy(m->sigma2, sigma2, k * sizeof(double));
    return m;
}

/* The default fit options with the suites' usual changes: the number of
 * starts and of threads. */
static inline void check_em_options(gmoe_em_options *opt, size_t restarts, int nthreads)
{
    gmoe_em_options_default(opt);
    opt->restarts = restarts;
    opt->nthreads = nthreads;
}

/* An n-row data set on d covariates; x and y allocated, not filled. */
static inline gmoe_data *check_data_alloc(size_t n, size_t d)
{
    gmoe_data *data = calloc(1, sizeof *data);
    ck_assert_ptr_nonnull(data);
    data->n = n;
    data->d = d;
    data->x = malloc((n * d + 1) * sizeof(double));
    data->y = malloc((n + 1) * sizeof(double));
    ck_assert(data->x && data->y);
    return data;
}

/* n rows drawn from model m: x from the design (lo, hi: one range for
 * every covariate, or NULL for the default) with seed stream 0, y from
 * the model with stream 1, as mixsim does.  Free with gmoe_data_free. */
static inline gmoe_data *check_simulate(const gmoe_model *m, size_t n, gmoe_design design, const double *lo,
                                        const double *hi, uint64_t seed)
{
    gmoe_data *data = check_data_alloc(n, m->d);
    ck_assert_int_eq(gmoe_simulate_design(design, n, m->d, lo, hi, gmoe_seed_derive(seed, 0), data->x, NULL),
                     GMOE_OK);
    ck_assert_int_eq(gmoe_simulate_y(m, data->x, n, gmoe_seed_derive(seed, 1), data->y, NULL, NULL), GMOE_OK);
    return data;
}

/* check_simulate for a model whose gate has covariates of its own
 * (m->gate_own): x (m->d) and gx (m->dg) each uniform on [-1, 1]. */
static inline gmoe_data *check_simulate_gate(const gmoe_model *m, size_t n, uint64_t seed)
{
    gmoe_data *data = calloc(1, sizeof *data);
    ck_assert_ptr_nonnull(data);
    double lo[8] = {-1, -1, -1, -1, -1, -1, -1, -1}, hi[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    data->n = n;
    data->d = m->d;
    data->gate_own = 1;
    data->dg = m->dg;
    data->x = malloc((n * m->d + 1) * sizeof(double));
    data->gx = malloc((n * m->dg + 1) * sizeof(double));
    data->y = malloc(n * sizeof(double));
    ck_assert(data->x && data->gx && data->y && m->d <= 8 && m->dg <= 8);
    if (m->d)
        ck_assert_int_eq(gmoe_simulate_design(GMOE_DESIGN_UNIFORM, n, m->d, lo, hi,
                                              gmoe_seed_derive(seed, 0), data->x, NULL), GMOE_OK);
    if (m->dg)
        ck_assert_int_eq(gmoe_simulate_design(GMOE_DESIGN_UNIFORM, n, m->dg, lo, hi,
                                              gmoe_seed_derive(seed, 2), data->gx, NULL), GMOE_OK);
    ck_assert_int_eq(gmoe_simulate_y_gx(m, data->x, data->gx, n, gmoe_seed_derive(seed, 1), data->y,
                                        NULL, NULL), GMOE_OK);
    return data;
}

/* An EM progress callback (gmoe_em_options.progress, ctx a zeroed
 * check_trace) that records whether the log-likelihood ever fell within
 * a restart, and by how much at worst. */
typedef struct {
    double last, worst;
    size_t n, restart;
    int decreased;
} check_trace;

static inline int check_trace_record(void *ctx, size_t restart, size_t iter, double ll)
{
    check_trace *t = ctx;
    (void)iter;
    if (t->n > 0 && restart == t->restart) {
        /* Summing n terms in double: allow 1e-12 relative for rounding. */
        double drop = t->last - ll;
        if (drop > 1e-12 * fabs(ll))
            t->decreased = 1;
        if (drop > t->worst)
            t->worst = drop;
    }
    t->restart = restart;
    t->last = ll;
    t->n++;
    return 0;
}

#endif
