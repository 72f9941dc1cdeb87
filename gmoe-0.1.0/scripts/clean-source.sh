#!/bin/sh
# scripts/clean-source.sh TOP DIR -- prints the path of a source tree of
# TOP that can be configured from outside (VPATH): TOP itself when it is
# not configured (configure is made if missing), else a clean copy made
# by `make distdir` in DIR/src (automake refuses a VPATH build from a
# configured tree).  Used by fuzz.sh and check-sanitizers.sh.
set -eu
top=$1
if [ -f "$top/config.status" ]; then
    tmp=.distdir-$$ # relative: the subdirectories' rules prefix it with ../
    make -s -C "$top" distdir distdir="$tmp" >/dev/null
    rm -rf "$2/src"
    mv "$top/$tmp" "$2/src"
    echo "$2/src"
else
    [ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >&2)
    echo "$top"
fi
