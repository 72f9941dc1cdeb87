/* rate_files.c -- the files of a mixrate output directory; see
 * rate_files.h and mixrate(1). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
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
    cli_buf_printf(&b, "N,rep,seed,loss,at_limit,loss_breakpoint,loss_untranslated,loglik,iterations,converged,stop,seconds");
    for (size_t e = 0; e < nerr(has_tau); e++)
        for (size_t j = 0; j < kstar; j++)
            cli_buf_printf(&b, ",err_%s_%zu", gmoe_rate_err_name(e), j + 1);
    for (size_t j = 0; j < kstar; j++)
        cli_buf_printf(&b, ",atoms_%zu", j + 1);
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
    /* stop: why the kept start stopped (gmoe_stop_name), NA without a fit. */
    int len = snprintf(buf, bufsize, "%zu,%zu,%llu,%.17g,%d,%.17g,%.17g,%.17g,%zu,%d,%s,%.6f", c->n,
                       c->replicate + 1, (unsigned long long)c->seed, c->loss, c->at_limit, c->loss_breakpoint,
                       c->loss_untranslated, c->loglik, c->iterations, c->converged,
                       c->stop < 0 ? "NA" : gmoe_stop_name((gmoe_stop_reason)c->stop), c->seconds);
    size_t used = len > 0 ? (size_t)len : bufsize;
    for (size_t e = 0; e < nerr(has_tau) && used < bufsize; e++)
        for (size_t j = 0; j < c->kstar && used < bufsize; j++) {
            len = snprintf(buf + used, bufsize - used, ",%.17g", c->err[e * c->kstar + j]);
            used += len > 0 ? (size_t)len : bufsize;
        }
    for (size_t j = 0; j < c->kstar && used < bufsize; j++) {
        len = snprintf(buf + used, bufsize - used, ",%zu", c->atoms ? c->atoms[j] : 0);
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

char *rate_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, name);
    return p;
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
    int st = rate_write_json(path, root);
    json_decref(root);
    return st;
}

int rate_write_json(const char *path, const json_t *value)
{
    char *text = json_dumps(value, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
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

/* Whether results.csv's first line is this run's header; a header of an
 * older mixrate (without the status or the stop column) says so. */
static int check_header(const char *path, const char *line, const char *header)
{
    size_t hl = strlen(line);
    if (strcmp(line, header) != 0 && strncmp(header, line, hl) == 0 && strcmp(header + hl, ",status") == 0) {
        cli_error("%s:1: written by a mixrate without the status column (before failed cells were "
                  "recorded); it cannot be resumed: use another -O directory",
                  path);
        return CLI_EXIT_INPUT;
    }
    if (strcmp(line, header) != 0 && strstr(header, ",stop,") && !strstr(line, ",stop,") &&
        strstr(line, ",converged,seconds,")) {
        cli_error("%s:1: written by a mixrate without the stop column (before it recorded why each fit "
                  "stopped); it cannot be resumed: use another -O directory",
                  path);
        return CLI_EXIT_INPUT;
    }
    if (strcmp(line, header) != 0) {
        cli_error("%s:1: the header is not that of this run's results (use another -O directory)", path);
        return CLI_EXIT_INPUT;
    }
    return CLI_EXIT_OK;
}

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
            if ((st = check_header(path, line, header)))
                break;
        } else {
            size_t c = lineno - 2;
            unsigned long long fn, fr;
            char tail;
            if (c >= ncells) {
                cli_error("%s:%zu: a row after the last of this run's %zu cells (the file does not belong to "
                          "this run or was edited; use another -O directory)",
                          path, lineno, ncells);
                st = CLI_EXIT_INPUT;
                break;
            }
            if (sscanf(line, "%llu,%llu%c", &fn, &fr, &tail) != 3 || tail != ',' || fn != n[c] || fr != rep[c] + 1) {
                cli_error("%s:%zu: expected the row of N = %zu, replicate %zu, in the run's order (the file does "
                          "not belong to this run or was edited; use another -O directory)",
                          path, lineno, n[c], rep[c] + 1);
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

