/* rate_slope.c -- the slope of log(mean loss) against log N with its
 * confidence interval, and the per-N summaries of a rate experiment. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "internal.h"

int gmoe_rate_fit_slope(const double *n, const double *y, size_t npoints,
                        double level, gmoe_rate_slope *out, gmoe_err *err)
{
    memset(out, 0, sizeof *out);
    if (npoints < 3)
        return gmoe_error(err, GMOE_EDATA, "a slope with a confidence interval needs at least 3 sample sizes, got %zu", npoints);
    if (!(level > 0 && level < 1))
        return gmoe_error(err, GMOE_EINVAL, "confidence level %g must be in (0, 1)", level);
    double *lx = malloc(2 * npoints * sizeof *lx);
    if (!lx)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    double *ly = lx + npoints;
    for (size_t i = 0; i < npoints; i++) {
        if (!(n[i] > 0) || !isfinite(n[i]) || !(y[i] > 0) || !isfinite(y[i])) {
            free(lx);
            return gmoe_error(err, GMOE_EDATA, "point %zu (N = %g, value %g): both must be finite and > 0 on log axes",
                              i + 1, n[i], y[i]);
        }
        lx[i] = log(n[i]);
        ly[i] = log(y[i]);
    }
    double c0, c1, cov00, cov01, cov11, sumsq;
    gsl_fit_linear(lx, 1, ly, 1, npoints, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    free(lx);
    if (!isfinite(c1) || !isfinite(cov11))
        return gmoe_error(err, GMOE_EDATA, "the sample sizes must not all be equal");
    /* gsl_fit_linear's cov11 is already sumsq / (n - 2) / Sxx. */
    double se = sqrt(cov11);
    double t = gsl_cdf_tdist_Pinv(0.5 + level / 2, (double)(npoints - 2));
    out->slope = c1;
    out->intercept = c0;
    out->se = se;
    out->lo = c1 - t * se;
    out->hi = c1 + t * se;
    out->level = level;
    out->npoints = npoints;
    return GMOE_OK;
}

int gmoe_rate_summary(const double *v, size_t n, double *mean, double *sd,
                      double *median, gmoe_err *err)
{
    if (n < 1)
        return gmoe_error(err, GMOE_EINVAL, "no values to summarize");
    double *s = malloc(n * sizeof *s);
    if (!s)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    memcpy(s, v, n * sizeof *s);
    gsl_sort(s, 1, n);
    *mean = gsl_stats_mean(v, 1, n);
    *sd = n > 1 ? gsl_stats_sd_m(v, 1, n, *mean) : 0.0;
    *median = gsl_stats_median_from_sorted_data(s, 1, n);
    free(s);
    return GMOE_OK;
}
