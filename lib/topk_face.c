/* topk_face.c -- Newton steps of a top-K fit that keep every row's
 * selected set (issue 11).
 *
 * Inside one selection pattern the log-likelihood is smooth, but its
 * maximum there often lies where a boundary would cross a row: a Newton
 * step (newton.c) or a gate M-step then changes some row's selection, the
 * log-likelihood jumps down, and the damped or halved step shrinks until
 * the run stalls, short of the pattern's maximum.  The selection margins
 * s_a(x_n) - s_b(x_n) (a selected, b not) are linear in the gate
 * parameters, so the steps here are Newton steps with the margins that
 * would change sign first held fixed (an active set): the blocking row's
 * margin becomes an equality constraint, the step is solved again, until
 * the whole step keeps every row's selection. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "derivatives.h"
#include "engine.h"
#include "gating.h"
#include "internal.h"
#include "params.h"
#include "topk_crossing.h"
#include "topk_face.h"

#define MAX_TRIES 8

typedef struct {
    gmoe_layout L;
    size_t P, na, q;       /* parameters, active ones, constraints */
    size_t *active;        /* na indices into P */
    double *theta, *g, *H; /* P, P, P*P */
    double *dir, *c, *t;   /* P each: the step, a margin's gradient, the trial point */
    double *block_ll;      /* the E-step's partial sums */
    double *A, *rhs;       /* na*na damped system; na*(1 + max_q) right-hand sides */
    double *C;             /* max_q*na constraint rows */
    double *S, *step;      /* max_q*max_q; na */
    size_t max_q;
    gmoe_model *trial;
    gmoe_topk_crossing *cross;
} face_ws;

static void face_free(face_ws *w)
{
    free(w->active);
    free(w->theta);
    gmoe_model_free(w->trial);
    gmoe_topk_crossing_free(w->cross);
}

static int face_alloc(face_ws *w, const gmoe_model *m, const gmoe_data *data)
{
    size_t n = data->n;
    memset(w, 0, sizeof *w);
    gmoe_layout_init(&w->L, m);
    size_t P = w->P = w->L.P, q = w->max_q = (m->k - 1) * (m->dg + 1);
    w->active = malloc(P * sizeof(size_t));
    w->theta = malloc((6 * P + 2 * P * P + P * (1 + q) + q * P + q * q + gmoe_nblocks(n)) *
                      sizeof(double));
    w->trial = gmoe_model_clone(m);
    w->cross = gmoe_topk_crossing_alloc(m, data);
    if (!w->active || !w->theta || !w->trial || !w->cross) {
        face_free(w);
        return GMOE_ENOMEM;
    }
    /* theta is the first of the arrays carved from one block */
    double **part[] = {&w->g, &w->step, &w->dir, &w->c, &w->t, &w->H, &w->A, &w->rhs, &w->C,
                       &w->S, &w->block_ll};
    size_t len[] = {P, P, P, P, P, P, P * P, P * P, P * (1 + q), q * P, q * q};
    double *next = w->theta;
    for (size_t j = 0; j < sizeof len / sizeof len[0]; j++)
        *part[j] = next += len[j];
    return GMOE_OK;
}

/* The parameters that move: not a row of exact zeros (a gate that enters
 * only through its selection, K = 1; an expert never selected). */
static void find_active(face_ws *w)
{
    size_t P = w->P;
    w->na = 0;
    for (size_t a = 0; a < P; a++) {
        int zero = w->g[a] == 0.0;
        for (size_t b = 0; zero && b < P; b++)
            zero = w->H[a * P + b] == 0.0;
        if (!zero)
            w->active[w->na++] = a;
    }
}

/* Factors A = -H + lambda diag(max(|H_aa|, tiny)) over the active
 * parameters; non-zero when it is not positive definite. */
static int factor_system(face_ws *w, double lambda)
{
    size_t na = w->na;
    gmoe_damped_system(w->H, w->P, w->active, na, lambda, w->A);
    return LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)na, w->A, (lapack_int)na) != 0;
}

/* The Newton step with the q constraints C step = 0 (the margins they
 * hold stay fixed), into dir (P, zero off the active set):
 * y = A^-1 g, Z = A^-1 C', step = y - Z (C Z)^-1 C y.  Non-zero when the
 * constraints are (numerically) dependent. */
