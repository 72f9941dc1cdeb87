/* mixloss.c -- Voronoi loss D1/D2 of a fitted model against the true
 * model (mixloss(1); the computation is gmoe_voronoi_loss in libgmoe). */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gmoe.h"
#include "loss_options.h"

enum { OPT_TRUTH = CLI_OPT_PROGRAM, OPT_FIT, OPT_LOSS, OPT_RBAR, OPT_NO_TRANSLATE, OPT_JSON };

static void help(void)
{
    printf("Usage: mixloss --truth TRUE.json --fit FITTED.json [options]\n"
           "Voronoi loss D1 (k = k*) or D2 (k > k*) of a fitted mixture of experts against the\n"
           "true model, with its cells and per-parameter errors (see mixloss(1)).\n\n"
           "  --truth FILE        the true model (JSON model file)\n"
           "  --fit FILE          the fitted model (JSON model file)\n"
           "  --loss auto|D1|D2   which loss (default auto: D1 if k = k*, D2 if k > k*)\n"
           "  --rbar C=R[,C=R..]  exponent R for D2 cells of C atoms, 2 <= C <= %d\n"
           "                      (defaults rbar(2) = 4, rbar(3) = 6; unknown for C >= 4)\n"
           "  --no-translate      report the loss without the gate translation (the\n"
           "                      published code's value) as the main result\n"
           "  --json              print a JSON object instead of text\n"
           "  -o FILE             write the result to FILE (default: stdout)\n"
           "  --help, --version\n\n",
           GMOE_RBAR_MAX - 1);
    cli_exit_help(stdout);
}

static json_t *json_vector(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

static json_t *json_sizes(const size_t *v, size_t n, size_t add)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)(v[i] + add)));
    return a;
}

/* The result as JSON (jansson, as mixrate's run.json).  Experts are
 * numbered from 1, as in the man pages; a NaN (loss_breakpoint when not
 * translated) is null. */
static void format_json(cli_buf *b, const gmoe_loss_result *r, int translate)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(gmoe_loss_kind_name(r->kind)));
    json_object_set_new(o, "translated", json_boolean(translate));
    json_object_set_new(o, "loss", json_real(r->loss));
    json_object_set_new(o, "at_limit", json_boolean(r->at_limit));
    json_object_set_new(o, "loss_breakpoint", isnan(r->loss_breakpoint) ? json_null() : json_real(r->loss_breakpoint));
    json_object_set_new(o, "loss_limit", json_real(r->loss_limit));
    json_object_set_new(o, "loss_untranslated", json_real(r->loss_untranslated));
    json_object_set_new(o, "k", json_integer((json_int_t)r->k));
    json_object_set_new(o, "kstar", json_integer((json_int_t)r->kstar));
    json_object_set_new(o, "t0", json_real(r->t0));
    json_object_set_new(o, "t1", json_vector(r->t1, r->d));
    json_object_set_new(o, "cell", json_sizes(r->cell, r->k, 1));
    json_object_set_new(o, "cell_size", json_sizes(r->cell_size, r->kstar, 0));
    const char *names[] = {"err_mass", "err_beta1", "err_a", "err_b", "err_sigma2", "err_tau"};
    const double *v[] = {r->err_mass, r->err_beta1, r->err_a, r->err_b, r->err_sigma2, r->err_tau};
    for (size_t e = 0; e < 6; e++)
        json_object_set_new(o, names[e], json_vector(v[e], r->kstar));
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(o);
    if (!text) {
        b->failed = 1;
        return;
    }
    cli_buf_printf(b, "%s\n", text);
    free(text);
}

