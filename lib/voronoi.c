/* voronoi.c -- Voronoi cells and the D1/D2 losses of a fitted model G
 * against a true model G* (shared MODELS.md section 2; man page mixloss(1)).
 *
 * Atoms.  Fitted atom i (0..k-1) and true atom j (0..k*-1) are
 *     theta = (beta1, a, b, sigma2)            softmax, topk
 *     theta = (beta1, a, b, sigma2, tau)       temperature, activation
 * where tau is the model-level temperature, a component of every atom.
 *
 * Cells.  A_j = the fitted atoms whose L1 distance (summed over all scalar
 * components of theta) to true atom j is smallest; ties go to the lower j.
 * Empty cells are legal.
 *
 * Weights.  w_i = exp(beta0_i + t0), w*_j = exp(beta0*_j).
 *
 * Per-atom errors (Euclidean norm for the vectors beta1 and a, absolute
 * value for scalars), between fitted atom i and the true atom of its cell:
 *     e1 = |dbeta1|, ea = |da|, eb = |db|, es = |dsigma2|, et = |dtau|
 * (et = 0 in softmax and topk).
 *
 *   D1 = sum_j | sum_{i in A_j} w_i - w*_j |
 *      + sum_j sum_{i in A_j} w_i (e1 + ea + eb + es + et)
 *   D2 = sum_j | sum_{i in A_j} w_i - w*_j |
 *      + sum_{j: |A_j| = 1} sum_{i in A_j} w_i (e1 + ea + eb + es + et)
 *      + sum_{j: |A_j| > 1} sum_{i in A_j} w_i (e1^r + ea^(r/2) + eb^r
 *                                              + es^(r/2) + et^r),
 *        r = rbar(|A_j|).
 * tau takes the exponent r of the other gate parameter, beta1 (our
 * convention: MODELS.md only says to add |dtau| like the other components).
 *
 * Gate translation.  The gate is invariant under adding (t0, t1) to every
 * expert's (beta0, beta1) (t0 only in activation).  The translated loss is
 * min over (t0, t1) of D(G shifted, G*); the cells depend on t1 only.  For
 * fixed t1 the loss as a function of s = exp(t0) > 0 is
 *     f(s) = s C + sum_j | s M_j - w*_j |,
 * C = sum_i exp(beta0_i) * (its parameter term), M_j = sum_{A_j} exp(beta0_i),
 * which is convex and piecewise linear with f(s) -> W* = sum_j w*_j as
 * s -> 0; its infimum over s is the smaller of the best breakpoint
 * s = w*_j / M_j and W* (the limit t0 -> -infinity, the infimum when the
 * parameter term dominates, C >= sum_j M_j).  MODELS.md section 2
 * ("Decision"): the loss is min(best breakpoint, W*), with at_limit saying
 * which, and the breakpoint value kept beside it.  W* does not depend on
 * t1, so the search over t1 minimizes the breakpoint value and the limit
 * is taken at the end.  So t0 is
 * minimized exactly for every t1, and t1 (d dimensions) by the candidates
 * t1 = beta1*_j - beta1_i (every fitted i aligned on every true j; j = the
 * reference expert gives MODELS.md's "align fitted expert i with the true
 * reference expert") and t1 = 0, the best few refined with GSL's
 * derivative-free Nelder-Mead (nmsimplex2: the loss is not smooth).  The
 * literal candidate translations (t0 included) are also evaluated, so the
 * result is never above the untranslated loss nor above any candidate.
 *
 * Normalizations.  The true model is first put in the pinned form of its
 * family (the last expert's gate subtracted from every expert's gate: an
 * exact invariance), which fixes the scale of the weights (w*_last = 1).
 * The fitted model is used as given: the translated loss does not depend
 * on its normalization, and the untranslated loss (t0 = 0, t1 = 0) is the
 * published code's number for a fit pinned on its last expert.
 * temperature with the fitted tau estimated: the gate's scale is not
 * identified (the likelihood is invariant under (beta, tau) ->
 * c (beta, tau)), and exp(beta0), beta1 and tau all depend on it, so both
 * models are first rescaled to gmoe's normalization (slopes centred over
 * the experts of unit Frobenius norm: common_scale).
 *
 * rbar.  A D2 cell of c >= 2 atoms needs rbar[c] > 0.  The untranslated
 * cells must all have a known rbar (else GMOE_ENOTSUP); translations whose
 * cells would need an unknown rbar are skipped by the minimization.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

#include "gating.h"
#include "internal.h"

/* Number of best candidate translations refined by Nelder-Mead. */
#define VORONOI_REFINE 3
/* Nelder-Mead iterations per start (per dimension of t1). */
#define VORONOI_NM_ITER 400
/* Objective value for a translation whose cells need an unknown rbar:
 * large but finite, because nmsimplex2 refuses non-finite values. */
