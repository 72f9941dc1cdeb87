#!/bin/sh
# top-K with select = logit, K = 1, two gate covariates (issue 11): the gate
# is the argmax of the logits, a partition of the square into one convex
# cell per expert, and a fit can end with cells misplaced as a whole, where
# no boundary move gains (one gate coordinate at a time, or an expert
# relocated along one covariate).  On these data (1500 rows of the
# bench-audit topk-d2k1b truth) the default fits, seeds 1-4, ended 60 to 112
# below the fit started at the truth (seed 1: -398.84 against -339.10).
# lib/topk_dense.c continues the fit, and the fit's own random starts, with
# the dense softmax gate of the same parameters (smooth in every boundary),
# reads the best back as top-1 and runs it on: seeds 1-4 then end at the
# fit from the truth.  The test asks for issue 11's tolerance, 0.05 below
# the fit from the truth (which goes through the same moves).
. "${TEST_DATADIR:-data}/../cli_lib.sh"

cat >"$WORK/d2k1.json" <<'JSON'
{"family": "topk", "k": 4, "d": 2, "top_k": 1, "select": "logit", "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": -1, "beta1": [3, 0], "a": [1, 0], "b": 0, "sigma2": 0.1},
             {"beta0": -1, "beta1": [0, 3], "a": [0, 1], "b": 1, "sigma2": 0.1},
             {"beta0": -1, "beta1": [-3, -3], "a": [-1, -1], "b": -1, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0, 0], "a": [0.5, -0.5], "b": 0.5, "sigma2": 0.1}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/d2k1.json" -n 1500 -s 3 --range -1:1 -o "$WORK/d2k1.csv"
expect_ok "$MIXFIT" -q --threads 1 --init "$WORK/d2k1.json" --restarts 1 -o "$WORK/truth.json" \
    "$WORK/d2k1.csv"
expect_ok "$MIXFIT" -q --threads 1 -k 4 --gating topk --top-k 1 --select logit --seed 1 \
    -o "$WORK/fit.json" "$WORK/d2k1.csv"
near_best "k = 4, K = 1, d = 2, seed 1" "$WORK/fit.json" "$WORK/truth.json"
