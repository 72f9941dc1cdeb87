/* mixsim -- simulate a data set from a model file: covariates from a
 * design (or a CSV file), the response from the model.  See mixsim(1). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv_options.h"

enum { OPT_DESIGN = CLI_OPT_PROGRAM, OPT_RANGE, OPT_X, OPT_LATENT };

#define MIXSIM_N_MAX 1000000000

typedef struct {
    const char *model_path, *out, *x_path, *range;
    size_t n;
    uint64_t seed;
    int n_set, seed_set, design_set, latent;
    gmoe_design design;
    cli_csv csv; /* how --x is read */
} options;

static void help(void)
{
    printf("Usage: mixsim --model MODEL -n N --seed S [options]\n"
           "Simulate a CSV data set from a Gaussian mixture of experts: covariates from a\n"
           "design (or --x FILE), then y drawn from the model.  Columns: the model's\n"
           "covariate names (x1..xd when it has none), its response name (y), and z with\n"
           "--latent.  Numbers are written with 17 significant digits.\n"
           "\n"
           "  -m, --model MODEL       the model (JSON model file), required\n"
           "  -n N                    rows to simulate (required unless --x)\n"
           "  -s, --seed S            seed, required; the same seed gives the same file\n"
           "      --design D          uniform (default): each covariate U(LO, HI);\n"
           "                          normal: each covariate N(0, 1);\n"
           "                          grid: the first covariate evenly spaced on [LO, HI]\n"
           "                          (x_n = LO + (HI-LO)(n-1)/(N-1)), others uniform\n"
           "      --range LO:HI[,LO:HI...]  covariate range for uniform and grid: one for\n"
           "                          every covariate, or one per covariate (default 0:1)\n"
           "      --x FILE            take the covariates from the model's columns of a CSV\n"
           "                          file instead of a design (n = its rows)\n"
           "      --latent            add column z, the expert that drew each y (1-based)\n"
           "  -o FILE                 write to FILE (default: stdout)\n"
           "  -h, --help              this help\n"
           "      --version           the version\n"
           "\n");
    cli_csv_help(stdout, 0);
    printf("(for --x; a model's factors are coded with its levels)\n\n");
    cli_exit_help(stdout);
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},   {"seed", required_argument, NULL, 's'},
        {"design", required_argument, NULL, OPT_DESIGN}, {"range", required_argument, NULL, OPT_RANGE},
        {"x", required_argument, NULL, OPT_X},     {"latent", no_argument, NULL, OPT_LATENT},
        CLI_STANDARD_LONG_OPTIONS, CLI_CSV_LONG_OPTIONS,
        {NULL, 0, NULL, 0}};
    int c, st = CLI_EXIT_OK, v = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:n:s:o:h", longopts, NULL)) != -1) {
        if (cli_csv_option(c, optarg, &o->csv, &st)) {
            if (st)
                return st;
            continue;
        }
        switch (c) {
        case 'm':
            o->model_path = optarg;
            break;
        case 'n':
            if ((st = cli_parse_size("-n", optarg, 1, MIXSIM_N_MAX, &o->n)))
                return st;
            o->n_set = 1;
            break;
        case 's':
            if ((st = cli_parse_seed("--seed", optarg, &o->seed)))
                return st;
            o->seed_set = 1;
            break;
        case OPT_DESIGN:
            if ((st = cli_parse_choice("--design", optarg, gmoe_design_from_name, "uniform, normal, grid", &v)))
                return st;
            o->design = (gmoe_design)v;
            o->design_set = 1;
            break;
        case OPT_RANGE:
            o->range = optarg;
            break;
        case OPT_X:
            o->x_path = optarg;
            break;
        case OPT_LATENT:
            o->latent = 1;
            break;
        case 'o':
            o->out = optarg; /* "-": stdout, as cli_write_output reads it */
            break;
        default:
            return cli_standard_option(c, help, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument \"%s\" (mixsim reads no data file; see --x)", argv[optind]);
    if (!o->model_path)
        return cli_usage_error("--model is required");
    if (!o->seed_set)
        return cli_usage_error("--seed is required (the same seed gives the same data)");
    if (o->x_path) {
        if (o->n_set)
            return cli_usage_error("-n and --x exclude each other (the rows of --x set n)");
        if (o->design_set || o->range)
            return cli_usage_error("--%s and --x exclude each other", o->design_set ? "design" : "range");
    } else if (!o->n_set) {
        return cli_usage_error("-n is required (the number of rows), unless --x gives the covariates");
    }
    if (o->range && o->design == GMOE_DESIGN_NORMAL)
        return cli_usage_error("--range does not apply to --design normal (N(0, 1) covariates)");
    return CLI_EXIT_OK;
}

