/* check_configs.h -- the family configurations (family and options)
 * that the Check suites loop their tests over (check_gating.c,
 * check_derivatives.c): every family, top-K with each K of 3 and each
 * selection rule, temperature with tau fixed and estimated, activation
 * with each activation, bias placement and tau mode. */
#ifndef GMOE_CHECK_CONFIGS_H
#define GMOE_CHECK_CONFIGS_H

#include <stddef.h>

#include "gmoe.h"

/* One family configuration of the loop tests. */
typedef struct {
    gmoe_family family;
    size_t top_k;
    gmoe_select select;
    double tau;
    int tau_estimated;
    gmoe_activation act;
    gmoe_bias_placement bias;
} config;

static config configs[64];
static size_t nconfigs;

static inline void build_configs(void)
{
    nconfigs = 0;
    configs[nconfigs++] = (config){GMOE_SOFTMAX, 3, 0, 1, 0, 0, 0};
    for (size_t K = 1; K <= 3; K++)
        for (int s = 0; s < 2; s++)
            configs[nconfigs++] = (config){GMOE_TOPK, K, (gmoe_select)s, 1, 0, 0, 0};
    configs[nconfigs++] = (config){GMOE_TEMPERATURE, 3, 0, 0.4, 0, 0, 0};
    configs[nconfigs++] = (config){GMOE_TEMPERATURE, 3, 0, 2.5, 1, 0, 0};
    for (int a = 0; a < GMOE_NACTIVATIONS; a++)
        for (int b = 0; b < 2; b++)
            for (int e = 0; e < 2; e++)
                configs[nconfigs++] = (config){GMOE_ACTIVATION, 3, 0, 0.7, e, (gmoe_activation)a,
                                               (gmoe_bias_placement)b};
}

/* A model of k experts over d covariates with c's family and options
 * (zero gate parameters). */
static inline gmoe_model *config_model(const config *c, size_t k, size_t d)
{
    gmoe_model *m = gmoe_model_alloc(c->family, k, d);
    if (!m)
        return NULL;
    m->top_k = c->top_k;
    m->select = c->select;
    m->tau = c->tau;
    m->tau_estimated = c->tau_estimated;
    m->act = c->act;
    m->bias = c->bias;
    return m;
}

#endif
