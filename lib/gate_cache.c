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
 * optimum), for 2k doubles a row less memory (48 bytes at k = 3).
 *
 * Layout: block by block of GMOE_BLOCK_ROWS rows (the block from row lo
 * with nr rows at 2k lo), by columns: the k log-gate columns then the k
 * gate columns, nr doubles each, so that the passes over a block read
 * them with vector loads.  gmoe_block_gate_cols fills a block; the
 * E-step without the cache takes its gates from it too, so a cached and
 * a fresh evaluation agree to the last bit.  The buffer is allocated with
 * the workspace (workspace.c). */
#include "config.h"

#include <string.h>

#include "engine.h"
#include "internal.h"
#include "vector_math.h"

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

/* Logits l_i = beta0_i + beta1_i'x of the plain softmax gate by columns,
 * summed as gmoe_softmax_logits_row sums them. */
static inline __attribute__((always_inline)) void
softmax_logit_cols(const gmoe_model *m, const double *x, size_t nrows, double *l)
{
    gmoe_lines_cols(m->k, m->beta0, m->beta1, x, m->dg, nrows, l, nrows);
}

VECTOR_CLONES
void gmoe_block_gate_cols(const gmoe_model *m, const gmoe_gating *g, const double *x,
                          size_t nrows, double *cols, double *lse, double *buf)
{
    size_t k = m->k, d = m->dg;
    double *lg = cols, *gt = cols + k * nrows;
    if (g->softmax_logits == gmoe_softmax_logits) {
        softmax_logit_cols(m, x, nrows, lg);
    } else {
        for (size_t r = 0; r < nrows; r++) { /* a row's logits through gt */
            g->softmax_logits(m, x + r * d, gt);
            for (size_t i = 0; i < k; i++)
                lg[i * nrows + r] = gt[i];
        }
    }
    gmoe_block_lse_cols(nrows, k, lg, nrows, gt, gt, nrows, 1, lse, buf);
    for (size_t i = 0; i < k; i++) {
#pragma omp simd
        for (size_t r = 0; r < nrows; r++)
            lg[i * nrows + r] = gmoe_lse_sub(lg[i * nrows + r], gmoe_block_lse_part(buf, nrows, r));
    }
}
