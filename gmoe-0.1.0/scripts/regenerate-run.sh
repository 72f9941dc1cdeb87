#!/bin/sh
# Regenerates the mixrate run recorded in DIR and compares it with DIR, bit
# for bit (every column of results.csv but seconds; summary.csv's columns
# but mean_seconds when DIR has no results.csv).
#
# Usage: scripts/regenerate-run.sh DIR [WORKDIR]
#   The tools are those of the commit recorded in DIR/run.json
#   ("provenance": "commit"), extracted from this repository (git archive)
#   into WORKDIR (default a new directory under ${TMPDIR:-/tmp}) and built
#   with the recorded configure arguments; the run is then made again with
#   `mixrate --same-as DIR -O WORKDIR/run`.  MIXRATE=path skips the build
#   (e.g. the tools of this tree when they are that commit).
#
# Bits are the same on the same kind of machine: the same compiler, configure
# arguments (a sanitizer or optimization flag may change them) and C
# library, and a processor with the same "cpu_features" (avx2, fma,
# avx512f), which decide the code paths of the vector exp/log (libmvec)
# and of the AVX2 clones; run.json records them and this script says when
# they differ from this machine's.  Exit 0 identical, 1 different, 2 usage
# or build failure.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DIR [WORKDIR]" >&2; exit 2; }
dir=$1
top=$(cd "$(dirname "$0")/.." && pwd)
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/regenerate.XXXXXX")}
mkdir -p "$work"
field() { # the string value of "name" in DIR/run.json (the first one)
    sed -n "s/^ *\"$1\": \"\(.*\)\",*\$/\1/p" "$dir/run.json" | head -n 1 | sed 's/\\"/"/g; s/\\\\/\\/g'
}
commit=$(field commit)
dirty=$(field dirty)
echo "run: $dir; recorded commit ${commit:-none} (dirty: ${dirty:-?}), configure: '$(field configure)'"
if [ -z "${MIXRATE:-}" ]; then
    case $commit in
    '' | unknown) echo "no commit recorded: set MIXRATE to the tools to use" >&2; exit 2 ;;
    esac
    [ "$dirty" = no ] || echo "note: the recorded build had uncommitted changes; the commit alone may not regenerate it"
    if [ ! -x "$work/build/src/mixrate" ]; then
        echo "building $commit in $work/build ..."
        mkdir -p "$work/build"
        git -C "$top" archive "$commit" | tar -x -C "$work/build"
        (cd "$work/build" && autoreconf -fi >/dev/null 2>&1 && eval "./configure $(field configure)" >/dev/null &&
            make -j2 >/dev/null 2>&1) || { echo "build of $commit failed (see $work/build)" >&2; exit 2; }
    fi
    MIXRATE=$work/build/src/mixrate
fi
rm -rf "$work/run"
"$MIXRATE" --same-as "$dir" -O "$work/run" 2>"$work/mixrate.err" || {
    cat "$work/mixrate.err" >&2; echo "the rerun failed" >&2; exit 2; }
for key in vector_math compiler configure libc avx2 fma avx512f; do
    a=$(grep -m 1 "\"$key\":" "$dir/run.json" || :)
    b=$(grep -m 1 "\"$key\":" "$work/run/run.json" || :)
    [ "$a" = "$b" ] || echo "note: $key differs from the recorded run ($a here: $b); bits may differ"
done
# The columns to compare: those of the recorded file but the seconds (a
# newer mixrate may write more columns, e.g. stop: they are left out).
columns() { # recorded file, file, column name to leave out: file's columns of the recorded header
    awk -F, -v name="$3" 'FNR == NR { if (FNR == 1) for (i = 1; i <= NF; i++) if ($i != name) want[$i] = 1; next }
        FNR == 1 { for (i = 1; i <= NF; i++) keep[i] = ($i in want); last = NF }
        { out = ""; sep = ""  # fields past the header: commas inside the quoted last column (status)
          for (i = 1; i <= NF; i++) if (keep[i <= last ? i : last]) { out = out sep $i; sep = "," } print out }' "$1" "$2"
}
if [ -f "$dir/results.csv" ]; then file=results.csv col=seconds; else file=summary.csv col=mean_seconds; fi
columns "$dir/$file" "$dir/$file" $col >"$work/recorded.csv"
columns "$dir/$file" "$work/run/$file" $col >"$work/regenerated.csv"
extra=$(head -n 1 "$work/run/$file" | tr , '\n' | while read -r c; do
    head -n 1 "$dir/$file" | tr , '\n' | grep -qx "$c" || printf ' %s' "$c"; done)
[ -z "$extra" ] || echo "note: columns not in the recorded $file, not compared:$extra"
if cmp -s "$work/recorded.csv" "$work/regenerated.csv"; then
    echo "identical: $file of $work/run equals $dir/$file bit for bit (all columns but $col)"
    exit 0
fi
echo "DIFFERENT: $file (all columns but $col); first differing lines:"
diff "$work/recorded.csv" "$work/regenerated.csv" | head -n 6
exit 1
