/* mixrate.c -- convergence-rate experiments: fit a model to samples of
 * growing size N drawn from a true model and measure how fast the Voronoi
 * loss falls (mixrate(1); shared MODELS.md section 3).  The experiment
 * engine is in libgmoe (gmoe_rate_*); this file parses the options and
 * keeps the output directory (rate_files.c). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gmoe.h"
#include "loss_options.h"
#include "mpi_rate.h"
#include "mpi_session.h"
#include "rate_files.h"
#include "rate_lock.h"
#include "rate_pending.h"
#include "rate_report.h"
#include "rate_rerun.h"

enum {
    OPT_TRUTH = CLI_OPT_PROGRAM,
    OPT_GRID,
    OPT_RANGE,
    OPT_SPACING,
    OPT_PRESET,
    OPT_REPLICATES,
    OPT_DESIGN,
    OPT_INIT,
    OPT_LOSS,
    OPT_RBAR,
    OPT_NO_TRANSLATE
};

/* The shared EM paragraph without --restarts, --seed and --threads, which
 * mixrate has with other meanings and defaults (above): its lines and
 * their continuation lines (indented deeper) are left out. */
static void em_help_without_own(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return;
    cli_em_help(mem);
    if (fclose(mem) != 0) {
        free(text);
        return;
    }
    int skipping = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t indent = strspn(line, " ");
        if (strncmp(line + indent, "--restarts", 10) == 0 || strncmp(line + indent, "--seed", 6) == 0 ||
            strncmp(line + indent, "--threads", 9) == 0)
            skipping = 1;
        else if (indent < 10)
            skipping = 0;
        if (!skipping)
            printf("%s\n", line);
    }
    free(text);
}

static void help(void)
{
    printf("Usage: mixrate --truth TRUE.json -O OUTDIR [grid] [options]\n"
           "       mixrate --same-as DIR -O NEWDIR   (the run recorded in DIR/run.json again)\n"
           "Convergence-rate experiment: for each sample size N and replicate, simulate N rows\n"
           "from the true model, fit k experts, and record the Voronoi loss against the truth;\n"
           "then the slope of log(mean loss) against log N with its 95%% CI, and a plot.\n"
           "A rerun with the same arguments resumes an interrupted run (see mixrate(1)).\n"
           "Under mpirun (a build configured --with-mpi) the cells are shared out over the ranks,\n"
           "each running one cell per thread; rank 0 writes OUTDIR (mixrate(1), Over MPI ranks).\n\n"
           "  --truth FILE         the true model (JSON model file); required\n"
           "  -O, --outdir DIR     output directory (created); required\n"
           "  -k K                 fitted experts, >= k* (default k* of the truth)\n"
           "Sample sizes (exactly one of):\n"
           "  --grid N1,N2,...     explicit list, strictly increasing\n"
           "  --range LO:HI:COUNT  COUNT sizes from LO to HI, spaced by --spacing\n"
           "  --spacing lin|log    spacing of --range (default lin)\n"
           "  --preset NAME        reference-exact (200 sizes, 100..100000) or\n"
           "                       reference-over (10 sizes, 10000..100000)\n"
           "Experiment:\n"
           "  --replicates R       replicates per N (default 40)\n"
           "  --design D           grid (x evenly spaced on [0, 1], default), uniform\n"
           "                       (U(0, 1)) or normal (N(0, 1))\n"
           "  --init I             near-truth (default; MODELS.md section 3) or random\n"
           "  --restarts R         starts per fit, the best kept (default 1 near-truth,\n"
           "                       10 random); each near-truth start draws its own noise\n"
           "  --seed S             master seed (default 1); cell seeds derive from (S, N, rep)\n"
           "  --threads T          replicates run in parallel on T threads (0 = all,\n"
           "                       default); each fit is single-threaded; results do not\n"
           "                       depend on T\n"
           "Loss (see mixloss(1)):\n"
           "  --loss auto|D1|D2    default auto: D1 if k = k*, D2 if k > k*\n"
           "  --rbar C=R[,C=R..]   exponents for D2 cells of C atoms (defaults 2=4, 3=6)\n"
           "  --no-translate       use the loss without the gate translation\n"
           "  --help, --version\n\n");
    cli_family_help(stdout);
    printf("  (default: the truth's family and options; --gating must match the truth)\n\n");
    em_help_without_own();
    printf("\nFiles in OUTDIR: run.json (settings), results.csv (one row per N and replicate),\n"
           "summary.csv (mean, median and their 95%% intervals per N), slope.txt, plot.gp and\n"
           "plot.png; a lock file while a run writes the directory (a second run is refused).\n"
           "A cell whose fit or loss fails on its data is recorded (status column) and\n"
           "the run goes on; the exit status is 4 only if every cell failed.\n\n");
    cli_exit_help(stdout);
}