/* --range: one LO:HI for every covariate, or one per covariate. */
static int parse_ranges(const char *text, size_t d, double *lo, double *hi)
{
    char **items = NULL;
    size_t n = 0;
    int st = cli_parse_list("--range", text, &items, &n);
    if (st)
        return st;
    if (n != 1 && n != d && d == 1)
        st = cli_usage_error("--range: %zu ranges given; the model has one covariate", n);
    else if (n != 1 && n != d)
        st = cli_usage_error("--range: %zu ranges given; the model has %zu covariates (give 1 or %zu)", n, d, d);
    for (size_t j = 0; j < d && st == CLI_EXIT_OK; j++)
        st = cli_parse_interval("--range", items[n == 1 ? 0 : j], &lo[j], &hi[j]);
    cli_free_list(items, n);
    return st;
}

static int design_x(const options *o, const gmoe_model *m, double **x, size_t *n);

/* Column of the experts' covariates named `name`, or -1. */
static long expert_column(const gmoe_model *m, char **xnames, const char *name)
{
    for (size_t j = 0; j < m->d; j++)
        if (strcmp(xnames[j], name) == 0)
            return (long)j;
    return -1;
}

/* The gate's own covariates of the design's rows (a model with gate_own):
 * the experts' columns of the same names; a gate column the experts do
 * not read needs --x. */
static int design_gate_x(const options *o, const gmoe_model *m, char **xnames, const double *x,
                         size_t n, double **gx)
{
    size_t dg = m->dg, d = m->d;
    for (size_t j = 0; j < dg; j++)
        if (!m->gxnames || expert_column(m, xnames, m->gxnames[j]) < 0)
            return cli_usage_error("--model %s: the gate reads \"%s\", which the experts do not: "
                                   "give the covariates with --x FILE", o->model_path,
                                   m->gxnames ? m->gxnames[j] : "z1");
    if (!(*gx = malloc((n * dg + 1) * sizeof(double)))) {
        cli_error("out of memory (n = %zu)", n);
        return CLI_EXIT_ESTIMATION;
    }
    for (size_t j = 0; j < dg; j++) {
        size_t c = (size_t)expert_column(m, xnames, m->gxnames[j]);
        for (size_t r = 0; r < n; r++)
            (*gx)[r * dg + j] = x[r * d + c];
    }
    return CLI_EXIT_OK;
}

/* The covariates: from --x, or drawn from the design; *gx the gate's own
 * (NULL when the gate reads the experts'). */
static int make_x(const options *o, const gmoe_model *m, char **xnames, double **x, double **gx,
                  size_t *n)
{
    size_t d = m->d;
    *gx = NULL;
    if (o->x_path) {
        gmoe_data *data = NULL;
        int st = cli_csv_read(o->x_path, &o->csv, m, cli_model_yname(m), (const char *const *)xnames, d, 1, &data);
        if (st)
            return st;
        *x = data->x;
        *n = data->n;
        data->x = NULL;
        if (data->gate_own) {
            *gx = data->gx;
            data->gx = NULL;
        }
        gmoe_data_free(data);
        return CLI_EXIT_OK;
    }
    int st = design_x(o, m, x, n);
    if (st == CLI_EXIT_OK && m->gate_own)
        st = design_gate_x(o, m, xnames, *x, *n, gx);
    return st;
}

/* The experts' covariates drawn from the design. */
static int design_x(const options *o, const gmoe_model *m, double **x, size_t *n)
{
    size_t d = m->d;
    double *lo = malloc((d + 1) * sizeof(double)), *hi = malloc((d + 1) * sizeof(double));
    *x = malloc((o->n * d + 1) * sizeof(double));
    int st = CLI_EXIT_OK;
    if (!lo || !hi || !*x) {
        cli_error("out of memory (n = %zu)", o->n);
        st = CLI_EXIT_ESTIMATION;
    } else if (o->range) {
        st = parse_ranges(o->range, d, lo, hi);
    }
    if (st == CLI_EXIT_OK && d > 0) { /* d = 0: experts without covariates */
        gmoe_err err;
        gmoe_err_clear(&err);
        int gs = gmoe_simulate_design(o->design, o->n, d, o->range ? lo : NULL, o->range ? hi : NULL,
                                      gmoe_seed_derive(o->seed, 0), *x, &err);
        if (gs)
            st = cli_fail(gs, &err, CLI_STAGE_COMPUTE, "design");
    }
    free(lo);
    free(hi);
    *n = o->n;
    return st;
}