#define VORONOI_PENALTY 1e300

void gmoe_loss_options_default(gmoe_loss_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->kind = GMOE_LOSS_AUTO;
    opt->translate = 1;
    opt->rbar[2] = 4.0; /* NeurIPS 2023 (arXiv 2305.03288): rbar(2) = 4 */
    opt->rbar[3] = 6.0; /*                                   rbar(3) = 6 */
}

void gmoe_loss_result_free(gmoe_loss_result *r)
{
    if (!r)
        return;
    free(r->t1);
    free(r->cell);
    free(r->cell_size);
    free(r->err_beta1);
    free(r->err_a);
    free(r->err_b);
    free(r->err_sigma2);
    free(r->err_tau);
    free(r->err_mass);
    free(r);
}

/* ------------------------------------------------------------ workspace */

typedef struct {
    size_t k, ks, d;
    int use_tau;          /* temperature, activation */
    int use_t1;           /* translation of beta1 is an invariance */
    gmoe_loss_kind kind;  /* D1 or D2 */
    const double *rbar;
    const gmoe_model *fit, *truth;
    double *tb0, *tb1;    /* true gate in pinned form: ks, ks*d */
    double *wstar;        /* ks: exp(tb0) */
    double *w;            /* k: exp(beta0_i - bmax) */
    double bmax;          /* max_i beta0_i: w = exp(beta0 - bmax) keeps the
                             weights finite; s' = exp(t0 + bmax) */
    double dtau;          /* |tau - tau*| when use_tau, else 0 */
    /* filled by cells_eval() */
    size_t *cell, *size;  /* k, ks */
    double *e1, *ea, *eb, *es; /* k: errors against the own cell's atom */
    double *M;            /* ks: sum_{A_j} w_i */
    double C;             /* sum_i w_i * parameter term */
    size_t bad_c, bad_j;  /* an unknown-rbar cell size (0 = none) and atom */
    double *shifted;      /* d scratch */
} vws;

static void vws_free(vws *v)
{
    free(v->tb0);
    free(v->tb1);
    free(v->wstar);
    free(v->w);
    free(v->cell);
    free(v->size);
    free(v->e1);
    free(v->ea);
    free(v->eb);
    free(v->es);
    free(v->M);
    free(v->shifted);
}

/* Computes the cells of the fitted model with beta1 shifted by t1 (NULL =
 * 0), the per-atom errors, the cell masses M and the parameter sum C.
 * Returns 0, or 1 when a D2 cell needs an unknown rbar (bad_c, bad_j set). */
static int cells_eval(vws *v, const double *t1)
{
    const gmoe_model *f = v->fit, *t = v->truth;
    size_t k = v->k, ks = v->ks, d = v->d;

    for (size_t j = 0; j < ks; j++) {
        v->size[j] = 0;
        v->M[j] = 0.0;
    }
    for (size_t i = 0; i < k; i++) {
        const double *b1 = f->beta1 + i * d, *ai = f->a + i * d;
        for (size_t l = 0; l < d; l++)
            v->shifted[l] = b1[l] + (t1 ? t1[l] : 0.0);
        size_t best = 0;
        double bestd = INFINITY;
        for (size_t j = 0; j < ks; j++) {
            const double *tb1 = v->tb1 + j * d, *aj = t->a + j * d;
            double dist = fabs(f->b[i] - t->b[j]) + fabs(f->sigma2[i] - t->sigma2[j]) + v->dtau;
            for (size_t l = 0; l < d; l++)
                dist += fabs(v->shifted[l] - tb1[l]) + fabs(ai[l] - aj[l]);
            if (dist < bestd) { /* strict: ties go to the lower j */
                bestd = dist;
                best = j;
            }
        }
        const double *tb1 = v->tb1 + best * d, *aj = t->a + best * d;
        double s1 = 0.0, sa = 0.0;
        for (size_t l = 0; l < d; l++) {
            double u = v->shifted[l] - tb1[l], w = ai[l] - aj[l];
            s1 += u * u;
            sa += w * w;
        }
        v->cell[i] = best;
        v->e1[i] = sqrt(s1);
        v->ea[i] = sqrt(sa);
        v->eb[i] = fabs(f->b[i] - t->b[best]);
        v->es[i] = fabs(f->sigma2[i] - t->sigma2[best]);
        v->size[best]++;
        v->M[best] += v->w[i];
    }

    v->bad_c = 0;
    v->C = 0.0;
    for (size_t i = 0; i < k; i++) {
        size_t c = v->size[v->cell[i]];
        double term;
        if (v->kind == GMOE_LOSS_D2 && c > 1) {
            double r = c < GMOE_RBAR_MAX ? v->rbar[c] : 0.0;
            if (!(r > 0)) {
                v->bad_c = c;
                v->bad_j = v->cell[i];
                return 1;
            }
            term = pow(v->e1[i], r) + pow(v->ea[i], r / 2) + pow(v->eb[i], r) +
                   pow(v->es[i], r / 2) + pow(v->dtau, r);
        } else {
            term = v->e1[i] + v->ea[i] + v->eb[i] + v->es[i] + v->dtau;
        }
        v->C += v->w[i] * term;
    }
    return 0;
}

