/* io_model_notes.c -- the "notes" key of a model file: what the fit says
 * about itself (gmoe_fit_notes), one object per note, in order:
 *
 *   "notes": [
 *     {"code": "near-duplicates", "experts": [1, 2], "covariate": null,
 *      "value": 0.53, "message": "experts 1 and 2 are near-duplicates ..."}, ...]
 *
 * "experts" lists the experts the note is about (1-based; none, one or
 * two), "covariate" the gate covariate (1-based) or null, "value" the
 * note's number (gmoe.h, gmoe_note_code) or null.  An empty array: a fit
 * with nothing to say. */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

static json_t *note_json(const gmoe_fit_note *n)
{
    json_t *experts = json_array(), *o = json_object();
    if (n->expert1)
        json_array_append_new(experts, json_integer((json_int_t)n->expert1));
    if (n->expert2)
        json_array_append_new(experts, json_integer((json_int_t)n->expert2));
    if (!o || json_object_set_new(o, "code", json_string(gmoe_note_name(n->code))) ||
        json_object_set_new(o, "experts", experts) ||
        json_object_set_new(o, "covariate", n->covariate ? json_integer((json_int_t)n->covariate)
                                                         : json_null()) ||
        json_object_set_new(o, "value", isfinite(n->value) ? json_real(n->value) : json_null()) ||
        json_object_set_new(o, "message", json_string(n->message))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void gmoe_io_notes_write(const gmoe_note_list *notes, void (*put)(void *ctx, const char *text), void *ctx)
{
    put(ctx, "[");
    for (size_t i = 0; i < notes->n; i++) {
        json_t *o = note_json(&notes->note[i]);
        char *s = o ? json_dumps(o, JSON_PRESERVE_ORDER) : NULL;
        json_decref(o);
        put(ctx, i ? ",\n    " : "\n    ");
        put(ctx, s ? s : "null"); /* out of memory: null, which reads back as an error */
        free(s);
    }
    put(ctx, notes->n ? "\n  ]" : "]");
}

/* ================================================================ reading */

static int fail(char *msg, size_t len, size_t i, const char *what)
{
    snprintf(msg, len, "\"notes\": entry %zu: %s", i + 1, what);
    return GMOE_EFORMAT;
}

/* A whole number >= 1 (an expert or covariate), at most `max`. */
static int get_index(json_t *v, size_t max, size_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 1 || (size_t)json_integer_value(v) > max)
        return 0;
    *out = (size_t)json_integer_value(v);
    return 1;
}

static int read_note(json_t *o, const gmoe_model *m, gmoe_fit_note *n, size_t i, char *msg, size_t len)
{
    json_t *code = json_object_get(o, "code"), *ex = json_object_get(o, "experts");
    json_t *cov = json_object_get(o, "covariate"), *value = json_object_get(o, "value");
    json_t *text = json_object_get(o, "message");
    int c = json_is_string(code) ? gmoe_note_from_name(json_string_value(code)) : -1;
    if (!json_is_object(o) || json_object_size(o) != 5 || !ex || !cov || !value || !text)
        return fail(msg, len, i, "must be an object with the keys code, experts, covariate, value, "
                                 "message");
    if (c < 0)
        return fail(msg, len, i, "\"code\" must be one of \"tiny-mass\", \"near-duplicates\", "
                                 "\"selection-only\", \"separable-gate\", \"not-converged\", "
                                 "\"floor-spike\", \"near-floor\", \"spurious\"");
    n->code = (gmoe_note_code)c;
    if (!json_is_array(ex) || json_array_size(ex) > 2 ||
        (json_array_size(ex) > 0 && !get_index(json_array_get(ex, 0), m->k, &n->expert1)) ||
        (json_array_size(ex) > 1 && !get_index(json_array_get(ex, 1), m->k, &n->expert2)))
        return fail(msg, len, i, "\"experts\" must be an array of at most 2 experts (1 to k)");
    if (!json_is_null(cov) && !get_index(cov, m->dg, &n->covariate))
        return fail(msg, len, i, "\"covariate\" must be null or a gate covariate (1 to its count)");
    if (!json_is_null(value) && !json_is_number(value))
        return fail(msg, len, i, "\"value\" must be a number or null");
    n->value = json_is_null(value) ? NAN : json_number_value(value);
    if (!json_is_string(text) || strlen(json_string_value(text)) >= sizeof n->message)
        return fail(msg, len, i, "\"message\" must be a string of fewer than 256 bytes");
    strcpy(n->message, json_string_value(text));
    return GMOE_OK;
}

int gmoe_io_notes_read(json_t *v, gmoe_model *m, char *msg, size_t len)
{
    if (!json_is_array(v)) {
        snprintf(msg, len, "\"notes\" must be an array");
        return GMOE_EFORMAT;
    }
    size_t count = json_array_size(v);
    gmoe_note_list *notes = calloc(1, sizeof *notes);
    if (notes && count && !(notes->note = calloc(count, sizeof *notes->note))) {
        free(notes);
        notes = NULL;
    }
    if (!notes) {
        snprintf(msg, len, "out of memory");
        return GMOE_ENOMEM;
    }
    int st = GMOE_OK;
    for (size_t i = 0; st == GMOE_OK && i < count; i++, notes->n++)
        st = read_note(json_array_get(v, i), m, &notes->note[i], i, msg, len);
    if (st != GMOE_OK) {
        gmoe_note_list_free(notes);
        return st;
    }
    gmoe_note_list_free(m->notes);
    m->notes = notes;
    return GMOE_OK;
}
