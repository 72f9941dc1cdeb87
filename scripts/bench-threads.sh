#!/bin/bash
# bench-threads.sh -- --threads 1 against --threads 2, CPU and wall time
# side by side, with the second core idle and with a busy loop pinned to
# it (issue 18: two threads must never be more than 10% slower than one
# when the other core is busy, and faster when it is idle).
#
# Engine rows: tests/bench_shapes (plain EM iterations of a softmax fit,
# N = 1e5, k = 3, d = 1 and 5, from a fixed start; its header comment),
# ms per iteration, the least of REPS runs of ITERS iterations: cpu =
# user + system of all threads, wall = elapsed.  The waiting policy is
# the one mixfit and mixrate choose when the environment sets none
# (OMP_WAIT_POLICY=PASSIVE, src/cli.c: cli_wait_policy) unless --spin,
# which leaves libgomp's default spinning.
# mixfit rows: the tool as a user runs it (no OpenMP variables set): a
# k = 3 fit of a 1e5-row file (d = 1: data/bench-k3-model.json; d = 5: the
# model below) from a given start; seconds of the whole run to the
# millisecond, least of REPS runs with 1 and REPS with 2 threads, run
# alternately (1, 2, 1, 2, ...).  d = 5s: the first 3000 rows of the d = 5
# file, fitted from mixfit's own random starts (10), as on small data.
# bits: the log-likelihoods of 1 and 2 threads must agree to the last bit.
# load: the 1-minute load average when the row started (the machine may
# be shared: read the numbers beside it).
#
# busy: `sh -c 'while :; do :; done'` pinned to the last core
# (taskset -c LAST) at the script's own niceness (run the script with
# `nice -n 10` and the loop has the same priority as the benchmark).
#
# Usage: scripts/bench-threads.sh [--iters N] [--reps N] [--bindir DIR]
#                                 [--only idle|busy] [--spin] [--no-mixfit] [--no-engine]
# Run from the top of a built tree (tests/bench_shapes, src/mixsim,
# src/mixfit; or --bindir for the tools' directory).
# Exit status: 0 done, 1 a program failed or bits differ, 2 bad usage.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(pwd)
iters=20 reps=5 bindir=$build/src only='' spin=0 mixfit_rows=1 engine_rows=1
while [ $# -gt 0 ]; do
    case $1 in
        --iters) iters=$2; shift ;;
        --reps) reps=$2; shift ;;
        --bindir) bindir=$2; shift ;;
        --only) only=$2; shift ;;
        --spin) spin=1 ;;
        --no-mixfit) mixfit_rows=0 ;;
        --no-engine) engine_rows=0 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "bench-threads.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
case $iters$reps in *[!0-9]*|'') echo "bench-threads.sh: --iters and --reps take positive integers" >&2; exit 2 ;; esac
case $only in ''|idle|busy) ;; *) echo "bench-threads.sh: --only idle or busy" >&2; exit 2 ;; esac

