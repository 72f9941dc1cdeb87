/* check_engine.c -- the softmax model and its EM engine: hand-computed
 * densities, certified least squares, monotone EM, recovery of the
 * reference model, thread invariance and seeds. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe.h"
#include "check_util.h"

/* The reference model of MODELS.md section 3. */
static gmoe_model *reference_model(void)
{
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    m->beta0[0] = -8;  m->beta1[0] = 25; m->a[0] = -20; m->b[0] = 15; m->sigma2[0] = 0.09;
    m->beta0[1] = 0;   m->beta1[1] = 0;  m->a[1] = 20;  m->b[1] = -5; m->sigma2[1] = 0.16;
    return m;
}

/* k = 3, d = 2 model used for hand computations. */
static gmoe_model *small_model(void)
{
    const double b0[3] = {0.5, -1.0, 0}, b1[6] = {1, -2, 0.5, 0.5, 0, 0};
    const double a[6] = {1, 2, -1, 0.5, 0, 0}, b[3] = {0, 1, -2}, s2[3] = {1, 0.5, 2};
    return check_model_with(GMOE_SOFTMAX, 3, 2, b0, b1, a, b, s2);
}

/* Simulated data from a model: design and response with derived seeds,
 * as mixsim does. */
static gmoe_data *simulate(const gmoe_model *m, size_t n, gmoe_design design, uint64_t seed)
{
    return check_simulate(m, n, design, NULL, NULL, seed);
}

/* Values below were computed independently in python3 with math.exp/log
 * from the formulas of MODELS.md; 1e-12 relative covers rounding. */
START_TEST(test_gate_and_density_by_hand)
{
    gmoe_model *m = reference_model();
    double x = 0.3, logg[2], resp[2];
    /* l_1 = -8 + 25 * 0.3 = -0.5, l_2 = 0: g_1 = 1 / (1 + e^0.5) */
    gmoe_log_gate(m, &x, logg);
    ck_assert_double_eq_tol(exp(logg[0]), 0.3775406687981454, 1e-15);
    ck_assert_double_eq_tol(exp(logg[1]), 0.6224593312018546, 1e-15);
    /* means mu_1 = 9, mu_2 = 1 */
    ck_assert_double_eq_tol(gmoe_log_density(m, &x, 1.2), -0.6017247855106241, 1e-12);
    ck_assert_double_eq_tol(gmoe_log_density(m, &x, 8.8), -0.911264935281064, 1e-12);
    /* far from both means: the log domain keeps 50 nats of precision */
    ck_assert_double_eq_tol(gmoe_responsibilities(m, &x, 5.0, resp), -50.476724785510626, 1e-11);
    ck_assert_double_eq_tol(resp[0], 1.0436662604565656e-17, 1e-28);
    double mean, var, gate[2];
    size_t best;
    gmoe_predict(m, &x, &mean, &var, gate, &best);
    ck_assert_double_eq_tol(mean, 4.020325350385163, 1e-12);
    ck_assert_double_eq_tol(var, 15.173809734086177, 1e-11);
    ck_assert_uint_eq(best, 1);
    gmoe_model_free(m);

    m = small_model();
    double x2[2] = {0.4, -1.5}, g[3];
    gmoe_log_gate(m, x2, g);
    ck_assert_double_eq_tol(exp(g[0]), 0.9760494867345327, 1e-14);
    ck_assert_double_eq_tol(exp(g[1]), 0.004193405988263989, 1e-16);
    ck_assert_double_eq_tol(exp(g[2]), 0.01975710727720324, 1e-16);
    double r3[3];
    ck_assert_double_eq_tol(gmoe_responsibilities(m, x2, 0.7, r3), -5.591130325478182, 1e-12);
    ck_assert_double_eq_tol(r3[0], 0.4506563524162952, 1e-13);
    ck_assert_double_eq_tol(r3[1], 0.3079011134830084, 1e-13);
    ck_assert_double_eq_tol(r3[2], 0.24144253410069652, 1e-13);
    gmoe_predict(m, x2, &mean, &var, NULL, &best);
    ck_assert_double_eq_tol(mean, -2.577871890962431, 1e-12);
    ck_assert_double_eq_tol(var, 1.0494542291378404, 1e-12);
    ck_assert_uint_eq(best, 0);
    gmoe_model_free(m);
}
END_TEST

