/* r_args.c -- checks and conversions shared by the R entry points
 * (r_args.h).  .C hands C nothing but pointers: every length comes from
 * R as a separate number and is checked here before an element is read. */
#include "config.h"

#include <gsl/gsl_errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gating.h"
#include "gmoe_r.h"
#include "internal.h"
#include "r_args.h"

/* ------------------------------------------------------------ reporting */

r_out r_begin(int *status, char **msg)
{
    gsl_set_error_handler_off();
    r_out o = {status, msg ? msg[0] : NULL, 0};
    if (o.buf)
        o.cap = strlen(o.buf);
    *status = GMOE_OK;
    if (o.buf)
        o.buf[0] = '\0';
    return o;
}

static void copy_bounded(char *dst, size_t cap, const char *src)
{
    size_t len = strlen(src);
    if (len > cap)
        len = cap;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

void r_finish(r_out *o, int st, const gmoe_err *err)
{
    *o->status = st;
    if (!o->buf)
        return;
    const char *text = "";
    if (st == GMOE_R_INTERRUPTED)
        text = err && err->msg[0] ? err->msg : "interrupted";
    else if (st != GMOE_OK)
        text = err && err->msg[0] ? err->msg : gmoe_strerror(st);
    copy_bounded(o->buf, o->cap, text);
}

void r_put_string(char **buf, const char *s)
{
    if (buf && buf[0])
        copy_bounded(buf[0], strlen(buf[0]), s ? s : "");
}

/* ------------------------------------------------------------ checks */

int r_check_length(int len, size_t want, const char *what, gmoe_err *err)
{
    if (len < 0 || (size_t)len != want)
        return gmoe_error(err, GMOE_EINVAL, "%s has length %d, expected %zu", what, len, want);
    return GMOE_OK;
}

int r_check_lens(const int *lens, const r_len *spec, size_t nspec, gmoe_err *err)
{
    for (size_t i = 0; i < nspec; i++) {
        int st = r_check_length(lens[spec[i].arg], spec[i].want, spec[i].name, err);
        if (st)
            return st;
    }
    return GMOE_OK;
}

int r_check_count(int v, int lo, const char *what, gmoe_err *err)
{
    if (v == INT_MIN)
        return gmoe_error(err, GMOE_EINVAL, "%s must be an integer >= %d (got NA)", what, lo);
    if (v < lo)
        return gmoe_error(err, GMOE_EINVAL, "%s must be an integer >= %d (got %d)", what, lo, v);
    return GMOE_OK;
}

int r_check_flag(int v, const char *what, gmoe_err *err)
{
    if (v != 0 && v != 1)
        return gmoe_error(err, GMOE_EINVAL, "%s must be TRUE or FALSE", what);
    return GMOE_OK;
}

/* Every entry finite; names the first bad one (1-based, as R counts). */
int r_check_finite(const double *v, size_t len, const char *what, gmoe_err *err)
{
    for (size_t i = 0; i < len; i++)
        if (!isfinite(v[i]))
            return gmoe_error(err, GMOE_EINVAL, "%s[%zu] is %s: only finite numbers are allowed",
                              what, i + 1, isnan(v[i]) ? "NA or NaN" : "infinite");
    return GMOE_OK;
}

int r_check_product(size_t a, size_t b, const char *what, gmoe_err *err)
{
    if (b != 0 && a > (size_t)INT_MAX / b)
        return gmoe_error(err, GMOE_EINVAL, "%s is too large (%zu x %zu)", what, a, b);
    return GMOE_OK;
}

int r_check_seed(double s, uint64_t *out, gmoe_err *err)
{
    if (!isfinite(s) || s < 0 || s > R_SEED_MAX || s != floor(s))
        return gmoe_error(err, GMOE_EINVAL,
                          "seed must be a whole number in [0, 2^53] (got %.17g)", s);
    *out = (uint64_t)s;
    return GMOE_OK;
}

int r_check_name(const char *s, int (*from_name)(const char *), const char *what,
                 const char *choices, int *out, gmoe_err *err)
{
    int v = s ? from_name(s) : -1;
    if (v < 0)
        return gmoe_error(err, GMOE_EINVAL, "unknown %s '%s' (one of: %s)", what,
                          s ? s : "", choices);
    *out = v;
    return GMOE_OK;
}

/* ------------------------------------------------------------ models */

size_t r_packed_len(size_t k, size_t d)
{
    return r_packed_len_gate(k, d, d);
}

size_t r_packed_len_gate(size_t k, size_t d, size_t dg)
{
    return k * (d + dg + 3) + 1;
}

/* The four names of a packed model: what each is and the names it takes
 * (the family's from the family table, when the message is written). */
static const struct {
    int (*from_name)(const char *);
    const char *what, *choices;
} packed_names[4] = {
    {gmoe_family_from_name, "gating family", NULL},
    {gmoe_select_from_name, "top-K selection", "slope, logit"},
    {gmoe_activation_from_name, "activation", "tanh, sigmoid, arctan, softsign"},
    {gmoe_bias_from_name, "bias placement", "outside, inside"}};

/* The family and its options from the names and integers of a packed
 * model whose two vectors have been checked to hold 4 entries each. */
static int unpack_options(const r_packed *pm, const char *pre, int opt[4], gmoe_err *err)
{
    char label[96], families[128];
    int st;
    gmoe_family_list(0, "", ", ", ", ", families, sizeof families);
    for (int i = 0; i < 4; i++) {
        snprintf(label, sizeof label, "%s%s", pre, packed_names[i].what);
        const char *choices = packed_names[i].choices ? packed_names[i].choices : families;
        if ((st = r_check_name(pm->names[i], packed_names[i].from_name, label, choices,
                               &opt[i], err)))
            return st;
    }
    const char *what[3] = {"k (number of experts)", "d (number of covariates)", "top_k"};
    for (int i = 0; i < 3; i++) {
        snprintf(label, sizeof label, "%s%s", pre, what[i]);
        /* d = 0 (experts without covariates) only beside a gate of its own */
        int least = i == 1 && pm->len_ints == 5 ? 0 : 1;
        if ((st = r_check_count(pm->ints[i], least, label, err)))
            return st;
    }
    snprintf(label, sizeof label, "%stau_estimated", pre);
    if ((st = r_check_flag(pm->ints[3], label, err)))
        return st;
    if (!gmoe_gating_get((gmoe_family)opt[0]))
        return gmoe_error(err, GMOE_ENOTSUP, "%sgating family '%s' is not implemented in this build",
                          pre, pm->names[0]);
    return GMOE_OK;
}

/* beta1 is k x dg (the gate's covariates), a is k x d (the experts'). */
static void unpack_params(const double *p, gmoe_model *m)
{
    size_t k = m->k, d = m->d, dg = m->dg;
    memcpy(m->beta0, p, k * sizeof(double));
    p += k;
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < dg; j++)
            m->beta1[i * dg + j] = p[i + k * j];
        for (size_t j = 0; j < d; j++)
            m->a[i * d + j] = p[k * dg + i + k * j];
    }
    p += k * (d + dg);
    memcpy(m->b, p, k * sizeof(double));
    memcpy(m->sigma2, p + k, k * sizeof(double));
}

