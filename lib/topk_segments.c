/* topk_segments.c -- the best selection of a top-K gate with K = 1, select
 * = logit and one gate covariate z, over cut points on a grid (issue 11).
 *
 * With K = 1 every row's gate is 1 for its one selected expert, so the
 * log-likelihood is that of a segmented regression: the rows sorted by z
 * fall into the experts' intervals, and each expert is the least-squares
 * line of its rows with the mean squared residual as variance.  The upper
 * envelope of k lines visits them in the order of their slopes, so any k
 * consecutive intervals, one per expert, are a top-1 selection.  The
 * best k intervals with cuts on a grid of the rows' z (at most GRID + 1
 * points, at changes of z) are found exactly by dynamic programming over
 * the cut points, every interval holding at least MIN_SHARE of the
 * weight, from the sums of the weighted outer products of (x, 1, y) at
 * the grid points.  The moves of topk_starts.c then place the cuts to the
 * row.  (The boundary moves alone, from the random starts, left an expert
 * on a duplicate interval 4.4 log-likelihood units below the best
 * selection on the bench's K = 1 case.) */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "internal.h"
#include "topk_select.h"

#define GRID 256         /* cut points on the grid, at most */
#define MIN_SHARE 0.01   /* as topk_starts.c: every expert on that share */
#define REFINE_PASSES 5  /* passes of the cuts' refinement to the row */
#define MAX_SUMS (1u << 23) /* prefix sums held (64 MB), at most */

typedef struct {
    size_t n, d, q;      /* rows, covariates, q = d + 2 */
    size_t *order;       /* n: rows sorted by z (ties by row) */
    double *zs;          /* n: z of the sorted rows */
    const double *z;     /* the gate covariate */
    size_t *pos;         /* G + 1 grid positions in the sorted rows */
    size_t G;
    double *P;           /* (n + 1) q*q: sums over the first rows */
    double *cost;        /* (G + 1)^2: an interval's log-likelihood */
    double *xbar, ybar;  /* centring */
    double *A, *c, *cy;  /* scratch: (d + 1)^2, d + 1, d + 1 */
    size_t *cut;         /* k + 1: the best intervals' grid end points */
    double *f;           /* (k + 1)(GRID + 1): the programme's best values */
    size_t *from;        /* (k + 1)(GRID + 1): where they came from */
    double floor, min_w; /* variance floor, an interval's least weight */
} segments;

/* The grid: 0, n and up to GRID - 1 positions between rows of different z,
 * evenly spread over those positions. */
static void make_grid(segments *sg)
{
    size_t n = sg->n, nc = 0;
    for (size_t r = 1; r < n; r++)
        if (sg->z[sg->order[r - 1]] < sg->z[sg->order[r]])
            sg->pos[nc++] = r; /* the candidate cuts, in place */
    size_t take = nc < GRID - 1 ? nc : GRID - 1;
    sg->pos[0] = 0;
    for (size_t g = 1; g <= take; g++)
        sg->pos[g] = sg->pos[(size_t)((double)g / (double)(take + 1) * (double)nc)];
    sg->pos[take + 1] = n;
    sg->G = take + 1;
}

/* The prefix sums over the sorted rows of w (x - xbar, 1, y - ybar)
 * (x - xbar, 1, y - ybar)': P[t] sums the first t rows. */
static void prefix_sums(segments *sg, const gmoe_data *data)
{
    size_t q = sg->q, d = sg->d;
    double *v = sg->cost; /* scratch: cost is filled later */
    memset(sg->P, 0, q * q * sizeof(double));
    for (size_t t = 0; t < sg->n; t++) {
        size_t r = sg->order[t];
        double w = data->w ? data->w[r] : 1.0, *acc = sg->P + (t + 1) * q * q;
        for (size_t u = 0; u < d; u++)
            v[u] = data->x[r * d + u] - sg->xbar[u];
        v[d] = 1.0;
        v[d + 1] = data->y[r] - sg->ybar;
        for (size_t a = 0; a < q; a++)
            for (size_t b = 0; b < q; b++)
                acc[a * q + b] = acc[a * q + b - q * q] + w * v[a] * v[b];
    }
}

/* The least-squares fit of the sorted rows a .. b - 1: the
 * coefficients of (x - xbar, 1) into sg->c, the residual sum of squares
 * into *rss; returns the weight (0 if the system is singular). */
