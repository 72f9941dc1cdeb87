/* fit.c -- gmoe_fit, the top of the engine: checks, random restarts,
 * the tau warm-up, short-EM screening, the best run kept, its final test
 * (gradient and Hessian, newton.c) and its information criteria. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    return gmoe_data_check_fit(data, m->k, err);
}

/* The final test of a run (MODELS.md section 4): converged only with the
 * gradient near zero at a maximum; otherwise what it is. */
static int assess_run(const gmoe_model *m, const gmoe_data *data, const gmoe_em_options *opt,
                      gmoe_fit_info *info)
{
    gmoe_newton_ws *nw = gmoe_newton_ws_alloc(m, data->n);
    if (!nw)
        return GMOE_ENOMEM;
    int nd = 0;
    size_t null_dirs = 0;
    double gn = NAN;
    gmoe_newton_assess(m, data, nw, opt->nthreads, &gn, &nd, &null_dirs);
    gmoe_newton_ws_free(nw);
    info->grad_norm = gn;
    info->hessian_nd = nd;
    info->null_dirs = null_dirs;
    gmoe_stop_reason s = info->stop;
    if (s == GMOE_STOP_NONE || s == GMOE_STOP_NUMERIC || s == GMOE_STOP_DEGENERATE)
        return GMOE_OK;
    if (gn <= opt->grad_tol)
        info->stop = nd ? GMOE_STOP_TOL : GMOE_STOP_SADDLE;
    else if (s == GMOE_STOP_TOL)
        info->stop = opt->newton ? GMOE_STOP_STALLED : GMOE_STOP_LLCHANGE;
    info->converged = info->stop == GMOE_STOP_TOL;
    return GMOE_OK;
}

/* A fit across its starts: what every start shares, and the best run. */
typedef struct {
    const gmoe_data *data;
    const gmoe_model *m;         /* the fit's shape and family options */
    const gmoe_model *init;      /* the first start, or NULL */
    const gmoe_em_options *opt;
    gmoe_em_options first;       /* a start's run: opt, or the screening's */
    size_t screen;               /* screening iterations, 0 for none */
    int warmup;                  /* tau warm-up (gating.h: tau_warmup) */
    gmoe_em_ws *ws;
    gmoe_model *cur, *best;
    gmoe_fit_info best_info;
    int have_best;
    gmoe_shared_starts shared;   /* opt->share_starts: every start's outcome */
} fit_state;

/* The starting model of start r into s->cur: from init (parameters from
 * the starting model, options from the fit) or random. */
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
    int st = gmoe_init_random(cur, s->data, s->ws, s->opt, r, gmoe_seed_derive(s->opt->seed, r));
    return st ? gmoe_error(err, st, "random initialization failed") : GMOE_OK;
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

/* Start r run here or, with shared starts, taken from the outcomes; kept
 * in s->best if it is the best so far.  info: the run's. */
static int run_start(fit_state *s, size_t r, gmoe_fit_info *info, gmoe_err *err)
{
    int st = s->shared.bytes ? take_start(s, r, info, err) : compute_start(s, r, s->cur, info, err);
    if (st)
        return st;
    gmoe_model *cur = s->cur;
    /* a later start must be better by more than rounding: starts that
     * reach the same maximum (to the last bits, after the Newton
     * phase) keep the earliest, whatever the rounding of the family */
    if (isfinite(info->loglik) &&
        (!s->have_best || info->loglik > s->best_info.loglik + 1e-12 * fabs(s->best_info.loglik))) {
        gmoe_model_copy_params(s->best, cur);
        s->best_info = *info;
        s->best_info.best_restart = r;
        s->have_best = 1;
    }
    return GMOE_OK;
}

/* Short-EM screening (Biernacki, Celeux & Govaert 2003): every start runs
 * screen_iter iterations, then only the best one runs on.  Not combined
 * with the tau warm-up, whose two stages would each need screening. */
static void plan_screening(fit_state *s)
{
    const gmoe_em_options *opt = s->opt;
    s->screen = opt->restarts > 1 && !s->warmup ? opt->screen_iter : 0;
    s->first = *opt;
    if (s->screen > 0 && s->screen < opt->max_iter)
        s->first.max_iter = s->screen;
    else
        s->screen = 0;
}

