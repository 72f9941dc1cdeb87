#!/bin/sh
# Gate covariates of their own (issue 12, item 3): mixfit -x / --gate-x
# NAMES|none, the model file's gate_d and gate_x_names, the tools that
# read such a model, and bad gate covariates refused naming the file, the
# column and the option.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
# 300 rows of the reference data with a gate covariate z, a constant
# column c and z2 = 2 z + 1 (collinear with z)
awk -F, 'BEGIN { OFS = "," } NR == 1 { print "x", "z", "c", "z2", "y"; next }
    NR <= 301 { z = sin(NR * 1.7); print $1, z, 1, 2 * z + 1, $2 }' "$REFDATA" >"$WORK/g.csv"
G=$WORK/g.csv
MIXLOSS=$top_builddir/src/mixloss

# a constant gate: a mixture of two regressions on x, 2 x 2 coefficients,
# 2 variances and 1 gate logit
expect_ok "$MIXFIT" -k 2 -x x --gate-x none -q --threads 1 -o "$WORK/c.json" "$G"
[ "$(json_number "$WORK/c.json" npar)" = 7 ] || fail "--gate-x none: npar $(json_number "$WORK/c.json" npar), want 7"
grep -q '"gate_d": 0' "$WORK/c.json" && grep -q '"gate_x_names": \[\]' "$WORK/c.json" ||
    fail "--gate-x none: the model file lacks gate_d 0 and gate_x_names []"
ok "--gate-x none: 7 free parameters, gate_d 0 in the model file"

# experts on x, gate on z: 2 (x) + 2 + 2 + 1 (z) + 1 = 8; the same bits on 1 and 2 threads
expect_ok "$MIXFIT" -k 2 -x x --gate-x z -q --threads 1 -o "$WORK/z1.json" "$G"
expect_ok "$MIXFIT" -k 2 -x x --gate-x z -q --threads 2 -o "$WORK/z2.json" "$G"
[ "$(json_number "$WORK/z1.json" npar)" = 8 ] || fail "--gate-x z: npar, want 8"
grep -q '"gate_x_names": \["z"\]' "$WORK/z1.json" || fail "--gate-x z: gate_x_names"
grep -q 'beta1\[1,z\]' "$WORK/z1.json" || fail "--gate-x z: the gate slope is not named beta1[1,z]"
cmp -s "$WORK/z1.json" "$WORK/z2.json" || fail "--gate-x z: 1 and 2 threads differ"
ok "--gate-x z: 8 free parameters, beta1[1,z], 1 and 2 threads identical"

# the tools read such models
expect_ok "$MIXPREDICT" --model "$WORK/z1.json" -o "$WORK/p.csv" "$G"
[ "$(wc -l <"$WORK/p.csv")" -eq 301 ] || fail "mixpredict: rows"
expect_ok "$MIXSIM" --model "$WORK/z1.json" --x "$G" --seed 1 -o "$WORK/s.csv"
head -n 1 "$WORK/s.csv" | grep -q '^x,z,y$' || fail "mixsim --x: header $(head -n 1 "$WORK/s.csv")"
expect_ok "$MIXSIM" --model "$WORK/c.json" -n 50 --seed 1 -o "$WORK/s2.csv"
expect_ok "$MIXFIT" --init "$WORK/z1.json" --max-iter 0 -q -o "$WORK/i.json" "$G"
grep -q '"gate_x_names": \["z"\]' "$WORK/i.json" || fail "--init: the gate's covariates are not the model's"
ok "mixpredict, mixsim (--x and a design for a constant gate), mixfit --init read the models"
check_bad 2 "the gate reads \"z\", which the experts do not: give the covariates with --x FILE" \
    "$MIXSIM" --model "$WORK/z1.json" -n 5 --seed 1
check_bad 3 "the Voronoi losses are defined for a gate on the experts' covariates only" \
    "$MIXLOSS" --truth "$WORK/z1.json" --fit "$WORK/z1.json"

# bad gate covariates
check_bad 3 "g.csv: no column named \"nope\" for the gate (--gate-x)" \
    "$MIXFIT" -k 2 -x x --gate-x nope "$G"
check_bad 3 "g.csv, --gate-x: gate covariate \"c\" is constant" "$MIXFIT" -k 2 -x x --gate-x c "$G"
check_bad 3 "g.csv, --gate-x: gate covariates are collinear (with the intercept): \"z\", \"z2\"" \
    "$MIXFIT" -k 2 -x x --gate-x z,z2 "$G"
check_bad 3 "g.csv: gate column \"z\" is named twice (--gate-x)" "$MIXFIT" -k 2 -x x --gate-x z,z "$G"
check_bad 2 "-x none: the experts without covariates need --gate-x" "$MIXFIT" -k 2 -x none "$G"

# --gate-x naming the experts' own covariates is the default model: the
# same file but for the two gate keys
expect_ok "$MIXFIT" -k 2 -q --threads 1 -o "$WORK/d.json" "$REFDATA"
expect_ok "$MIXFIT" -k 2 -x x --gate-x x -q --threads 1 -o "$WORK/dx.json" "$REFDATA"
grep -v '"gate_d"\|"gate_x_names"' "$WORK/dx.json" | cmp -s - "$WORK/d.json" ||
    fail "--gate-x x differs from the default fit beyond the gate keys"
ok "--gate-x x: the default fit's bytes but for gate_d and gate_x_names"
