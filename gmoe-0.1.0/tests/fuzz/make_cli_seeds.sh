#!/bin/sh
# make_cli_seeds.sh SEEDS.txt DIR -- writes fuzz_cli's seed inputs into DIR,
# one per command line of SEEDS.txt: the tool's index byte (its place in
# fuzz_cli.c's table), then the arguments joined by NUL bytes.
set -eu
n=0
grep -v '^#' "$1" | while read -r tool args; do
    n=$((n + 1))
    case $tool in
        mixfit) i=0 ;; mixpredict) i=1 ;; mixsim) i=2 ;; mixloss) i=3 ;; mixrate) i=4 ;; mixplot) i=5 ;;
        *) echo "make_cli_seeds.sh: unknown tool $tool" >&2; exit 1 ;;
    esac
    # shellcheck disable=SC2059,SC2086
    { printf "\\$(printf %03o "$i")"; printf '%s\n' $args | tr '\n' '\0'; } >"$2/seed$n"
done
