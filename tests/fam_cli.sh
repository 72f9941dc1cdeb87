#!/bin/sh
# The topk, temperature and activation families from the command line:
# mixsim draws from a true model of each family, mixfit recovers it, and
# mixpredict's gates equal values computed here from the formulas of
# gmoe-models(7), independently of the library.
#
# Recovery tolerances: 10 standard deviations of each estimate at
# N = 20000, measured over 20 replicates for tests/check_families.c (the
# same true models and designs), i.e. 5 sd at the N = 5000 used here
# (sd ~ 1/sqrt(N)).
. "${TEST_DATADIR:-data}/../cli_lib.sh"

# within NAME GOT WANT TOL
within()
{
    awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t) }' ||
        fail "$1 = $2, want $3 +- $4"
}

# check_experts FITTED TRUTH TOL_A TOL_B TOL_S2 REF: matches each true
# expert (a line of `experts` output) to the fitted expert with the
# nearest (a, b) and checks a, b, sigma2; then prints, per true expert,
# the fitted gate (beta0, beta1) minus that of the expert matched to true
# expert REF (d = 1).
check_experts()
{
    experts "$1" >"$WORK/fe"
    experts "$2" >"$WORK/te"
    awk -v ta="$3" -v tb="$4" -v ts="$5" -v ref="$6" '
    function abs(v) { return v < 0 ? -v : v }
    NR == FNR { for (c = 1; c <= 5; c++) F[NR, c] = $c; nf = NR; next }
    { nt++; for (c = 1; c <= 5; c++) T[nt, c] = $c }
    END {
        for (j = 1; j <= nt; j++) {
            best = 0
            for (i = 1; i <= nf; i++) {
                dist = abs(F[i, 3] - T[j, 3]) + abs(F[i, 4] - T[j, 4])
                if (!best || dist < bd) { best = i; bd = dist }
            }
            m[j] = best
            if (abs(F[best, 3] - T[j, 3]) > ta || abs(F[best, 4] - T[j, 4]) > tb ||
                abs(F[best, 5] - T[j, 5]) > ts) {
                printf "expert %d: a b sigma2 = %s %s %s, want %s %s %s\n", j,
                       F[best, 3], F[best, 4], F[best, 5], T[j, 3], T[j, 4], T[j, 5] > "/dev/stderr"
                bad = 1
            }
        }
        for (j = 1; j <= nt; j++)
            print F[m[j], 1] - F[m[ref], 1], F[m[j], 2] - F[m[ref], 2], F[m[j], 2]
        exit bad
    }' "$WORK/fe" "$WORK/te" >"$WORK/contrasts" || fail "experts of $1"
}

# ---------------------------------------------------------------- topk
# k = 3, K = 2, select = slope; the selection switches at x = 0.
cat >"$WORK/topk.json" <<'JSON'
{"family": "topk", "k": 3, "d": 1, "top_k": 2, "select": "slope", "x_names": ["x"], "y_name": "y",
 "experts": [
  {"beta0": -1, "beta1": [4], "a": [2], "b": 2, "sigma2": 0.09},
  {"beta0": -1, "beta1": [-4], "a": [2], "b": -2, "sigma2": 0.09},
  {"beta0": 0, "beta1": [0], "a": [-1], "b": 0.5, "sigma2": 0.16}]}
JSON
expect_ok "$MIXSIM" --model "$WORK/topk.json" -n 5000 --seed 7 --range -1:1 -o "$WORK/topk.csv"
expect_ok "$MIXFIT" -k 3 --gating topk --top-k 2 --restarts 3 --threads 1 -q -o "$WORK/topk_fit.json" "$WORK/topk.csv"
grep -q '"family": "topk"' "$WORK/topk_fit.json" || fail "family"
grep -q '"top_k": 2' "$WORK/topk_fit.json" || fail "top_k"
grep -q '"select": "slope"' "$WORK/topk_fit.json" || fail "select"
[ "$(json_number "$WORK/topk_fit.json" npar)" = 13 ] || fail "npar: 3 * 3 + 2 * 2 = 13"
# sd at N = 20000: a 0.0142, b 0.0092, sigma2 0.0023 (the largest over
# the experts); gate contrasts beta0 0.053, beta1 0.103
check_experts "$WORK/topk_fit.json" "$WORK/topk.json" 0.142 0.092 0.023 3
set -- $(sed -n 1p "$WORK/contrasts")
within "topk beta0_1 - beta0_3" "$1" -1 0.53
within "topk beta1_1 - beta1_3" "$2" 4 1.03
set -- $(sed -n 2p "$WORK/contrasts")
within "topk beta0_2 - beta0_3" "$1" -1 0.53
within "topk beta1_2 - beta1_3" "$2" -4 1.03
ok "topk: simulate and fit recover the model"

