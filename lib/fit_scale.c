/* fit_scale.c -- covariates and a response of extreme magnitude are
 * fitted on a copy scaled by powers of two, and the model reported on the
 * data's scale.
 *
 * Why: the fit's sums (the covariates' standard deviations, the gate's
 * Newton sums) square the covariates.  Beyond about 1e153 the squares
 * overflowed and the standardized covariates became 0, so EM
 * "converged" to a fit without slopes; below about 1e-165 they
 * underflowed (issue 16, fault 5).  A response far from 1 in magnitude
 * (y times 1e-20 or 1e100) left the gradient test and the Newton phase
 * out of scale: the maximum was found but said "stalled" or "saddle", and
 * beyond 1e160 every run overflowed.  A power of two scales exactly, so the
 * fit on the copy is the fit on the data, and only columns far outside
 * the range where the sums are safe are touched (ordinary data keep their
 * bits). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fit_scale.h"
#include "gating.h"
#include "chain.h"
#include "internal.h"
#include "params.h"

/* Columns whose largest |x| is within [2^-SAFE_EXP, 2^SAFE_EXP] are left
 * alone: n * x^2 stays far from overflow and underflow for any n. */
#define SAFE_EXP 64
/* The response is scaled beyond [2^-Y_SAFE_EXP, 2^Y_SAFE_EXP]: its
 * variances are its square, and the gradient test is on the scale of
 * the lines' coefficients. */
#define Y_SAFE_EXP 32

typedef struct {
    const double *x;
    size_t n, d, j;
} column_job;

/* Column j's largest |x| into buf[0]; buf[1] 1 once a first value is in
 * buf[2]; buf[3] 1 if a value differs from it: over every shard. */
static void column_extent(void *job, double *buf)
{
    const column_job *c = job;
    /* in registers: through buf, each row stored and reloaded them; and
     * a comparison, not fmax (a call into libm per row; the same largest
     * value: a NaN is passed over by both) */
    if (buf[1] == 0.0 && c->n > 0) {
        buf[1] = 1.0;
        buf[2] = c->x[c->j];
    }
    double big = buf[0], first = buf[2], differs = buf[3];
    for (size_t r = 0; r < c->n; r++) {
        double v = c->x[r * c->d + c->j], a = fabs(v);
        if (a > big)
            big = a;
        if (v != first)
            differs = 1.0;
    }
    buf[0] = big, buf[3] = differs;
}

/* The factor for one column: 1, or 2^(e-1) with max |x| = f 2^e, f in
 * [1/2, 1), so that the scaled column's largest |x| is in [1, 2), when
 * e - 1 is beyond +-safe. */
static double column_scale(const gmoe_data *data, const double *x, size_t d, size_t j, int safe)
{
    double ext[4];
    column_job c = {x, data->n, d, j};
    gmoe_chain_run(data, ext, 4, column_extent, &c);
    double big = ext[0];
    int constant = ext[3] == 0.0;
    if (constant || !isfinite(big))
        return 1.0; /* the fit's checks refuse it, naming the value as given */
    int e;
    frexp(big, &e);
    return e - 1 > safe || e - 1 < -safe ? ldexp(1.0, e - 1) : 1.0;
}

static void scale_slopes(gmoe_model *m, const double *scale, const double *gscale, int divide)
{
    /* exact: the factors are powers of two */
    for (size_t i = 0; i < m->k; i++) {
        for (size_t j = 0; j < m->dg; j++)
            m->beta1[i * m->dg + j] *= divide ? 1.0 / gscale[j] : gscale[j];
        for (size_t j = 0; j < m->d; j++)
            m->a[i * m->d + j] *= divide ? 1.0 / scale[j] : scale[j];
    }
}

/* The factors of the d columns of x (n rows) into scale; 1 if any differs
 * from 1. */
static int column_scales(const gmoe_data *data, const double *x, size_t d, double *scale)
{
    int active = 0;
    for (size_t j = 0; j < d; j++)
        active |= (scale[j] = column_scale(data, x, d, j, SAFE_EXP)) != 1.0;
    return active;
}

