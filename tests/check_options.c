/* check_options.c -- the library's one check of a fit's settings
 * (gmoe_em_options_validate, gmoe_model_options_validate): the defaults
 * pass, each field's bad value is refused with that field named and a
 * message saying what it must be, and gmoe_fit and gmoe_model_check
 * refuse the same values with the field's name in front. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "gmoe.h"
#include "check_util.h"

/* One bad value of one field of gmoe_em_options. */
typedef struct {
    const char *field, *message;
    void (*spoil)(gmoe_em_options *o);
} em_case;

static void many_restarts(gmoe_em_options *o) { o->restarts = 1000001; }
static void no_iterations(gmoe_em_options *o) { o->max_iter = 0; }
static void many_iterations(gmoe_em_options *o) { o->max_iter = 100000001; }
static void no_gate_iterations(gmoe_em_options *o) { o->gate_max_iter = 0; }
static void long_warmup(gmoe_em_options *o) { o->accel_warmup = 100000001; }
static void long_screening(gmoe_em_options *o) { o->screen_iter = 100000001; }
static void negative_threads(gmoe_em_options *o) { o->nthreads = -1; }
static void many_threads(gmoe_em_options *o) { o->nthreads = 4097; }
static void negative_tol(gmoe_em_options *o) { o->tol = -1e-9; }
static void infinite_tol(gmoe_em_options *o) { o->tol = INFINITY; }
static void nan_gate_tol(gmoe_em_options *o) { o->gate_tol = NAN; }
static void whole_gate_rel_tol(gmoe_em_options *o) { o->gate_rel_tol = 1; }
static void whole_var_floor(gmoe_em_options *o) { o->var_floor = 1; }
static void negative_var_floor(gmoe_em_options *o) { o->var_floor = -0.5; }
static void nan_min_weight(gmoe_em_options *o) { o->min_weight = NAN; }
static void zero_grad_tol(gmoe_em_options *o) { o->grad_tol = 0; }
static void negative_switch(gmoe_em_options *o) { o->newton_switch = -1; }
static void bad_rule(gmoe_em_options *o) { o->tol_rule = (gmoe_tol_rule)3; }
static void bad_accel(gmoe_em_options *o) { o->accel = (gmoe_accel)-1; }
static void bad_tau_mode(gmoe_em_options *o) { o->tau_mode = (gmoe_tau_mode)2; }

static const em_case em_cases[] = {
    {"restarts", "must be at most 1000000 (got 1000001)", many_restarts},
    {"max_iter", "must be 1 to 100000000 (got 0)", no_iterations},
    {"max_iter", "must be 1 to 100000000 (got 100000001)", many_iterations},
    {"gate_max_iter", "must be 1 to 100000000 (got 0)", no_gate_iterations},
    {"accel_warmup", "must be at most 100000000 (got 100000001)", long_warmup},
    {"screen_iter", "must be at most 100000000 (got 100000001)", long_screening},
    {"nthreads", "must be 0 (OpenMP's default) to 4096 (got -1)", negative_threads},
    {"nthreads", "must be 0 (OpenMP's default) to 4096 (got 4097)", many_threads},
    {"tol", "must be a finite number >= 0, 0 for the stopping rule's default (got -1e-09)",
     negative_tol},
    {"tol", "must be a finite number >= 0, 0 for the stopping rule's default (got inf)",
     infinite_tol},
    {"gate_tol", "must be a finite number >= 0 (got nan)", nan_gate_tol},
    {"gate_rel_tol", "must be in [0, 1) (got 1)", whole_gate_rel_tol},
    {"var_floor", "must be in [0, 1), a fraction of the variance of y (got 1)", whole_var_floor},
    {"var_floor", "must be in [0, 1), a fraction of the variance of y (got -0.5)",
     negative_var_floor},
    {"min_weight", "must be a finite number, < 0 for d + 2 (got nan)", nan_min_weight},
    {"grad_tol", "must be a finite number > 0 (got 0)", zero_grad_tol},
    {"newton_switch", "must be a finite number >= 0 (got -1)", negative_switch},
    {"tol_rule", "must be per-obs, relative or absolute (got 3)", bad_rule},
    {"accel", "must be squarem or none (got -1)", bad_accel},
    {"tau_mode", "must be fixed or estimate (got 2)", bad_tau_mode},
};

/* The automatic number of random starts (restarts 0): 10, more on small
 * data, ceil(30000 / n) up to 100, 1 with a given start; a given number
 * is kept. */
