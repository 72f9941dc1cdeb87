/* rate_files.c -- the files of a mixrate output directory; see
 * rate_files.h and mixrate(1). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "rate_files.h"
#include "rate_provenance.h"

/* Number of error columns per true expert. */
static size_t nerr(int has_tau)
{
    return has_tau ? GMOE_RATE_NERR : GMOE_RATE_NERR - 1;
}

char *rate_results_header(size_t kstar, int has_tau)
{
    cli_buf b = {0};
    cli_buf_printf(&b, "N,rep,seed,loss,at_limit,loss_breakpoint,loss_untranslated,loglik,iterations,converged,seconds");
    for (size_t e = 0; e < nerr(has_tau); e++)
        for (size_t j = 0; j < kstar; j++)
            cli_buf_printf(&b, ",err_%s_%zu", gmoe_rate_err_name(e), j + 1);
    cli_buf_printf(&b, ",status");
    if (b.failed) {
        cli_buf_free(&b);
        return NULL;
    }
    return b.s;
}

size_t rate_results_row(char *buf, size_t bufsize, const gmoe_rate_cell *c, int has_tau)
{
    /* Replicates are numbered from 1 in the files; the seed column is the
     * cell's seed, enough to rerun one cell. */
    int len = snprintf(buf, bufsize, "%zu,%zu,%llu,%.17g,%d,%.17g,%.17g,%.17g,%zu,%d,%.6f", c->n, c->replicate + 1,
                       (unsigned long long)c->seed, c->loss, c->at_limit, c->loss_breakpoint, c->loss_untranslated,
                       c->loglik, c->iterations, c->converged, c->seconds);
    size_t used = len > 0 ? (size_t)len : bufsize;
    for (size_t e = 0; e < nerr(has_tau) && used < bufsize; e++)
        for (size_t j = 0; j < c->kstar && used < bufsize; j++) {
            len = snprintf(buf + used, bufsize - used, ",%.17g", c->err[e * c->kstar + j]);
            used += len > 0 ? (size_t)len : bufsize;
        }
    /* status: ok, or "<kind>: <library message>" CSV-quoted. */
    if (c->status == GMOE_OK) {
        len = snprintf(buf + used, used < bufsize ? bufsize - used : 0, ",ok");
        used += len > 0 ? (size_t)len : bufsize;
    } else if (used + 4 < bufsize) {
        used += (size_t)snprintf(buf + used, bufsize - used, ",\"%s: ", gmoe_strerror(c->status));
        for (const char *p = c->message; *p && used + 4 < bufsize; p++) {
            char ch = *p == '\n' || *p == '\r' ? ' ' : *p;
            if (ch == '"')
                buf[used++] = '"';
            buf[used++] = ch;
        }
        if (used + 1 < bufsize)
            buf[used++] = '"';
    }
    if (used + 2 > bufsize)
        return 0;
    buf[used++] = '\n';
    buf[used] = '\0';
    return used;
}

/* ------------------------------------------------------------ run.json */

/* The first key of `a` or `b` whose values differ, or NULL. */
static const char *first_difference(json_t *a, json_t *b)
{
    const char *key;
    json_t *v;
    json_object_foreach(a, key, v)
    {
        if (!json_equal(v, json_object_get(b, key)))
            return key;
    }
    json_object_foreach(b, key, v)
    {
        if (!json_object_get(a, key))
            return key;
    }
    return NULL;
}

/* Resuming a run started by another build: the results may not
 * regenerate bit for bit from one commit; say which field differs. */
static void warn_other_build(const char *path, json_t *old)
{
    json_t *now = rate_provenance();
    const char *key = json_is_object(old) ? rate_provenance_difference(old, now) : "provenance";
    if (key) {
        char *was = json_dumps(json_object_get(old, key), JSON_ENCODE_ANY | JSON_COMPACT);
        char *is = json_dumps(json_object_get(now, key), JSON_ENCODE_ANY | JSON_COMPACT);
        cli_warn("%s: the run was started by another build (%s was %.100s, now %.100s); the cells computed "
                 "now may not regenerate bit for bit with the recorded one",
                 path, key, was ? was : "absent", is ? is : "absent");
        free(was);
        free(is);
    }
    json_decref(now);
}

