#!/bin/sh
# --help and --version of every tool exit 0 and print on stdout; the help
# lists the options and the exit codes.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

for prog in "$MIXFIT" "$MIXPREDICT" "$MIXSIM" "$top_builddir/src/mixplot"; do
    name=$(basename "$prog")
    expect_ok "$prog" --help
    grep -q "^Usage: $name " "$WORK/out" || fail "$name --help: no usage line"
    grep -q "Exit status: 0 success; 2 bad usage" "$WORK/out" || fail "$name --help: no exit codes"
    [ ! -s "$WORK/err" ] || fail "$name --help wrote to stderr"
    expect_ok "$prog" -h
    expect_ok "$prog" --version
    grep -q "^$name (gmoe) [0-9]" "$WORK/out" || fail "$name --version"
    ok "$name --help, -h, --version"
done
# every option in mixfit's synopsis is in its help, with its default
expect_ok "$MIXFIT" --help
for opt in -k -y -x -o --init --criterion --quiet --restarts --seed --tol --tol-rule \
    --max-iter --threads --accel --accel-warmup --var-floor --min-weight --gate-max-iter --gating --top-k \
    --select --tau --tau-mode --activation --bias; do
    grep -q -- "$opt " "$WORK/out" || fail "mixfit --help lacks $opt"
done
grep -q "0 (default): 10, more" "$WORK/out" || fail "mixfit --help lacks the restarts default"
ok "mixfit --help lists every option"
