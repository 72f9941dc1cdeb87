/* topk_birth.c -- the top-K move that gives an expert a new line where
 * the fit explains the rows worst (issue 11), for K >= 2 and one gate
 * covariate.
 *
 * A top-K fit can end with a true expert missing altogether: its rows are
 * shared out between the two experts selected there, one of them fitted
 * to a mix of lines with a large variance (k = 5, K = 2: 165 to 771
 * log-likelihood units below the best known, at a point where no move of
 * the boundaries, held or re-fitted, gains).  No move of one gate
 * coordinate creates the missing line, and the right configuration needs
 * several boundaries moved at once.  Proposed here: in windows of the
 * covariate (runs of 1 to MAX_BINS of NBINS bins of the sorted rows) the
 * line that explains best the rows the fit explains worst (the largest
 * sum over the window of max(0, log N(y; line, s2) - log p(y | x)),
 * among lines through pairs of the window's rows, then re-fitted by least
 * squares to the rows it explains better); in the best windows, each
 * expert in turn is given that line and a gate that selects it across the
 * window (its logit the chord of the largest, or of the K-th largest,
 * score of the others over the window).  Each proposal is judged after
 * one E-step and the experts' least squares; the best few are returned,
 * for the caller to run on (EM and the boundary moves) and keep only if
 * they end higher. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "gating.h"
#include "internal.h"
#include "topk_select.h"

#define NBINS 16      /* windows are runs of bins of the sorted rows */
#define MAX_BINS 6    /* the widest window, in bins */
#define NLINES 48     /* lines through pairs of a window's rows */
#define NWINDOWS 3    /* the best windows, by gain, given to the experts */

typedef struct {
    double gain, a, b, s2; /* the line y = a x + b, its variance */
    size_t lo, hi;         /* positions in the sorted order */
} window;

typedef struct {
    const gmoe_model *m;
    const gmoe_data *data;
    size_t *order;  /* rows sorted by the gate covariate */
    double *xs;     /* the covariate in that order */
    double *ell;    /* log p(y | x) of each row under m */
    double *s;      /* 2k scratch */
    double s2;      /* the variance lines are scored with */
} birth_ws;

/* The rows' log-likelihoods under m into w->ell; their order by the gate
 * covariate into w->order, w->xs. */
static int prepare(birth_ws *w)
{
    const gmoe_model *m = w->m;
    const gmoe_data *data = w->data;
    size_t n = data->n, k = m->k, d = m->d;
    const double *gx = gmoe_data_gate_x(data);
    double *logg = malloc(2 * k * sizeof(double));
    if (!logg)
        return GMOE_ENOMEM;
    const gmoe_gating *g = gmoe_gating_get(m->family);
    for (size_t r = 0; r < n; r++) {
        g->log_gate(m, gx + r, logg);
        for (size_t i = 0; i < k; i++) {
            double mu = m->b[i];
            for (size_t j = 0; j < d; j++)
                mu += m->a[i * d + j] * data->x[r * d + j];
            logg[i] += logg[i] > -INFINITY ? gmoe_log_normal(data->y[r], mu, m->sigma2[i]) : 0.0;
        }
        w->ell[r] = gmoe_logsumexp(logg, k);
    }
    free(logg);
    return gmoe_topk_sort_rows(data, w->order, w->xs);
}

/* The gain of the line (a, b, s2) over the window's rows; with fit, the
 * least-squares line and variance of the rows it gains on into *wd. */
static double line_gain(const birth_ws *w, size_t lo, size_t hi, double a, double b, double s2,
                        window *wd)
{
    const gmoe_data *data = w->data;
    double gain = 0.0, sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    for (size_t p = lo; p < hi; p++) {
        size_t r = w->order[p];
        double x = data->x[r * w->m->d], y = data->y[r];
        double g = gmoe_log_normal(y, a * x + b, s2) - w->ell[r];
        if (!(g > 0))
            continue;
        gain += g;
        sw += 1;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
    }
    double det = sw * sxx - sx * sx;
    if (wd && sw > 3 && det > 0) {
        wd->a = (sw * sxy - sx * sy) / det;
        wd->b = (sy - wd->a * sx) / sw;
        double rss = syy - 2 * wd->a * sxy - 2 * wd->b * sy + wd->a * wd->a * sxx +
                     2 * wd->a * wd->b * sx + wd->b * wd->b * sw;
        wd->s2 = fmax(rss / sw, 1e-3 * s2);
    } else if (wd) {
        wd->s2 = 0.0;
    }
    return gain;
}

