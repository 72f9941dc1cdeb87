#!/bin/sh
# Over-specified softmax (issue 11, found by an outside audit): 5000 rows
# of a model with two experts, fitted with k = 3, have maxima at -3498.63
# (the best known without a spike: the third expert on 2.5% of one
# expert's rows, along another line), -3499.41, -3500.31, -3500.76,
# -3500.87 (two near-duplicate experts) and -3501.29.  The screening's
# order says little of where a run ends, and every split start ends at
# -3500.87 or -3500.76: the default fit of seeds 3, 6 and 9 ended at
# -3500.87, reported converged.  The replicate rule (fit.c: runs go on to
# the end until two agree on a best without near-duplicates) reaches the
# best known on them.  The best known is the fit from a start near it
# (its parameters to two digits); the tolerance is the issue's 0.05 (the
# next maximum is 0.78 below).
. "${TEST_DATADIR:-data}/../cli_lib.sh"

cat >"$WORK/near.json" <<'JSON'
{"family": "softmax", "k": 3, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -3.19, "beta1": [-3.44], "a": [0.65], "b": -1.1, "sigma2": 0.076},
             {"beta0": 0.47, "beta1": [-3.02], "a": [1.54], "b": 0.04, "sigma2": 0.25},
             {"beta0": 0, "beta1": [0], "a": [-0.99], "b": 0.99, "sigma2": 0.105}]}
JSON
over1_data "$WORK/data.csv"
expect_ok "$MIXFIT" -k 3 --init "$WORK/near.json" --threads 1 -q -o "$WORK/best.json" "$WORK/data.csv"
grep -q '"stop": "tolerance"' "$WORK/best.json" || fail "the fit from near the best known did not converge"
for s in 3 6 9; do
    expect_ok "$MIXFIT" -k 3 --seed "$s" --threads 1 -q -o "$WORK/fit$s.json" "$WORK/data.csv"
    near_best "k = 3, seed $s" "$WORK/fit$s.json" "$WORK/best.json"
done
