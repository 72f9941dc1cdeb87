/* row_quantile.c -- a weighted quantile of one gate covariate over every
 * row of the data (every process's rows when sharded): where the split
 * starts (split.c) and the edge starts (edge_start.c) cut the design. */
#include <math.h>
#include <stdlib.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"

typedef struct {
    double u, w;
} weighted_value;

static int by_value(const void *a, const void *b)
{
    double x = ((const weighted_value *)a)->u, y = ((const weighted_value *)b)->u;
    return (x > y) - (x < y);
}

/* The weighted sd of the pairs v[lo..hi). */
static double weighted_sd(const weighted_value *v, size_t lo, size_t hi)
{
    double sw = 0.0, s1 = 0.0, s2 = 0.0;
    for (size_t r = lo; r < hi; r++) {
        sw += v[r].w;
        s1 += v[r].w * v[r].u;
    }
    if (!(sw > 0))
        return 0.0;
    double mean = s1 / sw;
    for (size_t r = lo; r < hi; r++)
        s2 += v[r].w * (v[r].u - mean) * (v[r].u - mean);
    return sqrt(s2 / sw);
}

/* A gate covariate's (value, weight) pairs over every row, sorted by
 * value, with their weight sum and weighted sd (in row order): what any
 * quantile of it reads. */
struct gmoe_sorted_gate {
    weighted_value *v;
    size_t n;
    double sw, sd;
};

/* Quantile q of the sorted pairs into out; GMOE_ENUMERIC when the
 * weights sum to zero. */
static int weighted_quantile(const gmoe_sorted_gate *g, double q, gmoe_quantile *out)
{
    const weighted_value *v = g->v;
    size_t n = g->n;
    double sw = g->sw;
    if (!(sw > 0) || n == 0)
        return GMOE_ENUMERIC;
    out->sd = g->sd;
    double acc = 0.0;
    size_t at = n - 1;
    for (size_t r = 0; r < n; r++)
        if ((acc += v[r].w) >= q * sw) {
            at = r;
            break;
        }
    out->cut = v[at].u;
    /* the tail beyond the cut: the rows up to it (q < 1/2) or from it */
    out->tail_sd = q < 0.5 ? weighted_sd(v, 0, at + 1) : weighted_sd(v, at, n);
    return GMOE_OK;
}

typedef struct {
    const weighted_value *v;
    size_t n, first;
} place_job;

/* This process's pairs into their rows' places in buf (2 doubles a row). */
static void place_rows(void *job, double *buf)
{
    const place_job *p = job;
    for (size_t r = 0; r < p->n; r++) {
        buf[2 * (p->first + r)] = p->v[r].u;
        buf[2 * (p->first + r) + 1] = p->v[r].w;
    }
}

/* Sharded data: every process's pairs, in row order, into a new array of
 * *n pairs (the quantile needs all rows; memory in proportion to the whole
 * data, only for these starts).  NULL when out of memory. */
static weighted_value *gather_rows(const gmoe_data *data, const weighted_value *v, size_t *n)
{
    size_t total = gmoe_rows_total(data);
    double *buf = malloc((2 * total + 1) * sizeof(double));
    weighted_value *all = malloc((total + 1) * sizeof *all);
    place_job p = {v, data->n, data->shard->first_row};
    if (buf && all && gmoe_chain_run(data, buf, 2 * total, place_rows, &p) == GMOE_OK) {
        for (size_t r = 0; r < total; r++)
            all[r] = (weighted_value){buf[2 * r], buf[2 * r + 1]};
        *n = total;
    } else {
        free(all);
        all = NULL;
    }
    free(buf);
    return all;
}

void gmoe_sorted_gate_free(gmoe_sorted_gate *g)
{
    if (g)
        free(g->v);
    free(g);
}

gmoe_sorted_gate *gmoe_sorted_gate_make(const gmoe_data *data, size_t u, const double *w, size_t ldw)
{
    size_t n = data->n;
    gmoe_sorted_gate *g = malloc(sizeof *g);
    weighted_value *v = malloc((n + 1) * sizeof *v);
    if (!g || !v) {
        free(v);
        free(g);
        return NULL;
    }
    for (size_t r = 0; r < n; r++)
        v[r] = (weighted_value){gmoe_gate_row(data, r)[u],
                                w ? w[r * ldw] : data->w ? data->w[r] : 1.0};
    if (data->shard) { /* the quantile of every shard's rows */
        weighted_value *all = gather_rows(data, v, &n);
        free(v);
        if (!(v = all)) {
            free(g);
            return NULL;
        }
    }
    *g = (gmoe_sorted_gate){v, n, 0.0, 0.0};
    for (size_t r = 0; r < n; r++)
        g->sw += v[r].w;
    if (g->sw > 0 && n > 0) {
        g->sd = weighted_sd(v, 0, n);
        qsort(v, n, sizeof *v, by_value);
    }
    return g;
}

int gmoe_sorted_gate_quantile(const gmoe_sorted_gate *g, double q, gmoe_quantile *out)
{
    int st = weighted_quantile(g, q, out);
    if (st == GMOE_OK && (!isfinite(out->cut) || !(out->sd > 0)))
        st = GMOE_ENUMERIC;
    return st;
}

int gmoe_gate_quantile(const gmoe_data *data, size_t u, const double *w, size_t ldw, double q,
                       gmoe_quantile *out)
{
    gmoe_sorted_gate *g = gmoe_sorted_gate_make(data, u, w, ldw);
    if (!g)
        return GMOE_ENOMEM;
    int st = gmoe_sorted_gate_quantile(g, q, out);
    gmoe_sorted_gate_free(g);
    return st;
}
