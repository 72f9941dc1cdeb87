#!/bin/sh
# The over-fitted reference experiment beyond the papers' range (issue 13,
# item 4): softmax truth k* = 2 (data/reference-model.json), fitted k = 3,
# x evenly spaced on [0, 1], 10 sample sizes log-spaced in [1e4, 1e6],
# 20 replicates, 5 near-truth starts per fit (the best kept), D2 loss.
# Cells depend only on (seed, N, replicate): seed 2023 as the 1e4..1e5
# run, so the cells of N = 10000 are its first 20 replicates.
#
# Usage: scripts/reproduce-reference-over-1e6.sh [OUTDIR] [more mixrate options]
#   OUTDIR defaults to data/results/reference-over-1e6.  Rerunning resumes.
#   Options given after OUTDIR are appended (e.g. --restarts 2 for a
#   cheaper run: that is then a different run, so use another OUTDIR).
#   MIXRATE (default src/mixrate of this tree) and THREADS (default 2) may
#   be set in the environment.  Cost: see data/results/README.md.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/data/results/reference-over-1e6}
[ $# -gt 0 ] && shift
exec "${MIXRATE:-$top/src/mixrate}" --truth "$top/data/reference-model.json" -k 3 \
    --range 10000:1000000:10 --spacing log --replicates 20 --restarts 5 --seed 2023 \
    --design grid --init near-truth --threads "${THREADS:-2}" -O "$out" "$@"
