#!/bin/sh
# bench-audit.sh -- issue 11's outside check: truths the team never used
# (not data/reference-model.json, not scripts/bench-hard.sh's), one or two
# per hard family, small (N = 3000 to 10000) so that it runs in minutes.
#
# For every case: the default mixfit on seeds 1, 2, 3; a fit started at
# the truth (--init; for an over-specified k the truth with one expert split
# in two, its halves' intercepts moved apart by 0.05); a many-start fit
# (--restarts BENCH_MANY, default 40, seed 99), and for softmax and
# temperature the same starts with --no-split (random starts only, each run
# to the end, no screening).  best_known is the best of
# all of them (and, for an over-specified k, of the fits with fewer experts
# on the same data, which it nests).  Each row: log-likelihood, best known,
# gap, iterations, stop reason, CPU (user + sys, one thread), minvar (the
# smallest expert variance over var(y); the variance floor is 1e-6: a small
# value is a spike, an expert fitted to a few rows), and a flag:
#   WRONG   stop "tolerance" (converged) more than 1 below the best known
#   LOCAL   the same for the one start from the truth (a local maximum, which
#           one start may find: not a failure of the default fit)
#   GAP     more than 0.05 below the best known (any other stop)
#   BAD     no log-likelihood, or not a finite one, or mixfit failed
#
# Cases (truths written to the work directory):
#   over1-k3, over1-k4  softmax k* = 2, d = 1, fitted with k = 3, 4;
#                       N = 5000, x ~ U(-2, 2)
#   over1b-k3, -k4      the same truth, another data set (mixsim seed 21)
#   over2-k3, over2-k4  softmax k* = 2, d = 2, fitted with k = 3, 4;
#                       N = 5000, x ~ U(-1, 1)^2
#   topk1               topk k = 3, K = 1, select logit, beta0 = (-1.5, -1, 0),
#                       beta1 = (3, -3, 0), x ~ U(-1.5, 1.5), N = 6000: by
#                       the logit expert 3 owns (-1/3, 1/2), by the slope
#                       alone it would own nothing
#   topk2               topk k = 4, K = 2, select logit, beta0 = (0.5, -0.5, 1, 0),
#                       beta1 = (4, -4, -3, 0), x ~ U(-1, 1), N = 6000: the
#                       pairs {2,3}, {1,3}, {1,4} (cuts -0.125, 1/3) where the
#                       slopes alone give {2,3}, {1,2}, {1,4} (cuts 0, 0)
#   topk-d2k1           topk k = 3, K = 1, select logit, d = 2, x ~ U(-1, 1)^2,
#                       N = 6000 (the biases move the cells: experts 1, 2, 3
#                       selected on 50/26/24% of the rows, 40/36/25% by the
#                       slopes alone)
#   topk-d2k2           topk k = 4, K = 2, select logit, d = 2, x ~ U(-1, 1)^2,
#                       N = 6000 (pairs {1,3} and {1,4} on 21% and 8% of the
#                       rows by the logit, 13% and 13% by the slopes alone)
#   act-tanh2           activation tanh, bias outside, k = 2, tau = 0.7
#                       estimated, x ~ U(-2, 2), N = 6000
#   act-sig2            activation sigmoid, bias inside, k = 2, tau = 0.4
#                       estimated, x ~ U(-2, 2), N = 6000
#   act-tanh3           activation tanh, bias outside, k = 2, tau = 0.3
#                       estimated, x ~ U(-3, 3), N = 6000
#   temp3               temperature k = 3, tau = 0.25 estimated, ||beta1|| = 1,
#                       x ~ U(-1, 1), N = 6000
#   temp3-k4            the same data fitted with k = 4 (over-specified)
#   temp4               temperature k = 4, d = 2, tau = 0.1 estimated (a sharp
#                       gate), x ~ U(-1, 1)^2, N = 8000
#   selk                mixfit -k 1:4 (default starts) on over1's data, each
#                       seed: per k the log-likelihood, its gap to the (k-1)
#                       value (>= 0: nested) and to that k's best known
# Group 2 (round 2: other truths, and options combined): see "group 2"
# below; not in the default BENCH_CASES (run them by name, or
# BENCH_CASES=group2 for all of them).
#
# Usage: scripts/bench-audit.sh [WORKDIR]   (from the build tree, or with
# GMOE_BUILD=DIR holding src/mixfit and src/mixsim; BENCH_SEEDS="1" runs
# fewer seeds, BENCH_MANY=N the many-start fit's restarts, BENCH_CASES="topk1
# ..." only those cases (selk: the -k 1:4 table)).  Output: the table on
# stdout, with the load average at the start and the end.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
src=${GMOE_BUILD:-$top}/src
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bench-audit.XXXXXX")}
mkdir -p "$work" || exit 1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
seeds=${BENCH_SEEDS:-1 2 3}
many=${BENCH_MANY:-40}
cases=${BENCH_CASES:-over1 over1b over2 topk1 topk2 topk-d2k1 topk-d2k2 act-tanh2 act-sig2 act-tanh3 temp3 temp4 selk}
group2="d3close d5 var100 small k5 topk-d2k1b act-d2 temp-d2 weights gatex factor selk5"
cases=$(echo " $cases " | sed "s/ group2 / $group2 /")

