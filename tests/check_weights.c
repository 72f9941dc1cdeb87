/* check_weights.c -- case weights (gmoe_data.w): a row of weight w is w
 * copies of it.  For each family: integer weights give the fit, the
 * criteria, the standard errors (observed and sandwich) and the bootstrap
 * of the data with each row repeated; weights of 1 give the bits of no
 * weights; 1 and 2 threads give the same bits; bad weights are refused. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "gmoe.h"

/* The models of the loop tests: k = 2, d = 1, well separated, one per
 * family (top-K with K = 1, temperature with tau estimated). */
static gmoe_model *truth_model(int f)
{
    static const gmoe_family fam[] = {GMOE_SOFTMAX, GMOE_TOPK, GMOE_TEMPERATURE,
                                      GMOE_ACTIVATION};
    gmoe_model *t = gmoe_model_alloc(fam[f], 2, 1);
    ck_assert_ptr_nonnull(t);
    t->beta0[0] = 0.3;
    t->beta1[0] = fam[f] == GMOE_TEMPERATURE ? 1.0 : 4.0;
    t->tau = fam[f] == GMOE_TEMPERATURE ? 0.25 : 1.0;
    t->top_k = fam[f] == GMOE_TOPK ? 1 : 2;
    t->a[0] = 2.0, t->a[1] = -1.5;
    t->b[0] = -0.5, t->b[1] = 1.0;
    t->sigma2[0] = 0.05, t->sigma2[1] = 0.1;
    return t;
}

#define NROWS 300
#define NFAMILIES 4

/* Weights 0, 1, 2 or 3 cycling over the rows, and the data with each row
 * repeated that many times (in order: row r's copies together). */
static void weights_and_copies(gmoe_data *data, gmoe_data **rep)
{
    data->w = malloc(data->n * sizeof(double));
    ck_assert_ptr_nonnull(data->w);
    size_t total = 0;
    for (size_t r = 0; r < data->n; r++)
        total += (size_t)(data->w[r] = (double)((r * 7) % 4));
    gmoe_data *c = check_data_alloc(total, data->d);
    for (size_t r = 0, t = 0; r < data->n; r++)
        for (size_t u = 0; u < (size_t)data->w[r]; u++, t++) {
            memcpy(c->x + t * data->d, data->x + r * data->d, data->d * sizeof(double));
            c->y[t] = data->y[r];
        }
    *rep = c;
}

static gmoe_em_options tight_options(int nthreads)
{
    gmoe_em_options o;
    check_em_options(&o, 1, nthreads);
    o.tol = 1e-14;
    o.grad_tol = 1e-10;
    o.max_iter = 3000;
    return o;
}

/* A fit of the truth's shape, started from the truth. */
static gmoe_model *fit_from_truth(const gmoe_model *truth, const gmoe_data *data, int nthreads)
{
    gmoe_model *m = gmoe_model_alloc(truth->family, truth->k, truth->d);
    ck_assert_ptr_nonnull(m);
    gmoe_model_copy_options(m, truth);
    gmoe_em_options o = tight_options(nthreads);
    o.tau_mode = truth->family == GMOE_TEMPERATURE ? GMOE_TAU_ESTIMATE : GMOE_TAU_FIXED;
    gmoe_err err;
    ck_assert_msg(gmoe_fit(data, m, truth, &o, &err) == GMOE_OK, "%s", err.msg);
    return m;
}

static gmoe_data *simulated(const gmoe_model *truth)
{
    double lo = -1, hi = 1;
    return check_simulate(truth, NROWS, GMOE_DESIGN_UNIFORM, &lo, &hi, 17);
}

static void assert_close(const double *u, const double *v, size_t n, double rel, const char *what)
{
    for (size_t j = 0; j < n; j++) /* NaN for both: not given for either */
        ck_assert_msg(fabs(u[j] - v[j]) <= rel * (1 + fabs(v[j])) || (isnan(u[j]) && isnan(v[j])),
                      "%s[%zu]: %.17g vs %.17g", what, j, u[j], v[j]);
}

