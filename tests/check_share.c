/* check_share.c -- gmoe_em_options.share_starts (lib/fit_share.c, the
 * hook mixfit uses over MPI ranks): a fit whose starts go through the
 * hook is the fit without it, to the last bit.  The hook here runs the
 * starts in reverse order, as another process would run them apart from
 * this one's workspace, so a start that depended on the one before it
 * would show. */
#include <check.h>
#include <string.h>

#include "gmoe.h"
#include "check_util.h"

static int calls;

static int share_reversed(void *ctx, size_t nstarts, size_t width, unsigned char *out,
                          void (*run)(void *job, size_t r, unsigned char *out), void *job)
{
    (void)ctx;
    calls++;
    for (size_t r = nstarts; r-- > 0;)
        run(job, r, out + r * width);
    return 0;
}

static int share_failing(void *ctx, size_t nstarts, size_t width, unsigned char *out,
                         void (*run)(void *job, size_t r, unsigned char *out), void *job)
{
    (void)ctx, (void)nstarts, (void)width, (void)out, (void)run, (void)job;
    return 1;
}

/* The reference model of the softmax paper (data/reference-model.json),
 * or its gate with a temperature. */
static gmoe_model *reference_truth(gmoe_family family)
{
    double beta0[] = {-8, 0}, beta1[] = {25, 0}, a[] = {-20, 20}, b[] = {15, -5}, s2[] = {0.09, 0.16};
    return check_model_with(family, 2, 1, beta0, beta1, a, b, s2);
}

static int same_params(const gmoe_model *x, const gmoe_model *y)
{
    size_t k = x->k, d = x->d;
    return memcmp(x->beta0, y->beta0, k * sizeof(double)) == 0 &&
           memcmp(x->beta1, y->beta1, k * d * sizeof(double)) == 0 &&
           memcmp(x->a, y->a, k * d * sizeof(double)) == 0 && memcmp(x->b, y->b, k * sizeof(double)) == 0 &&
           memcmp(x->sigma2, y->sigma2, k * sizeof(double)) == 0 && memcmp(&x->tau, &y->tau, sizeof x->tau) == 0;
}

/* k = 3 on the k* = 2 truth, 6 starts: with and without the hook. */
static void fit_both_ways(gmoe_family family, gmoe_tau_mode tau_mode)
{
    gmoe_model *truth = reference_truth(family);
    gmoe_data *data = check_simulate(truth, 1500, GMOE_DESIGN_UNIFORM, NULL, NULL, 3);
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 6;
    opt.seed = 5;
    opt.nthreads = 1;
    opt.tau_mode = tau_mode;
    gmoe_model *plain = gmoe_model_alloc(family, 3, 1), *shared = gmoe_model_alloc(family, 3, 1);
    ck_assert(plain && shared);
    gmoe_err err;
    ck_assert_int_eq(gmoe_fit(data, plain, NULL, &opt, &err), GMOE_OK);
    opt.share_starts = share_reversed;
    calls = 0;
    ck_assert_int_eq(gmoe_fit(data, shared, NULL, &opt, &err), GMOE_OK);
    ck_assert_int_eq(calls, 1);
    ck_assert(same_params(plain, shared));
    ck_assert(memcmp(&plain->fit.loglik, &shared->fit.loglik, sizeof(double)) == 0);
    ck_assert_uint_eq(plain->fit.best_restart, shared->fit.best_restart);
    ck_assert_uint_eq(plain->fit.iterations, shared->fit.iterations);
    ck_assert_int_eq(plain->fit.stop, shared->fit.stop);
    ck_assert_int_eq(plain->tau_estimated, shared->tau_estimated);
    gmoe_model_free(plain);
    gmoe_model_free(shared);
    gmoe_data_free(data);
    gmoe_model_free(truth);
}

START_TEST(test_softmax_shared_is_plain)
{
    fit_both_ways(GMOE_SOFTMAX, GMOE_TAU_FIXED);
}
END_TEST

START_TEST(test_temperature_estimated_shared_is_plain)
{
    fit_both_ways(GMOE_TEMPERATURE, GMOE_TAU_ESTIMATE);
}
END_TEST

START_TEST(test_failing_hook_fails_the_fit)
{
    gmoe_model *truth = reference_truth(GMOE_SOFTMAX);
    gmoe_data *data = check_simulate(truth, 500, GMOE_DESIGN_UNIFORM, NULL, NULL, 4);
    gmoe_em_options opt;
    check_em_options(&opt, 3, 1);
    opt.share_starts = share_failing;
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    gmoe_err err;
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &opt, &err), GMOE_EINVAL);
    ck_assert(strstr(err.msg, "sharing the starts") != NULL);
    gmoe_model_free(m);
    gmoe_data_free(data);
    gmoe_model_free(truth);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("share");
    TCase *tc = tcase_create("share_starts");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_softmax_shared_is_plain);
    tcase_add_test(tc, test_temperature_estimated_shared_is_plain);
    tcase_add_test(tc, test_failing_hook_fails_the_fit);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
