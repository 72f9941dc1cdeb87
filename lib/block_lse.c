/* block_lse.c -- log-sum-exp and normalized weights of a block of rows,
 * the innermost work of the E-step and of the gate M-step. */
#include "config.h"

#include <math.h>

#include "internal.h"
#include "vector_math.h"

/* exp(buf[j]) for n arguments <= 0 in vector loops.  An exp below 1e-300
 * (next to the 1 of a row's maximum in its sum) counts as 0, and
 * arguments are raised to -700 first: the vector exp takes a slow scalar
 * path near underflow, and -inf (a zero gate) must give exactly 0.  NaN
 * passes through. */
static inline __attribute__((always_inline)) void exp_nonpositive(double *buf, size_t n)
{
    /* three loops: with a call between the conditionals the compiler
     * vectorizes none of them */
#pragma omp simd
    for (size_t j = 0; j < n; j++)
        buf[j] = isless(buf[j], -700.0) ? -700.0 : buf[j];
#pragma omp simd
    for (size_t j = 0; j < n; j++)
        buf[j] = exp(buf[j]);
#pragma omp simd
    for (size_t j = 0; j < n; j++)
        buf[j] = isless(buf[j], 1e-300) ? 0.0 : buf[j];
}

/* lse[r] holds row r's maximum and sum[r] its sum of exps: lse[r] +=
 * log(sum[r]) in a vector loop, and the parts (maximum, log-sum) to buf
 * (gmoe_block_lse_part; sum is buf + nrows or past buf + 2 nrows); a row
 * with no finite maximum (all -inf, or a +inf) keeps the maximum as its
 * lse, log-sum 0, and gets NaN weights, as in gmoe_logsumexp_weights. */
static inline __attribute__((always_inline)) void
add_logs(size_t nrows, size_t k, double *lse, double *sum, double *w, size_t wstride, double *buf)
{
#pragma omp simd
    for (size_t r = 0; r < nrows; r++)
        sum[r] = log(sum[r]);
    for (size_t r = 0; r < nrows; r++) {
        double mx = lse[r], ls = sum[r];
        buf[r] = mx;
        if (isfinite(mx)) {
            lse[r] = mx + ls;
        } else {
            ls = 0.0;
            for (size_t i = 0; i < k; i++)
                w[r * wstride + i] = NAN;
        }
        buf[nrows + r] = ls;
    }
}

/* Row by row the arithmetic of gmoe_logsumexp_weights, but laid out for
 * the processor: rows side by side in vector registers (the row loops
 * are `omp simd`, the loops over a row's k entries unrolled so that the
 * compiler vectorizes across rows, the division per row included), no
 * branch that depends on which entry is the largest (exp(0) = 1 for it,
 * exactly), and the exps and logs of the whole block
 * in vector loops.  That makes it several times faster than calling the
 * row function in a loop; the last bits may differ from it (vector exp
 * and log are correctly rounded to within a few ulp, not always to the
 * same value).  The AVX-512 or AVX2 copy is chosen at run time where the
 * processor has it. */
static inline __attribute__((always_inline)) void
lse_rows(size_t nrows, size_t k, const double *v, size_t vstride, double *w, size_t wstride,
         double *lse, double *buf)
{
    double *sum = buf + nrows * k;
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
        const double *vr = v + r * vstride;
        double mx = -INFINITY;
#pragma GCC unroll 4
        for (size_t i = 0; i < k; i++)
            mx = vr[i] > mx ? vr[i] : mx;
        lse[r] = mx;
#pragma GCC unroll 4
        for (size_t i = 0; i < k; i++)
            buf[r * k + i] = vr[i] - mx;
    }
    exp_nonpositive(buf, nrows * k);
    /* w does not alias buf */
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
        double s = 0.0;
#pragma GCC unroll 4
        for (size_t i = 0; i < k; i++)
            s += buf[r * k + i];
        double inv = 1.0 / s, *wr = w + r * wstride; /* v is read: w may alias it */
