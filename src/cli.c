/* cli.c -- conventions shared by the gmoe command-line tools; see cli.h. */
#include "config.h"

#include <errno.h>
#include <gsl/gsl_errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"

static const char *progname = "gmoe";

void cli_init(const char *name)
{
    progname = name;
    gsl_set_error_handler_off(); /* GSL's default handler aborts */
    cli_cleanup_on_signals();
}

/* The value of the command line's last --threads (as a whole word), or
 * NULL. */
static const char *threads_arg(char **argv)
{
    const char *last = NULL;
    for (size_t i = 1; argv[i] && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--threads=", 10) == 0)
            last = argv[i] + 10;
        else if (strcmp(argv[i], "--threads") == 0 && argv[i + 1])
            last = argv[++i];
    }
    return last;
}

/* Is OMP_NUM_THREADS 1 and --threads absent, 0 or 1?  Then every parallel
 * region runs on one thread (those that take OpenMP's default too), no
 * thread ever waits, and the re-execution below (a second start-up of the
 * process: 3.6 of the 7.6 ms a `mixfit --version` took, issue 18) would
 * buy nothing. */
static int one_thread(char **argv)
{
    const char *last = threads_arg(argv), *env = getenv("OMP_NUM_THREADS");
    return env && strcmp(env, "1") == 0 && (!last || strcmp(last, "0") == 0 || strcmp(last, "1") == 0);
}

/* --threads N, N > 0, as OMP_NUM_THREADS (NULL: nothing to set).  The
 * passes that take OpenMP's default thread count (the standard errors'
 * derivatives: gmoe_inference_compute has no thread count) then run on N
 * threads too: --threads 1 ran them on every core. */
static const char *threads_to_set(char **argv)
{
    const char *n = threads_arg(argv), *env = getenv("OMP_NUM_THREADS");
    if (!n || !*n || strspn(n, "0123456789") != strlen(n) || strspn(n, "0") == strlen(n))
        return NULL; /* 0, or not a count (its parse will say so) */
    return env && strcmp(env, n) == 0 ? NULL : n;
}

/* libgomp's default waiting spins for about 300000 rounds at every
 * barrier and between parallel regions.  A spinning thread takes a core
 * from other jobs, and a thread the kernel has descheduled in favour of
 * another job holds up every barrier: with a busy loop on the other core,
 * --threads 2 took up to 6 times as long as --threads 1 per EM iteration
 * (scripts/bench-shapes-results.txt).  A sleeping thread is woken at once
 * when work comes (the kernel favours a task that slept).  libgomp reads
 * both variables when it loads, hence the second start-up. */
void cli_wait_policy(char **argv)
{
    const char *n = threads_to_set(argv);
    int again = n && setenv("OMP_NUM_THREADS", n, 1) == 0;
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT") && !one_thread(argv))
        again |= setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0;
    if (again)
        execv("/proc/self/exe", argv);
}

int cli_fit_threads(int nthreads)
{
    const char *env = getenv("OMP_NUM_THREADS");
    char *end;
    long n = env ? strtol(env, &end, 10) : 0;
    return nthreads > 0 && env && *env && !*end && n == nthreads ? 0 : nthreads;
}

const char *cli_progname(void)
{
    return progname;
}

/* ------------------------------------------------------------ messages */

static void vmessage(const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s", progname, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("warning: ", fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help' for more information.\n", progname);
    return CLI_EXIT_USAGE;
}

int cli_exit_code(int status, cli_stage stage)
{
    if (status == GMOE_OK)
        return CLI_EXIT_OK;
    if (status == GMOE_ENOMEM)
        return stage == CLI_STAGE_OUTPUT ? CLI_EXIT_OUTPUT : CLI_EXIT_ESTIMATION;
    switch (stage) {
    case CLI_STAGE_INPUT:
        return CLI_EXIT_INPUT;
    case CLI_STAGE_OUTPUT:
        return CLI_EXIT_OUTPUT;
    default:
        break;
    }
    switch (status) {
    case GMOE_EINVAL:
    case GMOE_ENOTSUP: /* e.g. a gating family the library cannot fit yet */
        return CLI_EXIT_USAGE;
    case GMOE_EIO:
    case GMOE_EFORMAT:
    case GMOE_EDATA:
        return CLI_EXIT_INPUT;
    default: /* GMOE_ESING, GMOE_ENUMERIC and anything new */
        return CLI_EXIT_ESTIMATION;
    }
}

