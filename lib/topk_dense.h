/* topk_dense.h -- the top-K proposal from the dense softmax gate
 * (topk_dense.c). */
#ifndef GMOE_TOPK_DENSE_H
#define GMOE_TOPK_DENSE_H

#include "engine.h"

/* Non-zero when the proposal below applies to m's shape on data (top-K,
 * K = 1, select = logit, where gmoe_topk_segments_apply does not: several
 * gate covariates). */
int gmoe_topk_dense_applies(const gmoe_model *m, const gmoe_data *data);

/* Up to one proposal (out[0]; *found 0 or 1): m run by EM to its end as a
 * softmax gate with the same parameters, read back as top-1; for the
 * caller to run on and keep only if that ends higher.  GMOE_ENOMEM or
 * GMOE_OK. */
int gmoe_topk_dense_proposals(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                              const gmoe_em_options *opt, gmoe_model **out, size_t nout, size_t *found);

#endif
