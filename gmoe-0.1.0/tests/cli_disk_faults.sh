#!/bin/sh
# Outputs on a full disk and in a read-only directory: exit 5 with a
# message naming the output, no temporary file left behind, an existing
# output intact.
#  - full: /dev/full as the output (written in place: ENOSPC), standard
#    output on /dev/full, and a file that cannot grow past `ulimit -f`
#    with SIGXFSZ ignored (EFBIG on the temporary file: the same path as a
#    full file system);
#  - read-only: a directory without write permission.  Root ignores
#    permissions, so as root the tool runs as nobody (setpriv); without
#    setpriv, as root, that case is skipped and says so.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
MIXSIM=$(abs_path "$MIXSIM")
REFMODEL=$(abs_path "$REFMODEL")
cd "$WORK" || exit 99
sim() { "$MIXSIM" --model "$REFMODEL" -n 20000 --seed 1 "$@"; }

if [ -w /dev/full ]; then
    run sim -o /dev/full
    [ "$rc" -eq 5 ] || fail "-o /dev/full: exit $rc, want 5"
    grep -q "/dev/full: write error: No space left on device" "$WORK/err" || fail "-o /dev/full: message"
    rc=0
    sim >/dev/full 2>"$WORK/err" || rc=$?
    [ "$rc" -eq 5 ] || fail "stdout on /dev/full: exit $rc, want 5"
    grep -q "<stdout>: write error: No space left on device" "$WORK/err" || fail "stdout on /dev/full: message"
    ok "/dev/full as -o and as stdout: exit 5, no space left on device"
else
    echo "# /dev/full missing: the full-device cases are not tested"
fi

echo "old" >out.csv
rc=0
(trap '' XFSZ && ulimit -f 64 && exec "$MIXSIM" --model "$REFMODEL" -n 20000 --seed 1 -o out.csv) \
    2>"$WORK/err" || rc=$?
[ "$rc" -eq 5 ] || fail "file size limit: exit $rc, want 5"
grep -q "out.csv: write error: File too large" "$WORK/err" || fail "file size limit: message"
[ "$(cat out.csv)" = old ] || fail "file size limit: the existing output was changed"
for f in .out.csv.*; do [ -e "$f" ] && fail "file size limit: $f left behind"; done
ok "a file that cannot grow (EFBIG): exit 5, the old output intact, no temporary file"

mkdir ro && chmod 555 ro
as_user=
if [ "$(id -u)" -eq 0 ]; then
    if command -v setpriv >/dev/null 2>&1; then
        chmod 755 "$WORK"
        as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
    else
        echo "# running as root without setpriv: the read-only directory case is not tested"
        exit 0
    fi
fi
rc=0
# shellcheck disable=SC2086
$as_user "$MIXSIM" --model "$REFMODEL" -n 10 --seed 1 -o ro/out.csv 2>"$WORK/err" || rc=$?
[ "$rc" -eq 5 ] || fail "read-only directory: exit $rc, want 5"
grep -q "ro/out.csv: cannot create a temporary file next to it: Permission denied" "$WORK/err" ||
    fail "read-only directory: message"
[ -z "$(ls -A ro)" ] || fail "read-only directory: $(ls -A ro) created"
ok "a read-only directory${as_user:+ (as nobody)}: exit 5 naming the output, nothing created"
