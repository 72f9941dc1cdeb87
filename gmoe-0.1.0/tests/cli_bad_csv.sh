#!/bin/sh
# Bad CSV input (issue 2, item 7): each case exits 3 with a message naming
# the file, the line and the column, writes nothing and keeps an existing
# output file.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
D=$TEST_DATADIR

# non-numeric, missing ("" and NA) and non-finite cells: file:line and column name
check_bad 3 "$D/cli_nonnumeric.csv:4: column \"y\": \"abc\" is not a number" "$MIXFIT" -k 1 "$D/cli_nonnumeric.csv"
check_bad 3 "$D/cli_missing.csv:3: column \"y\": missing value" "$MIXFIT" -k 1 "$D/cli_missing.csv"
check_bad 3 "$D/cli_na.csv:4: column \"x\": missing value" "$MIXFIT" -k 1 "$D/cli_na.csv"
check_bad 3 "$D/cli_inf.csv:5: column \"x\": non-finite value \"inf\"" "$MIXFIT" -k 1 "$D/cli_inf.csv"
check_bad 3 "$D/cli_nan.csv:3: column \"x\": non-finite value \"nan\"" "$MIXFIT" -k 1 "$D/cli_nan.csv"
# 1e999 overflows a double.  x4 (line 2) and x2 ("abc", line 3) are both
# bad: the first in file order is named.
check_bad 3 "$D/bad_cells.csv:2: column \"x4\": \"1e999\" is out of the range" \
    "$MIXFIT" -k 1 -x x1,x2,x4 "$D/bad_cells.csv"
# ragged rows: file:line:column of the short or long row
check_bad 3 "$D/ragged_short.csv:3:4: row has 2 fields, header has 3" "$MIXFIT" -k 1 "$D/ragged_short.csv"
check_bad 3 "$D/ragged_long.csv:3:" "$MIXFIT" -k 1 "$D/ragged_long.csv"
# empty file, header only
check_bad 3 "$D/empty.csv:1:1: empty file" "$MIXFIT" -k 1 "$D/empty.csv"
check_bad 3 "$D/header_only.csv:2:1: no data rows" "$MIXFIT" -k 1 "$D/header_only.csv"
# unknown column names, as covariate and as response
check_bad 3 "$D/cli_few_rows.csv: no column named \"age\" (columns: x, y)" \
    "$MIXFIT" -k 1 -x age "$D/cli_few_rows.csv"
check_bad 3 "$D/cli_few_rows.csv: no column named \"price\"" "$MIXFIT" -k 1 -y price "$D/cli_few_rows.csv"
# a missing or unreadable (here: a directory) data file
check_bad 3 "$WORK/none.csv: No such file or directory" "$MIXFIT" -k 1 "$WORK/none.csv"
check_bad 3 "$D: read error: Is a directory" "$MIXFIT" -k 1 "$D"
# the same reader behind mixpredict and mixsim --x
check_bad 3 "$D/cli_inf.csv:5: column \"x\": non-finite value" "$MIXPREDICT" --model "$REFMODEL" "$D/cli_inf.csv"
check_bad 3 "$D/ragged_short.csv:3:4:" "$MIXPREDICT" --model "$REFMODEL" "$D/ragged_short.csv"
check_bad 3 "$D/header_only.csv:2:1: no data rows" "$MIXSIM" --model "$REFMODEL" --seed 1 --x "$D/header_only.csv"
check_bad 3 "$D/cli_na.csv:4: column \"x\": missing value" "$MIXSIM" --model "$REFMODEL" --seed 1 --x "$D/cli_na.csv"
