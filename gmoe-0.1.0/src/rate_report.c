/* rate_report.c -- the reports of a mixrate output directory, read back
 * from results.csv: summary.csv (per N), slope.txt (least-squares slopes
 * with their CIs, beside the theory's) and plot.gp / plot.png; see
 * rate_report.h and mixrate(1). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "cli.h"
#include "rate_files.h"
#include "rate_report.h"

/* Quantities with a slope: the mean loss, each error summed over the true
 * experts (mean over replicates), the median loss. */
#define MAXQ (2 + GMOE_RATE_NERR)

/* One N of the summary. */
typedef struct {
    double n;
    size_t m, failed, at_limit;      /* successful cells, failed, at the limit */
    double mean, sd, median;
    double mean_lo, mean_hi;         /* 95% t-interval of the mean */
    double median_lo, median_hi;     /* distribution-free 95% interval */
    double converged, iterations, seconds; /* means over the m cells */
    size_t stop_maxiter, stop_stalled, stop_other; /* of the m cells, by the
                                     stop column (other: neither converged,
                                     nor at the cap, nor stalled) */
    double q[MAXQ];                  /* the quantities with a slope */
    size_t m2;                       /* cells of two fitted atoms, over the m fits */
    double q2[GMOE_RATE_NERR];       /* their mean errors (the over-fitted rates) */
} row_summary;

typedef struct {
    const gmoe_table *t;
    long n, loss, at_limit, conv, iter, secs;
    long stop; /* -1 in runs made before the stop column */
    long *err; /* err_<e>_<j> at e * kstar + j */
    long *atoms; /* atoms_<j>, or NULL in runs made before that column */
    size_t nq; /* 1 + the error quantities */
} columns;

static long need_column(const gmoe_table *t, const char *name, int *missing)
{
    long c = gmoe_table_column(t, name);
    if (c < 0) {
        cli_error("%s: no column %s", t->path, name);
        *missing = 1;
    }
    return c;
}

static int find_columns(const gmoe_table *t, const rate_report_info *info, columns *c)
{
    int missing = 0;
    c->t = t;
    c->n = need_column(t, "N", &missing);
    c->loss = need_column(t, "loss", &missing);
    c->at_limit = need_column(t, "at_limit", &missing);
    c->conv = need_column(t, "converged", &missing);
    c->iter = need_column(t, "iterations", &missing);
    c->secs = need_column(t, "seconds", &missing);
    c->stop = t->text ? gmoe_table_column(t, "stop") : -1;
    c->nq = 1 + (info->has_tau ? GMOE_RATE_NERR : GMOE_RATE_NERR - 1);
    if (!(c->err = malloc(GMOE_RATE_NERR * info->kstar * sizeof *c->err)))
        return cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_OUTPUT, NULL);
    for (size_t e = 0; e + 1 < c->nq; e++)
        for (size_t j = 0; j < info->kstar; j++) {
            char name[64];
            snprintf(name, sizeof name, "err_%s_%zu", gmoe_rate_err_name(e), j + 1);
            c->err[e * info->kstar + j] = need_column(t, name, &missing);
        }
    c->atoms = malloc(info->kstar * sizeof *c->atoms);
    for (size_t j = 0; c->atoms && j < info->kstar; j++) {
        char name[64];
        snprintf(name, sizeof name, "atoms_%zu", j + 1);
        if ((c->atoms[j] = gmoe_table_column(t, name)) < 0) {
            free(c->atoms);
            c->atoms = NULL;
        }
    }
    return missing ? CLI_EXIT_INPUT : CLI_EXIT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The 95% intervals of the mean (Student t) and of the median (the order
 * statistics whose ranks a binomial(m, 1/2) covers with 95%, normal
 * approximation; the whole range when m is small) of vals[0..m-1], which
 * is sorted here. */
static void intervals(double *vals, size_t m, row_summary *s)
{
    double half = m > 1 ? gsl_cdf_tdist_Pinv(0.975, (double)(m - 1)) * s->sd / sqrt((double)m) : NAN;
    s->mean_lo = s->mean - half;
    s->mean_hi = s->mean + half;
    qsort(vals, m, sizeof *vals, cmp_double);
    double spread = 1.96 * sqrt((double)m) / 2;
    long lo = (long)floor((double)m / 2 - spread), hi = (long)ceil((double)m / 2 + 1 + spread);
    lo = lo < 1 ? 1 : lo;
    hi = hi > (long)m ? (long)m : hi;
    s->median_lo = vals[lo - 1];
    s->median_hi = vals[hi - 1];
}

