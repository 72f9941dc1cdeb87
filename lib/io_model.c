/* io_model.c -- JSON model files (jansson).
 *
 *   {"family": "softmax", "k": 2, "d": 1,
 *    "x_names": ["x"], "y_name": "y",
 *    "experts": [{"beta0": -8, "beta1": [25], "a": [-20], "b": 15, "sigma2": 0.09}, ...],
 *    "fit": {"loglik": ..., "stop": "tolerance", "seed": 1, ...}}
 *
 * A gate with covariates of its own adds "gate_d" (dg) and
 * "gate_x_names" after "x_names"; its experts' "beta1" have dg entries,
 * "a" d (either may be 0).  Files without "gate_d" are models whose gate
 * reads the experts' covariates (every file written before the key).
 *
 * plus the keys of the options the family reads (option_keys below, asked
 * of the family table: "tau", "tau_estimated", "activation", "bias",
 * "top_k", "select").  Reading is strict: unknown keys,
 * another family's keys, wrong types and sizes are errors naming the key
 * (and the expert), since a silently ignored typo would change the model.
 *
 * After "fit": "notes" (io_model_notes.c) and "inference"
 * (io_model_inference.c); mixfit -k LO:HI ends the file with "k_table",
 * whose shape is checked and which is not kept. */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

/* ======================================================= family option keys */

/* How a family option is stored in the model and spelled in the file. */
typedef enum { VALUE_NUMBER, VALUE_BOOL, VALUE_SIZE, VALUE_NAME } value_kind;

typedef struct {
    const char *key;
    unsigned option;  /* the GMOE_FAMILY_OPT_* bit of the families with this key */
    value_kind kind;
    int required;     /* the defining parameter of the family must be given */
    size_t offset;    /* of the field in gmoe_model (an int for VALUE_BOOL, VALUE_NAME) */
    const char *(*name)(int value);      /* VALUE_NAME: value -> name */
    int (*from_name)(const char *name);  /* VALUE_NAME: name -> value, -1 if unknown */
    int nvalues;                         /* VALUE_NAME: values 0 .. nvalues-1 */
} option_key;

static const char *activation_name(int v) { return gmoe_activation_name((gmoe_activation)v); }
static const char *bias_name(int v) { return gmoe_bias_name((gmoe_bias_placement)v); }
static const char *select_name(int v) { return gmoe_select_name((gmoe_select)v); }

/* enum fields are read and written through an int */
_Static_assert(sizeof(gmoe_activation) == sizeof(int) && sizeof(gmoe_bias_placement) == sizeof(int) &&
                   sizeof(gmoe_select) == sizeof(int),
               "family option enums are int-sized");

/* In the order they are written. */
static const option_key option_keys[] = {
    {"tau", GMOE_FAMILY_OPT_TAU, VALUE_NUMBER, 1, offsetof(gmoe_model, tau), NULL, NULL, 0},
    {"tau_estimated", GMOE_FAMILY_OPT_TAU, VALUE_BOOL, 0, offsetof(gmoe_model, tau_estimated), NULL, NULL, 0},
    {"activation", GMOE_FAMILY_OPT_ACTIVATION, VALUE_NAME, 0, offsetof(gmoe_model, act), activation_name,
     gmoe_activation_from_name, GMOE_NACTIVATIONS},
    {"bias", GMOE_FAMILY_OPT_BIAS, VALUE_NAME, 0, offsetof(gmoe_model, bias), bias_name, gmoe_bias_from_name, 2},
    {"top_k", GMOE_FAMILY_OPT_TOP_K, VALUE_SIZE, 1, offsetof(gmoe_model, top_k), NULL, NULL, 0},
    {"select", GMOE_FAMILY_OPT_SELECT, VALUE_NAME, 0, offsetof(gmoe_model, select), select_name,
     gmoe_select_from_name, 2},
};
#define NOPTION_KEYS (sizeof option_keys / sizeof *option_keys)

static void *field(gmoe_model *m, const option_key *o)
{
    return (char *)m + o->offset;
}

static const void *const_field(const gmoe_model *m, const option_key *o)
{
    return (const char *)m + o->offset;
}

/* ================================================================ writing */

typedef struct {
    char *s;
    size_t len, cap;
    int nomem;
} sbuf;

