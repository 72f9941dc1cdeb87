/* model.c -- the model struct: allocation, copy, validation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gating.h"
#include "internal.h"

/* Arrays get room for one double at least: d or dg may be 0. */
static gmoe_model *model_alloc(gmoe_family family, size_t k, size_t d, size_t dg)
{
    if (k < 1 || (int)family < 0 || (int)family >= GMOE_NFAMILIES)
        return NULL;
    gmoe_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->family = family;
    m->k = k;
    m->d = d;
    m->dg = dg;
    m->beta0 = calloc(k, sizeof(double));
    m->beta1 = calloc(k * dg + 1, sizeof(double));
    m->a = calloc(k * d + 1, sizeof(double));
    m->b = calloc(k, sizeof(double));
    m->sigma2 = malloc(k * sizeof(double));
    if (!m->beta0 || !m->beta1 || !m->a || !m->b || !m->sigma2) {
        gmoe_model_free(m);
        return NULL;
    }
    for (size_t i = 0; i < k; i++)
        m->sigma2[i] = 1.0;
    m->tau = 1.0;
    m->top_k = k;
    m->select = GMOE_SELECT_SLOPE;
    m->act = GMOE_ACT_TANH;
    m->bias = GMOE_BIAS_OUTSIDE;
    return m;
}

gmoe_model *gmoe_model_alloc(gmoe_family family, size_t k, size_t d)
{
    return d < 1 ? NULL : model_alloc(family, k, d, d);
}

gmoe_model *gmoe_model_alloc_gate(gmoe_family family, size_t k, size_t d, size_t dg)
{
    gmoe_model *m = model_alloc(family, k, d, dg);
    if (m)
        m->gate_own = 1;
    return m;
}

gmoe_model *gmoe_model_alloc_like(const gmoe_model *src)
{
    if (src->gate_own)
        return gmoe_model_alloc_gate(src->family, src->k, src->d, src->dg);
    return gmoe_model_alloc(src->family, src->k, src->d);
}

static void free_name_list(char **names, size_t n)
{
    for (size_t j = 0; names && j < n; j++)
        free(names[j]);
    free(names);
}

/* A copy of n names (entries may be NULL) into *out; GMOE_ENOMEM. */
static int copy_name_list(const char *const *names, size_t n, char ***out)
{
    *out = NULL;
    if (!names)
        return GMOE_OK;
    char **c = calloc(n + 1, sizeof(char *));
    for (size_t j = 0; c && j < n; j++)
        if (names[j] && !(c[j] = gmoe_strdup(names[j]))) {
            free_name_list(c, n);
            return GMOE_ENOMEM;
        }
    *out = c;
    return c ? GMOE_OK : GMOE_ENOMEM;
}

int gmoe_model_set_gate_names(gmoe_model *m, const char *const *gxnames)
{
    if (!m->gate_own)
        return GMOE_EINVAL;
    char **c;
    if (copy_name_list(gxnames, m->dg, &c) != GMOE_OK)
        return GMOE_ENOMEM;
    free_name_list(m->gxnames, m->dg);
    m->gxnames = c;
    return GMOE_OK;
}

static void free_names(gmoe_model *m)
{
    free_name_list(m->xnames, m->d);
    free(m->yname);
    m->xnames = NULL;
    m->yname = NULL;
}

void gmoe_model_free(gmoe_model *m)
{
    if (!m)
        return;
    free(m->beta0);
    free(m->beta1);
    free(m->a);
    free(m->b);
    free(m->sigma2);
    free_names(m);
    free_name_list(m->gxnames, m->dg);
    gmoe_factors_free(m->factors, m->nfactors);
    gmoe_inference_free(m->inference);
    gmoe_note_list_free(m->notes);
    free(m);
}

int gmoe_model_set_factors(gmoe_model *m, const gmoe_factor *factors, size_t n)
{
    gmoe_factor *f;
    if (gmoe_factors_copy(factors, n, &f) != GMOE_OK)
        return GMOE_ENOMEM;
    gmoe_factors_free(m->factors, m->nfactors);
    m->factors = f;
    m->nfactors = n;
    return GMOE_OK;
}

int gmoe_model_set_names(gmoe_model *m, const char *const *xnames, const char *yname)
{
    /* Build the new names first so that a failure leaves the old ones. */
    char **xs = NULL, *ys = NULL;
    if (copy_name_list(xnames, m->d, &xs) != GMOE_OK)
        return GMOE_ENOMEM;
    if (yname && !(ys = gmoe_strdup(yname))) {
        free_name_list(xs, m->d);
        return GMOE_ENOMEM;
    }
    free_names(m);
    m->xnames = xs;
    m->yname = ys;
    return GMOE_OK;
}

