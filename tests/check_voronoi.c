/* check_voronoi.c -- tests of the Voronoi cells and the D1/D2 losses
 * (lib/voronoi.c; MODELS.md section 2).
 *
 * Expected values are worked out by hand in the comments; the translated
 * minima were also confirmed by a brute-force search (t1 on a grid of step
 * 1e-4 over [-4, 4], golden-section refinement, exact t0 at every t1) in a
 * 60-line python3 reimplementation of the formulas.
 *
 * Tolerances: a hand-computed loss is a sum of a dozen terms of size <= 3,
 * each a few roundings from exact, so 1e-12 absolute is generous; where
 * the value comes from the Nelder-Mead refinement the minimum sits on a
 * kink that is one of the candidate translations, so it is found to
 * rounding as well, but we allow 1e-9. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe.h"
#include "check_util.h"

#define TOL 1e-12
#define TOL_NM 1e-9

/* status and err->code are `want`, and the message contains `needle`. */
#define ck_assert_err(status, e, want, needle)                                              \
    do {                                                                                     \
        ck_assert_msg((status) == (want), "status %d (%s), want %d; message: %s", (status), \
                      gmoe_strerror(status), (want), (e).msg);                               \
        ck_assert_int_eq((e).code, (want));                                                  \
        ck_assert_msg(strstr((e).msg, (needle)) != NULL, "message \"%s\" lacks \"%s\"",      \
                      (e).msg, (needle));                                                    \
    } while (0)

#define ck_assert_close(got, want, tol)                                                    \
    ck_assert_msg(fabs((got) - (want)) <= (tol), "%s = %.17g, want %.17g (tol %g)", #got, \
                  (double)(got), (double)(want), (double)(tol))

/* Expert i of a d = 1 model. */
static void set1(gmoe_model *m, size_t i, double beta0, double beta1, double a, double b,
                 double sigma2)
{
    m->beta0[i] = beta0;
    m->beta1[i] = beta1;
    m->a[i] = a;
    m->b[i] = b;
    m->sigma2[i] = sigma2;
}

/* The small true model used by most tests (softmax, k* = 2, d = 1):
 *   expert  beta0  beta1   a    b   sigma2
 *     1      -1      2     1    0    1
 *     2       0      0    -1    1    0.5      (reference expert)   */
static gmoe_model *truth2(gmoe_family fam)
{
    gmoe_model *t = gmoe_model_alloc(fam, 2, 1);
    ck_assert_ptr_nonnull(t);
    set1(t, 0, -1, 2, 1, 0, 1);
    set1(t, 1, 0, 0, -1, 1, 0.5);
    return t;
}

/* The reference experiment's truth (MODELS.md section 3): (beta0, beta1,
 * a, b, sigma2) = (-8, 25, -20, 15, 0.09) and (0, 0, 20, -5, 0.16). */
static gmoe_model *reference_truth(void)
{
    gmoe_model *t = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    ck_assert_ptr_nonnull(t);
    set1(t, 0, -8, 25, -20, 15, 0.09);
    set1(t, 1, 0, 0, 20, -5, 0.16);
    return t;
}

/* Computes the loss with `translate` and the kind, asserting success. */
static gmoe_loss_result *loss_ok(const gmoe_model *fit, const gmoe_model *truth,
                                 gmoe_loss_kind kind, int translate)
{
    gmoe_loss_options o;
    gmoe_loss_options_default(&o);
    o.kind = kind;
    o.translate = translate;
    gmoe_loss_result *r = NULL;
    gmoe_err e;
    gmoe_err_clear(&e);
    int s = gmoe_voronoi_loss(fit, truth, &o, &r, &e);
    ck_assert_msg(s == GMOE_OK, "status %d: %s", s, e.msg);
    ck_assert_ptr_nonnull(r);
    return r;
}

/* ================================================================ options */

START_TEST(options_default)
{
    gmoe_loss_options o;
    memset(&o, 0xff, sizeof o);
    gmoe_loss_options_default(&o);
    ck_assert_int_eq(o.kind, GMOE_LOSS_AUTO);
    ck_assert_int_eq(o.translate, 1);
    ck_assert(o.rbar[2] == 4.0);
    ck_assert(o.rbar[3] == 6.0);
    for (int c = 4; c < GMOE_RBAR_MAX; c++)
        ck_assert(o.rbar[c] == 0.0);
    gmoe_loss_result_free(NULL); /* no-op */
}
END_TEST

/* ================================================================ D1 */

/* Fitted (k = 2):
 *   expert  beta0  beta1   a     b      sigma2
 *     1     -0.8    2.5   1.2  -0.1     1.1
 *     2      0      0    -0.9   1.05    0.45
 * L1 distances: fitted 1 to true 1: 0.5+0.2+0.1+0.1 = 0.9, to true 2:
 * 2.5+2.2+1.1+0.6 = 6.4 -> cell 1; fitted 2 to true 1: 2+1.9+1.05+0.55 =
 * 5.5, to true 2: 0+0.1+0.05+0.05 = 0.2 -> cell 2.
 * Untranslated D1
 *   = |e^-0.8 - e^-1| + |1 - 1| + e^-0.8 (0.5+0.2+0.1+0.1) + 1 (0+0.1+0.05+0.05)
 *   = 0.0814497 + 0 + 0.4043964 + 0.2 = 0.68584559065127859.
 * Translated: with the cells fixed, the parameter part is
 * s (e^-0.8 (|0.5 + t1| + 0.4) + |t1| + 0.2) (s = e^t0), whose t1-slope is
 * e^-0.8 - 1 < 0 on (-0.5, 0) and e^-0.8 + 1 > 0 beyond 0, so t1 = 0.  In
 * s, f(s) = 0.6043964 s + |0.4493290 s - e^-1| + |s - 1| has slope
 * 0.604 + 0.449 - 1 = +0.053 between its breakpoints e^-0.2 and 1, and
 * negative below e^-0.2, so s = e^-0.2, t0 = -0.2:
 *   D1 = e^-0.2 * 0.6043964 + (1 - e^-0.2) = 0.67610689459191253.
 * At that translation the per-atom sums are (weights e^-1 and e^-0.2):
 *   err_beta1 = (0.5 e^-1, 0), err_a = (0.2 e^-1, 0.1 e^-0.2),
 *   err_b = (0.1 e^-1, 0.05 e^-0.2), err_sigma2 = (0.1 e^-1, 0.05 e^-0.2),
 *   err_mass = (0, 1 - e^-0.2); their total is D1. */
