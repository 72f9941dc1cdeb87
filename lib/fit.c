/* fit.c -- gmoe_fit, the top of the engine: checks, random restarts,
 * the tau warm-up, short-EM screening, the best run kept, its final test
 * (gradient and Hessian, newton.c) and its information criteria; the
 * nested fits (split starts) and gmoe_fit_auto's lead-in, made only when
 * the random starts do not settle. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "engine.h"
#include "fit_scale.h"
#include "fit_share.h"
#include "internal.h"
#include "newton.h"
#include "weights.h"

/* Switches whether tau is a free parameter of cur, resizing the gate
 * unknowns (the workspace was allocated for the larger size). */
static void set_tau_estimated(gmoe_model *cur, gmoe_em_ws *ws, int on)
{
    cur->tau_estimated = on;
    ws->np = ws->gating->npar(cur);
    ws->nvec = gmoe_em_nvec(cur);
}

/* The fit's family options (tau, top_k, ...) must be valid: checked on a
 * zero-parameter model carrying them (m's own parameters are outputs). */
static int check_family_options(const gmoe_model *m, int tau_estimated, gmoe_err *err)
{
    gmoe_model *o = gmoe_model_alloc_like(m);
    if (!o)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    gmoe_model_copy_options(o, m);
    o->tau_estimated = tau_estimated;
    int st = gmoe_model_check(o, err);
    gmoe_model_free(o);
    return st;
}

static int check_fit_args(const gmoe_data *data, const gmoe_model *m,
                          const gmoe_model *init, const gmoe_em_options *opt, gmoe_err *err)
{
    if (!data || !m || !opt)
        return gmoe_error(err, GMOE_EINVAL, "missing data, model or options");
    if (!data->y)
        return gmoe_error(err, GMOE_EINVAL, "the data have no response column");
    int mismatch = gmoe_data_match_model(data, m, err);
    if (mismatch)
        return mismatch;
    const char *msg = gmoe_em_options_check(opt);
    if (msg)
        return gmoe_error(err, GMOE_EINVAL, "%s", msg);
    if (!gmoe_gating_get(m->family))
        return gmoe_error(err, GMOE_ENOTSUP, "gating family %s is not supported", gmoe_family_name(m->family));
    int st = check_family_options(
        m, gmoe_family_has_tau(m->family) && opt->tau_mode == GMOE_TAU_ESTIMATE, err);
    if (st)
        return st;
    if (init) {
        if (init->family != m->family || init->k != m->k || init->d != m->d ||
            init->dg != m->dg || init->gate_own != m->gate_own)
            return gmoe_error(err, GMOE_EINVAL,
                              "the starting model (%s, k = %zu, d = %zu) does not match the fit (%s, k = %zu, d = %zu)",
                              gmoe_family_name(init->family), init->k, init->d,
                              gmoe_family_name(m->family), m->k, m->d);
        if ((st = gmoe_model_check(init, err)) != GMOE_OK)
            return st;
    }
    /* sharded data: each process's rows alone may fail what the whole
     * passes; the caller checks the whole before sharding (gmoe_shard) */
    return data->shard ? GMOE_OK : gmoe_data_check_fit(data, m->k, err);
}

/* The final test of a run (MODELS.md section 4): converged only with the
 * gradient near zero at a maximum; otherwise what it is. */
static int assess_run(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                      const gmoe_em_options *opt, gmoe_fit_info *info)
{
    /* the runs' workspace: where the run of m ended done, its derivatives */
    gmoe_newton_ws *nw = gmoe_newton_ws_for(&ws->newton, m, data->n);
    if (!nw)
        return GMOE_ENOMEM;
    int nd = 0;
    size_t null_dirs = 0;
    double gn = NAN;
    gmoe_newton_assess(m, data, nw, opt->nthreads, &gn, &nd, &null_dirs);
    /* Outside top-K a parameter without information means a gate
     * saturated to exactly 0 or 1 on every row: the log-likelihood is flat
     * there, a place the fit cannot leave, not a maximum. */
    int flat = null_dirs > 0 && !(gmoe_family_properties(m->family) & GMOE_FAMILY_SELECTS);
    info->grad_norm = gn;
    info->hessian_nd = nd && !flat;
    info->null_dirs = null_dirs;
    gmoe_stop_reason s = info->stop;
    if (s == GMOE_STOP_NONE || s == GMOE_STOP_NUMERIC || s == GMOE_STOP_DEGENERATE)
        return GMOE_OK;
    if (gn <= opt->grad_tol && flat)
        info->stop = GMOE_STOP_STALLED;
    else if (gn <= opt->grad_tol)
        info->stop = nd ? GMOE_STOP_TOL : GMOE_STOP_SADDLE;
    else if (s == GMOE_STOP_TOL)
        info->stop = opt->newton ? GMOE_STOP_STALLED : GMOE_STOP_LLCHANGE;
    int sup = 0;
    if (info->stop == GMOE_STOP_TOL &&
        gmoe_gate_supremum(m, data, info->loglik, opt->nthreads, &sup) != GMOE_OK)
        return GMOE_ENOMEM;
    if (sup)
        info->stop = GMOE_STOP_SEPARABLE;
    info->converged = info->stop == GMOE_STOP_TOL;
    return GMOE_OK;
}

