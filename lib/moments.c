/* moments.c -- the means and spreads of a fit's data (the covariates'
 * standardization, the variance of y): sums over all rows, in row order,
 * through chain.h so that sharded data give the one-process bits. */
#include <math.h>
#include <stdlib.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"

typedef struct {
    const double *x, *y, *w, *centre; /* centre: d means, or NULL for sums */
    size_t n, d;
} rows_job;

/* s plus column x (stride d, n rows) or its squares about *centre, added
 * row after row. */
static double column_sum(const double *x, size_t n, size_t d, const double *centre, double s)
{
    if (centre) {
        double m = *centre;
        for (size_t r = 0; r < n; r++)
            s += (x[r * d] - m) * (x[r * d] - m);
    } else {
        for (size_t r = 0; r < n; r++)
            s += x[r * d];
    }
    return s;
}

/* Columns at most this many: summed one at a time (their rows share cache
 * lines, so the passes read memory about once). */
#define COLUMNS_ONE_AT_A_TIME 4

/* buf[j] += x[r][j] (centre NULL) or (x[r][j] - centre[j])^2, row after
 * row: per column, the additions of a loop over the rows.  A few columns
 * are summed one at a time in a register: adding into buf row after row
 * stored and reloaded the sum each time, a store-forwarding delay on every
 * addition (the fit's moments were 6% of the reference grid's CPU); the
 * same additions in the same order. */
static void add_columns(void *job, double *buf)
{
    const rows_job *j = job;
    if (j->d <= COLUMNS_ONE_AT_A_TIME) {
        for (size_t c = 0; c < j->d; c++)
            buf[c] = column_sum(j->x + c, j->n, j->d, j->centre ? j->centre + c : NULL, buf[c]);
        return;
    }
    for (size_t r = 0; r < j->n; r++)
        for (size_t c = 0; c < j->d; c++) {
            double v = j->x[r * j->d + c];
            if (j->centre)
                v = (v - j->centre[c]) * (v - j->centre[c]);
            buf[c] += v;
        }
}

void gmoe_column_spreads(const gmoe_data *data, const double *x, size_t d, double *mean,
                         double *sd)
{
    double n = (double)gmoe_rows_total(data);
    rows_job j = {.x = x, .n = data->n, .d = d};
    gmoe_chain_run(data, mean, d, add_columns, &j);
    for (size_t c = 0; c < d; c++)
        mean[c] /= n;
    j.centre = mean;
    gmoe_chain_run(data, sd, d, add_columns, &j);
    for (size_t c = 0; c < d; c++)
        sd[c] = sqrt(sd[c] / n);
}

void gmoe_column_moments(const gmoe_data *data, const double *x, size_t d, double *mean,
                         double *sd)
{
    gmoe_column_spreads(data, x, d, mean, sd);
    for (size_t c = 0; c < d; c++) /* a constant column is left unscaled */
        if (!(sd[c] > 0))
            sd[c] = 1.0;
}

/* Weighted: buf = (sum w, sum w y), or with centre sum w (y - centre)^2. */
static void add_weighted(void *job, double *buf)
{
    const rows_job *j = job;
    for (size_t r = 0; r < j->n; r++) {
        if (j->centre) {
            buf[0] += j->w[r] * (j->y[r] - *j->centre) * (j->y[r] - *j->centre);
        } else {
            buf[0] += j->w[r];
            buf[1] += j->w[r] * j->y[r];
        }
    }
}

double gmoe_response_variance(const gmoe_data *data)
{
    double s[2], ss, mean;
    rows_job j = {.x = data->y, .y = data->y, .w = data->w, .n = data->n, .d = 1};
    if (data->w) {
        gmoe_chain_run(data, s, 2, add_weighted, &j);
        mean = s[1] / s[0];
        j.centre = &mean;
        gmoe_chain_run(data, &ss, 1, add_weighted, &j);
        return s[0] > 1 ? ss / (s[0] - 1) : ss / s[0];
    }
    double n = (double)gmoe_rows_total(data);
    gmoe_chain_run(data, &mean, 1, add_columns, &j);
    mean /= n;
    j.centre = &mean;
    gmoe_chain_run(data, &ss, 1, add_columns, &j);
    return n > 1 ? ss / (n - 1) : 0.0;
}
