#!/bin/sh
# mixloss(1): a model against itself, a hand-computed D1, the JSON form,
# refusals and usage errors.
set -u
bin="$top_builddir/src/mixloss"
truth="$TEST_DATADIR/../../data/reference-model.json"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loss_cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # status, needle (in stdout+stderr), mixloss arguments...
    want=$1 needle=$2; shift 2
    "$bin" "$@" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" -ne "$want" ] || ! grep -q -- "$needle" "$tmp/out"; then
        echo "FAIL: mixloss $* -> exit $got (want $want, '$needle'), output:"; cat "$tmp/out"; fail=1
    fi
}
# The same, with the output's spaces and newlines removed (JSON arrays are
# laid out one number per line).
expectj() { # status, needle without spaces, mixloss arguments...
    want=$1 needle=$2; shift 2
    "$bin" "$@" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" -ne "$want" ] || ! tr -d ' \n' <"$tmp/out" | grep -q -- "$needle"; then
        echo "FAIL: mixloss $* -> exit $got (want $want, '$needle'), output:"; cat "$tmp/out"; fail=1
    fi
}
model() { # file, then expert 1 and expert 2 as "beta0 beta1 a b sigma2"
    f=$1
    set -- $2 $3
    cat >"$f" <<EOT
{"family": "softmax", "k": 2, "d": 1, "experts": [
 {"beta0": $1, "beta1": [$2], "a": [$3], "b": $4, "sigma2": $5},
 {"beta0": $6, "beta1": [$7], "a": [$8], "b": $9, "sigma2": ${10}}]}
EOT
}

# The truth against itself: 0.
expect 0 '^D1 loss 0 ' --truth "$truth" --fit "$truth"
expect 0 '"loss": 0.0,' --truth "$truth" --fit "$truth" --json
expect 0 '"at_limit": false,' --truth "$truth" --fit "$truth" --json

# By hand: b of expert 1 off by 0.5 (weight exp(-8)), sigma2 of expert 2
# off by 0.1 (weight 1), gates exact.  Cells are the identity; D1 =
# 0.5 exp(-8) + 0.1 = 0.10016773131395126, and no translation lowers it
# (t0: f(s) = 0.1001677 s + exp(-8)|s - 1| + |s - 1| is smallest at s = 1;
# any t1 adds |dbeta1|).
model "$tmp/fit.json" "-8 25 -20 15.5 0.09" "0 0 20 -5 0.26"
expect 0 '"loss": 0.1001677313139' --truth "$truth" --fit "$tmp/fit.json" --json
expect 0 '"loss_untranslated": 0.1001677313139' --truth "$truth" --fit "$tmp/fit.json" --json
expectj 0 '"err_sigma2":\[0.0,0.1000000000000' --truth "$truth" --fit "$tmp/fit.json" --json
expect 0 '^D1 loss 0.100168 ' --truth "$truth" --fit "$tmp/fit.json"
# Relabelled fit (experts swapped, gate re-pinned on the new last expert:
# beta0 8, beta1 -25 for the old reference expert): the same loss.
model "$tmp/swap.json" "8 -25 20 -5 0.26" "0 0 -20 15.5 0.09"
expect 0 '"loss": 0.1001677313139' --truth "$truth" --fit "$tmp/swap.json" --json
expectj 0 '"cell":\[2,1\]' --truth "$truth" --fit "$tmp/swap.json" --json
# Far from the truth: expert 1 with the truth's gate but its expert 100
# off in b and a (parameter term 200 per unit of mass, more than the
# mass), so every breakpoint is above the limit t0 -> -infinity, where the
# loss is W* = 1 + exp(-8) (1.0003354626279024) exactly.
model "$tmp/far.json" "-8 25 -20 115 0.09" "0 0 120 -5 0.26"
expect 0 '"at_limit": true' --truth "$truth" --fit "$tmp/far.json" --json
expect 0 '"loss": 1.000335462627902' --truth "$truth" --fit "$tmp/far.json" --json
expect 0 '"loss_limit": 1.000335462627902' --truth "$truth" --fit "$tmp/far.json" --json
expect 0 '^D1 loss 1.00034 (the infimum over the gate translation: the limit' --truth "$truth" --fit "$tmp/far.json"
# Untranslated: no breakpoint value (null), never at the limit.
expect 0 '"loss_breakpoint": null' --truth "$truth" --fit "$tmp/far.json" --json --no-translate
expect 0 '"at_limit": false' --truth "$truth" --fit "$tmp/far.json" --json --no-translate
# -o writes the file.
"$bin" --truth "$truth" --fit "$tmp/fit.json" -o "$tmp/res.txt" >/dev/null 2>&1
grep -q '^D1 loss 0.100168' "$tmp/res.txt" || { echo "FAIL: -o"; fail=1; }

# k < k* with auto: refused as bad input.
cat >"$tmp/one.json" <<EOT
{"family": "softmax", "k": 1, "d": 1, "experts": [{"beta0": 0, "beta1": [0], "a": [1], "b": 0, "sigma2": 1}]}
EOT
expect 3 'k' --truth "$truth" --fit "$tmp/one.json"

# Usage errors (2) and unreadable files (3).
expect 2 '\-\-fit' --truth "$truth"
expect 2 '\-\-truth' --fit "$truth"
expect 2 '\-\-loss' --truth "$truth" --fit "$truth" --loss D3
expect 2 '\-\-rbar' --truth "$truth" --fit "$truth" --rbar 1=3
expect 2 '\-\-rbar' --truth "$truth" --fit "$truth" --rbar 4
expect 2 '\-\-rbar' --truth "$truth" --fit "$truth" --rbar 4=-1
expect 2 'nonsense' --truth "$truth" --fit "$truth" --nonsense
expect 3 'no-such' --truth "$truth" --fit "$tmp/no-such.json"
exit $fail
