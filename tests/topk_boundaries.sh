#!/bin/sh
# top-K with select = logit (issue 11): EM cannot move a selection
# boundary, so a start that misplaces one used to end far below the
# maximum.  Each case: the default fit must end within 0.05 (issue 11's
# target for the default fit) of the fit started at the truth, which goes
# through the same moves, so it is the best known.
#
# 1. k = 3, K = 2, d = 2, the biases change the selection, 3000 rows: the
#    default fit (seed 1) before the boundary moves of lib/topk_starts.c
#    ended 52.5 below the fit from the truth (-2287.95 against -2235.41);
#    with them it ends within 0.03 of it (0.001 at the time of writing).
# 2. k = 4, K = 2, d = 1, 4000 rows: the truth selects expert 4 on two
#    separate intervals of x ([-1, -0.1] and a sliver at [0.20, 0.25]).  The
#    default fit (seed 3) used to give the sliver to another expert, fitted
#    to a mix of two true experts' rows: a point where no move of one gate
#    coordinate gains with the experts held, 39.4 below the fit from the
#    truth (-2166.69 against -2127.28), 'stalled'.  The moves judged after
#    re-fitting the experts (lib/topk_refit.c) remove the sliver: it ends
#    at the fit from the truth (0.0006 above it at the time of writing).
. "${TEST_DATADIR:-data}/../cli_lib.sh"

# near_truth NAME K SEED ROWS DATASEED: simulates ROWS rows from
# $WORK/NAME.json and compares the default fit with the fit from the truth
near_truth() {
    expect_ok "$MIXSIM" -m "$WORK/$1.json" -n "$4" -s "$5" --range -1:1 -o "$WORK/$1.csv"
    expect_ok "$MIXFIT" -q --threads 1 --init "$WORK/$1.json" -o "$WORK/$1-truth.json" "$WORK/$1.csv"
    k=$(sed -n 's/.*"k": *\([0-9]*\),.*/\1/p' "$WORK/$1.json" | head -1)
    expect_ok "$MIXFIT" -q --threads 1 -k "$k" --gating topk --top-k "$2" --select logit --seed "$3" \
        -o "$WORK/$1-fit.json" "$WORK/$1.csv"
    near_best "$1" "$WORK/$1-fit.json" "$WORK/$1-truth.json"
}

cat >"$WORK/k3d2.json" <<'JSON'
{"family": "topk", "k": 3, "d": 2, "top_k": 2, "select": "logit", "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": 1, "beta1": [-3, 1], "a": [-2, 1], "b": 1, "sigma2": 0.1},
             {"beta0": 0.5, "beta1": [2, 3], "a": [2, -1], "b": 0, "sigma2": 0.15},
             {"beta0": 0, "beta1": [0, 0], "a": [0, 0], "b": -2, "sigma2": 0.1}]}
JSON
near_truth k3d2 2 1 3000 4
# Under the sanitizers the first case is the whole test.
sanitized_build && exit 0

cat >"$WORK/k4sliver.json" <<'JSON'
{"family": "topk", "k": 4, "d": 1, "top_k": 2, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 1, "beta1": [-5], "a": [-3], "b": 2, "sigma2": 0.09},
             {"beta0": 0.5, "beta1": [5], "a": [3], "b": 2, "sigma2": 0.16},
             {"beta0": -0.5, "beta1": [2], "a": [1], "b": -1, "sigma2": 0.09},
             {"beta0": 0, "beta1": [0], "a": [0], "b": -2, "sigma2": 0.1}]}
JSON
near_truth k4sliver 2 3 4000 5
