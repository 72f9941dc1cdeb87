#!/bin/sh
# mixfit(1) over MPI ranks: -k 1:3 with 4 starts per k on 2 ranks and on 3
# ranks of 2 threads writes the model file, the summary and the table of
# one process, to the last bit; a usage error is reported once, by rank 0.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
. "${TEST_DATADIR:-data}/../mpi_lib.sh"

expect_ok "$MIXSIM" --model "$REFMODEL" -n 3000 --seed 5 -o "$WORK/sim.csv"
fit_args="-k 1:3 --restarts 4 --seed 7 --gating temperature --tau-mode estimate"
expect_ok "$MIXFIT" $fit_args --threads 1 -o "$WORK/one.json" "$WORK/sim.csv"
cp "$WORK/err" "$WORK/one.err"
grep -Eq 'best of ([4-9]|[1-9][0-9]+) starts' "$WORK/one.err" || fail "the single-process fit did not try at least 4 starts"
for ranks in "2 1" "3 2"; do
    set -- $ranks
    run run_ranks "$1" "$MIXFIT" $fit_args --threads "$2" -o "$WORK/np$1.json" "$WORK/sim.csv"
    [ "$rc" -eq 0 ] || fail "$1 ranks: exit $rc"
    cmp -s "$WORK/one.json" "$WORK/np$1.json" || fail "$1 ranks: the model file differs from one process's"
    cmp -s "$WORK/one.err" "$WORK/err" || fail "$1 ranks: the summary differs from one process's"
    ok "-k 1:3 on $1 ranks of $2 threads: the single-process fit"
done

# A gate with covariates of its own (more gate slopes than expert slopes).
awk -F, 'NR == 1 { print "z," $0; next } { printf "%.6f,%s\n", $1 * $1 - 0.5, $0 }' "$WORK/sim.csv" >"$WORK/gz.csv"
gate_args="-k 3 --restarts 3 --seed 4 -x x --gate-x z,x -y y --threads 1"
expect_ok "$MIXFIT" $gate_args -o "$WORK/gone.json" "$WORK/gz.csv"
run run_ranks 2 "$MIXFIT" $gate_args -o "$WORK/gtwo.json" "$WORK/gz.csv"
[ "$rc" -eq 0 ] || fail "--gate-x on 2 ranks: exit $rc"
cmp -s "$WORK/gone.json" "$WORK/gtwo.json" || fail "--gate-x on 2 ranks: the model file differs from one process's"
ok "--gate-x z,x on 2 ranks: the single-process fit"

# A single -k 3 (gmoe_fit_auto): its random starts shared out first, then,
# only when they do not settle, the lead-in's and the split starts: on an
# exact-fitted k = 3 (4 starts, no split starts) and on the over-specified
# k = 3 of the reference model (4 random + 2 x 4 split + 6 edge starts,
# edge_start.c), 2 ranks give one process's fit to the bit.
expect_ok "$MIXSIM" --model "$EXAMPLE_DATADIR/bench-k3-model.json" -n 3000 --seed 2 -o "$WORK/k3.csv"
for case in "k3:4" "sim:18"; do
    name=${case%%:*} starts=${case#*:}
    expect_ok "$MIXFIT" -k 3 --restarts 4 --seed 3 --threads 1 -o "$WORK/a1-$name.json" "$WORK/$name.csv"
    grep -q "best of $starts starts" "$WORK/err" || fail "-k 3 on $name.csv: not $starts starts: $(grep 'best of' "$WORK/err")"
    run run_ranks 2 "$MIXFIT" -k 3 --restarts 4 --seed 3 --threads 1 -o "$WORK/a2-$name.json" "$WORK/$name.csv"
    [ "$rc" -eq 0 ] || fail "-k 3 on $name.csv, 2 ranks: exit $rc"
    cmp -s "$WORK/a1-$name.json" "$WORK/a2-$name.json" || fail "-k 3 on $name.csv, 2 ranks: the model file differs from one process's"
    ok "-k 3 ($starts starts) on 2 ranks: the single-process fit"
done

run run_ranks 2 "$MIXFIT" -k 2 --bogus "$WORK/sim.csv"
[ "$rc" -eq 2 ] || fail "a usage error on 2 ranks: exit $rc, want 2"
[ "$(grep -c "unknown or ambiguous option '--bogus'" "$WORK/err")" -eq 1 ] || fail "the usage error is not printed once"
ok "a usage error on 2 ranks: exit 2, one message"
