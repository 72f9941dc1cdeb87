/* check_inference.c -- standard errors of a fit (gmoe_inference_compute),
 * what is reported when parameters are not identified, the bootstrap
 * (thread-count invariance, label switching), and the "inference" key of
 * model files (round trip, strict reading). */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe.h"
#include "inference.h"
#include "check_util.h"

/* The reference model of MODELS.md section 3 (the bundled file). */
static gmoe_model *reference(void)
{
    gmoe_model *m = NULL;
    ck_assert_int_eq(gmoe_model_read(EXAMPLE_DATADIR "/reference-model.json", &m, NULL), GMOE_OK);
    return m;
}

/* A fit of the reference model to n rows of a grid design. */
static gmoe_model *reference_fit(size_t n, gmoe_data **data)
{
    gmoe_model *truth = reference();
    *data = check_simulate(truth, n, GMOE_DESIGN_GRID, NULL, NULL, 11);
    gmoe_em_options o;
    check_em_options(&o, 1, 1);
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    ck_assert_int_eq(gmoe_fit(*data, m, truth, &o, NULL), GMOE_OK);
    gmoe_model_free(truth);
    return m;
}

START_TEST(se_are_the_covariance_diagonal)
{
    gmoe_data *data;
    gmoe_model *m = reference_fit(800, &data);
    size_t P = gmoe_model_nfree(m);
    for (int kind = GMOE_SE_OBSERVED; kind <= GMOE_SE_SANDWICH; kind++) {
        double *cov = malloc(P * P * sizeof(double));
        ck_assert_int_eq(gmoe_covariance(m, data, (gmoe_se_kind)kind, cov, NULL, NULL), GMOE_OK);
        ck_assert_int_eq(gmoe_inference_compute(m, data, (gmoe_se_kind)kind, 1, NULL), GMOE_OK);
        const gmoe_inference *inf = m->inference;
        ck_assert_int_eq(inf->identified, 1);
        ck_assert_ptr_null(inf->note);
        for (size_t j = 0; j < P; j++) {
            ck_assert(inf->se[j] == sqrt(cov[j * P + j]));
            ck_assert(inf->cov[j * P + j] == cov[j * P + j]);
            ck_assert_double_eq_tol(inf->upper[j] - inf->estimate[j], 1.959963984540054 * inf->se[j],
                                    1e-12 * (1 + fabs(inf->upper[j])));
            char name[64];
            gmoe_param_name(m, j, name, sizeof name);
            ck_assert_str_eq(inf->names[j], name);
        }
        free(cov);
    }
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

/* Two identical experts: a saddle with flat directions; no standard
 * errors, and the note names the pair. */
START_TEST(duplicate_experts_are_named)
{
    gmoe_data *data;
    gmoe_model *fit = reference_fit(600, &data);
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 3, 1);
    size_t src[] = {0, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        m->beta0[i] = fit->beta0[src[i]] - (src[i] == 0 ? log(2.0) : 0.0);
        m->beta1[i] = fit->beta1[src[i]];
        m->a[i] = fit->a[src[i]];
        m->b[i] = fit->b[src[i]];
        m->sigma2[i] = fit->sigma2[src[i]];
    }
    ck_assert_int_eq(gmoe_inference_compute(m, data, GMOE_SE_OBSERVED, 1, NULL), GMOE_OK);
    ck_assert_int_eq(m->inference->identified, 0);
    ck_assert_ptr_nonnull(m->inference->note);
    ck_assert_ptr_nonnull(strstr(m->inference->note, "experts 1 and 2 are near-duplicates"));
    for (size_t j = 0; j < m->inference->p; j++)
        ck_assert(isnan(m->inference->se[j]) && isnan(m->inference->cov[j]));
    gmoe_model_free(m);
    gmoe_model_free(fit);
    gmoe_data_free(data);
}
END_TEST

/* top-K with K = 1: the gate has no information; the experts' errors are
 * those of their own block, the gate's NaN, the boundary in the note. */
START_TEST(topk_single_reports_the_boundary)
{
    gmoe_data *data;
    gmoe_model *fit = reference_fit(600, &data);
    fit->family = GMOE_TOPK;
    fit->top_k = 1;
    fit->select = GMOE_SELECT_LOGIT;
    ck_assert_int_eq(gmoe_inference_compute(fit, data, GMOE_SE_OBSERVED, 0, NULL), GMOE_OK);
    const gmoe_inference *inf = fit->inference;
    ck_assert_int_eq(inf->identified, 1);
    ck_assert_str_eq(inf->names[0], "beta0[1]");
    ck_assert(isnan(inf->se[0]) && isnan(inf->se[1]));
    for (size_t j = 2; j < inf->p; j++)
        ck_assert(isfinite(inf->se[j]) && inf->se[j] > 0);
    ck_assert_ptr_nonnull(strstr(inf->note, "only the boundary is identified"));
    ck_assert_ptr_nonnull(strstr(inf->note, "the selection changes at x1 = 0.3"));
    gmoe_model_free(fit);
    gmoe_data_free(data);
}
END_TEST

static void bootstrap_with(gmoe_model *m, const gmoe_data *data, gmoe_boot_type type, int threads)
{
    gmoe_em_options o;
    gmoe_em_options_default(&o);
    gmoe_bootstrap_options bo = {8, type, 5, threads};
    ck_assert_int_eq(gmoe_bootstrap(m, data, &o, &bo, NULL), GMOE_OK);
    ck_assert_uint_eq(m->inference->boot_ok, 8);
}

