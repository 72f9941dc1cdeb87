/* io_levels.c -- the levels of the factor columns of a selection: found
 * in the rows used (sorted, the reference first) or fixed (a model's, with
 * any other level refused, naming the file, line and column). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

static int compare_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t gmoe_io_level_index(const gmoe_factor *f, const char *text)
{
    if (f->nlevels == 0 || strcmp(f->levels[0], text) == 0)
        return 0;
    /* the levels after the reference are in strcmp order */
    char *const *hit = bsearch(&text, f->levels + 1, f->nlevels - 1, sizeof *f->levels, compare_text);
    return hit ? (size_t)(hit - f->levels) : f->nlevels;
}

/* "a, b, c" (cut to fit) for messages. */
static const char *level_list(const char *const *levels, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t l = 0; l < n && used + 1 < len; l++) {
        char one[64];
        int w = snprintf(buf + used, len - used, "%s%s", l ? ", " : "", gmoe_io_escape(levels[l], 30, one, sizeof one));
        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

/* The sorted distinct texts of the kept rows of table column j (pointers
 * into the table): *out malloc'd, *n of them. */
static int distinct_texts(const gmoe_selection *s, size_t j, const char ***out, size_t *n)
{
    const gmoe_table *t = s->t;
    const char **v = malloc((s->nkeep ? s->nkeep : 1) * sizeof *v);
    if (!v)
        return GMOE_ENOMEM;
    size_t m = 0;
    for (size_t r = 0; r < t->nrow; r++)
        if (s->keep[r])
            v[m++] = t->text[j][r];
    qsort(v, m, sizeof *v, compare_text);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || strcmp(v[u - 1], v[i]) != 0)
            v[u++] = v[i];
    *out = v;
    *n = u;
    return GMOE_OK;
}

/* Levels found in the data: sorted, the reference moved first. */
static int found_levels(const gmoe_selection *s, size_t i, gmoe_err *err)
{
    const gmoe_factor_request *q = s->req[i];
    const char **v;
    size_t n;
    char list[256], shown[128];
    if (distinct_texts(s, s->src[i], &v, &n) != GMOE_OK)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    level_list(v, n, list, sizeof list);
    size_t ref = 0;
    while (q->ref && ref < n && strcmp(v[ref], q->ref) != 0)
        ref++;
    int status = GMOE_OK;
    if (ref == n)
        status = gmoe_error(err, GMOE_EDATA, "%s: factor \"%s\": the reference level \"%s\" does not occur (levels: %s)",
                            s->t->path, q->name, gmoe_io_escape(q->ref, 40, shown, sizeof shown), list);
    else if (n < 2)
        status = gmoe_error(err, GMOE_EDATA, "%s: factor \"%s\" has a single level (%s) in the rows used", s->t->path,
                            q->name, list);
    if (status == GMOE_OK) {
        const char *r = v[ref];
        memmove(v + 1, v, ref * sizeof *v);
        v[0] = r;
        if (gmoe_factor_set(&s->levels[i], q->name, v, n) != GMOE_OK)
            status = gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    free(v);
    return status;
}

/* Fixed levels: every kept row's level must be one of them. */
static int fixed_levels(const gmoe_selection *s, size_t i, gmoe_err *err)
{
    const gmoe_factor_request *q = s->req[i];
    const gmoe_table *t = s->t;
    for (size_t l = 2; l < q->nlevels; l++) /* gmoe_io_level_index searches them */
        if (strcmp(q->levels[l - 1], q->levels[l]) >= 0)
            return gmoe_error(err, GMOE_EINVAL, "factor \"%s\": fixed levels after the first must be distinct and "
                              "in strcmp order", q->name);
    if (gmoe_factor_set(&s->levels[i], q->name, q->levels, q->nlevels) != GMOE_OK)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    size_t j = s->src[i];
    for (size_t r = 0; r < t->nrow; r++) {
        if (!s->keep[r] || gmoe_io_level_index(&s->levels[i], t->text[j][r]) < q->nlevels)
            continue;
        char list[256], shown[128];
        return gmoe_error(err, GMOE_EDATA, "%s:%zu: column %zu (\"%s\"): level \"%s\" is not one of the %zu known "
                          "levels (%s)", t->path, t->row_line[r], j + 1, q->name,
                          gmoe_io_escape(t->text[j][r], 40, shown, sizeof shown), q->nlevels,
                          level_list(q->levels, q->nlevels, list, sizeof list));
    }
    return GMOE_OK;
}

int gmoe_io_select_levels(gmoe_selection *s, gmoe_err *err)
{
    for (size_t i = 0; i < s->nsrc; i++) {
        if (!s->req[i])
            continue;
        int status = s->req[i]->nlevels ? fixed_levels(s, i, err) : found_levels(s, i, err);
        if (status != GMOE_OK)
            return status;
    }
    return GMOE_OK;
}
