/* mpi_rate.c -- see mpi_rate.h. */
#include "config.h"

#include <stdio.h>

#include "mpi_rate.h"

#ifdef GMOE_MPI
#include <mpi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "rate_files.h"

enum { TAG_WORK = 1, TAG_ASSIGN, TAG_BYE };
enum { ROW_MAX = 16384 };

static int set_error(gmoe_err *err, int code, const char *message)
{
    if (err) {
        err->code = code;
        snprintf(err->msg, sizeof err->msg, "%s", message);
    }
    return code;
}

/* A WORK message: the result of the sender's last cell (index -1 for
 * none: its first request), then its row; the answer is an ASSIGN of
 * {index, n, rep}, index -1 meaning stop.  All ranks run the same build
 * (the bytes are sent as they are). */
typedef struct {
    int64_t index;
    int32_t status, row_len;
    char message[GMOE_ERRMSG_LEN];
} result_head;

typedef struct {
    const gmoe_model *truth;
    const gmoe_rate_options *ro;
    uint64_t master;
    int has_tau;
} cell_job;

/* Runs cell (n, rep) and puts its result and row into buf (a result_head
 * then ROW_MAX bytes); returns the message length. */
static int run_one(const cell_job *job, double *errs, int64_t index, size_t n, size_t rep, char *buf)
{
    result_head *h = (result_head *)buf;
    char *row = buf + sizeof *h;
    gmoe_rate_cell cell;
    gmoe_err err;
    memset(&cell, 0, sizeof cell);
    gmoe_err_clear(&err);
    cell.err = errs;
    cell.atoms = calloc(job->truth->k, sizeof *cell.atoms); /* NULL: atoms_j written as 0 */
    int cs = gmoe_rate_run_cell(job->truth, job->ro, job->master, n, rep, &cell, &err);
    size_t len = rate_results_row(row, ROW_MAX, &cell, job->has_tau);
    free(cell.atoms);
    h->index = index;
    h->status = cs != GMOE_OK ? cs : len == 0 ? GMOE_EINVAL : GMOE_OK;
    h->row_len = (int32_t)len;
    snprintf(h->message, sizeof h->message, "%s", cs != GMOE_OK ? err.msg : len == 0 ? "row too long" : "");
    return (int)(sizeof *h + len);
}

static int threads_of(int nthreads)
{
#ifdef _OPENMP
    return nthreads > 0 ? nthreads : omp_get_max_threads();
#else
    (void)nthreads;
    return 1;
#endif
}

/* ------------------------------------------------------------ rank 0 */

typedef struct {
    pthread_mutex_t lock;
    const size_t *n, *rep;
    size_t *order, ncells, taken;   /* cells in the order handed out */
    int stop, status;
    gmoe_err *err;
    mpi_rate_arrival arrival;
    void *ctx;
} lead_state;

/* The cells come sorted by N (ascending, as in results.csv): hand out the
 * groups of equal N from the largest, each in its own order, so that the
 * longest fits do not come last. */
static void largest_n_first(const size_t *n, size_t ncells, size_t *order)
{
    size_t out = 0, end = ncells;
    while (end > 0) {
        size_t begin = end - 1;
        while (begin > 0 && n[begin - 1] == n[end - 1])
            begin--;
        for (size_t i = begin; i < end; i++)
            order[out++] = i;
        end = begin;
    }
}

/* With the lock held: the next cell to hand out, or -1. */
static int64_t take_next(lead_state *s)
{
    return s->stop || s->taken == s->ncells ? -1 : (int64_t)s->order[s->taken++];
}

/* With the lock held: one finished cell. */
static void record(lead_state *s, const result_head *h, const char *row)
{
    if (h->index < 0 || (size_t)h->index >= s->ncells)
        return;
    if (h->status != GMOE_OK && !gmoe_rate_cell_recoverable(h->status)) {
        if (s->status == GMOE_OK) {
            s->status = h->status;
            set_error(s->err, h->status, h->message);
        }
        s->stop = 1;
        return;
    }
    if (s->status == GMOE_OK && s->arrival(s->ctx, (size_t)h->index, row, (size_t)h->row_len, h->status, h->message)) {
        s->status = GMOE_EINVAL;
        s->stop = 1;
    }
}

/* The coordinating thread: answers the other ranks until each said bye. */
static void *coordinate(void *arg)
{
    lead_state *s = arg;
    int size, byes = 0;
    char *buf = malloc(sizeof(result_head) + ROW_MAX);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    while (byes < size - 1) {
        int flag, count;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &ms);
        if (!flag) {
            /* Idle ranks' polls would spin a core the fits need. */
            nanosleep(&(struct timespec){0, 200000}, NULL);
            continue;
        }
        MPI_Get_count(&ms, MPI_BYTE, &count);
        MPI_Recv(buf, count, MPI_BYTE, ms.MPI_SOURCE, ms.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (ms.MPI_TAG == TAG_BYE) {
            byes++;
            continue;
        }
        int64_t a[3] = {-1, 0, 0};
        pthread_mutex_lock(&s->lock);
        if (buf && count >= (int)sizeof(result_head))
            record(s, (const result_head *)buf, buf + sizeof(result_head));
        else if (!buf)
            s->stop = 1, s->status = GMOE_ENOMEM;
        a[0] = take_next(s);
        pthread_mutex_unlock(&s->lock);
        if (a[0] >= 0) {
            a[1] = (int64_t)s->n[a[0]];
            a[2] = (int64_t)s->rep[a[0]];
        }
        MPI_Send(a, 3, MPI_INT64_T, ms.MPI_SOURCE, TAG_ASSIGN, MPI_COMM_WORLD);
    }
    free(buf);
    return NULL;
}

