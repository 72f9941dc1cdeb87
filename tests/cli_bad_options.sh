#!/bin/sh
# Bad usage and option values (issue 2, item 7): exit 2 with a message
# naming the option, nothing written.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
R=$REFDATA

# k < 1 and other bad k
check_bad 2 "-k: must be 1 to 1000 (got 0)" "$MIXFIT" -k 0 "$R"
check_bad 2 "-k: must be 1 to 1000 (got 1001)" "$MIXFIT" -k 2:1001 "$R"
check_bad 2 "-k: \"two\" is not a number of experts" "$MIXFIT" -k two "$R"
check_bad 2 "-k: the range 3:1 must have LO <= HI" "$MIXFIT" -k 3:1 "$R"
check_bad 2 "-k: must be 1 to 1000 (got 0)" "$MIXFIT" -k 0:3 "$R"
check_bad 2 "--bootstrap: must be 2 to 1000000 (got 1)" "$MIXFIT" -k 2 --bootstrap 1 "$R"
check_bad 2 "--bootstrap: must be 2 to 1000000 (got 0)" "$MIXFIT" -k 2 --bootstrap 0 "$R"
check_bad 2 "-k is required" "$MIXFIT" "$R"
# strict numbers
check_bad 2 "--tol: \"abc\" is not a number" "$MIXFIT" -k 2 --tol abc "$R"
check_bad 2 "--tol: \"1e-6x\" is not a number" "$MIXFIT" -k 2 --tol 1e-6x "$R"
check_bad 2 "--tol: must be a finite number >= 0, 0 for the stopping rule's default (got -1)" "$MIXFIT" -k 2 --tol -1 "$R"
check_bad 2 "--max-iter: \"-5\" is not a whole number" "$MIXFIT" -k 2 --max-iter -5 "$R"
check_bad 2 "--restarts: must be at most 1000000 (got 1000001)" "$MIXFIT" -k 2 --restarts 1000001 "$R"
check_bad 2 "--threads: must be 0 (OpenMP's default) to 4096 (got 4097)" "$MIXFIT" -k 2 --threads 4097 "$R"
check_bad 2 "--gate-max-iter: must be 1 to 100000000 (got 0)" "$MIXFIT" -k 2 --gate-max-iter 0 "$R"
check_bad 2 "--accel-warmup: must be at most 100000000 (got 100000001)" "$MIXFIT" -k 2 --accel-warmup 100000001 "$R"
check_bad 2 "--threads: \"2.5\" is not a whole number" "$MIXFIT" -k 2 --threads 2.5 "$R"
check_bad 2 "--seed: 9223372036854775808 is out of range" "$MIXFIT" -k 2 --seed 9223372036854775808 "$R"
check_bad 2 "--var-floor: must be in [0, 1), a fraction of the variance of y (got 1)" "$MIXFIT" -k 2 --var-floor 1 "$R"
check_bad 2 "--max-iter 0 needs --init" "$MIXFIT" -k 2 --max-iter 0 "$R"
check_bad 2 "--spurious-rows: must be a finite number >= 0, 0 to turn the rule for spurious maxima off (got -1)" "$MIXFIT" -k 2 --spurious-rows -1 "$R"
check_bad 2 "--spurious-ratio: must be in [0, 1], 0 to turn the rule for spurious maxima off (got 1.5)" "$MIXFIT" -k 2 --spurious-ratio 1.5 "$R"
check_bad 2 "--spurious-ratio: \"x\" is not a number" "$MIXFIT" -k 2 --spurious-ratio x "$R"
# names
check_bad 2 "--criterion: \"bix\" is not one of: bic, aic, icl" "$MIXFIT" -k 1:2 --criterion bix "$R"
check_bad 2 "--tol-rule: \"rel\" is not one of" "$MIXFIT" -k 2 --tol-rule rel "$R"
check_bad 2 "--gating: \"sofmax\" is not one of: softmax, topk, temperature, activation" \
    "$MIXFIT" -k 2 --gating sofmax "$R"
check_bad 2 "--top-k applies to --gating topk only" "$MIXFIT" -k 2 --top-k 1 "$R"
check_bad 2 "--tau applies to --gating temperature or activation only" "$MIXFIT" -k 2 --tau 2 "$R"
check_bad 2 "--tau: must be a finite number > 0 (got 0)" "$MIXFIT" -k 2 --gating temperature --tau 0 "$R"
check_bad 2 "--top-k: must be 1 to k = 2 (got 3)" "$MIXFIT" -k 2 --gating topk --top-k 3 "$R"
check_bad 2 "--top-k: must be 1 to k = 2 (got 0)" "$MIXFIT" -k 2 --gating topk --top-k 0 "$R"
check_bad 2 "--top-k: must be 1 to k = 1, the least k of -k (got 2)" "$MIXFIT" -k 1:3 --gating topk --top-k 2 "$R"
check_bad 2 "-x: \"x,\" has an empty item" "$MIXFIT" -k 2 -x x, "$R"
# getopt
check_bad 2 "unknown or ambiguous option '--frobnicate'" "$MIXFIT" -k 2 --frobnicate "$R"
run "$MIXFIT" -k 2 "$R" --init # (check_bad would append -o FILE as its value)
[ "$rc" -eq 2 ] || fail "--init without a value: exit $rc"
grep -q "^mixfit: option '--init' needs a value" "$WORK/err" || fail "--init without a value: message"
ok "option without a value"
check_bad 2 "one data file expected, got 2" "$MIXFIT" -k 2 "$R" "$R"
# --init disagreeing with -k or --gating
check_bad 2 "-k 3 does not match the --init model" "$MIXFIT" -k 3 --init "$REFMODEL" "$R"
check_bad 2 "--gating topk does not match the --init model" "$MIXFIT" --gating topk --init "$REFMODEL" "$R"
# mixsim
check_bad 2 "--seed is required" "$MIXSIM" --model "$REFMODEL" -n 10
check_bad 2 "-n: \"ten\" is not a whole number" "$MIXSIM" --model "$REFMODEL" -n ten --seed 1
check_bad 2 "-n: 0 is out of range" "$MIXSIM" --model "$REFMODEL" -n 0 --seed 1
check_bad 2 "--design: \"grd\" is not one of: uniform, normal, grid" "$MIXSIM" --model "$REFMODEL" -n 5 --seed 1 --design grd
check_bad 2 "--range: the range 1:0 must have LO < HI" "$MIXSIM" --model "$REFMODEL" -n 5 --seed 1 --range 1:0
check_bad 2 "--range: \"a\" is not a number" "$MIXSIM" --model "$REFMODEL" -n 5 --seed 1 --range a:1
check_bad 2 "--range: 2 ranges given; the model has one covariate" "$MIXSIM" --model "$REFMODEL" -n 5 --seed 1 --range 0:1,0:2
check_bad 2 "--range does not apply to --design normal" "$MIXSIM" --model "$REFMODEL" -n 5 --seed 1 --design normal --range 0:1
check_bad 2 "-n and --x exclude each other" "$MIXSIM" --model "$REFMODEL" -n 5 --seed 1 --x "$R"
# mixpredict
check_bad 2 "--model is required" "$MIXPREDICT" "$R"
check_bad 2 "no data file given" "$MIXPREDICT" --model "$REFMODEL"