# gates of the true model: x = 0.5 keeps experts 1 and 3 (slope scores
# 2, -2, 0), x = -0.5 keeps 2 and 3, x = 0 is a three-way tie that keeps
# the lower indices 1 and 2; y = 2 at x = 0.5 gives expert 2 no
# responsibility (its gate is zero), though its mean is 3 sd away only.
printf 'x,y\n0.5,2\n-0.5,2\n0,2\n' >"$WORK/px.csv"
expect_ok "$MIXPREDICT" --model "$WORK/topk.json" "$WORK/px.csv"
head -n 1 "$WORK/out" | grep -qx 'mean,var,expert,gate_1,gate_2,gate_3,resp_1,resp_2,resp_3,logdens' ||
    fail "header: $(head -n 1 "$WORK/out")"
tail -n +2 "$WORK/out" >"$WORK/rows"
printf '0.5\n-0.5\n0\n' | paste -d, - "$WORK/rows" | awk -F, '
function abs(v) { return v < 0 ? -v : v }
function check(name, got, want) {
    if (abs(got - want) > 1e-12 * (abs(want) > 1 ? abs(want) : 1)) {
        printf "x = %s: %s = %.17g, want %.17g\n", x, name, got, want; bad = 1 }
}
{
    x = $1
    # logits of the kept experts: -1 + 4x and 0 (x > 0), -1 - 4x and 0 (x < 0), -1 and -1 (x = 0)
    for (i = 1; i <= 3; i++) g[i] = 0
    if (x > 0) { e = exp(-1 + 4 * x); g[1] = e / (e + 1); g[3] = 1 / (e + 1) }
    else if (x < 0) { e = exp(-1 - 4 * x); g[2] = e / (e + 1); g[3] = 1 / (e + 1) }
    else { g[1] = 0.5; g[2] = 0.5 }
    mu[1] = 2 * x + 2; mu[2] = 2 * x - 2; mu[3] = -x + 0.5; s2[1] = 0.09; s2[2] = 0.09; s2[3] = 0.16
    mean = 0; for (i = 1; i <= 3; i++) mean += g[i] * mu[i]
    var = 0; for (i = 1; i <= 3; i++) var += g[i] * (s2[i] + (mu[i] - mean)^2)
    check("mean", $2, mean); check("var", $3, var)
    for (i = 1; i <= 3; i++) check("gate_" i, $(4 + i), g[i])
    for (i = 1; i <= 3; i++) if (g[i] == 0 && $(7 + i) != 0) { printf "x = %s: resp_%d = %s, want 0\n", x, i, $(7 + i); bad = 1 }
}
END { exit bad }' || fail "topk predictions differ from the hand-computed values"
ok "topk: gates, mean, variance and zero responsibilities outside the selection"

# ---------------------------------------------------------- temperature
# The reference model's gate doubled with tau = 2 (gamma = beta / tau =
# (-4, 12.5)), x on a grid over [0, 1].
cat >"$WORK/temp.json" <<'JSON'
{"family": "temperature", "k": 2, "d": 1, "tau": 2, "x_names": ["x"], "y_name": "y",
 "experts": [
  {"beta0": -8, "beta1": [25], "a": [-20], "b": 15, "sigma2": 0.09},
  {"beta0": 0, "beta1": [0], "a": [20], "b": -5, "sigma2": 0.16}]}
JSON
expect_ok "$MIXSIM" --model "$WORK/temp.json" -n 5000 --seed 8 --design grid -o "$WORK/temp.csv"
expect_ok "$MIXFIT" -k 2 --gating temperature --tau 2 --restarts 3 --threads 1 -q -o "$WORK/temp_fit.json" "$WORK/temp.csv"
grep -q '"tau_estimated": false' "$WORK/temp_fit.json" || fail "tau_estimated false"
[ "$(json_number "$WORK/temp_fit.json" tau)" = 2 ] || fail "tau kept at 2"
# sd at N = 20000: a 0.0368, b 0.0105, sigma2 0.0021; beta0 0.125, beta1 0.379
check_experts "$WORK/temp_fit.json" "$WORK/temp.json" 0.368 0.105 0.021 2
set -- $(sed -n 1p "$WORK/contrasts")
within "temperature beta0_1 - beta0_2" "$1" -8 1.25
within "temperature beta1_1 - beta1_2" "$2" 25 3.79
ok "temperature: fit at the given tau recovers beta"

