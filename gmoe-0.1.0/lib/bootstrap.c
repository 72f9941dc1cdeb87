/* bootstrap.c -- bootstrap standard errors and percentile intervals of a
 * fit (gmoe_bootstrap).  Replicate r depends on (seed, r) only: its data
 * come from gmoe_seed_derive(seed_r, 0), its fit from
 * gmoe_seed_derive(seed_r, 1), seed_r = gmoe_seed_derive(seed, r), and
 * each replicate writes its own row of results, so any number of threads
 * gives the same bits. */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "inference.h"
#include "internal.h"

/* Case weights (frequency weights): a replicate is what it would be for
 * the data with each row repeated w times, N = round(sum w) rows without
 * weights:
 * - nonparametric: N draws of a row with probability w / sum w.  With
 *   integer weights each draw picks one of the N repeated rows uniformly
 *   (gsl_rng_uniform_int), so the replicates are those of the repeated
 *   rows, and weights of 1 those of no weights, to the bit;
 * - parametric: each row repeated w times (integer weights only, checked
 *   before), every copy with its own response. */

/* 1 when every weight is an integer and their sum fits the RNG's range. */
static int integer_weights(const gmoe_data *data, const gsl_rng *rng)
{
    for (size_t r = 0; r < data->n; r++)
        if (data->w[r] != floor(data->w[r]))
            return 0;
    return gmoe_data_total_weight(data) <= (double)gsl_rng_max(rng);
}

/* The row of unit u in [0, total) of the repeated rows (cum: the running
 * sums of the weights). */
static size_t row_of_unit(const double *cum, size_t n, double u)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Row r's covariates (the experts' and the gate's own) into rep's row i. */
static void copy_row(const gmoe_data *data, size_t r, gmoe_data *rep, size_t i)
{
    memcpy(rep->x + i * data->d, data->x + r * data->d, data->d * sizeof(double));
    if (data->gate_own)
        memcpy(rep->gx + i * data->dg, data->gx + r * data->dg, data->dg * sizeof(double));
}

/* rep->n rows drawn with replacement (with probability w / sum w). */
static int resampled_rows(const gmoe_data *data, const gsl_rng *rng, gmoe_data *rep)
{
    size_t n = data->n;
    double *cum = data->w ? malloc(n * sizeof(double)) : NULL;
    if (data->w && !cum)
        return GMOE_ENOMEM;
    int whole = data->w && integer_weights(data, rng);
    double total = 0.0;
    for (size_t r = 0; cum && r < n; r++)
        cum[r] = total += data->w[r];
    for (size_t i = 0; i < rep->n; i++) {
        size_t r;
        if (!data->w)
            r = (size_t)gsl_rng_uniform_int(rng, (unsigned long)n);
        else if (whole)
            r = row_of_unit(cum, n, (double)gsl_rng_uniform_int(rng, (unsigned long)total));
        else
            r = row_of_unit(cum, n, gsl_rng_uniform(rng) * total);
        copy_row(data, r, rep, i);
        rep->y[i] = data->y[r];
    }
    free(cum);
    return GMOE_OK;
}

/* The replicate's data: rows drawn with replacement, or new responses at
 * the same x (see above for case weights).  x and y are malloc'd; the
 * names are borrowed. */
