/* em.c -- one EM run from a starting model: iterate (plain EM steps, then
 * SQUAREM cycles, then the second-order phase of newton.c) until the
 * stopping rule holds; and the EM options' defaults (their check is
 * options_check.c's). */
#include <math.h>
#include <string.h>

#include "chain.h"
#include "engine.h"
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
    opt->restarts = 0; /* automatic: gmoe_random_starts */
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
    opt->spurious_rows = 100;  /* spurious.c: the rule's constants */
    opt->spurious_ratio = 0.02;
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

static int converged(double ll, double prev, double n, const gmoe_em_options *opt, double tol)
{
    double change = fabs(ll - prev);
    switch (opt->tol_rule) {
    case GMOE_TOL_RELATIVE: return change <= tol * fabs(prev);
    case GMOE_TOL_ABSOLUTE: return change <= tol;
    default: return change <= tol * n;
    }
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
 * stall, with ws->resp refreshed.  Ten steps in a row that gain less than
 * 1e-10 per observation count as a stall (a top-K selection boundary:
 * steps conditional on the pattern gain ever less); a second stall that
 * gained less than 1e-9 per observation since the first ends the run. */
static int newton_iteration(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                            const gmoe_em_options *opt, gmoe_newton_ws *nw, double *ll,
                            double *stalled_ll, size_t *tiny, int *phase2, gmoe_fit_info *info)
{
    double floor = opt->var_floor * ws->var_y, before = *ll, n = ws->total;
    gmoe_newton_status ns = gmoe_newton_iterate(m, data, nw, ws->nthreads, opt->grad_tol, floor, ll);
    info->newton_iterations++;
    switch (ns) {
    case GMOE_NEWTON_STEP:
        *tiny = *ll - before <= 1e-10 * n ? *tiny + 1 : 0;
        if (*tiny < 10)
            return 0;
        break;
    case GMOE_NEWTON_DONE:
        /* a saddle: leave it along the negative curvature (a few times) */
        if (info->newton_escapes < 5 && gmoe_newton_escape(m, data, nw, ws->nthreads, floor, ll)) {
            info->newton_escapes++;
            return 0;
        }
        info->stop = GMOE_STOP_TOL;
        return 1;
    case GMOE_NEWTON_FAILED: info->stop = GMOE_STOP_NUMERIC; return 1;
    default: break;
    }
    /* stalled: EM steps, unless the last stall was at about the same point */
    *tiny = 0;
    if (*ll <= *stalled_ll + 1e-9 * n) {
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
    info->n = gmoe_rows_total(data);
    info->grad_norm = NAN;
    double ll = gmoe_em_estep(m, data, ws, ws->resp), stalled_ll = -INFINITY;
    info->stop = GMOE_STOP_MAXITER;
    if (!isfinite(ll)) {
        info->loglik = ll;
        info->stop = GMOE_STOP_NUMERIC;
        return GMOE_OK;
    }
    gmoe_newton_ws *nw = opt->newton ? gmoe_newton_ws_for(&ws->newton, m, data->n) : NULL;
    if (opt->newton && !nw)
        return GMOE_ENOMEM;
    size_t steps = 0, tiny = 0;
    int phase2 = 0;
    while (steps < opt->max_iter) {
        double prev = ll;
        int failed = 0;
        if (phase2) {
            steps++;
            if (newton_iteration(m, data, ws, opt, nw, &ll, &stalled_ll, &tiny, &phase2, info))
                break;
        } else {
            ll = em_iteration(m, data, ws, opt, &steps, &failed);
            if (failed || !isfinite(ll)) {
                info->stop = failed ? GMOE_STOP_DEGENERATE : GMOE_STOP_NUMERIC;
                break;
            }
            int done = converged(ll, prev, ws->total, opt, tol);
            if (done && !nw) {
                info->stop = GMOE_STOP_TOL; /* provisional: gmoe_fit tests the gradient */
                break;
            }
            phase2 = nw && (done || ll - prev <= opt->newton_switch * ws->total);
        }
        if (opt->progress && opt->progress(opt->progress_ctx, restart, steps, ll)) {
            info->stop = GMOE_STOP_NONE;
            break;
        }
    }
    info->iterations = steps;
    info->loglik = ll;
    info->converged = info->stop == GMOE_STOP_TOL;
    return GMOE_OK;
}
