/* fuzz_cli.c -- libFuzzer target: the command-line option parsers of the
 * six tools.
 *
 * The input's first byte picks the tool (mixfit, mixpredict, mixsim,
 * mixloss, mixrate, mixplot: its value modulo 6); the rest, split at NUL bytes, is
 * the argument list.  The tool's main() runs up to its first file read
 * (fuzz_cli_tool.h), so every option is parsed and checked and nothing
 * is fitted, simulated or written.  Any exit code is fine (0 for --help,
 * 2 for a bad option, FUZZ_CLI_PARSED for accepted options); a crash, a
 * sanitizer report or a leak is a finding. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv_options.h"
#include "fuzz_cli_tool.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int fuzz_cli_read_data(const char *path, const char *yname, const char *const *xnames, size_t nx,
                       int y_optional, gmoe_data **out)
{
    (void)path, (void)yname, (void)xnames, (void)nx, (void)y_optional;
    *out = NULL;
    return FUZZ_CLI_PARSED;
}

int fuzz_cli_csv_read(const char *path, const cli_csv *o, const gmoe_model *model, const char *yname,
                      const char *const *xnames, size_t nx, int y_optional, gmoe_data **out)
{
    (void)o, (void)model;
    return fuzz_cli_read_data(path, yname, xnames, nx, y_optional, out);
}

/* A failed read, with a message, as a reader would report it. */
static int gmoe_error_fuzz(const char *path, gmoe_err *err)
{
    if (err) {
        err->code = GMOE_EIO;
        snprintf(err->msg, sizeof err->msg, "%s: not read (fuzzing the options)", path);
    }
    return GMOE_EIO;
}

int fuzz_gmoe_table_read(const char *path, gmoe_table **out, gmoe_err *err)
{
    *out = NULL;
    return gmoe_error_fuzz(path, err);
}

/* The tools' cli_wait_policy would execute the fuzzer again. */
void fuzz_cli_wait_policy(char **argv);
void fuzz_cli_wait_policy(char **argv)
{
    (void)argv;
}

int fuzz_cli_read_model(const char *opt, const char *path, gmoe_model **out)
{
    (void)opt, (void)path;
    *out = NULL;
    return FUZZ_CLI_PARSED;
}

int fuzz_cli_read_model_xnames(const char *opt, const char *path, gmoe_model **m, char ***xnames)
{
    (void)opt, (void)path;
    *m = NULL;
    *xnames = NULL;
    return FUZZ_CLI_PARSED;
}

static const struct {
    const char *name;
    int (*main)(int, char **);
} tools[] = {
    {"mixfit", fuzz_main_mixfit},   {"mixpredict", fuzz_main_mixpredict}, {"mixsim", fuzz_main_mixsim},
    {"mixloss", fuzz_main_mixloss}, {"mixrate", fuzz_main_mixrate},   {"mixplot", fuzz_main_mixplot},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t t = data[0] % (sizeof tools / sizeof tools[0]);
    /* one copy of the arguments, NUL-terminated, that getopt may permute */
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)tools[t].name;
    for (char *p = text; p < text + size - 1 && argc <= MAX_ARGS; p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;
    optind = 0; /* glibc: a full re-initialisation of getopt */
    tools[t].main(argc, argv);
    free(text);
    return 0;
}
