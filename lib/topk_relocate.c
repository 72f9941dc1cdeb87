/* topk_relocate.c -- the top-K boundary move that no single gate
 * coordinate makes (issue 11), for K = 1: an expert's selection region
 * given up and a new one carved out of another expert's.
 *
 * The coordinate moves of topk_starts.c shift one boundary at a time; a
 * K = 1 fit can still end with an expert on the wrong region altogether
 * (a sliver at a kink, a duplicate of its neighbour), where moving it to
 * the right place takes several coordinates at once, through worse
 * points.  The relocation of expert i into host j along gate covariate u:
 * i's gate becomes j's plus c (x_u - t) (or c (t - x_u)) with c tiny, so
 * that i wins exactly the rows of j's region past the threshold t, and
 * the rows i held go to their next choices.  With K = 1 every row's
 * responsibility is its one selected expert, so one EM step after the
 * proposal re-fits each expert by least squares on its rows: the exact
 * profile log-likelihood of the new selection.  Tried: the thresholds at
 * the 16-iles of x_u over j's rows for every (i, j, u, sign), then a
 * bisection of the threshold around the best three; kept only if it raises the
 * log-likelihood.  (With K >= 2 a proposal's gates would need many EM
 * steps to be judged; measured on k = 4, K = 2 truths it found nothing
 * at several times the cost, so it is not tried there.) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "internal.h"
#include "topk_face.h"

#define GRID 16            /* coarse thresholds: the GRID-iles of x_u */
#define REFINED 3          /* combinations whose threshold is refined */
#define MIN_SHARE 0.01     /* as topk_starts.c: no expert on fewer rows */
#define RAMP 1e-3          /* c: the logits part by RAMP over one sd of x_u */

typedef struct {
    size_t i, j, u; /* relocated expert, host, covariate (0-based) */
    int sign;       /* +1: i wins where x_u > t; -1: where x_u < t */
    double t;
} proposal;

typedef struct {
    proposal p;
    double q, ll;   /* t's fraction of the host's rows; the judged value */
} candidate;

struct gmoe_topk_relocator {
    gmoe_model *trial;
    double *z;           /* n: x_u over the host's rows, sorted */
    double *sd;          /* dg: the gate covariates' sd */
    double *mean;        /* dg */
    double *s;           /* 2k scratch */
    candidate *cand;     /* 2 k (k - 1) dg: the coarse search's best */
};

gmoe_topk_relocator *gmoe_topk_relocator_alloc(const gmoe_model *m, const gmoe_data *data)
{
    gmoe_topk_relocator *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->trial = gmoe_model_clone(m);
    r->z = malloc((data->n + 2 * m->dg + 2 * m->k + 1) * sizeof(double));
    r->cand = malloc((2 * m->k * m->k * m->dg + 1) * sizeof(candidate));
    if (!r->trial || !r->z || !r->cand) {
        gmoe_topk_relocator_free(r);
        return NULL;
    }
    r->sd = r->z + data->n;
    r->mean = r->sd + m->dg;
    r->s = r->mean + m->dg;
    gmoe_column_moments(data, gmoe_data_gate_x(data), m->dg, r->mean, r->sd);
    return r;
}

void gmoe_topk_relocator_free(gmoe_topk_relocator *r)
{
    if (!r)
        return;
    gmoe_model_free(r->trial);
    free(r->z);
    free(r->cand);
    free(r);
}

/* The proposal's model into t, from m: i's gate is j's plus the ramp
 * (its expert is re-fitted by the EM step that judges it); the pinned last expert's gate is then put
 * back to zero by shifting every gate (the same selection and gates). */
static void propose(gmoe_model *t, const gmoe_model *m, const proposal *p, double sd)
{
    size_t d = m->dg, k = m->k, i = p->i, j = p->j;
    double c = p->sign * RAMP / sd;
    gmoe_model_copy_params(t, m);
    t->beta0[i] = m->beta0[j] - c * p->t;
    memcpy(t->beta1 + i * d, m->beta1 + j * d, d * sizeof(double));
    t->beta1[i * d + p->u] += c;
    double b0 = t->beta0[k - 1];
    for (size_t l = 0; l < k; l++)
        t->beta0[l] -= b0;
    for (size_t v = 0; v < d; v++) {
        double b1 = t->beta1[(k - 1) * d + v];
        for (size_t l = 0; l < k; l++)
            t->beta1[l * d + v] -= b1;
    }
}

/* The log-likelihood of the proposal after one EM step (the model in
 * r->trial); -INFINITY if it leaves an expert on too few rows or EM
 * fails. */
