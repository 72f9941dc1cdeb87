/* mixrate.c -- convergence-rate experiments: fit a model to samples of
 * growing size N drawn from a true model and measure how fast the Voronoi
 * loss falls (mixrate(1); shared MODELS.md section 3).  The experiment
 * engine is in libgmoe (gmoe_rate_*); this file parses the options and
 * keeps the output directory (rate_files.c). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gmoe.h"
#include "loss_options.h"
#include "rate_files.h"

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

static void help(void)
{
    printf("Usage: mixrate --truth TRUE.json -O OUTDIR [grid] [options]\n"
           "Convergence-rate experiment: for each sample size N and replicate, simulate N rows\n"
           "from the true model, fit k experts, and record the Voronoi loss against the truth;\n"
           "then the slope of log(mean loss) against log N with its 95%% CI, and a plot.\n"
           "A rerun with the same arguments resumes an interrupted run (see mixrate(1)).\n\n"
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
    cli_em_help(stdout);
    printf("  (in mixrate, --restarts, --seed and --threads mean what is said above)\n");
    printf("\nFiles in OUTDIR: run.json (settings), results.csv (one row per N and replicate),\n"
           "summary.csv (mean, sd, median per N), slope.txt, plot.gp and plot.png.\n"
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

typedef struct {
    FILE *out;               /* results.csv, appended */
    const char *path;
    int has_tau;
    size_t first, total;     /* cells done before this run, all cells */
    size_t delivered;
    int write_failed;
    int progress;            /* stderr is a terminal */
    double start, last_shown;
    char row[16384];
} run_ctx;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void show_progress(run_ctx *r, const gmoe_rate_cell *c, int final)
{
    double t = now();
    if (!final && t - r->last_shown < 0.25)
        return;
    r->last_shown = t;
    size_t done = r->first + r->delivered, fresh = r->delivered;
    double el = t - r->start;
    double left = fresh ? el / (double)fresh * (double)(r->total - done) : 0;
    fprintf(stderr, "\r\033[Kmixrate: %zu/%zu cells", done, r->total);
    if (c)
        fprintf(stderr, " (N = %zu, replicate %zu)", c->n, c->replicate + 1);
    fprintf(stderr, ", %.0fs elapsed", el);
    if (fresh && done < r->total)
        fprintf(stderr, ", about %.0fs left", left);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Called by the library in cell order: one whole line, flushed, so an
 * interrupted run leaves whole lines (a cut last line is dropped on
 * resume). */
static int deliver(void *ctx, size_t c, const gmoe_rate_cell *cell)
{
    (void)c;
    run_ctx *r = ctx;
    size_t len = rate_results_row(r->row, sizeof r->row, cell, r->has_tau);
    if (len == 0 || fwrite(r->row, 1, len, r->out) != len || fflush(r->out) != 0) {
        r->write_failed = errno ? errno : EIO;
        return 1;
    }
    r->delivered++;
    if (cell->status != GMOE_OK) {
        if (r->progress)
            fputs("\r\033[K", stderr);
        cli_warn("N = %zu, replicate %zu failed (%s): %s; recorded in %s, the run goes on", cell->n,
                 cell->replicate + 1, gmoe_strerror(cell->status), cell->message, r->path);
    }
    if (r->progress)
        show_progress(r, cell, 0);
    return 0;
}

/* ------------------------------------------------------------ settings */

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
    if (shape->family == GMOE_TOPK) {
        json_object_set_new(fam, "top_k", json_integer((json_int_t)shape->top_k));
        json_object_set_new(fam, "select", json_string(gmoe_select_name(shape->select)));
    }
    if (shape->family == GMOE_TEMPERATURE || shape->family == GMOE_ACTIVATION) {
        json_object_set_new(fam, "tau", json_real(shape->tau));
        json_object_set_new(fam, "tau_mode", json_string(gmoe_tau_mode_name(o->em.tau_mode)));
    }
    if (shape->family == GMOE_ACTIVATION) {
        json_object_set_new(fam, "activation", json_string(gmoe_activation_name(shape->act)));
        json_object_set_new(fam, "bias", json_string(gmoe_bias_name(shape->bias)));
    }
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

static char *path_in(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, name);
    return p;
}

