/* gating_activation.c -- activation dense-to-sparse gate (ICML 2024,
 * arXiv 2401.13875):
 *     bias outside (default): l_i = act(beta1_i'x) / tau + beta0_i
 *     bias inside:            l_i = (act(beta1_i'x) + beta0_i) / tau
 *     g_i(x) = exp(l_i) / sum_j exp(l_j),
 * act in {tanh, sigmoid, arctan, softsign}.  A common translation of
 * beta1 is not an invariance (act is nonlinear), so only beta0_k = 0 is
 * pinned; every expert has its own slope vector.
 *
 * theta = (beta0_i, beta1_i) for i = 0..k-2, then beta1_{k-1}, then
 * log tau when tau is estimated (the log keeps tau > 0 without a
 * constraint); tau is identifiable here and AIC/BIC count it.  The gate
 * objective is not concave (act is not linear); the M-step uses the
 * analytic Hessian with Levenberg damping, which turns an indefinite
 * Hessian into an ascent direction, and step halving. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "gating.h"
#include "internal.h"
#include "vector_math.h"

/* act(u).  The sigmoid is 1 / (1 + e) or e / (1 + e), e = exp(-|u|):
 * exp never overflows. */
static inline double act_value(gmoe_activation a, double u)
{
    double e;
    switch (a) {
    case GMOE_ACT_SIGMOID:
        e = exp(-fabs(u));
        return u >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    case GMOE_ACT_ARCTAN:
        return atan(u);
    case GMOE_ACT_SOFTSIGN:
        return u / (1.0 + fabs(u));
    default:
        return tanh(u);
    }
}

/* act'(u) and act''(u) from u and v = act(u). */
static inline void act_derivs(gmoe_activation a, double u, double v, double *d1, double *d2)
{
    double s;
    switch (a) {
    case GMOE_ACT_SIGMOID:
        *d1 = v * (1 - v);
        *d2 = *d1 * (1 - 2 * v);
        break;
    case GMOE_ACT_ARCTAN:
        s = 1.0 / (1.0 + u * u);
        *d1 = s;
        *d2 = -2 * u * s * s;
        break;
    case GMOE_ACT_SOFTSIGN:
        s = 1.0 / (1.0 + fabs(u));
        *d1 = s * s;
        *d2 = -2 * copysign(1.0, u) * s * s * s;
        break;
    default: /* tanh */
        *d1 = 1 - v * v;
        *d2 = -2 * v * *d1;
        break;
    }
}

/* act(u) and its first two derivatives. */
static double act_eval(gmoe_activation a, double u, double *d1, double *d2)
{
    double v = act_value(a, u);
    act_derivs(a, u, v, d1, d2);
    return v;
}

/* act_value and (d1 not NULL) act_derivs over n values, each switch case
 * a vector loop (vector_math.h): the activation gate's tanh, atan and exp
 * calls are most of its work. */
VECTOR_CLONES
static void act_block(gmoe_activation a, size_t n, const double *u, double *v, double *d1,
                      double *d2)
{
    switch (a) {
    case GMOE_ACT_SIGMOID:
#pragma omp simd
        for (size_t j = 0; j < n; j++)
            v[j] = act_value(GMOE_ACT_SIGMOID, u[j]);
        break;
    case GMOE_ACT_ARCTAN:
#pragma omp simd
        for (size_t j = 0; j < n; j++)
            v[j] = act_value(GMOE_ACT_ARCTAN, u[j]);
        break;
    case GMOE_ACT_SOFTSIGN:
#pragma omp simd
        for (size_t j = 0; j < n; j++)
            v[j] = act_value(GMOE_ACT_SOFTSIGN, u[j]);
        break;
    default:
#pragma omp simd
        for (size_t j = 0; j < n; j++)
            v[j] = act_value(GMOE_ACT_TANH, u[j]);
        break;
    }
    if (d1)
        for (size_t j = 0; j < n; j++)
            act_derivs(a, u[j], v[j], &d1[j], &d2[j]);
}