static int init_from_name(const char *s)
{
    if (strcmp(s, "near-truth") == 0)
        return GMOE_RATE_INIT_NEAR_TRUTH;
    if (strcmp(s, "random") == 0)
        return GMOE_RATE_INIT_RANDOM;
    return -1;
}

static int spacing_from_name(const char *s)
{
    return strcmp(s, "lin") == 0 ? 0 : strcmp(s, "log") == 0 ? 1 : -1;
}

/* "LO:HI:COUNT". */
static int parse_range(const char *text, double *lo, double *hi, size_t *count)
{
    const char *c1 = strchr(text, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2)
        return cli_usage_error("--range: \"%s\" is not LO:HI:COUNT", text);
    char a[64], b[64];
    size_t la = (size_t)(c1 - text), lb = (size_t)(c2 - c1 - 1);
    if (la >= sizeof a || lb >= sizeof b)
        return cli_usage_error("--range: \"%s\" is not LO:HI:COUNT", text);
    memcpy(a, text, la);
    a[la] = '\0';
    memcpy(b, c1 + 1, lb);
    b[lb] = '\0';
    int st;
    if ((st = cli_parse_double("--range", a, lo)) || (st = cli_parse_double("--range", b, hi)) ||
        (st = cli_parse_size("--range", c2 + 1, 1, 1000000, count)))
        return st;
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------ run state */

/* Progress on stderr: redrawn in place on a terminal that knows escape
 * codes, else (TERM=dumb, a file or a pipe) a plain line at each tenth of
 * the cells (at most one in 2 seconds). */
typedef enum { PROGRESS_REDRAW, PROGRESS_LINES } progress_mode;

typedef struct {
    FILE *out;               /* results.csv, appended */
    const char *path;
    rate_pending *pending;   /* rows of cells finished ahead of their turn */
    const size_t *todo;      /* todo[i]: the cell of this run's i-th cell */
    const size_t *n, *rep;   /* all cells, in results.csv's order */
    int has_tau;
    size_t first, total;     /* cells done before this run, all cells */
    size_t delivered;
    int write_failed, pending_failed;
    progress_mode progress;
    size_t next_line;        /* PROGRESS_LINES: cells done at the next line */
    double start, last_shown;
    char row[16384];
} run_ctx;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static progress_mode progress_mode_of_stderr(void)
{
    const char *term = getenv("TERM");
    return isatty(STDERR_FILENO) && term && *term && strcmp(term, "dumb") != 0 ? PROGRESS_REDRAW : PROGRESS_LINES;
}

static void show_progress(run_ctx *r, size_t n, size_t rep)
{
    double t = now();
    size_t done = r->first + r->delivered, fresh = r->delivered;
    if (r->progress == PROGRESS_REDRAW ? t - r->last_shown < 0.25 : done < r->next_line || t - r->last_shown < 2)
        return;
    r->last_shown = t;
    r->next_line = done + (r->total + 9) / 10;
    double el = t - r->start;
    double left = fresh ? el / (double)fresh * (double)(r->total - done) : 0;
    fprintf(stderr, "%smixrate: %zu/%zu cells", r->progress == PROGRESS_REDRAW ? "\r\033[K" : "", done, r->total);
    fprintf(stderr, " (N = %zu, replicate %zu)", n, rep + 1);
    fprintf(stderr, ", %.0fs elapsed", el);
    if (fresh && done < r->total)
        fprintf(stderr, ", about %.0fs left", left);
    if (r->progress == PROGRESS_LINES)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Writes cell c's row to results.csv (cells in order): one whole line,
 * flushed, so an interrupted run leaves whole lines (a cut last line is
 * dropped on resume). */
static int write_row(void *ctx, size_t c, const char *row, size_t len)
{
    (void)c;
    run_ctx *r = ctx;
    if (fwrite(row, 1, len, r->out) != len || fflush(r->out) != 0) {
        r->write_failed = errno ? errno : EIO;
        return 1;
    }
    return 0;
}

/* A finished cell (this run's i-th), in any order: its row goes to
 * results.csv in turn or waits in pending.csv. */
static int arrive(void *ctx, size_t i, const char *row, size_t len, int status, const char *message)
{
    run_ctx *r = ctx;
    size_t c = r->todo[i];
    errno = 0;
    if (len == 0 || rate_pending_put(r->pending, c, row, len, write_row, r) != 0) {
        if (!r->write_failed)
            r->pending_failed = errno ? errno : EIO;
        return 1;
    }
    r->delivered++;
    if (status != GMOE_OK) {
        if (r->progress == PROGRESS_REDRAW)
            fputs("\r\033[K", stderr);
        cli_warn("N = %zu, replicate %zu failed (%s): %s; recorded in %s, the run goes on", r->n[c],
                 r->rep[c] + 1, gmoe_strerror(status), message, r->path);
    }
    show_progress(r, r->n[c], r->rep[c]);
    return 0;
}

/* Called by the library in this run's order. */
static int deliver(void *ctx, size_t i, const gmoe_rate_cell *cell)
{
    run_ctx *r = ctx;
    size_t len = rate_results_row(r->row, sizeof r->row, cell, r->has_tau);
    return arrive(ctx, i, r->row, len, cell->status, cell->message);
}

/* ------------------------------------------------------------ settings */

/* The softmax theory's rates (MODELS.md section 2) are proven for the
 * gates without a temperature (softmax, top-K); the temperature and
 * activation gates have none for the loss. */
static int has_softmax_theory(gmoe_family f)
{
    return !gmoe_family_has_tau(f);
}

static json_t *json_from_text(const char *text)
{
    json_error_t je;
    return text ? json_loads(text, 0, &je) : NULL;
}

/* Everything the results depend on (not --threads, not the paths). */
static json_t *make_settings(const gmoe_model *truth, const gmoe_model *shape, const size_t *grid, size_t ngrid,
                             size_t replicates, const gmoe_rate_options *o)
{
    json_t *s = json_object();
    char *tj = gmoe_model_to_json(truth, NULL);
    json_t *tm = json_from_text(tj);
    free(tj);
    json_object_del(tm, "fit");
    json_object_set_new(s, "truth", tm ? tm : json_null());
    json_t *fam = json_object();
    json_object_set_new(fam, "family", json_string(gmoe_family_name(shape->family)));
    json_object_set_new(fam, "k", json_integer((json_int_t)shape->k));
    unsigned fo = gmoe_family_options(shape->family);
    if (fo & GMOE_FAMILY_OPT_TOP_K)
        json_object_set_new(fam, "top_k", json_integer((json_int_t)shape->top_k));
    if (fo & GMOE_FAMILY_OPT_SELECT)
        json_object_set_new(fam, "select", json_string(gmoe_select_name(shape->select)));
    if (gmoe_family_has_tau(shape->family)) {
        json_object_set_new(fam, "tau", json_real(shape->tau));
        json_object_set_new(fam, "tau_mode", json_string(gmoe_tau_mode_name(o->em.tau_mode)));
    }
    if (fo & GMOE_FAMILY_OPT_ACTIVATION)
        json_object_set_new(fam, "activation", json_string(gmoe_activation_name(shape->act)));
    if (fo & GMOE_FAMILY_OPT_BIAS)
        json_object_set_new(fam, "bias", json_string(gmoe_bias_name(shape->bias)));
    json_object_set_new(s, "fit", fam);
    json_t *g = json_array();
    for (size_t i = 0; i < ngrid; i++)
        json_array_append_new(g, json_integer((json_int_t)grid[i]));
    json_object_set_new(s, "grid", g);
    json_object_set_new(s, "replicates", json_integer((json_int_t)replicates));
    json_object_set_new(s, "seed", json_integer((json_int_t)o->em.seed));
    json_object_set_new(s, "design", json_string(gmoe_design_name(o->design)));
    json_object_set_new(s, "init", json_string(o->init == GMOE_RATE_INIT_RANDOM ? "random" : "near-truth"));
    json_t *em = json_object();
    json_object_set_new(em, "restarts", json_integer((json_int_t)o->em.restarts));
    json_object_set_new(em, "tol", json_real(o->em.tol));
    json_object_set_new(em, "tol_rule", json_string(gmoe_tol_rule_name(o->em.tol_rule)));
    json_object_set_new(em, "max_iter", json_integer((json_int_t)o->em.max_iter));
    json_object_set_new(em, "accel", json_string(gmoe_accel_name(o->em.accel)));
    json_object_set_new(em, "accel_warmup", json_integer((json_int_t)o->em.accel_warmup));
    json_object_set_new(em, "screen_iter", json_integer((json_int_t)o->em.screen_iter));
    json_object_set_new(em, "var_floor", json_real(o->em.var_floor));
    json_object_set_new(em, "min_weight", json_real(o->em.min_weight));
    json_object_set_new(em, "gate_max_iter", json_integer((json_int_t)o->em.gate_max_iter));
    json_object_set_new(s, "em", em);
    json_t *loss = json_object();
    json_object_set_new(loss, "kind", json_string(gmoe_loss_kind_name(o->loss.kind)));
    json_object_set_new(loss, "translate", json_boolean(o->loss.translate));
    json_t *rb = json_object();
    for (size_t c = 2; c < GMOE_RBAR_MAX; c++)
        if (o->loss.rbar[c] > 0) {
            char key[8];
            snprintf(key, sizeof key, "%zu", c);
            json_object_set_new(rb, key, json_real(o->loss.rbar[c]));
        }
    json_object_set_new(loss, "rbar", rb);
    json_object_set_new(s, "loss", loss);
    json_object_set_new(s, "library", json_string(gmoe_version()));
    return s;
}


/* ------------------------------------------------------------ options */

typedef struct {
    const char *truth_path, *outdir, *grid_list, *range, *preset;
    size_t k, replicates;
    int spacing, spacing_set;
    cli_family fam;
    cli_em cem;
    gmoe_rate_options ro;
} options;

static int parse_option(int c, options *o, char **argv)
{
    int v, st = CLI_EXIT_OK;
    switch (c) {
    case OPT_TRUTH: o->truth_path = optarg; break;
    case 'O': o->outdir = optarg; break;
    case 'k':
        st = cli_parse_size("-k", optarg, 0, SIZE_MAX, &o->k);
        st = st ? st : cli_k_check("-k", o->k);
        break;
    case OPT_GRID: o->grid_list = optarg; break;
    case OPT_RANGE: o->range = optarg; break;
    case OPT_PRESET: o->preset = optarg; break;
    case OPT_SPACING:
        st = cli_parse_choice("--spacing", optarg, spacing_from_name, "lin, log", &o->spacing);
        o->spacing_set = 1;
        break;
    case OPT_REPLICATES: st = cli_parse_size("--replicates", optarg, 1, 1000000, &o->replicates); break;
    case OPT_DESIGN:
        st = cli_parse_choice("--design", optarg, gmoe_design_from_name, "grid, uniform, normal", &v);
        o->ro.design = (gmoe_design)v;
        break;
    case OPT_INIT:
        st = cli_parse_choice("--init", optarg, init_from_name, "near-truth, random", &v);
        o->ro.init = (gmoe_rate_init)v;
        break;
    case OPT_LOSS: st = loss_parse_kind(optarg, &o->ro.loss); break;
    case OPT_RBAR: st = loss_parse_rbar(optarg, &o->ro.loss); break;
    case OPT_NO_TRANSLATE: o->ro.loss.translate = 0; break;
    default: st = cli_standard_option(c, help, argv); break;
    }
    return st;
}

/* Returns 0 to run, an exit code, or -1 after --help or --version. */
static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"outdir", required_argument, NULL, 'O'},
        {"grid", required_argument, NULL, OPT_GRID},
        {"range", required_argument, NULL, OPT_RANGE},
        {"spacing", required_argument, NULL, OPT_SPACING},
        {"preset", required_argument, NULL, OPT_PRESET},
        {"replicates", required_argument, NULL, OPT_REPLICATES},
        {"design", required_argument, NULL, OPT_DESIGN},
        {"init", required_argument, NULL, OPT_INIT},
        {"loss", required_argument, NULL, OPT_LOSS},
        {"rbar", required_argument, NULL, OPT_RBAR},
        {"no-translate", no_argument, NULL, OPT_NO_TRANSLATE},
        CLI_STANDARD_LONG_OPTIONS,
        CLI_FAMILY_LONG_OPTIONS,
        CLI_EM_LONG_OPTIONS,
        {NULL, 0, NULL, 0}};
    int c, st = CLI_EXIT_OK;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:O:h", longopts, NULL)) != -1) {
        if (cli_family_option(c, optarg, &o->fam, &st) || cli_em_option(c, optarg, &o->cem, &st)) {
            if (st)
                return st;
            continue;
        }
        if ((st = parse_option(c, o, argv)))
            return st;
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!o->truth_path)
        return cli_usage_error("--truth FILE is required");
    if (!o->outdir)
        return cli_usage_error("-O OUTDIR is required");
    if (!!o->grid_list + !!o->range + !!o->preset != 1)
        return cli_usage_error("give the sample sizes with exactly one of --grid, --range and --preset");
    if (o->spacing_set && !o->range)
        return cli_usage_error("--spacing applies to --range only");
    if (o->cem.em.max_iter < 1)
        return cli_usage_error("--max-iter: must be >= 1 in mixrate");
    return CLI_EXIT_OK;
}

