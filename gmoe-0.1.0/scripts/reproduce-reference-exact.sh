#!/bin/sh
# Reproduces the exact-fitted reference experiment of "Demystifying
# softmax gating in Gaussian mixtures of experts" (NeurIPS 2023; shared
# MODELS.md section 3): softmax truth k* = 2, fitted k = 2, x evenly
# spaced on [0, 1], 200 sample sizes (5 in [100, 900], 195 in
# [1000, 100000]), 40 replicates, near-truth starts, D1 loss.
#
# Usage: scripts/reproduce-reference-exact.sh [OUTDIR] [more mixrate options]
#   OUTDIR defaults to data/results/reference-exact.  Rerunning resumes.
#   MIXRATE (default src/mixrate of this tree) and THREADS (default 2)
#   may be set in the environment.
# Faithful replay of the published stopping rule: add
#   --tol-rule relative --tol 1e-6 --max-iter 2000 --accel none
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/data/results/reference-exact}
[ $# -gt 0 ] && shift
exec "${MIXRATE:-$top/src/mixrate}" --truth "$top/data/reference-model.json" -k 2 \
    --preset reference-exact --replicates 40 --seed 2023 --design grid \
    --init near-truth --threads "${THREADS:-2}" -O "$out" "$@"