START_TEST(test_loglik_is_sum_of_densities)
{
    gmoe_model *m = small_model();
    gmoe_data *data = simulate(m, 3001, GMOE_DESIGN_NORMAL, 7);
    double ll, sum = 0.0;
    ck_assert_int_eq(gmoe_loglik(m, data, 2, &ll, NULL), GMOE_OK);
    for (size_t r = 0; r < data->n; r++)
        sum += gmoe_log_density(m, data->x + r * 2, data->y[r]);
    /* Same terms summed in another order: 1e-12 relative. */
    ck_assert_double_eq_tol(ll, sum, 1e-12 * fabs(sum));
    gmoe_data_free(data);
    gmoe_model_free(m);
}
END_TEST

static gmoe_data *read_csv(const char *name, const char *yname)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", EXAMPLE_DATADIR, name);
    gmoe_table *t = NULL;
    gmoe_data *data = NULL;
    gmoe_err err;
    ck_assert_msg(gmoe_table_read(path, &t, &err) == GMOE_OK, "%s", err.msg);
    ck_assert_msg(gmoe_data_from_table(t, yname, NULL, 0, 0, &data, &err) == GMOE_OK, "%s", err.msg);
    gmoe_table_free(t);
    return data;
}

/* With k = 1 the model is ordinary least squares with sigma2 = RSS / n.
 * NIST StRD certified values; Norris is easy (1e-12 relative), Longley
 * is ill-conditioned (condition number of the standardized design about
 * 1e4-1e5 squared in the normal equations), so 1e-7 relative there,
 * the precision NIST itself expects of good double-precision codes. */
static void check_ols(const char *file, const char *yname, const double *coef,
                      double resid_sd, double rel)
{
    gmoe_data *data = read_csv(file, yname);
    size_t d = data->d, n = data->n;
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 1, d);
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 1;
    gmoe_err err;
    ck_assert_msg(gmoe_fit(data, m, NULL, &opt, &err) == GMOE_OK, "%s", err.msg);
    ck_assert_double_eq_tol(m->b[0], coef[0], rel * fabs(coef[0]));
    for (size_t j = 0; j < d; j++)
        ck_assert_double_eq_tol(m->a[j], coef[1 + j], rel * fabs(coef[1 + j]));
    double s2 = resid_sd * resid_sd * (double)(n - d - 1) / (double)n;
    ck_assert_double_eq_tol(m->sigma2[0], s2, rel * 10 * s2);
    ck_assert(m->fit.converged);
    gmoe_model_free(m);
    gmoe_data_free(data);
}

START_TEST(test_k1_is_ols_norris)
{
    const double coef[2] = {-0.262323073774029, 1.00211681802045};
    check_ols("norris.csv", "y", coef, 0.884796396144373, 1e-12);
}
END_TEST

START_TEST(test_k1_is_ols_longley)
{
    const double coef[7] = {-3482258.63459582, 15.0618722713733, -0.358191792925910E-01,
                            -2.02022980381683, -1.03322686717359, -0.511041056535807E-01,
                            1829.15146461355};
    check_ols("longley.csv", "employed", coef, 304.854073561965, 1e-7);
}
END_TEST


/* Both plain EM and SQUAREM (whose safeguard keeps an extrapolation only
 * if it ends no lower) must never lower the log-likelihood. */
START_TEST(test_em_monotone)
{
    gmoe_model *truth = reference_model();
    gmoe_data *data = simulate(truth, 5000, GMOE_DESIGN_UNIFORM, 11);
    for (int accel = GMOE_ACCEL_NONE; accel <= GMOE_ACCEL_SQUAREM; accel++) {
        /* over-fitted k = 3: slow EM with many iterations to check */
        gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 3, 1);
        gmoe_em_options opt;
        gmoe_em_options_default(&opt);
        opt.restarts = 4;
        opt.max_iter = 300;
        opt.accel = (gmoe_accel)accel;
        opt.accel_warmup = 2; /* exercise the SQUAREM cycles from early on */
        check_trace *t = calloc(1, sizeof *t);
        opt.progress = check_trace_record;
        opt.progress_ctx = t;
        ck_assert_int_eq(gmoe_fit(data, m, NULL, &opt, NULL), GMOE_OK);
        ck_assert_msg(!t->decreased, "accel %d: log-likelihood decreased by %g", accel, t->worst);
        ck_assert_uint_gt(t->n, 20);
        free(t);
        gmoe_model_free(m);
    }
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* Fit k = 2 to N = 20000 rows from the reference model (grid design of
 * MODELS.md section 3) from random restarts.  Tolerances are 5 standard
 * deviations of each estimate, measured over 30 simulated replicates
 * (seeds 100..129, same N and design): sd(beta0 contrast) = 0.134,
 * sd(beta1 contrast) = 0.42, a1 0.011, b1 0.0071, sigma2_1 0.0011,
 * a2 0.044, b2 0.011, sigma2_2 0.0022. */
