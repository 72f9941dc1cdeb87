/* spurious.c -- the rule for spurious local maximizers (McLachlan & Peel
 * 2000, Finite Mixture Models, sec. 3.10; Hathaway 1985): a maximum with
 * an expert of relatively small variance that fits few rows.  The
 * likelihood of an over-specified mixture of regressions grows without
 * bound as an expert narrows onto a few rows, so its highest maxima are
 * such spikes (issue 11: over1-k3's best known had an expert on 18 of
 * 5000 rows with 3.4e-4 times the pooled variance).  A run with one ranks
 * after every run without (start_pool.c's gmoe_run_better).
 *
 * An expert j is spurious when
 *     1 <= n_j < rows_factor * (d + 2)           (few rows per parameter)
 *     sigma2_j < ratio_max * pooled variance      (sum_l n_l sigma2_l / n)
 *     n_j < SPURIOUS_MAX_SHARE * n, or sigma2_j below a tenth of that ratio
 * with n_j = sum_i tau_ij, its effective rows from the run's last E-step.
 * The last line keeps the rule off the experts of small data: on 150 rows
 * every expert has fewer than 100 rows per parameter, and without it the
 * rule called a true expert (variance 0.01 against 1 and 0.1; 56 rows, 0.016
 * times the pooled variance) spurious and returned a maximum 3.2 below the
 * fit from the truth.  The spikes measured held 0.15% (1e5 rows) to 1.4%
 * (5000 rows) of the data; the one on those 150 rows, 8% of them at 3.6e-4
 * times the pooled variance. */
#include <math.h>
#include <stdlib.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"

/* flexmix's default minprior: its EM drops a component below this share */
#define SPURIOUS_MAX_SHARE 0.05

size_t gmoe_spurious_expert(const gmoe_model *m, const double *rows, double rows_factor,
                            double ratio_max, double *ratio)
{
    if (!(rows_factor > 0) || !(ratio_max > 0))
        return 0;
    double total = 0.0, pooled = 0.0;
    for (size_t j = 0; j < m->k; j++) {
        total += rows[j];
        pooled += rows[j] * m->sigma2[j];
    }
    if (!(total > 0) || !(pooled > 0))
        return 0;
    pooled /= total;
    size_t worst = 0;
    double few = rows_factor * (double)(m->d + 2), share = SPURIOUS_MAX_SHARE * total;
    for (size_t j = 0; j < m->k; j++) {
        double r = m->sigma2[j] / pooled;
        /* less than a row's worth: its variance changes the likelihood of
           no row (no spike; a tiny mass, fit_notes.c) */
        int small = rows[j] < share || r < 0.1 * ratio_max;
        if (rows[j] >= 1 && rows[j] < few && r < ratio_max && small && (worst == 0 || r < *ratio)) {
            worst = j + 1;
            *ratio = r;
        }
    }
    return worst;
}

typedef struct {
    const double *resp, *w; /* w: the case weights, or NULL */
    size_t n, k;
} column_sums_job;

/* The responsibilities' column sums over this process's rows, in row
 * order, each row counted by its case weight (as identify.c's masses and
 * the M-step count it). */
static void add_columns(void *job, double *rows)
{
    const column_sums_job *j = job;
    for (size_t r = 0; r < j->n; r++)
        for (size_t i = 0; i < j->k; i++) /* times 1 without case weights */
            rows[i] += (j->w ? j->w[r] : 1.0) * j->resp[r * j->k + i];
}

/* No expert can be spurious when none has a variance below ratio_max
 * times the largest (the pooled variance is at most that): the E-step is
 * then not needed, and fits without small experts are left untouched. */
static int maybe_spurious(const gmoe_model *m, double ratio_max)
{
    double top = 0.0;
    for (size_t j = 0; j < m->k; j++)
        top = fmax(top, m->sigma2[j]);
    for (size_t j = 0; j < m->k; j++)
        if (m->sigma2[j] < ratio_max * top)
            return 1;
    return 0;
}

void gmoe_spurious_judge(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                         const gmoe_em_options *opt, gmoe_fit_info *info)
{
    info->spurious_expert = 0;
    info->spurious_rows = info->spurious_ratio = NAN;
    info->spurious_rows_factor = opt->spurious_rows;
    info->spurious_ratio_max = opt->spurious_ratio;
    if (m->k < 2 || !(opt->spurious_rows > 0) || !maybe_spurious(m, opt->spurious_ratio) ||
        !isfinite(info->loglik))
        return;
    double *rows = malloc(m->k * sizeof(double)), ratio = NAN;
    column_sums_job j = {ws->resp, data->w, data->n, m->k};
    /* out of memory or a failed chain: no verdict (the run ranks by its
       log-likelihood, as with the rule off) */
    if (rows && isfinite(gmoe_em_estep(m, data, ws, ws->resp)) &&
        gmoe_chain_run(data, rows, m->k, add_columns, &j) == GMOE_OK) {
        size_t e = gmoe_spurious_expert(m, rows, opt->spurious_rows, opt->spurious_ratio, &ratio);
        if (e) {
            info->spurious_expert = e;
            info->spurious_rows = rows[e - 1];
            info->spurious_ratio = ratio;
        }
    }
    free(rows);
}
