/* smaller_cache.c -- what every split and edge start of one nested fit
 * reads from its smaller fit (the fit with k - 1 experts), made at the
 * first start that needs it and kept for the others: the smaller fit's
 * responsibilities (one E-step) and the first gate covariates sorted
 * (gmoe_sorted_gate).  Each start used to make them again: up to 48 edge
 * starts and 2 gate splits per expert and covariate per fit, each the same
 * E-step and sort.  The values are those each start made, bit for bit. */
#include <math.h>
#include <stdlib.h>

#include "engine.h"
#include "internal.h"

void gmoe_smaller_cache_free(gmoe_smaller_cache *c)
{
    free(c->resp);
    for (size_t u = 0; u < GMOE_SORTED_GATES; u++)
        gmoe_sorted_gate_free(c->gate[u]);
    *c = (gmoe_smaller_cache){0};
}

int gmoe_smaller_resp(gmoe_smaller_cache *c, const gmoe_model *smaller, const gmoe_data *data,
                      gmoe_em_ws *ws, const double **resp)
{
    if (c->smaller != smaller) {
        gmoe_smaller_cache_free(c);
        if (!(c->resp = malloc((data->n * smaller->k + 1) * sizeof(double))))
            return GMOE_ENOMEM;
        c->smaller = smaller;
        double ll = gmoe_estep(smaller, data, c->resp, ws->block_ll, ws->nthreads);
        c->resp_status = isfinite(ll) ? GMOE_OK : GMOE_ENUMERIC;
    }
    *resp = c->resp;
    return c->resp_status;
}

int gmoe_smaller_gate_quantile(gmoe_smaller_cache *c, const gmoe_data *data, size_t u, double q,
                               gmoe_quantile *out)
{
    if (u >= GMOE_SORTED_GATES)
        return gmoe_gate_quantile(data, u, NULL, 0, q, out);
    if (!c->gate[u] && !(c->gate[u] = gmoe_sorted_gate_make(data, u, NULL, 0)))
        return GMOE_ENOMEM;
    return gmoe_sorted_gate_quantile(c->gate[u], q, out);
}
