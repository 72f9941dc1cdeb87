/* derivatives.c -- analytic gradient, Hessian and scores of the
 * observed-data log-likelihood (MODELS.md section 4).
 *
 * One row: log p = lse_i(l_i + log N_i) - lse_{j in S}(l_j), with l the
 * gate's logits (S the selected set of a sparse gate; the derivatives are
 * conditional on it) and N_i expert i's normal density.  With r the
 * posterior and g the gates, its Hessian in the logits is
 * M = diag(r - g) - r r' + g g', and in all the parameters
 *   gate x gate:     J'MJ + sum_j (r_j - g_j) d2l_j,   J = dl/dtheta_gate,
 *   gate x expert i: r_i J'(e_i - r) v_i',
 *   expert i x j:    delta_ij r_i (HN_i + v_i v_i') - r_i r_j v_i v_j',
 * v_i and HN_i the gradient and Hessian of log N_i in (a_i, b_i, sigma2_i);
 * the gradient is J'(r - g) on the gate and r_i v_i on expert i. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "derivatives.h"
#include "gating.h"
#include "internal.h"

/* Fixed number of chunks of rows: partial sums per chunk, combined in
 * order, whatever the number of threads. */
#define NCHUNKS 64

typedef struct {
    gmoe_logit_derivs ld;
    double *g, *r, *v, *s;   /* k, k, k(d+2), P */
} row_work;

static size_t row_work_size(const gmoe_layout *L)
{
    size_t k = L->k, q = L->d + 1;
    return k * (2 + q + q * q + q + 1) + 2 * k + k * (L->d + 2) + L->P;
}

static void row_work_init(row_work *w, const gmoe_layout *L, double *buf)
{
    size_t k = L->k, q = L->d + 1;
    w->ld.l = buf;
    w->ld.dl = w->ld.l + k;
    w->ld.d2l = w->ld.dl + k * q;
    w->ld.dlt = w->ld.d2l + k * q * q;
    w->ld.d2lt = w->ld.dlt + k;
    w->ld.d2tt = w->ld.d2lt + k * q;
    w->g = w->ld.d2tt + k;
    w->r = w->g + k;
    w->v = w->r + k;
    w->s = w->v + k * (L->d + 2);
}

/* Gates g, posterior r, expert scores v and the row's score s; returns
 * the row's log-likelihood. */
static double row_first_order(const gmoe_model *m, const gmoe_layout *L, const double *x,
                              double y, row_work *w)
{
    size_t k = L->k, d = L->d, q = d + 1, e = d + 2;
    const double *l = w->ld.l;
    double lse = gmoe_logsumexp(l, k);
    for (size_t i = 0; i < k; i++) {
        w->g[i] = l[i] > -INFINITY ? exp(l[i] - lse) : 0.0;
        if (l[i] > -INFINITY) {
            double res = y - gmoe_expert_mean(m, i, x), s2 = m->sigma2[i];
            w->r[i] = l[i] - lse + gmoe_log_normal(y, y - res, s2);
            double *v = w->v + i * e;
            for (size_t u = 0; u < d; u++)
                v[u] = res * x[u] / s2;
            v[d] = res / s2;
            v[d + 1] = 0.5 * (res * res / s2 - 1.0) / s2;
        } else {
            w->r[i] = -INFINITY;
        }
    }
    double ll = gmoe_logsumexp(w->r, k);
    for (size_t i = 0; i < k; i++)
        w->r[i] = w->r[i] > -INFINITY ? exp(w->r[i] - ll) : 0.0;
    memset(w->s, 0, L->P * sizeof(double));
    for (size_t i = 0; i < k; i++) {
        double c = w->r[i] - w->g[i];
        for (size_t u = 0; u < q; u++) {
            long a = gmoe_layout_gate(L, i, u);
            if (a >= 0)
                w->s[a] = c * w->ld.dl[i * q + u];
        }
        if (L->has_tau && c != 0.0)
            w->s[L->P - 1] += c * w->ld.dlt[i];
        for (size_t t = 0; t < e; t++)
            w->s[gmoe_layout_expert(L, i, t)] = w->r[i] * w->v[i * e + t];
    }
    return ll;
}