int rate_check_run_json(const char *path, json_t *settings, int *exists)
{
    *exists = 0;
    if (access(path, F_OK) != 0)
        return CLI_EXIT_OK;
    *exists = 1;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        cli_error("%s:%d:%d: %s (not a mixrate run file; use another -O directory)", path, je.line, je.column,
                  je.text);
        return CLI_EXIT_INPUT;
    }
    json_t *old = json_object_get(root, "settings");
    int st = CLI_EXIT_OK;
    if (!json_is_object(old)) {
        cli_error("%s: no \"settings\" object (not a mixrate run file; use another -O directory)", path);
        st = CLI_EXIT_INPUT;
    } else if (json_is_object(json_object_get(old, "em")) &&
               !json_object_get(json_object_get(old, "em"), "screen_iter")) {
        /* Before em.screen_iter, results.csv had no status column. */
        cli_error("%s: written by an older mixrate (no em.screen_iter, no status column in results.csv); "
                  "it cannot be resumed: use another -O directory",
                  path);
        st = CLI_EXIT_USAGE;
    } else if (json_equal(old, settings)) {
        warn_other_build(path, json_object_get(root, "provenance"));
    } else {
        const char *key = first_difference(old, settings);
        char *was = json_dumps(json_object_get(old, key), JSON_ENCODE_ANY | JSON_COMPACT);
        char *now = json_dumps(json_object_get(settings, key), JSON_ENCODE_ANY | JSON_COMPACT);
        cli_error("the output directory holds a run with other settings: \"%s\" was %.200s there, %.200s now "
                  "(%s); rerun with the same arguments to resume, or use another -O directory",
                  key ? key : "?", was ? was : "absent", now ? now : "absent", path);
        free(was);
        free(now);
        st = CLI_EXIT_USAGE;
    }
    json_decref(root);
    return st;
}

int rate_write_run_json(const char *path, json_t *settings, int argc, char **argv)
{
    json_t *root = json_object();
    json_t *cmd = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(cmd, json_string(argv[i]));
    json_object_set_new(root, "program", json_string("mixrate"));
    json_object_set_new(root, "version", json_string(gmoe_version()));
    json_object_set_new(root, "command", cmd);
    json_object_set_new(root, "provenance", rate_provenance());
    json_object_set(root, "settings", settings);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text) {
        cli_error("out of memory writing %s", path);
        return CLI_EXIT_ESTIMATION;
    }
    cli_buf b = {0};
    cli_buf_printf(&b, "%s\n", text);
    free(text);
    int st = cli_write_output(path, &b);
    cli_buf_free(&b);
    return st;
}

/* ------------------------------------------------------------ results.csv */

