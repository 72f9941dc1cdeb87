/* mpi_shard.c -- see mpi_shard.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mpi_session.h"
#include "mpi_shard.h"

#define SHARD_BLOCK_ROWS 512 /* libgmoe's GMOE_BLOCK_ROWS (lib/internal.h) */

int mpi_shard_parse(const char *arg, int *mode)
{
    if (strcmp(arg, "rows") == 0)
        *mode = SHARD_ROWS;
    else if (strcmp(arg, "files") == 0)
        *mode = SHARD_FILES;
    else
        return cli_usage_error("--shard: expected rows or files, got \"%s\"", arg);
    return CLI_EXIT_OK;
}

char *mpi_shard_path(int mode, const char *path)
{
    const char *at = mode == SHARD_FILES ? strstr(path, "%d") : NULL;
    if (mode == SHARD_FILES && !at) {
        cli_usage_error("--shard files: the data file name \"%s\" has no %%d (replaced by each rank's number)",
                        path);
        return NULL;
    }
    size_t len = strlen(path) + 24;
    char *out = malloc(len);
    if (!out)
        return NULL;
    if (at)
        snprintf(out, len, "%.*s%d%s", (int)(at - path), path, mpi_rank(), at + 2);
    else
        snprintf(out, len, "%s", path);
    return out;
}

/* Keeps rows lo .. hi - 1 of data (its arrays shrink in place). */
static void shard_keep_rows(gmoe_data *data, size_t lo, size_t hi)
{
    size_t d = data->d, dg = data->gate_own ? data->dg : 0, n = hi - lo;
    memmove(data->x, data->x + lo * d, n * d * sizeof(double));
    if (data->y)
        memmove(data->y, data->y + lo, n * sizeof(double));
    if (data->w)
        memmove(data->w, data->w + lo, n * sizeof(double));
    if (dg)
        memmove(data->gx, data->gx + lo * dg, n * dg * sizeof(double));
    data->n = n;
}

#ifdef GMOE_MPI
#include <mpi.h>

static struct {
    unsigned long chains, sent, received, bytes_sent, bytes_received;
} shard_stats;

/* gmoe_shard.chain: the running sum along the ranks, then the last
 * rank's total to all. */
static int shard_chain(void *ctx, double *buf, size_t len, gmoe_chain_apply apply, void *job)
{
    (void)ctx;
    int rank = mpi_rank(), size = mpi_size();
    if (rank > 0) {
        if (MPI_Recv(buf, (int)len, MPI_DOUBLE, rank - 1, 17, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
        shard_stats.received++, shard_stats.bytes_received += len * sizeof(double);
    }
    apply(job, buf);
    if (rank + 1 < size) {
        if (MPI_Send(buf, (int)len, MPI_DOUBLE, rank + 1, 17, MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
        shard_stats.sent++, shard_stats.bytes_sent += len * sizeof(double);
    }
    shard_stats.chains++;
    return size > 1 && MPI_Bcast(buf, (int)len, MPI_DOUBLE, size - 1, MPI_COMM_WORLD) != MPI_SUCCESS;
}

int mpi_shard_agree(int st)
{
    int worst = st, failed = st ? mpi_rank() : mpi_size(), first = failed;
    if (mpi_size() < 2) /* not started by mpirun: MPI is not running */
        return st;
    if (MPI_Allreduce(&st, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS ||
        MPI_Allreduce(&failed, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
        return CLI_EXIT_ESTIMATION;
    if (worst && !st && mpi_rank() == 0)
        cli_error("--shard: rank %d could not read or check its data (exit code %d)", first, worst);
    return worst;
}

/* The rows before this rank's and the rows of all ranks. */
static int shard_count_rows(size_t n, size_t *first, size_t *total)
{
    unsigned long mine = n, before = 0, all = n;
    if (mpi_size() > 1 &&
        (MPI_Exscan(&mine, &before, 1, MPI_UNSIGNED_LONG, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS ||
         MPI_Allreduce(&mine, &all, 1, MPI_UNSIGNED_LONG, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS))
        return -1;
    *first = mpi_rank() == 0 ? 0 : before;
    *total = all;
    return 0;
}

int mpi_shard_attach(int mode, gmoe_data *data, gmoe_shard *shard)
{
    size_t size = (size_t)mpi_size(), rank = (size_t)mpi_rank();
    *shard = (gmoe_shard){.n_total = data->n, .chain = shard_chain};
    if (mode == SHARD_ROWS) {
        size_t nb = (data->n + SHARD_BLOCK_ROWS - 1) / SHARD_BLOCK_ROWS;
        size_t lo = nb * rank / size * SHARD_BLOCK_ROWS, hi = nb * (rank + 1) / size * SHARD_BLOCK_ROWS;
        shard_keep_rows(data, lo, hi < data->n ? hi : data->n);
        shard->first_row = lo;
    } else if (shard_count_rows(data->n, &shard->first_row, &shard->n_total)) {
        cli_error("--shard files: counting the ranks' rows failed");
        return CLI_EXIT_ESTIMATION;
    }
    unsigned long off = shard->first_row % SHARD_BLOCK_ROWS != 0, any = off;
    if (size > 1)
        MPI_Allreduce(&off, &any, 1, MPI_UNSIGNED_LONG, MPI_MAX, MPI_COMM_WORLD);
    if (any && rank == 0)
        fprintf(stderr, "mixfit: warning: --shard files: a shard does not start on a multiple of %d rows, "
                        "so the fit may differ from one process's in the last bits\n", SHARD_BLOCK_ROWS);
    data->shard = shard;
    return CLI_EXIT_OK;
}

void mpi_shard_report(void)
{
    if (!getenv("GMOE_SHARD_STATS"))
        return;
    unsigned long mine[4] = {shard_stats.sent, shard_stats.received, shard_stats.bytes_sent, shard_stats.bytes_received};
    unsigned long all[4] = {mine[0], mine[1], mine[2], mine[3]};
    if (mpi_size() > 1)
        MPI_Reduce(mine, all, 4, MPI_UNSIGNED_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    if (mpi_rank() == 0)
        fprintf(stderr, "mixfit: shard: %d ranks, %lu chains; point-to-point: %lu messages, %lu bytes; "
                        "broadcasts: %lu of %lu bytes in all (from rank %d)\n",
                mpi_size(), shard_stats.chains, all[0], all[2], mpi_size() > 1 ? shard_stats.chains : 0,
                mpi_size() > 1 ? all[2] / (unsigned long)(mpi_size() - 1) : 0, mpi_size() - 1);
}

#else /* one process: the whole data are this rank's shard */

int mpi_shard_agree(int st)
{
    return st;
}

static int shard_chain(void *ctx, double *buf, size_t len, gmoe_chain_apply apply, void *job)
{
    (void)ctx;
    (void)len;
    apply(job, buf);
    return 0;
}

int mpi_shard_attach(int mode, gmoe_data *data, gmoe_shard *shard)
{
    (void)mode;
    shard_keep_rows(data, 0, data->n);
    *shard = (gmoe_shard){.n_total = data->n, .chain = shard_chain};
    data->shard = shard;
    return CLI_EXIT_OK;
}

void mpi_shard_report(void) {}

#endif
