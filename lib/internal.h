/* internal.h -- helpers shared by libgmoe's translation units (not installed). */
#ifndef GMOE_INTERNAL_H
#define GMOE_INTERNAL_H

#include "gmoe.h"

/* Rows per block in the parallel loops.  Partial sums are formed per block
 * and combined in block order, so results do not depend on the number of
 * threads (only on this constant). */
#define GMOE_BLOCK_ROWS 512

#define GMOE_LOG_2PI 1.8378770664093454836

/* Sets err (if not NULL) to code and a printf-style message; returns code. */
int gmoe_error(gmoe_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* log(sum exp(v[i])) over n entries, stable; -INFINITY if all are. */
double gmoe_logsumexp(const double *v, size_t n);

/* Returns log(sum exp(v[i])) and sets w[i] = exp(v[i] - lse) (the
 * normalized weights) with one exp per entry; w may alias v. */
double gmoe_logsumexp_weights(const double *v, size_t n, double *w);

/* v[i] -= log(sum exp(v)): logits become log-probabilities. */
void gmoe_log_normalize(double *v, size_t n);

/* log N(y; mu, s2). */
double gmoe_log_normal(double y, double mu, double s2);

/* Expert mean a_i'x + b_i. */
double gmoe_expert_mean(const gmoe_model *m, size_t i, const double *x);

/* Copies parameters, family options and fit information (not the names)
 * between models of the same k and d; never allocates. */
void gmoe_model_copy_params(gmoe_model *dst, const gmoe_model *src);

/* strdup that returns NULL for NULL. */
char *gmoe_strdup(const char *s);

/* nthreads <= 0 means the OpenMP default; always >= 1. */
int gmoe_resolve_threads(int nthreads);

/* Number of blocks of GMOE_BLOCK_ROWS covering n rows. */
static inline size_t gmoe_nblocks(size_t n)
{
    return (n + GMOE_BLOCK_ROWS - 1) / GMOE_BLOCK_ROWS;
}

#endif
