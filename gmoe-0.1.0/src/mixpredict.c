/* mixpredict -- predictions of a model on the rows of a CSV file: the
 * predictive mean and variance, the most probable expert, the gate
 * probabilities and, when the response is present, the responsibilities
 * and the log-density.  See mixpredict(1). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv_options.h"
#include "io.h"

typedef struct {
    const char *model_path, *data_path, *out;
    cli_csv csv;
} options;

static void help(void)
{
    printf("Usage: mixpredict --model MODEL [-o FILE] data.csv\n"
           "Predict with a Gaussian mixture of experts on every row of a CSV file.\n"
           "The covariates are the columns named in the model (x1..xd when it has no\n"
           "names); other columns are ignored.  Output, one CSV row per input row:\n"
           "  mean, var           predictive mean and variance of y given x\n"
           "  expert              the expert with the largest gate probability (1-based)\n"
           "  gate_1..gate_k      gate probabilities g_i(x)\n"
           "and, when the model's response column is present in the file:\n"
           "  resp_1..resp_k      posterior expert probabilities given x and y\n"
           "  logdens             log p(y | x)\n"
           "\n"
           "  -m, --model MODEL       the model (JSON model file), required\n"
           "  -o FILE                 write to FILE (default: stdout)\n"
           "  -h, --help              this help\n"
           "      --version           the version\n"
           "\n");
    cli_csv_help(stdout, 0);
    printf("Factors are coded with the model's levels; a level it does not have is an error.\n"
           "With --na drop the output has a row per row kept.\n\n");
    cli_exit_help(stdout);
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'}, CLI_STANDARD_LONG_OPTIONS, CLI_CSV_LONG_OPTIONS,
        {NULL, 0, NULL, 0}};
    int c, st = CLI_EXIT_OK;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:o:h", longopts, NULL)) != -1) {
        if (cli_csv_option(c, optarg, &o->csv, &st)) {
            if (st)
                return st;
            continue;
        }
        switch (c) {
        case 'm':
            o->model_path = optarg;
            break;
        case 'o':
            o->out = optarg; /* "-": stdout, as cli_write_output reads it */
            break;
        default:
            return cli_standard_option(c, help, argv);
        }
    }
    if (!o->model_path)
        return cli_usage_error("--model is required");
    if (optind == argc)
        return cli_usage_error("no data file given (usage: mixpredict --model MODEL data.csv)");
    if (argc - optind > 1)
        return cli_usage_error("one data file expected, got %d", argc - optind);
    o->data_path = argv[optind];
    return CLI_EXIT_OK;
}

static void header(cli_buf *b, size_t k, int has_y)
{
    cli_buf_printf(b, "mean,var,expert");
    for (size_t i = 0; i < k; i++)
        cli_buf_printf(b, ",gate_%zu", i + 1);
    if (has_y) {
        for (size_t i = 0; i < k; i++)
            cli_buf_printf(b, ",resp_%zu", i + 1);
        cli_buf_printf(b, ",logdens");
    }
    cli_buf_printf(b, "\n");
}

/* The first non-finite value of a row's outputs (NULL when all are
 * finite): every number mixpredict writes is a finite double. */
static const char *nonfinite_output(size_t k, double mean, double var, const double *gate,
                                    const double *resp, double logdens, double *value)
{
    if (!isfinite(*value = mean))
        return "predictive mean";
    if (!isfinite(*value = var))
        return "predictive variance";
    for (size_t i = 0; i < k; i++)
        if (!isfinite(*value = gate[i]))
            return "gate probability";
    if (!resp)
        return NULL;
    for (size_t i = 0; i < k; i++)
        if (!isfinite(*value = resp[i]))
            return "responsibility";
    if (!isfinite(*value = logdens))
        return "log-density of y";
    return NULL;
}

/* A row whose predictions overflow a double (covariates or coefficients
 * of extreme size) is an error naming the row and its covariates, rather
 * than a "nan" or "inf" in the output: CLI_EXIT_ESTIMATION. */