int r_model_unpack(const r_packed *pm, int params, const char *what, gmoe_model **out,
                   gmoe_err *err)
{
    *out = NULL;
    char pre[48] = "", label[96];
    if (what)
        snprintf(pre, sizeof pre, "%s: ", what);
    int st, opt[4];
    snprintf(label, sizeof label, "%smodel names (family, select, activation, bias)", pre);
    if ((st = r_check_length(pm->len_names, 4, label, err)))
        return st;
    /* A fifth integer: the gate's own covariates (dg >= 0, gate_own). */
    snprintf(label, sizeof label, "%smodel integers (k, d, top_k, tau_estimated[, dg])", pre);
    if (pm->len_ints != 5 && (st = r_check_length(pm->len_ints, 4, label, err)))
        return st;
    snprintf(label, sizeof label, "%sdg (number of gate covariates)", pre);
    if ((st = unpack_options(pm, pre, opt, err)) ||
        (pm->len_ints == 5 && (st = r_check_count(pm->ints[4], 0, label, err))))
        return st;
    int gate_own = pm->len_ints == 5;
    size_t k = (size_t)pm->ints[0], d = (size_t)pm->ints[1];
    size_t dg = gate_own ? (size_t)pm->ints[4] : d;
    snprintf(label, sizeof label, "%sparameter vector", pre);
    if ((st = r_check_product(k, d + dg + 3, "model", err)) ||
        (st = r_check_length(pm->len_par, r_packed_len_gate(k, d, dg), label, err)))
        return st;
    gmoe_model *m = gate_own ? gmoe_model_alloc_gate((gmoe_family)opt[0], k, d, dg)
                             : gmoe_model_alloc((gmoe_family)opt[0], k, d);
    if (!m)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    m->select = (gmoe_select)opt[1];
    m->act = (gmoe_activation)opt[2];
    m->bias = (gmoe_bias_placement)opt[3];
    m->top_k = (size_t)pm->ints[2];
    m->tau_estimated = pm->ints[3];
    m->tau = pm->par[r_packed_len_gate(k, d, dg) - 1];
    if (params)
        unpack_params(pm->par, m);
    /* Unit variances and zero parameters when !params: the check then
     * covers the family options (tau, top_k) and the family's support. */
    if ((st = gmoe_model_check(m, err))) {
        /* Prefix the model's role so that the user knows which one. */
        char inner[GMOE_ERRMSG_LEN];
        copy_bounded(inner, sizeof inner - 1, err ? err->msg : "");
        gmoe_error(err, st, "%s%s", pre, inner);
        gmoe_model_free(m);
        return st;
    }
    *out = m;
    return GMOE_OK;
}