/* Screening: every start runs this many EM iterations (no Newton phase,
 * but for the split starts along the gate and the variance) and the best
 * POLISH_STARTS run on; a nested fit screens by default. */
#define POLISH_STARTS 3
/* ... and, while no two runs agree on the best log-likelihood (the
 * replicate rule), the other screened starts run on to the end, at most
 * this many in all */
#define REPLICATE_STARTS 10
/* ... among those within this of the best run's end (the rule's cost:
 * runs further below seldom overtake it; at 1e5 rows of the reference
 * model, -k 1:6, the 21 further below ended 0 to 20 units below it) */
#define REPLICATE_GAP 5.0
#define NESTED_SCREEN_ITER 20
/* the split pools: the splits along the response, the other splits, the
 * edge starts */
enum { SPLIT_RESPONSE, SPLIT_OTHER, SPLIT_EDGE, NSPLIT_POOLS };
#define EDGE_RUNS 2
/* the most runs the polish holds */
#define MAX_RUNS (REPLICATE_STARTS + NSPLIT_POOLS + EDGE_RUNS)
#define SPLIT_NEWTON_SWITCH 1e-3
#define SPLIT_RESCREEN 3
/* gmoe_fit_auto: the random starts settle when the best two screened
 * runs both ended by EM's tolerance within this many log-likelihood units
 * per row (at least SETTLE_AGREE_MIN) of each other */
#define SETTLE_AGREE_PER_ROW 1e-6
#define SETTLE_AGREE_MIN 0.01

/* What a fit is (fit_checked's lead): a plain or nested fit (the lead-in's
 * fits among them), or gmoe_fit_auto, which may make a lead-in.  Only
 * gmoe_fit_auto's fit after its lead-in gets edge starts: a k - 1 fit
 * that took an edge expert's step gate passes it to every split start of
 * k (issue 11: over1's data, the lead-in's k = 3 with edge starts made
 * k = 4 end 0.11 lower, at a saddle; -k 1:6 on 1e5 rows of the reference
 * model with edge starts in every nested fit ended k = 4 9.80 lower and
 * k = 4, 5, 6 not converged). */
enum { FIT_PLAIN, FIT_AUTO };

/* A fit across its starts: what every start shares, and the best run. */
typedef struct {
    const gmoe_data *data;
    const gmoe_model *m;         /* the fit's shape and family options */
    const gmoe_model *init;      /* the first start, or NULL */
    const gmoe_model *smaller;   /* nested: the fit with k - 1 experts, or NULL */
    int lead;                    /* gmoe_fit_auto: smaller is made here (the
                                    lead-in) when the random starts do not
                                    settle; 0 once it is made */
    gmoe_model *lead_in;         /* the lead-in's fit, owned */
    int assessed;                /* best_info has its final test */
    int stopped;                 /* a run was stopped by opt->progress */
    const gmoe_em_options *opt;
    gmoe_em_options first;       /* a start's run: opt, or the screening's */
    gmoe_em_options first_split; /* the same for the splits along the gate
                                    and the variance */
    size_t screen;               /* screening iterations, 0 for none */
    size_t nstarts;              /* random starts, then split starts */
    int warmup;                  /* tau warm-up (gating.h: tau_warmup) */
    gmoe_em_ws *ws;
    double var_floor;            /* the variances' floor (absolute) */
    gmoe_model *cur, *best;
    gmoe_fit_info best_info;
    int have_best;
    double floor_loglik;         /* the best run at the variance floor */
    gmoe_shared_starts shared;   /* opt->share_starts: every start's outcome */
    gmoe_start_pool pool;        /* screening: the best starts */
    /* and the best split start along the response, and the best of the
       others (split.c: along the gate, the variance) */
    gmoe_start_pool split_pool[NSPLIT_POOLS];
    gmoe_smaller_cache smaller_cache; /* the split and edge starts' reads
                                         of smaller */
} fit_state;

/* The split and edge starts (with edges) of a nested fit of m on smaller
 * (none without one). */
static size_t nested_starts(const gmoe_model *m, const gmoe_model *smaller, const gmoe_data *data, int edges)
{
    if (!smaller)
        return 0;
    return smaller->k * gmoe_split_kinds(m) + (edges ? gmoe_edge_starts(m, gmoe_rows_total(data)) : 0);
}

/* The starting model of start r into s->cur: from init (parameters from
 * the starting model, options from the fit), random, or (r at or past
 * opt->restarts) a split of expert r - restarts of the smaller fit. */
