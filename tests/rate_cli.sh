#!/bin/sh
# mixrate(1): a small experiment, identical results for 1 and 2 threads,
# resume after an interrupted write, settings checked on resume, and
# usage errors (exit 2 naming the option).
. "${TEST_DATADIR:-data}/../rate_lib.sh"

args="--truth $truth --grid 200,400,800 --replicates 3 --seed 11"

# A small exact-fitted run.
"$bin" $args --threads 1 -O "$tmp/a" 2>"$tmp/err" || { echo "FAIL: small run"; cat "$tmp/err"; fail=1; }
for f in run.json results.csv summary.csv slope.txt plot.gp; do
    check "$f written" test -s "$tmp/a/$f"
done
check "results.csv has a header and 9 rows" test "$(wc -l <"$tmp/a/results.csv")" -eq 10
check "header" grep -q '^N,rep,seed,loss,at_limit,loss_breakpoint,loss_untranslated,loglik,iterations,converged,stop,seconds,err_mass_1,err_mass_2,' "$tmp/a/results.csv"
# stop: why the kept fit stopped; converged 1 exactly when it is "tolerance".
check "stop names" awk -F, 'NR > 1 && $11 !~ /^(tolerance|max-iterations|stalled|saddle|degenerate|numeric|loglik-change|selection-local|separable|none)$/ { exit 1 }' "$tmp/a/results.csv"
check "converged iff stop is tolerance" awk -F, 'NR > 1 && ($10 == 1) != ($11 == "tolerance") { exit 1 }' "$tmp/a/results.csv"
check "summary counts the stops" grep -q ',mean_seconds,stop_max_iterations,stop_stalled,stop_other,' "$tmp/a/summary.csv"
check "slope.txt totals the stops" grep -q '^# fits: 9; at the limit W\*: [0-9]*; converged: [0-9]*; at the iteration cap: 0; stalled: [0-9]*; other stops: [0-9]*$' "$tmp/a/slope.txt"
check "atoms columns: one fitted atom per true expert when k = k*" \
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i } NR > 1 && ($col["atoms_1"] != 1 || $col["atoms_2"] != 1) { exit 1 }' "$tmp/a/results.csv"
check "exact-fitted: no err2_ lines" test "$(grep -c '^err2_' "$tmp/a/slope.txt")" -eq 0
# Over-fitted (k = 3): the atoms add up to k, and the errors of the cells of
# two atoms get their own slopes with the two-atom theory.
"$bin" --truth "$truth" -k 3 --grid 200,400,800 --replicates 2 --seed 11 --threads 2 -O "$tmp/over3" 2>"$tmp/err" ||
    { echo "FAIL: over-fitted run"; cat "$tmp/err"; fail=1; }
check "over-fitted: atoms add up to k = 3" \
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i } NR > 1 && $col["atoms_1"] + $col["atoms_2"] != 3 { exit 1 }' "$tmp/over3/results.csv"
check "over-fitted: summary counts the two-atom cells" grep -q ',two_atom_cells,mean_err2_mass,' "$tmp/over3/summary.csv"
check "over-fitted: err2_beta1 against N^-1/8" grep -q '^err2_beta1 .* -0.1250$' "$tmp/over3/slope.txt"
check "over-fitted: err2_a against N^-1/4" grep -q '^err2_a .* -0.2500$' "$tmp/over3/slope.txt"
check "rows in (N, rep) order" test "$(cut -d, -f1,2 "$tmp/a/results.csv" | tr '\n' ' ')" = \
    "N,rep 200,1 200,2 200,3 400,1 400,2 400,3 800,1 800,2 800,3 "
check "summary has 3 sizes" test "$(wc -l <"$tmp/a/summary.csv")" -eq 4
check "slope of D1" grep -q '^loss_D1 ' "$tmp/a/slope.txt"
# Every loss is a positive finite number.
check "losses positive" awk -F, 'NR > 1 && !($4 > 0 && $4 < 100) { exit 1 }' "$tmp/a/results.csv"

check "plot tics below 1e4 plain" grep -q "'200' 200, '500' 500" "$tmp/a/plot.gp"
# Tics of large N in thousands, so that 50000 and 100000 do not overlap.
"$bin" --truth "$truth" --grid 6000,9000,13000 --replicates 2 --seed 11 --threads 1 -O "$tmp/large" 2>"$tmp/err" ||
    { echo "FAIL: run at N = 6000, 9000, 13000"; cat "$tmp/err"; fail=1; }
check "plot tics of 1e4 and up in thousands" grep -q "'10k' 10000" "$tmp/large/plot.gp"

# Two threads: the same file but for the seconds.
"$bin" $args --threads 2 -O "$tmp/b" 2>"$tmp/err" || { echo "FAIL: 2 threads"; cat "$tmp/err"; fail=1; }
strip "$tmp/a/results.csv" >"$tmp/a.csv"
strip "$tmp/b/results.csv" >"$tmp/b.csv"
check "1 and 2 threads give the same results" cmp -s "$tmp/a.csv" "$tmp/b.csv"

