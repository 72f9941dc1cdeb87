/* expert_match.c -- label switching: putting a fit's experts in the order
 * of a reference fit's (bootstrap replicates), and re-expressing the
 * gate with the new last expert as the reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gating.h"
#include "inference.h"
#include "internal.h"

/* Scale of expert component c (0..d-1: a, d: b, d + 1: sd) in the
 * reference: its spread over the experts, or its size, or 1. */
static double component_value(const gmoe_model *m, size_t i, size_t c)
{
    size_t d = m->d;
    return c < d ? m->a[i * d + c] : c == d ? m->b[i] : sqrt(m->sigma2[i]);
}

static void component_scales(const gmoe_model *ref, double *scale)
{
    size_t k = ref->k;
    for (size_t c = 0; c < ref->d + 2; c++) {
        double mean = 0.0, ss = 0.0;
        for (size_t i = 0; i < k; i++)
            mean += component_value(ref, i, c) / (double)k;
        for (size_t i = 0; i < k; i++)
            ss += pow(component_value(ref, i, c) - mean, 2);
        double s = k > 1 ? sqrt(ss / (double)(k - 1)) : 0.0;
        scale[c] = s > 0 ? s : fabs(mean) > 0 ? fabs(mean) : 1.0;
    }
}

/* cost[i * k + j]: squared scaled distance of reference expert i to
 * expert j of m. */
static void match_costs(const gmoe_model *ref, const gmoe_model *m, const double *scale,
                        double *cost)
{
    size_t k = ref->k;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double s = 0.0;
            for (size_t c = 0; c < ref->d + 2; c++)
                s += pow((component_value(ref, i, c) - component_value(m, j, c)) / scale[c], 2);
            cost[i * k + j] = s;
        }
}

typedef struct {
    size_t k;
    const double *cost;
    size_t *cur, *best;
    unsigned char *used;
    double best_cost;
} search;

/* Depth-first over the permutations, pruned by the cost so far (ties:
 * the first found, in lexicographic order). */
static void search_from(search *s, size_t i, double so_far)
{
    if (so_far >= s->best_cost)
        return;
    if (i == s->k) {
        s->best_cost = so_far;
        memcpy(s->best, s->cur, s->k * sizeof(size_t));
        return;
    }
    for (size_t j = 0; j < s->k; j++)
        if (!s->used[j]) {
            s->used[j] = 1;
            s->cur[i] = j;
            search_from(s, i + 1, so_far + s->cost[i * s->k + j]);
            s->used[j] = 0;
        }
}

/* Greedy for large k: repeatedly the cheapest remaining pair. */
static void greedy(size_t k, const double *cost, size_t *perm, unsigned char *used_ref,
                   unsigned char *used)
{
    memset(used_ref, 0, k);
    memset(used, 0, k);
    for (size_t t = 0; t < k; t++) {
        size_t bi = 0, bj = 0;
        double bc = INFINITY;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k && !used_ref[i]; j++)
                if (!used[j] && !(cost[i * k + j] >= bc)) {
                    bc = cost[i * k + j];
                    bi = i;
                    bj = j;
                }
        used_ref[bi] = used[bj] = 1;
        perm[bi] = bj;
    }
}

int gmoe_match_experts(const gmoe_model *ref, const gmoe_model *m, size_t *perm)
{
    size_t k = ref->k;
    double *cost = malloc((k * k + ref->d + 2) * sizeof(double));
    size_t *cur = malloc(k * sizeof(size_t));
    unsigned char *used = calloc(2 * k, 1);
    int st = cost && cur && used ? GMOE_OK : GMOE_ENOMEM;
    for (size_t i = 0; i < k; i++)
        perm[i] = i; /* kept if every cost is NaN */
    if (st == GMOE_OK) {
        component_scales(ref, cost + k * k);
        match_costs(ref, m, cost + k * k, cost);
        if (k <= 8) {
            search s = {k, cost, cur, perm, used, INFINITY};
            search_from(&s, 0, 0.0);
        } else {
            greedy(k, cost, perm, used, used + k);
        }
    }
    free(cost);
    free(cur);
    free(used);
    return st;
}

/* Moves the k-vector blocks of v (block size w) into the order perm. */
static void permute_blocks(double *v, double *tmp, const size_t *perm, size_t k, size_t w)
{
    memcpy(tmp, v, k * w * sizeof(double));
    for (size_t i = 0; i < k; i++)
        memcpy(v + i * w, tmp + perm[i] * w, w * sizeof(double));
}

int gmoe_model_permute(gmoe_model *m, const size_t *perm)
{
    size_t k = m->k, d = m->d, dg = m->dg;
    double *tmp = malloc(k * (d > dg ? d + 1 : dg + 1) * sizeof(double));
    if (!tmp)
        return GMOE_ENOMEM;
    permute_blocks(m->beta0, tmp, perm, k, 1);
    permute_blocks(m->beta1, tmp, perm, k, dg);
    permute_blocks(m->a, tmp, perm, k, d);
    permute_blocks(m->b, tmp, perm, k, 1);
    permute_blocks(m->sigma2, tmp, perm, k, 1);
    free(tmp);
    /* the gate's invariance: translate so that the new last expert's
     * pinned entries are zero again */
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    double t0 = m->beta0[k - 1];
    for (size_t i = 0; i < k; i++)
        m->beta0[i] -= t0;
    for (size_t u = 0; L.pins_last_slope && u < dg; u++) {
        double t1 = m->beta1[(k - 1) * dg + u];
        for (size_t i = 0; i < k; i++)
            m->beta1[i * dg + u] -= t1;
    }
    const gmoe_gating *g = gmoe_gating_get(m->family);
    if (g && g->normalize)
        g->normalize(m);
    return GMOE_OK;
}
