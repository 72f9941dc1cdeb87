#!/bin/sh
# Temperature softmax gate (ICML 2024, arXiv 2401.13875), over-fitted,
# temperature estimated: truth data/rate-models/temperature.json (k* = 2,
# tau = 0.125, beta1 = (1, 0); the loss rescales it and the fit to gmoe's
# normalization, centred slopes of unit norm, mixloss(1)), fitted k = 3 with
# --tau-mode estimate.  x evenly spaced on [0, 1]; 12 sample sizes
# log-spaced in [1000, 100000], 20 replicates, 3 near-truth starts; D2
# with |dtau| in every atom.  Theory: parameter rates slower than any
# polynomial (as slow as 1/log N).
#
# Usage: scripts/reproduce-temperature-over.sh [OUTDIR] [more mixrate options]
#   OUTDIR defaults to data/results/temperature-over.  Rerunning resumes.  MIXRATE
#   (default src/mixrate of this tree) and THREADS (default 2) may be set
#   in the environment.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/data/results/temperature-over}
[ $# -gt 0 ] && shift
exec "${MIXRATE:-$top/src/mixrate}" --truth "$top/data/rate-models/temperature.json" -k 3 --tau-mode estimate \
    --range 1000:100000:12 --spacing log --replicates 20 --restarts 3 --seed 2024 \
    --design grid --init near-truth \
    --threads "${THREADS:-2}" -O "$out" "$@"