/* The screening winner runs on to the full iteration limit. */
static void finish_screening(fit_state *s)
{
    gmoe_fit_info info;
    gmoe_em_options rest = *s->opt;
    rest.max_iter = s->opt->max_iter - s->best_info.iterations;
    size_t screened = s->best_info.iterations, r = s->best_info.best_restart;
    gmoe_em_run(s->best, s->data, s->ws, &rest, r, &info);
    if (isfinite(info.loglik) && info.loglik >= s->best_info.loglik) {
        s->best_info = info;
        s->best_info.best_restart = r;
    }
    s->best_info.iterations += screened;
}

/* Every start, then the best run into m with its criteria. */
static int run_starts(fit_state *s, gmoe_model *m, gmoe_err *err)
{
    const gmoe_em_options *opt = s->opt;
    s->best_info.loglik = -INFINITY;
    s->warmup = m->tau_estimated && s->ws->gating->tau_warmup;
    plan_screening(s);
    if (opt->share_starts && opt->restarts > 1) {
        int st = gmoe_shared_starts_run(&s->shared, opt, opt->restarts, s->cur, compute_start, s, err);
        if (st)
            return st;
    }
    for (size_t r = 0; r < opt->restarts; r++) {
        gmoe_fit_info info;
        int st = run_start(s, r, &info, err);
        if (st)
            return st;
        if (info.stop == GMOE_STOP_NONE)
            break; /* stopped by the progress callback */
    }
    if (s->have_best && s->screen > 0 && s->best_info.stop == GMOE_STOP_MAXITER)
        finish_screening(s);
    if (!s->have_best)
        return gmoe_error(err, GMOE_ENUMERIC, "every EM run ended with a non-finite log-likelihood");
    /* top-K: EM cannot move a selection boundary (topk_starts.c) */
    int placed = gmoe_topk_place_boundaries(s->best, s->data, s->ws, opt, s->best_info.best_restart,
                                            &s->best_info);
    if (placed != GMOE_OK)
        return gmoe_error(err, placed, "out of memory placing the top-K boundaries");
    int st = assess_run(s->best, s->data, opt, &s->best_info);
    if (st != GMOE_OK)
        return gmoe_error(err, st, "out of memory assessing the fit");
    s->best_info.seed = opt->seed;
    s->best_info.restarts = opt->restarts;
    gmoe_model_copy_params(m, s->best);
    m->fit = s->best_info;
    st = gmoe_information_criteria(m, s->data, &m->fit, err);
    m->has_fit = st == GMOE_OK;
    return st;
}

static int fit_checked(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
                       const gmoe_em_options *opt_in, gmoe_err *err)
{
    gmoe_em_options opt = *opt_in;
    if (opt.min_weight < 0)
        opt.min_weight = (double)(m->d + 2);
    m->tau_estimated = gmoe_family_has_tau(m->family) && opt.tau_mode == GMOE_TAU_ESTIMATE;
    fit_state s = {.data = data, .m = m, .init = init, .opt = &opt};
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
    gmoe_em_ws_free(s.ws);
    gmoe_model_free(s.cur);
    gmoe_model_free(s.best);
    return st;
}

/* Covariates of extreme magnitude are fitted, and checked (the
 * collinearity test's sums overflow too), on a copy scaled by powers of
 * two; the model is then put back on the data's scale (fit_scale.c). */
static int fit_scaled(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
                      const gmoe_em_options *opt, gmoe_err *err)
{
    gmoe_fit_scaling s;
    int st = gmoe_fit_scaling_make(data, init, &s, err);
    if (st)
        return st;
    const gmoe_data *fit_data = s.active ? &s.data : data;
    const gmoe_model *fit_init = s.active ? s.init : init;
    if ((st = check_fit_args(fit_data, m, fit_init, opt, err)) == GMOE_OK &&
        (st = fit_checked(fit_data, m, fit_init, opt, err)) == GMOE_OK)
        st = gmoe_fit_scaling_restore(&s, m, err);
    gmoe_fit_scaling_free(&s);
    return st;
}

/* Rows of case weight zero are left out first (weights.c): they count for
 * nothing, and the checks and random starts then see the rows that do. */
int gmoe_fit(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
             const gmoe_em_options *opt, gmoe_err *err)
{
    if (!data)
        return check_fit_args(data, m, init, opt, err);
    gmoe_weighted_rows rows;
    int st = gmoe_data_check_weights(data, err);
    if (st || (st = gmoe_weighted_rows_make(data, &rows, err)))
        return st;
    st = fit_scaled(&rows.data, m, init, opt, err);
    gmoe_weighted_rows_free(&rows);
    return st;
}
