#!/bin/sh
# Column names through the tools, with d = 2: a model without names
# simulates columns x1, x2, y; mixfit selects with -x/-y in any order and
# among other columns, names the parameters in its summary and writes the
# names into the model; mixpredict finds the model's columns wherever they
# are and ignores the others.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
M=$TEST_DATADIR/cli_model_nonames.json

expect_ok "$MIXSIM" --model "$M" -n 3000 --seed 4 --range -1:1,0:2 --latent -o "$WORK/sim.csv"
head -n 1 "$WORK/sim.csv" | grep -qx 'x1,x2,y,z' || fail "header $(head -n 1 "$WORK/sim.csv")"
awk -F, 'NR > 1 && !($1 >= -1 && $1 < 1 && $2 >= 0 && $2 < 2) { bad = 1 } END { exit bad }' "$WORK/sim.csv" ||
    fail "--range LO:HI,LO:HI not applied per covariate"
ok "mixsim: default names x1, x2, y and per-covariate ranges"

# the response first, an unused text column, covariates asked in reverse order
awk -F, 'BEGIN { OFS = "," } { print $3, (NR == 1 ? "note" : "n/a"), $1, $2 }' "$WORK/sim.csv" >"$WORK/shuffled.csv"
expect_ok "$MIXFIT" -k 2 --restarts 3 -y y -x x2,x1 -o "$WORK/fit.json" "$WORK/shuffled.csv"
grep -q '"x_names": \["x2", "x1"\]' "$WORK/fit.json" || fail "x_names not written"
grep -q '"y_name": "y"' "$WORK/fit.json" || fail "y_name not written"
for text in "y on x2, x1, n = 3000 rows" "gate slope x2" "gate slope x1" "slope x2" "slope x1"; do
    grep -qF "$text" "$WORK/err" || fail "summary lacks '$text'"
done
ok "mixfit -y y -x x2,x1 among other columns"

# the fitted model predicts from the shuffled file as from the original one
expect_ok "$MIXPREDICT" --model "$WORK/fit.json" "$WORK/shuffled.csv"
mv "$WORK/out" "$WORK/p1.csv"
expect_ok "$MIXPREDICT" --model "$WORK/fit.json" "$WORK/sim.csv"
cmp -s "$WORK/p1.csv" "$WORK/out" || fail "predictions depend on the column order"
ok "mixpredict finds the model's columns by name"