/* f(s') for the current cells, s' = exp(t0 + bmax). */
static double loss_at(const vws *v, double sp)
{
    double val = sp * v->C;
    for (size_t j = 0; j < v->ks; j++)
        val += fabs(sp * v->M[j] - v->wstar[j]);
    return val;
}

/* Minimum of f over the breakpoints s' = w*_j / M_j for the current cells;
 * the minimizing s' into *sp. */
static double loss_min_t0(const vws *v, double *sp)
{
    double best = INFINITY, bs = 1.0;
    for (size_t j = 0; j < v->ks; j++) {
        if (!(v->M[j] > 0))
            continue;
        double s = v->wstar[j] / v->M[j];
        double val = loss_at(v, s);
        if (val < best) {
            best = val;
            bs = s;
        }
    }
    *sp = bs;
    return best;
}

/* Nelder-Mead objective: the loss minimized over t0 at the given t1. */
static double nm_objective(const gsl_vector *x, void *params)
{
    vws *v = params;
    double sp;
    if (cells_eval(v, x->data))
        return VORONOI_PENALTY;
    double val = loss_min_t0(v, &sp);
    return isfinite(val) ? val : VORONOI_PENALTY;
}

/* ----------------------------------------------------------- validation */

static int check_atoms(const gmoe_model *m, const char *which, gmoe_err *err)
{
    if (!m)
        return gmoe_error(err, GMOE_EINVAL, "voronoi loss: no %s model", which);
    if (m->k < 1 || m->d < 1)
        return gmoe_error(err, GMOE_EINVAL, "voronoi loss: %s model needs k >= 1 and d >= 1", which);
    if ((int)m->family < 0 || (int)m->family >= GMOE_NFAMILIES)
        return gmoe_error(err, GMOE_EINVAL, "voronoi loss: %s model has an unknown gating family", which);
    size_t k = m->k, d = m->d;
    for (size_t i = 0; i < k; i++) {
        int ok = isfinite(m->beta0[i]) && isfinite(m->b[i]) &&
                 isfinite(m->sigma2[i]) && m->sigma2[i] > 0;
        for (size_t l = 0; l < d; l++)
            ok = ok && isfinite(m->beta1[i * d + l]) && isfinite(m->a[i * d + l]);
        if (!ok)
            return gmoe_error(err, GMOE_EINVAL,
                              "voronoi loss: %s model, expert %zu: parameters must be finite and sigma2 > 0",
                              which, i + 1);
    }
    if (gmoe_family_has_tau(m->family) && !(m->tau > 0 && isfinite(m->tau)))
        return gmoe_error(err, GMOE_EINVAL, "voronoi loss: %s model: tau must be finite and > 0 (got %g)",
                          which, m->tau);
    return GMOE_OK;
}

static int check_options(const gmoe_loss_options *opt, gmoe_err *err)
{
    if ((int)opt->kind < GMOE_LOSS_AUTO || (int)opt->kind > GMOE_LOSS_D2)
        return gmoe_error(err, GMOE_EINVAL, "voronoi loss: unknown loss kind %d", (int)opt->kind);
    for (size_t c = 2; c < GMOE_RBAR_MAX; c++)
        if (!(opt->rbar[c] >= 0) || !isfinite(opt->rbar[c]))
            return gmoe_error(err, GMOE_EINVAL,
                              "voronoi loss: rbar for cell size %zu must be > 0 (or 0 = unknown), got %g",
                              c, opt->rbar[c]);
    return GMOE_OK;
}

/* ------------------------------------------------------------ the loss */

