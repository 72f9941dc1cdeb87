/* start_pool.c -- the screened starts kept for polishing (short-EM
 * screening, Biernacki, Celeux & Govaert 2003, keeping the best few
 * rather than one: over-specified fits rank their starts poorly after a
 * few iterations), and how runs are ranked: runs with a spurious expert
 * (spurious.c) after every other run, and spikes at the variance floor
 * after those. */
#include <math.h>
#include <stdlib.h>

#include "engine.h"
#include "internal.h"

int gmoe_loglik_better(double ll, double best)
{
    return isfinite(ll) && (!isfinite(best) || ll > best + 1e-12 * fabs(best));
}

int gmoe_model_at_floor(const gmoe_model *m, double var_floor)
{
    for (size_t i = 0; i < m->k; i++)
        if (m->sigma2[i] <= var_floor * (1 + 1e-9))
            return 1;
    return 0;
}

/* 0: a run without a spurious expert, 1: with one, 2: at the floor. */
static int run_class(const gmoe_model *m, const gmoe_fit_info *info, double var_floor)
{
    return gmoe_model_at_floor(m, var_floor) ? 2 : info->spurious_expert ? 1 : 0;
}

int gmoe_run_better(const gmoe_model *ma, const gmoe_fit_info *ia, const gmoe_model *mb,
                    const gmoe_fit_info *ib, double var_floor)
{
    int ca = run_class(ma, ia, var_floor), cb = run_class(mb, ib, var_floor);
    if (ca != cb)
        return isfinite(ia->loglik) && ca < cb;
    return gmoe_loglik_better(ia->loglik, ib->loglik);
}

int gmoe_start_pool_init(gmoe_start_pool *p, const gmoe_model *m, size_t cap, double var_floor)
{
    p->cap = cap;
    p->var_floor = var_floor;
    p->n = 0;
    p->model = calloc(cap, sizeof *p->model);
    p->info = calloc(cap, sizeof *p->info);
    if (!p->model || !p->info)
        return GMOE_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        if (!(p->model[i] = gmoe_model_alloc_like(m)))
            return GMOE_ENOMEM;
    return GMOE_OK;
}

void gmoe_start_pool_free(gmoe_start_pool *p)
{
    for (size_t i = 0; p->model && i < p->cap; i++)
        gmoe_model_free(p->model[i]);
    free(p->model);
    free(p->info);
    p->model = NULL;
    p->info = NULL;
    p->n = 0;
}

void gmoe_start_pool_offer(gmoe_start_pool *p, const gmoe_model *m, const gmoe_fit_info *info,
                           size_t start)
{
    if (!isfinite(info->loglik) || p->cap == 0)
        return;
    size_t pos = p->n;
    while (pos > 0 && gmoe_run_better(m, info, p->model[pos - 1], &p->info[pos - 1], p->var_floor))
        pos--;
    if (pos >= p->cap)
        return;
    /* the last slot's model is reused for the newcomer */
    size_t last = p->n < p->cap ? p->n : p->cap - 1;
    gmoe_model *slot = p->model[last];
    for (size_t i = last; i > pos; i--) {
        p->model[i] = p->model[i - 1];
        p->info[i] = p->info[i - 1];
    }
    p->model[pos] = slot;
    gmoe_model_copy_params(slot, m);
    p->info[pos] = *info;
    p->info[pos].best_restart = start;
    if (p->n < p->cap)
        p->n++;
}
