#!/bin/sh
# Issue 11 audit finding A2: a factor level of one row got no note.  Its
# indicator's slopes (one per expert, and the gate's) are fitted to that
# row alone: the fit "converged" with the gate's slope at 12.5 and a
# standard error of 2e5, and the separable-gate note, which measured the
# slope over one sd of the indicator (about 1 / sqrt(n) for one row of
# 300), never fired.  Now a level with fewer rows than the slopes its
# indicator carries gets the "sparse-level" note; a level of 100 rows
# gets none.  (The separable note over the level contrast: check_notes.)
. "${TEST_DATADIR:-data}/../cli_lib.sh"
expect_ok "$MIXSIM" -m "$EXAMPLE_DATADIR/reference-model.json" -n 300 -s 5 -o "$WORK/sim.csv"
# g = b on the first row and every EVERY-th after it
with_level() { # EVERY FILE
    awk -F, -v every="$1" 'NR == 1 { print "g," $0; next }
        { print ((NR - 1) % every == 0 ? "b" : "a") "," $0 }' "$WORK/sim.csv" >"$2"
}
with_level 300 "$WORK/one.csv"
expect_ok "$MIXFIT" -q --threads 1 -k 2 --factor g --seed 1 -o "$WORK/one.json" "$WORK/one.csv"
grep -q '"code": "sparse-level", "experts": \[\], "covariate": 1, "value": 1.0' "$WORK/one.json" ||
    fail "a one-row level: no sparse-level note: $(grep -A3 '"notes"' "$WORK/one.json")"
grep -q 'factor level g=b has 1 row for the 3 slopes' "$WORK/one.json" || fail "the note does not name the level"
ok "a one-row level: the sparse-level note"
with_level 3 "$WORK/many.csv"
expect_ok "$MIXFIT" -q --threads 1 -k 2 --factor g --seed 1 -o "$WORK/many.json" "$WORK/many.csv"
if grep -q '"sparse-level"' "$WORK/many.json"; then fail "a level of 100 rows: a sparse-level note"; fi
ok "a level of 100 rows: no sparse-level note"
