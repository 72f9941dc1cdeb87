#!/bin/sh
# mixfit --shard (mixfit(1), "One fit over sharded data"): one fit whose
# rows are spread over the MPI ranks, every sum over rows passed from
# rank to rank in row order.  Shards that start on multiples of 512 rows
# (--shard rows always; --shard files with such files) give the model
# file and summary of one process, to the last bit, on 2 and 3 ranks; a
# cut off the 512-row blocks gives the same fit up to rounding (a
# warning says so); what is not supported is refused.  Also the temperature
# and activation gates, -k 1:3 with ICL and sandwich standard errors.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
. "${TEST_DATADIR:-data}/../mpi_lib.sh"

# 2700 rows: 5 whole blocks of 512 and a part block of 140
expect_ok "$MIXSIM" --model "$REFMODEL" -n 2700 --seed 5 -o "$WORK/sim.csv"
fit_args="-k 3 --restarts 3 --seed 7 --threads 1"
expect_ok "$MIXFIT" $fit_args -o "$WORK/one.json" "$WORK/sim.csv"
cp "$WORK/err" "$WORK/one.err"
for np in 2 3; do
    threads=$((np - 1)) # and ranks of 2 threads
    run run_ranks "$np" "$MIXFIT" $fit_args --threads $threads --shard rows -o "$WORK/rows$np.json" "$WORK/sim.csv"
    [ "$rc" -eq 0 ] || fail "--shard rows on $np ranks: exit $rc"
    cmp -s "$WORK/one.json" "$WORK/rows$np.json" || fail "--shard rows on $np ranks: the model file differs from one process's"
    cmp -s "$WORK/one.err" "$WORK/err" || fail "--shard rows on $np ranks: the summary differs from one process's"
    ok "--shard rows on $np ranks, --threads $threads: the single-process fit, to the bit"
done

# One file per rank: data rows 1..a, a+1..b, b+1..2700 (the header in each).
split_csv() { # name, then the last data row of each file but the last
    name=$1; shift
    lo=1; i=0
    for hi in "$@" 2700; do
        awk -v lo="$lo" -v hi="$hi" 'NR == 1 || (NR - 1 >= lo && NR - 1 <= hi)' "$WORK/sim.csv" >"$WORK/$name$i.csv"
        lo=$((hi + 1)); i=$((i + 1))
    done
}
split_csv b 1024 2048
run run_ranks 3 "$MIXFIT" $fit_args --shard files -o "$WORK/files3.json" "$WORK/b%d.csv"
[ "$rc" -eq 0 ] || fail "--shard files on 3 ranks: exit $rc"
cmp -s "$WORK/one.json" "$WORK/files3.json" || fail "--shard files (1024, 1024, 652 rows): the model file differs from one process's"
grep -q 'warning' "$WORK/err" && fail "--shard files on block boundaries: a warning"
ok "--shard files, 3 files cut on 512-row blocks: the single-process fit, to the bit"

# A gate with covariates of its own, on 2 ranks.
awk -F, 'NR == 1 { print "z," $0; next } { printf "%.6f,%s\n", $1 * $1 - 0.5, $0 }' "$WORK/sim.csv" >"$WORK/gz.csv"
gate_args="-k 2 --restarts 2 --seed 4 -x x --gate-x z,x -y y --threads 1"
expect_ok "$MIXFIT" $gate_args -o "$WORK/gone.json" "$WORK/gz.csv"
run run_ranks 2 "$MIXFIT" $gate_args --shard rows -o "$WORK/gtwo.json" "$WORK/gz.csv"
[ "$rc" -eq 0 ] || fail "--gate-x with --shard rows on 2 ranks: exit $rc"
cmp -s "$WORK/gone.json" "$WORK/gtwo.json" || fail "--gate-x with --shard rows: the model file differs from one process's"
ok "--gate-x z,x with --shard rows on 2 ranks: the single-process fit, to the bit"

