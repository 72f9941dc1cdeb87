/* cli_signals.c -- what the tools do when they are interrupted: remove
 * the temporary file of an output being written, then die of the signal
 * as they would have (exit status 128 + signal number in a shell).  The
 * library installs no handler (it is not its process); it only keeps the
 * list of its temporary files (gmoe_remove_temp_files). */
#define _POSIX_C_SOURCE 200809L /* sigaction */
#include "config.h"

#include <signal.h>
#include <stddef.h>

#include "cli.h"

static void on_signal(int sig)
{
    gmoe_remove_temp_files();
    /* SA_RESETHAND restored the default action; the signal is blocked
     * while this handler runs, so it is delivered, and kills, on return. */
    raise(sig);
}

void cli_cleanup_on_signals(void)
{
    /* SIGXFSZ: a write past the file size limit (ulimit -f) */
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXFSZ};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa = {0};
        /* A signal the caller ignores (nohup, a background job) or handles
         * itself stays as it is. */
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue;
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}
