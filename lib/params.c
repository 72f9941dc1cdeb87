/* params.c -- the free parameters of a model (MODELS.md section 4): their
 * number, order, names, and packing to and from a vector. */
#include <stdio.h>
#include <stdlib.h>

#include "gating.h"
#include "internal.h"
#include "params.h"

void gmoe_layout_init(gmoe_layout *L, const gmoe_model *m)
{
    const gmoe_gating *g = gmoe_gating_get(m->family);
    L->k = m->k;
    L->d = m->d;
    L->dg = m->dg;
    /* One expert: its gate is 1 whatever beta and tau are, so none of them
     * is a free parameter (the activation gate's slope would otherwise be
     * one, without information: a Hessian never negative definite). */
    L->pins_last_slope = g && m->k > 1 ? g->pins_last_slope : 1;
    L->has_tau = g && m->k > 1 && (g->options & GMOE_FAMILY_OPT_TAU) && m->tau_estimated;
    L->P = gmoe_layout_offset(L, m->k - 1) + gmoe_layout_gate_free(L, m->k - 1) + m->d + 2 +
           (L->has_tau ? 1 : 0);
}

size_t gmoe_model_nfree(const gmoe_model *m)
{
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    return L.P;
}

/* The free parameters, but a scale-free family's estimated tau: it is
 * one of them, yet the normalization takes one away (the likelihood is
 * invariant along (beta, tau) -> c (beta, tau)). */
size_t gmoe_model_npar(const gmoe_model *m)
{
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    int invariant = L.has_tau && (gmoe_family_properties(m->family) & GMOE_FAMILY_SCALE_FREE);
    return L.P - (invariant ? 1 : 0);
}

/* Visits every free parameter: f(ctx, index, &value). */
static void layout_each(const gmoe_layout *L, gmoe_model *m,
                        void (*f)(void *ctx, size_t j, double *v), void *ctx)
{
    size_t d = L->d, dg = L->dg;
    for (size_t i = 0; i < L->k; i++) {
        for (size_t u = 0; u <= dg; u++) {
            long j = gmoe_layout_gate(L, i, u);
            if (j >= 0)
                f(ctx, (size_t)j, u == 0 ? &m->beta0[i] : &m->beta1[i * dg + u - 1]);
        }
        for (size_t s = 0; s < d; s++)
            f(ctx, gmoe_layout_expert(L, i, s), &m->a[i * d + s]);
        f(ctx, gmoe_layout_expert(L, i, d), &m->b[i]);
        f(ctx, gmoe_layout_expert(L, i, d + 1), &m->sigma2[i]);
    }
    if (L->has_tau)
        f(ctx, L->P - 1, &m->tau);
}

static void get_one(void *ctx, size_t j, double *v)
{
    ((double *)ctx)[j] = *v;
}

static void set_one(void *ctx, size_t j, double *v)
{
    *v = ((const double *)ctx)[j];
}

void gmoe_layout_pack(const gmoe_layout *L, const gmoe_model *m, double *theta)
{
    /* layout_each only reads through the pointers here */
    layout_each(L, (gmoe_model *)m, get_one, theta);
}

void gmoe_layout_unpack(const gmoe_layout *L, gmoe_model *m, const double *theta)
{
    m->beta0[L->k - 1] = 0.0;
    if (L->pins_last_slope)
        for (size_t u = 0; u < L->dg; u++)
            m->beta1[(L->k - 1) * L->dg + u] = 0.0;
    layout_each(L, m, set_one, (void *)theta);
}

/* Name of covariate u: the model's column name, else "x1", "x2", ...
 * (gate: of the gate's covariates; "z1", "z2", ... when they are its own
 * and unnamed). */
static int covariate_name(const gmoe_model *m, int gate, size_t u, char *buf, size_t len)
{
    char *const *names = gate && m->gate_own ? m->gxnames : m->xnames;
    if (names && names[u])
        return snprintf(buf, len, "%s", names[u]);
    return snprintf(buf, len, gate && m->gate_own ? "z%zu" : "x%zu", u + 1);
}

int gmoe_param_name(const gmoe_model *m, size_t j, char *buf, size_t len)
{
    gmoe_layout L;
    if (!m || !buf || len == 0)
        return GMOE_EINVAL;
    gmoe_layout_init(&L, m);
    if (j >= L.P)
        return GMOE_EINVAL;
    char cov[256];
    size_t d = L.d;
    int n = 0;
    if (L.has_tau && j == L.P - 1)
        n = snprintf(buf, len, "tau");
    for (size_t i = 0; i < L.k && n == 0; i++) {
        size_t o = j - gmoe_layout_offset(&L, i), gf = gmoe_layout_gate_free(&L, i);
        if (j < gmoe_layout_offset(&L, i) || o >= gf + d + 2)
            continue;
        /* a gate without beta0 (activation's last) starts at beta1 */
        size_t u = i + 1 == L.k && !L.pins_last_slope ? o + 1 : o;
        if (o < gf && u == 0) {
            n = snprintf(buf, len, "beta0[%zu]", i + 1);
        } else if (o < gf) {
            covariate_name(m, 1, u - 1, cov, sizeof cov);
            n = snprintf(buf, len, "beta1[%zu,%s]", i + 1, cov);
        } else if (o - gf < d) {
            covariate_name(m, 0, o - gf, cov, sizeof cov);
            n = snprintf(buf, len, "a[%zu,%s]", i + 1, cov);
        } else {
            n = snprintf(buf, len, o - gf == d ? "b[%zu]" : "sigma2[%zu]", i + 1);
        }
    }
    return n > 0 && (size_t)n < len ? GMOE_OK : GMOE_EINVAL;
}

int gmoe_layout_scale_gradient(const gmoe_layout *L, const gmoe_model *m, double *c)
{
    if (!(gmoe_family_properties(m->family) & GMOE_FAMILY_SCALE_FREE) || !L->has_tau)
        return 0;
    double *centred = malloc(L->k * L->dg * sizeof(double));
    if (!centred)
        return -1;
    gmoe_temperature_centred_slopes(m, centred);
    for (size_t j = 0; j < L->P; j++)
        c[j] = 0.0;
    for (size_t i = 0; i < L->k; i++)
        for (size_t u = 1; u <= L->dg; u++) {
            long a = gmoe_layout_gate(L, i, u);
            if (a >= 0)
                c[a] = centred[i * L->dg + u - 1];
        }
    free(centred);
    return 1;
}
