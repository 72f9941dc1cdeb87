/* em.c -- the EM engine: workspace, one run (init / iterate / test), and
 * the driver with random restarts that keeps the best run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine.h"
#include "fit_scale.h"
#include "internal.h"
#include "newton.h"

void gmoe_em_options_default(gmoe_em_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->tol = 0;              /* the rule's default, see em_tolerance() */
    opt->tol_rule = GMOE_TOL_PER_OBS;
    opt->max_iter = 1000;
    opt->gate_max_iter = 300;
    opt->gate_tol = 1e-12;
    opt->gate_rel_tol = 0.01;
    opt->restarts = 10;
    opt->seed = 1;
    opt->nthreads = 0;
    opt->var_floor = 1e-6;
    opt->min_weight = -1;      /* d + 2 */
    opt->tau_mode = GMOE_TAU_FIXED;
    opt->accel = GMOE_ACCEL_SQUAREM;
    opt->accel_warmup = 10;
    opt->screen_iter = 0;
    opt->newton = 1;
    opt->grad_tol = 1e-6;
    opt->newton_switch = 1e-5;
}

const char *gmoe_em_options_check(const gmoe_em_options *opt)
{
    if (!opt)
        return "no options";
    if (!(opt->tol >= 0) || !isfinite(opt->tol))
        return "tolerance must be a finite number >= 0";
    if ((int)opt->tol_rule < 0 || (int)opt->tol_rule > GMOE_TOL_ABSOLUTE)
        return "unknown stopping rule";
    if (opt->max_iter < 1)
        return "maximum number of iterations must be >= 1";
    if (opt->gate_max_iter < 1)
        return "maximum number of gate iterations must be >= 1";
    if (!(opt->gate_tol >= 0) || !isfinite(opt->gate_tol))
        return "gate tolerance must be a finite number >= 0";
    if (!(opt->gate_rel_tol >= 0) || !(opt->gate_rel_tol < 1))
        return "relative gate tolerance must be in [0, 1)";
    if (opt->restarts < 1)
        return "number of restarts must be >= 1";
    if (opt->nthreads < 0)
        return "number of threads must be >= 0 (0: OpenMP default)";
    if (!(opt->var_floor >= 0) || !isfinite(opt->var_floor) || opt->var_floor >= 1)
        return "variance floor must be in [0, 1) (a fraction of var(y))";
    if (isnan(opt->min_weight) || isinf(opt->min_weight))
        return "minimum expert weight must be finite";
    if ((int)opt->tau_mode < 0 || (int)opt->tau_mode > GMOE_TAU_ESTIMATE)
        return "unknown tau mode";
    if ((int)opt->accel < 0 || (int)opt->accel > GMOE_ACCEL_SQUAREM)
        return "unknown acceleration";
    if (!(opt->grad_tol > 0) || !isfinite(opt->grad_tol))
        return "gradient tolerance must be a finite number > 0";
    if (!(opt->newton_switch >= 0) || !isfinite(opt->newton_switch))
        return "Newton switch must be a finite number >= 0";
    return NULL;
}

/* The default tolerance of each stopping rule. */
static double em_tolerance(const gmoe_em_options *opt)
{
    if (opt->tol > 0)
        return opt->tol;
    switch (opt->tol_rule) {
    case GMOE_TOL_RELATIVE: return 1e-6;   /* the published runs */
    case GMOE_TOL_ABSOLUTE: return 1e-6;
    default: return 1e-8;                  /* per observation */
    }
}

/* ---------------------------------------------------------- workspace */