/* The sample sizes of --grid, --range or --preset. */
static int make_grid(const options *o, size_t **grid, size_t *ngrid)
{
    gmoe_err err;
    gmoe_err_clear(&err);
    int gs, st;
    const char *gopt = o->grid_list ? "--grid" : o->range ? "--range" : "--preset";
    if (o->grid_list) {
        gs = gmoe_rate_grid_list(o->grid_list, grid, ngrid, &err);
    } else if (o->range) {
        double lo, hi;
        size_t count;
        if ((st = parse_range(o->range, &lo, &hi, &count)))
            return st;
        gs = gmoe_rate_grid_range(lo, hi, count, o->spacing, grid, ngrid, &err);
    } else {
        gs = gmoe_rate_grid_preset(o->preset, grid, ngrid, &err);
    }
    if (gs)
        return gs == GMOE_ENOMEM ? cli_fail(gs, &err, CLI_STAGE_COMPUTE, NULL) : cli_usage_error("%s: %s", gopt, err.msg);
    return CLI_EXIT_OK;
}

/* The fitted model's shape (the truth's family options unless overridden)
 * and the EM options of the cells, into o->ro. */
static int make_shape(options *o, const gmoe_model *truth, gmoe_model **shape)
{
    int st;
    /* the rate experiments' losses pair the gate's and the experts' slopes
       on the same covariates (MODELS.md section 2) */
    if (truth->gate_own) {
        cli_error("--truth %s: the gate has covariates of its own (gate_d); the rate experiments "
                  "(Voronoi losses, a design of the experts' covariates) need a gate on the "
                  "experts' covariates", o->truth_path);
        return CLI_EXIT_INPUT;
    }
    if (o->fam.set_family && o->fam.family != truth->family)
        return cli_usage_error("--gating %s: the true model is %s (the fit must be of the truth's family)",
                               gmoe_family_name(o->fam.family), gmoe_family_name(truth->family));
    if (o->k == 0)
        o->k = truth->k;
    if (o->k < truth->k && o->ro.init == GMOE_RATE_INIT_NEAR_TRUTH)
        return cli_usage_error("-k %zu: near-truth starts need k >= k* = %zu", o->k, truth->k);
    if (!(*shape = gmoe_model_alloc(truth->family, o->k, truth->d)))
        return cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
    gmoe_model_copy_options(*shape, truth);
    if ((*shape)->top_k > o->k)
        (*shape)->top_k = o->k;
    if ((st = cli_family_apply(&o->fam, &o->cem, *shape)))
        return st;
    o->ro.shape = *shape;
    o->ro.em = o->cem.em;
    if (!o->cem.set_restarts)
        o->ro.em.restarts = o->ro.init == GMOE_RATE_INIT_NEAR_TRUTH ? 1 : 10;
    return cli_em_check(&o->ro.em);
}

