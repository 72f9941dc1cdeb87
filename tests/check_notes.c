/* check_notes.c -- the notes a fit gives about itself (gmoe_fit_notes,
 * issue 11 item 4): each kind on a model built to have it, none on a
 * well-specified one, the "notes" key of a model file read back as
 * written, and bad input refused. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe.h"
#include "check_util.h"

/* The reference model's two experts (beta0, beta1, a, b, sigma2), and a
 * third: a copy of expert 1 (near-duplicate), or one whose gate bias
 * leaves it no rows (tiny mass). */
static gmoe_model *three_experts(double beta0_3, double b_3)
{
    const double beta0[] = {0, 1, beta0_3}, beta1[] = {4, -2, 0}, a[] = {2, -1, 2};
    const double b[] = {1, -1, b_3}, sigma2[] = {0.25, 0.3, 0.25};
    return check_model_with(GMOE_SOFTMAX, 3, 1, beta0, beta1, a, b, sigma2);
}

static size_t count_code(const gmoe_model *m, gmoe_note_code code)
{
    size_t c = 0;
    for (size_t i = 0; i < m->notes->n; i++)
        c += m->notes->note[i].code == code;
    return c;
}

START_TEST(test_near_duplicates_and_tiny_mass)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    gmoe_model *dup = three_experts(0, 1); /* expert 3: expert 1's line and variance */
    gmoe_data *data = check_simulate(dup, 2000, GMOE_DESIGN_UNIFORM, NULL, NULL, 5);
    ck_assert_int_eq(gmoe_fit_notes(dup, data, &err), GMOE_OK);
    ck_assert_uint_eq(dup->notes->n, 1);
    const gmoe_fit_note *n = &dup->notes->note[0];
    ck_assert_int_eq(n->code, GMOE_NOTE_NEAR_DUPLICATES);
    ck_assert_uint_eq(n->expert1, 1);
    ck_assert_uint_eq(n->expert2, 3);
    ck_assert(n->value >= 0 && n->value < 1e-12); /* the same line: distance 0 */
    ck_assert_str_eq(n->message, "experts 1 and 3 are near-duplicates (the same line and variance): k may "
                                 "be too large");
    gmoe_model *tiny = three_experts(-40, 10); /* expert 3: exp(-40) of the gate */
    ck_assert_int_eq(gmoe_fit_notes(tiny, data, &err), GMOE_OK);
    ck_assert_uint_eq(tiny->notes->n, 1);
    ck_assert_int_eq(tiny->notes->note[0].code, GMOE_NOTE_TINY_MASS);
    ck_assert_uint_eq(tiny->notes->note[0].expert1, 3);
    ck_assert(tiny->notes->note[0].value < 1e-15);
    ck_assert_ptr_nonnull(strstr(tiny->notes->note[0].message, "expert 3 has tiny mass (mean gate "));
    gmoe_model_free(dup);
    gmoe_model_free(tiny);
    gmoe_data_free(data);
}
END_TEST

START_TEST(test_gate_and_stop)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    const double beta0[] = {0, 0}, beta1[] = {500, 0}, a[] = {1, -1}, b[] = {2, -2}, sigma2[] = {0.01, 0.01};
    gmoe_model *m = check_model_with(GMOE_SOFTMAX, 2, 1, beta0, beta1, a, b, sigma2);
    const double lo = -1, hi = 1; /* the gate's step at 0: half the rows each side */
    gmoe_data *data = check_simulate(m, 500, GMOE_DESIGN_UNIFORM, &lo, &hi, 6);
    /* a fit that stalled: its stop reason, named by gmoe_stop_name */
    m->has_fit = 1;
    m->fit.stop = GMOE_STOP_STALLED;
    m->fit.grad_norm = 0.25;
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    ck_assert_uint_eq(m->notes->n, 2);
    const gmoe_fit_note *sep = &m->notes->note[0], *stop = &m->notes->note[1];
    ck_assert_int_eq(sep->code, GMOE_NOTE_SEPARABLE_GATE);
    ck_assert_uint_eq(sep->expert1, 1);
    ck_assert_uint_eq(sep->covariate, 1);
    ck_assert_double_eq(sep->value, 500);
    ck_assert_int_eq(stop->code, GMOE_NOTE_NOT_CONVERGED);
    ck_assert_double_eq(stop->value, 0.25);
    ck_assert_str_eq(stop->message, "not converged (stop: stalled): gradient norm 0.25 at the end, Hessian not "
                                    "negative definite (not a maximum)");
    /* converged, gentle gate: nothing to say (an empty list, not NULL) */
    m->beta1[0] = 2;
    m->fit.stop = GMOE_STOP_TOL;
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    ck_assert_ptr_nonnull(m->notes);
    ck_assert_uint_eq(m->notes->n, 0);
    /* top-K with K = 1: only the boundary */
    m->family = GMOE_TOPK;
    m->top_k = 1;
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    ck_assert_uint_eq(count_code(m, GMOE_NOTE_SELECTION_ONLY), 1);
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

