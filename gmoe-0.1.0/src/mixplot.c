/* mixplot -- a picture of a fitted model (y against a covariate, coloured
 * by the most likely expert, the experts' lines, the predictive mean and
 * the gate probabilities), or of the criteria of a mixfit -k LO:HI table
 * against k.  Writes a self-contained gnuplot script (the data inline)
 * and runs gnuplot on it.  See mixplot(1). */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "csv_options.h"

enum { OPT_X = CLI_OPT_PROGRAM, OPT_CRITERIA, OPT_SCRIPT };

typedef struct {
    const char *model_path, *data_path, *criteria_path, *out, *script, *xname;
    cli_csv csv;
} options;

/* Points of the curves across the covariate's range. */
#define GRID 201

/* Colours of the experts (Okabe and Ito's, distinct to colour-blind
 * readers and in greyscale print), then again from the first. */
static const char *const colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};

static const char *colour(size_t i)
{
    return colours[i % (sizeof colours / sizeof *colours)];
}

static void help(void)
{
    printf("Usage: mixplot --model MODEL [--x NAME] [options] data.csv -o fit.png\n"
           "       mixplot --criteria TABLE.csv -o criteria.png\n"
           "Draw a fitted Gaussian mixture of experts with gnuplot: y against one covariate,\n"
           "each row coloured by its most likely expert given x and y, each expert's line\n"
           "a_i'x + b_i, the predictive mean, and below them the gate probabilities g_i(x);\n"
           "the other covariates are held at their means over the rows (said in the title).\n"
           "With --criteria: AIC, BIC and ICL against k from mixfit -k LO:HI --table TABLE.csv.\n"
           "\n"
           "  -m, --model MODEL       the model (JSON model file)\n"
           "      --x NAME            the covariate on the horizontal axis (default: the\n"
           "                          model's first covariate that is not a factor's indicator)\n"
           "      --criteria TABLE    plot a mixfit --table file instead of a model\n"
           "  -o FILE                 the PNG to write (required)\n"
           "      --script FILE       the gnuplot script (default: FILE with .gp for .png)\n"
           "  -h, --help              this help\n"
           "      --version           the version\n"
           "\n");
    cli_csv_help(stdout, 0);
    printf("\nNeeds gnuplot (Debian package gnuplot-nox) with the pngcairo or png terminal;\n"
           "the environment variable GNUPLOT names another command to run.\n");
    cli_exit_help(stdout);
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'}, {"x", required_argument, NULL, OPT_X},
        {"criteria", required_argument, NULL, OPT_CRITERIA}, {"script", required_argument, NULL, OPT_SCRIPT},
        CLI_STANDARD_LONG_OPTIONS, CLI_CSV_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    int c, st = CLI_EXIT_OK;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:o:h", longopts, NULL)) != -1) {
        if (cli_csv_option(c, optarg, &o->csv, &st)) {
            if (st)
                return st;
            continue;
        }
        switch (c) {
        case 'm': o->model_path = optarg; break;
        case 'o': o->out = optarg; break;
        case OPT_X: o->xname = optarg; break;
        case OPT_CRITERIA: o->criteria_path = optarg; break;
        case OPT_SCRIPT: o->script = optarg; break;
        default: return cli_standard_option(c, help, argv);
        }
    }
    if (!o->out || strcmp(o->out, "-") == 0)
        return cli_usage_error("-o FILE is required (the PNG to write)");
    if (!o->model_path == !o->criteria_path)
        return cli_usage_error("give one of --model MODEL data.csv and --criteria TABLE");
    if (o->criteria_path && argc > optind)
        return cli_usage_error("--criteria takes no data file (got \"%s\")", argv[optind]);
    if (o->model_path && argc - optind != 1)
        return cli_usage_error(optind == argc ? "no data file given (usage: mixplot --model MODEL data.csv -o fit.png)"
                                              : "one data file expected, got %d", argc - optind);
    o->data_path = o->model_path ? argv[optind] : NULL;
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------ script */

