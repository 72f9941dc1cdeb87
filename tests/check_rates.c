/* check_rates.c -- tests of the convergence-rate experiment engine
 * (lib/rate_*.c; shared MODELS.md section 3): sample-size grids, per-cell
 * seeds, near-truth starts, the cell runner and its parallel driver, the
 * slope with its confidence interval and the per-N summaries. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe.h"
#include "check_util.h"
#include "mt_block.h"

#define ck_assert_close(got, want, tol)                                                    \
    ck_assert_msg(fabs((got) - (want)) <= (tol), "%s = %.17g, want %.17g (tol %g)", #got, \
                  (double)(got), (double)(want), (double)(tol))

/* The reference model of MODELS.md section 3. */
static gmoe_model *reference_truth(void)
{
    gmoe_model *t = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    ck_assert_ptr_nonnull(t);
    const double beta0[] = {-8, 0}, beta1[] = {25, 0}, b[] = {15, -5}, a[] = {-20, 20},
                 s2[] = {0.09, 0.16};
    for (size_t i = 0; i < 2; i++) {
        t->beta0[i] = beta0[i];
        t->beta1[i] = beta1[i];
        t->b[i] = b[i];
        t->a[i] = a[i];
        t->sigma2[i] = s2[i];
    }
    return t;
}

/* ------------------------------------------------------------ grids */

START_TEST(test_preset_reference_exact)
{
    size_t *v, n;
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_grid_preset("reference-exact", &v, &n, &e), GMOE_OK);
    ck_assert_uint_eq(n, 200);
    const size_t head[] = {100, 300, 500, 700, 900, 1000, 1510, 2021, 2531};
    for (size_t i = 0; i < 9; i++)
        ck_assert_uint_eq(v[i], head[i]);
    /* 195 sizes in [1000, 100000]: step 99000/194 = 510.309..., rounded. */
    for (size_t i = 0; i < 195; i++)
        ck_assert_uint_eq(v[5 + i], (size_t)llround(1000 + (double)i * 99000.0 / 194.0));
    ck_assert_uint_eq(v[199], 100000);
    free(v);
}
END_TEST

START_TEST(test_preset_reference_over)
{
    size_t *v, n;
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_grid_preset("reference-over", &v, &n, &e), GMOE_OK);
    ck_assert_uint_eq(n, 10);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(v[i], 10000 * (i + 1));
    free(v);
    ck_assert_int_eq(gmoe_rate_grid_preset("paper", &v, &n, &e), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "\"paper\""));
    ck_assert_ptr_null(v);
}
END_TEST

START_TEST(test_range)
{
    size_t *v, n;
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_grid_range(10, 100, 10, 0, &v, &n, &e), GMOE_OK);
    ck_assert_uint_eq(n, 10);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(v[i], 10 * (i + 1));
    free(v);
    ck_assert_int_eq(gmoe_rate_grid_range(100, 100000, 4, 1, &v, &n, &e), GMOE_OK);
    const size_t logs[] = {100, 1000, 10000, 100000};
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(v[i], logs[i]);
    free(v);
    /* 5 sizes in [1, 3] collide once rounded. */
    ck_assert_int_eq(gmoe_rate_grid_range(1, 3, 5, 0, &v, &n, &e), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "rounded"));
    ck_assert_int_eq(gmoe_rate_grid_range(500, 100, 3, 0, &v, &n, &e), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_rate_grid_range(100, 500, 1, 0, &v, &n, &e), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_rate_grid_range(0, 500, 3, 1, &v, &n, &e), GMOE_EINVAL);
}
END_TEST

START_TEST(test_list)
{
    size_t *v, n;
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_grid_list("100,250,1000", &v, &n, &e), GMOE_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(v[0], 100);
    ck_assert_uint_eq(v[1], 250);
    ck_assert_uint_eq(v[2], 1000);
    free(v);
    ck_assert_int_eq(gmoe_rate_grid_list("100,abc,300", &v, &n, &e), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "sample size 2 of the list, \"abc\""));
    ck_assert_int_eq(gmoe_rate_grid_list("100,", &v, &n, &e), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_rate_grid_list("100,2.5", &v, &n, &e), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_rate_grid_list("300,200", &v, &n, &e), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "not strictly increasing"));
    ck_assert_int_eq(gmoe_rate_grid_list("", &v, &n, &e), GMOE_EINVAL);
}
END_TEST

/* ------------------------------------------------------------ slope */

