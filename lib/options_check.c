/* options_check.c -- the one check of a fit's settings (the liblinear
 * check_parameter pattern; gmoe.h: gmoe_em_options_validate,
 * gmoe_model_options_validate).  The ranges live here: the tools and the
 * R package parse their arguments' syntax, call these, and name their own
 * flag for the field at fault; gmoe_fit and gmoe_model_check call them
 * too. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "gating.h"
#include "internal.h"

/* Upper bounds that turn a typo into a message instead of a run that
 * never ends. */
#define MAX_RESTARTS 1000000
#define MAX_ITERATIONS 100000000
#define MAX_THREADS 4096
#define MAX_REPLICATES 1000000

/* Names the field at fault (if field is not NULL) and writes what is
 * wrong with it into err; returns st. */
static int refuse(int st, const char *name, const char **field, gmoe_err *err, const char *fmt,
                  ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int refuse(int st, const char *name, const char **field, gmoe_err *err, const char *fmt,
                  ...)
{
    if (field)
        *field = name;
    va_list ap;
    va_start(ap, fmt);
    gmoe_verror(err, st, fmt, ap);
    va_end(ap);
    return st;
}

/* The counts of gmoe_em_options: lo <= v <= hi. */
static int check_counts(const gmoe_em_options *o, const char **field, gmoe_err *err)
{
    const struct {
        const char *name;
        size_t v, lo, hi;
    } counts[] = {
        {"restarts", o->restarts, 0, MAX_RESTARTS},
        {"max_iter", o->max_iter, 1, MAX_ITERATIONS},
        {"gate_max_iter", o->gate_max_iter, 1, MAX_ITERATIONS},
        {"accel_warmup", o->accel_warmup, 0, MAX_ITERATIONS},
        {"screen_iter", o->screen_iter, 0, MAX_ITERATIONS},
    };
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        if (counts[i].v >= counts[i].lo && counts[i].v <= counts[i].hi)
            continue;
        if (counts[i].lo == 0)
            return refuse(GMOE_EINVAL, counts[i].name, field, err, "must be at most %zu (got %zu)",
                          counts[i].hi, counts[i].v);
        return refuse(GMOE_EINVAL, counts[i].name, field, err, "must be %zu to %zu (got %zu)",
                      counts[i].lo, counts[i].hi, counts[i].v);
    }
    if (o->nthreads < 0 || o->nthreads > MAX_THREADS)
        return refuse(GMOE_EINVAL, "nthreads", field, err,
                      "must be 0 (OpenMP's default) to %d (got %d)", MAX_THREADS, o->nthreads);
    return GMOE_OK;
}

