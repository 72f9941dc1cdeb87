/* fit_progress.c -- mixfit's progress on stderr (fit_progress.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fit_progress.h"

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void fit_progress_init(fit_progress *p, int on)
{
    memset(p, 0, sizeof *p);
    const char *term = getenv("TERM");
    int tty = isatty(STDERR_FILENO);
    p->redraw = tty && term && *term && strcmp(term, "dumb") != 0;
    p->on = on > 0 || (on == 0 && tty);
    p->start = p->last_shown = seconds_now();
}

/* The library's callback: at most 4 redraws a second, or a line every
 * 2 seconds.  Never stops the fit. */
static int show(void *ctx, size_t restart, size_t iter, double loglik)
{
    fit_progress *p = ctx;
    double t = seconds_now();
    if (t - p->last_shown < (p->redraw ? 0.25 : 2.0))
        return 0;
    p->last_shown = t;
    fprintf(stderr, "%s%s: k = %zu, start %zu of %zu, iteration %zu, loglik %.6f, %.0f s elapsed",
            p->redraw ? "\r\033[K" : "", cli_progname(), p->k, restart + 1, p->starts, iter, loglik, t - p->start);
    if (!p->redraw)
        fputc('\n', stderr);
    p->shown = p->redraw;
    fflush(stderr);
    return 0;
}

void fit_progress_attach(fit_progress *p, gmoe_em_options *em, size_t k, size_t starts)
{
    if (!p->on)
        return;
    p->k = k;
    p->starts = starts;
    em->progress = show;
    em->progress_ctx = p;
}

void fit_progress_clear(fit_progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = 0;
}
