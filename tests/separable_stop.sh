#!/bin/sh
# A softmax gate that runs off to a step (issue 11 item 4): when the rows of
# two experts are separated by a gap in the gate covariate, the
# log-likelihood rises towards a supremum, by ever
# smaller amounts, as the gate slope grows; no finite parameter attains it.
# EM and Newton stop once the gradient is below the test, and such fits
# used to report "tolerance" (converged) with standard errors of 1e6 to
# 1e43 on the gate.  Now supremum.c sharpens the step in place (2 and 4
# times); when the log-likelihood does not fall, the stop is "separable",
# not converged, the summary warns (its "at the end" line does not call it a
# maximum, the -k LO:HI table says "no (separable)", the separable-gate
# note names the slope and leaves the supremum to the stop's note), and
# the file reads back.  The control:
# a steep but smooth gate (true slope 200 on 5000 rows, about 25 rows in
# the transition band), whose maximum is finite, stays converged.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

cat >"$WORK/left.json" <<'JSON'
{"family": "softmax", "k": 1, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [0], "a": [2], "b": 1, "sigma2": 0.09}]}
JSON
cat >"$WORK/right.json" <<'JSON'
{"family": "softmax", "k": 1, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [0], "a": [-1], "b": -1, "sigma2": 0.09}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/left.json" -n 300 -s 3 --range -1:-0.2 -o "$WORK/left.csv"
expect_ok "$MIXSIM" -m "$WORK/right.json" -n 300 -s 4 --range 0.2:1 -o "$WORK/right.csv"
{ cat "$WORK/left.csv"; sed 1d "$WORK/right.csv"; } >"$WORK/gap.csv"
for seed in 1 2 3; do
    expect_ok "$MIXFIT" --threads 1 -k 2 --seed $seed -o "$WORK/fit.json" "$WORK/gap.csv" 2>"$WORK/err"
    grep -q '"stop": "separable"' "$WORK/fit.json" ||
        fail "gap, seed $seed: stop $(sed -n 's/.*"stop": *"\([a-z-]*\)".*/\1/p' "$WORK/fit.json"), want separable"
    grep -q '"converged": false' "$WORK/fit.json" || fail "gap, seed $seed: reported converged"
    grep -q 'the gate is separable (stop: separable)' "$WORK/err" || fail "gap, seed $seed: no warning"
    grep -q 'NOT converged (stop: separable)' "$WORK/err" || fail "gap, seed $seed: the summary says converged"
    grep -q 'a supremum, not a maximum' "$WORK/err" || fail "gap, seed $seed: the summary calls the end a maximum"
    grep -q 'negative definite (a maximum)' "$WORK/err" && fail "gap, seed $seed: the summary calls the end a maximum"
    # one thing each: the gate note names the slope, the stop's note the supremum
    grep -q 'stands for a step at the boundary (stop: separable)' "$WORK/fit.json" ||
        fail "gap, seed $seed: the separable-gate note repeats the stop's note"
    ok "gap, seed $seed: separable, not converged"
done
expect_ok "$MIXFIT" --threads 1 -k 1:2 --seed 1 -o "$WORK/fitk.json" "$WORK/gap.csv" 2>"$WORK/err"
grep -Eq '^ +2 .* no \(separable\)$' "$WORK/err" || fail "gap, -k 1:2: the table does not say why k = 2 did not converge"
ok "gap, -k 1:2: the table says no (separable)"
expect_ok "$MIXPREDICT" --model "$WORK/fit.json" -o "$WORK/pred.csv" "$WORK/gap.csv"
ok "a fit with stop separable reads back"

cat >"$WORK/steep.json" <<'JSON'
{"family": "softmax", "k": 2, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [200], "a": [2], "b": 1, "sigma2": 0.09},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": -1, "sigma2": 0.09}]}
JSON
expect_ok "$MIXSIM" -m "$WORK/steep.json" -n 5000 -s 5 --range -1:1 -o "$WORK/steep.csv"
expect_ok "$MIXFIT" -q --threads 1 -k 2 --seed 1 -o "$WORK/fit.json" "$WORK/steep.csv"
grep -q '"stop": "tolerance"' "$WORK/fit.json" ||
    fail "steep gate: stop $(sed -n 's/.*"stop": *"\([a-z-]*\)".*/\1/p' "$WORK/fit.json"), want tolerance"
grep -q 'but a maximum' "$WORK/fit.json" || fail "steep gate: the note does not say it is a maximum"
ok "a steep but finite gate stays converged"

# A factor level in the gate whose rows all belong to one expert (61 of
# 2000 rows, the truth's level slope -60): the level's slope runs off alone
# while the x gate is an interior maximum, so sharpening the whole pair
# loses; its slope is sharpened alone.  It ended "tolerance" with the slope
# -27.8 (se 9.8e4), below the separable note's 30.  The control: the level
# slope -2 (rows of both experts at the level) stays converged.
awk 'BEGIN { print "x,gB,gC"; for (i = 0; i < 2000; i++)
    printf "%.6f,%d,%d\n", -1 + 2 * ((i * 7919) % 2000) / 1999, i % 33 != 0 && i % 2 == 0, i % 33 == 0 }' >"$WORK/covn.csv"
awk -F, 'NR > 1 { $0 = sprintf("%s,%s", $1, $3 ? "C" : $2 ? "B" : "A") } NR == 1 { $0 = "x,grp" } { print }' \
    "$WORK/covn.csv" >"$WORK/covs.csv"
for level in -60 -2; do
    cat >"$WORK/level.json" <<JSON
{"family": "softmax", "k": 2, "d": 1, "gate_d": 3, "x_names": ["x"], "gate_x_names": ["x", "gB", "gC"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [2, 0, $level], "a": [2], "b": 1, "sigma2": 0.09},
             {"beta0": 0, "beta1": [0, 0, 0], "a": [-1], "b": -1, "sigma2": 0.09}]}
JSON
    expect_ok "$MIXSIM" -m "$WORK/level.json" --x "$WORK/covn.csv" -s 5 -o "$WORK/sim.csv"
    awk -F, 'NR == FNR { y[FNR] = $NF; next } { print $0 "," y[FNR] }' "$WORK/sim.csv" "$WORK/covs.csv" >"$WORK/level.csv"
    expect_ok "$MIXFIT" -q --threads 1 -k 2 --seed 1 -x x --gate-x x,grp --factor grp -o "$WORK/fit.json" "$WORK/level.csv"
    want=tolerance
    [ "$level" = -60 ] && want=separable
    grep -q "\"stop\": \"$want\"" "$WORK/fit.json" ||
        fail "level slope $level: stop $(sed -n 's/.*"stop": *"\([a-z-]*\)".*/\1/p' "$WORK/fit.json"), want $want"
    ok "a gate factor level of slope $level: $want"
done
