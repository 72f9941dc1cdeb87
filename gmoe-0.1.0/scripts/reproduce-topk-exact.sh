#!/bin/sh
# Top-K sparse softmax gate (ICLR 2024, arXiv 2309.13850), exact-fitted:
# truth data/rate-models/topk.json (k* = 3, K = 2, selection on the slope
# beta1'x), fitted k = 3, K = 2.  x ~ N(0, 1): with x in [0, 1] the slope
# ranking would never change and one expert would never be selected.
# 20 sample sizes log-spaced in [200, 100000], 20 replicates, near-truth
# starts; D1.  Theory: D1 = O(sqrt(log N / N)), slope about -0.44.
#
# Usage: scripts/reproduce-topk-exact.sh [OUTDIR] [more mixrate options]
#   OUTDIR defaults to data/results/topk-exact.  Rerunning resumes.  MIXRATE
#   (default src/mixrate of this tree) and THREADS (default 2) may be set
#   in the environment.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/data/results/topk-exact}
[ $# -gt 0 ] && shift
exec "${MIXRATE:-$top/src/mixrate}" --truth "$top/data/rate-models/topk.json" -k 3 \
    --range 200:100000:20 --spacing log --replicates 20 --seed 2024 --design normal \
    --init near-truth \
    --threads "${THREADS:-2}" -O "$out" "$@"
