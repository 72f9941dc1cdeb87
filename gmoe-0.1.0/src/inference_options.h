/* inference_options.h -- mixfit's inference options: standard errors
 * (--se), the covariance matrix (--vcov), the bootstrap (--bootstrap,
 * --bootstrap-type), and the table of estimates they print. */
#ifndef GMOE_INFERENCE_OPTIONS_H
#define GMOE_INFERENCE_OPTIONS_H

#include <stdio.h>

#include "cli.h"

enum {
    CLI_OPT_SE = 1300,
    CLI_OPT_VCOV,
    CLI_OPT_BOOTSTRAP,
    CLI_OPT_BOOTSTRAP_TYPE
};

#define CLI_INFERENCE_LONG_OPTIONS                                        \
    {"se", required_argument, NULL, CLI_OPT_SE},                          \
    {"vcov", no_argument, NULL, CLI_OPT_VCOV},                            \
    {"bootstrap", required_argument, NULL, CLI_OPT_BOOTSTRAP},            \
    {"bootstrap-type", required_argument, NULL, CLI_OPT_BOOTSTRAP_TYPE}

typedef struct {
    gmoe_se_kind se;        /* default observed */
    int vcov;
    size_t replicates;      /* 0: no bootstrap */
    gmoe_boot_type type;
    int set_type;
    int set_replicates;     /* --bootstrap given (checked by the library) */
} cli_inference;

void cli_inference_default(cli_inference *o);
/* 1 when the option code is one of these (a bad value stores
 * CLI_EXIT_USAGE in *status), 0 otherwise. */
int cli_inference_option(int code, const char *arg, cli_inference *o, int *status);
/* Usage errors among the options given together (--vcov with --se none,
 * --bootstrap-type without --bootstrap). */
int cli_inference_check(const cli_inference *o);
void cli_inference_help(FILE *out);

/* Computes what was asked for into m->inference (the bootstrap with em's
 * options, its seed and threads) and warns when the information is not
 * positive definite, naming what is not identified.  Returns an exit
 * code. */
int cli_inference_run(const cli_inference *o, gmoe_model *m, const gmoe_data *data,
                      const gmoe_em_options *em);

/* The table of estimates, standard errors and intervals on stderr. */
void cli_inference_print(const gmoe_model *m);

#endif