static gmoe_model *fit_d1(void)
{
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    ck_assert_ptr_nonnull(f);
    set1(f, 0, -0.8, 2.5, 1.2, -0.1, 1.1);
    set1(f, 1, 0, 0, -0.9, 1.05, 0.45);
    return f;
}

START_TEST(d1_hand)
{
    gmoe_model *t = truth2(GMOE_SOFTMAX), *f = fit_d1();
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 0);
    ck_assert_int_eq(r->kind, GMOE_LOSS_D1);
    ck_assert_close(r->loss, 0.68584559065127859, TOL);
    ck_assert_close(r->loss_untranslated, 0.68584559065127859, TOL);
    ck_assert(r->t0 == 0.0 && r->t1[0] == 0.0);
    ck_assert_uint_eq(r->k, 2);
    ck_assert_uint_eq(r->kstar, 2);
    ck_assert_uint_eq(r->d, 1);
    ck_assert_uint_eq(r->cell[0], 0);
    ck_assert_uint_eq(r->cell[1], 1);
    ck_assert_uint_eq(r->cell_size[0], 1);
    ck_assert_uint_eq(r->cell_size[1], 1);
    gmoe_loss_result_free(r);

    r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_int_eq(r->kind, GMOE_LOSS_D1);
    ck_assert_close(r->loss, 0.67610689459191253, TOL_NM);
    ck_assert_close(r->loss_untranslated, 0.68584559065127859, TOL);
    ck_assert_close(r->t0, -0.2, 1e-9);
    ck_assert_close(r->t1[0], 0.0, 1e-9);
    double e1 = exp(-1), e2 = exp(-0.2);
    ck_assert_close(r->err_beta1[0], 0.5 * e1, 1e-9);
    ck_assert_close(r->err_beta1[1], 0.0, 1e-9);
    ck_assert_close(r->err_a[0], 0.2 * e1, 1e-9);
    ck_assert_close(r->err_a[1], 0.1 * e2, 1e-9);
    ck_assert_close(r->err_b[0], 0.1 * e1, 1e-9);
    ck_assert_close(r->err_b[1], 0.05 * e2, 1e-9);
    ck_assert_close(r->err_sigma2[0], 0.1 * e1, 1e-9);
    ck_assert_close(r->err_sigma2[1], 0.05 * e2, 1e-9);
    ck_assert_close(r->err_tau[0], 0.0, 0.0);
    ck_assert_close(r->err_mass[0], 0.0, 1e-9);
    ck_assert_close(r->err_mass[1], 1 - e2, 1e-9);
    double sum = 0;
    for (int j = 0; j < 2; j++)
        sum += r->err_beta1[j] + r->err_a[j] + r->err_b[j] + r->err_sigma2[j] + r->err_tau[j] +
               r->err_mass[j];
    ck_assert_close(sum, r->loss, TOL);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* ================================================================ D2 */

/* Fitted (k = 3):
 *   expert  beta0  beta1   a     b     sigma2
 *     1     -1      2.1   1     0.1    1          cell 1 (dist 0.2 vs 6.2)
 *     2     -0.5    0.2  -1.1   1.2    0.6        cell 2 (dist 0.6 vs 5.5)
 *     3      0      0    -0.8   0.9    0.4        cell 2 (dist 0.4 vs 5.5)
 * Cell 2 has 2 atoms: r = rbar(2) = 4, exponents 4 (beta1, b) and 2 (a, sigma2).
 * Untranslated D2
 *   = e^-1 (0.1 + 0 + 0.1 + 0)                       cell 1, linear
 *   + e^-0.5 (0.2^4 + 0.1^2 + 0.2^4 + 0.1^2)         = e^-0.5 * 0.0232
 *   + 1 (0^4 + 0.2^2 + 0.1^4 + 0.1^2)                = 0.0501
 *   + |e^-1 - e^-1| + |e^-0.5 + 1 - 1|               masses
 *   = 0.0735759 + 0.0140715 + 0.0501 + 0.6065307 = 0.74427805925225499.
 * Translated: the minimum is at t1 = -0.1 (fitted 1 then has beta1 = 2
 * exactly; the beta1 terms of cell 2 are 4th powers, 0.1^4 each) and
 * t0 = -log(1 + e^-0.5) (cell 2's mass matched):
 *   s = 1/(1 + e^-0.5) = 0.6224593,
 *   D2 = s [e^-1 * 0.1 + e^-0.5 (0.1^4 + 0.01 + 0.0016 + 0.01) + (0.1^4 + 0.04 + 0.0001 + 0.01)]
 *      + |s e^-1 - e^-1|
 *      = 0.6224593 * 0.1009937 + 0.1389002 = 0.201228540287656. */