static int vws_init(vws *v, const gmoe_model *fit, const gmoe_model *truth,
                    gmoe_loss_kind kind, const double *rbar, gmoe_err *err)
{
    size_t k = fit->k, ks = truth->k, d = fit->d;
    memset(v, 0, sizeof *v);
    v->k = k;
    v->ks = ks;
    v->d = d;
    v->fit = fit;
    v->truth = truth;
    v->kind = kind;
    v->rbar = rbar;
    v->use_tau = gmoe_family_has_tau(fit->family);
    v->use_t1 = gmoe_family_pins_slopes(fit->family); /* t1 is an invariance */
    v->dtau = v->use_tau ? fabs(fit->tau - truth->tau) : 0.0;

    v->tb0 = malloc(ks * sizeof(double));
    v->tb1 = malloc(ks * d * sizeof(double));
    v->wstar = malloc(ks * sizeof(double));
    v->w = malloc(k * sizeof(double));
    v->cell = malloc(k * sizeof(size_t));
    v->size = malloc(ks * sizeof(size_t));
    v->e1 = malloc(k * sizeof(double));
    v->ea = malloc(k * sizeof(double));
    v->eb = malloc(k * sizeof(double));
    v->es = malloc(k * sizeof(double));
    v->M = malloc(ks * sizeof(double));
    v->shifted = malloc(d * sizeof(double));
    if (!v->tb0 || !v->tb1 || !v->wstar || !v->w || !v->cell || !v->size || !v->e1 ||
        !v->ea || !v->eb || !v->es || !v->M || !v->shifted)
        return gmoe_error(err, GMOE_ENOMEM, "voronoi loss: out of memory");

    /* The true gate in pinned form: subtract the last expert's gate
     * (beta0 only in activation, where beta1 is not an invariance). */
    const double *last1 = truth->beta1 + (ks - 1) * d;
    for (size_t j = 0; j < ks; j++) {
        v->tb0[j] = truth->beta0[j] - truth->beta0[ks - 1];
        v->wstar[j] = exp(v->tb0[j]);
        if (!isfinite(v->wstar[j]))
            return gmoe_error(err, GMOE_ENUMERIC,
                              "voronoi loss: true expert %zu: exp(beta0) overflows (beta0 = %g relative to the last expert)",
                              j + 1, v->tb0[j]);
        for (size_t l = 0; l < d; l++)
            v->tb1[j * d + l] = truth->beta1[j * d + l] - (v->use_t1 ? last1[l] : 0.0);
    }

    v->bmax = fit->beta0[0];
    for (size_t i = 1; i < k; i++)
        if (fit->beta0[i] > v->bmax)
            v->bmax = fit->beta0[i];
    for (size_t i = 0; i < k; i++)
        v->w[i] = exp(fit->beta0[i] - v->bmax);
    return GMOE_OK;
}

typedef struct {
    double val;   /* loss at (sp, t1) */
    double sp;    /* exp(t0 + bmax) */
    size_t idx;   /* index into the candidate t1 array */
} candidate;

static int cmp_candidate(const void *pa, const void *pb)
{
    const candidate *a = pa, *b = pb;
    if (a->val < b->val) return -1;
    if (a->val > b->val) return 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Nelder-Mead refinement of t1 from start t1 (d), in place; *val and *sp
 * updated when a better point is found.  Returns a gmoe_status. */
static int refine(vws *v, gsl_multimin_fminimizer *mz, gsl_vector *x, gsl_vector *step,
                  double *t1, double *val, double *sp, gmoe_err *err)
{
    size_t d = v->d;
    gsl_multimin_function fn = {.f = nm_objective, .n = d, .params = v};
    double scale = 1.0;
    for (size_t j = 0; j < v->ks * d; j++)
        if (fabs(v->tb1[j]) + 1.0 > scale)
            scale = fabs(v->tb1[j]) + 1.0;
    for (size_t l = 0; l < d; l++)
        if (fabs(t1[l]) + 1.0 > scale)
            scale = fabs(t1[l]) + 1.0;

    /* Two passes: a restart from the first pass's point with a fresh
     * simplex guards against Nelder-Mead's stalls on a non-smooth f. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t l = 0; l < d; l++) {
            gsl_vector_set(x, l, t1[l]);
            gsl_vector_set(step, l, pass ? 0.01 * scale : 0.1 * scale);
        }
        int status = gsl_multimin_fminimizer_set(mz, &fn, x, step);
        if (status != GSL_SUCCESS)
            return gmoe_error(err, GMOE_ENUMERIC, "voronoi loss: Nelder-Mead setup failed: %s",
                              gsl_strerror(status));
        for (size_t it = 0; it < VORONOI_NM_ITER * d; it++) {
            /* An iteration that fails (e.g. GSL_ENOPROG) ends this pass;
             * the minimizer's best point is still a point it evaluated. */
            if (gsl_multimin_fminimizer_iterate(mz) != GSL_SUCCESS)
                break;
            double size = gsl_multimin_fminimizer_size(mz);
            if (gsl_multimin_test_size(size, 1e-11 * scale) == GSL_SUCCESS)
                break;
        }
        const gsl_vector *xb = gsl_multimin_fminimizer_x(mz);
        /* Re-evaluate: the objective left the cells of the last trial point. */
        if (cells_eval(v, xb->data))
            continue;
        double s, fv = loss_min_t0(v, &s);
        if (fv < *val) {
            *val = fv;
            *sp = s;
            for (size_t l = 0; l < d; l++)
                t1[l] = gsl_vector_get(xb, l);
        }
    }
    return GMOE_OK;
}

