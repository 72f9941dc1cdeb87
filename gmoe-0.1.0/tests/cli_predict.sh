#!/bin/sh
# mixpredict on the reference model (MODELS.md section 3) at x = 0, 0.32
# and 1, against values computed here from the formulas, independently of
# the library:
#   g1 = 1 / (1 + exp(-(-8 + 25 x))), g2 = 1 - g1,
#   mean = g1 (15 - 20 x) + g2 (20 x - 5),
#   var = g1 (0.09 + (15 - 20 x - mean)^2) + g2 (0.16 + (20 x - 5 - mean)^2).
# At x = 0.32 the logit is 0: g = (0.5, 0.5), mean 5, var 13.085, and the
# tie goes to expert 1.  The tolerance, 1e-12 relative, allows for the
# different but equally exact orders of operations (both are within a few
# ulps of the true value); a wrong formula is off by far more.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

printf 'x,y\n0,-5\n0.32,8.6\n1,-5\n' >"$WORK/pts.csv"
expect_ok "$MIXPREDICT" --model "$REFMODEL" "$WORK/pts.csv"
head -n 1 "$WORK/out" | grep -qx 'mean,var,expert,gate_1,gate_2,resp_1,resp_2,logdens' ||
    fail "header: $(head -n 1 "$WORK/out")"
[ "$(wc -l <"$WORK/out")" -eq 4 ] || fail "want 3 rows"
printf '0\n0.32\n1\n' >"$WORK/x"
tail -n +2 "$WORK/out" | paste -d, "$WORK/x" - | awk -F, '
function rel(a, b) { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; return s > 1 ? d / s : d }
function check(name, got, want) {
    if (rel(got, want) > 1e-12) { printf "x = %s: %s = %.17g, want %.17g\n", x, name, got, want; bad = 1 }
}
{
    x = $1; mean = $2; var = $3; expert = $4; g1 = $5; g2 = $6
    wg1 = 1 / (1 + exp(-(-8 + 25 * x))); wg2 = 1 - wg1
    m1 = 15 - 20 * x; m2 = 20 * x - 5
    wmean = wg1 * m1 + wg2 * m2
    wvar = wg1 * (0.09 + (m1 - wmean)^2) + wg2 * (0.16 + (m2 - wmean)^2)
    check("gate_1", g1, wg1); check("gate_2", g2, wg2)
    check("mean", mean, wmean); check("var", var, wvar)
    wexpert = wg1 >= wg2 ? 1 : 2
    if (expert != wexpert) { printf "x = %s: expert %s, want %s\n", x, expert, wexpert; bad = 1 }
}
END { exit bad }' || fail "predictions differ from the hand-computed values"
ok "mean, var, expert and gates at x = 0, 0.32, 1"

# x = 0.32, y = 8.6 (expert 1 mean): expert 2 is 18 sd away (density
# factor exp(-162)), so resp_1 = 1 to double precision and
# logdens = log(0.5) - log(2 pi 0.09) / 2.
sed -n 3p "$WORK/out" | awk -F, '{
    want = log(0.5) - 0.5 * log(2 * 3.14159265358979324 * 0.09)
    d = $8 - want; if (d < 0) d = -d
    if ($6 != 1 || $7 > 1e-60 || d > 1e-13) { printf "resp %s %s logdens %.17g want %.17g\n", $6, $7, $8, want; exit 1 }
}' || fail "responsibilities or log-density at x = 0.32"
ok "responsibilities and log-density"

# without the response column: no resp_ or logdens columns, same predictions
cut -d, -f1 "$WORK/pts.csv" >"$WORK/xonly.csv"
cp "$WORK/out" "$WORK/with_y"
expect_ok "$MIXPREDICT" --model "$REFMODEL" "$WORK/xonly.csv"
head -n 1 "$WORK/out" | grep -qx 'mean,var,expert,gate_1,gate_2' || fail "header without y"
cut -d, -f1-5 "$WORK/with_y" | tail -n +2 >"$WORK/a"
tail -n +2 "$WORK/out" >"$WORK/b"
cmp -s "$WORK/a" "$WORK/b" || fail "predictions change when y is absent"
ok "without the response column"

# from stdin, into a file
expect_ok "$MIXPREDICT" --model "$REFMODEL" -o "$WORK/p.csv" - <"$WORK/xonly.csv"
[ ! -s "$WORK/out" ] || fail "stdout not empty with -o"
tail -n +2 "$WORK/p.csv" | cmp -s - "$WORK/b" || fail "-o and stdin"
ok "stdin and -o"