/* ------------------------------------------------------------ the run */

typedef struct {
    size_t *n, *rep;   /* cell c is (n[c], rep[c]), in (N, replicate) order */
    size_t count;
} cell_list;

static int make_cells(const size_t *grid, size_t ngrid, size_t replicates, cell_list *cells)
{
    cells->count = ngrid * replicates;
    cells->n = malloc(cells->count * sizeof *cells->n);
    cells->rep = malloc(cells->count * sizeof *cells->rep);
    if (!cells->n || !cells->rep)
        return cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
    for (size_t g = 0; g < ngrid; g++)
        for (size_t r = 0; r < replicates; r++) {
            cells->n[g * replicates + r] = grid[g];
            cells->rep[g * replicates + r] = r;
        }
    return CLI_EXIT_OK;
}

/* Prepares the locked OUTDIR for this run: a new run, or one with the same
 * settings to resume (run.json compared, a cut last row of results.csv
 * dropped).  Writes run.json for a new run and the header of a new
 * results.csv; *out is results.csv open for appending and *done the cells
 * already in it. */
static int open_results(const char *outdir, json_t *settings, const char *header, const cell_list *cells,
                        int argc, char **argv, FILE **out, size_t *done, int *fresh)
{
    char *run_json = rate_path(outdir, "run.json"), *results = rate_path(outdir, "results.csv");
    int st = CLI_EXIT_OK, have_run = 0, have_results = 0;
    if (!run_json || !results) {
        st = cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
        goto done;
    }
    /* Settings matter only when there are results to resume: a directory
     * with run.json and summaries but no results.csv (a results page
     * without its rows) is simply run again. */
    int have_csv = access(results, F_OK) == 0;
    if (have_csv && (st = rate_check_run_json(run_json, settings, &have_run)))
        goto done;
    if (have_csv && !have_run) {
        cli_error("%s exists without run.json: not a mixrate run; use another -O directory", results);
        st = CLI_EXIT_USAGE;
        goto done;
    }
    if ((st = rate_resume_results(results, header, cells->n, cells->rep, cells->count, done, &have_results)) ||
        (!have_run && (st = rate_write_run_json(run_json, settings, argc, argv))))
        goto done;
    if (!(*out = fopen(results, have_results ? "a" : "w")) ||
        (!have_results && (fprintf(*out, "%s\n", header) < 0 || fflush(*out) != 0))) {
        cli_error("%s: %s", results, strerror(errno));
        st = CLI_EXIT_OUTPUT;
        goto done;
    }
    *fresh = !have_results;
    if (*done > 0)
        fprintf(stderr, "mixrate: resuming: %zu of %zu cells already in %s\n", *done, cells->count, results);
done:
    free(run_json);
    free(results);
    return st;
}

