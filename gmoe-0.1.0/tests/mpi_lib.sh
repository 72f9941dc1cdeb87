# mpi_lib.sh -- sourced by the MPI tests (mpi_*.sh) after their tool's
# library: skips the test (exit 77, with a message) unless the build has
# MPI (configure --with-mpi) and mpirun is there; else defines
# `run_ranks P PROGRAM ARGS...`, mpirun with P ranks on this machine, and
# start_ranks (the same in the background) and rank_pid.
if ! grep -q '^#define GMOE_MPI 1' "$top_builddir/config.h" 2>/dev/null; then
    echo "SKIP: this build has no MPI (configure --with-mpi, with Debian's libopenmpi-dev and openmpi-bin)"
    exit 77
fi
if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIP: mpirun not found (Debian's openmpi-bin)"
    exit 77
fi
# Open MPI refuses to run as root (CI) without these; more ranks than
# cores need --oversubscribe.  OpenMP threads wait passively (the ranks
# share the cores).
OMPI_ALLOW_RUN_AS_ROOT=1; OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; OMP_WAIT_POLICY=PASSIVE
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMP_WAIT_POLICY
run_ranks() { # P, program, arguments...
    np=$1; shift
    mpirun -np "$np" --oversubscribe "$@"
}
# The same in the background: $! is mpirun's pid.
start_ranks() { # P, program, arguments...
    np=$1; shift
    mpirun -np "$np" --oversubscribe "$@" &
}
# The pid of rank R of the mpirun whose pid is $1 (its child processes).
rank_pid() { # mpirun pid, rank
    for p in $(ps -o pid= --ppid "$1"); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q "^OMPI_COMM_WORLD_RANK=$2\$"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
