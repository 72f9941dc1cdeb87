/* chain.c -- see chain.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "internal.h"

int gmoe_chain_run(const gmoe_data *data, double *buf, size_t len, gmoe_chain_apply apply,
                   void *job)
{
    memset(buf, 0, len * sizeof(double));
    if (!data->shard) {
        apply(job, buf);
        return GMOE_OK;
    }
    if (data->shard->chain(data->shard->ctx, buf, len, apply, job) == 0)
        return GMOE_OK;
    for (size_t u = 0; u < len; u++)
        buf[u] = NAN;
    return GMOE_EINVAL;
}

typedef struct {
    const double *blocks;
    size_t nb, width;
} fold_job;

/* The blocks added to the running sum one after the other: the same
 * additions, in the same order, as one loop over all blocks. */
void gmoe_add_blocks(double *sum, const double *blocks, size_t nb, size_t width)
{
    for (size_t b = 0; b < nb; b++)
        for (size_t u = 0; u < width; u++)
            sum[u] += blocks[b * width + u];
}

static void add_blocks(void *job, double *sum)
{
    const fold_job *j = job;
    gmoe_add_blocks(sum, j->blocks, j->nb, j->width);
}

void gmoe_fold_blocks(const gmoe_data *data, const double *blocks, size_t nb, size_t width,
                      double *sum)
{
    fold_job j = {blocks, nb, width};
    gmoe_chain_run(data, sum, width, add_blocks, &j);
}

int gmoe_shard_check(const gmoe_data *data, const gmoe_model *m, gmoe_err *err)
{
    if (!data || !data->shard)
        return GMOE_OK;
    if (data->w)
        return gmoe_error(err, GMOE_ENOTSUP, "case weights are not supported with sharded data");
    if (m && m->family == GMOE_TOPK)
        return gmoe_error(err, GMOE_ENOTSUP, "the top-K gate is not supported with sharded data");
    return GMOE_OK;
}

size_t gmoe_rows_total(const gmoe_data *data)
{
    return data->shard ? data->shard->n_total : data->n;
}

typedef struct {
    const gmoe_data *data;
    const size_t *rows;
    size_t m, width;
} fetch_job;

/* The rows held here written into their places in buf (each row: x, gx,
 * y); the other processes leave them alone. */
static void write_own_rows(void *job, double *buf)
{
    const fetch_job *j = job;
    const gmoe_data *data = j->data;
    size_t first = data->shard ? data->shard->first_row : 0, d = data->d;
    size_t dg = data->gate_own ? data->dg : 0;
    for (size_t i = 0; i < j->m; i++) {
        if (j->rows[i] < first || j->rows[i] - first >= data->n)
            continue;
        size_t r = j->rows[i] - first;
        double *out = buf + i * j->width;
        memcpy(out, data->x + r * d, d * sizeof(double));
        if (dg)
            memcpy(out + d, data->gx + r * dg, dg * sizeof(double));
        out[d + dg] = data->y ? data->y[r] : 0.0;
    }
}

int gmoe_chain_fetch_rows(const gmoe_data *data, const size_t *rows, size_t m, double *x,
                          double *gx, double *y)
{
    size_t d = data->d, dg = data->gate_own ? data->dg : 0, width = d + dg + 1;
    double *buf = malloc((m * width + 1) * sizeof(double));
    if (!buf)
        return GMOE_ENOMEM;
    fetch_job j = {data, rows, m, width};
    int st = gmoe_chain_run(data, buf, m * width, write_own_rows, &j);
    for (size_t i = 0; i < m; i++) {
        memcpy(x + i * d, buf + i * width, d * sizeof(double));
        if (gx && dg)
            memcpy(gx + i * dg, buf + i * width + d, dg * sizeof(double));
        if (y)
            y[i] = buf[i * width + d + dg];
    }
    free(buf);
    return st;
}
