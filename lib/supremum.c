/* supremum.c -- is an end that passes the gradient test a maximum, or a
 * supremum approached as a gate step sharpens without bound?  (issue 11
 * item 4; shared MODELS.md section 4: "converged" is a maximum.)
 *
 * When the gate's logits of two experts differ by a steep step (the
 * separable-gate note of fit_notes.c), the fit can end with the gradient
 * below the test and a negative definite Hessian while the log-likelihood
 * still rises, by ever smaller amounts, as the step sharpens: every row
 * near the boundary is better explained by the expert on its own side, so
 * no finite gate parameter attains the supremum.  The gradient test
 * passes only because the gradient has become tiny.
 *
 * The test is a ray: for each ordered pair of experts (i, r) whose logit
 * difference changes by more than STEEP_LOGIT over one sd of a gate
 * covariate, expert i's gate parameters are moved to r's plus SHARPEN
 * times their difference (the boundary where the two logits meet stays
 * where it is; i's others move by at most their logit difference over the
 * steep slope) and the log-likelihood recomputed, then again at
 * SHARPEN^2.  If it does not fall, beyond rounding, at either, the end is
 * a supremum along that ray.  At an interior maximum the rows inside the
 * transition band make a sharper step cost likelihood (one row in the
 * band already costs far more than the rounding allowance).
 *
 * A factor level's indicator in the gate is its own boundary: when its
 * rows all belong to one expert, the level's slope runs off alone while
 * the rest of the gate is an interior maximum, so a steep level slope is
 * also sharpened alone (issue 11: a 61-row level of 2000 reported
 * "converged" with the slope -27, se 8.7e4).
 *
 * Softmax and temperature gates (GMOE_FAMILY_SPLITS: dense, logits
 * linear in the parameters, the last expert's pinned to zero) pair by
 * pair.  The activation gate's logits are not linear in beta1, but tau
 * divides every activation: tau running to 0 with every boundary kept
 * (beta0 scaled with 1 / tau when it is outside the activation) is its
 * ray.  Top-K is not tested (K = 1 has its own stop). */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "engine.h"
#include "gmoe.h"
#include "internal.h"

/* A logit change over one sd of a gate covariate (over the contrast 1
 * for a factor level's indicator) beyond which the pair is tested: below
 * the separable note's 30, so every noted pair is tested. */
#define STEEP_LOGIT 10.0
#define SHARPEN 2.0
/* What "does not fall" allows for the rounding of a sum of n terms. */
#define ROUNDING_REL 1e-10

/* The gate covariates' spreads (gsd) and which are a factor level's
 * indicator (level: 1, else 0; its spread is then the contrast between
 * the level and the reference, 1, as the separable note has it: the sd of
 * a rare level's indicator is small, and its slope would never look
 * steep). */
static void gate_spreads(const gmoe_data *data, size_t dg, double *mean, double *gsd, double *level)
{
    char *const *names = data->gate_own ? data->gxnames : data->xnames;
    gmoe_column_spreads(data, gmoe_data_gate_x(data), dg, mean, gsd);
    for (size_t u = 0; u < dg; u++) {
        level[u] = names && gmoe_factor_is_indicator(data->factors, data->nfactors, names[u]);
        gsd[u] = level[u] ? 1.0 : gsd[u];
    }
}

/* The change of the logit difference of experts i and r over one spread
 * of gate covariate u (tau divides the logits). */
static double coordinate_steepness(const gmoe_model *m, size_t i, size_t r, size_t u, const double *gsd)
{
    double scale = gmoe_family_has_tau(m->family) ? m->tau : 1.0;
    return fabs(m->beta1[i * m->dg + u] - m->beta1[r * m->dg + u]) / scale * gsd[u];
}

/* A ray along which the gate's steps sharpen in place: pair (i, r) in the
 * gate coordinates first..last (0 the bias, u + 1 the slope of covariate
 * u), or (whole) every logit difference at once through tau. */
typedef struct {
    size_t i, r, first, last;
    int whole;
} ray;

/* trial = m sharpened c times along the ray.  A pair: expert i's gate
 * against r's; when i is the pinned last expert every other expert takes
 * the opposite shift (the softmax is unchanged by a common shift of the
 * logits).  Whole (activation): tau / c scales act(.) / tau, and beta0
 * goes c times with it when the bias is outside the activation. */