static int start_model(fit_state *s, size_t r, gmoe_err *err)
{
    gmoe_model *cur = s->cur;
    const gmoe_model *m = s->m;
    gmoe_model_copy_params(cur, m); /* family options */
    /* tau warm-up: the start and a first run keep the start's tau */
    if (s->warmup)
        set_tau_estimated(cur, s->ws, 0);
    if (r == 0 && s->init) {
        gmoe_model_copy_params(cur, s->init);
        gmoe_model_copy_options(cur, m);
        set_tau_estimated(cur, s->ws, s->warmup ? 0 : m->tau_estimated);
        gmoe_model_start_tau(cur, s->init->tau, m->tau_estimated);
        return GMOE_OK;
    }
    if (r >= s->opt->restarts) {
        size_t c = r - s->opt->restarts, splits = nested_starts(m, s->smaller, s->data, 0);
        gmoe_smaller_cache *cache = &s->smaller_cache;
        int st = c < splits ? gmoe_split_start(cur, s->smaller, c, s->data, s->ws, s->opt, cache)
                            : gmoe_edge_start(cur, s->smaller, c - splits, s->data, s->ws, s->opt, cache);
        return st ? gmoe_error(err, st, "split start %zu failed", c + 1) : GMOE_OK;
    }
    int st = gmoe_init_random(cur, s->data, s->ws, s->opt, r, gmoe_seed_derive(s->opt->seed, r));
    return st ? gmoe_error(err, st, "random initialization failed") : GMOE_OK;
}

/* The screening's split pool of start r: SPLIT_RESPONSE for the random
 * starts and the splits along the response, SPLIT_OTHER for the other
 * splits (split.c), SPLIT_EDGE for the edge starts (edge_start.c). */
static size_t split_pool_of(const fit_state *s, size_t r)
{
    size_t restarts = s->opt->restarts;
    if (!s->smaller || r < restarts)
        return SPLIT_RESPONSE;
    if (r - restarts >= nested_starts(s->m, s->smaller, s->data, 0))
        return SPLIT_EDGE;
    return (r - restarts) % gmoe_split_kinds(s->m) != 0 ? SPLIT_OTHER : SPLIT_RESPONSE;
}

/* Start r: its starting model and its run (the tau warm-up's two
 * stages) in s->cur (job: the fit_state; a gmoe_start_compute). */
static int compute_start(void *job, size_t r, gmoe_model *cur_unused, gmoe_fit_info *info, gmoe_err *err)
{
    fit_state *s = job;
    (void)cur_unused; /* s->cur */
    int st = start_model(s, r, err);
    if (st)
        return st;
    gmoe_model *cur = s->cur;
    gmoe_em_run(cur, s->data, s->ws, &s->first, r, info);
    if (s->warmup && info->stop != GMOE_STOP_NONE && isfinite(info->loglik)) {
        size_t warm_iter = info->iterations;
        set_tau_estimated(cur, s->ws, 1);
        gmoe_em_run(cur, s->data, s->ws, s->opt, r, info);
        info->iterations += warm_iter;
    }
    set_tau_estimated(cur, s->ws, s->m->tau_estimated);
    gmoe_spurious_judge(cur, s->data, s->ws, s->opt, info);
    return GMOE_OK;
}

/* Start r's outcome from the shared ones into s->cur, which gets the
 * fit's options as compute_start's would. */
static int take_start(fit_state *s, size_t r, gmoe_fit_info *info, gmoe_err *err)
{
    gmoe_model_copy_params(s->cur, s->m);
    set_tau_estimated(s->cur, s->ws, s->m->tau_estimated);
    return gmoe_shared_start_take(&s->shared, r, s->cur, info, err);
}

/* A run with an expert at the variance floor: its log-likelihood, if the
 * highest of such runs (they rank last; the fit says what it set aside). */
static void remember_floor_run(fit_state *s, const gmoe_model *model, const gmoe_fit_info *info)
{
    if (isfinite(info->loglik) && info->loglik > s->floor_loglik &&
        gmoe_model_at_floor(model, s->var_floor))
        s->floor_loglik = info->loglik;
}

/* model (the run of start r) into s->best if it is the best so far. */
static void keep_best(fit_state *s, const gmoe_model *model, const gmoe_fit_info *info, size_t r)
{
    remember_floor_run(s, model, info);
    if (isfinite(info->loglik) &&
        (!s->have_best || gmoe_run_better(model, info, s->best, &s->best_info, s->var_floor))) {
        gmoe_model_copy_params(s->best, model);
        s->best_info = *info;
        s->best_info.best_restart = r;
        s->have_best = 1;
    }
}

/* Start r run here or, with shared starts, taken from the outcomes; kept
 * in s->best if it is the best so far, or offered to the screening's
 * pools: random starts and splits along the response (the starts before
 * the other splits, whose best is polished in any case) to the main pool,
 * splits to their kind's pool.  info: the run's. */
static int run_start(fit_state *s, size_t r, gmoe_fit_info *info, gmoe_err *err)
{
    int st = s->shared.bytes ? take_start(s, r, info, err) : compute_start(s, r, s->cur, info, err);
    if (st)
        return st;
    if (!s->screen) {
        keep_best(s, s->cur, info, r);
        return GMOE_OK;
    }
    remember_floor_run(s, s->cur, info);
    size_t pool = split_pool_of(s, r);
    if (pool == SPLIT_RESPONSE)
        gmoe_start_pool_offer(&s->pool, s->cur, info, r);
    if (r >= s->opt->restarts)
        gmoe_start_pool_offer(&s->split_pool[pool], s->cur, info, r);
    return GMOE_OK;
}

