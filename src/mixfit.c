/* mixfit -- fit a Gaussian mixture of experts to a CSV file by EM and
 * write the model as JSON.  With -k LO:HI it fits every k and keeps the
 * best by BIC (or --criterion).  See mixfit(1). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv_options.h"
#include "fit_progress.h"
#include "inference_options.h"
#include "io.h"
#include "mpi_fit.h"
#include "mpi_session.h"
#include "mpi_shard.h"

enum { CRIT_BIC, CRIT_AIC, CRIT_ICL };
static const char *const crit_names[] = {"BIC", "AIC", "ICL"};

static int criterion_from_name(const char *s)
{
    static const char *const names[] = {"bic", "aic", "icl"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

enum { OPT_INIT = CLI_OPT_PROGRAM, OPT_CRITERION, OPT_TABLE, OPT_WEIGHTS, OPT_GATE_X, OPT_PROGRESS, OPT_GRAD_TOL,
       OPT_NO_NEWTON, OPT_NO_SPLIT, OPT_SHARD };

typedef struct {
    const char *data_path, *out, *yname, *init_path, *table_path;
    char **xnames;
    size_t nx;
    int x_none;          /* -x none: the experts read no covariate (needs --gate-x) */
    char **gate_x;       /* --gate-x NAMES, or NULL */
    size_t ngate_x;
    int gate_set;        /* --gate-x given (none: ngate_x = 0, a constant gate) */
    size_t klo, khi;
    int k_set, criterion, quiet, progress, no_split;
    int shard;           /* --shard: SHARD_ROWS or SHARD_FILES (mpi_shard.h), or SHARD_NONE */
    char *shard_path;    /* --shard: the data file this rank reads */
    gmoe_shard shard_hook;
    cli_family fam;
    cli_em em;
    cli_csv csv;
    cli_inference inf;
    fit_progress prog;
} options;

static void help(void)
{
    printf("Usage: mixfit -k K [options] data.csv\n"
           "Fit a Gaussian mixture of experts p(y|x) = sum_i g_i(x) N(y; a_i'x + b_i, sigma2_i)\n"
           "by maximum likelihood (EM) and write the model as JSON.\n"
           "\n"
           "  -k K | LO:HI            number of experts, or fit each k in LO..HI and keep the\n"
           "                          best by --criterion (table on stderr and in the JSON,\n"
           "                          \"k_table\"); required unless --init gives it\n"
           "  -y NAME                 response column (default: the last column)\n"
           "  -x NAME,NAME,...        the experts' covariate columns (default: every other\n"
           "                          column but the --weights column); none: no covariate\n"
           "                          (a mixture of Gaussians of y; needs --gate-x)\n"
           "      --gate-x NAME,...   the gate's covariate columns (default: the experts');\n"
           "                          none: a constant gate (a finite mixture of regressions)\n"
           "      --weights NAME      case weights (frequency weights) from column NAME:\n"
           "                          finite, >= 0, not all zero; a row of weight w counts as\n"
           "                          w copies of it (n in BIC is the sum of the weights)\n"
           "  -o FILE                 write the model to FILE (default: stdout)\n"
           "      --init MODEL        start the first run from MODEL (a JSON model file);\n"
           "                          its columns are the default -x and -y; with\n"
           "                          --max-iter 0 the model is scored on the data, not fitted\n"
           "      --criterion C       bic (default), aic or icl: how -k LO:HI chooses\n"
           "      --no-split          random starts only: no split or edge starts from the\n"
           "                          fit with one expert fewer (see Starts in mixfit(1))\n"
           "      --table FILE        also write the table of every k as CSV (k, loglik, npar,\n"
           "                          aic, bic, icl, iterations, converged, chosen); see mixplot(1)\n"
           "      --progress          show the fit's progress on stderr (default: when stderr\n"
           "                          is a terminal)\n"
           "  -q, --quiet             no summary, table or progress on stderr (warnings still\n"
           "                          shown)\n"
           "  -h, --help              this help\n"
           "      --version           the version\n"
           "\n");
    cli_csv_help(stdout, 1);
    printf("\n");
    cli_em_help(stdout);
    gmoe_em_options d;
    gmoe_em_options_default(&d);
    printf("      --grad-tol G        converged: max |gradient| / n <= G at a maximum\n"
           "                          (default %g)\n"
           "      --no-newton         no second-order (Newton) phase after EM: the fit stops\n"
           "                          by EM's --tol rule and is then tested by the gradient\n"
           "\n", d.grad_tol);
    cli_family_help(stdout);
    printf("\n");
    cli_inference_help(stdout);
    printf("\nThe summary goes to stderr; non-convergence is a warning, not an error.\n"
           "The summary and the model file's \"notes\" say what the fit shows: an expert of\n"
           "tiny mass, near-duplicate experts (k may be too large), a separable gate (a\n"
           "slope running off; only the boundary is identified), a top-K K = 1 gate known\n"
           "only by its selection, a fit that did not converge; \"stop\" says why it ended.\n"
           "Under mpirun (a build configured --with-mpi) each fit's starts are shared out over\n"
           "the ranks, with the result of one process; rank 0 alone prints and writes.\n"
           "      --shard rows|files  one fit over rows spread over the ranks: rows: each rank\n"
           "                          keeps its blocks of 512 rows of data.csv; files: rank r\n"
           "                          reads the file named with its first %%d replaced by r.\n"
           "                          The fit of one process, to the bit, when every rank's\n"
           "                          first row is a multiple of 512 (always with rows); no\n"
           "                          --weights, --bootstrap or top-K (see mixfit(1));\n"
           "                          with GMOE_SHARD_STATS set in the environment rank 0\n"
           "                          prints the chains, messages and bytes at the end\n");
    cli_exit_help(stdout);
}