# tau estimated: the same likelihood (tau is not identifiable; the fit
# maximizes over gamma = beta / tau), reported with centred slopes of unit
# norm (k = 2: (beta1_1 - beta1_2)^2 / 2 = 1, |beta1_1 - beta1_2| = sqrt 2)
# and tau = sqrt 2 / |gamma1| (sd of 1/tau at N = 20000: 0.189 / sqrt 2)
expect_ok "$MIXFIT" -k 2 --gating temperature --tau-mode estimate --restarts 3 --threads 1 -q \
    -o "$WORK/tempe_fit.json" "$WORK/temp.csv"
grep -q '"tau_estimated": true' "$WORK/tempe_fit.json" || fail "tau_estimated true"
l1=$(json_number "$WORK/temp_fit.json" loglik)
l2=$(json_number "$WORK/tempe_fit.json" loglik)
within "loglik with tau estimated" "$l2" "$l1" "$(awk -v l="$l1" 'BEGIN { print 1e-9 * (l < 0 ? -l : l) }')"
check_experts "$WORK/tempe_fit.json" "$WORK/temp.json" 0.368 0.105 0.021 2
set -- $(sed -n 1p "$WORK/contrasts")
# (the contrasts are printed to 6 digits: 1e-5; check_families checks 1e-12)
within "|beta1_1 - beta1_2| with tau estimated" "$(awk -v b="$2" 'BEGIN { print b < 0 ? -b : b }')" \
    1.4142135623730951 1e-5
tau=$(json_number "$WORK/tempe_fit.json" tau)
within "1 / tau" "$(awk -v t="$tau" 'BEGIN { printf "%.17g", 1 / t }')" 8.8388347648318 1.34
[ "$(json_number "$WORK/tempe_fit.json" npar)" = 8 ] || fail "npar: tau is not counted"
ok "temperature: tau estimated, centred unit-norm normalization"

# --init at another fixed tau starts from the same gate (beta rescaled by
# the ratio of the taus), so scoring it (--max-iter 0) gives the model's
# own log-likelihood: 1e-12 relative, one rounding per parameter.
expect_ok "$MIXFIT" --init "$WORK/temp.json" --max-iter 0 -q -o "$WORK/temp_s2.json" "$WORK/temp.csv"
expect_ok "$MIXFIT" --init "$WORK/temp.json" --tau 0.5 --max-iter 0 -q -o "$WORK/temp_s05.json" "$WORK/temp.csv"
[ "$(json_number "$WORK/temp_s05.json" tau)" = 0.5 ] || fail "--tau 0.5 with --init: tau"
[ "$(json_number "$WORK/temp_s05.json" beta0)" = -2 ] || fail "--tau 0.5 with --init: beta0 = -8 / 4"
l1=$(json_number "$WORK/temp_s2.json" loglik)
l2=$(json_number "$WORK/temp_s05.json" loglik)
within "loglik of the --init model at another tau" "$l2" "$l1" "$(awk -v l="$l1" 'BEGIN { print 1e-12 * (l < 0 ? -l : l) }')"
ok "temperature: --init at another fixed tau keeps the starting gate"

# gate at x = 0.3: l_1 / tau = (-8 + 7.5) / 2 = -0.25
printf 'x\n0.3\n' >"$WORK/p1.csv"
expect_ok "$MIXPREDICT" --model "$WORK/temp.json" "$WORK/p1.csv"
sed -n 2p "$WORK/out" | awk -F, '{ w = 1 / (1 + exp(0.25)); d = $4 - w; if (d < 0) d = -d; exit !(d < 1e-15) }' ||
    fail "temperature gate at x = 0.3: $(sed -n 2p "$WORK/out")"
ok "temperature: gate"