driver=$build/tests/bench_shapes
[ -x "$driver" ] || { echo "bench-threads.sh: $driver not found (run make check in a built tree)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "bench-threads.sh: needs 2 cores (nproc says $(nproc))" >&2; exit 1; }
last=$(($(nproc) - 1))
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-threads.XXXXXX")
busy=''
stop_busy() { [ -z "$busy" ] || { kill "$busy" 2>/dev/null; wait "$busy" 2>/dev/null || true; busy=''; }; }
trap 'stop_busy; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
start_busy() { taskset -c "$last" sh -c 'while :; do :; done' & busy=$!; sleep 0.5; }
load1() { cut -d ' ' -f 1 /proc/loadavg; }

policy_env="-u GOMP_SPINCOUNT OMP_WAIT_POLICY=PASSIVE"
[ $spin = 0 ] || policy_env="-u GOMP_SPINCOUNT -u OMP_WAIT_POLICY"
commit=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
echo "# bench-threads.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), gmoe $commit, nice $(nice)"
echo "# cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores;" \
    "engine waiting: $([ $spin = 1 ] && echo 'spin (libgomp default)' || echo passive); busy loop on core $last"
echo "# load before: $(uptime | sed 's/.*load average/load average/')"
fmt='%-7s %-6s %-2s %-2s | %5s | %8s %8s | %8s %8s | %5s %s\n'
# shellcheck disable=SC2059
printf "$fmt" what core k d load cpu1 wall1 cpu2 wall2 w2/w1 bits
echo "#   engine: ms per EM iteration (least of $reps runs of $iters); mixfit: seconds per run (least of $reps, alternated)"

# shellcheck disable=SC2317 # called through a variable (row)
engine() { # k d threads -> "cpu wall loglik"
    local line
    # shellcheck disable=SC2086
    line=$(env $policy_env "$driver" "$1" "$2" 100000 "$iters" "$reps" "$3") || return 1
    awk '{ print $5, $6, $13 }' <<<"$line"
}

# the d = 5 model of the mixfit rows: softmax, 3 experts
cat >"$work/d5-model.json" <<'EOF'
{"family": "softmax", "k": 3, "d": 5,
 "experts": [
  {"beta0": 1, "beta1": [-2, 1, 0.5, 0, -1], "a": [1, -1, 2, 0.5, 0], "b": 2, "sigma2": 0.25},
  {"beta0": 0.5, "beta1": [1, -1, 0, 2, 0.5], "a": [-2, 1, 0, 1, -1], "b": -2, "sigma2": 0.16},
  {"beta0": 0, "beta1": [0, 0, 0, 0, 0], "a": [0.5, 0.5, -1, -1, 2], "b": 0, "sigma2": 0.36}]}
EOF
# One mixfit run with THREADS threads: "wall cpu" in seconds to the
# millisecond (bash's time: /usr/bin/time's %e counts hundredths, and a
# fit takes 0.2-0.5 s), its log-likelihood left in fitD-THREADS.json.
# shellcheck disable=SC2317 # called by mixfit_run
mixfit_once() { # d threads
    local TIMEFORMAT='%3R %3U %3S' t start=()
    [ ! -f "$work/start$1.json" ] || start=(--init "$work/start$1.json")
    t=$( { time env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$bindir/mixfit" -k 3 --threads "$2" \
        "${start[@]}" -q -o "$work/fit$1-$2.json" "$work/d$1.csv" >/dev/null 2>&1; } 2>&1) || return 1
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$t"
}
# shellcheck disable=SC2317 # called by mixfit_run
least() { # "wall cpu" "wall cpu" (the first may be empty) -> the least of each
    awk -v a="$1" -v b="$2" 'BEGIN { if (split(a, p, " ") < 2) split(b, p, " "); split(b, q, " ");
        print (q[1] < p[1] ? q[1] : p[1]), (q[2] < p[2] ? q[2] : p[2]) }'
}
# shellcheck disable=SC2317 # called through a variable (row)
mixfit_run() { # d -> "cpu1 wall1 loglik1" "cpu2 wall2 loglik2": least of REPS each,
    local best1='' best2='' r1 r2 w c # the runs alternated, 1 then 2 threads, so
    for _ in $(seq "$reps"); do        # that a change of load weighs on both alike
        r1=$(mixfit_once "$1" 1) && r2=$(mixfit_once "$1" 2) || return 1
        best1=$(least "$best1" "$r1")
        best2=$(least "$best2" "$r2")
    done
    read -r w c <<<"$best1"
    echo "$c $w $(loglik_of "$work/fit$1-1.json")"
    read -r w c <<<"$best2"
    echo "$c $w $(loglik_of "$work/fit$1-2.json")"
}
# shellcheck disable=SC2317 # called by mixfit_run
loglik_of() { sed -n 's/^ *"loglik": *\([-+0-9.eE]*\).*/\1/p' "$1" | tail -n 1; }
if [ $mixfit_rows = 1 ]; then
    "$bindir/mixsim" --model "$top/data/bench-k3-model.json" -n 100000 --seed 1 -o "$work/d1.csv" || exit 1
    "$bindir/mixsim" --model "$work/d5-model.json" -n 100000 --seed 1 -o "$work/d5.csv" || exit 1
    head -n 3001 "$work/d5.csv" >"$work/d5s.csv" # 3000 rows, random starts
    for d in 1 5; do # the start: the model with variances 1 and intercepts 0
        src=$top/data/bench-k3-model.json
        [ $d = 1 ] || src=$work/d5-model.json
        sed 's/"sigma2": [-+0-9.eE]*/"sigma2": 1/g; s/"b": [-+0-9.eE]*/"b": 0/g' "$src" >"$work/start$d.json"
    done
fi

status=0
row() { # what core k d runner (runner d: a line "cpu wall loglik" for 1 thread, one for 2)
    local load r c1 w1 l1 c2 w2 l2 same
    load=$(load1)
    r=$($5 "$4") || exit 1
    { read -r c1 w1 l1; read -r c2 w2 l2; } <<<"$r"
    same=same
    [ "$l1" = "$l2" ] || { same="DIFFER $l1 $l2"; status=1; }
    # shellcheck disable=SC2059
    printf "$fmt" "$1" "$2" "$3" "$4" "$load" "$c1" "$w1" "$c2" "$w2" \
        "$(awk -v a="$w1" -v b="$w2" 'BEGIN { printf "%.2f", b / a }')" "$same"
}
# shellcheck disable=SC2317 # called through a variable (row)
engine_k3() { engine 3 "$1" 1 && engine 3 "$1" 2; }
for other in idle busy; do
    [ -z "$only" ] || [ "$only" = $other ] || continue
    [ $other = idle ] || start_busy
    for d in 1 5; do
        [ $engine_rows = 0 ] || row engine $other 3 $d engine_k3
    done
    if [ $mixfit_rows = 1 ]; then
        for d in 1 5 5s; do
            row mixfit $other 3 $d mixfit_run
        done
    fi
    stop_busy
done
echo "# load after: $(uptime | sed 's/.*load average/load average/')"
exit $status
