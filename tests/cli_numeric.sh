#!/bin/sh
# Numbers at the edge of a double: no tool exits 0 with "nan" or "inf" in
# its output; it gives the finite answer or an error naming the row or
# the column (exit 4).
#  - mixfit on covariates scaled by 1e155 or 1e-170 (whose squares
#    overflow or underflow) fits them as the unscaled data, on the data's
#    scale (it used to "converge" with every slope 0, loglik -5433);
#  - mixfit on a response scaled by 1e-20 or 1e100: the same maximum,
#    converged (it said "stalled" or "saddle"); by 1e-160, exit 4 naming it;
#  - their standard errors (y * 1e-100, x * 1e-200; temperature with tau
#    estimated): the unscaled fit's times the factor (none were given, or
#    "a saddle" was said; temperature's beta1 was left at 1e200);
#  - mixpredict at x = 1e308, and for a model with a = 1e300, sigma2 =
#    1e-300 (it wrote -nan with exit 0); at x = 1e300 the right variance;
#  - mixsim at x = 1e308.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
for v in MIXFIT MIXPREDICT MIXSIM REFMODEL REFDATA; do
    eval "$v=\$(abs_path \"\$$v\")"
done
cd "$WORK" || exit 99

no_nonfinite() { # file (a note's message may say "runs off to infinity")
    if sed 's/"message": "[^"]*"//' "$1" | grep -qiwE 'nan|inf|infinity'; then
        fail "$1 has a non-finite number: $(sed 's/"message": "[^"]*"//' "$1" | grep -iwE -m1 'nan|inf|infinity')"
    fi
}
scaled() { # factor -> x scaled by factor, y as is
    awk -v s="$1" -F, 'NR == 1 { print; next } { printf "%.17g,%s\n", $1 * s, $2 }' "$REFDATA"
}
# same_number A B: equal to 1e-12, relative (the scaled fit's sums round
# differently in the last bits)
same_number() {
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; exit !(d <= 1e-12 * s) }'
}
# the model's value at a JSON key ("loglik") or the first entry of an array ("beta1")
json_value() { # file key
    tr -d ' \n' <"$1" | grep -o "\"$2\":\\[*[-0-9.e+]*" | head -n 1 | sed 's/.*[:[]//'
}

expect_ok "$MIXFIT" -k 2 --seed 1 -q -o plain.json "$REFDATA"
ll=$(json_value plain.json loglik)
b=$(json_value plain.json beta1)
for s in 1e155 1e-170; do
    scaled "$s" >s.csv
    expect_ok "$MIXFIT" -k 2 --seed 1 -q -o s.json s.csv
    same_number "$(json_value s.json loglik)" "$ll" ||
        fail "x * $s: loglik $(json_value s.json loglik), want $ll as unscaled"
    awk -v g="$(json_value s.json beta1)" -v b="$b" -v s="$s" 'BEGIN {
        r = g * s / b; exit !(r > 1 - 1e-9 && r < 1 + 1e-9) }' ||
        fail "x * $s: gate slope $(json_value s.json beta1), want $b / $s"
    no_nonfinite s.json
done
ok "mixfit: covariates scaled by 1e155 and 1e-170 give the unscaled fit, on their scale"

# two covariates, one of them at 1e200: not "collinear", the same fit
"$MIXSIM" --model "$REFMODEL" -n 2000 --seed 3 | cut -d, -f1 | sed 1s/x/z/ >z.csv
cut -d, -f1 "$REFDATA" >x.csv
cut -d, -f2 "$REFDATA" >y.csv
scaled 1e200 | cut -d, -f1 >xs.csv
paste -d, xs.csv z.csv y.csv >two.csv
paste -d, x.csv z.csv y.csv >two1.csv
expect_ok "$MIXFIT" -k 2 --seed 1 -q -o two.json two.csv
expect_ok "$MIXFIT" -k 2 --seed 1 -q -o two1.json two1.csv
same_number "$(json_value two.json loglik)" "$(json_value two1.json loglik)" ||
    fail "x * 1e200 beside z: loglik $(json_value two.json loglik), want $(json_value two1.json loglik)"