# Resume: keep the header, 4 rows and half of the fifth, rerun.
mkdir "$tmp/c"
cp "$tmp/a/run.json" "$tmp/c/"
head -n 5 "$tmp/a/results.csv" >"$tmp/c/results.csv"
sed -n 6p "$tmp/a/results.csv" | head -c 25 >>"$tmp/c/results.csv"
"$bin" $args --threads 2 -O "$tmp/c" 2>"$tmp/err" || { echo "FAIL: resume"; cat "$tmp/err"; fail=1; }
check "resume says so" grep -q 'resuming: 4 of 9 cells' "$tmp/err"
strip "$tmp/c/results.csv" >"$tmp/c.csv"
check "resumed results equal the uninterrupted run" cmp -s "$tmp/a.csv" "$tmp/c.csv"
# A finished run rerun computes nothing and changes nothing.
"$bin" $args -O "$tmp/a" 2>"$tmp/err"
strip "$tmp/a/results.csv" >"$tmp/a2.csv"
check "rerun of a finished run" cmp -s "$tmp/a.csv" "$tmp/a2.csv"
check "rerun finds all cells" grep -q 'resuming: 9 of 9 cells' "$tmp/err"

# Progress without escape codes when stderr is not a terminal (or TERM is
# dumb), and a closing line naming the directory and the slopes.
TERM=xterm "$bin" $args -O "$tmp/a" 2>"$tmp/err"
check "no escape codes off a terminal" test "$(tr -d '\033' <"$tmp/err" | cmp -s - "$tmp/err"; echo $?)" -eq 0
check "closing line" grep -q "^mixrate: results in $tmp/a; D1 slope of the mean -*[0-9.]* \[.*\], of the median" "$tmp/err"
# --help lists each option once.
"$bin" --help >"$tmp/help"
for o in restarts seed threads; do
    check "--help lists --$o once" test "$(grep -c -- "--$o " "$tmp/help")" -eq 1
done
# A row after the run's last cell names the count, not "N = 0".
mkdir "$tmp/e"; cp "$tmp/a/run.json" "$tmp/e/"
{ cat "$tmp/a/results.csv"; tail -n 1 "$tmp/a/results.csv"; } >"$tmp/e/results.csv"
expect 3 "results.csv:11: a row after the last of this run's 9 cells" $args -O "$tmp/e"

# Other settings in the same directory are refused, naming the setting.
expect 2 '"replicates" was 3 there, 4 now' --truth "$truth" --grid 200,400,800 --replicates 4 --seed 11 -O "$tmp/a"
expect 2 '"seed"' --truth "$truth" --grid 200,400,800 --replicates 3 --seed 12 -O "$tmp/a"
# A results.csv that is not this run's.
mkdir "$tmp/d"; cp "$tmp/a/run.json" "$tmp/d/"; echo "a,b" >"$tmp/d/results.csv"
expect 3 'header' $args -O "$tmp/d"

# Without results.csv (a committed results page) there is nothing to
# resume: other settings run afresh and replace run.json.
mkdir "$tmp/p"; cp "$tmp/a/run.json" "$tmp/p/"
"$bin" --truth "$truth" --grid 200,400,800 --replicates 2 --seed 11 -O "$tmp/p" 2>"$tmp/err" ||
    { echo "FAIL: run over a run.json without results.csv"; cat "$tmp/err"; fail=1; }
check "fresh run.json" grep -q '"replicates": 2' "$tmp/p/run.json"
check "fresh results" test "$(wc -l <"$tmp/p/results.csv")" -eq 7

# Over-fitted: D2.
"$bin" --truth "$truth" -k 3 --grid 500,1000,2000 --replicates 2 --threads 2 -O "$tmp/over" 2>"$tmp/err" ||
    { echo "FAIL: over-fitted run"; cat "$tmp/err"; fail=1; }
check "slope of D2" grep -q '^loss_D2 ' "$tmp/over/slope.txt"

# Usage errors: exit 2, naming the option.
expect 2 '\-\-truth' --grid 100,200 -O "$tmp/x"
expect 2 '\-O' --truth "$truth" --grid 100,200
expect 2 'exactly one of' --truth "$truth" --grid 100,200 --preset reference-exact -O "$tmp/x"
expect 2 'exactly one of' --truth "$truth" -O "$tmp/x"
expect 2 '\-\-replicates' --truth "$truth" --grid 100,200 --replicates 0 -O "$tmp/x"
expect 2 '\-\-range' --truth "$truth" --range 500:100:3 -O "$tmp/x"
expect 2 '\-\-range' --truth "$truth" --range 100:500 -O "$tmp/x"
expect 2 '\-\-spacing' --truth "$truth" --grid 100,200 --spacing log -O "$tmp/x"
expect 2 '\-\-spacing' --truth "$truth" --range 100:1000:3 --spacing cubic -O "$tmp/x"
expect 2 '\-\-grid' --truth "$truth" --grid 300,200 -O "$tmp/x"
expect 2 '\-\-preset' --truth "$truth" --preset paper -O "$tmp/x"
expect 2 '\-\-init' --truth "$truth" --grid 100,200 --init far -O "$tmp/x"
expect 2 '\-\-design' --truth "$truth" --grid 100,200 --design sobol -O "$tmp/x"
expect 2 '\-k 1' --truth "$truth" -k 1 --grid 100,200 -O "$tmp/x"
expect 2 '\-\-gating topk' --truth "$truth" --gating topk --grid 100,200 -O "$tmp/x"
expect 2 'bogus' --truth "$truth" --grid 100,200 --bogus -O "$tmp/x"
expect 3 'no-such' --truth "$tmp/no-such.json" --grid 100,200 -O "$tmp/x"
check "no output directory after usage errors" test ! -e "$tmp/x"
exit $fail
