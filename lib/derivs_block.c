/* derivs_block.c -- the observed log-likelihood's gradient and Hessian
 * sums over a block of rows for a gate of linear logits (softmax, top-K
 * given the selected experts, and temperature with tau fixed: l_j =
 * s (beta0_j + beta1_j'x), s = 1/tau),
 * computed by columns over the rows (vector loops) instead of a row at a
 * time (derivatives.c's general path, which the scores and their outer
 * products still take; issue 11: 23.8 ms a call at 1e5 rows, k = 3,
 * d = 1, by columns 6.9-7.5 ms).
 *
 * With r the posterior, g the gates, z = (x, 1) an expert's covariates,
 * zg = (1, x_gate) the gate's, res_j = y - a_j'x - b_j, e_j = res_j/s2_j
 * and h_j = (res_j e_j - 1) / (2 s2_j) (the scores of log N_j in a_j, b_j
 * and sigma2_j are e_j z and h_j), the row's score is
 *   gate (m, u): s (r_m - g_m) zg_u;  expert j: r_j e_j z, r_j h_j,
 * and its Hessian (derivatives.c's formula, the sums over experts done):
 *   gate (m, u) x gate (m', u'):
 *     s^2 [d_mm' (r_m - g_m) - r_m r_m' + g_m g_m'] zg_u zg_u'
 *   gate (m, u) x expert j: s r_m (d_mj - r_j) (e_j zg_u z, h_j zg_u)
 *   expert j x expert j': B = d_jj' r_j - r_j r_j',
 *     (a, b) x (a, b): (B e_j e_j' - d_jj' r_j / s2_j) z z'
 *     (a, b)_j x sigma2_j': (B e_j h_j' - d_jj' r_j e_j / s2_j) z
 *     sigma2 x sigma2: B h_j h_j' + d_jj' r_j (1/(2 s2_j^2) - e_j^2/s2_j).
 * Each entry is a sum over the rows of a weight times two covariate
 * columns (or one, or none): the weights are formed for the whole block,
 * then dotted with the columns.  Case weights multiply every weight (and
 * a row of weight 0 counts for nothing). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "derivs_block.h"
#include "gating.h"
#include "internal.h"
#include "vector_math.h"

/* The block's columns are LD apart: GMOE_BLOCK_ROWS and one cache line,
 * so that loops reading one column and writing another are not on
 * addresses 4 KiB apart (false store-to-load dependences; within the
 * noise here, 6.8-7.0 against 7.0-7.2 ms a call, but free). */
#define LD (GMOE_BLOCK_ROWS + 8)

/* The block's columns. */
typedef struct {
    size_t n, k, d, dg, q, e, G, P;
    double s;                 /* the logits' scale */
    const double **z, **zg;   /* d + 1 and q covariate columns (the constant 1: ones) */
    const double *one[1];     /* a column of ones */
    double *g, *r, *ev, *hv;  /* k columns each: gates, posterior, e_j, h_j */
    double *w, *wa;           /* a weight column and one of scratch */
    const double *wt;         /* case weights (NULL: all 1) */
} block_cols;

int gmoe_derivs_block_applies(const gmoe_model *m)
{
    return m->family == GMOE_SOFTMAX || m->family == GMOE_TOPK ||
           (m->family == GMOE_TEMPERATURE && !m->tau_estimated);
}

size_t gmoe_derivs_block_scratch(const gmoe_model *m)
{
    size_t cols = 6 * m->k + m->d + m->dg + 6;
    return cols * LD + 2 * (m->d + m->dg + 2);
}

/* out[i * step] += sum_r (w[r] a[r]) b_i[r] for the g <= 4 columns b
 * (g a constant in each inlined copy): one pass over the rows for all of
 * them, each sum in its own register, each term rounded as a product of
 * the weighted column and b_i (the same bits as one pass per column). */
static inline __attribute__((always_inline)) void
dots_group(size_t n, size_t g, const double *w, const double *a, const double *const *b,
           double *out, size_t step)
{
    const double *b0 = b[0], *b1 = g > 1 ? b[1] : b0, *b2 = g > 2 ? b[2] : b0, *b3 = g > 3 ? b[3] : b0;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (size_t r = 0; r < n; r++) {
        double t = w[r] * a[r];
        s0 += t * b0[r];
        if (g > 1)
            s1 += t * b1[r];
        if (g > 2)
            s2 += t * b2[r];
        if (g > 3)
            s3 += t * b3[r];
    }
    out[0] += s0;
    if (g > 1)
        out[step] += s1;
    if (g > 2)
        out[2 * step] += s2;
    if (g > 3)
        out[3 * step] += s3;
}

