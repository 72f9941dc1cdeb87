/* derivatives.c -- analytic gradient, Hessian and scores of the
 * observed-data log-likelihood (MODELS.md section 4).
 *
 * One row: log p = lse_i(l_i + log N_i) - lse_{j in S}(l_j), with l the
 * gate's logits (S the selected set of a sparse gate; the derivatives are
 * conditional on it), N_i expert i's normal density, r the posterior and
 * g the gates.  With s_i the gradient of log(g_i N_i) (gate part
 * J'(e_i - g), J = dl/dtheta; expert part v_i, the gradient of log N_i
 * in (a_i, b_i, sigma2_i), on expert i's block) the row's score is
 * S = sum_i r_i s_i, and its Hessian is
 *   sum_i r_i (s_i - S)(s_i - S)' - sum_j g_j u_j u_j'
 *     + sum_j (r_j - g_j) d2l_j + sum_i r_i HN_i,
 * u_j = J'(e_j - g) the gate part of s_j, HN_i the Hessian of log N_i:
 * since diag(r) - rr' and diag(g) - gg' are covariance matrices, the
 * outer-product terms are rank-one updates, the bulk of the work done in
 * contiguous loops.  Internally the gate's free entries come first, then
 * tau, then the experts' blocks; the results are permuted to the order of
 * params.h at the end.
 *
 * Case weights (frequency weights): row t with weight w_t adds w_t times
 * its log-likelihood, score, Hessian and score outer product (the
 * sandwich's J = sum w_t s_t s_t', as for w_t copies of the row); its
 * score in `scores` is the unweighted s_t.  Rows of weight 0 are skipped.
 * Without weights nothing is multiplied (the unweighted bits). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "derivatives.h"
#include "derivs_block.h"
#include "gating.h"
#include "internal.h"
#include "vector_math.h"

/* Blocks of GMOE_BLOCK_ROWS rows computed at a time: partial sums per
 * block, added in block order, whatever the number of threads.  At least
 * WAVE_BLOCKS, more while their sums fit in WAVE_BYTES: every wave costs
 * two barriers, each a wait for a thread the system may have descheduled
 * (issue 18), and 1e5 rows are one wave up to d = 5 at k = 3 (softmax). */
#define WAVE_BLOCKS 64
#define WAVE_BYTES ((size_t)4 << 20)

/* The internal order: G gate coordinates (tau last among them), then
 * expert i's parameter t at G + i (d + 2) + t.  q = dg + 1 gate entries
 * per expert (dg: the gate's covariates), e = d + 2 expert ones. */
typedef struct {
    size_t k, d, q, e, P, G;
    long *gi;       /* k*q: internal index of gate entry (i, u), -1 if pinned */
    size_t *perm;   /* P: public index (params.h) of each internal one */
    double *lnc;    /* k: log 2 pi + log sigma2_i, taken once per call */
    int has_tau;
} order;

static int order_init(order *o, const gmoe_model *m)
{
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    o->k = L.k, o->d = L.d, o->q = L.dg + 1, o->e = L.d + 2, o->P = L.P;
    o->has_tau = L.has_tau;
    o->gi = malloc(o->k * o->q * sizeof(long));
    o->perm = malloc(o->P * sizeof(size_t));
    o->lnc = malloc(o->k * sizeof(double));
    if (!o->gi || !o->perm || !o->lnc)
        return GMOE_ENOMEM;
    for (size_t i = 0; i < o->k; i++)
        o->lnc[i] = GMOE_LOG_2PI + log(m->sigma2[i]);
    size_t c = 0;
    for (size_t i = 0; i < o->k; i++)
        for (size_t u = 0; u < o->q; u++) {
            long a = gmoe_layout_gate(&L, i, u);
            o->gi[i * o->q + u] = a < 0 ? -1 : (long)c;
            if (a >= 0)
                o->perm[c++] = (size_t)a;
        }
    if (o->has_tau)
        o->perm[c++] = L.P - 1;
    o->G = c;
    for (size_t i = 0; i < o->k; i++)
        for (size_t t = 0; t < o->e; t++)
            o->perm[c++] = gmoe_layout_expert(&L, i, t);
    return GMOE_OK;
}

static void order_free(order *o)
{
    free(o->gi);
    free(o->perm);
    free(o->lnc);
}

