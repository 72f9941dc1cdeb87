/* vector_math.h -- exp, log, tanh and atan over whole arrays (private).
 *
 * Declared as OpenMP simd functions, these make the compiler call glibc's
 * vector versions (libmvec) in loops marked `omp simd`; VECTOR_CLONES on
 * a function adds an AVX-512 and an AVX2 copy, one chosen at run time
 * (the AVX-512 copy calls libmvec's 8-wide exp and log, which were 15%
 * and 18% faster than the 4-wide ones on an AVX-512 AMD EPYC; the log
 * differs from the 4-wide one in the last bit for about 0.4% of
 * arguments, so results differ in their last bits between machines with
 * and without AVX-512, never between thread counts).  configure defines
 * GMOE_VECTOR_MATH when this links (x86-64 glibc >= 2.35); otherwise the
 * same loops call the scalar functions.  Include after config.h. */
#ifndef GMOE_VECTOR_MATH_H
#define GMOE_VECTOR_MATH_H

#include <math.h>
#include <stddef.h>

#if defined(GMOE_VECTOR_MATH) && defined(_OPENMP)
#pragma omp declare simd notinbranch
extern double exp(double);
#pragma omp declare simd notinbranch
extern double log(double);
#pragma omp declare simd notinbranch
extern double tanh(double);
#pragma omp declare simd notinbranch
extern double atan(double);
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* Four doubles in a vector register, loaded and stored at any 8-byte
 * address. */
typedef double gmoe_quad __attribute__((vector_size(4 * sizeof(double)), aligned(sizeof(double))));

/* The 4 x 4 doubles at src (four vectors of four, sld apart), each times
 * scale[0..3] elementwise (NULL: times 1, exact), transposed in registers
 * and stored as four vectors dld apart at dst: a row-major block to
 * columns, or back. */
static inline __attribute__((always_inline)) void
gmoe_transpose4(const double *src, size_t sld, const double *scale, double *dst, size_t dld)
{
    gmoe_quad s = {1.0, 1.0, 1.0, 1.0};
    if (scale)
        s = *(const gmoe_quad *)scale;
    gmoe_quad a = *(const gmoe_quad *)src * s, b = *(const gmoe_quad *)(src + sld) * s;
    gmoe_quad x = *(const gmoe_quad *)(src + 2 * sld) * s, y = *(const gmoe_quad *)(src + 3 * sld) * s;
    gmoe_quad ab0 = __builtin_shufflevector(a, b, 0, 4, 2, 6); /* a0 b0 a2 b2 */
    gmoe_quad ab1 = __builtin_shufflevector(a, b, 1, 5, 3, 7); /* a1 b1 a3 b3 */
    gmoe_quad xy0 = __builtin_shufflevector(x, y, 0, 4, 2, 6);
    gmoe_quad xy1 = __builtin_shufflevector(x, y, 1, 5, 3, 7);
    *(gmoe_quad *)dst = __builtin_shufflevector(ab0, xy0, 0, 1, 4, 5);
    *(gmoe_quad *)(dst + dld) = __builtin_shufflevector(ab1, xy1, 0, 1, 4, 5);
    *(gmoe_quad *)(dst + 2 * dld) = __builtin_shufflevector(ab0, xy0, 2, 3, 6, 7);
    *(gmoe_quad *)(dst + 3 * dld) = __builtin_shufflevector(ab1, xy1, 2, 3, 6, 7);
}

#endif
