#!/bin/sh
# Issue 11 audit finding A7: with one expert the gate is 1 whatever its
# parameters, but the activation gate's slope beta1_1 (the family pins
# only beta0_k) and an estimated tau were counted as free parameters: a
# direction without information, so the Hessian was never negative
# definite and the k = 1 fit (and the k = 1 row of -k 1:K) said "stalled",
# and AIC/BIC counted d (d + 1 with tau estimated) parameters too many.
# Now k = 1 has no gate parameter in any family: converged, d + 2 = 3
# parameters.  Its maximum is the least-squares line, so the automatic
# starts are one (there were 15 on 2000 rows, 100 on 300), and an
# estimated tau is not estimated with one expert: the model says
# "tau_estimated": false and the summary shows no gate rows.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
expect_ok "$MIXSIM" -m "$EXAMPLE_DATADIR/rate-models/activation.json" -n 300 -s 3 -o "$WORK/act.csv"
for gate in "activation" "activation --tau-mode estimate" "temperature --tau-mode estimate" softmax; do
    # shellcheck disable=SC2086 # the options are words
    expect_ok "$MIXFIT" -q --threads 1 -k 1 --gating $gate --seed 1 -o "$WORK/fit.json" "$WORK/act.csv"
    stop=$(sed -n 's/.*"stop": "\([a-z-]*\)".*/\1/p' "$WORK/fit.json" | head -1)
    npar=$(json_number "$WORK/fit.json" npar)
    [ "$stop" = tolerance ] || fail "$gate, k = 1: stop $stop, not converged"
    [ "$npar" = 3 ] || fail "$gate, k = 1: $npar free parameters counted, not 3"
    starts=$(json_number "$WORK/fit.json" restarts)
    [ "$starts" = 1 ] || fail "$gate, k = 1: $starts automatic starts, not 1"
    ! grep -q '"tau_estimated": true' "$WORK/fit.json" || fail "$gate, k = 1: tau_estimated true"
    ok "$gate, k = 1: converged, 3 parameters, 1 start"
done
expect_ok "$MIXFIT" --threads 1 -k 1 --gating temperature --tau-mode estimate -o "$WORK/fit.json" "$WORK/act.csv"
! grep -q "tau 1 (estimated)\|gate bias\|pinned to zero" "$WORK/err" ||
    fail "k = 1 summary shows a gate or an estimated tau: $(grep 'tau\|gate' "$WORK/err")"
grep -q "one expert: the gate is 1" "$WORK/err" || fail "k = 1 summary does not say there is no gate"
ok "k = 1 summary: no gate rows, no estimated tau"
