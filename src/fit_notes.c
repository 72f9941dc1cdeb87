/* fit_notes.c -- the signs of an over-specified or separable fit, read off
 * a fitted model and its data (MODELS.md section 4: say which directions
 * are not identified rather than print huge standard errors).
 *
 *   tiny expert:      mean gate weight below 1% (or fewer than d + 2 rows'
 *                     worth): an over-specified k;
 *   near-duplicates:  two experts whose regression lines, over the data,
 *                     are within twice the larger noise sd of each other
 *                     and whose variances are within a factor 2: one
 *                     expert split in two;
 *   separable gate:   a gate slope that changes the logit by more than 30
 *                     over one sd of its covariate: the gate is a step, its
 *                     slope runs off to infinity and only the boundary is
 *                     identified (always so for top-K with K = 1). */
#include <math.h>
#include <stdlib.h>

#include "fit_notes.h"

/* Mean and sd of a column (stride: the row length). */
static void moments(const gmoe_data *data, const double *col, size_t stride, double *mean,
                    double *sd)
{
    double s = 0.0, ss = 0.0;
    for (size_t r = 0; r < data->n; r++)
        s += col[r * stride];
    *mean = s / (double)data->n;
    for (size_t r = 0; r < data->n; r++)
        ss += (col[r * stride] - *mean) * (col[r * stride] - *mean);
    *sd = sqrt(ss / (double)data->n);
}

static size_t tiny_experts(FILE *out, const gmoe_model *m, const gmoe_data *data)
{
    size_t k = m->k, notes = 0;
    double *gate = malloc(k * sizeof(double)), *mass = calloc(k, sizeof(double)), mean, var;
    double total = gmoe_data_total_weight(data); /* rows, or the sum of the case weights */
    for (size_t r = 0; gate && mass && r < data->n; r++) {
        gmoe_predict_gx(m, data->x + r * m->d, gmoe_data_gate_x(data) + r * gmoe_data_gate_d(data),
                        &mean, &var, gate, NULL);
        for (size_t i = 0; i < k; i++) /* times 1 without weights */
            mass[i] += (data->w ? data->w[r] : 1.0) * gate[i] / total;
    }
    for (size_t i = 0; gate && mass && k > 1 && i < k; i++)
        if (mass[i] < 0.01 || mass[i] * total < (double)(m->d + 2)) {
            fprintf(out, "  note: expert %zu has tiny mass (mean gate %.3g): k may be too large\n",
                    i + 1, mass[i]);
            notes++;
        }
    free(gate);
    free(mass);
    return notes;
}

static size_t duplicates(FILE *out, const gmoe_model *m, const gmoe_data *data)
{
    size_t k = m->k, d = m->d, notes = 0;
    double xm, xsd;
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++) {
            /* the lines' distance: |db + da'xbar| plus |da| sd(x) per covariate */
            double dist = m->b[i] - m->b[j];
            double spread = 0.0;
            for (size_t u = 0; u < d; u++) {
                moments(data, data->x + u, d, &xm, &xsd);
                double da = m->a[i * d + u] - m->a[j * d + u];
                dist += da * xm;
                spread += fabs(da) * xsd;
            }
            double ratio = m->sigma2[i] / m->sigma2[j];
            double noise = sqrt(fmax(m->sigma2[i], m->sigma2[j]));
            if (fabs(dist) + spread < 2 * noise && ratio > 0.5 && ratio < 2) {
                fprintf(out, "  note: experts %zu and %zu are near-duplicates (the same line and "
                        "variance): k may be too large\n", i + 1, j + 1);
                notes++;
            }
        }
    return notes;
}

static size_t separable(FILE *out, const gmoe_model *m, const gmoe_data *data)
{
    size_t notes = 0, d = m->dg; /* the gate's covariates */
    const double *gx = gmoe_data_gate_x(data);
    if (gmoe_model_gate_selects_one(m)) {
        fprintf(out, "  note: top-K with K = 1: the gate enters only through its selection "
                "boundaries; its slopes are not identified, only where the selection changes\n");
        return 1;
    }
    /* a scale-free gate's logits are beta / tau (temperature) */
    double scale = gmoe_family_properties(m->family) & GMOE_FAMILY_SCALE_FREE ? m->tau : 1.0;
    for (size_t u = 0; u < d; u++) {
        double xm, xsd;
        moments(data, gx + u, d, &xm, &xsd);
        for (size_t i = 0; i < m->k; i++)
            if (fabs(m->beta1[i * d + u]) / scale * xsd > 30) {
                fprintf(out, "  note: gate slope of expert %zu on covariate %zu is very steep "
                        "(%.3g): the gate is (nearly) separable, the slope runs off to infinity "
                        "and only the boundary is identified\n", i + 1, u + 1,
                        m->beta1[i * d + u]);
                notes++;
            }
    }
    return notes;
}

size_t fit_notes_print(FILE *out, const gmoe_model *m, const gmoe_data *data)
{
    return tiny_experts(out, m, data) + duplicates(out, m, data) + separable(out, m, data);
}
