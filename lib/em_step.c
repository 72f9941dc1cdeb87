/* em_step.c -- one EM iteration: both M-steps (for a sparse gate, also
 * the pattern proposal, kept only if it raises the likelihood), then the
 * E-step. */
#include <math.h>
#include <string.h>

#include "chain.h"
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

/* The E-step, with the next M-steps' block sums made in the same pass
 * while each block is at hand (one OpenMP region and one read of the
 * block where there were three): the experts' normal equations and, when
 * the gates are in the gate cache, the gate M-step's first pass
 * (engine.h: fused_sums).  When the cache does not hold m's gates the
 * E-step fills it.  The same bits as gmoe_em_estep and the M-steps' own
 * passes. */
static double fused_estep(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws)
{
    const gmoe_gating *g = ws->gating;
    double *consts = ws->estep_consts;
    gmoe_estep_pass e = {m, data, ws->resp, gmoe_gate_cache_for(ws, m), NULL, consts,
                         consts + ws->k, ws, 1};
    if (!e.cache && gmoe_gate_cache_usable(ws) && gmoe_gating_get(m->family) == g) {
        e.fill = ws->gate_cache;
        gmoe_gate_cache_begin_write(ws);
    }
    int gate = (e.cache || e.fill) && ws->np > 0;
    gmoe_estep_consts(m, consts, consts + ws->k);
    size_t nb = ws->nblocks;
    int nt = ws->nthreads;
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t b = 0; b < nb; b++) {
        double *scratch = gmoe_em_ws_block_scratch(ws);
        ws->block_ll[b] = gmoe_estep_block(&e, b, scratch);
        /* the experts' sums from the E-step's columns, with their other
         * columns past its scratch (workspace.c), else from resp */
        size_t ld;
        const double *w = gmoe_estep_block_weight_cols(&e, scratch, &ld);
        if (w)
            gmoe_mstep_experts_block_cols(data, ws, b, w, ld,
                                          scratch + gmoe_estep_block_scratch(m));
        else
            gmoe_mstep_experts_block(data, ws, b);
        if (gate)
            gmoe_mstep_gate_block(data, ws, b);
    }
    if (e.fill) {
        g->pack(m, ws->gate_cache_probe);
        gmoe_gate_cache_accept(ws, ws->gate_cache_probe);
    }
    ws->fused_sums = GMOE_FUSED_WLS | (gate ? GMOE_FUSED_GATE : 0u);
    double ll;
    gmoe_fold_blocks(data, ws->block_ll, nb, 1, &ll); /* over every shard */
    return ll;
}

double gmoe_em_step(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                    const gmoe_em_options *opt, int *failed)
{
    /* the block sums of the E-step that made ws->resp, if it was ours */
    ws->use_fused = ws->fused_sums;
    ws->fused_sums = 0;
    gmoe_mstep_experts(m, data, ws, opt);
    int st = gmoe_mstep_gate(m, data, ws, opt);
    ws->use_fused = 0;
    if (st != GMOE_OK) {
        *failed = 1;
        return NAN;
    }
    const gmoe_gating *g = ws->gating;
    const gmoe_gating *pattern = g->pattern_surrogate ? g->pattern_surrogate(m) : NULL;
    if (pattern && ws->np > 0)
        return pattern_step(m, data, ws, opt, pattern);
    return fused_estep(m, data, ws);
}