/* Weighted outer products sum_v c_v w_v w_v' of many vectors (length n),
 * gathered as the columns of W (n x cap, row-major) and added to a matrix
 * in one pass whose inner loops run over the vectors: long contiguous
 * loops instead of a short one per row and vector. */
typedef struct {
    double *W, *c, *cw;   /* n*cap, cap, cap */
    size_t n, nv, cap;
} outer_batch;

#define BATCH_VECTORS 256

typedef struct {
    gmoe_logit_derivs ld;
    double *g, *r, *v, *s, *w; /* k, k, k*e, P (the row's score), P (scratch) */
    double *U;                 /* k*G: u_i = J'(e_i - g), the gate part of s_i */
    outer_batch full, gate;    /* the Hessian's rank-one terms (P and G long) */
    double *block;             /* gmoe_derivs_block's scratch (the same memory) */
} row_work;

static size_t row_work_size(const gmoe_model *m, const order *o)
{
    size_t k = o->k, q = o->q, cap = BATCH_VECTORS;
    size_t rows = k * (3 + 2 * q + q * q) + 2 * k + k * o->e + 2 * o->P + k * o->G +
                  (o->P + o->G + 4) * cap;
    size_t block = gmoe_derivs_block_scratch(m);
    return rows > block ? rows : block;
}

static void row_work_init(row_work *w, const order *o, double *buf)
{
    size_t cap = BATCH_VECTORS;
    w->block = buf;
    w->full = (outer_batch){.W = buf, .c = buf + o->P * cap, .cw = buf + (o->P + 1) * cap,
                            .n = o->P, .cap = cap};
    buf += (o->P + 2) * cap;
    w->gate = (outer_batch){.W = buf, .c = buf + o->G * cap, .cw = buf + (o->G + 1) * cap,
                            .n = o->G, .cap = cap};
    buf += (o->G + 2) * cap;
    size_t k = o->k, q = o->q;
    w->ld.l = buf;
    w->ld.dl = w->ld.l + k;
    w->ld.d2l = w->ld.dl + k * q;
    w->ld.dlt = w->ld.d2l + k * q * q;
    w->ld.d2lt = w->ld.dlt + k;
    w->ld.d2tt = w->ld.d2lt + k * q;
    w->g = w->ld.d2tt + k;
    w->r = w->g + k;
    w->v = w->r + k;
    w->s = w->v + k * o->e;
    w->w = w->s + o->P;
    w->U = w->w + o->P;
}

/* out[0..G) = u_i = J'(e_i - g): entry (m, u) is (delta_im - g_m) dl_m[u],
 * tau's sum_m (delta_im - g_m) dlt_m. */
static void gate_part(const order *o, const row_work *w, size_t i, double *out)
{
    double tau = 0.0;
    for (size_t m = 0; m < o->k; m++) {
        double c = (double)(m == i) - w->g[m];
        const double *dl = w->ld.dl + m * o->q;
        const long *gi = o->gi + m * o->q;
        for (size_t u = 0; u < o->q; u++)
            if (gi[u] >= 0)
                out[gi[u]] = c * dl[u];
        if (o->has_tau && c != 0.0)
            tau += c * w->ld.dlt[m];
    }
    if (o->has_tau)
        out[o->G - 1] = tau;
}

/* Gates g, posterior r, expert scores v and the row's score s; returns
 * the row's log-likelihood. */
static double row_first_order(const gmoe_model *m, const order *o, const double *x, double y,
                              row_work *w)
{
    size_t k = o->k, d = o->d, e = o->e;
    const double *l = w->ld.l;
    /* the gates and the posterior from the exponentials of their
     * log-sum-exps (k exponentials each, not 2k; exp(-inf) = 0) */
    gmoe_lse_parts lse = gmoe_logsumexp_weights(l, k, w->g);
    for (size_t i = 0; i < k; i++) {
        w->r[i] = -INFINITY;
        double *v = w->v + i * e;
        if (l[i] == -INFINITY) { /* outside the selected set: r_i = 0, no term */
            memset(v, 0, e * sizeof(double));
            continue;
        }
        double res = y - gmoe_expert_mean(m, i, x), s2 = m->sigma2[i];
        w->r[i] = gmoe_lse_sub(l[i], lse) - 0.5 * (o->lnc[i] + res * res / s2);
        for (size_t u = 0; u < d; u++)
            v[u] = res * x[u] / s2;
        v[d] = res / s2;
        v[d + 1] = 0.5 * (res * res / s2 - 1.0) / s2;
    }
    double ll = gmoe_lse_value(gmoe_logsumexp_weights(w->r, k, w->r));
    /* S's gate part J'(r - g) = sum_i r_i u_i (sum_i r_i = 1) */
    memset(w->s, 0, o->G * sizeof(double));
    for (size_t i = 0; i < k; i++) {
        double *u = w->U + i * o->G;
        gate_part(o, w, i, u);
        for (size_t a = 0; w->r[i] != 0.0 && a < o->G; a++)
            w->s[a] += w->r[i] * u[a];
        for (size_t t = 0; t < e; t++)
            w->s[o->G + i * e + t] = w->r[i] * w->v[i * e + t];
    }
    return ll;
}

