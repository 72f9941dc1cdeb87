/* estep.c -- log-likelihood and responsibilities, the hot loop; and
 * gmoe_loglik, which is that loop without the responsibilities.
 *
 * Rows are processed in fixed blocks of GMOE_BLOCK_ROWS; each block's
 * partial log-likelihood is stored and the blocks are summed in order, so
 * the result is bit-identical for any number of threads. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "chain.h"
#include "engine.h"
#include "internal.h"
#include "vector_math.h"

/* One row's log terms lj[i] = log g_i(x) + log N(y; mu_i, sigma2_i), the
 * log-gates from the family's log_gate (a family with neither
 * softmax_logits nor block_logits).  lnorm[i] = -(log 2 pi + log
 * sigma2_i)/2 and half_prec[i] = 1/(2 sigma2_i) are hoisted out of the
 * row loop. */
static void row_log_terms(const gmoe_model *m, const gmoe_gating *g, const double *x,
                          const double *gx, double y, double *lj, const double *lnorm,
                          const double *half_prec)
{
    size_t k = m->k;
    g->log_gate(m, gx, lj);
    for (size_t i = 0; i < k; i++)
        if (lj[i] > -INFINITY) {
            double e = y - gmoe_expert_mean(m, i, x);
            lj[i] += lnorm[i] - e * e * half_prec[i];
        }
}

/* The same for a block of nrows rows whose log-gates are at logg (row r,
 * expert i at logg[i * lcol + r * lrow]), by columns: t[i * ld + r] for
 * expert i, each loop a vector loop over the rows whatever k and d (the
 * means as gmoe_expert_mean sums them; with d >= 2 and z not NULL, from
 * the block's standardized covariates by columns z, zld apart, with the
 * lines zc in them: gmoe_lines_std's k intercepts, then slopes). */
static inline __attribute__((always_inline)) void
log_cols(const gmoe_model *m, size_t d, const double *x, const double *z, size_t zld,
         const double *zc, const double *y, const double *logg, size_t lcol, size_t lrow,
         size_t nrows, const double *lnorm, const double *half_prec, double *t, size_t ld)
{
    size_t k = m->k;
    if (d >= 2 && z) /* contiguous loads (internal.h) */
        gmoe_lines_zcols(k, zc, zc + k, z, zld, d, t, ld);
    else if (d >= 2) /* the means of all experts at once (internal.h) */
        gmoe_lines_cols(k, m->b, m->a, x, d, nrows, t, ld);
    for (size_t i = 0; i < k; i++) {
        const double *li = logg + i * lcol;
        double ln = lnorm[i], hp = half_prec[i], *ti = t + i * ld;
        if (d < 2)
            gmoe_line_cols(m->b[i], m->a + i * d, x, d, nrows, ti);
#pragma omp simd
        for (size_t r = 0; r < nrows; r++) {
            /* computed for a zero gate too, then not taken: a branch
             * around it would keep the loop from being vectorized */
            double e = y[r] - ti[r], l = li[r * lrow], v = l + (ln - e * e * hp);
            ti[r] = isgreater(l, -INFINITY) ? v : l;
        }
    }
}

/* log_cols, with copies for log-gates by columns (the gate cache's
 * layout: vector loads), the second for one covariate (x read by vector
 * loads, not element by element at a stride the compiler does not
 * know). */
VECTOR_CLONES static void
block_log_cols(const gmoe_model *m, const double *x, const double *z, size_t zld,
               const double *zc, const double *y, const double *logg, size_t lcol,
               size_t lrow, size_t nrows, const double *lnorm, const double *half_prec,
               double *t, size_t ld)
{
    if (lrow == 1 && m->d == 1)
        log_cols(m, 1, x, NULL, 0, NULL, y, logg, lcol, 1, nrows, lnorm, half_prec, t, ld);
    else if (lrow == 1)
        log_cols(m, m->d, x, z, zld, zc, y, logg, lcol, 1, nrows, lnorm, half_prec, t, ld);
    else
        log_cols(m, m->d, x, z, zld, zc, y, logg, lcol, lrow, nrows, lnorm, half_prec, t, ld);
}

/* Doubles of a block's scratch for the experts' lines in standardized
 * covariates (whole 64-byte lines, so that what follows stays aligned). */
static size_t std_lines_size(const gmoe_model *m)
{
    return (m->k * (m->d + 1) + 7) / 8 * 8;
}

/* The block's standardized covariates by columns (ws->x_std) and, in zc,
 * m's expert lines in them, when the E-step has them (a workspace, d >=
 * 2); else NULL. */