/* -x NAMES|none (the experts' columns) and --gate-x NAMES|none (the gate's). */
static int parse_columns(int c, const char *arg, options *o)
{
    int none = strcmp(arg, "none") == 0;
    if (c == 'x') {
        cli_free_list(o->xnames, o->nx);
        o->xnames = NULL;
        o->nx = 0;
        o->x_none = none;
        return none ? CLI_EXIT_OK : cli_parse_list("-x", arg, &o->xnames, &o->nx);
    }
    cli_free_list(o->gate_x, o->ngate_x);
    o->gate_x = NULL;
    o->ngate_x = 0;
    o->gate_set = 1;
    return none ? CLI_EXIT_OK : cli_parse_list("--gate-x", arg, &o->gate_x, &o->ngate_x);
}

static int check_args(int argc, char **argv, options *o);

/* The options that only set a field: 1 if c is one of them. */
static int set_switch(int c, const char *arg, options *o)
{
    switch (c) {
    case 'q': o->quiet = 1; return 1;
    case OPT_TABLE: o->table_path = arg; return 1;
    case OPT_WEIGHTS: o->csv.weights = arg; return 1;
    case OPT_PROGRESS: o->progress = 1; return 1;
    case OPT_NO_NEWTON: o->em.em.newton = 0; return 1;
    case OPT_NO_SPLIT: o->no_split = 1; return 1;
    default: return 0;
    }
}

/* Returns CLI_EXIT_OK, an exit code, or -1 when --help/--version was served. */
static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"init", required_argument, NULL, OPT_INIT},
        {"criterion", required_argument, NULL, OPT_CRITERION},
        {"table", required_argument, NULL, OPT_TABLE},
        {"weights", required_argument, NULL, OPT_WEIGHTS},
        {"gate-x", required_argument, NULL, OPT_GATE_X},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"grad-tol", required_argument, NULL, OPT_GRAD_TOL},
        {"no-newton", no_argument, NULL, OPT_NO_NEWTON},
        {"no-split", no_argument, NULL, OPT_NO_SPLIT},
        {"shard", required_argument, NULL, OPT_SHARD},
        CLI_STANDARD_LONG_OPTIONS,
        CLI_FAMILY_LONG_OPTIONS,
        CLI_EM_LONG_OPTIONS,
        CLI_CSV_LONG_OPTIONS,
        CLI_INFERENCE_LONG_OPTIONS,
        {NULL, 0, NULL, 0}};
    int c, st = CLI_EXIT_OK;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:y:x:o:qh", longopts, NULL)) != -1) {
        if (cli_family_option(c, optarg, &o->fam, &st) || cli_em_option(c, optarg, &o->em, &st) ||
            cli_csv_option(c, optarg, &o->csv, &st) || cli_inference_option(c, optarg, &o->inf, &st)) {
            if (st)
                return st;
            continue;
        }
        switch (c) {
        case 'k':
            if ((st = cli_parse_k("-k", optarg, &o->klo, &o->khi)))
                return st;
            o->k_set = 1;
            break;
        case 'y':
            o->yname = optarg;
            break;
        case 'x':
        case OPT_GATE_X:
            if ((st = parse_columns(c, optarg, o)))
                return st;
            break;
        case 'o':
            o->out = optarg;
            break;
        case OPT_INIT:
            o->init_path = optarg;
            break;
        case OPT_CRITERION:
            if ((st = cli_parse_choice("--criterion", optarg, criterion_from_name, "bic, aic, icl", &o->criterion)))
                return st;
            break;
        case OPT_GRAD_TOL:
            if ((st = cli_parse_double("--grad-tol", optarg, &o->em.em.grad_tol)))
                return st;
            break; /* its range: cli_em_check, below */
        case OPT_SHARD:
            if ((st = mpi_shard_parse(optarg, &o->shard)))
                return st;
            break;
        default:
            if (!set_switch(c, optarg, o))
                return cli_standard_option(c, help, argv);
        }
    }
    return check_args(argc, argv, o);
}