int cli_fail(int status, const gmoe_err *err, cli_stage stage, const char *context)
{
    const char *msg = err && err->msg[0] ? err->msg : gmoe_strerror(status);
    if (context)
        cli_error("%s: %s", context, msg);
    else
        cli_error("%s", msg);
    return cli_exit_code(status, stage);
}

int cli_getopt_error(int c, char *const argv[])
{
    /* the option as typed: a long one from argv (optopt is its code, or 0
     * when unknown), a short one from optopt */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    int is_long = strncmp(arg, "--", 2) == 0;
    int len = is_long ? (int)strcspn(arg, "=") : 0;
    if (c == ':') {
        if (is_long)
            return cli_usage_error("option '%.*s' needs a value", len, arg);
        return cli_usage_error("option '-%c' needs a value", optopt);
    }
    if (is_long && optopt && strchr(arg, '='))
        return cli_usage_error("option '%.*s' takes no value", len, arg);
    if (is_long)
        return cli_usage_error("unknown or ambiguous option '%.*s'", len, arg);
    if (optopt > 32 && optopt < 127)
        return cli_usage_error("unknown option '-%c'", optopt);
    return cli_usage_error("unknown option '%s'", arg);
}

int cli_version(void)
{
    printf("%s (gmoe) %s\n", progname, gmoe_version());
    return CLI_EXIT_OK;
}

int cli_standard_option(int c, void (*help)(void), char *const argv[])
{
    if (c == 'h') {
        help();
        return -1;
    }
    if (c == CLI_OPT_VERSION) {
        cli_version();
        return -1;
    }
    return cli_getopt_error(c, argv);
}

/* ------------------------------------------------------ option values */

int cli_parse_double(const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = text[0] && !strchr(" \t\n", text[0]) ? strtod(text, &end) : NAN;
    if (isnan(v) || *end != '\0' || strchr(text, 'x') || strchr(text, 'X'))
        return cli_usage_error("%s: \"%s\" is not a number", opt, text);
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1))
        return cli_usage_error("%s: \"%s\" is not a finite number", opt, text);
    *out = v;
    return CLI_EXIT_OK;
}

/* Digits only, as an unsigned 64-bit value; -1 on anything else. */
static int parse_u64(const char *text, uint64_t *out)
{
    if (!text[0])
        return -1;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned digit = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return -2;
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

int cli_parse_size(const char *opt, const char *text, size_t min, size_t max, size_t *out)
{
    uint64_t v = 0;
    int r = parse_u64(text, &v);
    if (r == -1)
        return cli_usage_error("%s: \"%s\" is not a whole number", opt, text);
    if (r < 0 || v < min || v > max)
        return cli_usage_error("%s: %s is out of range (%zu to %zu)", opt, text, min, max);
    *out = (size_t)v;
    return CLI_EXIT_OK;
}

int cli_parse_seed(const char *opt, const char *text, uint64_t *out)
{
    uint64_t v = 0;
    int r = parse_u64(text, &v);
    if (r == -1)
        return cli_usage_error("%s: \"%s\" is not a whole number", opt, text);
    if (r < 0 || v > (uint64_t)INT64_MAX)
        return cli_usage_error("%s: %s is out of range (0 to %lld)", opt, text, (long long)INT64_MAX);
    *out = v;
    return CLI_EXIT_OK;
}

/* Splits "a:b" at its one colon into two malloc'd strings. */
static int split_colon(const char *text, char **a, char **b)
{
    const char *colon = strchr(text, ':');
    if (!colon || strchr(colon + 1, ':'))
        return -1;
    size_t la = (size_t)(colon - text);
    *a = malloc(la + 1);
    *b = malloc(strlen(colon + 1) + 1);
    if (!*a || !*b) {
        free(*a);
        free(*b);
        return -1;
    }
    memcpy(*a, text, la);
    (*a)[la] = '\0';
    strcpy(*b, colon + 1);
    return 0;
}

int cli_k_check(const char *opt, size_t k)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    return gmoe_k_validate(k, NULL, &err) == GMOE_OK ? CLI_EXIT_OK
                                                      : cli_usage_error("%s: %s", opt, err.msg);
}