void gmoe_em_ws_free(gmoe_em_ws *ws)
{
    if (!ws)
        return;
    free(ws->resp);
    free(ws->block_ll);
    free(ws->block_wls);
    free(ws->block_rss);
    free(ws->wls_mat);
    free(ws->wls_rhs);
    free(ws->wls_copy);
    free(ws->expert_w);
    free(ws->expert_updated);
    gmoe_model_free(ws->trial);
    free(ws->theta);
    free(ws->theta_new);
    free(ws->theta_keep);
    free(ws->grad);
    free(ws->grad_new);
    free(ws->hess_new);
    free(ws->hess);
    free(ws->step);
    free(ws->newton_mat);
    free(ws->block_gate);
    free(ws->scratch);
    for (int i = 0; i < 4; i++)
        free(ws->sq[i]);
    free(ws->gate_cache[0]);
    free(ws->gate_cache[1]);
    free(ws->gate_cache_theta);
    free(ws->gate_cache_probe);
    free(ws->x_shift);
    free(ws->x_scale);
    free(ws->x_std);
    free(ws);
}

void gmoe_column_moments(const gmoe_data *data, double *mean, double *sd)
{
    size_t n = data->n, d = data->d;
    for (size_t j = 0; j < d; j++) {
        double mu = 0.0, ss = 0.0;
        for (size_t r = 0; r < n; r++)
            mu += data->x[r * d + j];
        mu /= (double)n;
        for (size_t r = 0; r < n; r++)
            ss += (data->x[r * d + j] - mu) * (data->x[r * d + j] - mu);
        mean[j] = mu;
        sd[j] = ss > 0 ? sqrt(ss / (double)n) : 1.0;
    }
}

static double variance(const double *y, size_t n)
{
    double mean = 0.0, ss = 0.0;
    for (size_t r = 0; r < n; r++)
        mean += y[r];
    mean /= (double)n;
    for (size_t r = 0; r < n; r++)
        ss += (y[r] - mean) * (y[r] - mean);
    return n > 1 ? ss / (double)(n - 1) : 0.0;
}

/* A thread's block scratch: the block log-sum-exp's, or the largest
 * block_work_size of the family and the surrogates it may hand the
 * M-step (gating.h: init_surrogate, pattern_surrogate). */
static size_t block_scratch_size(const gmoe_gating *g, const gmoe_model *m)
{
    const gmoe_gating *fams[3] = {g, g->init_surrogate ? g->init_surrogate(m) : NULL,
                                  g->pattern_surrogate ? g->pattern_surrogate(m) : NULL};
    size_t size = GMOE_BLOCK_SCRATCH(m->k);
    for (int f = 0; f < 3; f++)
        if (fams[f] && fams[f]->block_work_size && fams[f]->block_work_size(m) > size)
            size = fams[f]->block_work_size(m);
    return size;
}

