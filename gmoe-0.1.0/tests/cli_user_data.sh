#!/bin/sh
# Users' own files (issue 15 item 1 and 2, issue 16 faults 3 and 8):
# separators, decimal commas, missing values, factors, and the CSV
# reader's messages for a byte-order mark alone, a quoted newline and a
# very wide header.
. "${TEST_DATADIR:-data}/../cli_lib.sh"
D=$TEST_DATADIR

# the same data as comma, semicolon with decimal commas, and tab: the same model
expect_ok "$MIXFIT" -k 1 --factor group -q "$D/ud_comma.csv" -o "$WORK/comma.json"
expect_ok "$MIXFIT" -k 1 --factor group -q --sep ';' --decimal , "$D/ud_semicolon.csv" -o "$WORK/semi.json"
cmp -s "$WORK/comma.json" "$WORK/semi.json" || fail "--sep ';' --decimal , gives another model"
expect_ok "$MIXFIT" -k 1 --factor group -q --sep tab "$D/ud_tab.csv" -o "$WORK/tab.json"
cmp -s "$WORK/comma.json" "$WORK/tab.json" || fail "--sep tab gives another model"
expect_ok "$MIXFIT" -k 1 --factor group -q --sep auto "$D/ud_tab.csv" -o "$WORK/auto.json"
cmp -s "$WORK/comma.json" "$WORK/auto.json" || fail "--sep auto on a tab file gives another model"
expect_ok "$MIXFIT" -k 1 --factor group -q --sep auto --decimal , "$D/ud_semicolon.csv" -o "$WORK/auto2.json"
cmp -s "$WORK/comma.json" "$WORK/auto2.json" || fail "--sep auto on a semicolon file gives another model"
ok "comma, semicolon with decimal comma, tab (given and sniffed): the same model"
# without the options the semicolon file is one column
check_bad 3 "ud_semicolon.csv:2:3: row has 3 fields, header has 1" "$MIXFIT" -k 1 "$D/ud_semicolon.csv"
# decimal comma: a '.' in a number is refused
check_bad 3 "ud_tab.csv:2: column \"x\": \"0.648\" is not a number" \
    "$MIXFIT" -k 1 --factor group --sep tab --decimal , "$D/ud_tab.csv"
check_bad 2 "--sep: the separator and the decimal mark are the same" \
    "$MIXFIT" -k 1 --decimal , "$D/ud_comma.csv"
check_bad 2 "--na: expected drop or error" "$MIXFIT" -k 1 --na skip "$D/ud_comma.csv"
ok "option errors"

# a three-level factor: indicators against the first level in sorted order, or --ref
grep -q '"x_names": \["x", "group=ctl", "group=trt"\]' "$WORK/comma.json" || fail "indicator names"
grep -q '"factors": \[{"column": "group", "levels": \["alt", "ctl", "trt"\]}\]' "$WORK/comma.json" ||
    fail "factor levels in the model file"
expect_ok "$MIXFIT" -k 1 --factor group --ref group=ctl -q "$D/ud_comma.csv" -o "$WORK/ref.json"
grep -q '"x_names": \["x", "group=alt", "group=trt"\]' "$WORK/ref.json" || fail "--ref indicator names"
grep -q '"levels": \["ctl", "alt", "trt"\]' "$WORK/ref.json" || fail "--ref levels"
check_bad 3 "column \"group\": \"ctl\" is not a number (a categorical column must be declared a factor)" \
    "$MIXFIT" -k 1 "$D/ud_comma.csv"
check_bad 3 "factor \"group\": the reference level \"none\" does not occur (levels: alt, ctl, trt)" \
    "$MIXFIT" -k 1 --factor group --ref group=none "$D/ud_comma.csv"
check_bad 2 "--ref grp=ctl: \"grp\" is not a --factor column" "$MIXFIT" -k 1 --factor group --ref grp=ctl "$D/ud_comma.csv"
ok "a three-level factor: indicators, levels in the model file, --ref"