START_TEST(test_recover_reference_model)
{
    gmoe_model *truth = reference_model();
    gmoe_data *data = simulate(truth, 20000, GMOE_DESIGN_GRID, 2023);
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 5;
    opt.seed = 99;
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &opt, NULL), GMOE_OK);
    ck_assert(m->fit.converged);
    /* Labels are arbitrary: e1 is the fitted expert with the negative slope. */
    size_t e1 = m->a[0] < 0 ? 0 : 1, e2 = 1 - e1;
    ck_assert_double_eq_tol(m->beta0[e1] - m->beta0[e2], -8, 5 * 0.134);
    ck_assert_double_eq_tol(m->beta1[e1] - m->beta1[e2], 25, 5 * 0.42);
    ck_assert_double_eq_tol(m->a[e1], -20, 5 * 0.011);
    ck_assert_double_eq_tol(m->b[e1], 15, 5 * 0.0071);
    ck_assert_double_eq_tol(m->sigma2[e1], 0.09, 5 * 0.0011);
    ck_assert_double_eq_tol(m->a[e2], 20, 5 * 0.044);
    ck_assert_double_eq_tol(m->b[e2], -5, 5 * 0.011);
    ck_assert_double_eq_tol(m->sigma2[e2], 0.16, 5 * 0.0022);
    /* The MLE is at least as likely as the truth. */
    double ll_truth;
    gmoe_loglik(truth, data, 0, &ll_truth, NULL);
    ck_assert_double_ge(m->fit.loglik, ll_truth);
    gmoe_model_free(m);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

static int same_model(const gmoe_model *a, const gmoe_model *b)
{
    size_t k = a->k, d = a->d;
    return memcmp(a->beta0, b->beta0, k * sizeof(double)) == 0 &&
           memcmp(a->beta1, b->beta1, k * d * sizeof(double)) == 0 &&
           memcmp(a->a, b->a, k * d * sizeof(double)) == 0 &&
           memcmp(a->b, b->b, k * sizeof(double)) == 0 &&
           memcmp(a->sigma2, b->sigma2, k * sizeof(double)) == 0 &&
           memcmp(&a->fit.loglik, &b->fit.loglik, sizeof(double)) == 0 &&
           a->fit.iterations == b->fit.iterations;
}

/* Bit-identical results for 1 and 2 threads (and 3, more threads than
 * cores), on an n that is not a multiple of the block size. */