static size_t activation_npar(const gmoe_model *m)
{
    return m->k * (m->dg + 1) - 1 + (m->tau_estimated ? 1 : 0);
}

/* Index in theta of expert i's entry u (u = 0: beta0, u = 1..d: beta1). */
static inline size_t act_index(size_t i, size_t u, size_t k, size_t d)
{
    return i * (d + 1) + u - (i + 1 == k);
}

static void activation_pack(const gmoe_model *m, double *theta)
{
    size_t k = m->k, d = m->dg;
    for (size_t i = 0; i < k; i++) {
        if (i + 1 < k)
            theta[act_index(i, 0, k, d)] = m->beta0[i];
        memcpy(theta + act_index(i, 1, k, d), m->beta1 + i * d, d * sizeof(double));
    }
    if (m->tau_estimated)
        theta[k * (d + 1) - 1] = log(m->tau);
}

static void activation_unpack(gmoe_model *m, const double *theta)
{
    size_t k = m->k, d = m->dg;
    for (size_t i = 0; i < k; i++) {
        m->beta0[i] = i + 1 < k ? theta[act_index(i, 0, k, d)] : 0.0;
        memcpy(m->beta1 + i * d, theta + act_index(i, 1, k, d), d * sizeof(double));
    }
    if (m->tau_estimated)
        m->tau = exp(theta[k * (d + 1) - 1]);
}

/* Logits into l[k]; if a is not NULL, act(u_i), act'(u_i), act''(u_i)
 * into a, a1, a2. */
/* u_i = beta1_i'x, the activation's argument. */
static inline double act_argument(const gmoe_model *m, size_t i, const double *x)
{
    const double *b1 = m->beta1 + i * m->dg;
    double u = 0.0;
    for (size_t j = 0; j < m->dg; j++)
        u += b1[j] * x[j];
    return u;
}

/* The largest of a row's k activations v (outside bias), or 0 (inside).
 * An outside logit v/tau + beta0_i is computed as (v - vmax)/tau +
 * beta0_i, the same gates: with tau near 1e-17 (an estimated tau ran
 * there) v/tau + beta0_i rounds to v/tau, and the experts tied at the
 * largest activation (saturated) lost their biases. */
static inline double act_shift(const gmoe_model *m, const double *v)
{
    return m->bias == GMOE_BIAS_INSIDE ? 0.0 : gmoe_vector_max(v, m->k);
}

/* Expert i's logit from its activation v = act(u_i) and the row's
 * act_shift vmax; inv_tau = 1 / tau. */
static inline double act_logit(const gmoe_model *m, size_t i, double v, double vmax,
                               double inv_tau)
{
    return m->bias == GMOE_BIAS_INSIDE ? (v + m->beta0[i]) * inv_tau
                                       : (v - vmax) * inv_tau + m->beta0[i];
}

static void activation_logits(const gmoe_model *m, const double *x, double *l,
                              double *a, double *a1, double *a2)
{
    double inv_tau = 1.0 / m->tau;
    for (size_t i = 0; i < m->k; i++) {
        double d1, d2, v = act_eval(m->act, act_argument(m, i, x), &d1, &d2);
        l[i] = v; /* the logit below */
        if (a) {
            a[i] = v;
            a1[i] = d1;
            a2[i] = d2;
        }
    }
    double vmax = act_shift(m, l);
    for (size_t i = 0; i < m->k; i++)
        l[i] = act_logit(m, i, l[i], vmax, inv_tau);
}

static void activation_log_gate(const gmoe_model *m, const double *x, double *logg)
{
    activation_logits(m, x, logg, NULL, NULL, NULL);
    gmoe_log_normalize(logg, m->k);
}

