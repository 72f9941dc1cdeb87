/* r_entry.c -- .C entry points for R (declared and documented in gmoe_r.h).
 *
 * Each entry point validates every argument against the lengths R passed,
 * converts R's column-major matrices to the library's row-major layout,
 * calls the library and reports through (status, msg).  No R headers: the
 * library builds and links without R. */
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

/* 2^53: the largest range of whole numbers a double holds exactly. */
#define R_SEED_MAX 9007199254740992.0

/* ------------------------------------------------------------ reporting */

/* Where a call reports: the status and R's message buffer, whose capacity
 * is the length of the string R passed (measured before anything is
 * written into it). */
typedef struct {
    int *status;
    char *buf;
    size_t cap;
} r_out;

static r_out r_begin(int *status, char **msg)
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

static void r_finish(r_out *o, int st, const gmoe_err *err)
{
    *o->status = st;
    if (!o->buf)
        return;
    const char *text = "";
    if (st != GMOE_OK)
        text = err && err->msg[0] ? err->msg : gmoe_strerror(st);
    copy_bounded(o->buf, o->cap, text);
}

/* Copies a string into a buffer R preallocated (capacity = its length). */
static void put_string(char **buf, const char *s)
{
    if (buf && buf[0])
        copy_bounded(buf[0], strlen(buf[0]), s ? s : "");
}

/* ------------------------------------------------------------ validation */

/* A count from R: NA_INTEGER is INT_MIN, so the range check refuses it. */
static int check_count(int v, int lo, const char *what, gmoe_err *err)
{
    if (v == INT_MIN)
        return gmoe_error(err, GMOE_EINVAL, "%s must be an integer >= %d (got NA)", what, lo);
    if (v < lo)
        return gmoe_error(err, GMOE_EINVAL, "%s must be an integer >= %d (got %d)", what, lo, v);
    return GMOE_OK;
}

static int check_length(int len, size_t want, const char *what, gmoe_err *err)
{
    if (len < 0 || (size_t)len != want)
        return gmoe_error(err, GMOE_EINVAL, "%s has length %d, expected %zu", what, len, want);
    return GMOE_OK;
}

/* Every entry finite; names the first bad one (1-based, as R counts). */
static int check_finite(const double *v, size_t len, const char *what, gmoe_err *err)
{
    for (size_t i = 0; i < len; i++)
        if (!isfinite(v[i]))
            return gmoe_error(err, GMOE_EINVAL, "%s[%zu] is %s: only finite numbers are allowed",
                              what, i + 1, isnan(v[i]) ? "NA or NaN" : "infinite");
    return GMOE_OK;
}

/* n*d without overflow of R's vector lengths. */
static int check_product(size_t a, size_t b, const char *what, gmoe_err *err)
{
    if (b != 0 && a > (size_t)INT_MAX / b)
        return gmoe_error(err, GMOE_EINVAL, "%s is too large (%zu x %zu)", what, a, b);
    return GMOE_OK;
}

static int check_seed(double s, uint64_t *out, gmoe_err *err)
{
    if (!isfinite(s) || s < 0 || s > R_SEED_MAX || s != floor(s))
        return gmoe_error(err, GMOE_EINVAL,
                          "seed must be a whole number in [0, 2^53] (got %.17g)", s);
    *out = (uint64_t)s;
    return GMOE_OK;
}

/* Name -> enum value through one of the library's name tables. */
static int check_name(const char *s, int (*from_name)(const char *), const char *what,
                      const char *choices, int *out, gmoe_err *err)
{
    int v = s ? from_name(s) : -1;
    if (v < 0)
        return gmoe_error(err, GMOE_EINVAL, "unknown %s '%s' (one of: %s)", what,
                          s ? s : "", choices);
    *out = v;
    return GMOE_OK;
}

/* The designs of gmoe_simulate_design, plus "given": x comes from R. */
#define R_DESIGN_GIVEN 3
static int design_from_name(const char *s)
{
    return strcmp(s, "given") == 0 ? R_DESIGN_GIVEN : gmoe_design_from_name(s);
}

/* ------------------------------------------------------------ models */

static size_t packed_len(size_t k, size_t d)
{
    return k * (2 * d + 3) + 1;
}

/* A model of the packed shape with the family and options of mnames and
 * mints, parameters from mpar when `params` (else zero gates and unit
 * variances), tau from mpar either way.  `what` names the model in
 * messages ("true model", ...; NULL for the only model of a call).  Checks everything that
 * gmoe_model_check checks when `params`; else only the family options. */