/* After the options: the one data file, and the combinations of options. */
static int check_args(int argc, char **argv, options *o)
{
    int st;
    if (optind == argc)
        return cli_usage_error("no data file given (usage: mixfit -k K [options] data.csv)");
    if (argc - optind > 1)
        return cli_usage_error("one data file expected, got %d (\"%s\", \"%s\", ...)", argc - optind,
                               argv[optind], argv[optind + 1]);
    o->data_path = argv[optind];
    if (!o->k_set && !o->init_path)
        return cli_usage_error("-k is required (the number of experts, or a range such as -k 1:6)");
    if (o->em.em.max_iter == 0 && !o->init_path)
        return cli_usage_error("--max-iter 0 needs --init MODEL (the model to score)");
    if (o->fam.set_top_k && o->k_set && o->klo < o->khi && o->fam.top_k > o->klo) /* before the table */
        return cli_usage_error("--top-k: must be 1 to k = %zu, the least k of -k (got %zu)", o->klo,
                               o->fam.top_k);
    if ((st = cli_inference_check(&o->inf)))
        return st;
    if (o->shard && (o->csv.weights || o->inf.set_replicates))
        return cli_usage_error("--shard: %s not supported over sharded data",
                               o->csv.weights ? "--weights is" : "--bootstrap is");
    gmoe_em_options check = o->em.em;
    check.max_iter = check.max_iter ? check.max_iter : 1; /* 0: --init scored, checked above */
    return cli_em_check(&check);
}

/* Makes the starting model and the fit agree: family, k and d. */
static int reconcile_init(options *o, const gmoe_model *init, const gmoe_data *data)
{
    const char *fam = gmoe_family_name(init->family);
    if (o->fam.set_family && o->fam.family != init->family)
        return cli_usage_error("--gating %s does not match the --init model %s (family %s)",
                               gmoe_family_name(o->fam.family), o->init_path, fam);
    o->fam.family = init->family;
    if (!o->k_set)
        o->klo = o->khi = init->k;
    else if (o->klo != init->k || o->khi != init->k) {
        char ks[64];
        snprintf(ks, sizeof ks, o->klo == o->khi ? "%zu" : "%zu:%zu", o->klo, o->khi);
        return cli_usage_error("-k %s does not match the --init model %s, which has k = %zu", ks, o->init_path,
                               init->k);
    }
    if (init->gate_own != data->gate_own || (init->gate_own && init->dg != data->dg)) {
        cli_error("--init %s: the model's gate reads %s, the fit's %s (--gate-x)", o->init_path,
                  init->gate_own ? "covariates of its own" : "the experts' covariates",
                  data->gate_own ? "covariates of its own" : "the experts' covariates");
        return CLI_EXIT_INPUT;
    }
    if (init->d != data->d) {
        cli_error("--init %s: the model has %zu covariate%s, the data selection from %s has %zu",
                  o->init_path, init->d, init->d == 1 ? "" : "s", gmoe_io_display_name(o->data_path), data->d);
        return CLI_EXIT_INPUT;
    }
    if (!o->em.set_restarts)
        o->em.em.restarts = 1;
    return CLI_EXIT_OK;
}

/* --max-iter 0: the starting model scored on the data, as if fitted with
 * no iteration. */
static int score_init(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
                      const gmoe_em_options *em, gmoe_err *err)
{
    gmoe_model *tmp = gmoe_model_clone(init);
    if (!tmp)
        return GMOE_ENOMEM;
    /* parameters from the file, family options as given on the command
     * line, tau where a fit from the file would start */
    gmoe_model_copy_options(tmp, m);
    gmoe_model_start_tau(tmp, init->tau, em->tau_mode == GMOE_TAU_ESTIMATE);
    int st = gmoe_model_copy(m, tmp);
    gmoe_model_free(tmp);
    if (st == GMOE_OK) /* the columns are the data's, as in a fit (copy took the file's) */
        st = gmoe_model_set_names(m, (const char *const *)data->xnames, data->yname);
    if (st == GMOE_OK && m->gate_own)
        st = gmoe_model_set_gate_names(m, (const char *const *)data->gxnames);
    if (st == GMOE_OK)
        st = gmoe_loglik(m, data, em->nthreads, &m->fit.loglik, err);
    if (st != GMOE_OK)
        return st;
    m->fit.iterations = 0;
    m->fit.converged = 0;
    m->fit.stop = GMOE_STOP_MAXITER;
    m->fit.n = data->shard ? data->shard->n_total : data->n;
    m->fit.seed = em->seed;
    m->fit.restarts = 0;
    m->fit.best_restart = 0;
    st = gmoe_information_criteria(m, data, &m->fit, err);
    m->has_fit = st == GMOE_OK;
    return st;
}

/* The fit of m: from --init, scored (--max-iter 0), nested (split starts
 * from the fit with one expert fewer, when its family can split), with
 * the lead-in when needed (lead: a single -k K, gmoe_fit_auto) or with
 * random starts only. */