/* Q_row = sum_i r_i l_i - R lse(l), R = sum_i r_i, c_i = r_i - R g_i:
 *   dQ = sum_i c_i dl_i,
 *   d2Q = sum_i c_i d2l_i - R (sum_i g_i dl_i dl_i' - dlbar dlbar'),
 *   dlbar = sum_i g_i dl_i.
 * dl_i is non-zero only in expert i's block, V_i = (dl_i/dbeta0_i,
 * dl_i/dbeta1_i), and in log tau, w_i = dl_i/dlog tau.  With
 * e = 1 (outside) or 1/tau (inside):
 *   dl_i/dbeta0_i = e, dl_i/dbeta1_i = act'(u_i) x / tau,
 *   w_i = -act(u_i)/tau (outside) or -l_i (inside),
 *   d2l_i/dbeta1_i^2 = act''(u_i) x x' / tau,
 *   d2l_i/dbeta1_i dlog tau = -act'(u_i) x / tau,
 *   d2l_i/dbeta0_i dlog tau = 0 (outside) or -1/tau (inside),
 *   d2l_i/dlog tau^2 = -w_i.
 * From the row's logits l, gates g (log-sum-exp lse) and activations a,
 * a' and a'' (a1, a2); work: k + k(d+1) doubles. */
static double row_given(const gmoe_model *m, const double *x, const double *r,
                        const double *l, gmoe_lse_parts lse, const double *g, const double *a,
                        const double *a1, const double *a2, double *grad, double *hess,
                        double *work)
{
    size_t k = m->k, d = m->dg, p = d + 1, np = activation_npar(m);
    double *w = work, *V = w + k;
    double q = 0.0, rsum = 0.0;
    for (size_t i = 0; i < k; i++) {
        if (r[i] > 0)
            q += r[i] * gmoe_lse_sub(l[i], lse);
        rsum += r[i];
    }
    if (!grad && !hess)
        return q;
    double inv_tau = 1.0 / m->tau;
    int inside = m->bias == GMOE_BIAS_INSIDE, est = m->tau_estimated;
    size_t it = k * p - 1; /* index of log tau */
    double wbar = 0.0;
    for (size_t i = 0; i < k; i++) {
        V[i * p] = i + 1 < k ? (inside ? inv_tau : 1.0) : 0.0;
        for (size_t j = 0; j < d; j++)
            V[i * p + 1 + j] = a1[i] * inv_tau * x[j];
        w[i] = inside ? -l[i] : -a[i] * inv_tau;
        wbar += g[i] * w[i];
    }
    for (size_t i = 0; i < k; i++) {
        double ci = r[i] - rsum * g[i];
        size_t u0 = i + 1 < k ? 0 : 1;
        if (grad) {
            for (size_t u = u0; u < p; u++)
                grad[act_index(i, u, k, d)] += ci * V[i * p + u];
            if (est)
                grad[it] += ci * w[i];
        }
        if (!hess)
            continue;
        /* expert blocks: -R g_i (delta_ij - g_j) V_i V_j' + delta_ij c_i d2l_i */
        for (size_t j = 0; j < k; j++) {
            double cij = -rsum * g[i] * ((i == j) - g[j]);
            size_t v0 = j + 1 < k ? 0 : 1;
            for (size_t u = u0; u < p; u++) {
                double *row = hess + act_index(i, u, k, d) * np;
                double cu = cij * V[i * p + u];
                for (size_t v = v0; v < p; v++)
                    row[act_index(j, v, k, d)] += cu * V[j * p + v];
            }
        }
        double c2 = ci * a2[i] * inv_tau;
        for (size_t u = 1; u < p; u++)
            for (size_t v = 1; v < p; v++)
                hess[act_index(i, u, k, d) * np + act_index(i, v, k, d)] += c2 * x[u - 1] * x[v - 1];
        if (!est)
            continue;
        /* (expert block, log tau): c_i d2l_i/dtheta dlog tau - R g_i V_i (w_i - wbar) */
        double rw = -rsum * g[i] * (w[i] - wbar);
        for (size_t u = u0; u < p; u++) {
            double d2 = u == 0 ? (inside ? -inv_tau : 0.0) : -a1[i] * inv_tau * x[u - 1];
            double h = ci * d2 + rw * V[i * p + u];
            size_t iu = act_index(i, u, k, d);
            hess[iu * np + it] += h;
            hess[it * np + iu] += h;
        }
        hess[it * np + it] += -ci * w[i] - rsum * g[i] * (w[i] - wbar) * (w[i] - wbar);
    }
    return q;
}

