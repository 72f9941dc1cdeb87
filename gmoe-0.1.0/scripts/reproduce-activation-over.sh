#!/bin/sh
# Activation dense-to-sparse gate (ICML 2024, arXiv 2401.13875), over-fitted,
# temperature estimated: truth data/rate-models/activation.json (k* = 2,
# tanh, bias outside, tau = 0.5), fitted k = 3 with --tau-mode estimate.
# x evenly spaced on [0, 1]; 12 sample sizes log-spaced in [1000, 100000],
# 20 replicates, 3 near-truth starts; D2 with |dtau| in every atom.
# Theory: polynomial parameter rates are restored.
#
# Usage: scripts/reproduce-activation-over.sh [OUTDIR] [more mixrate options]
#   OUTDIR defaults to data/results/activation-over.  Rerunning resumes.  MIXRATE
#   (default src/mixrate of this tree) and THREADS (default 2) may be set
#   in the environment.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/data/results/activation-over}
[ $# -gt 0 ] && shift
exec "${MIXRATE:-$top/src/mixrate}" --truth "$top/data/rate-models/activation.json" -k 3 --tau-mode estimate \
    --range 1000:100000:12 --spacing log --replicates 20 --restarts 3 --seed 2024 \
    --design grid --init near-truth \
    --threads "${THREADS:-2}" -O "$out" "$@"
