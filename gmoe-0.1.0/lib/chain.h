/* chain.h -- the sums over rows of a fit over sharded data (gmoe.h:
 * gmoe_shard).  Every sum over all rows that a fit makes goes through
 * here: without a shard it is the plain in-order sum; with one, the
 * shard's chain carries the running sum from process to process in row
 * order, so the additions are those of one process.  Not public. */
#ifndef GMOE_CHAIN_H
#define GMOE_CHAIN_H

#include "gmoe.h"

/* buf (len doubles) is zeroed, then apply(job, buf) runs on it here, or
 * in every process in row order through data->shard.  Returns 0, or
 * GMOE_EINVAL when the shard's chain failed (buf is then NaN). */
int gmoe_chain_run(const gmoe_data *data, double *buf, size_t len, gmoe_chain_apply apply,
                   void *job);

/* sum (width doubles) = the left fold, from zero, of nb blocks of width
 * partial sums (blocks[b * width + u]), continued over every process's
 * blocks in row order when the data are sharded. */
void gmoe_fold_blocks(const gmoe_data *data, const double *blocks, size_t nb, size_t width,
                      double *sum);

/* sum[u] += blocks[b * width + u] for b = 0 .. nb - 1 in order. */
void gmoe_add_blocks(double *sum, const double *blocks, size_t nb, size_t width);

/* What a fit over sharded data cannot do (GMOE_ENOTSUP with a message):
 * case weights (the rows of weight zero are dropped first, which moves
 * the blocks) and the top-K family (its boundary search reads every row
 * in one process).  GMOE_OK for data that are not sharded. */
int gmoe_shard_check(const gmoe_data *data, const gmoe_model *m, gmoe_err *err);

/* The rows of the whole data: data->n, or the shard's n_total. */
size_t gmoe_rows_total(const gmoe_data *data);

/* Whole-data rows rows[0..m) (indices over all processes): their
 * covariates into x (m * d), their gate covariates into gx (m * dg, or
 * NULL) and responses into y (m, or NULL), from whichever process holds
 * them.  Returns 0 or a status (out of memory, a failed chain). */
int gmoe_chain_fetch_rows(const gmoe_data *data, const size_t *rows, size_t m, double *x,
                          double *gx, double *y);

#endif
