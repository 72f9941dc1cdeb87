#!/bin/sh
# Coverage of gmoe's Wald 95% intervals: simulate REPS data sets of N rows
# from TRUTH, fit each (one start, from the truth, so that the experts keep
# the truth's labels and the fit is the maximum near it), take observed and
# sandwich standard errors (mixfit --se observed, then the same fit scored
# with --init FIT --max-iter 0 --se sandwich) and count, per parameter, the
# share of intervals estimate +/- 1.959964 se that contain the true value.
# Replicates whose information is singular (null se) are counted apart;
# bias is the mean of the estimates minus the true value.
#
# Usage: scripts/coverage.sh [TRUTH [N [REPS [DESIGN [FIRST]]]]] > table.md
#   defaults: data/reference-model.json, 2000, 400, grid (x evenly spaced
#   on [0, 1], MODELS.md section 3), replicate seeds FIRST.. (default 1).  MIXSIM and MIXFIT (default src/ of
#   this tree) may be set in the environment.  About 0.08 s of CPU per
#   replicate for the reference model at N = 2000; run it niced.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
truth=${1:-$top/data/reference-model.json}
n=${2:-2000}
reps=${3:-400}
design=${4:-grid}
first=${5:-1}
mixsim=${MIXSIM:-$top/src/mixsim}
mixfit=${MIXFIT:-$top/src/mixfit}
work=$(mktemp -d "${TMPDIR:-/tmp}/gmoe-coverage.XXXXXX")
trap 'rm -rf "$work"' EXIT

# "name estimate se" per parameter of a model file's inference key
params() {
    sed -n 's/^ *{"name": "\([^"]*\)", "estimate": \([^,]*\), "se": \([^,]*\),.*/\1 \2 \3/p' "$1"
}

"$mixsim" --model "$truth" -n "$n" --design "$design" --seed 1 -o "$work/d.csv"
"$mixfit" --init "$truth" --max-iter 0 --threads 1 -q -o "$work/truth.json" "$work/d.csv" 2>/dev/null
params "$work/truth.json" | awk '{ print "truth", $1, $2, "x" }' >"$work/rows"
r=$first
while [ "$r" -lt $((first + reps)) ]; do
    "$mixsim" --model "$truth" -n "$n" --design "$design" --seed "$r" -o "$work/d.csv"
    "$mixfit" --init "$truth" --restarts 1 --threads 1 -q -o "$work/obs.json" "$work/d.csv" 2>/dev/null
    "$mixfit" --init "$work/obs.json" --max-iter 0 --se sandwich --threads 1 -q \
        -o "$work/sw.json" "$work/d.csv" 2>/dev/null
    params "$work/obs.json" | awk '{ print "observed", $1, $2, $3 }' >>"$work/rows"
    params "$work/sw.json" | awk '{ print "sandwich", $1, $2, $3 }' >>"$work/rows"
    r=$((r + 1))
done

echo "Coverage of Wald 95% intervals: $(basename "$truth"), N = $n, $reps replicates (seeds $first..$((first + reps - 1))), design $design"
echo
echo "| parameter | true | observed | sandwich | mean se obs. | sd of estimates | bias | singular |"
echo "|---|---|---|---|---|---|---|---|"
awk '
$1 == "truth" { truth[$2] = $3; order[++np] = $2; next }
{
    key = $1 SUBSEP $2
    if ($4 == "null") { sing[key]++; next }
    d = $3 - truth[$2]; if (d < 0) d = -d
    cnt[key]++; hit[key] += (d <= 1.959963984540054 * $4)
    if ($1 == "observed") { se[$2] += $4; s1[$2] += $3; s2[$2] += $3 * $3; ne[$2]++ }
}
END {
    for (i = 1; i <= np; i++) {
        p = order[i]; o = "observed" SUBSEP p; w = "sandwich" SUBSEP p
        m = s1[p] / ne[p]; sd = sqrt((s2[p] - ne[p] * m * m) / (ne[p] - 1))
        printf "| %s | %g | %.1f%% | %.1f%% | %.4g | %.4g | %.2g | %d |\n", p, truth[p],
               100 * hit[o] / cnt[o], 100 * hit[w] / cnt[w], se[p] / ne[p], sd, m - truth[p],
               sing[o] + 0
    }
}' "$work/rows"
