#!/bin/sh
# bench-hard.sh -- the hard cases of issue 11: does the default mixfit reach
# the maximum likelihood, and how fast?
#
# For each case it prints the default fit's log-likelihood (seeds 1, 2, 3),
# the best known log-likelihood (the best of: a fit started at the truth,
# the default fits, and, for softmax, flexmix's best of 5 starts), the gap,
# the iterations, the stop reason and the CPU time (user + sys, one
# thread); for the softmax cases flexmix's CPU time and log-likelihood
# (scripts/bench-flexmix.R, 5 starts) are side by side.
#
# Cases (truths made here, written to the work directory):
#   topk-logit   k = 3, K = 2, select logit, beta0 = (1, 1, 0),
#                beta1 = (-4, 4, 0), x ~ U(-1, 1), N = 20000: the biases
#                change the selection
#   topk-k1      the same gate with K = 1 (each row's expert is the one of
#                largest logit), data simulated from it
#   topk-k4      k = 4, K = 2, select logit, beta0 = (1, 0.5, -0.5, 0),
#                beta1 = (-5, 5, 2, 0), x ~ U(-1, 1), N = 20000: expert 4 is
#                selected on two separate intervals of x (one a sliver)
#   topk-k5      k = 5, K = 2, beta0 = (-1.5, -0.5, -1, -2, 0), beta1 =
#                (-8, -3, 3, 8, 0): expert 3 selected on two intervals
#   topk-k4b     k = 4, K = 2, beta0 = (-0.7, -0.2, -1.2, 0), beta1 =
#                (-7, -2, 5, 0): a second k = 4 truth
#   act-tanh     activation tanh, bias outside, k = 2, tau estimated,
#                N = 20000, x ~ U(-2, 2)
#   act-sigmoid  the same with sigmoid, bias inside
#   over-k3/k4   softmax k = 3, 4 on N = 1e4 and 1e5 rows of the reference
#                model (data/reference-model.json, x ~ U(0, 1))
#   select-k     mixfit -k 1:6 (default starts) on N = 1e4 and 1e5, each
#                seed: CPU, and per k the log-likelihood against the (k-1)
#                value (nested?) and flexmix's best of 5 starts
#
# Usage: scripts/bench-hard.sh [WORKDIR]   (from the build tree; BENCH_FULL=1
# adds flexmix at 1e5 rows (best of 5 starts, once per k, shared by the
# seeds and by the over-k cases: several minutes of CPU per k; its fits are
# cached in WORKDIR as flex-ref1e5-kK.txt, so a rerun with the same WORKDIR
# reuses them, and BENCH_FLEX_CACHED=1 uses such cached fits at 1e5 without
# running new ones); BENCH_NO_R=1 skips
# flexmix; BENCH_SEEDS="1" runs fewer seeds; BENCH_SIZES=1e4 only the 1e4-row
# over-specified cases; BENCH_OVER_ONLY=1 only the
# over-specified softmax cases; BENCH_TOPK_ONLY=1 only the top-K cases;
# BENCH_TOPK_CASES="topk-k5 ..." only those top-K cases).  Output: tables on stdout,
# with the machine's load average at the start and the end.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
src=${GMOE_BUILD:-$top}/src
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bench-hard.XXXXXX")}
mkdir -p "$work" || exit 1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
full=${BENCH_FULL:-0}
seeds=${BENCH_SEEDS:-1 2 3}
sizes=${BENCH_SIZES:-1e4 1e5}
use_r=1
[ "${BENCH_NO_R:-0}" = 1 ] && use_r=0
command -v Rscript >/dev/null 2>&1 || use_r=0

model() { # name family-json
    printf '%s\n' "$2" >"$work/$1.json"
}
model topk-logit '{"family": "topk", "k": 3, "d": 1, "top_k": 2, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 1, "beta1": [-4], "a": [-3], "b": 2, "sigma2": 0.09},
             {"beta0": 1, "beta1": [4], "a": [3], "b": 2, "sigma2": 0.16},
             {"beta0": 0, "beta1": [0], "a": [0], "b": -2, "sigma2": 0.09}]}'