static gmoe_model *fit_d2(void)
{
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 3, 1);
    ck_assert_ptr_nonnull(f);
    set1(f, 0, -1, 2.1, 1, 0.1, 1);
    set1(f, 1, -0.5, 0.2, -1.1, 1.2, 0.6);
    set1(f, 2, 0, 0, -0.8, 0.9, 0.4);
    return f;
}

START_TEST(d2_hand)
{
    gmoe_model *t = truth2(GMOE_SOFTMAX), *f = fit_d2();
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 0);
    ck_assert_int_eq(r->kind, GMOE_LOSS_D2);
    ck_assert_close(r->loss, 0.74427805925225499, TOL);
    ck_assert_uint_eq(r->cell[0], 0);
    ck_assert_uint_eq(r->cell[1], 1);
    ck_assert_uint_eq(r->cell[2], 1);
    ck_assert_uint_eq(r->cell_size[0], 1);
    ck_assert_uint_eq(r->cell_size[1], 2);
    /* err_* carry no exponent: err_b[1] = e^-0.5 * 0.2 + 1 * 0.1 */
    ck_assert_close(r->err_b[1], exp(-0.5) * 0.2 + 0.1, TOL);
    ck_assert_close(r->err_mass[1], exp(-0.5), TOL);
    gmoe_loss_result_free(r);

    r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_close(r->loss, 0.201228540287656, TOL_NM);
    ck_assert_close(r->loss_untranslated, 0.74427805925225499, TOL);
    ck_assert_close(r->t0, -log(1 + exp(-0.5)), 1e-9);
    ck_assert_close(r->t1[0], -0.1, 1e-9);
    ck_assert_close(r->err_mass[1], 0.0, 1e-9);
    gmoe_loss_result_free(r);

    /* D1 forced on the same over-fitted model: every cell linear.
     * Untranslated = e^-1 * 0.2 + e^-0.5 (0.2+0.1+0.2+0.1) + (0+0.2+0.1+0.1)
     *              + e^-0.5 = 0.0735759 + 0.3639184 + 0.4 + 0.6065307. */
    r = loss_ok(f, t, GMOE_LOSS_D1, 0);
    ck_assert_int_eq(r->kind, GMOE_LOSS_D1);
    ck_assert_close(r->loss, 0.2 * exp(-1) + 1.6 * exp(-0.5) + 0.4, TOL);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* ================================================================ invariances */

START_TEST(identical_zero)
{
    gmoe_model *t = truth2(GMOE_SOFTMAX);
    for (int tr = 0; tr <= 1; tr++) {
        gmoe_loss_result *r = loss_ok(t, t, GMOE_LOSS_AUTO, tr);
        ck_assert_close(r->loss, 0.0, TOL);
        ck_assert_close(r->loss_untranslated, 0.0, TOL);
        ck_assert_close(r->t0, 0.0, TOL);
        ck_assert_close(r->t1[0], 0.0, TOL);
        gmoe_loss_result_free(r);
    }
    gmoe_model_free(t);
}
END_TEST

/* Permuting the fitted experts (3, 1, 2) gives the same losses and the
 * same cells, permuted.  The fitted model is used as given (it is not
 * re-pinned), so even the untranslated loss is unchanged. */
START_TEST(relabel_invariant)
{
    gmoe_model *t = truth2(GMOE_SOFTMAX), *f = fit_d2();
    gmoe_model *p = gmoe_model_alloc(GMOE_SOFTMAX, 3, 1);
    const size_t perm[3] = {2, 0, 1};
    for (size_t i = 0; i < 3; i++)
        set1(p, i, f->beta0[perm[i]], f->beta1[perm[i]], f->a[perm[i]], f->b[perm[i]],
             f->sigma2[perm[i]]);
    for (int tr = 0; tr <= 1; tr++) {
        gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, tr);
        gmoe_loss_result *q = loss_ok(p, t, GMOE_LOSS_AUTO, tr);
        ck_assert_close(q->loss, r->loss, TOL);
        ck_assert_close(q->loss_untranslated, r->loss_untranslated, TOL);
        ck_assert_close(q->t0, r->t0, 1e-9);
        ck_assert_close(q->t1[0], r->t1[0], 1e-9);
        for (size_t i = 0; i < 3; i++)
            ck_assert_uint_eq(q->cell[i], r->cell[perm[i]]);
        for (size_t j = 0; j < 2; j++) {
            ck_assert_uint_eq(q->cell_size[j], r->cell_size[j]);
            ck_assert_close(q->err_mass[j], r->err_mass[j], TOL);
            ck_assert_close(q->err_a[j], r->err_a[j], TOL);
        }
        gmoe_loss_result_free(r);
        gmoe_loss_result_free(q);
    }
    gmoe_model_free(p);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* Translation.  True model (softmax, k* = 3, d = 2):
 *   expert  beta0  beta1       a            b    sigma2
 *     1     -1     (2, -1)    (1, 0.5)      0    1
 *     2      0.5   (-1, 1.5)  (-1, 1)       2    0.5
 *     3      0     (0, 0)     (0.3, -0.7)  -1    2      (reference)
 * The fitted model has the same atoms in the order (3, 1, 2) and every
 * gate shifted by t0 = 0.7, t1 = (1.5, -2): the same conditional density.
 * The translated loss must be 0 at (t0, t1) = (-0.7, (-1.5, 2)).  That
 * translation is the candidate aligning fitted expert 1 (the true
 * reference) with true expert 3; the shifts are exact in binary and the
 * masses are exp() of exact sums, so the loss is a few ulps of the weights
 * (~1e-16); 1e-12 leaves room.  Untranslated, beta1 is off by (1.5, -2) in
 * every atom and the masses by a factor e^0.7 (the cells stay right):
 *   sum_i e^{beta0*_i + 0.7} (|(1.5, -2)| = 2.5)  +  sum_j (e^0.7 - 1) e^{beta0*_j}
 *   = (e^-1 + e^0.5 + 1)(2.5 e^0.7 + e^0.7 - 1) = 18.244806766239023. */
