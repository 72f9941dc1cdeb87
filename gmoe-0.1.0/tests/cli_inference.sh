#!/bin/sh
# mixfit's standard errors: the "inference" key (named parameters, Wald
# and bootstrap intervals, --vcov), read back by mixpredict and --init;
# --threads 1 and 2 give the same file with a bootstrap; bad option
# combinations and a tampered "inference" key are refused.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

"$MIXSIM" --model "$REFMODEL" -n 400 --design grid --seed 3 -o "$WORK/d.csv" || fail "mixsim"

for t in 1 2; do
    expect_ok "$MIXFIT" -k 2 --restarts 2 --se sandwich --vcov --bootstrap 6 --bootstrap-type parametric \
        --threads $t -o "$WORK/fit$t.json" "$WORK/d.csv"
done
cmp -s "$WORK/fit1.json" "$WORK/fit2.json" || fail "--threads 1 and 2 differ with --bootstrap"
grep -q '"method": "sandwich"' "$WORK/fit1.json" || fail "no sandwich method in the file"
grep -q '{"name": "sigma2\[2\]", "estimate": [0-9.e-]*, "se": [0-9.e-]*, "lower"' "$WORK/fit1.json" ||
    fail "sigma2[2] without a standard error"
grep -q '"bootstrap": {"type": "parametric", "replicates": 6, "succeeded": 6, "seed": 1}' "$WORK/fit1.json" ||
    fail "no bootstrap record"
grep -q '"vcov": \[' "$WORK/fit1.json" || fail "no vcov"
grep -q 'Wald 2.5%' "$WORK/err" || fail "no interval table in the summary"
ok "mixfit --se sandwich --vcov --bootstrap 6: inference key, same bytes for 1 and 2 threads"

# the standard errors alone (the derivatives' own threads, OpenMP's default)
for t in 1 2; do
    expect_ok env OMP_NUM_THREADS=$t "$MIXFIT" --init "$WORK/fit1.json" --max-iter 0 --se sandwich --vcov -q \
        -o "$WORK/omp$t.json" "$WORK/d.csv"
done
cmp -s "$WORK/omp1.json" "$WORK/omp2.json" || fail "OMP_NUM_THREADS 1 and 2 give different standard errors"
ok "standard errors and vcov: the same bytes with OMP_NUM_THREADS 1 and 2"

expect_ok "$MIXPREDICT" -m "$WORK/fit1.json" "$WORK/d.csv"
expect_ok "$MIXFIT" --init "$WORK/fit1.json" --max-iter 0 --vcov -q -o "$WORK/score.json" "$WORK/d.csv"
grep -q '"method": "observed"' "$WORK/score.json" || fail "--init a file with inference"
ok "mixpredict and mixfit --init read a model with an inference key"

expect_ok "$MIXFIT" -k 2 --se none -q -o "$WORK/none.json" "$WORK/d.csv"
grep -q inference "$WORK/none.json" && fail "--se none wrote an inference key"
ok "--se none: no inference key"

expect_usage()
{
    run "$@"
    [ "$rc" -eq 2 ] || fail "exit $rc, want 2: $*"
}
expect_usage "$MIXFIT" -k 2 --se none --vcov "$WORK/d.csv"
grep -q -- "--vcov needs standard errors" "$WORK/err" || fail "--vcov with --se none: message"
expect_usage "$MIXFIT" -k 2 --bootstrap-type parametric "$WORK/d.csv"
grep -q -- "--bootstrap-type needs --bootstrap" "$WORK/err" || fail "--bootstrap-type alone: message"
expect_usage "$MIXFIT" -k 2 --bootstrap 1 "$WORK/d.csv"
grep -q -- "--bootstrap" "$WORK/err" || fail "--bootstrap 1: message"
expect_usage "$MIXFIT" -k 2 --se hessian "$WORK/d.csv"
grep -q -- '--se: "hessian" is not one of: observed, sandwich, none' "$WORK/err" || fail "--se hessian: message"
ok "bad inference options refused with exit 2, naming the option"

sed 's/"name": "b\[1\]"/"name": "b[9]"/' "$WORK/fit1.json" >"$WORK/bad.json"
run "$MIXPREDICT" -m "$WORK/bad.json" "$WORK/d.csv"
[ "$rc" -eq 3 ] || fail "exit $rc, want 3 for a tampered inference key"
grep -q 'bad.json: "inference": parameters entry 4 is "b\[9\]"' "$WORK/err" || fail "tampered name: message"
ok "an inference key that does not match its model is refused (exit 3)"

# two identical experts: a warning that names them, no standard errors
awk 'BEGIN { print "{\"family\": \"softmax\", \"k\": 3, \"d\": 1, \"x_names\": [\"x\"], \"y_name\": \"y\",";
  print " \"experts\": [{\"beta0\": -8.693, \"beta1\": [25], \"a\": [-20], \"b\": 15, \"sigma2\": 0.09},";
  print "  {\"beta0\": -8.693, \"beta1\": [25], \"a\": [-20], \"b\": 15, \"sigma2\": 0.09},";
  print "  {\"beta0\": 0, \"beta1\": [0], \"a\": [20], \"b\": -5, \"sigma2\": 0.16}]}" }' >"$WORK/dup.json"
expect_ok "$MIXFIT" --init "$WORK/dup.json" --max-iter 0 -o "$WORK/dupfit.json" "$WORK/d.csv"
grep -q "warning: k = 3: the information matrix is singular or not positive definite" "$WORK/err" ||
    fail "no warning for duplicate experts"
grep -q "experts 1 and 2 are near-duplicates" "$WORK/err" || fail "the duplicates are not named"
grep -q '"identified": false' "$WORK/dupfit.json" || fail "identified should be false"
grep -q '"se": [0-9]' "$WORK/dupfit.json" && fail "standard errors printed for a singular information"
ok "duplicate experts: a warning naming them, se null"
