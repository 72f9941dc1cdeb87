/* mpi_session.c -- see mpi_session.h. */
#include "config.h"

#include "cli.h"
#include "mpi_session.h"

#ifdef GMOE_MPI
#include <mpi.h>
#include <stdlib.h>

static int started, ended, rank, size = 1, start_given;

/* Whether a launcher (mpirun, srun) started this process: a tool run on
 * its own does not start MPI (no singleton start-up, and the fuzz targets
 * call main() many times). */
static int launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE");
}

int mpi_session_start(int *argc, char ***argv)
{
    int provided;
    if (started || ended || !launched())
        return CLI_EXIT_OK;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
        cli_error("MPI_Init_thread failed");
        return CLI_EXIT_ESTIMATION;
    }
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (provided < MPI_THREAD_SERIALIZED && size > 1) {
        cli_error("the MPI library gives thread level %d, below MPI_THREAD_SERIALIZED", provided);
        return CLI_EXIT_ESTIMATION;
    }
    return CLI_EXIT_OK;
}

void mpi_session_end(void)
{
    if (!started)
        return;
    if (rank == 0)
        mpi_give_start(0);
    MPI_Finalize();
    started = 0;
    ended = 1;
    rank = 0;
    size = 1;
}

void mpi_session_abort(int code)
{
    if (started)
        MPI_Abort(MPI_COMM_WORLD, code);
}

int mpi_rank(void)
{
    return rank;
}

int mpi_size(void)
{
    return size;
}

void mpi_give_start(int go)
{
    if (start_given || size < 2 || rank != 0)
        return;
    start_given = 1;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
}

int mpi_wait_start(void)
{
    int go = 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return go;
}

#else /* one process */

int mpi_session_start(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return CLI_EXIT_OK;
}

void mpi_session_end(void) {}

void mpi_session_abort(int code)
{
    (void)code;
}

int mpi_rank(void)
{
    return 0;
}

int mpi_size(void)
{
    return 1;
}

void mpi_give_start(int go)
{
    (void)go;
}

int mpi_wait_start(void)
{
    return 1;
}

#endif
