/* topk_lines.h -- moves of one expert's gate along a direction and the
 * exact points where they change some row's selection (private interface
 * of topk_lines.c, for topk_starts.c and topk_refit.c). */
#ifndef GMOE_TOPK_LINES_H
#define GMOE_TOPK_LINES_H

#include <stddef.h>

#include "gmoe.h"

/* A direction of expert i's gate: u = 0 its bias; u >= 1 its slope on
 * gate covariate u - 1, turned about the point x_{u-1} = pivot (the bias
 * moves by -pivot per unit of slope, so the logit there stays put).  For
 * the pinned last expert the opposite move of every other expert. */
typedef struct {
    size_t i, u;
    double pivot;
} gmoe_topk_dir;

/* The shifts along dir where some row's selection changes, sorted, into
 * bp (n doubles); returns how many.  s: 2k doubles of scratch. */
size_t gmoe_topk_breakpoints(const gmoe_model *m, const gmoe_data *data, const gmoe_topk_dir *dir,
                             double *s, double *bp);

/* Moves m's gate by delta along dir. */
void gmoe_topk_shift(gmoe_model *m, const gmoe_topk_dir *dir, double delta);

/* The shift to the middle of the interval between breakpoints j and
 * j + 1 (j = -1: before the first, nb - 1: past the last). */
double gmoe_topk_candidate(const double *bp, size_t nb, ptrdiff_t j);

/* The interval holding shift 0 (bp[j] < 0 <= bp[j + 1]). */
ptrdiff_t gmoe_topk_interval_of_zero(const double *bp, size_t nb);

/* The log-likelihood (or what stands for it) of the model moved by
 * delta along a direction: a line search's judge. */
typedef double (*gmoe_topk_judge)(void *ctx, double delta);

/* A line search over the intervals between the sorted breakpoints bp:
 * ladders of rank offsets (1, 2, 3, 4, 6, 8, ...; with coarse, 1, 2, 4,
 * 8, ...) around the interval `here` holding the current value, then
 * finer ladders around the best found.  Returns the best interval (here
 * if none beats *best_ll, which is updated). */
ptrdiff_t gmoe_topk_line_search(gmoe_topk_judge judge, void *ctx, const double *bp, size_t nb,
                                ptrdiff_t here, int coarse, double *best_ll);

#endif
