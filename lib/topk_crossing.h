/* topk_crossing.h -- the first row a step of the gate moves across a
 * top-K selection boundary (private interface of topk_crossing.c, for
 * topk_face.c). */
#ifndef GMOE_TOPK_CROSSING_H
#define GMOE_TOPK_CROSSING_H

#include "gmoe.h"
#include "params.h"

typedef struct gmoe_topk_crossing gmoe_topk_crossing;

/* NULL when out of memory.  With one gate covariate the rows are sorted
 * by it here, once. */
gmoe_topk_crossing *gmoe_topk_crossing_alloc(const gmoe_model *m, const gmoe_data *data);
void gmoe_topk_crossing_free(gmoe_topk_crossing *c);

/* The runs of rows (in the covariate's order) that select the same
 * experts under m: call after m's gate changed, before the searches. */
void gmoe_topk_crossing_prepare(gmoe_topk_crossing *c, const gmoe_model *m);

/* The first row whose selection the step dir (full length L->P, in m's
 * layout) changes: returns the fraction of the step where it does (>= 1
 * or INFINITY: none), that margin's gradient into grad (L->P, zero when
 * none).  Margins that the step moves only by rounding (rate below 1e-12
 * of the scores' rates) are not crossings. */
double gmoe_topk_first_crossing(gmoe_topk_crossing *c, const gmoe_model *m, const gmoe_layout *L,
                                const double *dir, double *grad);

#endif
