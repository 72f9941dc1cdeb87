/* rate_cell.c -- one cell (N, replicate) of a convergence-rate
 * experiment, and the parallel driver over many cells that delivers them
 * in order (shared MODELS.md section 3). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"

void gmoe_rate_options_default(gmoe_rate_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->design = GMOE_DESIGN_GRID;
    opt->init = GMOE_RATE_INIT_NEAR_TRUTH;
    gmoe_em_options_default(&opt->em);
    opt->em.restarts = 1;
    gmoe_loss_options_default(&opt->loss);
}

const char *gmoe_rate_err_name(size_t e)
{
    static const char *const names[GMOE_RATE_NERR] = {"mass", "beta1", "a", "b", "sigma2", "tau"};
    return e < GMOE_RATE_NERR ? names[e] : "?";
}

int gmoe_rate_cell_recoverable(int status)
{
    return status == GMOE_EDATA || status == GMOE_ESING || status == GMOE_ENOTSUP || status == GMOE_ENUMERIC;
}

/* A failed cell: no loss, no errors; the fit's numbers only if it ran. */
static void mark_failed(gmoe_rate_cell *cell, int st, const gmoe_err *err, int fitted)
{
    cell->status = st;
    snprintf(cell->message, sizeof cell->message, "%s", err && err->msg[0] ? err->msg : gmoe_strerror(st));
    cell->loss = cell->loss_breakpoint = cell->loss_untranslated = NAN;
    cell->at_limit = 0;
    cell->converged = 0;
    if (!fitted) {
        cell->loglik = NAN;
        cell->iterations = 0;
        cell->stop = -1;
    }
    for (size_t i = 0; i < GMOE_RATE_NERR * cell->kstar; i++)
        cell->err[i] = NAN;
    for (size_t j = 0; j < cell->kstar && cell->atoms; j++)
        cell->atoms[j] = 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int check_rate_args(const gmoe_model *truth, const gmoe_rate_options *opt, size_t n, gmoe_err *err)
{
    if (!truth || !opt || !opt->shape)
        return gmoe_error(err, GMOE_EINVAL, "missing true model, options or fitted shape");
    int st = gmoe_model_check(truth, err);
    if (st)
        return st;
    const gmoe_model *s = opt->shape;
    if (s->family != truth->family || s->d != truth->d)
        return gmoe_error(err, GMOE_EINVAL, "the fit (%s, d = %zu) and the truth (%s, d = %zu) differ in family or d",
                          gmoe_family_name(s->family), s->d, gmoe_family_name(truth->family), truth->d);
    if (opt->init == GMOE_RATE_INIT_NEAR_TRUTH && s->k < truth->k)
        return gmoe_error(err, GMOE_EINVAL, "near-truth starts need k >= k* (k = %zu, k* = %zu)", s->k, truth->k);
    if ((int)opt->init < 0 || opt->init > GMOE_RATE_INIT_RANDOM)
        return gmoe_error(err, GMOE_EINVAL, "unknown initialization %d", (int)opt->init);
    if (n < 1)
        return gmoe_error(err, GMOE_EINVAL, "sample size must be >= 1");
    return GMOE_OK;
}

/* Fits opt->shape to data from opt->em.restarts near-truth starts (each
 * with its own noise) and keeps the best log-likelihood in *best. */
static int fit_near_truth(const gmoe_model *truth, const gmoe_rate_options *opt,
                          const gmoe_data *data, uint64_t seed, gmoe_model *best, gmoe_err *err)
{
    gmoe_em_options em = opt->em;
    em.restarts = 1;
    em.nthreads = 1;
    em.skip_icl = 1; /* a cell records no criteria */
    em.seed = gmoe_seed_derive(seed, 3);
    int has_tau = gmoe_family_has_tau(truth->family);
    gmoe_model *start = gmoe_model_clone(opt->shape);
    gmoe_model *cur = gmoe_model_clone(opt->shape);
    int st = GMOE_OK, have = 0;
    if (!start || !cur) {
        st = gmoe_error(err, GMOE_ENOMEM, "out of memory");
        goto done;
    }
    start->tau_estimated = has_tau && em.tau_mode == GMOE_TAU_ESTIMATE;
    for (size_t r = 0, nstarts = gmoe_random_starts(&opt->em, data->n, 1); r < nstarts; r++) {
        st = gmoe_rate_init_near_truth(truth, data->n, gmoe_seed_derive(gmoe_seed_derive(seed, 2), r),
                                       start, NULL, err);
        if (st)
            goto done;
        st = gmoe_fit(data, cur, start, &em, err);
        if (st)
            goto done;
        if (!have || cur->fit.loglik > best->fit.loglik) {
            if ((st = gmoe_model_copy(best, cur)) != GMOE_OK) {
                gmoe_error(err, st, "out of memory");
                goto done;
            }
            have = 1;
        }
    }
done:
    gmoe_model_free(start);
    gmoe_model_free(cur);
    return st;
}

/* The cell's fit: from near the truth, or gmoe_fit's own starts on one
 * thread (the cells are the parallel unit), without ICL (results.csv
 * records no criteria). */
static int fit_cell(const gmoe_model *truth, const gmoe_rate_options *opt, const gmoe_data *data,
                    uint64_t seed, gmoe_model *fit, gmoe_err *err)
{
    if (opt->init == GMOE_RATE_INIT_NEAR_TRUTH)
        return fit_near_truth(truth, opt, data, seed, fit, err);
    gmoe_em_options em = opt->em;
    em.nthreads = 1;
    em.skip_icl = 1;
    em.seed = gmoe_seed_derive(seed, 3);
    return gmoe_fit(data, fit, NULL, &em, err);
}

int gmoe_rate_run_cell(const gmoe_model *truth, const gmoe_rate_options *opt,
                       uint64_t master, size_t n, size_t replicate,
                       gmoe_rate_cell *cell, gmoe_err *err)
{
    int st = check_rate_args(truth, opt, n, err);
    if (st)
        return st;
    size_t d = truth->d, kstar = truth->k;
    uint64_t seed = gmoe_rate_seed(master, n, replicate);
    double *err_out = cell->err;
    size_t *atoms_out = cell->atoms;
    memset(cell, 0, sizeof *cell);
    cell->err = err_out;
    cell->atoms = atoms_out;
    cell->n = n;
    cell->replicate = replicate;
    cell->seed = seed;
    cell->kstar = kstar;

    double *x = malloc(n * d * sizeof *x);
    double *y = malloc(n * sizeof *y);
    gmoe_model *fit = gmoe_model_clone(opt->shape);
    gmoe_loss_result *res = NULL;
    int fitted = 0;
    if (!x || !y || !fit) {
        st = gmoe_error(err, GMOE_ENOMEM, "out of memory for N = %zu", n);
        goto done;
    }
    if ((st = gmoe_simulate_design(opt->design, n, d, NULL, NULL, gmoe_seed_derive(seed, 0), x, err)) ||
        (st = gmoe_simulate_y(truth, x, n, gmoe_seed_derive(seed, 1), y, NULL, err)))
        goto done;
    gmoe_data data = {n, d, x, y, NULL, NULL};

    double t0 = now_seconds();
    st = fit_cell(truth, opt, &data, seed, fit, err);
    cell->seconds = now_seconds() - t0;
    if (st)
        goto done;
    cell->loglik = fit->fit.loglik;
    cell->iterations = fit->fit.iterations;
    cell->converged = fit->fit.converged;
    cell->stop = (int)fit->fit.stop;
    fitted = 1;

    if ((st = gmoe_voronoi_loss(fit, truth, &opt->loss, &res, err)))
        goto done;
    cell->loss = res->loss;
    cell->at_limit = res->at_limit;
    cell->loss_breakpoint = res->loss_breakpoint;
    cell->loss_untranslated = res->loss_untranslated;
    const double *src[GMOE_RATE_NERR] = {res->err_mass, res->err_beta1, res->err_a,
                                         res->err_b, res->err_sigma2, res->err_tau};
    for (size_t e = 0; e < GMOE_RATE_NERR; e++)
        for (size_t j = 0; j < kstar; j++)
            cell->err[e * kstar + j] = src[e][j];
    for (size_t j = 0; j < kstar && cell->atoms; j++)
        cell->atoms[j] = res->cell_size[j];
done:
    if (st)
        mark_failed(cell, st, err, fitted);
    if (st && err)
        /* Say which cell failed, keeping the library's message. */
        if (strlen(err->msg) + 64 < sizeof err->msg) {
            char tmp[GMOE_ERRMSG_LEN];
            memcpy(tmp, err->msg, sizeof tmp);
            gmoe_error(err, st, "N = %zu, replicate %zu: %s", n, replicate + 1, tmp);
        }
    gmoe_loss_result_free(res);
    gmoe_model_free(fit);
    free(x);
    free(y);
    return st;
}

int gmoe_rate_run_cells(const gmoe_model *truth, const gmoe_rate_options *opt,
                        uint64_t master, const size_t *n, const size_t *replicate,
                        size_t ncells, int nthreads,
                        int (*done)(void *ctx, size_t c, const gmoe_rate_cell *cell),
                        void *ctx, gmoe_err *err)
{
    if (ncells == 0)
        return GMOE_OK;
    /* Validate once before the parallel region. */
    int st = check_rate_args(truth, opt, n[0], err);
    if (st)
        return st;
    size_t kstar = truth->k;
    gmoe_rate_cell *cells = calloc(ncells, sizeof *cells);
    double *errs = malloc(ncells * GMOE_RATE_NERR * kstar * sizeof *errs);
    size_t *atoms = malloc(ncells * kstar * sizeof *atoms);
    int *status = calloc(ncells, sizeof *status);
    unsigned char *finished = calloc(ncells, 1);
    if (!cells || !errs || !atoms || !status || !finished) {
        free(cells);
        free(errs);
        free(atoms);
        free(status);
        free(finished);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory for %zu cells", ncells);
    }
    size_t next = 0;          /* first cell not yet delivered */
    size_t limit = ncells;    /* cells >= limit are not started: set to
                                 the failing cell, or 0 when done() asks
                                 to stop */
    int user_stop = 0;
    int result = GMOE_OK;
    int nt = gmoe_resolve_threads(nthreads);

#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t c = 0; c < ncells; c++) {
        size_t lim;
#pragma omp atomic read
        lim = limit;
        if (c >= lim)
            continue;
        gmoe_err cell_err;
        gmoe_err_clear(&cell_err);
        cells[c].err = errs + c * GMOE_RATE_NERR * kstar;
        cells[c].atoms = atoms + c * kstar;
        int cs = gmoe_rate_run_cell(truth, opt, master, n[c], replicate[c], &cells[c], &cell_err);
#pragma omp critical(gmoe_rate_deliver)
        {
            status[c] = cs;
            finished[c] = 1;
            if (cs && !gmoe_rate_cell_recoverable(cs) && c < limit) {
                /* The first cell in order that stops the run is reported; no cell
                 * from it on is delivered. */
                if (err)
                    *err = cell_err;
                result = cs;
#pragma omp atomic write
                limit = c;
            }
            while (!user_stop && next < limit && finished[next]) {
                if (done && done(ctx, next, &cells[next])) {
                    user_stop = 1;
#pragma omp atomic write
                    limit = 0;
                }
                next++;
            }
        }
    }
    free(cells);
    free(errs);
    free(atoms);
    free(status);
    free(finished);
    return result;
}
