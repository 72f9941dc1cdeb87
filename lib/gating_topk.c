/* gating_topk.c -- top-K sparse softmax gate (ICLR 2024, arXiv 2309.13850):
 *     g_i(x) = exp(l_i) / sum_{j in S(x)} exp(l_j)  if i in S(x), else 0,
 * l_i = beta0_i + beta1_i'x, S(x) the K = top_k experts with the largest
 * score s_j(x): s_j = beta1_j'x (select = slope, the paper's rule: the
 * bias is added after selection; default) or s_j = l_j (select = logit,
 * common in ML code).  Ties go to the lower index.  Same theta layout and
 * pinned last expert as softmax.
 *
 * The gate M-step objective is -INFINITY wherever a row with positive
 * responsibility for expert i would leave i outside S(x): such a step is
 * rejected by the M-step's step halving, so EM stays monotone.  Inside
 * one selection pattern the objective is the (concave) softmax one over
 * S(x), so Newton applies unchanged. */
#include <math.h>

#include "gating.h"
#include "internal.h"

/* K = 1 and 2 (the common cases, and the E-step's hot spot in the
 * boundary moves): the best one or two scores by one pass, ties to the
 * lower index, the others set to -INFINITY; the same selection as the
 * counting below. */
static void keep_best_two(size_t k, size_t K, double *l)
{
    size_t a, b;
    gmoe_topk_best_two(k, K, l, &a, &b);
    for (size_t i = 0; i < k; i++)
        if (i != a && (K == 1 || i != b))
            l[i] = -INFINITY;
}

/* Logits of the selected experts into l[k], -INFINITY for the others.
 * In place: the scores are computed first, the K-th largest found by
 * counting (k is small), then the selected scores turned into logits. */
static void topk_logits(const gmoe_model *m, const double *x, double *l)
{
    size_t k = m->k, d = m->dg, K = m->top_k;
    int slope = m->select == GMOE_SELECT_SLOPE;
    for (size_t i = 0; i < k; i++) {
        const double *b1 = m->beta1 + i * d;
        double s = slope ? 0.0 : m->beta0[i];
        for (size_t j = 0; j < d; j++)
            s += b1[j] * x[j];
        l[i] = s;
    }
    if (K < k && K <= 2) {
        keep_best_two(k, K, l);
    } else if (K < k) {
        /* t = the K-th largest score; `above` scores are strictly larger,
         * so K - above of the experts tied at t are kept, lowest first. */
        double t = -INFINITY;
        size_t above = 0;
        for (size_t i = 0; i < k; i++) {
            size_t gt = 0, ge = 0;
            for (size_t j = 0; j < k; j++) {
                gt += l[j] > l[i];
                ge += l[j] >= l[i];
            }
            if (gt < K && K <= ge) {
                t = l[i];
                above = gt;
                break;
            }
        }
        size_t ties = K - above;
        for (size_t i = 0; i < k; i++) {
            if (l[i] > t)
                continue;
            if (l[i] == t && ties > 0)
                ties--;
            else
                l[i] = -INFINITY;
        }
    }
    if (slope)
        for (size_t i = 0; i < k; i++)
            if (l[i] > -INFINITY)
                l[i] += m->beta0[i];
}

static void topk_log_gate(const gmoe_model *m, const double *x, double *logg)
{
    topk_logits(m, x, logg);
    gmoe_lse_parts lse = gmoe_logsumexp_parts(logg, m->k);
    for (size_t i = 0; i < m->k; i++)
        if (logg[i] > -INFINITY)
            logg[i] = gmoe_lse_sub(logg[i], lse);
}

/* Conditional on the selected set (MODELS.md section 4): the softmax
 * logits' derivatives; the experts outside the set have zero gate. */
static void topk_logit_derivs(const gmoe_model *m, const double *x, gmoe_logit_derivs *ld)
{
    topk_logits(m, x, ld->l);
    gmoe_linear_logit_derivs(m, x, 1.0, ld);
}

static double topk_row_objective(const gmoe_model *m, const double *x,
                                 const double *r, double *grad, double *hess,
                                 double *work)
{
    double *l = work, *g = work + m->k;
    topk_logits(m, x, l);
    return gmoe_softmax_row(m->k, m->dg, l, x, r, 1.0, grad, hess, g);
}