wanted() { case " $cases " in *" $1 "*) return 0 ;; esac; return 1; }

truth() { # name json: the truth and the start of the fit from it
    printf '%s\n' "$2" >"$work/$1.json"
}
truth over1 '{"family": "softmax", "k": 2, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0.5, "beta1": [-3], "a": [1.5], "b": 0, "sigma2": 0.25},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 1, "sigma2": 0.1}]}'
truth over1-k3 '{"family": "softmax", "k": 3, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -0.19315, "beta1": [-3], "a": [1.5], "b": 0.05, "sigma2": 0.25},
             {"beta0": -0.19315, "beta1": [-3], "a": [1.5], "b": -0.05, "sigma2": 0.25},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 1, "sigma2": 0.1}]}'
truth over1-k4 '{"family": "softmax", "k": 4, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -0.19315, "beta1": [-3], "a": [1.5], "b": 0.05, "sigma2": 0.25},
             {"beta0": -0.19315, "beta1": [-3], "a": [1.5], "b": -0.05, "sigma2": 0.25},
             {"beta0": -0.69315, "beta1": [0], "a": [-1], "b": 1.05, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 0.95, "sigma2": 0.1}]}'
truth over2 '{"family": "softmax", "k": 2, "d": 2, "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": 0.3, "beta1": [2, -1.5], "a": [1, 0.5], "b": 0, "sigma2": 0.2},
             {"beta0": 0, "beta1": [0, 0], "a": [-0.5, 1], "b": 1, "sigma2": 0.1}]}'
truth over2-k3 '{"family": "softmax", "k": 3, "d": 2, "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": -0.39315, "beta1": [2, -1.5], "a": [1, 0.5], "b": 0.05, "sigma2": 0.2},
             {"beta0": -0.39315, "beta1": [2, -1.5], "a": [1, 0.5], "b": -0.05, "sigma2": 0.2},
             {"beta0": 0, "beta1": [0, 0], "a": [-0.5, 1], "b": 1, "sigma2": 0.1}]}'
truth over2-k4 '{"family": "softmax", "k": 4, "d": 2, "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": -0.39315, "beta1": [2, -1.5], "a": [1, 0.5], "b": 0.05, "sigma2": 0.2},
             {"beta0": -0.39315, "beta1": [2, -1.5], "a": [1, 0.5], "b": -0.05, "sigma2": 0.2},
             {"beta0": -0.69315, "beta1": [0, 0], "a": [-0.5, 1], "b": 1.05, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0], "a": [-0.5, 1], "b": 0.95, "sigma2": 0.1}]}'
truth topk1 '{"family": "topk", "k": 3, "d": 1, "top_k": 1, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -1.5, "beta1": [3], "a": [2], "b": -1, "sigma2": 0.1},
             {"beta0": -1, "beta1": [-3], "a": [-1], "b": 0.5, "sigma2": 0.15},
             {"beta0": 0, "beta1": [0], "a": [0.5], "b": 1, "sigma2": 0.05}]}'