/* The cells of this run: those neither in results.csv nor in
 * pending.csv, as positions into the cell list (todo) and as (n, rep). */
static int make_todo(const cell_list *cells, const rate_pending *p, size_t **todo, size_t **n, size_t **rep,
                     size_t *count)
{
    size_t m = cells->count ? cells->count : 1;
    *todo = malloc(m * sizeof **todo);
    *n = malloc(m * sizeof **n);
    *rep = malloc(m * sizeof **rep);
    if (!*todo || !*n || !*rep)
        return cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
    *count = 0;
    for (size_t c = 0; c < cells->count; c++)
        if (!rate_pending_finished(p, c)) {
            (*todo)[*count] = c;
            (*n)[*count] = cells->n[c];
            (*rep)[(*count)++] = cells->rep[c];
        }
    return CLI_EXIT_OK;
}

/* Runs the todo cells, on this process's threads or over the MPI ranks. */
static int run_todo(const options *o, const gmoe_model *truth, const size_t *n, const size_t *rep, size_t count,
                    run_ctx *rc, gmoe_err *err)
{
    if (mpi_size() > 1) {
        mpi_give_start(1);
        return mpi_rate_lead(truth, &o->ro, o->ro.em.seed, n, rep, count, o->cem.em.nthreads, arrive, rc, err);
    }
    return gmoe_rate_run_cells(truth, &o->ro, o->ro.em.seed, n, rep, count, o->cem.em.nthreads, deliver, rc, err);
}

