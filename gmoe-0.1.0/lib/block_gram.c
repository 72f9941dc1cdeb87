/* block_gram.c -- weighted cross products of a block of rows, Z'WZ, the
 * normal equations of the experts' M-step and the gate's Hessian.
 *
 * A row at a time (rank-one updates) these cost a load and a store of the
 * accumulator per multiply-add; here the block's columns are laid out
 * contiguously and each entry of Z'WZ is a dot product over the rows, in
 * vector registers, four entries at a time.  Every dot product sums its
 * rows in GRAM_LANES interleaved partial sums, added in a fixed order at
 * the end: the bits depend on the block's rows only (not on the thread,
 * and not on the vector width chosen at run time). */
#include "config.h"

#include <string.h>

#include "internal.h"
#include "vector_math.h"

size_t gmoe_gram_ld(size_t nrows)
{
    return (nrows + GMOE_GRAM_LANES - 1) / GMOE_GRAM_LANES * GMOE_GRAM_LANES;
}

size_t gmoe_gram_scratch(size_t cols)
{
    size_t ld = gmoe_gram_ld(GMOE_BLOCK_ROWS);
    return 2 * cols * ld + 2 * ld + cols * cols;
}

void gmoe_gram_transpose(const double *x, size_t nrows, size_t d, double *z)
{
    size_t ld = gmoe_gram_ld(nrows), r = 0;
    /* GRAM_LANES rows at a time: their d values are read from one short
     * stretch of x, each column written GRAM_LANES contiguous doubles */
    for (; r + GMOE_GRAM_LANES <= nrows; r += GMOE_GRAM_LANES)
        for (size_t j = 0; j < d; j++)
            for (size_t l = 0; l < GMOE_GRAM_LANES; l++)
                z[j * ld + r + l] = x[(r + l) * d + j];
    for (size_t j = 0; j < d; j++)
        for (size_t t = r; t < ld; t++)
            z[j * ld + t] = t < nrows ? x[t * d + j] : 0.0;
}

void gmoe_gram_column(const double *v, double c, size_t nrows, double *z)
{
    size_t ld = gmoe_gram_ld(nrows);
    if (v)
        memcpy(z, v, nrows * sizeof(double));
    else
        for (size_t r = 0; r < nrows; r++)
            z[r] = c;
    for (size_t r = nrows; r < ld; r++)
        z[r] = 0.0;
}

