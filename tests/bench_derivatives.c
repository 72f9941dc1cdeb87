/* bench_derivatives.c -- the cost of the Newton phase (issue 11): CPU
 * time of one gradient + Hessian call of the observed log-likelihood, and
 * of one start run to convergence (built by `make check`, never run by
 * it: timings are not tests).
 *
 * usage: bench_derivatives calls DATA.csv MODEL.json [CALLS [REPS [THREADS]]]
 *        bench_derivatives polish DATA.csv MODEL.json [REPS [THREADS]]
 *
 * DATA.csv: y the last column, every other a covariate (as mixfit's
 * defaults); MODEL.json: a model file (mixfit -o).
 * calls: REPS times CALLS calls of gmoe_derivs_compute (gradient and
 * Hessian) at MODEL, of the gradient alone and of the E-step; the least CPU time per call
 * (user + system of the process) and, to see a change of bits, the
 * log-likelihood, the sum of the gradient's entries and of the Hessian's.
 * polish: REPS fits with one start, MODEL (as mixfit -k K --init MODEL
 * --se none): the least CPU time, the iterations (EM and Newton), the
 * log-likelihood, the gradient norm and the stop. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "derivatives.h"
#include "engine.h"
#include "internal.h"
#include "params.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static gmoe_data *read_data(const char *path)
{
    gmoe_table *t = NULL;
    gmoe_data *data = NULL;
    gmoe_err err;
    if (gmoe_table_read(path, &t, &err) ||
        gmoe_data_from_table(t, NULL, NULL, 0, 0, &data, &err))
        fprintf(stderr, "bench_derivatives: %s\n", err.msg);
    gmoe_table_free(t);
    return data;
}

static int time_calls(const gmoe_model *m, const gmoe_data *data, int calls, int reps,
                      int threads)
{
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    size_t P = L.P;
    double *g = malloc(P * sizeof(double)), *H = malloc(P * P * sizeof(double));
    double *block_ll = malloc(gmoe_nblocks(data->n) * sizeof(double));
    if (!g || !H || !block_ll)
        return 1;
    gmoe_derivs dv = {.grad = g, .hess = H};
    gmoe_derivs gv = {.grad = g};
    double best = INFINITY, best_g = INFINITY, best_e = INFINITY;
    for (int rep = 0; rep < reps; rep++) {
        double c0 = cpu_now();
        for (int c = 0; c < calls; c++)
            if (gmoe_derivs_compute(m, data, threads, &gv))
                return 1;
        double c1 = cpu_now();
        for (int c = 0; c < calls; c++)
            if (gmoe_derivs_compute(m, data, threads, &dv))
                return 1;
        double c2 = cpu_now();
        for (int c = 0; c < calls; c++)
            gmoe_estep(m, data, NULL, block_ll, threads);
        double c3 = cpu_now();
        best_g = fmin(best_g, (c1 - c0) / calls);
        best = fmin(best, (c2 - c1) / calls);
        best_e = fmin(best_e, (c3 - c2) / calls);
    }
    double sg = 0.0, sh = 0.0;
    for (size_t a = 0; a < P; a++)
        sg += g[a];
    for (size_t a = 0; a < P * P; a++)
        sh += H[a];
    printf("k %zu d %zu n %zu P %zu threads %d: gradient+Hessian %.3f ms/call, gradient %.3f ms, "
           "E-step %.3f ms (least of %d x %d calls)\n",
           m->k, m->d, data->n, P, threads, 1e3 * best, 1e3 * best_g, 1e3 * best_e, reps, calls);
    printf("loglik %.17g sum(grad) %.17g sum(hess) %.17g\n", dv.loglik, sg, sh);
    free(g);
    free(H);
    free(block_ll);
    return 0;
}

static int time_polish(const gmoe_model *init, const gmoe_data *data, int reps, int threads)
{
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 1;
    opt.nthreads = threads;
    gmoe_model *m = gmoe_model_clone(init);
    gmoe_err err;
    double best = INFINITY;
    for (int rep = 0; m && rep < reps; rep++) {
        double c0 = cpu_now();
        if (gmoe_fit(data, m, init, &opt, &err)) {
            fprintf(stderr, "bench_derivatives: %s\n", err.msg);
            return 1;
        }
        best = fmin(best, cpu_now() - c0);
    }
    if (!m)
        return 1;
    const gmoe_fit_info *f = &m->fit;
    printf("k %zu n %zu threads %d: one start %.3f s CPU (least of %d), %zu iterations "
           "(%zu Newton), loglik %.10f, gradient norm %.3g, stop %s\n",
           m->k, data->n, threads, best, reps, f->iterations, f->newton_iterations, f->loglik,
           f->grad_norm, gmoe_stop_name(f->stop));
    gmoe_model_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    int polish = argc > 1 && strcmp(argv[1], "polish") == 0;
    if (argc < 4 || (!polish && strcmp(argv[1], "calls") != 0)) {
        fprintf(stderr, "usage: bench_derivatives calls DATA.csv MODEL.json [CALLS [REPS [THREADS]]]\n"
                        "       bench_derivatives polish DATA.csv MODEL.json [REPS [THREADS]]\n");
        return 2;
    }
    int a = 4, calls = polish ? 1 : argc > a ? atoi(argv[a++]) : 20;
    int reps = argc > a ? atoi(argv[a++]) : 3, threads = argc > a ? atoi(argv[a]) : 1;
    gmoe_data *data = read_data(argv[2]);
    gmoe_model *m = NULL;
    gmoe_err err;
    if (gmoe_model_read(argv[3], &m, &err)) {
        fprintf(stderr, "bench_derivatives: %s\n", err.msg);
        return 1;
    }
    if (!data || calls < 1 || reps < 1)
        return 1;
    int st = polish ? time_polish(m, data, reps, threads) : time_calls(m, data, calls, reps, threads);
    gmoe_model_free(m);
    gmoe_data_free(data);
    return st;
}