START_TEST(bootstrap_same_bits_for_any_thread_count)
{
    gmoe_data *data;
    gmoe_model *m = reference_fit(300, &data);
    for (int type = GMOE_BOOT_NONPARAMETRIC; type <= GMOE_BOOT_PARAMETRIC; type++) {
        bootstrap_with(m, data, (gmoe_boot_type)type, 1);
        gmoe_inference *one = gmoe_inference_clone(m->inference);
        bootstrap_with(m, data, (gmoe_boot_type)type, 2);
        size_t P = one->p;
        ck_assert(memcmp(one->boot_se, m->inference->boot_se, P * sizeof(double)) == 0);
        ck_assert(memcmp(one->boot_lower, m->inference->boot_lower, P * sizeof(double)) == 0);
        ck_assert(memcmp(one->boot_upper, m->inference->boot_upper, P * sizeof(double)) == 0);
        for (size_t j = 0; j < P; j++) {
            ck_assert(one->boot_lower[j] <= one->estimate[j] + 4 * one->boot_se[j]);
            ck_assert(one->boot_upper[j] >= one->estimate[j] - 4 * one->boot_se[j]);
        }
        gmoe_inference_free(one);
    }
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

/* A fit with its experts swapped is matched back, and its gate re-pinned
 * on the new last expert gives the original parameters. */
START_TEST(label_switching_is_undone)
{
    gmoe_model *m = reference();
    m->beta0[0] = -7.5; /* not at the truth, so that nothing is symmetric */
    gmoe_model *sw = gmoe_model_clone(m);
    size_t swap[] = {1, 0}, perm[2];
    ck_assert_int_eq(gmoe_model_permute(sw, swap), GMOE_OK);
    ck_assert(sw->beta0[1] == 0 && sw->beta1[1] == 0 && sw->beta0[0] == 7.5 && sw->beta1[0] == -25);
    ck_assert_int_eq(gmoe_match_experts(m, sw, perm), GMOE_OK);
    ck_assert_uint_eq(perm[0], 1);
    ck_assert_uint_eq(perm[1], 0);
    ck_assert_int_eq(gmoe_model_permute(sw, perm), GMOE_OK);
    for (size_t i = 0; i < 2; i++)
        ck_assert(sw->beta0[i] == m->beta0[i] && sw->beta1[i] == m->beta1[i] && sw->a[i] == m->a[i] &&
                  sw->b[i] == m->b[i] && sw->sigma2[i] == m->sigma2[i]);
    gmoe_model_free(sw);
    gmoe_model_free(m);
}
END_TEST

/* Written and read back: the same text; the names must be the model's. */
START_TEST(inference_round_trips_through_json)
{
    gmoe_data *data;
    gmoe_model *m = reference_fit(300, &data);
    ck_assert_int_eq(gmoe_inference_compute(m, data, GMOE_SE_SANDWICH, 1, NULL), GMOE_OK);
    bootstrap_with(m, data, GMOE_BOOT_PARAMETRIC, 1);
    char *text = gmoe_model_to_json(m, NULL);
    ck_assert_ptr_nonnull(text);
    gmoe_model *back = NULL;
    gmoe_err err;
    ck_assert_int_eq(gmoe_model_from_json(text, "t", &back, &err), GMOE_OK);
    char *again = gmoe_model_to_json(back, NULL);
    ck_assert_str_eq(text, again);
    ck_assert_int_eq(back->inference->method, GMOE_SE_SANDWICH);
    ck_assert_uint_eq(back->inference->boot_replicates, 8);
    /* a name that is not the model's parameter */
    char *bad = strdup(text), *at = strstr(bad, "\"name\": \"b[1]\"");
    ck_assert_ptr_nonnull(at);
    at[9] = 'a';
    gmoe_model *no = NULL;
    ck_assert_int_eq(gmoe_model_from_json(bad, "bad.json", &no, &err), GMOE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "bad.json: \"inference\": parameters entry"));
    ck_assert_msg(strstr(err.msg, "is \"a[1]\", the model's parameter 4 is \"b[1]\""), "%s", err.msg);
    free(bad);
    free(text);
    free(again);
    gmoe_model_free(back);
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
    gmoe_data *data;
    gmoe_model *m = reference_fit(200, &data);
    gmoe_em_options o;
    gmoe_em_options_default(&o);
    gmoe_bootstrap_options bo = {1, GMOE_BOOT_NONPARAMETRIC, 1, 1};
    gmoe_err err;
    ck_assert_int_eq(gmoe_bootstrap(m, data, &o, &bo, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "replicates must be 2 to 1000000 (got 1)"));
    ck_assert_int_eq(gmoe_inference_compute(m, data, (gmoe_se_kind)7, 0, &err), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_se_kind_from_name("sandwich"), GMOE_SE_SANDWICH);
    ck_assert_int_eq(gmoe_boot_type_from_name("parametric"), GMOE_BOOT_PARAMETRIC);
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

static Suite *inference_suite(void)
{
    Suite *s = suite_create("inference");
    TCase *tc = tcase_create("inference");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, se_are_the_covariance_diagonal);
    tcase_add_test(tc, duplicate_experts_are_named);
    tcase_add_test(tc, topk_single_reports_the_boundary);
    tcase_add_test(tc, bootstrap_same_bits_for_any_thread_count);
    tcase_add_test(tc, label_switching_is_undone);
    tcase_add_test(tc, inference_round_trips_through_json);
    tcase_add_test(tc, bad_arguments_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    return check_run_suite(inference_suite());
}