truth topk2 '{"family": "topk", "k": 4, "d": 1, "top_k": 2, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0.5, "beta1": [4], "a": [2], "b": 0, "sigma2": 0.1},
             {"beta0": -0.5, "beta1": [-4], "a": [-2], "b": 0.5, "sigma2": 0.1},
             {"beta0": 1, "beta1": [-3], "a": [0], "b": -1.5, "sigma2": 0.05},
             {"beta0": 0, "beta1": [0], "a": [1], "b": 2, "sigma2": 0.1}]}'
truth act-tanh2 '{"family": "activation", "k": 2, "d": 1, "tau": 0.7, "tau_estimated": true, "activation": "tanh",
 "bias": "outside", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -0.5, "beta1": [3], "a": [-1], "b": 0.5, "sigma2": 0.15},
             {"beta0": 0, "beta1": [1], "a": [1.5], "b": -0.5, "sigma2": 0.1}]}'
truth act-sig2 '{"family": "activation", "k": 2, "d": 1, "tau": 0.4, "tau_estimated": true, "activation": "sigmoid",
 "bias": "inside", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -0.3, "beta1": [4], "a": [1], "b": -1, "sigma2": 0.1},
             {"beta0": 0, "beta1": [-2], "a": [-1], "b": 1, "sigma2": 0.2}]}'
truth temp3 '{"family": "temperature", "k": 3, "d": 1, "tau": 0.25, "tau_estimated": true, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0.2, "beta1": [0.70710678118654752], "a": [2], "b": 0, "sigma2": 0.1},
             {"beta0": 0.1, "beta1": [-0.70710678118654752], "a": [-2], "b": 0.5, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [0], "b": -1, "sigma2": 0.1}]}'

truth temp3-k4 '{"family": "temperature", "k": 4, "d": 1, "tau": 0.25, "tau_estimated": true, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0.026713, "beta1": [0.70710678118654752], "a": [2], "b": 0.05, "sigma2": 0.1},
             {"beta0": 0.026713, "beta1": [0.70710678118654752], "a": [2], "b": -0.05, "sigma2": 0.1},
             {"beta0": 0.1, "beta1": [-0.70710678118654752], "a": [-2], "b": 0.5, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [0], "b": -1, "sigma2": 0.1}]}'
truth topk-d2k1 '{"family": "topk", "k": 3, "d": 2, "top_k": 1, "select": "logit", "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": 0.5, "beta1": [3, 1], "a": [1, -1], "b": 0, "sigma2": 0.1},
             {"beta0": -0.5, "beta1": [-1, 3], "a": [-1, 0.5], "b": 1, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0], "a": [0.5, 1], "b": -1, "sigma2": 0.1}]}'
truth topk-d2k2 '{"family": "topk", "k": 4, "d": 2, "top_k": 2, "select": "logit", "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": 0.3, "beta1": [3, 0], "a": [1, 0], "b": 0, "sigma2": 0.1},
             {"beta0": -0.2, "beta1": [0, 3], "a": [0, -1], "b": 1, "sigma2": 0.1},
             {"beta0": 0.5, "beta1": [-2, -2], "a": [-1, 1], "b": -1, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0], "a": [1, 1], "b": 2, "sigma2": 0.1}]}'
truth act-tanh3 '{"family": "activation", "k": 2, "d": 1, "tau": 0.3, "tau_estimated": true, "activation": "tanh",
 "bias": "outside", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -0.3, "beta1": [2], "a": [1], "b": 0, "sigma2": 0.1},
             {"beta0": 0, "beta1": [-1.5], "a": [-1], "b": 0.5, "sigma2": 0.1}]}'
truth temp4 '{"family": "temperature", "k": 4, "d": 2, "tau": 0.1, "tau_estimated": true, "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": 0.1, "beta1": [0.5, 0], "a": [1, 0], "b": 0, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0.5], "a": [0, 1], "b": 0.5, "sigma2": 0.1},
             {"beta0": 0.05, "beta1": [-0.5, -0.5], "a": [-1, 1], "b": -0.5, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0], "a": [0, 0], "b": 1, "sigma2": 0.1}]}'