static int model_unpack(char **mnames, const int *mints, const double *mpar, int mlen,
                        int params, const char *what, gmoe_model **out, gmoe_err *err)
{
    *out = NULL;
    if (!mnames || !mints || !mpar)
        return gmoe_error(err, GMOE_EINVAL, "missing model vectors");
    int family, select, act, bias, st;
    char label[96], pre[48] = "";
    if (what)
        snprintf(pre, sizeof pre, "%s: ", what);
    snprintf(label, sizeof label, "%sgating family", pre);
    if ((st = check_name(mnames[0], gmoe_family_from_name, label,
                         "softmax, topk, temperature, activation", &family, err)))
        return st;
    snprintf(label, sizeof label, "%stop-K selection", pre);
    if ((st = check_name(mnames[1], gmoe_select_from_name, label, "slope, logit", &select, err)))
        return st;
    snprintf(label, sizeof label, "%sactivation", pre);
    if ((st = check_name(mnames[2], gmoe_activation_from_name, label,
                         "tanh, sigmoid, arctan, softsign", &act, err)))
        return st;
    snprintf(label, sizeof label, "%sbias placement", pre);
    if ((st = check_name(mnames[3], gmoe_bias_from_name, label, "outside, inside", &bias, err)))
        return st;
    snprintf(label, sizeof label, "%sk (number of experts)", pre);
    if ((st = check_count(mints[0], 1, label, err)))
        return st;
    snprintf(label, sizeof label, "%sd (number of covariates)", pre);
    if ((st = check_count(mints[1], 1, label, err)))
        return st;
    snprintf(label, sizeof label, "%stop_k", pre);
    if ((st = check_count(mints[2], 1, label, err)))
        return st;
    if (mints[3] != 0 && mints[3] != 1)
        return gmoe_error(err, GMOE_EINVAL, "%stau_estimated must be 0 or 1", pre);
    if (!gmoe_gating_get((gmoe_family)family))
        return gmoe_error(err, GMOE_ENOTSUP, "%sgating family '%s' is not implemented in this build",
                          pre, mnames[0]);
    size_t k = (size_t)mints[0], d = (size_t)mints[1];
    if ((st = check_product(k, 2 * d + 3, "model", err)))
        return st;
    snprintf(label, sizeof label, "%sparameter vector", pre);
    if ((st = check_length(mlen, packed_len(k, d), label, err)))
        return st;
    gmoe_model *m = gmoe_model_alloc((gmoe_family)family, k, d);
    if (!m)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    m->select = (gmoe_select)select;
    m->act = (gmoe_activation)act;
    m->bias = (gmoe_bias_placement)bias;
    m->top_k = (size_t)mints[2];
    m->tau_estimated = mints[3];
    m->tau = mpar[packed_len(k, d) - 1];
    if (params) {
        const double *p = mpar;
        memcpy(m->beta0, p, k * sizeof(double));
        p += k;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < d; j++) {
                m->beta1[i * d + j] = p[i + k * j];
                m->a[i * d + j] = p[k * d + i + k * j];
            }
        p += 2 * k * d;
        memcpy(m->b, p, k * sizeof(double));
        memcpy(m->sigma2, p + k, k * sizeof(double));
    }
    /* Unit variances and zero parameters when !params: the check then
     * covers the family options (tau, top_k) and the family's support. */
    st = gmoe_model_check(m, err);
    if (st) {
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

static void model_pack(const gmoe_model *m, double *mpar)
{
    size_t k = m->k, d = m->d;
    double *p = mpar;
    memcpy(p, m->beta0, k * sizeof(double));
    p += k;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < d; j++) {
            p[i + k * j] = m->beta1[i * d + j];
            p[k * d + i + k * j] = m->a[i * d + j];
        }
    p += 2 * k * d;
    memcpy(p, m->b, k * sizeof(double));
    memcpy(p + k, m->sigma2, k * sizeof(double));
    p[2 * k] = m->tau;
}

static void info_pack(const gmoe_fit_info *f, double *info)
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
}

/* Counts in the information vector: whole numbers >= 0 that fit in size_t. */
static int info_count(double v, const char *what, size_t *out, gmoe_err *err)
{
    if (!isfinite(v) || v < 0 || v != floor(v) || v > R_SEED_MAX)
        return gmoe_error(err, GMOE_EINVAL, "fit information: %s must be a whole number >= 0", what);
    *out = (size_t)v;
    return GMOE_OK;
}

