#!/bin/sh
# mixfit -k 1:3 on the bundled sample of the two-expert reference model
# picks k = 2 by BIC (and by ICL), with a table of all three on stderr.
# At n = 2000 the experts are far apart (intercepts 15 and -5, sd 0.3 and
# 0.4), so k = 1 loses by hundreds of log-likelihood units and k = 3 gains
# far less than its BIC penalty of 4 log(2000) / 2 = 15 units.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

expect_ok "$MIXFIT" -k 1:3 --restarts 3 -o "$WORK/fit.json" "$REFDATA"
grep -q '"k": 2,' "$WORK/fit.json" || fail "BIC did not pick k = 2"
grep -q "choosing k by BIC" "$WORK/err" || fail "no table"
for k in 1 3; do
    grep -Eq "^ +$k +-[0-9]" "$WORK/err" || fail "no row for k = $k"
done
grep -q '^  \* k = 2 chosen (lowest BIC)$' "$WORK/err" || fail "k = 2 not marked"
ok "-k 1:3 picks k = 2 by BIC"
expect_ok "$MIXFIT" -k 1:3 --restarts 3 --criterion icl -q -o "$WORK/icl.json" "$REFDATA"
grep -q '"k": 2,' "$WORK/icl.json" || fail "ICL did not pick k = 2"
[ ! -s "$WORK/err" ] || fail "--quiet printed something"
ok "--criterion icl picks k = 2; --quiet is quiet"