#pragma GCC unroll 4
        for (size_t i = 0; i < k; i++)
            wr[i] = buf[r * k + i] * inv;
        sum[r] = s;
    }
    add_logs(nrows, k, lse, sum, w, wstride, buf);
}

/* k = 2: the same numbers with one exp per row instead of two, exp(min -
 * max), the maximum's being exp(0) = 1.  Ties give 1 and 1, as above. */
static inline __attribute__((always_inline)) void
lse_rows2(size_t nrows, const double *v, size_t vstride, double *w, size_t wstride,
          double *lse, double *buf)
{
    double *sum = buf + nrows;
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
        double a = v[r * vstride], b = v[r * vstride + 1], mx = -INFINITY;
        mx = a > mx ? a : mx;
        mx = b > mx ? b : mx;
        lse[r] = mx;
        /* the smaller entry minus the maximum (the other term is 0), and
         * NaN if either entry is NaN, as lse_rows would give */
        buf[r] = (a - mx) + (b - mx);
    }
    exp_nonpositive(buf, nrows);
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
        double a = v[r * vstride], e = buf[r]; /* v is read: w may alias it */
        int first = a == lse[r];               /* the maximum is v0 (or a tie) */
        double s = 1.0 + e, inv = 1.0 / s;
        w[r * wstride] = (first ? 1.0 : e) * inv;
        w[r * wstride + 1] = (first ? e : 1.0) * inv;
        sum[r] = s;
    }
    add_logs(nrows, 2, lse, sum, w, wstride, buf);
}

/* Copies with k = 2 (one exp per row) and k = 3 (row loops unrolled). */
VECTOR_CLONES
void gmoe_block_lse_weights(size_t nrows, size_t k, const double *v, size_t vstride,
                            double *w, size_t wstride, double *lse, double *buf)
{
    if (k == 2)
        lse_rows2(nrows, v, vstride, w, wstride, lse, buf);
    else if (k == 3)
        lse_rows(nrows, 3, v, vstride, w, wstride, lse, buf);
    else
        lse_rows(nrows, k, v, vstride, w, wstride, lse, buf);
}

/* w[r * k + i] = e[i * ld + r] inv[r] (e[i * ld + r] if inv is NULL),
 * with k known to the compiler: the stores of a row together (a vector of
 * rows scattered element by element otherwise). */
static inline __attribute__((always_inline)) void
weights_rows(size_t nrows, size_t k, const double *e, size_t ld, double *w, const double *inv)
{
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
#pragma GCC unroll 4
        for (size_t i = 0; i < k; i++)
            w[r * k + i] = inv ? e[i * ld + r] * inv[r] : e[i * ld + r];
    }
}

/* weights_rows for any k: four rows at a time, each group of four
 * columns loaded as four vectors (a column's four rows each), turned
 * into the four rows' vectors in registers (a 4 x 4 transposition) and
 * stored whole; the columns past the last group of four, and the rows
 * past the last four, one element at a time.  The products are those of
 * weights_rows, so the same bits. */
static inline __attribute__((always_inline)) void
weights_rows_quads(size_t nrows, size_t k, const double *e, size_t ld, double *w,
                   const double *inv)
{
    size_t r = 0;
    for (; r + 4 <= nrows; r += 4) {
        double *wr = w + r * k;
        size_t c = 0;
        for (; c + 4 <= k; c += 4) /* four columns' four rows to four rows */
            gmoe_transpose4(e + c * ld + r, ld, inv ? inv + r : NULL, wr + c, k);
        for (; c < k; c++)
            for (size_t j = 0; j < 4; j++)
                wr[j * k + c] = inv ? e[c * ld + r + j] * inv[r + j] : e[c * ld + r + j];
    }
    for (; r < nrows; r++)
        for (size_t c = 0; c < k; c++)
            w[r * k + c] = inv ? e[c * ld + r] * inv[r] : e[c * ld + r];
}

