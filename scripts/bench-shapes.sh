#!/bin/bash
# bench-shapes.sh -- ms per steady EM iteration at several shapes, each
# beside its floor on this machine, and --threads 2 against 1.
#
# Part 1, one thread, N = 1e5 rows, softmax gate: k = 3, 5, 10 experts with
# d = 1 covariate, and k = 3 with d = 5, 10 and 20.  Each line is one run of
# tests/bench_shapes (its header comment says how the floor is measured:
# the exps and logs an iteration needs through the vector library, plus
# the bytes it must move at the measured read bandwidth, plus its flops at
# the measured multiply-add peak).  cpu = user + system time per
# iteration, the least of REPS runs of ITERS iterations after 3 warm-up
# iterations; ratio = cpu / floor; bytes/row = memory the data and the
# workspace hold per row.
#
# Part 2, threads: scripts/bench-threads.sh (the same driver with 1 and 2
# threads, CPU and wall time per iteration, with libgomp's spinning and
# with passive waiting, on an otherwise idle second core and with a busy
# loop pinned to it; then mixfit itself, as a user runs it).  The
# log-likelihoods of 1 and 2 threads must agree to the last bit.
#
# Usage: scripts/bench-shapes.sh [--quick|--threads-only] [--iters N] [--reps N] [--bindir DIR]
#                                [--gram KERNEL]
#   --quick         part 1 only, 3 repetitions
#   --threads-only  part 2 only
#   --gram KERNEL   the Z'WZ products in KERNEL (avx512, avx2 or default) instead
#                   of the best this processor runs (lib/block_gram.c), to time
#                   the kernel of a processor without AVX-512 on one with it
# Run from the top of a built tree (the driver is tests/bench_shapes, the
# tools src/mixsim and src/mixfit, or --bindir for the tools' directory).
# The machine's load is printed before and after: CPU time is much less
# inflated by other jobs than wall time, but neither is immune.
# Exit status: 0 done, 1 a program failed, 2 bad usage.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(pwd)
quick=0 threads_only=0 iters=10 reps=5 bindir=$build/src
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1; reps=3 ;;
        --iters) iters=$2; shift ;;
        --reps) reps=$2; shift ;;
        --bindir) bindir=$2; shift ;;
        --gram) export GMOE_GRAM_KERNEL=$2; shift ;;
        --threads-only) threads_only=1 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "bench-shapes.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
case $iters$reps in *[!0-9]*|'') echo "bench-shapes.sh: --iters and --reps take positive integers" >&2; exit 2 ;; esac

driver=$build/tests/bench_shapes
[ -x "$driver" ] || { echo "bench-shapes.sh: $driver not found (run make in a built tree)" >&2; exit 1; }

commit=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
echo "# bench-shapes.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), gmoe $commit"
echo "# cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores;" \
    "vector math: $(grep -q '^#define GMOE_VECTOR_MATH 1' "$build/config.h" 2>/dev/null && echo libmvec || echo scalar)"
echo "# Z'WZ kernel: ${GMOE_GRAM_KERNEL:-the best this processor runs}"
echo "# load before: $(uptime | sed 's/.*load average/load average/')"
if [ $threads_only = 0 ]; then
    echo "# part 1: one thread, N = 1e5, softmax; ms per EM iteration (cpu: user + sys, least of $reps runs of $iters)"
    echo "#   floor = explog + bytes + flops (tests/bench_shapes.c); ratio = cpu / floor"
    fmt='%-3s %-3s %7s | %7s %8s | %8s %6s | %7s %7s %7s | %9s\n'
    # shellcheck disable=SC2059
    printf "$fmt" k d N cpu_ms wall_ms floor_ms ratio explog bytes flops bytes/row
    for shape in "3 1" "5 1" "10 1" "3 5" "3 10" "3 20"; do
        # shellcheck disable=SC2086
        set -- $shape
        line=$(nice -n 0 "$driver" "$1" "$2" 100000 "$iters" "$reps" 1) || exit 1
        read -r k d n _ cpu wall floor ratio fe fb ff bpr _ <<<"$line"
        # shellcheck disable=SC2059
        printf "$fmt" "$k" "$d" "$n" "$cpu" "$wall" "$floor" "$ratio" "$fe" "$fb" "$ff" "$bpr"
    done
fi
if [ $quick = 1 ]; then
    echo "# load after: $(uptime | sed 's/.*load average/load average/')"
    exit 0
fi

# Part 2 is scripts/bench-threads.sh: the engine with passive waiting
# (as mixfit and mixrate run it) and with libgomp's spinning, then mixfit.
echo
"$here/bench-threads.sh" --iters "$iters" --reps "$reps" --bindir "$bindir" --no-mixfit --spin || exit 1
"$here/bench-threads.sh" --iters "$iters" --reps "$reps" --bindir "$bindir" || exit 1
echo "# load after: $(uptime | sed 's/.*load average/load average/')"
