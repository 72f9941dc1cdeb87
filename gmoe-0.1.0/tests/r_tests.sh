#!/bin/sh
# Builds the R package gmoe (scripts/R/gmoe) against the build tree's
# libgmoe, installs it into a temporary library and runs its testthat
# tests (test_r.R), with mixfit and the other tools from the build tree.
# Exit 77 (skipped) when R, testthat or the shared library is missing.
# Environment from tests/Makefile.am: RSCRIPT, top_srcdir, top_builddir.
srcdir=${srcdir:-.}
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
RSCRIPT=${RSCRIPT:-$(command -v Rscript)}
if [ -z "$RSCRIPT" ] || ! [ -x "$RSCRIPT" ]; then
    echo "Rscript not found: R package tests skipped (apt-get install r-base-core)"
    exit 77
fi
R=$(dirname "$RSCRIPT")/R
if ! "$RSCRIPT" -e 'quit(status = !requireNamespace("testthat", quietly = TRUE))' >/dev/null 2>&1; then
    echo "R package testthat not installed: R package tests skipped (apt-get install r-cran-testthat)"
    exit 77
fi
build=$(cd "$top_builddir" && pwd)
if ! [ -f "$build/lib/.libs/libgmoe.so" ]; then
    echo "$build/lib/.libs/libgmoe.so not built (configure --disable-shared?): R package tests skipped"
    exit 77
fi
src=$(cd "$top_srcdir" && pwd)
# The package's copy of the example data must be the tree's.
if ! cmp -s "$src/data/reference.csv" "$src/scripts/R/gmoe/inst/extdata/reference.csv"; then
    echo "FAIL: scripts/R/gmoe/inst/extdata/reference.csv differs from data/reference.csv"
    exit 1
fi
# A libgmoe built with --enable-asan needs the sanitizer runtimes loaded
# first in every R process that loads it; R's own allocations at exit are
# not ours to report (detect_leaks=0).
sanitizers=$(ldd "$build/lib/.libs/libgmoe.so" 2>/dev/null | awk '/lib(asan|ubsan)\.so/ {print $3}' | tr '\n' ' ')
if [ -n "$sanitizers" ]; then
    LD_PRELOAD="$sanitizers${LD_PRELOAD:+ $LD_PRELOAD}"
    ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
    export LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
    echo "libgmoe is built with sanitizers: R runs with LD_PRELOAD=$LD_PRELOAD"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/gmoe-r.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
# A copy: installing writes into the package's src/, and the source tree
# is read-only in make distcheck.
cp -R "$src/scripts/R/gmoe" "$work/gmoe" && chmod -R u+w "$work/gmoe" && mkdir "$work/lib" || exit 99
GMOE_CFLAGS="-I$src/lib" GMOE_LIBS="-L$build/lib/.libs -lgmoe -Wl,-rpath,$build/lib/.libs"
export GMOE_CFLAGS GMOE_LIBS
if ! "$R" CMD INSTALL --no-test-load -l "$work/lib" "$work/gmoe" >"$work/install.log" 2>&1; then
    cat "$work/install.log"
    echo "FAIL: R CMD INSTALL of scripts/R/gmoe"
    exit 1
fi
# Idle OpenMP threads sleep instead of spinning (the machine is shared).
OMP_WAIT_POLICY=passive
R_LIBS="$work/lib"
GMOE_TOOLS_DIR="$build/src"
export OMP_WAIT_POLICY R_LIBS GMOE_TOOLS_DIR

# Ctrl-C: SIGINT during a long fit stops it between EM iterations with an
# R error of class gmoe_interrupted; the session goes on.  The script
# writes a marker just before the fit, so the signal lands inside it.
cat >"$work/interrupt.R" <<'RSCRIPT_END'
library(gmoe)
args <- commandArgs(trailingOnly = TRUE)
x <- seq(0, 1, length.out = 20000)
y <- ifelse(seq_along(x) %% 2 == 0, 3 * x, 1 - 2 * x) + 0.3 * sin(seq_along(x))
invisible(file.create(args[[1L]]))
r <- tryCatch(gmoe_fit(x, y, k = 4, restarts = 1000, threads = 1, accel = "none",
                       tol = 1e-300, max_iter = 1e6),
              gmoe_interrupted = function(e) conditionMessage(e))
f <- gmoe_fit(x[1:500], y[1:500], k = 2, restarts = 1)
cat(if (is.character(r)) r else "not interrupted", "| session alive:", is.finite(f$loglik), "\n")
RSCRIPT_END
"$RSCRIPT" --vanilla "$work/interrupt.R" "$work/started" >"$work/interrupt.out" 2>&1 &
rpid=$!
tries=0
while ! [ -f "$work/started" ] && [ $tries -lt 600 ]; do sleep 0.1; tries=$((tries + 1)); done
sleep 1
kill -INT $rpid
wait $rpid
if ! grep -q "the fit was interrupted (Ctrl-C) | session alive: TRUE" "$work/interrupt.out"; then
    cat "$work/interrupt.out"
    echo "FAIL: SIGINT did not interrupt the fit cleanly"
    exit 1
fi
echo "ok: SIGINT during gmoe_fit: $(cat "$work/interrupt.out")"
"$RSCRIPT" --vanilla "$srcdir/test_r.R" "$work/gmoe"
