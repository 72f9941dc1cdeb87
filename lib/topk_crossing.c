/* topk_crossing.c -- the first row a step of the gate moves across a
 * top-K selection boundary (issue 11), for the Newton steps of
 * topk_face.c that keep every row's selection.
 *
 * Along a step dir the scores are s_j(x) + t ds_j(x), and row x leaves
 * the pattern at the smallest t > 0 where a selected expert a's score
 * meets an unselected b's: t = (s_a - s_b) / -(ds_a - ds_b).  In general
 * every row is tried.  With one gate covariate x both the margin
 * M = s_a - s_b and its rate R = ds_a - ds_b are linear in x, and t =
 * M / -R is monotone on any interval of x where R keeps its sign: so
 * within a run of rows (sorted by x) that select the same experts, the
 * first crossing of a pair (a, b) lies at an end of the run or next to
 * the root of R.  Only those rows are tried (a few per run and pair, found
 * by bisection), not every row for each constraint the step solves again
 * (which took most of a K = 2 fit's constrained steps). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "topk_crossing.h"
#include "topk_select.h"

#define END_ROWS 2 /* rows tried at each end of a monotone piece */

struct gmoe_topk_crossing {
    const gmoe_data *data;
    size_t *order;       /* one gate covariate: the rows sorted by it (else NULL) */
    double *xs;          /* the covariate in that order */
    size_t *run;         /* run starts (positions in order), nruns + 1 of them */
    size_t nruns;
    double *s, *ds, *sel; /* k each: scores, their rates along the step, selected */
    double *run_sel;      /* k: a run's selected experts */
};

typedef struct {
    double alpha;
    size_t row, a, b;
} crossing;

static const double *gate_x(const gmoe_topk_crossing *c)
{
    return gmoe_data_gate_x(c->data);
}

void gmoe_topk_crossing_free(gmoe_topk_crossing *c)
{
    if (!c)
        return;
    free(c->order);
    free(c->xs);
    free(c->run);
    free(c->s);
    free(c);
}

gmoe_topk_crossing *gmoe_topk_crossing_alloc(const gmoe_model *m, const gmoe_data *data)
{
    gmoe_topk_crossing *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->data = data;
    c->s = malloc(4 * m->k * sizeof(double));
    int sorted = m->dg == 1 && data->n > 0;
    if (sorted) {
        c->order = malloc(data->n * sizeof(size_t));
        c->xs = malloc(data->n * sizeof(double));
        c->run = malloc((data->n + 1) * sizeof(size_t));
    }
    int ok = c->s && (!sorted || (c->order && c->xs && c->run));
    if (!ok || (sorted && gmoe_topk_sort_rows(data, c->order, c->xs) != GMOE_OK)) {
        gmoe_topk_crossing_free(c);
        return NULL;
    }
    c->ds = c->s + m->k;
    c->sel = c->ds + m->k;
    c->run_sel = c->sel + m->k;
    return c;
}

void gmoe_topk_crossing_prepare(gmoe_topk_crossing *c, const gmoe_model *m)
{
    if (!c->order)
        return;
    size_t k = m->k, n = c->data->n;
    double prev[GMOE_TOPK_FAST];
    int fast = k <= GMOE_TOPK_FAST;
    c->nruns = 0;
    for (size_t p = 0; p < n; p++) {
        gmoe_topk_scores(m, c->xs + p, c->s);
        gmoe_topk_selected(m, c->s, c->sel);
        /* beyond GMOE_TOPK_FAST experts every row is its own run */
        if (p == 0 || !fast || memcmp(prev, c->sel, k * sizeof(double)) != 0)
            c->run[c->nruns++] = p;
        if (fast)
            memcpy(prev, c->sel, k * sizeof(double));
    }
    c->run[c->nruns] = n;
}

/* The scores at x, their rates along dir, and which experts are
 * selected. */
static void scores(gmoe_topk_crossing *c, const gmoe_model *m, const gmoe_layout *L, const double *x,
                   const double *dir)
{
    int logit = m->select == GMOE_SELECT_LOGIT;
    gmoe_topk_scores(m, x, c->s);
    for (size_t j = 0; j < m->k; j++) {
        double ds = 0.0;
        for (size_t u = 0; u <= m->dg; u++) {
            long idx = gmoe_layout_gate(L, j, u);
            if (idx >= 0)
                ds += dir[idx] * (u == 0 ? (double)logit : x[u - 1]);
        }
        c->ds[j] = ds;
    }
    gmoe_topk_selected(m, c->s, c->sel);
}