int cli_parse_k(const char *opt, const char *text, size_t *lo, size_t *hi)
{
    uint64_t a = 0, b = 0;
    char *sa, *sb;
    int ra = -1, rb = -1;
    if (!strchr(text, ':')) {
        ra = rb = parse_u64(text, &a);
        b = a;
    } else if (split_colon(text, &sa, &sb) == 0) {
        ra = parse_u64(sa, &a);
        rb = parse_u64(sb, &b);
        free(sa);
        free(sb);
    }
    if (ra == -1 || rb == -1)
        return cli_usage_error("%s: \"%s\" is not a number of experts (K or LO:HI)", opt, text);
    if (ra < 0 || rb < 0) /* beyond 64 bits */
        return cli_usage_error("%s: %s is out of range (1 to %d)", opt, text, GMOE_K_MAX);
    if (a > b)
        return cli_usage_error("%s: the range %s must have LO <= HI", opt, text);
    int st = cli_k_check(opt, (size_t)a);
    if (st == CLI_EXIT_OK && b != a)
        st = cli_k_check(opt, (size_t)b);
    *lo = (size_t)a;
    *hi = (size_t)b;
    return st;
}

int cli_parse_interval(const char *opt, const char *text, double *lo, double *hi)
{
    char *sa, *sb;
    if (split_colon(text, &sa, &sb) != 0)
        return cli_usage_error("%s: \"%s\" is not a range LO:HI", opt, text);
    int st = cli_parse_double(opt, sa, lo);
    if (st == CLI_EXIT_OK)
        st = cli_parse_double(opt, sb, hi);
    free(sa);
    free(sb);
    if (st == CLI_EXIT_OK && !(*lo < *hi))
        st = cli_usage_error("%s: the range %s must have LO < HI", opt, text);
    return st;
}

