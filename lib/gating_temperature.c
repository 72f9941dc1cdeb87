/* gating_temperature.c -- dense-to-sparse softmax gate with a temperature
 * (ICML 2024, arXiv 2401.13875):
 *     g_i(x) = exp(l_i / tau) / sum_j exp(l_j / tau),  l_i = beta0_i + beta1_i'x,
 * last expert pinned as in softmax.
 *
 * The likelihood depends on (beta, tau) only through gamma = beta / tau,
 * so theta is gamma, in the softmax layout, and the M-step is the softmax
 * one (unpack sets beta = tau * gamma).
 *   tau_mode fixed:    tau stays the user's; beta = tau * gamma.
 *   tau_mode estimate: tau is not identifiable on its own (the likelihood
 *     is invariant under (beta0, beta1, tau) -> c (beta0, beta1, tau)).  The
 *     fit maximizes over gamma and reports the representative whose slopes,
 *     centred over all k experts, have unit Frobenius norm,
 *     ||beta1 - mean||_F = 1, so that tau = 1 / ||gamma1 - mean||_F measures
 *     how sharp the gate is (a flat gate, gamma1 = 0, keeps tau).  Centred,
 *     not the plain ||beta1||_F of the pinned form: that one depends on
 *     which expert is pinned, so relabelling the experts of one gate
 *     changed its tau.  AIC/BIC count gamma only: (k-1)(d+1). */
#include <math.h>

#include "gating.h"
#include "internal.h"

static void temperature_pack(const gmoe_model *m, double *theta)
{
    gmoe_softmax_pack(m, theta);
    for (size_t u = 0; u < gmoe_softmax_npar(m); u++)
        theta[u] /= m->tau;
}

static void temperature_unpack(gmoe_model *m, const double *theta)
{
    gmoe_softmax_unpack(m, theta);
    for (size_t i = 0; i + 1 < m->k; i++) {
        m->beta0[i] *= m->tau;
        for (size_t j = 0; j < m->dg; j++)
            m->beta1[i * m->dg + j] *= m->tau;
    }
}

/* l_i / tau into l[k]. */
static void temperature_logits(const gmoe_model *m, const double *x, double *l)
{
    gmoe_softmax_logits(m, x, l);
    for (size_t i = 0; i < m->k; i++)
        l[i] /= m->tau;
}

static void temperature_log_gate(const gmoe_model *m, const double *x, double *logg)
{
    temperature_logits(m, x, logg);
    gmoe_log_normalize(logg, m->k);
}

/* l_i = (beta0_i + beta1_i'x) / tau: dl_i/dtau = -l_i / tau,
 * d2l_i/d(beta_i)dtau = -(1, x) / tau^2, d2l_i/dtau^2 = 2 l_i / tau^2. */
static void temperature_logit_derivs(const gmoe_model *m, const double *x, gmoe_logit_derivs *ld)
{
    double it = 1.0 / m->tau;
    size_t q = m->dg + 1;
    temperature_logits(m, x, ld->l);
    gmoe_linear_logit_derivs(m, x, it, ld);
    if (!m->tau_estimated)
        return;
    for (size_t i = 0; i < m->k; i++) {
        ld->dlt[i] = -ld->l[i] * it;
        ld->d2tt[i] = 2.0 * ld->l[i] * it * it;
        for (size_t u = 0; u < q; u++)
            ld->d2lt[i * q + u] = -ld->dl[i * q + u] * it;
    }
}

static double temperature_row_objective(const gmoe_model *m, const double *x,
                                        const double *r, double *grad, double *hess,
                                        double *work)
{
    double *l = work, *g = work + m->k;
    temperature_logits(m, x, l);
    return gmoe_softmax_row(m->k, m->dg, l, x, r, 1.0, grad, hess, g);
}

static size_t temperature_work_size(const gmoe_model *m)
{
    return 2 * m->k;
}

double gmoe_temperature_centred_slopes(const gmoe_model *m, double *c)
{
    double ss = 0.0;
    for (size_t j = 0; j < m->dg; j++) {
        double mean = 0.0;
        for (size_t i = 0; i < m->k; i++)
            mean += m->beta1[i * m->dg + j];
        mean /= (double)m->k;
        for (size_t i = 0; i < m->k; i++) {
            double v = m->beta1[i * m->dg + j] - mean;
            ss += v * v;
            if (c)
                c[i * m->dg + j] = v;
        }
    }
    return ss;
}

/* With tau estimated: rescale (beta, tau) so that ||beta1 - mean||_F = 1. */
static void temperature_normalize(gmoe_model *m)
{
    if (!m->tau_estimated)
        return;
    double s = sqrt(gmoe_temperature_centred_slopes(m, NULL));
    if (!(s > 0) || !isfinite(s))
        return;
    for (size_t i = 0; i < m->k; i++) {
        m->beta0[i] /= s;
        for (size_t j = 0; j < m->dg; j++)
            m->beta1[i * m->dg + j] /= s;
    }
    m->tau /= s;
}

static int temperature_check(const gmoe_model *m, gmoe_err *err)
{
    return gmoe_check_last_gate_pinned(m, gmoe_gating_temperature.name, err);
}

const gmoe_gating gmoe_gating_temperature = {
    .name = "temperature",
    .family = GMOE_TEMPERATURE,
    .options = GMOE_FAMILY_OPT_TAU,
    .pins_last_slope = 1,
    .properties = GMOE_FAMILY_SCALE_FREE,
    .logit_derivs = temperature_logit_derivs,
    .npar = gmoe_softmax_npar,
    .pack = temperature_pack,
    .unpack = temperature_unpack,
    .log_gate = temperature_log_gate,
    .row_objective = temperature_row_objective,
    .softmax_logits = temperature_logits,
    .work_size = temperature_work_size,
    .normalize = temperature_normalize,
    .check = temperature_check,
    .init_surrogate = NULL,
    .pattern_surrogate = NULL,
    .split = gmoe_softmax_split,
};
