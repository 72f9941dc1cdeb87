/* newton.c -- the second-order phase of a fit (issue 11).
 *
 * EM converges sublinearly where the information is nearly singular
 * (over-specified k: hundreds to thousands of iterations).  Near the
 * maximum, Newton's method on the observed-data log-likelihood, with its
 * analytic gradient and Hessian (derivatives.c), converges quadratically.
 * Safeguards: the variables are the free parameters of MODELS.md section
 * 4 with log sigma2 (and log tau for activation) so that a step keeps
 * them positive; Levenberg-Marquardt damping (-H + lambda diag(|H|))
 * turns an indefinite Hessian into an ascent direction; a step is kept
 * only if the log-likelihood does not fall, so the phase is monotone like
 * EM.  temperature with tau estimated: the likelihood depends on beta/tau
 * only, so tau is held and the family's normalization rescales after. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "derivatives.h"
#include "engine.h"
#include "internal.h"
#include "newton.h"
#include "params.h"

struct gmoe_newton_ws {
    gmoe_layout L;
    size_t P, na;             /* free parameters; active ones this iteration */
    double *theta, *g, *H;    /* P, P, P*P: natural parameters and derivatives */
    double *phi, *gphi, *hphi;/* the same in the step's variables */
    double *sys, *step;       /* na*na damped system, P step */
    double *block_ll;
    size_t *active;           /* P: indices of the parameters that move */
    unsigned char *logv;      /* P: variable is the log of the parameter */
    int hold_tau;
    double lambda, nu;        /* Marquardt damping and its growth factor,
                                 kept between iterations */
    gmoe_model *trial;
    /* An iteration that ends done leaves the derivatives of its point
     * (hphi, active, gphi) intact: the escape that follows at the same
     * point takes them instead of a second pass (issue 18) */
    double *kept_theta, kept_ll; /* P: that point's parameters */
    int kept;
    int held;                 /* variances held at the floor (hold_floored) */
    int family;               /* m's, with L: the models this workspace fits */
};

void gmoe_newton_ws_free(gmoe_newton_ws *nw)
{
    if (!nw)
        return;
    free(nw->theta);
    free(nw->active);
    free(nw->logv);
    free(nw->block_ll);
    free(nw->kept_theta);
    gmoe_model_free(nw->trial);
    free(nw);
}

gmoe_newton_ws *gmoe_newton_ws_alloc(const gmoe_model *m, size_t n)
{
    gmoe_newton_ws *nw = calloc(1, sizeof *nw);
    if (!nw)
        return NULL;
    gmoe_layout_init(&nw->L, m);
    nw->family = (int)m->family;
    size_t P = nw->P = nw->L.P;
    nw->theta = malloc((5 * P + 4 * P * P) * sizeof(double));
    nw->active = malloc(P * sizeof(size_t));
    nw->logv = calloc(P, 1);
    nw->block_ll = malloc(gmoe_nblocks(n) * sizeof(double));
    nw->trial = gmoe_model_clone(m);
    nw->kept_theta = malloc(P * sizeof(double));
    if (!nw->theta || !nw->active || !nw->logv || !nw->block_ll || !nw->trial || !nw->kept_theta) {
        gmoe_newton_ws_free(nw);
        return NULL;
    }
    nw->g = nw->theta + P;
    nw->phi = nw->g + P;
    nw->gphi = nw->phi + P;
    nw->step = nw->gphi + P;
    nw->H = nw->step + P;
    nw->hphi = nw->H + P * P;
    nw->sys = nw->hphi + P * P; /* room for P*P, and a copy after it */
    for (size_t i = 0; i < m->k; i++)
        nw->logv[gmoe_layout_expert(&nw->L, i, m->d + 1)] = 1;
    const gmoe_gating *gt = gmoe_gating_get(m->family);
    nw->nu = 2;
    nw->hold_tau = nw->L.has_tau && gt->normalize != NULL;
    if (nw->L.has_tau && !nw->hold_tau)
        nw->logv[P - 1] = 1;
    return nw;
}

gmoe_newton_ws *gmoe_newton_ws_for(gmoe_newton_ws **nw, const gmoe_model *m, size_t n)
{
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    gmoe_newton_ws *w = *nw;
    if (!w || w->family != (int)m->family || w->L.k != L.k || w->L.d != L.d || w->L.P != L.P ||
        w->L.dg != L.dg || w->L.pins_last_slope != L.pins_last_slope || w->L.has_tau != L.has_tau) {
        gmoe_newton_ws_free(w);
        return *nw = gmoe_newton_ws_alloc(m, n);
    }
    w->lambda = 0.0; /* a new run's damping, as gmoe_newton_ws_alloc sets it */
    w->nu = 2;
    return w;
}

