/* io_model_factors.c -- the "factors" key of a model file: the levels of
 * the categorical covariates, so that new data are coded as the fitted
 * data were.
 *
 *   "factors": [{"column": "group", "levels": ["ctl", "trt", "x"]}]
 *
 * levels[0] is the reference; the others are in strcmp order and each
 * has its indicator among "x_names" as "<column>=<level>". */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

json_t *gmoe_io_factors_json(const gmoe_model *m)
{
    json_t *all = json_array();
    for (size_t i = 0; all && i < m->nfactors; i++) {
        const gmoe_factor *f = &m->factors[i];
        json_t *one = json_object(), *levels = json_array();
        for (size_t l = 0; levels && l < f->nlevels; l++)
            json_array_append_new(levels, json_string(f->levels[l]));
        if (!one || !levels || json_object_set_new(one, "column", json_string(f->name)) ||
            json_object_set_new(one, "levels", levels) || json_array_append_new(all, one)) {
            json_decref(all);
            return NULL;
        }
    }
    return all;
}

/* Is the indicator "<f>=<level>" among the model's covariate names? */
static int has_indicator(const gmoe_model *m, const char *name, const char *level)
{
    char *want = gmoe_factor_indicator_name(name, level);
    int found = 0;
    for (size_t j = 0; want && m->xnames && j < m->d && !found; j++)
        found = m->xnames[j] && strcmp(m->xnames[j], want) == 0;
    free(want);
    return found;
}

/* One entry: {"column": string, "levels": [>= 2 strings, sorted after the first]}. */
static int read_one(json_t *v, size_t i, const gmoe_model *m, gmoe_factor *f, char *msg, size_t len)
{
    json_t *col = json_object_get(v, "column"), *levels = json_object_get(v, "levels");
    size_t n = json_array_size(levels);
    if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_string(col) || !json_is_array(levels) || n < 2) {
        snprintf(msg, len, "\"factors\" entry %zu must be {\"column\": name, \"levels\": [at least 2 strings]}", i + 1);
        return GMOE_EFORMAT;
    }
    const char **names = calloc(n, sizeof *names);
    if (!names)
        return GMOE_ENOMEM;
    int status = GMOE_OK;
    for (size_t l = 0; l < n && status == GMOE_OK; l++) {
        names[l] = json_string_value(json_array_get(levels, l));
        if (!names[l] || (l >= 2 && strcmp(names[l - 1], names[l]) >= 0) || (l >= 1 && !strcmp(names[0], names[l])))
            snprintf(msg, len, "\"factors\" entry %zu: level %zu must be a string, distinct, the levels after the "
                     "first in strcmp order", i + 1, l + 1), status = GMOE_EFORMAT;
        else if (l >= 1 && !has_indicator(m, json_string_value(col), names[l]))
            snprintf(msg, len, "\"factors\" entry %zu: no covariate \"%s=%s\" in \"x_names\"", i + 1,
                     json_string_value(col), names[l]), status = GMOE_EFORMAT;
    }
    if (status == GMOE_OK && gmoe_factor_set(f, json_string_value(col), names, n) != GMOE_OK)
        status = GMOE_ENOMEM;
    free(names);
    return status;
}

int gmoe_io_factors_read(json_t *v, gmoe_model *m, char *msg, size_t len)
{
    if (!json_is_array(v)) {
        snprintf(msg, len, "\"factors\" must be an array");
        return GMOE_EFORMAT;
    }
    size_t n = json_array_size(v);
    gmoe_factor *f = calloc(n ? n : 1, sizeof *f);
    if (!f)
        return GMOE_ENOMEM;
    int status = GMOE_OK;
    for (size_t i = 0; i < n && status == GMOE_OK; i++)
        status = read_one(json_array_get(v, i), i, m, &f[i], msg, len);
    if (status == GMOE_OK)
        status = gmoe_model_set_factors(m, f, n);
    gmoe_factors_free(f, n);
    if (status == GMOE_ENOMEM)
        snprintf(msg, len, "out of memory");
    return status;
}