model topk-k1 '{"family": "topk", "k": 3, "d": 1, "top_k": 1, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 1, "beta1": [-4], "a": [-3], "b": 2, "sigma2": 0.09},
             {"beta0": 1, "beta1": [4], "a": [3], "b": 2, "sigma2": 0.16},
             {"beta0": 0, "beta1": [0], "a": [0], "b": -2, "sigma2": 0.09}]}'
model topk-k4 '{"family": "topk", "k": 4, "d": 1, "top_k": 2, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 1, "beta1": [-5], "a": [-3], "b": 2, "sigma2": 0.09},
             {"beta0": 0.5, "beta1": [5], "a": [3], "b": 2, "sigma2": 0.16},
             {"beta0": -0.5, "beta1": [2], "a": [1], "b": -1, "sigma2": 0.09},
             {"beta0": 0, "beta1": [0], "a": [0], "b": -2, "sigma2": 0.1}]}'
model topk-k5 '{"family": "topk", "k": 5, "d": 1, "top_k": 2, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -1.5, "beta1": [-8], "a": [1], "b": 0, "sigma2": 0.1},
             {"beta0": -0.5, "beta1": [-3], "a": [-1], "b": 1, "sigma2": 0.1},
             {"beta0": -1, "beta1": [3], "a": [2], "b": -1, "sigma2": 0.1},
             {"beta0": -2, "beta1": [8], "a": [-2], "b": 2, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [0], "b": 0.5, "sigma2": 0.1}]}'
model topk-k4b '{"family": "topk", "k": 4, "d": 1, "top_k": 2, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -0.7, "beta1": [-7], "a": [2], "b": 0, "sigma2": 0.1},
             {"beta0": -0.2, "beta1": [-2], "a": [-2], "b": 1, "sigma2": 0.1},
             {"beta0": -1.2, "beta1": [5], "a": [1], "b": -1, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 2, "sigma2": 0.1}]}'
model act-tanh '{"family": "activation", "k": 2, "d": 1, "tau": 0.5, "tau_estimated": true, "activation": "tanh",
 "bias": "outside", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0.5, "beta1": [2], "a": [2], "b": 0, "sigma2": 0.1},
             {"beta0": 0, "beta1": [-1], "a": [-2], "b": 1, "sigma2": 0.1}]}'
model act-sigmoid '{"family": "activation", "k": 2, "d": 1, "tau": 0.5, "tau_estimated": true, "activation": "sigmoid",
 "bias": "inside", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0.5, "beta1": [2], "a": [2], "b": 0, "sigma2": 0.1},
             {"beta0": 0, "beta1": [-1], "a": [-2], "b": 1, "sigma2": 0.1}]}'

simulate() { # out model n range
    [ -f "$work/$1.csv" ] || "$src/mixsim" -m "$2" -n "$3" -s 11 --range "$4" -o "$work/$1.csv" || exit 1
}
simulate topk "$work/topk-logit.json" 20000 -1:1
simulate topk-k1 "$work/topk-k1.json" 20000 -1:1
simulate topk-k4 "$work/topk-k4.json" 20000 -1:1
simulate topk-k5 "$work/topk-k5.json" 20000 -1:1
simulate topk-k4b "$work/topk-k4b.json" 20000 -1:1
simulate act-tanh "$work/act-tanh.json" 20000 -2:2
simulate act-sigmoid "$work/act-sigmoid.json" 20000 -2:2
simulate ref1e4 "$top/data/reference-model.json" 10000 0:1
simulate ref1e5 "$top/data/reference-model.json" 100000 0:1

