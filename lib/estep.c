/* estep.c -- log-likelihood and responsibilities, the hot loop.
 *
 * Rows are processed in fixed blocks of GMOE_BLOCK_ROWS; each block's
 * partial log-likelihood is stored and the blocks are summed in order, so
 * the result is bit-identical for any number of threads. */
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine.h"
#include "internal.h"

/* One row: log p(y|x) and, if resp is not NULL, the posterior expert
 * probabilities.  lj is scratch of k doubles; lnorm[i] = -(log 2 pi +
 * log sigma2_i)/2 and half_prec[i] = 1/(2 sigma2_i) are hoisted out of the
 * row loop. */
static double row_estep(const gmoe_model *m, const gmoe_gating *g,
                        const double *x, double y, double *lj, double *resp,
                        const double *lnorm, const double *half_prec,
                        const double *cached_logg)
{
    size_t k = m->k;
    if (cached_logg)
        for (size_t i = 0; i < k; i++)
            lj[i] = cached_logg[i];
    else
        g->log_gate(m, x, lj);
    for (size_t i = 0; i < k; i++)
        if (lj[i] > -INFINITY) {
            double e = y - gmoe_expert_mean(m, i, x);
            lj[i] += lnorm[i] - e * e * half_prec[i];
        }
    return resp ? gmoe_logsumexp_weights(lj, k, resp) : gmoe_logsumexp(lj, k);
}

/* cache: NULL, or 2k doubles per row whose first k are the log-gates. */
static double estep(const gmoe_model *m, const gmoe_data *data, double *resp,
                    double *block_ll, int nthreads, const double *cache)
{
    const gmoe_gating *g = gmoe_gating_get(m->family);
    size_t n = data->n, d = data->d, k = m->k, nb = gmoe_nblocks(n);
    int nt = gmoe_resolve_threads(nthreads);
    (void)nt; /* unused without OpenMP */

#pragma omp parallel num_threads(nt)
    {
        double stack[3 * 64];
        double *lj = k <= 64 ? stack : malloc(3 * k * sizeof(double));
        double *lnorm = lj + k, *half_prec = lj + 2 * k;
        for (size_t i = 0; lj && i < k; i++) {
            lnorm[i] = -0.5 * (GMOE_LOG_2PI + log(m->sigma2[i]));
            half_prec[i] = 0.5 / m->sigma2[i];
        }
#pragma omp for schedule(static)
        for (size_t b = 0; b < nb; b++) {
            size_t lo = b * GMOE_BLOCK_ROWS;
            size_t hi = lo + GMOE_BLOCK_ROWS < n ? lo + GMOE_BLOCK_ROWS : n;
            double s = 0.0;
            if (!lj) {
                block_ll[b] = NAN;
                continue;
            }
            for (size_t r = lo; r < hi; r++)
                s += row_estep(m, g, data->x + r * d, data->y[r], lj,
                               resp ? resp + r * k : NULL, lnorm, half_prec,
                               cache ? cache + r * 2 * k : NULL);
            block_ll[b] = s;
        }
        if (lj != stack)
            free(lj);
    }
    double ll = 0.0;
    for (size_t b = 0; b < nb; b++)
        ll += block_ll[b];
    return ll;
}

double gmoe_estep(const gmoe_model *m, const gmoe_data *data, double *resp,
                  double *block_ll, int nthreads)
{
    return estep(m, data, resp, block_ll, nthreads, NULL);
}

double gmoe_em_estep(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                     double *resp)
{
    return estep(m, data, resp, ws->block_ll, ws->nthreads, gmoe_gate_cache_for(ws, m));
}
