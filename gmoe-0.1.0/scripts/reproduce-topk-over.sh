#!/bin/sh
# Top-K sparse softmax gate, over-fitted: truth data/rate-models/topk.json
# (k* = 3, K = 2), fitted k = 4 with K = 3 (one more expert, one more
# selected, so that a split true expert can keep its whole region).
# x ~ N(0, 1); 12 sample sizes log-spaced in [1000, 100000], 20
# replicates, 3 near-truth starts; D2.  Theory: D2 = O(sqrt(log N / N)).
#
# Usage: scripts/reproduce-topk-over.sh [OUTDIR] [more mixrate options]
#   OUTDIR defaults to data/results/topk-over.  Rerunning resumes.  MIXRATE
#   (default src/mixrate of this tree) and THREADS (default 2) may be set
#   in the environment.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/data/results/topk-over}
[ $# -gt 0 ] && shift
exec "${MIXRATE:-$top/src/mixrate}" --truth "$top/data/rate-models/topk.json" -k 4 --top-k 3 \
    --range 1000:100000:12 --spacing log --replicates 20 --restarts 3 --seed 2024 \
    --design normal --init near-truth \
    --threads "${THREADS:-2}" -O "$out" "$@"