void gmoe_model_copy_options(gmoe_model *dst, const gmoe_model *src)
{
    dst->tau = src->tau;
    dst->top_k = src->top_k;
    dst->select = src->select;
    dst->act = src->act;
    dst->bias = src->bias;
}

void gmoe_model_copy_params(gmoe_model *dst, const gmoe_model *src)
{
    size_t k = src->k, d = src->d;
    memcpy(dst->beta0, src->beta0, k * sizeof(double));
    memcpy(dst->beta1, src->beta1, k * src->dg * sizeof(double));
    memcpy(dst->a, src->a, k * d * sizeof(double));
    memcpy(dst->b, src->b, k * sizeof(double));
    memcpy(dst->sigma2, src->sigma2, k * sizeof(double));
    dst->family = src->family;
    gmoe_model_copy_options(dst, src);
    dst->tau_estimated = src->tau_estimated;
    dst->has_fit = src->has_fit;
    dst->fit = src->fit;
}

int gmoe_model_copy(gmoe_model *dst, const gmoe_model *src)
{
    if (dst == src)
        return GMOE_OK;
    if (dst->k != src->k || dst->d != src->d || dst->dg != src->dg ||
        dst->gate_own != src->gate_own)
        return GMOE_EINVAL;
    gmoe_model_copy_params(dst, src);
    /* dst's standard errors belonged to its old parameters */
    gmoe_inference_free(dst->inference);
    dst->inference = NULL;
    gmoe_note_list_free(dst->notes); /* so were its notes */
    dst->notes = NULL;
    int status = GMOE_OK;
    if (dst->factors != src->factors)
        status = gmoe_model_set_factors(dst, src->factors, src->nfactors);
    if (status == GMOE_OK && (dst->xnames != src->xnames || dst->yname != src->yname))
        status = gmoe_model_set_names(dst, (const char *const *)src->xnames, src->yname);
    if (status == GMOE_OK && src->gate_own && dst->gxnames != src->gxnames)
        status = gmoe_model_set_gate_names(dst, (const char *const *)src->gxnames);
    return status;
}

gmoe_model *gmoe_model_clone(const gmoe_model *src)
{
    gmoe_model *m = gmoe_model_alloc_like(src);
    if (m && gmoe_model_copy(m, src) != GMOE_OK) {
        gmoe_model_free(m);
        return NULL;
    }
    return m;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

int gmoe_model_check(const gmoe_model *m, gmoe_err *err)
{
    if (!m)
        return gmoe_error(err, GMOE_EINVAL, "no model");
    if (m->k < 1 || (!m->gate_own && (m->d < 1 || m->dg != m->d)))
        return gmoe_error(err, GMOE_EINVAL, "model needs k >= 1 and d >= 1 (got k = %zu, d = %zu)", m->k, m->d);
    const char *field = "family";
    int st = gmoe_model_options_validate(m, &field, err);
    if (st) /* "top_k must be 1 to k = 2 (got 3)" */
        return gmoe_error_named(err, st, field);
    const gmoe_gating *g = gmoe_gating_get(m->family);
    size_t k = m->k, d = m->d;
    if (!all_finite(m->beta0, k) || !all_finite(m->beta1, k * m->dg))
        return gmoe_error(err, GMOE_EINVAL, "gate parameters must be finite");
    if (!all_finite(m->a, k * d) || !all_finite(m->b, k))
        return gmoe_error(err, GMOE_EINVAL, "expert parameters must be finite");
    for (size_t i = 0; i < k; i++)
        if (!(m->sigma2[i] > 0) || !isfinite(m->sigma2[i]))
            return gmoe_error(err, GMOE_EINVAL, "expert %zu: sigma2 must be finite and > 0 (got %g)", i + 1, m->sigma2[i]);
    if (m->dg == 0 && m->tau_estimated && (g->options & GMOE_FAMILY_OPT_TAU))
        return gmoe_error(err, GMOE_EINVAL,
                          "a constant gate (no gate covariate) cannot estimate tau: the %s gate's "
                          "tau is not identified without a gate covariate", g->name);
    if (g->check)
        return g->check(m, err);
    return GMOE_OK;
}
