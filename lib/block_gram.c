/* block_gram.c -- weighted cross products of a block of rows, Z'WZ, the
 * normal equations of the experts' M-step and the gate's Hessian.
 *
 * A row at a time (rank-one updates) these cost a load and a store of the
 * accumulator per multiply-add; here the block's columns are laid out
 * contiguously and each entry of Z'WZ is a dot product over the rows, in
 * vector registers, a tile of up to 4 x 4 entries at a time.  Every dot
 * product sums its rows in GRAM_LANES interleaved partial sums, added in
 * a fixed order at the end: the bits depend on the block's rows only, not
 * on the thread nor on the tiles' shapes (the AVX-512 copy contracts the
 * multiply-adds, the others do not: results differ in their last bits
 * between machines with and without AVX-512, as vector_math.h says). */
#include "config.h"

#include <string.h>

#include "internal.h"
#include "vector_math.h"

size_t gmoe_gram_ld(size_t nrows)
{
    return (nrows + GMOE_GRAM_LANES - 1) / GMOE_GRAM_LANES * GMOE_GRAM_LANES;
}

size_t gmoe_gram_scratch(size_t cols, size_t extra)
{
    size_t ld = gmoe_gram_ld(GMOE_BLOCK_ROWS);
    return (cols + 2 + extra) * ld;
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

size_t gmoe_gram_blocks_size(size_t n, size_t d)
{
    size_t nb = gmoe_nblocks(n);
    return nb ? ((nb - 1) * GMOE_BLOCK_ROWS + gmoe_gram_ld(n - (nb - 1) * GMOE_BLOCK_ROWS)) * d : 0;
}

void gmoe_gram_blocks_std(const double *x, size_t n, size_t d, const double *shift,
                          const double *scale, double *z)
{
    for (size_t lo = 0; lo < n; lo += GMOE_BLOCK_ROWS) {
        size_t nrows = n - lo < GMOE_BLOCK_ROWS ? n - lo : GMOE_BLOCK_ROWS;
        size_t ld = gmoe_gram_ld(nrows);
        double *zb = z + lo * d;
        for (size_t r = 0; r < ld; r++)
            for (size_t j = 0; j < d; j++)
                zb[j * ld + r] = r < nrows ? (x[(lo + r) * d + j] - shift[j]) / scale[j] : 0.0;
    }
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

/* GMOE_GRAM_LANES doubles in one vector (one zmm register, two ymm);
 * loaded from any double's address. */
typedef double gram_lanes
    __attribute__((vector_size(GMOE_GRAM_LANES * sizeof(double)), aligned(sizeof(double)),
                   may_alias));

/* The GRAM_LANES partial sums s added pairwise in a fixed order. */
static inline __attribute__((always_inline)) double lane_sum(gram_lanes s)
{
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

/* A tile of Z'WZ is at most GRAM_TILE x GRAM_TILE entries: its 16 sums
 * of 8 lanes fill 16 of the 32 AVX-512 registers, and each step over 8
 * rows loads 8 vectors for 16 multiply-adds. */
#define GRAM_TILE 4

/* The tile's sums s_ij = sum_r (w[r] a_i[r]) b_j[r] (w[r] taken as 1 if
 * w is NULL), i < na, j < nb (j >= i only if diag: a tile on the
 * diagonal, whose a and b are the same columns), added to
 * dest[i * stride + j] and, if mirror is not NULL, to
 * mirror[j * stride + i] off the diagonal.  The weighted a_i are formed
 * as the rows go, in registers (written to a scratch column and read
 * back, they cost a quarter of the time: loads stalled behind the
 * stores).  na, nb and diag are constants in each inlined copy, so the
 * sums stay in registers. */
static inline __attribute__((always_inline)) void
tile(size_t na, size_t nb, int diag, const double *w, const double *const *a,
     const double *const *b, size_t ld, double *dest, size_t stride, double *mirror)
{
    gram_lanes s[GRAM_TILE][GRAM_TILE];
#pragma GCC unroll 4
    for (size_t i = 0; i < GRAM_TILE; i++)
#pragma GCC unroll 4
        for (size_t j = 0; j < GRAM_TILE; j++)
            s[i][j] = (gram_lanes){0};
    for (size_t r = 0; r < ld; r += GMOE_GRAM_LANES) {
        gram_lanes bv[GRAM_TILE];
#pragma GCC unroll 4
        for (size_t j = 0; j < nb; j++)
            bv[j] = *(const gram_lanes *)(b[j] + r);
#pragma GCC unroll 4
        for (size_t i = 0; i < na; i++) {
            gram_lanes av = *(const gram_lanes *)(a[i] + r);
            if (w)
                av *= *(const gram_lanes *)(w + r);
#pragma GCC unroll 4
            for (size_t j = diag ? i : 0; j < nb; j++)
                s[i][j] += av * bv[j];
        }
    }
#pragma GCC unroll 4
    for (size_t i = 0; i < na; i++)
#pragma GCC unroll 4
        for (size_t j = diag ? i : 0; j < nb; j++) {
            double v = lane_sum(s[i][j]);
            dest[i * stride + j] += v;
            if (mirror && (!diag || j > i))
                mirror[j * stride + i] += v;
        }
}

/* tile() with its shape as constants: a diagonal tile is n x n (n <= 4,
 * the last one smaller); one off the diagonal is 4 x nb (the last
 * column's tiles narrower). */
static inline __attribute__((always_inline)) void
tile_of_shape(size_t n, int diag, const double *w, const double *const *a,
              const double *const *b, size_t ld, double *dest, size_t stride, double *mirror)
{
    switch (n) {
    case 4: tile(4, 4, diag, w, a, b, ld, dest, stride, mirror); return;
    case 3: tile(diag ? 3 : 4, 3, diag, w, a, b, ld, dest, stride, mirror); return;
    case 2: tile(diag ? 2 : 4, 2, diag, w, a, b, ld, dest, stride, mirror); return;
    default: tile(diag ? 1 : 4, 1, diag, w, a, b, ld, dest, stride, mirror); return;
    }
}

/* Column u of the block: z's first nz columns, then z2's. */
static inline const double *column(const double *z, size_t nz, const double *z2, size_t ld,
                                   size_t u)
{
    return u < nz ? z + u * ld : z2 + (u - nz) * ld;
}

/* dest[v] += sum_r a[r] z_v[r] for v < p (columns of z, z2 as in column()). */
static inline __attribute__((always_inline)) void
dots(const double *a, const double *z, size_t nz, const double *z2, size_t ld, size_t p,
     double *dest)
{
    const double *b[GRAM_TILE], *a4[GRAM_TILE] = {a, a, a, a};
    for (size_t v = 0; v < p; v += GRAM_TILE) {
        size_t n = p - v < GRAM_TILE ? p - v : GRAM_TILE;
        for (size_t j = 0; j < n; j++)
            b[j] = column(z, nz, z2, ld, v + j);
        switch (n) {
        case 4: tile(1, 4, 0, NULL, a4, b, ld, dest + v, 0, NULL); break;
        case 3: tile(1, 3, 0, NULL, a4, b, ld, dest + v, 0, NULL); break;
        case 2: tile(1, 2, 0, NULL, a4, b, ld, dest + v, 0, NULL); break;
        default: tile(1, 1, 0, NULL, a4, b, ld, dest + v, 0, NULL); break;
        }
    }
}

VECTOR_CLONES
void gmoe_gram_dots(size_t p, size_t nrows, const double *w, const double *z, double *dest)
{
    dots(w, z, p, NULL, gmoe_gram_ld(nrows), p, dest);
}

VECTOR_CLONES
void gmoe_gram_add_split(size_t p, const double *z, size_t nz, const double *z2, size_t nrows,
                         const double *w, double *dest, size_t stride, int upper)
{
    size_t ld = gmoe_gram_ld(nrows);
    /* Z'WZ is symmetric: the upper triangle's tiles, entry (u, v) the sum
     * of (w z_u) z_v, mirrored for the full square */
    for (size_t u = 0; u < p; u += GRAM_TILE) {
        const double *a[GRAM_TILE], *b[GRAM_TILE];
        size_t n = p - u < GRAM_TILE ? p - u : GRAM_TILE;
        for (size_t i = 0; i < GRAM_TILE; i++)
            a[i] = b[i] = column(z, nz, z2, ld, u + (i < n ? i : 0));
        double *diag = dest + u * stride + u;
        tile_of_shape(n, 1, w, a, b, ld, diag, stride, upper ? NULL : diag);
        for (size_t v = u + GRAM_TILE; v < p; v += GRAM_TILE) {
            size_t nv = p - v < GRAM_TILE ? p - v : GRAM_TILE;
            for (size_t j = 0; j < nv; j++)
                b[j] = column(z, nz, z2, ld, v + j);
            tile_of_shape(nv, 0, w, a, b, ld, dest + u * stride + v, stride,
                          upper ? NULL : dest + v * stride + u);
        }
    }
}

void gmoe_gram_add(size_t p, size_t nrows, const double *w, const double *z, double *dest,
                   size_t stride, int upper)
{
    gmoe_gram_add_split(p, z, p, NULL, nrows, w, dest, stride, upper);
}
