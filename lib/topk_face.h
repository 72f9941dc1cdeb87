/* topk_face.h -- Newton steps of a top-K fit that keep every row's
 * selected set (private interface of topk_face.c, for topk_starts.c). */
#ifndef GMOE_TOPK_FACE_H
#define GMOE_TOPK_FACE_H

#include "gmoe.h"
#include "topk_select.h"

/* Up to max_steps Newton iterations on the observed log-likelihood (*ll
 * on entry, the new one on return) of the top-K model m, each step
 * constrained so that no row's selected set changes and kept only if it
 * raises the log-likelihood; variances kept >= var_floor (absolute).
 * Stops early when an iteration gains less than 1e-10 per row.
 * GMOE_ENOMEM on allocation failure, else GMOE_OK. */
int gmoe_topk_face_steps(gmoe_model *m, const gmoe_data *data, int nthreads, double var_floor,
                         size_t max_steps, double *ll);

#endif
