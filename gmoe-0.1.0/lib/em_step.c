/* em_step.c -- one EM iteration: both M-steps (for a sparse gate, also
 * the pattern proposal, kept only if it raises the likelihood), then the
 * E-step. */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "internal.h"

/* A sparse gate's pattern proposal (gating.h), from the ordinary M-step's
 * result theta_c: kept only if the observed log-likelihood is no lower
 * than at theta_c, which EM already guarantees to be no lower than
 * before, so the step stays monotone.  Costs up to two more E-steps and a
 * gate M-step.  Returns the log-likelihood with ws->resp filled. */
static double pattern_step(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                           const gmoe_em_options *opt, const gmoe_gating *pattern)
{
    const gmoe_gating *own = ws->gating;
    double ll_c = gmoe_em_estep(m, data, ws, NULL);
    own->pack(m, ws->theta_keep);
    ws->gating = pattern;
    int st = gmoe_mstep_gate(m, data, ws, opt);
    ws->gating = own;
    if (st == GMOE_OK) {
        own->pack(m, ws->theta_new);
        if (memcmp(ws->theta_new, ws->theta_keep, ws->np * sizeof(double)) == 0)
            return gmoe_em_estep(m, data, ws, ws->resp);
        double ll_p = gmoe_em_estep(m, data, ws, ws->resp);
        if (ll_p >= ll_c)
            return ll_p;
    }
    own->unpack(m, ws->theta_keep);
    if (own->normalize)
        own->normalize(m);
    return gmoe_em_estep(m, data, ws, ws->resp);
}

double gmoe_em_step(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                    const gmoe_em_options *opt, int *failed)
{
    gmoe_mstep_experts(m, data, ws, opt);
    if (gmoe_mstep_gate(m, data, ws, opt) != GMOE_OK) {
        *failed = 1;
        return NAN;
    }
    const gmoe_gating *g = ws->gating;
    const gmoe_gating *pattern = g->pattern_surrogate ? g->pattern_surrogate(m) : NULL;
    if (pattern && ws->np > 0)
        return pattern_step(m, data, ws, opt, pattern);
    return gmoe_em_estep(m, data, ws, ws->resp);
}
