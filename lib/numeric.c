/* numeric.c -- small numerical helpers and seed derivation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#ifdef _OPENMP
#include <omp.h>
#endif

int gmoe_resolve_threads(int nthreads)
{
    if (nthreads > 0)
        return nthreads;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int gmoe_threads_for_rows(int nthreads, size_t n)
{
    if (nthreads > 0)
        return nthreads;
    size_t most = n / GMOE_ROWS_PER_THREAD;
    int nt = gmoe_resolve_threads(0);
    return most < 1 ? 1 : most < (size_t)nt ? (int)most : nt;
}

double gmoe_log_normal(double y, double mu, double s2)
{
    double r = y - mu;
    return -0.5 * (GMOE_LOG_2PI + log(s2) + r * r / s2);
}


char *gmoe_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

/* splitmix64 (Steele, Lea & Flood 2014): consecutive indices give
 * statistically independent seeds. */
uint64_t gmoe_seed_derive(uint64_t master, uint64_t index)
{
    uint64_t z = master + 0x9E3779B97F4A7C15ULL * (index + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* C (m x p) = op(A) B, A (m x n) or, transposed (ta), A' with A (n x m);
 * B (n x p); all row-major.  With tb, B' is used, B being (p x n). */
void gmoe_matmul(const double *A, int ta, const double *B, int tb, size_t m, size_t n,
                   size_t p, double *C)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < p; j++) {
            double s = 0.0;
            for (size_t c = 0; c < n; c++)
                s += (ta ? A[c * m + i] : A[i * n + c]) * (tb ? B[j * n + c] : B[c * p + j]);
            C[i * p + j] = s;
        }
}

void gmoe_damped_system(const double *H, size_t P, const size_t *active, size_t na,
                        double lambda, double *out)
{
    double dmax = 0.0;
    for (size_t u = 0; u < na; u++)
        dmax = fmax(dmax, fabs(H[active[u] * (P + 1)]));
    for (size_t u = 0; u < na; u++) {
        size_t a = active[u];
        for (size_t v = 0; v < na; v++)
            out[u * na + v] = -H[a * P + active[v]];
        out[u * na + u] += lambda * fmax(fabs(H[a * P + a]), 1e-12 * dmax);
    }
}