static double judge(gmoe_topk_relocator *r, const gmoe_model *m, const gmoe_data *data,
                    gmoe_em_ws *ws, const gmoe_em_options *opt, const proposal *p, double least)
{
    propose(r->trial, m, p, r->sd[p->u]);
    if (gmoe_topk_smallest_share(r->trial, data, r->s) < least)
        return -INFINITY;
    double ll = gmoe_em_estep(r->trial, data, ws, ws->resp);
    int failed = 0;
    if (isfinite(ll))
        ll = gmoe_em_step(r->trial, data, ws, opt, &failed);
    if (failed)
        return -INFINITY;
    if (!isfinite(ll) || gmoe_topk_smallest_share(r->trial, data, r->s) < least)
        return -INFINITY;
    return ll;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* x_u over the rows that select j, sorted into r->z; returns how many. */
static size_t host_values(gmoe_topk_relocator *r, const gmoe_model *m, const gmoe_data *data,
                          size_t j, size_t u)
{
    const double *gx = gmoe_data_gate_x(data);
    size_t nz = 0;
    for (size_t n = 0; n < data->n; n++) {
        gmoe_topk_scores(m, gx + n * m->dg, r->s);
        if (gmoe_topk_is_selected(m, r->s, j))
            r->z[nz++] = gx[n * m->dg + u];
    }
    qsort(r->z, nz, sizeof(double), cmp_double);
    return nz;
}

/* The threshold at fraction q of the host's sorted values. */
static double quantile(const double *z, size_t nz, double q)
{
    size_t a = (size_t)(q * (double)(nz - 1));
    return a + 1 < nz ? 0.5 * (z[a] + z[a + 1]) : z[a];
}

/* Bisection of the best proposal's threshold over the host's values
 * (fraction *q of them, step h to start); *best_ll and *p updated. */
static void refine(gmoe_topk_relocator *r, const gmoe_model *m, const gmoe_data *data,
                   gmoe_em_ws *ws, const gmoe_em_options *opt, proposal *p, double q, double h,
                   double least, double *best_ll)
{
    size_t nz = host_values(r, m, data, p->j, p->u);
    for (; nz > 1 && h * (double)nz >= 2.0; h *= 0.5)
        for (int sign = -1; sign <= 1; sign += 2) {
            double q1 = q + sign * h;
            if (q1 <= 0.0 || q1 >= 1.0)
                continue;
            proposal c = *p;
            c.t = quantile(r->z, nz, q1);
            double ll = judge(r, m, data, ws, opt, &c, least);
            if (ll > *best_ll) {
                *best_ll = ll;
                *p = c;
                q = q1;
                break;
            }
        }
}

/* The coarse search: every (i, j, u, sign) at the host's GRID-iles,
 * each combination's best threshold into r->cand (how many returned). */
static size_t coarse(gmoe_topk_relocator *r, const gmoe_model *m, const gmoe_data *data,
                     gmoe_em_ws *ws, const gmoe_em_options *opt, double least)
{
    size_t nc = 0;
    for (size_t j = 0; j < m->k; j++)
        for (size_t u = 0; u < m->dg; u++) {
            size_t nz = host_values(r, m, data, j, u);
            for (size_t i = 0; i < m->k && nz >= GRID; i++)
                for (int sign = -1; i != j && sign <= 1; sign += 2) {
                    candidate *c = &r->cand[nc++];
                    *c = (candidate){.ll = -INFINITY};
                    for (int q = 1; q < GRID; q++) {
                        proposal p = {.i = i, .j = j, .u = u, .sign = sign};
                        p.t = quantile(r->z, nz, q / (double)GRID);
                        double ll = judge(r, m, data, ws, opt, &p, least);
                        if (ll > c->ll)
                            *c = (candidate){.p = p, .q = q / (double)GRID, .ll = ll};
                    }
                }
        }
    return nc;
}

static int cmp_candidate(const void *a, const void *b)
{
    double x = ((const candidate *)a)->ll, y = ((const candidate *)b)->ll;
    return (x < y) - (x > y); /* best first */
}

int gmoe_topk_relocate(gmoe_topk_relocator *r, gmoe_model *m, const gmoe_data *data,
                       gmoe_em_ws *ws, const gmoe_em_options *opt, double *ll)
{
    if (m->select != GMOE_SELECT_LOGIT || m->top_k != 1 || m->dg == 0 || m->k < 2)
        return GMOE_OK; /* a threshold needs a bias that selects */
    double least = fmin(gmoe_topk_smallest_share(m, data, r->s), MIN_SHARE);
    size_t nc = coarse(r, m, data, ws, opt, least);
    qsort(r->cand, nc, sizeof(candidate), cmp_candidate);
    /* the threshold of the best few combinations refined (the profile
     * over it is rough: many local maxima) */
    for (size_t c = 0; c < nc && c < REFINED; c++)
        if (isfinite(r->cand[c].ll))
            refine(r, m, data, ws, opt, &r->cand[c].p, r->cand[c].q, 0.5 / GRID, least, &r->cand[c].ll);
    qsort(r->cand, nc < REFINED ? nc : REFINED, sizeof(candidate), cmp_candidate);
    if (nc == 0 || !isfinite(r->cand[0].ll))
        return GMOE_OK;
    double final = judge(r, m, data, ws, opt, &r->cand[0].p, least);
    if (final > *ll + 1e-9 * (double)data->n) {
        gmoe_model_copy_params(m, r->trial);
        *ll = final;
    }
    return GMOE_OK;
}