/* Derivatives at m in the step's variables: phi = theta or log theta,
 * dL/dphi = theta dL/dtheta, d2L/dphi_a dphi_b = theta_a theta_b H_ab
 * (+ theta_a g_a on the diagonal).  The active parameters are those that
 * move: not a held tau, not a row of exact zeros (no information). */
static int derivs_phi(const gmoe_model *m, const gmoe_data *data, gmoe_newton_ws *nw,
                      int nthreads, double *ll)
{
    size_t P = nw->P;
    gmoe_derivs dv = {.grad = nw->g, .hess = nw->H};
    int st = gmoe_derivs_compute(m, data, nthreads, &dv);
    *ll = dv.loglik;
    if (st)
        return st;
    gmoe_layout_pack(&nw->L, m, nw->theta);
    for (size_t a = 0; a < P; a++) {
        double ja = nw->logv[a] ? nw->theta[a] : 1.0;
        nw->phi[a] = nw->logv[a] ? log(nw->theta[a]) : nw->theta[a];
        nw->gphi[a] = ja * nw->g[a];
        for (size_t b = 0; b < P; b++) {
            double jb = nw->logv[b] ? nw->theta[b] : 1.0;
            nw->hphi[a * P + b] = ja * jb * nw->H[a * P + b];
        }
        if (nw->logv[a])
            nw->hphi[a * P + a] += nw->gphi[a];
    }
    nw->na = 0;
    for (size_t a = 0; a < P; a++) {
        int zero = nw->g[a] == 0.0;
        for (size_t b = 0; zero && b < P; b++)
            zero = nw->H[a * P + b] == 0.0;
        if (!zero && !(nw->hold_tau && a == P - 1))
            nw->active[nw->na++] = a;
    }
    return GMOE_OK;
}

/* A variance at the floor that the gradient pushes lower (a spike: an
 * expert narrowing onto a few rows, the likelihood bounded only by the
 * floor) leaves the active set: the floor is an active bound, and the
 * other parameters' steps are not spoilt by a step that trial_point would
 * clip (issue 11: reference model, 1e5 rows, k = 4, 242 Newton iterations
 * crawling at the floor).  The final test (gmoe_newton_assess) keeps
 * every parameter, so such a run is not called converged; nor are the
 * derivatives kept for the escape (done_here) with a variance held. */
static void hold_floored(gmoe_newton_ws *nw, double var_floor)
{
    size_t kept = 0;
    for (size_t u = 0; u < nw->na; u++) {
        size_t a = nw->active[u];
        int variance = nw->logv[a] && !(nw->L.has_tau && a == nw->P - 1);
        int floored = variance && nw->theta[a] <= var_floor * (1 + 1e-9) && nw->gphi[a] < 0;
        if (!floored)
            nw->active[kept++] = a;
    }
    nw->held = nw->na != kept;
    nw->na = kept;
}

/* max |dL/dphi| / n over the active parameters (n: the sum of the case
 * weights, or the rows). */
static double grad_norm(const gmoe_newton_ws *nw, double n)
{
    double s = 0.0;
    for (size_t u = 0; u < nw->na; u++)
        s = fmax(s, fabs(nw->gphi[nw->active[u]]));
    return s / n;
}

/* Solves (-H + lambda diag(max(|H_aa|, tiny))) step = g over the active
 * parameters; non-zero when the system is not positive definite. */
static int damped_solve(gmoe_newton_ws *nw, double lambda)
{
    size_t na = nw->na;
    gmoe_damped_system(nw->hphi, nw->P, nw->active, na, lambda, nw->sys);
    for (size_t u = 0; u < na; u++)
        nw->step[u] = nw->gphi[nw->active[u]];
    return LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)na, 1, nw->sys, (lapack_int)na,
                         nw->step, 1) != 0;
}

/* The trial model at phi + step (a log variable moves by at most 1, the
 * whole step shrunk to keep that), the variances at least var_floor.
 * Returns the shrink factor. */