# fit NAME DATA ARGS...: runs mixfit, prints "loglik iterations stop cpu"
fit() {
    name=$1 data=$2
    shift 2
    /usr/bin/time -f "%U %S" -o "$work/$name.time" "$src/mixfit" --threads 1 -q "$@" \
        -o "$work/$name.model.json" "$data" 2>"$work/$name.err" || { echo "NA NA failed NA"; return; }
    ll=$(sed -n 's/.*"loglik": \([^,]*\),.*/\1/p' "$work/$name.model.json" | head -1)
    [ -n "$ll" ] || ll=$(tr -d '\n ' <"$work/$name.model.json" | sed -n 's/.*"loglik":\([^,]*\),.*/\1/p')
    it=$(tr -d '\n ' <"$work/$name.model.json" | sed -n 's/.*"iterations":\([0-9]*\),.*/\1/p')
    stop=$(tr -d '\n ' <"$work/$name.model.json" | sed -n 's/.*"stop":"\([a-z-]*\)".*/\1/p')
    cpu=$(awk '{printf "%.2f", $1 + $2}' "$work/$name.time")
    echo "$ll $it $stop $cpu"
}

flexmix() { # data k -> "loglik cpu", cached in the work directory
    key="$work/flex-$(basename "$1" .csv)-k$2.txt"
    if [ "$use_r" = 1 ] && [ ! -s "$key" ] && [ "${BENCH_FLEX_CACHED:-0}" != 1 ]; then
        Rscript "$top/scripts/bench-flexmix.R" --data "$1" --k "$2" --starts 5 2>/dev/null |
            awk '{print $4, $2}' >"$key"
    fi
    if [ -s "$key" ]; then cat "$key"; else echo "NA NA"; fi
}

echo "start: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %5s %16s %16s %10s %6s %-15s %8s %16s %8s\n' case seed loglik best_known gap iter stop cpu_s \
    flexmix_ll flex_cpu
row() { # case seed ll best it stop cpu fll fcpu
    gap=$(awk -v a="$3" -v b="$4" 'BEGIN { if (a == "NA" || b == "NA") print "NA"; else printf "%.4f", b - a }')
    printf '%-22s %5s %16s %16s %10s %6s %-15s %8s %16s %8s\n' "$1" "$2" "$3" "$4" "$gap" "$5" "$6" "$7" "$8" "$9"
}
best_of() { awk 'BEGIN { b = "NA" } { for (i = 1; i <= NF; i++) if ($i != "NA" && (b == "NA" || $i + 0 > b + 0)) b = $i } END { print b }'; }

# case NAME DATA TRUTH FLEXK ARGS...: three default seeds, a fit from the
# truth (TRUTH, or - for none), flexmix with FLEXK experts (0: none)
bench_case() {
    name=$1 data=$2 truth=$3 fk=$4
    shift 4
    lls=""
    for s in $seeds; do
        r=$(fit "$name-s$s" "$data" --seed "$s" "$@")
        eval "r$s=\"\$r\""
        lls="$lls $(echo "$r" | cut -d' ' -f1)"
    done
    tll=NA
    if [ "$truth" != - ]; then
        tll=$(fit "$name-truth" "$data" --init "$truth" --restarts 1 "$@" | cut -d' ' -f1)
    fi
    fr="NA NA"
    [ "$fk" -gt 0 ] && fr=$(flexmix "$data" "$fk")
    best=$(echo "$lls $tll $(echo "$fr" | cut -d' ' -f1) ${extra_best:-}" | best_of)
    for s in $seeds; do
        eval "r=\$r$s"
        set -- $r
        row "$name" "$s" "$1" "$best" "$2" "$3" "$4" $fr
    done
}

