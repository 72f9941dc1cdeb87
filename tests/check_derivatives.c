/* check_derivatives.c -- the observed-data log-likelihood's analytic
 * gradient and Hessian (gmoe_loglik_derivatives) against finite
 * differences for every family and option, the scores, thread-count
 * invariance, the covariance (gmoe_covariance) and the parameter names. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gating.h"
#include "gmoe.h"
#include "params.h"
#include "check_util.h"
#include "check_configs.h"

/* Random parameters for m (k = 3), the pinned entries zero. */
static void randomize(gmoe_model *m, gsl_rng *rng)
{
    for (size_t i = 0; i < 3; i++) {
        m->beta0[i] = gsl_ran_gaussian(rng, 1.0);
        m->b[i] = gsl_ran_gaussian(rng, 1.0);
        m->sigma2[i] = 0.3 + gsl_rng_uniform(rng);
        for (size_t j = 0; j < m->d || j < m->dg; j++) {
            if (j < m->dg)
                m->beta1[i * m->dg + j] = gsl_ran_gaussian(rng, 1.5);
            if (j < m->d)
                m->a[i * m->d + j] = gsl_ran_gaussian(rng, 1.0);
        }
    }
    gmoe_layout L;
    double theta[64];
    gmoe_layout_init(&L, m);
    gmoe_layout_pack(&L, m, theta);
    gmoe_layout_unpack(&L, m, theta); /* applies the pinning */
    ck_assert_int_eq(gmoe_model_check(m, NULL), GMOE_OK);
}

/* A k = 3, d = 2 model of the configuration with random parameters. */
static gmoe_model *random_model(const config *c, gsl_rng *rng)
{
    gmoe_model *m = config_model(c, 3, 2);
    randomize(m, rng);
    return m;
}

/* Each row's selected set at theta, as a bit mask per row. */
static void supports(gmoe_model *m, const gmoe_layout *L, const double *theta,
                     const gmoe_data *data, unsigned *mask)
{
    double logg[8];
    gmoe_layout_unpack(L, m, theta);
    for (size_t r = 0; r < data->n; r++) {
        gmoe_log_gate(m, gmoe_data_gate_x(data) + r * gmoe_data_gate_d(data), logg);
        mask[r] = 0;
        for (size_t i = 0; i < m->k; i++)
            mask[r] |= (logg[i] > -INFINITY) << i;
    }
}

static double max_abs(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > s)
            s = fabs(v[i]);
    return s;
}

/* Case weights for data: 0, 0.5, 1, 2 or 3.7 at random (a fifth zero). */
static void random_weights(gmoe_data *data, gsl_rng *rng)
{
    static const double w[] = {0.0, 0.5, 1.0, 2.0, 3.7};
    data->w = malloc(data->n * sizeof(double));
    ck_assert_ptr_nonnull(data->w);
    for (size_t r = 0; r < data->n; r++)
        data->w[r] = w[gsl_rng_uniform_int(rng, 5)];
}

/* sum_r w_r log p(y_r | x_r), row by row (w = 1 without weights). */
static double loglik_by_rows(const gmoe_model *m, const gmoe_data *data)
{
    double s = 0.0;
    for (size_t r = 0; r < data->n; r++)
        if (!data->w || data->w[r] > 0)
            s += (data->w ? data->w[r] : 1.0) *
                 gmoe_log_density_gx(m, data->x + r * data->d,
                                     gmoe_data_gate_x(data) + r * gmoe_data_gate_d(data), data->y[r]);
    return s;
}

/* Central differences of the log-likelihood (gradient) and of the
 * analytic gradient (Hessian) in each free parameter, skipping a
 * parameter whose step changes some row's top-K selection (the
 * derivatives are conditional on it).  weighted: with random case
 * weights, the log-likelihood being sum w log p. */