/* Upper triangle of H (row stride P) += the batch's sum, which is
 * emptied. */
VECTOR_CLONES
static void batch_flush(outer_batch *b, double *H, size_t P)
{
    size_t nv = b->nv, cap = b->cap;
    double *restrict cw = b->cw;
    for (size_t a = 0; a < b->n; a++) {
        const double *wa = b->W + a * cap;
#pragma omp simd
        for (size_t v = 0; v < nv; v++)
            cw[v] = b->c[v] * wa[v];
        for (size_t c = a; c < b->n; c++) {
            const double *wc = b->W + c * cap;
            double sum = 0.0;
#pragma omp simd reduction(+ : sum)
            for (size_t v = 0; v < nv; v++)
                sum += cw[v] * wc[v];
            H[a * P + c] += sum;
        }
    }
    b->nv = 0;
}

/* Adds c vv' to the batch (flushed into H first when it is full). */
static void batch_add(outer_batch *b, const double *v, double c, double *H, size_t P)
{
    if (b->nv == b->cap)
        batch_flush(b, H, P);
    for (size_t a = 0; a < b->n; a++)
        b->W[a * b->cap + b->nv] = v[a];
    b->c[b->nv++] = c;
}

/* H (upper triangle, internal order) += the row's curvature terms:
 * sum_j (r_j - g_j) d2l_j on the gate and sum_i r_i HN_i on the experts:
 * HN = -z z'/s2, -res z/s2^2, 1/(2 s2^2) - res^2/s2^3, z = (x, 1). */
static void add_curvature(const gmoe_model *m, const order *o, const double *x, double y,
                          const row_work *w, double wt, double *H)
{
    size_t q = o->q, e = o->e, d = o->d, P = o->P, T = o->G - 1;
    for (size_t j = 0; j < o->k; j++) {
        double c = wt * (w->r[j] - w->g[j]);
        const long *gi = o->gi + j * q;
        for (size_t u = 0; w->ld.curved && c != 0.0 && u < q; u++)
            for (size_t v = 0; gi[u] >= 0 && v < q; v++)
                if (gi[v] >= gi[u])
                    H[gi[u] * P + gi[v]] += c * w->ld.d2l[(j * q + u) * q + v];
        for (size_t u = 0; o->has_tau && c != 0.0 && u < q; u++)
            if (gi[u] >= 0)
                H[gi[u] * P + T] += c * w->ld.d2lt[j * q + u];
        if (o->has_tau && c != 0.0)
            H[T * P + T] += c * w->ld.d2tt[j];
        if (w->r[j] == 0.0)
            continue;
        double s2 = m->sigma2[j], res = y - gmoe_expert_mean(m, j, x), rj = wt * w->r[j];
        double *B = H + (o->G + j * e) * P + o->G + j * e;
        for (size_t t = 0; t <= d; t++) {
            double zt = t < d ? x[t] : 1.0;
            for (size_t t2 = t; t2 <= d; t2++)
                B[t * P + t2] -= rj * zt * (t2 < d ? x[t2] : 1.0) / s2;
            B[t * P + d + 1] -= rj * res * zt / (s2 * s2);
        }
        B[(d + 1) * P + d + 1] += rj * (0.5 / (s2 * s2) - res * res / (s2 * s2 * s2));
    }
}

/* One row's Hessian times its weight wt (upper triangle, internal
 * order) into H. */
