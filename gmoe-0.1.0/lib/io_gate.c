/* io_gate.c -- a gmoe_data whose gate has covariates of its own, from a
 * table (gmoe_data_select_gate).
 *
 * The experts' and the gate's columns are selected together, as one list
 * (the experts' first, then the gate's that the experts do not read), by
 * gmoe_data_select: so factors, missing values (a row dropped for any of
 * them) and case weights are handled once, as for any selection.  The
 * coded columns of that list are then dealt out to x and gx: a numeric
 * column is one coded column, a factor one per level but the reference,
 * in the order of the list. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

/* The experts' columns when none are named: every column but the
 * response (yname, or the last column) and the case weights. */
static int default_experts(const gmoe_table *t, const gmoe_select_options *o, const char ***names,
                           size_t *n)
{
    long jy = o->yname ? gmoe_table_column(t, o->yname) : (long)t->ncol - 1;
    long jw = o->wname ? gmoe_table_column(t, o->wname) : -1;
    *names = malloc((t->ncol + 1) * sizeof **names);
    *n = 0;
    if (!*names)
        return GMOE_ENOMEM;
    for (size_t j = 0; j < t->ncol; j++)
        if ((long)j != jy && (long)j != jw)
            (*names)[(*n)++] = t->names[j];
    return GMOE_OK;
}

static int in_names(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return 1;
    return 0;
}

/* Each gate column must exist and be named once. */
static int check_gate_names(const gmoe_table *t, const char *const *gx, size_t ngx,
                            const char *label, gmoe_err *err)
{
    char shown[128];
    for (size_t i = 0; i < ngx; i++) {
        if (gmoe_table_column(t, gx[i]) < 0)
            return gmoe_error(err, GMOE_EDATA, "%s: no column named \"%s\" for the gate (%s)", t->path,
                              gmoe_io_escape(gx[i], 40, shown, sizeof shown), label);
        if (in_names(gx, i, gx[i]))
            return gmoe_error(err, GMOE_EDATA, "%s: gate column \"%s\" is named twice (%s)", t->path,
                              gmoe_io_escape(gx[i], 40, shown, sizeof shown), label);
    }
    return GMOE_OK;
}

/* Coded columns of source column `name` in data: 1, or its factor's
 * levels but the reference. */
static size_t coded_width(const gmoe_data *data, const char *name)
{
    for (size_t f = 0; f < data->nfactors; f++)
        if (strcmp(data->factors[f].name, name) == 0)
            return data->factors[f].nlevels - 1;
    return 1;
}

/* Copies the coded columns of the listed source columns (all of `all`,
 * whose coded columns start at start[]) into a new matrix and names. */
static int deal(const gmoe_data *u, const char *const *all, const size_t *start, size_t nall,
                const char *const *pick, size_t npick, double **x, char ***names, size_t *d)
{
    *d = 0;
    for (size_t i = 0; i < nall; i++)
        *d += in_names(pick, npick, all[i]) ? coded_width(u, all[i]) : 0;
    *x = malloc((u->n * *d + 1) * sizeof(double));
    *names = calloc(*d + 1, sizeof(char *));
    if (!*x || !*names)
        return GMOE_ENOMEM;
    size_t c = 0;
    for (size_t p = 0; p < npick; p++) {
        size_t i = 0;
        while (strcmp(all[i], pick[p]) != 0)
            i++;
        for (size_t w = 0; w < coded_width(u, all[i]); w++, c++) {
            if (!((*names)[c] = gmoe_strdup(u->xnames[start[i] + w])))
                return GMOE_ENOMEM;
            for (size_t r = 0; r < u->n; r++)
                (*x)[r * *d + c] = u->x[r * u->d + start[i] + w];
        }
    }
    return GMOE_OK;
}

/* data (selected on the list `all`) becomes the experts' x and the
 * gate's gx. */
static int split(gmoe_data *data, const char *const *all, size_t nall, const char *const *ex,
                 size_t nex, const char *const *gx, size_t ngx)
{
    size_t *start = malloc((nall + 1) * sizeof(size_t));
    if (!start)
        return GMOE_ENOMEM;
    for (size_t i = 0, c = 0; i < nall; i++) {
        start[i] = c;
        c += coded_width(data, all[i]);
    }
    double *x = NULL;
    char **xn = NULL;
    size_t d = 0;
    int st = deal(data, all, start, nall, ex, nex, &x, &xn, &d);
    gmoe_data g = {.gate_own = 1};
    if (st == GMOE_OK)
        st = deal(data, all, start, nall, gx, ngx, &g.gx, &g.gxnames, &g.dg);
    free(start);
    for (size_t j = 0; j < data->d; j++)
        free(data->xnames[j]);
    free(data->xnames);
    free(data->x);
    data->x = x, data->xnames = xn, data->d = d;
    data->gate_own = 1, data->gx = g.gx, data->gxnames = g.gxnames, data->dg = g.dg;
    return st;
}

int gmoe_data_select_gate(const gmoe_table *t, const gmoe_select_options *o,
                          const char *const *gxnames, size_t ngx, const char *label,
                          gmoe_data **out, gmoe_err *err)
{
    *out = NULL;
    if (!t || !o || (ngx && !gxnames))
        return gmoe_error(err, GMOE_EINVAL, "no table, options or gate covariates");
    label = label ? label : "gate covariates";
    const char **ex = NULL, **all = NULL;
    size_t nex = o->nx, nall = 0;
    int st = check_gate_names(t, gxnames, ngx, label, err);
    if (st)
        return st;
    if (o->xnames) /* nx = 0: the experts read no covariate */
        ex = malloc((o->nx + 1) * sizeof *ex), nex = o->nx;
    else
        st = default_experts(t, o, &ex, &nex);
    all = malloc((nex + ngx + 1) * sizeof *all);
    if (st || !ex || !all) {
        free(ex), free(all);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; o->xnames && i < nex; i++)
        ex[i] = o->xnames[i];
    for (size_t i = 0; i < nex; i++)
        all[nall++] = ex[i];
    for (size_t i = 0; i < ngx; i++)
        if (!in_names(all, nex, gxnames[i]))
            all[nall++] = gxnames[i];
    if (nall == 0) {
        free(ex), free(all);
        return gmoe_error(err, GMOE_EDATA, "%s: no covariate for the experts or the gate (%s)",
                          t->path, label);
    }
    gmoe_select_options u = *o;
    u.xnames = all;
    u.nx = nall;
    st = gmoe_data_select(t, &u, out, err);
    if (st == GMOE_OK && split(*out, all, nall, ex, nex, gxnames, ngx) != GMOE_OK) {
        gmoe_data_free(*out);
        *out = NULL;
        st = gmoe_error(err, GMOE_ENOMEM, "%s: out of memory", t->path);
    }
    free(ex), free(all);
    return st;
}
