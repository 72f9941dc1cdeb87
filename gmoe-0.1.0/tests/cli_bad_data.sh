#!/bin/sh
# Data that parse but cannot support the fit (issue 2, item 7): constant or
# collinear covariates, too few rows for k.  Exit 3, the file and the
# columns named, nothing written.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
D=$TEST_DATADIR

check_bad 3 "$D/cli_constant.csv: covariate \"x1\" is constant" "$MIXFIT" -k 1 "$D/cli_constant.csv"
# x2 = 2 x1 + 1: collinear with the intercept
check_bad 3 "$D/cli_collinear.csv: covariates are collinear (with the intercept): \"x1\", \"x2\"" \
    "$MIXFIT" -k 1 "$D/cli_collinear.csv"
# 5 rows; k = 2 experts with d = 1 need (d + 2) k = 6
check_bad 3 "$D/cli_few_rows.csv: too few rows: 2 experts with 1 covariate need at least (d + 2) * k = 6 rows, the data have 5" \
    "$MIXFIT" -k 2 "$D/cli_few_rows.csv"
# in a range the largest k is checked before any fit
check_bad 3 "$D/cli_few_rows.csv: too few rows" "$MIXFIT" -k 1:2 "$D/cli_few_rows.csv"
# ...while k = 1 fits those 5 rows
expect_ok "$MIXFIT" -k 1 -q "$D/cli_few_rows.csv"
grep -q '"k": 1' "$WORK/out" || fail "k = 1 on 5 rows"
ok "k = 1 fits 5 rows"
# a response that is also a covariate
check_bad 3 "$D/cli_constant.csv: column \"x2\" is both the response and a covariate" \
    "$MIXFIT" -k 1 -y x2 -x x1,x2 "$D/cli_constant.csv"
