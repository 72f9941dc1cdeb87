#!/bin/sh
# The rule for spurious maxima (spurious.c) and small data (issue 11): on
# 150 rows of a k = 3 model with variances 0.01, 1 and 0.1, the true narrow
# expert holds 56 rows at 0.016 times the pooled variance, fewer than the
# rule's 100 rows per parameter.  Without the rule's share condition it was
# called spurious, the default fit returned a maximum 3.18 below the fit
# from the truth with the note "try a smaller k"; a spike of 12 rows (8%)
# at 3.6e-4 times the pooled variance is still set aside.  The tolerance is
# issue 11's 0.05.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

cat >"$WORK/truth.json" <<'JSON'
{"family": "softmax", "k": 3, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [2], "a": [1], "b": 0, "sigma2": 0.01},
             {"beta0": 0.5, "beta1": [-1], "a": [0.5], "b": 0.5, "sigma2": 1},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 0, "sigma2": 0.1}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/truth.json" -n 150 -s 2 --range -2:2 -o "$WORK/data.csv"
expect_ok "$MIXFIT" -k 3 --init "$WORK/truth.json" --threads 1 -q -o "$WORK/best.json" "$WORK/data.csv"
grep -q '"stop": "tolerance"' "$WORK/best.json" || fail "the fit from the truth did not converge"
for s in 1 2 3; do
    expect_ok "$MIXFIT" -k 3 --seed "$s" --threads 1 -q -o "$WORK/fit$s.json" "$WORK/data.csv"
    if grep -q '"code": "spurious"' "$WORK/fit$s.json"; then fail "seed $s: a true expert called spurious"; fi
    near_best "k = 3, seed $s" "$WORK/fit$s.json" "$WORK/best.json"
done