/* dest[u * stride + v] += sum_r w[r] a_u[r] b_v[r] for u < na, v < nb (v
 * >= u only if upper): a pass over the rows per u and four v's (a
 * column of ones, c->one, stands for the constant 1; issue 18: the
 * weighted column was a pass of its own, and each v another). */
VECTOR_CLONES
static void add_products(const block_cols *c, const double *w, const double *const *a, size_t na,
                         const double *const *b, size_t nb, double *dest, size_t stride, int upper)
{
    size_t n = c->n;
    for (size_t u = 0; u < na; u++) {
        for (size_t v = upper ? u : 0; v < nb; v += 4) {
            double *out = dest + u * stride + v;
            switch (nb - v) {
            case 1:
                dots_group(n, 1, w, a[u], b + v, out, 1);
                break;
            case 2:
                dots_group(n, 2, w, a[u], b + v, out, 1);
                break;
            case 3:
                dots_group(n, 3, w, a[u], b + v, out, 1);
                break;
            default:
                dots_group(n, 4, w, a[u], b + v, out, 1);
            }
        }
    }
}

/* Gates and posteriors below TINY count as 0: their products in the
 * weights would otherwise be subnormal numbers, whose arithmetic is a
 * hundred times slower (at 1e5 rows of the reference model, k = 3: 6.9
 * ms a call against 7.4 without), for terms 1e-100 times the others. */
#define TINY 1e-100

static void flush_tiny(double *p, size_t k, size_t n)
{
    for (size_t j = 0; j < k; j++) {
        double *pj = p + j * LD;
#pragma omp simd
        for (size_t r = 0; r < n; r++)
            pj[r] = pj[r] < TINY ? 0.0 : pj[r];
    }
}

/* The logits of the block's rows into k columns t: s (beta0_j +
 * beta1_j'x) by columns, or, for top-K, the family's row by row (-inf
 * outside the selected set: those experts then have gate and posterior
 * 0, and every term of theirs is 0, the derivatives conditional on the
 * selection as derivatives.c's); row: k doubles of scratch.  Inlined in
 * first_order's clones (vector width and fused multiply-adds theirs). */
static inline __attribute__((always_inline)) void logit_cols(const gmoe_model *m, const double *gx, const block_cols *c, double *t,
                       double *row)
{
    size_t n = c->n;
    if (m->family == GMOE_TOPK) {
        const gmoe_gating *gt = gmoe_gating_get(m->family);
        for (size_t r = 0; r < n; r++) {
            gt->softmax_logits(m, gx + r * c->dg, row);
            for (size_t j = 0; j < c->k; j++)
                t[j * LD + r] = row[j];
        }
        return;
    }
    for (size_t j = 0; j < c->k; j++) {
        double *tj = t + j * LD;
        gmoe_line_cols(m->beta0[j], m->beta1 + j * c->dg, gx, c->dg, n, tj);
        if (c->s == 1.0) /* softmax, top-K: x 1 is exact */
            continue;
#pragma omp simd
        for (size_t r = 0; r < n; r++)
            tj[r] *= c->s;
    }
}

/* The gates, the posterior, e and h of the block's rows; returns the
 * block's log-likelihood. */
VECTOR_CLONES
static double first_order(const gmoe_model *m, const gmoe_data *data, size_t lo, block_cols *c,
                          double *scratch)
{
    size_t n = c->n, k = c->k, d = c->d, L = LD;
    const double *x = data->x + lo * d, *gx = gmoe_gate_row(data, lo), *y = data->y + lo;
    double *lg = c->w, *t = c->ev, *ll = c->wa, *buf = scratch;
    logit_cols(m, gx, c, t, c->g);
    for (size_t j = 0; j < k; j++) {
        double *hj = c->hv + j * L;
        gmoe_line_cols(m->b[j], m->a + j * d, x, d, n, hj);
#pragma omp simd
        for (size_t r = 0; r < n; r++)
            hj[r] = y[r] - hj[r];
    }
    /* the gates (t: the logits), then the log-joints into t */
    gmoe_block_lse_cols(n, k, t, L, c->r, c->g, L, 1, lg, buf);
    for (size_t j = 0; j < k; j++) {
        double *tj = t + j * L, *hj = c->hv + j * L, s2 = m->sigma2[j];
        double half_lnc = 0.5 * (GMOE_LOG_2PI + log(s2));
#pragma omp simd
        for (size_t r = 0; r < n; r++)
            tj[r] = gmoe_lse_sub(tj[r], gmoe_block_lse_part(buf, n, r)) - half_lnc -
                    0.5 * hj[r] * hj[r] / s2;
    }
    gmoe_block_lse_cols(n, k, t, L, c->r, c->r, L, 1, ll, buf);
    flush_tiny(c->g, k, n);
    flush_tiny(c->r, k, n);
    double sum = 0.0;
    if (c->wt) {
#pragma omp simd reduction(+ : sum)
        for (size_t r = 0; r < n; r++)
            sum += c->wt[r] == 0.0 ? 0.0 : c->wt[r] * ll[r];
    } else {
#pragma omp simd reduction(+ : sum)
        for (size_t r = 0; r < n; r++)
            sum += ll[r];
    }
    for (size_t j = 0; j < k; j++) {
        double *ej = c->ev + j * L, *hj = c->hv + j * L, s2 = m->sigma2[j];
#pragma omp simd
        for (size_t r = 0; r < n; r++) {
            double e = hj[r] / s2;
            ej[r] = e;
            hj[r] = 0.5 * (hj[r] * e - 1.0) / s2;
        }
    }
    return sum;
}

