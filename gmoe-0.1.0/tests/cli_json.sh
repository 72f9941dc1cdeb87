#!/bin/sh
# Files round trip through the tools: a model written by mixfit, read back
# with --init and scored without iterating (--max-iter 0), gives the same
# log-likelihood and criteria to the last digit (the JSON numbers are
# exact and the log-likelihood is summed in the same fixed order); the
# scored model's parameters are the fitted ones, byte for byte.  mixsim is
# reproducible, and the bundled data/reference.csv is what data/README's
# recipe makes.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

expect_ok "$MIXFIT" -k 2 --restarts 3 -q -o "$WORK/fit.json" "$REFDATA"
expect_ok "$MIXFIT" --init "$WORK/fit.json" --max-iter 0 -o "$WORK/scored.json" "$REFDATA"
grep -q "scored the --init model" "$WORK/err" || fail "no summary of the scored model"
for key in loglik aic bic icl npar n; do
    a=$(json_number "$WORK/fit.json" $key)
    b=$(json_number "$WORK/scored.json" $key)
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "$key: fitted $a, scored $b"
done
experts "$WORK/fit.json" >"$WORK/e1"
experts "$WORK/scored.json" >"$WORK/e2"
cmp -s "$WORK/e1" "$WORK/e2" || fail "the parameters changed through the file"
grep -q '"iterations": 0' "$WORK/scored.json" || fail "scored model: iterations"
ok "mixfit --init FIT --max-iter 0 reproduces the log-likelihood $(json_number "$WORK/fit.json" loglik)"

# the scored model carries the data's column names, not the file's
sed '1s/.*/u,v/' "$REFDATA" >"$WORK/uv.csv"
expect_ok "$MIXFIT" --init "$WORK/fit.json" --max-iter 0 -x u -y v -q "$WORK/uv.csv"
grep -q '"x_names": \["u"\]' "$WORK/out" && grep -q '"y_name": "v"' "$WORK/out" || fail "scored model: names"
[ "$(json_number "$WORK/out" loglik)" = "$(json_number "$WORK/fit.json" loglik)" ] || fail "renamed columns: loglik"
ok "scoring on renamed columns"

# --init with iterations continues from the fitted (converged) model: the
# log-likelihood may rise by no more than the stopping tolerance allows
# (1e-8 per row, here 2000 rows) and never falls.
expect_ok "$MIXFIT" --init "$WORK/fit.json" -q -o "$WORK/refit.json" "$REFDATA"
awk -v a="$(json_number "$WORK/fit.json" loglik)" -v b="$(json_number "$WORK/refit.json" loglik)" \
    'BEGIN { exit !(b >= a - 1e-9 && b - a <= 1e-4) }' || fail "refit from the fit moved the log-likelihood"
ok "refit from the fitted model stays at its maximum"

# mixsim: same seed, same bytes; another seed, other bytes
expect_ok "$MIXSIM" --model "$REFMODEL" -n 200 --seed 11 --latent -o "$WORK/s1.csv"
expect_ok "$MIXSIM" --model "$REFMODEL" -n 200 --seed 11 --latent -o "$WORK/s2.csv"
expect_ok "$MIXSIM" --model "$REFMODEL" -n 200 --seed 12 --latent -o "$WORK/s3.csv"
cmp -s "$WORK/s1.csv" "$WORK/s2.csv" || fail "mixsim is not reproducible"
cmp -s "$WORK/s1.csv" "$WORK/s3.csv" && fail "mixsim ignores its seed"
head -n 1 "$WORK/s1.csv" | grep -qx 'x,y,z' || fail "mixsim header"
awk -F, 'NR > 1 && !(($3 == 1 || $3 == 2) && $1 >= 0 && $1 < 1) { bad = 1 } END { exit bad }' "$WORK/s1.csv" ||
    fail "mixsim: z must be 1 or 2 and x in [0, 1)"
ok "mixsim is reproducible"

# --x: the covariates of a file come out unchanged (17 significant digits)
expect_ok "$MIXSIM" --model "$REFMODEL" --seed 5 --x "$WORK/s1.csv" -o "$WORK/s4.csv"
cut -d, -f1 "$WORK/s1.csv" >"$WORK/x1"
cut -d, -f1 "$WORK/s4.csv" >"$WORK/x4"
cmp -s "$WORK/x1" "$WORK/x4" || fail "mixsim --x changed the covariates"
ok "mixsim --x"

# grid design: x_n = (n - 1)/(N - 1) on the default [0, 1]
expect_ok "$MIXSIM" --model "$REFMODEL" -n 5 --seed 1 --design grid
cut -d, -f1 "$WORK/out" | tr '\n' ' ' | grep -qx 'x 0 0.25 0.5 0.75 1 ' || fail "grid: $(cut -d, -f1 "$WORK/out" | tr '\n' ' ')"
ok "mixsim --design grid"

# data/README's recipe makes the bundled sample, byte for byte
expect_ok "$MIXSIM" --model "$REFMODEL" -n 2000 --seed 2023 -o "$WORK/reference.csv"
cmp -s "$WORK/reference.csv" "$REFDATA" || fail "data/reference.csv is not what its recipe makes"
ok "data/README's recipe reproduces data/reference.csv"
