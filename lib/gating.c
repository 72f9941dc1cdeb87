/* gating.c -- the family table, and checks shared by families. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "gating.h"
#include "internal.h"

const gmoe_gating *gmoe_gating_get(gmoe_family f)
{
    switch (f) {
    case GMOE_SOFTMAX: return &gmoe_gating_softmax;
    case GMOE_TOPK: return &gmoe_gating_topk;
    case GMOE_TEMPERATURE: return &gmoe_gating_temperature;
    case GMOE_ACTIVATION: return &gmoe_gating_activation;
    default: return NULL;
    }
}

int gmoe_family_has_tau(gmoe_family f)
{
    const gmoe_gating *g = gmoe_gating_get(f);
    return g && g->has_tau;
}

int gmoe_model_set_tau(gmoe_model *m, double tau)
{
    const gmoe_gating *g = m ? gmoe_gating_get(m->family) : NULL;
    if (!g || !g->has_tau || !(tau > 0) || !isfinite(tau))
        return GMOE_EINVAL;
    /* The family's theta, taken at the old tau and read back at the new
     * one: temperature's theta is beta / tau, activation's is beta (plus
     * log tau when estimated, which unpack would restore: tau is set
     * again after it). */
    double *theta = malloc(g->npar(m) * sizeof(double));
    if (!theta)
        return GMOE_ENOMEM;
    g->pack(m, theta);
    m->tau = tau;
    g->unpack(m, theta);
    m->tau = tau;
    free(theta);
    return GMOE_OK;
}

void gmoe_model_start_tau(gmoe_model *m, double start_tau, int tau_estimated)
{
    if (!gmoe_family_has_tau(m->family) || start_tau == m->tau)
        return;
    double tau = m->tau;
    m->tau = start_tau;
    if (!tau_estimated && gmoe_model_set_tau(m, tau) != GMOE_OK)
        m->tau = tau; /* a bad tau: the fit's own checks report it */
}

void gmoe_linear_logit_derivs(const gmoe_model *m, const double *x, double scale,
                              gmoe_logit_derivs *ld)
{
    size_t q = m->d + 1;
    for (size_t i = 0; i < m->k; i++) {
        double *dl = ld->dl + i * q;
        dl[0] = scale;
        for (size_t j = 0; j < m->d; j++)
            dl[1 + j] = scale * x[j];
    }
    ld->curved = 0;
}

int gmoe_check_tau(const gmoe_model *m, gmoe_err *err)
{
    if (!(m->tau > 0) || !isfinite(m->tau))
        return gmoe_error(err, GMOE_EINVAL, "tau must be finite and > 0 (got %g)", m->tau);
    return GMOE_OK;
}

/* gmoe_softmax_logits for rows of x (k, d: m's, GMOE_WITH_SHAPE). */
static inline __attribute__((always_inline)) void
softmax_logits_rows(size_t k, size_t d, const gmoe_model *m, const double *x, size_t nrows,
                    double *c)
{
    for (size_t r = 0; r < nrows; r++)
        gmoe_softmax_logits_row(m, k, d, x + r * d, c + r * 2 * k);
}

void gmoe_block_softmax_gates(const gmoe_model *m, const gmoe_gating *g, const double *x,
                              size_t nrows, double *c, double *lse, double *buf, double *work)
{
    size_t k = m->k, d = m->d;
    if (g->block_logits)
        g->block_logits(m, x, nrows, c, 2 * k, work);
    else if (g->softmax_logits != gmoe_softmax_logits)
        for (size_t r = 0; r < nrows; r++)
            g->softmax_logits(m, x + r * d, c + r * 2 * k);
    else
        GMOE_WITH_SHAPE(softmax_logits_rows, k, d, m, x, nrows, c);
    gmoe_block_lse_weights(nrows, k, c, 2 * k, c + k, 2 * k, lse, buf);
    for (size_t r = 0; r < nrows; r++)
        for (size_t i = 0; i < k; i++)
            c[r * 2 * k + i] -= lse[r];
}