/* The gate's own covariates the experts do not read: written after theirs. */
static int gate_only(const gmoe_model *m, char **xnames, const double *gx, size_t j)
{
    return gx && m->gxnames && expert_column(m, xnames, m->gxnames[j]) < 0;
}

static void write_csv(cli_buf *b, const options *o, const gmoe_model *m, char **xnames, const double *x,
                      const double *gx, const double *y, const size_t *z, size_t n)
{
    size_t d = m->d, dg = m->dg;
    for (size_t j = 0; j < d; j++) {
        cli_buf_csv_field(b, xnames[j]);
        cli_buf_printf(b, ",");
    }
    for (size_t j = 0; j < dg; j++)
        if (gate_only(m, xnames, gx, j)) {
            cli_buf_csv_field(b, m->gxnames[j]);
            cli_buf_printf(b, ",");
        }
    cli_buf_csv_field(b, cli_model_yname(m));
    cli_buf_printf(b, o->latent ? ",z\n" : "\n");
    for (size_t r = 0; r < n && !b->failed; r++) {
        for (size_t j = 0; j < d; j++) {
            cli_buf_number(b, x[r * d + j]);
            cli_buf_printf(b, ",");
        }
        for (size_t j = 0; j < dg; j++)
            if (gate_only(m, xnames, gx, j)) {
                cli_buf_number(b, gx[r * dg + j]);
                cli_buf_printf(b, ",");
            }
        cli_buf_number(b, y[r]);
        if (o->latent)
            cli_buf_printf(b, ",%zu", z[r] + 1);
        cli_buf_printf(b, "\n");
    }
}

static int run(const options *o)
{
    gmoe_model *m = NULL;
    char **xnames = NULL;
    double *x = NULL, *gx = NULL, *y = NULL;
    size_t *z = NULL, n = 0;
    cli_buf out = {0};
    int st = cli_read_model_xnames("--model", o->model_path, &m, &xnames);
    if (st)
        return st;
    for (size_t j = 0; j < m->d; j++)
        if (strcmp(xnames[j], cli_model_yname(m)) == 0) {
            cli_error("--model %s: column \"%s\" is both a covariate and the response", o->model_path, xnames[j]);
            st = CLI_EXIT_INPUT;
            goto done;
        }
    if ((st = make_x(o, m, xnames, &x, &gx, &n)))
        goto done;
    y = malloc(n * sizeof(double));
    z = malloc(n * sizeof(size_t));
    if (!y || !z) {
        cli_error("out of memory (n = %zu)", n);
        st = CLI_EXIT_ESTIMATION;
        goto done;
    }
    gmoe_err err;
    gmoe_err_clear(&err);
    /* a constant gate (dg = 0) reads nothing: x stands in for its rows */
    int gs = gmoe_simulate_y_gx(m, x, gx ? gx : x, n, gmoe_seed_derive(o->seed, 1), y, z, &err);
    if (gs) {
        st = cli_fail(gs, &err, CLI_STAGE_COMPUTE, o->model_path);
        goto done;
    }
    write_csv(&out, o, m, xnames, x, gx, y, z, n);
    st = cli_write_output(o->out, &out);
done:
    cli_buf_free(&out);
    cli_free_list(xnames, m->d);
    free(x);
    free(gx);
    free(y);
    free(z);
    gmoe_model_free(m);
    return st;
}

int main(int argc, char **argv)
{
    cli_init("mixsim");
    options o;
    memset(&o, 0, sizeof o);
    o.design = GMOE_DESIGN_UNIFORM;
    cli_csv_default(&o.csv);
    int st = parse_args(argc, argv, &o);
    if (st == 0)
        st = run(&o);
    cli_csv_free(&o.csv);
    return st < 0 ? CLI_EXIT_OK : st;
}