START_TEST(test_thread_invariance)
{
    gmoe_model *truth = small_model();
    gmoe_data *data = simulate(truth, 4321, GMOE_DESIGN_NORMAL, 5);
    gmoe_model *fits[3];
    for (int t = 0; t < 3; t++) {
        fits[t] = gmoe_model_alloc(GMOE_SOFTMAX, 3, 2);
        gmoe_em_options opt;
        check_em_options(&opt, 3, t + 1);
        ck_assert_int_eq(gmoe_fit(data, fits[t], NULL, &opt, NULL), GMOE_OK);
    }
    ck_assert(same_model(fits[0], fits[1]));
    ck_assert(same_model(fits[0], fits[2]));
    double l1, l2;
    gmoe_loglik(truth, data, 1, &l1, NULL);
    gmoe_loglik(truth, data, 2, &l2, NULL);
    ck_assert(memcmp(&l1, &l2, sizeof l1) == 0);
    for (int t = 0; t < 3; t++)
        gmoe_model_free(fits[t]);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

START_TEST(test_seeds)
{
    /* splitmix64 from state 0: its first output is the published
     * 0xe220a8397b1dcdaf. */
    ck_assert_uint_eq(gmoe_seed_derive(0, 0), 0xe220a8397b1dcdafULL);
    ck_assert_uint_ne(gmoe_seed_derive(1, 0), gmoe_seed_derive(1, 1));
    /* Same seed, same sample; another seed, another sample. */
    gmoe_model *m = reference_model();
    gmoe_data *a = simulate(m, 100, GMOE_DESIGN_UNIFORM, 3);
    gmoe_data *b = simulate(m, 100, GMOE_DESIGN_UNIFORM, 3);
    gmoe_data *c = simulate(m, 100, GMOE_DESIGN_UNIFORM, 4);
    ck_assert(memcmp(a->y, b->y, 100 * sizeof(double)) == 0);
    ck_assert(memcmp(a->y, c->y, 100 * sizeof(double)) != 0);
    gmoe_data_free(a);
    gmoe_data_free(b);
    gmoe_data_free(c);
    gmoe_model_free(m);
}
END_TEST

/* Short-EM screening on a well-separated exact-fitted model: the
 * screened fit reaches the same maximum as running every start (to
 * 1e-6 per row, ten times looser than the EM stopping rule's 1e-8 per
 * row plus the gap between two converged runs), with fewer iterations in
 * all, and the winner's count includes its screening iterations. */
static int count_steps(void *ctx, size_t restart, size_t iter, double ll)
{
    (void)restart; (void)iter; (void)ll;
    (*(size_t *)ctx)++;
    return 0;
}

/* The fit's log-likelihood comes from E-steps that reuse the gates kept
 * by the gate M-step's passes (mstep_gate.c) or compute them a block at
 * a time; recomputed from scratch at the fitted parameters
 * (gmoe_loglik) it must be the same number, to the last bit. */
START_TEST(test_gate_cache_exact)
{
    gmoe_model *truth = reference_model();
    gmoe_data *data = simulate(truth, 4000, GMOE_DESIGN_UNIFORM, 31);
    /* softmax, temperature and top-K use the gate cache, activation the
     * block gates; top-K with K = 2 of 3 also its pattern step */
    gmoe_family fams[4] = {GMOE_SOFTMAX, GMOE_TEMPERATURE, GMOE_TOPK, GMOE_ACTIVATION};
    for (int f = 0; f < 4; f++) {
        gmoe_model *m = gmoe_model_alloc(fams[f], fams[f] == GMOE_TOPK ? 3 : 2, 1);
        m->tau = f == 1 ? 0.5 : 1.0;
        m->top_k = 2;
        gmoe_em_options opt;
        check_em_options(&opt, 3, 2);
        ck_assert_int_eq(gmoe_fit(data, m, NULL, &opt, NULL), GMOE_OK);
        double ll;
        ck_assert_int_eq(gmoe_loglik(m, data, 1, &ll, NULL), GMOE_OK);
        ck_assert_msg(ll == m->fit.loglik, "family %d: refit %.17g, fit %.17g", f, ll, m->fit.loglik);
        gmoe_model_free(m);
    }
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

START_TEST(test_screening)
{
    gmoe_model *truth = reference_model();
    gmoe_data *data = simulate(truth, 3000, GMOE_DESIGN_UNIFORM, 21);
    double ll[2];
    size_t steps[2] = {0, 0}, iterations[2];
    for (int s = 0; s < 2; s++) {
        gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
        gmoe_em_options opt;
        gmoe_em_options_default(&opt);
        opt.restarts = 6;
        opt.accel = GMOE_ACCEL_NONE; /* one progress call per iteration */
        opt.screen_iter = s ? 3 : 0;
        opt.progress = count_steps;
        opt.progress_ctx = &steps[s];
        ck_assert_int_eq(gmoe_fit(data, m, NULL, &opt, NULL), GMOE_OK);
        ck_assert(m->fit.converged);
        ll[s] = m->fit.loglik;
        iterations[s] = m->fit.iterations;
        gmoe_model_free(m);
    }
    ck_assert_double_eq_tol(ll[1], ll[0], 1e-6 * 3000);
    ck_assert_uint_lt(steps[1], steps[0]);
    ck_assert_uint_gt(iterations[1], 3);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* A starting model is used as given: from the truth, one EM run. */
START_TEST(test_init_model)
{
    gmoe_model *truth = reference_model();
    gmoe_data *data = simulate(truth, 2000, GMOE_DESIGN_GRID, 8);
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 1;
    ck_assert_int_eq(gmoe_fit(data, m, truth, &opt, NULL), GMOE_OK);
    ck_assert_uint_eq(m->fit.best_restart, 0);
    /* the labels of the start are kept: expert 0 still has slope ~ -20 */
    ck_assert_double_eq_tol(m->a[0], -20, 0.5);
    /* a start of another shape is refused */
    gmoe_model *bad = gmoe_model_alloc(GMOE_SOFTMAX, 3, 1);
    gmoe_err err;
    ck_assert_int_eq(gmoe_fit(data, m, bad, &opt, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "does not match"));
    gmoe_model_free(bad);
    gmoe_model_free(m);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* Over-fitting pure noise with many experts must neither crash nor
 * collapse a variance below the floor. */
START_TEST(test_guards)
{
    gmoe_model *one = gmoe_model_alloc(GMOE_SOFTMAX, 1, 1);
    one->a[0] = 2;
    one->b[0] = 1;
    one->sigma2[0] = 0.25;
    gmoe_data *data = simulate(one, 300, GMOE_DESIGN_UNIFORM, 9);
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 6, 1);
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 3;
    opt.var_floor = 1e-3;
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &opt, NULL), GMOE_OK);
    double vy = 0, my = 0;
    for (size_t r = 0; r < data->n; r++)
        my += data->y[r] / (double)data->n;
    for (size_t r = 0; r < data->n; r++)
        vy += (data->y[r] - my) * (data->y[r] - my) / (double)(data->n - 1);
    for (size_t i = 0; i < 6; i++)
        ck_assert_double_ge(m->sigma2[i], 1e-3 * vy * (1 - 1e-12));
    ck_assert(isfinite(m->fit.loglik));
    /* bad options are refused with a message */
    gmoe_err err;
    opt.var_floor = -1;
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &opt, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "var_floor must be in [0, 1)"));
    gmoe_model_free(m);
    gmoe_model_free(one);
    gmoe_data_free(data);
}
END_TEST