START_TEST(translation_recovered)
{
    gmoe_model *t = gmoe_model_alloc(GMOE_SOFTMAX, 3, 2);
    const double b0[3] = {-1, 0.5, 0}, b1[6] = {2, -1, -1, 1.5, 0, 0},
                 a[6] = {1, 0.5, -1, 1, 0.3, -0.7}, b[3] = {0, 2, -1}, s2[3] = {1, 0.5, 2};
    memcpy(t->beta0, b0, sizeof b0);
    memcpy(t->beta1, b1, sizeof b1);
    memcpy(t->a, a, sizeof a);
    memcpy(t->b, b, sizeof b);
    memcpy(t->sigma2, s2, sizeof s2);
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 3, 2);
    const size_t order[3] = {2, 0, 1};
    const double t0 = 0.7, t1[2] = {1.5, -2};
    for (size_t i = 0; i < 3; i++) {
        size_t j = order[i];
        f->beta0[i] = b0[j] + t0;
        for (size_t l = 0; l < 2; l++) {
            f->beta1[i * 2 + l] = b1[j * 2 + l] + t1[l];
            f->a[i * 2 + l] = a[j * 2 + l];
        }
        f->b[i] = b[j];
        f->sigma2[i] = s2[j];
    }
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_int_eq(r->kind, GMOE_LOSS_D1);
    ck_assert_close(r->loss, 0.0, 1e-12);
    ck_assert_close(r->loss_untranslated, 18.244806766239023, 1e-11);
    ck_assert_close(r->t0, -0.7, 1e-12);
    ck_assert_close(r->t1[0], -1.5, 1e-12);
    ck_assert_close(r->t1[1], 2.0, 1e-12);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(r->cell[i], order[i]);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* A translation that no candidate hits: Nelder-Mead must find it.  True
 * model (softmax, k* = 3, d = 2, all beta0 = 0 so every weight is 1):
 *   beta1 = (2, -1), (-1, 1.5), (0, 0); a = (1, 0.5), (-1, 1), (0.3, -0.7);
 *   b = 0, 2, -1; sigma2 = 1, 0.5, 2.
 * The fitted model is the truth with beta1 of expert i moved by
 * o_i = c + 0.3 (cos phi_i, sin phi_i), phi_i = 0, 120, 240 degrees,
 * c = (0.1, 0.05).  The masses match at t0 = 0 whatever t1, and
 * f(s) = s C + 3 |s - 1| with C < 3 keeps s = 1; the beta1 part
 * sum_i |o_i + t1| is smallest at minus the Fermat point of the three
 * offsets, the centre of the equilateral triangle: t1 = -c, where
 * D1 = 3 * 0.3 = 0.9.  No candidate t1 (0, or -o_i) is there; at t1 = 0
 * D1 = sum_i |o_i| = 0.4031 + 0.3138 + 0.2157 = 0.9326125226431388.
 * The minimum is smooth, so Nelder-Mead's 1e-11 simplex gives the value
 * to ~1e-12; we allow 1e-9 (value) and 1e-6 (position). */
START_TEST(translation_interior)
{
    gmoe_model *t = gmoe_model_alloc(GMOE_SOFTMAX, 3, 2);
    const double b1[6] = {2, -1, -1, 1.5, 0, 0}, a[6] = {1, 0.5, -1, 1, 0.3, -0.7},
                 b[3] = {0, 2, -1}, s2[3] = {1, 0.5, 2};
    memcpy(t->beta1, b1, sizeof b1);
    memcpy(t->a, a, sizeof a);
    memcpy(t->b, b, sizeof b);
    memcpy(t->sigma2, s2, sizeof s2);
    gmoe_model *f = gmoe_model_clone(t);
    ck_assert_ptr_nonnull(f);
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < 3; i++) {
        f->beta1[i * 2] += 0.1 + 0.3 * cos(2 * pi * (double)i / 3);
        f->beta1[i * 2 + 1] += 0.05 + 0.3 * sin(2 * pi * (double)i / 3);
    }
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_close(r->loss, 0.9, 1e-9);
    ck_assert_close(r->t0, 0.0, 1e-9);
    ck_assert_close(r->t1[0], -0.1, 1e-6);
    ck_assert_close(r->t1[1], -0.05, 1e-6);
    ck_assert_close(r->loss_untranslated, 0.9326125226431388, TOL);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* The same in d = 1, with k* = 1: the true atom (beta0, beta1, a, b,
 * sigma2) = (0, 0, 1, 0, 1) split into two fitted atoms of weight 1/2
 * with beta1 = 0.3 and -0.1, the rest exact.  D2 (r = 4):
 *   f(t1) = (1/2) ((0.3 + t1)^4 + (t1 - 0.1)^4),
 * smallest at the midpoint t1 = -0.1, where D2 = 0.2^4 = 0.0016 (the mass
 * 1/2 + 1/2 = 1 is exact at t0 = 0, and C = 0.0016 < 1 keeps s = 1).
 * The candidates are t1 = -0.3, 0.1 and 0 (f = 0.00410); Nelder-Mead
 * finds the midpoint (f'' = 0.48 there, so 1e-9 in f is ~5e-5 in t1). */
