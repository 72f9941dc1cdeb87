#!/bin/sh
# Output handling: an output that cannot be written exits 5 and leaves
# nothing; an existing fifo is written through, not replaced, and so is a
# symbolic link; a summary
# goes to stderr and only the model to stdout; non-convergence is a
# warning with exit 0.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

run "$MIXFIT" -k 1 -q -o "$WORK/no/dir/fit.json" "$REFDATA"
[ "$rc" -eq 5 ] || fail "-o in a missing directory: exit $rc"
grep -q "^mixfit: $WORK/no/dir/fit.json: cannot create a temporary file next to it" "$WORK/err" ||
    fail "-o in a missing directory: message"
[ ! -e "$WORK/no" ] || fail "-o in a missing directory created something"
ok "mixfit -o in a missing directory exits 5"
run "$MIXSIM" --model "$REFMODEL" -n 5 --seed 1 -o "$WORK"
[ "$rc" -eq 5 ] || fail "writing over a directory: exit $rc"
grep -q "^mixsim: $WORK: cannot open for writing" "$WORK/err" || fail "writing over a directory: message"
ok "mixsim -o DIRECTORY exits 5"

# a fifo stays a fifo and the text arrives
mkfifo "$WORK/fifo" || fail "mkfifo"
cat "$WORK/fifo" >"$WORK/from_fifo" &
reader=$!
run "$MIXSIM" --model "$REFMODEL" -n 3 --seed 1 -o "$WORK/fifo"
if [ ! -p "$WORK/fifo" ]; then
    kill "$reader" # it would wait for a writer forever
    fail "the fifo was replaced"
fi
wait "$reader"
[ "$rc" -eq 0 ] || fail "-o FIFO: exit $rc"
"$MIXSIM" --model "$REFMODEL" -n 3 --seed 1 | cmp -s - "$WORK/from_fifo" || fail "the fifo got other text"
ok "-o FIFO writes through the fifo"

# through a symbolic link the file it points to is written, the link stays
echo old >"$WORK/target.csv"
ln -s target.csv "$WORK/link.csv" || fail "ln -s"
expect_ok "$MIXSIM" --model "$REFMODEL" -n 3 --seed 1 -o "$WORK/link.csv"
[ -L "$WORK/link.csv" ] || fail "the symbolic link was replaced"
"$MIXSIM" --model "$REFMODEL" -n 3 --seed 1 | cmp -s - "$WORK/target.csv" || fail "the link's target got other text"
ln -s new-target.csv "$WORK/dangling.csv" || fail "ln -s"
expect_ok "$MIXSIM" --model "$REFMODEL" -n 3 --seed 1 -o "$WORK/dangling.csv"
[ -L "$WORK/dangling.csv" ] && [ -f "$WORK/new-target.csv" ] || fail "a dangling link: its target not created"
ok "-o LINK writes the file the link points to (created if missing)"
ln -s loop-b "$WORK/loop-a" && ln -s loop-a "$WORK/loop-b" || fail "ln -s"
run "$MIXSIM" --model "$REFMODEL" -n 3 --seed 1 -o "$WORK/loop-a"
[ "$rc" -eq 5 ] || fail "-o through a loop of links: exit $rc"
grep -q "^mixsim: $WORK/loop-a: cannot follow the symbolic link" "$WORK/err" ||
    fail "-o through a loop of links: message"
[ -L "$WORK/loop-a" ] && [ -L "$WORK/loop-b" ] || fail "a link of the loop was replaced"
ok "-o through a loop of symbolic links exits 5"

# stdout: the model only; stderr: the summary
expect_ok "$MIXFIT" -k 2 --restarts 2 "$REFDATA"
head -c 1 "$WORK/out" | grep -q '{' || fail "stdout is not the model"
tail -n 1 "$WORK/out" | grep -qx '}' || fail "the model does not end with a line"
for text in "mixfit: $REFDATA: y on x, n = 2000 rows" "family softmax, k = 2 experts" "gate slope x" \
    "slope x" "sigma2" "loglik" "AIC" "BIC" "ICL" "converged (stop: tolerance); best of 2 starts" "seed 1"; do
    grep -qF "$text" "$WORK/err" || fail "the summary lacks '$text'"
done
ok "summary on stderr, model on stdout"

# non-convergence: a warning, exit 0, the model written
expect_ok "$MIXFIT" -k 2 --restarts 1 --max-iter 2 --accel none -q -o "$WORK/fit.json" "$REFDATA"
grep -q "^mixfit: warning: k = 2: EM did not converge (stop: max-iterations after 2 iterations)" "$WORK/err" ||
    fail "no non-convergence warning"
grep -q '"converged": false' "$WORK/fit.json" || fail "the model does not say it did not converge"
ok "non-convergence is a warning"