static int constrained_step(face_ws *w, double *dir)
{
    size_t na = w->na, q = w->q, nr = 1 + q;
    for (size_t u = 0; u < na; u++) {
        w->rhs[u * nr] = w->g[w->active[u]];
        for (size_t c = 0; c < q; c++)
            w->rhs[u * nr + 1 + c] = w->C[c * na + u];
    }
    if (LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', (lapack_int)na, (lapack_int)nr, w->A,
                       (lapack_int)na, w->rhs, (lapack_int)nr) != 0)
        return 1;
    double *mu = w->step;
    for (size_t c = 0; c < q; c++) {
        mu[c] = 0.0;
        for (size_t u = 0; u < na; u++)
            mu[c] += w->C[c * na + u] * w->rhs[u * nr];
        for (size_t e = 0; e < q; e++) {
            double v = 0.0;
            for (size_t u = 0; u < na; u++)
                v += w->C[c * na + u] * w->rhs[u * nr + 1 + e];
            w->S[c * q + e] = v;
        }
    }
    if (q > 0 && LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)q, 1, w->S, (lapack_int)q, mu,
                               1) != 0)
        return 1;
    memset(dir, 0, w->P * sizeof(double));
    for (size_t u = 0; u < na; u++) {
        double v = w->rhs[u * nr];
        for (size_t c = 0; c < q; c++)
            v -= w->rhs[u * nr + 1 + c] * mu[c];
        dir[w->active[u]] = v;
    }
    return 0;
}

/* The step that keeps every row's selection: constraints added one at a
 * time for the first row the step would move across a boundary; when no
 * more can be added (too many, or the next one makes the system
 * singular), the step is cut to half the way to that row.  (Re-adding a
 * constraint that made the system singular looped for ever: the same
 * step meets the same row; k = 5, K = 2, 20000 rows.) */
static void pattern_step(const gmoe_model *m, face_ws *w, double *dir, double *c)
{
    w->q = 0;
    for (;;) {
        int singular = 0;
        if (constrained_step(w, dir)) {
            if (w->q == 0)
                break;
            w->q--; /* the last constraint made the system singular */
            constrained_step(w, dir);
            singular = 1;
        }
        double alpha = gmoe_topk_first_crossing(w->cross, m, &w->L, dir, c);
        if (alpha >= 1)
            return;
        if (singular || w->q == w->max_q || w->q + 1 >= w->na) {
            for (size_t a = 0; a < w->P; a++)
                dir[a] *= 0.5 * alpha;
            return;
        }
        for (size_t u = 0; u < w->na; u++)
            w->C[w->q * w->na + u] = c[w->active[u]];
        w->q++;
    }
    memset(dir, 0, w->P * sizeof(double));
}

/* One Newton iteration on the pattern's face, damped until it gains;
 * returns the gain (0: none found). */
static double face_iteration(gmoe_model *m, const gmoe_data *data, face_ws *w, int nthreads,
                             double var_floor, double *ll)
{
    gmoe_derivs dv = {.grad = w->g, .hess = w->H};
    if (gmoe_derivs_compute(m, data, nthreads, &dv) != GMOE_OK)
        return 0.0;
    find_active(w);
    if (w->na == 0)
        return 0.0;
    gmoe_layout_pack(&w->L, m, w->theta);
    gmoe_topk_crossing_prepare(w->cross, m);
    double lambda = 0.0, *dir = w->dir, *t = w->t;
    for (int tries = 0; tries < MAX_TRIES; tries++, lambda = fmax(1e-4, 8 * lambda)) {
        if (factor_system(w, lambda))
            continue;
        pattern_step(m, w, dir, w->c);
        for (size_t a = 0; a < w->P; a++)
            t[a] = w->theta[a] + dir[a];
        gmoe_model_copy_params(w->trial, m);
        gmoe_layout_unpack(&w->L, w->trial, t);
        int ok = 1;
        for (size_t i = 0; i < m->k; i++)
            ok &= w->trial->sigma2[i] >= var_floor && isfinite(w->trial->sigma2[i]);
        double ll1 = ok ? gmoe_estep(w->trial, data, NULL, w->block_ll, nthreads) : -INFINITY;
        if (isfinite(ll1) && ll1 > *ll) {
            double gain = ll1 - *ll;
            gmoe_model_copy_params(m, w->trial);
            *ll = ll1;
            return gain;
        }
    }
    return 0.0;
}

int gmoe_topk_face_steps(gmoe_model *m, const gmoe_data *data, int nthreads, double var_floor,
                         size_t max_steps, double *ll)
{
    face_ws w;
    if (face_alloc(&w, m, data) != GMOE_OK)
        return GMOE_ENOMEM;
    for (size_t it = 0; it < max_steps; it++)
        if (!(face_iteration(m, data, &w, nthreads, var_floor, ll) > 1e-10 * (double)data->n))
            break;
    face_free(&w);
    return GMOE_OK;
}
