#!/bin/sh
# The fuzz targets (tests/fuzz/, run under libFuzzer by scripts/fuzz.sh)
# replayed on their seed corpora and on every input that once failed
# (tests/fuzz/regress/TARGET/): each must run to the end without an abort
# or a sanitizer report.
. "$srcdir/cli_lib.sh"
regress=$srcdir/fuzz/regress
replay() { # target files...
    t=$1
    shift
    if "$top_builddir/tests/fuzz_replay_$t" "$@" >"$WORK/out" 2>"$WORK/err"; then
        ok "fuzz_$t replays $# inputs"
    else
        tail -n 1 "$WORK/out" >&2
        fail "fuzz_$t failed on the input named above"
    fi
}
# the regression inputs (each directory also has a README)
inputs() { for f in "$1"/*; do [ -f "$f" ] && [ "${f##*/}" != README ] && printf '%s\n' "$f"; done; }
# shellcheck disable=SC2046
replay csv "$EXAMPLE_DATADIR"/*.csv "$TEST_DATADIR"/*.csv $(inputs "$regress/csv")
# shellcheck disable=SC2046
replay model "$EXAMPLE_DATADIR"/*.json "$EXAMPLE_DATADIR"/rate-models/*.json "$TEST_DATADIR"/*.json \
    $(inputs "$regress/model")
# The command-line seeds, made as scripts/fuzz.sh makes them.
mkdir "$WORK/cli"
sh "$srcdir/fuzz/make_cli_seeds.sh" "$srcdir/fuzz/cli_seeds.txt" "$WORK/cli"
# shellcheck disable=SC2046
replay cli "$WORK"/cli/seed* $(inputs "$regress/cli")