/* Derivatives of l_i in (beta0_i, beta1_i) and tau (not log tau: the
 * free parameters of MODELS.md section 4), with v = act(u_i):
 *   outside: l = v/tau + beta0: dl/dbeta0 = 1, dl/dtau = -v/tau^2,
 *            d2l/dtau^2 = 2v/tau^3, d2l/dbeta0 dtau = 0;
 *   inside:  l = (v + beta0)/tau: dl/dbeta0 = 1/tau, dl/dtau = -l/tau,
 *            d2l/dtau^2 = 2l/tau^2, d2l/dbeta0 dtau = -1/tau^2;
 *   both:    dl/dbeta1 = act' x/tau, d2l/dbeta1^2 = act'' x x'/tau,
 *            d2l/dbeta1 dtau = -act' x/tau^2. */
static void activation_logit_derivs(const gmoe_model *m, const double *x, gmoe_logit_derivs *ld)
{
    size_t k = m->k, d = m->dg, q = d + 1;
    double it = 1.0 / m->tau;
    int inside = m->bias == GMOE_BIAS_INSIDE;
    ld->curved = 1;
    for (size_t i = 0; i < k; i++) {
        double a1, a2, v = act_eval(m->act, act_argument(m, i, x), &a1, &a2);
        /* inside: the logit (no shift); outside the derivatives need v only */
        double l = act_logit(m, i, v, 0.0, it), *dl = ld->dl + i * q, *h = ld->d2l + i * q * q;
        ld->l[i] = v; /* the logit below, once the row's act_shift is known */
        dl[0] = inside ? it : 1.0;
        for (size_t u = 0; u < d; u++)
            dl[1 + u] = a1 * x[u] * it;
        for (size_t u = 0; u < q; u++)
            for (size_t w = 0; w < q; w++)
                h[u * q + w] = u && w ? a2 * x[u - 1] * x[w - 1] * it : 0.0;
        if (!m->tau_estimated)
            continue;
        ld->dlt[i] = inside ? -l * it : -v * it * it;
        ld->d2tt[i] = inside ? 2.0 * l * it * it : 2.0 * v * it * it * it;
        ld->d2lt[i * q] = inside ? -it * it : 0.0;
        for (size_t u = 0; u < d; u++)
            ld->d2lt[i * q + 1 + u] = -dl[1 + u] * it;
    }
    double vmax = act_shift(m, ld->l);
    for (size_t i = 0; i < k; i++)
        ld->l[i] = act_logit(m, i, ld->l[i], vmax, it);
}

static double activation_row_objective(const gmoe_model *m, const double *x,
                                       const double *r, double *grad, double *hess,
                                       double *work)
{
    size_t k = m->k;
    double *l = work, *g = l + k, *a = g + k, *a1 = a + k, *a2 = a1 + k;
    activation_logits(m, x, l, a, a1, a2);
    gmoe_lse_parts lse = gmoe_logsumexp_weights(l, k, g);
    return row_given(m, x, r, l, lse, g, a, a1, a2, grad, hess, a2 + k);
}

/* ---- blocks of rows: the same, with the activations, exps and logs in
 * vector loops.  Block work: u, act, act', act'', logits, gates (nrows*k
 * each), lse (nrows), gmoe_block_lse_weights' buf (nrows*(k+1)), then
 * row_given's work (k + k*(d+1)). */