ok "mixfit: a covariate at 1e200 beside one at 1: the same fit as unscaled"

# fails_beyond_double CSV LABEL PATTERN: mixfit exits 4, its message
# matches PATTERN, no model written
fails_beyond_double() {
    run "$MIXFIT" -k 2 --seed 1 -q -o beyond.json "$1"
    [ "$rc" -eq 4 ] || fail "$2: exit $rc, want 4"
    grep -q "$3" "$WORK/err" || fail "$2: message does not name the column: $(cat "$WORK/err")"
    [ ! -e beyond.json ] || fail "$2: a model was written"
}
scaled 1e-307 >tiny.csv
fails_beyond_double tiny.csv "x * 1e-307" 'covariate "x".*beyond a double'
ok "mixfit: slopes beyond a double on the data's scale: exit 4 naming the column"

# a response far from 1 in magnitude: the same maximum, converged, its
# log-likelihood shifted by n log(factor) (it said "stalled" at 1e-20 and
# "saddle" at 1e100, and exit 4 "non-finite" at 1e-160 without the cause)
yscaled() { # factor -> y scaled by factor, x as is
    awk -v s="$1" -F, 'NR == 1 { print; next } { printf "%s,%.17g\n", $1, $2 * s }' "$REFDATA"
}
nrows=$(($(wc -l <"$REFDATA") - 1))
for s in 1e-20 1e100; do
    yscaled "$s" >y.csv
    expect_ok "$MIXFIT" -k 2 --seed 1 -q -o y.json y.csv
    grep -q '"stop": "tolerance"' y.json || fail "y * $s: $(grep -o '"stop": "[a-z-]*"' y.json)"
    same=$(awk -v a="$(json_value y.json loglik)" -v b="$ll" -v s="$s" -v n="$nrows" 'BEGIN {
        d = a + n * log(s) - b; if (d < 0) d = -d; print (d <= 1e-9 * (b < 0 ? -b : b)) }')
    [ "$same" = 1 ] || fail "y * $s: loglik $(json_value y.json loglik), want $ll - $nrows log($s)"
    no_nonfinite y.json
done
yscaled 1e-160 >y.csv
fails_beyond_double y.csv "y * 1e-160" 'the response "y".*beyond a double'
ok "mixfit: a response scaled by 1e-20 or 1e100 gives the unscaled maximum, converged; 1e-160 is exit 4 naming it"

# standard errors of a fit on a scaled copy: computed there and put back
# (the parameters are linear in the factors), not on the data's scale,
# where the information's entries overflowed (y * 1e-100: no standard
# errors; x * 1e-200: "a saddle" beside "Hessian negative definite")
ses() { # file -> the standard errors, one a line, in the parameters' order
    tr -d ' \n' <"$1" | grep -o '"se":[^,]*' | sed 's/"se"://'
}
# same_ses LABEL UNSCALED SCALED FACTORS: each standard error of SCALED is
# UNSCALED's times its factor (to 1e-8, relative; "-": none in both)
same_ses() {
    ! grep -q saddle "$WORK/err" || fail "$1: $(grep saddle "$WORK/err")"
    ses "$2" >se0.txt
    ses "$3" | paste -d' ' se0.txt - | awk -v f="$4" 'BEGIN { n = split(f, w, " ") }
        w[NR] == "-" { if ($1 != "null" || $2 != "null") { print NR ": " $2; bad = 1 }; next }
        { r = $2 / ($1 * w[NR]); if (!(r > 1 - 1e-8 && r < 1 + 1e-8)) { print NR ": " $2 " want " $1 " * " w[NR]; bad = 1 } }
        END { exit bad || NR != n }' >se.bad || fail "$1: standard errors: $(cat se.bad)"
}
yscaled 1e-100 >se.csv
expect_ok "$MIXFIT" -k 2 --seed 1 -o se.json se.csv
same_ses "y * 1e-100" plain.json se.json "1 1 1e-100 1e-100 1e-200 1e-100 1e-100 1e-200"
scaled 1e-200 >se.csv
expect_ok "$MIXFIT" -k 2 --seed 1 -o se.json se.csv
same_ses "x * 1e-200" plain.json se.json "1 1e200 1e200 1 1 1e200 1 1"
# temperature, tau estimated: ||beta1 - mean||_F = 1 on the data's scale (it was
# left at 1e200, its square beyond a double), so beta0 and tau scale too
cat >t.json <<'EOF'
{"family": "temperature", "k": 2, "d": 1, "tau": 0.5, "tau_estimated": true, "x_names": ["x"],
 "y_name": "y", "experts": [{"beta0": 0.3, "beta1": [1], "a": [1], "b": 0, "sigma2": 0.1},
                            {"beta0": 0, "beta1": [0], "a": [-1], "b": 0.5, "sigma2": 0.2}]}
