#!/bin/sh
# Reproduces the over-fitted reference experiment (NeurIPS 2023; shared
# MODELS.md section 3): softmax truth k* = 2, fitted k = 3, x evenly
# spaced on [0, 1], 10 sample sizes evenly spaced in [10000, 100000],
# 40 replicates, 5 near-truth starts per fit (the best kept), D2 loss
# (rbar(2) = 4) minimized over the gate translation.
#
# Usage: scripts/reproduce-reference-over.sh [OUTDIR] [more mixrate options]
#   OUTDIR defaults to data/results/reference-over.  Rerunning resumes.
#   Options given after OUTDIR are appended (e.g. -k 4, or
#   --replicates 10 for a shorter run: that is then a different run, so
#   use another OUTDIR).  MIXRATE and THREADS as in
#   reproduce-reference-exact.sh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/data/results/reference-over}
[ $# -gt 0 ] && shift
exec "${MIXRATE:-$top/src/mixrate}" --truth "$top/data/reference-model.json" -k 3 \
    --preset reference-over --replicates 40 --restarts 5 --seed 2023 --design grid \
    --init near-truth --threads "${THREADS:-2}" -O "$out" "$@"