/* Counts the stop reason of a successful cell (the stop column's text). */
static void count_stop(const char *stop, row_summary *s)
{
    if (strcmp(stop, gmoe_stop_name(GMOE_STOP_MAXITER)) == 0)
        s->stop_maxiter++;
    else if (strcmp(stop, gmoe_stop_name(GMOE_STOP_STALLED)) == 0)
        s->stop_stalled++;
    else if (strcmp(stop, gmoe_stop_name(GMOE_STOP_TOL)) != 0)
        s->stop_other++;
}

/* Adds the errors of the row's Voronoi cells of two fitted atoms. */
static void add_two_atom_cells(const columns *c, size_t kstar, const double *row, row_summary *s)
{
    for (size_t j = 0; c->atoms && j < kstar; j++)
        if (row[c->atoms[j]] == 2) {
            s->m2++;
            for (size_t e = 0; e + 1 < c->nq; e++)
                s->q2[e] += row[c->err[e * kstar + j]];
        }
}

/* Summarizes rows r0..r1-1 (one N); vals is scratch of r1 - r0. */
static void summarize(const columns *c, size_t kstar, size_t r0, size_t r1, double *vals, row_summary *s)
{
    const gmoe_table *t = c->t;
    size_t ncol = t->ncol;
    memset(s, 0, sizeof *s);
    s->n = t->cells[r0 * ncol + c->n];
    for (size_t r = r0; r < r1; r++) {
        const double *row = t->cells + r * ncol;
        if (!isfinite(row[c->loss])) {
            s->failed++;
            continue;
        }
        vals[s->m++] = row[c->loss];
        s->at_limit += row[c->at_limit] != 0;
        s->converged += row[c->conv];
        s->iterations += row[c->iter];
        s->seconds += row[c->secs];
        if (c->stop >= 0 && t->text[c->stop])
            count_stop(t->text[c->stop][r], s);
        add_two_atom_cells(c, kstar, row, s);
        for (size_t e = 0; e + 1 < c->nq; e++)
            for (size_t j = 0; j < kstar; j++)
                s->q[1 + e] += row[c->err[e * kstar + j]];
    }
    double inv = s->m ? 1.0 / (double)s->m : NAN; /* no successful cell: NaN */
    s->converged *= inv;
    s->iterations *= inv;
    s->seconds *= inv;
    for (size_t e = 0; e + 1 < c->nq; e++) {
        s->q[1 + e] *= inv;
        s->q2[e] = s->m2 ? s->q2[e] / (double)s->m2 : NAN;
    }
    s->mean = s->sd = s->median = s->mean_lo = s->mean_hi = s->median_lo = s->median_hi = NAN;
    if (s->m > 0) {
        gmoe_rate_summary(vals, s->m, &s->mean, &s->sd, &s->median, NULL);
        intervals(vals, s->m, s);
    }
    s->q[0] = s->mean;
    s->q[c->nq] = s->median;
}

static void summary_csv(cli_buf *b, const columns *c, const row_summary *rows, size_t nrows)
{
    cli_buf_printf(b, "N,replicates,mean,sd,median,mean_lo,mean_hi,median_lo,median_hi,at_limit,converged,"
                      "mean_iterations,mean_seconds%s",
                   c->stop >= 0 ? ",stop_max_iterations,stop_stalled,stop_other" : "");
    for (size_t e = 0; e + 1 < c->nq; e++)
        cli_buf_printf(b, ",mean_err_%s", gmoe_rate_err_name(e));
    if (c->atoms) {
        cli_buf_printf(b, ",two_atom_cells");
        for (size_t e = 0; e + 1 < c->nq; e++)
            cli_buf_printf(b, ",mean_err2_%s", gmoe_rate_err_name(e));
    }
    cli_buf_printf(b, ",failed\n");
    for (size_t g = 0; g < nrows; g++) {
        const row_summary *s = rows + g;
        cli_buf_printf(b, "%.17g,%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%zu,%.17g,%.17g,%.17g", s->n, s->m,
                       s->mean, s->sd, s->median, s->mean_lo, s->mean_hi, s->median_lo, s->median_hi, s->at_limit,
                       s->converged, s->iterations, s->seconds);
        if (c->stop >= 0)
            cli_buf_printf(b, ",%zu,%zu,%zu", s->stop_maxiter, s->stop_stalled, s->stop_other);
        for (size_t e = 0; e + 1 < c->nq; e++)
            cli_buf_printf(b, ",%.17g", s->q[1 + e]);
        if (c->atoms) {
            cli_buf_printf(b, ",%zu", s->m2);
            for (size_t e = 0; e + 1 < c->nq; e++)
                cli_buf_printf(b, ",%.17g", s->q2[e]);
        }
        cli_buf_printf(b, ",%zu\n", s->failed);
    }
}

