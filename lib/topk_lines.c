/* topk_lines.c -- moves of one expert's top-K gate along a direction
 * (its bias, or its slope on one covariate turned about a pivot) and the
 * exact shifts where some row's selection changes (issue 11).
 *
 * Along a direction the scores are linear: s_i(x_n) + c z_n, with z_n = 1
 * for the bias (select = logit) and z_n = x_n,u - pivot for a slope turned
 * about a pivot (z_n = x_n,u with select = slope, where the bias does not
 * select).  Row n gains or loses expert i where s_i + c z_n crosses t_n,
 * the K-th largest score of the other experts: at c = (t_n - s_i) / z_n.
 * The log-likelihood is smooth between these breakpoints. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "topk_face.h"
#include "topk_lines.h"

/* The rate z of row x's score along dir. */
static double rate(const gmoe_model *m, const gmoe_topk_dir *dir, const double *x)
{
    int logit = m->select == GMOE_SELECT_LOGIT;
    if (dir->u == 0)
        return logit ? 1.0 : 0.0;
    return x[dir->u - 1] - (logit ? dir->pivot : 0.0);
}

/* t = the K-th largest of the scores s of the experts other than i. */
static double kth_of_others(const gmoe_model *m, const double *s, size_t i)
{
    if (m->top_k <= 2) { /* one pass: the largest two */
        double first = -INFINITY, second = -INFINITY;
        for (size_t j = 0; j < m->k; j++) {
            if (j == i)
                continue;
            if (s[j] > first) {
                second = first;
                first = s[j];
            } else if (s[j] > second) {
                second = s[j];
            }
        }
        return m->top_k == 1 ? first : second;
    }
    double t = -INFINITY;
    for (size_t j = 0; j < m->k; j++) {
        if (j == i)
            continue;
        size_t above = 0;
        for (size_t l = 0; l < m->k; l++)
            above += l != i && (s[l] > s[j] || (s[l] == s[j] && l < j));
        if (above == m->top_k - 1)
            t = s[j];
    }
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t gmoe_topk_breakpoints(const gmoe_model *m, const gmoe_data *data, const gmoe_topk_dir *dir,
                             double *s, double *bp)
{
    size_t d = m->dg, nb = 0;
    const double *gx = gmoe_data_gate_x(data);
    for (size_t r = 0; r < data->n; r++) {
        const double *x = gx + r * d;
        double z = rate(m, dir, x);
        if (z == 0.0)
            continue;
        gmoe_topk_scores(m, x, s);
        double b = (kth_of_others(m, s, dir->i) - s[dir->i]) / z;
        if (isfinite(b))
            bp[nb++] = b;
    }
    qsort(bp, nb, sizeof(double), cmp_double);
    return nb;
}

/* Adds delta along dir to expert j's gate. */
static void move(gmoe_model *m, size_t j, const gmoe_topk_dir *dir, double delta)
{
    if (dir->u == 0) {
        m->beta0[j] += delta;
        return;
    }
    m->beta1[j * m->dg + dir->u - 1] += delta;
    m->beta0[j] -= dir->pivot * delta;
}

void gmoe_topk_shift(gmoe_model *m, const gmoe_topk_dir *dir, double delta)
{
    if (dir->i + 1 < m->k) {
        move(m, dir->i, dir, delta);
        return;
    }
    for (size_t j = 0; j + 1 < m->k; j++)
        move(m, j, dir, -delta);
}

double gmoe_topk_candidate(const double *bp, size_t nb, ptrdiff_t j)
{
    if (j < 0)
        return bp[0] - 1.0 - fabs(bp[0]);
    if ((size_t)j + 1 >= nb)
        return bp[nb - 1] + 1.0 + fabs(bp[nb - 1]);
    return 0.5 * (bp[j] + bp[j + 1]);
}

ptrdiff_t gmoe_topk_interval_of_zero(const double *bp, size_t nb)
{
    ptrdiff_t here = -1;
    while (here + 1 < (ptrdiff_t)nb && bp[here + 1] < 0)
        here++;
    return here;
}

/* The next rung of the ladder of rank offsets 1, 2, 3, 4, 6, 8, 12, ...
 * (coarse: 1, 2, 4, 8, ...): every scale, from one row's move to the
 * whole data. */
static ptrdiff_t next_rung(ptrdiff_t g, int coarse)
{
    if (coarse)
        return 2 * g;
    return g < 4 ? g + 1 : ((g & (g - 1)) == 0 ? g + g / 2 : (g / 3) * 4);
}

/* Tries the intervals centre +- every rung up to radius; returns the best
 * (centre if none beats *best_ll). */
static ptrdiff_t ladder(gmoe_topk_judge judge, void *ctx, const double *bp, size_t nb,
                        ptrdiff_t centre, ptrdiff_t radius, int coarse, double *best_ll)
{
    ptrdiff_t best = centre;
    for (ptrdiff_t g = 1; g <= radius; g = next_rung(g, coarse))
        for (int sign = -1; sign <= 1; sign += 2) {
            ptrdiff_t j = centre + sign * g;
            if (j < -1 || j >= (ptrdiff_t)nb)
                continue;
            double l = judge(ctx, gmoe_topk_candidate(bp, nb, j));
            if (l > *best_ll) {
                *best_ll = l;
                best = j;
            }
        }
    return best;
}

ptrdiff_t gmoe_topk_line_search(gmoe_topk_judge judge, void *ctx, const double *bp, size_t nb,
                                ptrdiff_t here, int coarse, double *best_ll)
{
    ptrdiff_t centre = here, radius = (ptrdiff_t)nb;
    for (;;) {
        ptrdiff_t best = ladder(judge, ctx, bp, nb, centre, radius, coarse, best_ll);
        if (best == centre)
            return centre;
        radius = (best > centre ? best - centre : centre - best) / 2;
        centre = best;
    }
}
