/* softmax_row.h -- one row of the softmax gate: its logits, and its
 * M-step objective with gradient and Hessian (private).  Inline: the
 * passes over the data call them for every row, and the engine
 * specializes those loops for small k and d (mstep_gate.c, gating.c),
 * which needs the bodies visible. */
#ifndef GMOE_SOFTMAX_ROW_H
#define GMOE_SOFTMAX_ROW_H

#include <math.h>
#include <stddef.h>

#include "gmoe.h"
#include "internal.h"

/* Softmax logits l_i = beta0_i + beta1_i'x into l[k] (k, d: m's). */
static inline __attribute__((always_inline)) void
gmoe_softmax_logits_row(const gmoe_model *m, size_t k, size_t d, const double *x, double *l)
{
    for (size_t i = 0; i < k; i++) {
        const double *b1 = m->beta1 + i * d;
        double li = m->beta0[i];
        for (size_t j = 0; j < d; j++)
            li += b1[j] * x[j];
        l[i] = li;
    }
}

/* hess block at blk (row stride np) += w z z', z = (1, x): all of it for
 * an off-diagonal block, its upper triangle for a diagonal one. */
static inline __attribute__((always_inline)) void
gmoe_add_zz(double *blk, size_t np, size_t d, const double *x, double w, int diagonal)
{
    blk[0] += w;
    for (size_t v = 0; v < d; v++)
        blk[1 + v] += w * x[v];
    for (size_t u = 0; u < d; u++) {
        double wz = w * x[u];
        double *row = blk + (1 + u) * np;
        if (!diagonal)
            row[0] += wz;
        for (size_t v = diagonal ? u : 0; v < d; v++)
            row[1 + v] += wz * x[v];
    }
}

/* Q_row = sum_i r_i log g_i with gradient c (r_i - R g_i) z and Hessian
 * -c^2 R g_i (delta_ij - g_j) z z' per block pair, z = (1, x),
 * R = sum_i r_i, c = scale, from the gates g[k] and log-gates
 * log g_i = (l[i] - lse.max) - lse.logsum (gmoe_lse_sub).
 * Only the Hessian's upper triangle is added (gating.h): the Newton
 * solve reads no more, and it is about half the work. */
static inline __attribute__((always_inline)) double
gmoe_softmax_row_given(size_t k, size_t d, const double *l, gmoe_lse_parts lse, const double *g,
                       const double *x, const double *r, double scale, double *grad,
                       double *hess)
{
    size_t p = d + 1, np = (k - 1) * p;
    double q = 0.0, rsum = 0.0;
    for (size_t i = 0; i < k; i++) {
        if (r[i] > 0) {
            if (l[i] == -INFINITY)
                return -INFINITY; /* positive responsibility, zero gate */
            q += r[i] * gmoe_lse_sub(l[i], lse);
        }
        rsum += r[i];
    }
    if (!grad && !hess)
        return q;
    double c2 = scale * scale;
    for (size_t i = 0; i + 1 < k; i++) {
        if (grad) {
            double ci = scale * (r[i] - rsum * g[i]);
            double *gi = grad + i * p;
            gi[0] += ci;
            for (size_t u = 0; u < d; u++)
                gi[1 + u] += ci * x[u];
        }
        if (!hess || g[i] == 0.0)
            continue;
        double a = c2 * rsum * g[i];
        double *diag = hess + i * p * np + i * p;
        gmoe_add_zz(diag, np, d, x, -a * (1.0 - g[i]), 1);
        for (size_t j = i + 1; j + 1 < k; j++)
            if (g[j] != 0.0)
                gmoe_add_zz(diag + (j - i) * p, np, d, x, a * g[j], 0);
    }
    return q;
}

#endif
