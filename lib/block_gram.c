/* block_gram.c -- weighted cross products of a block of rows, Z'WZ, the
 * normal equations of the experts' M-step and the gate's Hessian.
 *
 * A row at a time (rank-one updates) these cost a load and a store of the
 * accumulator per multiply-add; here the block's columns are laid out
 * contiguously and each entry of Z'WZ is a dot product over the rows, in
 * vector registers, a tile of up to 4 x 4 entries at a time.  Every dot
 * product sums its rows in GRAM_LANES interleaved partial sums, added in
 * a fixed order at the end: the bits depend on the block's rows only, not
 * on the thread nor on the tiles' shapes.  One kernel per instruction set,
 * chosen at run time (block_gram_tiles.h): the AVX-512 and AVX2 ones
 * contract the multiply-adds and agree to the last bit, the default one
 * does not contract them. */
#include "config.h"

#include <string.h>

#include "internal.h"

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

/* Column u of the block: z's first nz columns, then z2's. */
static inline const double *column(const double *z, size_t nz, const double *z2, size_t ld,
                                   size_t u)
{
    return u < nz ? z + u * ld : z2 + (u - nz) * ld;
}

/* The kernels, one per instruction set (block_gram_tiles.h), their tile
 * shapes the fastest measured on this project's AMD EPYC (each kernel
 * alone, 512 rows, p = 22 columns, forced with gmoe_gram_use):
 * - AVX-512: tiles of 4 x 4 sums of 8 lanes fill 16 of its 32 vector
 *   registers, and each step over 8 rows loads 9 vectors for 16
 *   multiply-adds: 6.6 us a block;
 * - AVX2 with FMA: 16 registers of 4 doubles; 2 x 2 tiles of two vectors
 *   a sum take 8 of them: 8.3 us (2 x 3 10.2, 2 x 4 8.7, 3 x 3 10.1; the
 *   4 x 4 tiles compiled for AVX2 spill their sums: 113 us, and the 2 x 4
 *   kernel of 0abbccd took 20);
 * - default (SSE2, or another processor): 2 x 2 tiles, 20.5 us (1 x 3,
 *   2 x 3 and 1 x 4 the same within noise; the 4 x 4 ones 51). */
#if defined(__x86_64__) && defined(__GNUC__)
#define GRAM_X86 1
#define GRAM_NAME(x) x##_avx512
#define GRAM_TARGET __attribute__((target("avx512f,fma")))
#define GRAM_VW 8
#define GRAM_TA 4
#define GRAM_TB 4
#include "block_gram_tiles.h"

#define GRAM_NAME(x) x##_avx2
#define GRAM_TARGET __attribute__((target("avx2,fma")))
#define GRAM_VW 4
#define GRAM_TA 2
#define GRAM_TB 2
#include "block_gram_tiles.h"
#endif

#define GRAM_NAME(x) x##_default
#define GRAM_TARGET
#define GRAM_VW 2
#define GRAM_TA 2
#define GRAM_TB 2
#include "block_gram_tiles.h"

#ifdef GRAM_X86
static int runs_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

static int runs_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

static int runs_anywhere(void)
{
    return 1;
}

typedef struct {
    const char *name;
    int (*runs)(void); /* whether this processor has its instructions */
    void (*add)(size_t p, const double *z, size_t nz, const double *z2, size_t ld,
                const double *w, double *dest, size_t stride, int upper);
    void (*dots)(const double *a, const double *z, size_t nz, const double *z2, size_t ld,
                 size_t p, double *dest);
} gram_kernel;

/* The best first; the last runs anywhere. */
static const gram_kernel gram_kernels[] = {
#ifdef GRAM_X86
    {"avx512", runs_avx512, add_avx512, dots_avx512},
    {"avx2", runs_avx2, add_avx2, dots_avx2},
#endif
    {"default", runs_anywhere, add_default, dots_default},
};
enum { GRAM_NKERNELS = sizeof gram_kernels / sizeof gram_kernels[0] };

/* The kernel gmoe_gram_use chose, or NULL: the best the processor runs. */
static const gram_kernel *gram_forced;

static const gram_kernel *gram_kernel_now(void)
{
    if (gram_forced)
        return gram_forced;
    size_t i = 0;
    while (!gram_kernels[i].runs())
        i++;
    return &gram_kernels[i];
}

int gmoe_gram_use(const char *name)
{
    if (!name) {
        gram_forced = NULL;
        return 0;
    }
    for (size_t i = 0; i < GRAM_NKERNELS; i++)
        if (strcmp(gram_kernels[i].name, name) == 0 && gram_kernels[i].runs()) {
            gram_forced = &gram_kernels[i];
            return 0;
        }
    return -1;
}

const char *gmoe_gram_kernel(void)
{
    return gram_kernel_now()->name;
}

void gmoe_gram_dots_split(size_t p, const double *z, size_t nz, const double *z2, size_t nrows,
                          const double *w, double *dest)
{
    gram_kernel_now()->dots(w, z, nz, z2, gmoe_gram_ld(nrows), p, dest);
}

void gmoe_gram_dots(size_t p, size_t nrows, const double *w, const double *z, double *dest)
{
    gmoe_gram_dots_split(p, z, p, NULL, nrows, w, dest);
}

void gmoe_gram_add_split(size_t p, const double *z, size_t nz, const double *z2, size_t nrows,
                         const double *w, double *dest, size_t stride, int upper)
{
    gram_kernel_now()->add(p, z, nz, z2, gmoe_gram_ld(nrows), w, dest, stride, upper);
}

void gmoe_gram_add(size_t p, size_t nrows, const double *w, const double *z, double *dest,
                   size_t stride, int upper)
{
    gmoe_gram_add_split(p, z, p, NULL, nrows, w, dest, stride, upper);
}