/* Runs the cells not yet in results.csv (nor in pending.csv), appending
 * their rows in order. */
static int compute(const options *o, const gmoe_model *truth, const cell_list *cells, size_t done, int fresh,
                   FILE *out, const char *outdir)
{
    static run_ctx rc; /* large row buffer: not on the stack */
    char *results = rate_path(outdir, "results.csv");
    size_t *todo = NULL, *tn = NULL, *trep = NULL, ntodo = 0;
    gmoe_err err;
    gmoe_err_clear(&err);
    if (!results)
        return cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
    memset(&rc, 0, sizeof rc);
    rc.out = out;
    rc.path = results;
    rc.n = cells->n;
    rc.rep = cells->rep;
    rc.has_tau = gmoe_family_has_tau(truth->family);
    rc.total = cells->count;
    rc.progress = progress_mode_of_stderr();
    int st = rate_pending_open(outdir, cells->n, cells->rep, cells->count, done, fresh, &rc.pending), rs = GMOE_OK;
    if (st == CLI_EXIT_OK && rate_pending_count(rc.pending) > done)
        fprintf(stderr, "mixrate: resuming: %zu more finished cells in %s/pending.csv\n",
                rate_pending_count(rc.pending) - done, outdir);
    if (st == CLI_EXIT_OK && rate_pending_put(rc.pending, (size_t)-1, NULL, 0, write_row, &rc) != 0)
        rc.pending_failed = errno ? errno : EIO;
    if (st == CLI_EXIT_OK && !rc.write_failed && !rc.pending_failed &&
        (st = make_todo(cells, rc.pending, &todo, &tn, &trep, &ntodo)) == CLI_EXIT_OK) {
        rc.todo = todo;
        rc.first = rc.next_line = rate_pending_count(rc.pending);
        rc.start = rc.last_shown = now();
        rs = run_todo(o, truth, tn, trep, ntodo, &rc, &err);
    }
    if (rc.progress == PROGRESS_REDRAW && rc.delivered > 0)
        fputc('\n', stderr);
    if (rate_pending_close(rc.pending) != 0 && !rc.pending_failed)
        rc.pending_failed = errno ? errno : EIO;
    if (st == CLI_EXIT_OK && (rc.write_failed || rc.pending_failed)) {
        cli_error("%s/%s: cannot write: %s", outdir, rc.write_failed ? "results.csv" : "pending.csv",
                  strerror(rc.write_failed ? rc.write_failed : rc.pending_failed));
        st = CLI_EXIT_OUTPUT;
    } else if (st == CLI_EXIT_OK && rs) {
        st = cli_fail(rs, &err, CLI_STAGE_COMPUTE, NULL);
    }
    free(todo);
    free(tn);
    free(trep);
    free(results);
    return st;
}