static void grad_hess_fd_on(int i, int weighted, gmoe_model *m, gmoe_data *data)
{
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    size_t P = L.P;
    ck_assert_uint_eq(P, gmoe_model_nfree(m));
    double *th = malloc(P * sizeof(double)), *g = malloc(P * sizeof(double));
    double *H = malloc(P * P * sizeof(double)), *gp = malloc(P * sizeof(double));
    double *gm = malloc(P * sizeof(double)), ll, llp, llm;
    unsigned *m0 = malloc(data->n * sizeof(unsigned)), *m1 = malloc(data->n * sizeof(unsigned));
    gmoe_layout_pack(&L, m, th);
    ck_assert_int_eq(gmoe_loglik_derivatives(m, data, 1, &ll, g, H, NULL, NULL), GMOE_OK);
    double ll2;
    ck_assert_int_eq(gmoe_loglik(m, data, 1, &ll2, NULL), GMOE_OK);
    ck_assert_double_eq_tol(ll, ll2, 1e-9 * fabs(ll));
    ck_assert_double_eq_tol(ll, loglik_by_rows(m, data), 1e-9 * fabs(ll));
    supports(m, &L, th, data, m0);
    double gs = max_abs(g, P) + 1.0, hs = max_abs(H, P * P) + 1.0;
    size_t skipped = 0;
    for (size_t j = 0; j < P; j++) {
        double h = 1e-5 * (fabs(th[j]) > 1 ? fabs(th[j]) : 1), t = th[j];
        th[j] = t + h;
        supports(m, &L, th, data, m1);
        int same = memcmp(m0, m1, data->n * sizeof(unsigned)) == 0;
        gmoe_loglik_derivatives(m, data, 1, &llp, gp, NULL, NULL, NULL);
        th[j] = t - h;
        supports(m, &L, th, data, m1);
        same = same && memcmp(m0, m1, data->n * sizeof(unsigned)) == 0;
        gmoe_loglik_derivatives(m, data, 1, &llm, gm, NULL, NULL, NULL);
        th[j] = t;
        if (!same) {
            skipped++;
            continue;
        }
        ck_assert_msg(fabs((llp - llm) / (2 * h) - g[j]) < 1e-6 * gs,
                      "config %d%s gradient %zu: fd %.10g analytic %.10g", i,
                      weighted ? " (weighted)" : "", j,
                      (llp - llm) / (2 * h), g[j]);
        for (size_t a = 0; a < P; a++)
            ck_assert_msg(fabs((gp[a] - gm[a]) / (2 * h) - H[a * P + j]) < 1e-6 * hs,
                          "config %d%s Hessian (%zu, %zu): fd %.10g analytic %.10g", i,
                          weighted ? " (weighted)" : "", a, j,
                          (gp[a] - gm[a]) / (2 * h), H[a * P + j]);
    }
    ck_assert_uint_le(skipped, P / 4);
    free(th), free(g), free(H), free(gp), free(gm), free(m0), free(m1);
}

static void grad_hess_fd(int i, int weighted)
{
    build_configs();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 100 + (unsigned long)i);
    gmoe_model *m = random_model(&configs[i], rng);
    double lo[2] = {-1, -1}, hi[2] = {1, 1};
    gmoe_data *data = check_simulate(m, 300, GMOE_DESIGN_UNIFORM, lo, hi, 7 + (uint64_t)i);
    if (weighted)
        random_weights(data, rng);
    grad_hess_fd_on(i, weighted, m, data);
    gmoe_model_free(m);
    gmoe_data_free(data);
    gsl_rng_free(rng);
}

/* Gate covariates of their own: (d, dg) = (2, 1), (1, 0) (a constant
 * gate) and (0, 2) (experts without covariates), every configuration
 * (a constant gate cannot estimate tau: those are skipped), with case
 * weights on the last shape. */
static void grad_hess_fd_gate(int i)
{
    static const size_t shapes[3][2] = {{2, 1}, {1, 0}, {0, 2}};
    build_configs();
    const config *c = &configs[i];
    for (int s = 0; s < 3; s++) {
        if (shapes[s][1] == 0 && c->tau_estimated)
            continue;
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rng, 500 + 10 * (unsigned long)i + (unsigned long)s);
        gmoe_model *m = gmoe_model_alloc_gate(c->family, 3, shapes[s][0], shapes[s][1]);
        ck_assert_ptr_nonnull(m);
        m->top_k = c->top_k, m->select = c->select, m->tau = c->tau;
        m->tau_estimated = c->tau_estimated, m->act = c->act, m->bias = c->bias;
        randomize(m, rng);
        gmoe_data *data = check_simulate_gate(m, 300, 70 + (uint64_t)(10 * i + s));
        if (s == 2)
            random_weights(data, rng);
        grad_hess_fd_on(i, s == 2, m, data);
        gmoe_model_free(m);
        gmoe_data_free(data);
        gsl_rng_free(rng);
    }
}

