/* identify.c -- which parameters of a fit are not identified (MODELS.md
 * section 4, over-specified models): the near-null directions of the
 * observed information and the experts behind them. */
#include <lapacke.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inference.h"
#include "chain.h"
#include "internal.h"

void gmoe_note_add(gmoe_note *n, const char *fmt, ...)
{
    if (n->len + 1 >= sizeof n->s)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(n->s + n->len, sizeof n->s - n->len, fmt, ap);
    va_end(ap);
    if (w > 0)
        n->len = n->len + (size_t)w < sizeof n->s ? n->len + (size_t)w : sizeof n->s - 1;
}

/* B = S^-1 A S^-1 with S = sqrt|diag A| (1 where zero); a scale-free
 * family (temperature) with tau estimated: plus c c', c the scaled gradient
 * of the normalization's ||beta1 - mean||_F^2 made unit, so that the invariant scale direction is not a null one. */
static void scaled_information(const gmoe_model *m, const gmoe_layout *L, const double *A,
                               double *B, double *s)
{
    size_t P = L->P;
    for (size_t j = 0; j < P; j++)
        s[j] = A[j * P + j] != 0 ? sqrt(fabs(A[j * P + j])) : 1.0;
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < P; j++)
            B[i * P + j] = A[i * P + j] / (s[i] * s[j]);
    double *c = malloc(P * sizeof(double)), norm = 0.0;
    if (!c || gmoe_layout_scale_gradient(L, m, c) != 1) {
        free(c);
        return;
    }
    for (size_t j = 0; j < P; j++) {
        c[j] /= s[j];
        norm += c[j] * c[j];
    }
    for (size_t i = 0; norm > 0 && i < P; i++)
        for (size_t j = 0; j < P; j++)
            B[i * P + j] += c[i] * c[j] / norm;
    free(c);
}

/* One direction (column e of the eigenvectors V) by its largest entries. */
static void describe_direction(const gmoe_model *m, const double *V, size_t P, size_t e,
                               double ratio, gmoe_note *note)
{
    double top = 0.0;
    for (size_t j = 0; j < P; j++)
        top = fmax(top, fabs(V[j * P + e]));
    gmoe_note_add(note, "%s direction (eigenvalue ratio %.2g):", ratio <= 0 ? "a negative" : "a flat",
                  ratio);
    size_t shown = 0;
    for (size_t j = 0; j < P && shown < 6; j++) {
        double v = V[j * P + e];
        if (fabs(v) < 0.3 * top)
            continue;
        char name[128];
        if (gmoe_param_name(m, j, name, sizeof name) != GMOE_OK)
            snprintf(name, sizeof name, "#%zu", j + 1);
        gmoe_note_add(note, "%s %+.2f %s", shown ? "," : "", v, name);
        shown++;
    }
    gmoe_note_add(note, "; ");
}

double gmoe_identify_directions(const gmoe_model *m, const gmoe_layout *L, const double *A,
                                double tol, gmoe_note *note)
{
    size_t P = L->P;
    double *B = malloc((P * P + 2 * P) * sizeof(double));
    if (!B)
        return -INFINITY;
    double *s = B + P * P, *w = s + P;
    scaled_information(m, L, A, B, s);
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)P, B, (lapack_int)P, w);
    double ratio = NAN;
    if (info == 0) {
        double top = fmax(fabs(w[P - 1]), fabs(w[0]));
        ratio = top > 0 ? w[0] / top : 0.0;
        size_t shown = 0;
        for (size_t e = 0; e < P && shown < 3; e++)
            if (top > 0 && w[e] / top < tol) {
                describe_direction(m, B, P, e, w[e] / top, note);
                shown++;
            }
    }
    free(B);
    return ratio;
}

typedef struct {
    const gmoe_model *m;
    const gmoe_data *data;
    size_t i, j;
    double *r; /* k: a row's responsibilities */
} rows_job;

/* The rows' |mu_i(x) - mu_j(x)| added to *s in order. */
static void add_line_gaps(void *job, double *s)
{
    const rows_job *a = job;
    for (size_t n = 0; n < a->data->n; n++) {
        const double *x = a->data->x + n * a->data->d;
        *s += fabs(gmoe_expert_mean(a->m, a->i, x) - gmoe_expert_mean(a->m, a->j, x));
    }
}