/* weights_rows at k = 3, four rows at a time: the three columns' vectors
 * of four rows turned into rows in registers (the shuffles of
 * gmoe_transpose4, the third column standing in for a fourth) and stored
 * as vectors of four 3 apart, each one's last entry overwritten by the
 * next row's first; the rows before the last 1-4 only, so that no store
 * passes the end of w.  The same products, so the same bits; the
 * compiler's own loop stores its vectors of rows element by element. */
static inline __attribute__((always_inline)) void
weights_rows3(size_t nrows, const double *e, size_t ld, double *w, const double *inv)
{
    size_t r = 0;
    for (; r + 4 < nrows; r += 4) {
        gmoe_quad s = {1.0, 1.0, 1.0, 1.0};
        if (inv)
            s = *(const gmoe_quad *)(inv + r);
        gmoe_quad a = *(const gmoe_quad *)(e + r) * s, b = *(const gmoe_quad *)(e + ld + r) * s;
        gmoe_quad c = *(const gmoe_quad *)(e + 2 * ld + r) * s;
        gmoe_quad ab0 = __builtin_shufflevector(a, b, 0, 4, 2, 6); /* a0 b0 a2 b2 */
        gmoe_quad ab1 = __builtin_shufflevector(a, b, 1, 5, 3, 7); /* a1 b1 a3 b3 */
        gmoe_quad cc0 = __builtin_shufflevector(c, c, 0, 0, 2, 2);
        gmoe_quad cc1 = __builtin_shufflevector(c, c, 1, 1, 3, 3);
        double *wr = w + 3 * r;
        *(gmoe_quad *)wr = __builtin_shufflevector(ab0, cc0, 0, 1, 4, 5);
        *(gmoe_quad *)(wr + 3) = __builtin_shufflevector(ab1, cc1, 0, 1, 4, 5);
        *(gmoe_quad *)(wr + 6) = __builtin_shufflevector(ab0, cc0, 2, 3, 6, 7);
        *(gmoe_quad *)(wr + 9) = __builtin_shufflevector(ab1, cc1, 2, 3, 6, 7);
    }
    weights_rows(nrows - r, 3, e + r, ld, w + 3 * r, inv ? inv + r : NULL);
}

VECTOR_CLONES
void gmoe_block_cols_to_rows(size_t nrows, size_t k, const double *cols, size_t ld, double *rows)
{
    if (k == 3)
        weights_rows3(nrows, cols, ld, rows, NULL);
    else
        weights_rows_quads(nrows, k, cols, ld, rows, NULL);
}

/* The passes of lse_cols over g <= 4 columns from column c0 (g known to
 * the compiler: its loop over them unrolled inside a vector loop over the
 * rows), each row's running maximum or sum in a register across them.
 * The g loads of a row's vector come before its g stores: e is t or
 * apart from it, and with columns 4096 bytes apart (the gate cache's, a
 * block's) a load after a store to another column waits for the store
 * (4K aliasing). */
enum { LSE_MAX, LSE_SHIFT, LSE_SUM };

static inline __attribute__((always_inline)) void
lse_group(int pass, size_t nrows, size_t g, size_t c0, const double *t, size_t ld, double *e,
          double *lse, double *sum)
{
    const double *tc = t + c0 * ld;
    double *ec = e + c0 * ld;
    if (pass == LSE_MAX) {
#pragma omp simd
        for (size_t r = 0; r < nrows; r++) {
            double mx = lse[r];
#pragma GCC unroll 4
            for (size_t i = 0; i < g; i++)
                mx = tc[i * ld + r] > mx ? tc[i * ld + r] : mx;
            lse[r] = mx;
        }
    } else if (pass == LSE_SHIFT) {
#pragma omp simd
        for (size_t r = 0; r < nrows; r++) {
            double v[4];
#pragma GCC unroll 4
            for (size_t i = 0; i < g; i++)
                v[i] = tc[i * ld + r] - lse[r];
#pragma GCC unroll 4
            for (size_t i = 0; i < g; i++)
                ec[i * ld + r] = isless(v[i], -700.0) ? -700.0 : v[i]; /* see exp_nonpositive */
        }
    } else {
#pragma omp simd
        for (size_t r = 0; r < nrows; r++) {
            double s = sum[r], x[4];
#pragma GCC unroll 4
            for (size_t i = 0; i < g; i++) {
                x[i] = isless(ec[i * ld + r], 1e-300) ? 0.0 : ec[i * ld + r];
                s += x[i];
            }
#pragma GCC unroll 4
            for (size_t i = 0; i < g; i++)
                ec[i * ld + r] = x[i];
            sum[r] = s;
        }
    }
}

