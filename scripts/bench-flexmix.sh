#!/bin/bash
# bench-flexmix.sh -- mixfit against R's flexmix on the same simulated files.
#
# For N = 1e3, 1e4, 1e5 and k = 2 (data/reference-model.json) and k = 3
# (data/bench-k3-model.json) experts, simulates one CSV per case with
# mixsim, fits it with `mixfit --threads 1` and with flexmix
# (scripts/bench-flexmix.R) from the same number of random starts, and
# prints one table side by side.  Then mixfit alone on a top-K and an
# activation model at N = 1e5 (no R package fits those): time per EM
# iteration.  Everything runs on one thread.  Wall and CPU time are both
# reported; the ratio is taken on CPU time (user + system), which a machine
# shared with other jobs inflates far less than wall time.
#
# Usage: scripts/bench-flexmix.sh [--quick] [--starts S] [--seed N]
#            [--bindir DIR] [--keep DIR] [--no-flexmix] [--no-families]
#            [--flexmix-cache DIR]
# Run from anywhere; the programs are taken from the build tree's src/
# (or --bindir), the model files from the source tree's data/.
# Exit status: 0 done, 1 a program failed, 2 bad usage.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

usage() {
    cat <<EOF
usage: $0 [options]
  --quick        N = 1e3 and 1e4 only (no N = 1e5 rows, so no per-iteration rows)
  --starts S     random starts for both programs (default 5)
  --seed N       seed of the simulations and of the starts (default 1)
  --bindir DIR   where mixsim and mixfit are (default $top/src)
  --keep DIR     keep the simulated CSVs and fitted models in DIR
  --no-flexmix   mixfit columns only
  --flexmix-cache DIR  keep each flexmix result line in DIR (one file per N, k,
                 starts and seed, and the data file's checksum) and reuse it
                 instead of running flexmix again (its fits take minutes)
  --no-families  skip the top-K and activation rows
  -h, --help     this text
EOF
}

die_usage() { echo "bench-flexmix.sh: $1" >&2; usage >&2; exit 2; }

quick=0 starts=5 seed=1 bindir=$top/src keep='' flexmix=1 families=1 fcache=
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --starts) [ $# -ge 2 ] || die_usage "--starts needs a value"; starts=$2; shift ;;
        --seed) [ $# -ge 2 ] || die_usage "--seed needs a value"; seed=$2; shift ;;
        --bindir) [ $# -ge 2 ] || die_usage "--bindir needs a value"; bindir=$2; shift ;;
        --keep) [ $# -ge 2 ] || die_usage "--keep needs a value"; keep=$2; shift ;;
        --no-flexmix) flexmix=0 ;;
        --flexmix-cache) [ $# -ge 2 ] || die_usage "--flexmix-cache needs a value"; fcache=$2; shift ;;
        --no-families) families=0 ;;
        -h|--help) usage; exit 0 ;;
        *) die_usage "unknown option '$1'" ;;
    esac
    shift
done
case $starts in ''|*[!0-9]*|0) die_usage "--starts: '$starts' is not a positive integer" ;; esac
case $seed in ''|*[!0-9]*) die_usage "--seed: '$seed' is not a non-negative integer" ;; esac

