#!/bin/sh
# 1 and 2 threads give the same bytes for every gating family (cli_threads.sh
# does it for the softmax gate at length): a fit from each family's rate
# model (data/rate-models, 16384 rows: 32 blocks of rows, and 2 threads at
# one per 8192 rows), a fit at --threads 1 and 2.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
for fam in topk temperature activation; do
    model=$EXAMPLE_DATADIR/rate-models/$fam.json
    "$MIXSIM" --model "$model" -n 16384 --seed 5 -o "$WORK/$fam.csv" || fail "mixsim $fam"
    k=$(tr -d ' \n' <"$model" | sed 's/.*"k":\([0-9]*\).*/\1/')
    for t in 1 2; do
        expect_ok "$MIXFIT" -k "$k" --gating "$fam" --restarts 2 --max-iter 40 --threads $t \
            -o "$WORK/$fam-fit$t.json" "$WORK/$fam.csv"
    done
    cmp -s "$WORK/$fam-fit1.json" "$WORK/$fam-fit2.json" || fail "$fam: --threads 1 and 2 differ"
done
ok "mixfit --gating topk, temperature, activation: --threads 1 and 2 give identical files"
