/* newton.h -- the second-order phase of a fit (private interface of
 * newton.c): Levenberg-Marquardt-damped Newton steps on the observed-data
 * log-likelihood, each kept only if it does not lower it, and the final
 * test of a fit (gradient norm, Hessian negative definite). */
#ifndef GMOE_NEWTON_H
#define GMOE_NEWTON_H

#include "gmoe.h"

typedef struct gmoe_newton_ws gmoe_newton_ws;

/* Workspace for models of m's shape (and tau mode) on n rows; NULL when
 * out of memory. */
gmoe_newton_ws *gmoe_newton_ws_alloc(const gmoe_model *m, size_t n);
void gmoe_newton_ws_free(gmoe_newton_ws *nw);

/* *nw if it fits m's shape (its damping reset for a new run, the
 * derivatives kept at the point where an earlier run ended done), else a
 * new workspace into *nw (the old one freed); NULL when out of memory. */
gmoe_newton_ws *gmoe_newton_ws_for(gmoe_newton_ws **nw, const gmoe_model *m, size_t n);

typedef enum {
    GMOE_NEWTON_STEP = 0,   /* a step raised the log-likelihood */
    GMOE_NEWTON_DONE = 1,   /* gradient below the tolerance and no step gains */
    GMOE_NEWTON_STALLED = 2,/* no damped step raised the log-likelihood */
    GMOE_NEWTON_FAILED = 3  /* the derivatives could not be computed */
} gmoe_newton_status;

/* One damped Newton iteration from m (log-likelihood *ll on entry, the
 * new one on return).  grad_tol: max |gradient| / n below which a step
 * that gains nothing means done; var_floor: the variances' floor
 * (absolute). */
gmoe_newton_status gmoe_newton_iterate(gmoe_model *m, const gmoe_data *data, gmoe_newton_ws *nw,
                                       int nthreads, double grad_tol, double var_floor,
                                       double *ll);

/* At a point where the gradient is about zero but the Hessian is not
 * negative definite (a saddle, such as the symmetric set beta1_1 =
 * -beta1_2 of an activation gate): tries steps along the direction of
 * most positive curvature, both ways, several lengths, and keeps the best
 * if it raises the log-likelihood (*ll updated, returns 1). */
int gmoe_newton_escape(gmoe_model *m, const gmoe_data *data, gmoe_newton_ws *nw, int nthreads,
                       double var_floor, double *ll);

/* The final test of a fit at m: *grad_norm = max |gradient| / n over the
 * identified free parameters (log sigma2 for the variances), *nd = 1 if
 * the Hessian there is negative definite, 0 if not.  Parameters whose
 * gradient and Hessian row are exactly zero (a top-K gate with K = 1, an
 * expert never selected) are left out and counted in *null_dirs. */
int gmoe_newton_assess(const gmoe_model *m, const gmoe_data *data, gmoe_newton_ws *nw,
                       int nthreads, double *grad_norm, int *nd, size_t *null_dirs);

#endif