/* Candidate translations: index 0 is t = (0, 0); 1 + i*ks + j aligns
 * fitted expert i's gate with true expert j's (t1 = beta1*_j - beta1_i,
 * and the literal t0 = beta0*_j - beta0_i).  Fills t1s (ncand * d) and
 * cand (value over the breakpoints or the literal t0, whichever is lower;
 * INFINITY when the cells need an unknown rbar), sorted by value. */
static void eval_candidates(vws *v, double untranslated_val, size_t ncand, double *t1s, candidate *cand)
{
    size_t ks = v->ks, d = v->d;
    const gmoe_model *f = v->fit;
    for (size_t c = 0; c < ncand; c++) {
        double lit_sp; /* the literal t0 of the candidate, as s' */
        if (c == 0) {
            lit_sp = exp(v->bmax);
        } else {
            size_t i = (c - 1) / ks, j = (c - 1) % ks;
            for (size_t l = 0; l < d; l++)
                t1s[c * d + l] = v->tb1[j * d + l] - f->beta1[i * d + l];
            lit_sp = exp(v->tb0[j] - f->beta0[i] + v->bmax);
        }
        cand[c].idx = c;
        cand[c].val = INFINITY;
        cand[c].sp = 1.0;
        if (cells_eval(v, t1s + c * d))
            continue;
        double s, val = loss_min_t0(v, &s);
        double lit = c == 0 ? untranslated_val : loss_at(v, lit_sp);
        if (lit < val) {
            val = lit;
            s = lit_sp;
        }
        if (isfinite(val)) {
            cand[c].val = val;
            cand[c].sp = s;
        }
    }
    qsort(cand, ncand, sizeof *cand, cmp_candidate);
}

/* Whether candidate c's t1 equals that of an earlier candidate. */
static int same_t1_before(const double *t1s, const candidate *cand, size_t c, size_t d)
{
    const double *tc = t1s + cand[c].idx * d;
    for (size_t e = 0; e < c; e++) {
        const double *te = t1s + cand[e].idx * d;
        int same = 1;
        for (size_t l = 0; l < d; l++)
            same = same && tc[l] == te[l];
        if (same)
            return 1;
    }
    return 0;
}

/* Nelder-Mead from the VORONOI_REFINE best distinct candidates; improves
 * (best_t1, *best_sp, *best_val) in place. */
static int refine_candidates(vws *v, const double *t1s, const candidate *cand, size_t ncand,
                             double *best_t1, double *best_sp, double *best_val, gmoe_err *err)
{
    size_t d = v->d;
    gsl_multimin_fminimizer *mz = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, d);
    gsl_vector *x = gsl_vector_alloc(d), *step = gsl_vector_alloc(d);
    double *t1 = malloc(d * sizeof(double));
    int status = GMOE_OK;
    if (!mz || !x || !step || !t1)
        status = gmoe_error(err, GMOE_ENOMEM, "voronoi loss: out of memory");
    size_t done = 0;
    for (size_t c = 0; status == GMOE_OK && c < ncand && done < VORONOI_REFINE; c++) {
        if (!isfinite(cand[c].val))
            break;
        if (same_t1_before(t1s, cand, c, d))
            continue;
        done++;
        memcpy(t1, t1s + cand[c].idx * d, d * sizeof(double));
        double val = cand[c].val, sp = cand[c].sp;
        status = refine(v, mz, x, step, t1, &val, &sp, err);
        if (status == GMOE_OK && val < *best_val) {
            *best_val = val;
            *best_sp = sp;
            memcpy(best_t1, t1, d * sizeof(double));
        }
    }
    free(t1);
    gsl_vector_free(x);
    gsl_vector_free(step);
    gsl_multimin_fminimizer_free(mz);
    return status;
}

