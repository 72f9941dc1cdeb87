/* check_supremum.c -- the ray test of lib/supremum.c (issue 11 item 4) on
 * constructed models and data: a steep gate step between two blocks of
 * rows separated by a gap in x gains by sharpening (a supremum); the same
 * step with rows of the wrong expert inside its transition band loses (an
 * interior maximum, however steep); a gentle gate is not tested; the
 * temperature gate, whose slope is beta1 / tau, the same as softmax; the
 * activation gate, whose ray is tau running to 0.  The model itself is
 * left as it was. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "check_util.h"

#define BLOCK 100 /* rows per block */

/* Expert 1's line y = 2x + 1 on x in [-1, -0.2], expert 2's y = -x - 1
 * on [0.2, 1], a deterministic wiggle of sd about 0.2 for noise; with
 * `stray` the rows at x = -0.02 and 0.02 follow the other side's line. */
static gmoe_data *gap_data(int stray)
{
    gmoe_data *data = check_data_alloc(2 * BLOCK + 2 * (stray != 0), 1);
    size_t n = 0;
    for (size_t j = 0; j < 2 * BLOCK; j++, n++) {
        int left = j < BLOCK;
        double t = (double)(j % BLOCK) / (BLOCK - 1), x = left ? -1 + 0.8 * t : 0.2 + 0.8 * t;
        data->x[n] = x;
        data->y[n] = (left ? 2 * x + 1 : -x - 1) + 0.3 * sin(1.7 * (double)j);
    }
    if (stray) {
        data->x[n] = 0.02; /* the right side, expert 1's line */
        data->y[n++] = 2 * 0.02 + 1;
        data->x[n] = -0.02; /* the left side, expert 2's line */
        data->y[n++] = 0.02 - 1;
    }
    return data;
}

/* Two experts, the lines above; expert 1's logit against the pinned
 * expert 2 is -slope x: the boundary at x = 0. */
static gmoe_model *two_experts(gmoe_family family, double slope)
{
    const double beta0[] = {0, 0}, beta1[] = {-slope, 0}, a[] = {2, -1};
    const double b[] = {1, -1}, sigma2[] = {0.045, 0.045};
    return check_model_with(family, 2, 1, beta0, beta1, a, b, sigma2);
}

/* gmoe_gate_supremum's verdict at m's own log-likelihood; m unchanged. */
static int verdict(const gmoe_model *m, const gmoe_data *data)
{
    double ll = NAN;
    gmoe_err err;
    gmoe_err_clear(&err);
    ck_assert_int_eq(gmoe_loglik(m, data, 1, &ll, &err), GMOE_OK);
    gmoe_model *copy = gmoe_model_clone(m);
    ck_assert_ptr_nonnull(copy);
    int sup = -1;
    ck_assert_int_eq(gmoe_gate_supremum(m, data, ll, 1, &sup), GMOE_OK);
    for (size_t i = 0; i < m->k; i++) {
        ck_assert(m->beta0[i] == copy->beta0[i]);
        ck_assert(m->beta1[i] == copy->beta1[i]);
    }
    double again = NAN;
    ck_assert_int_eq(gmoe_loglik(m, data, 1, &again, &err), GMOE_OK);
    ck_assert(again == ll);
    gmoe_model_free(copy);
    return sup;
}

/* The verdict on the two-expert model of the family, slope and tau, on
 * gap_data(stray). */
static int two_expert_verdict(gmoe_family family, double slope, double tau, int stray)
{
    gmoe_data *data = gap_data(stray);
    gmoe_model *m = two_experts(family, slope);
    m->tau = tau;
    int sup = verdict(m, data);
    gmoe_model_free(m);
    gmoe_data_free(data);
    return sup;
}

/* A gap in x: sharpening the step at x = 0 gains, a supremum (50 * sd(x)
 * = 30 in the logit); with one row of each line on the wrong side inside
 * the transition band sharpening loses there, an interior maximum however
 * steep. */
START_TEST(test_gap_is_supremum)
{
    ck_assert_int_eq(two_expert_verdict(GMOE_SOFTMAX, 50, 1, 0), 1);
    ck_assert_int_eq(two_expert_verdict(GMOE_SOFTMAX, 50, 1, 1), 0);
}
END_TEST

/* A gentle gate (3 in the logit over one sd) is not tested, though
 * sharpening it on the gap data would gain. */
START_TEST(test_gentle_gate_not_tested)
{
    ck_assert_int_eq(two_expert_verdict(GMOE_SOFTMAX, 5, 1, 0), 0);
}
END_TEST