static int fit_model(options *o, const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
                     const gmoe_model *smaller, int lead, gmoe_err *err)
{
    if (o->em.em.max_iter == 0)
        return score_init(data, m, init, &o->em.em, err);
    int st = GMOE_ENOTSUP;
    if (lead && !init)
        st = gmoe_fit_auto(data, m, &o->em.em, err);
    else if (smaller && !init) {
        st = gmoe_fit_nested(data, m, smaller, &o->em.em, err);
        if (st == GMOE_ENOTSUP)
            gmoe_err_clear(err);
    }
    if (st == GMOE_ENOTSUP)
        st = gmoe_fit(data, m, init, &o->em.em, err);
    fit_progress_clear(&o->prog);
    return st;
}

/* Fits one k (smaller: the fit with k - 1 experts, or NULL; lead: as
 * fit_model's); prints the error and returns its exit code on failure. */
static int fit_one(options *o, const gmoe_data *data, const gmoe_model *init, const gmoe_model *smaller,
                   int lead, size_t k, gmoe_model **out)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    *out = NULL;
    gmoe_model *m = data->gate_own ? gmoe_model_alloc_gate(o->fam.family, k, data->d, data->dg)
                                   : gmoe_model_alloc(o->fam.family, k, data->d);
    if (!m) {
        cli_error("out of memory");
        return CLI_EXIT_ESTIMATION;
    }
    if (init)
        gmoe_model_copy_options(m, init);
    int st = cli_family_apply(&o->fam, &o->em, m);
    if (st) {
        gmoe_model_free(m);
        return st;
    }
    int gs = cli_model_set_columns(m, data);
    if (gs == GMOE_OK)
        gs = fit_model(o, data, m, init, smaller, lead, &err);
    if (gs != GMOE_OK) {
        gmoe_model_free(m);
        char ctx[64];
        snprintf(ctx, sizeof ctx, "k = %zu", k);
        if (gs == GMOE_EDATA)
            return cli_fail(gs, &err, CLI_STAGE_COMPUTE, gmoe_io_display_name(o->data_path));
        if (gs == GMOE_ENOTSUP)
            return cli_fail(gs, &err, CLI_STAGE_COMPUTE, "--gating");
        return cli_fail(gs, &err, CLI_STAGE_COMPUTE, ctx);
    }
    *out = m;
    return CLI_EXIT_OK;
}

static double criterion_value(const gmoe_model *m, int crit)
{
    return crit == CRIT_AIC ? m->fit.aic : crit == CRIT_ICL ? m->fit.icl : m->fit.bic;
}

/* The -k LO:HI table on stderr: its header before the first fit, each
 * row as that k's fit ends, the choice at the end. */
static void print_table_header(const options *o)
{
    fprintf(stderr, "%s: choosing k by %s (lower is better)\n", cli_progname(), crit_names[o->criterion]);
    fprintf(stderr, "      k %16s %5s %16s %16s %16s %6s  %s\n", "loglik", "npar", "AIC", "BIC", "ICL", "iter",
            "converged");
}

static void print_table_row(size_t k, const gmoe_model *m)
{
    if (!m) {
        fprintf(stderr, "   %3zu  (failed)\n", k);
        return;
    }
    const gmoe_fit_info *f = &m->fit;
    /* "no" says why (a separable gate's supremum is not a failure to
     * reach an end, a saddle is not a maximum) */
    fprintf(stderr, "    %3zu %16.4f %5zu %16.4f %16.4f %16.4f %6zu  %s%s%s\n", k, f->loglik, f->npar, f->aic,
            f->bic, f->icl, f->iterations, f->converged ? "yes" : "no (", f->converged ? "" : gmoe_stop_name(f->stop),
            f->converged ? "" : ")");
    fflush(stderr);
}

/* The numbers of a row of the -k table after k: loglik, npar and the
 * criteria (--table's CSV and the JSON's "k_table" alike). */
enum { TABLE_NUMBERS = 5 };
static const char *const table_names[TABLE_NUMBERS] = {"loglik", "npar", "aic", "bic", "icl"};

static void table_numbers(const gmoe_fit_info *f, double *v)
{
    v[0] = f->loglik;
    v[1] = (double)f->npar;
    v[2] = f->aic;
    v[3] = f->bic;
    v[4] = f->icl;
}

/* --table: the rows of the table as CSV; a k whose fit failed has NA. */
static int write_table(const options *o, gmoe_model *const *fits, size_t best)
{
    cli_buf b = {0};
    cli_buf_printf(&b, "k,loglik,npar,aic,bic,icl,iterations,converged,chosen\n");
    for (size_t k = o->klo; k <= o->khi; k++) {
        const gmoe_model *m = fits[k - o->klo];
        if (!m) {
            cli_buf_printf(&b, "%zu,NA,NA,NA,NA,NA,NA,0,0\n", k);
            continue;
        }
        const gmoe_fit_info *f = &m->fit;
        double v[TABLE_NUMBERS];
        table_numbers(f, v);
        cli_buf_printf(&b, "%zu", k);
        for (size_t i = 0; i < TABLE_NUMBERS; i++) {
            cli_buf_printf(&b, ",");
            cli_buf_number(&b, v[i]);
        }
        cli_buf_printf(&b, ",%zu,%d,%d\n", f->iterations, f->converged, k == best);
    }
    int st = cli_write_output(o->table_path, &b);
    cli_buf_free(&b);
    return st;
}