void cli_free_list(char **items, size_t n)
{
    if (!items)
        return;
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

int cli_parse_list(const char *opt, const char *text, char ***items, size_t *n)
{
    size_t count = 1;
    for (const char *p = text; *p; p++)
        count += *p == ',';
    char **list = calloc(count, sizeof *list);
    if (!list) {
        cli_error("out of memory");
        return CLI_EXIT_ESTIMATION;
    }
    const char *start = text;
    for (size_t i = 0; i < count; i++) {
        const char *end = strchr(start, ',');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        if (len == 0) {
            cli_free_list(list, count);
            return cli_usage_error("%s: \"%s\" has an empty item (items are separated by single commas)", opt, text);
        }
        if (!(list[i] = malloc(len + 1))) {
            cli_free_list(list, count);
            cli_error("out of memory");
            return CLI_EXIT_ESTIMATION;
        }
        memcpy(list[i], start, len);
        list[i][len] = '\0';
        start = end ? end + 1 : start + len;
    }
    *items = list;
    *n = count;
    return CLI_EXIT_OK;
}

int cli_parse_choice(const char *opt, const char *text, int (*from_name)(const char *),
                     const char *choices, int *out)
{
    int v = from_name(text);
    if (v < 0)
        return cli_usage_error("%s: \"%s\" is not one of: %s", opt, text, choices);
    *out = v;
    return CLI_EXIT_OK;
}

/* ---------------------------------------------- family and EM options */

void cli_family_default(cli_family *f)
{
    memset(f, 0, sizeof *f);
    f->family = GMOE_FAMILY_DEFAULT;
    f->tau = 1;
    f->select = GMOE_SELECT_SLOPE;
    f->act = GMOE_ACT_TANH;
    f->bias = GMOE_BIAS_OUTSIDE;
}

int cli_family_option(int code, const char *arg, cli_family *f, int *status)
{
    int v = 0;
    char families[256];
    switch (code) {
    case CLI_OPT_GATING:
        gmoe_family_list(0, "", ", ", ", ", families, sizeof families);
        *status = cli_parse_choice("--gating", arg, gmoe_family_from_name, families, &v);
        f->family = (gmoe_family)v;
        f->set_family = 1;
        return 1;
    case CLI_OPT_TOP_K:
        *status = cli_parse_size("--top-k", arg, 0, SIZE_MAX, &f->top_k);
        f->set_top_k = 1;
        return 1;
    case CLI_OPT_SELECT:
        *status = cli_parse_choice("--select", arg, gmoe_select_from_name, "slope, logit", &v);
        f->select = (gmoe_select)v;
        f->set_select = 1;
        return 1;
    case CLI_OPT_TAU:
        *status = cli_parse_double("--tau", arg, &f->tau);
        f->set_tau = 1;
        return 1;
    case CLI_OPT_ACTIVATION:
        *status = cli_parse_choice("--activation", arg, gmoe_activation_from_name,
                                   "tanh, sigmoid, arctan, softsign", &v);
        f->act = (gmoe_activation)v;
        f->set_act = 1;
        return 1;
    case CLI_OPT_BIAS:
        *status = cli_parse_choice("--bias", arg, gmoe_bias_from_name, "outside, inside", &v);
        f->bias = (gmoe_bias_placement)v;
        f->set_bias = 1;
        return 1;
    default:
        return 0;
    }
}

/* An option given for a family that does not read it: "--tau applies to
 * --gating temperature or activation only (the family is softmax)". */
static int family_lacks(const char *flag, unsigned option, gmoe_family fam)
{
    char owners[256];
    gmoe_family_list(option, "", ", ", " or ", owners, sizeof owners);
    return cli_usage_error("%s applies to --gating %s only (the family is %s)", flag, owners, gmoe_family_name(fam));
}

int cli_family_apply(const cli_family *f, const cli_em *em, gmoe_model *m)
{
    gmoe_family fam = m->family;
    unsigned reads = gmoe_family_options(fam);
    const struct {
        int given;
        const char *flag;
        unsigned option;
    } flags[] = {
        {f->set_top_k, "--top-k", GMOE_FAMILY_OPT_TOP_K},
        {f->set_select, "--select", GMOE_FAMILY_OPT_SELECT},
        {f->set_tau, "--tau", GMOE_FAMILY_OPT_TAU},
        {em && em->set_tau_mode, "--tau-mode", GMOE_FAMILY_OPT_TAU},
        {f->set_act, "--activation", GMOE_FAMILY_OPT_ACTIVATION},
        {f->set_bias, "--bias", GMOE_FAMILY_OPT_BIAS},
    };
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        if (flags[i].given && !(reads & flags[i].option))
            return family_lacks(flags[i].flag, flags[i].option, fam);
    if (f->set_top_k)
        m->top_k = f->top_k;
    if (f->set_select)
        m->select = f->select;
    if (f->set_tau)
        m->tau = f->tau;
    if (f->set_act)
        m->act = f->act;
    if (f->set_bias)
        m->bias = f->bias;
    gmoe_err err;
    const char *field = NULL;
    gmoe_err_clear(&err);
    int st = gmoe_model_options_validate(m, &field, &err);
    return st == GMOE_OK ? CLI_EXIT_OK : cli_option_error(field, &err);
}

void cli_em_default(cli_em *o)
{
    memset(o, 0, sizeof *o);
    gmoe_em_options_default(&o->em);
}

int cli_em_option(int code, const char *arg, cli_em *o, int *status)
{
    gmoe_em_options *e = &o->em;
    int v = 0;
    size_t n = 0;
    switch (code) {
    case CLI_OPT_RESTARTS:
        *status = cli_parse_size("--restarts", arg, 0, SIZE_MAX, &e->restarts);
        o->set_restarts = 1;
        return 1;
    case CLI_OPT_SEED:
        *status = cli_parse_seed("--seed", arg, &e->seed);
        o->set_seed = 1;
        return 1;
    case CLI_OPT_TOL:
        *status = cli_parse_double("--tol", arg, &e->tol);
        return 1;
    case CLI_OPT_TOL_RULE:
        *status = cli_parse_choice("--tol-rule", arg, gmoe_tol_rule_from_name, "per-obs, relative, absolute", &v);
        e->tol_rule = (gmoe_tol_rule)v;
        return 1;
    case CLI_OPT_MAX_ITER:
        /* 0 passes cli_em_check only where a tool allows it (mixfit
         * scores its --init model without iterating). */
        *status = cli_parse_size("--max-iter", arg, 0, SIZE_MAX, &e->max_iter);
        o->set_max_iter = 1;
        return 1;
    case CLI_OPT_THREADS:
        *status = cli_parse_size("--threads", arg, 0, INT_MAX, &n);
        e->nthreads = (int)n;
        return 1;
    case CLI_OPT_ACCEL:
        *status = cli_parse_choice("--accel", arg, gmoe_accel_from_name, "squarem, none", &v);
        e->accel = (gmoe_accel)v;
        return 1;
    case CLI_OPT_ACCEL_WARMUP:
        *status = cli_parse_size("--accel-warmup", arg, 0, SIZE_MAX, &e->accel_warmup);
        return 1;
    case CLI_OPT_VAR_FLOOR:
        *status = cli_parse_double("--var-floor", arg, &e->var_floor);
        return 1;
    case CLI_OPT_MIN_WEIGHT:
        *status = cli_parse_double("--min-weight", arg, &e->min_weight);
        return 1;
    case CLI_OPT_GATE_MAX_ITER:
        *status = cli_parse_size("--gate-max-iter", arg, 0, SIZE_MAX, &e->gate_max_iter);
        return 1;
    case CLI_OPT_SPURIOUS_ROWS:
        *status = cli_parse_double("--spurious-rows", arg, &e->spurious_rows);
        return 1;
    case CLI_OPT_SPURIOUS_RATIO:
        *status = cli_parse_double("--spurious-ratio", arg, &e->spurious_ratio);
        return 1;
    case CLI_OPT_TAU_MODE:
        *status = cli_parse_choice("--tau-mode", arg, gmoe_tau_mode_from_name, "fixed, estimate", &v);
        e->tau_mode = (gmoe_tau_mode)v;
        o->set_tau_mode = 1;
        return 1;
    default:
        return 0;
    }
}

/* The flag of each field the library's option checks name (gmoe.h,
 * gmoe_em_options_validate and gmoe_model_options_validate). */
static const struct {
    const char *field, *flag;
} field_flags[] = {
    {"family", "--gating"}, {"top_k", "--top-k"}, {"select", "--select"}, {"tau", "--tau"},
    {"act", "--activation"}, {"bias", "--bias"}, {"restarts", "--restarts"},
    {"seed", "--seed"}, {"tol", "--tol"}, {"tol_rule", "--tol-rule"},
    {"max_iter", "--max-iter"}, {"nthreads", "--threads"}, {"accel", "--accel"},
    {"accel_warmup", "--accel-warmup"}, {"var_floor", "--var-floor"},
    {"min_weight", "--min-weight"}, {"gate_max_iter", "--gate-max-iter"},
    {"tau_mode", "--tau-mode"}, {"replicates", "--bootstrap"}, {"type", "--bootstrap-type"},
    {"grad_tol", "--grad-tol"}, {"spurious_rows", "--spurious-rows"},
    {"spurious_ratio", "--spurious-ratio"},
};

int cli_option_error(const char *field, const gmoe_err *err)
{
    const char *msg = err && err->msg[0] ? err->msg : "is not valid";
    for (size_t i = 0; field && i < sizeof field_flags / sizeof *field_flags; i++)
        if (strcmp(field, field_flags[i].field) == 0)
            return cli_usage_error("%s: %s", field_flags[i].flag, msg);
    /* a field without a flag: the library's own name for it */
    return cli_usage_error("%s %s", field ? field : "an option", msg);
}

int cli_em_check(const gmoe_em_options *em)
{
    gmoe_err err;
    const char *field = NULL;
    gmoe_err_clear(&err);
    int st = gmoe_em_options_validate(em, &field, &err);
    return st == GMOE_OK ? CLI_EXIT_OK : cli_option_error(field, &err);
}

void cli_family_help(FILE *out)
{
    char families[256];
    gmoe_family_list(0, "", ", ", " or ", families, sizeof families);
    fprintf(out, "Gating family (see gmoe-models(7)):\n"
                 "      --gating FAMILY     %s\n"
                 "                          (default %s)\n",
            families, gmoe_family_name(GMOE_FAMILY_DEFAULT));
    fputs("      --top-k K           topk: experts kept per row (default: k)\n"
          "      --select RULE       topk: rank experts by 'slope' (beta1'x, default) or\n"
          "                          'logit' (beta0 + beta1'x)\n"
          "      --tau T             temperature, activation: temperature > 0 (default 1)\n"
          "      --tau-mode MODE     temperature, activation: 'fixed' (default) or 'estimate'\n"
          "      --activation F      activation: tanh (default), sigmoid, arctan, softsign\n"
          "      --bias PLACE        activation: beta0 'outside' (default) or 'inside' act/tau\n",
          out);
}

void cli_em_help(FILE *out)
{
    gmoe_em_options d;
    gmoe_em_options_default(&d);
    fprintf(out,
            "EM options:\n"
            "      --restarts R        random starts, the best kept; 0 (default): %d, more\n"
            "                          on fewer than %d rows, up to %d; 1 with --init\n"
            "      --seed S            master seed of the restarts (default %llu)\n"
            "      --tol T             stopping tolerance (default or 0: 1e-8 per-obs, 1e-6\n"
            "                          otherwise)\n"
            "      --tol-rule RULE     per-obs: |dL|/n <= T (default); relative: |dL|/|L| <= T\n"
            "                          (the published runs); absolute: |dL| <= T\n"
            "      --max-iter N        EM iterations per start (default %zu)\n"
            "      --accel A           squarem (default) or none (plain EM)\n"
            "      --accel-warmup N    plain EM iterations before SQUAREM starts (default %zu)\n"
            "      --var-floor F       variances >= F * var(y) (default %g)\n"
            "      --min-weight W      an expert with total responsibility < W keeps its\n"
            "                          parameters for that iteration (default d + 2)\n"
            "      --gate-max-iter N   Newton iterations of the gate M-step (default %zu)\n"
            "      --spurious-rows M   with --spurious-ratio R: an expert with fewer than\n"
            "                          M (d + 2) rows' worth of data and a variance below R\n"
            "                          times the pooled variance is spurious (a spike); runs\n"
            "                          with one rank after every run without (defaults\n"
            "                          %g and %g; 0 turns the rule off)\n"
            "      --spurious-ratio R  (see --spurious-rows)\n"
            "      --threads N         OpenMP threads (0, the default: all cores), at most\n"
            "                          one per 8192 rows; results do not depend on it; idle\n"
            "                          threads sleep unless OMP_WAIT_POLICY or\n"
            "                          GOMP_SPINCOUNT is set\n",
            GMOE_AUTO_STARTS, GMOE_AUTO_START_ROWS / GMOE_AUTO_STARTS, GMOE_SMALL_DATA_STARTS,
            (unsigned long long)d.seed, d.max_iter, d.accel_warmup, d.var_floor, d.gate_max_iter,
            d.spurious_rows, d.spurious_ratio);
}

void cli_exit_help(FILE *out)
{
    fputs("Exit status: 0 success; 2 bad usage or option value; 3 input file unreadable,\n"
          "malformed or unusable; 4 estimation failed; 5 output could not be written.\n",
          out);
}

/* ------------------------------------------------------------ input */

int cli_read_data(const char *path, const char *yname, const char *const *xnames, size_t nx,
                  int y_optional, gmoe_data **out)
{
    gmoe_err err;
    gmoe_table *t = NULL;
    gmoe_err_clear(&err);
    int st = gmoe_table_read(path, &t, &err);
    if (st == GMOE_OK)
        st = gmoe_data_from_table(t, yname, xnames, nx, y_optional, out, &err);
    gmoe_table_free(t);
    return st == GMOE_OK ? CLI_EXIT_OK : cli_fail(st, &err, CLI_STAGE_INPUT, NULL);
}

int cli_read_model(const char *opt, const char *path, gmoe_model **out)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    int st = gmoe_model_read(path, out, &err);
    return st == GMOE_OK ? CLI_EXIT_OK : cli_fail(st, &err, CLI_STAGE_INPUT, opt);
}