static int replicate_data(const gmoe_model *fit, const gmoe_data *data, gmoe_boot_type type,
                          uint64_t seed, gmoe_data *rep)
{
    size_t n = data->n, d = data->d, dg = data->dg;
    memset(rep, 0, sizeof *rep);
    if (data->w) {
        double total = round(gmoe_data_total_weight(data));
        n = total < 1 ? 1 : (size_t)total;
    }
    rep->n = n;
    rep->d = d;
    rep->xnames = data->xnames;
    rep->yname = data->yname;
    rep->gate_own = data->gate_own;
    rep->dg = dg;
    rep->gxnames = data->gxnames;
    rep->x = malloc((n * d + 1) * sizeof(double));
    rep->y = malloc((n + 1) * sizeof(double));
    rep->gx = data->gate_own ? malloc((n * dg + 1) * sizeof(double)) : NULL;
    if (!rep->x || !rep->y || (data->gate_own && !rep->gx))
        return GMOE_ENOMEM;
    if (type == GMOE_BOOT_PARAMETRIC) {
        for (size_t r = 0, t = 0; data->w && r < data->n; r++)
            for (double c = 0; c < data->w[r]; c++, t++)
                copy_row(data, r, rep, t);
        for (size_t r = 0; !data->w && r < n; r++)
            copy_row(data, r, rep, r);
        return gmoe_simulate_y_gx(fit, rep->x, rep->gx, n, seed, rep->y, NULL, NULL);
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return GMOE_ENOMEM;
    gsl_rng_set(rng, (unsigned long)seed);
    int st = resampled_rows(data, rng, rep);
    gsl_rng_free(rng);
    return st;
}

/* Replicate r: data, a fit from the original fit, its experts matched to
 * the fit's; the free parameters into theta. */
static int one_replicate(const gmoe_model *fit, const gmoe_data *data, const gmoe_em_options *em,
                         const gmoe_bootstrap_options *opt, size_t r, double *theta)
{
    uint64_t seed = gmoe_seed_derive(opt->seed, r);
    gmoe_data rep;
    int st = replicate_data(fit, data, opt->type, gmoe_seed_derive(seed, 0), &rep);
    gmoe_model *m = st == GMOE_OK ? gmoe_model_clone(fit) : NULL;
    size_t *perm = malloc(fit->k * sizeof(size_t));
    if (st == GMOE_OK && (!m || !perm))
        st = GMOE_ENOMEM;
    gmoe_em_options o = *em;
    o.seed = gmoe_seed_derive(seed, 1);
    o.nthreads = 1;
    o.restarts = 1;
    o.share_starts = NULL; /* replicates run on this process's threads */
    o.progress = NULL;
    if (st == GMOE_OK)
        st = gmoe_fit(&rep, m, fit, &o, NULL);
    if (st == GMOE_OK)
        st = gmoe_match_experts(fit, m, perm);
    if (st == GMOE_OK)
        st = gmoe_model_permute(m, perm);
    if (st == GMOE_OK) {
        gmoe_layout L;
        gmoe_layout_init(&L, m);
        gmoe_layout_pack(&L, m, theta);
    }
    free(perm);
    gmoe_model_free(m);
    free(rep.x);
    free(rep.y);
    free(rep.gx);
    return st;
}

static int compare_doubles(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Quantile q of sorted v[0..n-1] (linear interpolation, R's type 7). */
static double quantile(const double *v, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    return lo + 1 < n ? v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]) : v[n - 1];
}

/* boot_se and the percentile interval of each parameter from the rows of
 * theta (B x P) whose replicate succeeded. */
static int summarize(const double *theta, const unsigned char *ok, size_t B, size_t P,
                     double level, gmoe_inference *inf)
{
    double *v = malloc(B * sizeof(double));
    if (!v)
        return GMOE_ENOMEM;
    for (size_t j = 0; j < P; j++) {
        size_t n = 0;
        double mean = 0.0, ss = 0.0;
        for (size_t r = 0; r < B; r++)
            if (ok[r])
                v[n++] = theta[r * P + j];
        for (size_t i = 0; i < n; i++)
            mean += v[i] / (double)n;
        for (size_t i = 0; i < n; i++)
            ss += (v[i] - mean) * (v[i] - mean);
        qsort(v, n, sizeof(double), compare_doubles);
        inf->boot_se[j] = sqrt(ss / (double)(n - 1));
        inf->boot_lower[j] = quantile(v, n, (1.0 - level) / 2.0);
        inf->boot_upper[j] = quantile(v, n, (1.0 + level) / 2.0);
    }
    free(v);
    return GMOE_OK;
}

/* m->inference with bootstrap columns (a record without standard errors
 * when m has none). */
static int boot_record(gmoe_model *m, const gmoe_data *data, gmoe_err *err)
{
    int st = m->inference ? GMOE_OK : gmoe_inference_compute(m, data, GMOE_SE_NONE, 0, err);
    gmoe_inference *inf = m->inference;
    if (st != GMOE_OK || inf->boot_se)
        return st;
    inf->boot_se = malloc(inf->p * sizeof(double));
    inf->boot_lower = malloc(inf->p * sizeof(double));
    inf->boot_upper = malloc(inf->p * sizeof(double));
    if (!inf->boot_se || !inf->boot_lower || !inf->boot_upper)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    return GMOE_OK;
}

static int check_bootstrap(const gmoe_model *m, const gmoe_data *data, const gmoe_em_options *em,
                           const gmoe_bootstrap_options *opt, gmoe_err *err)
{
    if (!m || !data || !em || !opt)
        return gmoe_error(err, GMOE_EINVAL, "missing model, data or options");
    const char *field = NULL;
    int bad = gmoe_bootstrap_options_validate(opt, &field, err);
    if (bad) /* "replicates must be 2 to 1000000 (got 1)" */
        return gmoe_error_named(err, bad, field);
    if (!data->y || data->d != m->d || data->n < 1)
        return gmoe_error(err, GMOE_EINVAL, "the data do not match the model (d = %zu, %zu "
                          "covariates) or have no response", m->d, data->d);
    int mismatch = gmoe_data_match_model(data, m, err);
    if (mismatch)
        return mismatch;
    const char *msg = gmoe_em_options_check(em);
    if (msg)
        return gmoe_error(err, GMOE_EINVAL, "%s", msg);
    int st = gmoe_data_check_weights(data, err);
    for (size_t r = 0; st == GMOE_OK && opt->type == GMOE_BOOT_PARAMETRIC && data->w &&
                       r < data->n; r++)
        if (data->w[r] != floor(data->w[r]))
            st = gmoe_error(err, GMOE_ENOTSUP,
                            "the parametric bootstrap repeats each row w times, so it needs "
                            "integer case weights (row %zu has %g); use the nonparametric one",
                            r + 1, data->w[r]);
    return st ? st : gmoe_model_check(m, err);
}

int gmoe_bootstrap(gmoe_model *m, const gmoe_data *data, const gmoe_em_options *em,
                   const gmoe_bootstrap_options *opt, gmoe_err *err)
{
    if (data && data->shard) /* its replicates resample rows across processes */
        return gmoe_error(err, GMOE_ENOTSUP, "the bootstrap is not supported with sharded data");
    int st = check_bootstrap(m, data, em, opt, err);
    if (st)
        return st;
    size_t B = opt->replicates, P = gmoe_model_nfree(m), nok = 0;
    double *theta = malloc(B * P * sizeof(double));
    unsigned char *ok = calloc(B, 1);
    int *status = calloc(B, sizeof(int));
    if (!theta || !ok || !status) {
        free(theta), free(ok), free(status);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu replicates)", B);
    }
    int nt = gmoe_resolve_threads(opt->nthreads);
    long nrep = (long)B;
#pragma omp parallel for schedule(dynamic) num_threads(nt)
    for (long r = 0; r < nrep; r++)
        status[r] = one_replicate(m, data, em, opt, (size_t)r, theta + (size_t)r * P);
    for (size_t r = 0; r < B; r++) {
        ok[r] = status[r] == GMOE_OK;
        nok += ok[r];
        if (status[r] == GMOE_ENOMEM)
            st = gmoe_error(err, GMOE_ENOMEM, "out of memory in bootstrap replicate %zu", r + 1);
    }
    if (st == GMOE_OK && nok < 2)
        st = gmoe_error(err, GMOE_EDATA, "only %zu of %zu bootstrap replicates could be fitted",
                        nok, B);
    if (st == GMOE_OK)
        st = boot_record(m, data, err);
    if (st == GMOE_OK && summarize(theta, ok, B, P, m->inference->level, m->inference))
        st = gmoe_error(err, GMOE_ENOMEM, "out of memory");
    if (st == GMOE_OK) {
        m->inference->boot_type = opt->type;
        m->inference->boot_replicates = B;
        m->inference->boot_ok = nok;
        m->inference->boot_seed = opt->seed;
    }
    free(theta), free(ok), free(status);
    return st;
}
