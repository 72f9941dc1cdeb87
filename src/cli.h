/* cli.h -- conventions shared by the gmoe command-line tools (mixfit,
 * mixpredict, mixsim, mixloss, mixrate): messages, exit codes, strict
 * option parsing, the family and EM options, data and model input, and
 * atomic output.
 *
 * Messages go to stderr as "<program>: <text>", where the text names the
 * file, line and column, or the option, at fault.  Every function that
 * can fail prints its own message and returns the exit code to use
 * (CLI_EXIT_OK on success), so a main() ends with `return status;`. */
#ifndef GMOE_CLI_H
#define GMOE_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gmoe.h"

/* Exit codes, the same for every tool and listed in every man page. */
typedef enum {
    CLI_EXIT_OK = 0,         /* success (non-convergence is only a warning) */
    CLI_EXIT_USAGE = 2,      /* bad usage, unknown option or bad option value */
    CLI_EXIT_INPUT = 3,      /* input file unreadable or malformed, data unusable */
    CLI_EXIT_ESTIMATION = 4, /* the computation failed (numerical, out of memory) */
    CLI_EXIT_OUTPUT = 5      /* the output could not be written */
} cli_exit;

/* What a program was doing when a library call failed; the one place
 * where a gmoe_status becomes an exit code is cli_exit_code(). */
typedef enum {
    CLI_STAGE_INPUT,   /* reading data or model files: any failure is bad input */
    CLI_STAGE_COMPUTE, /* fitting, simulating, predicting */
    CLI_STAGE_OUTPUT   /* writing the result */
} cli_stage;

int cli_exit_code(int status, cli_stage stage);

/* Sets the program name used in messages, turns GSL's aborting error
 * handler off and calls cli_cleanup_on_signals().  Call first in main(). */
void cli_init(const char *progname);
/* Idle OpenMP threads sleep (OMP_WAIT_POLICY=PASSIVE) unless the
 * environment sets OMP_WAIT_POLICY or GOMP_SPINCOUNT: libgomp reads them
 * when it loads, before main(), so this sets the variable and executes
 * the program again (/proc/self/exe, same arguments); if that fails, the
 * program goes on with libgomp's default.  Not when OMP_NUM_THREADS is 1
 * and the command line has no --threads, or 0 or 1: one thread never
 * waits.  Likewise OMP_NUM_THREADS=N for --threads N (N > 0), so that the
 * passes that take OpenMP's default run on N threads too.  Call first in
 * the main() of a tool that runs parallel regions (mixfit, mixrate). */
void cli_wait_policy(char **argv);
/* The fit's thread count for --threads N: 0 (the library's OpenMP
 * default) once cli_wait_policy has made OMP_NUM_THREADS N, so that every
 * pass runs on at most N threads and at most one per 8192 rows, as with
 * --threads 0 (an explicit count is every pass's, however few its rows: a
 * 3000-row fit with --threads 2 beside a busy core took 0.49-3.8 s wall,
 * against 0.48-0.59 s with one thread); else N. */
int cli_fit_threads(int nthreads);
/* On SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGXFSZ (unless ignored or
 * already handled): remove the temporary file of any output being
 * written, then die of the signal (cli_signals.c). */
void cli_cleanup_on_signals(void);
const char *cli_progname(void);

/* "<program>: <message>\n" on stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* "<program>: warning: <message>\n" on stderr. */
void cli_warn(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Prints the message and "Try '<program> --help'."; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Prints the library's message (prefixed by `context` and ": " when not
 * NULL) and returns cli_exit_code(status, stage). */
int cli_fail(int status, const gmoe_err *err, cli_stage stage, const char *context);

/* getopt_long's '?' and ':' results as a usage error naming the option
 * (call with opterr = 0 and an optstring starting with ':'). */
int cli_getopt_error(int c, char *const argv[]);

/* "<program> (gmoe) <version>" on stdout; returns CLI_EXIT_OK. */
int cli_version(void);

/* The options every tool has: CLI_STANDARD_LONG_OPTIONS in the
 * getopt_long table, and cli_standard_option() as the default: branch of
 * the switch.  It serves -h/--help (calling help()) and --version and
 * returns -1 for them (the tool then exits with CLI_EXIT_OK); any other
 * code is a getopt error, returned as cli_getopt_error() does. */
int cli_standard_option(int c, void (*help)(void), char *const argv[]);

/* ------------------------------------------------------ option values
 * Each parses the whole text strictly (no trailing characters, no empty
 * text, C locale) and on failure prints "--opt: ..." and returns
 * CLI_EXIT_USAGE.  `opt` is the option as the user typed it ("--tol"). */

