/* gating.c -- the family table. */
#include <stddef.h>

#include "gating.h"

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