static int info_unpack(const double *info, gmoe_fit_info *f, gmoe_err *err)
{
    memset(f, 0, sizeof *f);
    int st;
    if ((st = check_finite(info, GMOE_R_NPAR, "fit information (loglik, aic, bic, icl)", err)))
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
    if (stop > GMOE_STOP_NUMERIC)
        return gmoe_error(err, GMOE_EINVAL, "fit information: unknown stop code %zu", stop);
    f->stop = (gmoe_stop_reason)stop;
    f->converged = f->stop == GMOE_STOP_TOL;
    return check_seed(info[GMOE_R_SEED], &f->seed, err);
}

/* ------------------------------------------------------------ data */

/* A gmoe_data over R's vectors: x converted to row-major (owned), y
 * borrowed (may be NULL).  Checks lengths and finiteness. */
static int data_build(int n_in, size_t d, const double *x, int len_x, const double *y,
                      const int *len_y, gmoe_data *data, gmoe_err *err)
{
    memset(data, 0, sizeof *data);
    int st;
    if ((st = check_count(n_in, 1, "n (number of rows)", err)))
        return st;
    size_t n = (size_t)n_in;
    if ((st = check_product(n, d, "x", err)) || (st = check_length(len_x, n * d, "x", err)))
        return st;
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return gmoe_error(err, GMOE_EINVAL, "x[%zu, %zu] is %s: only finite numbers are allowed",
                              i % n + 1, i / n + 1, isnan(x[i]) ? "NA or NaN" : "infinite");
    if (len_y) {
        if ((st = check_length(*len_y, n, "y", err)) || (st = check_finite(y, n, "y", err)))
            return st;
    }
    data->x = malloc(n * d * sizeof(double));
    if (!data->x)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory copying x (%zu x %zu)", n, d);
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            data->x[r * d + j] = x[r + n * j];
    data->n = n;
    data->d = d;
    data->y = len_y ? (double *)y : NULL;
    return GMOE_OK;
}

/* malloc that reports running out of memory in err (and *st). */
static void *r_malloc(size_t bytes, int *st, gmoe_err *err)
{
    void *p = malloc(bytes);
    if (!p)
        *st = gmoe_error(err, GMOE_ENOMEM, "out of memory");
    return p;
}

static int check_threads(int t, gmoe_err *err)
{
    return check_count(t, 0, "threads (0 = OpenMP default)", err);
}

/* ------------------------------------------------------------ entry points */

