/* bench_shapes.c -- time of a steady EM iteration of one shape, beside
 * its floor on this machine (scripts/bench-shapes.sh runs it; built by
 * `make check`, never run by it: timings are not tests).
 *
 * usage: bench_shapes K D [N [ITERS [REPS [THREADS]]]]
 * With GMOE_GRAM_KERNEL set in the environment (avx512, avx2, default),
 * the Z'WZ products run in that kernel (block_gram.c gmoe_gram_use)
 * instead of the best this processor has: exit 1 if it cannot run here.
 *
 * Softmax gate, K experts, D covariates x ~ N(0, 1), N rows drawn from a
 * fixed model.  EM starts from that model with every variance 1 and every
 * intercept 0; after 3 warm-up iterations ITERS plain EM iterations
 * (gmoe_em_step: both M-steps and the E-step) are timed, REPS times, and
 * the least CPU time (user + system of the process, all threads) and the
 * least wall time per iteration are printed.
 *
 * The floor of one iteration is the sum of three times measured here:
 * - explog: the exps and logs an iteration cannot avoid, 2 (K + 1) per
 *   row (the E-step's log-sum-exp and one fresh gate evaluation in the
 *   gate M-step: K exps and a log each), timed through the same vector
 *   library calls the engine makes, on the best vector width the
 *   processor has;
 * - bytes: the reads and writes an iteration cannot avoid (the E-step
 *   reads x, y and writes the responsibilities; the experts' M-step reads
 *   x, y and them; the gate M-step reads x and them: 8 (3D + 2 + 4K)
 *   bytes per row), at the read bandwidth measured on a buffer of the
 *   size of those arrays (so from the cache level they fit in);
 * - flops: the arithmetic of one E-step, one pass of normal equations and
 *   residuals per expert and one gate pass with its gradient and Hessian
 *   (flops_per_row below), at the peak measured with independent
 *   multiply-adds in vector registers.
 * bytes/row is the memory the fit holds per row (data and workspace),
 * measured with mallinfo2 around their allocation. */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "internal.h"
#include "vector_math.h"

#if defined(GMOE_VECTOR_MATH) && defined(_OPENMP)
#define BEST_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BEST_CLONES
#endif

static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A fixed model: gates and expert lines spread with the expert index. */
static gmoe_model *make_model(size_t k, size_t d)
{
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, k, d);
    if (!m)
        return NULL;
    for (size_t i = 0; i < k; i++) {
        double c = (double)i - 0.5 * (double)(k - 1);
        m->beta0[i] = i + 1 < k ? 0.2 * c : 0.0;
        m->b[i] = 1.5 * c;
        m->sigma2[i] = 0.3;
        for (size_t j = 0; j < d; j++) {
            double s = (j % 2 ? -1.0 : 1.0) / (double)(j + 1);
            m->beta1[i * d + j] = i + 1 < k ? 1.5 * c * s : 0.0;
            m->a[i * d + j] = (i % 2 ? -1.0 : 1.0) * (1.0 + 0.1 * (double)j);
        }
    }
    return m;
}

static gmoe_data *make_data(const gmoe_model *m, size_t n)
{
    gmoe_data *data = calloc(1, sizeof *data);
    if (!data)
        return NULL;
    data->n = n;
    data->d = m->d;
    data->x = malloc(n * m->d * sizeof(double));
    data->y = malloc(n * sizeof(double));
    if (!data->x || !data->y ||
        gmoe_simulate_design(GMOE_DESIGN_NORMAL, n, m->d, NULL, NULL, 11, data->x, NULL) ||
        gmoe_simulate_y(m, data->x, n, 12, data->y, NULL, NULL)) {
        gmoe_data_free(data);
        return NULL;
    }
    return data;
}

static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

typedef struct {
    double cpu, wall; /* least per iteration, seconds */
    size_t bytes;     /* data and workspace */
    double loglik;
} em_timing;

/* REPS runs of 3 + ITERS EM iterations from the start; the least times. */
static int time_em(const gmoe_model *truth, size_t n, int iters, int reps, int threads,
                   em_timing *t)
{
    size_t before = heap_bytes();
    gmoe_data *data = make_data(truth, n);
    gmoe_model *m = gmoe_model_clone(truth);
    gmoe_em_ws *ws = data && m ? gmoe_em_ws_alloc(m, data, threads) : NULL;
    if (!ws)
        return -1;
    t->bytes = heap_bytes() - before;
    t->cpu = t->wall = INFINITY;
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    for (int rep = 0; rep < reps; rep++) {
        gmoe_model_copy_params(m, truth);
        for (size_t i = 0; i < m->k; i++) {
            m->sigma2[i] = 1.0;
            m->b[i] = 0.0;
        }
        int failed = 0;
        gmoe_em_estep(m, data, ws, ws->resp);
        for (int it = 0; it < 3; it++)
            gmoe_em_step(m, data, ws, &opt, &failed);
        double c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
        for (int it = 0; it < iters; it++)
            t->loglik = gmoe_em_step(m, data, ws, &opt, &failed);
        double c = (now(CLOCK_PROCESS_CPUTIME_ID) - c0) / iters;
        double w = (now(CLOCK_MONOTONIC) - w0) / iters;
        t->cpu = c < t->cpu ? c : t->cpu;
        t->wall = w < t->wall ? w : t->wall;
        if (failed)
            return -1;
    }
    gmoe_em_ws_free(ws);
    gmoe_model_free(m);
    gmoe_data_free(data);
    return 0;
}