simulate() { # out truth n range seed
    [ -s "$work/$1.csv" ] || "$src/mixsim" -m "$work/$2.json" -n "$3" -s "$5" --range "$4" \
        -o "$work/$1.csv" || exit 1
}
simulate over1 over1 5000 -2:2 17
simulate over1b over1 5000 -2:2 21
simulate over2 over2 5000 -1:1 17
simulate topk1 topk1 6000 -1.5:1.5 17
simulate topk2 topk2 6000 -1:1 17
simulate topk-d2k1 topk-d2k1 6000 -1:1 17
simulate topk-d2k2 topk-d2k2 6000 -1:1 17
simulate act-tanh2 act-tanh2 6000 -2:2 17
simulate act-sig2 act-sig2 6000 -2:2 17
simulate act-tanh3 act-tanh3 6000 -3:3 17
simulate temp3 temp3 6000 -1:1 17
simulate temp4 temp4 8000 -1:1 17

# ---- group 2 (issue 11, round 2 of the audit): other truths, and mixfit's
# options as a demanding user combines them.  Cases (BENCH_CASES names):
#   d3close      softmax k = 3, d = 3, the experts' lines 0.3-0.6 apart
#                (sd 0.32), x ~ U(-1, 1)^3, N = 4000
#   d5           softmax k = 3, d = 5, x ~ U(-1, 1)^5, N = 5000
#   var100       softmax k = 3, d = 1, variances 0.01, 1 and 0.1 (100x
#                apart), x ~ U(-2, 2), N = 3000
#   small        over1's truth at N = 200 (k = 2) and var100's at N = 300
#                (k = 3)
#   k5           softmax k* = 5 exact, d = 1, gates peaked at -2, -1, 1, 2, 0
#                (beta1 = 2c, beta0 = -c^2), x ~ U(-3, 3), N = 5000
#   topk-d2k1b   topk k = 4, K = 1, select logit, d = 2, x ~ U(-1, 1)^2,
#                N = 5000; expert 4 (logit 0) owns the triangle x1, x2 < 1/3,
#                x1 + x2 > -1/3 (12.5% of the square), the others a third of
#                the rest each
#   act-d2       activation tanh, bias outside, k = 2, d = 2, tau = 0.5
#                estimated, x ~ U(-2, 2)^2, N = 4000
#   temp-d2      temperature k = 3, d = 2, tau = 0.3 estimated, N = 4000
#   weights      over1's truth, N = 3000, case weights w = 1, 2, 3 by row
#                (--weights w), k = 2 and 3
#   gatex        softmax k = 2, the gate on z, the experts on x (--gate-x z),
#                x, z ~ U(-2, 2), N = 3000; and k = 3 on the same data
#   factor       softmax k = 2, x ~ U(-1, 1) and a factor grp (A, B, C: the
#                experts' intercepts move with it), N = 3000 (--factor grp)
#   selk5        mixfit -k 1:6 on k5's data, each seed (nested; k = 5 against
#                k5's best known)
truth d3close '{"family": "softmax", "k": 3, "d": 3, "x_names": ["x1", "x2", "x3"], "y_name": "y",
 "experts": [{"beta0": 0.2, "beta1": [1.5, -1, 0.5], "a": [1, 0.5, 0], "b": 0, "sigma2": 0.1},
             {"beta0": -0.1, "beta1": [-1, 1.5, 0.5], "a": [0.6, 0.9, 0.3], "b": 0.3, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0, 0], "a": [0.3, 0.2, 0.6], "b": -0.2, "sigma2": 0.1}]}'
truth d5 '{"family": "softmax", "k": 3, "d": 5, "x_names": ["x1", "x2", "x3", "x4", "x5"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [2, 0, 0, -1, 0], "a": [1, 0, 0.5, 0, -0.5], "b": 0, "sigma2": 0.1},
             {"beta0": 0.3, "beta1": [0, 2, -1, 0, 0.5], "a": [0.5, 0.5, 0, 0.5, 0], "b": 0.5, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0, 0, 0, 0], "a": [0, 0, 1, -0.5, 0.5], "b": -0.3, "sigma2": 0.1}]}'
truth var100 '{"family": "softmax", "k": 3, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [2], "a": [1], "b": 0, "sigma2": 0.01},
             {"beta0": 0.5, "beta1": [-1], "a": [0.5], "b": 0.5, "sigma2": 1},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 0, "sigma2": 0.1}]}'