/* One row of the parameter table: label, then one value per expert. */
static void param_row(int width, const char *label, const char *name, const double *v, size_t stride, size_t k)
{
    char lab[256];
    snprintf(lab, sizeof lab, "%s%s%s", label, name ? " " : "", name ? name : "");
    fprintf(stderr, "  %-*s", width, lab);
    for (size_t i = 0; i < k; i++)
        fprintf(stderr, " %13.6g", v[i * stride]);
    fputc('\n', stderr);
}

/* The options m's family reads, as the family table says. */
static void print_family_options(const gmoe_model *m)
{
    unsigned reads = gmoe_family_options(m->family);
    if (reads & GMOE_FAMILY_OPT_TOP_K)
        fprintf(stderr, ", top-k %zu", m->top_k);
    if (reads & GMOE_FAMILY_OPT_SELECT)
        fprintf(stderr, ", select %s", gmoe_select_name(m->select));
    if ((reads & GMOE_FAMILY_OPT_TAU) && m->k > 1) /* one expert: no gate, tau has no role */
        fprintf(stderr, ", tau %.6g (%s)", m->tau, m->tau_estimated ? "estimated" : "fixed");
    if (reads & GMOE_FAMILY_OPT_ACTIVATION)
        fprintf(stderr, ", activation %s", gmoe_activation_name(m->act));
    if (reads & GMOE_FAMILY_OPT_BIAS)
        fprintf(stderr, ", bias %s", gmoe_bias_name(m->bias));
}

/* The end of the fit as the library assessed it (MODELS.md section 4). */
static void print_fit_check(const gmoe_fit_info *f)
{
    /* a separable end's Hessian is negative definite, yet a sharper gate
     * step does not lower the log-likelihood: not a maximum */
    const char *hessian = !f->hessian_nd ? "NOT negative definite"
                          : f->stop == GMOE_STOP_SEPARABLE
                              ? "negative definite, but a sharper gate step does not lower the log-likelihood "
                                "(a supremum, not a maximum)"
                              : "negative definite (a maximum)";
    fprintf(stderr, "  at the end: gradient norm %.3g (max |dL/dtheta| / n), Hessian %s", f->grad_norm, hessian);
    if (f->null_dirs)
        fprintf(stderr, " (%zu parameters without information left out)", f->null_dirs);
    fprintf(stderr, "; %zu of the iterations Newton steps\n", f->newton_iterations);
}

