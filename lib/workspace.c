/* workspace.c -- the EM workspace, the bottom of the engine: everything a
 * fit needs, allocated once so that the iterations never allocate, and
 * the length of the full parameter vector (gmoe_em_nvec). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine.h"
#include "internal.h"
#include "newton.h"

/* The gate theta as the family packs it, then per expert a_i, b_i,
 * log sigma2_i (squarem.c packs it). */
size_t gmoe_em_nvec(const gmoe_model *m)
{
    return gmoe_gating_get(m->family)->npar(m) + m->k * (m->d + 2);
}

void gmoe_em_ws_free(gmoe_em_ws *ws)
{
    if (!ws)
        return;
    gmoe_newton_ws_free(ws->newton);
    free(ws->resp);
    free(ws->block_ll);
    free(ws->estep_consts);
    free(ws->block_wls);
    free(ws->block_rss);
    free(ws->wls_mat);
    free(ws->wls_rhs);
    free(ws->wls_copy);
    free(ws->expert_w);
    free(ws->expert_updated);
    gmoe_model_free(ws->trial);
    free(ws->theta);
    free(ws->theta_new);
    free(ws->theta_keep);
    free(ws->grad);
    free(ws->grad_new);
    free(ws->gate_mom);
    free(ws->hess);
    free(ws->step);
    free(ws->newton_mat);
    free(ws->block_gate);
    free(ws->scratch);
    for (int i = 0; i < 4; i++)
        free(ws->sq[i]);
    free(ws->gate_cache);
    free(ws->gate_cache_theta);
    free(ws->gate_cache_probe);
    free(ws->x_shift);
    free(ws->x_scale);
    free(ws->x_std);
    free(ws);
}

/* malloc for the arrays of n rows that every pass of an iteration streams
 * through (the responsibilities, the gate cache, the standardized x),
 * aligned to 64 bytes (a vector of 8 doubles never straddles two cache
 * lines) and, where Linux has transparent huge pages on request, on pages
 * of 2 MB where whole ones fit inside (fewer TLB misses).  Neither changes
 * a number or costs memory; a refused advice changes nothing. */
static void *rows_alloc(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 1) != 0)
        return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0) {
        uintptr_t mask = (uintptr_t)page - 1;
        uintptr_t lo = ((uintptr_t)p + mask) & ~mask, hi = ((uintptr_t)p + bytes) & ~mask;
        if (hi > lo + ((uintptr_t)2 << 20))
            madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    return p;
}

/* n doubles rounded up to whole 64-byte lines */
static size_t doubles_to_line(size_t n)
{
    return (n + 7) / 8 * 8;
}

/* A thread's block scratch: the block log-sum-exp's, or the largest
 * block_work_size of the family and the surrogates it may hand the
 * M-step (gating.h: init_surrogate, pattern_surrogate). */
static size_t block_scratch_size(const gmoe_gating *g, const gmoe_model *m)
{
    const gmoe_gating *fams[3] = {g, g->init_surrogate ? g->init_surrogate(m) : NULL,
                                  g->pattern_surrogate ? g->pattern_surrogate(m) : NULL};
    size_t size = GMOE_BLOCK_SCRATCH(m->k);
    /* the block cross products of both M-steps (block_gram.c) */
    size_t cols = m->d + 2 > m->dg + 1 ? m->d + 2 : m->dg + 1;
    if (gmoe_gram_scratch(cols, m->k) > size)
        size = gmoe_gram_scratch(cols, m->k);
    /* the E-step of em_step.c's pass, then the experts' block tail
     * (gmoe_mstep_experts_block_cols) */
    size_t fused = gmoe_estep_block_scratch(m) + 2 * gmoe_gram_ld(GMOE_BLOCK_ROWS);
    if (fused > size)
        size = fused;
    if (g->softmax_logits && gmoe_gate_lanes_scratch(m->k, m->dg) > size)
        size = gmoe_gate_lanes_scratch(m->k, m->dg); /* the passes over the gate cache */
    for (int f = 0; f < 3; f++)
        if (fams[f] && fams[f]->block_work_size && fams[f]->block_work_size(m) > size)
            size = fams[f]->block_work_size(m);
    return size;
}