static void sharpen(const gmoe_model *m, gmoe_model *trial, const ray *y, double c)
{
    size_t k = m->k, dg = m->dg;
    if (y->whole) {
        trial->tau = m->tau / c;
        for (size_t l = 0; m->bias == GMOE_BIAS_OUTSIDE && l < k; l++)
            trial->beta0[l] = c * m->beta0[l];
        return;
    }
    for (size_t u = y->first; u <= y->last; u++) {
        const double *src = u ? m->beta1 + (u - 1) : m->beta0;
        double *dst = u ? trial->beta1 + (u - 1) : trial->beta0;
        size_t step = u ? dg : 1, i = y->i;
        double shift = (c - 1) * (src[i * step] - src[y->r * step]); /* expert i's change */
        for (size_t l = 0; l + 1 < k; l++)
            dst[l * step] = src[l * step] + (i + 1 == k ? -shift : l == i ? shift : 0.0);
    }
}

/* 1 when sharpening along the ray SHARPEN and SHARPEN^2 times loses no
 * more than rounding; trial holds a copy of m and is restored. */
static int is_ray(const gmoe_model *m, gmoe_model *trial, const gmoe_data *data, const ray *y, double loglik,
                  int nthreads)
{
    double allow = ROUNDING_REL * (1.0 + fabs(loglik));
    int up = 1;
    for (double c = SHARPEN; up && c <= SHARPEN * SHARPEN; c *= SHARPEN) {
        sharpen(m, trial, y, c);
        double ll = NAN;
        gmoe_err e;
        up = gmoe_loglik(trial, data, nthreads, &ll, &e) == GMOE_OK && isfinite(ll) && ll >= loglik - allow;
    }
    sharpen(m, trial, y, 1.0);
    return up;
}

/* Pair (i, r): the whole logit difference sharpened when it is steep in
 * some covariate (the boundary where the two logits meet kept); and a
 * factor level's slope alone when it is steep (that level is the
 * boundary: its rows go to one expert). */
static int pair_supremum(const gmoe_model *m, gmoe_model *trial, const gmoe_data *data, size_t i, size_t r,
                         const double *gsd, const double *level, double loglik, int nthreads)
{
    int steep = 0;
    for (size_t u = 0; u < m->dg; u++)
        steep |= coordinate_steepness(m, i, r, u, gsd) > STEEP_LOGIT;
    ray y = {i, r, 0, m->dg, 0};
    if (!steep || is_ray(m, trial, data, &y, loglik, nthreads))
        return steep;
    for (size_t u = 0; u < m->dg; u++) {
        ray lv = {i, r, u + 1, u + 1, 0};
        if (level[u] && coordinate_steepness(m, i, r, u, gsd) > STEEP_LOGIT &&
            is_ray(m, trial, data, &lv, loglik, nthreads))
            return 1;
    }
    return 0;
}

/* Activation: when some expert's act(beta1'x) / tau changes by more than
 * STEEP_LOGIT over a spread (act' is at most 1), tau running to 0 with the
 * boundaries kept. */
static int activation_supremum(const gmoe_model *m, gmoe_model *trial, const gmoe_data *data, const double *gsd,
                               double loglik, int nthreads)
{
    int steep = 0;
    for (size_t i = 0; i < m->k; i++)
        for (size_t u = 0; u < m->dg; u++)
            steep |= fabs(m->beta1[i * m->dg + u]) / m->tau * gsd[u] > STEEP_LOGIT;
    ray y = {0, 0, 0, 0, 1};
    return steep && is_ray(m, trial, data, &y, loglik, nthreads);
}

int gmoe_gate_supremum(const gmoe_model *m, const gmoe_data *data, double loglik, int nthreads,
                       int *supremum)
{
    *supremum = 0;
    /* the families that split are the dense gates with linear logits */
    int pairs = (gmoe_family_properties(m->family) & GMOE_FAMILY_SPLITS) != 0;
    if (!(pairs || m->family == GMOE_ACTIVATION) || m->k < 2 || m->dg == 0 || !isfinite(loglik))
        return GMOE_OK;
    double *mom = malloc(3 * m->dg * sizeof(double));
    gmoe_model *trial = mom ? gmoe_model_clone(m) : NULL;
    if (!trial) {
        free(mom);
        return GMOE_ENOMEM;
    }
    gate_spreads(data, m->dg, mom, mom + m->dg, mom + 2 * m->dg);
    if (!pairs)
        *supremum = activation_supremum(m, trial, data, mom + m->dg, loglik, nthreads);
    for (size_t i = 0; pairs && i < m->k && !*supremum; i++)
        for (size_t r = 0; r < m->k && !*supremum; r++)
            if (r != i)
                *supremum = pair_supremum(m, trial, data, i, r, mom + m->dg, mom + 2 * m->dg, loglik, nthreads);
    gmoe_model_free(trial);
    free(mom);
    return GMOE_OK;
}
