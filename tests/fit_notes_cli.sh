#!/bin/sh
# mixfit's summary says what the end of a fit is (issue 11 item 4): the
# gradient test, and notes on near-duplicate experts (an over-specified k)
# and on a top-K gate with K = 1 (only its boundary is identified); a
# well-specified fit has no note.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

# k = 4 on the two-expert reference data from one random start (--no-split:
# the split starts find a fit without duplicates here): the extra experts
# duplicate one
"$MIXFIT" -k 4 --no-split --restarts 1 --max-iter 50 --threads 1 -o "$WORK/k4.json" "$REFDATA" 2>"$WORK/k4.err" ||
    fail "mixfit -k 4 failed"
grep -q "at the end: gradient norm" "$WORK/k4.err" || fail "no gradient test in the summary"
grep -q "note: experts [0-9] and [0-9] are near-duplicates" "$WORK/k4.err" ||
    fail "k = 4: no near-duplicate note"
# k = 2: converged by the gradient test, no note
"$MIXFIT" -k 2 --restarts 2 --threads 1 -o "$WORK/k2.json" "$REFDATA" 2>"$WORK/k2.err" ||
    fail "mixfit -k 2 failed"
grep -q "note:" "$WORK/k2.err" && fail "k = 2: unexpected note"
grep -q "Hessian negative definite" "$WORK/k2.err" || fail "k = 2: Hessian not negative definite"
grep -q '"grad_norm"' "$WORK/k2.json" || fail "k = 2: no grad_norm in the JSON"
# top-K, K = 1
"$MIXFIT" -k 2 --gating topk --top-k 1 --restarts 1 --threads 1 -o "$WORK/t1.json" "$REFDATA" \
    2>"$WORK/t1.err" || fail "mixfit topk K = 1 failed"
grep -q "note: top-K with K = 1" "$WORK/t1.err" || fail "topk K = 1: no boundary note"
ok "summary: gradient test, near-duplicate and top-K K = 1 notes"