static void format_text(cli_buf *b, const gmoe_loss_result *r, int translate)
{
    if (!translate)
        cli_buf_printf(b, "%s loss %.6g (untranslated)\n", gmoe_loss_kind_name(r->kind), r->loss);
    else if (r->at_limit)
        cli_buf_printf(b, "%s loss %.6g (the infimum over the gate translation: the limit t0 -> -infinity, W*; "
                          "best breakpoint %.6g, untranslated %.6g)\n",
                       gmoe_loss_kind_name(r->kind), r->loss, r->loss_breakpoint, r->loss_untranslated);
    else
        cli_buf_printf(b, "%s loss %.6g (minimized over the gate translation, at a breakpoint; limit W* %.6g, "
                          "untranslated %.6g)\n",
                       gmoe_loss_kind_name(r->kind), r->loss, r->loss_limit, r->loss_untranslated);
    cli_buf_printf(b, "k = %zu fitted experts, k* = %zu true experts\n", r->k, r->kstar);
    cli_buf_printf(b, "translation%s: t0 = %.6g, t1 = (", r->at_limit ? " of the best breakpoint" : "", r->t0);
    for (size_t j = 0; j < r->d; j++)
        cli_buf_printf(b, "%s%.6g", j ? ", " : "", r->t1[j]);
    cli_buf_printf(b, ")\ncells (fitted expert -> true expert):");
    for (size_t i = 0; i < r->k; i++)
        cli_buf_printf(b, " %zu->%zu", i + 1, r->cell[i] + 1);
    cli_buf_printf(b, "\n\n%-6s %5s %12s %12s %12s %12s %12s %12s\n", "true", "cell", "mass", "beta1", "a", "b",
                   "sigma2", "tau");
    for (size_t j = 0; j < r->kstar; j++)
        cli_buf_printf(b, "%-6zu %5zu %12.6g %12.6g %12.6g %12.6g %12.6g %12.6g\n", j + 1, r->cell_size[j],
                       r->err_mass[j], r->err_beta1[j], r->err_a[j], r->err_b[j], r->err_sigma2[j],
                       r->err_tau[j]);
    cli_buf_printf(b, "(per true expert: | cell weight - true weight |, and the weighted sums of the\n"
                      " parameter errors over its cell)\n");
}

int main(int argc, char **argv)
{
    cli_init("mixloss");
    static const struct option longopts[] = {
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"fit", required_argument, NULL, OPT_FIT},
        {"loss", required_argument, NULL, OPT_LOSS},
        {"rbar", required_argument, NULL, OPT_RBAR},
        {"no-translate", no_argument, NULL, OPT_NO_TRANSLATE},
        {"json", no_argument, NULL, OPT_JSON},
        CLI_STANDARD_LONG_OPTIONS,
        {NULL, 0, NULL, 0}};
    const char *truth_path = NULL, *fit_path = NULL, *out_path = NULL;
    int json = 0, c, st = CLI_EXIT_OK;
    gmoe_loss_options lo;
    gmoe_loss_options_default(&lo);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_TRUTH: truth_path = optarg; break;
        case OPT_FIT: fit_path = optarg; break;
        case 'o': out_path = optarg; break;
        case OPT_LOSS:
            if ((st = loss_parse_kind(optarg, &lo)))
                return st;
            break;
        case OPT_RBAR:
            if ((st = loss_parse_rbar(optarg, &lo)))
                return st;
            break;
        case OPT_NO_TRANSLATE: lo.translate = 0; break;
        case OPT_JSON: json = 1; break;
        default:
            st = cli_standard_option(c, help, argv);
            return st < 0 ? CLI_EXIT_OK : st;
        }
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s' (the models are given with --truth and --fit)", argv[optind]);
    if (!truth_path)
        return cli_usage_error("--truth FILE is required");
    if (!fit_path)
        return cli_usage_error("--fit FILE is required");

    gmoe_model *truth = NULL, *fit = NULL;
    gmoe_loss_result *res = NULL;
    cli_buf b = {0};
    gmoe_err err;
    if ((st = cli_read_model("--truth", truth_path, &truth)) || (st = cli_read_model("--fit", fit_path, &fit)))
        goto done;
    int ls = gmoe_voronoi_loss(fit, truth, &lo, &res, &err);
    if (ls) {
        /* The models are valid files here: a loss they do not admit
         * (different families or d, k < k*, unknown rbar) is bad input. */
        cli_error("%s", err.msg);
        st = ls == GMOE_ENOMEM ? CLI_EXIT_ESTIMATION : CLI_EXIT_INPUT;
        goto done;
    }
    if (json)
        format_json(&b, res, lo.translate);
    else
        format_text(&b, res, lo.translate);
    st = cli_write_output(out_path, &b);
done:
    cli_buf_free(&b);
    gmoe_loss_result_free(res);
    gmoe_model_free(truth);
    gmoe_model_free(fit);
    return st;
}
