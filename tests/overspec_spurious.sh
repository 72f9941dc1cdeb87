#!/bin/sh
# The rule for spurious maxima (issue 11, lib/spurious.c): 5000 rows of a
# model with two experts (sigma2 0.25 and 0.1), fitted with k = 4.  Seed
# 1's highest run is a spike: an expert on about 10 rows' worth of data
# with sigma2 2.4e-6 (1.3e-5 times the pooled variance), 2.2 units above
# the best run without one; without the rule (--spurious-rows 0, and
# before the rule) the fit kept it.  With the rule that run ranks after
# every run without a spurious expert: the fit keeps a run whose smallest
# variance is a real expert's (above 0.01: the spike's is 2.4e-6), says
# nothing of a spurious expert, and records the rule's constants.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

over1_data "$WORK/data.csv"

# smallest expert variance of a model file
min_sigma2() {
    tr -d ' \n' <"$1" | sed 's/"sigma2":/\n&/g' | sed -n 's/^"sigma2":\([^,}]*\).*/\1/p' |
        awk '{ if (m == "" || $1 + 0 < m + 0) m = $1 } END { print m }'
}
expect_ok "$MIXFIT" -k 4 --seed 1 --threads 1 -q -o "$WORK/rule.json" "$WORK/data.csv"
expect_ok "$MIXFIT" -k 4 --seed 1 --threads 1 -q --spurious-rows 0 -o "$WORK/off.json" "$WORK/data.csv"
s_rule=$(min_sigma2 "$WORK/rule.json")
s_off=$(min_sigma2 "$WORK/off.json")
awk -v s="$s_rule" 'BEGIN { exit !(s > 0.01) }' ||
    fail "with the rule the fit kept an expert of variance $s_rule (a spike)"
awk -v s="$s_off" 'BEGIN { exit !(s < 1e-4) }' ||
    fail "without the rule the highest run (a spike) was not kept: smallest variance $s_off"
ll_rule=$(json_number "$WORK/rule.json" loglik)
ll_off=$(json_number "$WORK/off.json" loglik)
awk -v a="$ll_rule" -v b="$ll_off" 'BEGIN { exit !(b > a + 1) }' ||
    fail "the spike ($ll_off) is not above the fit with the rule ($ll_rule)"
grep -q '"code": "spurious"' "$WORK/rule.json" && fail "the fit with the rule notes a spurious expert"
grep -q '"spurious_rows": 100' "$WORK/rule.json" || fail "the rule's constants are not in the JSON"
grep -q '"spurious_rows": 0' "$WORK/off.json" || fail "the rule off is not recorded"
ok "k = 4, seed 1: the rule keeps the best run without a spike ($ll_rule; the spike $ll_off)"
