#!/bin/sh
# mixrate(1) over MPI ranks: 2 ranks and 3 ranks (2 threads each) write the
# single-process run's results.csv (apart from the seconds column); a run
# killed on a worker rank, or on rank 0, resumes with the same command,
# losing no finished cell (pending.csv), to the same results.
. "${TEST_DATADIR:-data}/../rate_lib.sh"
. "${TEST_DATADIR:-data}/../mpi_lib.sh"

# Random starts: 36 cells of 20000 to 200000 rows, 2.9 s on one process
# (0.5 s for the earlier 18 cells of 2000 to 40000 rows, which a faster
# engine finished before the kill below landed): long enough to kill a run
# in the middle.
args="--truth $truth --range 20000:200000:6 --replicates 6 --seed 5 --init random --restarts 4"
"$bin" $args --threads 1 -O "$tmp/one" 2>"$tmp/err" || { echo "FAIL: single-process run"; cat "$tmp/err"; fail=1; }
strip "$tmp/one/results.csv" >"$tmp/one.csv"

same_as_one() { # description, directory
    strip "$2/results.csv" >"$tmp/cmp.csv"
    check "$1: results.csv as one process's" cmp -s "$tmp/one.csv" "$tmp/cmp.csv"
    check "$1: summary as one process's (but mean_seconds)" \
        cmp -s "$tmp/one/slope.txt" "$2/slope.txt"
    check "$1: no pending.csv left" test ! -e "$2/pending.csv"
}

run_ranks 2 "$bin" $args --threads 1 -O "$tmp/np2" 2>"$tmp/err" || { echo "FAIL: 2 ranks"; cat "$tmp/err"; fail=1; }
same_as_one "2 ranks" "$tmp/np2"
run_ranks 3 "$bin" $args --threads 2 -O "$tmp/np3" 2>"$tmp/err" || { echo "FAIL: 3 ranks"; cat "$tmp/err"; fail=1; }
same_as_one "3 ranks, 2 threads each" "$tmp/np3"

# Killed: once 3 cells are finished, rank $1 gets SIGKILL (mpirun then
# ends the others); the same command resumes.
# Distinct cells in the complete lines of results.csv and pending.csv
# (which keeps the rows that have moved on to results.csv too), plus 1
# for the header.
complete_lines() { # file: its lines but a cut last one
    [ -s "$1" ] || return 0
    if [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; then cat "$1"; else sed '$d' "$1"; fi
}
finished() { { complete_lines "$1/results.csv"; complete_lines "$1/pending.csv"; } | cut -d, -f1,2 | sort -u | wc -l; }
kill_and_resume() { # rank to kill, directory, ranks of the resumed run
    start_ranks 2 "$bin" $args --threads 1 -O "$2" >/dev/null 2>"$tmp/kerr"
    mp=$!
    i=0
    while [ "$(finished "$2")" -lt 5 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
    pid=$(rank_pid "$mp" "$1") && kill -9 "$pid"
    wait "$mp"
    check "rank $1 killed: the run did not end normally" test ! -e "$2/slope.txt"
    # The finished cells on disk when everything stopped.
    kept=$(( $(finished "$2") - 1 ))
    check "rank $1 killed: finished cells kept in pending.csv" test -s "$2/pending.csv"
    run_ranks "$3" "$bin" $args --threads 1 -O "$2" 2>"$tmp/err" || { echo "FAIL: resume"; cat "$tmp/err"; fail=1; }
    done_rows=$(sed -n 's/^mixrate: resuming: \([0-9]*\) of .*/\1/p' "$tmp/err")
    more=$(sed -n 's/^mixrate: resuming: \([0-9]*\) more finished cells.*/\1/p' "$tmp/err")
    check "rank $1 killed: the resumed run starts from the $kept finished cells" \
        test "$(( ${done_rows:-0} + ${more:-0} ))" -eq "$kept"
    same_as_one "rank $1 killed and resumed on $3 ranks" "$2"
}
kill_and_resume 1 "$tmp/k1" 2
kill_and_resume 0 "$tmp/k0" 3
exit $fail