truth k5 '{"family": "softmax", "k": 5, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -4, "beta1": [-4], "a": [1], "b": 0, "sigma2": 0.05},
             {"beta0": -1, "beta1": [-2], "a": [-1], "b": 1, "sigma2": 0.05},
             {"beta0": -1, "beta1": [2], "a": [1], "b": 0, "sigma2": 0.05},
             {"beta0": -4, "beta1": [4], "a": [-1], "b": -1, "sigma2": 0.05},
             {"beta0": 0, "beta1": [0], "a": [0.5], "b": 0.5, "sigma2": 0.05}]}'
truth topk-d2k1b '{"family": "topk", "k": 4, "d": 2, "top_k": 1, "select": "logit", "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": -1, "beta1": [3, 0], "a": [1, 0], "b": 0, "sigma2": 0.1},
             {"beta0": -1, "beta1": [0, 3], "a": [0, 1], "b": 1, "sigma2": 0.1},
             {"beta0": -1, "beta1": [-3, -3], "a": [-1, -1], "b": -1, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0], "a": [0.5, -0.5], "b": 0.5, "sigma2": 0.1}]}'
truth act-d2 '{"family": "activation", "k": 2, "d": 2, "tau": 0.5, "tau_estimated": true, "activation": "tanh",
 "bias": "outside", "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": -0.3, "beta1": [2, -1], "a": [1, 0], "b": 0, "sigma2": 0.1},
             {"beta0": 0, "beta1": [-1, 1.5], "a": [-1, 0.5], "b": 0.5, "sigma2": 0.1}]}'
truth temp-d2 '{"family": "temperature", "k": 3, "d": 2, "tau": 0.3, "tau_estimated": true, "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": 0.1, "beta1": [0.5, 0.5], "a": [1, 0], "b": 0, "sigma2": 0.1},
             {"beta0": 0, "beta1": [-0.5, 0.5], "a": [0, 1], "b": 0.5, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0], "a": [-1, -1], "b": -0.5, "sigma2": 0.1}]}'
truth gatex '{"family": "softmax", "k": 2, "d": 1, "gate_d": 1, "x_names": ["x"], "gate_x_names": ["z"], "y_name": "y",
 "experts": [{"beta0": 0.3, "beta1": [2.5], "a": [1], "b": 0, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 0.5, "sigma2": 0.2}]}'
truth factor '{"family": "softmax", "k": 2, "d": 3, "x_names": ["x", "grp=B", "grp=C"], "y_name": "y",
 "factors": [{"column": "grp", "levels": ["A", "B", "C"]}],
 "experts": [{"beta0": 0.2, "beta1": [2, 0.5, -0.5], "a": [2, 1, 0], "b": 0, "sigma2": 0.09},
             {"beta0": 0, "beta1": [0, 0, 0], "a": [-1, 0, 1], "b": 0, "sigma2": 0.09}]}'
truth gatex-k3 '{"family": "softmax", "k": 3, "d": 1, "gate_d": 1, "x_names": ["x"], "gate_x_names": ["z"], "y_name": "y",
 "experts": [{"beta0": -0.39315, "beta1": [2.5], "a": [1], "b": 0.05, "sigma2": 0.1},
             {"beta0": -0.39315, "beta1": [2.5], "a": [1], "b": -0.05, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 0.5, "sigma2": 0.2}]}'
truth covs2 '{"family": "softmax", "k": 1, "d": 2, "x_names": ["x", "z"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [0, 0], "a": [0, 0], "b": 0, "sigma2": 1}]}'