static size_t activation_block_work_size(const gmoe_model *m)
{
    size_t k = m->k, n = GMOE_BLOCK_ROWS;
    return n * (6 * k + 1 + k + 1) + k + k * (m->dg + 1);
}

/* u_i = beta1_i'x and the activations of nrows rows into U, A (and their
 * derivatives into A1, A2 unless NULL), logits into l (row stride
 * lstride), as activation_logits computes them. */
static void block_terms(const gmoe_model *m, const double *x, size_t nrows, double *l,
                        size_t lstride, double *U, double *A, double *A1, double *A2)
{
    size_t k = m->k, d = m->dg;
    double inv_tau = 1.0 / m->tau;
    for (size_t r = 0; r < nrows; r++)
        for (size_t i = 0; i < k; i++)
            U[r * k + i] = act_argument(m, i, x + r * d);
    act_block(m->act, nrows * k, U, A, A1, A2);
    for (size_t r = 0; r < nrows; r++) {
        double vmax = act_shift(m, A + r * k);
        for (size_t i = 0; i < k; i++)
            l[r * lstride + i] = act_logit(m, i, A[r * k + i], vmax, inv_tau);
    }
}

static void activation_block_logits(const gmoe_model *m, const double *x, size_t nrows,
                                    double *l, size_t lstride, double *work)
{
    size_t n = GMOE_BLOCK_ROWS * m->k;
    block_terms(m, x, nrows, l, lstride, work, work + n, NULL, NULL);
}

static double activation_block_objective(const gmoe_model *m, const double *x, size_t nrows,
                                         const double *r, double *grad, double *hess,
                                         double *work)
{
    size_t k = m->k, d = m->dg, n = GMOE_BLOCK_ROWS * k;
    double *U = work, *A = U + n, *A1 = A + n, *A2 = A1 + n, *L = A2 + n, *G = L + n;
    double *lse = G + n, *buf = lse + GMOE_BLOCK_ROWS, *rest = buf + n + GMOE_BLOCK_ROWS;
    int derivs = grad || hess;
    block_terms(m, x, nrows, L, k, U, A, derivs ? A1 : NULL, A2);
    gmoe_block_lse_weights(nrows, k, L, k, G, k, lse, buf);
    double q = 0.0;
    for (size_t t = 0; t < nrows; t++) {
        size_t o = t * k;
        q += row_given(m, x + t * d, r + o, L + o, gmoe_block_lse_part(buf, nrows, t), G + o, A + o, A1 + o, A2 + o,
                       grad, hess, rest);
    }
    return q;
}

static size_t activation_work_size(const gmoe_model *m)
{
    return 6 * m->k + m->k * (m->dg + 1);
}

static int activation_check(const gmoe_model *m, gmoe_err *err)
{
    if (m->beta0[m->k - 1] != 0.0)
        return gmoe_error(err, GMOE_EINVAL, "the last expert's gate bias must be pinned to zero (beta0 = 0) "
                                            "in family activation");
    return GMOE_OK;
}

const gmoe_gating gmoe_gating_activation = {
    .name = "activation",
    .family = GMOE_ACTIVATION,
    .options = GMOE_FAMILY_OPT_TAU | GMOE_FAMILY_OPT_ACTIVATION | GMOE_FAMILY_OPT_BIAS,
    .pins_last_slope = 0,
    .properties = 0,
    .logit_derivs = activation_logit_derivs,
    .npar = activation_npar,
    .pack = activation_pack,
    .unpack = activation_unpack,
    .log_gate = activation_log_gate,
    .row_objective = activation_row_objective,
    .block_objective = activation_block_objective,
    .block_logits = activation_block_logits,
    .block_work_size = activation_block_work_size,
    .work_size = activation_work_size,
    .normalize = NULL,
    .check = activation_check,
    .tau_warmup = 1,
    .init_surrogate = NULL,
    .pattern_surrogate = NULL,
};