/* The GRAM_LANES partial sums s added pairwise in a fixed order. */
static inline __attribute__((always_inline)) double lane_sum(const double *s)
{
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

/* out[j] = sum_r a[r] b_j[r], j < 4, b_j = b + j * ld. */
static inline __attribute__((always_inline)) void
dot4(const double *a, const double *b, size_t ld, double *out)
{
    double s0[GMOE_GRAM_LANES] = {0}, s1[GMOE_GRAM_LANES] = {0};
    double s2[GMOE_GRAM_LANES] = {0}, s3[GMOE_GRAM_LANES] = {0};
    const double *b0 = b, *b1 = b + ld, *b2 = b + 2 * ld, *b3 = b + 3 * ld;
    for (size_t r = 0; r < ld; r += GMOE_GRAM_LANES) {
#pragma omp simd
        for (size_t l = 0; l < GMOE_GRAM_LANES; l++) {
            double ar = a[r + l];
            s0[l] += ar * b0[r + l];
            s1[l] += ar * b1[r + l];
            s2[l] += ar * b2[r + l];
            s3[l] += ar * b3[r + l];
        }
    }
    out[0] = lane_sum(s0);
    out[1] = lane_sum(s1);
    out[2] = lane_sum(s2);
    out[3] = lane_sum(s3);
}

/* out[u * 4 + j] = sum_r a_u[r] b_j[r], u < 2 (a_u = a + u * ld), j < 4:
 * eight sums from six loads per row and lane (dot4 takes five loads for
 * four, and the loads were what bounded it). */
static inline __attribute__((always_inline)) void
dot2x4(const double *a, const double *b, size_t ld, double *out)
{
    double s0[GMOE_GRAM_LANES] = {0}, s1[GMOE_GRAM_LANES] = {0};
    double s2[GMOE_GRAM_LANES] = {0}, s3[GMOE_GRAM_LANES] = {0};
    double t0[GMOE_GRAM_LANES] = {0}, t1[GMOE_GRAM_LANES] = {0};
    double t2[GMOE_GRAM_LANES] = {0}, t3[GMOE_GRAM_LANES] = {0};
    const double *a1 = a + ld, *b0 = b, *b1 = b + ld, *b2 = b + 2 * ld, *b3 = b + 3 * ld;
    for (size_t r = 0; r < ld; r += GMOE_GRAM_LANES) {
#pragma omp simd
        for (size_t l = 0; l < GMOE_GRAM_LANES; l++) {
            double x0 = a[r + l], x1 = a1[r + l];
            s0[l] += x0 * b0[r + l];
            s1[l] += x0 * b1[r + l];
            s2[l] += x0 * b2[r + l];
            s3[l] += x0 * b3[r + l];
            t0[l] += x1 * b0[r + l];
            t1[l] += x1 * b1[r + l];
            t2[l] += x1 * b2[r + l];
            t3[l] += x1 * b3[r + l];
        }
    }
    out[0] = lane_sum(s0);
    out[1] = lane_sum(s1);
    out[2] = lane_sum(s2);
    out[3] = lane_sum(s3);
    out[4] = lane_sum(t0);
    out[5] = lane_sum(t1);
    out[6] = lane_sum(t2);
    out[7] = lane_sum(t3);
}

/* sum_r a[r] b[r] */
static inline __attribute__((always_inline)) double dot1(const double *a, const double *b, size_t ld)
{
    double s[GMOE_GRAM_LANES] = {0};
    for (size_t r = 0; r < ld; r += GMOE_GRAM_LANES) {
#pragma omp simd
        for (size_t l = 0; l < GMOE_GRAM_LANES; l++)
            s[l] += a[r + l] * b[r + l];
    }
    return lane_sum(s);
}

/* dest[v] += sum_r a[r] z_v[r] for v0 <= v < p, and the same sums to
 * mirror[v * stride] for v > diag if mirror is not NULL. */
static inline __attribute__((always_inline)) void
dots_from(const double *a, const double *z, size_t ld, size_t v0, size_t p, double *dest,
          double *mirror, size_t stride, size_t diag)
{
    double out[4];
    for (size_t v = v0; v < p; v += 4) {
        size_t n = p - v < 4 ? p - v : 4;
        if (n == 4)
            dot4(a, z + v * ld, ld, out);
        else
            for (size_t j = 0; j < n; j++)
                out[j] = dot1(a, z + (v + j) * ld, ld);
        for (size_t j = 0; j < n; j++) {
            dest[v + j] += out[j];
            if (mirror && v + j > diag)
                mirror[(v + j) * stride] += out[j];
        }
    }
}

VECTOR_CLONES
void gmoe_gram_dots(size_t p, size_t nrows, const double *w, const double *z, double *dest)
{
    dots_from(w, z, gmoe_gram_ld(nrows), 0, p, dest, NULL, 0, 0);
}

/* Two rows u, u + 1 of Z'WZ from column v0 = u on (the upper triangle,
 * and row u + 1's entry at v = u, which is row u's at u + 1), to dest's
 * rows u and u + 1 and, mirrored, to mirror's columns (if not NULL). */
static inline __attribute__((always_inline)) void
rows_pair(const double *wz, const double *z, size_t ld, size_t u, size_t p, double *dest,
          double *mirror, size_t stride)
{
    size_t v = u;
    double out[8];
    for (; v + 4 <= p; v += 4) {
        dot2x4(wz + u * ld, z + v * ld, ld, out);
        for (size_t h = 0; h < 2; h++)
            for (size_t j = 0; j < 4; j++) {
                if (v + j < u + h)
                    continue; /* below the diagonal */
                dest[(u + h) * stride + v + j] += out[h * 4 + j];
                if (mirror && v + j > u + h)
                    mirror[(v + j) * stride + u + h] += out[h * 4 + j];
            }
    }
    for (size_t h = 0; h < 2; h++) {
        size_t row = u + h;
        dots_from(wz + row * ld, z, ld, v > row ? v : row, p, dest + row * stride,
                  mirror ? mirror + row : NULL, stride, row);
    }
}

VECTOR_CLONES
void gmoe_gram_add(size_t p, size_t nrows, const double *w, const double *z, double *wz,
                   double *dest, size_t stride, int upper)
{
    size_t ld = gmoe_gram_ld(nrows);
    for (size_t u = 0; u < p; u++) {
        double *wzu = wz + u * ld;
        const double *zu = z + u * ld;
#pragma omp simd
        for (size_t r = 0; r < ld; r++)
            wzu[r] = w[r] * zu[r];
    }
    /* Z'WZ is symmetric: the upper triangle's sums, mirrored for the
     * full square */
    size_t u = 0;
    for (; u + 2 <= p; u += 2)
        rows_pair(wz, z, ld, u, p, dest, upper ? NULL : dest, stride);
    if (u < p)
        dots_from(wz + u * ld, z, ld, u, p, dest + u * stride, upper ? NULL : dest + u, stride, u);
}
