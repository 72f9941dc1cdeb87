/* fit_share.c -- see fit_share.h.  An outcome's bytes: its status and
 * message, the run's gmoe_fit_info, then the model's parameters (beta0,
 * beta1 over the gate's dg covariates, a, b, sigma2, tau) as doubles. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fit_share.h"
#include "internal.h"

typedef struct {
    int32_t status;
    char message[GMOE_ERRMSG_LEN];
    gmoe_fit_info info;
} outcome_head;

typedef struct {
    gmoe_model *cur;
    const gmoe_shared_starts *sh;
} share_job;

static size_t nparams(const gmoe_model *m)
{
    return 3 * m->k + m->k * m->dg + m->k * m->d + 1;
}

/* The model's parameter arrays in the outcome's order, with their lengths. */
static size_t param_arrays(gmoe_model *m, double **arr, size_t *len)
{
    double *a[] = {m->beta0, m->beta1, m->a, m->b, m->sigma2, &m->tau};
    size_t l[] = {m->k, m->k * m->dg, m->k * m->d, m->k, m->k, 1};
    for (size_t i = 0; i < 6; i++) {
        arr[i] = a[i];
        len[i] = l[i];
    }
    return 6;
}

/* The hook's callback: start r of the batch run here, packed into out. */
static void run_packed(void *job, size_t r, unsigned char *out)
{
    share_job *j = job;
    r += j->sh->first;
    outcome_head h;
    gmoe_err err;
    memset(&h, 0, sizeof h);
    gmoe_err_clear(&err);
    h.status = j->sh->compute(j->sh->job, r, j->cur, &h.info, &err);
    memcpy(h.message, err.msg, sizeof h.message);
    memcpy(out, &h, sizeof h);
    double *arr[6];
    size_t len[6], off = sizeof h;
    for (size_t i = 0, n = param_arrays(j->cur, arr, len); i < n; i++) {
        memcpy(out + off, arr[i], len[i] * sizeof(double));
        off += len[i] * sizeof(double);
    }
}

int gmoe_shared_starts_run(gmoe_shared_starts *sh, const gmoe_em_options *opt, size_t first, size_t nstarts,
                           gmoe_model *cur, gmoe_start_compute compute, void *job, gmoe_err *err)
{
    gmoe_shared_starts_free(sh);
    sh->first = first;
    sh->nstarts = nstarts;
    sh->compute = compute;
    sh->job = job;
    sh->width = sizeof(outcome_head) + nparams(cur) * sizeof(double);
    if (!(sh->bytes = calloc(nstarts ? nstarts : 1, sh->width)))
        return gmoe_error(err, GMOE_ENOMEM, "out of memory for the outcomes of %zu starts", nstarts);
    share_job j = {cur, sh};
    if (opt->share_starts(opt->share_ctx, nstarts, sh->width, sh->bytes, run_packed, &j) != 0)
        return gmoe_error(err, GMOE_EINVAL, "sharing the starts out over processes failed");
    return GMOE_OK;
}

int gmoe_shared_start_take(const gmoe_shared_starts *sh, size_t r, gmoe_model *cur, gmoe_fit_info *info,
                           gmoe_err *err)
{
    const unsigned char *in = sh->bytes + (r - sh->first) * sh->width;
    outcome_head h;
    memcpy(&h, in, sizeof h);
    *info = h.info;
    if (h.status != GMOE_OK)
        return gmoe_error(err, h.status, "%s", h.message);
    double *arr[6];
    size_t len[6], off = sizeof h;
    for (size_t i = 0, n = param_arrays(cur, arr, len); i < n; i++) {
        memcpy(arr[i], in + off, len[i] * sizeof(double));
        off += len[i] * sizeof(double);
    }
    return GMOE_OK;
}

void gmoe_shared_starts_free(gmoe_shared_starts *sh)
{
    free(sh->bytes);
    sh->bytes = NULL;
}