START_TEST(test_information_criteria)
{
    gmoe_model *truth = reference_model();
    gmoe_data *data = simulate(truth, 1000, GMOE_DESIGN_UNIFORM, 12);
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 2;
    ck_assert_int_eq(gmoe_fit(data, m, NULL, &opt, NULL), GMOE_OK);
    /* softmax k = 2, d = 1: experts 2 * 3, gate 1 * 2 */
    ck_assert_uint_eq(m->fit.npar, 8);
    ck_assert_double_eq_tol(m->fit.aic, -2 * m->fit.loglik + 16, 1e-9);
    ck_assert_double_eq_tol(m->fit.bic, -2 * m->fit.loglik + 8 * log(1000.0), 1e-9);
    ck_assert_double_ge(m->fit.icl, m->fit.bic);
    /* skip_icl: the same fit, AIC and BIC, ICL NAN */
    gmoe_model *q = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    opt.skip_icl = 1;
    ck_assert_int_eq(gmoe_fit(data, q, NULL, &opt, NULL), GMOE_OK);
    ck_assert(q->fit.loglik == m->fit.loglik && q->fit.aic == m->fit.aic && q->fit.bic == m->fit.bic);
    ck_assert(q->b[0] == m->b[0] && q->sigma2[1] == m->sigma2[1]);
    ck_assert(isnan(q->fit.icl));
    gmoe_model_free(q);
    gmoe_model_free(m);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* ICL's entropy, computed a chunk of rows at a time from the E-step,
 * against the row-by-row sum of -r log r (20000 rows: three chunks),
 * unweighted and with case weights 0, 1 and 2.5 (2.5 r log r per row). */
static double entropy_by_rows(const gmoe_model *m, const gmoe_data *data)
{
    double en = 0.0, r[3];
    for (size_t n = 0; n < data->n; n++) {
        double c = data->w ? data->w[n] : 1.0;
        gmoe_responsibilities(m, data->x + n * data->d, data->y[n], r);
        for (size_t i = 0; c > 0 && i < m->k; i++)
            if (r[i] > 0)
                en -= c * r[i] * log(r[i]);
    }
    return en;
}

START_TEST(test_icl_entropy_by_rows)
{
    gmoe_model *m = small_model();
    gmoe_data *data = simulate(m, 20000, GMOE_DESIGN_NORMAL, 5);
    for (int weighted = 0; weighted < 2; weighted++) {
        if (weighted) {
            data->w = malloc(data->n * sizeof(double));
            for (size_t n = 0; n < data->n; n++)
                data->w[n] = n % 3 == 0 ? 0.0 : n % 3 == 1 ? 1.0 : 2.5;
        }
        gmoe_fit_info info = {.loglik = -1000.0};
        ck_assert_int_eq(gmoe_information_criteria(m, data, &info, NULL), GMOE_OK);
        double en = entropy_by_rows(m, data);
        ck_assert_double_gt(en, 100.0);
        ck_assert_double_eq_tol((info.icl - info.bic) / 2, en, 1e-10 * en);
    }
    gmoe_model_free(m);
    gmoe_data_free(data);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("softmax");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gate_and_density_by_hand);
    tcase_add_test(tc, test_loglik_is_sum_of_densities);
    tcase_add_test(tc, test_k1_is_ols_norris);
    tcase_add_test(tc, test_k1_is_ols_longley);
    tcase_add_test(tc, test_em_monotone);
    tcase_add_test(tc, test_recover_reference_model);
    tcase_add_test(tc, test_thread_invariance);
    tcase_add_test(tc, test_seeds);
    tcase_add_test(tc, test_screening);
    tcase_add_test(tc, test_gate_cache_exact);
    tcase_add_test(tc, test_init_model);
    tcase_add_test(tc, test_guards);
    tcase_add_test(tc, test_information_criteria);
    tcase_add_test(tc, test_icl_entropy_by_rows);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
