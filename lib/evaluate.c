/* evaluate.c -- the model as a conditional density, one row at a time:
 * gates, densities, responsibilities and predictions (the log-likelihood
 * of a data set, gmoe_loglik, is the E-step's: estep.c). */
#include <math.h>
#include <stdlib.h>

#include "gating.h"
#include "internal.h"

#define SMALL_K 64 /* rows with k <= SMALL_K use stack scratch */

void gmoe_log_gate(const gmoe_model *m, const double *x, double *logg)
{
    gmoe_gating_get(m->family)->log_gate(m, x, logg);
}

double gmoe_responsibilities(const gmoe_model *m, const double *x, double y, double *resp)
{
    return gmoe_responsibilities_gx(m, x, x, y, resp);
}

double gmoe_responsibilities_gx(const gmoe_model *m, const double *x, const double *gx,
                                double y, double *resp)
{
    size_t k = m->k;
    double stack[SMALL_K];
    double *lj = k <= SMALL_K ? stack : malloc(k * sizeof(double));
    if (!lj)
        return NAN;
    gmoe_log_gate(m, gx ? gx : x, lj);
    for (size_t i = 0; i < k; i++)
        if (lj[i] > -INFINITY)
            lj[i] += gmoe_log_normal(y, gmoe_expert_mean(m, i, x), m->sigma2[i]);
    gmoe_lse_parts lse = gmoe_logsumexp_parts(lj, k);
    if (resp)
        for (size_t i = 0; i < k; i++)
            resp[i] = lj[i] > -INFINITY ? exp(gmoe_lse_sub(lj[i], lse)) : 0.0;
    if (lj != stack)
        free(lj);
    return gmoe_lse_value(lse);
}

double gmoe_log_density(const gmoe_model *m, const double *x, double y)
{
    return gmoe_responsibilities_gx(m, x, x, y, NULL);
}

double gmoe_log_density_gx(const gmoe_model *m, const double *x, const double *gx, double y)
{
    return gmoe_responsibilities_gx(m, x, gx, y, NULL);
}

/* log(sigma2 + e^2) without overflow for any finite e. */
static double log_sum_squares(double sigma2, double e)
{
    double s = sqrt(sigma2), t = fmax(s, fabs(e));
    return 2.0 * log(t) + log((s / t) * (s / t) + (e / t) * (e / t));
}

void gmoe_predict(const gmoe_model *m, const double *x, double *mean,
                  double *var, double *gate, size_t *best)
{
    gmoe_predict_gx(m, x, x, mean, var, gate, best);
}

void gmoe_predict_gx(const gmoe_model *m, const double *x, const double *gx, double *mean,
                     double *var, double *gate, size_t *best)
{
    size_t k = m->k;
    double stack[SMALL_K];
    double *logg = k <= SMALL_K ? stack : malloc(k * sizeof(double));
    if (!logg) {
        *mean = *var = NAN;
        return;
    }
    gmoe_log_gate(m, gx ? gx : x, logg);
    double mu = 0.0, v = 0.0, gbest = -1.0;
    for (size_t i = 0; i < k; i++) {
        double g = exp(logg[i]);
        mu += g * gmoe_expert_mean(m, i, x);
        if (gate)
            gate[i] = g;
        if (g > gbest) {
            gbest = g;
            if (best)
                *best = i;
        }
    }
    /* Law of total variance, E[var] + var[E], in two passes to avoid the
     * cancellation of E[y^2] - E[y]^2. */
    for (size_t i = 0; i < k; i++) {
        double e = gmoe_expert_mean(m, i, x) - mu;
        double term = exp(logg[i]) * (m->sigma2[i] + e * e);
        if (!isfinite(term)) /* e * e overflowed: a gate of 0 times inf, or a
                                tiny gate times a huge square; exact in logs */
            term = exp(logg[i] + log_sum_squares(m->sigma2[i], e));
        v += term;
    }
    *mean = mu;
    *var = v;
    if (logg != stack)
        free(logg);
}