/* A factor's level (g=b, covariate 1 of the experts and the gate) on the
 * rows r with r % every == 0. */
static void set_level(gmoe_data *data, size_t every)
{
    gmoe_factor *f = data->factors = calloc(1, sizeof(gmoe_factor));
    data->xnames = calloc(2, sizeof(char *));
    ck_assert(f && data->xnames && (f->levels = calloc(2, sizeof(char *))));
    f->name = strdup("g");
    f->levels[0] = strdup("a");
    f->levels[1] = strdup("b");
    f->nlevels = 2;
    data->nfactors = 1;
    data->xnames[0] = strdup("g=b");
    data->xnames[1] = strdup("x");
    for (size_t r = 0; r < data->n; r++)
        data->x[r * 2] = r % every == 0 ? 1.0 : 0.0;
}

/* Issue 11 audit A2: a factor level with fewer rows than its indicator's
 * slopes (2 experts + 1 gate slope) is "sparse-level"; an indicator's gate
 * slope is steep over the level contrast, 1, not over its sd (a level of
 * 20 rows of 300: sd 0.25, so 40 was 10 in the logit, under 30). */
START_TEST(test_factor_levels)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    const double beta0[] = {0, 0}, beta1[] = {40, 1, 0, 0}, a[] = {0, 1, 0, -1}, b[] = {2, -2}, sigma2[] = {1, 1};
    gmoe_model *m = check_model_with(GMOE_SOFTMAX, 2, 2, beta0, beta1, a, b, sigma2);
    gmoe_data *data = check_simulate(m, 300, GMOE_DESIGN_UNIFORM, NULL, NULL, 7);
    set_level(data, 15); /* 20 rows */
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    ck_assert_uint_eq(m->notes->n, 1);
    ck_assert_int_eq(m->notes->note[0].code, GMOE_NOTE_SEPARABLE_GATE);
    ck_assert_uint_eq(m->notes->note[0].covariate, 1);
    m->beta1[0] = 20; /* 20 in the logit: not steep */
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    ck_assert_uint_eq(m->notes->n, 0);
    gmoe_data_free(data);
    data = check_simulate(m, 300, GMOE_DESIGN_UNIFORM, NULL, NULL, 7);
    set_level(data, 200); /* rows 0 and 200: 2 rows for 3 slopes */
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    ck_assert_uint_eq(count_code(m, GMOE_NOTE_SPARSE_LEVEL), 1);
    ck_assert_double_eq(m->notes->note[0].value, 2);
    ck_assert_str_eq(gmoe_note_name(GMOE_NOTE_SPARSE_LEVEL), "sparse-level");
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

/* An expert within 10 times the floor the fit used: "near-floor", with its
 * ratio; not without a known floor, nor at 20 times it. */
START_TEST(test_near_floor)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    gmoe_model *sim = three_experts(0, 1), *m = three_experts(-40, 10); /* m's expert 3: no rows */
    gmoe_data *data = check_simulate(sim, 2000, GMOE_DESIGN_UNIFORM, NULL, NULL, 5);
    m->sigma2[2] = 1.25e-6;
    m->has_fit = 1;
    m->fit.stop = GMOE_STOP_TOL;
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK); /* floor not known */
    ck_assert_uint_eq(count_code(m, GMOE_NOTE_NEAR_FLOOR), 0);
    m->fit.variance_floor = 1e-6;
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    ck_assert_uint_eq(count_code(m, GMOE_NOTE_NEAR_FLOOR), 1);
    ck_assert_uint_eq(count_code(m, GMOE_NOTE_TINY_MASS), 1);
    const gmoe_fit_note *n = &m->notes->note[m->notes->n - 1];
    ck_assert_int_eq(n->code, GMOE_NOTE_NEAR_FLOOR);
    ck_assert_uint_eq(n->expert1, 3);
    ck_assert_double_eq_tol(n->value, 1.25, 1e-12);
    ck_assert_ptr_nonnull(strstr(n->message, "expert 3's variance is 1.25 times the variance floor"));
    ck_assert_str_eq(gmoe_note_name(GMOE_NOTE_NEAR_FLOOR), "near-floor");
    m->sigma2[2] = 2e-5;
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    ck_assert_uint_eq(count_code(m, GMOE_NOTE_NEAR_FLOOR), 0);
    gmoe_model_free(sim);
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

