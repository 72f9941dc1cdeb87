/* gating.c -- the family table. */
#include <stddef.h>

#include "gating.h"

const gmoe_gating *gmoe_gating_get(gmoe_family f)
{
    switch (f) {
    case GMOE_SOFTMAX: return &gmoe_gating_softmax;
    default: return NULL; /* not (yet) implemented */
    }
}
