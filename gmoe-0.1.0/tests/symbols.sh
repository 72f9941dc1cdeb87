#!/bin/sh
# The shared library exports exactly the symbols of lib/libgmoe.sym, and
# that list is the functions declared in the public headers (gmoe.h,
# gmoe_r.h) plus the two io.h helpers the tools use: a function added to
# a header but not to the list (or an internal one leaking out) fails.
set -u
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
lib=$top_builddir/lib/.libs/libgmoe.so
sym=$top_srcdir/lib/libgmoe.sym
if [ ! -f "$lib" ] || ! command -v nm >/dev/null 2>&1; then
    echo "SKIP: no shared library or no nm"
    exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/gmoe-sym.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
status=0

nm -D --defined-only "$lib" | awk '{print $3}' | grep '^gmoe_' | sort >"$work/exported"
sort "$sym" >"$work/listed"
if ! cmp -s "$work/exported" "$work/listed"; then
    echo "FAIL: exported symbols (<) differ from lib/libgmoe.sym (>):"
    diff "$work/exported" "$work/listed"
    status=1
fi

# prototypes start at the beginning of a line: "type *gmoe_name("
grep -hE '^[a-z][a-z0-9_ ]*[ *]gmoe_[a-z0-9_]*\(' "$top_srcdir/lib/gmoe.h" "$top_srcdir/lib/gmoe_r.h" |
    sed -E 's/.*[ *](gmoe_[a-z0-9_]*)\($/\1/; s/.*[ *](gmoe_[a-z0-9_]*)\(.*/\1/' |
    sort -u >"$work/declared"
printf '%s\n' gmoe_io_display_name gmoe_io_write_atomic >>"$work/declared"
sort -u -o "$work/declared" "$work/declared"
if ! cmp -s "$work/declared" "$work/listed"; then
    echo "FAIL: functions of the public headers (<) differ from lib/libgmoe.sym (>):"
    diff "$work/declared" "$work/listed"
    status=1
fi
[ "$status" -eq 0 ] && echo "ok - $(wc -l <"$work/listed") symbols exported, as the headers declare"
exit "$status"