/* The reports, and a closing line naming the directory and the slopes. */
static int report(const options *o, const gmoe_model *truth, const char *kind)
{
    char title[256];
    snprintf(title, sizeof title, "%s, k = %zu fitted, k* = %zu true, %s design, %s start%s",
             gmoe_family_name(truth->family), o->k, truth->k, gmoe_design_name(o->ro.design),
             o->ro.init == GMOE_RATE_INIT_RANDOM ? "random" : "near-truth",
             o->ro.loss.translate ? "" : ", untranslated loss");
    rate_report_info info = {truth->k, gmoe_family_has_tau(truth->family), kind, title, o->replicates,
                             o->k > truth->k, has_softmax_theory(truth->family)};
    rate_report_slopes sl;
    int st = rate_write_reports(o->outdir, &info, &sl);
    if (st == CLI_EXIT_OK && sl.have[0] && sl.have[1])
        fprintf(stderr, "mixrate: results in %s; %s slope of the mean %.3f [%.3f, %.3f], of the median %.3f "
                        "[%.3f, %.3f] (slope.txt, plot.png)\n",
                o->outdir, kind, sl.fit[0].slope, sl.fit[0].lo, sl.fit[0].hi, sl.fit[1].slope, sl.fit[1].lo,
                sl.fit[1].hi);
    else if (st == CLI_EXIT_OK)
        fprintf(stderr, "mixrate: results in %s (no slope)\n", o->outdir);
    return st;
}

static int run(options *o, int argc, char **argv)
{
    size_t *grid = NULL, ngrid = 0, done = 0;
    gmoe_model *truth = NULL, *shape = NULL;
    cell_list cells = {0};
    char *header = NULL;
    json_t *settings = NULL;
    FILE *out = NULL;
    int lock = -1, fresh = 0, st;
    if ((st = make_grid(o, &grid, &ngrid)) || (st = cli_read_model("--truth", o->truth_path, &truth)) ||
        (st = make_shape(o, truth, &shape)) || (st = make_cells(grid, ngrid, o->replicates, &cells)))
        goto done;
    const char *kind = o->ro.loss.kind == GMOE_LOSS_D2 || (o->ro.loss.kind == GMOE_LOSS_AUTO && o->k > truth->k)
                           ? "D2" : "D1";
    header = rate_results_header(truth->k, gmoe_family_has_tau(truth->family));
    settings = make_settings(truth, shape, grid, ngrid, o->replicates, &o->ro);
    if (!header || !settings) {
        st = cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
        goto done;
    }
    if (mkdir(o->outdir, 0777) != 0 && errno != EEXIST) {
        cli_error("-O %s: cannot create the directory: %s", o->outdir, strerror(errno));
        st = CLI_EXIT_OUTPUT;
        goto done;
    }
    if ((lock = rate_lock_take(o->outdir)) < 0) {
        st = CLI_EXIT_OUTPUT;
        goto done;
    }
    if ((st = open_results(o->outdir, settings, header, &cells, argc, argv, &out, &done, &fresh)) ||
        (st = compute(o, truth, &cells, done, fresh, out, o->outdir)))
        goto done;
    int closed = fclose(out);
    out = NULL;
    if (closed != 0) {
        cli_error("%s/results.csv: cannot write: %s", o->outdir, strerror(errno));
        st = CLI_EXIT_OUTPUT;
        goto done;
    }
    st = report(o, truth, kind);
done:
    if (out)
        fclose(out);
    rate_lock_release(o->outdir, lock);
    json_decref(settings);
    free(header);
    free(cells.n);
    free(cells.rep);
    free(grid);
    gmoe_model_free(shape);
    gmoe_model_free(truth);
    return st;
}