/* A finite double. */
int cli_parse_double(const char *opt, const char *text, double *out);
/* A decimal integer in [min, max] (no sign, no spaces). */
int cli_parse_size(const char *opt, const char *text, size_t min, size_t max, size_t *out);
/* A seed: a decimal integer in [0, 2^63 - 1] (what model files hold). */
int cli_parse_seed(const char *opt, const char *text, uint64_t *out);
/* k or a range "lo:hi" with lo <= hi, each checked by cli_k_check. */
int cli_parse_k(const char *opt, const char *text, size_t *lo, size_t *hi);
/* The library's range of k (gmoe_k_validate: 1 to GMOE_K_MAX), the
 * message naming opt. */
int cli_k_check(const char *opt, size_t k);
/* "lo:hi" with finite lo < hi. */
int cli_parse_interval(const char *opt, const char *text, double *lo, double *hi);
/* A comma-separated list of non-empty items; *items is a malloc'd array of
 * malloc'd strings (free with cli_free_list). */
int cli_parse_list(const char *opt, const char *text, char ***items, size_t *n);
void cli_free_list(char **items, size_t n);
/* One of a fixed set of names, via the library's name -> enum function;
 * `choices` lists them for the message ("bic, aic, icl"). */
int cli_parse_choice(const char *opt, const char *text, int (*from_name)(const char *),
                     const char *choices, int *out);

/* ---------------------------------------------- family and EM options
 * Shared long options.  Put CLI_FAMILY_LONG_OPTIONS and/or
 * CLI_EM_LONG_OPTIONS in the getopt_long table, and pass every option
 * code to cli_family_option() / cli_em_option(), which return 1 when they
 * handled it (storing a non-zero exit code in *status on a bad value) and
 * 0 when the code is not theirs. */
enum {
    CLI_OPT_GATING = 1000,
    CLI_OPT_TOP_K,
    CLI_OPT_SELECT,
    CLI_OPT_TAU,
    CLI_OPT_TAU_MODE,
    CLI_OPT_ACTIVATION,
    CLI_OPT_BIAS,
    CLI_OPT_RESTARTS = 1100,
    CLI_OPT_SEED,
    CLI_OPT_TOL,
    CLI_OPT_TOL_RULE,
    CLI_OPT_MAX_ITER,
    CLI_OPT_THREADS,
    CLI_OPT_ACCEL,
    CLI_OPT_VAR_FLOOR,
    CLI_OPT_MIN_WEIGHT,
    CLI_OPT_GATE_MAX_ITER,
    CLI_OPT_ACCEL_WARMUP,
    CLI_OPT_SPURIOUS_ROWS,
    CLI_OPT_SPURIOUS_RATIO,
    CLI_OPT_VERSION = 1199,
    CLI_OPT_PROGRAM = 1200 /* first code free for a program's own options */
};

#define CLI_STANDARD_LONG_OPTIONS               \
    {"help", no_argument, NULL, 'h'},           \
    {"version", no_argument, NULL, CLI_OPT_VERSION}

#define CLI_FAMILY_LONG_OPTIONS                                   \
    {"gating", required_argument, NULL, CLI_OPT_GATING},         \
    {"top-k", required_argument, NULL, CLI_OPT_TOP_K},           \
    {"select", required_argument, NULL, CLI_OPT_SELECT},         \
    {"tau", required_argument, NULL, CLI_OPT_TAU},               \
    {"activation", required_argument, NULL, CLI_OPT_ACTIVATION}, \
    {"bias", required_argument, NULL, CLI_OPT_BIAS}

#define CLI_EM_LONG_OPTIONS                                             \
    {"restarts", required_argument, NULL, CLI_OPT_RESTARTS},           \
    {"seed", required_argument, NULL, CLI_OPT_SEED},                   \
    {"tol", required_argument, NULL, CLI_OPT_TOL},                     \
    {"tol-rule", required_argument, NULL, CLI_OPT_TOL_RULE},           \
    {"max-iter", required_argument, NULL, CLI_OPT_MAX_ITER},           \
    {"threads", required_argument, NULL, CLI_OPT_THREADS},             \
    {"accel", required_argument, NULL, CLI_OPT_ACCEL},                 \
    {"accel-warmup", required_argument, NULL, CLI_OPT_ACCEL_WARMUP},   \
    {"var-floor", required_argument, NULL, CLI_OPT_VAR_FLOOR},         \
    {"min-weight", required_argument, NULL, CLI_OPT_MIN_WEIGHT},       \
    {"gate-max-iter", required_argument, NULL, CLI_OPT_GATE_MAX_ITER}, \
    {"spurious-rows", required_argument, NULL, CLI_OPT_SPURIOUS_ROWS}, \
    {"spurious-ratio", required_argument, NULL, CLI_OPT_SPURIOUS_RATIO}, \
    {"tau-mode", required_argument, NULL, CLI_OPT_TAU_MODE}