START_TEST(test_slope_power_law)
{
    /* y = 3 N^-0.5 exactly: slope -0.5, intercept log 3, zero residuals
     * (only rounding of log and pow, ~1e-15). */
    double n[6], y[6];
    for (size_t i = 0; i < 6; i++) {
        n[i] = 100.0 * pow(4.0, (double)i);
        y[i] = 3.0 * pow(n[i], -0.5);
    }
    gmoe_rate_slope s;
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_fit_slope(n, y, 6, 0.95, &s, &e), GMOE_OK);
    ck_assert_close(s.slope, -0.5, 1e-12);
    ck_assert_close(s.intercept, log(3.0), 1e-11);
    ck_assert_close(s.hi - s.lo, 0.0, 1e-10);
    ck_assert_uint_eq(s.npoints, 6);
}
END_TEST

START_TEST(test_slope_known_ci)
{
    /* log N = 1, 2, 3, 4 and log y = 1, 3, 2, 5, by hand: Sxx = 5,
     * Sxy = 5.5, slope 1.1, intercept 0, residuals -0.1, 0.8, -1.3, 0.6,
     * SSE 2.7, s^2 = 1.35, se = sqrt(1.35 / 5) = sqrt(0.27);
     * t(0.975, 2 df) = 4.302652729911275, CI 1.1 -+ 2.2357239406593775. */
    double n[4], y[4];
    const double ly[] = {1, 3, 2, 5};
    for (size_t i = 0; i < 4; i++) {
        n[i] = exp((double)(i + 1));
        y[i] = exp(ly[i]);
    }
    gmoe_rate_slope s;
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_fit_slope(n, y, 4, 0.95, &s, &e), GMOE_OK);
    ck_assert_close(s.slope, 1.1, 1e-12);
    ck_assert_close(s.intercept, 0.0, 1e-12);
    ck_assert_close(s.se, sqrt(0.27), 1e-12);
    ck_assert_close(s.lo, -1.1357239406593775, 1e-9);
    ck_assert_close(s.hi, 3.3357239406593777, 1e-9);
}
END_TEST

START_TEST(test_slope_refusals)
{
    double n[] = {100, 200, 300}, y[] = {1, 0, 2};
    gmoe_rate_slope s;
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_fit_slope(n, y, 2, 0.95, &s, &e), GMOE_EDATA);
    ck_assert_int_eq(gmoe_rate_fit_slope(n, y, 3, 0.95, &s, &e), GMOE_EDATA);
    ck_assert_ptr_nonnull(strstr(e.msg, "point 2"));
    double same[] = {100, 100, 100}, y1[] = {1, 2, 3};
    ck_assert_int_eq(gmoe_rate_fit_slope(same, y1, 3, 0.95, &s, &e), GMOE_EDATA);
    ck_assert_int_eq(gmoe_rate_fit_slope(n, y1, 3, 1.5, &s, &e), GMOE_EINVAL);
}
END_TEST

START_TEST(test_summary)
{
    /* mean 4, sd sqrt(50/3), median (2 + 3) / 2. */
    const double v[] = {10, 2, 1, 3};
    double mean, sd, med;
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_summary(v, 4, &mean, &sd, &med, &e), GMOE_OK);
    ck_assert_close(mean, 4.0, 1e-15);
    ck_assert_close(sd, sqrt(50.0 / 3.0), 1e-14);
    ck_assert_close(med, 2.5, 0);
    ck_assert_close(v[0], 10, 0); /* not sorted in place */
    ck_assert_int_eq(gmoe_rate_summary(v, 1, &mean, &sd, &med, &e), GMOE_OK);
    ck_assert_close(sd, 0.0, 0);
}
END_TEST

/* ------------------------------------------------------------ seeds */

START_TEST(test_seed)
{
    uint64_t s = gmoe_rate_seed(7, 1000, 3);
    ck_assert_uint_eq(s, gmoe_seed_derive(gmoe_seed_derive(7, 1000), 3));
    ck_assert_uint_eq(s, gmoe_rate_seed(7, 1000, 3));
    ck_assert_uint_ne(s, gmoe_rate_seed(7, 1000, 4));
    ck_assert_uint_ne(s, gmoe_rate_seed(7, 1001, 3));
    ck_assert_uint_ne(s, gmoe_rate_seed(8, 1000, 3));
    /* (N, rep) = (3, 1000) is a different cell from (1000, 3). */
    ck_assert_uint_ne(s, gmoe_rate_seed(7, 3, 1000));
}
END_TEST

/* ------------------------------------------------------------ near truth */