/* A copy of x (n*d) with column j divided by scale[j], or NULL. */
static double *scaled_copy(const double *x, size_t n, size_t d, const double *scale)
{
    double *c = malloc((n * d + 1) * sizeof(double));
    for (size_t u = 0; c && u < n * d; u++)
        c[u] = x[u] / scale[u % d];
    return c;
}

/* The experts' lines and variances, and the fit's log-likelihood and
 * floor, between the response's scales: to the copy's (divide) or back. */
static void scale_response(gmoe_model *m, const gmoe_fit_scaling *s, int divide)
{
    double f = divide ? 1.0 / s->yscale : s->yscale, ylog = divide ? s->ylog : -s->ylog;
    for (size_t i = 0; i < m->k; i++) {
        for (size_t j = 0; j < m->d; j++)
            m->a[i * m->d + j] *= f;
        m->b[i] *= f;
        m->sigma2[i] *= f * f;
    }
    m->fit.loglik += ylog;
    m->fit.aic -= 2 * ylog, m->fit.bic -= 2 * ylog, m->fit.icl -= 2 * ylog;
    m->fit.variance_floor *= f * f;
}

/* The response's factor (1: none) into s, and s->active when it is not 1. */
static void response_scale(const gmoe_data *data, gmoe_fit_scaling *s)
{
    s->yscale = data->y ? column_scale(data, data->y, 1, 0, Y_SAFE_EXP) : 1.0;
    s->ylog = s->yscale != 1.0 ? gmoe_data_total_weight(data) * log(s->yscale) : 0.0;
    s->active |= s->yscale != 1.0;
}

static int shape_matches(const gmoe_data *data, const gmoe_model *init)
{
    return !init || (init->d == data->d && init->gate_own == data->gate_own &&
                     (!data->gate_own || init->dg == data->dg));
}