START_TEST(test_model_file_round_trip)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    gmoe_model *m = three_experts(0, 1), *back = NULL;
    gmoe_data *data = check_simulate(m, 1000, GMOE_DESIGN_UNIFORM, NULL, NULL, 8);
    m->beta1[0] = 900; /* and a separable gate */
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_OK);
    ck_assert_uint_ge(m->notes->n, 2);
    char *json = gmoe_model_to_json(m, &err);
    ck_assert_ptr_nonnull(json);
    ck_assert_ptr_nonnull(strstr(json, "\"notes\": [\n    {\"code\": "));
    ck_assert_ptr_nonnull(strstr(json, "{\"code\": \"near-duplicates\", \"experts\": [1, 3], \"covariate\": null"));
    ck_assert_int_eq(gmoe_model_from_json(json, "notes.json", &back, &err), GMOE_OK);
    ck_assert_ptr_nonnull(back->notes);
    ck_assert_uint_eq(back->notes->n, m->notes->n);
    for (size_t i = 0; i < m->notes->n; i++) {
        const gmoe_fit_note *a = &m->notes->note[i], *b = &back->notes->note[i];
        ck_assert_int_eq(a->code, b->code);
        ck_assert(a->expert1 == b->expert1 && a->expert2 == b->expert2 && a->covariate == b->covariate);
        ck_assert(a->value == b->value || (isnan(a->value) && isnan(b->value)));
        ck_assert_str_eq(a->message, b->message);
    }
    /* a copy of other parameters drops the notes: they were about the old ones */
    ck_assert_int_eq(gmoe_model_copy(back, m), GMOE_OK);
    ck_assert_ptr_null(back->notes);
    gmoe_note_list *c = gmoe_note_list_clone(m->notes);
    ck_assert(c && c->n == m->notes->n && strcmp(c->note[0].message, m->notes->note[0].message) == 0);
    gmoe_note_list_free(c);
    gmoe_note_list_free(NULL);
    free(json);
    gmoe_model_free(m);
    gmoe_model_free(back);
    gmoe_data_free(data);
}
END_TEST

START_TEST(test_bad_input)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    gmoe_model *m = three_experts(0, 1), *back = NULL;
    gmoe_data *data = check_data_alloc(10, 2); /* two covariates, the model one */
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), GMOE_EINVAL);
    ck_assert_ptr_null(m->notes);
    for (int c = 0; c <= GMOE_NOTE_LAST; c++)
        ck_assert_int_eq(gmoe_note_from_name(gmoe_note_name((gmoe_note_code)c)), c);
    ck_assert_ptr_null(gmoe_note_name((gmoe_note_code)(GMOE_NOTE_LAST + 1)));
    ck_assert_int_eq(gmoe_note_from_name("tiny"), -1);
    /* a file whose note names an expert the model does not have */
    char *json = gmoe_model_to_json(m, &err), *end;
    const char *bad = ",\n  \"notes\": [{\"code\": \"tiny-mass\", \"experts\": [4], \"covariate\": null, "
                      "\"value\": 0, \"message\": \"\"}]\n}\n";
    json = realloc(json, strlen(json) + strlen(bad) + 1);
    end = strrchr(json, '}');
    while (end > json && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    strcpy(end, bad);
    ck_assert_int_eq(gmoe_model_from_json(json, "bad.json", &back, &err), GMOE_EFORMAT);
    ck_assert_str_eq(err.msg, "bad.json: \"notes\": entry 1: \"experts\" must be an array of at most 2 "
                              "experts (1 to k)");
    free(json);
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("notes");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_near_duplicates_and_tiny_mass);
    tcase_add_test(tc, test_gate_and_stop);
    tcase_add_test(tc, test_near_floor);
    tcase_add_test(tc, test_factor_levels);
    tcase_add_test(tc, test_model_file_round_trip);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
