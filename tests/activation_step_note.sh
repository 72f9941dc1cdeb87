#!/bin/sh
# Issue 11 audit finding A9: an activation gate whose tau has run towards 0
# is a step in x (its logits act(beta1'x) / tau + beta0 change by beta1 /
# tau per unit of x near act's centre), but the separable-gate note looked
# at beta1 alone, so a fit with tau = 1e-12 and beta1 = 3 got no word that
# only the boundary is identified.  The note now divides by tau for the
# activation gate as for the temperature gate.  Control: the same model at
# its own tau (0.5: 3 / 0.5 times x's sd, about 3.5, far below the note's
# 30) gets no such note.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
model=$EXAMPLE_DATADIR/rate-models/activation.json
expect_ok "$MIXSIM" -m "$model" -n 300 -s 3 -o "$WORK/act.csv"
sed 's/"tau": 0.5/"tau": 1e-12/' "$model" >"$WORK/step.json"
grep -q '"tau": 1e-12' "$WORK/step.json" || fail "could not set tau in $model"
expect_ok "$MIXFIT" -q --threads 1 --init "$WORK/step.json" --restarts 1 -o "$WORK/step-fit.json" "$WORK/act.csv"
grep -q '"code": "separable-gate", "experts": \[1\]' "$WORK/step-fit.json" ||
    fail "tau 1e-12: no separable-gate note for expert 1"
grep -q 'very steep (3e+12 in the logit)' "$WORK/step-fit.json" ||
    fail "tau 1e-12: the note does not give the logit's slope beta1 / tau"
ok "tau 1e-12: the separable-gate note, with the slope over tau"
expect_ok "$MIXFIT" -q --threads 1 --init "$model" --restarts 1 -o "$WORK/smooth-fit.json" "$WORK/act.csv"
if grep -q '"separable-gate"' "$WORK/smooth-fit.json"; then
    fail "tau 0.5: a separable-gate note on a smooth gate"
fi
ok "tau 0.5: no separable-gate note"
