#!/bin/sh
# scripts/fuzz.sh [SECONDS] -- builds gmoe's libFuzzer targets (tests/fuzz/)
# with clang, AddressSanitizer and UBSan, and runs each for SECONDS
# (default 60) from its seed corpus:
#   csv    the CSV reader and the data checks  (seeds: data/*.csv, tests/data/*.csv)
#   model  the model-file reader, with a write-read-write round trip
#          (seeds: data/*.json, data/rate-models/*.json, tests/data/*.json)
#   cli    the option parsers of the six tools (seeds: tests/fuzz/cli_seeds.txt)
# plus, for each, the inputs that once failed (tests/fuzz/regress/TARGET/).
#
# Environment: FUZZ_TARGETS (default "csv model cli"), FUZZ_BUILD (default
# build-fuzz/ at the top of the tree), CC (default clang, else clang-14).
# The build is separate from the tree's own: a configured tree is copied
# clean with `make distdir`, an unconfigured one is built from outside
# (VPATH).  Each run's log is FUZZ_BUILD/TARGET.log; its last lines give the
# executions (#N) and coverage (cov: ft:).  A finding is saved as
# FUZZ_BUILD/crashes/TARGET-* and the script exits 1: copy the file to
# tests/fuzz/regress/TARGET/ (make check replays that directory) and fix.
set -eu
secs=${1:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
targets=${FUZZ_TARGETS:-csv model cli}
if [ -z "${CC:-}" ]; then
    CC=clang
    command -v clang >/dev/null 2>&1 || CC=clang-14
fi
command -v "$CC" >/dev/null 2>&1 || { echo "fuzz.sh: $CC not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-g -O1 $san -fsanitize=fuzzer-no-link"
mkdir -p "$build"

# --- a clean source tree and a sanitizer build of the library and tools
src=$(sh "$top/scripts/clean-source.sh" "$top" "$build")
obj=$build/obj
mkdir -p "$obj"
if [ ! -f "$obj/Makefile" ]; then
    (cd "$obj" && "$src/configure" -q CC="$CC" CFLAGS="$cflags" --disable-openmp \
        --disable-shared --enable-static)
fi
make -s -C "$obj/lib" libgmoe_core.la >/dev/null
make -s -C "$obj/src" libgmoecli.la build_info.h >/dev/null
libs="$obj/lib/.libs/libgmoe_core.a $(pkg-config --libs gsl lapacke jansson) -lm"
inc="-I$obj -I$src/lib -I$src/src -I$obj/src -I$src/tests/fuzz"
f=$src/tests/fuzz
link() { # name sources...
    name=$1
    shift
    # shellcheck disable=SC2086
    "$CC" -g -O1 $san -fsanitize=fuzzer $inc "$@" $libs -o "$build/fuzz_$name"
}
link csv "$f/fuzz_csv.c"
link model "$f/fuzz_model.c"
link cli "$f/fuzz_cli.c" "$f"/fuzz_cli_mix*.c "$f/fuzz_cli_support.c" "$obj/src/.libs/libgmoecli.a"

# --- seed corpora and dictionaries
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds/csv" "$seeds/model" "$seeds/cli" "$build/corpus" "$build/crashes"
cp "$top"/data/*.csv "$top"/tests/data/*.csv "$seeds/csv/"
cp "$top"/data/*.json "$top"/data/rate-models/*.json "$top"/tests/data/*.json "$seeds/model/"
sh "$top/tests/fuzz/make_cli_seeds.sh" "$top/tests/fuzz/cli_seeds.txt" "$seeds/cli"
{
    grep -oh '{"[a-z-]*", *[a-z_]*argument' "$top"/src/*.c "$top"/src/cli.h |
        sed 's/{"\([a-z-]*\)".*/"--\1"/'
    grep -oh '"[a-zA-Z0-9-]\+"' "$top/lib/names.c"
    printf '"%s"\n' -k -x -y -o -O -m -n -s 1:3 2=4 0:1 1e-8 1e308 -1 0 18446744073709551616
} | sort -u > "$build/cli.dict"
# (libFuzzer's dictionaries escape bytes as \xAB, quotes as \")
printf '"%s"\n' ',' '\"' '\x0d\x0a' '\x0a' '\x0d' NA inf nan 1e308 1e-320 -0 '\xef\xbb\xbf' ' ' '\x00' \
    > "$build/csv.dict"
{
    grep -oh '"[a-z_0-9]\+"' "$top/lib/io_model.c"
    grep -oh '"[a-zA-Z0-9-]\+"' "$top/lib/names.c"
    printf '"%s"\n' '{' '}' '[' ']' ':' ',' 1e308 -0 null true '\x00' '\\u0000'
} | sort -u > "$build/model.dict"

# --- run
status=0
for t in $targets; do
    mkdir -p "$build/corpus/$t"
    regress=$top/tests/fuzz/regress/$t
    [ -d "$regress" ] || regress=
    case $t in cli) extra="-max_len=512 -close_fd_mask=3" ;; *) extra="-max_len=4096" ;; esac
    echo "fuzz.sh: $t for $secs s (log: $build/$t.log)"
    # shellcheck disable=SC2086
    if ! "$build/fuzz_$t" -max_total_time="$secs" -timeout=20 -print_final_stats=1 \
        -dict="$build/$t.dict" -artifact_prefix="$build/crashes/$t-" $extra \
        "$build/corpus/$t" "$seeds/$t" $regress > "$build/$t.log" 2>&1; then
        status=1
        echo "fuzz.sh: $t: FINDING (see $build/$t.log and $build/crashes/)" >&2
        tail -n 40 "$build/$t.log" >&2
    fi
    grep -E '^(#[0-9]+.*(DONE|cov:))|stat::number_of_executed_units|stat::peak_rss_mb' "$build/$t.log" | tail -n 3
done
exit $status
