/* check_spurious.c -- the rule for spurious maxima (lib/spurious.c,
 * issue 11): on a constructed three-expert model, an expert with few
 * effective rows and a small variance is spurious and one with either
 * many rows or a variance near the others' is not; the constants 0 turn
 * it off; runs with one rank after clean runs whatever their
 * log-likelihood, and runs at the variance floor after those; the note
 * "spurious" says it. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "check_util.h"

static gmoe_model *three_experts(double sigma2_3)
{
    const double beta0[] = {0, 1, 0}, beta1[] = {4, -2, 0}, a[] = {2, -1, 0.5};
    const double b[] = {1, -1, 0}, sigma2[] = {0.25, 0.1, sigma2_3};
    return check_model_with(GMOE_SOFTMAX, 3, 1, beta0, beta1, a, b, sigma2);
}

/* d = 1: 100 (d + 2) = 300 rows is the default rows bound; pooled
 * variance (2500 * 0.25 + 2480 * 0.1 + 20 * 1e-4) / 5000 = 0.1746. */
START_TEST(test_rule)
{
    gmoe_model *m = three_experts(1e-4);
    double few[] = {2500, 2480, 20}, many[] = {2500, 2200, 300}, ratio = NAN;
    ck_assert_uint_eq(gmoe_spurious_expert(m, few, 100, 0.02, &ratio), 3);
    ck_assert_double_eq_tol(ratio, 1e-4 / ((2500 * 0.25 + 2480 * 0.1 + 20 * 1e-4) / 5000), 1e-12);
    ck_assert_uint_eq(gmoe_spurious_expert(m, many, 100, 0.02, &ratio), 0); /* 300 rows: not few */
    ck_assert_uint_eq(gmoe_spurious_expert(m, few, 0, 0.02, &ratio), 0);    /* off */
    ck_assert_uint_eq(gmoe_spurious_expert(m, few, 100, 0, &ratio), 0);     /* off */
    double empty[] = {2500, 2500, 0.5}; /* less than a row: no spike (tiny mass) */
    ck_assert_uint_eq(gmoe_spurious_expert(m, empty, 100, 0.02, &ratio), 0);
    m->sigma2[2] = 0.005; /* ratio 0.0286: a narrow expert, not a spike */
    ck_assert_uint_eq(gmoe_spurious_expert(m, few, 100, 0.02, &ratio), 0);
    ck_assert_uint_eq(gmoe_spurious_expert(m, few, 100, 0.05, &ratio), 3);
    gmoe_model_free(m);
}
END_TEST

/* Clean before spurious before the floor, then by log-likelihood. */
START_TEST(test_ranking)
{
    gmoe_model *clean = three_experts(0.05), *spike = three_experts(1e-4), *floor = three_experts(1e-6);
    gmoe_fit_info ic = {.loglik = -110}, is = {.loglik = -100, .spurious_expert = 3},
                  i_f = {.loglik = -90, .spurious_expert = 3};
    double var_floor = 1e-6;
    ck_assert(gmoe_run_better(clean, &ic, spike, &is, var_floor));
    ck_assert(!gmoe_run_better(spike, &is, clean, &ic, var_floor));
    ck_assert(gmoe_run_better(spike, &is, floor, &i_f, var_floor));
    ck_assert(!gmoe_run_better(floor, &i_f, spike, &is, var_floor));
    gmoe_fit_info is2 = is;
    is2.loglik = -95;
    ck_assert(gmoe_run_better(spike, &is2, spike, &is, var_floor));
    /* the rule off: no verdict, the floor still ranks last */
    is.spurious_expert = 0;
    ck_assert(gmoe_run_better(spike, &is, clean, &ic, var_floor));
    ck_assert(gmoe_run_better(clean, &ic, floor, &i_f, var_floor));
    gmoe_model_free(clean);
    gmoe_model_free(spike);
    gmoe_model_free(floor);
}
END_TEST

/* A fit that kept a spurious expert says so, with its rows and ratio. */
START_TEST(test_note)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    gmoe_model *m = three_experts(0.25);
    gmoe_data *data = check_simulate(m, 2000, GMOE_DESIGN_UNIFORM, NULL, NULL, 5);
    m->has_fit = 1;
    m->fit.stop = GMOE_STOP_TOL;
    m->fit.spurious_expert = 2;
    m->fit.spurious_rows = 12.5;
    m->fit.spurious_ratio = 0.001;
    m->fit.spurious_rows_factor = 100;
    m->fit.spurious_ratio_max = 0.02;
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    const gmoe_fit_note *n = NULL;
    for (size_t i = 0; i < m->notes->n; i++)
        if (m->notes->note[i].code == GMOE_NOTE_SPURIOUS)
            n = &m->notes->note[i];
    ck_assert_ptr_nonnull(n);
    ck_assert_uint_eq(n->expert1, 2);
    ck_assert_double_eq_tol(n->value, 0.001, 1e-15);
    ck_assert_ptr_nonnull(strstr(n->message, "expert 2 is spurious: 12.5 rows' worth"));
    ck_assert_str_eq(gmoe_note_name(GMOE_NOTE_SPURIOUS), "spurious");
    ck_assert_int_eq(gmoe_note_from_name("spurious"), GMOE_NOTE_SPURIOUS);
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

/* The options' check names the fields. */
START_TEST(test_options)
{
    gmoe_em_options o;
    gmoe_em_options_default(&o);
    ck_assert_double_eq(o.spurious_rows, 100);
    ck_assert_double_eq(o.spurious_ratio, 0.02);
    const char *field = NULL;
    gmoe_err err;
    o.spurious_ratio = 1.5;
    ck_assert_int_eq(gmoe_em_options_validate(&o, &field, &err), GMOE_EINVAL);
    ck_assert_str_eq(field, "spurious_ratio");
    o.spurious_ratio = 0;
    o.spurious_rows = NAN;
    ck_assert_int_eq(gmoe_em_options_validate(&o, &field, &err), GMOE_EINVAL);
    ck_assert_str_eq(field, "spurious_rows");
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("spurious");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rule);
    tcase_add_test(tc, test_ranking);
    tcase_add_test(tc, test_note);
    tcase_add_test(tc, test_options);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
