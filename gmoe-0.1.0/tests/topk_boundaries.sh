#!/bin/sh
# top-K with select = logit (issue 11): EM cannot move a selection
# boundary, so a start that misplaces one used to end far below the
# maximum.  Here (k = 3, K = 2, d = 2, the biases change the selection,
# 3000 rows) the default fit (seed 1) before the boundary moves of
# lib/topk_starts.c ended 52.5 log-likelihood units below the fit started
# at the truth (-2287.95 against -2235.41); with them it ends 0.001 from
# it.  The tolerance, 0.05, is issue 11's target for the default fit; the
# fit from the truth goes through the same moves, so it is the best known.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

cat >"$WORK/truth.json" <<'JSON'
{"family": "topk", "k": 3, "d": 2, "top_k": 2, "select": "logit", "x_names": ["x1", "x2"], "y_name": "y",
 "experts": [{"beta0": 1, "beta1": [-3, 1], "a": [-2, 1], "b": 1, "sigma2": 0.1},
             {"beta0": 0.5, "beta1": [2, 3], "a": [2, -1], "b": 0, "sigma2": 0.15},
             {"beta0": 0, "beta1": [0, 0], "a": [0, 0], "b": -2, "sigma2": 0.1}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/truth.json" -n 3000 -s 4 --range -1:1 -o "$WORK/d.csv"
expect_ok "$MIXFIT" -q --threads 1 --init "$WORK/truth.json" -o "$WORK/truth-fit.json" "$WORK/d.csv"
expect_ok "$MIXFIT" -q --threads 1 -k 3 --gating topk --top-k 2 --select logit --seed 1 \
    -o "$WORK/fit.json" "$WORK/d.csv"
best=$(json_number "$WORK/truth-fit.json" loglik)
ll=$(json_number "$WORK/fit.json" loglik)
awk -v a="$ll" -v b="$best" 'BEGIN { exit !(a >= b - 0.05) }' ||
    fail "top-K logit: the default fit ($ll) is more than 0.05 below the fit from the truth ($best)"
ok "top-K logit: the default fit $ll, the fit from the truth $best"
