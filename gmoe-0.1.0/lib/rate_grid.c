/* rate_grid.c -- sample-size grids and per-cell seeds of the
 * convergence-rate experiments (shared MODELS.md section 3). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Largest sample size accepted: far beyond any experiment, small enough
 * that n doubles and products with k stay exact. */
#define RATE_N_MAX 1000000000.0

/* Evenly spaced values lo..hi (count of them), rounded, appended at out. */
static void fill_range(double lo, double hi, size_t count, int logspace, size_t *out)
{
    for (size_t i = 0; i < count; i++) {
        double t = count > 1 ? (double)i / (double)(count - 1) : 0.0;
        double v;
        if (i + 1 == count)
            v = hi; /* exact end points, whatever the rounding of t */
        else if (logspace)
            v = exp(log(lo) + t * (log(hi) - log(lo)));
        else
            v = lo + t * (hi - lo);
        out[i] = (size_t)llround(v);
    }
}

/* Refuses a grid that is not strictly increasing (after rounding). */
static int check_increasing(const size_t *v, size_t count, const char *what, gmoe_err *err)
{
    for (size_t i = 1; i < count; i++)
        if (v[i] <= v[i - 1])
            return gmoe_error(err, GMOE_EINVAL,
                              "%s: sizes %zu and %zu (entries %zu and %zu) are not strictly increasing%s",
                              what, v[i - 1], v[i], i, i + 1,
                              v[i] == v[i - 1] ? " (too many sizes for the range once rounded)" : "");
    return GMOE_OK;
}

int gmoe_rate_grid_range(double lo, double hi, size_t count, int logspace,
                         size_t **out, size_t *count_out, gmoe_err *err)
{
    *out = NULL;
    *count_out = 0;
    if (!isfinite(lo) || !isfinite(hi) || lo < 1 || hi > RATE_N_MAX || lo > hi)
        return gmoe_error(err, GMOE_EINVAL, "range %g:%g: need 1 <= LO <= HI <= %g", lo, hi, RATE_N_MAX);
    if (count < 1 || (count == 1 && lo != hi) || (count > 1 && lo == hi))
        return gmoe_error(err, GMOE_EINVAL, "range %g:%g with %zu sizes: need at least 2 sizes for LO < HI, 1 for LO = HI",
                          lo, hi, count);
    size_t *v = malloc(count * sizeof *v);
    if (!v)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    fill_range(lo, hi, count, logspace, v);
    int st = check_increasing(v, count, "range", err);
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    *count_out = count;
    return GMOE_OK;
}

int gmoe_rate_grid_list(const char *text, size_t **out, size_t *count, gmoe_err *err)
{
    *out = NULL;
    *count = 0;
    if (!text || !*text)
        return gmoe_error(err, GMOE_EINVAL, "empty list of sample sizes");
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    size_t *v = malloc(cap * sizeof *v);
    if (!v)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    const char *p = text;
    for (size_t i = 0; i < cap; i++) {
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || (*end != ',' && *end != '\0') || errno || !(x >= 1) || x > RATE_N_MAX ||
            x != floor(x)) {
            size_t len = strcspn(p, ",");
            free(v);
            return gmoe_error(err, GMOE_EINVAL, "sample size %zu of the list, \"%.*s\": not an integer in [1, %g]",
                              i + 1, (int)len, p, RATE_N_MAX);
        }
        v[i] = (size_t)x;
        p = *end ? end + 1 : end;
    }
    int st = check_increasing(v, cap, "list", err);
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    *count = cap;
    return GMOE_OK;
}

int gmoe_rate_grid_preset(const char *name, size_t **out, size_t *count, gmoe_err *err)
{
    *out = NULL;
    *count = 0;
    size_t *v;
    size_t n;
    if (name && strcmp(name, "reference-exact") == 0) {
        /* MODELS.md section 3: 5 in [100, 900], then 195 in [1000, 100000]. */
        n = 200;
        if (!(v = malloc(n * sizeof *v)))
            return gmoe_error(err, GMOE_ENOMEM, "out of memory");
        fill_range(100, 900, 5, 0, v);
        fill_range(1000, 100000, 195, 0, v + 5);
    } else if (name && strcmp(name, "reference-over") == 0) {
        n = 10;
        if (!(v = malloc(n * sizeof *v)))
            return gmoe_error(err, GMOE_ENOMEM, "out of memory");
        fill_range(10000, 100000, 10, 0, v);
    } else {
        return gmoe_error(err, GMOE_EINVAL, "unknown grid preset \"%s\" (known: reference-exact, reference-over)",
                          name ? name : "");
    }
    *out = v;
    *count = n;
    return GMOE_OK;
}

uint64_t gmoe_rate_seed(uint64_t master, size_t n, size_t replicate)
{
    return gmoe_seed_derive(gmoe_seed_derive(master, (uint64_t)n), (uint64_t)replicate);
}
