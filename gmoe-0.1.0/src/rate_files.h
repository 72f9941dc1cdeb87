/* rate_files.h -- the files of a mixrate output directory (mixrate(1)):
 * run.json (the settings, checked on resume), results.csv (one row per
 * cell, appended in cell order), summary.csv, slope.txt and the plot. */
#ifndef GMOE_RATE_FILES_H
#define GMOE_RATE_FILES_H

#include <jansson.h>
#include <stdio.h>

#include "gmoe.h"

/* Column names of results.csv (malloc'd text of the header line without
 * its newline): N,rep,seed,loss,at_limit,loss_breakpoint,
 * loss_untranslated,loglik,iterations,converged,seconds, then err_<name>_<j> per error and true expert
 * (err_tau_<j> only when has_tau).  NULL when out of memory. */
char *rate_results_header(size_t kstar, int has_tau);

/* One results.csv row for a cell, with its newline, into buf (size
 * bufsize); returns the length, or 0 if it did not fit. */
size_t rate_results_row(char *buf, size_t bufsize, const gmoe_rate_cell *c, int has_tau);

/* Loads OUTDIR/run.json if it exists and compares its "settings" with
 * `settings`.  Returns 0 when they agree or there is no file (*exists
 * says which), else prints why (naming the first setting that differs,
 * or the file's problem) and returns the exit code. */
int rate_check_run_json(const char *path, json_t *settings, int *exists);

/* Writes run.json atomically: {"program", "version", "command",
 * "settings"}. Returns an exit code. */
int rate_write_run_json(const char *path, json_t *settings, int argc, char **argv);

/* Writes a JSON value atomically as the run directory's files are written
 * (indented, sorted keys, 17 significant digits, a closing newline).
 * Returns an exit code. */
int rate_write_json(const char *path, const json_t *value);

/* Validates an existing results.csv against the header and the expected
 * cell order (n[c], rep[c]): returns the number of complete rows in
 * *done and cuts off a partial last line (an interrupted write).  A
 * missing file gives *done = 0 and *exists = 0.  Returns an exit code. */
int rate_resume_results(const char *path, const char *header, const size_t *n,
                        const size_t *rep, size_t ncells, size_t *done, int *exists);

/* DIR/NAME, malloc'd (NULL when out of memory). */
char *rate_path(const char *dir, const char *name);

#endif
