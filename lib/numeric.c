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

double gmoe_logsumexp(const double *v, size_t n)
{
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (v[i] > mx)
            mx = v[i];
    if (mx == -INFINITY || !isfinite(mx))
        return mx;
    /* exp(0) = 1 for the maximum: one exp fewer per row (half of them
     * when k = 2) in the hot loops. */
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i] == mx ? 1.0 : exp(v[i] - mx);
    return mx + log(s);
}

void gmoe_log_normalize(double *v, size_t n)
{
    double lse = gmoe_logsumexp(v, n);
    for (size_t i = 0; i < n; i++)
        v[i] -= lse;
}

double gmoe_logsumexp_weights(const double *v, size_t n, double *w)
{
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (v[i] > mx)
            mx = v[i];
    if (mx == -INFINITY || !isfinite(mx)) {
        for (size_t i = 0; i < n; i++)
            w[i] = NAN;
        return mx;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        w[i] = v[i] == mx ? 1.0 : v[i] > -INFINITY ? exp(v[i] - mx) : 0.0;
        s += w[i];
    }
    double inv = 1.0 / s;
    for (size_t i = 0; i < n; i++)
        w[i] *= inv;
    return mx + log(s);
}

double gmoe_log_normal(double y, double mu, double s2)
{
    double r = y - mu;
    return -0.5 * (GMOE_LOG_2PI + log(s2) + r * r / s2);
}

double gmoe_expert_mean(const gmoe_model *m, size_t i, const double *x)
{
    const double *a = m->a + i * m->d;
    double mu = m->b[i];
    for (size_t j = 0; j < m->d; j++)
        mu += a[j] * x[j];
    return mu;
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