/* The slope the theory predicts for quantity q over the grid n (NAN when
 * it predicts none): the loss as sqrt(log N / N) (its least-squares slope
 * over the grid, about -0.44 over 1e2..1e5), and, in the cells of two
 * atoms of an over-fitted fit, beta1 and b as N^-1/8, a and sigma2 as
 * N^-1/4 (shared MODELS.md section 2); exact-fitted parameters as N^-1/2. */
static double theory_slope(const rate_report_info *info, size_t q, size_t nq, const double *n, size_t npoints)
{
    if (!info->theory)
        return NAN;
    if (q == 0 || q == nq) {
        double *y = malloc(npoints * sizeof *y);
        gmoe_rate_slope s;
        double v = NAN;
        if (!y)
            return NAN;
        for (size_t g = 0; g < npoints; g++)
            y[g] = sqrt(log(n[g]) / n[g]);
        if (gmoe_rate_fit_slope(n, y, npoints, 0.95, &s, NULL) == GMOE_OK)
            v = s.slope;
        free(y);
        return v;
    }
    const char *name = gmoe_rate_err_name(q - 1);
    if (!info->over)
        return strcmp(name, "mass") == 0 || strcmp(name, "tau") == 0 ? NAN : -0.5;
    if (strcmp(name, "beta1") == 0 || strcmp(name, "b") == 0)
        return -0.125;
    if (strcmp(name, "a") == 0 || strcmp(name, "sigma2") == 0)
        return -0.25;
    return NAN;
}

static void quantity_name(char *buf, size_t size, const rate_report_info *info, size_t q, size_t nq)
{
    if (q == 0)
        snprintf(buf, size, "loss_%s", info->kind);
    else if (q == nq)
        snprintf(buf, size, "median_%s", info->kind);
    else
        snprintf(buf, size, "err_%s", gmoe_rate_err_name(q - 1));
}

/* One line of slope.txt: the slope of log y against log n; 1 with *s set
 * when it could be fitted. */
static int slope_line(cli_buf *b, const char *name, const double *n, const double *y, size_t npoints, double th,
                      gmoe_rate_slope *s)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    if (gmoe_rate_fit_slope(n, y, npoints, 0.95, s, &err) == GMOE_OK) {
        cli_buf_printf(b, "%-12s %10.4f %10.4f %10.4f %10.4f %7zu %10.4f\n", name, s->slope, s->lo, s->hi,
                       s->intercept, s->npoints, th);
        return 1;
    }
    cli_buf_printf(b, "%-12s %10s %10s %10s %10s %7zu %10.4f   (%s)\n", name, "n/a", "n/a", "n/a", "n/a", npoints,
                   th, err.msg);
    return 0;
}

/* slope.txt's lines err2_<e>: the mean errors of the Voronoi cells of two
 * fitted atoms, at the N that have any. */
static void two_atom_lines(cli_buf *b, const rate_report_info *info, size_t nq, const row_summary *rows,
                           size_t nrows, double *n, double *y)
{
    for (size_t e = 0; e + 1 < nq; e++) {
        char name[32];
        size_t npoints = 0;
        snprintf(name, sizeof name, "err2_%s", gmoe_rate_err_name(e));
        for (size_t g = 0; g < nrows; g++)
            if (rows[g].m2 > 0) {
                n[npoints] = rows[g].n;
                y[npoints++] = rows[g].q2[e];
            }
        gmoe_rate_slope s;
        slope_line(b, name, n, y, npoints, theory_slope(info, 1 + e, nq, n, npoints), &s);
    }
}

/* slope.txt; the slopes of the mean and the median loss into out.
 * two_atom: the run has the atoms_<j> columns. */