int gmoe_fit_scaling_make(const gmoe_data *data, const gmoe_model *init, gmoe_fit_scaling *s,
                          gmoe_err *err)
{
    *s = (gmoe_fit_scaling){0};
    if (!data || !data->x || (data->d == 0 && !data->gate_own) || !shape_matches(data, init) ||
        (data->gate_own && !data->gx))
        return GMOE_OK;
    size_t d = data->d, dg = data->dg, n = data->n;
    s->scale = malloc((d + 1) * sizeof(double));
    s->gscale = data->gate_own ? malloc((dg + 1) * sizeof(double)) : NULL;
    if (!s->scale || (data->gate_own && !s->gscale)) {
        gmoe_fit_scaling_free(s);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    s->active = column_scales(data, data->x, d, s->scale);
    if (data->gate_own)
        s->active |= column_scales(data, data->gx, dg, s->gscale);
    response_scale(data, s);
    if (!s->active)
        return GMOE_OK;
    s->data = *data;
    s->data.x = scaled_copy(data->x, n, d, s->scale);
    s->data.gx = data->gate_own ? scaled_copy(data->gx, n, dg, s->gscale) : NULL;
    s->data.y = s->yscale != 1.0 ? scaled_copy(data->y, n, 1, &s->yscale) : NULL;
    if (init)
        s->init = gmoe_model_clone(init); /* with the names: the notes of inference name them */
    if (!s->data.x || (data->gate_own && !s->data.gx) || (s->yscale != 1.0 && !s->data.y) ||
        (init && !s->init)) {
        gmoe_fit_scaling_free(s);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    if (!s->data.y)
        s->data.y = data->y;
    if (s->init)
        scale_slopes(s->init, s->scale, s->gscale ? s->gscale : s->scale, 0);
    if (s->init && s->yscale != 1.0)
        scale_response(s->init, s, 1);
    return GMOE_OK;
}

/* GMOE_ENUMERIC naming column j of names (what: "covariate" or "gate
 * covariate") when a restored slope is not finite. */
static int too_small(char *const *names, size_t j, const char *what, double scale, gmoe_err *err)
{
    char name[128];
    if (names && names[j])
        snprintf(name, sizeof name, "\"%s\"", names[j]);
    else
        snprintf(name, sizeof name, "%zu", j + 1);
    return gmoe_error(err, GMOE_ENUMERIC,
                      "%s %s: its values are so small (largest |x| about %.3g) that the "
                      "fitted slopes are beyond a double on its scale; multiply the column by "
                      "a power of ten", what, name, scale);
}

/* Temperature with tau estimated: the gate and tau divided by the power of
 * two nearest beta1's largest entry, an exact move along the likelihood's
 * invariant scale, so that the normalization's sum of squares of beta1
 * stays within a double (at x times 1e-200 beta1 is about 1e200 here, its
 * square overflowed and the model was left with ||beta1||_F = 1e200). */
static void orbit_rescale(gmoe_model *m)
{
    if (!(gmoe_family_properties(m->family) & GMOE_FAMILY_SCALE_FREE) || !m->tau_estimated)
        return;
    double big = 0.0;
    for (size_t u = 0; u < m->k * m->dg; u++)
        big = fmax(big, fabs(m->beta1[u]));
    int e;
    if (!(big > 0) || !isfinite(big))
        return;
    frexp(big, &e);
    for (size_t i = 0; i < m->k; i++) {
        m->beta0[i] = ldexp(m->beta0[i], -e);
        for (size_t j = 0; j < m->dg; j++)
            m->beta1[i * m->dg + j] = ldexp(m->beta1[i * m->dg + j], -e);
    }
    m->tau = ldexp(m->tau, -e);
}

int gmoe_fit_scaling_restore(const gmoe_fit_scaling *s, gmoe_model *m, gmoe_err *err)
{
    if (!s->active)
        return GMOE_OK;
    const double *gscale = s->gscale ? s->gscale : s->scale;
    char *const *gnames = s->gscale ? s->data.gxnames : s->data.xnames;
    scale_slopes(m, s->scale, gscale, 1);
    if (s->yscale != 1.0)
        scale_response(m, s, 0);
    for (size_t i = 0; i < m->k; i++) {
        for (size_t j = 0; j < m->dg; j++)
            if (!isfinite(m->beta1[i * m->dg + j]))
                return too_small(gnames, j, s->gscale ? "gate covariate" : "covariate", gscale[j],
                                 err);
        for (size_t j = 0; j < m->d; j++)
            if (!isfinite(m->a[i * m->d + j]))
                return too_small(s->data.xnames, j, "covariate", s->scale[j], err);
        if (!isfinite(m->b[i]) || !isfinite(m->sigma2[i]) || !(m->sigma2[i] >= DBL_MIN))
            return gmoe_error(err, GMOE_ENUMERIC,
                              "the response%s%s%s: its values are so %s (largest |y| about %.3g) "
                              "that the fitted variances are beyond a double on its scale; %s the "
                              "column by a power of ten",
                              s->data.yname ? " \"" : "", s->data.yname ? s->data.yname : "",
                              s->data.yname ? "\"" : "", s->yscale > 1 ? "large" : "small",
                              s->yscale, s->yscale > 1 ? "divide" : "multiply");
    }
    const gmoe_gating *g = gmoe_gating_get(m->family);
    orbit_rescale(m);
    if (g && g->normalize)
        g->normalize(m); /* a convention on beta1's norm, as after each M-step */
    return GMOE_OK;
}

/* The factor of each free parameter (L's order) from the copy's scale to
 * the data's: what gmoe_fit_scaling_restore multiplies it by before the
 * family's normalization (beta0 and tau: 1). */
static void parameter_factors(const gmoe_fit_scaling *s, const gmoe_layout *L, double *f)
{
    const double *gscale = s->gscale ? s->gscale : s->scale;
    for (size_t j = 0; j < L->P; j++)
        f[j] = 1.0;
    for (size_t i = 0; i < L->k; i++) {
        for (size_t u = 1; u <= L->dg; u++) {
            long a = gmoe_layout_gate(L, i, u);
            if (a >= 0)
                f[a] = 1.0 / gscale[u - 1];
        }
        for (size_t j = 0; j < L->d; j++)
            f[gmoe_layout_expert(L, i, j)] = s->yscale / s->scale[j];
        f[gmoe_layout_expert(L, i, L->d)] = s->yscale;
        f[gmoe_layout_expert(L, i, L->d + 1)] = s->yscale * s->yscale;
    }
}

static int scale_free_tau(const gmoe_model *m, const gmoe_layout *L)
{
    return (gmoe_family_properties(m->family) & GMOE_FAMILY_SCALE_FREE) && L->has_tau;
}

void gmoe_fit_scaling_normalize_init(gmoe_fit_scaling *s)
{
    const gmoe_gating *g = s->init ? gmoe_gating_get(s->init->family) : NULL;
    if (s->active)
        orbit_rescale(s->init);
    if (s->active && g && g->normalize)
        g->normalize(s->init);
}

/* Temperature with tau estimated: the data's model m is t N(D theta) with
 * theta the copy's (s->init, normalized), D the factors f, N the
 * normalization ||beta1 - mean||_F = 1 (slopes centred over the k
 * experts) and t = m's ||beta1 - mean||_F, so its gate block is (t / c)
 * D theta's (c = ||D beta1 - mean||_F, the same ratio as m's tau over the
 * copy's).  N's Jacobian, I - g b' / c^2 (g the gate entries and tau of
 * D theta, b its centred beta1 entries: f is the same for every expert,
 * so D commutes with the centring), conjugated by diag(e), e = f t / c on
 * the gate, is I - u w' with u the copy's gate entries and tau and
 * w_j = f_j^2 cb_j / sum f^2 cb beta1 (cb the copy's centred slopes;
 * sum cb beta1 over the free entries = sum cb^2 over all k; f taken
 * relative to its largest, which cancels: no overflow).
 * cov = (I - u w') cov (I - u w')'.
 * GMOE_ENOMEM. */
static int orbit_projection(const gmoe_model *m, const gmoe_model *copy, const gmoe_layout *L,
                            double *cov, double *e)
{
    size_t P = L->P;
    double *u = calloc(3 * P + 1 + L->k * L->dg, sizeof(double)), ss = 0.0, big = 0.0, q = 0.0;
    if (!u)
        return GMOE_ENOMEM;
    double *w = u + P, *v = w + P, *centred = v + P + 1;
    gmoe_layout_pack(L, copy, v);
    gmoe_temperature_centred_slopes(copy, centred);
    u[P - 1] = v[P - 1], e[P - 1] *= m->tau / copy->tau;
    for (size_t i = 0; i < L->k; i++)
        for (size_t c = 0; c <= L->dg; c++) {
            long a = gmoe_layout_gate(L, i, c);
            if (a >= 0) {
                u[a] = v[a], e[a] *= m->tau / copy->tau;
                big = c > 0 ? fmax(big, fabs(e[a])) : big;
            }
        }
    for (size_t i = 0; i < L->k; i++)
        for (size_t c = 1; c <= L->dg; c++) {
            long a = gmoe_layout_gate(L, i, c);
            if (a >= 0)
                ss += (w[a] = (e[a] / big) * (e[a] / big) * centred[i * L->dg + c - 1]) * u[a];
        }
    for (size_t i = 0; ss > 0 && i < P; i++)
        w[i] /= ss;
    for (size_t i = 0; i < P; i++) {
        v[i] = 0.0;
        for (size_t j = 0; j < P; j++)
            v[i] += cov[i * P + j] * w[j];
        q += w[i] * v[i];
    }
    for (size_t i = 0; ss > 0 && i < P; i++)
        for (size_t j = 0; j < P; j++)
            cov[i * P + j] += -(u[i] * v[j] + v[i] * u[j]) + u[i] * u[j] * q;
    free(u);
    return GMOE_OK;
}

int gmoe_fit_scaling_map_cov(const gmoe_fit_scaling *s, const gmoe_model *m, double *cov,
                             double *e)
{
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    for (size_t j = 0; j < L.P; j++)
        e[j] = 1.0;
    if (!s->active)
        return GMOE_OK;
    parameter_factors(s, &L, e);
    if (scale_free_tau(m, &L))
        return orbit_projection(m, s->init, &L, cov, e);
    return GMOE_OK;
}

void gmoe_fit_scaling_free(gmoe_fit_scaling *s)
{
    free(s->data.x);
    if (s->gscale)
        free(s->data.gx);
    if (s->yscale != 1.0 && s->yscale != 0.0)
        free(s->data.y);
    gmoe_model_free(s->init);
    free(s->scale);
    free(s->gscale);
    *s = (gmoe_fit_scaling){0};
}