/* A text for a gnuplot single-quoted string ('' is a quote). */
static void put_quoted(cli_buf *b, const char *s)
{
    cli_buf_printf(b, "'");
    for (; *s; s++)
        cli_buf_printf(b, *s == '\'' ? "''" : "%c", *s);
    cli_buf_printf(b, "'");
}

/* The terminal: pngcairo, else png; the output is `png`. */
static void put_terminal(cli_buf *b, const char *png, int width, int height)
{
    cli_buf_printf(b, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                      "    set terminal pngcairo size %d,%d enhanced font 'sans,12' linewidth 1.2\n"
                      "} else {\n"
                      "    set terminal png size %d,%d\n"
                      "}\n"
                      "set output ",
                   width, height, width, height);
    put_quoted(b, png);
    cli_buf_printf(b, "\n");
}

/* Runs gnuplot (the shell command $GNUPLOT, else gnuplot) on the script
 * text; its exit status, 127 when it could not be started.  A gnuplot
 * that is missing or stops reading is a failed run, not a SIGPIPE. */
static int gnuplot(const cli_buf *script)
{
    const char *cmd = getenv("GNUPLOT");
    fflush(NULL);
    FILE *p = popen(cmd && *cmd ? cmd : "gnuplot", "w");
    if (!p)
        return 127;
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    fwrite(script->s, 1, script->len, p);
    int ws = pclose(p);
    signal(SIGPIPE, old);
    return ws == -1 ? 127 : WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
}

/* Writes the script, then draws the PNG through a temporary file renamed
 * over `png` on success (a failure leaves an existing PNG as it was). */
static int draw(const options *o, cli_buf *body, const char *tmp)
{
    int st = cli_write_output(o->script, body);
    if (st)
        return st;
    int gs = gnuplot(body);
    if (gs == 0 && rename(tmp, o->out) == 0)
        return CLI_EXIT_OK;
    unlink(tmp);
    if (gs == 127)
        cli_error("gnuplot not found (Debian package gnuplot-nox); the script is %s", o->script);
    else if (gs != 0)
        cli_error("gnuplot failed (exit %d) on %s", gs, o->script);
    else
        cli_error("%s: cannot rename the drawn plot into place", o->out);
    return CLI_EXIT_OUTPUT;
}

/* ------------------------------------------------------------ model */

/* The covariate on the horizontal axis. */
static int choose_covariate(const options *o, const gmoe_model *m, char **xnames, size_t *j)
{
    for (*j = 0; *j < m->d; (*j)++) {
        int indicator = strchr(xnames[*j], '=') && m->nfactors > 0;
        if (o->xname ? strcmp(xnames[*j], o->xname) == 0 : !indicator)
            break;
    }
    if (*j == m->d)
        return o->xname ? cli_usage_error("--x %s: not a covariate of the model", o->xname)
                        : cli_usage_error("the model has no numeric covariate to plot against");
    if (o->xname && m->nfactors > 0 && strchr(o->xname, '='))
        return cli_usage_error("--x %s: a factor's indicator; choose a numeric covariate", o->xname);
    return CLI_EXIT_OK;
}

/* $points: x, y and the most likely expert (1-based) given x and y. */
static void put_points(cli_buf *b, const gmoe_model *m, const gmoe_data *data, size_t j, double *resp)
{
    cli_buf_printf(b, "$points << EOD\n");
    for (size_t r = 0; r < data->n; r++) {
        const double *x = data->x + r * m->d;
        gmoe_responsibilities(m, x, data->y[r], resp);
        size_t best = 0;
        for (size_t i = 1; i < m->k; i++)
            best = resp[i] > resp[best] ? i : best;
        cli_buf_printf(b, "%.10g %.10g %zu\n", x[j], data->y[r], best + 1);
    }
    cli_buf_printf(b, "EOD\n");
}

/* $curves: x, the predictive mean, each expert's line, each gate, at GRID
 * points from the smallest to the largest x_j, the others at `at`. */