static void slopes_txt(cli_buf *b, const rate_report_info *info, size_t nq, const row_summary *rows, size_t nrows,
                       size_t nfailed, size_t ncells, int two_atom, rate_report_slopes *out)
{
    double *n = malloc(nrows * sizeof *n), *y = malloc(nrows * sizeof *y);
    if (!n || !y) {
        b->failed = 1;
        free(n);
        free(y);
        return;
    }
    cli_buf_printf(b, "# least-squares slope of log(mean over replicates) against log N, 95%% CI\n"
                      "# (Student t, points - 2 df); err_: errors summed over the true experts;\n"
                      "# err2_: mean errors of the Voronoi cells of two fitted atoms;\n"
                      "# median_: the same for the median loss over replicates; theory: the slope\n"
                      "# the theory predicts (the loss: that of sqrt(log N / N) on this grid)\n"
                      "# failed cells: %zu of %zu (left out of the summary and the slope)\n",
                      nfailed, ncells);
    cli_buf_printf(b, "%-12s %10s %10s %10s %10s %7s %10s\n", "quantity", "slope", "ci_lo", "ci_hi", "intercept",
                   "points", "theory");
    for (size_t q = 0; q <= nq; q++) {
        char name[32];
        size_t npoints = 0;
        quantity_name(name, sizeof name, info, q, nq);
        for (size_t g = 0; g < nrows; g++)
            if (rows[g].m > 0) {
                n[npoints] = rows[g].n;
                y[npoints++] = rows[g].q[q];
            }
        gmoe_rate_slope s;
        if (slope_line(b, name, n, y, npoints, theory_slope(info, q, nq, n, npoints), &s) && (q == 0 || q == nq)) {
            out->have[q == nq] = 1;
            out->fit[q == nq] = s;
        }
    }
    if (two_atom && info->over)
        two_atom_lines(b, info, nq, rows, nrows, n, y);
    free(n);
    free(y);
}

/* slope.txt's last line: the fits at the limit and how the kept fits
 * stopped, over all N (not written for runs without the stop column). */
static void stops_txt(cli_buf *b, const columns *c, const row_summary *rows, size_t nrows)
{
    size_t m = 0, at_limit = 0, maxiter = 0, stalled = 0, other = 0;
    double converged = 0;
    if (c->stop < 0)
        return;
    for (size_t g = 0; g < nrows; g++) {
        m += rows[g].m;
        at_limit += rows[g].at_limit;
        converged += rows[g].m ? rows[g].converged * (double)rows[g].m : 0;
        maxiter += rows[g].stop_maxiter;
        stalled += rows[g].stop_stalled;
        other += rows[g].stop_other;
    }
    cli_buf_printf(b, "# fits: %zu; at the limit W*: %zu; converged: %.0f; at the iteration cap: %zu; "
                      "stalled: %zu; other stops: %zu\n",
                   m, at_limit, converged, maxiter, stalled, other);
}

/* A tic's label: 10000 and up in thousands (20k, 100k) and 1e6 and up in
 * millions (1M), so that neighbouring tics of a wide grid do not overlap. */
static void tic_label(char *buf, size_t size, double v)
{
    if (v >= 1e6)
        snprintf(buf, size, "%gM", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, size, "%gk", v / 1e3);
    else
        snprintf(buf, size, "%g", v);
}

/* Tics at 1, 2 and 5 times the powers of ten inside [lo, hi]; with
 * `narrow` on a range of less than a decade and a half, at 1, 1.5, 2, 3,
 * 4, 5, 6 and 8 times (the y axis: its labels are short and stacked). */
static void tics_125(cli_buf *b, const char *axis, double lo, double hi, int narrow)
{
    static const double coarse[] = {1, 2, 5}, fine[] = {1, 1.5, 2, 3, 4, 5, 6, 8};
    int few = !narrow || hi / lo > 30;
    const double *m = few ? coarse : fine;
    size_t nm = few ? 3 : 8;
    cli_buf_printf(b, "set %stics (", axis);
    int first = 1;
    for (double p = pow(10, floor(log10(lo))); p <= hi; p *= 10)
        for (size_t i = 0; i < nm; i++)
            if (m[i] * p >= lo && m[i] * p <= hi) {
                char label[32];
                tic_label(label, sizeof label, m[i] * p);
                cli_buf_printf(b, "%s'%s' %.17g", first ? "" : ", ", label, m[i] * p);
                first = 0;
            }
    cli_buf_printf(b, ")\n");
}

/* The plot's ranges: the grid, and the intervals of the mean and the
 * median (a mean interval reaching 0 or below is drawn to the bottom). */
