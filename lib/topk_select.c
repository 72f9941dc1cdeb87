/* topk_select.c -- which experts a top-K gate selects at a row, and the
 * smallest share of the rows that select any one expert (issue 11): the
 * rule of gating_topk.c, for the boundary moves (topk_*.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gating.h"
#include "internal.h"
#include "topk_select.h"

void gmoe_topk_scores(const gmoe_model *m, const double *x, double *s)
{
    int logit = m->select == GMOE_SELECT_LOGIT;
    for (size_t j = 0; j < m->k; j++) {
        s[j] = logit ? m->beta0[j] : 0.0;
        for (size_t u = 0; u < m->dg; u++)
            s[j] += m->beta1[j * m->dg + u] * x[u];
    }
}

int gmoe_topk_is_selected(const gmoe_model *m, const double *s, size_t j)
{
    size_t above = 0;
    for (size_t l = 0; l < m->k; l++)
        above += s[l] > s[j] || (s[l] == s[j] && l < j);
    return above < m->top_k;
}

void gmoe_topk_selected(const gmoe_model *m, const double *s, double *sel)
{
    size_t k = m->k, K = m->top_k;
    if (K > 2 || K >= k) {
        for (size_t j = 0; j < k; j++)
            sel[j] = gmoe_topk_is_selected(m, s, j);
        return;
    }
    size_t a, b;
    gmoe_topk_best_two(k, K, s, &a, &b);
    for (size_t j = 0; j < k; j++)
        sel[j] = j == a || (K == 2 && j == b);
}

/* The smallest share of the rows (weighted) that select any one expert (s: 2k
 * doubles of scratch). */
double gmoe_topk_smallest_share(const gmoe_model *m, const gmoe_data *data, double *s)
{
    size_t k = m->k, d = m->dg;
    const double *gx = gmoe_data_gate_x(data);
    double *count = s + k, least = INFINITY, total = 0.0, sel[GMOE_TOPK_FAST];
    memset(count, 0, k * sizeof(double));
    for (size_t r = 0; r < data->n; r++) {
        double w = data->w ? data->w[r] : 1.0; /* case weights count rows */
        gmoe_topk_scores(m, gx + r * d, s);
        if (k <= GMOE_TOPK_FAST) {
            gmoe_topk_selected(m, s, sel);
            for (size_t j = 0; j < k; j++)
                count[j] += sel[j] * w;
        } else {
            for (size_t j = 0; j < k; j++)
                count[j] += gmoe_topk_is_selected(m, s, j) ? w : 0.0;
        }
        total += w;
    }
    for (size_t j = 0; j < k; j++)
        least = fmin(least, count[j] / total);
    return least;
}

typedef struct {
    double x;
    size_t row;
} keyed_row;

/* By the covariate, ties by row: the same order on every platform. */
static int cmp_rows(const void *p, const void *q)
{
    const keyed_row *u = p, *v = q;
    if (u->x != v->x)
        return (u->x > v->x) - (u->x < v->x);
    return (u->row > v->row) - (u->row < v->row);
}

int gmoe_topk_sort_rows(const gmoe_data *data, size_t *order, double *xs)
{
    size_t n = data->n;
    const double *gx = gmoe_data_gate_x(data);
    keyed_row *key = malloc((n + 1) * sizeof *key);
    if (!key)
        return GMOE_ENOMEM;
    for (size_t r = 0; r < n; r++)
        key[r] = (keyed_row){.x = gx[r], .row = r};
    qsort(key, n, sizeof *key, cmp_rows);
    for (size_t p = 0; p < n; p++) {
        order[p] = key[p].row;
        xs[p] = key[p].x;
    }
    free(key);
    return GMOE_OK;
}

size_t gmoe_topk_region_ends(const gmoe_model *m, const double *xs, size_t n, size_t i, double *s,
                             double *ends, size_t max_ends)
{
    size_t ne = 0;
    int prev = -1;
    for (size_t p = 0; p < n && ne < max_ends; p++) {
        gmoe_topk_scores(m, xs + p, s);
        int sel = gmoe_topk_is_selected(m, s, i);
        if (prev >= 0 && sel != prev && xs[p] > xs[p - 1])
            ends[ne++] = 0.5 * (xs[p - 1] + xs[p]);
        prev = sel;
    }
    return ne;
}
