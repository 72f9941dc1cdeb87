/* derivatives.h -- the observed-data log-likelihood's gradient, Hessian
 * and per-row scores in the free parameters of MODELS.md section 4
 * (params.h), analytic, for every family (private interface; the public
 * entry points are gmoe_loglik_derivatives and gmoe_covariance). */
#ifndef GMOE_DERIVATIVES_H
#define GMOE_DERIVATIVES_H

#include "gmoe.h"
#include "params.h"

/* What to compute; every pointer may be NULL (not computed). */
typedef struct {
    double loglik;   /* always */
    double *grad;    /* P */
    double *hess;    /* P*P, row-major, both triangles */
    double *opg;     /* P*P: sum over rows of score score' (sandwich's J) */
    double *scores;  /* n*P: each row's score */
} gmoe_derivs;

/* Fills out for model m on data (y required, m valid) over fixed chunks
 * of rows summed in order, so the numbers do not depend on nthreads.
 * Returns GMOE_OK, GMOE_ENOMEM, or GMOE_ENUMERIC when the log-likelihood
 * is not finite (out->loglik says which). */
int gmoe_derivs_compute(const gmoe_model *m, const gmoe_data *data, int nthreads,
                        gmoe_derivs *out);

/* gmoe_covariance's covariance from an information at hand: A (minus the
 * Hessian; overwritten) and for the sandwich J (else NULL), so that a
 * caller holding them makes no second pass over the rows.  GMOE_ESING
 * (not positive definite, with gmoe_covariance's message), GMOE_ENOMEM. */
int gmoe_covariance_of(const gmoe_model *m, double *A, const double *J, double *cov, gmoe_err *err);

#endif