START_TEST(test_random_starts)
{
    gmoe_em_options o;
    gmoe_em_options_default(&o);
    ck_assert_uint_eq(o.restarts, 0);
    static const size_t n[] = {1, 300, 301, 1000, 2999, 3000, 100000}, want[] = {100, 100, 100, 30, 11, 10, 10};
    for (size_t i = 0; i < sizeof n / sizeof *n; i++)
        ck_assert_uint_eq(gmoe_random_starts(&o, n[i], 0), want[i]);
    ck_assert_uint_eq(gmoe_random_starts(&o, 300, 1), 1);
    o.restarts = 7;
    ck_assert_uint_eq(gmoe_random_starts(&o, 300, 0), 7);
    ck_assert_uint_eq(gmoe_random_starts(&o, 300, 1), 7);
}
END_TEST

START_TEST(test_em_options)
{
    gmoe_em_options o;
    gmoe_em_options_default(&o);
    const char *field = "untouched";
    gmoe_err err;
    gmoe_err_clear(&err);
    ck_assert_int_eq(gmoe_em_options_validate(&o, &field, &err), GMOE_OK);
    ck_assert_str_eq(field, "untouched");
    ck_assert_ptr_null(gmoe_em_options_check(&o));
    /* the edges of each range pass */
    o.restarts = 1000000;
    o.max_iter = o.gate_max_iter = o.accel_warmup = o.screen_iter = 100000000;
    o.nthreads = 4096;
    o.tol = 0;
    o.min_weight = -1;
    o.var_floor = 0;
    ck_assert_int_eq(gmoe_em_options_validate(&o, NULL, NULL), GMOE_OK);
    for (size_t i = 0; i < sizeof em_cases / sizeof *em_cases; i++) {
        gmoe_em_options_default(&o);
        em_cases[i].spoil(&o);
        field = NULL;
        ck_assert_int_eq(gmoe_em_options_validate(&o, &field, &err), GMOE_EINVAL);
        ck_assert_str_eq(field, em_cases[i].field);
        ck_assert_str_eq(err.msg, em_cases[i].message);
        ck_assert_int_eq(err.code, GMOE_EINVAL);
        /* no field or message wanted: the status alone */
        ck_assert_int_eq(gmoe_em_options_validate(&o, NULL, NULL), GMOE_EINVAL);
        /* the one-text form names the field first */
        char want[GMOE_ERRMSG_LEN + 64];
        snprintf(want, sizeof want, "%s %s", em_cases[i].field, em_cases[i].message);
        ck_assert_str_eq(gmoe_em_options_check(&o), want);
    }
    ck_assert_int_eq(gmoe_em_options_validate(NULL, &field, &err), GMOE_EINVAL);
    ck_assert_str_eq(field, "options");
}
END_TEST

/* gmoe_fit refuses bad options before any work, naming the field. */
START_TEST(test_fit_refuses)
{
    double x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, y[8] = {1, 0, 2, 1, 3, 2, 4, 3};
    gmoe_data data = {.n = 8, .d = 1, .x = x, .y = y};
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 1, 1);
    gmoe_em_options o;
    gmoe_em_options_default(&o);
    o.restarts = 1000001;
    gmoe_err err;
    gmoe_err_clear(&err);
    ck_assert_int_eq(gmoe_fit(&data, m, NULL, &o, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "restarts must be at most 1000000 (got 1000001)"));
    ck_assert_int_eq(m->has_fit, 0);
    gmoe_model_free(m);
}
END_TEST

/* A model of family f (k = 3, d = 1) with one option spoiled. */
typedef struct {
    gmoe_family family;
    const char *field, *message;
    void (*spoil)(gmoe_model *m);
} model_case;

static void top_k_zero(gmoe_model *m) { m->top_k = 0; }
static void top_k_over(gmoe_model *m) { m->top_k = 4; }
static void bad_select(gmoe_model *m) { m->select = (gmoe_select)2; }
static void zero_tau(gmoe_model *m) { m->tau = 0; }
static void nan_tau(gmoe_model *m) { m->tau = NAN; }
static void bad_act(gmoe_model *m) { m->act = (gmoe_activation)GMOE_NACTIVATIONS; }
static void bad_bias(gmoe_model *m) { m->bias = (gmoe_bias_placement)2; }
static void bad_family(gmoe_model *m) { m->family = (gmoe_family)GMOE_NFAMILIES; }

static const model_case model_cases[] = {
    {GMOE_TOPK, "top_k", "must be 1 to k = 3 (got 0)", top_k_zero},
    {GMOE_TOPK, "top_k", "must be 1 to k = 3 (got 4)", top_k_over},
    {GMOE_TOPK, "select", "must be slope or logit (got 2)", bad_select},
    {GMOE_TEMPERATURE, "tau", "must be a finite number > 0 (got 0)", zero_tau},
    {GMOE_ACTIVATION, "tau", "must be a finite number > 0 (got nan)", nan_tau},
    {GMOE_ACTIVATION, "act", "must be tanh, sigmoid, arctan or softsign (got 4)", bad_act},
    {GMOE_ACTIVATION, "bias", "must be outside or inside (got 2)", bad_bias},
    {GMOE_SOFTMAX, "family", "must be softmax, topk, temperature or activation (got 4)",
     bad_family},
};

