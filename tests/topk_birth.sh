#!/bin/sh
# top-K with select = logit, K = 2, k = 5 (issue 11): a fit can end with a
# true expert missing altogether, its rows shared out between the two
# experts selected there, one of them fitted to a mix of lines (a large
# variance).  No move of the boundaries gains there, held or with the
# experts re-fitted.  On these data (3000 rows, the bench's topk-k5 truth)
# the default fit, seed 1, ended 59.7 below the fit started at the truth
# (-1900.82 against -1841.17), 'stalled'.  The move of lib/topk_birth.c
# gives an expert a new line where the fit explains the rows worst (and a
# gate that selects it there), runs EM and the boundary moves on from it,
# and keeps it when that ends higher: the default fit then ends at the
# fit from the truth (0.02 above it at the time of writing).  The test asks
# for issue 11's tolerance, 0.05 below the fit from the truth (which goes
# through the same moves).  On a processor with AVX2 but no AVX-512 (other
# last bits in exp and log) the seed 1 fit's rounds of boundary moves
# crept for all 12 rounds, gaining 0.001-0.01 each, and the proposals,
# then made only at a fixed point of the rounds, never ran: -1894.13, 53
# below.  They now run where the rounds end.
#
# Second case: a fit can also end with every true line fitted but two
# experts selected together in the wrong order: where a third expert's
# score rises past them, the gate drops the expert whose line fits there
# and keeps the other.  The start wrong-order.json is where the scalar
# build (--disable-vector-math) left the default fit, seed 1 (to 3 or 4
# digits): over x in (0.087, 0.335) true expert 5's rows go to expert 5,
# fitted to true expert 2's line and dragged towards them.  Every move of
# one gate coordinate, held or with the experts re-fitted, and the
# new-line proposals lose from there: before lib/topk_exchange.c the fit
# from it ended at -1863.35, 22.2 below the fit from the truth, in both
# builds.  The exchange of experts 2 and 5's lines, then their gates
# turned about the ends of their selection runs, run on, ends at the fit
# from the truth (within 0.01).
. "${TEST_DATADIR:-data}/../cli_lib.sh"

cat >"$WORK/k5.json" <<'JSON'
{"family": "topk", "k": 5, "d": 1, "top_k": 2, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -1.5, "beta1": [-8], "a": [1], "b": 0, "sigma2": 0.1},
             {"beta0": -0.5, "beta1": [-3], "a": [-1], "b": 1, "sigma2": 0.1},
             {"beta0": -1, "beta1": [3], "a": [2], "b": -1, "sigma2": 0.1},
             {"beta0": -2, "beta1": [8], "a": [-2], "b": 2, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [0], "b": 0.5, "sigma2": 0.1}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/k5.json" -n 3000 -s 7 --range -1:1 -o "$WORK/k5.csv"
expect_ok "$MIXFIT" -q --threads 1 --init "$WORK/k5.json" -o "$WORK/truth.json" "$WORK/k5.csv"
# Under the sanitizers the fit from the truth (which runs the same moves)
# is the whole test.
sanitized_build && exit 0
expect_ok "$MIXFIT" -q --threads 1 -k 5 --gating topk --top-k 2 --select logit --seed 1 \
    -o "$WORK/fit.json" "$WORK/k5.csv"
near_best "k = 5, K = 2, seed 1" "$WORK/fit.json" "$WORK/truth.json"
cat >"$WORK/wrong-order.json" <<'JSON'
{"family": "topk", "k": 5, "d": 1, "top_k": 2, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -1.377, "beta1": [-5.515], "a": [0.989], "b": -0.011, "sigma2": 0.1009},
             {"beta0": -0.409, "beta1": [-0.31], "a": [0.01], "b": 0.423, "sigma2": 0.1066},
             {"beta0": -1.487, "beta1": [6.211], "a": [-2.016], "b": 1.995, "sigma2": 0.1022},
             {"beta0": -0.588, "beta1": [1.76], "a": [1.987], "b": -0.966, "sigma2": 0.0966},
             {"beta0": 0, "beta1": [0], "a": [-1.302], "b": 0.828, "sigma2": 0.1248}]}
JSON
expect_ok "$MIXFIT" -q --threads 1 --init "$WORK/wrong-order.json" --restarts 1 \
    -o "$WORK/order.json" "$WORK/k5.csv"
near_best "k = 5, K = 2, from the wrong order" "$WORK/order.json" "$WORK/truth.json"
