#!/bin/sh
# The rule for spurious maxima (spurious.c) and small data (issue 11): on
# 150 rows of a k = 3 model with variances 0.01, 1 and 0.1, the true narrow
# expert holds 56 rows at 0.016 times the pooled variance, fewer than the
# rule's 100 rows per parameter.  Without the rule's share condition it was
# called spurious, the default fit returned a maximum 3.18 below the fit
# from the truth with the note "try a smaller k"; a spike of 12 rows (8%)
# at 3.6e-4 times the pooled variance is still set aside.  The tolerance is
# issue 11's 0.05.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

var100_data 150 2
for s in 1 2 3; do
    expect_ok "$MIXFIT" -k 3 --seed "$s" --threads 1 -q -o "$WORK/fit$s.json" "$WORK/data.csv"
    if grep -q '"code": "spurious"' "$WORK/fit$s.json"; then fail "seed $s: a true expert called spurious"; fi
    near_best "k = 3, seed $s" "$WORK/fit$s.json" "$WORK/best.json"
done
