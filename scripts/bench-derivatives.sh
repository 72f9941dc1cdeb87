#!/bin/sh
# bench-derivatives.sh -- the cost of the Newton phase of issue 11 on the
# over-specified softmax cases at 1e5 rows (one thread, CPU time):
#
# 1. ms per gradient+Hessian call, per gradient call and per E-step
#    (tests/bench_derivatives calls) at the converged k = 3 and k = 4 fits;
# 2. one start to convergence from the winning split start of mixfit -k K
#    --seed 1 (the same start for seeds 1-3; written below, 17 digits, as
#    fit.c's polish receives it): CPU, iterations, Newton iterations,
#    log-likelihood (tests/bench_derivatives polish, data read beforehand);
# 3. mixfit -k K --restarts 1 --no-split --seed S (S = 1, 2, 3): one random
#    start, the whole process (reading the data included), CPU user + sys.
#
# Data: 1e5 rows of data/reference-model.json, x ~ U(0, 1), mixsim seed 11
# (as scripts/bench-hard.sh).  Usage: scripts/bench-derivatives.sh [WORKDIR]
# from the build tree (GMOE_BUILD: another build tree).  Each timing is the
# least of BENCH_REPS (default 3) runs; the load average is printed at the
# start and the end.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${GMOE_BUILD:-$top}
src=$build/src bench=$build/tests/bench_derivatives
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bench-derivatives.XXXXXX")}
reps=${BENCH_REPS:-3}
mkdir -p "$work" || exit 1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
[ -x "$bench" ] || { echo "bench-derivatives.sh: build $bench first (make check)" >&2; exit 1; }

data=$work/ref1e5.csv
[ -f "$data" ] || "$src/mixsim" -m "$top/data/reference-model.json" -n 100000 -s 11 --range 0:1 \
    -o "$data" || exit 1
cat >"$work/start-k3.json" <<'EOF'
{"family": "softmax", "k": 3, "d": 1, "experts": [
 {"beta0": -0.003608400492848482, "beta1": [-0.025131526087590145], "a": [20.20084449323321], "b": -5.0610986436063, "sigma2": 0.16857154568735103},
 {"beta0": -7.247862471231673, "beta1": [24.884753954054595], "a": [-20.009787386571894], "b": 15.005843415401017, "sigma2": 0.08971933785065525},
 {"beta0": 0, "beta1": [0], "a": [19.870447349349128], "b": -4.947670293178576, "sigma2": 0.15225361226366202}]}
EOF
cat >"$work/start-k4.json" <<'EOF'
{"family": "softmax", "k": 4, "d": 1, "experts": [
 {"beta0": 5.970349954078557, "beta1": [0.3108814580032826], "a": [20.040199256447426], "b": -5.00695732221312, "sigma2": 0.16132825579914278},
 {"beta0": -1.9655270349763032, "beta1": [25.205234642968755], "a": [-20.009786463849274], "b": 15.005842585552433, "sigma2": 0.08971958198510518},
 {"beta0": 1.4249841117864928, "beta1": [-17.145802473340307], "a": [21.04100597395946], "b": -4.670562902744627, "sigma2": 3.554622286561871e-05},
 {"beta0": 0, "beta1": [0], "a": [21.106852981250533], "b": -4.698936025609382, "sigma2": 5.892186817455556e-05}]}
EOF

echo "start: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for k in 3 4; do
    "$src/mixfit" -k $k --init "$work/start-k$k.json" --se none -q "$data" -o "$work/fit-k$k.json" ||
        exit 1
    "$bench" calls "$data" "$work/fit-k$k.json" 20 "$reps" | head -1
    "$bench" polish "$data" "$work/start-k$k.json" "$reps"
done
cpu() { # the least user + sys of $reps runs of a command
    best=
    for r in $(seq "$reps"); do
        /usr/bin/time -f '%U %S' -o "$work/time.txt" "$@" >/dev/null 2>&1
        t=$(tail -1 "$work/time.txt" | awk '{printf "%.2f", $1 + $2}')
        best=$(printf '%s\n%s\n' "$best" "$t" | sed '/^$/d' | sort -g | head -1)
    done
    echo "$best"
}
printf '%-6s %4s %18s %6s %7s %7s\n' k seed loglik iter newton cpu_s
for k in 3 4; do
    for s in 1 2 3; do
        "$src/mixfit" -k $k --restarts 1 --no-split --seed $s --se none -q "$data" \
            -o "$work/one-k$k-s$s.json" || exit 1
        line=$(tr -d ' \n' <"$work/one-k$k-s$s.json" |
            sed 's/.*"loglik":\([-0-9.e]*\).*"iterations":\([0-9]*\).*"newton_iterations":\([0-9]*\).*/\1 \2 \3/')
        printf '%-6s %4s %18s %6s %7s %7s\n' "$k" "$s" $line \
            "$(cpu "$src/mixfit" -k $k --restarts 1 --no-split --seed $s --se none -q "$data" -o /dev/null)"
    done
done
echo "end: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