static void put_curves(cli_buf *b, const gmoe_model *m, size_t j, double lo, double hi, double *at, double *gate)
{
    size_t k = m->k, d = m->d;
    cli_buf_printf(b, "$curves << EOD\n");
    for (size_t g = 0; g < GRID; g++) {
        at[j] = lo + (hi - lo) * (double)g / (GRID - 1);
        double mean, var;
        size_t best;
        gmoe_predict(m, at, &mean, &var, gate, &best);
        cli_buf_printf(b, "%.10g %.10g", at[j], mean);
        for (size_t i = 0; i < k; i++) {
            double line = m->b[i];
            for (size_t l = 0; l < d; l++)
                line += m->a[i * d + l] * at[l];
            cli_buf_printf(b, " %.10g", line);
        }
        for (size_t i = 0; i < k; i++)
            cli_buf_printf(b, " %.10g", gate[i]);
        cli_buf_printf(b, "\n");
    }
    cli_buf_printf(b, "EOD\n");
}

/* The title: what is drawn, and where the other covariates are held. */
static void put_title(cli_buf *b, const gmoe_model *m, const gmoe_data *data, char **xnames, size_t j,
                      const double *mean)
{
    cli_buf_printf(b, "set title \"%s against %s: %s gate, k = %zu, n = %zu; points coloured by the most likely "
                      "expert given x and y",
                   data->yname ? data->yname : "y", xnames[j], gmoe_family_name(m->family), m->k, data->n);
    if (m->d > 1) {
        cli_buf_printf(b, "\\nother covariates at their means:");
        for (size_t l = 0, shown = 0; l < m->d; l++)
            if (l != j)
                cli_buf_printf(b, "%s %s = %.3g", shown++ ? "," : "", xnames[l], mean[l]);
    }
    cli_buf_printf(b, "\" noenhanced\n");
}

/* The two panels: data and lines above, gate probabilities below. */
static void put_panels(cli_buf *b, const gmoe_model *m, size_t n, const char *xlabel, const char *ylabel,
                       double ylo, double yhi)
{
    size_t k = m->k;
    double ps = n > 1000 ? 0.55 : n > 200 ? 0.75 : 0.95; /* fewer points, larger */
    cli_buf_printf(b, "set multiplot\nset lmargin at screen 0.09; set rmargin at screen 0.80\n"
                      "set tmargin at screen 0.88; set bmargin at screen 0.36\n"
                      "set grid lc rgb '#dddddd'; set key at screen 0.82, graph 1 left top vertical Left reverse samplen 2.5\n"
                      "set format x ''; set ylabel ");
    put_quoted(b, ylabel);
    cli_buf_printf(b, " noenhanced\nset yrange [%.10g:%.10g]\nplot ", ylo, yhi);
    for (size_t i = 0; i < k; i++)
        cli_buf_printf(b, "$points using 1:($3 == %zu ? $2 : NaN) with points pt 7 ps %g lc rgb '%s' "
                          "title 'expert %zu', \\\n     ", i + 1, ps, colour(i), i + 1);
    for (size_t i = 0; i < k; i++)
        cli_buf_printf(b, "$curves using 1:%zu with lines lw 2 dt 2 lc rgb '%s' %s, \\\n     ", i + 3, colour(i),
                       i == 0 ? "title 'expert lines'" : "notitle");
    cli_buf_printf(b, "$curves using 1:2 with lines lw 3 lc rgb '#222222' title 'predictive mean'\n"
                      "unset title\nset tmargin at screen 0.33; set bmargin at screen 0.09\n"
                      "set format x '%%g'; set xlabel ");
    put_quoted(b, xlabel);
    cli_buf_printf(b, " noenhanced\nset ylabel 'gate probability'\nset yrange [-0.03:1.03]; set ytics 0, 0.5, 1\n"
                      "plot ");
    for (size_t i = 0; i < k; i++)
        cli_buf_printf(b, "%s$curves using 1:%zu with lines lw 2.5 lc rgb '%s' title 'g_%zu(x)'", i ? ", \\\n     " : "",
                       i + 3 + k, colour(i), i + 1);
    cli_buf_printf(b, "\nunset multiplot\n");
}

