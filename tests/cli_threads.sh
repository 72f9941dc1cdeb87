#!/bin/sh
# The number of threads changes nothing: --threads 1 and --threads 2 give
# the same bytes (the library sums fixed blocks of rows in a fixed order).
# 20000 rows make 40 blocks, so the two threads really split the work;
# 50 iterations of an over-fitted k = 3 from 2 starts exercise every step.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

"$MIXSIM" --model "$REFMODEL" -n 20000 --seed 99 -o "$WORK/d.csv" || fail "mixsim"
for t in 1 2; do
    expect_ok "$MIXFIT" -k 3 --restarts 2 --max-iter 50 --threads $t -o "$WORK/fit$t.json" "$WORK/d.csv"
done
cmp -s "$WORK/fit1.json" "$WORK/fit2.json" || fail "--threads 1 and 2 differ"
ok "mixfit -k 3: --threads 1 and 2 give identical files"

# --threads N is every pass's thread count, also of the passes that take
# OpenMP's default (the standard errors' derivatives), whatever
# OMP_NUM_THREADS says: --threads 1 ran those on OMP_NUM_THREADS threads.
# libgomp names each thread of a team as it starts (OMP_DISPLAY_AFFINITY);
# the 20000 rows allow 2 threads by default (one per 8192 rows).
# And at most one thread per 8192 rows, as with --threads 0: on fewer rows
# a second thread costs more than it saves (a 3000-row fit with --threads
# 2 beside a busy core took up to 8 times one thread's wall time).
second_thread() { # threads [data]: how many times a thread 1 was shown
    env OMP_NUM_THREADS=2 OMP_DISPLAY_AFFINITY=true OMP_AFFINITY_FORMAT='gmoe-thread %n' "$MIXFIT" -q \
        --threads "$1" --init "$WORK/fit1.json" --max-iter 2 -o "$WORK/fit-aff$1.json" "${2:-$WORK/d.csv}" 2>&1 |
        grep -c '^gmoe-thread 1$'
}
if [ "$(second_thread 2)" -gt 0 ]; then
    [ "$(second_thread 1)" = 0 ] || fail "mixfit --threads 1, OMP_NUM_THREADS=2: a second thread ran"
    ok "mixfit --threads 1 with OMP_NUM_THREADS=2: every pass on one thread"
    head -n 16384 "$WORK/d.csv" >"$WORK/d16k.csv" # a header and 16383 rows
    [ "$(second_thread 2 "$WORK/d16k.csv")" = 0 ] || fail "mixfit --threads 2 on 16383 rows: a second thread ran"
    ok "mixfit --threads 2 on 16383 rows: one thread (one per 8192 rows)"
else
    ok "# SKIP libgomp shows no threads (OMP_DISPLAY_AFFINITY): --threads 1 not checked"
fi

# Idle threads sleep unless the environment says otherwise
# (cli_wait_policy): libgomp shows its settings with OMP_DISPLAY_ENV, once
# per load, so the last GOMP_SPINCOUNT shown is the one the tool ran with.
spincount() { # tool, then env arguments: the last GOMP_SPINCOUNT shown
    tool=$1
    shift
    env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT OMP_DISPLAY_ENV=verbose "$@" "$tool" --help 2>&1 >/dev/null |
        sed -n "s/^ *GOMP_SPINCOUNT = '\([0-9]*\)'.*/\1/p" | tail -n 1
}
if [ -n "$(spincount "$MIXFIT")" ]; then
    for tool in "$MIXFIT" "$top_builddir/src/mixrate"; do
        [ "$(spincount "$tool")" = 0 ] || fail "$tool: idle threads spin by default"
        [ "$(spincount "$tool" OMP_WAIT_POLICY=active)" != 0 ] ||
            fail "$tool: OMP_WAIT_POLICY=active not left alone"
        [ "$(spincount "$tool" GOMP_SPINCOUNT=1234)" = 1234 ] || fail "$tool: GOMP_SPINCOUNT not left alone"
    done
    ok "mixfit, mixrate: idle OpenMP threads sleep unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set"
    # one thread never waits: no second start-up to set the policy (libgomp
    # shows its settings once per load); without OMP_NUM_THREADS=1 the
    # library's passes on OpenMP's default thread count may use more
    loads() { # the number of times libgomp was loaded, then the arguments
        env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u OMP_NUM_THREADS OMP_DISPLAY_ENV=true "$@" 2>&1 >/dev/null |
            grep -c 'OPENMP DISPLAY ENVIRONMENT BEGIN'
    }
    for args in "--threads 1" "--threads=1" "--threads 0" ""; do
        # shellcheck disable=SC2086
        [ "$(loads env OMP_NUM_THREADS=1 "$MIXFIT" $args --help)" = 1 ] ||
            fail "mixfit $args, OMP_NUM_THREADS=1: started twice"
    done
    [ "$(loads env OMP_NUM_THREADS=1 "$MIXFIT" --threads 2 --help)" = 2 ] ||
        fail "mixfit --threads 2 with OMP_NUM_THREADS=1: the policy not set"
    [ "$(loads "$MIXFIT" --threads 1 --help)" = 2 ] || fail "mixfit --threads 1: the policy not set"
    ok "mixfit: OMP_NUM_THREADS=1 without --threads, or with 0 or 1, starts once (one thread never waits)"
else
    ok "# SKIP libgomp shows no settings (OMP_DISPLAY_ENV): wait policy not checked"
fi
