/* rate_rerun.c -- see rate_rerun.h. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "rate_files.h"
#include "rate_rerun.h"

int rate_rerun_requested(int argc, char **argv)
{
    return argc > 1 && strcmp(argv[1], "--same-as") == 0;
}

/* The options of the recorded command that name paths, with their value
 * as the next argument or after '='. */
static int path_option(const char *arg, int *takes_next)
{
    static const char *const names[] = {"--truth", "--outdir", "-O"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len = strlen(names[i]);
        if (strcmp(arg, names[i]) == 0) {
            *takes_next = 1;
            return 1;
        }
        if (strncmp(arg, names[i], len) == 0 && (arg[len] == '=' || (len == 2 && arg[len]))) {
            *takes_next = 0;
            return 1;
        }
    }
    return 0;
}

/* argv for the recorded command `cmd` without its paths, then --truth
 * TRUTH -O OUTDIR; argv[0] is this program. */
static int build_argv(json_t *cmd, const char *self, const char *truth, const char *outdir, int *argc, char ***argv)
{
    size_t n = json_array_size(cmd);
    char **v = calloc(n + 6, sizeof *v);
    int c = 0, bad = !v;
    if (v)
        v[c++] = strdup(self);
    for (size_t i = 1; !bad && i < n; i++) {
        const char *a = json_string_value(json_array_get(cmd, i));
        int next;
        if (!a)
            bad = 1;
        else if (path_option(a, &next))
            i += (size_t)next;
        else
            v[c++] = strdup(a);
    }
    if (!bad) {
        v[c++] = strdup("--truth");
        v[c++] = strdup(truth);
        v[c++] = strdup("-O");
        v[c++] = strdup(outdir);
    }
    for (int i = 0; !bad && i < c; i++)
        bad = !v[i];
    *argc = c;
    *argv = v;
    return bad ? cli_usage_error("--same-as: the recorded command is not a list of strings") : CLI_EXIT_OK;
}

/* NEWDIR/truth.json from the recorded settings' truth. */
static int write_truth(json_t *settings_truth, const char *path)
{
    if (!json_is_object(settings_truth))
        return cli_usage_error("--same-as: run.json records no true model (settings.truth)");
    return rate_write_json(path, settings_truth);
}

int rate_rerun_args(int argc, char **argv, int *out_argc, char ***out_argv)
{
    *out_argc = 0;
    *out_argv = NULL;
    if (argc != 5 || (strcmp(argv[3], "-O") != 0 && strcmp(argv[3], "--outdir") != 0))
        return cli_usage_error("--same-as: use it as 'mixrate --same-as DIR -O NEWDIR'");
    const char *dir = argv[2], *outdir = argv[4];
    char *run_json = rate_path(dir, "run.json"), *truth = rate_path(outdir, "truth.json");
    json_error_t je;
    json_t *root = run_json ? json_load_file(run_json, 0, &je) : NULL;
    int st = CLI_EXIT_OK;
    if (!run_json || !truth) {
        st = cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_INPUT, NULL);
    } else if (!root) {
        cli_error("--same-as: %s:%d:%d: %s", run_json, je.line, je.column, je.text);
        st = CLI_EXIT_INPUT;
    } else if (!json_is_array(json_object_get(root, "command"))) {
        cli_error("--same-as: %s: no \"command\" list (not a mixrate run file)", run_json);
        st = CLI_EXIT_INPUT;
    } else if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        cli_error("-O %s: cannot create the directory: %s", outdir, strerror(errno));
        st = CLI_EXIT_OUTPUT;
    } else if ((st = write_truth(json_object_get(json_object_get(root, "settings"), "truth"), truth)) == 0) {
        st = build_argv(json_object_get(root, "command"), argv[0], truth, outdir, out_argc, out_argv);
    }
    json_decref(root);
    free(run_json);
    free(truth);
    return st;
}

void rate_rerun_free(int argc, char **argv)
{
    for (int i = 0; argv && i < argc; i++)
        free(argv[i]);
    free(argv);
}