/* Searches the translation; on return best_t1 (d) and *best_sp hold the
 * minimizer over the breakpoints and *best_val the loss there.
 * untranslated_val is the loss at t = 0 (a candidate too). */
static int search_translation(vws *v, double untranslated_val, double *best_t1,
                              double *best_sp, double *best_val, gmoe_err *err)
{
    size_t d = v->d;
    size_t ncand = v->use_t1 ? 1 + v->k * v->ks : 1;
    double *t1s = calloc(ncand * d, sizeof(double));
    candidate *cand = malloc(ncand * sizeof *cand);
    int status = GMOE_OK;
    if (!t1s || !cand) {
        status = gmoe_error(err, GMOE_ENOMEM, "voronoi loss: out of memory");
        goto done;
    }
    eval_candidates(v, untranslated_val, ncand, t1s, cand);
    *best_val = cand[0].val;
    *best_sp = cand[0].sp;
    memcpy(best_t1, t1s + cand[0].idx * d, d * sizeof(double));
    if (v->use_t1)
        status = refine_candidates(v, t1s, cand, ncand, best_t1, best_sp, best_val, err);
done:
    free(t1s);
    free(cand);
    return status;
}

static int unknown_rbar_error(const vws *v, gmoe_err *err)
{
    if (v->bad_c >= GMOE_RBAR_MAX)
        return gmoe_error(err, GMOE_ENOTSUP,
                          "D2: the Voronoi cell of true expert %zu holds %zu fitted experts; rbar can only be "
                          "given for cells of fewer than %d experts",
                          v->bad_j + 1, v->bad_c, GMOE_RBAR_MAX);
    return gmoe_error(err, GMOE_ENOTSUP,
                      "D2: the Voronoi cell of true expert %zu holds %zu fitted experts and rbar(%zu) is not "
                      "known (only rbar(2) = 4 and rbar(3) = 6 are); supply it (mixloss --rbar %zu=R, or "
                      "gmoe_loss_options.rbar[%zu])",
                      v->bad_j + 1, v->bad_c, v->bad_c, v->bad_c, v->bad_c);
}

/* The models and options, and the kind the loss takes (AUTO resolved). */
static int check_arguments(const gmoe_model *fit, const gmoe_model *truth, const gmoe_loss_options *opt,
                           gmoe_loss_kind *kind, gmoe_err *err)
{
    int status;
    /* The atoms (beta1, a, b, sigma2) of the papers' losses pair the gate's
     * and the experts' slopes on the same covariates; with a gate of its
     * own the loss is not defined (and not the object of their theory). */
    if (fit && truth && (fit->gate_own || truth->gate_own))
        return gmoe_error(err, GMOE_ENOTSUP,
                          "voronoi loss: the %s model's gate has covariates of its own (--gate-x); "
                          "the Voronoi losses are defined for a gate on the experts' covariates only",
                          fit->gate_own ? "fitted" : "true");
    if ((status = check_atoms(fit, "fitted", err)) != GMOE_OK ||
        (status = check_atoms(truth, "true", err)) != GMOE_OK ||
        (status = check_options(opt, err)) != GMOE_OK)
        return status;
    if (fit->family != truth->family)
        return gmoe_error(err, GMOE_EINVAL,
                          "voronoi loss: the fitted model's family (%s) differs from the true model's (%s)",
                          gmoe_family_name(fit->family), gmoe_family_name(truth->family));
    if (fit->d != truth->d)
        return gmoe_error(err, GMOE_EINVAL,
                          "voronoi loss: the fitted model has d = %zu covariates, the true model d = %zu",
                          fit->d, truth->d);
    unsigned fo = gmoe_family_options(fit->family);
    if (((fo & GMOE_FAMILY_OPT_ACTIVATION) && fit->act != truth->act) ||
        ((fo & GMOE_FAMILY_OPT_BIAS) && fit->bias != truth->bias))
        return gmoe_error(err, GMOE_EINVAL,
                          "voronoi loss: the activation models differ in activation (%s, %s) or bias "
                          "placement (%s, %s)",
                          gmoe_activation_name(fit->act), gmoe_activation_name(truth->act),
                          gmoe_bias_name(fit->bias), gmoe_bias_name(truth->bias));
    *kind = opt->kind;
    if (*kind == GMOE_LOSS_AUTO) {
        /* Under-fitted models are refused under AUTO: neither loss is the
         * one the theory is about.  A forced kind computes its formula for
         * any k (cells of true atoms with no fitted atom are empty). */
        if (fit->k < truth->k)
            return gmoe_error(err, GMOE_EINVAL,
                              "voronoi loss: the fitted model has fewer experts (k = %zu) than the true model "
                              "(k* = %zu); D1 needs k = k*, D2 k > k* (force a kind to compute its formula anyway)",
                              fit->k, truth->k);
        *kind = fit->k == truth->k ? GMOE_LOSS_D1 : GMOE_LOSS_D2;
    }
    return GMOE_OK;
}