START_TEST(test_grad_hess_fd_gate)
{
    grad_hess_fd_gate(_i);
}
END_TEST

START_TEST(test_grad_hess_fd)
{
    grad_hess_fd(_i, 0);
}
END_TEST

START_TEST(test_grad_hess_fd_weighted)
{
    grad_hess_fd(_i, 1);
}
END_TEST

/* The scores (times the case weights) sum to the gradient; 1 and 2
 * threads give the same bits, with the scores (the row-at-a-time sums)
 * and without (for a gate of linear logits, derivs_block.c's sums by
 * columns, which agree with the rows' to rounding). */
static void scores_threads(int i, int weighted)
{
    build_configs();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 300 + (unsigned long)i);
    gmoe_model *m = random_model(&configs[i], rng);
    gmoe_data *data = check_simulate(m, 5000, GMOE_DESIGN_UNIFORM, NULL, NULL, 9);
    if (weighted)
        random_weights(data, rng);
    size_t P = gmoe_model_nfree(m), n = data->n;
    double *g1 = malloc(P * sizeof(double)), *g2 = malloc(P * sizeof(double));
    double *H1 = malloc(P * P * sizeof(double)), *H2 = malloc(P * P * sizeof(double));
    double *S = malloc(n * P * sizeof(double)), ll1, ll2;
    ck_assert_int_eq(gmoe_loglik_derivatives(m, data, 1, &ll1, g1, H1, NULL, NULL), GMOE_OK);
    ck_assert_int_eq(gmoe_loglik_derivatives(m, data, 2, &ll2, g2, H2, NULL, NULL), GMOE_OK);
    ck_assert(ll1 == ll2);
    ck_assert(memcmp(g1, g2, P * sizeof(double)) == 0);
    ck_assert(memcmp(H1, H2, P * P * sizeof(double)) == 0);
    ck_assert_int_eq(gmoe_loglik_derivatives(m, data, 2, &ll2, g2, H2, S, NULL), GMOE_OK);
    ck_assert_double_eq_tol(ll2, ll1, 1e-10 * fabs(ll1));
    for (size_t a = 0; a < P * P; a++)
        ck_assert_double_eq_tol(H2[a], H1[a], 1e-9 * (1 + fabs(H1[a])));
    ck_assert_int_eq(gmoe_loglik_derivatives(m, data, 1, &ll1, g1, H1, S, NULL), GMOE_OK);
    ck_assert(ll1 == ll2);
    ck_assert(memcmp(g1, g2, P * sizeof(double)) == 0);
    ck_assert(memcmp(H1, H2, P * P * sizeof(double)) == 0);
    for (size_t j = 0; j < P; j++) {
        double s = 0.0;
        for (size_t r = 0; r < n; r++)
            s += (weighted ? data->w[r] : 1.0) * S[r * P + j];
        ck_assert_double_eq_tol(s, g1[j], 1e-8 * (1 + fabs(g1[j])));
    }
    free(g1), free(g2), free(H1), free(H2), free(S);
    gmoe_model_free(m);
    gmoe_data_free(data);
    gsl_rng_free(rng);
}

START_TEST(test_scores_threads)
{
    scores_threads(_i, 0);
}
END_TEST

START_TEST(test_scores_threads_weighted)
{
    scores_threads(_i, 1);
}
END_TEST

/* A fit of the given family to data from truth. */
static gmoe_model *fit_like(const gmoe_model *truth, const gmoe_data *data, int estimate_tau)
{
    gmoe_model *m = gmoe_model_alloc(truth->family, truth->k, truth->d);
    gmoe_model_copy_options(m, truth);
    gmoe_em_options opt;
    check_em_options(&opt, 1, 1);
    opt.tol = 1e-12;
    opt.max_iter = 5000;
    opt.tau_mode = estimate_tau ? GMOE_TAU_ESTIMATE : GMOE_TAU_FIXED;
    ck_assert_int_eq(gmoe_fit(data, m, truth, &opt, NULL), GMOE_OK);
    return m;
}

