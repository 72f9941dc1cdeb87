/* check_gating.c -- the gating families' table entries: hand-computed
 * gates, analytic gradients and Hessians of the gate M-step objective
 * against finite differences for every family and option combination,
 * pack/unpack round trips, the top-K infeasibility rule and the checks. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "gating.h"
#include "gmoe.h"
#include "internal.h"
#include "check_util.h"
#include "check_configs.h"

/* A k = 3, d = 2 model of the configuration with random gate parameters. */
static gmoe_model *random_model(const config *c, gsl_rng *rng)
{
    gmoe_model *m = config_model(c, 3, 2);
    for (size_t i = 0; i < 3; i++) {
        m->beta0[i] = gsl_ran_gaussian(rng, 1.0);
        for (size_t j = 0; j < 2; j++)
            m->beta1[i * 2 + j] = gsl_ran_gaussian(rng, 1.5);
    }
    const gmoe_gating *g = gmoe_gating_get(c->family);
    double theta[16];
    g->pack(m, theta);
    g->unpack(m, theta); /* applies the pinning */
    return m;
}

static double objective_at(gmoe_model *m, const double *theta, const double *x, const double *r,
                           double *grad, double *hess, double *work)
{
    const gmoe_gating *g = gmoe_gating_get(m->family);
    g->unpack(m, theta);
    return g->row_objective(m, x, r, grad, hess, work);
}

/* Same selected set (finite gates) at two parameter points. */
static int same_support(const gmoe_model *m, const double *x, const double *logg0)
{
    double lg[3];
    gmoe_log_gate(m, x, lg);
    for (size_t i = 0; i < 3; i++)
        if ((lg[i] > -INFINITY) != (logg0[i] > -INFINITY))
            return 0;
    return 1;
}

/* Central differences with h = 1e-5: truncation error h^2 f'''/6 ~ 1e-10
 * and rounding eps |f| / h ~ 1e-11 for these O(1) objectives, so the
 * analytic derivatives must agree to 1e-6 (absolute plus relative). */
START_TEST(test_derivatives_fd)
{
    const config *c = &configs[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 100 + (unsigned long)_i);
    size_t tested = 0;
    for (int rep = 0; rep < 20; rep++) {
        gmoe_model *m = random_model(c, rng);
        const gmoe_gating *g = gmoe_gating_get(m->family);
        size_t np = g->npar(m);
        ck_assert_uint_le(np, 16);
        double *work = malloc(g->work_size(m) * sizeof(double));
        double x[2] = {gsl_ran_gaussian(rng, 1.0), gsl_ran_gaussian(rng, 1.0)};
        double logg[3], r[3], theta[16], grad[16] = {0}, hess[256] = {0};
        gmoe_log_gate(m, x, logg);
        /* responsibilities: positive exactly where the gate is */
        for (size_t i = 0; i < 3; i++)
            r[i] = logg[i] > -INFINITY ? 0.05 + gsl_rng_uniform(rng) : 0.0;
        g->pack(m, theta);
        double q = objective_at(m, theta, x, r, grad, hess, work);
        ck_assert(isfinite(q));
        int ok = 1;
        double fd_grad[16], fd_hess[256];
        for (size_t u = 0; u < np && ok; u++) {
            double h = 1e-5, tp[16], tm[16], gp[16] = {0}, gm[16] = {0};
            memcpy(tp, theta, sizeof tp);
            memcpy(tm, theta, sizeof tm);
            tp[u] += h;
            tm[u] -= h;
            double qp = objective_at(m, tp, x, r, gp, NULL, work);
            ok = ok && same_support(m, x, logg);
            double qm = objective_at(m, tm, x, r, gm, NULL, work);
            ok = ok && same_support(m, x, logg);
            fd_grad[u] = (qp - qm) / (2 * h);
            for (size_t v = 0; v < np; v++)
                fd_hess[v * np + u] = (gp[v] - gm[v]) / (2 * h);
        }
        if (ok) { /* a step crossed a top-K selection boundary: skip the point */
            tested++;
            for (size_t u = 0; u < np; u++) {
                ck_assert_msg(fabs(grad[u] - fd_grad[u]) <= 1e-6 * (1 + fabs(fd_grad[u])),
                              "config %d grad[%zu]: %.10g vs fd %.10g", _i, u, grad[u], fd_grad[u]);
                for (size_t v = u; v < np; v++) /* the upper triangle (gating.h) */
                    ck_assert_msg(fabs(hess[u * np + v] - fd_hess[u * np + v]) <=
                                      1e-6 * (1 + fabs(fd_hess[u * np + v])),
                                  "config %d hess[%zu,%zu]: %.10g vs fd %.10g", _i, u, v,
                                  hess[u * np + v], fd_hess[u * np + v]);
            }
        }
        /* the objective is sum_i r_i log g_i as the gate reports it */
        double qq = 0.0;
        for (size_t i = 0; i < 3; i++)
            if (r[i] > 0)
                qq += r[i] * logg[i];
        g->unpack(m, theta);
        ck_assert_double_eq_tol(q, qq, 1e-12 * (1 + fabs(qq)));
        free(work);
        gmoe_model_free(m);
    }
    /* boundaries are crossed rarely: most points are tested */
    ck_assert_uint_ge(tested, 15);
    gsl_rng_free(rng);
}
END_TEST

