/* csv_options.c -- --sep, --decimal, --na, --factor and --ref, and reading
 * a data file with them (see csv_options.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csv_options.h"
#include "io.h"

void cli_csv_default(cli_csv *o)
{
    memset(o, 0, sizeof *o);
    gmoe_csv_options_default(&o->csv);
}

void cli_csv_free(cli_csv *o)
{
    cli_free_list(o->factors, o->nfactors);
    cli_free_list(o->ref_args, o->nref_args);
    cli_csv_default(o);
}

static int parse_sep(const char *arg, char *sep)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"auto", 0}, {"tab", '\t'}, {"\\t", '\t'}, {"space", ' '}, {"comma", ','}, {"semicolon", ';'}};
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (strcmp(arg, named[i].name) == 0) {
            *sep = named[i].c;
            return CLI_EXIT_OK;
        }
    if (strlen(arg) != 1)
        return cli_usage_error("--sep: expected one character, tab, space or auto, got \"%s\"", arg);
    *sep = arg[0];
    return CLI_EXIT_OK;
}

/* Appends the names of a comma-separated list to *list. */
static int add_names(const char *opt, const char *arg, char ***list, size_t *n)
{
    char **items;
    size_t m;
    int st = cli_parse_list(opt, arg, &items, &m);
    if (st)
        return st;
    char **grown = realloc(*list, (*n + m) * sizeof *grown);
    if (!grown) {
        cli_free_list(items, m);
        cli_error("out of memory");
        return CLI_EXIT_ESTIMATION;
    }
    memcpy(grown + *n, items, m * sizeof *items);
    free(items);
    *list = grown;
    *n += m;
    return CLI_EXIT_OK;
}

int cli_csv_option(int code, const char *arg, cli_csv *o, int *status)
{
    switch (code) {
    case CLI_OPT_SEP:
        *status = parse_sep(arg, &o->csv.sep);
        break;
    case CLI_OPT_DECIMAL:
        if (strcmp(arg, ".") != 0 && strcmp(arg, ",") != 0)
            *status = cli_usage_error("--decimal: expected '.' or ',', got \"%s\"", arg);
        else
            o->csv.decimal = arg[0];
        break;
    case CLI_OPT_NA:
        if (strcmp(arg, "drop") != 0 && strcmp(arg, "error") != 0)
            *status = cli_usage_error("--na: expected drop or error, got \"%s\"", arg);
        else
            o->na_drop = arg[0] == 'd';
        break;
    case CLI_OPT_FACTOR:
        *status = add_names("--factor", arg, &o->factors, &o->nfactors);
        break;
    case CLI_OPT_REF:
        *status = add_names("--ref", arg, &o->ref_args, &o->nref_args);
        for (size_t r = 0; r < o->nref_args && !*status; r++)
            if (!strchr(o->ref_args[r], '=') || o->ref_args[r][0] == '=')
                *status = cli_usage_error("--ref: expected NAME=LEVEL, got \"%s\"", o->ref_args[r]);
        break;
    default:
        return 0;
    }
    return 1;
}

void cli_csv_help(FILE *out, int with_factors)
{
    fputs("Data file options:\n"
          "      --sep C             field separator: a character such as ',' (default) or ';',\n"
          "                          tab, space, or auto (sniffed from the header line)\n"
          "      --decimal D         decimal mark of the numbers: '.' (default) or ','\n"
          "      --na MODE           error (default): a missing value in a used column is an\n"
          "                          error; drop: rows with one are dropped (said on stderr).\n"
          "                          Missing: an empty cell, NA, NaN or '.'\n",
          out);
    if (with_factors)
        fputs("      --factor NAME,...   categorical covariates: each is coded as indicator\n"
              "                          columns NAME=LEVEL, one per level but the reference\n"
              "      --ref NAME=LEVEL,...  the reference level of factor NAME (default: the\n"
              "                          first in sorted order)\n",
              out);
}

/* Sets each --factor request's reference from --ref NAME=LEVEL. */
static int match_refs(const cli_csv *o, gmoe_factor_request *q)
{
    for (size_t r = 0; r < o->nref_args; r++) {
        const char *eq = strchr(o->ref_args[r], '=');
        size_t len = (size_t)(eq - o->ref_args[r]), f = 0;
        while (f < o->nfactors && !(strlen(o->factors[f]) == len && !strncmp(o->factors[f], o->ref_args[r], len)))
            f++;
        if (f == o->nfactors)
            return cli_usage_error("--ref %s: \"%.*s\" is not a --factor column", o->ref_args[r], (int)len,
                                   o->ref_args[r]);
        q[f].ref = eq + 1;
    }
    return CLI_EXIT_OK;
}

/* A model's covariate columns: its names (x_names or gate_x_names, d of
 * them) with each factor's indicators ("group=b", "group=c") replaced by
 * the factor's column ("group"). */
static const char **model_columns(const gmoe_model *m, char *const *names, size_t d, size_t *n)
{
    const char **cols = malloc((d + 1) * sizeof *cols);
    *n = 0;
    for (size_t j = 0; cols && j < d; j++) {
        const char *col = names[j];
        for (size_t f = 0; f < m->nfactors; f++) {
            size_t len = strlen(m->factors[f].name);
            if (!strncmp(col, m->factors[f].name, len) && col[len] == '=')
                col = m->factors[f].name;
        }
        if (*n == 0 || col != cols[*n - 1] || col == names[j])
            cols[(*n)++] = col;
    }
    return cols;
}