static const double *std_covariates(const gmoe_estep_pass *e, size_t lo, size_t nrows,
                                    double *zc, size_t *zld)
{
    const gmoe_em_ws *ws = e->ws;
    const gmoe_model *m = e->m;
    if (!ws || m->d < 2)
        return NULL;
    gmoe_lines_std(m->k, m->d, m->b, m->a, ws->x_shift, ws->x_scale, zc, zc + m->k);
    *zld = gmoe_gram_ld(nrows);
    return ws->x_std + lo * m->d;
}

/* Case weights w of a block's nrows rows: its weighted log-likelihood
 * sum w lse, and each row of resp (if not NULL) times its weight, so that
 * the M-steps' sums over resp are weighted sums.  A zero-weight row adds
 * nothing, even where its density is zero. */
static double weigh_block(const double *w, size_t nrows, size_t k, double *resp,
                          const double *lse)
{
    double s = 0.0;
    for (size_t r = 0; r < nrows; r++) {
        if (w[r] != 0.0)
            s += w[r] * lse[r];
        for (size_t i = 0; resp && i < k; i++)
            resp[r * k + i] = w[r] != 0.0 ? w[r] * resp[r * k + i] : 0.0;
    }
    return s;
}

void gmoe_estep_consts(const gmoe_model *m, double *lnorm, double *half_prec)
{
    for (size_t i = 0; i < m->k; i++) {
        lnorm[i] = -0.5 * (GMOE_LOG_2PI + log(m->sigma2[i]));
        half_prec[i] = 0.5 / m->sigma2[i];
    }
}

/* Without the cache, a family with softmax_logits takes its gates a
 * block at a time from the code that fills the cache
 * (gmoe_block_gate_cols): the same bits, and vector exps; one with
 * block_logits from gmoe_block_softmax_gates. */
static int batch_gates(const gmoe_gating *g, const double *cache)
{
    return !cache && (g->softmax_logits || g->block_logits);
}

/* The stride of the log terms' columns in the block scratch: one 64-byte
 * line more than a block, so that the columns (and the log-sums before
 * them) do not sit 4096 bytes apart, where a load after a store to
 * another column waits for it (4K aliasing) and k >= 4 columns share
 * the level-1 cache's sets. */
#define TERMS_LD (GMOE_BLOCK_ROWS + 8)

size_t gmoe_estep_block_scratch(const gmoe_model *m)
{
    const gmoe_gating *g = gmoe_gating_get(m->family);
    size_t k = m->k, rows = GMOE_BLOCK_ROWS;
    size_t family_work = batch_gates(g, NULL) && g->block_work_size ? g->block_work_size(m) : 0;
    /* a block's log-sums, the log terms' columns and the log-sum-exp's
     * scratch (at least the row batch's rows (k + 2)), its gates, its
     * log terms (without resp), the experts' standardized lines and the
     * family's block work */
    return TERMS_LD + (TERMS_LD * k + 2 * rows) + rows * (2 * k + k) + std_lines_size(m) +
           family_work;
}

/* Whether gmoe_estep_block keeps the weights by columns: asked, with
 * resp, without case weights, on the path by columns (batched gates). */
static int keeps_cols(const gmoe_estep_pass *e)
{
    const gmoe_gating *g = gmoe_gating_get(e->m->family);
    return e->weight_cols && e->resp && !e->data->w &&
           (e->cache || g->softmax_logits || g->block_logits);
}

/* The k log-term columns in buf (TERMS_LD apart) become the weights in
 * place, copied as rows to resp (the same numbers as the weights written
 * to resp directly), 0 past the rows to gmoe_gram_ld(nrows). */
static void weight_cols(size_t nrows, size_t k, double *buf, double *resp, double *lse)
{
    gmoe_block_lse_cols(nrows, k, buf, TERMS_LD, buf, buf, TERMS_LD, 1, lse, buf + TERMS_LD * k);
    gmoe_block_cols_to_rows(nrows, k, buf, TERMS_LD, resp);
    for (size_t i = 0; i < k; i++)
        for (size_t r = nrows; r < gmoe_gram_ld(nrows); r++)
            buf[i * TERMS_LD + r] = 0.0;
}

const double *gmoe_estep_block_weight_cols(const gmoe_estep_pass *e, const double *scratch,
                                           size_t *ld)
{
    *ld = TERMS_LD;
    return keeps_cols(e) ? scratch + TERMS_LD : NULL;
}

