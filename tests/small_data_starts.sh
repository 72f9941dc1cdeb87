#!/bin/sh
# Small data get more random starts (issue 11, found by an outside audit):
# 300 rows of a k = 3 model with variances 100 times apart have a best
# maximum (the fit from the truth, -193.01) and one 7.69 below where two
# wide experts share the rows of the truth's two wider ones.  With 10
# starts, 7 of seeds 1-10 ended at the lower one, reported converged;
# the automatic number of starts (start_count.c: 100 at n = 300) reaches
# the best on 15 of seeds 1-20, seeds 1-3 among them.  The tolerance is
# the issue's 0.05.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

cat >"$WORK/truth.json" <<'JSON'
{"family": "softmax", "k": 3, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [2], "a": [1], "b": 0, "sigma2": 0.01},
             {"beta0": 0.5, "beta1": [-1], "a": [0.5], "b": 0.5, "sigma2": 1},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 0, "sigma2": 0.1}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/truth.json" -n 300 -s 17 --range -2:2 -o "$WORK/data.csv"
expect_ok "$MIXFIT" -k 3 --init "$WORK/truth.json" --threads 1 -q -o "$WORK/best.json" "$WORK/data.csv"
grep -q '"stop": "tolerance"' "$WORK/best.json" || fail "the fit from the truth did not converge"
for s in 1 2 3; do
    expect_ok "$MIXFIT" -k 3 --seed "$s" --threads 1 -q -o "$WORK/fit$s.json" "$WORK/data.csv"
    grep -q '"restarts": 10[0-9]' "$WORK/fit$s.json" || fail "seed $s: not the automatic 100 random starts"
    near_best "k = 3, seed $s" "$WORK/fit$s.json" "$WORK/best.json"
done