/* The family options as given; `set_*` say which were given. */
typedef struct {
    int set_family, set_top_k, set_select, set_tau, set_act, set_bias;
    gmoe_family family;
    size_t top_k;
    gmoe_select select;
    double tau;
    gmoe_activation act;
    gmoe_bias_placement bias;
} cli_family;

void cli_family_default(cli_family *f); /* softmax, nothing set */
int cli_family_option(int code, const char *arg, cli_family *f, int *status);
/* Copies the options that were given into m (family excepted: m must
 * already have it) and checks them (gmoe_model_options_validate, against
 * m->k); CLI_EXIT_USAGE naming the option when, e.g., --top-k exceeds k
 * or an option (including em's --tau-mode, when em is not NULL) does not
 * belong to the family. */
typedef struct cli_em cli_em;
int cli_family_apply(const cli_family *f, const cli_em *em, gmoe_model *m);

/* EM options: the library's defaults plus which ones were given. */
struct cli_em {
    gmoe_em_options em;
    int set_restarts, set_seed, set_max_iter, set_tau_mode;
};

void cli_em_default(cli_em *o);
/* Parses one EM option's syntax; the ranges are the library's, checked
 * once all are given by cli_em_check. */
int cli_em_option(int code, const char *arg, cli_em *o, int *status);
/* The library's check of the EM options (gmoe_em_options_validate):
 * CLI_EXIT_OK, or CLI_EXIT_USAGE with the message naming the flag. */
int cli_em_check(const gmoe_em_options *em);
/* The usage error for a field the library's option checks refused:
 * "--restarts: must be 1 to 1000000 (got 0)" (its flag, or the
 * library's name of a field without one). */
int cli_option_error(const char *field, const gmoe_err *err);

/* The --help paragraphs for the shared options, with their defaults. */
void cli_family_help(FILE *out);
void cli_em_help(FILE *out);
/* The exit-code paragraph of --help. */
void cli_exit_help(FILE *out);

/* ------------------------------------------------------------ input */

/* Reads a CSV file ("-": stdin) and selects the response `yname` (NULL:
 * the last column; with y_optional a missing response is allowed and
 * (*out)->y is NULL) and covariates xnames[0..nx-1] (nx = 0: every other
 * column).  Messages name the file, line and column. */
int cli_read_data(const char *path, const char *yname, const char *const *xnames, size_t nx,
                  int y_optional, gmoe_data **out);

/* Reads a JSON model file; any failure is CLI_EXIT_INPUT, the message
 * prefixed by the option that named the file ("--model"). */
int cli_read_model(const char *opt, const char *path, gmoe_model **out);

/* The model's covariate names, or x1..xd when it has none, as a list for
 * cli_free_list(names, m->d); NULL when out of memory.  The response name
 * is the model's, or "y". */
char **cli_model_xnames(const gmoe_model *m);
/* The data's column names (the experts', the gate's own when m has
 * them, the response) and factors into m: a gmoe_status. */
int cli_model_set_columns(gmoe_model *m, const gmoe_data *data);
const char *cli_model_yname(const gmoe_model *m);

/* cli_read_model, then cli_model_xnames: on success *m and *xnames are
 * set (free with gmoe_model_free and cli_free_list(*xnames, (*m)->d)); on
 * failure both are NULL. */
int cli_read_model_xnames(const char *opt, const char *path, gmoe_model **m, char ***xnames);

/* ------------------------------------------------------------ output */

/* A growing text buffer; out-of-memory is sticky and reported once, by
 * cli_write_output. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} cli_buf;

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A CSV field: quoted (RFC 4180) only when it needs to be. */
void cli_buf_csv_field(cli_buf *b, const char *text);
/* A number as %.17g, so that it reads back to the same double. */
void cli_buf_number(cli_buf *b, double v);
void cli_buf_free(cli_buf *b);

/* Writes the text to `path` (NULL or "-": stdout) atomically: a failure
 * leaves no file and an existing file intact.  CLI_EXIT_OUTPUT (or
 * CLI_EXIT_ESTIMATION when the buffer ran out of memory) on failure. */
int cli_write_output(const char *path, const cli_buf *b);

#endif
