/* topk_select.h -- which experts a top-K gate selects (private interface
 * of topk_select.c, for the boundary moves). */
#ifndef GMOE_TOPK_SELECT_H
#define GMOE_TOPK_SELECT_H

#include "gmoe.h"

/* The selection scores of the k experts at x into s (gating_topk.c's
 * rule: beta1'x, plus beta0 with select = logit). */
void gmoe_topk_scores(const gmoe_model *m, const double *x, double *s);

/* Non-zero if expert j is among the top_k largest scores s (ties to the
 * lower index, as gating_topk.c). */
int gmoe_topk_is_selected(const gmoe_model *m, const double *s, size_t j);

/* Which experts the scores s select (1 or 0 into sel, k), as
 * gmoe_topk_is_selected but in one pass for K <= 2. */
void gmoe_topk_selected(const gmoe_model *m, const double *s, double *sel);

/* k up to which callers may keep sel on the stack */
#define GMOE_TOPK_FAST 16

/* The smallest share of the rows (weighted by the case weights) that
 * select any one expert; s: 2k doubles of scratch. */
/* The share below which no top-K move leaves an expert (fit_notes' tiny
 * mass): every move of topk_*.c keeps each expert selected on at least
 * this share of the rows, or on no fewer than before. */
#define GMOE_TOPK_MIN_SHARE 0.01
double gmoe_topk_smallest_share(const gmoe_model *m, const gmoe_data *data, double *s);

/* One gate covariate: the rows sorted by it (ties by row) into order (n
 * row indices) and xs (n values).  GMOE_ENOMEM or GMOE_OK. */
int gmoe_topk_sort_rows(const gmoe_data *data, size_t *order, double *xs);

/* One gate covariate, its values sorted in xs (n): the ends of expert
 * i's selection runs (the middle between the last row of a run and the
 * next row), at most max_ends, into ends; returns how many.  s: 2k
 * doubles of scratch. */
size_t gmoe_topk_region_ends(const gmoe_model *m, const double *xs, size_t n, size_t i, double *s,
                             double *ends, size_t max_ends);

/* the most ends the boundary moves turn an expert's slope about */
#define GMOE_TOPK_MAX_ENDS 8

#endif
