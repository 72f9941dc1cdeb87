/* mpi_fit.h -- mixfit's starts over MPI ranks (mixfit(1), "Over MPI
 * ranks"): the gmoe_em_options.share_starts hook.  Rank r runs starts r,
 * r + P, r + 2P, ... of each fit; each start's outcome is then broadcast
 * from its rank, in start order, so that every rank holds all of them and
 * libgmoe keeps the same best run as one process would. */
#ifndef GMOE_MPI_FIT_H
#define GMOE_MPI_FIT_H

#include <stddef.h>

/* gmoe_em_options.share_starts over MPI_COMM_WORLD (ctx unused).  Only in
 * a build with MPI, started by mpirun with more than one rank. */
int mpi_share_starts(void *ctx, size_t nstarts, size_t width, unsigned char *out,
                     void (*run)(void *job, size_t r, unsigned char *out), void *job);

#endif