/* Screening: every start runs screen_iter EM iterations without the
 * Newton phase, then the best few run on (polish).  Not combined with the
 * tau warm-up, whose two stages would each need screening. */
static void plan_screening(fit_state *s)
{
    const gmoe_em_options *opt = s->opt;
    size_t iter = opt->screen_iter ? opt->screen_iter : s->smaller || s->lead ? NESTED_SCREEN_ITER : 0;
    s->screen = s->nstarts > 1 && !s->warmup ? iter : 0;
    s->first = *opt;
    if (s->screen > 0 && s->screen < opt->max_iter) {
        s->first.max_iter = s->screen;
        s->first.newton = 0;
    } else {
        s->screen = 0;
    }
    /* the splits along the gate and the variance are screened with the
     * Newton phase, switched on once EM gains less than SPLIT_NEWTON_SWITCH
     * per row: their extra expert's gate crawls along a ridge under EM
     * (issue 11, reference model, 1e4 rows, k = 3: the start that reaches
     * the best known optimum is 4 units below others after 20 EM
     * iterations, and first with the Newton phase) */
    s->first_split = s->first;
    if (s->screen) {
        s->first_split.newton = opt->newton;
        s->first_split.newton_switch = fmax(opt->newton_switch, SPLIT_NEWTON_SWITCH);
    }
}

/* A screened run on, by at most run->max_iter iterations of `run` and
 * not past the fit's limit, unless it has ended (a numerical failure, a
 * collapse); *info is the run's so far and is updated. */
static void run_on(fit_state *s, gmoe_model *model, gmoe_fit_info *info, const gmoe_em_options *run)
{
    size_t limit = s->opt->max_iter;
    if (!(info->stop == GMOE_STOP_MAXITER || info->stop == GMOE_STOP_TOL) || info->iterations >= limit)
        return;
    gmoe_em_options rest = *run;
    rest.max_iter = run->max_iter < limit - info->iterations ? run->max_iter : limit - info->iterations;
    gmoe_fit_info out;
    gmoe_em_run(model, s->data, s->ws, &rest, info->best_restart, &out);
    out.iterations += info->iterations;
    out.best_restart = info->best_restart;
    if (isfinite(out.loglik) && out.loglik >= info->loglik) /* monotone: a guard */
        *info = out;
    gmoe_spurious_judge(model, s->data, s->ws, s->opt, info);
}

/* The best few split starts along the gate and the variance after the
 * screening's EM iterations are run again from their start with the
 * Newton phase (first_split), the best of them first in their pool. */
static int rescreen_splits(fit_state *s, gmoe_err *err)
{
    gmoe_start_pool *sp = &s->split_pool[SPLIT_OTHER];
    size_t best = 0;
    for (size_t i = 0; i < sp->n; i++) {
        size_t r = sp->info[i].best_restart;
        int st = start_model(s, r, err);
        if (st)
            return st;
        gmoe_fit_info info;
        gmoe_em_run(s->cur, s->data, s->ws, &s->first_split, r, &info);
        gmoe_spurious_judge(s->cur, s->data, s->ws, s->opt, &info);
        info.best_restart = r;
        gmoe_model_copy_params(sp->model[i], s->cur);
        sp->info[i] = info;
        if (i > 0 && gmoe_run_better(sp->model[i], &info, sp->model[best], &sp->info[best], s->var_floor))
            best = i;
    }
    gmoe_model *model = sp->model[0];
    gmoe_fit_info info = sp->info[0];
    sp->model[0] = sp->model[best], sp->info[0] = sp->info[best];
    sp->model[best] = model, sp->info[best] = info;
    return GMOE_OK;
}

static int over_specified(gmoe_model *model, const gmoe_data *data, int tiny_too);

/* Two runs ending within this of each other agree (SETTLE_AGREE_*). */
static double settle_agree(const fit_state *s)
{
    return fmax(SETTLE_AGREE_MIN, SETTLE_AGREE_PER_ROW * (double)gmoe_rows_total(s->data));
}

/* A screened run on to the end (with the Newton phase), kept if best. */
static void run_to_end(fit_state *s, gmoe_model *model, gmoe_fit_info *info, int *ended)
{
    run_on(s, model, info, s->opt);
    keep_best(s, model, info, info->best_restart);
    *ended = 1;
}

/* The replicate rule: while no two runs that went to the end agree on
 * the best log-likelihood (within what settles gmoe_fit_auto's random
 * starts), or the best has near-duplicate experts (it is the smaller
 * fit in disguise), the highest of the other screened runs within
 * REPLICATE_GAP of the best goes to the end.  Over-
 * specified fits have many maxima within a few units whose order after
 * the screening's iterations says little of where a run ends (issue 11:
 * a k* = 2 model's data fitted with k = 3, 5000 rows: the starts that
 * reach the best known maximum were 7th and 10th of 11 after 40 EM
 * iterations); two runs at the best is the evidence that it is the
 * starts' best. */