static double interval_fit(segments *sg, size_t a, size_t b, double *rss)
{
    size_t q = sg->q, p = sg->d + 1;
    const double *Pa = sg->P + a * q * q, *Pb = sg->P + b * q * q;
    double *A = sg->A, *c = sg->c, *cy = sg->cy, yy = Pb[q * q - 1] - Pa[q * q - 1];
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < p; j++)
            A[i * p + j] = Pb[i * q + j] - Pa[i * q + j];
        c[i] = Pb[i * q + p] - Pa[i * q + p];
    }
    double W = A[p * p - 1];
    memcpy(cy, c, p * sizeof(double));
    if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, 1, A, (lapack_int)p, c, 1) != 0)
        return 0.0;
    *rss = yy;
    for (size_t i = 0; i < p; i++)
        *rss -= c[i] * cy[i];
    *rss = fmax(*rss, 0.0);
    return W;
}

/* The Gaussian log-likelihood of sorted rows a .. b - 1 about their
 * least-squares line (variance rss / W, at least the floor); -INFINITY
 * for an interval below the least weight or singular. */
static double interval_loglik(segments *sg, size_t a, size_t b)
{
    double rss = 0.0, W = interval_fit(sg, a, b, &rss);
    if (!(W >= sg->min_w))
        return -INFINITY;
    double v = rss / W;
    if (v < sg->floor)
        return -0.5 * (W * log(2.0 * M_PI * sg->floor) + rss / sg->floor);
    return -0.5 * W * (log(2.0 * M_PI * v) + 1.0);
}

/* The best k consecutive intervals over the grid (dynamic programming on
 * the cost matrix): their end points (sorted rows) into cut (k + 1);
 * returns the log-likelihood (-INFINITY if none holds). */
static double best_cuts(segments *sg, size_t k, size_t *cut)
{
    size_t G = sg->G, N = G + 1, *from = sg->from;
    double *f = sg->f;
    for (size_t t = 0; t < (k + 1) * N; t++)
        f[t] = -INFINITY;
    f[0] = 0.0;
    for (size_t j = 1; j <= k; j++)
        for (size_t b = j; b <= G; b++)
            for (size_t a = j - 1; a < b; a++) {
                double v = f[(j - 1) * N + a] + sg->cost[a * N + b];
                if (v > f[j * N + b]) {
                    f[j * N + b] = v;
                    from[j * N + b] = a;
                }
            }
    double best = f[k * N + G];
    cut[k] = G;
    for (size_t j = k; isfinite(best) && j > 0; j--)
        cut[j - 1] = from[j * N + cut[j]];
    for (size_t j = 0; isfinite(best) && j <= k; j++)
        cut[j] = sg->pos[cut[j]]; /* grid points to rows */
    return best;
}

/* A cut between sorted rows t - 1 and t is possible where z changes. */
static int cut_allowed(const segments *sg, size_t t)
{
    return sg->z[sg->order[t - 1]] < sg->z[sg->order[t]];
}

/* Each cut moved to its best row with its neighbours held, pass after
 * pass until none moves: coordinate ascent at row resolution from the
 * grid's optimum (a cut 13 rows off cost 28 log-likelihood units on a k =
 * 5 case). */
static void refine_cuts(segments *sg, size_t k, size_t *cut)
{
    for (int pass = 0; pass < REFINE_PASSES; pass++) {
        int moved = 0;
        for (size_t j = 1; j < k; j++) {
            size_t best_t = cut[j];
            double best = interval_loglik(sg, cut[j - 1], cut[j]) + interval_loglik(sg, cut[j], cut[j + 1]);
            for (size_t t = cut[j - 1] + 1; t < cut[j + 1]; t++) {
                if (!cut_allowed(sg, t))
                    continue;
                double v = interval_loglik(sg, cut[j - 1], t) + interval_loglik(sg, t, cut[j + 1]);
                if (v > best) {
                    best = v;
                    best_t = t;
                }
            }
            moved |= best_t != cut[j];
            cut[j] = best_t;
        }
        if (!moved)
            break;
    }
}

/* m's experts: the least-squares lines of the intervals (back on the
 * data's scale); its gate: lines of increasing slope h = 1/sd(z) per
 * expert, neighbours crossing at the middle of each cut, the last pinned
 * at zero. */
static void build_model(segments *sg, gmoe_model *m, const size_t *cut, double sd)
{
    size_t k = m->k, d = sg->d;
    double b0 = 0.0, h = 1.0 / sd;
    for (size_t i = 0; i < k; i++) {
        double rss = 0.0, W = interval_fit(sg, cut[i], cut[i + 1], &rss);
        double b = sg->ybar + sg->c[d];
        for (size_t u = 0; u < d; u++) {
            m->a[i * d + u] = sg->c[u];
            b -= sg->c[u] * sg->xbar[u];
        }
        m->b[i] = b;
        m->sigma2[i] = fmax(rss / W, sg->floor);
        m->beta0[i] = b0;
        m->beta1[i] = (double)i * h;
        if (i + 1 < k) {
            size_t r = cut[i + 1];
            double zc = 0.5 * (sg->z[sg->order[r - 1]] + sg->z[sg->order[r]]);
            b0 -= h * zc; /* l_i(zc) = l_{i+1}(zc) */
        }
    }
    for (size_t i = 0; i < k; i++) {
        m->beta0[i] -= b0;
        m->beta1[i] -= (double)(k - 1) * h;
    }
}

