/* block_gram_tiles.h -- the register tiles of Z'WZ for one instruction
 * set (private to block_gram.c, which includes it once per kernel).
 *
 * Before each inclusion block_gram.c defines (and this file undefines at
 * its end):
 *   GRAM_NAME(x)  the kernel's name for x (e.g. x##_avx2);
 *   GRAM_TARGET   the kernel's entry points' attributes (a target());
 *   GRAM_VW       doubles in one vector register (8, 4 or 2);
 *   GRAM_TA, GRAM_TB  a tile's rows and columns (GRAM_TA <= GRAM_TB <= 4):
 *                 GRAM_TA * GRAM_TB * 8 / GRAM_VW vector sums, which must
 *                 fit the registers beside the loads.
 * Every kernel adds the same products in the same order: each dot
 * product keeps GMOE_GRAM_LANES interleaved partial sums (lane l the rows
 * r = l mod 8, held in 8 / GRAM_VW vectors) added pairwise in a fixed
 * order at the end; the weighted a_i = w a_i are formed in registers as
 * the rows go.  Kernels that contract the multiply-adds (AVX2 with FMA,
 * AVX-512) give the same bits; the default one (SSE2) does not contract
 * them and differs in the last bits. */

#define GRAM_SUBS (GMOE_GRAM_LANES / GRAM_VW)

typedef double GRAM_NAME(vec)
    __attribute__((vector_size(GRAM_VW * sizeof(double)), aligned(sizeof(double)), may_alias));

/* The 8 lanes of s (GRAM_SUBS vectors) added pairwise, as lane_sum. */
static inline __attribute__((always_inline)) double GRAM_NAME(lanes)(const GRAM_NAME(vec) *s)
{
    double l[GMOE_GRAM_LANES];
    memcpy(l, s, sizeof l);
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

/* The tile's sums s_ij = sum_r (w[r] a_i[r]) b_j[r] (w[r] taken as 1 if
 * w is NULL), i < na, j < nb (j >= i only if diag: a tile on the
 * diagonal, whose a and b are the same columns), added to
 * dest[i * stride + j] and, if mirror is not NULL, to
 * mirror[j * stride + i] off the diagonal.  na, nb and diag are
 * constants in each inlined copy, so the sums stay in registers. */
static inline __attribute__((always_inline)) void
GRAM_NAME(tile)(size_t na, size_t nb, int diag, const double *w, const double *const *a,
                const double *const *b, size_t ld, double *dest, size_t stride, double *mirror)
{
    GRAM_NAME(vec) s[GRAM_TA][GRAM_TB][GRAM_SUBS];
#pragma GCC unroll 4
    for (size_t i = 0; i < GRAM_TA; i++)
#pragma GCC unroll 4
        for (size_t j = 0; j < GRAM_TB; j++)
#pragma GCC unroll 4
            for (size_t h = 0; h < GRAM_SUBS; h++)
                s[i][j][h] = (GRAM_NAME(vec)){0};
    for (size_t r = 0; r < ld; r += GMOE_GRAM_LANES)
#pragma GCC unroll 4
        for (size_t h = 0; h < GRAM_SUBS; h++) {
            size_t rh = r + h * GRAM_VW;
            GRAM_NAME(vec) bv[GRAM_TB];
#pragma GCC unroll 4
            for (size_t j = 0; j < nb; j++)
                bv[j] = *(const GRAM_NAME(vec) *)(b[j] + rh);
#pragma GCC unroll 4
            for (size_t i = 0; i < na; i++) {
                GRAM_NAME(vec) av = *(const GRAM_NAME(vec) *)(a[i] + rh);
                if (w)
                    av *= *(const GRAM_NAME(vec) *)(w + rh);
#pragma GCC unroll 4
                for (size_t j = diag ? i : 0; j < nb; j++)
                    s[i][j][h] += av * bv[j];
            }
        }
#pragma GCC unroll 4
    for (size_t i = 0; i < na; i++)
#pragma GCC unroll 4
        for (size_t j = diag ? i : 0; j < nb; j++) {
            double v = GRAM_NAME(lanes)(s[i][j]);
            dest[i * stride + j] += v;
            if (mirror && (!diag || j > i))
                mirror[j * stride + i] += v;
        }
}

/* GRAM_NAME(tile) with its shape as constants: a diagonal tile is n x n
 * (n <= GRAM_TA, the last one smaller); one off the diagonal is
 * GRAM_TA x n (the last column's tiles narrower, n <= GRAM_TB).  The
 * shapes a kernel cannot have are never reached (GRAM_MIN keeps them
 * inside the sums' array). */
#define GRAM_MIN(x, y) ((x) < (y) ? (x) : (y))
static inline __attribute__((always_inline)) void
GRAM_NAME(tile_of_shape)(size_t n, int diag, const double *w, const double *const *a,
                         const double *const *b, size_t ld, double *dest, size_t stride,
                         double *mirror)
{
#define GRAM_SHAPE(c) GRAM_NAME(tile)(diag ? GRAM_MIN(c, GRAM_TA) : GRAM_TA, GRAM_MIN(c, GRAM_TB), \
                                      diag, w, a, b, ld, dest, stride, mirror)
    switch (n) {
    case 4: GRAM_SHAPE(4); return;
    case 3: GRAM_SHAPE(3); return;
    case 2: GRAM_SHAPE(2); return;
    default: GRAM_SHAPE(1); return;
    }
#undef GRAM_SHAPE
}