static gmoe_model *two_experts(gmoe_family f)
{
    gmoe_model *t = gmoe_model_alloc(f, 2, 1);
    t->beta0[0] = 0.5;
    t->beta1[0] = 3.0;
    t->a[0] = 2.0, t->a[1] = -1.0;
    t->b[0] = 0.0, t->b[1] = 1.0;
    t->sigma2[0] = 0.1, t->sigma2[1] = 0.2;
    return t;
}

/* At an MLE: cov times the information is the identity; the sandwich is
 * close to it for a correct model (ratios of variances within 0.5-2 at
 * n = 4000). */
START_TEST(test_covariance_softmax)
{
    gmoe_model *t = two_experts(GMOE_SOFTMAX);
    double lo = -1, hi = 1;
    gmoe_data *data = check_simulate(t, 4000, GMOE_DESIGN_UNIFORM, &lo, &hi, 3);
    gmoe_model *m = fit_like(t, data, 0);
    size_t P = gmoe_model_nfree(m), p = 0;
    ck_assert_uint_eq(P, 2 + 3 + 3);
    double *cov = malloc(P * P * sizeof(double)), *sw = malloc(P * P * sizeof(double));
    double *H = malloc(P * P * sizeof(double)), *g = malloc(P * sizeof(double));
    ck_assert_int_eq(gmoe_covariance(m, data, GMOE_SE_OBSERVED, cov, &p, NULL), GMOE_OK);
    ck_assert_uint_eq(p, P);
    ck_assert_int_eq(gmoe_covariance(m, data, GMOE_SE_SANDWICH, sw, NULL, NULL), GMOE_OK);
    ck_assert_int_eq(gmoe_loglik_derivatives(m, data, 0, NULL, g, H, NULL, NULL), GMOE_OK);
    ck_assert(max_abs(g, P) < 1e-3);
    for (size_t a = 0; a < P; a++) {
        ck_assert(cov[a * P + a] > 0);
        ck_assert(sw[a * P + a] > 0.5 * cov[a * P + a] && sw[a * P + a] < 2 * cov[a * P + a]);
        for (size_t b = 0; b < P; b++) {
            double s = 0.0;
            for (size_t c = 0; c < P; c++)
                s -= cov[a * P + c] * H[c * P + b];
            ck_assert_double_eq_tol(s, a == b, 1e-8);
            ck_assert_double_eq_tol(cov[a * P + b], cov[b * P + a], 1e-12 * cov[a * P + a] + 1e-15);
        }
    }
    free(cov), free(sw), free(H), free(g);
    gmoe_model_free(m), gmoe_model_free(t);
    gmoe_data_free(data);
}
END_TEST

/* temperature, tau estimated: cov lies in the tangent space of
 * ||beta1||_F = 1 (cov c = 0 for the constraint's gradient c) and is the
 * projected inverse (cov A cov = cov). */
START_TEST(test_covariance_temperature)
{
    gmoe_model *t = two_experts(GMOE_TEMPERATURE);
    t->tau = 0.5;
    double lo = -1, hi = 1;
    gmoe_data *data = check_simulate(t, 4000, GMOE_DESIGN_UNIFORM, &lo, &hi, 4);
    gmoe_model *m = fit_like(t, data, 1);
    ck_assert(m->tau_estimated);
    size_t P = gmoe_model_nfree(m);
    ck_assert_uint_eq(P, 9);
    double *cov = malloc(P * P * sizeof(double)), *H = malloc(P * P * sizeof(double));
    ck_assert_int_eq(gmoe_covariance(m, data, GMOE_SE_OBSERVED, cov, NULL, NULL), GMOE_OK);
    ck_assert_int_eq(gmoe_loglik_derivatives(m, data, 0, NULL, NULL, H, NULL, NULL), GMOE_OK);
    for (size_t a = 0; a < P; a++)
        ck_assert(fabs(cov[a * P + 1] * m->beta1[0]) <= 1e-9 * sqrt(cov[a * P + a]));
    for (size_t a = 0; a < P; a++)
        for (size_t b = 0; b < P; b++) {
            double s = 0.0;
            for (size_t c = 0; c < P; c++)
                for (size_t e = 0; e < P; e++)
                    s -= cov[a * P + c] * H[c * P + e] * cov[e * P + b];
            ck_assert_double_eq_tol(s, cov[a * P + b], 1e-6 * (fabs(cov[a * P + b]) + 1e-6));
        }
    free(cov), free(H);
    gmoe_model_free(m), gmoe_model_free(t);
    gmoe_data_free(data);
}
END_TEST