static void print_summary(const options *o, const gmoe_model *m, const gmoe_data *data)
{
    size_t k = m->k, d = m->d;
    const gmoe_fit_info *f = &m->fit;
    fprintf(stderr, "%s: %s: %s on ", cli_progname(), gmoe_io_display_name(o->data_path), data->yname ? data->yname : "y");
    for (size_t j = 0; j < d; j++)
        fprintf(stderr, "%s%s", j ? ", " : "", data->xnames[j]);
    if (d == 0)
        fprintf(stderr, "no covariate");
    if (m->gate_own) {
        fprintf(stderr, ", gate on ");
        for (size_t j = 0; j < m->dg; j++)
            fprintf(stderr, "%s%s", j ? ", " : "", data->gxnames[j]);
        fprintf(stderr, "%s", m->dg ? "" : "nothing (a constant gate)");
    }
    fprintf(stderr, ", n = %zu rows", data->shard ? data->shard->n_total : data->n);
    if (data->w)
        fprintf(stderr, " with case weights \"%s\" summing to %.6g (the n of BIC)", o->csv.weights,
                gmoe_data_total_weight(data));
    fputc('\n', stderr);
    fprintf(stderr, "  family %s, k = %zu expert%s, %zu free parameters", gmoe_family_name(m->family), k,
            k == 1 ? "" : "s", f->npar);
    print_family_options(m);
    fputc('\n', stderr);
    size_t dg = m->dg;
    char *const *gnames = m->gate_own ? data->gxnames : data->xnames;
    int width = (int)strlen("intercept");
    for (size_t j = 0; j < dg; j++) {
        int w = (int)strlen(gnames[j]) + (int)strlen("gate slope ");
        width = w > width ? w : width;
    }
    for (size_t j = 0; j < d; j++) {
        int w = (int)strlen(data->xnames[j]) + (int)strlen("slope ");
        width = w > width ? w : width;
    }
    fprintf(stderr, "  %-*s", width, "");
    for (size_t i = 0; i < k; i++)
    {
        char h[32];
        snprintf(h, sizeof h, "expert %zu", i + 1);
        fprintf(stderr, " %13s", h);
    }
    fputc('\n', stderr);
    if (k > 1) {
        param_row(width, "gate bias", NULL, m->beta0, 1, k);
        for (size_t j = 0; j < dg; j++)
            param_row(width, "gate slope", gnames[j], m->beta1 + j, dg, k);
    }
    param_row(width, "intercept", NULL, m->b, 1, k);
    for (size_t j = 0; j < d; j++)
        param_row(width, "slope", data->xnames[j], m->a + j, d, k);
    param_row(width, "sigma2", NULL, m->sigma2, 1, k);
    /* activation pins only the bias: its slopes have no translation invariance */
    if (k == 1)
        fprintf(stderr, "  (one expert: the gate is 1, no gate parameter)\n");
    else
        fprintf(stderr, "  (gate %sof expert %zu pinned to zero)\n", gmoe_family_pins_slopes(m->family) ? "" : "bias ",
                k);
    fprintf(stderr, "  loglik %.10g   AIC %.10g   BIC %.10g   ICL %.10g\n", f->loglik, f->aic, f->bic, f->icl);
    if (o->em.em.max_iter == 0)
        fprintf(stderr, "  scored the --init model (--max-iter 0), no EM iteration\n");
    else
        fprintf(stderr, "  EM: %zu iterations, %s (stop: %s); best of %zu start%s (start %zu), seed %llu\n",
                f->iterations, f->converged ? "converged" : "NOT converged", gmoe_stop_name(f->stop), f->restarts,
                f->restarts == 1 ? "" : "s", f->best_restart + 1, (unsigned long long)f->seed);
    if (o->em.em.max_iter > 0)
        print_fit_check(f);
    for (size_t i = 0; m->notes && i < m->notes->n; i++)
        if (m->notes->note[i].code != GMOE_NOTE_NOT_CONVERGED) /* said by the two lines above */
            fprintf(stderr, "  note: %s\n", m->notes->note[i].message);
}

static void warn_convergence(const options *o, const gmoe_model *m)
{
    if (o->em.em.max_iter == 0 || m->fit.converged)
        return;
    if (m->fit.stop == GMOE_STOP_SEPARABLE) {
        cli_warn("k = %zu: the gate is separable (stop: separable): the log-likelihood approaches a "
                 "supremum as a gate slope runs off to infinity; the model is written anyway, its steep "
                 "slopes stand for a step at the boundary",
                 m->k);
        return;
    }
    cli_warn("k = %zu: EM did not converge (stop: %s after %zu iterations); the model is written anyway",
             m->k, gmoe_stop_name(m->fit.stop), m->fit.iterations);
}

/* "data.csv, --gate-x": where a gate covariate came from, for messages. */
static const char *gate_context(const options *o, char *buf, size_t len)
{
    snprintf(buf, len, "%s, %s", gmoe_io_display_name(o->data_path),
             o->gate_set ? "--gate-x" : "the --init model's gate_x_names");
    return buf;
}

/* --gate-x and -x none into the CSV options; a starting model's own gate
 * covariates are the default --gate-x. */
static int gate_selection(options *o, const gmoe_model *in, const char *const **xnames, size_t *nx)
{
    static const char *const no_names[1] = {NULL};
    if (o->x_none && !o->gate_set && !(in && in->gate_own))
        return cli_usage_error("-x none: the experts without covariates need --gate-x NAMES (a gate "
                               "on covariates) or --gate-x none");
    if (o->x_none) {
        *xnames = no_names;
        *nx = 0;
    }
    if (!o->gate_set && in && in->gate_own) {
        o->csv.gate_own = 1;
        o->csv.gate_x = (const char *const *)in->gxnames;
        o->csv.ngate_x = in->gxnames ? in->dg : 0;
        return CLI_EXIT_OK;
    }
    o->csv.gate_own = o->gate_set;
    o->csv.gate_x = (const char *const *)o->gate_x;
    o->csv.ngate_x = o->ngate_x;
    return CLI_EXIT_OK;
}

/* The starting model (--init) and the data, with the starting model's
 * columns (and factor levels) as the default selection; checked for a fit
 * of up to -k HI experts unless the model is only scored. */