static void replicate_best(fit_state *s, gmoe_model **model, gmoe_fit_info **info, size_t n, int *ended)
{
    double agree = settle_agree(s);
    for (;;) {
        size_t at_best = 0, next = n;
        for (size_t i = 0; i < n; i++) {
            if (ended[i] && fabs(info[i]->loglik - s->best_info.loglik) <= agree)
                at_best++;
            if (!ended[i] && info[i]->loglik >= s->best_info.loglik - REPLICATE_GAP &&
                (next == n || gmoe_run_better(model[i], info[i], model[next], info[next], s->var_floor)))
                next = i;
        }
        if (next == n || (at_best >= 2 && over_specified(s->best, s->data, 0) == 0))
            return;
        run_to_end(s, model[next], info[next], &ended[next]);
    }
}

/* Start r's index among the n runs, n if it is not there. */
static size_t run_index(gmoe_fit_info **info, size_t n, size_t r)
{
    for (size_t i = 0; i < n; i++)
        if (info[i]->best_restart == r)
            return i;
    return n;
}

/* The runs split pool p gives the polish: the best edge starts
 * (EDGE_RUNS: the screening ranks them poorly, issue 11: over1-k3, the
 * edge start that reaches the best known maximum second of 6 after it),
 * the best of each other pool. */
static size_t pool_runs(size_t p)
{
    return p == SPLIT_EDGE ? EDGE_RUNS : 1;
}

/* The kept starts (the pool's and the best split starts of each split
 * pool) run another screen_iter EM iterations; the best of them then runs
 * on to the end (with the Newton phase), and the best split start along
 * the response and the best edge starts too (over-specified fits rank
 * their starts poorly after a few iterations, and the split start along
 * the response is what makes a nested fit at least its smaller fit).
 * Only runs that went to the end are kept. */
static void finish_screening(fit_state *s)
{
    gmoe_model *model[MAX_RUNS];
    gmoe_fit_info *info[MAX_RUNS];
    int to_end[MAX_RUNS] = {0}, ended[MAX_RUNS] = {0};
    size_t n = 0, best = 0;
    for (size_t i = 0; i < s->pool.n && i < POLISH_STARTS; i++, n++)
        model[n] = s->pool.model[i], info[n] = &s->pool.info[i];
    for (size_t p = 0; p < NSPLIT_POOLS; p++) {
        gmoe_start_pool *sp = &s->split_pool[p];
        for (size_t j = 0; j < sp->n && j < pool_runs(p); j++) {
            size_t i = run_index(info, n, sp->info[j].best_restart);
            if (i == n)
                model[n] = sp->model[j], info[n++] = &sp->info[j];
            to_end[i] |= p != SPLIT_OTHER;
        }
    }
    for (size_t i = 0; i < n; i++) {
        run_on(s, model[i], info[i], &s->first);
        remember_floor_run(s, model[i], info[i]);
        if (i > 0 && gmoe_run_better(model[i], info[i], model[best], info[best], s->var_floor))
            best = i;
    }
    if (n == 0)
        return;
    run_to_end(s, model[best], info[best], &ended[best]);
    for (size_t i = 0; i < n; i++)
        if (to_end[i] && !ended[i])
            run_to_end(s, model[i], info[i], &ended[i]);
    for (size_t i = POLISH_STARTS; i < s->pool.n && n < MAX_RUNS; i++)
        if (run_index(info, n, s->pool.info[i].best_restart) == n)
            model[n] = s->pool.model[i], info[n++] = &s->pool.info[i];
    replicate_best(s, model, info, n, ended);
}

/* A nested fit is never below its smaller fit: if every run ended lower
 * (each split start's escape lowered the likelihood a little and EM came
 * back towards the exact split from below), the exact split of expert 1
 * is the fit (it has the smaller fit's likelihood). */
static void nested_guard(fit_state *s)
{
    if (!s->smaller || (s->have_best && s->best_info.loglik >= s->smaller->fit.loglik))
        return;
    gmoe_model *cur = s->cur;
    gmoe_model_copy_params(cur, s->m);
    s->ws->gating->split(cur, s->smaller, 0);
    gmoe_fit_info info = {.n = gmoe_rows_total(s->data), .stop = GMOE_STOP_TOL, .grad_norm = NAN};
    info.loglik = gmoe_em_estep(cur, s->data, s->ws, s->ws->resp);
    gmoe_spurious_judge(cur, s->data, s->ws, s->opt, &info);
    if (isfinite(info.loglik) && (!s->have_best || info.loglik > s->best_info.loglik)) {
        gmoe_model_copy_params(s->best, cur);
        s->best_info = info;
        s->best_info.best_restart = s->opt->restarts;
        s->have_best = 1;
    }
}

static int fit_checked(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
                       const gmoe_model *smaller, int lead, const gmoe_em_options *opt_in, gmoe_err *err);

/* gmoe_fit_auto's lead-in: the fits with 2 .. k - 1 experts on the same
 * rows and options, each nested on the one before, into s->smaller (and
 * the split starts into s->nstarts).  A failed fit leaves the fit with
 * its random starts only, as a numerical failure of mixfit's lead-in
 * did. */
