/* mpi_session.h -- the tools' MPI session (mixrate(1), mixfit(1): "Over
 * MPI ranks"): MPI_Init and MPI_Finalize, this process's rank and the
 * number of ranks, and the start signal rank 0 gives the other ranks once
 * it has checked the command line and prepared its output.  In a build
 * without MPI (configure without --with-mpi) every function is a no-op
 * and there is one rank. */
#ifndef GMOE_MPI_SESSION_H
#define GMOE_MPI_SESSION_H

/* Starts MPI (thread level MPI_THREAD_SERIALIZED: the ranks call MPI from
 * their OpenMP threads, one at a time).  Returns 0, or an exit code after
 * printing why. */
int mpi_session_start(int *argc, char ***argv);

/* Ends MPI (a no-op when it was not started). */
void mpi_session_end(void);

int mpi_rank(void);
int mpi_size(void);

/* Ends every rank at once with exit code `code` (MPI_Abort): a rank that
 * cannot do its share, which the others would wait for. */
void mpi_session_abort(int code);

/* Rank 0: tells the other ranks whether to run (go != 0) or to end at
 * once (a usage error, --help, a locked directory).  Only the first call
 * has an effect.  The other ranks: mpi_wait_start() returns what rank 0
 * said.  Both are collective over all ranks. */
void mpi_give_start(int go);
int mpi_wait_start(void);

#endif
