/* gate_cache.c -- the gate cache, read by the E-step and the gate M-step.
 *
 * For a family whose gate is softmax(logits) (gating.h: softmax_logits),
 * a pass over the data at theta keeps each row's log-gates and gates
 * (PASS_WRITE).  When Newton accepts that theta, the cache holds the
 * gates of the accepted gate parameters: the E-step that follows and the
 * next M-step's first pass (PASS_READ: resp changed, the gates did not)
 * then need no exp or log.  One buffer, not two: a trial that Newton
 * rejects overwrites the accepted gates, and the E-step after it
 * computes them afresh (rare: a rejected trial ends the M-step, near its
 * optimum), for 2k doubles a row less memory (48 bytes at k = 3).  The
 * gates are computed a block at a time (gmoe_block_softmax_gates), as
 * the E-step computes them without the cache, so a cached and a fresh
 * evaluation agree to the last bit.  The buffer is allocated with the
 * workspace (workspace.c). */
#include <string.h>

#include "engine.h"
#include "internal.h"

int gmoe_gate_cache_usable(const gmoe_em_ws *ws)
{
    return ws->gating->softmax_logits && ws->gate_cache;
}

void gmoe_gate_cache_begin_write(gmoe_em_ws *ws)
{
    ws->gate_cache_ok = 0;
}

void gmoe_gate_cache_accept(gmoe_em_ws *ws, const double *theta)
{
    memcpy(ws->gate_cache_theta, theta, ws->np * sizeof(double));
    ws->gate_cache_family = ws->gating;
    ws->gate_cache_ok = 1;
}

int gmoe_gate_cache_holds(const gmoe_em_ws *ws, const gmoe_gating *family, const double *theta)
{
    return ws->gate_cache_ok && ws->gate_cache_family == family &&
           memcmp(theta, ws->gate_cache_theta, ws->np * sizeof(double)) == 0;
}

const double *gmoe_gate_cache_for(gmoe_em_ws *ws, const gmoe_model *m)
{
    const gmoe_gating *family = gmoe_gating_get(m->family);
    if (!ws->gate_cache_ok || family != ws->gate_cache_family || family != ws->gating)
        return NULL;
    family->pack(m, ws->gate_cache_probe);
    return gmoe_gate_cache_holds(ws, family, ws->gate_cache_probe) ? ws->gate_cache : NULL;
}
