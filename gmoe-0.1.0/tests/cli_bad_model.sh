#!/bin/sh
# Unreadable or malformed model files (issue 2, item 7), for each tool that
# reads one: exit 3, the option and file named (with line and column for
# JSON syntax errors), nothing written.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
D=$TEST_DATADIR
R=$REFDATA

for tool in mixfit mixpredict mixsim; do
    case $tool in
    mixfit) opt=--init; set -- "$MIXFIT" "$R" ;;
    mixpredict) opt=--model; set -- "$MIXPREDICT" "$R" ;;
    mixsim) opt=--model; set -- "$MIXSIM" -n 5 --seed 1 ;;
    esac
    check_bad 3 "$opt: $WORK/none.json: No such file or directory" "$@" $opt "$WORK/none.json"
    check_bad 3 "$opt: $D: read error: Is a directory" "$@" $opt "$D"
    check_bad 3 "$opt: $D/model_syntax.json:3:32: '}' expected" "$@" $opt "$D/model_syntax.json"
    check_bad 3 "$opt: $D/cli_model_bad_sigma.json: expert 1: sigma2 must be finite and > 0" \
        "$@" $opt "$D/cli_model_bad_sigma.json"
    check_bad 3 "$opt: $D/empty.csv:" "$@" $opt "$D/empty.csv"
done
# a model whose covariates the data file lacks
check_bad 3 "$R: no column named \"age\" (columns: x, y)" "$MIXPREDICT" --model "$D/cli_model_d2.json" "$R"
check_bad 3 "$R: no column named \"age\"" "$MIXSIM" --model "$D/cli_model_d2.json" --seed 1 --x "$R"
# a starting model with another number of covariates than the data selection
check_bad 3 "--init $D/cli_model_d2.json: the model has 2 covariates, the data selection from $R has 1" \
    "$MIXFIT" --init "$D/cli_model_d2.json" -x x -y y "$R"