/* The values of the loss: untranslated, the best breakpoint (t0 and t1
 * found by search_translation) and the limit t0 -> -infinity, W*. */
typedef struct {
    double untranslated, breakpoint, limit;
    double sp;      /* s' = exp(t0 + bmax) of the breakpoint */
    double *t1;     /* d: t1 of the breakpoint */
} loss_values;

/* The largest magnitude among m's gate and experts' parameters, to name
 * the scale of an overflow. */
static double largest_parameter(const gmoe_model *m)
{
    const double *arrays[] = {m->beta0, m->beta1, m->a, m->b, m->sigma2};
    const size_t lengths[] = {m->k, m->k * m->dg, m->k * m->d, m->k, m->k};
    double big = 0.0;
    for (size_t u = 0; u < 5; u++)
        for (size_t i = 0; i < lengths[u]; i++)
            big = fmax(big, fabs(arrays[u][i]));
    return big;
}

static int compute_values(vws *v, const gmoe_loss_options *opt, loss_values *lv, gmoe_err *err)
{
    /* Untranslated loss: t0 = 0, t1 = 0, i.e. s' = exp(bmax). */
    if (cells_eval(v, NULL))
        return unknown_rbar_error(v, err);
    lv->sp = exp(v->bmax);
    lv->untranslated = loss_at(v, lv->sp);
    if (!isfinite(lv->untranslated))
        return gmoe_error(err, GMOE_ENUMERIC,
                          "voronoi loss: the untranslated loss overflows: a fitted parameter is too "
                          "far from the truth's for a double (largest fitted |parameter| %g)",
                          largest_parameter(v->fit));
    lv->limit = 0.0;
    for (size_t j = 0; j < v->ks; j++)
        lv->limit += v->wstar[j];
    lv->breakpoint = lv->untranslated;
    if (!(lv->t1 = calloc(v->d, sizeof(double))))
        return gmoe_error(err, GMOE_ENOMEM, "voronoi loss: out of memory");
    if (opt->translate) {
        int status = search_translation(v, lv->untranslated, lv->t1, &lv->sp, &lv->breakpoint, err);
        if (status != GMOE_OK)
            return status;
    }
    /* Final evaluation at the chosen translation fills the cells. */
    if (cells_eval(v, lv->t1)) /* cannot happen: every kept point passed */
        return unknown_rbar_error(v, err);
    return GMOE_OK;
}

/* The result: the loss, its other values, and the cells and errors at the
 * breakpoint translation (also when the loss is the limit, where every
 * fitted weight vanishes). */
static int make_result(const vws *v, const gmoe_loss_options *opt, loss_values *lv, gmoe_loss_result **out,
                       gmoe_err *err)
{
    size_t k = v->k, ks = v->ks;
    gmoe_loss_result *r = calloc(1, sizeof *r);
    if (!r)
        return gmoe_error(err, GMOE_ENOMEM, "voronoi loss: out of memory");
    r->kind = v->kind;
    r->k = k;
    r->kstar = ks;
    r->d = v->d;
    r->loss_untranslated = lv->untranslated;
    r->loss_limit = lv->limit;
    if (opt->translate) {
        r->loss_breakpoint = loss_at(v, lv->sp);
        r->at_limit = lv->limit < r->loss_breakpoint;
        r->loss = r->at_limit ? lv->limit : r->loss_breakpoint;
    } else {
        r->loss_breakpoint = NAN;
        r->loss = lv->untranslated;
    }
    r->t0 = opt->translate ? log(lv->sp) - v->bmax : 0.0;
    r->t1 = lv->t1;
    lv->t1 = NULL;
    r->cell = malloc(k * sizeof(size_t));
    r->cell_size = malloc(ks * sizeof(size_t));
    r->err_beta1 = calloc(ks, sizeof(double));
    r->err_a = calloc(ks, sizeof(double));
    r->err_b = calloc(ks, sizeof(double));
    r->err_sigma2 = calloc(ks, sizeof(double));
    r->err_tau = calloc(ks, sizeof(double));
    r->err_mass = calloc(ks, sizeof(double));
    if (!r->cell || !r->cell_size || !r->err_beta1 || !r->err_a || !r->err_b || !r->err_sigma2 ||
        !r->err_tau || !r->err_mass) {
        gmoe_loss_result_free(r);
        return gmoe_error(err, GMOE_ENOMEM, "voronoi loss: out of memory");
    }
    memcpy(r->cell, v->cell, k * sizeof(size_t));
    memcpy(r->cell_size, v->size, ks * sizeof(size_t));
    /* err_*[j] = sum_{i in A_j} exp(beta0_i + t0) * |d.| (no exponent r);
     * err_mass[j] = | sum_{i in A_j} exp(beta0_i + t0) - exp(beta0*_j) |. */
    for (size_t i = 0; i < k; i++) {
        size_t j = v->cell[i];
        double wi = lv->sp * v->w[i];
        r->err_beta1[j] += wi * v->e1[i];
        r->err_a[j] += wi * v->ea[i];
        r->err_b[j] += wi * v->eb[i];
        r->err_sigma2[j] += wi * v->es[i];
        r->err_tau[j] += wi * v->dtau;
    }
    for (size_t j = 0; j < ks; j++)
        r->err_mass[j] = fabs(lv->sp * v->M[j] - v->wstar[j]);
    *out = r;
    return GMOE_OK;
}

