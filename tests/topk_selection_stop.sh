#!/bin/sh
# top-K with K = 1 (issue 11): the gate enters only through its selection
# boundaries, so the gradient test says nothing about it.  Such a fit used
# to report "tolerance" (converged) wherever EM stopped: on these data
# (k = 3 fitted to a two-piece line, 4000 rows) seeds 1-5 ended 2.2 to 6.2
# log-likelihood units below the best placement of the boundaries (exact
# over every pair of cut points with each expert on at least 1% of the
# rows: -1360.91), all "converged".  Now the boundary moves run to a
# fixed point (the relocation of an expert, topk_relocate.c, then the
# search over a grid of cut points, topk_segments.c) and the stop says what
# that is: "selection-local", not converged.  The file must read back with
# that stop, and the fit must reach the best placement: with the moves
# alone seeds 1 and 3 ended at -1362.66 (1.75 below); with the grid search
# both end at -1360.913.  The test asks for -1360.96 (the exact best less
# issue 11's tolerance 0.05).
. "${TEST_DATADIR:-data}/../cli_lib.sh"

cat >"$WORK/truth.json" <<'JSON'
{"family": "topk", "k": 3, "d": 1, "top_k": 1, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 1, "beta1": [-4], "a": [-3], "b": 2, "sigma2": 0.09},
             {"beta0": 1, "beta1": [4], "a": [3], "b": 2, "sigma2": 0.16},
             {"beta0": 0, "beta1": [0], "a": [0], "b": -2, "sigma2": 0.09}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/truth.json" -n 4000 -s 5 --range -1:1 -o "$WORK/d.csv"
for seed in 1 3; do
    expect_ok "$MIXFIT" -q --threads 1 -k 3 --gating topk --top-k 1 --select logit --seed $seed \
        -o "$WORK/fit.json" "$WORK/d.csv"
    grep -q '"stop": "selection-local"' "$WORK/fit.json" ||
        fail "K = 1, seed $seed: stop $(sed -n 's/.*"stop": *"\([a-z-]*\)".*/\1/p' "$WORK/fit.json"), want selection-local"
    grep -q '"converged": false' "$WORK/fit.json" || fail "K = 1, seed $seed: reported converged"
    ll=$(json_number "$WORK/fit.json" loglik)
    awk -v a="$ll" 'BEGIN { exit !(a >= -1360.96) }' ||
        fail "K = 1, seed $seed: log-likelihood $ll below -1360.96"
    ok "K = 1, seed $seed: selection-local, not converged, loglik $ll"
done
# the stop reads back (a model file with it is valid)
expect_ok "$MIXPREDICT" --model "$WORK/fit.json" -o "$WORK/pred.csv" "$WORK/d.csv"
ok "a fit with stop selection-local reads back"

# k = 5, K = 1 (five intervals, one per expert), 4000 rows: the grid search
# alone put a cut about a dozen rows off (seed 1 -1031.02, 18.6 below the
# fit from the truth); moving each cut to its best row (refine_cuts in
# lib/topk_segments.c) ends at the fit from the truth, -1012.3715.  The
# tolerance, 0.05, is issue 11's.
cat >"$WORK/k5.json" <<'JSON'
{"family": "topk", "k": 5, "d": 1, "top_k": 1, "select": "logit", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": -4, "beta1": [-10], "a": [1], "b": 0, "sigma2": 0.1},
             {"beta0": -1, "beta1": [-5], "a": [-1], "b": 1, "sigma2": 0.1},
             {"beta0": -1, "beta1": [5], "a": [2], "b": -1, "sigma2": 0.1},
             {"beta0": -4, "beta1": [10], "a": [-2], "b": 2, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [0], "b": 0.5, "sigma2": 0.1}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/k5.json" -n 4000 -s 5 --range -1:1 -o "$WORK/k5.csv"
expect_ok "$MIXFIT" -q --threads 1 --init "$WORK/k5.json" -o "$WORK/k5-truth.json" "$WORK/k5.csv"
expect_ok "$MIXFIT" -q --threads 1 -k 5 --gating topk --top-k 1 --select logit --seed 1 \
    -o "$WORK/k5-fit.json" "$WORK/k5.csv"
near_best "k = 5, K = 1" "$WORK/k5-fit.json" "$WORK/k5-truth.json"
