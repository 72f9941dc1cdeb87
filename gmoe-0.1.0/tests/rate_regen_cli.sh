#!/bin/sh
# mixrate --same-as and scripts/regenerate-run.sh (issue 13, item 2): a run
# made again from its run.json gives the same results.csv bit for bit (all
# but the seconds column), here and for the small run committed in
# tests/data/rate-regen (made on an x86-64 machine with AVX2, FMA and
# AVX-512; where this machine differs in those, the compiler or the C
# library, the bit-for-bit comparison is skipped, saying why).
. "${TEST_DATADIR:-data}/../rate_lib.sh"
regen="$TEST_DATADIR/../../scripts/regenerate-run.sh"

# A run, then the same again from its run.json into another directory.
"$bin" --truth "$truth" --grid 200,400,800 --replicates 3 --seed 7 --threads 2 -O "$tmp/a" 2>"$tmp/err" ||
    { echo "FAIL: run"; cat "$tmp/err"; fail=1; }
"$bin" --same-as "$tmp/a" -O "$tmp/b" 2>"$tmp/err" || { echo "FAIL: --same-as"; cat "$tmp/err"; fail=1; }
strip "$tmp/a/results.csv" >"$tmp/a.csv"
strip "$tmp/b/results.csv" >"$tmp/b.csv"
check "--same-as: the same results" cmp -s "$tmp/a.csv" "$tmp/b.csv"
check "--same-as: the truth written beside" test -s "$tmp/b/truth.json"
check "--same-as: the command recorded with the new paths" grep -q "\"$tmp/b/truth.json\"" "$tmp/b/run.json"
check "provenance recorded" grep -q '"commit": "' "$tmp/a/run.json"
check "provenance: vector math" grep -q '"vector_math": ' "$tmp/a/run.json"
MIXRATE=$bin sh "$regen" "$tmp/a" "$tmp/w1" >"$tmp/out" 2>&1
check "regenerate-run.sh: identical" grep -q '^identical: results.csv' "$tmp/out"
# A changed cell is found.
sed '3s/^\([0-9]*,[0-9]*,[0-9]*,\)[0-9.e-]*/\10.5/' "$tmp/a/results.csv" >"$tmp/x.csv"
mkdir "$tmp/c"; cp "$tmp/a/run.json" "$tmp/c/"; cp "$tmp/x.csv" "$tmp/c/results.csv"
MIXRATE=$bin sh "$regen" "$tmp/c" "$tmp/w2" >"$tmp/out" 2>&1
s=$?
check "regenerate-run.sh: a changed loss found (exit $s)" test $s -eq 1

expect 2 'same-as' --same-as "$tmp/a"
expect 3 'no-such' --same-as "$tmp/no-such" -O "$tmp/y"

# The committed run.
MIXRATE=$bin sh "$regen" "$TEST_DATADIR/rate-regen" "$tmp/w3" >"$tmp/out" 2>&1
s=$?
if [ $s -ne 0 ] && grep -q '^note: .* differs' "$tmp/out"; then
    echo "SKIP: the committed run was made on another kind of machine; bits may differ:"
    cat "$tmp/out"
elif [ $s -ne 0 ]; then
    echo "FAIL: tests/data/rate-regen does not regenerate bit for bit:"; cat "$tmp/out"
    echo "(if a change alters the numbers on purpose, remake it: rm -r tests/data/rate-regen &&"
    echo " src/mixrate --truth data/reference-model.json --grid 200,400,800 --replicates 3 --seed 7 -O tests/data/rate-regen"
    echo " keep its run.json and results.csv, and commit them with the change)"
    fail=1
fi
exit $fail