mixsim=$bindir/mixsim mixfit=$bindir/mixfit
# In a build tree these are libtool's wrapper scripts, which would add a
# shell's start-up to every timed run: run the programs they wrap.
if [ -x "$bindir/.libs/mixfit" ] && [ -x "$bindir/.libs/mixsim" ] && [ -d "$bindir/../lib/.libs" ]; then
    LD_LIBRARY_PATH=$(cd "$bindir/../lib/.libs" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
    mixsim=$bindir/.libs/mixsim mixfit=$bindir/.libs/mixfit
fi
for p in "$mixsim" "$mixfit"; do
    [ -x "$p" ] || { echo "bench-flexmix.sh: $p not found (build first, or --bindir)" >&2; exit 1; }
done
if [ $flexmix = 1 ] && ! Rscript -e 'suppressPackageStartupMessages(library(flexmix))' >/dev/null 2>&1; then
    echo "bench-flexmix.sh: R package flexmix not found (Debian: r-cran-flexmix); use --no-flexmix" >&2
    exit 1
fi

# One thread everywhere: OpenMP in mixfit, BLAS under R.
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 GOTO_NUM_THREADS=1
export OMP_NUM_THREADS OPENBLAS_NUM_THREADS MKL_NUM_THREADS GOTO_NUM_THREADS

if [ -n "$keep" ]; then
    mkdir -p "$keep"; work=$keep
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/bench-flexmix.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    trap 'exit 1' HUP INT TERM
fi

# timed FILE CMD...: runs CMD (its stderr to $work/cmd.err), writes
# "wall cpu" seconds to FILE, returns CMD's status.
timed() {
    local out=$1 st=0 TIMEFORMAT='%R %U %S'
    shift
    { time "$@" 2>"$work/cmd.err"; } 2>"$work/time.raw" || st=$?
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$work/time.raw" >"$out"
    return $st
}
# A number from the "fit" block of a model file mixfit wrote.
fitfield() { sed -n "s/^ *\"$1\": *\([-+0-9.eE]*\).*/\1/p" "$2" | tail -n 1; }

if [ $quick = 1 ]; then sizes="1000 10000"; else sizes="1000 10000 100000"; fi
[ -z "$fcache" ] || mkdir -p "$fcache" || exit 1

# flexmix_line CSV K: bench-flexmix.R's line for the file, from the cache
# when --flexmix-cache has it for the same data (checksum), k, starts, seed.
flexmix_line() {
    local key=''
    if [ -n "$fcache" ]; then
        key=$fcache/flexmix-$(cksum <"$1" | cut -d' ' -f1)-k$2-s$starts-seed$seed.txt
        if [ -s "$key" ]; then cat "$key"; return 0; fi
    fi
    local out
    out=$(Rscript "$here/bench-flexmix.R" --data "$1" --k "$2" --starts "$starts" --seed "$seed") || return 1
    [ -z "$key" ] || printf '%s\n' "$out" >"$key"
    printf '%s\n' "$out"
}

commit=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
echo "# mixfit vs flexmix, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), gmoe $commit"
echo "# load before: $(uptime | sed 's/.*load average/load average/')"
echo "# $starts random starts each, best kept; seed $seed; one thread (OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1)"
echo "# data: mixsim --design uniform (x ~ U(0,1)); k=2 data/reference-model.json, k=3 data/bench-k3-model.json"
echo "# mixfit: --threads 1 --restarts $starts, default stop |dL|/N <= 1e-8 (per observation), max 1000 iterations;"
echo "#   times: the whole process (read CSV, fit, write JSON), the least CPU of 3 runs (its wall);"
echo "#   it = EM steps (E + M) of the best start"
echo "#   (SQUAREM, mixfit's default, spends 3 EM steps per cycle; all counted)"
echo "# flexmix $(Rscript -e 'cat(format(packageVersion("flexmix")))' 2>/dev/null || echo '?'): FLXMRglm() + FLXPmultinom(~ x), $starts calls from random"
echo "#   initializations; stop |dL|/(|L|+0.1) < 1e-6 (flexmix's default tolerance), iter.max 1000, minprior 0;"
echo "#   times: the $starts fits only (not R start-up or reading the CSV); it = EM iterations of the best start"
[ -z "$fcache" ] || echo "#   flexmix results reused from $fcache when there (--flexmix-cache): measured when first run"
echo "# wall, cpu: seconds (cpu = user + system); ratio = flexmix cpu / mixfit cpu;"
echo "#   dloglik = mixfit loglik - flexmix loglik (>= 0: mixfit as high)"
fmt='%-8s %6s %1s | %7s %7s %4s %13s | %8s %8s %4s %13s | %6s %8s\n'
# shellcheck disable=SC2059
printf "$fmt" case N k mix_wall mix_cpu it mix_loglik flex_wall flex_cpu it flex_loglik ratio dloglik

status=0 flex_per_iter=''
for k in 2 3; do
    if [ $k = 2 ]; then model=$top/data/reference-model.json; else model=$top/data/bench-k3-model.json; fi
    for n in $sizes; do
        csv=$work/softmax-k$k-n$n.csv out=$work/softmax-k$k-n$n.mixfit.json
        "$mixsim" --model "$model" -n "$n" --seed "$seed" -o "$csv" || { status=1; continue; }
        # the least CPU of 3 runs (and that run's wall time)
        mw='' mc='' failed=0
        for _ in 1 2 3; do
            if ! timed "$work/t" "$mixfit" -k "$k" --threads 1 --restarts "$starts" --seed "$seed" -o "$out" "$csv"; then
                failed=1; break
            fi
            read -r w c <"$work/t"
            if [ -z "$mc" ] || awk -v a="$c" -v b="$mc" 'BEGIN { exit !(a < b) }'; then mw=$w mc=$c; fi
        done
        if [ $failed = 1 ]; then
            echo "bench-flexmix.sh: mixfit failed on $csv:" >&2; cat "$work/cmd.err" >&2; status=1; continue
        fi
        mit=$(fitfield iterations "$out") mll=$(fitfield loglik "$out")
        fw=- fc=- fit=- fll=- ratio=- dll=-
        if [ $flexmix = 1 ]; then
            if line=$(flexmix_line "$csv" "$k"); then
                read -r fw fc fit fll ftot nfail kept <<<"$line"
                [ "$n$k" != 1000003 ] || flex_per_iter=$(awk -v c="$fc" -v t="$ftot" 'BEGIN { printf "%.1f", 1000 * c / t }')
                [ "$kept" = "$k" ] || echo "bench-flexmix.sh: flexmix kept $kept of $k experts on $csv" >&2
                [ "$nfail" = 0 ] || echo "bench-flexmix.sh: flexmix: $nfail of $starts starts failed on $csv" >&2
                ratio=$(awk -v f="$fc" -v m="$mc" 'BEGIN { printf "%.1f", f / m }')
                dll=$(awk -v a="$mll" -v b="$fll" 'BEGIN { printf "%.4f", a - b }')
            else
                echo "bench-flexmix.sh: flexmix failed on $csv" >&2; status=1
            fi
        fi
        mll=$(awk -v v="$mll" 'BEGIN { printf "%.4f", v }')
        [ "$fll" = - ] || fll=$(awk -v v="$fll" 'BEGIN { printf "%.4f", v }')
        # shellcheck disable=SC2059
        printf "$fmt" softmax "$n" "$k" "$mw" "$mc" "$mit" "$mll" "$fw" "$fc" "$fit" "$fll" "$ratio" "$dll"
    done
done

# Time per EM iteration at N = 1e5.  Each family starts from its true
# model with every variance set to 1 and every intercept to 0 (--init), so
# that EM has a few iterations to do and the random-start machinery (which
# differs by family) is not timed.  ms/iter = (cpu of the fit - cpu of the
# same fit stopped after 1 iteration) / (it - 1), each cpu the least of 3
# runs: reading the file, the start and writing the model cancel out.
least_cpu() { # out-file mixfit-arguments...: least cpu of 3 runs into out-file
    local out=$1 best='' c
    shift
    for _ in 1 2 3; do
        timed "$work/t" "$mixfit" "$@" || return 1
        read -r _ c <"$work/t"
        best=$(awk -v a="$best" -v b="$c" 'BEGIN { print (a == "" || b < a) ? b : a }')
    done
    echo "$best" >"$out"
}
per_iter() { # name model k design extra-mixfit-options...
    local name=$1 model=$2 k=$3 design=$4 n=100000 cpu cpu1
    shift 4
    local csv=$work/$name-n100000.csv out=$work/$name.mixfit.json start=$work/$name-start.json
    if ! "$mixsim" --model "$model" -n $n --seed "$seed" --design "$design" -o "$csv" 2>"$work/mixsim.err"; then
        echo "# $name: skipped, mixsim refused $(basename "$model"): $(head -n 1 "$work/mixsim.err")"; return 0
    fi
    sed 's/"sigma2": [-+0-9.eE]*/"sigma2": 1/; s/"b": [-+0-9.eE]*/"b": 0/' "$model" >"$start"
    set -- -k "$k" "$@" --threads 1 --init "$start" -q
    if ! least_cpu "$work/c" "$@" -o "$out" "$csv"; then
        echo "# $name: skipped, mixfit refused it: $(head -n 1 "$work/cmd.err")"; return 0
    fi
    read -r cpu <"$work/c"
    least_cpu "$work/c1" "$@" --max-iter 1 -o "$out.1" "$csv" || { echo "# $name: mixfit --max-iter 1 failed" >&2; status=1; return 0; }
    read -r cpu1 <"$work/c1"
    awk -v name="$name" -v n=$n -v k="$k" -v cpu="$cpu" -v cpu1="$cpu1" \
        -v it="$(fitfield iterations "$out")" -v ll="$(fitfield loglik "$out")" 'BEGIN {
            per = it > 1 ? sprintf("%.2f", 1000 * (cpu - cpu1) / (it - 1)) : "-"
            printf "%-10s %6d %1d | %7.3f %7.3f %4d %13.4f | %8s\n", name, n, k, cpu1, cpu, it, ll, per }'
}

