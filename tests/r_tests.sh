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
exec "$RSCRIPT" --vanilla "$srcdir/test_r.R" "$work/gmoe"