double gmoe_estep_block(const gmoe_estep_pass *e, size_t b, double *scratch)
{
    const gmoe_model *m = e->m;
    const gmoe_data *data = e->data;
    const gmoe_gating *g = gmoe_gating_get(m->family);
    size_t n = data->n, d = data->d, k = m->k, rows = GMOE_BLOCK_ROWS, dg = gmoe_data_gate_d(data);
    size_t lo = b * rows, hi = lo + rows < n ? lo + rows : n;
    const double *gx = gmoe_data_gate_x(data);
    double *lse = scratch, *buf = lse + TERMS_LD, *gates = buf + TERMS_LD * k + 2 * rows;
    double *terms = gates + rows * 2 * k, *zc = terms + rows * k, *work = zc + std_lines_size(m);
    /* the cache's columns, or the family's rows */
    const double *logg = e->cache ? e->cache + lo * 2 * k : NULL;
    size_t lcol = hi - lo, lrow = 1;
    if (batch_gates(g, e->cache) && g->softmax_logits) {
        double *cols = e->fill ? e->fill + lo * 2 * k : gates;
        gmoe_block_gate_cols(m, g, gx + lo * dg, hi - lo, cols, lse, buf);
        logg = cols;
    } else if (batch_gates(g, e->cache)) {
        gmoe_block_softmax_gates(m, g, gx + lo * dg, hi - lo, gates, lse, buf, work);
        logg = gates;
        lcol = 1;
        lrow = 2 * k;
    }
    /* the terms go straight into resp, normalized there in place */
    double *t = e->resp ? e->resp + lo * k : terms;
    if (logg) {
        /* by columns in buf (k of rows), the weights from them */
        size_t zld = 0;
        const double *z = std_covariates(e, lo, hi - lo, zc, &zld);
        block_log_cols(m, data->x + lo * d, z, zld, zc, data->y + lo, logg, lcol, lrow, hi - lo,
                       e->lnorm, e->half_prec, buf, TERMS_LD);
        if (keeps_cols(e))
            weight_cols(hi - lo, k, buf, t, lse);
        else
            gmoe_block_lse_cols(hi - lo, k, buf, TERMS_LD, buf, e->resp ? t : NULL, 1, k, lse,
                                buf + TERMS_LD * k);
    } else {
        for (size_t r = lo; r < hi; r++)
            row_log_terms(m, g, data->x + r * d, gx + r * dg, data->y[r], t + (r - lo) * k,
                          e->lnorm, e->half_prec);
        gmoe_block_lse_weights(hi - lo, k, t, k, t, k, lse, buf);
    }
    if (data->w)
        return weigh_block(data->w + lo, hi - lo, k, e->resp ? t : NULL, lse);
    double s = 0.0;
    for (size_t r = 0; r < hi - lo; r++)
        s += lse[r];
    return s;
}

/* cache: NULL, or the gate cache (gate_cache.c's layout). */
static double estep(const gmoe_model *m, const gmoe_data *data, double *resp,
                    double *block_ll, int nthreads, const double *cache, const gmoe_em_ws *ws)
{
    size_t k = m->k, nb = gmoe_nblocks(data->n), per_thread = gmoe_estep_block_scratch(m);
    int nt = gmoe_threads_for_rows(nthreads, data->n);
    (void)nt; /* unused without OpenMP */

#pragma omp parallel num_threads(nt)
    {
        /* per thread: lnorm, half_prec (k each), then the block scratch */
        double *lnorm = malloc((2 * k + per_thread) * sizeof(double));
        gmoe_estep_pass e = {m, data, resp, cache, NULL, lnorm, lnorm + k, ws};
        if (lnorm)
            gmoe_estep_consts(m, lnorm, lnorm + k);
#pragma omp for schedule(dynamic, 1) nowait
        for (size_t b = 0; b < nb; b++)
            block_ll[b] = lnorm ? gmoe_estep_block(&e, b, lnorm + 2 * k) : NAN;
        free(lnorm);
    }
    double ll;
    gmoe_fold_blocks(data, block_ll, nb, 1, &ll); /* over every shard */
    return ll;
}

double gmoe_estep(const gmoe_model *m, const gmoe_data *data, double *resp,
                  double *block_ll, int nthreads)
{
    return estep(m, data, resp, block_ll, nthreads, NULL, NULL);
}

double gmoe_em_estep(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                     double *resp)
{
    ws->fused_sums = 0; /* resp no longer matches them */
    return estep(m, data, resp, ws->block_ll, ws->nthreads, gmoe_gate_cache_for(ws, m), ws);
}

/* The E-step without responsibilities, for a model and data checked here. */
int gmoe_loglik(const gmoe_model *m, const gmoe_data *data, int nthreads,
                double *loglik, gmoe_err *err)
{
    int st = gmoe_model_check(m, err);
    if (st)
        return st;
    if (!data->y)
        return gmoe_error(err, GMOE_EINVAL, "the log-likelihood needs the response");
    if ((st = gmoe_data_match_model(data, m, err)))
        return st;
    double *block_ll = malloc(gmoe_nblocks(data->n) * sizeof(double) + 1);
    if (!block_ll)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    *loglik = gmoe_estep(m, data, NULL, block_ll, nthreads);
    free(block_ll);
    return GMOE_OK;
}
