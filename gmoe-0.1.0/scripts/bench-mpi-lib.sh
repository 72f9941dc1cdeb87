# bench-mpi-lib.sh -- sourced by scripts/bench-mpi.sh and scripts/bench-shard.sh,
# which set $top, $work (made here) and $bench (the script's name for
# messages): sets $src (the tools) and $runs (RUNS, 3 by default), stops
# unless the build has MPI, lets Open MPI run as root with more ranks
# than cores, and defines timed.
src=${GMOE_BUILD:-$top}/src
runs=${RUNS:-3}
mkdir -p "$work"
grep -q '^#define GMOE_MPI 1' "${GMOE_BUILD:-$top}/config.h" ||
    { echo "$bench: the build has no MPI (configure --with-mpi)" >&2; exit 1; }
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=PASSIVE
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMP_WAIT_POLICY

# timed TAG 'COMMAND': the minimum user+sys over $runs runs of COMMAND
# (/usr/bin/time: of the process and its children, so of mpirun and its
# ranks), and the wall time of that run; COMMAND's stderr in $work/TAG.err.
timed() {
    best=""
    for i in $(seq "$runs"); do
        /usr/bin/time -f "%U %S %e" -o "$work/time" sh -c "$2" >/dev/null 2>"$work/$1.err" ||
            { echo "$bench: $1 failed:" >&2; cat "$work/$1.err" >&2; exit 1; }
        run=$(awk '{ printf "%.2f %.2f", $1 + $2, $3 }' "$work/time")
        if [ -z "$best" ] || [ "$(echo "$run $best" | awk '{ print ($1 < $3) }')" = 1 ]; then best=$run; fi
    done
    echo "$best"
}