static void row_hessian(const gmoe_model *m, const order *o, const double *x, double y,
                        double wt, row_work *w, double *H)
{
    size_t k = o->k, e = o->e, P = o->P, G = o->G;
    for (size_t i = 0; i < k; i++) {
        if (w->r[i] == 0.0)
            continue;
        /* w = s_i - S */
        for (size_t a = 0; a < G; a++)
            w->w[a] = w->U[i * G + a] - w->s[a];
        for (size_t a = G; a < P; a++)
            w->w[a] = -w->s[a];
        for (size_t t = 0; t < e; t++)
            w->w[G + i * e + t] += w->v[i * e + t];
        batch_add(&w->full, w->w, wt * w->r[i], H, P);
    }
    for (size_t j = 0; j < k; j++)
        if (w->g[j] > 0.0)
            batch_add(&w->gate, w->U + j * G, -wt * w->g[j], H, P);
    add_curvature(m, o, x, y, w, wt, H);
}

/* One row of case weight wt (1.0 without weights: a multiplication by 1
 * is exact) into the chunk's sums (acc: loglik, grad P, hess P*P, opg
 * P*P, internal order) and its score (public order) into score_row. */
static void row_derivs(const gmoe_model *m, const gmoe_gating *gt, const order *o,
                       const double *x, const double *gx, double y, double wt, row_work *w,
                       const gmoe_derivs *want, double *acc, double *score_row)
{
    size_t P = o->P;
    gt->logit_derivs(m, gx, &w->ld);
    acc[0] += wt * row_first_order(m, o, x, y, w);
    if (want->grad)
        for (size_t a = 0; a < P; a++)
            acc[1 + a] += wt * w->s[a];
    if (want->hess)
        row_hessian(m, o, x, y, wt, w, acc + 1 + P);
    if (want->opg) /* every row's score: its own pass, no batch */
        for (size_t a = 0; a < P; a++)
            for (size_t b = a; b < P; b++)
                acc[1 + P + P * P + a * P + b] += wt * w->s[a] * w->s[b];
    for (size_t a = 0; score_row && a < P; a++)
        score_row[o->perm[a]] = w->s[a];
}

/* The block sums by columns (derivs_block.c) when they apply: a gate of
 * linear logits, neither the scores nor their outer products wanted. */
static int by_columns(const gmoe_model *m, const gmoe_derivs *want)
{
    return !want->opg && !want->scores && gmoe_derivs_block_applies(m);
}

/* One block's sums into a (zeroed here; stride doubles) and its rows'
 * scores. */
static void block_derivs(const gmoe_model *m, const gmoe_gating *gt, const order *o,
                         const gmoe_data *data, size_t b, row_work *w, gmoe_derivs *out,
                         double *a, size_t stride)
{
    size_t P = o->P, lo = b * GMOE_BLOCK_ROWS;
    size_t hi = lo + GMOE_BLOCK_ROWS < data->n ? lo + GMOE_BLOCK_ROWS : data->n;
    memset(a, 0, stride * sizeof(double));
    if (by_columns(m, out)) {
        gmoe_derivs_block_want bw = {P, out->grad != NULL, out->hess != NULL};
        gmoe_derivs_block(m, data, lo, hi, &bw, a, w->block);
        return;
    }
    for (size_t t = lo; t < hi; t++) {
        double *score = out->scores ? out->scores + t * P : NULL;
        if (data->w && data->w[t] == 0.0) { /* counts for nothing */
            for (size_t u = 0; score && u < P; u++)
                score[u] = 0.0;
            continue;
        }
        row_derivs(m, gt, o, data->x + t * o->d, gmoe_gate_row(data, t), data->y[t],
                   data->w ? data->w[t] : 1.0, w, out, a, score);
    }
    batch_flush(&w->full, a + 1 + P, P);
    batch_flush(&w->gate, a + 1 + P, P);
}

/* What one call computes: the model, its order and family, the data,
 * what is wanted, and the blocks' sums (a wave of them at a time). */
typedef struct {
    const gmoe_model *m;
    const order *o;
    const gmoe_gating *gt;
    const gmoe_data *data;
    gmoe_derivs *out;
    double *acc, *total; /* wave * stride block sums; the running total */
    size_t nb, wave, stride;
    int nomem;
} derivs_job;

/* The running total += a wave's nw blocks: the first wave through the
 * fold of chain.h (from zero, continued over every process's blocks when
 * the data are sharded: a sharded fit has a single wave), later ones
 * added after it (without a shard: the same additions, in the same order,
 * as one fold over all blocks). */
