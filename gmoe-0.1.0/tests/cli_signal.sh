#!/bin/sh
# A tool killed by a signal while it writes its output leaves neither
# half a file nor the temporary file it was writing (the tools' handler
# removes it, cli_signals.c; the library only lists it,
# gmoe_remove_temp_files), and dies of that signal (exit 128 + number).
. "$srcdir/cli_lib.sh"
MIXSIM=$(abs_path "$MIXSIM")
REFMODEL=$(abs_path "$REFMODEL")
cd "$WORK" || exit 99

# no file named like the output or its temporary (".big.csv.<pid>.<n>.tmp")
no_leftovers() { # what
    for f in big.csv .big.csv.*; do
        [ -e "$f" ] && fail "$1: $f left behind"
    done
    return 0
}

# 1. SIGXFSZ, raised by the kernel in the middle of the write when the
# file outgrows `ulimit -f`: deterministic.
rc=0
(ulimit -f 64 && exec "$MIXSIM" --model "$REFMODEL" -n 20000 --seed 1 -o big.csv) 2>err || rc=$?
[ "$rc" -eq $((128 + 25)) ] || fail "ulimit -f: exit $rc, want 153 (killed by SIGXFSZ)"
no_leftovers "killed by SIGXFSZ during the write"
ok "SIGXFSZ during the write: no output, no temporary file"

# 2. SIGTERM and SIGINT sent by a user.  The tool is stopped (SIGSTOP) as
# soon as its temporary file appears, signalled, and continued, so the
# signal lands during the write; if the write ended before the stop, the
# try is repeated with more rows.  A background job of a script has
# SIGINT ignored (which the tools respect), hence env --default-signal.
interrupt() { # signal number
    n=1000000
    for try in 1 2 3 4; do
        rm -f big.csv .big.csv.*
        env --default-signal=INT "$MIXSIM" --model "$REFMODEL" -n $n --seed 1 -o big.csv 2>err &
        pid=$!
        caught=no
        while kill -0 "$pid" 2>/dev/null; do
            for f in .big.csv.*.tmp; do
                [ -e "$f" ] && kill -STOP "$pid" && caught=$f
            done
            [ "$caught" != no ] && break
        done
        if [ "$caught" != no ] && [ -e "$caught" ]; then
            kill -"$1" "$pid"
            kill -CONT "$pid"
            rc=0
            wait "$pid" || rc=$?
            [ "$rc" -eq $((128 + $1)) ] || fail "signal $1: exit $rc, want $((128 + $1))"
            no_leftovers "signal $1 during the write"
            ok "signal $1 during the write (try $try, n = $n): no output, no temporary file"
            return 0
        fi
        [ "$caught" != no ] && kill -CONT "$pid"
        wait "$pid"
        n=$((n * 2))
    done
    echo "# signal $1: the write was always over before the tool could be stopped; not tested"
}
if env --default-signal=INT true 2>/dev/null; then
    interrupt 15
    interrupt 2
else
    echo "# env --default-signal missing (coreutils < 8.31): SIGTERM and SIGINT not tested"
fi
