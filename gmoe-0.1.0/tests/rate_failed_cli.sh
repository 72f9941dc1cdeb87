#!/bin/sh
# mixrate(1) with failing cells: a cell whose loss is refused is recorded
# (NaN loss, converged 0, a quoted status), warned about, left out of the
# summary and the slope, and not redone on resume; the run exits 0 unless
# every cell failed (exit 4); results.csv without the status column is
# refused on resume.
. "${TEST_DATADIR:-data}/../rate_lib.sh"

# k = 5 over k* = 2 with seed 11: near-truth starts put 4 fitted experts in
# one Voronoi cell for N = 200 replicates 1, 2 and all of N = 800, and D2
# has no default rbar(4): GMOE_ENOTSUP for those 5 cells, the same on every
# run (the cell's seed fixes its data and start).
args="--truth $truth -k 5 --grid 200,400,800 --replicates 3 --seed 11"
"$bin" $args --threads 2 -O "$tmp/a" 2>"$tmp/err"
st=$?
check "exit 0 with some failed cells (got $st)" test "$st" -eq 0
r="$tmp/a/results.csv"
check "header ends with the atoms and status" grep -q ',err_sigma2_2,atoms_1,atoms_2,status$' "$r"
check "10 lines" test "$(wc -l <"$r")" -eq 10
check "failed row: nan loss, converged 0" grep -q '^200,1,[0-9]*,nan,0,nan,nan,[-0-9.e]*,[0-9]*,0,' "$r"
check "failed row: quoted reason" grep -q '^200,1,.*,"not supported: D2: .*rbar(4) is not known' "$r"
check "successful rows say ok" test "$(grep -c ',ok$' "$r")" -eq 4
check "failed cells in order" test "$(grep -v ',ok$' "$r" | sed 1d | cut -d, -f1,2 | tr '\n' ' ')" = \
    "200,1 200,2 800,1 800,2 800,3 "
check "one warning per failed cell" test "$(grep -c 'warning: N = [0-9]*, replicate [0-9] failed (not supported): D2:.*rbar(4)' "$tmp/err")" -eq 5
check "warning names the cell" grep -q 'N = 800, replicate 3 failed' "$tmp/err"
check "total warned" grep -q '5 of 9 cells failed' "$tmp/err"
# summary.csv: replicates = successful cells, failed at the end, NaN for
# an N without any.
s="$tmp/a/summary.csv"
check "summary failed column" test "$(cut -d, -f1,2 "$s" | tr '\n' ' ')" = "N,replicates 200,1 400,3 800,0 "
check "summary failed counts" test "$(awk -F, '{ print $NF }' "$s" | tr '\n' ' ')" = "failed 2 0 3 "
check "N = 800 mean is nan" grep -q '^800,0,nan,' "$s"
# The N = 200 mean is its one successful loss.
check "N = 200 mean from the successful cell" \
    test "$(awk -F, '$1 == 200 && $NF == "ok" { print $4 }' "$r")" = "$(awk -F, '$1 == 200 { print $3 }' "$s")"
check "slope.txt counts failed cells" grep -q '^# failed cells: 5 of 9' "$tmp/a/slope.txt"

# One thread: the same rows (failures included) but for the seconds.
"$bin" $args --threads 1 -O "$tmp/b" 2>/dev/null
strip "$tmp/a/results.csv" >"$tmp/a.csv"
strip "$tmp/b/results.csv" >"$tmp/b.csv"
check "1 and 2 threads: same failures and losses" cmp -s "$tmp/a.csv" "$tmp/b.csv"

# Resume after the two failed cells of N = 200: they are not redone.
mkdir "$tmp/c"
cp "$tmp/a/run.json" "$tmp/c/"
head -n 3 "$r" >"$tmp/c/results.csv"
"$bin" $args --threads 2 -O "$tmp/c" 2>"$tmp/err"
st=$?
check "resume exit 0 (got $st)" test "$st" -eq 0
check "resume counts the failed cells as done" grep -q 'resuming: 2 of 9 cells' "$tmp/err"
check "resume does not redo a failed cell" test "$(grep -c 'N = 200, replicate [12] failed' "$tmp/err")" -eq 0
check "resume runs the later failed cells" grep -q 'N = 800, replicate 1 failed' "$tmp/err"
strip "$tmp/c/results.csv" >"$tmp/c.csv"
check "resumed results equal the uninterrupted run" cmp -s "$tmp/a.csv" "$tmp/c.csv"
check "resumed summary counts all failures" grep -q '^# failed cells: 5 of 9' "$tmp/c/slope.txt"

# Every cell failed (too few rows for k = 2: EDATA): exit 4.
"$bin" --truth "$truth" --grid 3,4,5 --replicates 2 -O "$tmp/d" 2>"$tmp/err"
st=$?
check "all cells failed: exit 4 (got $st)" test "$st" -eq 4
check "all cells failed: says so" grep -q 'every cell failed (6 of 6' "$tmp/err"
check "all cells failed: rows recorded" test "$(grep -c '"unusable data: too few rows' "$tmp/d/results.csv")" -eq 6
check "all cells failed: no fit, stop NA" test "$(grep -c '^[0-9]*,[0-9],[0-9]*,nan,0,nan,nan,nan,0,0,NA,' "$tmp/d/results.csv")" -eq 6

# A results.csv of an older mixrate (no status column) is refused.
mkdir "$tmp/e"
cp "$tmp/a/run.json" "$tmp/e/"
sed '1s/,status$//' "$r" | head -n 1 >"$tmp/e/results.csv"
"$bin" $args -O "$tmp/e" 2>"$tmp/err"
st=$?
check "old results.csv: exit 3 (got $st)" test "$st" -eq 3
check "old results.csv: says why" grep -q 'without the status column' "$tmp/err"
# ... and one without the stop column.
mkdir "$tmp/g"
cp "$tmp/a/run.json" "$tmp/g/"
sed '1s/,stop,/,/' "$r" | head -n 1 >"$tmp/g/results.csv"
"$bin" $args -O "$tmp/g" 2>"$tmp/err"
st=$?
check "results.csv without stop: exit 3 (got $st)" test "$st" -eq 3
check "results.csv without stop: says why" grep -q 'without the stop column' "$tmp/err"
# A run.json of an older mixrate (no em.screen_iter) is refused first.
mkdir "$tmp/f"
sed '/"screen_iter"/d' "$tmp/a/run.json" >"$tmp/f/run.json"
sed '1s/,status$//' "$r" >"$tmp/f/results.csv"
"$bin" $args -O "$tmp/f" 2>"$tmp/err"
st=$?
check "old run.json: exit 2 (got $st)" test "$st" -eq 2
check "old run.json: says why" grep -q 'older mixrate' "$tmp/err"
exit $fail