/* temperature with the fitted tau estimated: *fitc and *truthc are fit and
 * truth rescaled along the likelihood's invariance (beta, tau) -> c (beta,
 * tau) to gmoe's normalization (centred slopes of unit norm), so that tau
 * and beta1 are compared in one representative whatever the files hold
 * and whatever the fitted experts' labels; otherwise the models as given.
 * GMOE_ENOMEM. */
static int common_scale(const gmoe_model *fit, const gmoe_model *truth, gmoe_model **fitc,
                        gmoe_model **truthc, gmoe_err *err)
{
    *fitc = NULL, *truthc = NULL;
    const gmoe_gating *g = gmoe_gating_get(fit->family);
    if (!(gmoe_family_properties(fit->family) & GMOE_FAMILY_SCALE_FREE) || !fit->tau_estimated ||
        !g->normalize)
        return GMOE_OK;
    *fitc = gmoe_model_clone(fit);
    *truthc = gmoe_model_clone(truth);
    if (!*fitc || !*truthc)
        return gmoe_error(err, GMOE_ENOMEM, "voronoi loss: out of memory");
    (*truthc)->tau_estimated = 1;
    g->normalize(*fitc);
    g->normalize(*truthc);
    return GMOE_OK;
}

/* gmoe_voronoi_loss -- the Voronoi loss of `fit` against `truth`.
 *
 * Inputs: two models of the same family and d (activation: same act and
 * bias placement), finite parameters, sigma2 > 0, tau > 0 where used;
 * opt may be NULL (gmoe_loss_options_default).  The models are only read.
 * Output: on success *out is a new result the caller frees with
 * gmoe_loss_result_free(); on failure *out is NULL.
 * Returns GMOE_OK; GMOE_EINVAL (bad model or option, different family or
 * d, k < k* with GMOE_LOSS_AUTO, out == NULL); GMOE_ENOTSUP (a D2 cell of
 * the untranslated fit needs an unknown rbar); GMOE_ENUMERIC (exp(beta0)
 * or the untranslated loss overflows); GMOE_ENOMEM. */
int gmoe_voronoi_loss(const gmoe_model *fit, const gmoe_model *truth,
                      const gmoe_loss_options *opt, gmoe_loss_result **out,
                      gmoe_err *err)
{
    gmoe_loss_options defopt;
    gmoe_loss_kind kind;
    if (out)
        *out = NULL;
    if (!out)
        return gmoe_error(err, GMOE_EINVAL, "voronoi loss: no result pointer");
    if (!opt) {
        gmoe_loss_options_default(&defopt);
        opt = &defopt;
    }
    int status = check_arguments(fit, truth, opt, &kind, err);
    if (status != GMOE_OK)
        return status;
    vws v = {0};
    loss_values lv = {0};
    gmoe_model *fitc, *truthc;
    if ((status = common_scale(fit, truth, &fitc, &truthc, err)) == GMOE_OK &&
        (status = vws_init(&v, fitc ? fitc : fit, truthc ? truthc : truth, kind, opt->rbar,
                           err)) == GMOE_OK &&
        (status = compute_values(&v, opt, &lv, err)) == GMOE_OK)
        status = make_result(&v, opt, &lv, out, err);
    free(lv.t1);
    vws_free(&v);
    gmoe_model_free(fitc);
    gmoe_model_free(truthc);
    return status;
}
