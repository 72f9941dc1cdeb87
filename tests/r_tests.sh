#!/bin/sh
# Runs the R interface's tests (test_r.R) against the build tree's libgmoe.
# Exit 77 (skipped) when R or the shared library is not available.
# Environment from tests/Makefile.am: RSCRIPT, top_srcdir, top_builddir.
srcdir=${srcdir:-.}
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
RSCRIPT=${RSCRIPT:-$(command -v Rscript)}
if [ -z "$RSCRIPT" ] || ! [ -x "$RSCRIPT" ]; then
    echo "Rscript not found: R interface tests skipped (apt-get install r-base-core)"
    exit 77
fi
GMOE_LIB=$top_builddir/lib/.libs/libgmoe.so
if ! [ -f "$GMOE_LIB" ]; then
    echo "$GMOE_LIB not built (configure --disable-shared?): R interface tests skipped"
    exit 77
fi
# Idle OpenMP threads sleep instead of spinning (the machine is shared).
OMP_WAIT_POLICY=passive
export GMOE_LIB OMP_WAIT_POLICY
exec "$RSCRIPT" --vanilla "$srcdir/test_r.R" "$top_srcdir" "$top_builddir"