static int read_inputs(options *o, gmoe_model **init, gmoe_data **data)
{
    int st;
    if (o->init_path && (st = cli_read_model("--init", o->init_path, init)))
        return st;
    const gmoe_model *in = *init;
    const char *yname = o->yname ? o->yname : in ? in->yname : NULL;
    const char *const *xnames = (const char *const *)o->xnames;
    size_t nx = o->nx;
    if (!xnames && in && in->xnames) {
        xnames = (const char *const *)in->xnames;
        nx = in->d;
    }
    /* a starting model's columns come with its factors' levels */
    const gmoe_model *coding = !o->xnames && !o->x_none && !o->gate_set && in && in->xnames ? in : NULL;
    if ((st = gate_selection(o, in, &xnames, &nx)))
        return st;
    if ((st = cli_csv_read(o->data_path, &o->csv, coding, yname, xnames, nx, 0, data)))
        return st;
    if (in && (st = reconcile_init(o, in, *data)))
        return st;
    if (o->em.em.max_iter > 0) {
        char ctx[512];
        gmoe_err err;
        gmoe_err_clear(&err);
        int gs = gmoe_data_check_fit(*data, o->khi, &err);
        if (gs && (*data)->gate_own && strstr(err.msg, "gate covariate"))
            return cli_fail(gs, &err, CLI_STAGE_COMPUTE, gate_context(o, ctx, sizeof ctx));
        if (gs)
            return cli_fail(gs, &err, CLI_STAGE_COMPUTE, gmoe_io_display_name(o->data_path));
    }
    return CLI_EXIT_OK;
}

static int splits(const options *o, const gmoe_model *init)
{
    return !init && !o->no_split && o->em.em.max_iter > 0 &&
           (gmoe_family_properties(o->fam.family) & GMOE_FAMILY_SPLITS);
}

/* Fits each k of -k LO:HI into fits[k - LO], printing the table's rows as
 * they come; *best: the k chosen by the criterion.  In a range a
 * numerical failure of one k is reported and skipped. */
static int fit_range(options *o, const gmoe_data *data, const gmoe_model *init, gmoe_model **fits,
                     size_t *best)
{
    size_t nk = o->khi - o->klo + 1, nfit = 0;
    *best = 0;
    int table = !o->quiet && nk > 1, split = splits(o, init);
    /* a single -k K >= 3 with split starts: the fits with 2 .. K - 1
       experts whose splits K's fit gets are made by gmoe_fit_auto, only
       when K's random starts do not settle */
    int lead = split && nk == 1 && o->klo >= 3;
    if (table)
        print_table_header(o);
    for (size_t k = o->klo; k <= o->khi; k++) {
        const gmoe_model *smaller = split && k > o->klo ? fits[k - 1 - o->klo] : NULL;
        size_t starts = gmoe_random_starts(&o->em.em, data->n, init != NULL || k == 1);
        fit_progress_attach(&o->prog, &o->em.em, k, starts + (smaller ? smaller->k : 0));
        int st = fit_one(o, data, init, smaller, lead, k, &fits[k - o->klo]);
        o->em.em.progress = NULL; /* the bootstrap's fits show none */
        if (st && !(nk > 1 && st == CLI_EXIT_ESTIMATION))
            return st;
        if (table)
            print_table_row(k, fits[k - o->klo]);
        if (!fits[k - o->klo])
            continue;
        nfit++;
        if (!*best ||
            criterion_value(fits[k - o->klo], o->criterion) < criterion_value(fits[*best - o->klo], o->criterion))
            *best = k;
    }
    return nfit == 0 ? CLI_EXIT_ESTIMATION : CLI_EXIT_OK;
}

/* The JSON of the -k table: one object per k with every column of the
 * table on stderr, the stop reason and whether it was chosen; a k whose
 * fit failed has null in every column but k (and chosen false). */
static void json_k_table(cli_buf *b, const options *o, gmoe_model *const *fits, size_t best)
{
    cli_buf_printf(b, ",\n  \"k_table\": [");
    for (size_t k = o->klo; k <= o->khi; k++) {
        const gmoe_model *m = fits[k - o->klo];
        double v[TABLE_NUMBERS];
        cli_buf_printf(b, "%s\n    {\"k\": %zu", k > o->klo ? "," : "", k);
        if (m)
            table_numbers(&m->fit, v);
        for (size_t i = 0; i < TABLE_NUMBERS; i++) {
            cli_buf_printf(b, ", \"%s\": ", table_names[i]);
            if (m && isfinite(v[i]))
                cli_buf_number(b, v[i]);
            else
                cli_buf_printf(b, "null");
        }
        if (m)
            cli_buf_printf(b, ", \"iterations\": %zu, \"converged\": %s, \"stop\": \"%s\"",
                           m->fit.iterations, m->fit.converged ? "true" : "false", gmoe_stop_name(m->fit.stop));
        else
            cli_buf_printf(b, ", \"iterations\": null, \"converged\": null, \"stop\": null");
        cli_buf_printf(b, ", \"chosen\": %s}", k == best ? "true" : "false");
    }
    cli_buf_printf(b, "\n  ]");
}

/* The chosen model as JSON to -o; with -k LO:HI the table of every k
 * ("k_table") after the model's keys, before its closing brace. */
