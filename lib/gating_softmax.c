/* gating_softmax.c -- dense softmax gate (Jordan & Jacobs):
 *     g_i(x) = exp(l_i) / sum_j exp(l_j),   l_i = beta0_i + beta1_i'x,
 * with the last expert pinned (beta0_k = 0, beta1_k = 0).
 * theta = (beta0_i, beta1_i[0..d-1]) for i = 0..k-2, blocks of d+1. */
#include <math.h>
#include <string.h>

#include "gating.h"
#include "internal.h"

size_t gmoe_softmax_npar(const gmoe_model *m)
{
    return (m->k - 1) * (m->dg + 1);
}

void gmoe_softmax_pack(const gmoe_model *m, double *theta)
{
    size_t p = m->dg + 1;
    for (size_t i = 0; i + 1 < m->k; i++) {
        theta[i * p] = m->beta0[i];
        memcpy(theta + i * p + 1, m->beta1 + i * m->dg, m->dg * sizeof(double));
    }
}

void gmoe_softmax_unpack(gmoe_model *m, const double *theta)
{
    size_t p = m->dg + 1;
    for (size_t i = 0; i + 1 < m->k; i++) {
        m->beta0[i] = theta[i * p];
        memcpy(m->beta1 + i * m->dg, theta + i * p + 1, m->dg * sizeof(double));
    }
    m->beta0[m->k - 1] = 0.0;
    memset(m->beta1 + (m->k - 1) * m->dg, 0, m->dg * sizeof(double));
}

/* Both halves of expert j get its logit minus log 2 (beta0 - tau log 2);
 * the gates are then pinned to the last expert again (the logits are
 * defined up to a common shift). */
void gmoe_softmax_split(gmoe_model *dst, const gmoe_model *src, size_t j)
{
    size_t k = dst->k, d = dst->d, dg = dst->dg, last = k - 1;
    for (size_t i = 0; i < k; i++) {
        size_t from = i == last ? j : i;
        dst->beta0[i] = src->beta0[from];
        memcpy(dst->beta1 + i * dg, src->beta1 + from * dg, dg * sizeof(double));
        memcpy(dst->a + i * d, src->a + from * d, d * sizeof(double));
        dst->b[i] = src->b[from];
        dst->sigma2[i] = src->sigma2[from];
    }
    dst->tau = src->tau;
    double half = src->tau * log(2.0);
    dst->beta0[j] -= half;
    dst->beta0[last] -= half;
    const double *pin = dst->beta1 + last * dg;
    for (size_t i = 0; i < last; i++) {
        dst->beta0[i] -= dst->beta0[last];
        for (size_t u = 0; u < dg; u++)
            dst->beta1[i * dg + u] -= pin[u];
    }
    dst->beta0[last] = 0.0;
    memset(dst->beta1 + last * dg, 0, dg * sizeof(double));
}

/* Logits l_i into l[k]; the pinned last expert gives 0. */
void gmoe_softmax_logits(const gmoe_model *m, const double *x, double *l)
{
    gmoe_softmax_logits_row(m, m->k, m->dg, x, l);
}

static void softmax_log_gate(const gmoe_model *m, const double *x, double *logg)
{
    gmoe_softmax_logits(m, x, logg);
    gmoe_log_normalize(logg, m->k);
}

double gmoe_softmax_row(size_t k, size_t d, const double *l, const double *x,
                        const double *r, double scale, double *grad,
                        double *hess, double *g)
{
    gmoe_lse_parts lse = gmoe_logsumexp_weights(l, k, g);
    return gmoe_softmax_row_given(k, d, l, lse, g, x, r, scale, grad, hess);
}

static void softmax_logit_derivs(const gmoe_model *m, const double *x, gmoe_logit_derivs *ld)
{
    gmoe_softmax_logits(m, x, ld->l);
    gmoe_linear_logit_derivs(m, x, 1.0, ld);
}

static double softmax_row_objective(const gmoe_model *m, const double *x,
                                    const double *r, double *grad, double *hess,
                                    double *work)
{
    double *l = work, *g = work + m->k;
    gmoe_softmax_logits(m, x, l);
    return gmoe_softmax_row(m->k, m->dg, l, x, r, 1.0, grad, hess, g);
}

static size_t softmax_work_size(const gmoe_model *m)
{
    return 2 * m->k;
}

void gmoe_linear_logit_derivs(const gmoe_model *m, const double *x, double scale,
                              gmoe_logit_derivs *ld)
{
    size_t q = m->dg + 1;
    for (size_t i = 0; i < m->k; i++) {
        double *dl = ld->dl + i * q;
        dl[0] = scale;
        for (size_t j = 0; j < m->dg; j++)
            dl[1 + j] = scale * x[j];
    }
    ld->curved = 0;
}

int gmoe_check_last_gate_pinned(const gmoe_model *m, const char *family, gmoe_err *err)
{
    size_t last = m->k - 1;
    int pinned = m->beta0[last] == 0.0;
    for (size_t j = 0; j < m->dg; j++)
        pinned = pinned && m->beta1[last * m->dg + j] == 0.0;
    if (!pinned)
        return gmoe_error(err, GMOE_EINVAL,
                          "the last expert's gate must be pinned to zero (beta0 = 0, beta1 = 0) in family %s",
                          family);
    return GMOE_OK;
}

static int softmax_check(const gmoe_model *m, gmoe_err *err)
{
    return gmoe_check_last_gate_pinned(m, gmoe_gating_softmax.name, err);
}

const gmoe_gating gmoe_gating_softmax = {
    .name = "softmax",
    .family = GMOE_SOFTMAX,
    .options = 0,
    .pins_last_slope = 1,
    .properties = 0,
    .logit_derivs = softmax_logit_derivs,
    .npar = gmoe_softmax_npar,
    .pack = gmoe_softmax_pack,
    .unpack = gmoe_softmax_unpack,
    .log_gate = softmax_log_gate,
    .row_objective = softmax_row_objective,
    .softmax_logits = gmoe_softmax_logits,
    .work_size = softmax_work_size,
    .normalize = NULL,
    .check = softmax_check,
    .init_surrogate = NULL,
    .pattern_surrogate = NULL,
    .split = gmoe_softmax_split,
};
