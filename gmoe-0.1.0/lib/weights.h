/* weights.h -- case weights of a gmoe_data (weights.c): the copy of the
 * rows with positive weight that a fit works on (private interface; the
 * public entry points are gmoe_data_check_weights and
 * gmoe_data_total_weight). */
#ifndef GMOE_WEIGHTS_H
#define GMOE_WEIGHTS_H

#include "gmoe.h"

/* The rows of data a fit uses.  Without weights, or when no weight is
 * zero, p->data is *data itself (shared arrays, nothing allocated);
 * otherwise p->data holds copies of the rows whose weight is > 0 (x, y
 * and w malloc'd, the names shared).  A zero-weight row contributes
 * nothing to any sum, and dropping it keeps the engine's checks (enough
 * rows, constant covariates) and its random starts on the rows that
 * count.  GMOE_ENOMEM. */
typedef struct {
    gmoe_data data;
    int copied;
} gmoe_weighted_rows;

int gmoe_weighted_rows_make(const gmoe_data *data, gmoe_weighted_rows *p, gmoe_err *err);
void gmoe_weighted_rows_free(gmoe_weighted_rows *p);

#endif