/* dest[v] += sum_r a[r] z_v[r] for v < p (columns as column()). */
static GRAM_TARGET void GRAM_NAME(dots)(const double *a, const double *z, size_t nz,
                                        const double *z2, size_t ld, size_t p, double *dest)
{
    const double *b[GRAM_TB], *a1[GRAM_TA];
    for (size_t i = 0; i < GRAM_TA; i++)
        a1[i] = a;
    for (size_t v = 0; v < p; v += GRAM_TB) {
        size_t n = p - v < GRAM_TB ? p - v : GRAM_TB;
        for (size_t j = 0; j < n; j++)
            b[j] = column(z, nz, z2, ld, v + j);
        switch (n) {
        case 4: GRAM_NAME(tile)(1, GRAM_MIN(4, GRAM_TB), 0, NULL, a1, b, ld, dest + v, 0, NULL); break;
        case 3: GRAM_NAME(tile)(1, GRAM_MIN(3, GRAM_TB), 0, NULL, a1, b, ld, dest + v, 0, NULL); break;
        case 2: GRAM_NAME(tile)(1, GRAM_MIN(2, GRAM_TB), 0, NULL, a1, b, ld, dest + v, 0, NULL); break;
        default: GRAM_NAME(tile)(1, 1, 0, NULL, a1, b, ld, dest + v, 0, NULL); break;
        }
    }
}

/* Z'WZ's upper triangle in tiles, entry (u, v) the sum of (w z_u) z_v,
 * mirrored for the full square unless upper (columns as column()). */
static GRAM_TARGET void GRAM_NAME(add)(size_t p, const double *z, size_t nz, const double *z2,
                                       size_t ld, const double *w, double *dest, size_t stride,
                                       int upper)
{
    for (size_t u = 0; u < p; u += GRAM_TA) {
        const double *a[GRAM_TA], *b[GRAM_TB];
        size_t n = p - u < GRAM_TA ? p - u : GRAM_TA;
        for (size_t i = 0; i < GRAM_TA; i++)
            a[i] = b[i] = column(z, nz, z2, ld, u + (i < n ? i : 0));
        double *diag = dest + u * stride + u;
        GRAM_NAME(tile_of_shape)(n, 1, w, a, b, ld, diag, stride, upper ? NULL : diag);
        for (size_t v = u + GRAM_TA; v < p; v += GRAM_TB) {
            size_t nv = p - v < GRAM_TB ? p - v : GRAM_TB;
            for (size_t j = 0; j < nv; j++)
                b[j] = column(z, nz, z2, ld, v + j);
            GRAM_NAME(tile_of_shape)(nv, 0, w, a, b, ld, dest + u * stride + v, stride,
                                     upper ? NULL : dest + v * stride + u);
        }
    }
}

#undef GRAM_MIN
#undef GRAM_SUBS
#undef GRAM_NAME
#undef GRAM_TARGET
#undef GRAM_VW
#undef GRAM_TA
#undef GRAM_TB