if [ $families = 1 ] && [ $quick = 0 ]; then
    echo
    echo "# mixfit alone, N = 1e5, k = 3, --threads 1, from the true model with variances 1 and intercepts 0;"
    echo "#   softmax: data/bench-k3-model.json, x ~ U(0,1); topk (K = 2, select slope), activation (tanh, tau"
    echo "#   estimated): data/bench-{topk,activation}-model.json, x ~ N(0,1) (mixsim --design normal)."
    echo "#   cpu1 = cpu of 1 iteration, cpu = of the fit, each the least of 3 runs; it = EM steps of the fit;"
    echo "#   ms/iter = (cpu - cpu1) / (it - 1): reading, start and output cancel out"
    printf '%-10s %6s %1s | %7s %7s %4s %13s | %8s\n' case N k cpu1 cpu it mix_loglik ms/iter
    per_iter softmax "$top/data/bench-k3-model.json" 3 uniform
    per_iter topk "$top/data/bench-topk-model.json" 3 normal --gating topk --top-k 2 --select slope
    per_iter activation "$top/data/bench-activation-model.json" 3 normal --gating activation --activation tanh --tau-mode estimate
    [ -z "$flex_per_iter" ] ||
        echo "# for scale: flexmix, softmax k = 3, N = 1e5 above: $flex_per_iter ms per EM iteration (cpu / iterations of all starts)"
fi
echo "# load after: $(uptime | sed 's/.*load average/load average/')"
exit $status
