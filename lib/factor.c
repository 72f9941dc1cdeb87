/* factor.c -- the levels of a categorical covariate (gmoe_factor), as a
 * gmoe_data and a gmoe_model hold them: copying, freeing and naming the
 * indicator columns. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void gmoe_factor_clear(gmoe_factor *f)
{
    free(f->name);
    for (size_t l = 0; f->levels && l < f->nlevels; l++)
        free(f->levels[l]);
    free(f->levels);
    memset(f, 0, sizeof *f);
}

void gmoe_factors_free(gmoe_factor *f, size_t n)
{
    if (!f)
        return;
    for (size_t i = 0; i < n; i++)
        gmoe_factor_clear(&f[i]);
    free(f);
}

int gmoe_factor_set(gmoe_factor *f, const char *name, const char *const *levels, size_t nlevels)
{
    memset(f, 0, sizeof *f);
    if (!(f->name = gmoe_strdup(name)) || !(f->levels = calloc(nlevels ? nlevels : 1, sizeof *f->levels)))
        return GMOE_ENOMEM;
    for (; f->nlevels < nlevels; f->nlevels++)
        if (!(f->levels[f->nlevels] = gmoe_strdup(levels[f->nlevels])))
            return GMOE_ENOMEM;
    return GMOE_OK;
}

int gmoe_factors_copy(const gmoe_factor *src, size_t n, gmoe_factor **dst)
{
    *dst = NULL;
    if (n == 0)
        return GMOE_OK;
    gmoe_factor *f = calloc(n, sizeof *f);
    if (!f)
        return GMOE_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (gmoe_factor_set(&f[i], src[i].name, (const char *const *)src[i].levels, src[i].nlevels) != GMOE_OK) {
            gmoe_factors_free(f, n);
            return GMOE_ENOMEM;
        }
    *dst = f;
    return GMOE_OK;
}

char *gmoe_factor_indicator_name(const char *name, const char *level)
{
    size_t len = strlen(name) + strlen(level) + 2;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%s=%s", name, level);
    return s;
}

int gmoe_factor_is_indicator(const gmoe_factor *factors, size_t n, const char *column)
{
    for (size_t f = 0; column && f < n; f++) {
        size_t len = strlen(factors[f].name);
        if (strncmp(column, factors[f].name, len) != 0 || column[len] != '=')
            continue;
        for (size_t v = 1; v < factors[f].nlevels; v++)
            if (strcmp(column + len + 1, factors[f].levels[v]) == 0)
                return 1;
    }
    return 0;
}
