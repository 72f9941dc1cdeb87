/* mpi_fit.c -- see mpi_fit.h. */
#include "config.h"

#include "mpi_fit.h"
#include "mpi_session.h"

#ifdef GMOE_MPI
#include <mpi.h>

int mpi_share_starts(void *ctx, size_t nstarts, size_t width, unsigned char *out,
                     void (*run)(void *job, size_t r, unsigned char *out), void *job)
{
    (void)ctx;
    size_t rank = (size_t)mpi_rank(), size = (size_t)mpi_size();
    for (size_t r = rank; r < nstarts; r += size)
        run(job, r, out + r * width);
    for (size_t r = 0; r < nstarts; r++)
        if (MPI_Bcast(out + r * width, (int)width, MPI_BYTE, (int)(r % size), MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    return 0;
}

#else /* never called: one rank */

int mpi_share_starts(void *ctx, size_t nstarts, size_t width, unsigned char *out,
                     void (*run)(void *job, size_t r, unsigned char *out), void *job)
{
    (void)ctx;
    for (size_t r = 0; r < nstarts; r++)
        run(job, r, out + r * width);
    return 0;
}

#endif