void r_model_pack(const gmoe_model *m, double *mpar)
{
    size_t k = m->k, d = m->d, dg = m->dg;
    double *p = mpar;
    memcpy(p, m->beta0, k * sizeof(double));
    p += k;
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < dg; j++)
            p[i + k * j] = m->beta1[i * dg + j];
        for (size_t j = 0; j < d; j++)
            p[k * dg + i + k * j] = m->a[i * d + j];
    }
    p += k * (d + dg);
    memcpy(p, m->b, k * sizeof(double));
    memcpy(p + k, m->sigma2, k * sizeof(double));
    p[2 * k] = m->tau;
}

void r_model_put_names(const gmoe_model *m, char **mnames)
{
    r_put_string(&mnames[0], gmoe_family_name(m->family));
    r_put_string(&mnames[1], gmoe_select_name(m->select));
    r_put_string(&mnames[2], gmoe_activation_name(m->act));
    r_put_string(&mnames[3], gmoe_bias_name(m->bias));
}

/* ------------------------------------------------------------ fit information */

void r_info_pack(const gmoe_fit_info *f, double *info)
{
    info[GMOE_R_LOGLIK] = f->loglik;
    info[GMOE_R_AIC] = f->aic;
    info[GMOE_R_BIC] = f->bic;
    info[GMOE_R_ICL] = f->icl;
    info[GMOE_R_NPAR] = (double)f->npar;
    info[GMOE_R_ITERATIONS] = (double)f->iterations;
    info[GMOE_R_CONVERGED] = f->converged ? 1.0 : 0.0;
    info[GMOE_R_STOP] = (double)f->stop;
    info[GMOE_R_N] = (double)f->n;
    info[GMOE_R_SEED] = (double)f->seed;
    info[GMOE_R_RESTARTS] = (double)f->restarts;
    info[GMOE_R_BEST_RESTART] = (double)f->best_restart;
    info[GMOE_R_GRAD_NORM] = f->grad_norm;
    info[GMOE_R_HESSIAN_ND] = f->hessian_nd ? 1.0 : 0.0;
    info[GMOE_R_FLOOR_GAIN] = f->floor_gain;
    info[GMOE_R_VARIANCE_FLOOR] = f->variance_floor;
    info[GMOE_R_SPURIOUS_EXPERT] = (double)f->spurious_expert;
    info[GMOE_R_SPURIOUS_ROWS] = f->spurious_rows;
    info[GMOE_R_SPURIOUS_RATIO] = f->spurious_ratio;
    info[GMOE_R_SPURIOUS_ROWS_FACTOR] = f->spurious_rows_factor;
    info[GMOE_R_SPURIOUS_RATIO_MAX] = f->spurious_ratio_max;
}

/* The spurious rule's part of the information (NA: an object made before
 * it existed, no spurious expert and the rule not known). */
static void spurious_unpack(const double *info, gmoe_fit_info *f)
{
    double e = info[GMOE_R_SPURIOUS_EXPERT], factor = info[GMOE_R_SPURIOUS_ROWS_FACTOR];
    double ratio_max = info[GMOE_R_SPURIOUS_RATIO_MAX];
    f->spurious_expert = isfinite(e) && e >= 1 && e == floor(e) && e <= GMOE_K_MAX ? (size_t)e : 0;
    f->spurious_rows = info[GMOE_R_SPURIOUS_ROWS];
    f->spurious_ratio = info[GMOE_R_SPURIOUS_RATIO];
    f->spurious_rows_factor = isfinite(factor) && factor > 0 ? factor : 0.0;
    f->spurious_ratio_max = isfinite(ratio_max) && ratio_max > 0 ? ratio_max : 0.0;
}

/* Counts in the information vector: whole numbers >= 0 that fit in size_t. */
static int info_count(double v, const char *what, size_t *out, gmoe_err *err)
{
    if (!isfinite(v) || v < 0 || v != floor(v) || v > R_SEED_MAX)
        return gmoe_error(err, GMOE_EINVAL, "fit information: %s must be a whole number >= 0", what);
    *out = (size_t)v;
    return GMOE_OK;
}

