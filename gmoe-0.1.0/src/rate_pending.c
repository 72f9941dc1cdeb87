/* rate_pending.c -- see rate_pending.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"
#include "rate_files.h"
#include "rate_pending.h"

struct rate_pending {
    char *path;
    FILE *file;            /* pending.csv, appended */
    const size_t *n, *rep;
    size_t ncells, next;   /* cells 0..next-1 are in results.csv */
    size_t count;          /* finished cells */
    char **row;            /* row[c]: kept row text of cell c, or NULL */
};

/* The cell of row "N,rep,...", or ncells when it is not one of the run's
 * (cells are sorted by N, replicates numbered from 1 in the files). */
static size_t cell_of_row(const rate_pending *p, const char *line)
{
    unsigned long long fn, fr;
    char tail;
    if (sscanf(line, "%llu,%llu%c", &fn, &fr, &tail) != 3 || tail != ',' || fr == 0)
        return p->ncells;
    size_t lo = 0, hi = p->ncells;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->n[mid] < fn)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t c = lo + (size_t)(fr - 1);
    return c < p->ncells && p->n[c] == fn && p->rep[c] == fr - 1 ? c : p->ncells;
}

/* Keeps the complete rows of pending.csv, cutting a partial last line. */
static int load(rate_pending *p, FILE *f)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    off_t good = 0;
    ssize_t len;
    int st = CLI_EXIT_OK;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[len - 1] != '\n')
            break;
        size_t c = cell_of_row(p, line);
        if (c == p->ncells) {
            cli_error("%s:%zu: not the row of a cell of this run (the file was edited; remove it to run its "
                      "cells again)", p->path, lineno);
            st = CLI_EXIT_INPUT;
            break;
        }
        if (c >= p->next && !p->row[c]) {
            if (!(p->row[c] = strdup(line))) {
                st = cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
                break;
            }
            p->count++;
        }
        good += len;
    }
    free(line);
    if (st == CLI_EXIT_OK && ftruncate(fileno(f), good) != 0) {
        cli_error("%s: cannot cut its partial last line: %s", p->path, strerror(errno));
        st = CLI_EXIT_OUTPUT;
    }
    return st;
}

int rate_pending_open(const char *outdir, const size_t *n, const size_t *rep, size_t ncells, size_t done,
                      int fresh, rate_pending **out)
{
    rate_pending *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p || !(p->path = rate_path(outdir, "pending.csv")) || !(p->row = calloc(ncells ? ncells : 1, sizeof *p->row))) {
        if (p)
            free(p->path);
        free(p);
        return cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
    }
    p->n = n;
    p->rep = rep;
    p->ncells = ncells;
    p->next = p->count = done;
    int st = CLI_EXIT_OK;
    FILE *f = fresh ? NULL : fopen(p->path, "r+");
    if (!f && !fresh && errno != ENOENT) {
        cli_error("%s: %s", p->path, strerror(errno));
        st = CLI_EXIT_INPUT;
    } else if (f) {
        st = load(p, f);
        fclose(f);
    }
    if (st == CLI_EXIT_OK && !(p->file = fopen(p->path, fresh ? "w" : "a"))) {
        cli_error("%s: %s", p->path, strerror(errno));
        st = CLI_EXIT_OUTPUT;
    }
    if (st != CLI_EXIT_OK) {
        rate_pending_close(p);
        return st;
    }
    *out = p;
    return CLI_EXIT_OK;
}

int rate_pending_finished(const rate_pending *p, size_t c)
{
    return c < p->next || p->row[c] != NULL;
}

size_t rate_pending_count(const rate_pending *p)
{
    return p->count;
}

int rate_pending_put(rate_pending *p, size_t c, const char *row, size_t len, rate_row_writer write, void *ctx)
{
    if (c != (size_t)-1 && c != p->next) {
        if (!(p->row[c] = malloc(len + 1)))
            return errno = ENOMEM, -1;
        memcpy(p->row[c], row, len);
        p->row[c][len] = '\0'; /* rows from other ranks come without it */
        p->count++;
        return fwrite(row, 1, len, p->file) != len || fflush(p->file) != 0 ? -1 : 0;
    }
    if (c == p->next) {
        if (write(ctx, c, row, len))
            return -1;
        p->next++;
        p->count++;
    }
    while (p->next < p->ncells && p->row[p->next]) {
        if (write(ctx, p->next, p->row[p->next], strlen(p->row[p->next])))
            return -1;
        free(p->row[p->next]);
        p->row[p->next++] = NULL;
    }
    return 0;
}

int rate_pending_close(rate_pending *p)
{
    if (!p)
        return 0;
    int st = 0;
    if (p->file && fclose(p->file) != 0)
        st = -1;
    if (st == 0 && p->next == p->ncells && unlink(p->path) != 0 && errno != ENOENT)
        st = -1;
    for (size_t c = 0; c < p->ncells; c++)
        free(p->row[c]);
    free(p->row);
    free(p->path);
    free(p);
    return st;
}