/* pack then unpack is the identity on a valid model, and npar counts. */
START_TEST(test_pack_round_trip)
{
    const config *c = &configs[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    gmoe_model *m = random_model(c, rng), *back = random_model(c, rng);
    const gmoe_gating *g = gmoe_gating_get(m->family);
    double theta[16];
    g->pack(m, theta);
    g->unpack(back, theta);
    back->tau = c->tau_estimated ? back->tau : m->tau;
    for (size_t u = 0; u < 3; u++)
        ck_assert_double_eq_tol(back->beta0[u], m->beta0[u], 1e-14);
    for (size_t u = 0; u < 6; u++)
        ck_assert_double_eq_tol(back->beta1[u], m->beta1[u], 1e-14);
    ck_assert_double_eq_tol(back->tau, m->tau, 1e-14);
    /* k = 3, d = 2: softmax layout 2 * 3; activation 2 * 3 + 2 (+ log tau) */
    size_t expect = c->family == GMOE_ACTIVATION ? 8 + (size_t)c->tau_estimated : 6;
    ck_assert_uint_eq(g->npar(m), expect);
    ck_assert_uint_eq(gmoe_model_npar(m), m->k * (m->d + 2) + expect); /* AIC/BIC */
    ck_assert_int_eq(gmoe_model_check(m, NULL), GMOE_OK);
    gmoe_model_free(m);
    gmoe_model_free(back);
    gsl_rng_free(rng);
}
END_TEST

/* Known gates, computed independently in python3 (math.exp) from the
 * formulas of MODELS.md section 1; 1e-15 absolute is rounding. */
START_TEST(test_gates_by_hand)
{
    double lg[3];
    /* topk, k = 3, d = 1, beta0 = (0.5, -1, 0), beta1 = (2, -1, 0), x = 0.4 */
    gmoe_model *m = gmoe_model_alloc(GMOE_TOPK, 3, 1);
    m->beta0[0] = 0.5; m->beta1[0] = 2;
    m->beta0[1] = -1;  m->beta1[1] = -1;
    m->top_k = 2;
    double x = 0.4;
    /* slope scores (0.8, -0.4, 0): keep 1 and 3; g1 = e^1.3 / (e^1.3 + 1) */
    gmoe_log_gate(m, &x, lg);
    ck_assert_double_eq_tol(exp(lg[0]), 0.7858349830425586, 1e-15);
    ck_assert(lg[1] == -INFINITY);
    ck_assert_double_eq_tol(exp(lg[2]), 0.2141650169574414, 1e-15);
    /* logit scores (1.3, -1.4, 0): the same set */
    m->select = GMOE_SELECT_LOGIT;
    x = -0.3;
    /* logits (-0.1, -0.7, 0): keep 1 and 3 (logit rule); slope scores
     * (-0.6, 0.3, 0) keep 2 and 3 */
    gmoe_log_gate(m, &x, lg);
    ck_assert_double_eq_tol(exp(lg[0]), 0.47502081252106, 1e-15);
    ck_assert(lg[1] == -INFINITY);
    m->select = GMOE_SELECT_SLOPE;
    gmoe_log_gate(m, &x, lg);
    ck_assert(lg[0] == -INFINITY);
    ck_assert_double_eq_tol(exp(lg[1]), 0.33181222783183395, 1e-15);
    /* ties go to the lower index: x = 0 gives slope scores (0, 0, 0) */
    x = 0;
    gmoe_log_gate(m, &x, lg);
    ck_assert(lg[0] > -INFINITY && lg[1] > -INFINITY && lg[2] == -INFINITY);
    ck_assert_double_eq_tol(exp(lg[0]), 0.8175744761936437, 1e-15);
    m->top_k = 1;
    gmoe_log_gate(m, &x, lg);
    ck_assert(lg[0] == 0.0 && lg[1] == -INFINITY && lg[2] == -INFINITY);
    gmoe_model_free(m);

    /* temperature, k = 2, d = 1, beta = (-8, 25), tau = 2, x = 0.3:
     * l_1 / tau = -0.25, g1 = 1 / (1 + e^0.25) */
    m = gmoe_model_alloc(GMOE_TEMPERATURE, 2, 1);
    m->beta0[0] = -8; m->beta1[0] = 25; m->tau = 2;
    x = 0.3;
    gmoe_log_gate(m, &x, lg);
    ck_assert_double_eq_tol(exp(lg[0]), 0.43782349911420193, 1e-15);
    gmoe_model_free(m);

    /* activation, k = 2, d = 1, beta0 = (0.5, 0), beta1 = (3, -1),
     * tau = 0.8, x = 0.2 */
    m = gmoe_model_alloc(GMOE_ACTIVATION, 2, 1);
    m->beta0[0] = 0.5; m->beta1[0] = 3; m->beta1[1] = -1; m->tau = 0.8;
    x = 0.2;
    const double outside[4] = {0.8050295708483424, 0.6779491601800938,
                               0.8056938502313058, 0.7644229741374213};
    const double inside[4] = {0.8239049273365615, 0.7046131091672105,
                              0.8245189152253222, 0.7861853958371384};
    for (int a = 0; a < GMOE_NACTIVATIONS; a++) {
        m->act = (gmoe_activation)a;
        m->bias = GMOE_BIAS_OUTSIDE;
        gmoe_log_gate(m, &x, lg);
        ck_assert_msg(fabs(exp(lg[0]) - outside[a]) < 1e-15, "act %d outside: %.17g", a, exp(lg[0]));
        m->bias = GMOE_BIAS_INSIDE;
        gmoe_log_gate(m, &x, lg);
        ck_assert_msg(fabs(exp(lg[0]) - inside[a]) < 1e-15, "act %d inside: %.17g", a, exp(lg[0]));
    }
    gmoe_model_free(m);
}
END_TEST

/* Top-K: a row with positive responsibility for an expert outside the
 * selected set has objective -INFINITY (the M-step rejects such steps). */
START_TEST(test_topk_infeasible)
{
    gmoe_model *m = gmoe_model_alloc(GMOE_TOPK, 3, 1);
    m->beta0[0] = 0.5; m->beta1[0] = 2;
    m->beta0[1] = -1;  m->beta1[1] = -1;
    m->top_k = 2;
    const gmoe_gating *g = gmoe_gating_get(GMOE_TOPK);
    double x = 0.4, work[6], grad[6] = {0};
    double r_ok[3] = {0.3, 0.0, 0.7}, r_bad[3] = {0.3, 1e-300, 0.7};
    ck_assert(isfinite(g->row_objective(m, &x, r_ok, grad, NULL, work)));
    ck_assert(g->row_objective(m, &x, r_bad, NULL, NULL, work) == -INFINITY);
    ck_assert(g->row_objective(m, &x, r_bad, grad, NULL, work) == -INFINITY);
    gmoe_model_free(m);
}
END_TEST

/* A split (gating.h) keeps the likelihood: expert j of a k = 2 fit made
 * two halves in a k = 3 model, for each j, softmax and temperature
 * (tau = 0.5: the halves' bias moves by tau log 2). */
START_TEST(test_split_keeps_likelihood)
{
    gmoe_model *truth = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    truth->beta0[0] = -8, truth->beta1[0] = 25, truth->b[0] = 15, truth->a[0] = -20, truth->sigma2[0] = 0.09;
    truth->b[1] = -5, truth->a[1] = 20, truth->sigma2[1] = 0.16;
    gmoe_data *data = check_simulate(truth, 500, GMOE_DESIGN_UNIFORM, NULL, NULL, 3);
    gmoe_family fams[2] = {GMOE_SOFTMAX, GMOE_TEMPERATURE};
    for (int f = 0; f < 2; f++)
        for (size_t j = 0; j < 2; j++) {
            gmoe_model *src = gmoe_model_clone(truth), *dst = gmoe_model_alloc(fams[f], 3, 1);
            src->family = fams[f];
            src->tau = f ? 0.5 : 1.0;
            gmoe_model_copy_options(dst, src);
            gmoe_gating_get(fams[f])->split(dst, src, j);
            ck_assert_int_eq(gmoe_model_check(dst, NULL), GMOE_OK);
            double l2, l3;
            ck_assert_int_eq(gmoe_loglik(src, data, 1, &l2, NULL), GMOE_OK);
            ck_assert_int_eq(gmoe_loglik(dst, data, 1, &l3, NULL), GMOE_OK);
            ck_assert_double_eq_tol(l3, l2, 1e-10 * fabs(l2));
            ck_assert_double_eq(dst->b[2], src->b[j]);
            gmoe_model_free(src), gmoe_model_free(dst);
        }
    ck_assert_ptr_null(gmoe_gating_get(GMOE_TOPK)->split);
    ck_assert_ptr_null(gmoe_gating_get(GMOE_ACTIVATION)->split);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* The family checks refuse bad options with a message. */
/* The family table describes itself: each entry carries its own enum
 * value, the options it reads and whether it pins the last slopes, as
 * gmoe-models(7) says, and the name and option queries agree with it. */
static void check_family_table(void)
{
    static const struct {
        gmoe_family f;
        const char *name;
        unsigned options;
        int pins_slopes;
        unsigned properties;
    } want[GMOE_NFAMILIES] = {
        {GMOE_SOFTMAX, "softmax", 0, 1, GMOE_FAMILY_SPLITS},
        {GMOE_TOPK, "topk", GMOE_FAMILY_OPT_TOP_K | GMOE_FAMILY_OPT_SELECT, 1, GMOE_FAMILY_SELECTS},
        {GMOE_TEMPERATURE, "temperature", GMOE_FAMILY_OPT_TAU, 1, GMOE_FAMILY_SCALE_FREE | GMOE_FAMILY_SPLITS},
        {GMOE_ACTIVATION, "activation", GMOE_FAMILY_OPT_TAU | GMOE_FAMILY_OPT_ACTIVATION | GMOE_FAMILY_OPT_BIAS, 0, 0},
    };
    for (int i = 0; i < GMOE_NFAMILIES; i++) {
        const gmoe_gating *g = gmoe_gating_get(want[i].f);
        ck_assert_int_eq(g->family, want[i].f);
        ck_assert_str_eq(g->name, want[i].name);
        ck_assert_str_eq(gmoe_family_name(want[i].f), want[i].name);
        ck_assert_int_eq(gmoe_family_from_name(want[i].name), want[i].f);
        ck_assert_uint_eq(gmoe_family_options(want[i].f), want[i].options);
        ck_assert_int_eq(gmoe_family_pins_slopes(want[i].f), want[i].pins_slopes);
        ck_assert_uint_eq(gmoe_family_properties(want[i].f), want[i].properties);
    }
    ck_assert_uint_eq(gmoe_family_properties((gmoe_family)9), 0);
    /* one expert per row: a selecting family with top_k = 1 < k only */
    gmoe_model *m = gmoe_model_alloc(GMOE_TOPK, 3, 1);
    ck_assert(!gmoe_model_gate_selects_one(m) && !gmoe_model_gate_selects_one(NULL));
    m->top_k = 1;
    ck_assert(gmoe_model_gate_selects_one(m));
    m->family = GMOE_SOFTMAX;
    ck_assert(!gmoe_model_gate_selects_one(m));
    gmoe_model_free(m);
    m = gmoe_model_alloc(GMOE_TOPK, 1, 1);
    m->top_k = 1;
    ck_assert(!gmoe_model_gate_selects_one(m));
    gmoe_model_free(m);
    ck_assert_int_eq(gmoe_family_from_name("topk-pattern"), -1);
    ck_assert_int_eq(gmoe_family_from_name(NULL), -1);
    ck_assert_uint_eq(gmoe_family_options((gmoe_family)9), 0);
    ck_assert_int_eq(gmoe_family_pins_slopes((gmoe_family)9), 0);
    ck_assert_str_eq(gmoe_family_name((gmoe_family)9), "unknown");
    ck_assert_ptr_null(gmoe_gating_get((gmoe_family)-1));
    /* lists: all, by option, quoted, and cut short like snprintf */
    char buf[64];
    ck_assert_uint_eq(gmoe_family_list(0, "", ", ", " or ", buf, sizeof buf), 40);
    ck_assert_str_eq(buf, "softmax, topk, temperature or activation");
    gmoe_family_list(GMOE_FAMILY_OPT_TAU, "\"", ", ", " and ", buf, sizeof buf);
    ck_assert_str_eq(buf, "\"temperature\" and \"activation\"");
    gmoe_family_list(GMOE_FAMILY_OPT_TOP_K | GMOE_FAMILY_OPT_SELECT, "", ", ", " or ", buf, sizeof buf);
    ck_assert_str_eq(buf, "topk");
    ck_assert_uint_eq(gmoe_family_list(GMOE_FAMILY_OPT_TAU | GMOE_FAMILY_OPT_TOP_K, "", ", ", " or ", buf, 8), 0);
    ck_assert_str_eq(buf, "");
    ck_assert_uint_eq(gmoe_family_list(0, "", ",", ",", buf, 8), 35);
    ck_assert_str_eq(buf, "softmax");
    ck_assert_uint_eq(gmoe_family_list(0, "", ",", ",", NULL, 0), 35);
}

START_TEST(test_checks)
{
    gmoe_err err;
    gmoe_model *m = gmoe_model_alloc(GMOE_TOPK, 3, 1);
    m->top_k = 4;
    ck_assert_int_eq(gmoe_model_check(m, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "top_k"));
    m->top_k = 0;
    ck_assert_int_eq(gmoe_model_check(m, &err), GMOE_EINVAL);
    m->top_k = 2;
    m->beta1[2] = 1;
    ck_assert_int_eq(gmoe_model_check(m, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "pinned"));
    gmoe_model_free(m);
    m = gmoe_model_alloc(GMOE_TEMPERATURE, 2, 1);
    m->tau = 0;
    ck_assert_int_eq(gmoe_model_check(m, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "tau"));
    gmoe_model_free(m);
    m = gmoe_model_alloc(GMOE_ACTIVATION, 2, 1);
    m->beta1[1] = 3; /* legal: only beta0 is pinned */
    ck_assert_int_eq(gmoe_model_check(m, NULL), GMOE_OK);
    m->beta0[1] = 1;
    ck_assert_int_eq(gmoe_model_check(m, &err), GMOE_EINVAL);
    m->beta0[1] = 0;
    m->tau = -1;
    ck_assert_int_eq(gmoe_model_check(m, &err), GMOE_EINVAL);
    m->tau = 1;
    m->act = (gmoe_activation)9;
    ck_assert_int_eq(gmoe_model_check(m, &err), GMOE_EINVAL);
    gmoe_model_free(m);
    /* the public queries read the table (an unknown family has no tau) */
    ck_assert(!gmoe_family_has_tau(GMOE_SOFTMAX) && !gmoe_family_has_tau(GMOE_TOPK));
    ck_assert(gmoe_family_has_tau(GMOE_TEMPERATURE) && gmoe_family_has_tau(GMOE_ACTIVATION));
    ck_assert(!gmoe_family_has_tau((gmoe_family)9));
    check_family_table();
    /* gmoe_model_copy_options: the five options, not the family or parameters */
    gmoe_model *src = gmoe_model_alloc(GMOE_ACTIVATION, 3, 1), *dst = gmoe_model_alloc(GMOE_TOPK, 3, 1);
    src->tau = 0.25;
    src->top_k = 2;
    src->select = GMOE_SELECT_LOGIT;
    src->act = GMOE_ACT_SOFTSIGN;
    src->bias = GMOE_BIAS_INSIDE;
    src->b[0] = 7;
    gmoe_model_copy_options(dst, src);
    ck_assert(dst->tau == 0.25 && dst->top_k == 2 && dst->select == GMOE_SELECT_LOGIT &&
              dst->act == GMOE_ACT_SOFTSIGN && dst->bias == GMOE_BIAS_INSIDE);
    ck_assert(dst->family == GMOE_TOPK && dst->b[0] == 0);
    gmoe_model_free(src);
    gmoe_model_free(dst);
    m = gmoe_model_alloc(GMOE_TOPK, 3, 1);
    m->top_k = 2;
    ck_assert_ptr_eq(gmoe_gating_get(GMOE_TOPK)->init_surrogate(m), &gmoe_gating_softmax);
    ck_assert_ptr_nonnull(gmoe_gating_get(GMOE_TOPK)->pattern_surrogate(m));
    m->top_k = 3; /* dense: no surrogate */
    ck_assert_ptr_null(gmoe_gating_get(GMOE_TOPK)->init_surrogate(m));
    ck_assert_ptr_null(gmoe_gating_get(GMOE_TOPK)->pattern_surrogate(m));
    gmoe_model_free(m);
}
END_TEST

/* The batched log-sum-exp against the row function: vector exp and log
 * are within a few ulp, so 1e-14 relative (lse near 10 at most here)
 * and 1e-15 absolute on weights in [0, 1] leave room for 40 ulp.  A zero
 * gate (-inf) must give a weight of exactly 0, a row with no finite
 * entry a NaN weight and its maximum as lse, a NaN entry a NaN. */
START_TEST(test_block_lse)
{
    /* k = 2 has its own code (one exp per row), k = 3 a copy with k
     * known, k = 5 the general one */
    const size_t Ks[3] = {2, 3, 5};
    const size_t K = Ks[_i];
    enum { KMAX = 5, ROWS = 37 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    double v[ROWS * KMAX], w[ROWS * KMAX], lse[ROWS], buf[ROWS * (KMAX + 1)];
    for (size_t j = 0; j < ROWS * K; j++)
        v[j] = 20 * (gsl_rng_uniform(rng) - 0.5);
    v[1] = -INFINITY;                                      /* a zero gate */
    for (size_t i = 0; i < K; i++)
        v[2 * K + i] = -INFINITY;                          /* no finite entry */
    v[3 * K + 1] = -800;                                   /* exp underflows */
    v[4 * K + K - 1] = NAN;
    v[5 * K] = v[5 * K + K - 1];                           /* a tie for the max */
    v[6 * K] = NAN;                                        /* NaN first */
    v[7 * K + K - 1] = INFINITY;
    gmoe_block_lse_weights(ROWS, K, v, K, w, K, lse, buf);
    for (size_t r = 0; r < ROWS; r++) {
        double wr[KMAX];
        double l = gmoe_lse_value(gmoe_logsumexp_weights(v + r * K, K, wr));
        if (r == 4 || r == 6) {
            ck_assert(isnan(lse[r]) && isnan(w[r * K]) && isnan(w[r * K + K - 1]));
            continue;
        }
        if (r == 2 || r == 7) {
            ck_assert(lse[r] == l && (r == 2 ? l == -INFINITY : l == INFINITY));
            ck_assert(isnan(w[r * K]) && isnan(w[r * K + K - 1]));
            continue;
        }
        ck_assert_msg(fabs(lse[r] - l) <= 1e-14 * fabs(l), "row %zu: %.17g vs %.17g", r, lse[r], l);
        for (size_t i = 0; i < K; i++)
            ck_assert_msg(fabs(w[r * K + i] - wr[i]) <= 1e-15, "row %zu weight %zu", r, i);
    }
    ck_assert(w[1] == 0.0);
    ck_assert(w[3 * K + 1] == 0.0);
    /* in place (the E-step normalizes resp where its terms are) */
    double u[ROWS * KMAX];
    memcpy(u, v, ROWS * K * sizeof(double));
    gmoe_block_lse_weights(ROWS, K, u, K, u, K, lse, buf);
    for (size_t j = 0; j < ROWS * K; j++)
        ck_assert(memcmp(&u[j], &w[j], sizeof(double)) == 0);
    gsl_rng_free(rng);
}
END_TEST

/* gmoe_block_lse_cols at k = 3 (its general path) against the row
 * function, with the maximum in each column and tied in each pair
 * and all three, a zero gate, an underflow, rows without a finite
 * maximum and NaN entries: weights to 1e-15, lse to 1e-14 relative (as
 * test_block_lse), the parts of each finite row (buf) its maximum and
 * lse - maximum, exact zeros and NaNs where the row function has them,
 * and in place (e = t, the E-step's call) the same bits. */
START_TEST(test_block_lse_cols3)
{
    enum { K = 3, ROWS = 13, LD = 16 };
    static const double rows[ROWS][K] = {
        {2, -1, 0.5}, {-1, 2, 0.5}, {0.5, -1, 2},      /* the maximum in column 0, 1, 2 */
        {2, 2, -3},   {2, -3, 2},   {-3, 2, 2},        /* ties */
        {1, 1, 1},    {0, -INFINITY, -1}, {0, -800, 1}, /* zero gate, underflow */
        {-INFINITY, -INFINITY, -INFINITY}, {0, INFINITY, 1}, {NAN, 1, 0}, {1e17, 1e17, 0}};
    double t[K * LD], e[K * LD], w[K * LD], u[K * LD], lse[ROWS], lse2[ROWS];
    double buf[2 * ROWS], buf2[2 * ROWS];
    for (size_t r = 0; r < ROWS; r++)
        for (size_t i = 0; i < K; i++)
            t[i * LD + r] = rows[r][i];
    memcpy(u, t, sizeof t);
    gmoe_block_lse_cols(ROWS, K, t, LD, e, w, LD, 1, lse, buf);
    gmoe_block_lse_cols(ROWS, K, u, LD, u, u, LD, 1, lse2, buf2);
    for (size_t r = 0; r < ROWS; r++) {
        double wr[K];
        gmoe_lse_parts p = gmoe_logsumexp_weights(rows[r], K, wr);
        double l = gmoe_lse_value(p);
        ck_assert(memcmp(&lse[r], &lse2[r], sizeof(double)) == 0);
        for (size_t i = 0; i < K; i++) {
            ck_assert(memcmp(&w[i * LD + r], &u[i * LD + r], sizeof(double)) == 0);
            if (isnan(wr[i]) || wr[i] == 0.0)
                ck_assert_msg(isnan(wr[i]) ? isnan(w[i * LD + r]) : w[i * LD + r] == 0.0,
                              "row %zu weight %zu: %g", r, i, w[i * LD + r]);
            else
                ck_assert_msg(fabs(w[i * LD + r] - wr[i]) <= 1e-15, "row %zu weight %zu", r, i);
        }
        if (!isfinite(l)) {
            ck_assert(isnan(l) ? isnan(lse[r]) : lse[r] == l);
            continue;
        }
        ck_assert_msg(fabs(lse[r] - l) <= 1e-14 * fabs(l), "row %zu: %.17g vs %.17g", r, lse[r], l);
        gmoe_lse_parts b = gmoe_block_lse_part(buf, ROWS, r);
        ck_assert(b.max == p.max && fabs(b.logsum - p.logsum) <= 1e-14);
    }
    ck_assert(w[1 * LD + 3] == w[0 * LD + 3] && w[0 * LD + 6] == w[2 * LD + 6]); /* ties */
    ck_assert(gmoe_lse_sub(rows[12][0], gmoe_block_lse_part(buf, ROWS, 12)) < -0.69); /* log 1/2 */
}
END_TEST

/* A family's block functions (or top-K's pattern objective's) against
 * its row functions over 300 rows (x ~ N(0, 2^2), so activations reach
 * their saturated range), where it has them: the vector tanh, atan, exp and log are within a few ulp of
 * the scalar ones, so Q, its gradient and Hessian (sums of 300 O(1)
 * terms) agree to 1e-11 relative to their size, and the logits, whose
 * softmax is the gate, to 1e-13 after removing each row's mean (a
 * common shift changes no gate). */
START_TEST(test_block_functions)
{
    const config *c = &configs[_i];
    enum { N = 300, K = 3, D = 2 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 400 + (unsigned long)_i);
    gmoe_model *m = random_model(c, rng);
    const gmoe_gating *g = gmoe_gating_get(c->family);
    if (g->pattern_surrogate && g->pattern_surrogate(m))
        g = g->pattern_surrogate(m); /* top-K: its M-step's pattern objective */
    if (!g->block_objective) {
        gmoe_model_free(m);
        gsl_rng_free(rng);
        return;
    }
    size_t np = g->npar(m);
    double x[N * D], r[N * K];
    for (size_t j = 0; j < N * D; j++)
        x[j] = gsl_ran_gaussian(rng, 2.0);
    /* responsibilities, one in four zero (never a whole row): the pattern
     * objective leaves those experts out */
    for (size_t t = 0; t < N; t++) {
        double s = 0.0;
        for (size_t i = 0; i < K; i++)
            s += r[t * K + i] = i > 0 && gsl_rng_uniform(rng) < 0.25 ? 0.0 : 0.05 + gsl_rng_uniform(rng);
        for (size_t i = 0; i < K; i++)
            r[t * K + i] /= s;
    }
    double *work = malloc(g->work_size(m) * sizeof(double));
    double *bwork = malloc(g->block_work_size(m) * sizeof(double));
    double grad[16] = {0}, hess[256] = {0}, bgrad[16] = {0}, bhess[256] = {0}, q = 0.0;
    for (size_t t = 0; t < N; t++)
        q += g->row_objective(m, x + t * D, r + t * K, grad, hess, work);
    double bq = g->block_objective(m, x, N, r, bgrad, bhess, bwork);
    ck_assert_msg(fabs(bq - q) <= 1e-11 * fabs(q), "config %d: Q %.17g vs %.17g", _i, bq, q);
    double gscale = 0.0, hscale = 0.0;
    for (size_t u = 0; u < np; u++)
        gscale = fmax(gscale, fabs(grad[u]));
    for (size_t u = 0; u < np * np; u++)
        hscale = fmax(hscale, fabs(hess[u]));
    for (size_t u = 0; u < np; u++) {
        ck_assert_msg(fabs(bgrad[u] - grad[u]) <= 1e-11 * gscale, "config %d grad[%zu]", _i, u);
        for (size_t v = u; v < np; v++) /* the upper triangle (gating.h) */
            ck_assert_msg(fabs(bhess[u * np + v] - hess[u * np + v]) <= 1e-11 * hscale,
                          "config %d hess[%zu,%zu]", _i, u, v);
    }
    double l[N * K], lrow[K];
    if (g->block_logits)
        g->block_logits(m, x, N, l, K, bwork);
    for (size_t t = 0; g->block_logits && t < N; t++) {
        g->log_gate(m, x + t * D, lrow);
        double mb = (l[t * K] + l[t * K + 1] + l[t * K + 2]) / 3;
        double mr = (lrow[0] + lrow[1] + lrow[2]) / 3;
        for (size_t i = 0; i < K; i++)
            ck_assert_msg(fabs((l[t * K + i] - mb) - (lrow[i] - mr)) <= 1e-13 * (1 + fabs(lrow[i] - mr)),
                          "config %d row %zu logit %zu", _i, t, i);
    }
    free(work);
    free(bwork);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* Block cross products (block_gram.c) against a plain double loop: p =
 * 1..9 columns (the tiles, their remainders and a lone last row), 37 rows
 * (not a multiple of the lanes), upper triangle and full square (exactly
 * symmetric), the dots; what is outside the triangle untouched.  Every
 * kernel this processor runs (gmoe_gram_use), each p in turn; the
 * AVX-512 and AVX2 ones to the same bits. */
static const char *const gram_kernels[] = {"avx512", "avx2", "default"};
enum { GRAM_KERNELS = 3, GRAM_PMAX = 9 };

START_TEST(test_block_gram)
{
    enum { ROWS = 37, PMAX = GRAM_PMAX, LD = 40 };
    const size_t p = (size_t)_i % PMAX + 1;
    const char *kernel = gram_kernels[_i / PMAX];
    if (gmoe_gram_use(kernel) != 0) {
        ck_assert_str_ne(kernel, "default"); /* the default kernel runs anywhere */
        return;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11 + p);
    double x[ROWS * PMAX], w[LD] = {0}, z[PMAX * LD];
    ck_assert_uint_eq(gmoe_gram_ld(ROWS), LD);
    for (size_t j = 0; j < ROWS * p; j++)
        x[j] = 4 * gsl_rng_uniform(rng) - 1;
    for (size_t r = 0; r < ROWS; r++)
        w[r] = gsl_rng_uniform(rng) - 0.3;
    gmoe_gram_transpose(x, ROWS, p, z);
    for (int upper = 0; upper < 2; upper++) {
        double h[PMAX * PMAX], g[PMAX] = {0};
        for (size_t u = 0; u < p * p; u++)
            h[u] = 7.0;
        gmoe_gram_add(p, ROWS, w, z, h, p, upper);
        gmoe_gram_dots(p, ROWS, w, z, g);
        for (size_t u = 0; u < p; u++) {
            double gu = 0.0;
            for (size_t r = 0; r < ROWS; r++)
                gu += w[r] * x[r * p + u];
            ck_assert_double_eq_tol(g[u], gu, 1e-13);
            for (size_t v = 0; v < p; v++) {
                double huv = 7.0;
                for (size_t r = 0; r < ROWS; r++)
                    huv += w[r] * x[r * p + u] * x[r * p + v];
                if (upper && v < u)
                    ck_assert(h[u * p + v] == 7.0);
                else
                    ck_assert_msg(fabs(h[u * p + v] - huv) <= 1e-12, "p %zu (%zu, %zu)", p, u, v);
                if (!upper)
                    ck_assert(h[u * p + v] == h[v * p + u]);
            }
        }
        if (!upper && strcmp(kernel, "avx2") == 0 && gmoe_gram_use("avx512") == 0) {
            double h512[PMAX * PMAX];
            for (size_t u = 0; u < p * p; u++)
                h512[u] = 7.0;
            gmoe_gram_add(p, ROWS, w, z, h512, p, 0);
            ck_assert_msg(memcmp(h, h512, p * p * sizeof(double)) == 0, "p %zu avx2 != avx512", p);
            gmoe_gram_use(kernel);
        }
    }
    gmoe_gram_use(NULL);
    gsl_rng_free(rng);
}
END_TEST

/* The gate M-step's block-wise derivatives (d >= 2: cross products over
 * the experts' standardized covariates, turned back to x's scale in
 * mstep_gate.c) against the row-wise ones: Newton from them stops where
 * the row-wise gradient (gmoe_gate_objective) vanishes.  The covariates
 * are far from zero and of unequal scales, so that a wrong back-transform
 * moves that point. */
START_TEST(test_gate_blocked_derivatives)
{
    const double b0[3] = {-22, 24, 0}, b1[9] = {0.2, 1, 0, -0.2, -1, 50, 0, 0, 0};
    const double a[9] = {1, 2, -1, 0.5, 0, 3, 0, 0, 1}, b[3] = {0, 1, -2}, s2[3] = {1, 0.5, 2};
    const double lo[3] = {100, -5, 0}, hi[3] = {130, 5, 0.01};
    gmoe_model *truth = check_model_with(GMOE_SOFTMAX, 3, 3, b0, b1, a, b, s2);
    gmoe_data *data = check_simulate(truth, 3000, GMOE_DESIGN_UNIFORM, lo, hi, 5);
    gmoe_model *m = gmoe_model_clone(truth);
    gmoe_em_ws *ws = gmoe_em_ws_alloc(m, data, 1);
    ck_assert_ptr_nonnull(ws);
    gmoe_em_estep(truth, data, ws, ws->resp);
    for (size_t i = 0; i < 3; i++) { /* Newton starts from a flat gate */
        m->beta0[i] = 0.0;
        for (size_t j = 0; j < 3; j++)
            m->beta1[i * 3 + j] = 0.0;
    }
    size_t np = ws->np;
    double theta[8], grad0[8], grad[8], g0 = 0.0, g1 = 0.0;
    ck_assert_uint_eq(np, 8);
    ws->gating->pack(m, theta);
    gmoe_gate_objective(ws, data, theta, grad0, NULL);
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.gate_max_iter = 100;
    opt.gate_tol = 0.0;
    opt.gate_rel_tol = 0.0;
    ck_assert_int_eq(gmoe_mstep_gate(m, data, ws, &opt), GMOE_OK);
    ws->gating->pack(m, theta);
    gmoe_gate_objective(ws, data, theta, grad, NULL);
    for (size_t u = 0; u < np; u++) {
        g0 = fmax(g0, fabs(grad0[u]));
        g1 = fmax(g1, fabs(grad[u]));
    }
    ck_assert_msg(g1 <= 1e-9 * g0, "row-wise gradient %g after Newton (%g before)", g1, g0);
    gmoe_em_ws_free(ws);
    gmoe_model_free(m);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* gmoe_gate_lanes_trial, the gate line search's trial point from the gate
 * cache (mstep_gate.c trial_pass): Q(new) = Q(old) + (theta_new -
 * theta_old)' S + the returned change, S the moments sum r_i z that
 * gmoe_gate_lanes returns with Q, and the gradient at the new point S -
 * the returned sum w g_i z, against gmoe_gate_lanes at both points; case
 * weights w (and none: 1), a short last chunk (203 rows), k = 3 and 5. */
START_TEST(test_gate_lanes_trial)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    const size_t n = 203, ks[2] = {3, 5};
    for (int c = 0; c < 4; c++) {
        size_t k = ks[c % 2], d = 1, np = (k - 1) * (d + 1);
        int weighted = c < 2;
        gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, k, d);
        double *x = malloc((n + 1) * sizeof(double)), *w = malloc(n * sizeof(double));
        double *resp = malloc(n * k * sizeof(double)), *lse = malloc(3 * n * sizeof(double));
        double *c0 = malloc(2 * k * n * sizeof(double)), *c1 = malloc(2 * k * n * sizeof(double));
        double *scratch = malloc(gmoe_gate_lanes_scratch(k, d) * sizeof(double));
        double th0[8], th1[8], mom[8] = {0}, mom1[8] = {0}, g1[8] = {0}, gw[8] = {0};
        for (size_t r = 0; r < n; r++) {
            x[r] = gsl_ran_gaussian(rng, 1.0);
            w[r] = weighted ? 0.5 + 1.5 * gsl_rng_uniform(rng) : 1.0;
            double sum = 0.0;
            for (size_t i = 0; i < k; i++)
                sum += resp[r * k + i] = gsl_rng_uniform_pos(rng);
            for (size_t i = 0; i < k; i++)
                resp[r * k + i] *= w[r] / sum;
        }
        for (size_t u = 0; u < np; u++) {
            th0[u] = gsl_ran_gaussian(rng, 1.0);
            th1[u] = th0[u] + gsl_ran_gaussian(rng, 0.3);
        }
        gmoe_softmax_unpack(m, th0);
        gmoe_block_gate_cols(m, &gmoe_gating_softmax, x, n, c0, lse, lse + n);
        double q0 = gmoe_gate_lanes(k, d, c0, x, resp, n, g1, NULL, mom, scratch);
        gmoe_softmax_unpack(m, th1);
        gmoe_block_gate_cols(m, &gmoe_gating_softmax, x, n, c1, lse, lse + n);
        memset(g1, 0, sizeof g1);
        double q1 = gmoe_gate_lanes(k, d, c1, x, resp, n, g1, NULL, mom1, scratch);
        double dq = gmoe_gate_lanes_trial(k, d, c1, c0 + (k - 1) * n, weighted ? w : NULL, x, n, gw,
                                          scratch + GMOE_GATE_TRIAL_SCRATCH);
        for (size_t u = 0; u < np; u++)
            dq += (th1[u] - th0[u]) * mom[u];
        ck_assert_msg(fabs(q0 + dq - q1) <= 1e-10 * fabs(q1), "k %zu: Q %.17g from the trial, %.17g",
                      k, q0 + dq, q1);
        for (size_t u = 0; u < np; u++) {
            ck_assert(mom[u] == mom1[u]);
            ck_assert_msg(fabs(mom[u] - gw[u] - g1[u]) <= 1e-10 * (double)n,
                          "k %zu: gradient %zu %g from the trial, %g", k, u, mom[u] - gw[u], g1[u]);
        }
        free(x), free(w), free(resp), free(lse), free(c0), free(c1), free(scratch);
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    build_configs();
    Suite *s = suite_create("gating");
    TCase *tc = tcase_create("families");
    tcase_add_loop_test(tc, test_derivatives_fd, 0, (int)nconfigs);
    tcase_add_loop_test(tc, test_pack_round_trip, 0, (int)nconfigs);
    tcase_add_test(tc, test_gates_by_hand);
    tcase_add_test(tc, test_topk_infeasible);
    tcase_add_test(tc, test_checks);
    tcase_add_test(tc, test_split_keeps_likelihood);
    tcase_add_loop_test(tc, test_block_lse, 0, 3);
    tcase_add_test(tc, test_block_lse_cols3);
    tcase_add_loop_test(tc, test_block_gram, 0, GRAM_KERNELS * GRAM_PMAX);
    tcase_add_test(tc, test_gate_blocked_derivatives);
    tcase_add_test(tc, test_gate_lanes_trial);
    tcase_add_loop_test(tc, test_block_functions, 0, (int)nconfigs);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