START_TEST(test_near_truth_exact)
{
    gmoe_model *t = reference_truth();
    gmoe_model *s = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    size_t assign[2];
    gmoe_err e;
    /* N = 1e4: gate sd 0.005 * 1e4^-0.083 = 0.00233, expert sd 0.0233,
     * variance noise sd 0.0005.  Over 500 seeds every draw lies within
     * 5 sd (a 5.7e-7 chance per draw), the pinned gate is exactly zero,
     * the variance never below the truth, and the sample sd of b - b*
     * is within 10% of 0.0233 (sd of a sample sd over 500 draws: 3.2%). */
    double n = 1e4, sdg = 0.005 * pow(n, -0.083), sde = 0.05 * pow(n, -0.083),
           sdv = 0.005 * pow(n, -0.25);
    double sum2 = 0;
    for (uint64_t seed = 1; seed <= 500; seed++) {
        ck_assert_int_eq(gmoe_rate_init_near_truth(t, 10000, seed, s, assign, &e), GMOE_OK);
        ck_assert_uint_eq(assign[0], 0);
        ck_assert_uint_eq(assign[1], 1);
        ck_assert(s->beta0[1] == 0 && s->beta1[1] == 0);
        ck_assert(fabs(s->beta0[0] - t->beta0[0]) <= 5 * sdg);
        ck_assert(fabs(s->beta1[0] - t->beta1[0]) <= 5 * sdg);
        for (size_t i = 0; i < 2; i++) {
            ck_assert(fabs(s->a[i] - t->a[i]) <= 5 * sde);
            ck_assert(fabs(s->b[i] - t->b[i]) <= 5 * sde);
            ck_assert(s->sigma2[i] >= t->sigma2[i] && s->sigma2[i] <= t->sigma2[i] + 5 * sdv);
        }
        sum2 += (s->b[0] - t->b[0]) * (s->b[0] - t->b[0]);
    }
    ck_assert_close(sqrt(sum2 / 500), sde, 0.1 * sde);
    /* Same seed, same start. */
    gmoe_model *s2 = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    ck_assert_int_eq(gmoe_rate_init_near_truth(t, 10000, 42, s, NULL, &e), GMOE_OK);
    ck_assert_int_eq(gmoe_rate_init_near_truth(t, 10000, 42, s2, NULL, &e), GMOE_OK);
    ck_assert(memcmp(s->beta0, s2->beta0, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(s->a, s2->a, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(s->sigma2, s2->sigma2, 2 * sizeof(double)) == 0);
    gmoe_model_free(s2);
    gmoe_model_free(s);
    gmoe_model_free(t);
}
END_TEST

START_TEST(test_near_truth_over)
{
    /* k = 5 fitted experts on k* = 3 true ones (gates not pinned in the
     * file: the start is in pinned form).  Every true expert gets at least
     * one fitted expert, the last goes to the last, every assignment
     * pattern of the first four occurs over 400 seeds, and each start is
     * near its own true expert. */
    gmoe_model *t = gmoe_model_alloc(GMOE_SOFTMAX, 3, 1);
    for (size_t i = 0; i < 3; i++) {
        t->beta0[i] = (double)i + 1;
        t->beta1[i] = 10.0 * (double)i + 3;
        t->a[i] = -5.0 + 5.0 * (double)i;
        t->b[i] = (double)i;
        t->sigma2[i] = 0.1 * (double)(i + 1);
    }
    gmoe_model *s = gmoe_model_alloc(GMOE_SOFTMAX, 5, 1);
    size_t assign[5];
    gmoe_err e;
    int seen_twice[3] = {0, 0, 0};
    for (uint64_t seed = 1; seed <= 400; seed++) {
        ck_assert_int_eq(gmoe_rate_init_near_truth(t, 100, seed, s, assign, &e), GMOE_OK);
        size_t count[3] = {0, 0, 0};
        for (size_t i = 0; i < 5; i++) {
            ck_assert_uint_lt(assign[i], 3);
            count[assign[i]]++;
            size_t j = assign[i];
            ck_assert(fabs(s->a[i] - t->a[j]) < 0.2); /* 5.8 sd */
            ck_assert(fabs(s->sigma2[i] - t->sigma2[j]) < 0.01);
            /* pinned form: gate minus the true last expert's (3, 23) */
            if (i < 4) {
                ck_assert(fabs(s->beta0[i] - (t->beta0[j] - 3)) < 0.02);
                ck_assert(fabs(s->beta1[i] - (t->beta1[j] - 23)) < 0.02);
            }
        }
        ck_assert_uint_eq(assign[4], 2);
        ck_assert(s->beta0[4] == 0 && s->beta1[4] == 0);
        for (size_t j = 0; j < 3; j++) {
            ck_assert_uint_ge(count[j], 1);
            seen_twice[j] += count[j] >= 2;
        }
    }
    /* The two spare experts go anywhere: each true expert gets a second
     * one in a good share of the draws (about 5/9 for 0 and 1). */
    for (size_t j = 0; j < 3; j++)
        ck_assert_int_gt(seen_twice[j], 100);
    gmoe_model *small = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    ck_assert_int_eq(gmoe_rate_init_near_truth(t, 100, 1, small, NULL, &e), GMOE_EINVAL);
    gmoe_model_free(small);
    gmoe_model_free(s);
    gmoe_model_free(t);
}
END_TEST

/* ------------------------------------------------------------ cells */

static gmoe_model *shape2(void)
{
    gmoe_model *s = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(test_cell_deterministic)
{
    gmoe_model *t = reference_truth(), *s = shape2();
    gmoe_rate_options o;
    gmoe_rate_options_default(&o);
    o.shape = s;
    double e1[12], e2[12];
    gmoe_rate_cell c1 = {.err = e1}, c2 = {.err = e2};
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_run_cell(t, &o, 5, 2000, 1, &c1, &e), GMOE_OK);
    ck_assert_int_eq(gmoe_rate_run_cell(t, &o, 5, 2000, 1, &c2, &e), GMOE_OK);
    ck_assert_uint_eq(c1.seed, gmoe_rate_seed(5, 2000, 1));
    ck_assert(c1.loss == c2.loss && c1.loglik == c2.loglik && c1.iterations == c2.iterations);
    ck_assert(memcmp(e1, e2, sizeof e1) == 0);
    /* From near the truth at N = 2000 the fit stays in the right basin:
     * loss well below 1 (O(N^-1/2) ~ 0.1 expected), converged, and D1 is
     * the sum of its error terms (mixloss(1)). */
    ck_assert(c1.converged);
    ck_assert(c1.loss > 0 && c1.loss < 0.5);
    double sum = 0;
    for (size_t i = 0; i < 12; i++)
        sum += e1[i];
    ck_assert_close(sum, c1.loss, 1e-12 * (1 + c1.loss));
    /* Another replicate is another sample. */
    ck_assert_int_eq(gmoe_rate_run_cell(t, &o, 5, 2000, 2, &c2, &e), GMOE_OK);
    ck_assert(c1.loglik != c2.loglik);
    gmoe_model_free(s);
    gmoe_model_free(t);
}
END_TEST

typedef struct {
    size_t calls;
    size_t order[8];
    double loss[8], loglik[8];
    int status[8];
    char message[8][64];
} collect_ctx;

static int collect(void *ctx, size_t c, const gmoe_rate_cell *cell)
{
    collect_ctx *cc = ctx;
    cc->order[cc->calls] = c;
    cc->loss[cc->calls] = cell->loss;
    cc->loglik[cc->calls] = cell->loglik;
    cc->status[cc->calls] = cell->status;
    snprintf(cc->message[cc->calls], sizeof cc->message[0], "%s", cell->message);
    cc->calls++;
    return 0;
}

START_TEST(test_cells_threads)
{
    gmoe_model *t = reference_truth(), *s = shape2();
    gmoe_rate_options o;
    gmoe_rate_options_default(&o);
    o.shape = s;
    const size_t n[] = {200, 200, 300, 300, 500, 500};
    const size_t rep[] = {0, 1, 0, 1, 0, 1};
    collect_ctx a = {0}, b = {0};
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_run_cells(t, &o, 9, n, rep, 6, 1, collect, &a, &e), GMOE_OK);
    ck_assert_int_eq(gmoe_rate_run_cells(t, &o, 9, n, rep, 6, 2, collect, &b, &e), GMOE_OK);
    ck_assert_uint_eq(a.calls, 6);
    ck_assert_uint_eq(b.calls, 6);
    for (size_t c = 0; c < 6; c++) {
        ck_assert_uint_eq(a.order[c], c);
        ck_assert_uint_eq(b.order[c], c);
        ck_assert(a.loss[c] == b.loss[c] && a.loglik[c] == b.loglik[c]);
    }
    gmoe_model_free(s);
    gmoe_model_free(t);
}
END_TEST

START_TEST(test_cells_failed_cell_recorded)
{
    /* N = 3 is too few rows for k = 2 (needs (d + 2) k = 6): a data
     * failure, so that cell is delivered in its place with its status,
     * its message (without the cell's name) and NaN loss and loglik, and
     * the cells after it still run; the return is GMOE_OK. */
    gmoe_model *t = reference_truth(), *s = shape2();
    gmoe_rate_options o;
    gmoe_rate_options_default(&o);
    o.shape = s;
    const size_t n[] = {200, 200, 3, 300};
    const size_t rep[] = {0, 1, 0, 0};
    collect_ctx a = {0};
    gmoe_err e;
    gmoe_err_clear(&e);
    ck_assert_int_eq(gmoe_rate_run_cells(t, &o, 9, n, rep, 4, 2, collect, &a, &e), GMOE_OK);
    ck_assert_uint_eq(a.calls, 4);
    for (size_t c = 0; c < 4; c++)
        ck_assert_uint_eq(a.order[c], c);
    ck_assert_int_eq(a.status[2], GMOE_EDATA);
    ck_assert(isnan(a.loss[2]) && isnan(a.loglik[2]));
    ck_assert(a.message[2][0] != '\0' && !strstr(a.message[2], "N = 3"));
    ck_assert_int_eq(a.status[3], GMOE_OK);
    ck_assert(a.loss[3] > 0 && isfinite(a.loss[3]));
    ck_assert(gmoe_rate_cell_recoverable(GMOE_ENOTSUP) && !gmoe_rate_cell_recoverable(GMOE_ENOMEM) &&
              !gmoe_rate_cell_recoverable(GMOE_EINVAL));
    gmoe_model_free(s);
    gmoe_model_free(t);
}
END_TEST

START_TEST(test_cell_refusals)
{
    gmoe_model *t = reference_truth();
    gmoe_model *s1 = gmoe_model_alloc(GMOE_SOFTMAX, 1, 1);
    gmoe_rate_options o;
    gmoe_rate_options_default(&o);
    o.shape = s1;
    double ebuf[12];
    gmoe_rate_cell c = {.err = ebuf};
    gmoe_err e;
    ck_assert_int_eq(gmoe_rate_run_cell(t, &o, 1, 100, 0, &c, &e), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "k >= k*"));
    gmoe_model_free(s1);
    gmoe_model_free(t);
}
END_TEST