/* One pass of lse_cols over all k columns, four at a time. */
static inline __attribute__((always_inline)) void
lse_pass(int pass, size_t nrows, size_t k, const double *t, size_t ld, double *e, double *lse,
         double *sum)
{
    for (size_t c = 0; c < k; c += 4) {
        switch (k - c) {
        case 1:
            lse_group(pass, nrows, 1, c, t, ld, e, lse, sum);
            break;
        case 2:
            lse_group(pass, nrows, 2, c, t, ld, e, lse, sum);
            break;
        case 3:
            lse_group(pass, nrows, 3, c, t, ld, e, lse, sum);
            break;
        default:
            lse_group(pass, nrows, 4, c, t, ld, e, lse, sum);
        }
    }
}

/* lse_cols2's last pass: each row's two exps from e0 (its first entry
 * minus the maximum) and e1 (the exp of the other's difference), their
 * sum and its inverse, and into w0 and w1 the weights (scale 1) or the
 * exps (scale 0); w0 and w1 are e0 and e1 or apart from them. */
static inline __attribute__((always_inline)) void
weights2(size_t nrows, const double *e0, const double *e1, double *w0, double *w1, int scale,
         double *sum, double *inv)
{
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
        double x = isless(e1[r], 1e-300) ? 0.0 : e1[r], one = 1.0 + 0.0 * x; /* NaN stays */
        int first = e0[r] == 0.0;
        double a = first ? one : x, b = first ? x : one, s = 0.0;
        s += a;
        s += b;
        sum[r] = s;
        inv[r] = 1.0 / s;
        w0[r] = scale ? a * inv[r] : a;
        w1[r] = scale ? b * inv[r] : b;
    }
}

/* gmoe_block_lse_cols at k = 2 with one exp per row (as lse_rows2):
 * exp(min - max), the maximum's being exp(0) = 1 exactly, so the same
 * weights and sums (the same bits) with half the exps and two passes
 * over the rows instead of seven (issue 18: k = 2 is the reference grid's
 * shape).  The first pass leaves each row's first entry minus the
 * maximum (0: the first is the maximum) in e's first column and the
 * clamped difference in its second; e's entries of a row without a
 * finite maximum may differ from the general path's, its weights and sum
 * do not (NaN). */
static inline __attribute__((always_inline)) void
lse_cols2(size_t nrows, const double *t, size_t ld, double *e, double *w, size_t wcol,
          size_t wrow, double *lse, double *sum, double *inv)
{
    double *e0 = e, *e1 = e + ld;
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
        double a = t[r], b = t[ld + r], mx = -INFINITY; /* e may alias t */
        mx = a > mx ? a : mx;
        mx = b > mx ? b : mx;
        lse[r] = mx;
        double v = (a - mx) + (b - mx); /* the other term is 0; NaN as the general path */
        e0[r] = a - mx;
        e1[r] = isless(v, -700.0) ? -700.0 : v; /* see exp_nonpositive */
    }