/* The real numbers of gmoe_em_options. */
static int check_numbers(const gmoe_em_options *o, const char **field, gmoe_err *err)
{
    const struct {
        const char *name;
        double v;
        int ok;
        const char *need;
    } numbers[] = {
        {"tol", o->tol, isfinite(o->tol) && o->tol >= 0,
         "a finite number >= 0, 0 for the stopping rule's default"},
        {"gate_tol", o->gate_tol, isfinite(o->gate_tol) && o->gate_tol >= 0,
         "a finite number >= 0"},
        {"gate_rel_tol", o->gate_rel_tol, o->gate_rel_tol >= 0 && o->gate_rel_tol < 1,
         "in [0, 1)"},
        {"var_floor", o->var_floor, o->var_floor >= 0 && o->var_floor < 1,
         "in [0, 1), a fraction of the variance of y"},
        {"min_weight", o->min_weight, isfinite(o->min_weight), "a finite number, < 0 for d + 2"},
        {"grad_tol", o->grad_tol, isfinite(o->grad_tol) && o->grad_tol > 0,
         "a finite number > 0"},
        {"newton_switch", o->newton_switch, isfinite(o->newton_switch) && o->newton_switch >= 0,
         "a finite number >= 0"},
        {"spurious_rows", o->spurious_rows, isfinite(o->spurious_rows) && o->spurious_rows >= 0,
         "a finite number >= 0, 0 to turn the rule for spurious maxima off"},
        {"spurious_ratio", o->spurious_ratio, o->spurious_ratio >= 0 && o->spurious_ratio <= 1,
         "in [0, 1], 0 to turn the rule for spurious maxima off"},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
        if (!numbers[i].ok)
            return refuse(GMOE_EINVAL, numbers[i].name, field, err, "must be %s (got %g)",
                          numbers[i].need, numbers[i].v);
    return GMOE_OK;
}

/* The choices of gmoe_em_options (the interfaces parse their names). */
static int check_choices(const gmoe_em_options *o, const char **field, gmoe_err *err)
{
    const struct {
        const char *name;
        int v, last;
        const char *names;
    } choices[] = {
        {"tol_rule", (int)o->tol_rule, GMOE_TOL_ABSOLUTE, "per-obs, relative or absolute"},
        {"accel", (int)o->accel, GMOE_ACCEL_SQUAREM, "squarem or none"},
        {"tau_mode", (int)o->tau_mode, GMOE_TAU_ESTIMATE, "fixed or estimate"},
    };
    for (size_t i = 0; i < sizeof choices / sizeof *choices; i++)
        if (choices[i].v < 0 || choices[i].v > choices[i].last)
            return refuse(GMOE_EINVAL, choices[i].name, field, err, "must be %s (got %d)",
                          choices[i].names, choices[i].v);
    return GMOE_OK;
}

int gmoe_em_options_validate(const gmoe_em_options *opt, const char **field, gmoe_err *err)
{
    if (!opt)
        return refuse(GMOE_EINVAL, "options", field, err, "are missing");
    int st = check_counts(opt, field, err);
    if (st == GMOE_OK)
        st = check_numbers(opt, field, err);
    if (st == GMOE_OK)
        st = check_choices(opt, field, err);
    return st;
}

int gmoe_error_named(gmoe_err *err, int st, const char *name)
{
    char what[GMOE_ERRMSG_LEN];
    snprintf(what, sizeof what, "%s", err ? err->msg : "");
    return gmoe_error(err, st, "%s %s", name ? name : "an option", what);
}

const char *gmoe_em_options_check(const gmoe_em_options *opt)
{
    static _Thread_local char msg[GMOE_ERRMSG_LEN + 32];
    const char *field = "options";
    gmoe_err err;
    if (gmoe_em_options_validate(opt, &field, &err) == GMOE_OK)
        return NULL;
    snprintf(msg, sizeof msg, "%s %s", field, err.msg);
    return msg;
}

int gmoe_k_validate(size_t k, const char **field, gmoe_err *err)
{
    if (k < 1 || k > GMOE_K_MAX)
        return refuse(GMOE_EINVAL, "k", field, err, "must be 1 to %d (got %zu)", GMOE_K_MAX, k);
    return GMOE_OK;
}

int gmoe_bootstrap_options_validate(const gmoe_bootstrap_options *opt, const char **field,
                                    gmoe_err *err)
{
    if (!opt)
        return refuse(GMOE_EINVAL, "options", field, err, "are missing");
    if (opt->replicates < 2 || opt->replicates > MAX_REPLICATES)
        return refuse(GMOE_EINVAL, "replicates", field, err, "must be 2 to %d (got %zu)",
                      MAX_REPLICATES, opt->replicates);
    if (opt->type != GMOE_BOOT_NONPARAMETRIC && opt->type != GMOE_BOOT_PARAMETRIC)
        return refuse(GMOE_EINVAL, "type", field, err, "must be nonparametric or parametric (got %d)",
                      (int)opt->type);
    if (opt->nthreads < 0 || opt->nthreads > MAX_THREADS)
        return refuse(GMOE_EINVAL, "nthreads", field, err,
                      "must be 0 (OpenMP's default) to %d (got %d)", MAX_THREADS, opt->nthreads);
    return GMOE_OK;
}

int gmoe_model_options_validate(const gmoe_model *m, const char **field, gmoe_err *err)
{
    if (!m)
        return refuse(GMOE_EINVAL, "model", field, err, "is missing");
    const gmoe_gating *g = gmoe_gating_get(m->family);
    if (!g) {
        char names[256];
        gmoe_family_list(0, "", ", ", " or ", names, sizeof names);
        return refuse(GMOE_ENOTSUP, "family", field, err, "must be %s (got %d)", names,
                      (int)m->family);
    }
    if ((g->options & GMOE_FAMILY_OPT_TOP_K) && (m->top_k < 1 || m->top_k > m->k))
        return refuse(GMOE_EINVAL, "top_k", field, err, "must be 1 to k = %zu (got %zu)", m->k,
                      m->top_k);
    if ((g->options & GMOE_FAMILY_OPT_SELECT) && (unsigned)m->select > GMOE_SELECT_LOGIT)
        return refuse(GMOE_EINVAL, "select", field, err, "must be slope or logit (got %d)",
                      (int)m->select);
    if ((g->options & GMOE_FAMILY_OPT_TAU) && !(isfinite(m->tau) && m->tau > 0))
        return refuse(GMOE_EINVAL, "tau", field, err, "must be a finite number > 0 (got %g)",
                      m->tau);
    if ((g->options & GMOE_FAMILY_OPT_ACTIVATION) && (unsigned)m->act >= GMOE_NACTIVATIONS)
        return refuse(GMOE_EINVAL, "act", field, err,
                      "must be tanh, sigmoid, arctan or softsign (got %d)", (int)m->act);
    if ((g->options & GMOE_FAMILY_OPT_BIAS) && (unsigned)m->bias > GMOE_BIAS_INSIDE)
        return refuse(GMOE_EINVAL, "bias", field, err, "must be outside or inside (got %d)",
                      (int)m->bias);
    return GMOE_OK;
}
