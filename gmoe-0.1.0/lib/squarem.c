/* squarem.c -- SQUAREM acceleration of EM (Varadhan & Roland, Scand. J.
 * Statist. 2008, scheme S3), with a monotone safeguard.
 *
 * Over-fitted mixtures make EM crawl (hundreds of iterations at a strict
 * tolerance).  A cycle takes two EM steps theta0 -> theta1 -> theta2,
 * extrapolates along r = theta1 - theta0, v = theta2 - 2 theta1 + theta0
 * with step alpha = -|r|/|v|, and takes one EM step from there.  The
 * result is kept only if its log-likelihood is at least that of theta2;
 * otherwise the cycle ends at theta2, so the log-likelihood never
 * decreases from cycle to cycle.
 *
 * The parameter vector is (gate theta as the family packs it; then per
 * expert a_i, b_i, log sigma2_i): the log keeps extrapolated variances
 * positive. */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "internal.h"

static void pack(const gmoe_model *m, const gmoe_em_ws *ws, double *v)
{
    size_t d = m->d;
    ws->gating->pack(m, v);
    v += ws->np;
    for (size_t i = 0; i < m->k; i++, v += d + 2) {
        memcpy(v, m->a + i * d, d * sizeof(double));
        v[d] = m->b[i];
        v[d + 1] = log(m->sigma2[i]);
    }
}

static void unpack(gmoe_model *m, const gmoe_em_ws *ws, const double *v, double var_floor)
{
    size_t d = m->d;
    ws->gating->unpack(m, v);
    v += ws->np;
    for (size_t i = 0; i < m->k; i++, v += d + 2) {
        memcpy(m->a + i * d, v, d * sizeof(double));
        m->b[i] = v[d];
        m->sigma2[i] = fmax(exp(v[d + 1]), var_floor);
    }
    if (ws->gating->normalize)
        ws->gating->normalize(m);
}

double gmoe_squarem_cycle(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                          const gmoe_em_options *opt, size_t *steps, int *failed)
{
    size_t nv = ws->nvec;
    double *t0 = ws->sq[0], *t1 = ws->sq[1], *t2 = ws->sq[2], *tx = ws->sq[3];
    double floor = opt->var_floor * ws->var_y;

    pack(m, ws, t0);
    double ll1 = gmoe_em_step(m, data, ws, opt, failed);
    (*steps)++;
    if (*failed || !isfinite(ll1))
        return ll1;
    pack(m, ws, t1);
    double ll2 = gmoe_em_step(m, data, ws, opt, failed);
    (*steps)++;
    if (*failed || !isfinite(ll2))
        return ll2;
    pack(m, ws, t2);

    double rr = 0.0, vv = 0.0;
    for (size_t u = 0; u < nv; u++) {
        double r = t1[u] - t0[u], v = t2[u] - 2 * t1[u] + t0[u];
        rr += r * r;
        vv += v * v;
    }
    if (!(vv > 0) || !isfinite(rr))
        return ll2;
    double alpha = -sqrt(rr / vv);
    if (alpha >= -1.0)
        return ll2; /* alpha = -1 is plain EM: theta2 itself */
    for (size_t u = 0; u < nv; u++) {
        double r = t1[u] - t0[u], v = t2[u] - 2 * t1[u] + t0[u];
        tx[u] = t0[u] - 2 * alpha * r + alpha * alpha * v;
    }
    unpack(m, ws, tx, floor);
    double llx = gmoe_em_estep(m, data, ws, ws->resp);
    if (isfinite(llx)) {
        int fail3 = 0;
        double ll3 = gmoe_em_step(m, data, ws, opt, &fail3);
        if (!fail3 && isfinite(ll3) && ll3 >= ll2) {
            (*steps)++;
            return ll3;
        }
    }
    /* The extrapolation did not pay: back to theta2. */
    unpack(m, ws, t2, floor);
    return gmoe_em_estep(m, data, ws, ws->resp);
}
