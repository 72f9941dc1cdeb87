#!/bin/bash
# bench-shapes.sh -- ms per steady EM iteration at several shapes, each
# beside its floor on this machine, and --threads 2 against 1.
#
# Part 1, one thread, N = 1e5 rows, softmax gate: k = 3, 5, 10 experts with
# d = 1 covariate, and k = 3 with d = 5 and 20.  Each line is one run of
# tests/bench_shapes (its header comment says how the floor is measured:
# the exps and logs an iteration needs through the vector library, plus
# the bytes it must move at the measured read bandwidth, plus its flops at
# the measured multiply-add peak).  cpu = user + system time per
# iteration, the least of REPS runs of ITERS iterations after 3 warm-up
# iterations; ratio = cpu / floor; bytes/row = memory the data and the
# workspace hold per row.
#
# Part 2, threads: the same driver with 1 and 2 threads (wall time per
# iteration: what a user waits for), with libgomp's spinning and with
# passive waiting, on an otherwise idle second core and with a busy loop
# pinned to it (taskset -c 1); then mixfit itself, as a user runs it
# (--threads 1 and 2 on a 1e5-row file, from a given start).
# The log-likelihoods of 1 and 2 threads must agree to the last bit.
#
# Usage: scripts/bench-shapes.sh [--quick|--threads-only] [--iters N] [--reps N] [--bindir DIR]
#   --quick         part 1 only, 3 repetitions
#   --threads-only  part 2 only
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
        --threads-only) threads_only=1 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "bench-shapes.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
case $iters$reps in *[!0-9]*|'') echo "bench-shapes.sh: --iters and --reps take positive integers" >&2; exit 2 ;; esac

driver=$build/tests/bench_shapes
[ -x "$driver" ] || { echo "bench-shapes.sh: $driver not found (run make in a built tree)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-shapes.XXXXXX")
busy=''
stop_busy() { [ -z "$busy" ] || { kill "$busy" 2>/dev/null; wait "$busy" 2>/dev/null || true; busy=''; }; }
trap 'stop_busy; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
start_busy() { taskset -c 1 bash -c 'while :; do :; done' & busy=$!; sleep 0.2; }

commit=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
echo "# bench-shapes.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), gmoe $commit"
echo "# cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores;" \
    "vector math: $(grep -q '^#define GMOE_VECTOR_MATH 1' "$build/config.h" 2>/dev/null && echo libmvec || echo scalar)"
echo "# load before: $(uptime | sed 's/.*load average/load average/')"
if [ $threads_only = 0 ]; then
    echo "# part 1: one thread, N = 1e5, softmax; ms per EM iteration (cpu: user + sys, least of $reps runs of $iters)"
    echo "#   floor = explog + bytes + flops (tests/bench_shapes.c); ratio = cpu / floor"
    fmt='%-3s %-3s %7s | %7s %8s | %8s %6s | %7s %7s %7s | %9s\n'
    # shellcheck disable=SC2059
    printf "$fmt" k d N cpu_ms wall_ms floor_ms ratio explog bytes flops bytes/row
    for shape in "3 1" "5 1" "10 1" "3 5" "3 20"; do
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

# wall ms per iteration of the driver: policy k d threads -> "wall loglik";
# policy spin: libgomp's default; passive: OMP_WAIT_POLICY=PASSIVE, as
# mixfit and mixrate set it when the environment does not (cli_wait_policy)
driver_wall() {
    local env_args="-u OMP_WAIT_POLICY -u GOMP_SPINCOUNT" line
    [ "$1" = spin ] || env_args="-u GOMP_SPINCOUNT OMP_WAIT_POLICY=PASSIVE"
    # shellcheck disable=SC2086
    line=$(env $env_args "$driver" "$2" "$3" 100000 "$iters" "$reps" "$4") || return 1
    awk '{ print $6, $13 }' <<<"$line"
}
echo
echo "# part 2: threads, N = 1e5; wall ms per EM iteration (least of $reps runs of $iters);"
echo "#   spin: libgomp's default waiting; passive: OMP_WAIT_POLICY=PASSIVE;"
echo "#   busy = a shell loop pinned to core 1 (taskset -c 1); bits: loglik of 1 and 2 threads"
fmt2='%-28s %-3s %-3s | %8s %8s | %6s %s\n'
# shellcheck disable=SC2059
printf "$fmt2" case k d 1_thread 2_threads 2/1 bits
for other in idle busy; do
    [ $other = idle ] || start_busy
    for pol in spin passive; do
        for shape in "3 1" "3 5"; do
            # shellcheck disable=SC2086
            set -- $shape
            r1=$(driver_wall $pol "$1" "$2" 1) && r2=$(driver_wall $pol "$1" "$2" 2) || exit 1
            read -r w1 l1 <<<"$r1"
            read -r w2 l2 <<<"$r2"
            same=$([ "$l1" = "$l2" ] && echo same || echo "DIFFER $l1 $l2")
            # shellcheck disable=SC2059
            printf "$fmt2" "engine $pol, core 1 $other" "$1" "$2" "$w1" "$w2" \
                "$(awk -v a="$w1" -v b="$w2" 'BEGIN { printf "%.2f", b / a }')" "$same"
        done
    done
    stop_busy
done

# mixfit as a user runs it (no OpenMP variables set): wall seconds of a
# fit of 1e5 rows from a start (the true model with variances 1,
# intercepts 0), least of $reps.
mixsim=$bindir/mixsim mixfit=$bindir/mixfit
"$mixsim" --model "$top/data/bench-k3-model.json" -n 100000 --seed 1 -o "$work/k3.csv" || exit 1
sed 's/"sigma2": [-+0-9.eE]*/"sigma2": 1/; s/"b": [-+0-9.eE]*/"b": 0/' \
    "$top/data/bench-k3-model.json" >"$work/start.json"
mixfit_wall() { # threads -> "least wall seconds" "loglik"
    local best='' t
    for _ in $(seq "$reps"); do
        t=$( { env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT /usr/bin/time -f '%e' "$mixfit" -k 3 --threads "$1" --init "$work/start.json" -q \
            -o "$work/fit$1.json" "$work/k3.csv"; } 2>&1 >/dev/null | tail -n 1) || return 1
        best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
    done
    echo "$best $(sed -n 's/^ *"loglik": *\([-+0-9.eE]*\).*/\1/p' "$work/fit$1.json" | tail -n 1)"
}
for other in idle busy; do
    [ $other = idle ] || start_busy
    r1=$(mixfit_wall 1) && r2=$(mixfit_wall 2) || exit 1
    read -r w1 l1 <<<"$r1"
    read -r w2 l2 <<<"$r2"
    same=$([ "$l1" = "$l2" ] && echo same || echo "DIFFER $l1 $l2")
    # shellcheck disable=SC2059
    printf "$fmt2" "mixfit (s), core 1 $other" 3 1 "$w1" "$w2" \
        "$(awk -v a="$w1" -v b="$w2" 'BEGIN { printf "%.2f", b / a }')" "$same"
    stop_busy
done
echo "# load after: $(uptime | sed 's/.*load average/load average/')"
