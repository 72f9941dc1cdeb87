/* check_gate.c -- gate covariates of their own (issue 12, item 3): a
 * constant-gate fit against a mixture of regressions computed here by an
 * EM of its own, free-parameter counts and names, the model file's keys,
 * 1 and 2 threads, and the data checks of the gate's columns. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe.h"
#include "check_util.h"

/* Two lines y = a_i x + b_i + N(0, s2_i), a constant gate (mixing weight
 * p of line 1): the model (d = 1, dg = 0) and n rows of it. */
static gmoe_model *two_lines(void)
{
    gmoe_model *m = gmoe_model_alloc_gate(GMOE_SOFTMAX, 2, 1, 0);
    ck_assert_ptr_nonnull(m);
    m->beta0[0] = log(0.35 / 0.65);
    m->a[0] = 2.0, m->b[0] = 0.5, m->sigma2[0] = 0.04;
    m->a[1] = -1.0, m->b[1] = 1.0, m->sigma2[1] = 0.09;
    return m;
}

/* A mixture of two linear regressions by plain EM, written independently
 * of the library: closed-form weighted least squares per line and the
 * mixing weight as the mean responsibility.  coef: a1 b1 s1 a2 b2 s2 p. */
static double reference_em(const gmoe_data *d, double *coef)
{
    size_t n = d->n;
    double *r = malloc(n * sizeof(double)), ll = 0.0;
    ck_assert_ptr_nonnull(r);
    for (int it = 0; it < 20000; it++) {
        double llnew = 0.0;
        for (size_t i = 0; i < n; i++) { /* E-step */
            double x = d->x[i], y = d->y[i], f[2];
            for (int c = 0; c < 2; c++) {
                double e = y - coef[3 * c] * x - coef[3 * c + 1], s2 = coef[3 * c + 2];
                f[c] = (c ? 1 - coef[6] : coef[6]) * exp(-0.5 * e * e / s2) / sqrt(2 * M_PI * s2);
            }
            r[i] = f[0] / (f[0] + f[1]);
            llnew += log(f[0] + f[1]);
        }
        for (int c = 0; c < 2; c++) { /* M-step: weighted least squares */
            double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, ss = 0;
            for (size_t i = 0; i < n; i++) {
                double w = c ? 1 - r[i] : r[i], x = d->x[i], y = d->y[i];
                sw += w, sx += w * x, sy += w * y, sxx += w * x * x, sxy += w * x * y;
            }
            double a = (sw * sxy - sx * sy) / (sw * sxx - sx * sx), b = (sy - a * sx) / sw;
            for (size_t i = 0; i < n; i++) {
                double e = d->y[i] - a * d->x[i] - b;
                ss += (c ? 1 - r[i] : r[i]) * e * e;
            }
            coef[3 * c] = a, coef[3 * c + 1] = b, coef[3 * c + 2] = ss / sw;
            if (c == 0)
                coef[6] = sw / (double)n;
        }
        if (it > 0 && fabs(llnew - ll) < 1e-13 * fabs(ll))
            break;
        ll = llnew;
    }
    free(r);
    return ll;
}

