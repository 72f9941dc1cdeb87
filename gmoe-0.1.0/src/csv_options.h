/* csv_options.h -- the options of every tool that reads a CSV data file
 * (mixfit, mixpredict, mixplot): --sep, --decimal, --na, --factor and
 * --ref, and reading the data with them.  Used as the family and EM
 * options of cli.h are: CLI_CSV_LONG_OPTIONS in the getopt_long table,
 * every option code passed to cli_csv_option(). */
#ifndef GMOE_CSV_OPTIONS_H
#define GMOE_CSV_OPTIONS_H

#include "cli.h"

enum {
    CLI_OPT_SEP = 1180, /* between the EM options and --version */
    CLI_OPT_DECIMAL,
    CLI_OPT_NA,
    CLI_OPT_FACTOR,
    CLI_OPT_REF
};

#define CLI_CSV_LONG_OPTIONS                                  \
    {"sep", required_argument, NULL, CLI_OPT_SEP},           \
    {"decimal", required_argument, NULL, CLI_OPT_DECIMAL},   \
    {"na", required_argument, NULL, CLI_OPT_NA},             \
    {"factor", required_argument, NULL, CLI_OPT_FACTOR},     \
    {"ref", required_argument, NULL, CLI_OPT_REF}

typedef struct {
    gmoe_csv_options csv;
    int na_drop;
    char **factors; /* --factor names */
    size_t nfactors;
    char **ref_args; /* --ref NAME=LEVEL as given, checked against factors */
    size_t nref_args;
    const char *weights; /* mixfit --weights: the case-weight column, or NULL */
    /* mixfit --gate-x: the gate reads the columns gate_x (ngate_x of them,
       0: a constant gate) when gate_own; the other tools take it from the
       model */
    int gate_own;
    const char *const *gate_x;
    size_t ngate_x;
} cli_csv;

void cli_csv_default(cli_csv *o);
void cli_csv_free(cli_csv *o);
/* 1 when the code is one of the CSV options (a bad value stores its exit
 * code in *status), 0 otherwise. */
int cli_csv_option(int code, const char *arg, cli_csv *o, int *status);
/* The --help paragraph; with_factors: --factor and --ref are listed (the
 * tools that read a model take the factors from it). */
void cli_csv_help(FILE *out, int with_factors);

/* Reads the data file with the options: response yname (NULL: the last
 * column; y_optional as in cli_read_data), covariates xnames (nx = 0:
 * every other column), the --factor columns coded, rows with missing
 * values dropped under --na drop (said on stderr).  `model` (or NULL)
 * gives the covariates and the fixed factor levels instead, and the coded
 * columns must then match its x_names (and gate_x_names).  A gate with
 * covariates of its own (o->gate_own, or the model's) reads them through
 * gmoe_data_select_gate; xnames not NULL with nx = 0 then means the
 * experts read no covariate. */
int cli_csv_read(const char *path, const cli_csv *o, const gmoe_model *model, const char *yname,
                 const char *const *xnames, size_t nx, int y_optional, gmoe_data **out);

#endif