static int overflow_error(const options *o, const gmoe_data *data, char **xnames, size_t r,
                          const char *what, double value)
{
    char xs[256] = "";
    size_t used = 0, d = data->d;
    for (size_t j = 0; j < d && j < 4 && used < sizeof xs; j++) {
        int w = snprintf(xs + used, sizeof xs - used, "%s%s = %.6g", j ? ", " : "", xnames[j], data->x[r * d + j]);
        used += w > 0 ? (size_t)w : 0;
    }
    cli_error("%s: row %zu%s (%s%s): the %s is %s: a double overflows for these covariates and "
              "this model; nothing written",
              gmoe_io_display_name(o->data_path), r + 1, data->dropped ? " of the rows kept" : "", xs,
              d > 4 ? ", ..." : "", what,
              isnan(value) ? "not a number" : value > 0 ? "+infinite" : "-infinite");
    return CLI_EXIT_ESTIMATION;
}

static void put_numbers(cli_buf *b, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cli_buf_printf(b, ",");
        cli_buf_number(b, v[i]);
    }
}

static int rows(cli_buf *b, const options *o, const gmoe_model *m, const gmoe_data *data, char **xnames,
                double *gate, double *resp)
{
    size_t k = m->k, d = m->d;
    for (size_t r = 0; r < data->n && !b->failed; r++) {
        const double *x = data->x + r * d, *gx = gmoe_data_gate_x(data) + r * gmoe_data_gate_d(data);
        double mean, var, logdens = 0, bad;
        size_t best = 0;
        gmoe_predict_gx(m, x, gx, &mean, &var, gate, &best);
        if (data->y)
            logdens = gmoe_responsibilities_gx(m, x, gx, data->y[r], resp);
        const char *what = nonfinite_output(k, mean, var, gate, data->y ? resp : NULL, logdens, &bad);
        if (what)
            return overflow_error(o, data, xnames, r, what, bad);
        cli_buf_number(b, mean);
        cli_buf_printf(b, ",");
        cli_buf_number(b, var);
        cli_buf_printf(b, ",%zu", best + 1);
        put_numbers(b, gate, k);
        if (data->y) {
            put_numbers(b, resp, k);
            put_numbers(b, &logdens, 1);
        }
        cli_buf_printf(b, "\n");
    }
    return CLI_EXIT_OK;
}

static int run(const options *o)
{
    gmoe_model *m = NULL;
    gmoe_data *data = NULL;
    char **xnames = NULL;
    double *gate = NULL, *resp = NULL;
    cli_buf out = {0};
    int st = cli_read_model_xnames("--model", o->model_path, &m, &xnames);
    if (st)
        return st;
    if (!(gate = malloc(m->k * sizeof(double))) || !(resp = malloc(m->k * sizeof(double)))) {
        cli_error("out of memory");
        st = CLI_EXIT_ESTIMATION;
        goto done;
    }
    /* the model's columns; the response is optional */
    if ((st = cli_csv_read(o->data_path, &o->csv, m, cli_model_yname(m), (const char *const *)xnames, m->d, 1,
                           &data)))
        goto done;
    header(&out, m->k, data->y != NULL);
    if ((st = rows(&out, o, m, data, xnames, gate, resp)) == CLI_EXIT_OK)
        st = cli_write_output(o->out, &out);
done:
    cli_buf_free(&out);
    cli_free_list(xnames, m->d);
    free(gate);
    free(resp);
    gmoe_data_free(data);
    gmoe_model_free(m);
    return st;
}

int main(int argc, char **argv)
{
    cli_init("mixpredict");
    options o = {0};
    cli_csv_default(&o.csv);
    int st = parse_args(argc, argv, &o);
    if (st == 0)
        st = run(&o);
    cli_csv_free(&o.csv);
    return st < 0 ? CLI_EXIT_OK : st;
}