/* Temperature: the slope is beta1 / tau; 5 / 0.1 is the softmax's 50,
 * 5 / 1 gentle. */
START_TEST(test_temperature)
{
    ck_assert_int_eq(two_expert_verdict(GMOE_TEMPERATURE, 5, 0.1, 0), 1);
    ck_assert_int_eq(two_expert_verdict(GMOE_TEMPERATURE, 5, 0.1, 1), 0);
    ck_assert_int_eq(two_expert_verdict(GMOE_TEMPERATURE, 5, 1, 0), 0);
}
END_TEST

/* Activation: tanh(beta1 x) / tau is a step of +-1 / tau; the ray is tau
 * running to 0 with the boundary kept (beta0 scaled with 1 / tau when it
 * is outside the activation): a supremum on the gap data, a maximum with
 * the stray rows, and a gentle gate (tanh(0.5 x) over tau 1) not tested. */
START_TEST(test_activation)
{
    for (int inside = 0; inside < 2; inside++) {
        gmoe_data *gap = gap_data(0), *stray = gap_data(1);
        gmoe_model *m = two_experts(GMOE_ACTIVATION, 50);
        m->bias = inside ? GMOE_BIAS_INSIDE : GMOE_BIAS_OUTSIDE;
        m->beta0[0] = 0.5; /* the boundary off x = 0 where the bias counts */
        m->tau = 0.05;
        ck_assert_int_eq(verdict(m, gap), 1);
        ck_assert_int_eq(verdict(m, stray), 0);
        m->tau = 1;
        m->beta1[0] = -0.5;
        ck_assert_int_eq(verdict(m, gap), 0);
        gmoe_model_free(m);
        gmoe_data_free(gap);
        gmoe_data_free(stray);
    }
}
END_TEST

/* Three blocks, three experts, steps at x = -0.3 and 0.3 (expert 3
 * pinned); the lines y = 2x + 1, -1 and 1.5 - x are 1.4 and 2.2 apart
 * at the steps (a row near a step is explained by one line only).  stray: bit 1 a row of expert 1's line inside the first step's
 * band (x = -0.28, expert 2's side), bit 2 one of expert 3's inside the
 * second's (x = 0.28). */
static gmoe_data *three_blocks(int stray)
{
    size_t extra = (stray & 1) + (stray >> 1 & 1);
    gmoe_data *data = check_data_alloc(3 * BLOCK + extra, 1);
    const double lo[] = {-1, -0.2, 0.4}, a[] = {2, 0, -1}, b[] = {1, -1, 1.5};
    size_t n = 0;
    for (size_t j = 0; j < 3 * BLOCK; j++, n++) {
        size_t e = j / BLOCK;
        double x = lo[e] + 0.4 * (double)(j % BLOCK) / (BLOCK - 1);
        data->x[n] = x;
        data->y[n] = a[e] * x + b[e] + 0.3 * sin(1.7 * (double)j);
    }
    if (stray & 1) {
        data->x[n] = -0.28;
        data->y[n++] = 2 * -0.28 + 1;
    }
    if (stray & 2) {
        data->x[n] = 0.28;
        data->y[n++] = -0.28 + 1.5;
    }
    return data;
}

/* Both steps clean: a supremum.  A stray row in the first step's band
 * only: the second step (of the pinned expert 3, sharpened by moving
 * experts 1 and 2 together) still gains.  In both bands: a maximum. */
START_TEST(test_three_experts)
{
    const double s = 50, beta0[] = {0, 0.3 * s, 0}, beta1[] = {-2 * s, -s, 0}, a[] = {2, 0, -1};
    const double b[] = {1, -1, 1.5}, sigma2[] = {0.045, 0.045, 0.045};
    gmoe_model *m = check_model_with(GMOE_SOFTMAX, 3, 1, beta0, beta1, a, b, sigma2);
    for (int stray = 0; stray < 4; stray++) {
        gmoe_data *data = three_blocks(stray);
        ck_assert_msg(verdict(m, data) == (stray != 3), "stray %d", stray);
        gmoe_data_free(data);
    }
    gmoe_model_free(m);
}
END_TEST

static Suite *supremum_suite(void)
{
    Suite *s = suite_create("supremum");
    TCase *tc = tcase_create("ray");
    tcase_add_test(tc, test_gap_is_supremum);
    tcase_add_test(tc, test_gentle_gate_not_tested);
    tcase_add_test(tc, test_temperature);
    tcase_add_test(tc, test_activation);
    tcase_add_test(tc, test_three_experts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    return check_run_suite(supremum_suite());
}