# group 2's data: the covariates of gatex and factor drawn by mixsim from a
# one-expert model (covs2), then their y from the truth (--x)
group2_data() {
    while read -r out model n range; do
        simulate "$out" "$model" "$n" "$range" 17
    done <<EOF
d3close d3close 4000 -1:1
d5 d5 5000 -1:1
var100 var100 3000 -2:2
small2 over1 200 -2:2
small3 var100 300 -2:2
k5 k5 5000 -3:3
topk-d2k1b topk-d2k1b 5000 -1:1
act-d2 act-d2 4000 -2:2
temp-d2 temp-d2 4000 -1:1
w3000 over1 3000 -2:2
EOF
    [ -s "$work/weights.csv" ] || awk -F, 'NR == 1 { print "x,w,y"; next }
        { printf "%s,%d,%s\n", $1, 1 + NR % 3, $2 }' "$work/w3000.csv" >"$work/weights.csv"
    simulate covs2 covs2 3000 -2:2 17
    [ -s "$work/gatex.csv" ] || "$src/mixsim" -m "$work/gatex.json" --x "$work/covs2.csv" -s 17 \
        -o "$work/gatex.csv" || exit 1
    [ -s "$work/factor-x.csv" ] || awk -F, 'NR == 1 { print "x,grp"; next }
        { printf "%.17g,%s\n", $1 / 2, $2 < -2 / 3 ? "A" : $2 < 2 / 3 ? "B" : "C" }' \
        "$work/covs2.csv" >"$work/factor-x.csv"
    [ -s "$work/factor-ind.csv" ] || "$src/mixsim" -m "$work/factor.json" --x "$work/factor-x.csv" -s 17 \
        -o "$work/factor-ind.csv" || exit 1
    # mixsim writes the indicator columns (grp=B, grp=C): the fit reads the factor
    [ -s "$work/factor.csv" ] || awk -F, 'NR == FNR { y[FNR] = $NF; next } { print $0 "," y[FNR] }' \
        "$work/factor-ind.csv" "$work/factor-x.csv" >"$work/factor.csv"
}

# fit RUN DATA ARGS...: mixfit into RUN.json; prints "loglik iterations stop
# cpu minvar", minvar the smallest expert variance over var(y) (the floor is
# 1e-6: a small value is a spike, an expert on a few rows)
fit() {
    run=$1 data=$2
    shift 2
    if ! /usr/bin/time -f "%U %S" -o "$work/$run.time" "$src/mixfit" --threads 1 -q "$@" \
        -o "$work/$run.json" "$data" 2>"$work/$run.err"; then
        echo "NA NA failed NA"
        return
    fi
    flat=$(tr -d ' \n' <"$work/$run.json")
    for key in loglik iterations stop; do
        v=$(printf '%s\n' "$flat" | sed -n "s/.*\"fit\":{.*\"$key\":\"\{0,1\}\([^,\"}]*\).*/\1/p")
        printf '%s ' "${v:-NA}"
    done
    vy=$(awk -F, 'NR > 1 { s += $NF; ss += $NF * $NF; n++ } END { print ss / n - (s / n) ^ 2 }' "$data")
    awk '{ printf "%.2f ", $1 + $2 }' "$work/$run.time"
    printf '%s\n' "$flat" | sed 's/"sigma2":/\n&/g' | sed -n 's/^"sigma2":\([^,}]*\).*/\1/p' |
        awk -v vy="$vy" '{ if (m == "" || $1 + 0 < m + 0) m = $1 } END { printf "%.2g\n", m / vy }'
}

echo "start: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
    "commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
fmt='%-12s %-7s %18s %18s %10s %6s %-15s %8s %8s %s\n'
printf "$fmt" case run loglik best_known gap iter stop cpu_s minvar flag
best_of() { awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^-?[0-9]/ && (b == "" || $i + 0 > b + 0)) b = $i }
    END { print (b == "" ? "NA" : b) }'; }
row() { # case run "ll it stop cpu" best
    set -- "$1" "$2" $3 "$4"
    [ $# = 8 ] || set -- "$1" "$2" "$3" "$4" "$5" "$6" NA "$8"
    awk -v c="$1" -v r="$2" -v ll="$3" -v it="$4" -v st="$5" -v cpu="$6" -v mv="${7:-NA}" -v b="$8" \
        -v fmt="$fmt" 'BEGIN {
        ok = (ll ~ /^-?[0-9]/ && ll + 0 == ll + 0)
        gap = (ok && b != "NA") ? sprintf("%.4f", b - ll) : "NA"
        flag = ""
        if (!ok) flag = "BAD"
        else if (gap != "NA" && gap > 1 && st == "tolerance") flag = (r == "truth") ? "LOCAL" : "WRONG"
        else if (gap != "NA" && gap > 0.05) flag = "GAP"
        printf fmt, c, r, ll, b, gap, it, st, cpu, mv, flag }'
}

