/* derivs_block.h -- the observed log-likelihood's gradient and Hessian
 * sums over a block of rows by columns, for gates of linear logits
 * (private interface of derivs_block.c, used by derivatives.c). */
#ifndef GMOE_DERIVS_BLOCK_H
#define GMOE_DERIVS_BLOCK_H

#include "gmoe.h"

/* What to add: P free parameters, the gradient and/or the Hessian. */
typedef struct {
    size_t P;
    int grad, hess;
} gmoe_derivs_block_want;

/* Non-zero when m's gate has linear logits with the last expert pinned
 * and no parameter besides (softmax; top-K, given the selection;
 * temperature with tau fixed). */
int gmoe_derivs_block_applies(const gmoe_model *m);

/* Doubles of scratch gmoe_derivs_block needs for m. */
size_t gmoe_derivs_block_scratch(const gmoe_model *m);

/* Rows lo..hi-1 (at most GMOE_BLOCK_ROWS) of data into acc, laid out as
 * derivatives.c's sums: the log-likelihood, the gradient (P), the upper
 * triangle of the Hessian (P*P, row-major), each parameter in
 * derivatives.c's internal order (the gate's free entries (expert m, u)
 * at m (dg + 1) + u, then expert j's a, b and sigma2 from
 * (k - 1)(dg + 1) + j (d + 2)). */
void gmoe_derivs_block(const gmoe_model *m, const gmoe_data *data, size_t lo, size_t hi,
                       const gmoe_derivs_block_want *want, double *acc, double *scratch);

#endif
