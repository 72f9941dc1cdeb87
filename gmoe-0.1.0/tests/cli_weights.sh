#!/bin/sh
# mixfit --weights NAME: case weights from a CSV column.  Weights of 2 fit
# like the rows repeated (log-likelihood, BIC, parameters); weights of 1
# give the bytes of no weights; --threads 1 and 2 the same bytes; the
# weight column is not an automatic covariate; bad weights are refused
# with the file, line, column and option named.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

"$MIXSIM" --model "$REFMODEL" -n 300 --seed 8 -o "$WORK/d.csv" || fail "mixsim"
# w: 0, 1, 2, 0, 1, 2, ... after the header; the same rows repeated w times
awk -F, 'NR == 1 { print $1 ",w," $2; next } { print $1 "," (NR - 2) % 3 "," $2 }' "$WORK/d.csv" >"$WORK/w.csv"
awk -F, 'NR == 1 { print $1 "," $3; next } { for (i = 0; i < $2; i++) print $1 "," $3 }' "$WORK/w.csv" \
    >"$WORK/copies.csv"
awk -F, 'NR == 1 { print $1 ",w," $2; next } { print $1 ",1," $2 }' "$WORK/d.csv" >"$WORK/ones.csv"

fit="--restarts 2 --seed 4 --se sandwich -q"
expect_ok "$MIXFIT" -k 2 $fit --weights w -o "$WORK/w.json" "$WORK/w.csv"
expect_ok "$MIXFIT" -k 2 $fit -o "$WORK/copies.json" "$WORK/copies.csv"
grep -q '"x_names": \["x"\]' "$WORK/w.json" || fail "the weight column became a covariate"
grep -q '"n": 200,' "$WORK/w.json" && grep -q '"nobs": 300,' "$WORK/w.json" ||
    fail "the fit record lacks n = 200 rows of positive weight and nobs = 300"
grep -q '"nobs"' "$WORK/copies.json" && fail "nobs written without weights"
for key in loglik bic; do
    a=$(json_number "$WORK/w.json" $key)
    b=$(json_number "$WORK/copies.json" $key)
    awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * (b < 0 ? -b : b)) }' ||
        fail "$key with weights 0, 1, 2 ($a) is not that of the rows repeated ($b)"
done
experts "$WORK/w.json" >"$WORK/ew"
experts "$WORK/copies.json" >"$WORK/ec"
paste -d' ' "$WORK/ew" "$WORK/ec" | awk '{ h = NF / 2; for (i = 1; i <= h; i++) {
        d = $i - $(i + h); if (d < 0) d = -d; if (d > 1e-7 * (1 + ($i < 0 ? -$i : $i))) exit 1 } }' ||
    fail "the experts with weights differ from those of the rows repeated"
ok "--weights 0/1/2: log-likelihood, BIC and parameters of the rows repeated"

expect_ok "$MIXFIT" -k 2 $fit -o "$WORK/plain.json" "$WORK/d.csv"
expect_ok "$MIXFIT" -k 2 $fit --weights w -o "$WORK/ones.json" "$WORK/ones.csv"
cmp -s "$WORK/plain.json" "$WORK/ones.json" || fail "weights of 1 change the model file"
ok "--weights of 1: the bytes of no weights"

for t in 1 2; do
    expect_ok "$MIXFIT" -k 2 $fit --bootstrap 4 --threads $t --weights w -o "$WORK/t$t.json" "$WORK/w.csv"
done
cmp -s "$WORK/t1.json" "$WORK/t2.json" || fail "--threads 1 and 2 differ with --weights"
ok "--weights with --bootstrap: the same bytes for 1 and 2 threads"

expect_ok "$MIXFIT" -k 2 --restarts 1 --weights w "$WORK/w.csv" -o "$WORK/s.json"
grep -q 'case weights "w" summing to 300' "$WORK/err" || fail "the summary does not give the weights' sum"
ok "the summary gives the sum of the weights"

# bad weights: file, line, column and option in the message, exit 3
sed '5s/,[0-9]*,/,-2,/' "$WORK/w.csv" >"$WORK/neg.csv"
check_bad 3 'neg.csv:5: column "w" (--weights): negative weight "-2"' "$MIXFIT" -k 2 --weights w "$WORK/neg.csv"
sed '7s/,[0-9]*,/,abc,/' "$WORK/w.csv" >"$WORK/text.csv"
check_bad 3 'text.csv:7: column "w" (--weights): not a number: "abc"' "$MIXFIT" -k 2 --weights w "$WORK/text.csv"
sed '6s/,[0-9]*,/,inf,/' "$WORK/w.csv" >"$WORK/inf.csv"
check_bad 3 'inf.csv:6: column "w" (--weights): not a finite number: "inf"' "$MIXFIT" -k 2 --weights w \
    "$WORK/inf.csv"
sed '4s/,[0-9]*,/,NA,/' "$WORK/w.csv" >"$WORK/na.csv"
check_bad 3 'na.csv:4: column "w" (--weights): missing value' "$MIXFIT" -k 2 --weights w "$WORK/na.csv"
awk -F, 'NR == 1 { print; next } { print $1 ",0," $3 }' "$WORK/w.csv" >"$WORK/zero.csv"
check_bad 3 'zero.csv: column "w" (--weights): every weight is zero' "$MIXFIT" -k 2 --weights w "$WORK/zero.csv"
check_bad 3 'no column named "weight" for the --weights' "$MIXFIT" -k 2 --weights weight "$WORK/w.csv"
check_bad 3 'column "w" (--weights): cannot be a covariate too' "$MIXFIT" -k 2 --weights w -x x,w "$WORK/w.csv"
check_bad 3 'column "x" (--weights): is the response too' "$MIXFIT" -k 2 --weights x -y x "$WORK/w.csv"

# --na drop drops a row with a missing weight, and says so
expect_ok "$MIXFIT" -k 2 --restarts 1 --na drop --weights w -o "$WORK/drop.json" "$WORK/na.csv"
grep -q 'dropped 1 of 300 rows with a missing value (w: 1)' "$WORK/err" || fail "--na drop: no report of w"
ok "--na drop: a row with a missing weight is dropped and counted"