/* H += the gate x gate block: J'MJ and the logits' curvature. */
static void add_gate_gate(const gmoe_layout *L, const row_work *w, double *H)
{
    size_t k = L->k, q = L->d + 1, P = L->P, T = P - 1;
    const double *r = w->r, *g = w->g, *dl = w->ld.dl;
    double tMt = 0.0;
    for (size_t i = 0; i < k; i++) {
        double Mt = 0.0;
        for (size_t j = 0; j < k; j++) {
            double Mij = (i == j ? r[i] - g[i] : 0.0) - r[i] * r[j] + g[i] * g[j];
            if (Mij == 0.0)
                continue;
            if (L->has_tau)
                Mt += Mij * w->ld.dlt[j];
            for (size_t u = 0; u < q; u++) {
                long a = gmoe_layout_gate(L, i, u);
                for (size_t v = 0; a >= 0 && v < q; v++) {
                    long b = gmoe_layout_gate(L, j, v);
                    if (b >= 0)
                        H[a * P + b] += Mij * dl[i * q + u] * dl[j * q + v];
                }
            }
        }
        double c = r[i] - g[i];
        if (w->ld.curved && c != 0.0)
            for (size_t u = 0; u < q; u++) {
                long a = gmoe_layout_gate(L, i, u);
                for (size_t v = 0; a >= 0 && v < q; v++) {
                    long b = gmoe_layout_gate(L, i, v);
                    if (b >= 0)
                        H[a * P + b] += c * w->ld.d2l[(i * q + u) * q + v];
                }
            }
        if (!L->has_tau || (r[i] == 0.0 && g[i] == 0.0))
            continue;
        tMt += w->ld.dlt[i] * Mt + c * w->ld.d2tt[i];
        for (size_t u = 0; u < q; u++) {
            long a = gmoe_layout_gate(L, i, u);
            if (a < 0)
                continue;
            double h = dl[i * q + u] * Mt + c * w->ld.d2lt[i * q + u];
            H[a * P + T] += h;
            H[T * P + a] += h;
        }
    }
    if (L->has_tau)
        H[T * P + T] += tMt;
}

/* H += the gate x expert blocks (both triangles) and expert x expert. */
static void add_expert_blocks(const gmoe_model *m, const gmoe_layout *L, const double *x,
                              double y, const row_work *w, double *H)
{
    size_t k = L->k, d = L->d, q = d + 1, e = d + 2, P = L->P, T = P - 1;
    const double *r = w->r, *dl = w->ld.dl;
    double rt = 0.0;
    for (size_t j = 0; L->has_tau && j < k; j++)
        if (r[j] > 0)
            rt += r[j] * w->ld.dlt[j];
    for (size_t i = 0; i < k; i++) {
        if (r[i] == 0.0)
            continue;
        const double *vi = w->v + i * e;
        for (size_t t = 0; t < e; t++) {
            size_t b = gmoe_layout_expert(L, i, t);
            double rv = r[i] * vi[t];
            for (size_t j = 0; j < k; j++) {
                double c = rv * ((i == j) - r[j]);
                for (size_t u = 0; c != 0.0 && u < q; u++) {
                    long a = gmoe_layout_gate(L, j, u);
                    if (a >= 0) {
                        H[a * P + b] += c * dl[j * q + u];
                        H[b * P + a] += c * dl[j * q + u];
                    }
                }
                if (r[j] == 0.0)
                    continue;
                /* expert x expert: -r_i r_j v_i v_j' (+ r_i v_i v_i' when i = j) */
                const double *vj = w->v + j * e;
                for (size_t t2 = 0; t2 < e; t2++)
                    H[b * P + gmoe_layout_expert(L, j, t2)] += c * vj[t2];
            }
            if (L->has_tau) {
                H[T * P + b] += rv * (w->ld.dlt[i] - rt);
                H[b * P + T] += rv * (w->ld.dlt[i] - rt);
            }
        }
        /* r_i HN_i: -z z'/s2, -res z/s2^2, 1/(2 s2^2) - res^2/s2^3, z = (x, 1) */
        double s2 = m->sigma2[i], res = y - gmoe_expert_mean(m, i, x);
        for (size_t t = 0; t < e; t++) {
            size_t b = gmoe_layout_expert(L, i, t);
            double zt = t < d ? x[t] : 1.0;
            for (size_t t2 = 0; t2 < e; t2++) {
                double zt2 = t2 < d ? x[t2] : 1.0, h;
                if (t <= d && t2 <= d)
                    h = -zt * zt2 / s2;
                else if (t <= d || t2 <= d)
                    h = -res * (t <= d ? zt : zt2) / (s2 * s2);
                else
                    h = 0.5 / (s2 * s2) - res * res / (s2 * s2 * s2);
                H[b * P + gmoe_layout_expert(L, i, t2)] += r[i] * h;
            }
        }
    }
}

