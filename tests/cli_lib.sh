# cli_lib.sh -- sourced by the command-line tests (cli_*.sh).
#
# Finds the programs in $top_builddir/src, the test fixtures in
# $TEST_DATADIR (tests/data) and the bundled examples in $EXAMPLE_DATADIR
# (data/); `make check` exports all three, so the tests also run in
# `make distcheck`, where the source tree is read-only and not the build
# tree.  Every test works in its own scratch directory, removed at exit.
set -u

# libgomp's default is to spin while waiting for work; when the machine
# has more busy threads than cores (make -j2 check runs two tests at once,
# each with as many OpenMP threads as cores) a spinning thread takes the
# core its partner needs, and a fit that takes 1 s took 20 to 60 s here.
# Results do not depend on it (bit-identical for any thread count).
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export OMP_WAIT_POLICY

top_builddir=${top_builddir:-..}
TEST_DATADIR=${TEST_DATADIR:-data}
EXAMPLE_DATADIR=${EXAMPLE_DATADIR:-$TEST_DATADIR/../../data}
MIXFIT=$top_builddir/src/mixfit
MIXPREDICT=$top_builddir/src/mixpredict
MIXSIM=$top_builddir/src/mixsim
REFMODEL=$EXAMPLE_DATADIR/reference-model.json
REFDATA=$EXAMPLE_DATADIR/reference.csv

for p in "$MIXFIT" "$MIXPREDICT" "$MIXSIM"; do
    [ -x "$p" ] || { echo "ERROR: $p not built" >&2; exit 99; }
done
[ -r "$REFMODEL" ] || { echo "ERROR: $REFMODEL not found" >&2; exit 99; }

# abs_path FILE: FILE's absolute path, for a test that cd's into $WORK.
abs_path()
{
    (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")")
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gmoe-cli.XXXXXX") || exit 99
trap 'rm -rf "$WORK"' EXIT

fail()
{
    echo "FAIL: $*" >&2
    if [ -s "$WORK/err" ]; then sed 's/^/  stderr: /' "$WORK/err" >&2; fi
    exit 1
}

ok()
{
    echo "ok - $*"
}

# run CMD...: runs it with stdout in $WORK/out, stderr in $WORK/err, the
# exit status in $rc.
run()
{
    rc=0
    "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
}

# expect_ok CMD...: runs it and fails the test unless it exits 0.
expect_ok()
{
    run "$@"
    [ "$rc" -eq 0 ] || fail "exit $rc, want 0: $*"
}

# check_bad CODE TEXT CMD...: CMD (a tool and its arguments, to which
# "-o FILE" is appended) must exit with CODE, print one message starting
# with the program's name and containing TEXT (the file, line and column,
# or the option), print nothing on stdout, create no output file, leave an
# existing output file as it was, and leave no temporary file behind.
check_bad()
{
    code=$1
    text=$2
    shift 2
    prog=$(basename "$1")
    rm -f "$WORK/new.out"
    run "$@" -o "$WORK/new.out"
    [ "$rc" -eq "$code" ] || fail "exit $rc, want $code: $*"
    grep -F -q -- "$text" "$WORK/err" || fail "the message lacks '$text': $*"
    head -n 1 "$WORK/err" | grep -q "^$prog: " || fail "the message does not start with '$prog: ': $*"
    [ ! -s "$WORK/out" ] || fail "output on stdout: $*"
    [ ! -e "$WORK/new.out" ] || fail "an output file was created: $*"
    echo "keep me" >"$WORK/old.out"
    run "$@" -o "$WORK/old.out"
    [ "$rc" -eq "$code" ] || fail "exit $rc, want $code (second run): $*"
    [ "$(cat "$WORK/old.out")" = "keep me" ] || fail "the existing output file was changed: $*"
    if ls -a "$WORK" | grep -q '\.tmp$'; then fail "a temporary file was left: $*"; fi
    ok "$prog exit $code, '$text'"
}

# json_number FILE KEY: the value of the first "KEY": number in FILE.
json_number()
{
    sed -n "s/.*\"$2\": *\([-+0-9.eE]*\).*/\1/p" "$1" | head -n 1
}

# near_best LABEL FIT BEST: the fit's log-likelihood is within 0.05 (issue
# 11's target for the default fit) of the best known fit's
near_best() {
    nb_ll=$(json_number "$2" loglik)
    nb_best=$(json_number "$3" loglik)
    awk -v a="$nb_ll" -v b="$nb_best" 'BEGIN { exit !(a >= b - 0.05) }' ||
        fail "$1: the default fit ($nb_ll) is more than 0.05 below the best known ($nb_best)"
    ok "$1: the default fit $nb_ll, the best known $nb_best"
}

# sanitized_build: true in scripts/check-sanitizers.sh's build, which sets
# GMOE_SANITIZED.  The fit-quality tests whose default fits take tens of
# seconds (about 7x that under the sanitizers) run only their cheapest
# case there: the code paths are the same, the quality is checked by the
# plain builds (make check, distcheck).
sanitized_build()
{
    [ -n "${GMOE_SANITIZED:-}" ]
}

# experts FILE: the experts of a model file, one line each:
# beta0 beta1[1..d] a[1..d] b sigma2 (the writer puts one expert per line).
experts()
{
    grep '"beta0"' "$1" | sed 's/[]{}"[]//g; s/beta0://; s/beta1://; s/a://; s/b://; s/sigma2://; s/,/ /g'
}

# over1_data FILE: issue 11's audit case over1 (two softmax experts, d = 1,
# sigma2 0.25 and 0.1), 5000 rows, x ~ U(-2, 2), mixsim seed 17, into FILE
# (the over-specified tests fit it with k = 3 and 4).
over1_data()
{
    cat >"$WORK/over1-truth.json" <<'JSON'
{"family": "softmax", "k": 2, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0.5, "beta1": [-3], "a": [1.5], "b": 0, "sigma2": 0.25},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 1, "sigma2": 0.1}]}
JSON
    expect_ok "$MIXSIM" -m "$WORK/over1-truth.json" -n 5000 -s 17 --range -2:2 -o "$1"
}

# var100_data N SEED: issue 11's audit case var100 (k = 3 softmax experts,
# d = 1, variances 0.01, 1 and 0.1), N rows, x ~ U(-2, 2), mixsim seed SEED,
# into $WORK/data.csv, and its fit from the truth into $WORK/best.json.
var100_data()
{
    cat >"$WORK/truth.json" <<'JSON'
{"family": "softmax", "k": 3, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [2], "a": [1], "b": 0, "sigma2": 0.01},
             {"beta0": 0.5, "beta1": [-1], "a": [0.5], "b": 0.5, "sigma2": 1},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 0, "sigma2": 0.1}]}
JSON
    expect_ok "$MIXSIM" -m "$WORK/truth.json" -n "$1" -s "$2" --range -2:2 -o "$WORK/data.csv"
    expect_ok "$MIXFIT" -k 3 --init "$WORK/truth.json" --threads 1 -q -o "$WORK/best.json" "$WORK/data.csv"
    grep -q '"stop": "tolerance"' "$WORK/best.json" || fail "the fit from the truth did not converge"
}