START_TEST(translation_interior_1d)
{
    gmoe_model *t = gmoe_model_alloc(GMOE_SOFTMAX, 1, 1);
    set1(t, 0, 0, 0, 1, 0, 1);
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    set1(f, 0, log(0.5), 0.3, 1, 0, 1);
    set1(f, 1, log(0.5), -0.1, 1, 0, 1);
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_int_eq(r->kind, GMOE_LOSS_D2);
    ck_assert_close(r->loss_untranslated, 0.5 * (pow(0.3, 4) + pow(0.1, 4)), TOL);
    ck_assert_close(r->loss, 0.0016, 1e-9);
    ck_assert_close(r->t1[0], -0.1, 1e-4);
    ck_assert_close(r->t0, 0.0, 1e-9);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* The published-code failure mode (MODELS.md sections 2 and 3).  True
 * model: the reference experiment (beta0, beta1, a, b, sigma2) =
 * (-8, 25, -20, 15, 0.09) and (0, 0, 20, -5, 0.16).  The over-fitted
 * model (k = 3, pinned on its last expert) splits the reference expert
 * into two experts with gate 0 each (b = -5.01 and -4.99) and doubles the
 * first expert's weight (beta0 = -8 + log 2): its gate probabilities are
 * exactly the truth's.  Untranslated, cell 2's mass is |1 + 1 - 1| = 1:
 *   D2 = |2e^-8 - e^-8| + |2 - 1| + 2 * 0.01^4 = 1.0003354826279023,
 * "about 1 whatever the sample size".  Translated by t0 = -log 2 the
 * masses match (e^-8 and 1/2 + 1/2) and only 2 * (1/2) 0.01^4 = 1e-8 is
 * left. */
START_TEST(split_reference_cell)
{
    gmoe_model *t = reference_truth();
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 3, 1);
    set1(f, 0, -8 + log(2.0), 25, -20, 15, 0.09);
    set1(f, 1, 0, 0, 20, -5.01, 0.16);
    set1(f, 2, 0, 0, 20, -4.99, 0.16);
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_int_eq(r->kind, GMOE_LOSS_D2);
    ck_assert_uint_eq(r->cell_size[1], 2);
    ck_assert_close(r->loss_untranslated, 1.0003354826279023, TOL);
    ck_assert_close(r->loss, 1e-8, 1e-12);
    ck_assert_close(r->err_mass[0] + r->err_mass[1], 0.0, 1e-12);
    ck_assert_close(r->t0, -log(2.0), 1e-9);
    gmoe_loss_result_free(r);

    r = loss_ok(f, t, GMOE_LOSS_AUTO, 0);
    ck_assert_close(r->err_mass[1], 1.0, TOL);
    ck_assert_close(r->loss, r->loss_untranslated, 0.0);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* ================================================================ cells */

/* Both fitted atoms fall in true atom 1's cell; true atom 2's is empty.
 *   fitted 1 = (-1, 2, 1, 0, 1) = true atom 1 exactly;
 *   fitted 2 = (0, 2.2, 0.9, 0.1, 1.2): L1 0.2+0.1+0.1+0.2 = 0.6 to atom 1,
 *              2.2+1.9+0.9+0.7 = 5.7 to atom 2.
 * k = k* so AUTO gives D1.  Untranslated:
 *   D1 = |e^-1 + 1 - e^-1| + |0 - 1| + e^-1 * 0 + 1 * 0.6 = 2.6.
 * Translated (brute force): t1 = -0.2 matches fitted 2's beta1 (fitted 1
 * is then off by 0.2 in beta1), so C = e^-1 * 0.2 + 1 * (0.1 + 0.1 + 0.2);
 * t0 matches cell 1's mass, s = e^-1 / (e^-1 + 1):
 *   D1 = s C + |s (e^-1 + 1) - e^-1| + |0 - 1|
 *      = 0.2689414 * 0.4735759 + 0 + 1 = 1.1273641725082877
 * (at t1 = 0 it would be 1 + s * 0.6 = 1.1613649). */
START_TEST(empty_cell)
{
    gmoe_model *t = truth2(GMOE_SOFTMAX);
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    set1(f, 0, -1, 2, 1, 0, 1);
    set1(f, 1, 0, 2.2, 0.9, 0.1, 1.2);
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 0);
    ck_assert_int_eq(r->kind, GMOE_LOSS_D1);
    ck_assert_uint_eq(r->cell_size[0], 2);
    ck_assert_uint_eq(r->cell_size[1], 0);
    ck_assert_close(r->loss, 2.6, TOL);
    ck_assert_close(r->err_mass[1], 1.0, TOL);
    ck_assert_close(r->err_beta1[1] + r->err_a[1] + r->err_b[1] + r->err_sigma2[1], 0.0, 0.0);
    gmoe_loss_result_free(r);

    r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_close(r->loss, 1.1273641725082877, TOL_NM);
    ck_assert_close(r->loss, 1 + exp(-1) * (0.2 * exp(-1) + 0.4) / (1 + exp(-1)), TOL_NM);
    ck_assert_close(r->t1[0], -0.2, 1e-9);
    ck_assert_close(r->err_mass[1], 1.0, TOL);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* Ties go to the lower true index: fitted atom (beta1, a, b, sigma2) =
 * (1, 0, 0.5, 0.75) is at L1 distance 1 + 1 + 0.5 + 0.25 = 2.75 from both
 * true atoms (all numbers exact in binary). */
START_TEST(tie_lower_index)
{
    gmoe_model *t = truth2(GMOE_SOFTMAX);
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 2, 1);
    set1(f, 0, -1, 1, 0, 0.5, 0.75);
    set1(f, 1, 0, 0, -1, 1, 0.5);
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 0);
    ck_assert_uint_eq(r->cell[0], 0);
    ck_assert_uint_eq(r->cell[1], 1);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* k = 5 against k* = 2: four atoms in true atom 1's cell, rbar(4) unknown.
 * Fitted 1..4 = (-1 - log 4, 2, 1, b, 1) with b = 0.5, -0.5, 1, -1 (L1
 * distance |b| <= 1 to atom 1, >= 3.5 to atom 2); fitted 5 = true atom 2.
 * With rbar[4] = 8, untranslated:
 *   D2 = (e^-1 / 4) (0.5^8 + 0.5^8 + 1 + 1) + |4 e^-1/4 - e^-1| + |1 - 1|
 *      = 0.0919699 * 2.0078125 = 0.18465823511925916
 * and no translation does better (brute force). */