# prediction codes new data with the model's levels and refuses an unseen one
expect_ok "$MIXPREDICT" --model "$WORK/comma.json" "$D/ud_comma.csv"
[ "$(wc -l <"$WORK/out")" -eq 16 ] || fail "mixpredict: 15 rows and a header expected"
expect_ok "$MIXPREDICT" --model "$WORK/comma.json" --sep ';' --decimal , -o "$WORK/p2.csv" "$D/ud_semicolon.csv"
"$MIXPREDICT" --model "$WORK/comma.json" "$D/ud_comma.csv" | cmp -s - "$WORK/p2.csv" ||
    fail "mixpredict: the semicolon file predicts differently"
check_bad 3 "ud_unseen.csv:6: column 2 (\"group\"): level \"placebo\" is not one of the 3 known levels (alt, ctl, trt)" \
    "$MIXPREDICT" --model "$WORK/comma.json" "$D/ud_unseen.csv"
check_bad 2 "--factor: the factors and their levels come from the model" \
    "$MIXPREDICT" --model "$WORK/comma.json" --factor group "$D/ud_comma.csv"
ok "mixpredict: the model's levels; an unseen level names file, line, column and level"

# missing values: NA and empty in x, NaN and . in y
check_bad 3 "ud_na.csv:4: column \"x\": missing value" "$MIXFIT" -k 1 --factor group "$D/ud_na.csv"
expect_ok "$MIXFIT" -k 1 --factor group --na drop -q "$D/ud_na.csv" -o "$WORK/na.json"
grep -q "ud_na.csv: dropped 4 of 15 rows with a missing value (x: 2, y: 2)" "$WORK/err" ||
    fail "--na drop does not say what it dropped"
grep -q '"n": 11,' "$WORK/na.json" || fail "--na drop: 11 rows fitted"
expect_ok "$MIXPREDICT" --model "$WORK/na.json" --na drop "$D/ud_na.csv"
[ "$(wc -l <"$WORK/out")" -eq 12 ] || fail "mixpredict --na drop: 11 rows and a header expected"
ok "missing values: refused by default, dropped and counted with --na drop"

# issue 16, fault 8: a byte-order mark alone; a quoted newline escaped in the message
check_bad 3 "bom_only.csv:1:1: the file holds only a UTF-8 byte-order mark" "$MIXFIT" -k 1 "$D/bom_only.csv"
check_bad 3 "quoted_newline.csv:2: column \"x\": \"1\\n2\" is not a number" "$MIXFIT" -k 1 "$D/quoted_newline.csv"
[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "the message about a quoted newline spans several lines"
ok "a byte-order mark alone, a quoted newline: one-line messages"

# issue 16, fault 3: duplicate header names are found without comparing
# every pair (200000 columns took minutes); the bound is generous.
awk 'BEGIN { n = 200000; for (i = 1; i <= n; i++) printf "c%d%s", i, i < n ? "," : ",c6\n";
             for (i = 0; i <= n; i++) printf "1%s", i < n ? "," : "\n" }' >"$WORK/wide.csv"
rc=0
timeout 20 "$MIXFIT" -k 1 "$WORK/wide.csv" >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 3 ] || fail "200001 columns: exit $rc, want 3 (124: timed out)"
grep -q "duplicate column name \"c6\" (columns 6 and 200001)" "$WORK/err" || fail "wide header: no duplicate message"
ok "200001 header names checked for duplicates well within 20 s"

# mixsim --x reads its covariates with the same options and the model's factor levels
expect_ok "$MIXSIM" --model "$WORK/comma.json" --seed 3 --x "$D/ud_semicolon.csv" --sep ';' --decimal , -o "$WORK/sim.csv"
[ "$(head -n 1 "$WORK/sim.csv")" = "x,group=ctl,group=trt,y" ] || fail "mixsim --x: header $(head -n 1 "$WORK/sim.csv")"
[ "$(sed -n 2p "$WORK/sim.csv" | cut -d, -f1-3)" = "0.64800000000000002,1,0" ] || fail "mixsim --x: the first row's coding"
ok "mixsim --x with --sep ';' --decimal , and the model's factor levels"

# --ref lists: each item NAME=LEVEL
check_bad 2 "--ref: expected NAME=LEVEL, got \"trt\"" "$MIXFIT" -k 1 --factor group --ref group=ctl,trt "$D/ud_comma.csv"
ok "--ref items without '=' refused"