gmoe_em_ws *gmoe_em_ws_alloc(const gmoe_model *m, const gmoe_data *data, int nthreads)
{
    gmoe_em_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->gating = gmoe_gating_get(m->family);
    ws->n = data->n;
    ws->k = m->k;
    ws->d = m->d;
    ws->p = m->d + 1;
    ws->np = ws->gating->npar(m);
    ws->nblocks = gmoe_nblocks(data->n);
    ws->nthreads = gmoe_resolve_threads(nthreads);
    ws->var_y = variance(data->y, data->n);
    size_t n = ws->n, k = ws->k, p = ws->p, np = ws->np, nb = ws->nblocks;
    size_t np1 = np ? np : 1;
    ws->block_scratch = block_scratch_size(ws->gating, m);
    ws->scratch_per_thread = ws->gating->work_size(m) + k + 1 + ws->block_scratch;
    ws->resp = malloc(n * k * sizeof(double));
    ws->block_ll = malloc(nb * sizeof(double));
    ws->block_wls = malloc(nb * k * (1 + p * p + p) * sizeof(double));
    ws->block_rss = malloc(nb * k * sizeof(double));
    ws->wls_mat = malloc(p * p * sizeof(double));
    ws->wls_rhs = malloc(p * sizeof(double));
    ws->wls_copy = malloc((p * p + p) * sizeof(double));
    ws->expert_w = malloc(k * sizeof(double));
    ws->expert_updated = malloc(k);
    ws->trial = gmoe_model_alloc(m->family, k, m->d);
    ws->theta = malloc(np1 * sizeof(double));
    ws->theta_new = malloc(np1 * sizeof(double));
    ws->theta_keep = malloc(np1 * sizeof(double));
    ws->grad = malloc(np1 * sizeof(double));
    ws->hess = malloc(np1 * np1 * sizeof(double));
    ws->grad_new = malloc(np1 * sizeof(double));
    ws->hess_new = malloc(np1 * np1 * sizeof(double));
    ws->step = malloc(np1 * sizeof(double));
    ws->newton_mat = malloc(np1 * np1 * sizeof(double));
    ws->block_gate = malloc(nb * (1 + np1 + np1 * np1) * sizeof(double));
    ws->scratch = malloc((size_t)ws->nthreads * ws->scratch_per_thread * sizeof(double));
    ws->nvec = gmoe_squarem_nvec(m);
    for (int i = 0; i < 4; i++)
        ws->sq[i] = malloc(ws->nvec * sizeof(double));
    ws->x_shift = malloc(m->d * sizeof(double));
    ws->x_scale = malloc(m->d * sizeof(double));
    ws->x_std = malloc(n * m->d * sizeof(double));
    int cache_ok = 1;
    if (ws->gating->softmax_logits) {
        /* optional: without it the passes compute every gate afresh */
        ws->gate_cache[0] = malloc(n * 2 * k * sizeof(double));
        ws->gate_cache[1] = malloc(n * 2 * k * sizeof(double));
        ws->gate_cache_theta = malloc(np1 * sizeof(double));
        ws->gate_cache_probe = malloc(np1 * sizeof(double));
        cache_ok = ws->gate_cache[0] && ws->gate_cache[1] && ws->gate_cache_theta &&
                   ws->gate_cache_probe;
    }
    if (!cache_ok ||!ws->resp || !ws->block_ll || !ws->block_wls || !ws->block_rss || !ws->wls_mat ||
        !ws->wls_rhs || !ws->wls_copy || !ws->expert_w || !ws->expert_updated || !ws->trial ||
        !ws->theta || !ws->theta_new || !ws->theta_keep || !ws->grad || !ws->hess || !ws->grad_new || !ws->hess_new || !ws->step ||
        !ws->newton_mat || !ws->block_gate || !ws->scratch || !ws->x_shift || !ws->x_scale || !ws->x_std ||
        !ws->sq[0] || !ws->sq[1] || !ws->sq[2] || !ws->sq[3]) {
        gmoe_em_ws_free(ws);
        return NULL;
    }
    gmoe_model_copy_params(ws->trial, m);
    gmoe_column_moments(data, ws->x_shift, ws->x_scale);
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < m->d; j++)
            ws->x_std[r * m->d + j] = (data->x[r * m->d + j] - ws->x_shift[j]) / ws->x_scale[j];
    return ws;
}

double *gmoe_em_ws_scratch(gmoe_em_ws *ws)
{
#ifdef _OPENMP
    size_t t = (size_t)omp_get_thread_num();
#else
    size_t t = 0;
#endif
    return ws->scratch + t * ws->scratch_per_thread;
}

double *gmoe_em_ws_block_scratch(gmoe_em_ws *ws)
{
    return gmoe_em_ws_scratch(ws) + ws->scratch_per_thread - ws->block_scratch;
}

/* ---------------------------------------------------------- one run */

static int converged(double ll, double prev, size_t n, const gmoe_em_options *opt, double tol)
{
    double change = fabs(ll - prev);
    switch (opt->tol_rule) {
    case GMOE_TOL_RELATIVE: return change <= tol * fabs(prev);
    case GMOE_TOL_ABSOLUTE: return change <= tol;
    default: return change <= tol * (double)n;
    }
}

/* A sparse gate's pattern proposal (gating.h), from the ordinary M-step's
 * result theta_c: kept only if the observed log-likelihood is no lower
 * than at theta_c, which EM already guarantees to be no lower than
 * before, so the step stays monotone.  Costs up to two more E-steps and a
 * gate M-step.  Returns the log-likelihood with ws->resp filled. */