START_TEST(test_constant_gate_is_mixture_of_regressions)
{
    gmoe_model *truth = two_lines();
    gmoe_data *data = check_simulate_gate(truth, 400, 11);
    gmoe_model *m = gmoe_model_alloc_gate(GMOE_SOFTMAX, 2, 1, 0);
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.nthreads = 1;
    gmoe_err err;
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &opt, &err), GMOE_OK);
    ck_assert_uint_eq(m->fit.npar, 7); /* 2 x 2 coefficients, 2 variances, 1 gate logit */
    ck_assert_uint_eq(gmoe_model_nfree(m), 7);
    double coef[7] = {1.5, 0.0, 0.1, -0.5, 1.5, 0.1, 0.5}, ll = reference_em(data, coef);
    ck_assert_double_eq_tol(m->fit.loglik, ll, 1e-8 * fabs(ll));
    /* the reference's line 1 is gmoe's expert whose slope is nearer 2 */
    size_t e1 = fabs(m->a[0] - coef[0]) < fabs(m->a[1] - coef[0]) ? 0 : 1, e2 = 1 - e1;
    double p1 = 1.0 / (1.0 + exp(m->beta0[e2] - m->beta0[e1]));
    const double got[7] = {m->a[e1], m->b[e1], m->sigma2[e1], m->a[e2], m->b[e2], m->sigma2[e2], p1};
    for (int j = 0; j < 7; j++)
        ck_assert_msg(fabs(got[j] - coef[j]) < 1e-5 * (1 + fabs(coef[j])), "parameter %d: gmoe %.10g, EM %.10g",
                      j, got[j], coef[j]);
    gmoe_model_free(m);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* npar: experts k (d + 2), gate (k - 1)(dg + 1) for softmax; names. */
START_TEST(test_counts_and_names)
{
    gmoe_model *m = gmoe_model_alloc_gate(GMOE_SOFTMAX, 3, 2, 1);
    ck_assert_uint_eq(gmoe_model_npar(m), 3 * 4 + 2 * 2);
    const char *xn[2] = {"x", "w"}, *gn[1] = {"z"};
    ck_assert_int_eq(gmoe_model_set_names(m, xn, "y"), GMOE_OK);
    ck_assert_int_eq(gmoe_model_set_gate_names(m, gn), GMOE_OK);
    char buf[64];
    ck_assert_int_eq(gmoe_param_name(m, 1, buf, sizeof buf), GMOE_OK);
    ck_assert_str_eq(buf, "beta1[1,z]");
    ck_assert_int_eq(gmoe_param_name(m, 2, buf, sizeof buf), GMOE_OK);
    ck_assert_str_eq(buf, "a[1,x]");
    gmoe_model *n = gmoe_model_alloc_gate(GMOE_ACTIVATION, 2, 0, 2);
    ck_assert_uint_eq(gmoe_model_npar(n), 2 * 2 + 2 * 2 + 1); /* activation pins beta0_k only */
    gmoe_model *c = gmoe_model_alloc_gate(GMOE_TEMPERATURE, 2, 1, 0);
    c->tau_estimated = 1;
    ck_assert_int_eq(gmoe_model_check(c, NULL), GMOE_EINVAL); /* no tau without a gate covariate */
    gmoe_model_free(m), gmoe_model_free(n), gmoe_model_free(c);
}
END_TEST

/* The model file records both lists and reads back the same model; a
 * file of the old form (no gate_d) is a gate on the experts' covariates. */
START_TEST(test_model_file)
{
    gmoe_model *m = two_lines();
    const char *xn[1] = {"x"};
    ck_assert_int_eq(gmoe_model_set_names(m, xn, "y"), GMOE_OK);
    ck_assert_int_eq(gmoe_model_set_gate_names(m, xn), GMOE_OK); /* dg = 0: no name */
    char *text = gmoe_model_to_json(m, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "\"gate_d\": 0"));
    ck_assert_ptr_nonnull(strstr(text, "\"gate_x_names\": []"));
    gmoe_model *back = NULL;
    ck_assert_int_eq(gmoe_model_from_json(text, "t", &back, NULL), GMOE_OK);
    ck_assert(back->gate_own && back->dg == 0 && back->d == 1);
    char *again = gmoe_model_to_json(back, NULL);
    ck_assert_str_eq(text, again);
    gmoe_model *old = NULL;
    ck_assert_int_eq(gmoe_model_from_json("{\"family\": \"softmax\", \"experts\": [{\"beta0\": 1, \"beta1\": [2], "
                                          "\"a\": [3], \"b\": 4, \"sigma2\": 1}, {\"beta0\": 0, \"beta1\": [0], "
                                          "\"a\": [1], \"b\": 0, \"sigma2\": 2}]}", "old", &old, NULL),
                     GMOE_OK);
    ck_assert(!old->gate_own && old->dg == 1);
    gmoe_model_free(back);
    back = NULL;
    gmoe_err err;
    ck_assert_int_eq(gmoe_model_from_json("{\"family\": \"softmax\", \"gate_d\": 2, \"experts\": [{\"beta0\": 0, "
                                          "\"beta1\": [0], \"a\": [], \"b\": 0, \"sigma2\": 1}]}", "bad", &back,
                                          &err), GMOE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "\"gate_d\" is 2 but expert 1's \"beta1\" has 1 entry"));
    free(text), free(again);
    gmoe_model_free(m), gmoe_model_free(old);
}
END_TEST

