#!/bin/sh
# The number of threads changes nothing: --threads 1 and --threads 2 give
# the same bytes (the library sums fixed blocks of rows in a fixed order).
# 20000 rows make 40 blocks, so the two threads really split the work;
# 50 iterations of an over-fitted k = 3 from 2 starts exercise every step.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

"$MIXSIM" --model "$REFMODEL" -n 20000 --seed 99 -o "$WORK/d.csv" || fail "mixsim"
for t in 1 2; do
    expect_ok "$MIXFIT" -k 3 --restarts 2 --max-iter 50 --threads $t -o "$WORK/fit$t.json" "$WORK/d.csv"
done
cmp -s "$WORK/fit1.json" "$WORK/fit2.json" || fail "--threads 1 and 2 differ"
ok "mixfit -k 3: --threads 1 and 2 give identical files"
