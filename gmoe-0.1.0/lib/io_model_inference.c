/* io_model_inference.c -- the "inference" key of a model file: standard
 * errors, intervals and, on request, the covariance matrix of the free
 * parameters (gmoe_inference), named entry by entry.
 *
 *   "inference": {
 *     "method": "observed", "level": 0.95, "identified": true,
 *     "note": "...",                                   (when there is one)
 *     "parameters": [
 *       {"name": "beta0[1]", "estimate": -8.1, "se": 0.41, "lower": -8.9, "upper": -7.3,
 *        "boot_se": ..., "boot_lower": ..., "boot_upper": ...}, ...],
 *     "bootstrap": {"type": "nonparametric", "replicates": 200, "succeeded": 200, "seed": 1},
 *     "vcov": [[...], ...]                             (rows and columns in
 *   }                                                   the order of "parameters")
 *
 * A value that is not available (not identified) is null.  The
 * parameters are those of gmoe_param_name, in its order; a file whose
 * names do not match its model is refused. */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

typedef struct {
    void (*put)(void *ctx, const char *text);
    void *ctx;
} writer;

static void put_value(const writer *w, double v)
{
    char text[64];
    if (!isfinite(v) || !gmoe_io_number_text(v, text, sizeof text))
        snprintf(text, sizeof text, "null");
    w->put(w->ctx, text);
}

static void put_string(const writer *w, const char *s)
{
    json_t *j = json_string(s ? s : "");
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    w->put(w->ctx, t ? t : "\"\"");
    free(t);
}

static void put_field(const writer *w, const char *name, double v)
{
    char text[64];
    snprintf(text, sizeof text, ", \"%s\": ", name);
    w->put(w->ctx, text);
    put_value(w, v);
}

static void put_parameters(const writer *w, const gmoe_inference *inf)
{
    w->put(w->ctx, ",\n    \"parameters\": [");
    for (size_t j = 0; j < inf->p; j++) {
        w->put(w->ctx, j ? ",\n      {\"name\": " : "\n      {\"name\": ");
        put_string(w, inf->names[j]);
        put_field(w, "estimate", inf->estimate[j]);
        put_field(w, "se", inf->se[j]);
        put_field(w, "lower", inf->lower[j]);
        put_field(w, "upper", inf->upper[j]);
        if (inf->boot_replicates && inf->boot_se) {
            put_field(w, "boot_se", inf->boot_se[j]);
            put_field(w, "boot_lower", inf->boot_lower[j]);
            put_field(w, "boot_upper", inf->boot_upper[j]);
        }
        w->put(w->ctx, "}");
    }
    w->put(w->ctx, "\n    ]");
}

static void put_vcov(const writer *w, const gmoe_inference *inf)
{
    w->put(w->ctx, ",\n    \"vcov\": [");
    for (size_t i = 0; i < inf->p; i++) {
        w->put(w->ctx, i ? ",\n      [" : "\n      [");
        for (size_t j = 0; j < inf->p; j++) {
            if (j)
                w->put(w->ctx, ", ");
            put_value(w, inf->cov[i * inf->p + j]);
        }
        w->put(w->ctx, "]");
    }
    w->put(w->ctx, "\n    ]");
}

void gmoe_io_inference_write(const gmoe_inference *inf, void (*put)(void *ctx, const char *text),
                             void *ctx)
{
    writer w = {put, ctx};
    char text[256];
    w.put(w.ctx, "{\n    \"method\": ");
    put_string(&w, gmoe_se_kind_name(inf->method));
    w.put(w.ctx, ",\n    \"level\": ");
    put_value(&w, inf->level);
    w.put(w.ctx, inf->identified ? ",\n    \"identified\": true" : ",\n    \"identified\": false");
    if (inf->note) {
        w.put(w.ctx, ",\n    \"note\": ");
        put_string(&w, inf->note);
    }
    put_parameters(&w, inf);
    if (inf->boot_replicates) {
        w.put(w.ctx, ",\n    \"bootstrap\": {\"type\": ");
        put_string(&w, gmoe_boot_type_name(inf->boot_type));
        snprintf(text, sizeof text, ", \"replicates\": %zu, \"succeeded\": %zu, \"seed\": %" PRIu64 "}",
                 inf->boot_replicates, inf->boot_ok, inf->boot_seed);
        w.put(w.ctx, text);
    }
    if (inf->cov)
        put_vcov(&w, inf);
    w.put(w.ctx, "\n  }");
}