int rate_resume_results(const char *path, const char *header, const size_t *n,
                        const size_t *rep, size_t ncells, size_t *done, int *exists)
{
    *done = 0;
    *exists = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return CLI_EXIT_OK;
        cli_error("%s: %s", path, strerror(errno));
        return CLI_EXIT_INPUT;
    }
    *exists = 1;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    off_t good = 0; /* bytes up to the end of the last complete, valid line */
    ssize_t len;
    int st = CLI_EXIT_OK;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[len - 1] != '\n')
            break; /* an interrupted write: cut below */
        line[len - 1] = '\0';
        if (lineno == 1) {
            size_t hl = strlen(line);
            if (strcmp(line, header) != 0 && strncmp(header, line, hl) == 0 && strcmp(header + hl, ",status") == 0) {
                cli_error("%s:1: written by a mixrate without the status column (before failed cells were "
                          "recorded); it cannot be resumed: use another -O directory",
                          path);
                st = CLI_EXIT_INPUT;
                break;
            }
            if (strcmp(line, header) != 0) {
                cli_error("%s:1: the header is not that of this run's results (use another -O directory)", path);
                st = CLI_EXIT_INPUT;
                break;
            }
        } else {
            size_t c = lineno - 2;
            unsigned long long fn, fr;
            char tail;
            if (c >= ncells || sscanf(line, "%llu,%llu%c", &fn, &fr, &tail) != 3 || tail != ',' ||
                fn != n[c] || fr != rep[c] + 1) {
                cli_error("%s:%zu: expected the row of N = %zu, replicate %zu (the file does not belong to this "
                          "run or was edited; use another -O directory)",
                          path, lineno, c < ncells ? n[c] : 0, c < ncells ? rep[c] + 1 : 0);
                st = CLI_EXIT_INPUT;
                break;
            }
            (*done)++;
        }
        good += len;
    }
    free(line);
    fclose(f);
    if (st == CLI_EXIT_OK && lineno == 0) {
        *exists = 0; /* empty file: start afresh */
    } else if (st == CLI_EXIT_OK && truncate(path, good) != 0) {
        cli_error("%s: cannot cut the partial last line: %s", path, strerror(errno));
        st = CLI_EXIT_OUTPUT;
    }
    if (st == CLI_EXIT_OK && lineno >= 1 && good == 0)
        *exists = 0; /* only a partial header: rewrite it */
    return st;
}

/* ------------------------------------------------------------ reports */

/* Column of `name` in t, or -1 with a message. */
static long need_column(const gmoe_table *t, const char *name)
{
    long c = gmoe_table_column(t, name);
    if (c < 0)
        cli_error("%s: no column %s", t->path, name);
    return c;
}

static char *join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, name);
    return p;
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

/* Quantities summarized per N: the mean loss, each error summed over the
 * true experts, and the median loss (robust to the heavy tail of
 * over-fitted losses). */
#define MAXQ (2 + GMOE_RATE_NERR)

