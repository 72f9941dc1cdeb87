/* fit_progress.h -- mixfit's progress on stderr during long fits: the
 * library's progress callback (gmoe_em_options.progress) shown as one
 * line redrawn in place on a terminal, or (--progress to a file or pipe)
 * a plain line at most every 2 seconds. */
#ifndef GMOE_FIT_PROGRESS_H
#define GMOE_FIT_PROGRESS_H

#include <stddef.h>

#include "gmoe.h"

typedef struct {
    int on, redraw;          /* shown at all; in place (a terminal) */
    size_t k, starts;        /* the fit being made: k, starts of this k */
    double start, last_shown;
    int shown;               /* a redrawn line is on the screen */
} fit_progress;

/* on: --progress given (1), -q given (-1), neither (0: on when stderr is
 * a terminal). */
void fit_progress_init(fit_progress *p, int on);

/* Sets em's callback to show p while k (with `starts` starts) is fitted;
 * nothing when p is off. */
void fit_progress_attach(fit_progress *p, gmoe_em_options *em, size_t k, size_t starts);

/* Clears a redrawn line (before other output on stderr). */
void fit_progress_clear(fit_progress *p);

#endif
