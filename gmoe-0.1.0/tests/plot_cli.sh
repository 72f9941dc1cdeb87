#!/bin/sh
# mixplot (issue 15 item 3): the picture of a fit and the criteria against
# k are drawn by gnuplot from a self-contained script; the PNG has the
# size the script asks for.  mixfit --table writes the -k LO:HI table.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
D=$TEST_DATADIR
MIXPLOT=$top_builddir/src/mixplot

# png_size FILE: "WIDTH HEIGHT" from the PNG header (IHDR), or nothing
png_size()
{
    [ "$(od -An -c -j1 -N3 "$1" | tr -d ' ')" = "PNG" ] || return 0
    od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4,
                                          $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

expect_ok "$MIXFIT" -k 1:3 --restarts 2 -q --table "$WORK/table.csv" -o "$WORK/fit.json" "$REFDATA"
[ "$(head -n 1 "$WORK/table.csv")" = "k,loglik,npar,aic,bic,icl,iterations,converged,chosen" ] ||
    fail "--table: header"
[ "$(wc -l <"$WORK/table.csv")" -eq 4 ] || fail "--table: one row per k"
grep -q '^2,.*,1$' "$WORK/table.csv" || fail "--table: k = 2 is not the chosen one"
ok "mixfit --table writes the -k 1:3 table as CSV"

# errors before drawing anything
run "$MIXPLOT" --model "$WORK/fit.json" "$REFDATA"
[ "$rc" -eq 2 ] && grep -q -- "-o FILE is required" "$WORK/err" || fail "no -o: exit $rc"
check_bad 2 "--x z: not a covariate of the model" "$MIXPLOT" --model "$WORK/fit.json" --x z "$REFDATA"
check_bad 2 "give one of --model MODEL data.csv and --criteria TABLE" "$MIXPLOT" "$REFDATA"
check_bad 3 "no column \"k\" (expected a mixfit --table file)" "$MIXPLOT" --criteria "$REFDATA"
ok "usage and input errors"

# without gnuplot: the script is written, the PNG is not, exit 5
run env GNUPLOT="$WORK/no/gnuplot" "$MIXPLOT" --model "$WORK/fit.json" "$REFDATA" -o "$WORK/none.png"
[ "$rc" -eq 5 ] || fail "without gnuplot: exit $rc, want 5"
grep -q "gnuplot not found" "$WORK/err" || fail "without gnuplot: no message"
[ -s "$WORK/none.gp" ] && [ ! -e "$WORK/none.png" ] || fail "without gnuplot: script or PNG wrong"
ok "without gnuplot: the script, a message and exit 5"

command -v gnuplot >/dev/null 2>&1 || { echo "SKIP: no gnuplot, PNGs not checked"; exit 77; }

expect_ok "$MIXPLOT" --model "$WORK/fit.json" "$REFDATA" -o "$WORK/fit.png"
grep -q '^\$points << EOD' "$WORK/fit.gp" && grep -q '^set multiplot' "$WORK/fit.gp" &&
    grep -q "title 'predictive mean'" "$WORK/fit.gp" && grep -q "g_2(x)" "$WORK/fit.gp" || fail "fit.gp content"
[ "$(grep -c '^[0-9.e+-]* [0-9.e+-]* [12]$' "$WORK/fit.gp")" -eq 2000 ] || fail "fit.gp: 2000 points with their expert"
[ "$(png_size "$WORK/fit.png")" = "1060 760" ] || fail "fit.png: size $(png_size "$WORK/fit.png"), want 1060 760"
[ "$(wc -c <"$WORK/fit.png")" -gt 20000 ] || fail "fit.png is nearly empty"
ok "mixplot --model: fit.gp and a 1060x760 fit.png"

# other covariates at their means, named in the title; a factor model
expect_ok "$MIXFIT" -k 1 --factor group -q -o "$WORK/f.json" "$D/ud_comma.csv"
expect_ok "$MIXPLOT" --model "$WORK/f.json" --script "$WORK/f-script.gp" "$D/ud_comma.csv" -o "$WORK/f.png"
grep -q 'other covariates at their means: group=ctl = 0.333, group=trt = 0.333' "$WORK/f-script.gp" ||
    fail "the title does not give the other covariates' means"
[ "$(png_size "$WORK/f.png")" = "1060 760" ] || fail "f.png: size"
check_bad 2 "--x group=trt: a factor's indicator" "$MIXPLOT" --model "$WORK/f.json" --x group=trt "$D/ud_comma.csv"
ok "a factor model: the indicators held at their means"

expect_ok "$MIXPLOT" --criteria "$WORK/table.csv" -o "$WORK/crit.png"
grep -q "set label 'chosen: k = 2'" "$WORK/crit.gp" || fail "crit.gp: the chosen k"
[ "$(png_size "$WORK/crit.png")" = "800 620" ] || fail "crit.png: size $(png_size "$WORK/crit.png"), want 800 620"
ok "mixplot --criteria: crit.gp and an 800x620 crit.png"
