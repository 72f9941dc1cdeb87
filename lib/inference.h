/* inference.h -- private interface between inference.c (standard errors
 * of a fit), identify.c (what is not identified) and bootstrap.c. */
#ifndef GMOE_INFERENCE_H
#define GMOE_INFERENCE_H

#include <stddef.h>

#include "gmoe.h"
#include "params.h"

/* A growing message (the record's note). */
typedef struct {
    char s[4096];
    size_t len;
} gmoe_note;

void gmoe_note_add(gmoe_note *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Eigen-analysis of the information A (P x P, minus the Hessian) scaled
 * to unit diagonal; temperature with tau estimated: the scale direction
 * fixed by ||beta1 - mean||_F = 1 removed.  Returns the ratio of the smallest
 * eigenvalue to the largest (<= 0: not a maximum), or NaN when LAPACK
 * fails; writes the directions whose ratio is below `tol` to the note,
 * each by its largest entries.  GMOE_ENOMEM as -INFINITY. */
double gmoe_identify_directions(const gmoe_model *m, const gmoe_layout *L, const double *A,
                                double tol, gmoe_note *note);

/* Adds the experts that explain a singular information: tiny ones
 * (responsibilities summing to less than d + 2) and near-duplicate pairs
 * (regression lines within half a standard deviation on average over the
 * rows, variances within a factor 1.65). */
void gmoe_identify_experts(const gmoe_model *m, const gmoe_data *data, gmoe_note *note);

/* top-K with K = 1 and d = 1: the covariate values (between rows) where
 * the selected expert changes. */
void gmoe_identify_boundaries(const gmoe_model *m, const gmoe_data *data, gmoe_note *note);

/* Label switching (expert_match.c).  perm[i]: the expert of m that
 * matches reference expert i, the permutation minimizing the sum of
 * squared distances of (a, b, sqrt sigma2), each component scaled by its
 * spread over the reference's experts (exhaustive for k <= 8, greedy
 * beyond).  gmoe_model_permute puts m's experts in that order, translates
 * the gate so that the new last expert's pinned entries are zero, and
 * applies the family's normalization.  GMOE_ENOMEM. */
int gmoe_match_experts(const gmoe_model *ref, const gmoe_model *m, size_t *perm);
int gmoe_model_permute(gmoe_model *m, const size_t *perm);

#endif