/* Means of the covariates, and the range of x_j and of y. */
static void data_ranges(const gmoe_data *data, size_t j, double *mean, double *xr, double *yr)
{
    size_t d = data->d;
    xr[0] = xr[1] = data->x[j];
    yr[0] = yr[1] = data->y[0];
    for (size_t r = 0; r < data->n; r++) {
        for (size_t l = 0; l < d; l++)
            mean[l] += data->x[r * d + l] / (double)data->n;
        xr[0] = fmin(xr[0], data->x[r * d + j]), xr[1] = fmax(xr[1], data->x[r * d + j]);
        yr[0] = fmin(yr[0], data->y[r]), yr[1] = fmax(yr[1], data->y[r]);
    }
}

static void fit_script(cli_buf *b, const gmoe_model *m, const gmoe_data *data, char **xnames, size_t j,
                       const char *tmp, double *work)
{
    double *mean = work, *gate = work + m->d, *resp = gate + m->k, xr[2], yr[2];
    data_ranges(data, j, mean, xr, yr);
    double pad = 0.08 * (yr[1] - yr[0]);
    cli_buf_printf(b, "# mixplot: the fitted model and its data; redraw with gnuplot FILE.gp\n");
    put_points(b, m, data, j, resp);
    double mean_j = mean[j];
    put_curves(b, m, j, xr[0], xr[1], mean, gate); /* moves mean[j] along the grid */
    mean[j] = mean_j;
    put_terminal(b, tmp, 1060, 760);
    put_title(b, m, data, xnames, j, mean);
    put_panels(b, m, data->n, xnames[j], data->yname ? data->yname : "y", yr[0] - pad, yr[1] + pad);
}

/* ------------------------------------------------------------ criteria */

/* A column of the table, or -1 with a message. */
static long table_column(const gmoe_table *t, const char *name)
{
    long c = gmoe_table_column(t, name);
    if (c < 0)
        cli_error("%s: no column \"%s\" (expected a mixfit --table file)", t->path, name);
    return c;
}

/* Each criterion's smallest value and its k (NaN, a failed k, skipped). */
static void criteria_minima(const gmoe_table *t, const long *c, double *min, double *at)
{
    for (int i = 0; i < 3; i++) {
        min[i] = INFINITY, at[i] = 0;
        for (size_t r = 0; r < t->nrow; r++) {
            double v = t->cells[r * t->ncol + c[i + 1]];
            if (v < min[i])
                min[i] = v, at[i] = t->cells[r * t->ncol + c[0]];
        }
    }
}

/* Each criterion minus its smallest value over k, on an axis linear near
 * 0 and logarithmic above (log10(1 + delta)): the k = 1 fit is often
 * thousands above the others, which differ by tens. */
