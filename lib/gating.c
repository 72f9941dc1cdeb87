/* gating.c -- the family table, and checks shared by families. */
#include <math.h>
#include <stddef.h>

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

int gmoe_check_tau(const gmoe_model *m, gmoe_err *err)
{
    if (!(m->tau > 0) || !isfinite(m->tau))
        return gmoe_error(err, GMOE_EINVAL, "tau must be finite and > 0 (got %g)", m->tau);
    return GMOE_OK;
}

void gmoe_block_softmax_gates(const gmoe_model *m, const gmoe_gating *g, const double *x,
                              size_t nrows, double *c, double *lse, double *buf)
{
    size_t k = m->k, d = m->d;
    for (size_t r = 0; r < nrows; r++)
        g->softmax_logits(m, x + r * d, c + r * 2 * k);
    gmoe_block_lse_weights(nrows, k, c, 2 * k, c + k, 2 * k, lse, buf);
    for (size_t r = 0; r < nrows; r++)
        for (size_t i = 0; i < k; i++)
            c[r * 2 * k + i] -= lse[r];
}