/* The window's best line (through pairs of its rows, deterministic picks),
 * re-fitted, into *wd with its gain. */
static void best_line(const birth_ws *w, size_t lo, size_t hi, window *wd)
{
    const gmoe_data *data = w->data;
    size_t len = hi - lo, d = w->m->d;
    double best = 0.0, ba = 0.0, bb = 0.0;
    for (size_t t = 0; t < NLINES; t++) {
        size_t r1 = w->order[lo + (t * 7919 + 13) % len];
        size_t r2 = w->order[lo + (t * 104729 + len / 2) % len];
        double x1 = data->x[r1 * d], x2 = data->x[r2 * d];
        if (x1 == x2)
            continue;
        double a = (data->y[r2] - data->y[r1]) / (x2 - x1), b = data->y[r1] - a * x1;
        double g = line_gain(w, lo, hi, a, b, w->s2, NULL);
        if (g > best) {
            best = g;
            ba = a;
            bb = b;
        }
    }
    *wd = (window){.gain = 0.0, .lo = lo, .hi = hi};
    if (!(best > 0))
        return;
    line_gain(w, lo, hi, ba, bb, w->s2, wd);
    if (wd->s2 > 0)
        wd->gain = line_gain(w, lo, hi, wd->a, wd->b, wd->s2, NULL);
}

/* The NWINDOWS windows of largest gain into best (fewer if none gains). */
static size_t best_windows(const birth_ws *w, window *best)
{
    size_t n = w->data->n, nb = 0;
    for (size_t b0 = 0; b0 < NBINS; b0++)
        for (size_t b1 = b0 + 1; b1 <= NBINS && b1 - b0 <= MAX_BINS; b1++) {
            window wd;
            best_line(w, b0 * n / NBINS, b1 * n / NBINS, &wd);
            if (!(wd.gain > 0))
                continue;
            size_t at = nb < NWINDOWS ? nb++ : NWINDOWS;
            while (at > 0 && best[at - 1].gain < wd.gain) {
                if (at < NWINDOWS)
                    best[at] = best[at - 1];
                at--;
            }
            if (at < NWINDOWS)
                best[at] = wd;
        }
    return nb;
}

/* The largest (rank 0) or rank-th largest score of the experts other than
 * i at x. */
static double other_score(const gmoe_model *m, double x, size_t i, size_t rank, double *s)
{
    gmoe_topk_scores(m, &x, s);
    s[i] = -INFINITY;
    for (size_t t = 0; t < rank; t++) {
        size_t top = 0;
        for (size_t j = 1; j < m->k; j++)
            top = s[j] > s[top] ? j : top;
        s[top] = -INFINITY;
    }
    double v = -INFINITY;
    for (size_t j = 0; j < m->k; j++)
        v = fmax(v, s[j]);
    return v;
}

/* Expert i of t given the window's line and a logit that is the chord of
 * the others' rank-th largest score over the window (a hair above it);
 * the pinned last expert's gate then put back to zero by shifting all. */
static void propose(gmoe_model *t, const gmoe_model *m, const birth_ws *w, const window *wd, size_t i,
                    size_t rank)
{
    size_t k = m->k;
    double x0 = w->xs[wd->lo], x1 = w->xs[wd->hi - 1];
    double s0 = other_score(m, x0, i, rank, w->s), s1 = other_score(m, x1, i, rank, w->s);
    double slope = x1 > x0 ? (s1 - s0) / (x1 - x0) : 0.0;
    gmoe_model_copy_params(t, m);
    t->a[i * m->d] = wd->a;
    for (size_t j = 1; j < m->d; j++)
        t->a[i * m->d + j] = 0.0;
    t->b[i] = wd->b;
    t->sigma2[i] = wd->s2;
    t->beta1[i] = slope;
    t->beta0[i] = s0 - slope * x0 + 1e-6 * (1.0 + fabs(s0));
    double b0 = t->beta0[k - 1], b1 = t->beta1[k - 1];
    for (size_t j = 0; j < k; j++) {
        t->beta0[j] -= b0;
        t->beta1[j] -= b1;
    }
}