/* ================================================================ reading */

typedef struct {
    char *msg;
    size_t len;
} reader;

static int fail(const reader *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int fail(const reader *r, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->msg, r->len, "\"inference\": %s", what);
    return GMOE_EFORMAT;
}

/* A number, or null for NaN. */
static int get_value(json_t *v, double *out)
{
    if (json_is_null(v)) {
        *out = NAN;
        return 1;
    }
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return 1;
}

static const char *const param_keys[] = {"name", "estimate", "se", "lower", "upper",
                                         "boot_se", "boot_lower", "boot_upper"};

/* Parameter j's object: its name must be the model's; boot columns iff
 * the record has a bootstrap. */
static int read_parameter(const reader *r, json_t *o, size_t j, const gmoe_model *m,
                          gmoe_inference *inf)
{
    char want[512];
    json_t *name = json_object_get(o, "name");
    if (!json_is_object(o) || !json_is_string(name))
        return fail(r, "parameters entry %zu must be an object with a \"name\"", j + 1);
    if (gmoe_param_name(m, j, want, sizeof want) != GMOE_OK || strcmp(want, json_string_value(name)))
        return fail(r, "parameters entry %zu is \"%.100s\", the model's parameter %zu is \"%.100s\"",
                    j + 1, json_string_value(name), j + 1, want);
    double *col[] = {NULL, inf->estimate, inf->se, inf->lower, inf->upper,
                     inf->boot_se, inf->boot_lower, inf->boot_upper};
    size_t nkeys = inf->boot_se ? 8 : 5;
    if (json_object_size(o) != nkeys)
        return fail(r, "parameters entry %zu must have the keys name, estimate, se, lower, "
                       "upper (and boot_se, boot_lower, boot_upper with a bootstrap)", j + 1);
    for (size_t c = 1; c < nkeys; c++)
        if (!get_value(json_object_get(o, param_keys[c]), &col[c][j]))
            return fail(r, "parameters entry %zu: \"%s\" must be a number or null", j + 1,
                        param_keys[c]);
    return (inf->names[j] = gmoe_strdup(want)) ? GMOE_OK : GMOE_ENOMEM;
}

static int read_vcov(const reader *r, json_t *v, gmoe_inference *inf)
{
    size_t p = inf->p;
    if (!json_is_array(v) || json_array_size(v) != p)
        return fail(r, "\"vcov\" must be an array of %zu rows", p);
    if (!(inf->cov = malloc((p ? p * p : 1) * sizeof(double))))
        return GMOE_ENOMEM;
    for (size_t i = 0; i < p; i++) {
        json_t *row = json_array_get(v, i);
        if (!json_is_array(row) || json_array_size(row) != p)
            return fail(r, "\"vcov\" row %zu must be an array of %zu numbers", i + 1, p);
        for (size_t j = 0; j < p; j++)
            if (!get_value(json_array_get(row, j), &inf->cov[i * p + j]))
                return fail(r, "\"vcov\" row %zu, column %zu must be a number or null", i + 1, j + 1);
    }
    return GMOE_OK;
}