gmoe_em_ws *gmoe_em_ws_alloc(const gmoe_model *m, const gmoe_data *data, int nthreads)
{
    gmoe_em_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->gating = gmoe_gating_get(m->family);
    ws->n = data->n;
    ws->k = m->k;
    ws->d = m->d;
    ws->dg = m->dg;
    ws->p = m->d + 1;
    ws->np = ws->gating->npar(m);
    ws->nblocks = gmoe_nblocks(data->n);
    ws->nthreads = gmoe_threads_for_rows(nthreads, data->n);
    ws->var_y = gmoe_response_variance(data);
    ws->total = gmoe_data_total_weight(data);
    size_t n = ws->n, k = ws->k, p = ws->p, np = ws->np, nb = ws->nblocks;
    size_t np1 = np ? np : 1;
    /* whole 64-byte lines each, so that every thread's block scratch
     * (and its columns of GMOE_BLOCK_ROWS) starts on one */
    ws->block_scratch = doubles_to_line(block_scratch_size(ws->gating, m));
    ws->scratch_per_thread = doubles_to_line(ws->gating->work_size(m) + k + 1) + ws->block_scratch;
    ws->resp = rows_alloc(n * k * sizeof(double));
    ws->block_ll = malloc(nb * sizeof(double));
    ws->estep_consts = malloc(2 * k * sizeof(double));
    /* one block more: the sum over the blocks (chain.h) */
    ws->block_wls = malloc((nb + 1) * k * GMOE_WLS_SUMS(p) * sizeof(double));
    ws->block_rss = malloc((nb + 1) * k * sizeof(double));
    ws->wls_mat = malloc(p * p * sizeof(double));
    ws->wls_rhs = malloc(p * sizeof(double));
    ws->wls_copy = malloc((p * p + p) * sizeof(double));
    ws->expert_w = malloc(k * sizeof(double));
    ws->expert_updated = malloc(k);
    ws->trial = gmoe_model_alloc_like(m);
    ws->theta = malloc(np1 * sizeof(double));
    ws->theta_new = malloc(np1 * sizeof(double));
    ws->theta_keep = malloc(np1 * sizeof(double));
    ws->grad = malloc(np1 * sizeof(double));
    ws->hess = malloc(np1 * np1 * sizeof(double));
    ws->grad_new = malloc(np1 * sizeof(double));
    ws->gate_mom = malloc(np1 * sizeof(double));
    ws->step = malloc(np1 * sizeof(double));
    ws->newton_mat = malloc(np1 * np1 * sizeof(double));
    /* Q, gradient, Hessian and the gate moments (mstep_gate.c) */
    ws->block_gate = malloc((nb + 1) * (1 + 2 * np1 + np1 * np1) * sizeof(double));
    ws->scratch = rows_alloc((size_t)ws->nthreads * ws->scratch_per_thread * sizeof(double));
    ws->nvec = gmoe_em_nvec(m);
    for (int i = 0; i < 4; i++)
        ws->sq[i] = malloc(ws->nvec * sizeof(double));
    ws->x_shift = malloc((m->d + 1) * sizeof(double)); /* d may be 0 */
    ws->x_scale = malloc((m->d + 1) * sizeof(double));
    ws->x_std = rows_alloc((gmoe_gram_blocks_size(n, m->d) + 1) * sizeof(double));
    int cache_ok = 1;
    if (ws->gating->softmax_logits) {
        /* optional: without it the passes compute every gate afresh */
        ws->gate_cache = rows_alloc(n * 2 * k * sizeof(double));
        ws->gate_cache_theta = malloc(np1 * sizeof(double));
        ws->gate_cache_probe = malloc(np1 * sizeof(double));
        cache_ok = ws->gate_cache && ws->gate_cache_theta &&
                   ws->gate_cache_probe;
    }
    if (!cache_ok ||!ws->resp || !ws->block_ll || !ws->estep_consts || !ws->block_wls || !ws->block_rss || !ws->wls_mat ||
        !ws->wls_rhs || !ws->wls_copy || !ws->expert_w || !ws->expert_updated || !ws->trial ||
        !ws->theta || !ws->theta_new || !ws->theta_keep || !ws->grad || !ws->hess || !ws->grad_new || !ws->gate_mom || !ws->step ||
        !ws->newton_mat || !ws->block_gate || !ws->scratch || !ws->x_shift || !ws->x_scale || !ws->x_std ||
        !ws->sq[0] || !ws->sq[1] || !ws->sq[2] || !ws->sq[3]) {
        gmoe_em_ws_free(ws);
        return NULL;
    }
    gmoe_model_copy_params(ws->trial, m);
    gmoe_column_moments(data, data->x, m->d, ws->x_shift, ws->x_scale);
    gmoe_gram_blocks_std(data->x, n, m->d, ws->x_shift, ws->x_scale, ws->x_std);
    return ws;
}

double *gmoe_em_ws_scratch(gmoe_em_ws *ws)
{
#ifdef _OPENMP
    size_t t = (size_t)omp_get_thread_num();
#else
    size_t t = 0;
#endif
    return ws->scratch + t * ws->scratch_per_thread;
}

double *gmoe_em_ws_block_scratch(gmoe_em_ws *ws)
{
    return gmoe_em_ws_scratch(ws) + ws->scratch_per_thread - ws->block_scratch;
}