int main(int argc, char **argv)
{
    cli_init("mixrate");
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
    const char *truth_path = NULL, *outdir = NULL, *grid_list = NULL, *range = NULL, *preset = NULL;
    size_t k = 0, replicates = 40;
    int spacing = 0, spacing_set = 0, c, st = CLI_EXIT_OK;
    cli_family fam;
    cli_em cem;
    cli_family_default(&fam);
    cli_em_default(&cem);
    gmoe_rate_options ro;
    gmoe_rate_options_default(&ro);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:O:h", longopts, NULL)) != -1) {
        int v;
        if (cli_family_option(c, optarg, &fam, &st) || cli_em_option(c, optarg, &cem, &st)) {
            if (st)
                return st;
            continue;
        }
        switch (c) {
        case OPT_TRUTH: truth_path = optarg; break;
        case 'O': outdir = optarg; break;
        case 'k': st = cli_parse_size("-k", optarg, 1, CLI_K_MAX, &k); break;
        case OPT_GRID: grid_list = optarg; break;
        case OPT_RANGE: range = optarg; break;
        case OPT_PRESET: preset = optarg; break;
        case OPT_SPACING:
            st = cli_parse_choice("--spacing", optarg, spacing_from_name, "lin, log", &spacing);
            spacing_set = 1;
            break;
        case OPT_REPLICATES: st = cli_parse_size("--replicates", optarg, 1, 1000000, &replicates); break;
        case OPT_DESIGN:
            st = cli_parse_choice("--design", optarg, gmoe_design_from_name, "grid, uniform, normal", &v);
            ro.design = (gmoe_design)v;
            break;
        case OPT_INIT:
            st = cli_parse_choice("--init", optarg, init_from_name, "near-truth, random", &v);
            ro.init = (gmoe_rate_init)v;
            break;
        case OPT_LOSS: st = loss_parse_kind(optarg, &ro.loss); break;
        case OPT_RBAR: st = loss_parse_rbar(optarg, &ro.loss); break;
        case OPT_NO_TRANSLATE: ro.loss.translate = 0; break;
        default:
            st = cli_standard_option(c, help, argv);
            return st < 0 ? CLI_EXIT_OK : st;
        }
        if (st)
            return st;
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!truth_path)
        return cli_usage_error("--truth FILE is required");
    if (!outdir)
        return cli_usage_error("-O OUTDIR is required");
    if (!!grid_list + !!range + !!preset != 1)
        return cli_usage_error("give the sample sizes with exactly one of --grid, --range and --preset");
    if (spacing_set && !range)
        return cli_usage_error("--spacing applies to --range only");
    if (cem.em.max_iter < 1)
        return cli_usage_error("--max-iter: must be >= 1 in mixrate");

    /* Sample sizes. */
    size_t *grid = NULL, ngrid = 0;
    gmoe_err err;
    gmoe_err_clear(&err);
    int gs;
    const char *gopt = grid_list ? "--grid" : range ? "--range" : "--preset";
    if (grid_list) {
        gs = gmoe_rate_grid_list(grid_list, &grid, &ngrid, &err);
    } else if (range) {
        double lo, hi;
        size_t count;
        if ((st = parse_range(range, &lo, &hi, &count)))
            return st;
        gs = gmoe_rate_grid_range(lo, hi, count, spacing, &grid, &ngrid, &err);
    } else {
        gs = gmoe_rate_grid_preset(preset, &grid, &ngrid, &err);
    }
    if (gs)
        return gs == GMOE_ENOMEM ? cli_fail(gs, &err, CLI_STAGE_COMPUTE, NULL) : cli_usage_error("%s: %s", gopt, err.msg);

    gmoe_model *truth = NULL, *shape = NULL;
    size_t *cn = NULL, *crep = NULL;
    char *header = NULL, *run_json = NULL, *results = NULL;
    json_t *settings = NULL;
    FILE *out = NULL;
    if ((st = cli_read_model("--truth", truth_path, &truth)))
        goto done;
    if (fam.set_family && fam.family != truth->family) {
        st = cli_usage_error("--gating %s: the true model is %s (the fit must be of the truth's family)",
                             gmoe_family_name(fam.family), gmoe_family_name(truth->family));
        goto done;
    }
    if (k == 0)
        k = truth->k;
    if (k < truth->k && ro.init == GMOE_RATE_INIT_NEAR_TRUTH) {
        st = cli_usage_error("-k %zu: near-truth starts need k >= k* = %zu", k, truth->k);
        goto done;
    }
    if (!(shape = gmoe_model_alloc(truth->family, k, truth->d))) {
        st = cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
        goto done;
    }
    /* The fit takes the truth's family options unless overridden. */
    shape->top_k = truth->top_k <= k ? truth->top_k : k;
    shape->select = truth->select;
    shape->tau = truth->tau;
    shape->act = truth->act;
    shape->bias = truth->bias;
    if ((st = cli_family_apply(&fam, &cem, shape)))
        goto done;
    ro.shape = shape;
    ro.em = cem.em;
    if (!cem.set_restarts)
        ro.em.restarts = ro.init == GMOE_RATE_INIT_NEAR_TRUTH ? 1 : 10;
    const char *msg = gmoe_em_options_check(&ro.em);
    if (msg) {
        st = cli_usage_error("%s", msg);
        goto done;
    }
    int has_tau = truth->family == GMOE_TEMPERATURE || truth->family == GMOE_ACTIVATION;
    const char *kind = ro.loss.kind == GMOE_LOSS_D2 || (ro.loss.kind == GMOE_LOSS_AUTO && k > truth->k) ? "D2" : "D1";

    /* Cells in (N, replicate) order. */
    size_t ncells = ngrid * replicates;
    cn = malloc(ncells * sizeof *cn);
    crep = malloc(ncells * sizeof *crep);
    header = rate_results_header(truth->k, has_tau);
    run_json = path_in(outdir, "run.json");
    results = path_in(outdir, "results.csv");
    settings = make_settings(truth, shape, grid, ngrid, replicates, &ro);
    if (!cn || !crep || !header || !run_json || !results || !settings) {
        st = cli_fail(GMOE_ENOMEM, NULL, CLI_STAGE_COMPUTE, NULL);
        goto done;
    }
    for (size_t g = 0; g < ngrid; g++)
        for (size_t r = 0; r < replicates; r++) {
            cn[g * replicates + r] = grid[g];
            crep[g * replicates + r] = r;
        }

    /* The output directory: new, or a run with the same settings. */
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        cli_error("-O %s: cannot create the directory: %s", outdir, strerror(errno));
        st = CLI_EXIT_OUTPUT;
        goto done;
    }
    int have_run = 0, have_results;
    size_t done_cells = 0;
    /* Settings matter only when there are results to resume: a directory
     * with run.json and summaries but no results.csv (a committed results
     * page, say) is simply run again. */
    int have_csv = access(results, F_OK) == 0;
    if (have_csv && (st = rate_check_run_json(run_json, settings, &have_run)))
        goto done;
    if (have_csv && !have_run) {
        cli_error("%s exists without run.json: not a mixrate run; use another -O directory", results);
        st = CLI_EXIT_USAGE;
        goto done;
    }
    if ((st = rate_resume_results(results, header, cn, crep, ncells, &done_cells, &have_results)))
        goto done;
    if (!have_run && (st = rate_write_run_json(run_json, settings, argc, argv)))
        goto done;
    if (!(out = fopen(results, have_results ? "a" : "w"))) {
        cli_error("%s: %s", results, strerror(errno));
        st = CLI_EXIT_OUTPUT;
        goto done;
    }
    if (!have_results && (fprintf(out, "%s\n", header) < 0 || fflush(out) != 0)) {
        cli_error("%s: %s", results, strerror(errno));
        st = CLI_EXIT_OUTPUT;
        goto done;
    }
    if (done_cells > 0)
        fprintf(stderr, "mixrate: resuming: %zu of %zu cells already in %s\n", done_cells, ncells, results);

    static run_ctx rc; /* large row buffer: not on the stack */
    rc.out = out;
    rc.path = results;
    rc.has_tau = has_tau;
    rc.first = done_cells;
    rc.total = ncells;
    rc.progress = isatty(STDERR_FILENO);
    rc.start = now();
    int rs = gmoe_rate_run_cells(truth, &ro, ro.em.seed, cn + done_cells, crep + done_cells, ncells - done_cells,
                                 cem.em.nthreads, deliver, &rc, &err);
    if (rc.progress)
        show_progress(&rc, NULL, 1);
    if (rc.write_failed) {
        cli_error("%s: cannot write: %s", results, strerror(rc.write_failed));
        st = CLI_EXIT_OUTPUT;
        goto done;
    }
    if (rs) {
        st = cli_fail(rs, &err, CLI_STAGE_COMPUTE, NULL);
        goto done;
    }
    if (fclose(out) != 0) {
        out = NULL;
        cli_error("%s: cannot write: %s", results, strerror(errno));
        st = CLI_EXIT_OUTPUT;
        goto done;
    }
    out = NULL;

    char title[256];
    snprintf(title, sizeof title, "%s, k = %zu fitted, k* = %zu true, %s design, %s start%s", gmoe_family_name(truth->family),
             k, truth->k, gmoe_design_name(ro.design), ro.init == GMOE_RATE_INIT_RANDOM ? "random" : "near-truth",
             ro.loss.translate ? "" : ", untranslated loss");
    st = rate_write_reports(outdir, truth->k, has_tau, kind, title, replicates);
done:
    if (out)
        fclose(out);
    json_decref(settings);
    free(header);
    free(run_json);
    free(results);
    free(cn);
    free(crep);
    free(grid);
    gmoe_model_free(shape);
    gmoe_model_free(truth);
    return st;
}