/* exp of n arguments in [-5, 0] and log of n/k in [1, k], as the
 * engine's block log-sum-exp calls them (block_lse.c). */
BEST_CLONES static void explog_kernel(double *e, double *l, size_t ne, size_t nl)
{
#pragma omp simd
    for (size_t j = 0; j < ne; j++)
        e[j] = exp(e[j]);
#pragma omp simd
    for (size_t j = 0; j < nl; j++)
        l[j] = log(l[j]);
}

/* Seconds for the exps and logs of one iteration: 2 (k exps + 1 log)
 * per row, the least of 5 timings. */
static double explog_floor(size_t n, size_t k)
{
    size_t ne = 2 * n * k, nl = 2 * n;
    double *e = malloc(ne * sizeof(double)), *l = malloc(nl * sizeof(double));
    double best = INFINITY;
    for (int rep = 0; e && l && rep < 5; rep++) {
        for (size_t j = 0; j < ne; j++)
            e[j] = -5.0 * (double)(j % 997) / 997.0;
        for (size_t j = 0; j < nl; j++)
            l[j] = 1.0 + (double)(k - 1) * (double)(j % 991) / 991.0;
        double c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        explog_kernel(e, l, ne, nl);
        double c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        best = c < best ? c : best;
    }
    free(e);
    free(l);
    return best;
}

BEST_CLONES static double sum_kernel(const double *a, size_t n)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (size_t j = 0; j < n; j++)
        s += a[j];
    return s;
}

/* Read bandwidth (bytes per second) over `bytes` bytes, best of 20. */
static double read_bandwidth(size_t bytes, double *sink)
{
    size_t n = bytes / sizeof(double) + 1;
    double *a = malloc(n * sizeof(double)), best = INFINITY;
    for (size_t j = 0; a && j < n; j++)
        a[j] = (double)(j % 7);
    for (int rep = 0; a && rep < 20; rep++) {
        double c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        *sink += sum_kernel(a, n);
        double c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        best = c < best ? c : best;
    }
    free(a);
    return (double)(n * sizeof(double)) / best;
}

/* Multiply-adds on 12 independent vectors of 4 (ymm registers, enough to
 * hide the latency of two FMA pipes) or, on AVX-512, 6 of 8 (zmm):
 * returns a value that depends on them.  Two kernels, not one vector type
 * under target_clones: a 64-byte vector on AVX2 lives on the stack and the
 * loop then measures stores, not multiply-adds (it understated this
 * machine's peak 8-fold and overstated the floor). */
typedef double vec4 __attribute__((vector_size(32)));
typedef double vec8 __attribute__((vector_size(64)));
#define FMA_STEP(a) ((a) = (a) * mul + add)

#if defined(__x86_64__) && defined(_OPENMP)
__attribute__((target("arch=x86-64-v4"))) static double fma_kernel_zmm(size_t iters, double seed)
{
    vec8 mul = {0}, add = {0}, a[6];
    mul += 0.999999;
    add += 1e-7;
    for (int j = 0; j < 6; j++)
        a[j] = add * seed + (double)j;
    for (size_t it = 0; it < iters; it++) {
        FMA_STEP(a[0]); FMA_STEP(a[1]); FMA_STEP(a[2]);
        FMA_STEP(a[3]); FMA_STEP(a[4]); FMA_STEP(a[5]);
    }
    vec8 s = a[0] + a[1] + a[2] + a[3] + a[4] + a[5];
    return s[0] + s[7];
}
#define YMM_TARGET __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define YMM_TARGET
#endif

YMM_TARGET static double fma_kernel_ymm(size_t iters, double seed)
{
    vec4 mul = {0}, add = {0}, a[12];
    mul += 0.999999;
    add += 1e-7;
    for (int j = 0; j < 12; j++)
        a[j] = add * seed + (double)j;
    for (size_t it = 0; it < iters; it++) {
        FMA_STEP(a[0]); FMA_STEP(a[1]); FMA_STEP(a[2]); FMA_STEP(a[3]);
        FMA_STEP(a[4]); FMA_STEP(a[5]); FMA_STEP(a[6]); FMA_STEP(a[7]);
        FMA_STEP(a[8]); FMA_STEP(a[9]); FMA_STEP(a[10]); FMA_STEP(a[11]);
    }
    vec4 s = a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7] + a[8] + a[9] + a[10] + a[11];
    return s[0] + s[3];
}