int rate_write_reports(const char *outdir, size_t kstar, int has_tau, const char *kind,
                       const char *title, size_t replicates)
{
    char *results = join(outdir, "results.csv"), *summary = join(outdir, "summary.csv"),
         *slope = join(outdir, "slope.txt"), *gp = join(outdir, "plot.gp");
    gmoe_table *t = NULL;
    gmoe_err err;
    int st = CLI_EXIT_OK;
    size_t nq = 1 + nerr(has_tau), ngrid = 0;
    double *gridn = NULL, *means = NULL, *vals = NULL;
    long *cerr = NULL; /* column of err_<e>_<j> at e * kstar + j */
    cli_buf sb = {0}, lb = {0}, pb = {0};
    if (!results || !summary || !slope || !gp) {
        st = cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_OUTPUT, NULL);
        goto done;
    }
    gmoe_err_clear(&err);
    int ls = gmoe_table_read(results, &t, &err);
    if (ls) {
        st = cli_fail(ls, &err, CLI_STAGE_INPUT, NULL);
        goto done;
    }
    long cn = need_column(t, "N"), cl = need_column(t, "loss"), cc = need_column(t, "converged"),
         ci = need_column(t, "iterations"), cs = need_column(t, "seconds");
    if (!(cerr = malloc(GMOE_RATE_NERR * kstar * sizeof *cerr))) {
        st = cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_OUTPUT, NULL);
        goto done;
    }
    int missing = cn < 0 || cl < 0 || cc < 0 || ci < 0 || cs < 0;
    for (size_t e = 0; e + 1 < nq; e++)
        for (size_t j = 0; j < kstar; j++) {
            char name[64];
            snprintf(name, sizeof name, "err_%s_%zu", gmoe_rate_err_name(e), j + 1);
            cerr[e * kstar + j] = need_column(t, name);
            missing |= cerr[e * kstar + j] < 0;
        }
    if (missing) {
        st = CLI_EXIT_INPUT;
        goto done;
    }
    size_t nrow = t->nrow, ncol = t->ncol;
    gridn = malloc(nrow * sizeof *gridn);
    means = malloc(nrow * MAXQ * sizeof *means);
    vals = malloc(nrow * sizeof *vals);
    if (!gridn || !means || !vals) {
        st = cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_OUTPUT, NULL);
        goto done;
    }
    cli_buf_printf(&sb, "N,replicates,mean,sd,median,converged,mean_iterations,mean_seconds");
    for (size_t e = 0; e + 1 < nq; e++)
        cli_buf_printf(&sb, ",mean_err_%s", gmoe_rate_err_name(e));
    cli_buf_printf(&sb, ",failed\n");
    /* Rows are in N order; one block of rows per N.  A failed cell (its
     * status column is not "ok") has a NaN loss: only the others count,
     * and an N without any is left out of the slope. */
    size_t nfailed = 0;
    for (size_t r0 = 0; r0 < nrow;) {
        double nv = t->cells[r0 * ncol + cn];
        size_t r1 = r0;
        while (r1 < nrow && t->cells[r1 * ncol + cn] == nv)
            r1++;
        size_t m = 0, failed = 0;
        double mean = NAN, sd = NAN, med = NAN, conv = 0, iters = 0, secs = 0;
        for (size_t r = r0; r < r1; r++) {
            if (!isfinite(t->cells[r * ncol + cl])) {
                failed++;
                continue;
            }
            vals[m++] = t->cells[r * ncol + cl];
            conv += t->cells[r * ncol + cc];
            iters += t->cells[r * ncol + ci];
            secs += t->cells[r * ncol + cs];
        }
        nfailed += failed;
        double inv = m ? 1.0 / (double)m : NAN; /* no successful cell: NaN means */
        if (m > 0)
            gmoe_rate_summary(vals, m, &mean, &sd, &med, NULL);
        gridn[ngrid] = nv;
        means[ngrid * MAXQ] = mean;
        means[ngrid * MAXQ + nq] = med;
        cli_buf_printf(&sb, "%.17g,%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g", nv, m, mean, sd, med, conv * inv,
                       iters * inv, secs * inv);
        for (size_t e = 0; e + 1 < nq; e++) {
            double s = 0;
            for (size_t r = r0; r < r1; r++)
                if (isfinite(t->cells[r * ncol + cl]))
                    for (size_t j = 0; j < kstar; j++)
                        s += t->cells[r * ncol + cerr[e * kstar + j]];
            means[ngrid * MAXQ + 1 + e] = s * inv;
            cli_buf_printf(&sb, ",%.17g", s * inv);
        }
        cli_buf_printf(&sb, ",%zu\n", failed);
        if (m > 0)
            ngrid++; /* else the next N overwrites this one's slope point */
        r0 = r1;
    }
    if ((st = cli_write_output(summary, &sb)))
        goto done;

    /* slope.txt: the loss first, then each summed error. */
    cli_buf_printf(&lb, "# least-squares slope of log(mean over replicates) against log N, 95%% CI\n"
                        "# (Student t, points - 2 df); errors summed over the true experts;\n"
                        "# median_: the same for the median loss over replicates\n"
                        "# failed cells: %zu of %zu (left out of the summary and the slope)\n",
                        nfailed, nrow);
    cli_buf_printf(&lb, "%-12s %10s %10s %10s %10s %7s\n", "quantity", "slope", "ci_lo", "ci_hi", "intercept", "points");
    gmoe_rate_slope main_fit = {0};
    int have_main = 0;
    for (size_t q = 0; q <= nq; q++) {
        char name[32];
        if (q == 0)
            snprintf(name, sizeof name, "loss_%s", kind);
        else if (q == nq)
            snprintf(name, sizeof name, "median_%s", kind);
        else
            snprintf(name, sizeof name, "err_%s", gmoe_rate_err_name(q - 1));
        for (size_t g = 0; g < ngrid; g++)
            vals[g] = means[g * MAXQ + q];
        gmoe_rate_slope s;
        if (gmoe_rate_fit_slope(gridn, vals, ngrid, 0.95, &s, &err) == GMOE_OK) {
            cli_buf_printf(&lb, "%-12s %10.4f %10.4f %10.4f %10.4f %7zu\n", name, s.slope, s.lo, s.hi, s.intercept,
                           s.npoints);
            if (q == 0) {
                main_fit = s;
                have_main = 1;
            }
        } else {
            cli_buf_printf(&lb, "%-12s %10s %10s %10s %10s %7zu   (%s)\n", name, "n/a", "n/a", "n/a", "n/a", ngrid,
                           err.msg);
        }
    }
    if ((st = cli_write_output(slope, &lb)))
        goto done;
    if (nfailed == nrow) {
        cli_error("every cell failed (%zu of %zu; reasons in the status column of %s)", nfailed, nrow, results);
        st = CLI_EXIT_ESTIMATION;
        goto done;
    }
    if (nfailed > 0)
        cli_warn("%zu of %zu cells failed (status column of %s); the summary and the slope use the others",
                 nfailed, nrow, results);
    if (!have_main) {
        cli_warn("no slope for the loss (%s); plot not drawn", ngrid < 3 ? "fewer than 3 sample sizes" : err.msg);
        goto done;
    }

    /* plot.gp, kept so the plot can be restyled and redrawn. */
    cli_buf_printf(&pb,
                   "# mixrate plot: gnuplot plot.gp (in this directory)\n"
                   "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                   "    set terminal pngcairo size 900,640 enhanced font 'sans,11'; set output 'plot.png'\n"
                   "} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {\n"
                   "    set terminal png size 900,640; set output 'plot.png'\n"
                   "} else {\n"
                   "    set terminal svg size 900,640; set output 'plot.svg'\n"
                   "} }\n"
                   "set datafile separator ','\n"
                   "set logscale xy\n"
                   "set offsets graph 0.03, graph 0.03, 0, 0\n"
                   "set format x '10^{%%T}'\n"
                   "set xlabel 'sample size N'\n"
                   "set ylabel '%s loss'\n"
                   "set title \"%s\" noenhanced\n"
                   "set key bottom left box opaque\n"
                   "set grid\n"
                   "slope = %.17g; intercept = %.17g\n"
                   "f(x) = exp(intercept) * x**slope\n"
                   "plot 'results.csv' skip 1 using 1:4 with points pt 7 ps 0.25 lc rgb '#b0b0b0' "
                   "title 'replicates', \\\n"
                   "     'summary.csv' skip 1 using 1:3 with points pt 7 ps 0.8 lc rgb '#1f4e9c' "
                   "title 'mean over %zu replicates%s', \\\n"
                   "     f(x) with lines lw 2 lc rgb '#c0392b' "
                   "title sprintf('least squares: slope %%.3f, 95%%%% CI [%%.3f, %%.3f]', slope, %.17g, %.17g)\n",
                   kind, title, main_fit.slope, main_fit.intercept, replicates,
                   nfailed ? " (successful ones)" : "", main_fit.lo, main_fit.hi);
    if ((st = cli_write_output(gp, &pb)))
        goto done;
    int gs = run_gnuplot(outdir);
    if (gs == 127)
        cli_warn("gnuplot not found (Debian package gnuplot-nox): plot not drawn; run 'gnuplot plot.gp' in %s",
                 outdir);
    else if (gs != 0)
        cli_warn("gnuplot failed (exit %d): plot not drawn; see %s", gs, gp);
done:
    cli_buf_free(&sb);
    cli_buf_free(&lb);
    cli_buf_free(&pb);
    gmoe_table_free(t);
    free(cerr);
    free(gridn);
    free(means);
    free(vals);
    free(results);
    free(summary);
    free(slope);
    free(gp);
    return st;
}