/* top-K with K = 1: the gate enters only through its boundary, the
 * information is singular in the gate: GMOE_ESING with a message. */
START_TEST(test_covariance_singular)
{
    gmoe_model *t = two_experts(GMOE_TOPK);
    t->top_k = 1;
    gmoe_data *data = check_simulate(t, 500, GMOE_DESIGN_UNIFORM, NULL, NULL, 5);
    size_t P = gmoe_model_nfree(t);
    double *cov = malloc(P * P * sizeof(double));
    gmoe_err err;
    ck_assert_int_eq(gmoe_covariance(t, data, GMOE_SE_OBSERVED, cov, NULL, &err), GMOE_ESING);
    ck_assert(strstr(err.msg, "not positive definite") != NULL);
    ck_assert_int_eq(gmoe_covariance(t, data, (gmoe_se_kind)7, cov, NULL, &err), GMOE_EINVAL);
    free(cov);
    gmoe_model_free(t);
    gmoe_data_free(data);
}
END_TEST

START_TEST(test_param_names)
{
    static const char *soft[] = {"beta0[1]", "beta1[1,x1]", "a[1,x1]", "b[1]", "sigma2[1]",
                                 "a[2,x1]", "b[2]", "sigma2[2]"};
    static const char *act[] = {"beta0[1]", "beta1[1,dose]", "a[1,dose]", "b[1]", "sigma2[1]",
                                "beta1[2,dose]", "a[2,dose]", "b[2]", "sigma2[2]", "tau"};
    char buf[64];
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    ck_assert_uint_eq(gmoe_model_nfree(m), 8);
    for (size_t j = 0; j < 8; j++) {
        ck_assert_int_eq(gmoe_param_name(m, j, buf, sizeof buf), GMOE_OK);
        ck_assert_str_eq(buf, soft[j]);
    }
    ck_assert_int_eq(gmoe_param_name(m, 8, buf, sizeof buf), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_param_name(m, 0, buf, 3), GMOE_EINVAL);
    gmoe_model_free(m);
    m = gmoe_model_alloc(GMOE_ACTIVATION, 2, 1);
    m->tau_estimated = 1;
    const char *xn[] = {"dose"};
    gmoe_model_set_names(m, xn, "y");
    ck_assert_uint_eq(gmoe_model_nfree(m), 10);
    for (size_t j = 0; j < 10; j++) {
        ck_assert_int_eq(gmoe_param_name(m, j, buf, sizeof buf), GMOE_OK);
        ck_assert_str_eq(buf, act[j]);
    }
    gmoe_model_free(m);
}
END_TEST

static Suite *derivatives_suite(void)
{
    build_configs();
    Suite *s = suite_create("derivatives");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_grad_hess_fd, 0, (int)nconfigs);
    tcase_add_loop_test(tc, test_grad_hess_fd_weighted, 0, (int)nconfigs);
    tcase_add_loop_test(tc, test_grad_hess_fd_gate, 0, (int)nconfigs);
    tcase_add_loop_test(tc, test_scores_threads, 0, (int)nconfigs);
    tcase_add_loop_test(tc, test_scores_threads_weighted, 0, (int)nconfigs);
    tcase_add_test(tc, test_covariance_softmax);
    tcase_add_test(tc, test_covariance_temperature);
    tcase_add_test(tc, test_covariance_singular);
    tcase_add_test(tc, test_param_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    return check_run_suite(derivatives_suite());
}
