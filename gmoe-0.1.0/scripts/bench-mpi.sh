#!/bin/sh
# bench-mpi.sh -- mixrate and mixfit on 1 process and on 2 MPI ranks
# (issue 17, item 5): CPU time (user + sys of the process, or of mpirun
# and its ranks: /usr/bin/time counts the children), the minimum of RUNS
# runs, wall time alongside, and whether the outputs are identical (for
# mixrate, results.csv apart from the seconds column).  Also the MPI
# traffic, counted from the messages the code sends (src/mpi_rate.c,
# src/mpi_fit.c).
#
#   mixrate  over-fitted reference grid: -k 3 on the reference truth,
#            --range 10000:40000:4, 4 replicates, 2 near-truth starts,
#            one thread per rank (16 cells)
#   mixfit   -k 3 --restarts 8 on 20000 rows simulated from the
#            reference model, one thread per rank
#
# Usage: scripts/bench-mpi.sh [WORKDIR]  (a build configured --with-mpi;
# RUNS=3 by default).  Run it on an otherwise idle machine for the CPU and
# the wall time to mean much; one table on stdout.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bench-mpi.XXXXXX")}
bench=bench-mpi.sh
. "$top/scripts/bench-mpi-lib.sh" # the MPI build, Open MPI as root, timed
truth=$top/data/reference-model.json

rate_args="--truth $truth -k 3 --range 10000:40000:4 --replicates 4 --restarts 2 --seed 17 --threads 1"
r1=$(timed rate1 "rm -rf '$work/r1'; '$src/mixrate' $rate_args -O '$work/r1'") || exit 1
r2=$(timed rate2 "rm -rf '$work/r2'; mpirun -np 2 --oversubscribe '$src/mixrate' $rate_args -O '$work/r2'") || exit 1
# results.csv without its seconds column (found by name)
no_seconds() {
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") s = i }
             { out = ""; for (i = 1; i <= NF; i++) if (i != s) out = out (out == "" ? "" : ",") $i; print out }' "$1"
}
no_seconds "$work/r1/results.csv" >"$work/r1.csv"
no_seconds "$work/r2/results.csv" >"$work/r2.csv"
rsame=$(cmp -s "$work/r1.csv" "$work/r2.csv" && echo identical || echo DIFFERENT)
cells=$(($(wc -l <"$work/r1/results.csv") - 1))
rowbytes=$(awk 'NR > 1 { s += length($0) + 1 } END { printf "%.0f", s / (NR - 1) }' "$work/r1/results.csv")

"$src/mixsim" --model "$truth" -n 20000 --seed 3 -o "$work/sim.csv"
fit_args="-k 3 --restarts 8 --seed 5 --threads 1"
f1=$(timed fit1 "'$src/mixfit' $fit_args -o '$work/f1.json' '$work/sim.csv'") || exit 1
f2=$(timed fit2 "mpirun -np 2 --oversubscribe '$src/mixfit' $fit_args -o '$work/f2.json' '$work/sim.csv'") || exit 1
fsame=$(cmp -s "$work/f1.json" "$work/f2.json" && echo identical || echo DIFFERENT)

echo "bench-mpi.sh: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), runs $runs"
printf '%-40s %12s %12s %10s\n' "case" "CPU s (min)" "wall s" "outputs"
printf '%-40s %12s %12s %10s\n' "mixrate, 1 process" $r1 ""
printf '%-40s %12s %12s %10s\n' "mixrate, 2 ranks" $r2 "$rsame"
printf '%-40s %12s %12s %10s\n' "mixfit -k 3 --restarts 8, 1 process" $f1 ""
printf '%-40s %12s %12s %10s\n' "mixfit -k 3 --restarts 8, 2 ranks" $f2 "$fsame"
# Traffic, from the code: src/mpi_rate.c sends per cell a WORK message (a
# 528-byte head and the row) to rank 0 and a 24-byte ASSIGN back, plus one
# WORK, ASSIGN and BYE per worker thread to start and end; src/mpi_fit.c
# broadcasts each start's outcome (lib/fit_share.c: a head of status,
# message and gmoe_fit_info, then 3k + 2kd + 1 doubles).
cat >"$work/width.c" <<'EOC'
#include <stdio.h>
#include <stdint.h>
#include "gmoe.h"
typedef struct { int32_t status; char message[GMOE_ERRMSG_LEN]; gmoe_fit_info info; } outcome_head;
int main(void) { printf("%zu\n", sizeof(outcome_head) + (3 * 3 + 2 * 3 * 1 + 1) * sizeof(double)); return 0; }
EOC
width=$(cc -I"$top/lib" "$work/width.c" -o "$work/width" && "$work/width")
echo "mixrate traffic: $cells cells, rows of $rowbytes bytes on average: per cell one message of $((528 + rowbytes)) bytes to rank 0 and one of 24 bytes back"
echo "mixfit traffic: per fit one broadcast per start of $width bytes (k = 3, d = 1): 8 broadcasts, $((8 * width)) bytes"