/* Parameters of two fits of the same shape (gate, experts, tau). */
static void assert_same_fit(const gmoe_model *a, const gmoe_model *b, double rel)
{
    size_t k = a->k, d = a->d;
    assert_close(a->beta0, b->beta0, k, rel, "beta0");
    assert_close(a->beta1, b->beta1, k * d, rel, "beta1");
    assert_close(a->a, b->a, k * d, rel, "a");
    assert_close(a->b, b->b, k, rel, "b");
    assert_close(a->sigma2, b->sigma2, k, rel, "sigma2");
    assert_close(&a->tau, &b->tau, 1, rel, "tau");
}

/* Integer weights = the rows repeated: log-likelihood, parameters,
 * criteria (n = the sum of the weights) and standard errors. */
START_TEST(test_weights_are_copies)
{
    gmoe_model *truth = truth_model(_i);
    gmoe_data *data = simulated(truth), *copies;
    weights_and_copies(data, &copies);
    ck_assert_double_eq(gmoe_data_total_weight(data), (double)copies->n);
    gmoe_model *fw = fit_from_truth(truth, data, 1), *fc = fit_from_truth(truth, copies, 1);
    ck_assert_double_eq_tol(fw->fit.loglik, fc->fit.loglik, 1e-10 * fabs(fc->fit.loglik));
    assert_same_fit(fw, fc, 1e-10);
    ck_assert_double_eq_tol(fw->fit.bic, fc->fit.bic, 1e-10 * fabs(fc->fit.bic));
    ck_assert_double_eq_tol(fw->fit.icl, fc->fit.icl, 1e-10 * fabs(fc->fit.icl));
    for (int kind = GMOE_SE_OBSERVED; kind <= GMOE_SE_SANDWICH; kind++) {
        gmoe_err err;
        ck_assert_msg(gmoe_inference_compute(fw, data, kind, 0, &err) == GMOE_OK, "%s", err.msg);
        ck_assert_msg(gmoe_inference_compute(fc, copies, kind, 0, &err) == GMOE_OK, "%s", err.msg);
        ck_assert(fw->inference->identified && fc->inference->identified);
        assert_close(fw->inference->se, fc->inference->se, fw->inference->p, 1e-9, "se");
    }
    gmoe_model_free(fw), gmoe_model_free(fc), gmoe_model_free(truth);
    gmoe_data_free(data), gmoe_data_free(copies);
}
END_TEST

/* Weights of exactly 1: the same bits as no weights (fit, criteria,
 * sandwich standard errors). */
