/* mpi_shard.h -- mixfit --shard (mixfit(1), "One fit over sharded data"):
 * one fit whose rows are spread over the MPI ranks.  Each rank keeps its
 * part of the rows and libgmoe's sums over rows pass from rank to rank
 * in row order through the gmoe_shard hook (gmoe.h): rank r receives the
 * running sum from rank r - 1, adds its rows' terms, sends it to r + 1,
 * and the last rank broadcasts the total.  The fit is then one
 * process's fit to the bit when every rank's first row is a multiple of
 * 512 (lib/internal.h: GMOE_BLOCK_ROWS). */
#ifndef GMOE_MPI_SHARD_H
#define GMOE_MPI_SHARD_H

#include "gmoe.h"

enum { SHARD_NONE, SHARD_ROWS, SHARD_FILES };

/* --shard rows|files into *mode; an exit code (usage) when neither. */
int mpi_shard_parse(const char *arg, int *mode);

/* The data file this rank reads: with SHARD_FILES, path with its first
 * "%d" replaced by the rank (a new string; NULL and an error printed when
 * path has no "%d"); otherwise a copy of path. */
char *mpi_shard_path(int mode, const char *path);

/* Every rank's read status st (an exit code, 0 for success): the largest
 * of them, the same on every rank (a rank that failed has printed why;
 * rank 0 names the first rank that failed). */
int mpi_shard_agree(int st);

/* Makes data this rank's shard: SHARD_ROWS keeps this rank's blocks of
 * 512 rows of the whole data (every rank read all of it); SHARD_FILES
 * counts the rows before this rank's.  *shard is filled and data->shard
 * set to it.  Returns an exit code (the same on every rank). */
int mpi_shard_attach(int mode, gmoe_data *data, gmoe_shard *shard);

/* With GMOE_SHARD_STATS set: rank 0 prints the chains made, and the
 * messages and bytes every rank sent and received, to stderr. */
void mpi_shard_report(void);

#endif
