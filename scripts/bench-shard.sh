#!/bin/sh
# bench-shard.sh -- one fit over sharded data (mixfit --shard, issue 17
# items 4 and 5): the same fit on 1 process and over 2 MPI ranks with
# --shard rows.  CPU time (user + sys of the process, or of mpirun and its
# ranks: /usr/bin/time counts the children), the minimum of RUNS runs,
# with the wall time of that run; whether the model files are identical;
# and the traffic of the sharded fit, counted by the chain itself
# (GMOE_SHARD_STATS, src/mpi_shard.c): chains (sums over rows passed
# along the ranks), point-to-point messages and bytes, per EM iteration.
#
#   mixfit -k 3 --restarts 1 --no-split --seed 5 --threads 1 on N rows
#   simulated from the reference model (k = 3, d = 1; N = 200000 unless
#   N is set)
#
# Usage: scripts/bench-shard.sh [WORKDIR]  (a build configured --with-mpi;
# RUNS=3 by default).  Run it on an otherwise idle machine for the times
# to mean much; one table on stdout.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
src=${GMOE_BUILD:-$top}/src
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bench-shard.XXXXXX")}
runs=${RUNS:-3}
n=${N:-200000}
mkdir -p "$work"
grep -q '^#define GMOE_MPI 1' "${GMOE_BUILD:-$top}/config.h" ||
    { echo "bench-shard.sh: the build has no MPI (configure --with-mpi)" >&2; exit 1; }
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=PASSIVE
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMP_WAIT_POLICY

# timed TAG 'COMMAND': the minimum user+sys over the runs, and the wall
# time of that run.
timed() {
    best=""
    for i in $(seq "$runs"); do
        /usr/bin/time -f "%U %S %e" -o "$work/time" sh -c "$2" >/dev/null 2>"$work/$1.err" ||
            { echo "bench-shard.sh: $1 failed:" >&2; cat "$work/$1.err" >&2; exit 1; }
        run=$(awk '{ printf "%.2f %.2f", $1 + $2, $3 }' "$work/time")
        if [ -z "$best" ] || [ "$(echo "$run $best" | awk '{ print ($1 < $3) }')" = 1 ]; then best=$run; fi
    done
    echo "$best"
}

"$src/mixsim" --model "$top/data/reference-model.json" -n "$n" --seed 3 -o "$work/sim.csv"
fit_args="-k 3 --restarts 1 --no-split --seed 5 --threads 1"
t1=$(timed one "'$src/mixfit' $fit_args -o '$work/one.json' '$work/sim.csv'") || exit 1
t2=$(timed two "mpirun -np 2 --oversubscribe '$src/mixfit' $fit_args --shard rows -o '$work/two.json' '$work/sim.csv'") ||
    exit 1
same=$(cmp -s "$work/one.json" "$work/two.json" && echo identical || echo DIFFERENT)
GMOE_SHARD_STATS=1 mpirun -np 2 --oversubscribe "$src/mixfit" $fit_args --shard rows -o "$work/stats.json" \
    "$work/sim.csv" 2>"$work/stats.err" || { cat "$work/stats.err" >&2; exit 1; }
iters=$(sed -n 's/.*"iterations": *\([0-9]*\).*/\1/p' "$work/one.json" | head -1)

echo "bench-shard.sh: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), runs $runs, n = $n"
printf '%-44s %12s %8s %10s\n' "case" "CPU s (min)" "wall s" "model"
printf '%-44s %12s %8s %10s\n' "mixfit, 1 process" $t1 ""
printf '%-44s %12s %8s %10s\n' "mixfit --shard rows, 2 ranks" $t2 "$same"
echo "EM iterations of the fit: $iters"
grep 'shard:' "$work/stats.err"
awk -v it="$iters" '/shard:/ {
    for (i = 1; i <= NF; i++) { if ($(i + 1) == "chains;") c = $i; if ($(i + 1) == "messages,") m = $i;
                                if ($(i + 1) == "bytes;") b = $i }
    printf "per EM iteration (2 ranks): %.1f chains, %.1f point-to-point messages and %.1f broadcasts, %.0f bytes each way\n",
           c / it, m / it, c / it, b / it }' "$work/stats.err"
