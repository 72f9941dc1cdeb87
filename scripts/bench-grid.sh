#!/bin/sh
# bench-grid.sh -- the exact-fitted reference grid (issue 18: under 30 s of
# wall time on 2 cores), timed: scripts/reproduce-reference-exact.sh with
# each given mixrate, the first REPS of its 40 replicates (every one of its
# 200 sizes), CPU (user + system) and wall time of each run, the least CPU
# of RUNS runs, beside today's whole-grid numbers scaled to REPS; the bits
# of every tool's results.csv against the first tool's (every column but
# seconds); the D1 slope of the first tool's run.
#
# Usage: scripts/bench-grid.sh [--reps R] [--runs N] [--threads T] [MIXRATE...]
#   --reps R     replicates per size (default 4: a tenth of the grid; 40 is
#                the whole grid, whose slope is the published one)
#   --runs N     runs per tool, the least CPU kept (default 3)
#   --threads T  mixrate --threads (default 1: CPU time alone; 2 for the
#                wall time of two cores)
#   MIXRATE      the tools to time, in turn (default src/mixrate of the tree
#                the script is run from)
# Run it at `nice -n 10` on a shared machine and read the load beside the
# numbers: CPU time grows with the load too (caches, memory bandwidth).
# Exit status: 0 done, 1 a run failed or the bits differ, 2 bad usage.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
reps=4 runs=3 threads=1
while [ $# -gt 0 ]; do
    case $1 in
        --reps) reps=$2; shift ;;
        --runs) runs=$2; shift ;;
        --threads) threads=$2; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        -*) echo "bench-grid.sh: unknown option '$1'" >&2; exit 2 ;;
        *) break ;;
    esac
    shift
done
case $reps$runs$threads in *[!0-9]*|'') echo "bench-grid.sh: --reps, --runs and --threads take positive integers" >&2; exit 2 ;; esac
[ "$reps" -ge 1 ] && [ "$reps" -le 40 ] || { echo "bench-grid.sh: --reps must be 1 to 40" >&2; exit 2; }
[ $# -gt 0 ] || set -- "$(pwd)/src/mixrate"
[ -x /usr/bin/time ] || { echo "bench-grid.sh: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
for m in "$@"; do
    [ -x "$m" ] || { echo "bench-grid.sh: $m: not an executable mixrate" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-grid.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

load() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'; }
# today's whole grid (5dc1d35, idle machine, 2 threads; bench-threads-results.txt)
echo "# bench-grid.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $reps of 40 replicates, --threads $threads, $runs runs each"
echo "# before (5dc1d35, the whole grid, idle, --threads 2): 177.12 user + 5.98 sys = 183.1 s CPU, 92.46 s wall;"
awk -v r="$reps" 'BEGIN { printf "#   scaled to %d replicates: %.2f s CPU; the target, 30 s wall on 2 cores: at most %.2f s CPU\n", r, 183.1 * r / 40, 60 * r / 40 }'
echo "tool  run  load   user    sys    cpu   wall"
status=0 t=0 ref=''
for m in "$@"; do
    t=$((t + 1)) best=''
    for run in $(seq "$runs"); do
        out=$work/t$t.r$run l=$(load)
        if ! MIXRATE=$m THREADS=$threads /usr/bin/time -f '%U %S %e' -o "$work/time" \
            sh "$here/reproduce-reference-exact.sh" "$out" --replicates "$reps" >"$work/log" 2>&1; then
            echo "bench-grid.sh: $m failed:" >&2
            tail -3 "$work/log" >&2
            exit 1
        fi
        read -r user sys wall <"$work/time"
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        printf '%4d %4d %5s %6s %6s %6s %6s\n' "$t" "$run" "$l" "$user" "$sys" "$cpu" "$wall"
        best=$(awk -v a="$cpu" -v b="${best:-$cpu}" 'BEGIN { print (a < b ? a : b) }')
        cut -d, -f1-11,13- "$out/results.csv" >"$work/bits.t$t"
        [ -n "$ref" ] || { ref=$work/bits.t1; slope=$(grep -m1 '^loss' "$out/slope.txt" || true); }
        [ "$run" -eq "$runs" ] || rm -rf "$out"
    done
    if cmp -s "$ref" "$work/bits.t$t"; then bits=same; else bits=DIFFER; status=1; fi
    echo "# tool $t: $m: least CPU $best s; results.csv against tool 1: $bits"
done
echo "# tool 1's slope.txt: ${slope:-?}"
echo "# load at the end: $(load)"
exit $status