/* Row r's first crossing along dir, if before best's. */
static void try_row(gmoe_topk_crossing *c, const gmoe_model *m, const gmoe_layout *L, const double *dir,
                    size_t r, crossing *best)
{
    scores(c, m, L, gate_x(c) + r * m->dg, dir);
    for (size_t a = 0; a < m->k; a++)
        for (size_t b = 0; c->sel[a] && b < m->k; b++) {
            /* a margin held by a constraint moves by rounding only */
            double rate = c->ds[a] - c->ds[b];
            if (c->sel[b] || !(rate < -1e-12 * (fabs(c->ds[a]) + fabs(c->ds[b]))))
                continue;
            double t = (c->s[a] - c->s[b]) / -rate;
            if (t < best->alpha)
                *best = (crossing){.alpha = t, .row = r, .a = a, .b = b};
        }
}

/* The rows at positions [lo, hi) of the sorted order nearest its ends. */
static void try_ends(gmoe_topk_crossing *c, const gmoe_model *m, const gmoe_layout *L, const double *dir,
                     size_t lo, size_t hi, crossing *best)
{
    for (size_t p = lo; p < hi && p < lo + END_ROWS; p++)
        try_row(c, m, L, dir, c->order[p], best);
    for (size_t p = hi > lo + END_ROWS ? hi - END_ROWS : lo; p < hi; p++)
        try_row(c, m, L, dir, c->order[p], best);
}

/* The first position in [lo, hi) whose covariate is >= x. */
static size_t lower_bound(const double *xs, size_t lo, size_t hi, double x)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (xs[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The rate of expert j's score along dir: r0 + r1 x. */
static void rate_line(const gmoe_model *m, const gmoe_layout *L, const double *dir, size_t j, double *r0,
                      double *r1)
{
    long i0 = gmoe_layout_gate(L, j, 0), i1 = gmoe_layout_gate(L, j, 1);
    *r0 = i0 >= 0 && m->select == GMOE_SELECT_LOGIT ? dir[i0] : 0.0;
    *r1 = i1 >= 0 ? dir[i1] : 0.0;
}

/* One run's candidates: its ends and, for every selected a and
 * unselected b, the rows either side of the root of their rate. */
static void try_run(gmoe_topk_crossing *c, const gmoe_model *m, const gmoe_layout *L, const double *dir,
                    size_t lo, size_t hi, crossing *best)
{
    try_ends(c, m, L, dir, lo, hi, best);
    gmoe_topk_scores(m, c->xs + lo, c->s);
    gmoe_topk_selected(m, c->s, c->run_sel);
    for (size_t a = 0; a < m->k; a++) {
        if (!c->run_sel[a])
            continue;
        double a0, a1;
        rate_line(m, L, dir, a, &a0, &a1);
        for (size_t b = 0; b < m->k; b++) {
            double b0, b1;
            rate_line(m, L, dir, b, &b0, &b1);
            if (c->run_sel[b] || a1 == b1)
                continue;
            double root = -(a0 - b0) / (a1 - b1);
            if (!(root > c->xs[lo] && root < c->xs[hi - 1]))
                continue;
            size_t p = lower_bound(c->xs, lo, hi, root);
            try_ends(c, m, L, dir, lo, p, best);
            try_ends(c, m, L, dir, p, hi, best);
        }
    }
}

double gmoe_topk_first_crossing(gmoe_topk_crossing *c, const gmoe_model *m, const gmoe_layout *L,
                                const double *dir, double *grad)
{
    crossing best = {.alpha = INFINITY};
    if (c->order) {
        for (size_t u = 0; u < c->nruns; u++)
            try_run(c, m, L, dir, c->run[u], c->run[u + 1], &best);
    } else {
        for (size_t r = 0; r < c->data->n; r++)
            try_row(c, m, L, dir, r, &best);
    }
    memset(grad, 0, L->P * sizeof(double));
    const double *x = gate_x(c) + best.row * m->dg;
    for (size_t u = 0; isfinite(best.alpha) && u <= m->dg; u++) {
        double z = u == 0 ? (m->select == GMOE_SELECT_LOGIT) : x[u - 1];
        long ia = gmoe_layout_gate(L, best.a, u), ib = gmoe_layout_gate(L, best.b, u);
        if (ia >= 0)
            grad[ia] += z;
        if (ib >= 0)
            grad[ib] -= z;
    }
    return best.alpha;
}
