/* topk_dense.c -- the top-K proposal that continues a fit with the dense
 * softmax gate of the same parameters (issue 11), for K = 1, select =
 * logit and several gate covariates (with one, topk_segments.c's grid is
 * exact).
 *
 * With K = 1 and select = logit the gate is the argmax of the logits: a
 * partition of the gate covariates into convex cells, one per expert.  The
 * boundary moves (topk_starts.c, topk_refit.c, topk_relocate.c) shift one
 * gate coordinate at a time or relocate an expert along one covariate;
 * with two gate covariates a fit can end with cells misplaced as a whole,
 * where none of them gains (bench-audit's topk-d2k1b, k = 4, d = 2: the
 * default seeds ended 45-444 below the fit from the truth, a 40-start fit
 * 196 below).  The softmax gate with the same logits is the same model
 * smoothed: its log-likelihood is smooth in every boundary, so EM moves
 * all the cells at once, and on data from a partition its gate sharpens
 * towards one.  The proposal: the fit run to its end as a softmax gate,
 * read back as top-1 (the argmax of its logits); the caller runs it on and
 * keeps it only if that ends higher.  From each seed's end above it ended
 * at -1443.121, 0.64 above the fit from the truth, in 0.1 s CPU. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "engine.h"
#include "internal.h"
#include "topk_dense.h"
#include "topk_select.h"


int gmoe_topk_dense_applies(const gmoe_model *m, const gmoe_data *data)
{
    /* not where the segments' grid is exact (one gate covariate): there
     * the runs found nothing and tripled the cost (bench-hard topk-k1) */
    return m->family == GMOE_TOPK && m->top_k == 1 && m->k > 1 && m->select == GMOE_SELECT_LOGIT &&
           !gmoe_topk_segments_apply(m, data);
}

/* What the dense runs share. */
typedef struct {
    const gmoe_data *data;
    gmoe_em_ws *ws, *dws; /* the top-K fit's workspace, the softmax runs' */
    gmoe_em_options quiet;
    gmoe_model **out;
    double *val, *s, least;
    size_t nout, found;
} dense_runs;

/* t (softmax, its start in place) run by EM to its end, then judged as
 * top-1 and kept among the best proposals. */
static int run_dense(dense_runs *r, gmoe_model *t, size_t restart)
{
    gmoe_fit_info run;
    t->family = GMOE_SOFTMAX;
    int st = gmoe_em_run(t, r->data, r->dws, &r->quiet, restart, &run);
    t->family = GMOE_TOPK;
    if (st != GMOE_OK || !isfinite(run.loglik) || gmoe_topk_smallest_share(t, r->data, r->s) < r->least)
        return st;
    double ll = gmoe_estep(t, r->data, NULL, r->ws->block_ll, r->ws->nthreads);
    if (isfinite(ll))
        gmoe_topk_keep_best(t, ll, r->out, r->val, r->nout, &r->found);
    return GMOE_OK;
}

int gmoe_topk_dense_proposals(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                              const gmoe_em_options *opt, gmoe_model **out, size_t nout, size_t *found)
{
    *found = 0;
    if (!gmoe_topk_dense_applies(m, data) || nout == 0)
        return GMOE_OK;
    dense_runs r = {.data = data, .ws = ws, .quiet = *opt, .out = out, .nout = nout};
    /* trials: the caller's progress hook sees only the fit */
    r.quiet.progress = NULL;
    gmoe_model *t = gmoe_model_clone(m);
    r.val = malloc(nout * sizeof(double));
    r.s = malloc(2 * m->k * sizeof(double));
    int st = t && r.val && r.s ? GMOE_OK : GMOE_ENOMEM;
    if (st == GMOE_OK) {
        t->family = GMOE_SOFTMAX;
        r.dws = gmoe_em_ws_alloc(t, data, ws->nthreads);
        st = r.dws ? GMOE_OK : GMOE_ENOMEM;
    }
    if (st == GMOE_OK) {
        r.least = fmin(gmoe_topk_smallest_share(m, data, r.s), GMOE_TOPK_MIN_SHARE);
        st = run_dense(&r, t, 0);
    }
    for (size_t k = 0; k < opt->restarts && st == GMOE_OK; k++) {
        t->family = GMOE_SOFTMAX;
        st = gmoe_init_random(t, data, r.dws, opt, k, gmoe_seed_derive(opt->seed, k));
        if (st == GMOE_OK)
            st = run_dense(&r, t, k);
    }
    *found = r.found;
    gmoe_em_ws_free(r.dws);
    gmoe_model_free(t);
    free(r.val);
    free(r.s);
    return st;
}