double gmoe_topk_judge_refitted(gmoe_model *t, const gmoe_data *data, gmoe_em_ws *ws,
                                const gmoe_em_options *opt, double least, double *s)
{
    if (gmoe_topk_smallest_share(t, data, s) < least)
        return -INFINITY;
    double ll = gmoe_em_estep(t, data, ws, ws->resp);
    if (!isfinite(ll))
        return -INFINITY;
    gmoe_mstep_experts(t, data, ws, opt);
    ll = gmoe_estep(t, data, NULL, ws->block_ll, ws->nthreads);
    return isfinite(ll) ? ll : -INFINITY;
}

void gmoe_topk_keep_best(const gmoe_model *t, double ll, gmoe_model **out, double *val, size_t nout,
                         size_t *nfound)
{
    size_t at = *nfound < nout ? (*nfound)++ : nout;
    while (at > 0 && val[at - 1] < ll) {
        if (at < nout) {
            gmoe_model_copy_params(out[at], out[at - 1]);
            val[at] = val[at - 1];
        }
        at--;
    }
    if (at < nout) {
        gmoe_model_copy_params(out[at], t);
        val[at] = ll;
    }
}

int gmoe_topk_birth_applies(const gmoe_model *m, const gmoe_data *data)
{
    return m->family == GMOE_TOPK && m->select == GMOE_SELECT_LOGIT && m->top_k >= 2 &&
           m->top_k < m->k && m->dg == 1 && m->d == 1 && data->n >= 4 * NBINS;
}

/* The proposals of every window and expert, judged; the best nout kept
 * in out (sorted, best first) with their values in val. */
static size_t judge_all(birth_ws *w, gmoe_em_ws *ws, const gmoe_em_options *opt, const window *win,
                        size_t nw, gmoe_model *t, gmoe_model **out, double *val, size_t nout)
{
    const gmoe_model *m = w->m;
    double least = fmin(gmoe_topk_smallest_share(m, w->data, w->s), GMOE_TOPK_MIN_SHARE);
    size_t nfound = 0;
    for (size_t u = 0; u < nw; u++)
        for (size_t i = 0; i < m->k; i++)
            for (size_t rank = 0; rank < m->top_k; rank += m->top_k - 1) {
                propose(t, m, w, &win[u], i, rank);
                double ll = gmoe_topk_judge_refitted(t, w->data, ws, opt, least, w->s);
                if (isfinite(ll))
                    gmoe_topk_keep_best(t, ll, out, val, nout, &nfound);
            }
    return nfound;
}

int gmoe_topk_birth_proposals(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                              const gmoe_em_options *opt, gmoe_model **out, size_t nout, size_t *found)
{
    *found = 0;
    if (!gmoe_topk_birth_applies(m, data) || nout == 0)
        return GMOE_OK;
    size_t n = data->n;
    birth_ws w = {.m = m, .data = data};
    w.order = malloc(n * sizeof(size_t));
    w.xs = malloc((2 * n + 2 * m->k) * sizeof(double));
    double *val = malloc(nout * sizeof(double));
    gmoe_model *t = gmoe_model_clone(m);
    int st = w.order && w.xs && val && t ? GMOE_OK : GMOE_ENOMEM;
    if (st == GMOE_OK) {
        w.ell = w.xs + n;
        w.s = w.ell + n;
        st = prepare(&w);
    }
    if (st == GMOE_OK) {
        /* lines are scored with the experts' median variance */
        memcpy(w.s, m->sigma2, m->k * sizeof(double));
        for (size_t i = 1; i < m->k; i++)
            for (size_t j = i; j > 0 && w.s[j - 1] > w.s[j]; j--) {
                double v = w.s[j];
                w.s[j] = w.s[j - 1];
                w.s[j - 1] = v;
            }
        w.s2 = w.s[m->k / 2];
        window win[NWINDOWS];
        size_t nw = best_windows(&w, win);
        *found = judge_all(&w, ws, opt, win, nw, t, out, val, nout);
    }
    gmoe_model_free(t);
    free(val);
    free(w.order);
    free(w.xs);
    return st;
}