static int make_lead_in(fit_state *s)
{
    const gmoe_model *m = s->m;
    gmoe_model *prev = NULL;
    s->lead = 0;
    for (size_t k = 2; k < m->k; k++) {
        gmoe_model *mk = m->gate_own ? gmoe_model_alloc_gate(m->family, k, m->d, m->dg)
                                     : gmoe_model_alloc(m->family, k, m->d);
        if (!mk) {
            gmoe_model_free(prev);
            return GMOE_ENOMEM;
        }
        gmoe_model_copy_options(mk, m);
        mk->top_k = mk->top_k > k ? k : mk->top_k;
        gmoe_err e;
        int st = fit_checked(s->data, mk, NULL, prev, FIT_PLAIN, s->opt, &e);
        gmoe_model_free(prev);
        prev = mk;
        if (st) {
            gmoe_model_free(mk);
            return st == GMOE_ENOMEM ? st : GMOE_OK;
        }
    }
    s->lead_in = prev;
    s->smaller = prev;
    s->nstarts = s->opt->restarts + nested_starts(m, prev, s->data, 1);
    return GMOE_OK;
}

/* A fit whose experts show an over-specified k: tiny ones or
 * near-duplicates (gmoe_fit_notes' tests); -1 when out of memory. */
static int over_specified(gmoe_model *model, const gmoe_data *data, int tiny_too)
{
    gmoe_err e;
    int had_fit = model->has_fit, over = 0;
    model->has_fit = 0;
    if (gmoe_fit_notes(model, data, &e) != GMOE_OK)
        over = -1;
    for (size_t i = 0; over == 0 && model->notes && i < model->notes->n; i++)
        over = (tiny_too && model->notes->note[i].code == GMOE_NOTE_TINY_MASS) ||
               model->notes->note[i].code == GMOE_NOTE_NEAR_DUPLICATES;
    gmoe_note_list_free(model->notes);
    model->notes = NULL;
    model->has_fit = had_fit;
    return over;
}

/* gmoe_fit_auto, after the random starts' screening: when the best two
 * screened runs both ended by EM's tolerance at the same log-likelihood,
 * the best runs on to the end; if that is a maximum (the gradient test),
 * or a separable gate's supremum, without an expert at or near the floor, tiny experts or near-duplicates, it is
 * the fit (*settled = 1) and no lead-in is made.  It stays a candidate
 * otherwise. */
static int try_settle(fit_state *s, int *settled)
{
    const gmoe_start_pool *p = &s->pool;
    double agree = settle_agree(s);
    *settled = 0;
    if (p->n < 2 || p->info[0].stop != GMOE_STOP_TOL || p->info[1].stop != GMOE_STOP_TOL ||
        p->info[0].loglik - p->info[1].loglik > agree || gmoe_model_at_floor(p->model[0], s->var_floor) ||
        p->info[0].spurious_expert)
        return GMOE_OK;
    run_on(s, p->model[0], &p->info[0], s->opt);
    keep_best(s, p->model[0], &p->info[0], p->info[0].best_restart);
    int st = assess_run(s->best, s->data, s->ws, s->opt, &s->best_info);
    if (st != GMOE_OK)
        return st;
    s->assessed = 1;
    /* a separable end has reached its end as a converged one has: whether
     * to search on is a question of other maxima, not of this one */
    int ended = s->best_info.converged || s->best_info.stop == GMOE_STOP_SEPARABLE;
    if (!ended || gmoe_model_at_floor(s->best, GMOE_NEAR_FLOOR_FACTOR * s->var_floor) ||
        s->best_info.spurious_expert)
        return GMOE_OK;
    int over = over_specified(s->best, s->data, 1);
    if (over < 0)
        return GMOE_ENOMEM;
    *settled = !over;
    return GMOE_OK;
}

/* Starts from..s->nstarts - 1, each run (or, with opt->share_starts,
 * shared out as one batch and taken from the outcomes) and kept or
 * offered to the screening's pools. */
static int run_start_range(fit_state *s, size_t from, gmoe_err *err)
{
    const gmoe_em_options *opt = s->opt;
    int st;
    if (opt->share_starts && s->nstarts > 1 && from < s->nstarts &&
        (st = gmoe_shared_starts_run(&s->shared, opt, from, s->nstarts - from, s->cur, compute_start, s, err)))
        return st;
    for (size_t r = from; r < s->nstarts; r++) {
        gmoe_fit_info info;
        if ((st = run_start(s, r, &info, err)))
            return st;
        if (info.stop == GMOE_STOP_NONE) {
            s->stopped = 1; /* by the progress callback */
            return GMOE_OK;
        }
    }
    return GMOE_OK;
}

/* The screening's pools (for nested fits and gmoe_fit_auto): the best
 * starts, and each split pool's best (the other splits' best few, for
 * their rescreening). */
