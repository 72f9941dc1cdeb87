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
 * Softmax and temperature gates only (GMOE_FAMILY_SPLITS: dense, logits
 * linear in the parameters, the last expert's pinned to zero); activation
 * and top-K are not tested. */
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

/* trial = m with expert i's gate sharpened c times against r's in the
 * gate coordinates first..last (0 the bias, u + 1 the slope of covariate
 * u).  When i is the pinned last expert every other expert takes the
 * opposite shift (the softmax is unchanged by a common shift of the
 * logits). */
static void sharpen_pair(const gmoe_model *m, gmoe_model *trial, size_t i, size_t r, double c, size_t first,
                         size_t last)
{
    size_t k = m->k, dg = m->dg;
    for (size_t u = first; u <= last; u++) {
        const double *src = u ? m->beta1 + (u - 1) : m->beta0;
        double *dst = u ? trial->beta1 + (u - 1) : trial->beta0;
        size_t step = u ? dg : 1;
        double shift = (c - 1) * (src[i * step] - src[r * step]); /* expert i's change */
        for (size_t l = 0; l + 1 < k; l++)
            dst[l * step] = src[l * step] + (i + 1 == k ? -shift : l == i ? shift : 0.0);
    }
}

/* 1 when sharpening pair (i, r) in coordinates first..last SHARPEN and
 * SHARPEN^2 times loses no more than rounding; trial holds a copy of m
 * and is restored. */
static int pair_is_ray(const gmoe_model *m, gmoe_model *trial, const gmoe_data *data, size_t i, size_t r,
                       size_t first, size_t last, double loglik, int nthreads)
{
    double allow = ROUNDING_REL * (1.0 + fabs(loglik));
    int ray = 1;
    for (double c = SHARPEN; ray && c <= SHARPEN * SHARPEN; c *= SHARPEN) {
        sharpen_pair(m, trial, i, r, c, first, last);
        double ll = NAN;
        gmoe_err e;
        ray = gmoe_loglik(trial, data, nthreads, &ll, &e) == GMOE_OK && isfinite(ll) &&
              ll >= loglik - allow;
    }
    sharpen_pair(m, trial, i, r, 1.0, first, last);
    return ray;
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
    if (!steep)
        return 0;
    if (pair_is_ray(m, trial, data, i, r, 0, m->dg, loglik, nthreads))
        return 1;
    for (size_t u = 0; u < m->dg; u++)
        if (level[u] && coordinate_steepness(m, i, r, u, gsd) > STEEP_LOGIT &&
            pair_is_ray(m, trial, data, i, r, u + 1, u + 1, loglik, nthreads))
            return 1;
    return 0;
}

int gmoe_gate_supremum(const gmoe_model *m, const gmoe_data *data, double loglik, int nthreads,
                       int *supremum)
{
    *supremum = 0;
    /* the families that split are the dense gates with linear logits */
    if (!(gmoe_family_properties(m->family) & GMOE_FAMILY_SPLITS) || m->k < 2 || m->dg == 0 ||
        !isfinite(loglik))
        return GMOE_OK;
    double *mom = malloc(3 * m->dg * sizeof(double));
    gmoe_model *trial = mom ? gmoe_model_clone(m) : NULL;
    if (!trial) {
        free(mom);
        return GMOE_ENOMEM;
    }
    gate_spreads(data, m->dg, mom, mom + m->dg, mom + 2 * m->dg);
    for (size_t i = 0; i < m->k && !*supremum; i++)
        for (size_t r = 0; r < m->k && !*supremum; r++)
            if (r != i)
                *supremum = pair_supremum(m, trial, data, i, r, mom + m->dg, mom + 2 * m->dg, loglik, nthreads);
    gmoe_model_free(trial);
    free(mom);
    return GMOE_OK;
}
