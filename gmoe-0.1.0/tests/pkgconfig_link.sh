#!/bin/sh
# issue 15 item 4: `pkg-config --cflags --libs gmoe` is enough to build the
# program libgmoe(3) shows (which calls gsl_set_error_handler_off(), as
# every caller must).  The library is installed into a scratch DESTDIR.
. "${TEST_DATADIR:-data}/../cli_lib.sh"

command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
DEST=$WORK/dest
# a make of its own, not the jobserver of the make running the tests
(unset MAKEFLAGS MFLAGS MAKELEVEL; ${MAKE:-make} -C "$top_builddir" install DESTDIR="$DEST") \
    >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; fail "make install DESTDIR=$DEST"; }
pc=$(find "$DEST" -name gmoe.pc | head -n 1)
[ -n "$pc" ] || fail "no gmoe.pc installed"
libdir=$(dirname "$(dirname "$pc")")
PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
PKG_CONFIG_SYSROOT_DIR=$DEST
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
flags=$(pkg-config --cflags --libs gmoe) || fail "pkg-config --cflags --libs gmoe"

cat >"$WORK/prog.c" <<'PROG'
#include <gmoe.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    gmoe_err err;
    gmoe_table *t = NULL;
    gmoe_data *data = NULL;
    gsl_set_error_handler_off();
    if (argc < 2 || gmoe_table_read(argv[1], &t, &err) ||
        gmoe_data_from_table(t, NULL, NULL, 0, 0, &data, &err)) {
        fprintf(stderr, "%s\n", argc < 2 ? "usage: prog data.csv" : err.msg);
        return 3;
    }
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 2, data->d);
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 2;
    if (gmoe_fit(data, m, NULL, &opt, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 5;
    }
    printf("loglik %g after %zu iterations\n", m->fit.loglik, m->fit.iterations);
    gmoe_model_free(m);
    gmoe_data_free(data);
    gmoe_table_free(t);
    return 0;
}
PROG
# shellcheck disable=SC2086 # the flags are words
${CC:-cc} -o "$WORK/prog" "$WORK/prog.c" $flags >"$WORK/err" 2>&1 ||
    fail "the libgmoe(3) program does not build with: cc prog.c $flags"
ok "builds with only pkg-config --cflags --libs gmoe: $flags"
run env LD_LIBRARY_PATH="$libdir" "$WORK/prog" "$REFDATA"
[ "$rc" -eq 0 ] || fail "the program exits $rc"
grep -q "^loglik " "$WORK/out" || fail "no loglik line"
ok "and runs against the installed library: $(cat "$WORK/out")"