static int init_pools(fit_state *s, const gmoe_model *m, gmoe_err *err)
{
    if (!s->screen)
        return GMOE_OK;
    int st = gmoe_start_pool_init(&s->pool, m, REPLICATE_STARTS, s->var_floor);
    for (size_t p = 0; p < NSPLIT_POOLS && st == GMOE_OK; p++)
        st = gmoe_start_pool_init(&s->split_pool[p], m, p == SPLIT_OTHER ? SPLIT_RESCREEN : pool_runs(p),
                                  s->var_floor);
    return st ? gmoe_error(err, st, "out of memory allocating the screening's models") : GMOE_OK;
}

/* Every start: the random ones, then (gmoe_fit_auto: only when they do
 * not settle, after the lead-in) the split starts; the screening's end. */
static int screen_starts(fit_state *s, gmoe_err *err)
{
    const gmoe_em_options *opt = s->opt;
    int st;
    if ((st = run_start_range(s, 0, err)))
        return st;
    if (s->lead && !s->stopped) {
        int settled = 0;
        if ((st = try_settle(s, &settled)) || (!settled && (st = make_lead_in(s))))
            return gmoe_error(err, st, "out of memory in the lead-in of k = %zu", s->m->k);
        if (settled)
            return GMOE_OK;
        if ((st = run_start_range(s, opt->restarts, err)))
            return st;
    }
    if (s->screen && (st = rescreen_splits(s, err)))
        return st;
    if (s->screen)
        finish_screening(s);
    nested_guard(s);
    return GMOE_OK;
}

/* Every start, then the best run into m with its criteria. */
static int run_starts(fit_state *s, gmoe_model *m, gmoe_err *err)
{
    const gmoe_em_options *opt = s->opt;
    s->best_info.loglik = -INFINITY;
    s->floor_loglik = -INFINITY;
    s->warmup = m->tau_estimated && s->ws->gating->tau_warmup;
    s->var_floor = opt->var_floor * s->ws->var_y;
    /* the lead-in first when the random starts cannot settle on their own
       (no screening) */
    int st;
    if (s->lead && (s->warmup || opt->restarts < 2) && (st = make_lead_in(s)))
        return gmoe_error(err, st, "out of memory in the lead-in of k = %zu", m->k);
    plan_screening(s);
    if ((st = init_pools(s, m, err)) || (st = screen_starts(s, err)))
        return st;
    if (!s->have_best)
        return gmoe_error(err, GMOE_ENUMERIC, "every EM run ended with a non-finite log-likelihood");
    /* top-K: EM cannot move a selection boundary (topk_starts.c) */
    int fixed = 1;
    st = gmoe_topk_place_boundaries(s->best, s->data, s->ws, opt, s->best_info.best_restart, &s->best_info,
                                    &fixed);
    if (st != GMOE_OK)
        return gmoe_error(err, st, "out of memory placing the top-K boundaries");
    if (gmoe_family_properties(s->best->family) & GMOE_FAMILY_SELECTS) /* their moves' EM runs */
        gmoe_spurious_judge(s->best, s->data, s->ws, opt, &s->best_info);
    if (!s->assessed || !fixed)
        st = assess_run(s->best, s->data, s->ws, opt, &s->best_info);
    if (st != GMOE_OK)
        return gmoe_error(err, st, "out of memory assessing the fit");
    gmoe_topk_selection_stop(s->best, fixed, &s->best_info);
    s->best_info.seed = opt->seed;
    s->best_info.restarts = s->nstarts;
    s->best_info.floor_gain = !gmoe_model_at_floor(s->best, s->var_floor) && s->floor_loglik > s->best_info.loglik
                                  ? s->floor_loglik - s->best_info.loglik
                                  : 0.0;
    s->best_info.variance_floor = s->var_floor;
    gmoe_model_copy_params(m, s->best);
    m->fit = s->best_info;
    st = gmoe_information_criteria_icl(m, s->data, !opt->skip_icl, &m->fit, err);
    m->has_fit = st == GMOE_OK;
    return st;
}

static int fit_checked(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
                       const gmoe_model *smaller, int lead, const gmoe_em_options *opt_in, gmoe_err *err)
{
    gmoe_em_options opt = *opt_in;
    if (opt.min_weight < 0)
        opt.min_weight = (double)(m->d + 2);
    /* one expert: the gate is 1 whatever tau, so tau is not estimated, and
       the maximum is the least-squares line, which one start reaches */
    m->tau_estimated = gmoe_family_has_tau(m->family) && opt.tau_mode == GMOE_TAU_ESTIMATE && m->k > 1;
    opt.restarts = gmoe_random_starts(&opt, gmoe_rows_total(data), init != NULL || m->k == 1);
    fit_state s = {.data = data, .m = m, .init = init, .smaller = smaller, .lead = lead == FIT_AUTO && !smaller,
                   .opt = &opt};
    s.nstarts = opt.restarts + nested_starts(m, smaller, data, 0);
    s.ws = gmoe_em_ws_alloc(m, data, opt.nthreads);
    s.cur = gmoe_model_alloc_like(m);
    s.best = gmoe_model_alloc_like(m);
    int st;
    if (!s.ws || !s.cur || !s.best)
        st = gmoe_error(err, GMOE_ENOMEM, "out of memory allocating the EM workspace (n = %zu, k = %zu)", data->n,
                        m->k);
    else
        st = run_starts(&s, m, err);
    gmoe_shared_starts_free(&s.shared);
    gmoe_smaller_cache_free(&s.smaller_cache);
    gmoe_start_pool_free(&s.pool);
    for (size_t p = 0; p < NSPLIT_POOLS; p++)
        gmoe_start_pool_free(&s.split_pool[p]);
    gmoe_em_ws_free(s.ws);
    gmoe_model_free(s.cur);
    gmoe_model_free(s.best);
    gmoe_model_free(s.lead_in);
    return st;
}