# bench NAME DATA INIT EXTRA_BEST ARGS...: seeds, the fit from INIT, the
# many-start fit (and with nosplit=1 the same starts, random only, each run
# to the end: --no-split), then a row each
bench() {
    name=$1 data=$2 init=$3 extra=$4
    shift 4
    for s in $seeds; do
        eval "r_s$s=\$(fit \"\$name-s\$s\" \"\$data\" --seed \"\$s\" \"\$@\")"
    done
    # (truth_drop: leading ARGS the --init fit leaves out, as --factor: the
    # model file has the factors)
    r_truth=$(shift "${truth_drop:-0}"; fit "$name-truth" "$data" --init "$init" --restarts 1 "$@")
    r_many=$(fit "$name-many" "$data" --seed 99 --restarts "$many" "$@")
    runs="$(echo "$seeds" | sed 's/[0-9][0-9]*/s&/g') truth many"
    if [ "$nosplit" = 1 ]; then
        r_nosplit=$(fit "$name-nosplit" "$data" --seed 99 --restarts "$many" --no-split "$@")
        runs="$runs nosplit"
    fi
    all="$extra"
    for r in $runs; do
        eval "all=\"\$all \$(echo \$r_$r | cut -d' ' -f1)\""
    done
    best=$(echo "$all" | best_of)
    for r in $runs; do
        eval "row \"\$name\" \"\$r\" \"\$r_$r\" \"\$best\""
    done
}

best1_2=NA best1_3=NA best1_4=NA
nosplit=1 # softmax and temperature: the split starts and their screening
if wanted over1; then
    bench over1-k2 "$work/over1.csv" "$work/over1.json" "" -k 2
    best1_2=$best
    bench over1-k3 "$work/over1.csv" "$work/over1-k3.json" "$best1_2" -k 3
    best1_3=$best
    bench over1-k4 "$work/over1.csv" "$work/over1-k4.json" "$best1_3" -k 4
    best1_4=$best
fi
if wanted over1b; then
    bench over1b-k2 "$work/over1b.csv" "$work/over1.json" "" -k 2
    bench over1b-k3 "$work/over1b.csv" "$work/over1-k3.json" "$best" -k 3
    bench over1b-k4 "$work/over1b.csv" "$work/over1-k4.json" "$best" -k 4
fi
if wanted over2; then
    bench over2-k2 "$work/over2.csv" "$work/over2.json" "" -k 2
    bench over2-k3 "$work/over2.csv" "$work/over2-k3.json" "$best" -k 3
    bench over2-k4 "$work/over2.csv" "$work/over2-k4.json" "$best" -k 4
fi
nosplit=0 # no split starts in these families: --no-split changes nothing
wanted topk1 && bench topk1 "$work/topk1.csv" "$work/topk1.json" "" -k 3 --gating topk --top-k 1 --select logit
wanted topk2 && bench topk2 "$work/topk2.csv" "$work/topk2.json" "" -k 4 --gating topk --top-k 2 --select logit
wanted topk-d2k1 && bench topk-d2k1 "$work/topk-d2k1.csv" "$work/topk-d2k1.json" "" -k 3 --gating topk --top-k 1 \
    --select logit
wanted topk-d2k2 && bench topk-d2k2 "$work/topk-d2k2.csv" "$work/topk-d2k2.json" "" -k 4 --gating topk --top-k 2 \
    --select logit
wanted act-tanh2 && bench act-tanh2 "$work/act-tanh2.csv" "$work/act-tanh2.json" "" -k 2 --gating activation \
    --tau-mode estimate
wanted act-sig2 && bench act-sig2 "$work/act-sig2.csv" "$work/act-sig2.json" "" -k 2 --gating activation \
    --activation sigmoid --bias inside --tau-mode estimate
wanted act-tanh3 && bench act-tanh3 "$work/act-tanh3.csv" "$work/act-tanh3.json" "" -k 2 --gating activation \
    --tau-mode estimate
nosplit=1
if wanted temp3; then
    bench temp3 "$work/temp3.csv" "$work/temp3.json" "" -k 3 --gating temperature --tau-mode estimate
    bench temp3-k4 "$work/temp3.csv" "$work/temp3-k4.json" "$best" -k 4 --gating temperature --tau-mode estimate
