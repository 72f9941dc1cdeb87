#!/bin/sh
# Issue 11 finding A3: log-gates and log-likelihoods of huge logits.  With
# two tied gate logits of about 1e17 (beta1 = 1e17), log g = l - (max +
# log sum) rounded max + log 2 to max, so both gates were 1 and the
# log-likelihood was inflated (-65607.50 instead of -66834.78 on the
# reference data), with exit 0.  Log-normalizing as (l - max) - log sum
# (internal.h: gmoe_lse_sub) gives gates 1/2, 1/2, 0 for x > 0 and 0, 0,
# 1 for x < 0: the gates sum to 1 and the log-likelihood equals the one
# computed here with awk from those gates.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
for v in MIXFIT MIXPREDICT REFDATA; do
    eval "$v=\$(abs_path \"\$$v\")"
done
cd "$WORK" || exit 99

cat >big3.json <<'J'
{"family": "softmax", "k": 3, "d": 1, "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 0, "beta1": [1e17], "a": [1], "b": 0, "sigma2": 0.25},
             {"beta0": 0, "beta1": [1e17], "a": [-1], "b": 1, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [0], "b": 0, "sigma2": 1}]}
J
# the log-likelihood from the exact gates, row by row
want=$(awk -F, 'NR > 1 {
    x = $1; y = $2; pi = atan2(0, -1)
    if (x > 0) { g1 = 0.5; g2 = 0.5; g3 = 0 } else if (x < 0) { g1 = 0; g2 = 0; g3 = 1 }
    else { g1 = 1 / 3; g2 = 1 / 3; g3 = 1 / 3 }
    n1 = exp(-(y - x)^2 / (2 * 0.25)) / sqrt(2 * pi * 0.25)
    n2 = exp(-(y - (1 - x))^2 / (2 * 0.1)) / sqrt(2 * pi * 0.1)
    n3 = exp(-y^2 / 2) / sqrt(2 * pi)
    s += log(g1 * n1 + g2 * n2 + g3 * n3) }
    END { printf "%.17g\n", s }' "$REFDATA")
close() { # a b: equal to 1e-10, relative
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; exit !(d <= 1e-10 * s) }'
}

expect_ok "$MIXPREDICT" --model big3.json "$REFDATA"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { s = $c["gate_1"] + $c["gate_2"] + $c["gate_3"]; if (s < 1 - 1e-12 || s > 1 + 1e-12) bad++
      if ($c["gate_1"] > 0.5 + 1e-12 || $c["gate_2"] > 0.5 + 1e-12) bad++
      ld += $c["logdens"] }
    END { printf "%.17g\n", ld; exit bad > 0 }' "$WORK/out" >ld.txt ||
    fail "mixpredict: gates that do not sum to 1, or above 1/2: $(sed -n 2p "$WORK/out")"
close "$(cat ld.txt)" "$want" || fail "mixpredict: the log-densities sum to $(cat ld.txt), want $want"
ok "mixpredict: tied logits 1e17 give gates 1/2, 1/2, and log-densities summing to $want"

expect_ok "$MIXFIT" --init big3.json --max-iter 0 -q -o fit.json "$REFDATA"
ll=$(json_number fit.json loglik)
close "$ll" "$want" || fail "mixfit --max-iter 0: loglik $ll, want $want"
ok "mixfit: loglik $ll at tied logits 1e17, as computed from the gates ($want)"

# The activation gate's logits act(u_i)/tau + beta0_i at tau = 1e-17 (an
# estimated tau ran there): experts 1 and 2 saturate together (tanh(50x)
# = 1 for x > 0.4), and act/tau + beta0 rounded to act/tau, so their gates
# were 1/2 and 1/2 whatever beta0; computed as (act - max act)/tau + beta0
# they are e/(e + 1) and 1/(e + 1) (beta0 = 1, 0) for x > 0, and expert 3
# takes x < 0.
cat >act.json <<'J'
{"family": "activation", "k": 3, "d": 1, "tau": 1e-17, "tau_estimated": false,
 "activation": "tanh", "bias": "outside", "x_names": ["x"], "y_name": "y",
 "experts": [{"beta0": 1, "beta1": [50], "a": [1], "b": 0, "sigma2": 0.25},
             {"beta0": 0, "beta1": [50], "a": [-1], "b": 1, "sigma2": 0.1},
             {"beta0": 0, "beta1": [0], "a": [0], "b": 0, "sigma2": 1}]}
J
want=$(awk -F, 'NR > 1 {
    x = $1; y = $2; pi = atan2(0, -1); e = exp(1)
    if (x > 0) { g1 = e / (e + 1); g2 = 1 / (e + 1); g3 = 0 } else if (x < 0) { g1 = 0; g2 = 0; g3 = 1 }
    else { g1 = e / (e + 2); g2 = 1 / (e + 2); g3 = 1 / (e + 2) }
    n1 = exp(-(y - x)^2 / (2 * 0.25)) / sqrt(2 * pi * 0.25)
    n2 = exp(-(y - (1 - x))^2 / (2 * 0.1)) / sqrt(2 * pi * 0.1)
    n3 = exp(-y^2 / 2) / sqrt(2 * pi)
    s += log(g1 * n1 + g2 * n2 + g3 * n3) }
    END { printf "%.17g\n", s }' "$REFDATA")
expect_ok "$MIXFIT" --init act.json --max-iter 0 -q -o fit.json "$REFDATA"
ll=$(json_number fit.json loglik)
close "$ll" "$want" || fail "activation, tau 1e-17: loglik $ll, want $want"
ok "activation at tau 1e-17: loglik $ll, as computed from the gates ($want)"