static void plot_ranges(const row_summary *rows, size_t nrows, double *xlo, double *xhi, double *ylo, double *yhi)
{
    *xlo = *ylo = INFINITY;
    *xhi = *yhi = -INFINITY;
    for (size_t g = 0; g < nrows; g++) {
        const row_summary *s = rows + g;
        if (s->m == 0)
            continue;
        const double v[] = {s->mean, s->median, s->median_lo, s->median_hi, s->mean_lo, s->mean_hi};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            if (v[i] > 0 && isfinite(v[i])) {
                *ylo = v[i] < *ylo ? v[i] : *ylo;
                *yhi = v[i] > *yhi ? v[i] : *yhi;
            }
        *xlo = s->n < *xlo ? s->n : *xlo;
        *xhi = s->n > *xhi ? s->n : *xhi;
    }
    double xpad = pow(*xhi / *xlo, 0.04), ypad = pow(*yhi / *ylo, 0.06);
    *xlo /= xpad > 1.05 ? xpad : 1.05;
    *xhi *= xpad > 1.05 ? xpad : 1.05;
    *ylo /= ypad > 1.1 ? ypad : 1.1;
    *yhi *= ypad > 1.1 ? ypad : 1.1;
}

/* The constant c of c sqrt(log N / N) through the means (least squares in
 * log with the slope fixed). */
static double theory_constant(const row_summary *rows, size_t nrows)
{
    double sum = 0;
    size_t m = 0;
    for (size_t g = 0; g < nrows; g++)
        if (rows[g].m > 0 && rows[g].mean > 0) {
            sum += log(rows[g].mean) - 0.5 * log(log(rows[g].n) / rows[g].n);
            m++;
        }
    return m ? exp(sum / (double)m) : NAN;
}

static void plot_gp(cli_buf *b, const rate_report_info *info, const row_summary *rows, size_t nrows,
                    const rate_report_slopes *sl)
{
    double xlo, xhi, ylo, yhi;
    plot_ranges(rows, nrows, &xlo, &xhi, &ylo, &yhi);
    const gmoe_rate_slope *mean = &sl->fit[0], *med = &sl->fit[1];
    cli_buf_printf(b, "# mixrate plot: gnuplot plot.gp (in this directory)\n"
                      "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                      "    set terminal pngcairo size 1000,560 enhanced font 'sans,11'; set output 'plot.png'\n"
                      "} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {\n"
                      "    set terminal png size 1000,560; set output 'plot.png'\n"
                      "} else {\n"
                      "    set terminal svg size 1000,560; set output 'plot.svg'\n"
                      "} }\n"
                      "set datafile separator ','\n"
                      "set logscale xy\n"
                      "set xrange [%.17g:%.17g]\nset yrange [%.17g:%.17g]\n"
                      "set xlabel 'sample size N'\nset ylabel '%s loss'\n"
                      "set title \"%s\" noenhanced\n"
                      "set key outside right top vertical box spacing 1.3 samplen 2\n"
                      "set grid xtics ytics lc rgb '#dddddd'\n",
                   xlo, xhi, ylo, yhi, info->kind, info->title);
    tics_125(b, "x", xlo, xhi, 0);
    tics_125(b, "y", ylo, yhi, 1);
    cli_buf_printf(b, "bottom = %.17g\nlo(v) = v > bottom ? v : bottom\n"
                      "theory(x) = %.17g * sqrt(log(x) / x)\n"
                      "mean_fit(x) = exp(%.17g) * x**%.17g\nmedian_fit(x) = exp(%.17g) * x**%.17g\n",
                   ylo, theory_constant(rows, nrows), mean->intercept, mean->slope, med->intercept, med->slope);
    cli_buf_printf(b, "plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 "
                      "lc rgb '#1f4e9c' title 'mean of %zu replicates, 95%% CI', \\\n"
                      "     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' "
                      "title 'median, 95%% CI', \\\n"
                      "     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' "
                      "title sprintf('mean: slope %%.2f [%%.2f, %%.2f]', %.17g, %.17g, %.17g), \\\n"
                      "     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' "
                      "title sprintf('median: slope %%.2f [%%.2f, %%.2f]', %.17g, %.17g, %.17g), \\\n"
                      "     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title \"%s\"\n",
                   info->replicates, mean->slope, mean->lo, mean->hi, med->slope, med->lo, med->hi,
                   info->theory ? "theory: c (log N / N)^{1/2}" : "c (log N / N)^{1/2}, no proven rate");
}

/* Runs gnuplot on plot.gp in outdir; returns its exit status, 127 when it
 * could not be started. */
static int run_gnuplot(const char *outdir)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        if (chdir(outdir) != 0)
            _exit(127);
        execlp("gnuplot", "gnuplot", "plot.gp", (char *)NULL);
        _exit(127);
    }
    int ws;
    if (waitpid(pid, &ws, 0) < 0)
        return 127;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
}

