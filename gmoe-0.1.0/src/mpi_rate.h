/* mpi_rate.h -- mixrate's cells over MPI ranks (mixrate(1), "Over MPI
 * ranks").  Rank 0 leads: it hands the cells out one at a time, largest N
 * first, to whichever thread of whichever rank asks next (its own threads
 * too), and receives each finished cell's results.csv row; a coordinating
 * thread on rank 0 answers the other ranks.  Every rank runs its cells on
 * --threads threads, each fit single-threaded, so a cell's row does not
 * depend on where it ran.  The rows of rank 0 and of the others are
 * formatted alike (rate_results_row), so results.csv is the same bytes as
 * a single-process run's apart from the seconds column.  Needs a build
 * with --with-mpi; without it mpi_rate_lead and mpi_rate_work are never
 * called (mpi_size() is 1). */
#ifndef GMOE_MPI_RATE_H
#define GMOE_MPI_RATE_H

#include "gmoe.h"

/* Called on rank 0, one call at a time, for each finished cell (any
 * order): its position i in the lead's n[] and rep[], its row, and its
 * status and the library's message.  Returns non-zero to stop the run. */
typedef int (*mpi_rate_arrival)(void *ctx, size_t i, const char *row, size_t len, int status,
                                const char *message);

/* Rank 0: runs cells (n[i], rep[i]), i = 0..ncells-1, over all ranks.
 * A cell that fails with a status that is not recoverable
 * (gmoe_rate_cell_recoverable) stops the handing out; the cells already
 * running still arrive, and that status is returned with its message in
 * err.  Returns GMOE_OK, that status, or GMOE_EINVAL when arrival asked
 * to stop. */
int mpi_rate_lead(const gmoe_model *truth, const gmoe_rate_options *ro, uint64_t master, const size_t *n,
                  const size_t *rep, size_t ncells, int nthreads, mpi_rate_arrival arrival, void *ctx,
                  gmoe_err *err);

/* Ranks 1..P-1: run the cells rank 0 hands out until it says stop.
 * Returns GMOE_OK or GMOE_ENOMEM. */
int mpi_rate_work(const gmoe_model *truth, const gmoe_rate_options *ro, uint64_t master, int nthreads);

#endif
