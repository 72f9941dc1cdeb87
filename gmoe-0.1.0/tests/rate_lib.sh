# rate_lib.sh -- sourced by the mixrate tests (rate_*.sh): the program,
# the reference truth, a scratch directory removed at exit (more cleanup
# may be added to $cleanup), and the helpers.
set -u
bin="$top_builddir/src/mixrate"
truth="$TEST_DATADIR/../../data/reference-model.json"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX")
cleanup=""
trap 'eval "$cleanup"; rm -rf "$tmp"' EXIT
fail=0
check() { # description, then a command that must succeed
    d=$1; shift
    if "$@"; then :; else echo "FAIL: $d"; fail=1; fi
}
# Exit status and a word of the message.
expect() { # status, needle, mixrate arguments...
    want=$1 needle=$2; shift 2
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ] || ! grep -q -- "$needle" "$tmp/err"; then
        echo "FAIL: mixrate $* -> exit $got (want $want), stderr:"; cat "$tmp/err"; fail=1
    fi
}
# results.csv without the seconds column (12), the only one that may vary.
strip() { cut -d, -f1-11,13- "$1"; }
