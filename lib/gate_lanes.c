/* gate_lanes.c -- the gate M-step's sums over a block of rows whose gates
 * are in the gate cache: Q, the gradient and the Hessian's upper triangle
 * (gmoe_softmax_row_given's, scale 1), with the rows side by side in
 * vector lanes.
 *
 * Row by row, each of the sums costs a load and a store per multiply-add
 * and nothing is vectorized.  Here GMOE_GRAM_LANES rows go through the
 * same arithmetic at once, each sum kept as GMOE_GRAM_LANES partial sums
 * (lane l takes rows l, l + LANES, ... of the block) that are added in a
 * fixed order at the end: the bits depend on the block's rows only, not
 * on the thread or the vector width.  A Hessian block of a pair of
 * experts needs only the p (p + 1) / 2 distinct products z_u z_v (u <= v)
 * of z = (1, x), p = d + 1; the first p of them are z itself, which the
 * gradient takes. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "vector_math.h"

#define LANES GMOE_GRAM_LANES

/* The lanes type is passed only between inlined functions: no ABI. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* LANES rows side by side: GCC's vector extension, one AVX-512 register,
 * two AVX2 ones or four SSE2 ones, the same arithmetic in each lane. */
typedef double lanes __attribute__((vector_size(LANES * sizeof(double))));
typedef long long lane_mask __attribute__((vector_size(LANES * sizeof(double))));

/* Distinct products z_u z_v, u <= v < d + 1. */
static inline size_t nprod(size_t d)
{
    return (d + 1) * (d + 2) / 2;
}

/* Sums kept: Q, the gradient's (k - 1) p, nprod(d) per pair of experts
 * i <= j < k - 1, and the moments sum r_i z, (k - 1) p. */
static inline size_t nsums(size_t k, size_t d)
{
    return 1 + 2 * (k - 1) * (d + 1) + k * (k - 1) / 2 * nprod(d);
}

/* Chunks of a block, the last one partial. */
#define MAX_CHUNKS (GMOE_BLOCK_ROWS / LANES + 1)

/* The Hessian by pairs of experts (hess_pairs) from this k on; below,
 * chunk by chunk (chunk).  Chunk by chunk, the k = 3, d <= 1 sums (18
 * vectors of LANES) stay in registers only with AVX-512's 32; with AVX2's
 * 16 they were stored and loaded every chunk, so there the pairs start at
 * k = 3 (the same bits: both add each sum's chunks in order). */
#define PAIRS_MIN_K_WHOLE 4
#define PAIRS_MIN_K_HALF 3

size_t gmoe_gate_lanes_scratch(size_t k, size_t d)
{
    /* the lane sums, the products, the gates, a zero-padded last chunk,
     * the chunks' row sums, their responsibilities by expert (k >=
     * PAIRS_MIN_K_HALF); one more for the alignment; before them a trial
     * pass's (mstep_gate.c) gate columns' scratch and old column */
    size_t by_expert = k >= PAIRS_MIN_K_HALF ? k * MAX_CHUNKS : 0;
    return LANES * (nsums(k, d) + nprod(d) + k + 3 * k + d + MAX_CHUNKS + by_expert + 1) +
           GMOE_GATE_TRIAL_SCRATCH;
}

/* What a pass sums besides Q: nothing, the gradient, or the gradient and
 * the Hessian (a trial point of the Newton line search needs no Hessian:
 * at k = 10 its pairs' sums were a quarter of that pass). */
enum { DERIVS_NONE, DERIVS_GRAD, DERIVS_HESS, DERIVS_HESS_PAIRS };

/* p[0], p[stride], ... p[(LANES - 1) stride] */
static inline __attribute__((always_inline)) lanes strided(const double *p, size_t stride)
{
    /* built in registers: a loop storing the lanes one by one and
     * reading them back as a vector stalls on the store forwarding */
    return (lanes){p[0],          p[stride],     p[2 * stride], p[3 * stride],
                   p[4 * stride], p[5 * stride], p[6 * stride], p[7 * stride]};
}