static int write_model(const options *o, const gmoe_model *m, gmoe_model *const *fits, size_t best)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    char *json = gmoe_model_to_json(m, &err);
    if (!json) {
        int st = cli_fail(err.code, &err, CLI_STAGE_COMPUTE, "the fitted model");
        return st == CLI_EXIT_USAGE ? CLI_EXIT_ESTIMATION : st; /* a fit with non-finite parameters */
    }
    cli_buf out = {0};
    size_t len = strlen(json);
    if (o->khi > o->klo && len >= 3 && strcmp(json + len - 3, "\n}\n") == 0) {
        /* gmoe_model_to_json ends its object with "\n}\n" */
        cli_buf_printf(&out, "%.*s", (int)(len - 3), json);
        json_k_table(&out, o, fits, best);
        cli_buf_printf(&out, "\n}\n");
    } else
        cli_buf_printf(&out, "%s%s", json, json[0] && json[len - 1] == '\n' ? "" : "\n");
    int st = cli_write_output(o->out, &out);
    cli_buf_free(&out);
    free(json);
    return st;
}

/* The fit's notes (gmoe_fit_notes) for the summary and the JSON; none
 * for a model only scored (--max-iter 0). */
static int attach_notes(const options *o, gmoe_model *m, const gmoe_data *data)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    if (o->em.em.max_iter == 0 || gmoe_fit_notes(m, data, &err) == GMOE_OK)
        return CLI_EXIT_OK;
    return cli_fail(err.code, &err, CLI_STAGE_COMPUTE, "the fit's notes");
}

static int run(options *o)
{
    int st;
    gmoe_model *init = NULL;
    gmoe_data *data = NULL;
    gmoe_model **fits = NULL;
    size_t nk = o->khi - o->klo + 1, best = 0;
    if (o->shard && !(o->data_path = o->shard_path = mpi_shard_path(o->shard, o->data_path))) {
        st = CLI_EXIT_USAGE;
        goto done;
    }
    st = read_inputs(o, &init, &data);
    if (o->shard && (st = mpi_shard_agree(st)) == CLI_EXIT_OK)
        st = mpi_shard_attach(o->shard, data, &o->shard_hook);
    if (st)
        goto done;
    nk = o->khi - o->klo + 1; /* --init may have set -k */
    if (!(fits = calloc(nk, sizeof *fits))) {
        cli_error("out of memory");
        st = CLI_EXIT_ESTIMATION;
        goto done;
    }
    if ((st = fit_range(o, data, init, fits, &best)))
        goto done;
    gmoe_model *m = fits[best - o->klo];
    if (!o->quiet && nk > 1)
        fprintf(stderr, "  * k = %zu chosen (lowest %s)\n", best, crit_names[o->criterion]);
    if (o->table_path && mpi_rank() == 0 && (st = write_table(o, fits, best)))
        goto done;
    if ((st = cli_inference_run(&o->inf, m, data, &o->em.em)) || (st = attach_notes(o, m, data)))
        goto done;
    if (!o->quiet) {
        print_summary(o, m, data);
        cli_inference_print(m);
    }
    for (size_t i = 0; i < nk; i++)
        if (fits[i])
            warn_convergence(o, fits[i]);
    st = mpi_rank() == 0 ? write_model(o, m, fits, best) : CLI_EXIT_OK;
done:
    for (size_t i = 0; fits && i < nk; i++)
        gmoe_model_free(fits[i]);
    free(fits);
    gmoe_data_free(data);
    gmoe_model_free(init);
    return st;
}

/* Under mpirun (a build with MPI) every rank runs the same fits, each
 * fit's starts shared out over the ranks (mpi_fit.c); rank 0 checks the
 * command line first, and alone prints and writes. */
static int start_ranks(int *argc, char ***argv)
{
    int st = mpi_session_start(argc, argv);
    if (st != CLI_EXIT_OK || mpi_size() < 2 || mpi_rank() == 0)
        return st;
    if (!mpi_wait_start())
        return -1;
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
        return CLI_EXIT_OUTPUT;
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    cli_wait_policy(argv);
    cli_init("mixfit");
    options o;
    memset(&o, 0, sizeof o);
    cli_family_default(&o.fam);
    cli_em_default(&o.em);
    cli_csv_default(&o.csv);
    cli_inference_default(&o.inf);
    o.criterion = CRIT_BIC;
    int st = start_ranks(&argc, &argv);
    if (st == 0)
        st = parse_args(argc, argv, &o);
    o.em.em.nthreads = cli_fit_threads(o.em.em.nthreads);
    mpi_give_start(st == 0);
    if (st == 0 && mpi_size() > 1 && !o.shard) /* sharded: every rank runs every start */
        o.em.em.share_starts = mpi_share_starts;
    fit_progress_init(&o.prog, o.quiet ? -1 : o.progress);
    if (st == 0)
        st = run(&o);
    if (o.shard)
        mpi_shard_report();
    free(o.shard_path);
    cli_free_list(o.xnames, o.nx);
    cli_free_list(o.gate_x, o.ngate_x);
    cli_csv_free(&o.csv);
    mpi_session_end();
    return st < 0 ? CLI_EXIT_OK : st;
}