START_TEST(rbar_unknown_and_supplied)
{
    gmoe_model *t = truth2(GMOE_SOFTMAX);
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 5, 1);
    const double bs[4] = {0.5, -0.5, 1, -1};
    for (size_t i = 0; i < 4; i++)
        set1(f, i, -1 - log(4.0), 2, 1, bs[i], 1);
    set1(f, 4, 0, 0, -1, 1, 0.5);

    gmoe_loss_options o;
    gmoe_loss_options_default(&o);
    gmoe_loss_result *r = (gmoe_loss_result *)&o; /* must be reset to NULL */
    gmoe_err e;
    gmoe_err_clear(&e);
    int s = gmoe_voronoi_loss(f, t, &o, &r, &e);
    ck_assert_err(s, e, GMOE_ENOTSUP, "rbar(4)");
    ck_assert_msg(strstr(e.msg, "true expert 1") != NULL, "%s", e.msg);
    ck_assert_ptr_null(r);
    o.translate = 0; /* refused either way */
    s = gmoe_voronoi_loss(f, t, &o, &r, &e);
    ck_assert_err(s, e, GMOE_ENOTSUP, "--rbar 4=");

    /* D1 does not need rbar */
    o.kind = GMOE_LOSS_D1;
    gmoe_err_clear(&e);
    s = gmoe_voronoi_loss(f, t, &o, &r, &e);
    ck_assert_msg(s == GMOE_OK, "%s", e.msg);
    gmoe_loss_result_free(r);

    o.kind = GMOE_LOSS_AUTO;
    o.rbar[4] = 8;
    for (int tr = 0; tr <= 1; tr++) {
        o.translate = tr;
        s = gmoe_voronoi_loss(f, t, &o, &r, &e);
        ck_assert_msg(s == GMOE_OK, "%s", e.msg);
        ck_assert_int_eq(r->kind, GMOE_LOSS_D2);
        ck_assert_uint_eq(r->cell_size[0], 4);
        ck_assert_close(r->loss_untranslated, 0.18465823511925916, TOL);
        ck_assert_close(r->loss, 0.18465823511925916, TOL_NM);
        gmoe_loss_result_free(r);
    }

    /* rbar must be >= 0 */
    o.rbar[5] = -1;
    s = gmoe_voronoi_loss(f, t, &o, &r, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "cell size 5");
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* ================================================================ families */

/* Temperature: tau is a component of every atom.  Truth tau = 1, fitted
 * tau = 1.5, same atoms: D1 = sum_i e^beta0_i * |dtau| = 0.5 (e^-1 + 1)
 * = 0.6839397205857212 (translation cannot help: f(s) = 0.684 s +
 * |s e^-1 - e^-1| + |s - 1| has slope 0.684 - 1.368 < 0 below s = 1).
 * Over-fitted (reference atom duplicated, k = 3), |dtau|^r with r = 4 in
 * the 2-atom cell:
 *   untranslated D2 = e^-1 * 0.5 + 2 * 0.5^4 + |2 - 1| = 1.3089397205857212,
 *   translated (t0 = -log 2): e^-1/2 * 0.5 + 2 * (1/2) * 0.0625 + |e^-1/2 - e^-1|
 *                             = 0.33840958087858175. */