fi
wanted temp4 && bench temp4 "$work/temp4.csv" "$work/temp4.json" "" -k 4 --gating temperature --tau-mode estimate

# ktable NAME DATA HI BESTS: mixfit -k 1:HI (default starts) on DATA, each
# seed: per k the log-likelihood, its gap to the (k-1) value (nested: >= 0)
# and to that k's best known (BESTS "k=value ...", from the cases above; NA
# when not run)
ktable() {
    for s in $seeds; do
        /usr/bin/time -f "%U %S" -o "$work/$1-s$s.time" "$src/mixfit" --threads 1 -q -k 1:"$3" --seed "$s" \
            --table "$work/$1-s$s.csv" -o "$work/$1-s$s.json" "$2" 2>"$work/$1-s$s.err"
        echo "$1: mixfit -k 1:$3 --seed $s on $(basename "$2"), exit $?," \
            "CPU $(awk '{ printf "%.2f", $1 + $2 }' "$work/$1-s$s.time") s"
        printf '   %3s %18s %6s %9s %12s %12s %s\n' k loglik iter converged minus_k-1 below_best flag
        tail -n +2 "$work/$1-s$s.csv" | awk -F, -v bests="$4" '
            BEGIN { n = split(bests, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); b[p[1]] = p[2] } }
            { best = ($1 in b) ? b[$1] : "NA"
            dp = (NR == 1) ? "NA" : sprintf("%.4f", $2 - prev)
            db = (best == "NA") ? "NA" : sprintf("%.4f", best - $2)
            flag = (dp != "NA" && dp < -1e-6) ? "NOT-NESTED" : ""
            if (db != "NA" && db > 1 && $8 == 1) flag = flag " WRONG"
            else if (db != "NA" && db > 0.05) flag = flag " GAP"
            printf "   %3s %18.6f %6s %9s %12s %12s %s\n", $1, $2, $7, $8 == 1 ? "yes" : "no", dp, db, flag
            prev = $2 }'
    done
}
# -k 1:4 on over1's data
wanted selk && ktable selk "$work/over1.csv" 4 "2=$best1_2 3=$best1_3 4=$best1_4"

# group 2
g2=0
for c in $group2; do wanted "$c" && g2=1; done
[ "$g2" = 1 ] && group2_data
nosplit=1
wanted d3close && bench d3close "$work/d3close.csv" "$work/d3close.json" "" -k 3
wanted d5 && bench d5 "$work/d5.csv" "$work/d5.json" "" -k 3
wanted var100 && bench var100 "$work/var100.csv" "$work/var100.json" "" -k 3
if wanted small; then
    bench small2 "$work/small2.csv" "$work/over1.json" "" -k 2
    bench small3 "$work/small3.csv" "$work/var100.json" "" -k 3
fi
best5=NA
if wanted k5; then
    bench k5 "$work/k5.csv" "$work/k5.json" "" -k 5
    best5=$best
fi
if wanted weights; then
    bench weights-k2 "$work/weights.csv" "$work/over1.json" "" -k 2 --weights w
    bench weights-k3 "$work/weights.csv" "$work/over1-k3.json" "$best" -k 3 --weights w
fi
if wanted gatex; then
    bench gatex-k2 "$work/gatex.csv" "$work/gatex.json" "" -k 2 -x x --gate-x z
    bench gatex-k3 "$work/gatex.csv" "$work/gatex-k3.json" "$best" -k 3 -x x --gate-x z
fi
if wanted factor; then
    truth_drop=2
    bench factor "$work/factor.csv" "$work/factor.json" "" --factor grp -k 2
    truth_drop=0
fi
wanted temp-d2 && bench temp-d2 "$work/temp-d2.csv" "$work/temp-d2.json" "" -k 3 --gating temperature \
    --tau-mode estimate
nosplit=0
wanted topk-d2k1b && bench topk-d2k1b "$work/topk-d2k1b.csv" "$work/topk-d2k1b.json" "" -k 4 --gating topk \
    --top-k 1 --select logit
wanted act-d2 && bench act-d2 "$work/act-d2.csv" "$work/act-d2.json" "" -k 2 --gating activation \
    --tau-mode estimate
wanted selk5 && ktable selk5 "$work/k5.csv" 6 "5=$best5"
echo "end: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work directory: $work"
