/* split.c -- the split starts of a nested fit (gmoe_fit_nested): expert j
 * of the best fit with k - 1 experts made into two.
 *
 * The exact split (the family's split, gating.h: two identical halves
 * sharing expert j's gate) has the smaller fit's likelihood and is a
 * stationary point of the k-expert likelihood (the halves are
 * interchangeable), which EM would never leave.  The start leaves it
 * along the direction of most positive curvature of the log-likelihood
 * there (gmoe_newton_escape: the halves pulled apart in their lines and
 * gates together), which raises the likelihood when expert j's rows are
 * better described by two experts.  Where no direction raises it, the
 * halves' intercepts are moved apart by a quarter of their sd each way
 * and EM decides. */
#include <math.h>

#include "engine.h"
#include "internal.h"
#include "newton.h"

int gmoe_split_start(gmoe_model *m, const gmoe_model *smaller, size_t j, const gmoe_data *data,
                     gmoe_em_ws *ws, const gmoe_em_options *opt)
{
    if (!ws->gating->split || smaller->k + 1 != m->k || j >= smaller->k)
        return GMOE_EINVAL;
    ws->gating->split(m, smaller, j);
    gmoe_newton_ws *nw = gmoe_newton_ws_alloc(m, data->n);
    if (!nw)
        return GMOE_ENOMEM;
    double ll;
    int moved = gmoe_newton_escape(m, data, nw, ws->nthreads, opt->var_floor * ws->var_y, &ll);
    gmoe_newton_ws_free(nw);
    if (!moved) {
        double offset = 0.25 * sqrt(m->sigma2[j]);
        m->b[j] -= offset;
        m->b[m->k - 1] += offset;
    }
    return GMOE_OK;
}
