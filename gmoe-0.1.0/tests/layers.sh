#!/bin/sh
# No two files of lib/ call each other in a circle, directly or through
# others (issue 10): each file uses only the layers below it (lib/README).
# The edges are read from the built objects: file A -> file B when A
# refers to a gmoe_* symbol (function or table) that B defines; tsort(1)
# reports any loop.  A cycle found here fails the test and is printed.
set -u
top_builddir=${top_builddir:-..}
dir=$top_builddir/lib/.libs
ls "$dir"/libgmoe_core_la-*.o >/dev/null 2>&1 || dir=$top_builddir/lib
if ! ls "$dir"/libgmoe_core_la-*.o >/dev/null 2>&1 || ! command -v nm >/dev/null 2>&1 ||
    ! command -v tsort >/dev/null 2>&1; then
    echo "SKIP: no objects of lib/, or no nm or tsort"
    exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/gmoe-layers.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

for o in "$dir"/libgmoe_core_la-*.o; do
    f=${o##*/libgmoe_core_la-}
    f=${f%.o}
    nm "$o" | awk -v f="$f" '
        $2 ~ /^[TDRB]$/ && $3 ~ /^gmoe_/ { print "D", f, $3 }
        $1 == "U" && $2 ~ /^gmoe_/ { print "U", f, $2 }'
done >"$work/symbols"
awk '$1 == "D" { def[$3] = $2; next }
     { use[NR] = $2 " " $3 }
     END { for (i in use) { split(use[i], a, " ")
               if ((a[2] in def) && def[a[2]] != a[1]) print a[1], def[a[2]] } }' \
    "$work/symbols" | sort -u >"$work/edges"
[ -s "$work/edges" ] || { echo "FAIL: no calls between files found (objects unreadable?)"; exit 1; }
if ! tsort "$work/edges" >/dev/null 2>"$work/loops"; then
    echo "FAIL: files of lib/ call each other in a circle:"
    grep -v 'input contains a loop' "$work/loops" | sed 's/^tsort: /  /'
    exit 1
fi
if grep -q 'loop' "$work/loops"; then
    echo "FAIL: files of lib/ call each other in a circle:"
    cat "$work/loops"
    exit 1
fi
echo "ok: $(wc -l <"$work/edges") calls between $(cut -d' ' -f1 "$work/edges" | sort -u | wc -l) files, no cycle"