/* ------------------------------------------------------------ the simulation's generator */

/* mt_block.c's numbers are gsl_rng_mt19937's for the same seed (seed 0,
 * seeds beyond 32 bits, the cells' 64-bit seeds), as integers, uniforms
 * and GSL's ziggurat normals drawn from its gsl_rng, in mixed order
 * across many blocks of 624. */
START_TEST(test_mt_block_is_gsl)
{
    const unsigned long seeds[] = {0, 1, 4357, 4294967296UL, 4294967301UL, 8052205503034911096UL};
    for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++) {
        gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
        ck_assert_ptr_nonnull(g);
        gsl_rng_set(g, seeds[s]);
        gmoe_mt mt;
        gsl_rng r;
        gmoe_mt_as_gsl(&mt, &r);
        gmoe_mt_seed(&mt, seeds[s]);
        for (int i = 0; i < 5000; i++) {
            if (i % 3 == 0)
                ck_assert_uint_eq(gmoe_mt_get(&mt), gsl_rng_get(g));
            else if (i % 3 == 1)
                ck_assert_double_eq(gmoe_mt_uniform(&mt), gsl_rng_uniform(g));
            else
                ck_assert_double_eq(gsl_ran_gaussian_ziggurat(&r, 0.3), gsl_ran_gaussian_ziggurat(g, 0.3));
        }
        gsl_rng_free(g);
    }
}
END_TEST

static Suite *rates_suite(void)
{
    Suite *s = suite_create("rates");
    TCase *tc = tcase_create("grids");
    tcase_add_test(tc, test_preset_reference_exact);
    tcase_add_test(tc, test_preset_reference_over);
    tcase_add_test(tc, test_range);
    tcase_add_test(tc, test_list);
    suite_add_tcase(s, tc);
    tc = tcase_create("statistics");
    tcase_add_test(tc, test_slope_power_law);
    tcase_add_test(tc, test_slope_known_ci);
    tcase_add_test(tc, test_slope_refusals);
    tcase_add_test(tc, test_summary);
    suite_add_tcase(s, tc);
    tc = tcase_create("seeds and starts");
    tcase_add_test(tc, test_seed);
    tcase_add_test(tc, test_near_truth_exact);
    tcase_add_test(tc, test_near_truth_over);
    tcase_add_test(tc, test_mt_block_is_gsl);
    suite_add_tcase(s, tc);
    tc = tcase_create("cells");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_cell_deterministic);
    tcase_add_test(tc, test_cells_threads);
    tcase_add_test(tc, test_cells_failed_cell_recorded);
    tcase_add_test(tc, test_cell_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    return check_run_suite(rates_suite());
}
