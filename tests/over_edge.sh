#!/bin/sh
# Edge starts (issue 11, lib/edge_start.c): 5000 rows of a softmax model
# with two experts and two covariates (the audit's over2, x ~ U(-1, 1)^2),
# fitted with k = 3.  The default fit of seeds 1, 2 and 3 ended at
# -3894.0706, "converged", 1.34 below the best maximum known now
# (-3892.7285: the third expert on the rows at the low end of x2, about
# 2% of them, through a steep gate) and 1.23 below the best of nine
# 100-start fits (-3892.8394).  No random or split start reaches those:
# each differs from the default's end by one small expert at an edge of
# the design.  An edge start (the k = 2 fit and a new expert fitted to the
# rows at one end of a covariate) reaches it.  The best known is the fit
# started there (its parameters as the default fit now writes them); the
# tolerance is the issue's 0.05 (the other maxima are 0.11 and 1.34
# below).
. "${TEST_DATADIR:-data}/../cli_lib.sh"

cat >"$WORK/truth.json" <<'JSON'
{"family": "softmax", "k": 2, "d": 2, "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": 0.3, "beta1": [2, -1.5], "a": [1, 0.5], "b": 0, "sigma2": 0.2},
             {"beta0": 0, "beta1": [0, 0], "a": [-0.5, 1], "b": 1, "sigma2": 0.1}]}
JSON
cat >"$WORK/near.json" <<'JSON'
{"family": "softmax", "k": 3, "d": 2, "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": -0.32795217934201315, "beta1": [-2.332252465693479, 1.6728727628676763],
              "a": [-0.5220916219807902, 0.9835032491811637], "b": 0.9808848220441793, "sigma2": 0.1029270775375504},
             {"beta0": -58812.09974337668, "beta1": [9938.131153375869, -58614.64576350408],
              "a": [0.3873287110954944, -1.2884112008759188], "b": -1.2048128726832565, "sigma2": 0.28910615102176335},
             {"beta0": 0, "beta1": [0, 0], "a": [0.9930277126229101, 0.48666313855079585],
              "b": -0.007444372671725597, "sigma2": 0.21528742389853486}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/truth.json" -n 5000 -s 17 --range -1:1 -o "$WORK/data.csv"
expect_ok "$MIXFIT" -k 3 --init "$WORK/near.json" --threads 1 -q -o "$WORK/best.json" "$WORK/data.csv"
seeds="1 2 3"
sanitized_build && seeds=1
for s in $seeds; do
    expect_ok "$MIXFIT" -k 3 --seed "$s" --threads 1 -q -o "$WORK/fit$s.json" "$WORK/data.csv"
    near_best "k = 3, seed $s" "$WORK/fit$s.json" "$WORK/best.json"
done