static double trial_point(const gmoe_model *m, gmoe_newton_ws *nw, double var_floor)
{
    double big = 0.0, shrink = 1.0;
    for (size_t u = 0; u < nw->na; u++)
        if (nw->logv[nw->active[u]])
            big = fmax(big, fabs(nw->step[u]));
    if (big > 1.0)
        shrink = 1.0 / big;
    double *t = nw->g; /* the gradient is not needed again this iteration */
    memcpy(t, nw->theta, nw->P * sizeof(double));
    for (size_t u = 0; u < nw->na; u++) {
        size_t a = nw->active[u];
        double phi = nw->phi[a] + shrink * nw->step[u];
        t[a] = nw->logv[a] ? exp(phi) : phi;
    }
    gmoe_model_copy_params(nw->trial, m);
    gmoe_layout_unpack(&nw->L, nw->trial, t);
    for (size_t i = 0; i < m->k; i++)
        nw->trial->sigma2[i] = fmax(nw->trial->sigma2[i], var_floor);
    const gmoe_gating *gt = gmoe_gating_get(m->family);
    if (gt->normalize)
        gt->normalize(nw->trial);
    return shrink;
}

/* The gain of the quadratic model along the step: g'd + d'Hd/2 (the
 * step's variables; the shrink of trial_point applied). */
static double predicted_gain(const gmoe_newton_ws *nw, double shrink)
{
    size_t P = nw->P;
    double lin = 0.0, quad = 0.0;
    for (size_t u = 0; u < nw->na; u++) {
        size_t a = nw->active[u];
        lin += nw->gphi[a] * nw->step[u];
        for (size_t v = 0; v < nw->na; v++)
            quad += nw->step[u] * nw->hphi[a * P + nw->active[v]] * nw->step[v];
    }
    return shrink * lin + 0.5 * shrink * shrink * quad;
}

/* Done at the point whose derivatives derivs_phi left in nw (ll0 its
 * log-likelihood): they are kept for gmoe_newton_escape. */
static gmoe_newton_status done_here(gmoe_newton_ws *nw, double ll0)
{
    memcpy(nw->kept_theta, nw->theta, nw->P * sizeof(double));
    nw->kept_ll = ll0;
    nw->kept = !nw->held;
    return GMOE_NEWTON_DONE;
}

/* The derivatives at m into nw: those kept by done_here if m is that
 * point (the same bits as computing them again), else derivs_phi's. */
static int derivs_at(const gmoe_model *m, const gmoe_data *data, gmoe_newton_ws *nw,
                     int nthreads, double *ll)
{
    if (nw->kept) {
        gmoe_layout_pack(&nw->L, m, nw->g); /* g: not among the kept */
        if (memcmp(nw->g, nw->kept_theta, nw->P * sizeof(double)) == 0) {
            *ll = nw->kept_ll;
            return GMOE_OK;
        }
    }
    nw->kept = 0;
    return derivs_phi(m, data, nw, nthreads, ll);
}

/* A step gaining at most this relative to |log-likelihood| is no
 * progress: the phase ends there once the gradient test passes. */
#define PROGRESS 1e-13

gmoe_newton_status gmoe_newton_iterate(gmoe_model *m, const gmoe_data *data, gmoe_newton_ws *nw,
                                       int nthreads, double grad_tol, double var_floor,
                                       double *ll)
{
    double ll0;
    nw->kept = 0;
    if (derivs_phi(m, data, nw, nthreads, &ll0) != GMOE_OK)
        return GMOE_NEWTON_FAILED;
    hold_floored(nw, var_floor);
    double gn = grad_norm(nw, gmoe_data_total_weight(data));
    if (nw->na == 0)
        return done_here(nw, ll0);
    /* Marquardt damping updated from the ratio of the actual to the
     * predicted gain (Nielsen 1999): shrunk after a good step, grown
     * geometrically (nu) after each rejected one */
    for (int tries = 0; tries < 12; tries++) {
        double lambda = nw->lambda;
        if (damped_solve(nw, lambda)) {
            nw->lambda = fmax(nw->nu * lambda, 1e-6);
            nw->nu *= 2;
            continue;
        }
        double shrink = trial_point(m, nw, var_floor);
        double pred = predicted_gain(nw, shrink);
        /* Past the gradient test, a step whose quadratic model gains under
         * a tenth of what counts as progress ends the phase without its
         * trial E-step, which would measure only the log-likelihood's
         * rounding (about 1e-16 relative; half the time below ll0, then
         * retried with more damping): issue 18, two thirds of the
         * reference grid's trial E-steps.  Near the maximum the model's
         * gain is within 1% of the actual one there. */
        if (gn <= grad_tol && pred <= 0.1 * PROGRESS * fabs(ll0))
            return done_here(nw, ll0);
        double ll1 = gmoe_estep(nw->trial, data, NULL, nw->block_ll, nthreads);
        if (isfinite(ll1) && ll1 >= ll0) {
            double rho = pred > 0 ? (ll1 - ll0) / pred : 1.0, t = 2 * rho - 1;
            nw->lambda = lambda * fmax(1.0 / 3, 1 - t * t * t);
            if (nw->lambda < 1e-12)
                nw->lambda = 0.0;
            nw->nu = 2;
            if (ll1 - ll0 <= PROGRESS * fabs(ll0) && gn <= grad_tol)
                return done_here(nw, ll0);
            gmoe_model_copy_params(m, nw->trial);
            *ll = ll1;
            return GMOE_NEWTON_STEP;
        }
        nw->lambda = fmax(nw->nu * lambda, 1e-6);
        nw->nu *= 2;
    }
    nw->lambda = 1e-3;
    nw->nu = 2;
    return gn <= grad_tol ? done_here(nw, ll0) : GMOE_NEWTON_STALLED;
}