/* w[r] times row r's case weight (a row of weight 0: 0). */
static void weigh(const block_cols *c, double *w)
{
    if (!c->wt)
        return;
#pragma omp simd
    for (size_t r = 0; r < c->n; r++)
        w[r] = c->wt[r] == 0.0 ? 0.0 : c->wt[r] * w[r];
}

/* Column j of a block's k columns. */
#define COL(p, j) ((p) + (j) * LD)

/* The gradient (internal order of derivatives.c) += the block's. */
VECTOR_CLONES
static void add_gradient(const block_cols *c, double *grad)
{
    size_t n = c->n;
    double *w = c->w;
    for (size_t m = 0; m + 1 < c->k; m++) {
        const double *rm = COL(c->r, m), *gm = COL(c->g, m);
#pragma omp simd
        for (size_t r = 0; r < n; r++)
            w[r] = c->s * (rm[r] - gm[r]);
        weigh(c, w);
        add_products(c, w, c->one, 1, c->zg, c->q, grad + m * c->q, 0, 0);
    }
    for (size_t j = 0; j < c->k; j++) {
        const double *rj = COL(c->r, j), *ej = COL(c->ev, j), *hj = COL(c->hv, j);
        double *dest = grad + c->G + j * c->e;
#pragma omp simd
        for (size_t r = 0; r < n; r++)
            w[r] = rj[r] * ej[r];
        weigh(c, w);
        add_products(c, w, c->one, 1, c->z, c->d + 1, dest, 0, 0);
#pragma omp simd
        for (size_t r = 0; r < n; r++)
            w[r] = rj[r] * hj[r];
        weigh(c, w);
        add_products(c, w, c->one, 1, c->one, 1, dest + c->d + 1, 0, 0);
    }
}

/* The gate x gate and gate x expert blocks of H (upper triangle, row
 * stride P) += the block's. */
VECTOR_CLONES
static void add_gate_rows(const block_cols *c, double *H)
{
    size_t n = c->n, q = c->q, P = c->P, s1 = c->d + 1;
    double *w = c->w, s2 = c->s * c->s;
    for (size_t m = 0; m + 1 < c->k; m++) {
        const double *rm = COL(c->r, m), *gm = COL(c->g, m);
        for (size_t m2 = m; m2 + 1 < c->k; m2++) {
            const double *rm2 = COL(c->r, m2), *gm2 = COL(c->g, m2);
            double diag = m == m2;
#pragma omp simd
            for (size_t r = 0; r < n; r++)
                w[r] = s2 * (diag * (rm[r] - gm[r]) - rm[r] * rm2[r] + gm[r] * gm2[r]);
            weigh(c, w);
            add_products(c, w, c->zg, q, c->zg, q, H + m * q * P + m2 * q, P, m == m2);
        }
        for (size_t j = 0; j < c->k; j++) {
            const double *rj = COL(c->r, j), *ej = COL(c->ev, j), *hj = COL(c->hv, j);
            double *dest = H + m * q * P + c->G + j * c->e, diag = m == j;
#pragma omp simd
            for (size_t r = 0; r < n; r++)
                w[r] = c->s * rm[r] * (diag - rj[r]) * ej[r];
            weigh(c, w);
            add_products(c, w, c->zg, q, c->z, s1, dest, P, 0);
#pragma omp simd
            for (size_t r = 0; r < n; r++)
                w[r] = c->s * rm[r] * (diag - rj[r]) * hj[r];
            weigh(c, w);
            add_products(c, w, c->zg, q, c->one, 1, dest + s1, P, 0);
        }
    }
}