void gmoe_r_model_check(char **mnames, int *mints, double *mpar, int *mlen,
                        int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    int st = model_unpack(mnames, mints, mpar, *mlen, 1, NULL, &m, &err);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

void gmoe_r_fit(char **mnames, int *mints, double *mpar, int *mlen, int *has_init,
                int *n, double *x, int *len_x, double *y, int *len_y,
                char **onames, int *oints, double *odbl,
                double *out_par, int *out_tau_estimated, double *info, char **stop,
                int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL, *init = NULL;
    gmoe_data data = {0};
    int st, v;
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);

    if (*has_init != 0 && *has_init != 1) {
        st = gmoe_error(&err, GMOE_EINVAL, "has_init must be 0 or 1");
        goto done;
    }
    if ((st = model_unpack(mnames, mints, mpar, *mlen, 0, NULL, &m, &err)))
        goto done;
    if (*has_init && (st = model_unpack(mnames, mints, mpar, *mlen, 1, "starting values", &init, &err)))
        goto done;
    if ((st = data_build(*n, m->d, x, *len_x, y, len_y, &data, &err)))
        goto done;

    if ((st = check_name(onames[0], gmoe_tol_rule_from_name, "tolerance rule",
                         "per-obs, relative, absolute", &v, &err)))
        goto done;
    opt.tol_rule = (gmoe_tol_rule)v;
    if ((st = check_name(onames[1], gmoe_accel_from_name, "acceleration", "squarem, none", &v, &err)))
        goto done;
    opt.accel = (gmoe_accel)v;
    if ((st = check_name(onames[2], gmoe_tau_mode_from_name, "tau mode", "fixed, estimate", &v, &err)))
        goto done;
    opt.tau_mode = (gmoe_tau_mode)v;
    if ((st = check_count(oints[0], 1, "restarts", &err)) ||
        (st = check_count(oints[1], 1, "max_iter", &err)) ||
        (st = check_threads(oints[2], &err)) ||
        (st = check_count(oints[3], 1, "gate_max_iter", &err)) ||
        (st = check_count(oints[4], 0, "accel_warmup", &err)))
        goto done;
    opt.restarts = (size_t)oints[0];
    opt.max_iter = (size_t)oints[1];
    opt.nthreads = oints[2];
    opt.gate_max_iter = (size_t)oints[3];
    opt.accel_warmup = (size_t)oints[4];
    if (!isfinite(odbl[0]) || odbl[0] < 0) {
        st = gmoe_error(&err, GMOE_EINVAL, "tol must be a finite number >= 0 (0: the rule's default)");
        goto done;
    }
    opt.tol = odbl[0];
    if ((st = check_seed(odbl[1], &opt.seed, &err)))
        goto done;
    if (!isfinite(odbl[2]) || odbl[2] < 0 || odbl[2] >= 1) {
        st = gmoe_error(&err, GMOE_EINVAL, "var_floor must be in [0, 1) (a fraction of var(y))");
        goto done;
    }
    opt.var_floor = odbl[2];
    if (!isfinite(odbl[3])) {
        st = gmoe_error(&err, GMOE_EINVAL, "min_weight must be a finite number (< 0: d + 2)");
        goto done;
    }
    opt.min_weight = odbl[3];
    if (!isfinite(odbl[4]) || odbl[4] < 0) {
        st = gmoe_error(&err, GMOE_EINVAL, "gate_tol must be a finite number >= 0");
        goto done;
    }
    opt.gate_tol = odbl[4];

    if ((st = gmoe_fit(&data, m, init, &opt, &err)))
        goto done;
    model_pack(m, out_par);
    *out_tau_estimated = m->tau_estimated;
    info_pack(&m->fit, info);
    put_string(stop, gmoe_stop_name(m->fit.stop));
done:
    free(data.x);
    gmoe_model_free(m);
    gmoe_model_free(init);
    r_finish(&o, st, &err);
}