/* The options of the command line, or of the run recorded in
 * --same-as DIR's run.json (*rerun_argc and *rerun_argv, to free). */
static int parse_command(int *argc, char ***argv, options *o, int *rerun_argc, char ***rerun_argv)
{
    memset(o, 0, sizeof *o);
    o->replicates = 40;
    cli_family_default(&o->fam);
    cli_em_default(&o->cem);
    gmoe_rate_options_default(&o->ro);
    int st = CLI_EXIT_OK;
    if (rate_rerun_requested(*argc, *argv)) {
        /* The recorded command again, with its truth and a new OUTDIR. */
        st = rate_rerun_args(*argc, *argv, rerun_argc, rerun_argv);
        *argc = *rerun_argc;
        *argv = *rerun_argv;
    }
    return st == CLI_EXIT_OK ? parse_args(*argc, *argv, o) : st;
}

/* Ranks 1..P-1 of a run over MPI: once rank 0 has checked the command
 * line and prepared OUTDIR, the cells it hands out. */
static int work_for_rank0(int argc, char **argv)
{
    if (!mpi_wait_start())
        return CLI_EXIT_OK;
    options o;
    gmoe_model *truth = NULL, *shape = NULL;
    int rerun_argc = 0, st;
    char **rerun_argv = NULL;
    if ((st = parse_command(&argc, &argv, &o, &rerun_argc, &rerun_argv)) == CLI_EXIT_OK &&
        (st = cli_read_model("--truth", o.truth_path, &truth)) == CLI_EXIT_OK &&
        (st = make_shape(&o, truth, &shape)) == CLI_EXIT_OK) {
        int ws = mpi_rate_work(truth, &o.ro, o.ro.em.seed, o.cem.em.nthreads);
        st = ws ? cli_fail(ws, NULL, CLI_STAGE_COMPUTE, NULL) : CLI_EXIT_OK;
    }
    gmoe_model_free(shape);
    gmoe_model_free(truth);
    rate_rerun_free(rerun_argc, rerun_argv);
    if (st > 0)
        mpi_session_abort(st); /* rank 0 would wait for this rank */
    return st < 0 ? CLI_EXIT_OK : st;
}

/* Each cell allocates arrays of its N rows (the data, the fit's
 * workspace) and frees them; by default glibc hands such memory back to
 * the kernel and the next cell faults every page in again (8% of the
 * reference grid's CPU).  Freed memory is kept for the next cell instead:
 * the process holds its largest cells' memory, per thread, until it ends. */
static void keep_freed_memory(void)
{
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest: 32 MB */
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

int main(int argc, char **argv)
{
    cli_wait_policy(argv);
    keep_freed_memory();
    cli_init("mixrate");
    int st = mpi_session_start(&argc, &argv);
    if (st == CLI_EXIT_OK && mpi_rank() > 0) {
        st = work_for_rank0(argc, argv);
    } else if (st == CLI_EXIT_OK) {
        options o;
        int rerun_argc = 0;
        char **rerun_argv = NULL;
        st = parse_command(&argc, &argv, &o, &rerun_argc, &rerun_argv);
        if (st == CLI_EXIT_OK)
            st = run(&o, argc, argv);
        rate_rerun_free(rerun_argc, rerun_argv);
    }
    mpi_session_end();
    return st < 0 ? CLI_EXIT_OK : st;
}