START_TEST(temperature_tau)
{
    gmoe_model *t = truth2(GMOE_TEMPERATURE);
    gmoe_model *f = truth2(GMOE_TEMPERATURE);
    f->tau = 1.5;
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_close(r->loss, 0.6839397205857212, TOL_NM);
    ck_assert_close(r->loss_untranslated, 0.6839397205857212, TOL);
    ck_assert_close(r->err_tau[0], 0.5 * exp(-1), TOL_NM);
    ck_assert_close(r->err_tau[1], 0.5, TOL_NM);
    gmoe_loss_result_free(r);

    gmoe_model *g = gmoe_model_alloc(GMOE_TEMPERATURE, 3, 1);
    g->tau = 1.5;
    set1(g, 0, -1, 2, 1, 0, 1);
    set1(g, 1, 0, 0, -1, 1, 0.5);
    set1(g, 2, 0, 0, -1, 1, 0.5);
    r = loss_ok(g, t, GMOE_LOSS_AUTO, 1);
    ck_assert_int_eq(r->kind, GMOE_LOSS_D2);
    ck_assert_close(r->loss_untranslated, 1.3089397205857212, TOL);
    ck_assert_close(r->loss, 0.33840958087858175, TOL_NM);
    gmoe_loss_result_free(r);
    gmoe_model_free(g);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* temperature, tau estimated (audit A8): the gate's scale is not
 * identified, so the loss puts both models in gmoe's normalization
 * (centred slopes of unit norm) first.  The fit is the truth
 * (beta1 = (2, 0), tau = 1) times 3 along the invariance, then also with
 * its two experts swapped and re-pinned: the same conditional density,
 * loss 0 (the translation aligns the swapped gate; a few ulps, Nelder-Mead
 * tolerance).  Without the common scale the first read |dtau| = 2 and
 * |dbeta1| = 4, the second differed again. */
START_TEST(temperature_scale_and_labels)
{
    gmoe_model *t = truth2(GMOE_TEMPERATURE);
    gmoe_model *f = truth2(GMOE_TEMPERATURE);
    f->tau_estimated = 1;
    f->tau = 3;
    set1(f, 0, -3, 6, 1, 0, 1);
    gmoe_model *p = gmoe_model_clone(f);
    set1(p, 0, 3, -6, -1, 1, 0.5);
    set1(p, 1, 0, 0, 1, 0, 1);
    const gmoe_model *fits[2] = {f, p};
    for (int i = 0; i < 2; i++) {
        gmoe_loss_result *r = loss_ok(fits[i], t, GMOE_LOSS_AUTO, 1);
        ck_assert_close(r->loss, 0.0, TOL_NM);
        ck_assert_close(r->err_tau[0] + r->err_tau[1], 0.0, TOL_NM);
        gmoe_loss_result_free(r);
    }
    gmoe_model_free(p);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* Activation: only t0 is an invariance.  The fitted model is the truth
 * with beta0 + 0.7 and beta1 + 0.5 in every expert.  t0 = -0.7 undoes the
 * first, the beta1 error stays: D1 = 0.5 (e^-1 + 1) = 0.6839397205857212,
 * t1 reported as 0.  Untranslated: e^0.7 (e^-1 + 1) 0.5 + (e^0.7 - 1)(e^-1 + 1)
 * = 2.7639769510568493. */
START_TEST(activation_t0_only)
{
    gmoe_model *t = truth2(GMOE_ACTIVATION);
    gmoe_model *f = truth2(GMOE_ACTIVATION);
    for (size_t i = 0; i < 2; i++) {
        f->beta0[i] += 0.7;
        f->beta1[i] += 0.5;
    }
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_close(r->loss, 0.6839397205857212, TOL);
    ck_assert_close(r->loss_untranslated, 2.7639769510568493, TOL);
    ck_assert_close(r->t0, -0.7, 1e-12);
    ck_assert(r->t1[0] == 0.0);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* ================================================================ errors */

START_TEST(refusals)
{
    gmoe_model *t = truth2(GMOE_SOFTMAX);
    gmoe_loss_result *r = NULL;
    gmoe_err e;
    gmoe_err_clear(&e);

    gmoe_model *ft = truth2(GMOE_TEMPERATURE);
    int s = gmoe_voronoi_loss(ft, t, NULL, &r, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "family");
    ck_assert_ptr_null(r);

    gmoe_model *f2 = gmoe_model_alloc(GMOE_SOFTMAX, 2, 2);
    s = gmoe_voronoi_loss(f2, t, NULL, &r, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "d = 2");

    gmoe_model *fa = truth2(GMOE_ACTIVATION), *ta = truth2(GMOE_ACTIVATION);
    fa->act = GMOE_ACT_SIGMOID;
    s = gmoe_voronoi_loss(fa, ta, NULL, &r, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "activation");

    gmoe_model *bad = truth2(GMOE_SOFTMAX);
    bad->sigma2[1] = 0;
    s = gmoe_voronoi_loss(bad, t, NULL, &r, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "sigma2");
    bad->sigma2[1] = 1;
    bad->b[0] = NAN;
    s = gmoe_voronoi_loss(t, bad, NULL, &r, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "true model, expert 1");

    gmoe_loss_options o;
    gmoe_loss_options_default(&o);
    o.kind = (gmoe_loss_kind)7;
    s = gmoe_voronoi_loss(t, t, &o, &r, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "loss kind");

    /* Under-fitted (k = 1 < k* = 2): refused by AUTO ... */
    gmoe_model *f1 = gmoe_model_alloc(GMOE_SOFTMAX, 1, 1);
    set1(f1, 0, 0, 0, -1, 1, 0.5); /* = true atom 2 */
    s = gmoe_voronoi_loss(f1, t, NULL, &r, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "fewer experts");
    ck_assert_ptr_null(r);
    /* ... computed when forced: cell 1 is empty, D1 = |0 - e^-1| + |1 - 1|
     * = e^-1, and no translation lowers it (f(s) = e^-1 + |s - 1|). */
    gmoe_model_free(f1);
    f1 = gmoe_model_alloc(GMOE_SOFTMAX, 1, 1);
    set1(f1, 0, 0, 0, -1, 1, 0.5);
    r = loss_ok(f1, t, GMOE_LOSS_D1, 1);
    ck_assert_close(r->loss, exp(-1), TOL);
    ck_assert_uint_eq(r->cell_size[0], 0);
    gmoe_loss_result_free(r);

    s = gmoe_voronoi_loss(t, t, NULL, NULL, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "result");

    gmoe_model_free(f1);
    gmoe_model_free(bad);
    gmoe_model_free(fa);
    gmoe_model_free(ta);
    gmoe_model_free(f2);
    gmoe_model_free(ft);
    gmoe_model_free(t);
}
END_TEST

/* MODELS.md section 2, "Decision": the loss is the infimum over the
 * translation, min(best breakpoint, W*).  Far from the truth (expert 2's
 * a and b off by 100, a parameter term far above the fitted mass) every
 * breakpoint is above W* = exp(-8) + 1, which the loss is then exactly,
 * with at_limit set and the breakpoint value kept beside it. */
START_TEST(infimum_at_limit)
{
    gmoe_model *t = reference_truth();
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 3, 1);
    set1(f, 0, -8, 25, -20, 115, 0.09);
    set1(f, 1, -0.7, 0, 120, -5, 0.16);
    set1(f, 2, 0, 0, 20, -105, 0.16);
    for (gmoe_loss_kind kind = GMOE_LOSS_D1; kind <= GMOE_LOSS_D2; kind++) {
        gmoe_loss_result *r = loss_ok(f, t, kind, 1);
        ck_assert_int_eq(r->at_limit, 1);
        ck_assert_msg(r->loss == exp(-8.0) + 1.0, "loss %.17g, want W* exactly", r->loss);
        ck_assert_msg(r->loss_limit == r->loss, "loss_limit %.17g", r->loss_limit);
        ck_assert_msg(r->loss_breakpoint > r->loss, "breakpoint %.17g", r->loss_breakpoint);
        ck_assert_msg(r->loss_untranslated > r->loss_breakpoint, "untranslated %.17g", r->loss_untranslated);
        gmoe_loss_result_free(r);
        /* Untranslated: the loss at t = 0, no breakpoint, never the limit. */
        r = loss_ok(f, t, kind, 0);
        ck_assert_int_eq(r->at_limit, 0);
        ck_assert_msg(isnan(r->loss_breakpoint), "breakpoint %.17g", r->loss_breakpoint);
        ck_assert_msg(r->loss == r->loss_untranslated, "loss %.17g", r->loss);
        gmoe_loss_result_free(r);
    }
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* Near the truth the infimum is a breakpoint: the loss is the value the
 * loss had before the infimum (0.01024051586866115, computed by mixloss at
 * commit 535abea for this fit), to 1e-12, and equals loss_breakpoint. */
START_TEST(infimum_near_truth_unchanged)
{
    gmoe_model *t = reference_truth();
    gmoe_model *f = gmoe_model_alloc(GMOE_SOFTMAX, 3, 1);
    set1(f, 0, -8.02, 25.1, -20.05, 15.03, 0.091);
    set1(f, 1, -0.7, 0.2, 20.1, -5.04, 0.155);
    set1(f, 2, 0, 0, 19.9, -4.97, 0.162);
    gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, 1);
    ck_assert_int_eq(r->at_limit, 0);
    ck_assert_close(r->loss, 0.01024051586866115, 1e-12);
    ck_assert_msg(r->loss == r->loss_breakpoint, "loss %.17g, breakpoint %.17g", r->loss, r->loss_breakpoint);
    ck_assert_close(r->loss_untranslated, 0.51243034823558054, 1e-12);
    ck_assert_close(r->loss_limit, exp(-8.0) + 1.0, 0.0);
    gmoe_loss_result_free(r);
    gmoe_model_free(f);
    gmoe_model_free(t);
}
END_TEST

/* A true model that is not pinned is put in pinned form first: shifting
 * the truth's gate by a common (s0, s1) changes nothing. */
START_TEST(truth_normalized)
{
    gmoe_model *t = truth2(GMOE_SOFTMAX), *u = truth2(GMOE_SOFTMAX), *f = fit_d2();
    for (size_t j = 0; j < 2; j++) {
        u->beta0[j] += 3;
        u->beta1[j] -= 1.25;
    }
    for (int tr = 0; tr <= 1; tr++) {
        gmoe_loss_result *r = loss_ok(f, t, GMOE_LOSS_AUTO, tr);
        gmoe_loss_result *q = loss_ok(f, u, GMOE_LOSS_AUTO, tr);
        ck_assert_close(q->loss, r->loss, TOL);
        ck_assert_close(q->loss_untranslated, r->loss_untranslated, TOL);
        gmoe_loss_result_free(r);
        gmoe_loss_result_free(q);
    }
    gmoe_model_free(f);
    gmoe_model_free(u);
    gmoe_model_free(t);
}
END_TEST

static Suite *voronoi_suite(void)
{
    Suite *s = suite_create("voronoi");
    TCase *tc = tcase_create("loss");
    tcase_add_test(tc, options_default);
    tcase_add_test(tc, d1_hand);
    tcase_add_test(tc, d2_hand);
    tcase_add_test(tc, empty_cell);
    tcase_add_test(tc, tie_lower_index);
    tcase_add_test(tc, rbar_unknown_and_supplied);
    suite_add_tcase(s, tc);
    tc = tcase_create("invariance");
    tcase_add_test(tc, identical_zero);
    tcase_add_test(tc, relabel_invariant);
    tcase_add_test(tc, translation_recovered);
    tcase_add_test(tc, translation_interior);
    tcase_add_test(tc, translation_interior_1d);
    tcase_add_test(tc, split_reference_cell);
    tcase_add_test(tc, infimum_at_limit);
    tcase_add_test(tc, infimum_near_truth_unchanged);
    tcase_add_test(tc, truth_normalized);
    suite_add_tcase(s, tc);
    tc = tcase_create("families");
    tcase_add_test(tc, temperature_tau);
    tcase_add_test(tc, temperature_scale_and_labels);
    tcase_add_test(tc, activation_t0_only);
    tcase_add_test(tc, refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    return check_run_suite(voronoi_suite());
}