/* A fit with gate covariates gives the same bits on 1 and 2 threads. */
START_TEST(test_threads)
{
    gmoe_model *truth = gmoe_model_alloc_gate(GMOE_SOFTMAX, 2, 1, 2);
    truth->beta0[0] = 0.3, truth->beta1[0] = 2.0, truth->beta1[1] = -1.5;
    truth->a[0] = 2.0, truth->b[0] = 0.5, truth->sigma2[0] = 0.04;
    truth->a[1] = -1.0, truth->b[1] = 1.0, truth->sigma2[1] = 0.09;
    gmoe_data *data = check_simulate_gate(truth, 3000, 5);
    gmoe_model *m1 = gmoe_model_alloc_gate(GMOE_SOFTMAX, 2, 1, 2), *m2 = gmoe_model_clone(m1);
    gmoe_em_options opt;
    check_em_options(&opt, 3, 1);
    ck_assert_int_eq(gmoe_fit(data, m1, NULL, &opt, NULL), GMOE_OK);
    opt.nthreads = 2;
    ck_assert_int_eq(gmoe_fit(data, m2, NULL, &opt, NULL), GMOE_OK);
    ck_assert(m1->fit.loglik == m2->fit.loglik);
    ck_assert(memcmp(m1->beta1, m2->beta1, 4 * sizeof(double)) == 0);
    ck_assert(memcmp(m1->a, m2->a, 2 * sizeof(double)) == 0);
    ck_assert_double_eq_tol(m1->beta1[0], 2.0, 0.5); /* the gate found on its own covariates */
    gmoe_model_free(m1), gmoe_model_free(m2), gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* Constant and collinear gate covariates are refused, named as such. */
START_TEST(test_bad_gate_columns)
{
    gmoe_model *truth = gmoe_model_alloc_gate(GMOE_SOFTMAX, 2, 1, 2);
    truth->sigma2[0] = truth->sigma2[1] = 1.0;
    gmoe_data *data = check_simulate_gate(truth, 200, 3);
    char *names[2] = {strdup("z"), strdup("u")};
    data->gxnames = malloc(2 * sizeof(char *));
    memcpy(data->gxnames, names, sizeof names);
    gmoe_err err;
    ck_assert_int_eq(gmoe_data_check_fit(data, 2, &err), GMOE_OK);
    for (size_t r = 0; r < data->n; r++)
        data->gx[r * 2 + 1] = 1 - 3 * data->gx[r * 2];
    ck_assert_int_eq(gmoe_data_check_fit(data, 2, &err), GMOE_EDATA);
    ck_assert_ptr_nonnull(strstr(err.msg, "gate covariates are collinear (with the intercept): \"z\", \"u\""));
    for (size_t r = 0; r < data->n; r++)
        data->gx[r * 2 + 1] = 4.0;
    ck_assert_int_eq(gmoe_data_check_fit(data, 2, &err), GMOE_EDATA);
    ck_assert_str_eq(err.msg, "gate covariate \"u\" is constant (every row is 4)");
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("gate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_constant_gate_is_mixture_of_regressions);
    tcase_add_test(tc, test_counts_and_names);
    tcase_add_test(tc, test_model_file);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_bad_gate_columns);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