/* p[0..LANES-1] */
static inline __attribute__((always_inline)) lanes contiguous(const double *p)
{
    lanes v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The LANES rows' k = 3 responsibilities (24 contiguous doubles) as three
 * vectors, by shuffles of three vector loads rather than element by
 * element. */
static inline __attribute__((always_inline)) void
resp3(const double *p, lanes *r)
{
    lanes a = contiguous(p), b = contiguous(p + LANES), c = contiguous(p + 2 * LANES);
    /* __builtin_shufflevector: GCC >= 12 and clang (the fuzz build) */
    r[0] = __builtin_shufflevector(__builtin_shufflevector(a, b, 0, 3, 6, 9, 12, 15, 0, 0), c, 0, 1, 2,
                                   3, 4, 5, 10, 13);
    r[1] = __builtin_shufflevector(__builtin_shufflevector(a, b, 1, 4, 7, 10, 13, 0, 0, 0), c, 0, 1, 2,
                                   3, 4, 8, 11, 14);
    r[2] = __builtin_shufflevector(__builtin_shufflevector(a, b, 2, 5, 8, 11, 14, 0, 0, 0), c, 0, 1, 2,
                                   3, 4, 9, 12, 15);
}

/* The same into columns of rc (ldr apart), from shuffles of vectors of
 * four (four rows' 12 doubles at a time) that AVX2 does in registers:
 * resp3's shuffles of eight lanes are lowered to a double at a time
 * through the stack there, and so is any build of eight lanes from two
 * fours (hence the columns, read back whole). */
typedef double quad __attribute__((vector_size(4 * sizeof(double))));
static inline __attribute__((always_inline)) void
resp3_cols(const double *p, double *rc, size_t ldr)
{
    for (size_t h = 0; h < LANES; h += 4) {
        quad a, b, c, e[3];
        memcpy(&a, p + 3 * h, sizeof a);
        memcpy(&b, p + 3 * h + 4, sizeof b);
        memcpy(&c, p + 3 * h + 8, sizeof c);
        /* a = r0e0 r0e1 r0e2 r1e0, b = r1e1 r1e2 r2e0 r2e1, c = r2e2 r3e0 r3e1 r3e2 */
        e[0] = __builtin_shufflevector(__builtin_shufflevector(a, b, 0, 3, 6, 6), c, 0, 1, 2, 5);
        e[1] = __builtin_shufflevector(__builtin_shufflevector(a, b, 1, 4, 7, 7), c, 0, 1, 2, 6);
        e[2] = __builtin_shufflevector(__builtin_shufflevector(a, b, 2, 5, 5, 5), c, 0, 1, 4, 7);
        for (size_t i = 0; i < 3; i++)
            memcpy(rc + i * ldr + h, &e[i], sizeof e[i]);
    }
}

/* Whether a pass sums the Hessian, the gradient and the moments by
 * experts over the chunks (hess_pairs) rather than chunk by chunk:
 * DERIVS_HESS_PAIRS, which gmoe_gate_lanes chooses. */
static inline int by_pairs(size_t k, size_t d, int derivs)
{
    (void)k, (void)d;
    return derivs == DERIVS_HESS_PAIRS;
}

/* The LANES rows' responsibilities (k a row) to k columns of rc, ldr
 * apart: four rows by four experts at a time transposed in registers
 * (gathered a lane at a time, each expert's vector was put together on
 * the stack, and the additions waited for it). */
static inline __attribute__((always_inline)) void
resp_cols(size_t k, const double *resp, double *rc, size_t ldr)
{
    size_t i = 0;
    for (; i + 4 <= k; i += 4)
        for (size_t r = 0; r < LANES; r += 4)
            gmoe_transpose4(resp + r * k + i, k, NULL, rc + i * ldr + r, ldr);
    for (; i < k; i++)
        for (size_t r = 0; r < LANES; r++)
            rc[i * ldr + r] = resp[r * k + i];
}

/* The lane sums s of one chunk of LANES rows (c: its first row in the
 * cache's columns, k log-gates then k gates, ld apart; resp: k a row; x:
 * d); derivs: also the gradient's (DERIVS_GRAD) and the Hessian's
 * (DERIVS_HESS; if by_pairs, all the derivatives and moments are left to
 * hess_pairs, the chunk's row sums of resp stored at *rs_out for it and
 * its responsibilities, expert i's at rc + i ldr).  w: scratch of
 * nprod(d) + k vectors. */
static inline __attribute__((always_inline)) void
chunk(size_t k, size_t d, const double *c, size_t ld, const double *resp, const double *x,
      lanes *s, lanes *w, int derivs, lanes *rs_out, double *rc, size_t ldr)
{
    size_t p = d + 1, t_n = nprod(d);
    int hess = derivs >= DERIVS_HESS;
    lanes *zz = w, *g = zz + t_n, rs = {0}, q = {0}, zero = {0}, r3[3];
    if (k == 3 && by_pairs(k, d, derivs)) /* AVX2 (gmoe_gate_lanes) */
        resp3_cols(resp, rc, ldr);
    else if (k == 3)
        resp3(resp, r3);
    else if (by_pairs(k, d, derivs))
        resp_cols(k, resp, rc, ldr);
#pragma GCC unroll 4
    for (size_t i = 0; i < k; i++) {
        lanes ri = by_pairs(k, d, derivs) ? contiguous(rc + i * ldr) : k == 3 ? r3[i]
                                                                          : strided(resp + i, k);
        lanes li = contiguous(c + i * ld);
        rs += ri;
        /* a zero gate with positive responsibility gives -inf */
        q += (lanes)((lane_mask)(ri * li) & (lane_mask)(ri > zero));
        if (!by_pairs(k, d, derivs))
            g[i] = contiguous(c + (k + i) * ld);
    }
    s[0] += q;
    *rs_out = rs;
    if (!derivs || by_pairs(k, d, derivs))
        return;
#pragma GCC unroll 2
    for (size_t u = 0, t = 0; u < p; u++) {
        lanes xu = u ? strided(x + u - 1, d) : zero + 1.0;
#pragma GCC unroll 2
        for (size_t v = u; v < p; v++, t++)
            zz[t] = v == 0 ? xu : v == u ? xu * xu : xu * strided(x + v - 1, d);
    }
    lanes *sg = s + 1, *sh = sg + (k - 1) * p, *sm = sh + k * (k - 1) / 2 * t_n;
    /* unrolled: at k <= 3 the sums are whole_chunks' local array */
#pragma GCC unroll 2
    for (size_t i = 0; i + 1 < k; i++) {
        lanes ri = k == 3 ? r3[i] : strided(resp + i, k);
        lanes a = rs * g[i], wg = ri - a;
#pragma GCC unroll 2
        for (size_t u = 0; u < p; u++) {
            sg[i * p + u] += wg * zz[u];
            sm[i * p + u] += ri * zz[u];
        }
        if (!hess)
            continue;
#pragma GCC unroll 2
        for (size_t j = i; j + 1 < k; j++, sh += t_n) {
            lanes wt = j == i ? -a * (1.0 - g[i]) : a * g[j];
#pragma GCC unroll 3
            for (size_t t = 0; t < t_n; t++)
                sh[t] += wt * zz[t];
        }
    }
}

/* hess_pairs' tiles: pair_tile_whole (all the lanes in one vector) and
 * pair_tile_half (half of them). */
#define TILE_NAME(x) x##_whole
#define TILE_NL LANES
#include "gate_lanes_tile.h"
#define TILE_NAME(x) x##_half
#define TILE_NL (LANES / 2)
#include "gate_lanes_tile.h"

/* Whether the processor has 32 vector registers of LANES doubles
 * (AVX-512, the clone that runs there): hess_pairs' tiles of whole lanes
 * fit them.  Elsewhere (AVX2: 16 registers of half the lanes) the tiles
 * take half the lanes at a time, narrower ones for the pair (i, i) with
 * its gradient and moments. */
static inline int whole_lane_registers(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

/* JN pairs from (i, j0) (pair_tile_*'s arguments): one tile of whole
 * lanes, or two of half lanes. */
static inline __attribute__((always_inline)) void
pair_tile(int whole, size_t d, size_t i, size_t j0, size_t JN, const double *g, size_t ld,
          const double *x, const lanes *rsv, size_t nch, lanes *sh, const double *rc, lanes *sg,
          lanes *sm)
{
    if (whole)
        pair_tile_whole(d, i, j0, JN, g, ld, x, rsv, nch, sh, rc, sg, sm, 0);
    else
        for (size_t h = 0; h < LANES; h += LANES / 2)
            pair_tile_half(d, i, j0, JN, g, ld, x, rsv, nch, sh, rc, sg, sm, h);
}

/* The lane sums s's derivatives and moments (the Hessian's pairs i <= j
 * < k - 1 in order, nprod(d) each) over nch chunks of a block, d <= 1:
 * the gate columns g[i * ld + r], x (contiguous), the chunks' row sums
 * rsv and responsibilities rc[i * ldr + r].  Each sum adds the chunks in
 * order, as chunk() does for smaller k (the same bits), but its sums stay
 * in registers over the chunks, four pairs and an expert's gradient and
 * moments at a time: a chunk at a time, each of them was loaded and
 * stored, and each expert's responsibilities gathered twice, per chunk. */
static inline __attribute__((always_inline)) void
hess_pairs(size_t k, size_t d, const double *g, size_t ld, const double *x, const lanes *rsv,
           const double *rc, size_t ldr, size_t nch, lanes *s)
{
    size_t p = d + 1, t_n = nprod(d);
    lanes *sg = s + 1, *sh = sg + (k - 1) * p, *sm = sh + k * (k - 1) / 2 * t_n;
    int whole = whole_lane_registers();
    for (size_t i = 0; i + 1 < k; i++)
        for (size_t j0 = i, jn; j0 + 1 < k; j0 += jn, sh += jn * t_n) {
            size_t most = whole ? 4 : j0 == i ? 1 : 3; /* the sums fit the registers */
            jn = k - 1 - j0 < most ? k - 1 - j0 : most;
            const double *ri = rc + i * ldr;
            lanes *gi = j0 == i ? sg + i * p : NULL, *mi = sm + i * p;
            switch (jn) { /* the tile's width known to the compiler */
            case 1: pair_tile(whole, d, i, j0, 1, g, ld, x, rsv, nch, sh, ri, gi, mi); break;
            case 2: pair_tile(whole, d, i, j0, 2, g, ld, x, rsv, nch, sh, ri, gi, mi); break;
            case 3: pair_tile(whole, d, i, j0, 3, g, ld, x, rsv, nch, sh, ri, gi, mi); break;
            default: pair_tile(whole, d, i, j0, 4, g, ld, x, rsv, nch, sh, ri, gi, mi); break;
            }
        }
}

/* Up to this many sums (k <= 3, d <= 1: 18), whole_chunks keeps them in
 * a local array, which the compiler keeps in registers over the chunks;
 * in s, each would be loaded and stored per chunk. */
#define LOCAL_SUMS 18

/* The block's whole chunks into the lane sums s (block_chunks); returns
 * their number. */
static inline __attribute__((always_inline)) size_t
whole_chunks(size_t k, size_t d, const double *c, const double *x, const double *resp,
             size_t nrows, lanes *s, lanes *w, int derivs, lanes *rsv, double *rc, size_t ldr)
{
    size_t nch = 0;
    for (size_t r = 0; r + LANES <= nrows; r += LANES, nch++)
        chunk(k, d, c + r, nrows, resp + r * k, x + r * d, s, w, derivs, rsv + nch, rc + r, ldr);
    return nch;
}

/* The chunks of a block (k, d: GMOE_WITH_SHAPE); the last one, if short,
 * from a zero-padded copy (its empty rows add zeros).  rsv: MAX_CHUNKS
 * vectors; rc: k MAX_CHUNKS more (by_pairs). */
static inline __attribute__((always_inline)) void
block_chunks(size_t k, size_t d, const double *c, const double *x, const double *resp,
             size_t nrows, lanes *s, lanes *w, int derivs, lanes *rsv, double *rc)
{
    size_t ldr = MAX_CHUNKS * LANES, ns = nsums(k, d), nch;
    if (ns <= LOCAL_SUMS) {
        lanes local[LOCAL_SUMS];
        for (size_t t = 0; t < ns; t++)
            local[t] = s[t];
        nch = whole_chunks(k, d, c, x, resp, nrows, local, w, derivs, rsv, rc, ldr);
        for (size_t t = 0; t < ns; t++)
            s[t] = local[t];
    } else {
        nch = whole_chunks(k, d, c, x, resp, nrows, s, w, derivs, rsv, rc, ldr);
    }
    size_t r = nch * LANES;
    if (by_pairs(k, d, derivs))
        hess_pairs(k, d, c + k * nrows, nrows, x, rsv, rc, ldr, nch, s);
    if (r == nrows)
        return;
    double *tc = (double *)(w + nprod(d) + k), *tr = tc + 2 * k * LANES, *tx = tr + k * LANES;
    memset(tc, 0, (3 * k + d) * LANES * sizeof(double));
    for (size_t col = 0; col < 2 * k; col++)
        memcpy(tc + col * LANES, c + col * nrows + r, (nrows - r) * sizeof(double));
    memcpy(tr, resp + r * k, (nrows - r) * k * sizeof(double));
    memcpy(tx, x + r * d, (nrows - r) * d * sizeof(double));
    chunk(k, d, tc, LANES, tr, tx, s, w, derivs, rsv + nch, rc + r, ldr);
    if (by_pairs(k, d, derivs))
        hess_pairs(k, d, tc + k * LANES, LANES, tx, rsv + nch, rc + r, ldr, 1, s);
}

/* The LANES partial sums added pairwise in a fixed order. */
static inline double lane_total(lanes s)
{
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

/* The lane sums' totals added to gb, to hb's upper triangle and to mb. */
static void scatter(size_t k, size_t d, const lanes *s, double *gb, double *hb, double *mb)
{
    size_t p = d + 1, np = (k - 1) * p, t_n = nprod(d);
    const lanes *sg = s + 1, *sh = sg + np, *sm = sh + k * (k - 1) / 2 * t_n;
    for (size_t u = 0; gb && u < np; u++)
        gb[u] += lane_total(sg[u]);
    for (size_t u = 0; mb && u < np; u++)
        mb[u] += lane_total(sm[u]);
    for (size_t i = 0; hb && i + 1 < k; i++)
        for (size_t j = i; j + 1 < k; j++, sh += t_n) {
            double *blk = hb + i * p * np + j * p;
            for (size_t u = 0; u < p; u++)
                for (size_t v = j == i ? u : 0; v < p; v++) {
                    size_t lo = u < v ? u : v, hi = u < v ? v : u;
                    size_t t = lo * p - lo * (lo - 1) / 2 + (hi - lo);
                    blk[u * np + v] += lane_total(sh[t]);
                }
        }
}

VECTOR_CLONES
double gmoe_gate_lanes(size_t k, size_t d, const double *c, const double *x,
                       const double *resp, size_t nrows, double *gb, double *hb, double *mb,
                       double *scratch)
{
    int derivs = hb ? DERIVS_HESS : gb ? DERIVS_GRAD : DERIVS_NONE;
    size_t pairs_from = whole_lane_registers() ? PAIRS_MIN_K_WHOLE : PAIRS_MIN_K_HALF;
    if (hb && d <= 1 && k >= pairs_from)
        derivs = DERIVS_HESS_PAIRS;
    size_t ns = derivs ? nsums(k, d) : 1;
    /* the workspace's scratch is 16-byte aligned: round up */
    lanes *s = (lanes *)(((uintptr_t)scratch + sizeof(lanes) - 1) & ~(uintptr_t)(sizeof(lanes) - 1));
    lanes *w = s + nsums(k, d), *rsv = w + nprod(d) + 4 * k + d;
    memset(s, 0, ns * sizeof(lanes));
    double *rc = (double *)(rsv + MAX_CHUNKS);
    /* the usual passes, their branches known to the compiler */
    if (derivs == DERIVS_HESS_PAIRS)
        GMOE_WITH_SHAPE(block_chunks, k, d, c, x, resp, nrows, s, w, DERIVS_HESS_PAIRS, rsv, rc);
    else if (derivs == DERIVS_HESS)
        GMOE_WITH_SHAPE(block_chunks, k, d, c, x, resp, nrows, s, w, DERIVS_HESS, rsv, rc);
    else
        GMOE_WITH_SHAPE(block_chunks, k, d, c, x, resp, nrows, s, w, derivs, rsv, rc);
    if (derivs)
        scatter(k, d, s, gb, hb, mb);
    return lane_total(s[0]);
}

/* One run of nch chunks of gmoe_gate_lanes_trial into its lane sums s:
 * the last log-gate column lg against the old one olast, the gates g
 * (ldc apart), the weights w (NULL: 1), x (d <= 1). */
static inline __attribute__((always_inline)) void
trial_run(size_t k, size_t d, const double *lg, const double *olast, const double *g, size_t ldc,
          const double *w, const double *x, size_t nch, int grad, lanes *s)
{
    lanes one = {0}, acc = s[0];
    one += 1.0;
    for (size_t ch = 0; ch < nch; ch++) {
        size_t r = ch * LANES;
        lanes R = w ? contiguous(w + r) : one;
        acc += R * (contiguous(lg + r) - contiguous(olast + r));
    }
    s[0] = acc;
    for (size_t i = 0; grad && i + 1 < k; i++) {
        lanes s0 = s[1 + i * (d + 1)], s1 = d ? s[2 + i * (d + 1)] : s0;
        for (size_t ch = 0; ch < nch; ch++) {
            size_t r = ch * LANES;
            lanes R = w ? contiguous(w + r) : one, a = R * contiguous(g + i * ldc + r);
            s0 += a;
            if (d)
                s1 += a * contiguous(x + r);
        }
        s[1 + i * (d + 1)] = s0;
        if (d)
            s[2 + i * (d + 1)] = s1;
    }
}

/* gmoe_gate_lanes_trial for GMOE_WITH_SHAPE: the whole chunks, then the
 * short last one from zero-padded copies (its empty rows add zeros). */
static inline __attribute__((always_inline)) void
trial_chunks(size_t k, size_t d, const double *c, const double *olast, const double *w,
             const double *x, size_t nrows, int grad, lanes *s, double *pad)
{
    size_t nch = nrows / LANES, r = nch * LANES;
    trial_run(k, d, c + (k - 1) * nrows, olast, c + k * nrows, nrows, w, x, nch, grad, s);
    if (r == nrows)
        return;
    /* columns: the last log-gate, olast, the k - 1 gates, w, x */
    memset(pad, 0, (k + 3) * LANES * sizeof(double));
    size_t tail = (nrows - r) * sizeof(double);
    memcpy(pad, c + (k - 1) * nrows + r, tail);
    memcpy(pad + LANES, olast + r, tail);
    for (size_t i = 0; i + 1 < k; i++)
        memcpy(pad + (2 + i) * LANES, c + (k + i) * nrows + r, tail);
    if (w)
        memcpy(pad + (k + 1) * LANES, w + r, tail);
    memcpy(pad + (k + 2) * LANES, x + r, d * tail);
    trial_run(k, d, pad, pad + LANES, pad + 2 * LANES, LANES, w ? pad + (k + 1) * LANES : NULL,
              pad + (k + 2) * LANES, 1, grad, s);
}

VECTOR_CLONES
double gmoe_gate_lanes_trial(size_t k, size_t d, const double *c, const double *olast,
                             const double *w, const double *x, size_t nrows, double *gb,
                             double *scratch)
{
    size_t p = d + 1, ns = 1 + (gb ? (k - 1) * p : 0);
    lanes *s = (lanes *)(((uintptr_t)scratch + sizeof(lanes) - 1) & ~(uintptr_t)(sizeof(lanes) - 1));
    memset(s, 0, ns * sizeof(lanes));
    GMOE_WITH_SHAPE(trial_chunks, k, d, c, olast, w, x, nrows, gb != NULL, s, (double *)(s + ns));
    for (size_t u = 0; gb && u + 1 < ns; u++)
        gb[u] += lane_total(s[1 + u]);
    return lane_total(s[0]);
}