char **cli_model_xnames(const gmoe_model *m)
{
    char **names = calloc(m->d + 1, sizeof *names); /* d may be 0 (--gate-x) */
    if (!names)
        return NULL;
    for (size_t j = 0; j < m->d; j++) {
        char tmp[32];
        const char *s = m->xnames && m->xnames[j] ? m->xnames[j] : tmp;
        snprintf(tmp, sizeof tmp, "x%zu", j + 1);
        if (!(names[j] = malloc(strlen(s) + 1))) {
            cli_free_list(names, m->d);
            return NULL;
        }
        strcpy(names[j], s);
    }
    return names;
}

int cli_model_set_columns(gmoe_model *m, const gmoe_data *data)
{
    int gs = gmoe_model_set_names(m, (const char *const *)data->xnames, data->yname);
    if (gs == GMOE_OK && m->gate_own)
        gs = gmoe_model_set_gate_names(m, (const char *const *)data->gxnames);
    if (gs == GMOE_OK)
        gs = gmoe_model_set_factors(m, data->factors, data->nfactors);
    return gs;
}

const char *cli_model_yname(const gmoe_model *m)
{
    return m->yname ? m->yname : "y";
}

int cli_read_model_xnames(const char *opt, const char *path, gmoe_model **m, char ***xnames)
{
    *xnames = NULL;
    int st = cli_read_model(opt, path, m);
    if (st)
        return st;
    if (!(*xnames = cli_model_xnames(*m))) {
        cli_error("out of memory");
        gmoe_model_free(*m);
        *m = NULL;
        return CLI_EXIT_ESTIMATION;
    }
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------ output */

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int w = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)w < room) {
            b->len += (size_t)w;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len <= (size_t)w)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

void cli_buf_csv_field(cli_buf *b, const char *text)
{
    if (!strpbrk(text, ",\"\r\n") && text[0] != ' ' && text[0] != '\t') {
        cli_buf_printf(b, "%s", text);
        return;
    }
    cli_buf_printf(b, "\"");
    for (const char *p = text; *p; p++)
        cli_buf_printf(b, *p == '"' ? "\"\"" : "%c", *p);
    cli_buf_printf(b, "\"");
}

void cli_buf_number(cli_buf *b, double v)
{
    cli_buf_printf(b, "%.17g", v);
}

void cli_buf_free(cli_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

int cli_write_output(const char *path, const cli_buf *b)
{
    if (b->failed) {
        cli_error("out of memory building the output");
        return CLI_EXIT_ESTIMATION;
    }
    gmoe_err err;
    gmoe_err_clear(&err);
    int st = gmoe_io_write_atomic(path ? path : "-", b->s ? b->s : "", b->len, &err);
    return st == GMOE_OK ? CLI_EXIT_OK : cli_fail(st, &err, CLI_STAGE_OUTPUT, NULL);
}