static void put(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(sbuf *b, const char *fmt, ...)
{
    if (b->nomem)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->nomem = 1;
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        size_t cap = 2 * b->cap > b->len + (size_t)n + 1 ? 2 * b->cap : b->len + (size_t)n + 1;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->nomem = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* Appends a JSON value made by jansson (which escapes strings and prints
 * reals independently of the locale); steals the reference. */
static void put_json(sbuf *b, json_t *v, size_t flags)
{
    char *s = v ? json_dumps(v, flags | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    if (!s) {
        b->nomem = 1;
        return;
    }
    put(b, "%s", s);
    free(s);
}

static void put_text(void *b, const char *text)
{
    put((sbuf *)b, "%s", text);
}

/* Numbers as gmoe_io_number_text writes them (io_number.c). */
static void put_number(sbuf *b, double v)
{
    char text[64];
    if (!gmoe_io_number_text(v, text, sizeof text))
        b->nomem = 1;
    else
        put(b, "%s", text);
}

static void put_vector(sbuf *b, const double *v, size_t n)
{
    put(b, "[");
    for (size_t j = 0; j < n; j++) {
        if (j)
            put(b, ", ");
        put_number(b, v[j]);
    }
    put(b, "]");
}

/* Starts the next "key": of an object laid out one key per line. */
static void key(sbuf *b, int *first, const char *indent, const char *name)
{
    put(b, "%s\n%s\"%s\": ", *first ? "" : ",", indent, name);
    *first = 0;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* JSON strings are UTF-8; jansson refuses anything else. */
static int valid_utf8(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    json_decref(j);
    return !s || j != NULL;
}

/* Refuses what JSON or the reader cannot represent. */
static int check_writable(const gmoe_model *m, gmoe_err *err)
{
    if (!m)
        return gmoe_error(err, GMOE_EINVAL, "no model");
    if ((unsigned)m->family >= GMOE_NFAMILIES || m->k < 1 || (m->d < 1 && !m->gate_own))
        return gmoe_error(err, GMOE_EINVAL, "cannot write a model of family %d with k = %zu, d = %zu",
                          (int)m->family, m->k, m->d);
    size_t d = m->d, dg = m->dg;
    for (size_t i = 0; i < m->k; i++)
        if (!isfinite(m->beta0[i]) || !all_finite(m->beta1 + i * dg, dg) || !all_finite(m->a + i * d, d) ||
            !isfinite(m->b[i]) || !isfinite(m->sigma2[i]))
            return gmoe_error(err, GMOE_EINVAL, "cannot write expert %zu: a parameter is not finite "
                                                "(JSON has no inf or nan)", i + 1);
    if (gmoe_family_has_tau(m->family) && !isfinite(m->tau))
        return gmoe_error(err, GMOE_EINVAL, "cannot write a non-finite tau");
    if ((unsigned)m->select > GMOE_SELECT_LOGIT || (unsigned)m->act >= GMOE_NACTIVATIONS ||
        (unsigned)m->bias > GMOE_BIAS_INSIDE)
        return gmoe_error(err, GMOE_EINVAL, "cannot write a model with an unknown family option");
    if (m->has_fit && m->fit.seed > (uint64_t)INT64_MAX)
        /* jansson's integers are signed 64-bit, so a larger seed could not be read back */
        return gmoe_error(err, GMOE_EINVAL, "cannot write seed %" PRIu64 ": model files hold seeds up to %" PRId64,
                          m->fit.seed, INT64_MAX);
    for (size_t j = 0; m->xnames && j < d; j++)
        if (!valid_utf8(m->xnames[j]))
            return gmoe_error(err, GMOE_EINVAL, "cannot write covariate name %zu: not valid UTF-8", j + 1);
    for (size_t j = 0; m->gate_own && m->gxnames && j < dg; j++)
        if (!valid_utf8(m->gxnames[j]))
            return gmoe_error(err, GMOE_EINVAL, "cannot write gate covariate name %zu: not valid UTF-8",
                              j + 1);
    if (m->yname && !valid_utf8(m->yname))
        return gmoe_error(err, GMOE_EINVAL, "cannot write the response name: not valid UTF-8");
    if (m->has_fit && (unsigned)m->fit.stop > GMOE_STOP_LAST)
        return gmoe_error(err, GMOE_EINVAL, "cannot write an unknown stop reason %d", (int)m->fit.stop);
    return GMOE_OK;
}

/* A fit statistic: null when not finite (a run that failed numerically). */
static void put_stat(sbuf *b, double v)
{
    if (isfinite(v))
        put_number(b, v);
    else
        put(b, "null");
}

static void put_fit(sbuf *b, const gmoe_fit_info *f)
{
    int first = 1;
    const char *in = "    ";
    put(b, "{");
    key(b, &first, in, "loglik"), put_stat(b, f->loglik);
    key(b, &first, in, "aic"), put_stat(b, f->aic);
    key(b, &first, in, "bic"), put_stat(b, f->bic);
    key(b, &first, in, "icl"), put_stat(b, f->icl);
    key(b, &first, in, "npar"), put(b, "%zu", f->npar);
    key(b, &first, in, "iterations"), put(b, "%zu", f->iterations);
    key(b, &first, in, "converged"), put(b, "%s", f->converged ? "true" : "false");
    key(b, &first, in, "stop"), put_json(b, json_string(gmoe_stop_name(f->stop)), 0);
    key(b, &first, in, "n"), put(b, "%zu", f->n);
    if (f->nobs != (double)f->n && isfinite(f->nobs) && f->nobs > 0) /* case weights */
        key(b, &first, in, "nobs"), put_stat(b, f->nobs);
    key(b, &first, in, "seed"), put(b, "%" PRIu64, f->seed);
    key(b, &first, in, "restarts"), put(b, "%zu", f->restarts);
    key(b, &first, in, "best_restart"), put(b, "%zu", f->best_restart);
    /* the final test of the fit (issue 11) */
    key(b, &first, in, "grad_norm"), put_stat(b, f->grad_norm);
    key(b, &first, in, "hessian_negative_definite"), put(b, "%s", f->hessian_nd ? "true" : "false");
    key(b, &first, in, "null_directions"), put(b, "%zu", f->null_dirs);
    key(b, &first, in, "newton_iterations"), put(b, "%zu", f->newton_iterations);
    /* the rule for spurious maxima the fit ranked its runs by (0: off) */
    key(b, &first, in, "spurious_rows"), put_stat(b, f->spurious_rows_factor);
    key(b, &first, in, "spurious_ratio"), put_stat(b, f->spurious_ratio_max);
    put(b, "\n  }");
}

/* The keys of the options m's family reads. */
static void put_family_options(sbuf *b, int *first, const char *in, const gmoe_model *m)
{
    unsigned options = gmoe_family_options(m->family);
    for (const option_key *o = option_keys; o < option_keys + NOPTION_KEYS; o++) {
        if (!(options & o->option))
            continue;
        const void *v = const_field(m, o);
        key(b, first, in, o->key);
        switch (o->kind) {
        case VALUE_NUMBER: put_number(b, *(const double *)v); break;
        case VALUE_BOOL: put(b, "%s", *(const int *)v ? "true" : "false"); break;
        case VALUE_SIZE: put(b, "%zu", *(const size_t *)v); break;
        case VALUE_NAME: put_json(b, json_string(o->name(*(const int *)v)), 0); break;
        }
    }
}

/* ["x", "z"]: n names ("" for a missing one). */
static void put_names(sbuf *b, char *const *names, size_t n)
{
    put(b, "[");
    for (size_t j = 0; j < n; j++) {
        put(b, "%s", j ? ", " : "");
        put_json(b, json_string(names[j] ? names[j] : ""), 0);
    }
    put(b, "]");
}

static int to_json(const gmoe_model *m, char **out, gmoe_err *err)
{
    int status;
    *out = NULL;
    if ((status = check_writable(m, err)) != GMOE_OK)
        return status;
    size_t k = m->k, d = m->d;
    sbuf b = {malloc(1024), 0, 1024, 0};
    if (!b.s)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    b.s[0] = '\0';
    int first = 1;
    const char *in = "  ";
    put(&b, "{");
    key(&b, &first, in, "family"), put_json(&b, json_string(gmoe_family_name(m->family)), 0);
    key(&b, &first, in, "k"), put(&b, "%zu", k);
    key(&b, &first, in, "d"), put(&b, "%zu", d);
    put_family_options(&b, &first, in, m);
    if (m->gate_own)
        key(&b, &first, in, "gate_d"), put(&b, "%zu", m->dg);
    if (m->xnames)
        key(&b, &first, in, "x_names"), put_names(&b, m->xnames, d);
    if (m->gate_own && m->gxnames)
        key(&b, &first, in, "gate_x_names"), put_names(&b, m->gxnames, m->dg);
    if (m->yname)
        key(&b, &first, in, "y_name"), put_json(&b, json_string(m->yname), 0);
    if (m->nfactors) /* io_model_factors.c */
        key(&b, &first, in, "factors"), put_json(&b, gmoe_io_factors_json(m), 0);
    key(&b, &first, in, "experts"), put(&b, "[");
    for (size_t i = 0; i < k; i++) {
        put(&b, "%s\n    {\"beta0\": ", i ? "," : "");
        put_number(&b, m->beta0[i]);
        put(&b, ", \"beta1\": ");
        put_vector(&b, m->beta1 + i * m->dg, m->dg);
        put(&b, ", \"a\": ");
        put_vector(&b, m->a + i * d, d);
        put(&b, ", \"b\": ");
        put_number(&b, m->b[i]);
        put(&b, ", \"sigma2\": ");
        put_number(&b, m->sigma2[i]);
        put(&b, "}");
    }
    put(&b, "\n  ]");
    if (m->has_fit)
        key(&b, &first, in, "fit"), put_fit(&b, &m->fit);
    if (m->notes) /* io_model_notes.c */
        key(&b, &first, in, "notes"), gmoe_io_notes_write(m->notes, put_text, &b);
    if (m->inference) /* io_model_inference.c */
        key(&b, &first, in, "inference"), gmoe_io_inference_write(m->inference, put_text, &b);
    put(&b, "\n}\n");
    if (b.nomem) {
        free(b.s);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    *out = b.s;
    return GMOE_OK;
}

char *gmoe_model_to_json(const gmoe_model *m, gmoe_err *err)
{
    char *s;
    to_json(m, &s, err);
    return s;
}

/* ================================================================ reading */

typedef struct {
    const char *name; /* source name for messages */
    gmoe_err *err;
} ctx;

static int ferr(const ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int ferr(const ctx *c, const char *fmt, ...)
{
    char msg[GMOE_ERRMSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gmoe_error(c->err, GMOE_EFORMAT, "%s: %s", c->name, msg);
}

/* "expert 2: " or "" (for messages about top-level or "fit" keys). */
typedef struct {
    char s[48];
} where;

static where at_expert(size_t i)
{
    where w;
    snprintf(w.s, sizeof w.s, "expert %zu: ", i + 1);
    return w;
}

static const where top = {""};
static const where in_fit = {"fit: "};

static int get_number(const ctx *c, where w, json_t *v, const char *name, double *out)
{
    if (!json_is_number(v))
        return ferr(c, "%s\"%s\" must be a number", w.s, name);
    *out = json_number_value(v);
    return GMOE_OK;
}

/* A non-negative integer (an integral real such as 2.0 is accepted). */
static int get_count(const ctx *c, where w, json_t *v, const char *name, uint64_t max, uint64_t *out)
{
    double x = json_is_real(v) ? json_real_value(v) : -1;
    if (json_is_integer(v) && json_integer_value(v) >= 0 && (uint64_t)json_integer_value(v) <= max)
        *out = (uint64_t)json_integer_value(v);
    else if (json_is_real(v) && x >= 0 && x == floor(x) && x <= (double)max && x < 0x1p63)
        *out = (uint64_t)x;
    else
        return ferr(c, "%s\"%s\" must be an integer from 0 to %" PRIu64, w.s, name, max);
    return GMOE_OK;
}

static int get_size(const ctx *c, where w, json_t *v, const char *name, size_t *out)
{
    uint64_t u;
    int status = get_count(c, w, v, name, SIZE_MAX < INT64_MAX ? SIZE_MAX : INT64_MAX, &u);
    if (status == GMOE_OK)
        *out = (size_t)u;
    return status;
}

static int get_bool(const ctx *c, where w, json_t *v, const char *name, int *out)
{
    if (!json_is_boolean(v))
        return ferr(c, "%s\"%s\" must be true or false", w.s, name);
    *out = json_is_true(v);
    return GMOE_OK;
}

/* A string that from_name() knows. */
static int get_name(const ctx *c, where w, json_t *v, const char *name, int (*from_name)(const char *),
                    const char *choices, int *out)
{
    int e = json_is_string(v) ? from_name(json_string_value(v)) : -1;
    if (e < 0)
        return ferr(c, "%s\"%s\" must be one of %s", w.s, name, choices);
    *out = e;
    return GMOE_OK;
}

static int stop_from_name(const char *s)
{
    for (int i = GMOE_STOP_NONE; i <= GMOE_STOP_LAST; i++)
        if (strcmp(gmoe_stop_name((gmoe_stop_reason)i), s) == 0)
            return i;
    return -1;
}

/* size_name: "d" or "gate_d", for the message. */
static int get_vector(const ctx *c, where w, json_t *v, const char *name, const char *size_name,
                      size_t d, double *out)
{
    if (!json_is_array(v) || json_array_size(v) != d)
        return ferr(c, "%s\"%s\" must be an array of %s = %zu number%s", w.s, name, size_name, d,
                    d == 1 ? "" : "s");
    for (size_t j = 0; j < d; j++)
        if (!json_is_number(json_array_get(v, j)))
            return ferr(c, "%s\"%s\" entry %zu must be a number", w.s, name, j + 1);
        else
            out[j] = json_number_value(json_array_get(v, j));
    return GMOE_OK;
}

/* Every key of object o must be in the NULL-terminated list. */
static int known_keys(const ctx *c, where w, json_t *o, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], k) != 0)
            i++;
        if (!keys[i])
            return ferr(c, "%sunknown key \"%s\"", w.s, k);
    }
    return GMOE_OK;
}

static json_t *required(const ctx *c, where w, json_t *o, const char *name, int *status)
{
    json_t *v = json_object_get(o, name);
    if (!v)
        *status = ferr(c, "%smissing \"%s\"", w.s, name);
    return v;
}

static const char *const expert_keys[] = {"beta0", "beta1", "a", "b", "sigma2", NULL};

static int read_expert(const ctx *c, json_t *e, size_t i, gmoe_model *m)
{
    where w = at_expert(i);
    size_t d = m->d, dg = m->dg;
    const char *gate_size = m->gate_own ? "gate_d" : "d";
    int status = GMOE_OK;
    json_t *v;
    if (!json_is_object(e))
        return ferr(c, "%smust be an object", w.s);
    if ((status = known_keys(c, w, e, expert_keys)) != GMOE_OK)
        return status;
    if (!(v = required(c, w, e, "beta0", &status)) || (status = get_number(c, w, v, "beta0", &m->beta0[i])))
        return status;
    if (!(v = required(c, w, e, "beta1", &status)) || (status = get_vector(c, w, v, "beta1", gate_size, dg, m->beta1 + i * dg)))
        return status;
    if (!(v = required(c, w, e, "a", &status)) || (status = get_vector(c, w, v, "a", "d", d, m->a + i * d)))
        return status;
    if (!(v = required(c, w, e, "b", &status)) || (status = get_number(c, w, v, "b", &m->b[i])))
        return status;
    if (!(v = required(c, w, e, "sigma2", &status)) || (status = get_number(c, w, v, "sigma2", &m->sigma2[i])))
        return status;
    return GMOE_OK;
}

/* A size key when given must agree with the count found. */
static int agree(const ctx *c, json_t *root, const char *name, size_t found, const char *what)
{
    json_t *v = json_object_get(root, name);
    size_t u;
    int status;
    if (!v)
        return GMOE_OK;
    if ((status = get_size(c, top, v, name, &u)) != GMOE_OK)
        return status;
    if (u != found)
        return ferr(c, "\"%s\" is %zu but expert 1's %s has %zu entr%s", name, u, what, found,
                    found == 1 ? "y" : "ies");
    return GMOE_OK;
}

/* Sizes from "experts" (and "k", "d", "gate_d" when given, which must
 * agree).  With "gate_d" the gate has covariates of its own: dg from
 * expert 1's "beta1", d from its "a", either may be 0. */
static int read_sizes(const ctx *c, json_t *root, size_t *k, size_t *d, size_t *dg, int *gate_own)
{
    int status = GMOE_OK;
    json_t *ex = required(c, top, root, "experts", &status), *v;
    if (!ex)
        return status;
    if (!json_is_array(ex) || json_array_size(ex) == 0)
        return ferr(c, "\"experts\" must be a non-empty array of objects");
    *k = json_array_size(ex);
    if (!json_is_object(json_array_get(ex, 0)))
        return ferr(c, "expert 1: must be an object");
    *gate_own = json_object_get(root, "gate_d") != NULL;
    json_t *b1 = json_object_get(json_array_get(ex, 0), "beta1");
    json_t *a = json_object_get(json_array_get(ex, 0), "a");
    if (!json_is_array(b1) || (!*gate_own && json_array_size(b1) == 0))
        return ferr(c, "expert 1: \"beta1\" must be a %sarray of numbers", *gate_own ? "" : "non-empty ");
    if (*gate_own && !json_is_array(a))
        return ferr(c, "expert 1: \"a\" must be an array of numbers");
    *dg = json_array_size(b1);
    *d = *gate_own ? json_array_size(a) : *dg;
    size_t u;
    if ((v = json_object_get(root, "k"))) {
        if ((status = get_size(c, top, v, "k", &u)) != GMOE_OK)
            return status;
        if (u != *k)
            return ferr(c, "\"k\" is %zu but there are %zu experts", u, *k);
    }
    if ((status = agree(c, root, "d", *d, *gate_own ? "\"a\"" : "\"beta1\"")) != GMOE_OK)
        return status;
    return agree(c, root, "gate_d", *dg, "\"beta1\"");
}

/* Top-level keys: common ones, then the family's own (option_keys). */
static const char *const common_keys[] = {"family", "k", "d", "gate_d", "x_names", "gate_x_names",
                                          "y_name", "factors", "experts", "fit", "notes", "inference",
                                          "k_table", NULL};

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

static const option_key *find_option_key(const char *name)
{
    for (const option_key *o = option_keys; o < option_keys + NOPTION_KEYS; o++)
        if (strcmp(o->key, name) == 0)
            return o;
    return NULL;
}

static int check_top_keys(const ctx *c, json_t *root, gmoe_family f)
{
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        const option_key *o = find_option_key(k);
        if (in_list(common_keys, k) || (o && (gmoe_family_options(f) & o->option)))
            continue;
        if (o) {
            char owners[256];
            gmoe_family_list(o->option, "\"", ", ", " and ", owners, sizeof owners);
            return ferr(c, "\"%s\" is not a key of family \"%s\" (it belongs to %s)", k, gmoe_family_name(f),
                        owners);
        }
        return ferr(c, "unknown key \"%s\"", k);
    }
    return GMOE_OK;
}

/* "\"a\", \"b\"": the names of an option key's values, for messages. */
static void value_choices(const option_key *o, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < o->nvalues && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s\"%s\"", i ? ", " : "", o->name(i));
}

static int read_option_value(const ctx *c, json_t *v, const option_key *o, gmoe_model *m)
{
    void *dst = field(m, o);
    char choices[128];
    switch (o->kind) {
    case VALUE_NUMBER: return get_number(c, top, v, o->key, dst);
    case VALUE_BOOL: return get_bool(c, top, v, o->key, dst);
    case VALUE_SIZE: return get_size(c, top, v, o->key, dst);
    case VALUE_NAME: value_choices(o, choices, sizeof choices);
        return get_name(c, top, v, o->key, o->from_name, choices, dst);
    }
    return GMOE_OK;
}

static int read_family_options(const ctx *c, json_t *root, gmoe_model *m)
{
    int status = GMOE_OK;
    unsigned options = gmoe_family_options(m->family);
    for (const option_key *o = option_keys; o < option_keys + NOPTION_KEYS && status == GMOE_OK; o++) {
        json_t *v = (options & o->option) ? json_object_get(root, o->key) : NULL;
        if (v)
            status = read_option_value(c, v, o, m);
        else if ((options & o->option) && o->required)
            required(c, top, root, o->key, &status);
    }
    return status;
}

/* A names array of n strings (key name) into *out (malloc'd, borrowed
 * strings; NULL when absent). */
static int get_names(const ctx *c, json_t *root, const char *name, const char *size_name, size_t n,
                     const char ***out)
{
    json_t *xs = json_object_get(root, name);
    *out = NULL;
    if (!xs)
        return GMOE_OK;
    if (!json_is_array(xs) || json_array_size(xs) != n)
        return ferr(c, "\"%s\" must be an array of %s = %zu string%s", name, size_name, n,
                    n == 1 ? "" : "s");
    const char **xn = malloc((n + 1) * sizeof *xn);
    if (!xn)
        return gmoe_error(c->err, GMOE_ENOMEM, "out of memory");
    for (size_t j = 0; j < n; j++)
        if (!(xn[j] = json_string_value(json_array_get(xs, j)))) {
            free(xn);
            return ferr(c, "\"%s\" entry %zu must be a string", name, j + 1);
        }
    *out = xn;
    return GMOE_OK;
}

static int read_names(const ctx *c, json_t *root, gmoe_model *m)
{
    json_t *y = json_object_get(root, "y_name");
    const char **xn = NULL, **gn = NULL;
    int status = get_names(c, root, "x_names", "d", m->d, &xn);
    if (status == GMOE_OK && m->gate_own)
        status = get_names(c, root, "gate_x_names", "gate_d", m->dg, &gn);
    else if (status == GMOE_OK && json_object_get(root, "gate_x_names"))
        status = ferr(c, "\"gate_x_names\" needs \"gate_d\" (the gate's own covariates)");
    if (status == GMOE_OK && y && !json_is_string(y))
        status = ferr(c, "\"y_name\" must be a string");
    if (status == GMOE_OK && (gmoe_model_set_names(m, xn, y ? json_string_value(y) : NULL) != GMOE_OK ||
                              (gn && gmoe_model_set_gate_names(m, gn) != GMOE_OK)))
        status = gmoe_error(c->err, GMOE_ENOMEM, "out of memory");
    free(xn);
    free(gn);
    return status;
}

static const char *const fit_keys[] = {"loglik", "aic", "bic", "icl", "npar", "iterations", "converged", "stop",
                                       "n", "seed", "restarts", "best_restart", "grad_norm",
                                       "hessian_negative_definite", "null_directions",
                                       "newton_iterations", "nobs", "spurious_rows", "spurious_ratio", NULL};

/* A fit statistic: a number, or null for a run that failed numerically. */
static int get_stat(const ctx *c, json_t *o, const char *name, double *out)
{
    int status = GMOE_OK;
    json_t *v = required(c, in_fit, o, name, &status);
    if (!v)
        return status;
    if (json_is_null(v)) {
        *out = NAN;
        return GMOE_OK;
    }
    if (!json_is_number(v))
        return ferr(c, "fit: \"%s\" must be a number or null", name);
    *out = json_number_value(v);
    return GMOE_OK;
}

/* The fit's final test, optional (files written before it was added
 * have none: grad_norm NaN). */
static int read_fit_check(const ctx *c, json_t *o, gmoe_fit_info *f)
{
    int status = GMOE_OK;
    json_t *v;
    f->grad_norm = NAN;
    if (json_object_get(o, "grad_norm") && (status = get_stat(c, o, "grad_norm", &f->grad_norm)))
        return status;
    if ((v = json_object_get(o, "hessian_negative_definite")) &&
        (status = get_bool(c, in_fit, v, "hessian_negative_definite", &f->hessian_nd)))
        return status;
    if ((v = json_object_get(o, "null_directions")) &&
        (status = get_size(c, in_fit, v, "null_directions", &f->null_dirs)))
        return status;
    if ((v = json_object_get(o, "newton_iterations")) &&
        (status = get_size(c, in_fit, v, "newton_iterations", &f->newton_iterations)))
        return status;
    if (json_object_get(o, "spurious_rows") &&
        (status = get_stat(c, o, "spurious_rows", &f->spurious_rows_factor)))
        return status;
    if (json_object_get(o, "spurious_ratio") &&
        (status = get_stat(c, o, "spurious_ratio", &f->spurious_ratio_max)))
        return status;
    f->nobs = (double)f->n; /* no case weights, or weights summing to n */
    if (json_object_get(o, "nobs") && (status = get_stat(c, o, "nobs", &f->nobs)))
        return status;
    if (!(f->nobs > 0) || !isfinite(f->nobs))
        return ferr(c, "fit: \"nobs\" (the sum of the case weights) must be a number > 0");
    return GMOE_OK;
}

static int read_fit(const ctx *c, json_t *o, gmoe_fit_info *f)
{
    int status = GMOE_OK, e = 0;
    json_t *v;
    uint64_t u;
    if (!json_is_object(o))
        return ferr(c, "\"fit\" must be an object");
    if ((status = known_keys(c, in_fit, o, fit_keys)) || (status = get_stat(c, o, "loglik", &f->loglik)) ||
        (status = get_stat(c, o, "aic", &f->aic)) || (status = get_stat(c, o, "bic", &f->bic)) ||
        (status = get_stat(c, o, "icl", &f->icl)))
        return status;
    struct {
        const char *name;
        size_t *dst;
    } sizes[] = {{"npar", &f->npar}, {"iterations", &f->iterations}, {"n", &f->n},
                 {"restarts", &f->restarts}, {"best_restart", &f->best_restart}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        if (!(v = required(c, in_fit, o, sizes[i].name, &status)) ||
            (status = get_size(c, in_fit, v, sizes[i].name, sizes[i].dst)))
            return status;
    if (!(v = required(c, in_fit, o, "seed", &status)) || (status = get_count(c, in_fit, v, "seed", INT64_MAX, &u)))
        return status;
    f->seed = u;
    if (!(v = required(c, in_fit, o, "converged", &status)) ||
        (status = get_bool(c, in_fit, v, "converged", &f->converged)))
        return status;
    if (!(v = required(c, in_fit, o, "stop", &status)) ||
        (status = get_name(c, in_fit, v, "stop", stop_from_name,
                           "\"none\", \"tolerance\", \"max-iterations\", \"degenerate\", \"numeric\", "
                           "\"saddle\", \"stalled\", \"loglik-change\", \"selection-local\", \"separable\"", &e)))
        return status;
    f->stop = (gmoe_stop_reason)e;
    if ((status = read_fit_check(c, o, f)))
        return status;
    if (f->converged != (f->stop == GMOE_STOP_TOL))
        return ferr(c, "fit: \"converged\" is %s but \"stop\" is \"%s\"", f->converged ? "true" : "false",
                    gmoe_stop_name(f->stop));
    return GMOE_OK;
}

/* "k_table": the table of mixfit -k LO:HI that chose this model (one
 * object per k, "k" first; mixfit(1)).  It describes how the model was
 * chosen, not the model: checked for its shape and not kept. */
static int check_k_table(const ctx *c, json_t *v)
{
    size_t i;
    json_t *row;
    if (!json_is_array(v))
        return ferr(c, "\"k_table\" must be an array");
    json_array_foreach(v, i, row) {
        json_t *k = json_object_get(row, "k");
        if (!json_is_object(row) || !json_is_integer(k) || json_integer_value(k) < 1)
            return ferr(c, "\"k_table\": row %zu must be an object with \"k\" (a whole number >= 1)",
                        i + 1);
    }
    return GMOE_OK;
}

/* Builds the model from a parsed document. */
static int read_model(const ctx *c, json_t *root, gmoe_model **out)
{
    int status = GMOE_OK, fam = 0;
    size_t k = 0, d = 0, dg = 0;
    int gate_own = 0;
    json_t *v;
    char families[256];
    gmoe_family_list(0, "\"", ", ", ", ", families, sizeof families);
    if (!json_is_object(root))
        return ferr(c, "the top level must be an object");
    if (!(v = required(c, top, root, "family", &status)) ||
        (status = get_name(c, top, v, "family", gmoe_family_from_name, families, &fam)) ||
        (status = check_top_keys(c, root, (gmoe_family)fam)) || (status = read_sizes(c, root, &k, &d, &dg, &gate_own)))
        return status;
    gmoe_model *m = gate_own ? gmoe_model_alloc_gate((gmoe_family)fam, k, d, dg)
                             : gmoe_model_alloc((gmoe_family)fam, k, d);
    if (!m)
        return gmoe_error(c->err, GMOE_ENOMEM, "out of memory");
    json_t *ex = json_object_get(root, "experts");
    for (size_t i = 0; i < k && status == GMOE_OK; i++)
        status = read_expert(c, json_array_get(ex, i), i, m);
    if (status == GMOE_OK)
        status = read_family_options(c, root, m);
    if (status == GMOE_OK)
        status = read_names(c, root, m);
    if (status == GMOE_OK && (v = json_object_get(root, "factors"))) { /* io_model_factors.c */
        char msg[GMOE_ERRMSG_LEN];
        if ((status = gmoe_io_factors_read(v, m, msg, sizeof msg)) != GMOE_OK)
            status = gmoe_error(c->err, status, "%s: %s", c->name, msg);
    }
    if (status == GMOE_OK && (v = json_object_get(root, "fit"))) {
        m->has_fit = 1;
        status = read_fit(c, v, &m->fit);
    }
    if (status == GMOE_OK && (v = json_object_get(root, "notes"))) { /* io_model_notes.c */
        char msg[GMOE_ERRMSG_LEN];
        if ((status = gmoe_io_notes_read(v, m, msg, sizeof msg)) != GMOE_OK)
            status = gmoe_error(c->err, status, "%s: %s", c->name, msg);
    }
    if (status == GMOE_OK && (v = json_object_get(root, "k_table")))
        status = check_k_table(c, v);
    if (status == GMOE_OK && (v = json_object_get(root, "inference"))) { /* io_model_inference.c */
        char msg[GMOE_ERRMSG_LEN];
        if ((status = gmoe_io_inference_read(v, m, msg, sizeof msg)) != GMOE_OK)
            status = gmoe_error(c->err, status, "%s: %s", c->name, msg);
    }
    if (status == GMOE_OK) {
        gmoe_err e;
        gmoe_err_clear(&e);
        if ((status = gmoe_model_check(m, &e)) != GMOE_OK)
            /* an invalid model in a file is a malformed file; keep ENOTSUP */
            status = gmoe_error(c->err, status == GMOE_EINVAL ? GMOE_EFORMAT : status, "%s: %s", c->name, e.msg);
    }
    if (status != GMOE_OK) {
        gmoe_model_free(m);
        return status;
    }
    *out = m;
    return GMOE_OK;
}

/* A NUL byte (jansson's own message, "end of file expected near end of
 * file" or "invalid token", does not say what it saw): line and column of
 * the first one, counted in bytes from 1. */
static int nul_error(const char *text, const char *nul, const char *name, gmoe_err *err)
{
    size_t line = 1;
    const char *line_start = text;
    for (const char *p = text; p < nul; p++)
        if (*p == '\n') {
            line++;
            line_start = p + 1;
        }
    return gmoe_error(err, GMOE_EFORMAT, "%s:%zu:%zu: a NUL byte (a model file is JSON text, which has none)",
                      name, line, (size_t)(nul - line_start) + 1);
}

static int parse_buffer(const char *text, size_t len, const char *name, gmoe_model **out, gmoe_err *err)
{
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return nul_error(text, nul, name, err);
    json_error_t je;
    /* duplicate keys are refused: which one wins would be a guess */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return gmoe_error(err, GMOE_EFORMAT, "%s:%d:%d: %s", name, je.line, je.column, je.text);
    ctx c = {name, err};
    int status = read_model(&c, root, out);
    json_decref(root);
    return status;
}

int gmoe_model_from_json(const char *text, const char *source_name, gmoe_model **out, gmoe_err *err)
{
    *out = NULL;
    if (!text)
        return gmoe_error(err, GMOE_EINVAL, "no model text");
    return parse_buffer(text, strlen(text), source_name ? source_name : "<string>", out, err);
}

int gmoe_model_read(const char *path, gmoe_model **out, gmoe_err *err)
{
    *out = NULL;
    if (!path)
        return gmoe_error(err, GMOE_EINVAL, "no file name");
    char *buf;
    size_t len;
    int status = gmoe_io_slurp(path, &buf, &len, err);
    if (status != GMOE_OK)
        return status;
    status = parse_buffer(buf, len, gmoe_io_display_name(path), out, err);
    free(buf);
    return status;
}

int gmoe_model_write(const char *path, const gmoe_model *m, gmoe_err *err)
{
    if (!path)
        return gmoe_error(err, GMOE_EINVAL, "no file name");
    char *text;
    int status = to_json(m, &text, err);
    if (status != GMOE_OK)
        return status; /* before touching the file */
    status = gmoe_io_write_atomic(path, text, strlen(text), err);
    free(text);
    return status;
}
