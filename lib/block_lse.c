/* block_lse.c -- log-sum-exp and normalized weights of a block of rows,
 * the innermost work of the E-step and of the gate M-step. */
#include "config.h"

#include <math.h>

#include "internal.h"
#include "vector_math.h"

/* Row by row the arithmetic of gmoe_logsumexp_weights, but laid out for
 * the processor: no branch that depends on which entry is the largest
 * (exp(0) = 1 for it, exactly), and the exps and logs of the whole block
 * in two vector loops.  That makes it several times faster than calling
 * the row function in a loop; the last bits may differ from it (vector
 * exp and log are correctly rounded to within a few ulp, not always to
 * the same value).  The AVX2 copy is chosen at run time where the
 * processor has it. */
static inline __attribute__((always_inline)) void
lse_rows(size_t nrows, size_t k, const double *v, size_t vstride, double *w, size_t wstride,
         double *lse, double *buf)
{
    double *sum = buf + nrows * k;
    for (size_t r = 0; r < nrows; r++) {
        const double *vr = v + r * vstride;
        double mx = -INFINITY;
        for (size_t i = 0; i < k; i++)
            mx = vr[i] > mx ? vr[i] : mx;
        lse[r] = mx;
        for (size_t i = 0; i < k; i++)
            buf[r * k + i] = vr[i] - mx;
    }
    /* An exp below 1e-300 (next to the 1 of the maximum in the sum) counts
     * as 0, and arguments are raised to -700 first: the vector exp takes
     * a slow scalar path near underflow, and -inf (a zero gate) must give
     * exactly 0.  NaN passes through. */
    for (size_t j = 0; j < nrows * k; j++)
        buf[j] = isless(buf[j], -700.0) ? -700.0 : buf[j];
#pragma omp simd
    for (size_t j = 0; j < nrows * k; j++)
        buf[j] = exp(buf[j]);
#pragma omp simd
    for (size_t j = 0; j < nrows * k; j++)
        buf[j] = isless(buf[j], 1e-300) ? 0.0 : buf[j];
    for (size_t r = 0; r < nrows; r++) {
        double s = 0.0;
        for (size_t i = 0; i < k; i++)
            s += buf[r * k + i];
        double inv = 1.0 / s, *wr = w + r * wstride; /* v is read: w may alias it */
        for (size_t i = 0; i < k; i++)
            wr[i] = buf[r * k + i] * inv;
        sum[r] = s;
    }
#pragma omp simd
    for (size_t r = 0; r < nrows; r++)
        sum[r] = log(sum[r]);
    for (size_t r = 0; r < nrows; r++) {
        if (isfinite(lse[r])) {
            lse[r] += sum[r];
        } else { /* all -inf, or a +inf: lse is the maximum, as in
                  * gmoe_logsumexp_weights */
            for (size_t i = 0; i < k; i++)
                w[r * wstride + i] = NAN;
        }
    }
}

/* Copies with k = 2 and 3 known to the compiler (unrolled row loops). */
VECTOR_CLONES
static void block_lse_weights(size_t nrows, size_t k, const double *v, size_t vstride,
                              double *w, size_t wstride, double *lse, double *buf)
{
    if (k == 2)
        lse_rows(nrows, 2, v, vstride, w, wstride, lse, buf);
    else if (k == 3)
        lse_rows(nrows, 3, v, vstride, w, wstride, lse, buf);
    else
        lse_rows(nrows, k, v, vstride, w, wstride, lse, buf);
}

/* The clones above are one indirect (ifunc) symbol, which libtool's list
 * of exported symbols leaves out: the library's callers and the tests
 * reach it through this plain function. */
void gmoe_block_lse_weights(size_t nrows, size_t k, const double *v, size_t vstride,
                            double *w, size_t wstride, double *lse, double *buf)
{
    block_lse_weights(nrows, k, v, vstride, w, wstride, lse, buf);
}