/* Rank 0's own threads: cells from the same queue. */
static void work_locally(lead_state *s, const cell_job *job, int nt)
{
    size_t nerr = GMOE_RATE_NERR * job->truth->k;
#pragma omp parallel num_threads(nt)
    {
        char *buf = malloc(sizeof(result_head) + ROW_MAX);
        double *errs = malloc(nerr * sizeof *errs);
        for (;;) {
            pthread_mutex_lock(&s->lock);
            int64_t c = buf && errs ? take_next(s) : -1;
            if (!buf || !errs)
                s->stop = 1, s->status = GMOE_ENOMEM;
            pthread_mutex_unlock(&s->lock);
            if (c < 0)
                break;
            run_one(job, errs, c, s->n[c], s->rep[c], buf);
            pthread_mutex_lock(&s->lock);
            record(s, (const result_head *)buf, buf + sizeof(result_head));
            pthread_mutex_unlock(&s->lock);
        }
        free(buf);
        free(errs);
    }
}

int mpi_rate_lead(const gmoe_model *truth, const gmoe_rate_options *ro, uint64_t master, const size_t *n,
                  const size_t *rep, size_t ncells, int nthreads, mpi_rate_arrival arrival, void *ctx,
                  gmoe_err *err)
{
    lead_state s = {.n = n, .rep = rep, .ncells = ncells, .err = err, .arrival = arrival, .ctx = ctx};
    cell_job job = {truth, ro, master, gmoe_family_has_tau(truth->family)};
    if (!(s.order = malloc((ncells ? ncells : 1) * sizeof *s.order)))
        return set_error(err, GMOE_ENOMEM, "out of memory for the cells' order");
    largest_n_first(n, ncells, s.order);
    pthread_mutex_init(&s.lock, NULL);
    pthread_t coordinator;
    if (pthread_create(&coordinator, NULL, coordinate, &s) != 0) {
        free(s.order);
        return set_error(err, GMOE_ENOMEM, "cannot start the thread that answers the other ranks");
    }
    work_locally(&s, &job, threads_of(nthreads));
    pthread_join(coordinator, NULL);
    pthread_mutex_destroy(&s.lock);
    free(s.order);
    return s.status;
}

/* ------------------------------------------------------------ ranks > 0 */

int mpi_rate_work(const gmoe_model *truth, const gmoe_rate_options *ro, uint64_t master, int nthreads)
{
    cell_job job = {truth, ro, master, gmoe_family_has_tau(truth->family)};
    size_t nerr = GMOE_RATE_NERR * truth->k;
    int status = GMOE_OK;
#pragma omp parallel num_threads(threads_of(nthreads))
    {
        char *buf = malloc(sizeof(result_head) + ROW_MAX);
        double *errs = malloc(nerr * sizeof *errs);
        result_head first = {.index = -1};
        const void *msg = &first;
        int len = sizeof first;
        if (!buf || !errs) {
            /* This thread asks for no cell (rank 0 waits only for cells
             * it handed out). */
#pragma omp atomic write
            status = GMOE_ENOMEM;
        }
        for (int64_t a[3]; buf && errs;) {
#pragma omp critical(gmoe_mpi)
            {
                MPI_Send(msg, len, MPI_BYTE, 0, TAG_WORK, MPI_COMM_WORLD);
                MPI_Recv(a, 3, MPI_INT64_T, 0, TAG_ASSIGN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            }
            if (a[0] < 0)
                break;
            len = run_one(&job, errs, a[0], (size_t)a[1], (size_t)a[2], buf);
            msg = buf;
        }
        free(buf);
        free(errs);
    }
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_BYE, MPI_COMM_WORLD);
    return status;
}

#else /* built without MPI: never called (one rank) */

int mpi_rate_lead(const gmoe_model *truth, const gmoe_rate_options *ro, uint64_t master, const size_t *n,
                  const size_t *rep, size_t ncells, int nthreads, mpi_rate_arrival arrival, void *ctx,
                  gmoe_err *err)
{
    (void)truth, (void)ro, (void)master, (void)n, (void)rep, (void)ncells, (void)nthreads, (void)arrival,
        (void)ctx;
    if (err) {
        err->code = GMOE_ENOTSUP;
        snprintf(err->msg, sizeof err->msg, "this build has no MPI (configure --with-mpi)");
    }
    return GMOE_ENOTSUP;
}

int mpi_rate_work(const gmoe_model *truth, const gmoe_rate_options *ro, uint64_t master, int nthreads)
{
    (void)truth, (void)ro, (void)master, (void)nthreads;
    return GMOE_ENOTSUP;
}

#endif