#pragma omp simd
    for (size_t r = 0; r < nrows; r++)
        e1[r] = exp(e1[r]);
    if (w && wrow == 1) { /* w's columns are e's or apart from them */
        weights2(nrows, e0, e1, w, w + wcol, 1, sum, inv);
        return;
    }
    weights2(nrows, e0, e1, e0, e1, 0, sum, inv);
    if (w && wcol == 1 && wrow == 2) { /* a row's two weights side by side */
#pragma omp simd
        for (size_t r = 0; r < nrows; r++) {
            w[2 * r] = e0[r] * inv[r];
            w[2 * r + 1] = e1[r] * inv[r];
        }
    } else if (w) {
        for (size_t i = 0; i < 2; i++) {
#pragma omp simd
            for (size_t r = 0; r < nrows; r++)
                w[i * wcol + r * wrow] = e[i * ld + r] * inv[r];
        }
    }
}

/* The arithmetic of lse_rows with the entries of a column contiguous, so
 * that every loop is a vector loop over the rows for any k, the clamps
 * inside them (the same bits as lse_rows; the maxima and sums of four
 * columns at a time in registers, in the same order).  A row with no
 * finite maximum gets NaN weights from the arithmetic itself (its entries
 * minus the maximum are NaN). */
VECTOR_CLONES
void gmoe_block_lse_cols(size_t nrows, size_t k, const double *t, size_t ld, double *e,
                         double *w, size_t wcol, size_t wrow, double *lse, double *buf)
{
    double *sum = buf, *inv = buf + nrows;
    if (k == 2) {
        lse_cols2(nrows, t, ld, e, w, wcol, wrow, lse, sum, inv);
        goto logs;
    }
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
        lse[r] = -INFINITY;
        sum[r] = 0.0;
    }
    lse_pass(LSE_MAX, nrows, k, t, ld, e, lse, sum);
    lse_pass(LSE_SHIFT, nrows, k, t, ld, e, lse, sum);
    /* column by column even when they are contiguous: the rows of a
     * column's vector remainder take the same exp as before */
    for (size_t i = 0; i < k; i++) {
        double *ei = e + i * ld;
#pragma omp simd
        for (size_t r = 0; r < nrows; r++)
            ei[r] = exp(ei[r]);
    }
    lse_pass(LSE_SUM, nrows, k, t, ld, e, lse, sum);
#pragma omp simd
    for (size_t r = 0; r < nrows; r++)
        inv[r] = 1.0 / sum[r];
    if (w && wcol == 1 && wrow == k && k == 3)
        weights_rows3(nrows, e, ld, w, inv); /* the E-step's resp at k = 3 */
    else if (w && wcol == 1 && wrow == k)
        weights_rows_quads(nrows, k, e, ld, w, inv); /* the E-step's resp */
    else if (w && wrow == 1) /* columns (the E-step's terms): whole vectors */
        for (size_t i = 0; i < k; i++) {
            double *wi = w + i * wcol;
            const double *ei = e + i * ld;
#pragma omp simd
            for (size_t r = 0; r < nrows; r++)
                wi[r] = ei[r] * inv[r];
        }
    else
        for (size_t i = 0; w && i < k; i++) {
#pragma omp simd
            for (size_t r = 0; r < nrows; r++)
                w[i * wcol + r * wrow] = e[i * ld + r] * inv[r];
        }
logs:
    /* two loops: with the select beside it the log is not vectorized */
#pragma omp simd
    for (size_t r = 0; r < nrows; r++)
        sum[r] = log(sum[r]);
    /* one select (`<` is false for a NaN, as isless is), then mx + 0 = mx
     * where the maximum is not finite: two selects, or isless's branches,
     * kept AVX2 from vectorizing the loop */
#pragma omp simd
    for (size_t r = 0; r < nrows; r++) {
        double mx = lse[r], part = fabs(mx) < INFINITY ? sum[r] : 0.0;
        lse[r] = mx + part;
        inv[r] = part; /* the parts (gmoe_block_lse_part) */
        sum[r] = mx;
    }
}