/* "data.csv: dropped 3 of 50 rows with a missing value (x: 2, y: 1)". */
static void report_dropped(const char *path, const gmoe_data *d)
{
    if (!d->dropped)
        return;
    fprintf(stderr, "%s: %s: dropped %zu of %zu rows with a missing value (", cli_progname(),
            gmoe_io_display_name(path), d->dropped, d->dropped + d->n);
    for (size_t i = 0; i < d->n_na_columns; i++)
        fprintf(stderr, "%s%s: %zu", i ? ", " : "", d->na_columns[i], d->na_counts[i]);
    fprintf(stderr, ")\n");
}

/* The coded columns must be the model's, in its order. */
static int check_model_columns(const char *path, const gmoe_model *m, const gmoe_data *d)
{
    for (size_t j = 0; j < m->d; j++)
        if (d->d != m->d || strcmp(d->xnames[j], m->xnames[j]) != 0) {
            cli_error("%s: the coded covariates do not match the model's x_names (\"%s\")",
                      gmoe_io_display_name(path), m->xnames[j]);
            return CLI_EXIT_INPUT;
        }
    for (size_t j = 0; m->gate_own && m->gxnames && j < m->dg; j++)
        if (d->dg != m->dg || strcmp(d->gxnames[j], m->gxnames[j]) != 0) {
            cli_error("%s: the coded gate covariates do not match the model's gate_x_names (\"%s\")",
                      gmoe_io_display_name(path), m->gxnames[j]);
            return CLI_EXIT_INPUT;
        }
    return CLI_EXIT_OK;
}

/* The gate's columns (a model's, or --gate-x's) into *gx; *own = 0 when
 * the gate reads the experts' covariates.  1 when out of memory. */
static int gate_columns(const cli_csv *o, const gmoe_model *model, const char ***gx, size_t *ngx,
                        int *own)
{
    *gx = NULL, *ngx = 0, *own = model ? model->gate_own : o->gate_own;
    if (model && model->gate_own)
        return !(*gx = model_columns(model, model->gxnames, model->dg, ngx));
    if (!model && o->gate_own) {
        *gx = malloc((o->ngate_x + 1) * sizeof **gx);
        for (size_t i = 0; *gx && i < o->ngate_x; i++)
            (*gx)[i] = o->gate_x[i];
        *ngx = o->ngate_x;
        return !*gx;
    }
    return 0;
}

/* The factor requests: the model's fixed levels, or --factor with --ref. */
static gmoe_factor_request *factor_requests(const cli_csv *o, const gmoe_model *m, size_t *n)
{
    *n = m ? m->nfactors : o->nfactors;
    gmoe_factor_request *q = calloc(*n ? *n : 1, sizeof *q);
    for (size_t f = 0; q && f < *n; f++) {
        if (m)
            q[f] = (gmoe_factor_request){.name = m->factors[f].name,
                                         .levels = (const char *const *)m->factors[f].levels,
                                         .nlevels = m->factors[f].nlevels};
        else
            q[f] = (gmoe_factor_request){.name = o->factors[f]};
    }
    return q;
}

int cli_csv_read(const char *path, const cli_csv *o, const gmoe_model *model, const char *yname,
                 const char *const *xnames, size_t nx, int y_optional, gmoe_data **out)
{
    *out = NULL;
    if (model && !model->xnames)
        model = NULL; /* x1..xd: no factors, the caller's names */
    if (model && (o->nfactors || o->nref_args))
        return cli_usage_error("--%s: the factors and their levels come from the model",
                               o->nfactors ? "factor" : "ref");
    const char *bad = gmoe_csv_options_check(&o->csv);
    if (bad)
        return cli_usage_error("--%s", bad);
    size_t ncols = nx, nreq, ngx;
    const char **cols = model ? model_columns(model, model->xnames, model->d, &ncols) : NULL, **gx;
    int gate_own, nomem = gate_columns(o, model, &gx, &ngx, &gate_own);
    gmoe_factor_request *req = factor_requests(o, model, &nreq);
    const char **text = calloc(nreq ? nreq : 1, sizeof *text);
    gmoe_table *t = NULL;
    gmoe_err err;
    gmoe_err_clear(&err);
    if ((model && !cols) || !req || !text || nomem) {
        free(cols), free(req), free(text), free(gx);
        cli_error("out of memory");
        return CLI_EXIT_ESTIMATION;
    }
    int st = model ? CLI_EXIT_OK : match_refs(o, req);
    for (size_t f = 0; f < nreq; f++)
        text[f] = req[f].name;
    gmoe_csv_options csv = o->csv;
    csv.text_columns = text;
    csv.ntext = nreq;
    gmoe_select_options sel = {.yname = yname, .xnames = cols ? cols : xnames, .nx = ncols,
                               .y_optional = y_optional, .na_drop = o->na_drop, .factors = req, .nfactors = nreq,
                               .wname = o->weights, .wlabel = "--weights"};
    int gs = st ? GMOE_OK : gmoe_table_read_csv(path, &csv, &t, &err);
    if (gs == GMOE_OK && !st && gate_own)
        gs = gmoe_data_select_gate(t, &sel, gx, ngx, model ? "the model's gate_x_names" : "--gate-x",
                                   out, &err);
    else if (gs == GMOE_OK && !st)
        gs = gmoe_data_select(t, &sel, out, &err);
    if (gs != GMOE_OK)
        st = cli_fail(gs, &err, CLI_STAGE_INPUT, NULL);
    if (st == CLI_EXIT_OK && model)
        st = check_model_columns(path, model, *out);
    if (st == CLI_EXIT_OK)
        report_dropped(path, *out);
    if (st != CLI_EXIT_OK) {
        gmoe_data_free(*out);
        *out = NULL;
    }
    gmoe_table_free(t);
    free(cols), free(req), free(text), free(gx);
    return st;
}