EOF
"$MIXSIM" --model t.json -n 600 --seed 2 --range -2:2 -o t.csv || fail "mixsim temperature"
awk -F, 'NR == 1 { print; next } { printf "%.17g,%s\n", $1 * 1e-200, $2 }' t.csv >ts.csv
for f in t ts; do
    expect_ok "$MIXFIT" -k 2 --gating temperature --tau-mode estimate --seed 1 -o $f.fit.json $f.csv
done
# normalized: k = 2, centred slopes +-beta1_1 / 2 of unit norm, beta1_1 = sqrt 2
[ "$(json_value ts.fit.json beta1)" = 1.4142135623730951 ] ||
    fail "temperature, x * 1e-200: beta1 $(json_value ts.fit.json beta1), want sqrt 2"
same_ses "temperature, x * 1e-200" t.fit.json ts.fit.json "1e-200 - 1e200 1 1 1e200 1 1 1e-200"
ok "mixfit: standard errors at y * 1e-100 and x * 1e-200 (softmax; temperature, tau estimated) are the unscaled fit's times the factor"

# mixpredict
printf 'x\n0.5\n1e308\n' >big.csv
run "$MIXPREDICT" --model "$REFMODEL" -o pred.csv big.csv
[ "$rc" -eq 4 ] || fail "x = 1e308: exit $rc, want 4"
grep -q 'big.csv: row 2 (x = 1e+308): the predictive mean' "$WORK/err" || fail "x = 1e308: message"
[ ! -e pred.csv ] || fail "x = 1e308: output written"
printf 'x\n1e300\n-1e300\n' >large.csv
expect_ok "$MIXPREDICT" --model "$REFMODEL" large.csv
# expert 1 (variance 0.09) has all the gate at 1e300, expert 2 (0.16) at -1e300
[ "$(cut -d, -f2 "$WORK/out" | tr '\n' ' ')" = "var 0.089999999999999997 0.16 " ] ||
    fail "x = +-1e300: variances $(cut -d, -f2 "$WORK/out" | tr '\n' ' ')"
sed 's/"a": \[-20\]/"a": [1e300]/; s/"sigma2": 0.09/"sigma2": 1e-300/' "$REFMODEL" >ext.json
grep -q 1e-300 ext.json || fail "could not make the extreme model"
run "$MIXPREDICT" --model ext.json "$REFDATA"
[ "$rc" -eq 4 ] || fail "a = 1e300, sigma2 = 1e-300: exit $rc, want 4"
grep -q 'row 1 (x = 0.109295): the predictive variance is +infinite' "$WORK/err" ||
    fail "a = 1e300: message"
ok "mixpredict: overflowing rows are exit 4 naming the row; x = 1e300 gives the finite variance"

# mixsim
run "$MIXSIM" --model "$REFMODEL" --x big.csv --seed 1
[ "$rc" -eq 4 ] || fail "mixsim x = 1e308: exit $rc, want 4"
grep -q 'simulating row 2' "$WORK/err" || fail "mixsim x = 1e308: message does not name the row"
ok "mixsim: an overflowing row is exit 4 naming the row"