/* One row into the chunk's sums (acc: loglik, grad P, hess P*P, opg P*P)
 * and its score into score_row (may be NULL). */
static void row_derivs(const gmoe_model *m, const gmoe_gating *gt, const gmoe_layout *L,
                       const double *x, double y, row_work *w, const gmoe_derivs *want,
                       double *acc, double *score_row)
{
    size_t P = L->P;
    gt->logit_derivs(m, x, &w->ld);
    acc[0] += row_first_order(m, L, x, y, w);
    if (want->grad)
        for (size_t a = 0; a < P; a++)
            acc[1 + a] += w->s[a];
    if (want->hess) {
        add_gate_gate(L, w, acc + 1 + P);
        add_expert_blocks(m, L, x, y, w, acc + 1 + P);
    }
    if (want->opg) {
        double *J = acc + 1 + P + P * P;
        for (size_t a = 0; a < P; a++)
            for (size_t b = 0; b < P; b++)
                J[a * P + b] += w->s[a] * w->s[b];
    }
    if (score_row)
        memcpy(score_row, w->s, P * sizeof(double));
}

/* Rows of chunk c of nchunks. */
static void chunk_rows(size_t n, size_t c, size_t nchunks, size_t *lo, size_t *hi)
{
    size_t nb = gmoe_nblocks(n);
    *lo = (c * nb / nchunks) * GMOE_BLOCK_ROWS;
    *hi = ((c + 1) * nb / nchunks) * GMOE_BLOCK_ROWS;
    if (*hi > n)
        *hi = n;
}

int gmoe_derivs_compute(const gmoe_model *m, const gmoe_data *data, int nthreads,
                        gmoe_derivs *out)
{
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    const gmoe_gating *gt = gmoe_gating_get(m->family);
    size_t P = L.P, n = data->n, nb = gmoe_nblocks(n);
    size_t nchunks = nb < NCHUNKS ? nb : NCHUNKS, stride = 1 + P + 2 * P * P;
    double *acc = calloc(nchunks * stride, sizeof(double));
    if (!acc)
        return GMOE_ENOMEM;
    int nt = gmoe_resolve_threads(nthreads), nomem = 0;
    (void)nt;
#pragma omp parallel num_threads(nt)
    {
        double *buf = malloc(row_work_size(&L) * sizeof(double));
        row_work w;
        if (buf)
            row_work_init(&w, &L, buf);
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < nchunks; c++) {
            size_t lo, hi;
            chunk_rows(n, c, nchunks, &lo, &hi);
            if (!buf) {
#pragma omp atomic write
                nomem = 1;
                continue;
            }
            for (size_t t = lo; t < hi; t++)
                row_derivs(m, gt, &L, data->x + t * L.d, data->y[t], &w, out, acc + c * stride,
                           out->scores ? out->scores + t * P : NULL);
        }
        free(buf);
    }
    out->loglik = 0.0;
    if (out->grad)
        memset(out->grad, 0, P * sizeof(double));
    if (out->hess)
        memset(out->hess, 0, P * P * sizeof(double));
    if (out->opg)
        memset(out->opg, 0, P * P * sizeof(double));
    for (size_t c = 0; c < nchunks; c++) {
        const double *a = acc + c * stride;
        out->loglik += a[0];
        for (size_t j = 0; out->grad && j < P; j++)
            out->grad[j] += a[1 + j];
        for (size_t j = 0; out->hess && j < P * P; j++)
            out->hess[j] += a[1 + P + j];
        for (size_t j = 0; out->opg && j < P * P; j++)
            out->opg[j] += a[1 + P + P * P + j];
    }
    free(acc);
    if (nomem)
        return GMOE_ENOMEM;
    return isfinite(out->loglik) ? GMOE_OK : GMOE_ENUMERIC;
}
