/* r_entry.c -- .C entry points for the R package (declared and documented
 * in gmoe_r.h).
 *
 * Each entry point checks every argument's length (lens) and value,
 * converts R's column-major matrices to the library's row-major layout
 * (r_args.c), calls the library and reports through (status, msg).  No R
 * headers: the library builds and links without R. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe_r.h"
#include "internal.h"
#include "r_args.h"

/* The designs of gmoe_simulate_design, plus "given": x comes from R. */
#define R_DESIGN_GIVEN 3
static int design_from_name(const char *s)
{
    return strcmp(s, "given") == 0 ? R_DESIGN_GIVEN : gmoe_design_from_name(s);
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
    return r_check_count(t, 0, "threads (0 = OpenMP default)", err);
}

/* ------------------------------------------------------------ interrupts */

static int (*interrupt_check)(void);

void gmoe_r_set_interrupt_check(int (*check)(void))
{
    interrupt_check = check;
}

/* The progress callback of a fit from R: stops it when the interrupt
 * check says so, and records that in *ctx. */
static int fit_progress(void *ctx, size_t restart, size_t iter, double loglik)
{
    (void)restart;
    (void)iter;
    (void)loglik;
    if (interrupt_check && interrupt_check()) {
        *(int *)ctx = 1;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ entry points */

void gmoe_r_model_check(char **mnames, int *mints, double *mpar,
                        int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    r_packed pm = {mnames, mints, mpar, lens[0], lens[1], lens[2]};
    int st = r_model_unpack(&pm, 1, NULL, &m, &err);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

/* An R integer for a count of gmoe_em_options: NA and negative values
 * cannot be one; the range is the library's check. */
static int r_count_field(int v, const char *what, size_t *out, gmoe_err *err)
{
    if (v == INT_MIN)
        return gmoe_error(err, GMOE_EINVAL, "%s must be a whole number (got NA)", what);
    if (v < 0)
        return gmoe_error(err, GMOE_EINVAL, "%s must not be negative (got %d)", what, v);
    *out = (size_t)v;
    return GMOE_OK;
}

/* The library's option checks name a field (gmoe.h): its R argument. */
static int r_option_error(gmoe_err *err, int st, const char *field)
{
    static const char *const names[][2] = {
        {"nthreads", "threads"}, {"replicates", "B"}, {"act", "activation"}};
    for (size_t i = 0; field && i < sizeof names / sizeof *names; i++)
        if (strcmp(field, names[i][0]) == 0)
            return gmoe_error_named(err, st, names[i][1]);
    return gmoe_error_named(err, st, field);
}

/* The EM options of gmoe_r_fit (see gmoe_r.h for the order): the names
 * and integers converted here, every range checked by the library
 * (gmoe_em_options_validate), its field named as R's argument. */
static int fit_options(char **onames, const int *oints, const double *odbl,
                       gmoe_em_options *opt, gmoe_err *err)
{
    int st, tol_rule, accel, tau_mode;
    size_t threads;
    if ((st = r_check_name(onames[0], gmoe_tol_rule_from_name, "tolerance rule",
                           "per-obs, relative, absolute", &tol_rule, err)) ||
        (st = r_check_name(onames[1], gmoe_accel_from_name, "acceleration", "squarem, none",
                           &accel, err)) ||
        (st = r_check_name(onames[2], gmoe_tau_mode_from_name, "tau mode", "fixed, estimate",
                           &tau_mode, err)) ||
        (st = r_count_field(oints[0], "restarts", &opt->restarts, err)) ||
        (st = r_count_field(oints[1], "max_iter", &opt->max_iter, err)) ||
        (st = r_count_field(oints[2], "threads", &threads, err)) ||
        (st = r_count_field(oints[3], "gate_max_iter", &opt->gate_max_iter, err)) ||
        (st = r_count_field(oints[4], "accel_warmup", &opt->accel_warmup, err)) ||
        (st = r_check_seed(odbl[1], &opt->seed, err)))
        return st;
    opt->tol_rule = (gmoe_tol_rule)tol_rule;
    opt->accel = (gmoe_accel)accel;
    opt->tau_mode = (gmoe_tau_mode)tau_mode;
    opt->nthreads = (int)threads;
    opt->tol = odbl[0];
    opt->var_floor = odbl[2];
    opt->min_weight = odbl[3];
    opt->gate_tol = odbl[4];
    const char *field = NULL;
    if ((st = gmoe_em_options_validate(opt, &field, err)) == GMOE_OK)
        return GMOE_OK;
    return r_option_error(err, st, field);
}

enum {
    FIT_MNAMES, FIT_MINTS, FIT_MPAR, FIT_HAS_INIT, FIT_N, FIT_X, FIT_Y, FIT_W, FIT_ONAMES, FIT_OINTS,
    FIT_ODBL, FIT_OUT_PAR, FIT_OUT_TAU, FIT_INFO, FIT_STOP
};

/* The lengths gmoe_r_fit can check before it knows k and d, then k (the
 * library's range, and k <= n): nothing k-long is allocated for a k the
 * data cannot support. */
static int fit_sizes(const int *lens, const int *mints, const int *n, gmoe_err *err)
{
    static const r_len fixed[] = {
        {FIT_HAS_INIT, 1, "has_init"}, {FIT_N, 1, "n"}, {FIT_ONAMES, 3, "onames"},
        {FIT_OINTS, 5, "oints"}, {FIT_ODBL, 5, "odbl"}, {FIT_OUT_TAU, 1, "out_tau_estimated"},
        {FIT_INFO, GMOE_R_NINFO, "info"}, {FIT_STOP, 1, "stop"}};
    int st;
    size_t k;
    /* 5 integers: the gate has covariates of its own (r_model_unpack). */
    if (lens[FIT_MINTS] != 5 &&
        (st = r_check_length(lens[FIT_MINTS], 4,
                             "model integers (k, d, top_k, tau_estimated[, dg])", err)))
        return st;
    if ((st = r_check_lens(lens, fixed, sizeof fixed / sizeof fixed[0], err)) ||
        (st = r_check_count(*n, 1, "n (number of rows)", err)) ||
        (st = r_count_field(mints[0], "k", &k, err)))
        return st;
    if (mints[0] > *n)
        return gmoe_error(err, GMOE_EINVAL,
                          "k = %d experts for n = %d rows: k must be at most n", mints[0], *n);
    if ((st = gmoe_k_validate(k, NULL, err)))
        return gmoe_error_named(err, st, "k");
    return r_check_length(lens[FIT_OUT_PAR], (size_t)lens[FIT_MPAR], "out_par", err);
}

/* The fit of m on data (from init, or with split starts from smaller,
 * or with the lead-in when needed (lead), or none of these) and its
 * outputs, for gmoe_r_fit, gmoe_r_fit_auto and gmoe_r_fit_nested. */
static int fit_and_pack(gmoe_model *m, const gmoe_model *init, const gmoe_model *smaller, int lead,
                        const gmoe_data *data, gmoe_em_options *opt, double *out_par,
                        int *out_tau_estimated, double *info, char **stop, gmoe_err *err)
{
    int interrupted = 0, st;
    opt->progress = fit_progress;
    opt->progress_ctx = &interrupted;
    st = smaller          ? gmoe_fit_nested(data, m, smaller, opt, err)
         : lead && !init ? gmoe_fit_auto(data, m, opt, err)
                         : gmoe_fit(data, m, init, opt, err);
    if (st)
        return st;
    if (interrupted)
        return gmoe_error(err, GMOE_R_INTERRUPTED, "the fit was interrupted");
    r_model_pack(m, out_par);
    *out_tau_estimated = m->tau_estimated;
    r_info_pack(&m->fit, info);
    r_put_string(stop, gmoe_stop_name(m->fit.stop));
    return GMOE_OK;
}

/* The smaller fit of gmoe_r_fit_nested as R passes it: its model's
 * integers and parameters (the names are the fit's), its information, and
 * the lengths of the three. */
typedef struct {
    const int *ints;
    const double *par, *info;
    int len_ints, len_par, len_info;
} r_smaller;

static int unpack_smaller(char **mnames, int len_names, const r_smaller *sm, gmoe_model **smaller,
                          gmoe_err *err)
{
    r_packed spm = {mnames, sm->ints, sm->par, len_names, sm->len_ints, sm->len_par};
    int st;
    if ((st = r_check_length(sm->len_info, GMOE_R_NINFO, "smaller fit information", err)) ||
        (st = r_model_unpack(&spm, 1, "smaller fit", smaller, err)) ||
        (st = r_info_unpack(sm->info, &(*smaller)->fit, err)))
        return st;
    (*smaller)->has_fit = 1;
    return GMOE_OK;
}

/* gmoe_r_fit (sm NULL), gmoe_r_fit_auto (lead) and gmoe_r_fit_nested:
 * lens as gmoe_r_fit's. */
static void fit_entry(char **mnames, int *mints, double *mpar, int *has_init, const r_smaller *sm, int lead,
                      int *n, double *x, double *y, double *w, char **onames, int *oints,
                      double *odbl, double *out_par, int *out_tau_estimated, double *info,
                      char **stop, const int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL, *init = NULL, *smaller = NULL;
    gmoe_data data = {0};
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    int st;
    r_packed pm = {mnames, mints, mpar, lens[FIT_MNAMES], lens[FIT_MINTS], lens[FIT_MPAR]};
    if ((st = fit_sizes(lens, mints, n, &err)) ||
        (st = r_check_flag(*has_init, "has_init", &err)) ||
        (st = r_model_unpack(&pm, 0, NULL, &m, &err)) ||
        (*has_init && (st = r_model_unpack(&pm, 1, "starting values", &init, &err))) ||
        (sm && (st = unpack_smaller(mnames, lens[FIT_MNAMES], sm, &smaller, &err))) ||
        (st = r_data_build_model(*n, m, x, lens[FIT_X], y, lens[FIT_Y], &data, &err)) ||
        (st = r_data_weights(&data, w, lens[FIT_W], &err)) ||
        (st = fit_options(onames, oints, odbl, &opt, &err)))
        goto done;
    st = fit_and_pack(m, init, smaller, lead, &data, &opt, out_par, out_tau_estimated, info, stop, &err);
done:
    free(data.x);
    free(data.gx);
    gmoe_model_free(m);
    gmoe_model_free(init);
    gmoe_model_free(smaller);
    r_finish(&o, st, &err);
}

void gmoe_r_fit(char **mnames, int *mints, double *mpar, int *has_init,
                int *n, double *x, double *y, double *w,
                char **onames, int *oints, double *odbl,
                double *out_par, int *out_tau_estimated, double *info, char **stop,
                int *lens, int *status, char **msg)
{
    fit_entry(mnames, mints, mpar, has_init, NULL, 0, n, x, y, w, onames, oints, odbl, out_par,
              out_tau_estimated, info, stop, lens, status, msg);
}

void gmoe_r_fit_auto(char **mnames, int *mints, double *mpar, int *n, double *x, double *y,
                     double *w, char **onames, int *oints, double *odbl, double *out_par,
                     int *out_tau_estimated, double *info, char **stop, int *lens, int *status,
                     char **msg)
{
    /* gmoe_r_fit's lengths with has_init (0) in */
    int flens[FIT_STOP + 1] = {lens[FIT_MNAMES], lens[FIT_MINTS], lens[FIT_MPAR], 1}, no_init = 0;
    memcpy(flens + FIT_N, lens + FIT_N - 1, (FIT_STOP + 1 - FIT_N) * sizeof(int));
    fit_entry(mnames, mints, mpar, &no_init, NULL, 1, n, x, y, w, onames, oints, odbl, out_par,
              out_tau_estimated, info, stop, flens, status, msg);
}

enum { NEST_SINTS = 3, NEST_SPAR, NEST_SINFO, NEST_N };

void gmoe_r_fit_nested(char **mnames, int *mints, double *mpar, int *sints, double *spar,
                       double *sinfo, int *n, double *x, double *y, double *w,
                       char **onames, int *oints, double *odbl,
                       double *out_par, int *out_tau_estimated, double *info, char **stop,
                       int *lens, int *status, char **msg)
{
    /* gmoe_r_fit's lengths: the smaller fit's three out, has_init (0) in */
    int flens[FIT_STOP + 1] = {lens[FIT_MNAMES], lens[FIT_MINTS], lens[FIT_MPAR], 1}, no_init = 0;
    memcpy(flens + FIT_N, lens + NEST_N, (FIT_STOP + 1 - FIT_N) * sizeof(int));
    r_smaller sm = {sints, spar, sinfo, lens[NEST_SINTS], lens[NEST_SPAR], lens[NEST_SINFO]};
    fit_entry(mnames, mints, mpar, &no_init, &sm, 0, n, x, y, w, onames, oints, odbl, out_par,
              out_tau_estimated, info, stop, flens, status, msg);
}

void gmoe_r_fit_splits(char **family, int *k, int *splits, int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    size_t kk = 0;
    int st, f;
    if ((st = r_check_length(lens[0], 1, "family", &err)) || (st = r_check_length(lens[1], 1, "k", &err)) ||
        (st = r_check_length(lens[2], 1, "splits", &err)) || (st = r_count_field(*k, "k", &kk, &err)))
        goto done;
    if ((st = gmoe_k_validate(kk, NULL, &err))) {
        st = gmoe_error_named(&err, st, "k");
        goto done;
    }
    f = gmoe_family_from_name(family[0]);
    *splits = f >= 0 && kk >= 2 && (gmoe_family_properties((gmoe_family)f) & GMOE_FAMILY_SPLITS);
done:
    r_finish(&o, st, &err);
}

enum {
    NT_MNAMES, NT_MINTS, NT_MPAR, NT_INFO, NT_N, NT_X, NT_W, NT_CODES, NT_EXPERTS, NT_COVARIATES,
    NT_VALUES, NT_MESSAGES, NT_COUNT
};

/* The notes into R's vectors (room for `cap`, checked by the caller). */
static void notes_put(const gmoe_note_list *notes, char **codes, int *experts, int *covariates,
                      double *values, char **messages, int *count)
{
    for (size_t i = 0; i < notes->n; i++) {
        const gmoe_fit_note *nt = &notes->note[i];
        r_put_string(codes + i, gmoe_note_name(nt->code));
        experts[2 * i] = (int)nt->expert1;
        experts[2 * i + 1] = (int)nt->expert2;
        covariates[i] = (int)nt->covariate;
        values[i] = nt->value;
        r_put_string(messages + i, nt->message);
    }
    *count = (int)notes->n;
}

void gmoe_r_notes(char **mnames, int *mints, double *mpar, double *info, int *n, double *x,
                  double *w, char **codes, int *experts, int *covariates, double *values,
                  char **messages, int *count, int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    gmoe_data data = {0};
    size_t cap = lens[NT_CODES] > 0 ? (size_t)lens[NT_CODES] : 0;
    const r_len fixed[] = {{NT_N, 1, "n"}, {NT_EXPERTS, 2 * cap, "experts"},
                           {NT_COVARIATES, cap, "covariates"}, {NT_VALUES, cap, "values"},
                           {NT_MESSAGES, cap, "messages"}, {NT_COUNT, 1, "count"}};
    r_packed pm = {mnames, mints, mpar, lens[NT_MNAMES], lens[NT_MINTS], lens[NT_MPAR]};
    int st;
    if ((st = r_check_lens(lens, fixed, sizeof fixed / sizeof fixed[0], &err)) ||
        (st = r_check_count(*n, 1, "n (number of rows)", &err)) ||
        (st = r_model_unpack(&pm, 1, NULL, &m, &err)) ||
        (lens[NT_INFO] && ((st = r_check_length(lens[NT_INFO], GMOE_R_NINFO, "info", &err)) ||
                           (st = r_info_unpack(info, &m->fit, &err)))) ||
        (st = r_data_build_model(*n, m, x, lens[NT_X], NULL, 0, &data, &err)) ||
        (st = r_data_weights(&data, w, lens[NT_W], &err)))
        goto done;
    m->has_fit = lens[NT_INFO] > 0;
    if ((st = gmoe_fit_notes(m, &data, &err)))
        goto done;
    if (m->notes->n > cap)
        st = gmoe_error(&err, GMOE_EINVAL, "room for %zu notes, %zu given", cap, m->notes->n);
    else
        notes_put(m->notes, codes, experts, covariates, values, messages, count);
done:
    free(data.x);
    free(data.gx);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

enum { PR_MNAMES, PR_MINTS, PR_MPAR, PR_N, PR_X, PR_MEAN, PR_VAR, PR_GATE, PR_BEST };

void gmoe_r_predict(char **mnames, int *mints, double *mpar, int *n, double *x,
                    double *mean, double *var, double *gate, int *best,
                    int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    gmoe_data data = {0};
    double *g = NULL;
    int st;
    r_packed pm = {mnames, mints, mpar, lens[PR_MNAMES], lens[PR_MINTS], lens[PR_MPAR]};
    if ((st = r_check_length(lens[PR_N], 1, "n", &err)) ||
        (st = r_model_unpack(&pm, 1, NULL, &m, &err)) ||
        (st = r_data_build_model(*n, m, x, lens[PR_X], NULL, 0, &data, &err)) ||
        (st = r_check_product(data.n, m->k, "gate probabilities", &err)))
        goto done;
    size_t k = m->k, d = m->d, rows = data.n;
    const r_len out[] = {{PR_MEAN, rows, "mean"}, {PR_VAR, rows, "var"},
                         {PR_GATE, rows * k, "gate"}, {PR_BEST, rows, "best"}};
    if ((st = r_check_lens(lens, out, sizeof out / sizeof out[0], &err)) ||
        !(g = r_malloc(k * sizeof(double), &st, &err)))
        goto done;
    for (size_t r = 0; r < rows; r++) {
        size_t b;
        gmoe_predict_gx(m, data.x + r * d, data.gate_own ? data.gx + r * data.dg : NULL,
                        &mean[r], &var[r], g, &b);
        for (size_t i = 0; i < k; i++)
            gate[r + rows * i] = g[i];
        best[r] = (int)b + 1;
    }
done:
    free(g);
    free(data.x);
    free(data.gx);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

enum {
    LL_MNAMES, LL_MINTS, LL_MPAR, LL_N, LL_X, LL_Y, LL_W, LL_THREADS, LL_LOGLIK, LL_LOGDENS,
    LL_RESP
};

void gmoe_r_loglik(char **mnames, int *mints, double *mpar, int *n, double *x, double *y,
                   double *w, int *threads, double *loglik, double *logdens, double *resp,
                   int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    gmoe_data data = {0};
    double *rr = NULL;
    int st;
    r_packed pm = {mnames, mints, mpar, lens[LL_MNAMES], lens[LL_MINTS], lens[LL_MPAR]};
    static const r_len fixed[] = {{LL_N, 1, "n"}, {LL_THREADS, 1, "threads"},
                                  {LL_LOGLIK, 1, "loglik"}};
    if ((st = r_check_lens(lens, fixed, sizeof fixed / sizeof fixed[0], &err)) ||
        (st = r_model_unpack(&pm, 1, NULL, &m, &err)) ||
        (st = r_data_build_model(*n, m, x, lens[LL_X], y, lens[LL_Y], &data, &err)) ||
        (st = r_data_weights(&data, w, lens[LL_W], &err)) ||
        (st = check_threads(*threads, &err)) ||
        (st = r_check_product(data.n, m->k, "responsibilities", &err)))
        goto done;
    size_t k = m->k, rows = data.n;
    const r_len out[] = {{LL_LOGDENS, rows, "logdens"}, {LL_RESP, rows * k, "resp"}};
    if ((st = r_check_lens(lens, out, 2, &err)))
        goto done;
    /* The total from gmoe_loglik, not the sum of logdens below: its fixed
     * blocks make it the number mixfit reports, for any thread count. */
    if ((st = gmoe_loglik(m, &data, *threads, loglik, &err)) ||
        !(rr = r_malloc(k * sizeof(double), &st, &err)))
        goto done;
    for (size_t r = 0; r < rows; r++) {
        logdens[r] = gmoe_responsibilities_gx(m, data.x + r * m->d,
                                              data.gate_own ? data.gx + r * data.dg : NULL,
                                              data.y[r], rr);
        for (size_t i = 0; i < k; i++)
            resp[r + rows * i] = rr[i];
    }
done:
    free(rr);
    free(data.x);
    free(data.gx);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

enum {
    LS_FNAMES, LS_FINTS, LS_FPAR, LS_TNAMES, LS_TINTS, LS_TPAR, LS_KIND, LS_TRANSLATE, LS_RBAR,
    LS_RES, LS_KIND_OUT, LS_T1, LS_CELL, LS_CELL_SIZE, LS_ERRS
};

/* The loss options of gmoe_r_loss. */
static int loss_options(char **kind, int translate, const double *rbar, int len_rbar,
                        gmoe_loss_options *opt, gmoe_err *err)
{
    int st, v;
    if ((st = r_check_name(kind[0], gmoe_loss_kind_from_name, "loss kind", "auto, D1, D2", &v, err)) ||
        (st = r_check_flag(translate, "translate", err)))
        return st;
    opt->kind = (gmoe_loss_kind)v;
    opt->translate = translate;
    if (len_rbar > GMOE_RBAR_MAX)
        return gmoe_error(err, GMOE_EINVAL, "rbar has %d entries, at most %d are allowed",
                          len_rbar, GMOE_RBAR_MAX);
    if (len_rbar > 0) {
        if ((st = r_check_finite(rbar, (size_t)len_rbar, "rbar", err)))
            return st;
        memset(opt->rbar, 0, sizeof opt->rbar);
        memcpy(opt->rbar, rbar, (size_t)len_rbar * sizeof(double));
    }
    return GMOE_OK;
}

/* The loss result into R's vectors (lengths checked by the caller). */
static void loss_put(const gmoe_loss_result *lr, double *res, int *kind_out, double *t1,
                     int *cell, int *cell_size, double *errs)
{
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
}

void gmoe_r_loss(char **fnames, int *fints, double *fpar,
                 char **tnames, int *tints, double *tpar,
                 char **kind, int *translate, double *rbar,
                 double *res, int *kind_out, double *t1, int *cell, int *cell_size,
                 double *errs, int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *f = NULL, *t = NULL;
    gmoe_loss_result *lr = NULL;
    gmoe_loss_options opt;
    gmoe_loss_options_default(&opt);
    int st;
    r_packed pf = {fnames, fints, fpar, lens[LS_FNAMES], lens[LS_FINTS], lens[LS_FPAR]};
    r_packed pt = {tnames, tints, tpar, lens[LS_TNAMES], lens[LS_TINTS], lens[LS_TPAR]};
    static const r_len fixed[] = {{LS_KIND, 1, "kind"}, {LS_TRANSLATE, 1, "translate"},
                                  {LS_RES, 3, "res"}, {LS_KIND_OUT, 1, "kind_out"}};
    if ((st = r_check_lens(lens, fixed, sizeof fixed / sizeof fixed[0], &err)) ||
        (st = r_model_unpack(&pf, 1, "fitted model", &f, &err)) ||
        (st = r_model_unpack(&pt, 1, "true model", &t, &err)))
        goto done;
    const r_len out[] = {{LS_T1, f->d, "t1"}, {LS_CELL, f->k, "cell"},
                         {LS_CELL_SIZE, t->k, "cell_size"}, {LS_ERRS, 6 * t->k, "errs"}};
    if ((st = r_check_lens(lens, out, sizeof out / sizeof out[0], &err)) ||
        (st = loss_options(kind, *translate, rbar, lens[LS_RBAR], &opt, &err)) ||
        (st = gmoe_voronoi_loss(f, t, &opt, &lr, &err)))
        goto done;
    loss_put(lr, res, kind_out, t1, cell, cell_size, errs);
done:
    gmoe_loss_result_free(lr);
    gmoe_model_free(f);
    gmoe_model_free(t);
    r_finish(&o, st, &err);
}

enum {
    SIM_MNAMES, SIM_MINTS, SIM_MPAR, SIM_N, SIM_DESIGN, SIM_LO, SIM_HI, SIM_SEED, SIM_X,
    SIM_Y, SIM_Z
};

/* The covariates of gmoe_r_simulate, row-major in *xr (malloc'd): drawn
 * from the design and also written column-major into R's x, or R's x
 * (design "given"; a gate of its own: R's x is [x, gx], split into *xr
 * and *gxr, malloc'd).  A design draws no gate covariates: only a
 * constant gate (dg = 0) may use one. */
static int simulate_x(int design, int n, const gmoe_model *m, double *x, const int *lens,
                      const double *lo, const double *hi, uint64_t seed, double **xr,
                      double **gxr, gmoe_err *err)
{
    gmoe_data data = {0};
    size_t d = m->d;
    int st;
    if (design == R_DESIGN_GIVEN) {
        st = r_data_build_model(n, m, x, lens[SIM_X], NULL, 0, &data, err);
        *xr = data.x;
        *gxr = data.gx;
        return st;
    }
    if (m->gate_own && m->dg > 0)
        return gmoe_error(err, GMOE_EINVAL, "a model whose gate has covariates of its own "
                          "needs them given (design \"given\", x with the gate's columns)");
    size_t rows = (size_t)n, len_range = (size_t)lens[SIM_LO];
    if ((st = r_check_length(lens[SIM_X], rows * d, "x", err)) ||
        (st = r_check_length(lens[SIM_HI], len_range, "hi (as long as lo)", err)) ||
        (len_range && (st = r_check_length(lens[SIM_LO], d, "lo and hi", err))))
        return st;
    if (!(*xr = r_malloc(rows * d * sizeof(double), &st, err)))
        return st;
    if ((st = gmoe_simulate_design((gmoe_design)design, rows, d, len_range ? lo : NULL,
                                   len_range ? hi : NULL, gmoe_seed_derive(seed, 0), *xr, err)))
        return st;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < d; j++)
            x[r + rows * j] = (*xr)[r * d + j];
    return GMOE_OK;
}

void gmoe_r_simulate(char **mnames, int *mints, double *mpar, int *n, char **design,
                     double *lo, double *hi, double *seed, double *x, double *y, int *z,
                     int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    size_t *zz = NULL;
    double *xr = NULL, *gxr = NULL;
    uint64_t s;
    int st, des;
    r_packed pm = {mnames, mints, mpar, lens[SIM_MNAMES], lens[SIM_MINTS], lens[SIM_MPAR]};
    static const r_len fixed[] = {{SIM_N, 1, "n"}, {SIM_DESIGN, 1, "design"}, {SIM_SEED, 1, "seed"}};
    if ((st = r_check_lens(lens, fixed, sizeof fixed / sizeof fixed[0], &err)) ||
        (st = r_model_unpack(&pm, 1, NULL, &m, &err)) ||
        (st = r_check_name(design[0], design_from_name, "design", "uniform, normal, grid, given",
                           &des, &err)) ||
        (st = r_check_seed(*seed, &s, &err)) ||
        (st = r_check_count(*n, 1, "n (number of rows)", &err)) ||
        (st = r_check_product((size_t)*n, m->d, "x", &err)))
        goto done;
    size_t rows = (size_t)*n;
    const r_len out[] = {{SIM_Y, rows, "y"}, {SIM_Z, rows, "z"}};
    if ((st = r_check_lens(lens, out, 2, &err)) ||
        (st = simulate_x(des, *n, m, x, lens, lo, hi, s, &xr, &gxr, &err)) ||
        !(zz = r_malloc(rows * sizeof(size_t), &st, &err)) ||
        (st = gmoe_simulate_y_gx(m, xr, gxr, rows, gmoe_seed_derive(s, 1), y, zz, &err)))
        goto done;
    for (size_t r = 0; r < rows; r++)
        z[r] = (int)zz[r] + 1;
done:
    free(zz);
    free(xr);
    free(gxr);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

enum {
    CV_MNAMES, CV_MINTS, CV_MPAR, CV_XNAMES, CV_N, CV_X, CV_Y, CV_W, CV_KIND, CV_P, CV_COV,
    CV_NAMES
};

/* The library's names of covariance kinds, less "none" (no covariance). */
static int se_kind_from_name(const char *s)
{
    int v = gmoe_se_kind_from_name(s);
    return v == GMOE_SE_NONE ? -1 : v;
}

/* The model's column names from R's xnames: the experts' d, then (gate
 * of its own) the gate's dg. */
static int set_column_names(gmoe_model *m, char **xnames, gmoe_err *err)
{
    if (gmoe_model_set_names(m, (const char *const *)xnames, NULL) ||
        (m->gate_own && gmoe_model_set_gate_names(m, (const char *const *)xnames + m->d)))
        return gmoe_error(err, GMOE_ENOMEM, "out of memory copying the column names");
    return GMOE_OK;
}

/* The free parameters' names into R's buffers (names[j] for j < p). */
static int covariance_names(const gmoe_model *m, size_t p, char **names, gmoe_err *err)
{
    for (size_t j = 0; j < p; j++) {
        int st = gmoe_param_name(m, j, names[j], strlen(names[j]) + 1);
        if (st)
            return gmoe_error(err, st, "parameter name %zu does not fit R's buffer", j + 1);
    }
    return GMOE_OK;
}

void gmoe_r_covariance(char **mnames, int *mints, double *mpar, char **xnames, int *n,
                       double *x, double *y, double *w, char **kind, int *p, double *cov, char **names,
                       int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    gmoe_data data = {0};
    int st, se;
    size_t nfree = 0;
    r_packed pm = {mnames, mints, mpar, lens[CV_MNAMES], lens[CV_MINTS], lens[CV_MPAR]};
    static const r_len fixed[] = {{CV_N, 1, "n"}, {CV_KIND, 1, "kind"}, {CV_P, 1, "p"}};
    if ((st = r_check_lens(lens, fixed, sizeof fixed / sizeof fixed[0], &err)) ||
        (st = r_model_unpack(&pm, 1, NULL, &m, &err)) ||
        (st = r_check_length(lens[CV_XNAMES], m->d + (m->gate_own ? m->dg : 0), "xnames",
                             &err)) ||
        (st = r_check_name(kind[0], se_kind_from_name, "covariance kind", "observed, sandwich",
                           &se, &err)) ||
        (st = r_data_build_model(*n, m, x, lens[CV_X], y, lens[CV_Y], &data, &err)) ||
        (st = r_data_weights(&data, w, lens[CV_W], &err)))
        goto done;
    if ((st = set_column_names(m, xnames, &err)))
        goto done;
    nfree = gmoe_model_nfree(m);
    /* R sizes cov and names for the packed length, which bounds nfree. */
    size_t plen = r_packed_len_gate(m->k, m->d, m->dg);
    const r_len out[] = {{CV_COV, plen * plen, "cov"}, {CV_NAMES, plen, "names"}};
    if ((st = r_check_lens(lens, out, 2, &err)) ||
        (st = gmoe_covariance(m, &data, (gmoe_se_kind)se, cov, NULL, &err)) ||
        (st = covariance_names(m, nfree, names, &err)))
        goto done;
    *p = (int)nfree;
done:
    free(data.x);
    free(data.gx);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

enum {
    BS_MNAMES, BS_MINTS, BS_MPAR, BS_XNAMES, BS_N, BS_X, BS_Y, BS_W, BS_ONAMES, BS_OINTS, BS_ODBL,
    BS_TYPE, BS_REPLICATES, BS_THREADS, BS_SEED, BS_OK, BS_P, BS_NAMES, BS_SE, BS_LOWER,
    BS_UPPER
};

/* The bootstrap's options (type, replicates, threads, seed), checked
 * before anything is allocated (the ranges: the library's, as mixfit's
 * --bootstrap; each replicate is a full fit, so B is bounded by time long
 * before memory). */
static int bootstrap_options(char **type, int replicates, int threads, double seed,
                             gmoe_bootstrap_options *bo, gmoe_err *err)
{
    int st, t;
    size_t b, nt;
    const char *field = NULL;
    if ((st = r_check_name(type[0], gmoe_boot_type_from_name, "bootstrap type",
                           "nonparametric, parametric", &t, err)) ||
        (st = r_count_field(replicates, "B", &b, err)) ||
        (st = r_count_field(threads, "threads", &nt, err)) ||
        (st = r_check_seed(seed, &bo->seed, err)))
        return st;
    bo->type = (gmoe_boot_type)t;
    bo->replicates = b;
    bo->nthreads = (int)nt;
    if ((st = gmoe_bootstrap_options_validate(bo, &field, err)))
        return r_option_error(err, st, field);
    return GMOE_OK;
}

/* The bootstrap's results into R's vectors (p entries each). */
static int bootstrap_put(const gmoe_inference *inf, int *ok, int *p, char **names, double *se,
                         double *lower, double *upper, gmoe_err *err)
{
    for (size_t j = 0; j < inf->p; j++) {
        if (strlen(inf->names[j]) > strlen(names[j]))
            return gmoe_error(err, GMOE_EINVAL, "parameter name %zu does not fit R's buffer", j + 1);
        r_put_string(&names[j], inf->names[j]);
        se[j] = inf->boot_se[j];
        lower[j] = inf->boot_lower[j];
        upper[j] = inf->boot_upper[j];
    }
    *ok = (int)inf->boot_ok;
    *p = (int)inf->p;
    return GMOE_OK;
}

void gmoe_r_bootstrap(char **mnames, int *mints, double *mpar, char **xnames, int *n,
                      double *x, double *y, double *w, char **onames, int *oints, double *odbl,
                      char **type, int *replicates, int *threads, double *seed, int *ok,
                      int *p, char **names, double *se, double *lower, double *upper,
                      int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    gmoe_data data = {0};
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    gmoe_bootstrap_options bo;
    int st;
    r_packed pm = {mnames, mints, mpar, lens[BS_MNAMES], lens[BS_MINTS], lens[BS_MPAR]};
    static const r_len fixed[] = {
        {BS_N, 1, "n"}, {BS_ONAMES, 3, "onames"}, {BS_OINTS, 5, "oints"}, {BS_ODBL, 5, "odbl"},
        {BS_TYPE, 1, "type"}, {BS_REPLICATES, 1, "B"}, {BS_THREADS, 1, "threads"},
        {BS_SEED, 1, "seed"}, {BS_OK, 1, "ok"}, {BS_P, 1, "p"}};
    if ((st = r_check_lens(lens, fixed, sizeof fixed / sizeof fixed[0], &err)) ||
        (st = bootstrap_options(type, *replicates, *threads, *seed, &bo, &err)) ||
        (st = fit_options(onames, oints, odbl, &opt, &err)) ||
        (st = r_model_unpack(&pm, 1, NULL, &m, &err)) ||
        (st = r_check_length(lens[BS_XNAMES], m->d + (m->gate_own ? m->dg : 0), "xnames",
                             &err)) ||
        (st = r_data_build_model(*n, m, x, lens[BS_X], y, lens[BS_Y], &data, &err)) ||
        (st = r_data_weights(&data, w, lens[BS_W], &err)))
        goto done;
    size_t len = r_packed_len_gate(m->k, m->d, m->dg);  /* bounds the free parameters */
    const r_len out[] = {{BS_NAMES, len, "names"}, {BS_SE, len, "se"},
                         {BS_LOWER, len, "lower"}, {BS_UPPER, len, "upper"}};
    if ((st = r_check_lens(lens, out, sizeof out / sizeof out[0], &err)))
        goto done;
    if ((st = set_column_names(m, xnames, &err)))
        goto done;
    st = gmoe_bootstrap(m, &data, &opt, &bo, &err);
    if (!st)
        st = bootstrap_put(m->inference, ok, p, names, se, lower, upper, &err);
done:
    free(data.x);
    free(data.gx);
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

/* ------------------------------------------------------------ model files */

static int check_path(char **path, int len, gmoe_err *err)
{
    int st = r_check_length(len, 1, "path", err);
    if (st)
        return st;
    if (!path || !path[0] || !path[0][0])
        return gmoe_error(err, GMOE_EINVAL, "empty file name");
    return GMOE_OK;
}

void gmoe_r_model_dims(char **path, int *dims, int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    int st;
    if ((st = check_path(path, lens[0], &err)) ||
        (st = r_check_length(lens[1], 5, "dims", &err)) ||
        (st = gmoe_model_read(path[0], &m, &err)))
        goto done;
    size_t dg = m->gate_own ? m->dg : 0;
    if (m->k > (size_t)INT_MAX || m->d > (size_t)INT_MAX || dg > (size_t)INT_MAX - m->d ||
        r_check_product(m->k, 2 * m->d + dg + 3, "model", &err)) {
        st = gmoe_error(&err, GMOE_EINVAL, "%s: model too large for R", path[0]);
        goto done;
    }
    size_t longest = m->yname ? strlen(m->yname) : 0;
    for (size_t j = 0; m->xnames && j < m->d; j++)
        if (m->xnames[j] && strlen(m->xnames[j]) > longest)
            longest = strlen(m->xnames[j]);
    for (size_t j = 0; m->gxnames && j < dg; j++)
        if (m->gxnames[j] && strlen(m->gxnames[j]) > longest)
            longest = strlen(m->gxnames[j]);
    dims[0] = (int)m->k;
    dims[1] = (int)m->d;
    dims[2] = m->has_fit;
    dims[3] = longest > (size_t)INT_MAX ? INT_MAX : (int)longest;
    dims[4] = m->gate_own ? (int)dg : -1;
done:
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

enum { RD_PATH, RD_MNAMES, RD_MINTS, RD_MPAR, RD_INFO, RD_STOP, RD_XNAMES, RD_YNAME };

void gmoe_r_model_read(char **path, char **mnames, int *mints, double *mpar,
                       double *info, char **stop, char **xnames, char **yname,
                       int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    int st;
    static const r_len fixed[] = {{RD_MNAMES, 4, "mnames"}, {RD_INFO, GMOE_R_NINFO, "info"},
                                  {RD_STOP, 1, "stop"}, {RD_YNAME, 1, "yname"}};
    if ((st = check_path(path, lens[RD_PATH], &err)) ||
        (st = r_check_lens(lens, fixed, sizeof fixed / sizeof fixed[0], &err)) ||
        (st = gmoe_model_read(path[0], &m, &err)))
        goto done;
    /* The file may have changed since gmoe_r_model_dims: R's buffers were
     * sized from what that call saw (a fifth integer: the gate's own dg). */
    size_t dg = m->gate_own ? m->dg : 0;
    if (lens[RD_MINTS] != (m->gate_own ? 5 : 4) || (size_t)mints[0] != m->k ||
        (size_t)mints[1] != m->d || (m->gate_own && (size_t)mints[4] != dg) ||
        r_check_length(lens[RD_MPAR], r_packed_len_gate(m->k, m->d, m->gate_own ? dg : m->d),
                       "mpar", &err) ||
        r_check_length(lens[RD_XNAMES], m->d + dg, "xnames", &err)) {
        st = gmoe_error(&err, GMOE_EINVAL, "%s changed while it was being read", path[0]);
        goto done;
    }
    r_model_put_names(m, mnames);
    mints[2] = (int)m->top_k;
    mints[3] = m->tau_estimated;
    r_model_pack(m, mpar);
    if (m->has_fit) {
        r_info_pack(&m->fit, info);
        r_put_string(stop, gmoe_stop_name(m->fit.stop));
    }
    for (size_t j = 0; j < m->d; j++)
        r_put_string(&xnames[j], m->xnames ? m->xnames[j] : "");
    for (size_t j = 0; j < dg; j++)   /* the gate's own names after the experts' */
        r_put_string(&xnames[m->d + j], m->gxnames ? m->gxnames[j] : "");
    r_put_string(yname, m->yname);
done:
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}

enum { WR_PATH, WR_MNAMES, WR_MINTS, WR_MPAR, WR_XNAMES, WR_YNAME, WR_HAS_FIT, WR_INFO };

void gmoe_r_model_write(char **path, char **mnames, int *mints, double *mpar,
                        char **xnames, char **yname, int *has_fit, double *info,
                        int *lens, int *status, char **msg)
{
    r_out o = r_begin(status, msg);
    gmoe_err err = {0};
    gmoe_model *m = NULL;
    int st;
    r_packed pm = {mnames, mints, mpar, lens[WR_MNAMES], lens[WR_MINTS], lens[WR_MPAR]};
    static const r_len fixed[] = {{WR_YNAME, 1, "yname"}, {WR_HAS_FIT, 1, "has_fit"}};
    if ((st = check_path(path, lens[WR_PATH], &err)) ||
        (st = r_check_lens(lens, fixed, sizeof fixed / sizeof fixed[0], &err)) ||
        (st = r_check_flag(*has_fit, "has_fit", &err)) ||
        (st = r_model_unpack(&pm, 1, NULL, &m, &err)))
        goto done;
    size_t ncols = m->d + (m->gate_own ? m->dg : 0);   /* the gate's own names follow */
    if (lens[WR_XNAMES] != 0 && (st = r_check_length(lens[WR_XNAMES], ncols, "xnames", &err)))
        goto done;
    if (lens[WR_XNAMES] &&
        (gmoe_model_set_names(m, (const char *const *)xnames, yname[0][0] ? yname[0] : NULL) ||
         (m->gate_own && gmoe_model_set_gate_names(m, (const char *const *)xnames + m->d)))) {
        st = gmoe_error(&err, GMOE_ENOMEM, "out of memory copying the column names");
        goto done;
    }
    if (*has_fit) {
        if ((st = r_check_length(lens[WR_INFO], GMOE_R_NINFO, "info", &err)) ||
            (st = r_info_unpack(info, &m->fit, &err)))
            goto done;
        m->has_fit = 1;
    }
    st = gmoe_model_write(path[0], m, &err);
done:
    gmoe_model_free(m);
    r_finish(&o, st, &err);
}