void gmoe_r_predict(char **mnames, int *mints, double *mpar, int *mlen,
                    int *n, double *x, int *len_x,
                    double *mean, double *var, double *gate, int *best,
                    int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    gmoe_data data = {0};
    double *g = NULL;
    int st;
    if ((st = model_unpack(mnames, mints, mpar, *mlen, 1, NULL, &m, &err)) ||
        (st = data_build(*n, m->d, x, *len_x, NULL, NULL, &data, &err)))
        goto done;
    size_t k = m->k, d = m->d, rows = data.n;
    if ((st = check_product(rows, k, "gate probabilities", &err)))
        goto done;
    if (!(g = r_malloc(k * sizeof(double), &st, &err)))
        goto done;
    for (size_t r = 0; r < rows; r++) {
        size_t b;
        gmoe_predict(m, data.x + r * d, &mean[r], &var[r], g, &b);
        for (size_t i = 0; i < k; i++)
            gate[r + rows * i] = g[i];
        best[r] = (int)b + 1;
    }
done:
    free(g);
    free(data.x);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

void gmoe_r_loglik(char **mnames, int *mints, double *mpar, int *mlen,
                   int *n, double *x, int *len_x, double *y, int *len_y,
                   int *threads, double *loglik, double *logdens, double *resp,
                   int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    gmoe_data data = {0};
    double *rr = NULL;
    int st;
    if ((st = model_unpack(mnames, mints, mpar, *mlen, 1, NULL, &m, &err)) ||
        (st = data_build(*n, m->d, x, *len_x, y, len_y, &data, &err)) ||
        (st = check_threads(*threads, &err)) ||
        (st = check_product(data.n, m->k, "responsibilities", &err)))
        goto done;
    /* The total from gmoe_loglik, not the sum of logdens below: its fixed
     * blocks make it the number mixfit reports, for any thread count. */
    if ((st = gmoe_loglik(m, &data, *threads, loglik, &err)))
        goto done;
    size_t k = m->k, rows = data.n;
    if (!(rr = r_malloc(k * sizeof(double), &st, &err)))
        goto done;
    for (size_t r = 0; r < rows; r++) {
        logdens[r] = gmoe_responsibilities(m, data.x + r * m->d, data.y[r], rr);
        for (size_t i = 0; i < k; i++)
            resp[r + rows * i] = rr[i];
    }
done:
    free(rr);
    free(data.x);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

void gmoe_r_loss(char **fnames, int *fints, double *fpar, int *flen,
                 char **tnames, int *tints, double *tpar, int *tlen,
                 char **kind, int *translate, double *rbar, int *len_rbar,
                 double *res, int *kind_out, double *t1, int *cell, int *cell_size,
                 double *errs, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *f = NULL, *t = NULL;
    gmoe_loss_result *lr = NULL;
    gmoe_loss_options opt;
    gmoe_loss_options_default(&opt);
    int st, v;
    if ((st = model_unpack(fnames, fints, fpar, *flen, 1, "fitted model", &f, &err)) ||
        (st = model_unpack(tnames, tints, tpar, *tlen, 1, "true model", &t, &err)))
        goto done;
    if ((st = check_name(kind[0], gmoe_loss_kind_from_name, "loss kind", "auto, D1, D2", &v, &err)))
        goto done;
    opt.kind = (gmoe_loss_kind)v;
    if (*translate != 0 && *translate != 1) {
        st = gmoe_error(&err, GMOE_EINVAL, "translate must be TRUE or FALSE");
        goto done;
    }
    opt.translate = *translate;
    if (*len_rbar < 0 || *len_rbar > GMOE_RBAR_MAX) {
        st = gmoe_error(&err, GMOE_EINVAL, "rbar has %d entries, at most %d are allowed",
                        *len_rbar, GMOE_RBAR_MAX);
        goto done;
    }
    if (*len_rbar > 0) {
        if ((st = check_finite(rbar, (size_t)*len_rbar, "rbar", &err)))
            goto done;
        memset(opt.rbar, 0, sizeof opt.rbar);
        memcpy(opt.rbar, rbar, (size_t)*len_rbar * sizeof(double));
    }
    if ((st = gmoe_voronoi_loss(f, t, &opt, &lr, &err)))
        goto done;
    res[0] = lr->loss;
    res[1] = lr->loss_untranslated;
    res[2] = lr->t0;
    *kind_out = (int)lr->kind;
    memcpy(t1, lr->t1, lr->d * sizeof(double));
    for (size_t i = 0; i < lr->k; i++)
        cell[i] = (int)lr->cell[i] + 1;
    size_t ks = lr->kstar;
    const double *parts[6] = {lr->err_beta1, lr->err_a, lr->err_b,
                              lr->err_sigma2, lr->err_tau, lr->err_mass};
    for (size_t j = 0; j < ks; j++) {
        cell_size[j] = (int)lr->cell_size[j];
        for (size_t c = 0; c < 6; c++)
            errs[j + ks * c] = parts[c][j];
    }
done:
    gmoe_loss_result_free(lr);
    gmoe_model_free(f);
    gmoe_model_free(t);
    r_finish(&o, st, &err);
}

void gmoe_r_simulate(char **mnames, int *mints, double *mpar, int *mlen,
                     int *n, char **design, double *lo, double *hi, int *len_range,
                     double *seed, double *x, int *len_x, double *y, int *z,
                     int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    gmoe_data data = {0};
    size_t *zz = NULL;
    double *xr = NULL;
    uint64_t s;
    int st, des;
    if ((st = model_unpack(mnames, mints, mpar, *mlen, 1, NULL, &m, &err)) ||
        (st = check_name(design[0], design_from_name, "design", "uniform, normal, grid, given",
                         &des, &err)) ||
        (st = check_seed(*seed, &s, &err)) ||
        (st = check_count(*n, 1, "n (number of rows)", &err)))
        goto done;
    size_t rows = (size_t)*n, d = m->d;
    if (des == R_DESIGN_GIVEN) {
        if ((st = data_build(*n, d, x, *len_x, NULL, NULL, &data, &err)))
            goto done;
        xr = data.x;
        data.x = NULL;
    } else {
        if ((st = check_product(rows, d, "x", &err)) ||
            (st = check_length(*len_x, rows * d, "x", &err)))
            goto done;
        if (*len_range != 0) {
            if ((st = check_length(*len_range, d, "lo and hi", &err)))
                goto done;
        }
        if (!(xr = r_malloc(rows * d * sizeof(double), &st, &err)))
            goto done;
        if ((st = gmoe_simulate_design((gmoe_design)des, rows, d, *len_range ? lo : NULL,
                                       *len_range ? hi : NULL, gmoe_seed_derive(s, 0), xr, &err)))
            goto done;
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < d; j++)
                x[r + rows * j] = xr[r * d + j];
    }
    if (!(zz = r_malloc(rows * sizeof(size_t), &st, &err)))
        goto done;
    if ((st = gmoe_simulate_y(m, xr, rows, gmoe_seed_derive(s, 1), y, zz, &err)))
        goto done;
    for (size_t r = 0; r < rows; r++)
        z[r] = (int)zz[r] + 1;
done:
    free(zz);
    free(xr);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

/* ------------------------------------------------------------ model files */

static int check_path(char **path, gmoe_err *err)
{
    if (!path || !path[0] || !path[0][0])
        return gmoe_error(err, GMOE_EINVAL, "empty file name");
    return GMOE_OK;
}

void gmoe_r_model_dims(char **path, int *dims, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    int st;
    if ((st = check_path(path, &err)) || (st = gmoe_model_read(path[0], &m, &err)))
        goto done;
    if (m->k > (size_t)INT_MAX || m->d > (size_t)INT_MAX ||
        check_product(m->k, 2 * m->d + 3, "model", &err)) {
        st = gmoe_error(&err, GMOE_EINVAL, "%s: model too large for R", path[0]);
        goto done;
    }
    size_t longest = m->yname ? strlen(m->yname) : 0;
    for (size_t j = 0; m->xnames && j < m->d; j++)
        if (m->xnames[j] && strlen(m->xnames[j]) > longest)
            longest = strlen(m->xnames[j]);
    dims[0] = (int)m->k;
    dims[1] = (int)m->d;
    dims[2] = m->has_fit;
    dims[3] = longest > (size_t)INT_MAX ? INT_MAX : (int)longest;
done:
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

void gmoe_r_model_read(char **path, char **mnames, int *mints, double *mpar, int *mlen,
                       double *info, char **stop, char **xnames, char **yname,
                       int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    int st;
    if ((st = check_path(path, &err)) || (st = gmoe_model_read(path[0], &m, &err)))
        goto done;
    /* The file may have changed since gmoe_r_model_dims: R's buffers were
     * sized from what that call saw. */
    if ((size_t)mints[0] != m->k || (size_t)mints[1] != m->d ||
        check_length(*mlen, packed_len(m->k, m->d), "model parameter vector", &err)) {
        st = gmoe_error(&err, GMOE_EINVAL, "%s changed while it was being read", path[0]);
        goto done;
    }
    put_string(&mnames[0], gmoe_family_name(m->family));
    put_string(&mnames[1], gmoe_select_name(m->select));
    put_string(&mnames[2], gmoe_activation_name(m->act));
    put_string(&mnames[3], gmoe_bias_name(m->bias));
    mints[2] = (int)m->top_k;
    mints[3] = m->tau_estimated;
    model_pack(m, mpar);
    if (m->has_fit) {
        info_pack(&m->fit, info);
        put_string(stop, gmoe_stop_name(m->fit.stop));
    }
    for (size_t j = 0; j < m->d; j++)
        put_string(&xnames[j], m->xnames ? m->xnames[j] : "");
    put_string(yname, m->yname);
done:
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

void gmoe_r_model_write(char **path, char **mnames, int *mints, double *mpar, int *mlen,
                        int *n_names, char **xnames, char **yname,
                        int *has_fit, double *info, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    int st;
    if ((st = check_path(path, &err)) ||
        (st = model_unpack(mnames, mints, mpar, *mlen, 1, NULL, &m, &err)))
        goto done;
    if (*n_names != 0 && (st = check_length(*n_names, m->d, "xnames", &err)))
        goto done;
    if (*n_names && (st = gmoe_model_set_names(m, (const char *const *)xnames,
                                              yname[0][0] ? yname[0] : NULL))) {
        st = gmoe_error(&err, st, "out of memory copying the column names");
        goto done;
    }
    if (*has_fit != 0 && *has_fit != 1) {
        st = gmoe_error(&err, GMOE_EINVAL, "has_fit must be 0 or 1");
        goto done;
    }
    if (*has_fit) {
        if ((st = info_unpack(info, &m->fit, &err)))
            goto done;
        m->has_fit = 1;
    }
    st = gmoe_model_write(path[0], m, &err);
done:
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}