int r_info_unpack(const double *info, gmoe_fit_info *f, gmoe_err *err)
{
    memset(f, 0, sizeof *f);
    int st;
    if ((st = r_check_finite(info, GMOE_R_NPAR, "fit information (loglik, aic, bic, icl)", err)))
        return st;
    f->loglik = info[GMOE_R_LOGLIK];
    f->aic = info[GMOE_R_AIC];
    f->bic = info[GMOE_R_BIC];
    f->icl = info[GMOE_R_ICL];
    size_t stop;
    if ((st = info_count(info[GMOE_R_NPAR], "npar", &f->npar, err)) ||
        (st = info_count(info[GMOE_R_ITERATIONS], "iterations", &f->iterations, err)) ||
        (st = info_count(info[GMOE_R_STOP], "stop", &stop, err)) ||
        (st = info_count(info[GMOE_R_N], "n", &f->n, err)) ||
        (st = info_count(info[GMOE_R_RESTARTS], "restarts", &f->restarts, err)) ||
        (st = info_count(info[GMOE_R_BEST_RESTART], "best_restart", &f->best_restart, err)))
        return st;
    if (stop > GMOE_STOP_LAST)
        return gmoe_error(err, GMOE_EINVAL, "fit information: unknown stop code %zu", stop);
    f->stop = (gmoe_stop_reason)stop;
    f->converged = f->stop == GMOE_STOP_TOL;
    double h = info[GMOE_R_HESSIAN_ND];
    if (!isnan(h) && h != 0 && h != 1)
        return gmoe_error(err, GMOE_EINVAL, "fit information: hessian_nd must be 0, 1 or NA");
    f->hessian_nd = h == 1;
    f->grad_norm = info[GMOE_R_GRAD_NORM]; /* NaN: not computed */
    double gain = info[GMOE_R_FLOOR_GAIN]; /* NA: an object made before it existed */
    f->floor_gain = isfinite(gain) && gain > 0 ? gain : 0.0;
    double floor_var = info[GMOE_R_VARIANCE_FLOOR];
    f->variance_floor = isfinite(floor_var) && floor_var > 0 ? floor_var : 0.0;
    spurious_unpack(info, f);
    return r_check_seed(info[GMOE_R_SEED], &f->seed, err);
}

/* ------------------------------------------------------------ data */

int r_data_build(int n_in, size_t d, const double *x, int len_x, const double *y, int len_y,
                 gmoe_data *data, gmoe_err *err)
{
    memset(data, 0, sizeof *data);
    int st;
    if ((st = r_check_count(n_in, 1, "n (number of rows)", err)))
        return st;
    size_t n = (size_t)n_in;
    if ((st = r_check_product(n, d, "x", err)) || (st = r_check_length(len_x, n * d, "x", err)))
        return st;
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return gmoe_error(err, GMOE_EINVAL, "x[%zu, %zu] is %s: only finite numbers are allowed",
                              i % n + 1, i / n + 1, isnan(x[i]) ? "NA or NaN" : "infinite");
    if (y && ((st = r_check_length(len_y, n, "y", err)) || (st = r_check_finite(y, n, "y", err))))
        return st;
    data->x = malloc(n * d * sizeof(double));
    if (!data->x)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory copying x (%zu x %zu)", n, d);
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            data->x[r * d + j] = x[r + n * j];
    data->n = n;
    data->d = d;
    data->y = (double *)y;
    return GMOE_OK;
}

int r_data_build_model(int n, const gmoe_model *m, const double *x, int len_x,
                       const double *y, int len_y, gmoe_data *data, gmoe_err *err)
{
    size_t d = m->d, dg = m->gate_own ? m->dg : 0, cols = d + dg;
    int st = r_data_build(n, cols, x, len_x, y, len_y, data, err);
    if (st || !m->gate_own)
        return st;
    size_t rows = data->n;
    data->gx = malloc((rows * dg + 1) * sizeof(double));
    if (!data->gx) {
        free(data->x);
        data->x = NULL;
        return gmoe_error(err, GMOE_ENOMEM, "out of memory copying the gate's covariates");
    }
    /* Row r of [x, gx] to x (d) and gx (dg), in place: r * d <= r * cols. */
    for (size_t r = 0; r < rows; r++) {
        memcpy(data->gx + r * dg, data->x + r * cols + d, dg * sizeof(double));
        memmove(data->x + r * d, data->x + r * cols, d * sizeof(double));
    }
    data->d = d;
    data->dg = dg;
    data->gate_own = 1;
    return GMOE_OK;
}

int r_data_weights(gmoe_data *data, double *w, int len_w, gmoe_err *err)
{
    data->w = NULL;
    if (len_w == 0)
        return GMOE_OK;
    int st = r_check_length(len_w, data->n, "weights", err);
    if (st)
        return st;
    data->w = w;
    if ((st = gmoe_data_check_weights(data, err)))
        data->w = NULL; /* not ours to free either way */
    return st;
}
