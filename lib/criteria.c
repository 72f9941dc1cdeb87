/* criteria.c -- AIC, BIC and ICL (all on the "lower is better" scale):
 *   AIC = -2 L + 2 p,   BIC = -2 L + p log n,
 *   ICL = BIC + 2 EN,   EN = -sum_n sum_i r_ni log r_ni  (classification entropy).
 * With case weights, n is the sum of the weights and EN's rows are
 * weighted, as for each row repeated w times.
 *
 * The responsibilities come from the E-step (gmoe_estep) a chunk of rows
 * at a time: its gates and log-sum-exps run in vector loops, which made
 * this pass, once a row at a time, cost as much as a short fit's EM; the
 * chunks run on the threads (10% of a 1e5-row k = 3, d = 5 mixfit from a
 * start on one thread). */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"
#include "vector_math.h"

/* Rows per call of the E-step: a few blocks, so that its scratch stays
 * small whatever n, and a thread that another job holds up delays the
 * pass by one chunk at most. */
#define CHUNK_ROWS (4 * GMOE_BLOCK_ROWS)

/* -sum c r log r over a chunk's nrows rows of k responsibilities resp,
 * which the E-step multiplied by the case weights w (NULL: all 1), so r =
 * resp / w.  logs: scratch for nrows * k doubles. */
static double chunk_entropy(const double *resp, const double *w, size_t nrows, size_t k,
                            double *logs)
{
    size_t nk = nrows * k;
#pragma omp simd
    for (size_t j = 0; j < nk; j++)
        logs[j] = log(resp[j] > 0 ? resp[j] : 1.0);
    double entropy = 0.0;
    for (size_t r = 0; r < nrows; r++) {
        double c = w ? w[r] : 1.0;
        if (c == 0.0)
            continue;
        double log_c = w ? log(c) : 0.0; /* once per row, not per expert */
        for (size_t i = 0; i < k; i++) {
            double ri = resp[r * k + i];
            if (ri > 0) /* c r log r = resp (log resp - log c) */
                entropy -= ri * (w ? logs[r * k + i] - log_c : logs[r * k + i]);
        }
    }
    return entropy;
}

/* EN of each block of GMOE_BLOCK_ROWS rows of the chunk from row lo into
 * block_en, through the E-step on one thread.  resp: scratch for
 * 2 CHUNK_ROWS k + gmoe_nblocks(CHUNK_ROWS) doubles. */
static void chunk_entropies(const gmoe_model *m, const gmoe_data *data, size_t lo, double *resp,
                            double *block_en)
{
    size_t k = m->k, n = data->n, dg = gmoe_data_gate_d(data);
    double *logs = resp + CHUNK_ROWS * k, *block_ll = logs + CHUNK_ROWS * k;
    gmoe_data chunk = *data;
    /* this process's rows alone: with the shard the chunk's E-step would
     * fold its log-likelihood along the shard's chain, once per chunk
     * while the processes have different numbers of chunks; the blocks'
     * entropies are folded once, by the caller */
    chunk.shard = NULL;
    chunk.n = n - lo < CHUNK_ROWS ? n - lo : CHUNK_ROWS;
    chunk.x = data->x + lo * data->d;
    chunk.y = data->y + lo;
    chunk.w = data->w ? data->w + lo : NULL;
    if (data->gate_own)
        chunk.gx = data->gx + lo * dg;
    gmoe_estep(m, &chunk, resp, block_ll, 1);
    for (size_t b = 0; b < chunk.n; b += GMOE_BLOCK_ROWS) {
        size_t rows = chunk.n - b < GMOE_BLOCK_ROWS ? chunk.n - b : GMOE_BLOCK_ROWS;
        block_en[(lo + b) / GMOE_BLOCK_ROWS] =
            chunk_entropy(resp + b * k, chunk.w ? chunk.w + b : NULL, rows, k, logs);
    }
}

/* EN of each block of this process's rows into block_en, the chunks
 * shared out over OpenMP's default number of threads (at most one per
 * GMOE_ROWS_PER_THREAD rows), each block's value the same on any thread.
 * Returns nonzero when out of memory. */
static int block_entropies(const gmoe_model *m, const gmoe_data *data, double *block_en)
{
    size_t scratch = 2 * CHUNK_ROWS * m->k + gmoe_nblocks(CHUNK_ROWS);
    size_t nchunks = (data->n + CHUNK_ROWS - 1) / CHUNK_ROWS;
    int nt = gmoe_threads_for_rows(0, data->n), nomem = 0;
    (void)nt; /* unused without OpenMP */
#pragma omp parallel num_threads(nt)
    {
        double *resp = malloc(scratch * sizeof(double));
#pragma omp for schedule(dynamic, 1) nowait
        for (size_t c = 0; c < nchunks; c++) {
            if (resp)
                chunk_entropies(m, data, c * CHUNK_ROWS, resp, block_en);
            else {
#pragma omp atomic write
                nomem = 1;
            }
        }
        free(resp);
    }
    return nomem;
}

/* EN over all rows: the blocks' sums added in block order, over every
 * shard (chain.h); NAN when out of memory. */
static double classification_entropy(const gmoe_model *m, const gmoe_data *data)
{
    size_t nb = gmoe_nblocks(data->n);
    double *block_en = malloc((nb ? nb : 1) * sizeof(double));
    double entropy, nan = NAN;
    int ok = block_en && !block_entropies(m, data, block_en);
    /* out of memory: NAN for every process, none left waiting */
    gmoe_fold_blocks(data, ok ? block_en : &nan, ok ? nb : 1, 1, &entropy);
    free(block_en);
    return entropy;
}

int gmoe_information_criteria_icl(const gmoe_model *m, const gmoe_data *data, int with_icl,
                                  gmoe_fit_info *info, gmoe_err *err)
{
    if (!data->y)
        return gmoe_error(err, GMOE_EINVAL, "information criteria need the response");
    double entropy = with_icl ? classification_entropy(m, data) : 0.0;
    if (isnan(entropy))
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    double p = (double)gmoe_model_npar(m), L = info->loglik;
    info->npar = gmoe_model_npar(m);
    info->n = gmoe_rows_total(data);
    info->nobs = gmoe_data_total_weight(data);
    info->aic = -2 * L + 2 * p;
    info->bic = -2 * L + p * log(info->nobs);
    info->icl = with_icl ? info->bic + 2 * entropy : NAN;
    return GMOE_OK;
}

int gmoe_information_criteria(const gmoe_model *m, const gmoe_data *data,
                              gmoe_fit_info *info, gmoe_err *err)
{
    return gmoe_information_criteria_icl(m, data, 1, info, err);
}
