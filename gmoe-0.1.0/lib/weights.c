/* weights.c -- case weights of a gmoe_data: their check, their total (the
 * n of BIC and of the per-observation tolerances) and the copy of the
 * rows with positive weight that gmoe_fit works on.
 *
 * Frequency weights: a row with weight w counts as w identical rows, so a
 * fit with integer weights is the fit of the data with each row repeated
 * w times (tests/check_weights.c checks this). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "internal.h"
#include "weights.h"

int gmoe_data_check_weights(const gmoe_data *data, gmoe_err *err)
{
    if (!data || !data->w)
        return GMOE_OK;
    int positive = 0;
    for (size_t r = 0; r < data->n; r++) {
        double w = data->w[r];
        if (!isfinite(w))
            return gmoe_error(err, GMOE_EDATA,
                              "row %zu: the case weight is not finite (NA, NaN or infinite); "
                              "weights must be finite and >= 0", r + 1);
        if (w < 0)
            return gmoe_error(err, GMOE_EDATA,
                              "row %zu: the case weight %g is negative (weights must be >= 0)",
                              r + 1, w);
        positive |= w > 0;
    }
    if (!positive)
        return gmoe_error(err, GMOE_EDATA, "every case weight is zero (%zu rows): nothing to fit",
                          data->n);
    return GMOE_OK;
}

static void add_weights(void *job, double *total)
{
    const gmoe_data *data = job;
    for (size_t r = 0; r < data->n; r++)
        *total += data->w[r];
}

double gmoe_data_total_weight(const gmoe_data *data)
{
    if (!data->w)
        return (double)gmoe_rows_total(data);
    double total;
    gmoe_chain_run(data, &total, 1, add_weights, (void *)data);
    return total;
}

int gmoe_weighted_rows_make(const gmoe_data *data, gmoe_weighted_rows *p, gmoe_err *err)
{
    p->data = *data;
    p->copied = 0;
    size_t n = data->n, d = data->d, kept = 0;
    for (size_t r = 0; data->w && r < n; r++)
        kept += data->w[r] > 0;
    if (!data->w || kept == n)
        return GMOE_OK;
    p->data.n = kept;
    p->data.x = malloc((kept * d + 1) * sizeof(double));
    p->data.y = data->y ? malloc((kept + 1) * sizeof(double)) : NULL;
    p->data.w = malloc((kept + 1) * sizeof(double));
    p->data.gx = data->gate_own ? malloc((kept * data->dg + 1) * sizeof(double)) : NULL;
    p->copied = 1;
    if (!p->data.x || (data->y && !p->data.y) || !p->data.w || (data->gate_own && !p->data.gx)) {
        gmoe_weighted_rows_free(p);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory copying the rows with positive weight");
    }
    for (size_t r = 0, t = 0; r < n; r++) {
        if (!(data->w[r] > 0))
            continue;
        memcpy(p->data.x + t * d, data->x + r * d, d * sizeof(double));
        if (data->gate_own)
            memcpy(p->data.gx + t * data->dg, data->gx + r * data->dg, data->dg * sizeof(double));
        if (data->y)
            p->data.y[t] = data->y[r];
        p->data.w[t++] = data->w[r];
    }
    return GMOE_OK;
}

void gmoe_weighted_rows_free(gmoe_weighted_rows *p)
{
    if (p->copied) {
        free(p->data.x);
        free(p->data.y);
        free(p->data.w);
        if (p->data.gate_own)
            free(p->data.gx);
    }
    p->copied = 0;
}