/* The means of x and y (weighted) for centring. */
static void centre(segments *sg, const gmoe_data *data)
{
    double W = 0.0;
    memset(sg->xbar, 0, sg->d * sizeof(double));
    sg->ybar = 0.0;
    for (size_t r = 0; r < sg->n; r++) {
        double w = data->w ? data->w[r] : 1.0;
        W += w;
        sg->ybar += w * data->y[r];
        for (size_t u = 0; u < sg->d; u++)
            sg->xbar[u] += w * data->x[r * sg->d + u];
    }
    sg->ybar /= W;
    for (size_t u = 0; u < sg->d; u++)
        sg->xbar[u] /= W;
    sg->min_w = fmax(MIN_SHARE * W, (double)(sg->d + 2));
}

static void segments_free(segments *sg)
{
    free(sg->order);
    free(sg->zs);
    free(sg->cut);
    free(sg->f);
    free(sg->from);
    free(sg->pos);
    free(sg->P);
    free(sg->cost);
    free(sg->xbar);
}

static int segments_alloc(segments *sg, const gmoe_model *m, const gmoe_data *data)
{
    memset(sg, 0, sizeof *sg);
    sg->n = data->n, sg->d = m->d, sg->q = m->d + 2;
    size_t q = sg->q, N = GRID + 1;
    sg->order = malloc(sg->n * sizeof(size_t));
    sg->zs = malloc(sg->n * sizeof(double));
    sg->cut = malloc((m->k + 1) * sizeof(size_t));
    sg->f = malloc((m->k + 1) * N * sizeof(double));
    sg->from = malloc((m->k + 1) * N * sizeof(size_t));
    sg->pos = malloc((sg->n + 1) * sizeof(size_t));
    sg->P = malloc((sg->n + 1) * q * q * sizeof(double));
    sg->cost = malloc((N * N + q * q + q) * sizeof(double));
    sg->xbar = malloc((4 * q + q * q) * sizeof(double));
    if (!sg->order || !sg->zs || !sg->cut || !sg->f || !sg->from || !sg->pos || !sg->P || !sg->cost || !sg->xbar) {
        segments_free(sg);
        return GMOE_ENOMEM;
    }
    sg->A = sg->xbar + q;
    sg->c = sg->A + q * q;
    sg->cy = sg->c + q;
    return GMOE_OK;
}

int gmoe_topk_segments_apply(const gmoe_model *m, const gmoe_data *data)
{
    double sums = (double)(data->n + 1) * (double)((m->d + 2) * (m->d + 2));
    return m->top_k == 1 && m->select == GMOE_SELECT_LOGIT && m->dg == 1 &&
           data->n >= 2 * m->k && sums <= (double)MAX_SUMS;
}

int gmoe_topk_segment_start(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                            const gmoe_em_options *opt, double *ll)
{
    if (!gmoe_topk_segments_apply(m, data))
        return GMOE_OK;
    segments sg;
    if (segments_alloc(&sg, m, data) != GMOE_OK)
        return GMOE_ENOMEM;
    sg.z = gmoe_data_gate_x(data);
    sg.floor = opt->var_floor * ws->var_y;
    if (gmoe_topk_sort_rows(data, sg.order, sg.zs) != GMOE_OK) {
        segments_free(&sg);
        return GMOE_ENOMEM;
    }
    centre(&sg, data);
    make_grid(&sg);
    prefix_sums(&sg, data);
    size_t N = sg.G + 1;
    for (size_t a = 0; a < N; a++)
        for (size_t b = 0; b < N; b++)
            sg.cost[a * N + b] = b > a ? interval_loglik(&sg, sg.pos[a], sg.pos[b]) : -INFINITY;
    if (isfinite(best_cuts(&sg, m->k, sg.cut))) {
        refine_cuts(&sg, m->k, sg.cut);
        double mean = 0.0, sd = 1.0;
        gmoe_column_moments(data, sg.z, 1, &mean, &sd);
        gmoe_model *t = ws->trial;
        gmoe_model_copy_params(t, m);
        build_model(&sg, t, sg.cut, sd);
        double l = gmoe_estep(t, data, NULL, ws->block_ll, ws->nthreads);
        if (isfinite(l) && l > *ll + 1e-9 * (double)data->n) {
            gmoe_model_copy_params(m, t);
            *ll = l;
        }
    }
    segments_free(&sg);
    return GMOE_OK;
}
