#!/bin/sh
# scripts/check-sanitizers.sh -- builds gmoe with AddressSanitizer and
# UBSan (any UBSan report is fatal: -fno-sanitize-recover=all; LeakSanitizer
# is on with ASan) in build-asan/, apart from the tree's own build, and runs
# `make check` there.  The R package tests (r_tests.sh) see the sanitized
# libgmoe and preload the runtimes into R themselves.
# A configured tree is copied clean with `make distdir`; an unconfigured
# one is built from outside (VPATH).  Environment: ASAN_BUILD (default
# build-asan/ at the top of the tree), CC (default gcc).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD:-$top/build-asan}
CC=${CC:-gcc}
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
mkdir -p "$build"
src=$(sh "$top/scripts/clean-source.sh" "$top" "$build")
obj=$build/obj
rm -rf "$obj"
mkdir -p "$obj"
cd "$obj"
# The flags in CC (not CFLAGS): make check gets the same CC below, and the
# provenance mixrate records (build_info.h) must not change under it.
"$src/configure" -q CC="$CC $san" CFLAGS="-g -O2"
make -s -j2 >/dev/null
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The long fit-quality tests run only their cheapest case here
# (sanitized_build in tests/cli_lib.sh).
GMOE_SANITIZED=1
export UBSAN_OPTIONS GMOE_SANITIZED
status=0
# CC with the sanitizers: the test that builds a program against the
# installed library (pkgconfig_link.sh) must link their runtimes first.
make -j2 check CC="$CC $san" || status=$?
[ "$status" -eq 0 ] || cat tests/test-suite.log
exit "$status"
