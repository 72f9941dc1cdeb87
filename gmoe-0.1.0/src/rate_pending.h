/* rate_pending.h -- results.csv rows of cells that finished ahead of their
 * turn (mixrate(1), FILES: pending.csv).  results.csv holds the cells in
 * (N, replicate) order; a run over MPI ranks hands out large N first, so
 * its cells finish out of that order.  A finished cell whose turn has not
 * come is appended, flushed, to OUTDIR/pending.csv (the same row text), so
 * a run killed on any rank loses no finished cell; each row moves to
 * results.csv when the cells before it are there, and the file is removed
 * when the run is complete. */
#ifndef GMOE_RATE_PENDING_H
#define GMOE_RATE_PENDING_H

#include <stddef.h>

typedef struct rate_pending rate_pending;

/* Writes the row of cell c (cells in order) to results.csv; 0 or non-zero
 * to stop. */
typedef int (*rate_row_writer)(void *ctx, size_t c, const char *row, size_t len);

/* Opens OUTDIR/pending.csv for the cells (n[c], rep[c]) of a run whose
 * results.csv holds cells 0..done-1: keeps the complete rows of later
 * cells (a cut last line is dropped; rows of cells already in results.csv
 * are ignored), or empties the file when `fresh` (a new results.csv).
 * Returns an exit code after printing why. */
int rate_pending_open(const char *outdir, const size_t *n, const size_t *rep, size_t ncells, size_t done,
                      int fresh, rate_pending **out);

/* Whether cell c is finished (in results.csv or kept here), and how many
 * cells are. */
int rate_pending_finished(const rate_pending *p, size_t c);
size_t rate_pending_count(const rate_pending *p);

/* The row of cell c: written through `write` when every cell before it is
 * in results.csv (then the kept rows that now follow it), else kept in
 * pending.csv.  `write` is also called with the kept rows that follow
 * results.csv when c is (size_t)-1.  Returns 0, or non-zero when `write`
 * asked to stop or pending.csv could not be written (errno set). */
int rate_pending_put(rate_pending *p, size_t c, const char *row, size_t len, rate_row_writer write, void *ctx);

/* Closes pending.csv, removing it when every cell is in results.csv.
 * Returns 0 or -1 (errno set). */
int rate_pending_close(rate_pending *p);

#endif