static size_t topk_work_size(const gmoe_model *m)
{
    return 2 * m->k;
}

static int topk_check(const gmoe_model *m, gmoe_err *err)
{
    return gmoe_check_last_gate_pinned(m, gmoe_gating_topk.name, err);
}

/* The pattern objective: softmax over the experts with positive
 * responsibility (the selected set of the E-step, up to underflow). */
static inline void pattern_logits(const gmoe_model *m, const double *x, const double *r,
                                  double *l)
{
    gmoe_softmax_logits_row(m, m->k, m->dg, x, l);
    for (size_t i = 0; i < m->k; i++)
        if (!(r[i] > 0))
            l[i] = -INFINITY;
}

static double topk_pattern_row_objective(const gmoe_model *m, const double *x,
                                         const double *r, double *grad, double *hess,
                                         double *work)
{
    double *l = work, *g = work + m->k;
    pattern_logits(m, x, r, l);
    return gmoe_softmax_row(m->k, m->dg, l, x, r, 1.0, grad, hess, g);
}

/* The same for a block of rows, the exps and logs in one batch. */
static double topk_pattern_block_objective(const gmoe_model *m, const double *x, size_t nrows,
                                           const double *r, double *grad, double *hess,
                                           double *work)
{
    size_t k = m->k, d = m->dg, n = GMOE_BLOCK_ROWS * k;
    double *L = work, *G = L + n, *lse = G + n, *buf = lse + GMOE_BLOCK_ROWS;
    for (size_t t = 0; t < nrows; t++)
        pattern_logits(m, x + t * d, r + t * k, L + t * k);
    gmoe_block_lse_weights(nrows, k, L, k, G, k, lse, buf);
    double q = 0.0;
    for (size_t t = 0; t < nrows; t++)
        q += gmoe_softmax_row_given(k, d, L + t * k, gmoe_block_lse_part(buf, nrows, t), G + t * k, x + t * d, r + t * k, 1.0,
                                    grad, hess);
    return q;
}

/* L, G (nrows*k each), lse (nrows), buf (nrows*(k+1)). */
static size_t topk_pattern_block_work_size(const gmoe_model *m)
{
    return GMOE_BLOCK_ROWS * (3 * m->k + 2);
}

static const gmoe_gating topk_pattern = {
    .name = "topk-pattern",
    .family = GMOE_TOPK,
    .options = GMOE_FAMILY_OPT_TOP_K | GMOE_FAMILY_OPT_SELECT,
    .pins_last_slope = 1,
    .properties = GMOE_FAMILY_SELECTS,
    .npar = gmoe_softmax_npar,
    .pack = gmoe_softmax_pack,
    .unpack = gmoe_softmax_unpack,
    .log_gate = topk_log_gate,
    .row_objective = topk_pattern_row_objective,
    .block_objective = topk_pattern_block_objective,
    .block_work_size = topk_pattern_block_work_size,
    .work_size = topk_work_size,
    .normalize = NULL,
    .check = topk_check,
    .init_surrogate = NULL,
    .pattern_surrogate = NULL,
};

static const gmoe_gating *topk_init_surrogate(const gmoe_model *m)
{
    return m->top_k < m->k ? &gmoe_gating_softmax : NULL;
}

static const gmoe_gating *topk_pattern_surrogate(const gmoe_model *m)
{
    return m->top_k < m->k ? &topk_pattern : NULL;
}

const gmoe_gating gmoe_gating_topk = {
    .name = "topk",
    .family = GMOE_TOPK,
    .options = GMOE_FAMILY_OPT_TOP_K | GMOE_FAMILY_OPT_SELECT,
    .pins_last_slope = 1,
    .properties = GMOE_FAMILY_SELECTS,
    .logit_derivs = topk_logit_derivs,
    .npar = gmoe_softmax_npar,
    .pack = gmoe_softmax_pack,
    .unpack = gmoe_softmax_unpack,
    .log_gate = topk_log_gate,
    .row_objective = topk_row_objective,
    .work_size = topk_work_size,
    .normalize = NULL,
    .check = topk_check,
    /* softmax of these logits (-inf outside S(x)): the gate cache applies */
    .softmax_logits = topk_logits,
    .init_surrogate = topk_init_surrogate,
    .pattern_surrogate = topk_pattern_surrogate,
};