topk_case() { # NAME DATA TRUTH K TOPK: a top-K case, unless BENCH_TOPK_CASES leaves it out
    case " ${BENCH_TOPK_CASES:-$1} " in *" $1 "*) ;; *) return ;; esac
    bench_case "$1" "$2" "$3" 0 -k "$4" --gating topk --top-k "$5" --select logit
}
if [ "${BENCH_OVER_ONLY:-0}" != 1 ]; then
topk_case topk-logit "$work/topk.csv" "$work/topk-logit.json" 3 2
topk_case topk-k1 "$work/topk-k1.csv" "$work/topk-k1.json" 3 1
topk_case topk-k4 "$work/topk-k4.csv" "$work/topk-k4.json" 4 2
topk_case topk-k5 "$work/topk-k5.csv" "$work/topk-k5.json" 5 2
topk_case topk-k4b "$work/topk-k4b.csv" "$work/topk-k4b.json" 4 2
fi
if [ "${BENCH_OVER_ONLY:-0}" != 1 ] && [ "${BENCH_TOPK_ONLY:-0}" != 1 ]; then
bench_case act-tanh "$work/act-tanh.csv" "$work/act-tanh.json" 0 -k 2 --gating activation --tau-mode estimate
bench_case act-sigmoid "$work/act-sigmoid.csv" "$work/act-sigmoid.json" 0 -k 2 --gating activation \
    --activation sigmoid --bias inside --tau-mode estimate
fi
[ "${BENCH_TOPK_ONLY:-0}" = 1 ] && sizes=
for n in $sizes; do
    fk3=3 fk4=4
    [ "$n" = 1e5 ] && [ "$full" != 1 ] && [ "${BENCH_FLEX_CACHED:-0}" != 1 ] && fk3=0 fk4=0
    bench_case "over-k3-$n" "$work/ref$n.csv" - "$fk3" -k 3
    extra_best=$best # a k = 4 model nests k = 3: its best known is at least k = 3's
    bench_case "over-k4-$n" "$work/ref$n.csv" - "$fk4" -k 4
    extra_best=
done

# -k 1:6 (default starts), each seed: CPU time, and per k the log-likelihood,
# iterations, convergence, the gap to the (k-1) value (>= 0: nested) and
# flexmix's best of 5 starts for that k (at 1e4; at 1e5 with BENCH_FULL=1)
select_k() { # n
    for s in $seeds; do
        /usr/bin/time -f "%U %S" -o "$work/selk$1-s$s.time" "$src/mixfit" --threads 1 -k 1:6 --seed "$s" \
            --table "$work/selk$1-s$s.csv" -o "$work/selk$1-s$s.json" "$work/ref$1.csv" 2>"$work/selk$1-s$s.err"
        echo "select-k 1:6 on $1 rows, seed $s: CPU $(awk '{printf "%.1f", $1 + $2}' "$work/selk$1-s$s.time") s"
        printf '   %3s %16s %6s %9s %12s %16s %10s %8s\n' k loglik iter converged "minus_k-1" flexmix_ll "minus_flex" \
            flex_cpu
        prev=NA
        tail -n +2 "$work/selk$1-s$s.csv" | while IFS=, read -r k ll np aic bic icl it conv chosen; do
            fr="NA NA"
            if [ "$1" = 1e4 ] || [ "$full" = 1 ] || [ "${BENCH_FLEX_CACHED:-0}" = 1 ]; then
                fr=$(flexmix "$work/ref$1.csv" "$k")
            fi
            awk -v k="$k" -v ll="$ll" -v it="$it" -v c="$conv" -v p="$prev" -v fr="$fr" 'BEGIN {
                split(fr, f, " ")
                dp = (p == "NA") ? "NA" : sprintf("%.4f", ll - p)
                df = (f[1] == "NA" || f[1] == "") ? "NA" : sprintf("%.4f", ll - f[1])
                printf "   %3s %16.4f %6s %9s %12s %16s %10s %8s\n", k, ll, it, c ? "yes" : "no", dp, f[1], df, f[2] }'
            prev=$ll
        done
    done
}
for n in $sizes; do select_k "$n"; done
echo "end: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work directory: $work"
