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
#include <math.h>
#include <string.h>

#include "gating.h"
#include "internal.h"

/* act(u) and its first two derivatives. */
static double act_eval(gmoe_activation a, double u, double *d1, double *d2)
{
    double v, s;
    switch (a) {
    case GMOE_ACT_SIGMOID:
        v = u >= 0 ? 1.0 / (1.0 + exp(-u)) : exp(u) / (1.0 + exp(u));
        *d1 = v * (1 - v);
        *d2 = *d1 * (1 - 2 * v);
        return v;
    case GMOE_ACT_ARCTAN:
        s = 1.0 / (1.0 + u * u);
        *d1 = s;
        *d2 = -2 * u * s * s;
        return atan(u);
    case GMOE_ACT_SOFTSIGN:
        s = 1.0 / (1.0 + fabs(u));
        *d1 = s * s;
        *d2 = -2 * copysign(1.0, u) * s * s * s;
        return u * s;
    default: /* tanh */
        v = tanh(u);
        *d1 = 1 - v * v;
        *d2 = -2 * v * *d1;
        return v;
    }
}

static size_t activation_npar(const gmoe_model *m)
{
    return m->k * (m->d + 1) - 1 + (m->tau_estimated ? 1 : 0);
}

/* Index in theta of expert i's entry u (u = 0: beta0, u = 1..d: beta1). */
static inline size_t act_index(size_t i, size_t u, size_t k, size_t d)
{
    return i * (d + 1) + u - (i + 1 == k);
}

static void activation_pack(const gmoe_model *m, double *theta)
{
    size_t k = m->k, d = m->d;
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
    size_t k = m->k, d = m->d;
    for (size_t i = 0; i < k; i++) {
        m->beta0[i] = i + 1 < k ? theta[act_index(i, 0, k, d)] : 0.0;
        memcpy(m->beta1 + i * d, theta + act_index(i, 1, k, d), d * sizeof(double));
    }
    if (m->tau_estimated)
        m->tau = exp(theta[k * (d + 1) - 1]);
}

/* Logits into l[k]; if a is not NULL, act(u_i), act'(u_i), act''(u_i)
 * into a, a1, a2. */
static void activation_logits(const gmoe_model *m, const double *x, double *l,
                              double *a, double *a1, double *a2)
{
    size_t k = m->k, d = m->d;
    double inv_tau = 1.0 / m->tau;
    int inside = m->bias == GMOE_BIAS_INSIDE;
    for (size_t i = 0; i < k; i++) {
        const double *b1 = m->beta1 + i * d;
        double u = 0.0, d1, d2;
        for (size_t j = 0; j < d; j++)
            u += b1[j] * x[j];
        double v = act_eval(m->act, u, &d1, &d2);
        l[i] = inside ? (v + m->beta0[i]) * inv_tau : v * inv_tau + m->beta0[i];
        if (a) {
            a[i] = v;
            a1[i] = d1;
            a2[i] = d2;
        }
    }
}

static void activation_log_gate(const gmoe_model *m, const double *x, double *logg)
{
    activation_logits(m, x, logg, NULL, NULL, NULL);
    double lse = gmoe_logsumexp(logg, m->k);
    for (size_t i = 0; i < m->k; i++)
        logg[i] -= lse;
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
 *   d2l_i/dlog tau^2 = -w_i. */
static double activation_row_objective(const gmoe_model *m, const double *x,
                                       const double *r, double *grad, double *hess,
                                       double *work)
{
    size_t k = m->k, d = m->d, p = d + 1, np = activation_npar(m);
    double *l = work, *g = l + k, *a = g + k, *a1 = a + k, *a2 = a1 + k, *w = a2 + k, *V = w + k;
    activation_logits(m, x, l, a, a1, a2);
    double lse = gmoe_logsumexp_weights(l, k, g);
    double q = 0.0, rsum = 0.0;
    for (size_t i = 0; i < k; i++) {
        if (r[i] > 0)
            q += r[i] * (l[i] - lse);
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

static int activation_has_hessian(const gmoe_model *m)
{
    (void)m;
    return 1;
}

static size_t activation_work_size(const gmoe_model *m)
{
    return 6 * m->k + m->k * (m->d + 1);
}

static int activation_check(const gmoe_model *m, gmoe_err *err)
{
    if (!(m->tau > 0) || !isfinite(m->tau))
        return gmoe_error(err, GMOE_EINVAL, "tau must be finite and > 0 (got %g)", m->tau);
    if ((unsigned)m->act >= GMOE_NACTIVATIONS)
        return gmoe_error(err, GMOE_EINVAL, "unknown activation %d", (int)m->act);
    if ((unsigned)m->bias > GMOE_BIAS_INSIDE)
        return gmoe_error(err, GMOE_EINVAL, "unknown bias placement %d", (int)m->bias);
    if (m->beta0[m->k - 1] != 0.0)
        return gmoe_error(err, GMOE_EINVAL, "the last expert's gate bias must be pinned to zero (beta0 = 0) "
                                            "in family activation");
    return GMOE_OK;
}

const gmoe_gating gmoe_gating_activation = {
    .name = "activation",
    .npar = activation_npar,
    .npar_ic = activation_npar,     /* tau is identifiable here */
    .pack = activation_pack,
    .unpack = activation_unpack,
    .log_gate = activation_log_gate,
    .row_objective = activation_row_objective,
    .has_hessian = activation_has_hessian,
    .work_size = activation_work_size,
    .normalize = NULL,
    .check = activation_check,
    .has_tau = 1,
    .tau_warmup = 1,
    .init_surrogate = NULL,
    .pattern_surrogate = NULL,
};