/* Eigen-decomposition of -H over the active parameters scaled to a unit
 * diagonal (into nw->sys: eigenvectors as columns, row-major; eigenvalues
 * ascending into nw->step).  Non-zero on failure. */
static int scaled_eigen(gmoe_newton_ws *nw, int vectors)
{
    size_t P = nw->P, na = nw->na;
    double *S = nw->sys;
    for (size_t u = 0; u < na; u++)
        for (size_t v = 0; v < na; v++) {
            size_t a = nw->active[u], b = nw->active[v];
            double da = -nw->hphi[a * P + a], db = -nw->hphi[b * P + b];
            S[u * na + v] = da > 0 && db > 0 ? -nw->hphi[a * P + b] / sqrt(da * db) : 0.0;
        }
    return na == 0 || LAPACKE_dsyev(LAPACK_ROW_MAJOR, vectors ? 'V' : 'N', 'U', (lapack_int)na, S,
                                    (lapack_int)na, nw->step) != 0;
}

int gmoe_newton_escape(gmoe_model *m, const gmoe_data *data, gmoe_newton_ws *nw, int nthreads,
                       double var_floor, double *ll)
{
    double ll0;
    if (derivs_at(m, data, nw, nthreads, &ll0) != GMOE_OK || scaled_eigen(nw, 1) ||
        !(nw->step[0] < -1e-10))
        return 0; /* the derivatives at m still intact (for the assessment) */
    nw->kept = 0;
    size_t P = nw->P, na = nw->na;
    /* the direction in the step's variables, largest entry 1 */
    double *dir = nw->gphi, big = 0.0; /* the gradient (about 0 here) is not needed */
    for (size_t u = 0; u < na; u++) {
        double da = -nw->hphi[nw->active[u] * (P + 1)];
        dir[u] = da > 0 ? nw->sys[u * na] / sqrt(da) : 0.0;
        big = fmax(big, fabs(dir[u]));
    }
    if (!(big > 0))
        return 0;
    static const double lengths[] = {0.05, 0.2, 0.5, 1.0};
    double best = ll0;
    int found = 0;
    for (size_t t = 0; t < 2 * sizeof lengths / sizeof *lengths; t++) {
        double len = (t % 2 ? -1 : 1) * lengths[t / 2] / big;
        for (size_t u = 0; u < na; u++)
            nw->step[u] = len * dir[u];
        trial_point(m, nw, var_floor);
        double ll1 = gmoe_estep(nw->trial, data, NULL, nw->block_ll, nthreads);
        if (isfinite(ll1) && ll1 > best) {
            best = ll1;
            gmoe_model_copy_params(m, nw->trial);
            found = 1;
        }
    }
    if (found)
        *ll = best;
    nw->lambda = 0.0;
    return found;
}

int gmoe_newton_assess(const gmoe_model *m, const gmoe_data *data, gmoe_newton_ws *nw,
                       int nthreads, double *grad_norm_out, int *nd, size_t *null_dirs)
{
    double ll;
    *nd = 0;
    *grad_norm_out = NAN;
    int st = derivs_at(m, data, nw, nthreads, &ll);
    if (st)
        return st;
    size_t P = nw->P, na = nw->na;
    *grad_norm_out = grad_norm(nw, gmoe_data_total_weight(data));
    *null_dirs = P - na - (nw->hold_tau ? 1 : 0);
    /* eigenvalues of -H scaled to a unit diagonal: negative definite when
     * the smallest is clearly positive */
    double *w = nw->step;
    if (scaled_eigen(nw, 0))
        return GMOE_OK;
    *nd = w[0] > 1e-10;
    for (size_t u = 0; u < na; u++)
        if (!(-nw->hphi[nw->active[u] * (P + 1)] > 0))
            *nd = 0;
    return GMOE_OK;
}