/* The expert x expert blocks of H (upper triangle) += the block's. */
VECTOR_CLONES
static void add_expert_rows(const gmoe_model *m, const block_cols *c, double *H)
{
    size_t n = c->n, P = c->P, s1 = c->d + 1;
    double *w = c->w;
    for (size_t j = 0; j < c->k; j++) {
        const double *rj = COL(c->r, j), *ej = COL(c->ev, j), *hj = COL(c->hv, j);
        double is2 = 1.0 / m->sigma2[j], half_is4 = 0.5 * is2 * is2;
        for (size_t j2 = j; j2 < c->k; j2++) {
            const double *rj2 = COL(c->r, j2), *ej2 = COL(c->ev, j2), *hj2 = COL(c->hv, j2);
            double *dest = H + (c->G + j * c->e) * P + c->G + j2 * c->e, diag = j == j2;
#pragma omp simd
            for (size_t r = 0; r < n; r++)
                w[r] = (diag - rj2[r]) * rj[r] * ej[r] * ej2[r] - diag * rj[r] * is2;
            weigh(c, w);
            add_products(c, w, c->z, s1, c->z, s1, dest, P, j == j2);
#pragma omp simd
            for (size_t r = 0; r < n; r++)
                w[r] = (diag - rj2[r]) * rj[r] * ej[r] * hj2[r] - diag * rj[r] * ej[r] * is2;
            weigh(c, w);
            add_products(c, w, c->z, s1, c->one, 1, dest + s1, P, 0);
            if (j != j2) {
#pragma omp simd
                for (size_t r = 0; r < n; r++)
                    w[r] = -rj2[r] * rj[r] * hj[r] * ej2[r];
                weigh(c, w);
                add_products(c, w, c->one, 1, c->z, s1, dest + s1 * P, 0, 0);
            }
#pragma omp simd
            for (size_t r = 0; r < n; r++)
                w[r] = (diag - rj2[r]) * rj[r] * hj[r] * hj2[r] +
                       diag * rj[r] * (half_is4 - ej[r] * ej[r] * is2);
            weigh(c, w);
            add_products(c, w, c->one, 1, c->one, 1, dest + s1 * P + s1, 0, 0);
        }
    }
}

/* x's d columns of the block's n rows (row-major, d a row) into cols. */
static void columns(const double *x, size_t n, size_t d, double *cols)
{
    for (size_t r = 0; r < n; r++)
        for (size_t t = 0; t < d; t++)
            cols[t * LD + r] = x[r * d + t];
}

void gmoe_derivs_block(const gmoe_model *m, const gmoe_data *data, size_t lo, size_t hi,
                       const gmoe_derivs_block_want *want, double *acc, double *scratch)
{
    size_t k = m->k, d = m->d, dg = m->dg, L = LD;
    block_cols c = {.n = hi - lo, .k = k, .d = d, .dg = dg, .q = dg + 1, .e = d + 2,
                    .G = (k - 1) * (dg + 1), .P = want->P,
                    .s = m->family == GMOE_TEMPERATURE ? 1.0 / m->tau : 1.0,
                    .wt = data->w ? data->w + lo : NULL};
    c.g = scratch, c.r = c.g + k * L, c.ev = c.r + k * L, c.hv = c.ev + k * L;
    c.w = c.hv + k * L, c.wa = c.w + L;
    double *xc = c.wa + L, *gxc = xc + d * L, *cols = gxc + dg * L, *buf = cols;
    double *ones = buf + 2 * L;
    const double **ptrs = (const double **)(void *)(ones + L);
    c.z = ptrs, c.zg = ptrs + d + 1;
    acc[0] += first_order(m, data, lo, &c, buf);
    columns(data->x + lo * d, c.n, d, xc);
    for (size_t t = 0; t < d; t++)
        c.z[t] = xc + t * L;
#pragma omp simd
    for (size_t r = 0; r < c.n; r++)
        ones[r] = 1.0;
    c.one[0] = ones;
    c.z[d] = ones;
    c.zg[0] = ones;
    if (data->gate_own)
        columns(gmoe_gate_row(data, lo), c.n, dg, gxc);
    for (size_t u = 0; u < dg; u++)
        c.zg[1 + u] = data->gate_own ? gxc + u * L : xc + u * L;
    if (want->grad)
        add_gradient(&c, acc + 1);
    if (want->hess) {
        add_gate_rows(&c, acc + 1 + c.P);
        add_expert_rows(m, &c, acc + 1 + c.P);
    }
}
