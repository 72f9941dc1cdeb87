/* gating_softmax.c -- dense softmax gate (Jordan & Jacobs):
 *     g_i(x) = exp(l_i) / sum_j exp(l_j),   l_i = beta0_i + beta1_i'x,
 * with the last expert pinned (beta0_k = 0, beta1_k = 0).
 * theta = (beta0_i, beta1_i[0..d-1]) for i = 0..k-2, blocks of d+1. */
#include <math.h>
#include <string.h>

#include "gating.h"
#include "internal.h"

static size_t softmax_npar(const gmoe_model *m)
{
    return (m->k - 1) * (m->d + 1);
}

static void softmax_pack(const gmoe_model *m, double *theta)
{
    size_t p = m->d + 1;
    for (size_t i = 0; i + 1 < m->k; i++) {
        theta[i * p] = m->beta0[i];
        memcpy(theta + i * p + 1, m->beta1 + i * m->d, m->d * sizeof(double));
    }
}

static void softmax_unpack(gmoe_model *m, const double *theta)
{
    size_t p = m->d + 1;
    for (size_t i = 0; i + 1 < m->k; i++) {
        m->beta0[i] = theta[i * p];
        memcpy(m->beta1 + i * m->d, theta + i * p + 1, m->d * sizeof(double));
    }
    m->beta0[m->k - 1] = 0.0;
    memset(m->beta1 + (m->k - 1) * m->d, 0, m->d * sizeof(double));
}

static void softmax_log_gate(const gmoe_model *m, const double *x, double *logg)
{
    size_t k = m->k, d = m->d;
    for (size_t i = 0; i < k; i++) {
        const double *b1 = m->beta1 + i * d;
        double l = m->beta0[i];
        for (size_t j = 0; j < d; j++)
            l += b1[j] * x[j];
        logg[i] = l;
    }
    double lse = gmoe_logsumexp(logg, k);
    for (size_t i = 0; i < k; i++)
        logg[i] -= lse;
}

/* Gradient and Hessian of sum_i r_i log g_i for a softmax whose free
 * logit blocks are the first k-1 experts; shared with the temperature
 * family (which scales the logits by 1/tau).  scale multiplies the
 * covariate vector z = (1, x). */
static double softmax_row_objective(const gmoe_model *m, const double *x,
                                    const double *r, double *grad, double *hess,
                                    double *work)
{
    size_t k = m->k, d = m->d, p = d + 1, np = (k - 1) * p;
    double *logg = work;
    softmax_log_gate(m, x, logg);
    double q = 0.0, rsum = 0.0;
    for (size_t i = 0; i < k; i++) {
        if (r[i] > 0)
            q += r[i] * logg[i];
        rsum += r[i];
    }
    if (!grad && !hess)
        return q;
    for (size_t i = 0; i + 1 < k; i++) {
        double gi = exp(logg[i]);
        double ci = r[i] - rsum * gi;
        if (grad) {
            grad[i * p] += ci;
            for (size_t u = 0; u < d; u++)
                grad[i * p + 1 + u] += ci * x[u];
        }
        if (!hess)
            continue;
        for (size_t j = 0; j + 1 < k; j++) {
            double gj = exp(logg[j]);
            double w = -rsum * gi * ((i == j) - gj);
            /* block (i, j) += w * z z' */
            for (size_t u = 0; u < p; u++) {
                double zu = u ? x[u - 1] : 1.0;
                double *row = hess + (i * p + u) * np + j * p;
                row[0] += w * zu;
                for (size_t v = 0; v < d; v++)
                    row[1 + v] += w * zu * x[v];
            }
        }
    }
    return q;
}

static int softmax_has_hessian(const gmoe_model *m)
{
    (void)m;
    return 1;
}

static size_t softmax_work_size(const gmoe_model *m)
{
    return m->k;
}

static int softmax_check(const gmoe_model *m, gmoe_err *err)
{
    size_t last = m->k - 1;
    int pinned = m->beta0[last] == 0.0;
    for (size_t j = 0; j < m->d; j++)
        pinned = pinned && m->beta1[last * m->d + j] == 0.0;
    if (!pinned)
        return gmoe_error(err, GMOE_EINVAL,
                          "the last expert's gate must be pinned to zero (beta0 = 0, beta1 = 0) in family %s",
                          gmoe_family_name(m->family));
    return GMOE_OK;
}

const gmoe_gating gmoe_gating_softmax = {
    .name = "softmax",
    .npar = softmax_npar,
    .npar_ic = softmax_npar,
    .pack = softmax_pack,
    .unpack = softmax_unpack,
    .log_gate = softmax_log_gate,
    .row_objective = softmax_row_objective,
    .has_hessian = softmax_has_hessian,
    .work_size = softmax_work_size,
    .normalize = NULL,
    .check = softmax_check,
};