static int criteria_script(cli_buf *b, const gmoe_table *t, const char *tmp)
{
    static const char *const names[] = {"k", "aic", "bic", "icl", "chosen"}, *const labels[] = {"AIC", "BIC", "ICL"};
    long c[5];
    for (int i = 0; i < 5; i++)
        if ((c[i] = table_column(t, names[i])) < 0)
            return CLI_EXIT_INPUT;
    double min[3], at[3], klo = INFINITY, khi = -INFINITY, top = 1;
    size_t chosen = 0;
    criteria_minima(t, c, min, at);
    cli_buf_printf(b, "# mixplot --criteria: information criteria against k\n$table << EOD\n");
    for (size_t r = 0; r < t->nrow; r++) {
        const double *row = t->cells + r * t->ncol;
        cli_buf_printf(b, "%.17g %.17g %.17g %.17g\n", row[c[0]], row[c[1]] - min[0], row[c[2]] - min[1],
                       row[c[3]] - min[2]);
        chosen = row[c[4]] == 1 ? (size_t)row[c[0]] : chosen;
        klo = fmin(klo, row[c[0]]), khi = fmax(khi, row[c[0]]);
        for (int i = 0; i < 3; i++)
            top = fmax(top, row[c[i + 1]] - min[i]);
    }
    cli_buf_printf(b, "EOD\n");
    put_terminal(b, tmp, 800, 620);
    cli_buf_printf(b, "set title 'information criteria against the number of experts (lower is better)'\n"
                      "set xlabel 'number of experts k'; set ylabel 'criterion minus its smallest value'\n"
                      "set nonlinear y via log10(1 + y) inverse 10**y - 1\n"
                      "set yrange [0:%.6g]; set ytics (0, 1, 3, 10, 30, 100, 300, 1000, 3000, '10^4' 10000, "
                      "'3x10^4' 30000, '10^5' 100000, '10^6' 1000000)\n"
                      "set xtics 1; set grid; set key below box; set bmargin 7.5\nset xrange [%g:%g]\n",
                   2 * top + 1, klo - 0.3, khi + 0.3);
    if (chosen)
        cli_buf_printf(b, "set arrow from %zu, graph 0 to %zu, graph 1 nohead dt 3 lc rgb '#888888'\n"
                          "set label 'chosen: k = %zu' at %zu, graph 0.93 offset 0.6, 0\n",
                       chosen, chosen, chosen, chosen);
    cli_buf_printf(b, "plot ");
    for (int i = 0; i < 3; i++)
        cli_buf_printf(b, "%s$table using 1:%d with linespoints pt %d ps 1.2 lw 2 lc rgb '%s' "
                          "title '%s (smallest %.6g, at k = %g)'", i ? ", \\\n     " : "", i + 2, 7 + 2 * i, colour((size_t)i),
                       labels[i], min[i], at[i]);
    cli_buf_printf(b, "\n");
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------ main */

static int run_model(const options *o, cli_buf *b, const char *tmp)
{
    gmoe_model *m = NULL;
    gmoe_data *data = NULL;
    char **xnames = NULL;
    double *work = NULL;
    size_t j = 0;
    int st = cli_read_model_xnames("--model", o->model_path, &m, &xnames);
    if (st == CLI_EXIT_OK && m->gate_own) {
        cli_error("--model %s: the gate has covariates of its own (gate_d), which mixplot does not "
                  "draw yet", o->model_path);
        st = CLI_EXIT_INPUT;
    }
    if (st || (st = choose_covariate(o, m, xnames, &j)))
        goto done;
    if ((st = cli_csv_read(o->data_path, &o->csv, m, cli_model_yname(m), (const char *const *)xnames, m->d, 0,
                           &data)))
        goto done;
    if (!(work = calloc(m->d + 2 * m->k, sizeof *work))) {
        cli_error("out of memory");
        st = CLI_EXIT_ESTIMATION;
        goto done;
    }
    fit_script(b, m, data, xnames, j, tmp, work);
done:
    free(work);
    if (m)
        cli_free_list(xnames, m->d);
    gmoe_data_free(data);
    gmoe_model_free(m);
    return st;
}

static int run(options *o)
{
    cli_buf b = {0};
    size_t len = strlen(o->out);
    char *script = NULL, *tmp = malloc(len + 64);
    if (!o->script && (script = malloc(len + 4))) {
        memcpy(script, o->out, len + 1);
        strcpy(script + (len > 4 && strcmp(o->out + len - 4, ".png") == 0 ? len - 4 : len), ".gp");
        o->script = script;
    }
    if (!tmp || !o->script) {
        free(tmp), free(script);
        cli_error("out of memory");
        return CLI_EXIT_ESTIMATION;
    }
    snprintf(tmp, len + 64, "%s.%ld.tmp", o->out, (long)getpid());
    int st;
    if (o->criteria_path) {
        gmoe_table *t = NULL;
        gmoe_err err;
        gmoe_err_clear(&err);
        int gs = gmoe_table_read(o->criteria_path, &t, &err);
        st = gs ? cli_fail(gs, &err, CLI_STAGE_INPUT, "--criteria") : criteria_script(&b, t, tmp);
        gmoe_table_free(t);
    } else {
        st = run_model(o, &b, tmp);
    }
    if (!st)
        st = draw(o, &b, tmp);
    cli_buf_free(&b);
    free(tmp);
    free(script);
    return st;
}

int main(int argc, char **argv)
{
    cli_init("mixplot");
    options o = {0};
    cli_csv_default(&o.csv);
    int st = parse_args(argc, argv, &o);
    if (st == 0)
        st = run(&o);
    cli_csv_free(&o.csv);
    return st < 0 ? CLI_EXIT_OK : st;
}