/* A nested fit's smaller fit: a fit of the same family with one expert
 * fewer on the same rows, and a family that can split. */
static int check_smaller(const gmoe_data *data, const gmoe_model *m, const gmoe_model *smaller,
                         gmoe_err *err)
{
    if (!smaller)
        return gmoe_error(err, GMOE_EINVAL, "no smaller fit for the split starts");
    const gmoe_gating *gt = gmoe_gating_get(m->family);
    if (!gt || !gt->split)
        return gmoe_error(err, GMOE_ENOTSUP, "gating family %s has no split starts", gmoe_family_name(m->family));
    if (smaller->family != m->family || smaller->k + 1 != m->k || smaller->d != m->d ||
        smaller->dg != m->dg || smaller->gate_own != m->gate_own)
        return gmoe_error(err, GMOE_EINVAL,
                          "the smaller fit (%s, k = %zu, d = %zu) is not the fit (%s, k = %zu, d = %zu) with one expert fewer",
                          gmoe_family_name(smaller->family), smaller->k, smaller->d, gmoe_family_name(m->family),
                          m->k, m->d);
    if (!smaller->has_fit || smaller->fit.n != gmoe_rows_total(data))
        return gmoe_error(err, GMOE_EINVAL, "the smaller model was not fitted to these data");
    return gmoe_model_check(smaller, err);
}

/* Covariates of extreme magnitude are fitted, and checked (the
 * collinearity test's sums overflow too), on a copy scaled by powers of
 * two; the model is then put back on the data's scale (fit_scale.c).
 * The smaller fit of a nested fit is scaled like the data. */
static int fit_scaled(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
                      const gmoe_model *smaller, int lead, const gmoe_em_options *opt, gmoe_err *err)
{
    gmoe_fit_scaling s;
    int st = gmoe_fit_scaling_make(data, smaller ? smaller : init, &s, err);
    if (st)
        return st;
    const gmoe_data *fit_data = s.active ? &s.data : data;
    const gmoe_model *given = s.active ? s.init : smaller ? smaller : init;
    const gmoe_model *fit_init = smaller ? NULL : given, *fit_smaller = smaller ? given : NULL;
    if ((st = check_fit_args(fit_data, m, fit_init, opt, err)) == GMOE_OK &&
        (st = fit_checked(fit_data, m, fit_init, fit_smaller, lead, opt, err)) == GMOE_OK)
        st = gmoe_fit_scaling_restore(&s, m, err);
    gmoe_fit_scaling_free(&s);
    return st;
}

/* Rows of case weight zero are left out first (weights.c): they count for
 * nothing, and the checks and random starts then see the rows that do. */
static int fit_weighted(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
                        const gmoe_model *smaller, int lead, const gmoe_em_options *opt, gmoe_err *err)
{
    if (!data)
        return check_fit_args(data, m, init, opt, err);
    gmoe_weighted_rows rows;
    int st = gmoe_shard_check(data, m, err);
    if (st || (st = gmoe_data_check_weights(data, err)))
        return st;
    if (st || (st = gmoe_weighted_rows_make(data, &rows, err)))
        return st;
    if (!smaller || (st = check_smaller(&rows.data, m, smaller, err)) == GMOE_OK)
        st = fit_scaled(&rows.data, m, init, smaller, lead, opt, err);
    gmoe_weighted_rows_free(&rows);
    return st;
}

int gmoe_fit(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
             const gmoe_em_options *opt, gmoe_err *err)
{
    return fit_weighted(data, m, init, NULL, FIT_PLAIN, opt, err);
}

int gmoe_fit_nested(const gmoe_data *data, gmoe_model *m, const gmoe_model *smaller,
                    const gmoe_em_options *opt, gmoe_err *err)
{
    if (!data || !m)
        return gmoe_error(err, GMOE_EINVAL, "missing data, model or options");
    return smaller ? fit_weighted(data, m, NULL, smaller, FIT_PLAIN, opt, err) : check_smaller(data, m, smaller, err);
}

int gmoe_fit_auto(const gmoe_data *data, gmoe_model *m, const gmoe_em_options *opt, gmoe_err *err)
{
    int lead = m && m->k >= 3 && (gmoe_family_properties(m->family) & GMOE_FAMILY_SPLITS);
    return fit_weighted(data, m, NULL, NULL, lead ? FIT_AUTO : FIT_PLAIN, opt, err);
}