# Other gate families, -k 1:3 with ICL and sandwich standard errors.
for extra in "--gating temperature --tau-mode estimate -k 3" "--gating activation -k 2" "-k 1:3 --criterion icl --se sandwich"; do
    args="--restarts 2 --seed 3 --threads 1 $extra"
    expect_ok "$MIXFIT" $args -o "$WORK/fone.json" "$WORK/sim.csv"
    run run_ranks 2 "$MIXFIT" $args --shard rows -o "$WORK/ftwo.json" "$WORK/sim.csv"
    [ "$rc" -eq 0 ] || fail "$extra with --shard rows on 2 ranks: exit $rc"
    cmp -s "$WORK/fone.json" "$WORK/ftwo.json" || fail "$extra with --shard rows: the model file differs from one process's"
    ok "$extra with --shard rows on 2 ranks: the single-process fit, to the bit"
done

# 600 rows are 2 blocks: on 3 ranks, rank 0 holds none.
head -n 601 "$WORK/sim.csv" >"$WORK/small.csv"
expect_ok "$MIXFIT" -k 2 --restarts 2 --seed 3 --threads 1 -o "$WORK/sone.json" "$WORK/small.csv"
run run_ranks 3 "$MIXFIT" -k 2 --restarts 2 --seed 3 --threads 1 --shard rows -o "$WORK/sthree.json" "$WORK/small.csv"
[ "$rc" -eq 0 ] || fail "600 rows on 3 ranks: exit $rc"
cmp -s "$WORK/sone.json" "$WORK/sthree.json" || fail "600 rows on 3 ranks: the model file differs from one process's"
ok "600 rows (2 blocks) with --shard rows on 3 ranks, one of them empty: the single-process fit, to the bit"

# A cut inside a block (after row 1000): the same fit up to rounding.
split_csv c 1000
run run_ranks 2 "$MIXFIT" $fit_args --shard files -o "$WORK/off.json" "$WORK/c%d.csv"
[ "$rc" -eq 0 ] || fail "--shard files cut after row 1000: exit $rc"
grep -q 'does not start on a multiple of 512 rows' "$WORK/err" || fail "a cut inside a block: no warning"
ll() { sed -n 's/.*"loglik": *\([^,]*\),.*/\1/p' "$1" | head -1; }
awk -v a="$(ll "$WORK/one.json")" -v b="$(ll "$WORK/off.json")" \
    'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-9 * (a < 0 ? -a : a)) }' ||
    fail "a cut inside a block: log-likelihood $(ll "$WORK/off.json"), one process $(ll "$WORK/one.json")"
ok "--shard files cut inside a block: a warning, the log-likelihood of one process to 1e-9"

# What is refused.
run "$MIXFIT" -k 2 --shard files "$WORK/sim.csv"
[ "$rc" -eq 2 ] && grep -q 'has no %d' "$WORK/err" || fail "--shard files without %d: exit $rc"
run "$MIXFIT" -k 2 --shard columns "$WORK/sim.csv"
[ "$rc" -eq 2 ] && grep -q 'expected rows or files' "$WORK/err" || fail "--shard columns: exit $rc"
run "$MIXFIT" -k 2 --shard rows --bootstrap 5 "$WORK/sim.csv"
[ "$rc" -eq 2 ] && grep -q 'bootstrap is not supported' "$WORK/err" || fail "--shard with --bootstrap: exit $rc"
run "$MIXFIT" -k 2 --shard rows --gating topk --top-k 1 "$WORK/sim.csv"
[ "$rc" -ne 0 ] && grep -q 'top-K gate is not supported with sharded data' "$WORK/err" ||
    fail "--shard with the top-K gate: exit $rc"
ok "--shard files without %d, --shard columns, --bootstrap, top-K: refused with a message"
cp "$WORK/b0.csv" "$WORK/m0.csv" # and no m1.csv
run run_ranks 2 "$MIXFIT" $fit_args --shard files "$WORK/m%d.csv"
[ "$rc" -ne 0 ] || fail "--shard files with rank 1's file missing: exit 0"
grep -q 'rank 1 could not read or check its data' "$WORK/err" || fail "--shard files with rank 1's file missing: rank 0 does not say so"
ok "--shard files with rank 1's file missing: an error naming rank 1, no hang"