static int write_plot(const char *outdir, const rate_report_info *info, const row_summary *rows, size_t nrows,
                      const rate_report_slopes *sl)
{
    char *gp = rate_path(outdir, "plot.gp");
    cli_buf b = {0};
    if (!gp)
        return cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_OUTPUT, NULL);
    plot_gp(&b, info, rows, nrows, sl);
    int st = cli_write_output(gp, &b);
    if (st == CLI_EXIT_OK) {
        int gs = run_gnuplot(outdir);
        if (gs == 127)
            cli_warn("gnuplot not found (Debian package gnuplot-nox): plot not drawn; run 'gnuplot plot.gp' in %s",
                     outdir);
        else if (gs != 0)
            cli_warn("gnuplot failed (exit %d): plot not drawn; see %s", gs, gp);
    }
    cli_buf_free(&b);
    free(gp);
    return st;
}

/* Summaries of the blocks of rows of one N each (rows are in N order)
 * into *rows (malloc'd) and their count; the failed cells counted. */
static int summarize_all(const columns *c, size_t kstar, row_summary **rows, size_t *nrows, size_t *nfailed)
{
    const gmoe_table *t = c->t;
    double *vals = malloc(t->nrow * sizeof *vals);
    *rows = malloc(t->nrow * sizeof **rows);
    *nrows = *nfailed = 0;
    if (!vals || !*rows) {
        free(vals);
        return cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_OUTPUT, NULL);
    }
    for (size_t r0 = 0; r0 < t->nrow;) {
        double nv = t->cells[r0 * t->ncol + c->n];
        size_t r1 = r0;
        while (r1 < t->nrow && t->cells[r1 * t->ncol + c->n] == nv)
            r1++;
        summarize(c, kstar, r0, r1, vals, *rows + *nrows);
        *nfailed += (*rows)[*nrows].failed;
        (*nrows)++;
        r0 = r1;
    }
    free(vals);
    return CLI_EXIT_OK;
}

int rate_write_reports(const char *outdir, const rate_report_info *info, rate_report_slopes *slopes)
{
    char *results = rate_path(outdir, "results.csv"), *summary = rate_path(outdir, "summary.csv"),
         *slope = rate_path(outdir, "slope.txt");
    gmoe_table *t = NULL;
    columns c = {0};
    row_summary *rows = NULL;
    size_t nrows = 0, nfailed = 0;
    cli_buf sb = {0}, lb = {0};
    gmoe_err err;
    gmoe_err_clear(&err);
    memset(slopes, 0, sizeof *slopes);
    int st = !results || !summary || !slope ? cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_OUTPUT, NULL) : CLI_EXIT_OK;
    static const char *const text_columns[] = {"stop"};
    gmoe_csv_options csv;
    gmoe_csv_options_default(&csv);
    csv.text_columns = text_columns;
    csv.ntext = 1;
    int ls = st ? GMOE_OK : gmoe_table_read_csv(results, &csv, &t, &err);
    if (ls)
        st = cli_fail(ls, &err, CLI_STAGE_INPUT, NULL);
    if (st || (st = find_columns(t, info, &c)) || (st = summarize_all(&c, info->kstar, &rows, &nrows, &nfailed)))
        goto done;
    summary_csv(&sb, &c, rows, nrows);
    slopes_txt(&lb, info, c.nq, rows, nrows, nfailed, t->nrow, c.atoms != NULL, slopes);
    stops_txt(&lb, &c, rows, nrows);
    if ((st = cli_write_output(summary, &sb)) || (st = cli_write_output(slope, &lb)))
        goto done;
    if (nfailed == t->nrow) {
        cli_error("every cell failed (%zu of %zu; reasons in the status column of %s)", nfailed, t->nrow, results);
        st = CLI_EXIT_ESTIMATION;
    } else if (nfailed > 0) {
        cli_warn("%zu of %zu cells failed (status column of %s); the summary and the slope use the others",
                 nfailed, t->nrow, results);
    }
    if (st == CLI_EXIT_OK && !(slopes->have[0] && slopes->have[1]))
        cli_warn("no slope for the loss (fewer than 3 sample sizes with results); plot not drawn");
    else if (st == CLI_EXIT_OK)
        st = write_plot(outdir, info, rows, nrows, slopes);
done:
    cli_buf_free(&sb);
    cli_buf_free(&lb);
    gmoe_table_free(t);
    free(c.err);
    free(c.atoms);
    free(rows);
    free(results);
    free(summary);
    free(slope);
    return st;
}
