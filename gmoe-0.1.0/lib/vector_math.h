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

#endif
