#!/bin/sh
# A NUL byte in a model file, after a valid JSON model or inside it, is
# named as such with its line and column (jansson alone says "end of file
# expected near end of file" or "invalid token").
. "${TEST_DATADIR:-data}/../cli_lib.sh"

{ cat "$REFMODEL"; printf '\000\n'; } >"$WORK/after.json"
lines=$(wc -l <"$REFMODEL")
run "$MIXPREDICT" --model "$WORK/after.json" "$REFDATA"
[ "$rc" -eq 3 ] || fail "NUL after the model: exit $rc, want 3"
grep -q "after.json:$((lines + 1)):1: a NUL byte" "$WORK/err" || fail "NUL after the model: message"
{ head -c 20 "$REFMODEL"; printf '\000'; tail -c +21 "$REFMODEL"; } >"$WORK/inside.json"
run "$MIXPREDICT" --model "$WORK/inside.json" "$REFDATA"
[ "$rc" -eq 3 ] || fail "NUL inside the model: exit $rc, want 3"
grep -q "inside.json:2:.*: a NUL byte" "$WORK/err" || fail "NUL inside the model: message"
ok "a NUL byte in a model file: exit 3 with its line and column"
