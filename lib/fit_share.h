/* fit_share.h -- a fit's starts run over several processes through the
 * caller's gmoe_em_options.share_starts (mixfit over MPI ranks): each
 * process runs some of the starts, the caller's hook hands every process
 * every start's outcome, and gmoe_fit then keeps the best in start order
 * as it does with all starts run here, so the fit is the same bits.  The
 * library never talks to another process itself. */
#ifndef GMOE_FIT_SHARE_H
#define GMOE_FIT_SHARE_H

#include "gmoe.h"

/* Runs start r into `cur` (parameters) and `info`; returns a status. */
typedef int (*gmoe_start_compute)(void *job, size_t r, gmoe_model *cur, gmoe_fit_info *info, gmoe_err *err);

/* The outcomes of starts first .. first + nstarts - 1, `width` bytes each. */
typedef struct {
    unsigned char *bytes;
    size_t width, first, nstarts;
    gmoe_start_compute compute;
    void *job;
} gmoe_shared_starts;

/* Runs starts first .. first + nstarts - 1 (a batch: gmoe_fit_auto's
 * split starts come after its random starts) through opt->share_starts,
 * replacing any earlier batch; the starts this process runs go through
 * compute(job, r, cur, ...).  Returns a status. */
int gmoe_shared_starts_run(gmoe_shared_starts *sh, const gmoe_em_options *opt, size_t first, size_t nstarts,
                           gmoe_model *cur, gmoe_start_compute compute, void *job, gmoe_err *err);

/* Start r's outcome (r in the batch) into cur's parameters and info;
 * returns its status (with its message in err). */
int gmoe_shared_start_take(const gmoe_shared_starts *sh, size_t r, gmoe_model *cur, gmoe_fit_info *info,
                           gmoe_err *err);

void gmoe_shared_starts_free(gmoe_shared_starts *sh);

#endif