static double pattern_step(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                           const gmoe_em_options *opt, const gmoe_gating *pattern)
{
    const gmoe_gating *own = ws->gating;
    double ll_c = gmoe_em_estep(m, data, ws, NULL);
    own->pack(m, ws->theta_keep);
    ws->gating = pattern;
    int st = gmoe_mstep_gate(m, data, ws, opt);
    ws->gating = own;
    if (st == GMOE_OK) {
        own->pack(m, ws->theta_new);
        if (memcmp(ws->theta_new, ws->theta_keep, ws->np * sizeof(double)) == 0)
            return gmoe_em_estep(m, data, ws, ws->resp);
        double ll_p = gmoe_em_estep(m, data, ws, ws->resp);
        if (ll_p >= ll_c)
            return ll_p;
    }
    own->unpack(m, ws->theta_keep);
    if (own->normalize)
        own->normalize(m);
    return gmoe_em_estep(m, data, ws, ws->resp);
}

double gmoe_em_step(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                    const gmoe_em_options *opt, int *failed)
{
    gmoe_mstep_experts(m, data, ws, opt);
    if (gmoe_mstep_gate(m, data, ws, opt) != GMOE_OK) {
        *failed = 1;
        return NAN;
    }
    const gmoe_gating *g = ws->gating;
    const gmoe_gating *pattern = g->pattern_surrogate ? g->pattern_surrogate(m) : NULL;
    if (pattern && ws->np > 0)
        return pattern_step(m, data, ws, opt, pattern);
    return gmoe_em_estep(m, data, ws, ws->resp);
}

/* One EM iteration, or a SQUAREM cycle of three: plain EM first (a
 * well-separated fit converges in a few plain steps, where each SQUAREM
 * cycle costs three), and the last few iterations allowed are plain EM
 * (SQUAREM needs room for its three M-steps). */
static double em_iteration(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                           const gmoe_em_options *opt, size_t *steps, int *failed)
{
    if (opt->accel == GMOE_ACCEL_SQUAREM && *steps >= opt->accel_warmup &&
        *steps + 3 <= opt->max_iter)
        return gmoe_squarem_cycle(m, data, ws, opt, steps, failed);
    (*steps)++;
    return gmoe_em_step(m, data, ws, opt, failed);
}

/* The second-order phase's iteration (newton.c).  Returns 1 when the run
 * ends (info->stop set), 0 to go on; *phase2 = 0 hands back to EM after a
 * stall, with ws->resp refreshed. */
static int newton_iteration(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                            const gmoe_em_options *opt, gmoe_newton_ws *nw, double *ll,
                            double *stalled_ll, int *phase2, gmoe_fit_info *info)
{
    double floor = opt->var_floor * ws->var_y;
    gmoe_newton_status ns = gmoe_newton_iterate(m, data, nw, ws->nthreads, opt->grad_tol, floor, ll);
    info->newton_iterations++;
    switch (ns) {
    case GMOE_NEWTON_STEP: return 0;
    case GMOE_NEWTON_DONE: info->stop = GMOE_STOP_TOL; return 1;
    case GMOE_NEWTON_FAILED: info->stop = GMOE_STOP_NUMERIC; return 1;
    default: break;
    }
    /* stalled: EM steps, unless the last stall was at the same point */
    if (*ll <= *stalled_ll + 1e-12 * fabs(*ll)) {
        info->stop = GMOE_STOP_STALLED;
        return 1;
    }
    *stalled_ll = *ll;
    *phase2 = 0;
    *ll = gmoe_em_estep(m, data, ws, ws->resp);
    return 0;
}

