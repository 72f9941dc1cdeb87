/* fit_scale.h -- covariates and a response of extreme magnitude fitted
 * on a copy scaled by powers of two (fit_scale.c); used by gmoe_fit. */
#ifndef GMOE_FIT_SCALE_H
#define GMOE_FIT_SCALE_H

#include "gmoe.h"

typedef struct {
    int active;       /* 0: no column needed it, fit the data as they are */
    gmoe_data data;   /* the copy: x (and y when yscale != 1) scaled, the
                         names shared */
    gmoe_model *init; /* the starting model on the copy's scale, or NULL */
    double *scale;    /* d factors, powers of two: copy x = x / scale */
    double *gscale;   /* dg factors of the gate's own covariates (data
                         gate_own), else NULL: the gate's are scale */
    double yscale;    /* a power of two: copy y = y / yscale (1: y as is) */
    double ylog;      /* (sum of the weights) log(yscale): the copy's
                         log-likelihood is the data's plus this */
} gmoe_fit_scaling;

/* Fills s (s->active = 0 when every covariate's largest magnitude is
 * within [2^-64, 2^64] and the response's within [2^-32, 2^32], or the
 * data or init are not of a fit: the fit's own checks report those).
 * GMOE_ENOMEM. */
int gmoe_fit_scaling_make(const gmoe_data *data, const gmoe_model *init, gmoe_fit_scaling *s,
                          gmoe_err *err);

/* Puts m, fitted on s->data, on the data's scale: the slopes of covariate
 * j (gate beta1 and expert a; with gate covariates of their own, beta1
 * by gscale) divided by its factor, which leaves every
 * product beta1'x and a'x, hence the fit, unchanged; the experts' lines
 * times yscale and variances times its square, the log-likelihood less
 * s->ylog and the criteria (AIC, BIC, ICL) more by twice that.
 * GMOE_ENUMERIC naming the covariate when a slope is beyond a double on
 * that scale. */
int gmoe_fit_scaling_restore(const gmoe_fit_scaling *s, gmoe_model *m, gmoe_err *err);

/* For the standard errors of a model m on the data's scale, given as
 * init to gmoe_fit_scaling_make: s->init (m on the copy's scale) put at
 * the family's normalization on the copy's scale (temperature with tau
 * estimated: ||beta1 - mean||_F = 1 there, where m's own would put the copy's
 * gate beyond a double).  Nothing when s is not active. */
void gmoe_fit_scaling_normalize_init(gmoe_fit_scaling *s);

/* The covariance cov (P x P, row-major, the free parameters in params.h's
 * order) of s->init, normalized, put on the data's scale as diag(e) cov
 * diag(e), m being the model there (its gmoe_fit_scaling_restore): cov
 * stays on the copy's scale (its entries may be beyond a double on the
 * data's: y times 1e-100, var(sigma2) about 1e-405), e[P] gets the
 * factors, so that se_j = |e_j| sqrt(cov_jj).  The parameters are linear
 * in the scale factors: beta1 by 1 / its covariate's factor, a by
 * yscale / its covariate's, b by yscale, sigma2 by yscale^2, beta0 and
 * tau by 1; temperature with tau estimated: the gate and tau also by the
 * normalization's ratio (m's tau over the copy's), and cov projected along
 * the invariant scale (a direction of the copy's tangent space need not
 * be one of the data's).  e = 1 when s is not active.  GMOE_ENOMEM. */
int gmoe_fit_scaling_map_cov(const gmoe_fit_scaling *s, const gmoe_model *m, double *cov,
                             double *e);

void gmoe_fit_scaling_free(gmoe_fit_scaling *s);

#endif