# ----------------------------------------------------------- activation
# tanh, bias outside, tau = 0.5: log-odds 2 (tanh(4x) - tanh(0.5x)),
# non-monotone over x in [-3, 3], so both slopes and tau are identified.
cat >"$WORK/act.json" <<'JSON'
{"family": "activation", "k": 2, "d": 1, "tau": 0.5, "activation": "tanh", "bias": "outside",
 "x_names": ["x"], "y_name": "y",
 "experts": [
  {"beta0": 0, "beta1": [4], "a": [1], "b": 2, "sigma2": 0.09},
  {"beta0": 0, "beta1": [0.5], "a": [-1], "b": -2, "sigma2": 0.16}]}
JSON
expect_ok "$MIXSIM" --model "$WORK/act.json" -n 5000 --seed 9 --range -3:3 -o "$WORK/act.csv"
expect_ok "$MIXFIT" -k 2 --gating activation --tau-mode estimate --restarts 3 --threads 1 -q \
    -o "$WORK/act_fit.json" "$WORK/act.csv"
grep -q '"activation": "tanh"' "$WORK/act_fit.json" || fail "activation"
grep -q '"bias": "outside"' "$WORK/act_fit.json" || fail "bias"
grep -q '"tau_estimated": true' "$WORK/act_fit.json" || fail "tau_estimated"
[ "$(json_number "$WORK/act_fit.json" npar)" = 10 ] || fail "npar: 6 + 1 + 2 + tau"
# sd at N = 20000: a 0.0026, b 0.0042, sigma2 0.0026; tau 0.0234; slopes
# 0.306 and 0.0251 (after mapping to the representative with
# beta1_1 + beta1_2 > 0, see gmoe-models(7))
check_experts "$WORK/act_fit.json" "$WORK/act.json" 0.026 0.042 0.026 2
s1=$(sed -n 1p "$WORK/contrasts" | cut -d' ' -f3)
s2=$(sed -n 2p "$WORK/contrasts" | cut -d' ' -f3)
if awk -v a="$s1" -v b="$s2" 'BEGIN { exit !(a + b < 0) }'; then
    t=$s1; s1=$(awk -v b="$s2" 'BEGIN { printf "%.17g", -b }'); s2=$(awk -v a="$t" 'BEGIN { printf "%.17g", -a }')
fi
within "activation beta1_1" "$s1" 4 3.06
within "activation beta1_2" "$s2" 0.5 0.251
within "activation tau" "$(json_number "$WORK/act_fit.json" tau)" 0.5 0.234
ok "activation: simulate and fit recover the model, tau estimated"

# gates of k = 2, beta0 = (0.5, 0), beta1 = (3, -1), tau = 0.8 at
# x = 0.2 for every activation and bias placement
for act in tanh sigmoid arctan softsign; do
    for bias in outside inside; do
        cat >"$WORK/a2.json" <<JSON
{"family": "activation", "k": 2, "d": 1, "tau": 0.8, "activation": "$act", "bias": "$bias",
 "x_names": ["x"], "y_name": "y",
 "experts": [
  {"beta0": 0.5, "beta1": [3], "a": [1], "b": 0, "sigma2": 1},
  {"beta0": 0, "beta1": [-1], "a": [-1], "b": 0, "sigma2": 1}]}
JSON
        printf 'x\n0.2\n' >"$WORK/p2.csv"
        expect_ok "$MIXPREDICT" --model "$WORK/a2.json" "$WORK/p2.csv"
        sed -n 2p "$WORK/out" | awk -F, -v act="$act" -v bias="$bias" '
        function f(u) {
            if (act == "tanh") return (exp(2 * u) - 1) / (exp(2 * u) + 1)
            if (act == "sigmoid") return 1 / (1 + exp(-u))
            if (act == "arctan") return atan2(u, 1)
            return u / (1 + (u < 0 ? -u : u))
        }
        {
            tau = 0.8
            if (bias == "outside") { l1 = f(0.6) / tau + 0.5; l2 = f(-0.2) / tau }
            else { l1 = (f(0.6) + 0.5) / tau; l2 = f(-0.2) / tau }
            w = exp(l1) / (exp(l1) + exp(l2)); d = $4 - w; if (d < 0) d = -d
            if (d > 1e-14) { printf "%s %s: gate_1 = %.17g, want %.17g\n", act, bias, $4, w; exit 1 }
        }' || fail "activation gate"
    done
done
ok "activation: gates for every activation and bias placement"