/* Mean over the rows (of every shard) of |mu_i(x) - mu_j(x)|. */
static double mean_line_gap(const gmoe_model *m, const gmoe_data *data, size_t i, size_t j)
{
    double s, n = (double)gmoe_rows_total(data);
    rows_job a = {m, data, i, j, NULL};
    gmoe_chain_run(data, &s, 1, add_line_gaps, &a);
    return n > 0 ? s / n : 0.0;
}

static void near_duplicates(const gmoe_model *m, const gmoe_data *data, gmoe_note *note)
{
    for (size_t i = 0; i < m->k; i++)
        for (size_t j = i + 1; j < m->k; j++) {
            double sd = sqrt(fmax(m->sigma2[i], m->sigma2[j]));
            double gap = mean_line_gap(m, data, i, j) / sd;
            if (gap < 0.5 && fabs(log(m->sigma2[i] / m->sigma2[j])) < 0.5)
                gmoe_note_add(note,
                              "experts %zu and %zu are near-duplicates (regression lines %.2g sd "
                              "apart on average, variances %.4g and %.4g); ",
                              i + 1, j + 1, gap, m->sigma2[i], m->sigma2[j]);
        }
}

/* The rows' responsibilities (times their weights) added to mass[k]. */
static void add_mass(void *job, double *mass)
{
    const rows_job *a = job;
    const gmoe_data *data = a->data;
    for (size_t n = 0; n < data->n; n++) {
        if (data->w && data->w[n] == 0.0)
            continue;
        gmoe_responsibilities_gx(a->m, data->x + n * data->d, gmoe_gate_row(data, n), data->y[n], a->r);
        for (size_t i = 0; i < a->m->k; i++) /* times 1 without case weights */
            mass[i] += (data->w ? data->w[n] : 1.0) * a->r[i];
    }
}

void gmoe_identify_experts(const gmoe_model *m, const gmoe_data *data, gmoe_note *note)
{
    double *mass = calloc(2 * m->k, sizeof(double));
    if (!mass)
        return;
    rows_job a = {m, data, 0, 0, mass + m->k};
    gmoe_chain_run(data, mass, m->k, add_mass, &a);
    for (size_t i = 0; i < m->k; i++)
        if (mass[i] < (double)(m->d + 2))
            gmoe_note_add(note, "expert %zu is tiny (its responsibilities sum to %.3g rows); ", i + 1,
                          mass[i]);
    free(mass);
    near_duplicates(m, data, note);
}

/* The selected expert of row x (top-K with K = 1: the one finite gate). */
static size_t selected_expert(const gmoe_model *m, const double *x, double *logg)
{
    gmoe_log_gate(m, x, logg);
    size_t best = 0;
    for (size_t i = 1; i < m->k; i++)
        if (logg[i] > logg[best])
            best = i;
    return best;
}

static int compare_rows(const void *pa, const void *pb)
{
    double a = **(const double *const *)pa, b = **(const double *const *)pb;
    return (a > b) - (a < b);
}

void gmoe_identify_boundaries(const gmoe_model *m, const gmoe_data *data, gmoe_note *note)
{
    if (m->dg != 1 || data->n < 2)
        return;
    const double **rows = malloc(data->n * sizeof *rows);
    double *logg = malloc(m->k * sizeof(double));
    char *const *names = m->gate_own ? m->gxnames : m->xnames;
    if (rows && logg) {
        for (size_t n = 0; n < data->n; n++)
            rows[n] = gmoe_gate_row(data, n);
        qsort(rows, data->n, sizeof *rows, compare_rows);
        size_t prev = selected_expert(m, rows[0], logg), shown = 0;
        gmoe_note_add(note, "the selection changes at");
        for (size_t n = 1; n < data->n && shown < 8; n++) {
            size_t cur = selected_expert(m, rows[n], logg);
            if (cur != prev)
                gmoe_note_add(note, "%s %s = %.6g (expert %zu to %zu)", shown++ ? "," : "",
                              names && names[0] ? names[0] : m->gate_own ? "z1" : "x1",
                              0.5 * (*rows[n - 1] + *rows[n]), prev + 1, cur + 1);
            prev = cur;
        }
        gmoe_note_add(note, "%s; ", shown ? "" : " no point of the data (one expert everywhere)");
    }
    free(rows);
    free(logg);
}
