#!/bin/sh
# scripts/check-sanitizers.sh -- builds gmoe with AddressSanitizer and
# UBSan (any UBSan report is fatal: -fno-sanitize-recover=all; LeakSanitizer
# is on with ASan) in build-asan/, apart from the tree's own build, and runs
# `make check` there.  The R package tests run with the sanitizer runtime
# preloaded into R (leak checks off for R itself, whose own allocations at
# exit are not ours).
# A configured tree is copied clean with `make distdir`; an unconfigured
# one is built from outside (VPATH).  Environment: ASAN_BUILD (default
# build-asan/ at the top of the tree), CC (default gcc).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD:-$top/build-asan}
CC=${CC:-gcc}
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
mkdir -p "$build"
if [ -f "$top/config.status" ]; then
    src=$build/src
    tmp=.asan-distdir-$$ # relative: the subdirectories' rules prefix it with ../
    make -s -C "$top" distdir distdir="$tmp" >/dev/null
    rm -rf "$src"
    mv "$top/$tmp" "$src"
else
    src=$top
    [ -x "$src/configure" ] || (cd "$src" && autoreconf -fi)
fi
obj=$build/obj
rm -rf "$obj"
mkdir -p "$obj"
cd "$obj"
"$src/configure" -q CC="$CC" CFLAGS="-g -O2 $san" LDFLAGS="$san"
make -s -j2 >/dev/null
# R is not built with the sanitizers: their runtimes are preloaded into R
# (and into the compilers R CMD INSTALL runs), by wrappers of R and
# Rscript that the R tests take through RSCRIPT; leak checks off there.
rscript=$(command -v Rscript || :)
rarg=
if [ -n "$rscript" ]; then
    preload="$($CC -print-file-name=libasan.so) $($CC -print-file-name=libubsan.so)"
    mkdir -p "$build/rwrap"
    for p in R Rscript; do
        printf '#!/bin/sh\nLD_PRELOAD="%s" ASAN_OPTIONS=detect_leaks=0 exec "%s" "$@"\n' \
            "$preload" "$(dirname "$rscript")/$p" >"$build/rwrap/$p"
        chmod +x "$build/rwrap/$p"
    done
    rarg="RSCRIPT=$build/rwrap/Rscript"
fi
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export UBSAN_OPTIONS
status=0
# CC with the sanitizers: the test that builds a program against the
# installed library (pkgconfig_link.sh) must link their runtimes first.
# shellcheck disable=SC2086
make -j2 check CC="$CC $san" $rarg || status=$?
[ "$status" -eq 0 ] || cat tests/test-suite.log
exit "$status"