int gmoe_em_run(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                const gmoe_em_options *opt, size_t restart, gmoe_fit_info *info)
{
    double tol = em_tolerance(opt);
    memset(info, 0, sizeof *info);
    info->n = data->n;
    info->grad_norm = NAN;
    double ll = gmoe_em_estep(m, data, ws, ws->resp), stalled_ll = -INFINITY;
    info->stop = GMOE_STOP_MAXITER;
    if (!isfinite(ll)) {
        info->loglik = ll;
        info->stop = GMOE_STOP_NUMERIC;
        return GMOE_OK;
    }
    gmoe_newton_ws *nw = opt->newton ? gmoe_newton_ws_alloc(m, data->n) : NULL;
    if (opt->newton && !nw)
        return GMOE_ENOMEM;
    size_t steps = 0;
    int phase2 = 0;
    while (steps < opt->max_iter) {
        double prev = ll;
        int failed = 0;
        if (phase2) {
            steps++;
            if (newton_iteration(m, data, ws, opt, nw, &ll, &stalled_ll, &phase2, info))
                break;
        } else {
            ll = em_iteration(m, data, ws, opt, &steps, &failed);
            if (failed || !isfinite(ll)) {
                info->stop = failed ? GMOE_STOP_DEGENERATE : GMOE_STOP_NUMERIC;
                break;
            }
            int done = converged(ll, prev, data->n, opt, tol);
            if (done && !nw) {
                info->stop = GMOE_STOP_TOL; /* provisional: gmoe_fit tests the gradient */
                break;
            }
            phase2 = nw && (done || ll - prev <= opt->newton_switch * (double)data->n);
        }
        if (opt->progress && opt->progress(opt->progress_ctx, restart, steps, ll)) {
            info->stop = GMOE_STOP_NONE;
            break;
        }
    }
    gmoe_newton_ws_free(nw);
    info->iterations = steps;
    info->loglik = ll;
    info->converged = info->stop == GMOE_STOP_TOL;
    return GMOE_OK;
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

/* ---------------------------------------------------------- driver */

/* Switches whether tau is a free parameter of cur, resizing the gate
 * unknowns (the workspace was allocated for the larger size). */
static void set_tau_estimated(gmoe_model *cur, gmoe_em_ws *ws, int on)
{
    cur->tau_estimated = on;
    ws->np = ws->gating->npar(cur);
    ws->nvec = gmoe_squarem_nvec(cur);
}

/* The fit's family options (tau, top_k, ...) must be valid: checked on a
 * zero-parameter model carrying them (m's own parameters are outputs). */
static int check_family_options(const gmoe_model *m, gmoe_err *err)
{
    gmoe_model *o = gmoe_model_alloc(m->family, m->k, m->d);
    if (!o)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    gmoe_model_copy_options(o, m);
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
    if (data->d != m->d)
        return gmoe_error(err, GMOE_EINVAL, "the data have %zu covariates, the model %zu", data->d, m->d);
    const char *msg = gmoe_em_options_check(opt);
    if (msg)
        return gmoe_error(err, GMOE_EINVAL, "%s", msg);
    if (!gmoe_gating_get(m->family))
        return gmoe_error(err, GMOE_ENOTSUP, "gating family %s is not supported", gmoe_family_name(m->family));
    int st = check_family_options(m, err);
    if (st)
        return st;
    if (init) {
        if (init->family != m->family || init->k != m->k || init->d != m->d)
            return gmoe_error(err, GMOE_EINVAL,
                              "the starting model (%s, k = %zu, d = %zu) does not match the fit (%s, k = %zu, d = %zu)",
                              gmoe_family_name(init->family), init->k, init->d,
                              gmoe_family_name(m->family), m->k, m->d);
        if ((st = gmoe_model_check(init, err)) != GMOE_OK)
            return st;
    }
    return gmoe_data_check_fit(data, m->k, err);
}

static int fit_checked(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
                       const gmoe_em_options *opt_in, gmoe_err *err)
{
    int st;
    gmoe_em_options opt = *opt_in;
    if (opt.min_weight < 0)
        opt.min_weight = (double)(m->d + 2);
    m->tau_estimated = gmoe_family_has_tau(m->family) && opt.tau_mode == GMOE_TAU_ESTIMATE;

    gmoe_em_ws *ws = gmoe_em_ws_alloc(m, data, opt.nthreads);
    gmoe_model *cur = gmoe_model_alloc(m->family, m->k, m->d);
    gmoe_model *best = gmoe_model_alloc(m->family, m->k, m->d);
    if (!ws || !cur || !best) {
        st = gmoe_error(err, GMOE_ENOMEM, "out of memory allocating the EM workspace (n = %zu, k = %zu)", data->n, m->k);
        goto done;
    }
    gmoe_fit_info best_info = {0}, info;
    best_info.loglik = -INFINITY;
    int have_best = 0;
    int warmup = m->tau_estimated && ws->gating->tau_warmup;
    /* Short-EM screening (Biernacki, Celeux & Govaert 2003): every start
     * runs screen_iter iterations, then only the best one runs on.  Not
     * combined with the tau warm-up, whose two stages would each need
     * screening. */
    size_t screen = opt.restarts > 1 && !warmup ? opt.screen_iter : 0;
    gmoe_em_options first = opt;
    if (screen > 0 && screen < opt.max_iter)
        first.max_iter = screen;
    else
        screen = 0;
    for (size_t r = 0; r < opt.restarts; r++) {
        gmoe_model_copy_params(cur, m); /* family options */
        /* tau warm-up: the start and a first run keep the start's tau */
        if (warmup)
            set_tau_estimated(cur, ws, 0);
        if (r == 0 && init) {
            /* Parameters from the starting model, options from the fit. */
            gmoe_model_copy_params(cur, init);
            gmoe_model_copy_options(cur, m);
            set_tau_estimated(cur, ws, warmup ? 0 : m->tau_estimated);
            gmoe_model_start_tau(cur, init->tau, m->tau_estimated);
        } else {
            st = gmoe_init_random(cur, data, ws, &opt, r, gmoe_seed_derive(opt.seed, r));
            if (st) {
                gmoe_error(err, st, "random initialization failed");
                goto done;
            }
        }
        gmoe_em_run(cur, data, ws, &first, r, &info);
        if (warmup && info.stop != GMOE_STOP_NONE && isfinite(info.loglik)) {
            size_t warm_iter = info.iterations;
            set_tau_estimated(cur, ws, 1);
            gmoe_em_run(cur, data, ws, &opt, r, &info);
            info.iterations += warm_iter;
        }
        set_tau_estimated(cur, ws, m->tau_estimated);
        /* a later start must be better by more than rounding: starts that
         * reach the same maximum (to the last bits, after the Newton
         * phase) keep the earliest, whatever the rounding of the family */
        if (isfinite(info.loglik) &&
            (!have_best || info.loglik > best_info.loglik + 1e-12 * fabs(best_info.loglik))) {
            gmoe_model_copy_params(best, cur);
            best_info = info;
            best_info.best_restart = r;
            have_best = 1;
        }
        if (info.stop == GMOE_STOP_NONE)
            break; /* stopped by the progress callback */
    }
    if (have_best && screen > 0 && best_info.stop == GMOE_STOP_MAXITER) {
        /* The screening winner runs on to the full iteration limit. */
        gmoe_em_options rest = opt;
        rest.max_iter = opt.max_iter - best_info.iterations;
        size_t screened = best_info.iterations, r = best_info.best_restart;
        gmoe_em_run(best, data, ws, &rest, r, &info);
        if (isfinite(info.loglik) && info.loglik >= best_info.loglik) {
            best_info = info;
            best_info.best_restart = r;
        }
        best_info.iterations += screened;
    }
    if (!have_best) {
        st = gmoe_error(err, GMOE_ENUMERIC, "every EM run ended with a non-finite log-likelihood");
        goto done;
    }
    if ((st = assess_run(best, data, &opt, &best_info)) != GMOE_OK) {
        gmoe_error(err, st, "out of memory assessing the fit");
        goto done;
    }
    best_info.seed = opt.seed;
    best_info.restarts = opt.restarts;
    gmoe_model_copy_params(m, best);
    m->fit = best_info;
    st = gmoe_information_criteria(m, data, &m->fit, err);
    m->has_fit = st == GMOE_OK;
done:
    gmoe_em_ws_free(ws);
    gmoe_model_free(cur);
    gmoe_model_free(best);
    return st;
}

/* Covariates of extreme magnitude are fitted, and checked (the
 * collinearity test's sums overflow too), on a copy scaled by powers of
 * two; the model is then put back on the data's scale (fit_scale.c). */
int gmoe_fit(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
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
