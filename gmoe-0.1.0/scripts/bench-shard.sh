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
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bench-shard.XXXXXX")}
bench=bench-shard.sh
. "$top/scripts/bench-mpi-lib.sh" # the MPI build, Open MPI as root, timed
n=${N:-200000}

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
echo "iterations of the fit (EM and Newton): $iters"
grep 'shard:' "$work/stats.err"
awk -v it="$iters" '/shard:/ {
    for (i = 1; i <= NF; i++) { if ($(i + 1) == "chains;") c = $i; if ($(i + 1) == "messages,") m = $i;
                                if ($(i + 1) == "bytes;") b = $i }
    printf "per iteration, EM or Newton (2 ranks): %.1f chains, %.1f point-to-point messages and %.1f broadcasts, %.0f bytes each way\n",
           c / it, m / it, c / it, b / it }' "$work/stats.err"
