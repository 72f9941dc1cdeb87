/* inference_options.c -- mixfit's --se, --vcov, --bootstrap and
 * --bootstrap-type, and the table of estimates (se) and intervals. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "inference_options.h"

void cli_inference_default(cli_inference *o)
{
    memset(o, 0, sizeof *o);
    o->se = GMOE_SE_OBSERVED;
    o->type = GMOE_BOOT_NONPARAMETRIC;
}

int cli_inference_option(int code, const char *arg, cli_inference *o, int *status)
{
    int v = 0;
    switch (code) {
    case CLI_OPT_SE:
        *status = cli_parse_choice("--se", arg, gmoe_se_kind_from_name, "observed, sandwich, none", &v);
        o->se = (gmoe_se_kind)v;
        return 1;
    case CLI_OPT_VCOV:
        o->vcov = 1;
        return 1;
    case CLI_OPT_BOOTSTRAP:
        *status = cli_parse_size("--bootstrap", arg, 0, SIZE_MAX, &o->replicates);
        o->set_replicates = 1;
        return 1;
    case CLI_OPT_BOOTSTRAP_TYPE:
        *status = cli_parse_choice("--bootstrap-type", arg, gmoe_boot_type_from_name,
                                   "nonparametric, parametric", &v);
        o->type = (gmoe_boot_type)v;
        o->set_type = 1;
        return 1;
    default:
        return 0;
    }
}

int cli_inference_check(const cli_inference *o)
{
    if (o->vcov && o->se == GMOE_SE_NONE)
        return cli_usage_error("--vcov needs standard errors (--se observed or sandwich, not none)");
    if (o->set_type && !o->set_replicates)
        return cli_usage_error("--bootstrap-type needs --bootstrap B (the number of replicates)");
    if (!o->set_replicates)
        return CLI_EXIT_OK;
    /* the library's ranges; seed and threads are the EM options' */
    gmoe_bootstrap_options bo = {o->replicates, o->type, 0, 0};
    gmoe_err err;
    const char *field = NULL;
    gmoe_err_clear(&err);
    int st = gmoe_bootstrap_options_validate(&bo, &field, &err);
    return st == GMOE_OK ? CLI_EXIT_OK : cli_option_error(field, &err);
}

void cli_inference_help(FILE *out)
{
    fprintf(out,
            "Standard errors and intervals (in the model file's \"inference\" key and the summary):\n"
            "      --se METHOD         observed (default: inverse observed information),\n"
            "                          sandwich (robust: H^-1 J H^-1) or none\n"
            "      --vcov              also write the covariance matrix of the free parameters\n"
            "      --bootstrap B       B bootstrap replicates (2 to 1e6), each refitted from the fit,\n"
            "                          experts matched to the fit's; percentile intervals; seed\n"
            "                          --seed, threads --threads (same result for any count)\n"
            "      --bootstrap-type T  nonparametric (default: resample rows) or parametric\n"
            "                          (new responses drawn from the fit at the same x)\n");
}

int cli_inference_run(const cli_inference *o, gmoe_model *m, const gmoe_data *data,
                      const gmoe_em_options *em)
{
    if (o->se == GMOE_SE_NONE && o->replicates == 0)
        return CLI_EXIT_OK; /* the model file gets no "inference" key */
    gmoe_err err;
    gmoe_err_clear(&err);
    int st = gmoe_inference_compute(m, data, o->se, o->vcov, &err);
    if (st)
        return cli_fail(st, &err, CLI_STAGE_COMPUTE, "--se");
    const gmoe_inference *inf = m->inference;
    if (o->se != GMOE_SE_NONE && !inf->identified)
        cli_warn("k = %zu: the information matrix is singular or not positive definite, so "
                 "standard errors are not given: %s", m->k, inf->note ? inf->note : "");
    else if (inf->note)
        cli_warn("k = %zu: standard errors: %s", m->k, inf->note);
    if (o->replicates == 0)
        return CLI_EXIT_OK;
    gmoe_bootstrap_options bo = {o->replicates, o->type, em->seed, em->nthreads};
    st = gmoe_bootstrap(m, data, em, &bo, &err);
    if (st)
        return cli_fail(st, &err, CLI_STAGE_COMPUTE, "--bootstrap");
    if (m->inference->boot_ok < o->replicates)
        cli_warn("--bootstrap: %zu of %zu replicates could not be fitted and are left out",
                 o->replicates - m->inference->boot_ok, o->replicates);
    return CLI_EXIT_OK;
}

static void print_value(double v)
{
    if (isfinite(v))
        fprintf(stderr, " %12.6g", v);
    else
        fprintf(stderr, " %12s", "-");
}

void cli_inference_print(const gmoe_model *m)
{
    const gmoe_inference *inf = m->inference;
    if (!inf || (inf->method == GMOE_SE_NONE && !inf->boot_replicates))
        return;
    int boot = inf->boot_replicates > 0, width = 9;
    for (size_t j = 0; j < inf->p; j++)
        width = (int)strlen(inf->names[j]) > width ? (int)strlen(inf->names[j]) : width;
    fprintf(stderr, "  standard errors: %s", gmoe_se_kind_name(inf->method));
    if (boot)
        fprintf(stderr, "; bootstrap: %s, %zu of %zu replicates", gmoe_boot_type_name(inf->boot_type),
                inf->boot_ok, inf->boot_replicates);
    fprintf(stderr, "\n  %-*s %12s %12s %12s %12s", width, "parameter", "estimate", "se", "Wald 2.5%",
            "Wald 97.5%");
    if (boot)
        fprintf(stderr, " %12s %12s %12s", "boot se", "boot 2.5%", "boot 97.5%");
    fputc('\n', stderr);
    for (size_t j = 0; j < inf->p; j++) {
        fprintf(stderr, "  %-*s", width, inf->names[j]);
        print_value(inf->estimate[j]);
        print_value(inf->se[j]);
        print_value(inf->lower[j]);
        print_value(inf->upper[j]);
        if (boot) {
            print_value(inf->boot_se[j]);
            print_value(inf->boot_lower[j]);
            print_value(inf->boot_upper[j]);
        }
        fputc('\n', stderr);
    }
}