START_TEST(test_unit_weights_bits)
{
    gmoe_model *truth = truth_model(_i);
    gmoe_data *data = simulated(truth);
    gmoe_model *plain = fit_from_truth(truth, data, 1);
    data->w = malloc(data->n * sizeof(double));
    for (size_t r = 0; r < data->n; r++)
        data->w[r] = 1.0;
    gmoe_model *ones = fit_from_truth(truth, data, 1);
    ck_assert(memcmp(&plain->fit.loglik, &ones->fit.loglik, sizeof(double)) == 0);
    ck_assert(memcmp(&plain->fit.icl, &ones->fit.icl, sizeof(double)) == 0);
    ck_assert(memcmp(plain->a, ones->a, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(plain->beta1, ones->beta1, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(plain->sigma2, ones->sigma2, 2 * sizeof(double)) == 0);
    ck_assert_uint_eq(plain->fit.iterations, ones->fit.iterations);
    ck_assert_int_eq(gmoe_inference_compute(ones, data, GMOE_SE_SANDWICH, 0, NULL), GMOE_OK);
    free(data->w);
    data->w = NULL;
    ck_assert_int_eq(gmoe_inference_compute(plain, data, GMOE_SE_SANDWICH, 0, NULL), GMOE_OK);
    ck_assert(memcmp(plain->inference->se, ones->inference->se,
                     plain->inference->p * sizeof(double)) == 0);
    gmoe_model_free(plain), gmoe_model_free(ones), gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* With weights (fractional and zero), 1 and 2 threads: the same bits. */
START_TEST(test_weights_threads)
{
    gmoe_model *truth = truth_model(_i);
    gmoe_data *data = simulated(truth);
    data->w = malloc(data->n * sizeof(double));
    for (size_t r = 0; r < data->n; r++)
        data->w[r] = 0.25 * (double)(r % 9);
    gmoe_model *one = fit_from_truth(truth, data, 1), *two = fit_from_truth(truth, data, 2);
    ck_assert(memcmp(&one->fit.loglik, &two->fit.loglik, sizeof(double)) == 0);
    ck_assert(memcmp(one->a, two->a, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(one->beta0, two->beta0, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(one->sigma2, two->sigma2, 2 * sizeof(double)) == 0);
    gmoe_model_free(one), gmoe_model_free(two), gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* The nonparametric bootstrap of integer weights draws the replicates of
 * the repeated rows (the same draws), so its standard errors are theirs. */
START_TEST(test_bootstrap_copies)
{
    gmoe_model *truth = truth_model(0);
    gmoe_data *data = simulated(truth), *copies;
    weights_and_copies(data, &copies);
    gmoe_model *fw = fit_from_truth(truth, data, 1), *fc = fit_from_truth(truth, copies, 1);
    gmoe_em_options em = tight_options(1);
    gmoe_bootstrap_options bo = {.replicates = 4, .type = GMOE_BOOT_NONPARAMETRIC, .seed = 5,
                                 .nthreads = 1};
    for (int type = GMOE_BOOT_NONPARAMETRIC; type <= GMOE_BOOT_PARAMETRIC; type++) {
        bo.type = type;
        gmoe_err err;
        ck_assert_msg(gmoe_bootstrap(fw, data, &em, &bo, &err) == GMOE_OK, "%s", err.msg);
        ck_assert_msg(gmoe_bootstrap(fc, copies, &em, &bo, &err) == GMOE_OK, "%s", err.msg);
        ck_assert_uint_eq(fw->inference->boot_ok, 4);
        assert_close(fw->inference->boot_se, fc->inference->boot_se, fw->inference->p, 1e-9,
                     "boot_se");
    }
    gmoe_model_free(fw), gmoe_model_free(fc), gmoe_model_free(truth);
    gmoe_data_free(data), gmoe_data_free(copies);
}
END_TEST

/* Negative, non-finite and all-zero weights are refused, naming the row,
 * and weights summing to fewer observations than the fit needs; zero
 * weights are fine; the parametric bootstrap wants integers. */
START_TEST(test_bad_weights)
{
    gmoe_model *truth = truth_model(0);
    gmoe_data *data = simulated(truth);
    data->w = malloc(data->n * sizeof(double));
    for (size_t r = 0; r < data->n; r++)
        data->w[r] = r % 2;
    gmoe_err err;
    ck_assert_int_eq(gmoe_data_check_weights(data, &err), GMOE_OK);
    data->w[41] = -1;
    ck_assert_int_eq(gmoe_data_check_weights(data, &err), GMOE_EDATA);
    ck_assert_ptr_nonnull(strstr(err.msg, "row 42"));
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    gmoe_em_options o = tight_options(1);
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &o, &err), GMOE_EDATA);
    ck_assert_ptr_nonnull(strstr(err.msg, "negative"));
    data->w[41] = NAN;
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &o, &err), GMOE_EDATA);
    ck_assert_ptr_nonnull(strstr(err.msg, "not finite"));
    for (size_t r = 0; r < data->n; r++)
        data->w[r] = 0;
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &o, &err), GMOE_EDATA);
    ck_assert_ptr_nonnull(strstr(err.msg, "zero"));
    for (size_t r = 0; r < data->n; r++) /* normalized: 0.3 observations in all */
        data->w[r] = 0.001;
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &o, &err), GMOE_EDATA);
    ck_assert_ptr_nonnull(strstr(err.msg, "too few observations"));
    for (size_t r = 0; r < data->n; r++)
        data->w[r] = 1.5;
    ck_assert_int_eq(gmoe_fit(data, m, truth, &o, &err), GMOE_OK);
    gmoe_bootstrap_options bo = {.replicates = 2, .type = GMOE_BOOT_PARAMETRIC, .seed = 1};
    ck_assert_int_eq(gmoe_bootstrap(m, data, &o, &bo, &err), GMOE_ENOTSUP);
    ck_assert_ptr_nonnull(strstr(err.msg, "integer"));
    gmoe_model_free(m), gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("weights");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_weights_are_copies, 0, NFAMILIES);
    tcase_add_loop_test(tc, test_unit_weights_bits, 0, NFAMILIES);
    tcase_add_loop_test(tc, test_weights_threads, 0, NFAMILIES);
    tcase_add_test(tc, test_bootstrap_copies);
    tcase_add_test(tc, test_bad_weights);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