static void fold_wave(derivs_job *j, size_t b0, size_t nw)
{
    if (b0 == 0)
        gmoe_fold_blocks(j->data, j->acc, nw, j->stride, j->total);
    else
        gmoe_add_blocks(j->total, j->acc, nw, j->stride);
}

/* One thread's part of every wave (called inside the parallel region):
 * its row buffers allocated once, the blocks shared out dynamically,
 * each wave but the last folded by one thread while the others wait; the
 * last is folded after the region (its end is the barrier), by the
 * thread that called it. */
static void derivs_waves(derivs_job *j)
{
    double *buf = malloc(row_work_size(j->m, j->o) * sizeof(double));
    row_work w;
    if (buf)
        row_work_init(&w, j->o, buf);
    for (size_t b0 = 0;; b0 += j->wave) {
        size_t nw = j->nb - b0 < j->wave ? j->nb - b0 : j->wave;
#pragma omp for schedule(dynamic, 1) nowait
        for (size_t c = 0; c < nw; c++) {
            if (!buf) {
#pragma omp atomic write
                j->nomem = 1;
                continue;
            }
            block_derivs(j->m, j->gt, j->o, j->data, b0 + c, &w, j->out,
                         j->acc + c * j->stride, j->stride);
        }
        if (b0 + nw >= j->nb)
            break;
#pragma omp barrier
#pragma omp single
        fold_wave(j, b0, nw);
    }
    free(buf);
}

/* The sums, permuted to the public order (the matrices from their upper
 * triangles). */
static void combine(const order *o, const double *sum, gmoe_derivs *out)
{
    size_t P = o->P;
    out->loglik = sum[0];
    double *mats[3] = {out->grad, out->hess, out->opg};
    size_t offs[3] = {1, 1 + P, 1 + P + P * P};
    for (int t = 0; t < 3; t++) {
        if (!mats[t])
            continue;
        const double *a = sum + offs[t];
        for (size_t u = 0; t == 0 && u < P; u++)
            mats[t][o->perm[u]] = a[u];
        for (size_t u = 0; t > 0 && u < P; u++)
            for (size_t v = u; v < P; v++)
                mats[t][o->perm[u] * P + o->perm[v]] = a[u * P + v];
        for (size_t u = 0; t > 0 && u < P; u++)
            for (size_t v = u + 1; v < P; v++)
                mats[t][o->perm[v] * P + o->perm[u]] = mats[t][o->perm[u] * P + o->perm[v]];
    }
}

/* Every block's sums are added to the total in block order (the fold of
 * chain.h), a wave of blocks (WAVE_BLOCKS, WAVE_BYTES) computed at a time
 * in one parallel region; sharded data compute all of this process's blocks in
 * one wave (memory in proportion to its rows) folded through the shard's
 * chain. */
int gmoe_derivs_compute(const gmoe_model *m, const gmoe_data *data, int nthreads,
                        gmoe_derivs *out)
{
    order o;
    int nt = gmoe_threads_for_rows(nthreads, data->n), nomem = order_init(&o, m) != GMOE_OK;
    size_t P = o.P, nb = gmoe_nblocks(data->n), stride = 1 + P + 2 * P * P;
    size_t wave = WAVE_BYTES / (stride * sizeof(double));
    wave = wave < WAVE_BLOCKS ? WAVE_BLOCKS : wave;
    wave = data->shard || nb < wave ? nb : wave;
    double *acc = nomem ? NULL : malloc((wave + 1) * stride * sizeof(double));
    if (!acc) {
        order_free(&o);
        return GMOE_ENOMEM;
    }
    derivs_job j = {m, &o, gmoe_gating_get(m->family), data, out, acc, acc + wave * stride,
                    nb, wave, stride, 0};
    (void)nt;
#pragma omp parallel num_threads(nt)
    derivs_waves(&j);
    size_t last = nb ? (nb - 1) / wave * wave : 0; /* the last wave's first block */
    fold_wave(&j, last, nb - last);
    combine(&o, j.total, out);
    free(acc);
    order_free(&o);
    if (j.nomem)
        return GMOE_ENOMEM;
    return isfinite(out->loglik) ? GMOE_OK : GMOE_ENUMERIC;
}