/* Both kernels do 48 multiply-adds an iteration: the widest this
 * processor runs (the ymm kernel has a clone for processors without AVX2). */
static double fma_kernel(size_t iters, double seed)
{
#if defined(__x86_64__) && defined(_OPENMP)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return fma_kernel_zmm(iters, seed);
#endif
    return fma_kernel_ymm(iters, seed);
}

static double flops_peak(double *sink)
{
    double best = INFINITY;
    size_t iters = 1000000;
    for (int rep = 0; rep < 5; rep++) {
        double c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        *sink += fma_kernel(iters, *sink);
        double c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        best = c < best ? c : best;
    }
    return 2.0 * 48.0 * (double)iters / best;
}

/* The arithmetic of one iteration per row, p = d + 1:
 * E-step: logits 2kp, expert means 2kp, the normal terms 4k, the
 * log-sum-exp's subtractions, sum and normalization 4k;
 * experts: per expert the normal equations' upper triangle and right
 * side, 2 (p (p + 1) / 2 + p), and the residual square, 2p + 3;
 * gate: logits 2kp, gates 3k, gradient 2p (k - 1) + 3 (k - 1), and the
 * Hessian: its (k - 1) x (k - 1) blocks of p x p are each a weighted
 * z z' (weight R g_i (delta_ij - g_j)), so each block is symmetric
 * itself and the k (k - 1) / 2 blocks on and above the diagonal have
 * p (p + 1) / 2 distinct entries each, at 2 flops (a multiply-add), plus
 * one product for each block's weight.  (Until issue 18's third round
 * this counted the whole upper triangle of the (k - 1) p square,
 * (k - 1) p ((k - 1) p + 1) flops, which counts the off-diagonal blocks'
 * mirrored halves too: 1806 against 1389 flops a row at k = 3, d = 20.) */
static double flops_per_row(size_t k, size_t d)
{
    double p = (double)(d + 1), K = (double)k, blocks = K * (K - 1) / 2;
    double estep = 4 * K * p + 8 * K;
    double experts = K * (p * (p + 1) + 2 * p + 2 * p + 3);
    double gate = 2 * K * p + 3 * K + (K - 1) * (2 * p + 3) + blocks * (p * (p + 1) + 1);
    return estep + experts + gate;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_shapes K D [N [ITERS [REPS [THREADS]]]]\n");
        return 2;
    }
    size_t k = strtoul(argv[1], NULL, 10), d = strtoul(argv[2], NULL, 10);
    size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
    int iters = argc > 4 ? atoi(argv[4]) : 10, reps = argc > 5 ? atoi(argv[5]) : 5;
    int threads = argc > 6 ? atoi(argv[6]) : 1;
    const char *gram = getenv("GMOE_GRAM_KERNEL");
    if (gram && gmoe_gram_use(gram) != 0) {
        fprintf(stderr, "bench_shapes: GMOE_GRAM_KERNEL=%s: no such kernel on this processor\n",
                gram);
        return 1;
    }
    gmoe_model *truth = k >= 2 && d >= 1 && n >= 10 ? make_model(k, d) : NULL;
    em_timing t;
    if (!truth || iters < 1 || reps < 1 || threads < 1 ||
        time_em(truth, n, iters, reps, threads, &t) != 0) {
        fprintf(stderr, "bench_shapes: bad arguments or the fit failed\n");
        return 1;
    }
    double sink = 0.0;
    double need_bytes = 8.0 * (3.0 * (double)d + 2 + 4.0 * (double)k) * (double)n;
    double bw = read_bandwidth((size_t)(8.0 * (double)(d + 1 + k) * (double)n), &sink);
    double f_explog = explog_floor(n, k), f_bytes = need_bytes / bw;
    double f_flops = flops_per_row(k, d) * (double)n / flops_peak(&sink);
    double floor = f_explog + f_bytes + f_flops;
    /* k d n threads cpu_ms wall_ms floor_ms ratio explog_ms bytes_ms flops_ms bytes/row loglik */
    printf("%zu %zu %zu %d %.3f %.3f %.3f %.2f %.3f %.3f %.3f %.0f %.17g%s\n", k, d, n, threads,
           1e3 * t.cpu, 1e3 * t.wall, 1e3 * floor, t.cpu / floor, 1e3 * f_explog, 1e3 * f_bytes,
           1e3 * f_flops, (double)t.bytes / (double)n, t.loglik, sink == 1.2345 ? " " : "");
    gmoe_model_free(truth);
    return 0;
}