static int read_bootstrap(const reader *r, json_t *v, gmoe_inference *inf)
{
    json_t *type = json_object_get(v, "type"), *rep = json_object_get(v, "replicates"),
           *ok = json_object_get(v, "succeeded"), *seed = json_object_get(v, "seed");
    int t = json_is_string(type) ? gmoe_boot_type_from_name(json_string_value(type)) : -1;
    if (!json_is_object(v) || json_object_size(v) != 4 || t < 0 || !json_is_integer(rep) ||
        !json_is_integer(ok) || !json_is_integer(seed) || json_integer_value(rep) < 1 ||
        json_integer_value(ok) < 0 || json_integer_value(ok) > json_integer_value(rep) ||
        json_integer_value(seed) < 0)
        return fail(r, "\"bootstrap\" must be {\"type\": \"nonparametric\" or \"parametric\", "
                       "\"replicates\": >= 1, \"succeeded\": <= replicates, \"seed\": >= 0}");
    inf->boot_type = (gmoe_boot_type)t;
    inf->boot_replicates = (size_t)json_integer_value(rep);
    inf->boot_ok = (size_t)json_integer_value(ok);
    inf->boot_seed = (uint64_t)json_integer_value(seed);
    return GMOE_OK;
}

static const char *const inference_keys[] = {"method", "level", "identified", "note",
                                             "parameters", "bootstrap", "vcov", NULL};

static int check_keys(const reader *r, json_t *v)
{
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        size_t i = 0;
        while (inference_keys[i] && strcmp(inference_keys[i], k))
            i++;
        if (!inference_keys[i])
            return fail(r, "unknown key \"%.100s\"", k);
    }
    return GMOE_OK;
}

/* method, level, identified, note. */
static int read_header(const reader *r, json_t *v, gmoe_inference *inf)
{
    json_t *method = json_object_get(v, "method"), *level = json_object_get(v, "level"),
           *ident = json_object_get(v, "identified"), *note = json_object_get(v, "note");
    int k = json_is_string(method) ? gmoe_se_kind_from_name(json_string_value(method)) : -1;
    if (k < 0)
        return fail(r, "\"method\" must be \"observed\", \"sandwich\" or \"none\"");
    inf->method = (gmoe_se_kind)k;
    if (!json_is_number(level) || !(json_number_value(level) > 0 && json_number_value(level) < 1))
        return fail(r, "\"level\" must be a number between 0 and 1");
    inf->level = json_number_value(level);
    if (!json_is_boolean(ident))
        return fail(r, "\"identified\" must be true or false");
    inf->identified = json_is_true(ident);
    if (note && !json_is_string(note))
        return fail(r, "\"note\" must be a string");
    if (note && !(inf->note = gmoe_strdup(json_string_value(note))))
        return GMOE_ENOMEM;
    return GMOE_OK;
}

int gmoe_io_inference_read(json_t *v, gmoe_model *m, char *msg, size_t len)
{
    reader r = {msg, len};
    if (!json_is_object(v))
        return fail(&r, "must be an object");
    int st = check_keys(&r, v);
    if (st)
        return st;
    size_t p = gmoe_model_nfree(m);
    json_t *params = json_object_get(v, "parameters"), *boot = json_object_get(v, "bootstrap");
    if (!json_is_array(params) || json_array_size(params) != p)
        return fail(&r, "\"parameters\" must be an array of the model's %zu free parameters", p);
    gmoe_inference *inf = gmoe_inference_alloc(p, 0, boot != NULL);
    if (!inf)
        return GMOE_ENOMEM;
    st = read_header(&r, v, inf);
    if (st == GMOE_OK && boot)
        st = read_bootstrap(&r, boot, inf);
    for (size_t j = 0; st == GMOE_OK && j < p; j++)
        st = read_parameter(&r, json_array_get(params, j), j, m, inf);
    if (st == GMOE_OK && json_object_get(v, "vcov"))
        st = read_vcov(&r, json_object_get(v, "vcov"), inf);
    if (st == GMOE_ENOMEM)
        snprintf(msg, len, "out of memory");
    return gmoe_inference_attach(m, inf, st);
}
