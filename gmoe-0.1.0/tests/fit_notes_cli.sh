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

# the notes are the library's (gmoe_fit_notes) and the JSON has them:
# code, experts, covariate, value, message (mixfit(1), JSON OUTPUT)
grep -q '^    {"code": "near-duplicates", "experts": \[[0-9], [0-9]\], "covariate": null, "value": [0-9.e-]*, "message": "experts [0-9] and [0-9] are near-duplicates' \
    "$WORK/k4.json" || fail "k = 4: no near-duplicate note in the JSON"
grep -q '^  "notes": \[\],$' "$WORK/k2.json" || fail "k = 2: the JSON's notes are not empty"
grep -q '{"code": "selection-only", "experts": \[\], "covariate": null, "value": null, "message": "top-K with K = 1' \
    "$WORK/t1.json" || fail "topk K = 1: no selection-only note in the JSON"
# the stop (max-iterations, after 50) is a note in the JSON, and the
# summary, which says it on its own lines, does not repeat it
grep -q '"code": "not-converged", "experts": \[\], "covariate": null, "value": [0-9.e-]*, "message": "not converged (stop: max-iterations)' \
    "$WORK/k4.json" || fail "k = 4: no not-converged note in the JSON"
grep -q "note: not converged" "$WORK/k4.err" && fail "k = 4: the summary repeats the stop as a note"
# the notes read back: mixpredict takes the file
"$MIXPREDICT" --model "$WORK/k4.json" "$REFDATA" >/dev/null || fail "mixpredict refused the notes"
ok "JSON: the notes (code, experts, covariate, value, message), read back"

# -k LO:HI: the table of every k is in the JSON ("k_table"), the same
# numbers as --table's CSV
"$MIXFIT" -k 1:3 --restarts 2 --threads 1 -q --table "$WORK/t.csv" -o "$WORK/r.json" "$REFDATA" ||
    fail "mixfit -k 1:3 failed"
grep -q '^  "k_table": \[$' "$WORK/r.json" || fail "no k_table in the JSON"
sed -n 's/^ *{"k": \([0-9]*\), "loglik": \([^,]*\), "npar": \([^,]*\), "aic": \([^,]*\), "bic": \([^,]*\), "icl": \([^,]*\), "iterations": \([^,]*\), "converged": \([a-z]*\), "stop": "[a-z-]*", "chosen": \([a-z]*\)},*$/\1,\2,\3,\4,\5,\6,\7,\8,\9/p' \
    "$WORK/r.json" | sed 's/true/1/g; s/false/0/g' >"$WORK/from_json.csv"
tail -n +2 "$WORK/t.csv" | cmp -s - "$WORK/from_json.csv" ||
    fail "k_table differs from --table: $(cat "$WORK/from_json.csv")"
"$MIXPREDICT" --model "$WORK/r.json" "$REFDATA" >/dev/null || fail "mixpredict refused the k_table"
"$MIXFIT" -k 2 --restarts 2 --threads 1 -q -o "$WORK/one.json" "$REFDATA" || fail "mixfit -k 2 failed"
grep -q k_table "$WORK/one.json" && fail "a single k has a k_table"
ok "JSON: -k 1:3's k_table equals --table's rows"