START_TEST(test_model_options)
{
    gmoe_err err;
    const char *field;
    for (int f = 0; f < GMOE_NFAMILIES; f++) {
        gmoe_model *m = gmoe_model_alloc((gmoe_family)f, 3, 1);
        ck_assert_int_eq(gmoe_model_options_validate(m, &field, &err), GMOE_OK);
        /* an option the family does not read is not its business */
        if (!(gmoe_family_options((gmoe_family)f) & GMOE_FAMILY_OPT_TAU)) {
            m->tau = -1;
            ck_assert_int_eq(gmoe_model_options_validate(m, &field, &err), GMOE_OK);
        }
        gmoe_model_free(m);
    }
    for (size_t i = 0; i < sizeof model_cases / sizeof *model_cases; i++) {
        gmoe_model *m = gmoe_model_alloc(model_cases[i].family, 3, 1);
        model_cases[i].spoil(m);
        field = NULL;
        int want = model_cases[i].spoil == bad_family ? GMOE_ENOTSUP : GMOE_EINVAL;
        ck_assert_int_eq(gmoe_model_options_validate(m, &field, &err), want);
        ck_assert_str_eq(field, model_cases[i].field);
        ck_assert_str_eq(err.msg, model_cases[i].message);
        /* gmoe_model_check: the same refusal, the field's name first */
        char text[GMOE_ERRMSG_LEN + 64];
        snprintf(text, sizeof text, "%s %s", model_cases[i].field, model_cases[i].message);
        ck_assert_int_eq(gmoe_model_check(m, &err), want);
        ck_assert_str_eq(err.msg, text);
        gmoe_model_free(m);
    }
    ck_assert_int_eq(gmoe_model_options_validate(NULL, &field, &err), GMOE_EINVAL);
    ck_assert_str_eq(field, "model");
}
END_TEST

/* k and the bootstrap's options: the interfaces' other ranges. */
START_TEST(test_k_and_bootstrap)
{
    gmoe_err err;
    const char *field = NULL;
    ck_assert_int_eq(gmoe_k_validate(1, &field, &err), GMOE_OK);
    ck_assert_int_eq(gmoe_k_validate(GMOE_K_MAX, &field, &err), GMOE_OK);
    ck_assert_ptr_null(field);
    ck_assert_int_eq(gmoe_k_validate(0, &field, &err), GMOE_EINVAL);
    ck_assert_str_eq(field, "k");
    ck_assert_str_eq(err.msg, "must be 1 to 1000 (got 0)");
    ck_assert_int_eq(gmoe_k_validate(GMOE_K_MAX + 1, NULL, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "must be 1 to 1000 (got 1001)");

    gmoe_bootstrap_options bo = {2, GMOE_BOOT_PARAMETRIC, 1, 4096};
    ck_assert_int_eq(gmoe_bootstrap_options_validate(&bo, &field, &err), GMOE_OK);
    bo.replicates = 1000000;
    ck_assert_int_eq(gmoe_bootstrap_options_validate(&bo, &field, &err), GMOE_OK);
    const struct {
        gmoe_bootstrap_options o;
        const char *field, *message;
    } cases[] = {
        {{1, GMOE_BOOT_NONPARAMETRIC, 1, 0}, "replicates", "must be 2 to 1000000 (got 1)"},
        {{1000001, GMOE_BOOT_NONPARAMETRIC, 1, 0}, "replicates",
         "must be 2 to 1000000 (got 1000001)"},
        {{10, (gmoe_boot_type)7, 1, 0}, "type", "must be nonparametric or parametric (got 7)"},
        {{10, GMOE_BOOT_NONPARAMETRIC, 1, -2}, "nthreads",
         "must be 0 (OpenMP's default) to 4096 (got -2)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        field = NULL;
        ck_assert_int_eq(gmoe_bootstrap_options_validate(&cases[i].o, &field, &err), GMOE_EINVAL);
        ck_assert_str_eq(field, cases[i].field);
        ck_assert_str_eq(err.msg, cases[i].message);
    }
    ck_assert_int_eq(gmoe_bootstrap_options_validate(NULL, &field, &err), GMOE_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("checks");
    tcase_add_test(tc, test_em_options);
    tcase_add_test(tc, test_random_starts);
    tcase_add_test(tc, test_fit_refuses);
    tcase_add_test(tc, test_model_options);
    tcase_add_test(tc, test_k_and_bootstrap);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
