/* gating.h -- the table of gating families (private).
 *
 * Each family lives in its own gating_<name>.c and exports one
 * `const gmoe_gating gmoe_gating_<name>`.  The engine, model files, the
 * tools and the R interface only talk to a family through this table (or
 * the public queries that read it: gmoe_family_name, gmoe_family_options,
 * gmoe_family_pins_slopes, gmoe_family_properties, gmoe_family_list), so adding a family adds a
 * file, not `if` chains.  The free gate parameters are packed into a
 * vector theta whose layout the family owns (it includes tau when
 * m->tau_estimated).
 *
 * Recipe for a new family that reads no option of its own (or only the
 * existing ones: tau, top_k, select, act, bias):
 *   1. gmoe.h: a value GMOE_<NAME> in gmoe_family (before GMOE_NFAMILIES,
 *      which grows by one) and a line in the comment of gmoe_family_name;
 *   2. lib/gating_<name>.c: the table entry, with .name, .family,
 *      .options (GMOE_FAMILY_OPT_* bits), .pins_last_slope, .properties
 *      (GMOE_FAMILY_SCALE_FREE, GMOE_FAMILY_SELECTS) and the functions below (a softmax-like gate can reuse gmoe_softmax_*);
 *   3. lib/families.c: one line in families[];
 *   4. this file: one `extern const gmoe_gating gmoe_gating_<name>;`;
 *   5. lib/Makefile.am: the file in core_sources.
 * Then its section in man/gmoe-models.7 and a row in the table-driven
 * tests (tests/check_gating.c: the configs and check_family_table).
 * Names, --gating choices, model-file keys and the tools' messages and
 * summaries follow from the table.  A family with a new option also needs
 * a field in gmoe_model, a GMOE_FAMILY_OPT_* bit, its range in
 * options_check.c, a row of option_keys in io_model.c and its
 * command-line flag in src/cli.c.
 */
#ifndef GMOE_GATING_H
#define GMOE_GATING_H

#include "gmoe.h"
#include "softmax_row.h"

/* One row's logits and their derivatives in the model's own gate
 * parameters (the free parameters of MODELS.md section 4, derivatives.c),
 * q = d + 1 entries per expert ordered (beta0_i, beta1_i[0..d-1]):
 *   l[k]          logits (-INFINITY outside a sparse gate's selected set);
 *   dl[k*q]       dl_i / d(beta0_i, beta1_i), zero across experts;
 *   d2l[k*q*q]    d2l_i / d(beta0_i, beta1_i)^2, filled only when the
 *                 family sets *curved (nonlinear logits);
 *   dlt[k], d2lt[k*q], d2tt[k]   dl_i/dtau, d2l_i/d(beta_i)dtau,
 *                 d2l_i/dtau^2, filled only when m->tau_estimated.
 * Entries of pinned parameters are computed like the others and ignored. */
typedef struct {
    double *l, *dl, *d2l, *dlt, *d2lt, *d2tt;
    int curved;
} gmoe_logit_derivs;

typedef struct gmoe_gating {
    const char *name;

    /* The family's enum value (a surrogate below carries the value of the
     * family it stands in for) and the GMOE_FAMILY_OPT_* bits of the model
     * fields it reads: what gmoe_family_options answers (and
     * gmoe_family_pins_slopes from pins_last_slope below), and what
     * model files, the tools' options and summaries ask. */
    gmoe_family family;
    unsigned options;

    /* Non-zero when the last expert's slope beta1_k is pinned as well as
     * its bias beta0_k (softmax, topk, temperature; MODELS.md section 1). */
    int pins_last_slope;

    /* The GMOE_FAMILY_SCALE_FREE / GMOE_FAMILY_SELECTS bits (gmoe.h) that
     * describe this gate: what gmoe_family_properties answers. */
    unsigned properties;

    /* The row's logits and their derivatives (gmoe_logit_derivs). */
    void (*logit_derivs)(const gmoe_model *m, const double *x, gmoe_logit_derivs *ld);

    /* Number of free gate parameters in theta (the M-step's unknowns). */
    size_t (*npar)(const gmoe_model *m);

    /* theta <-> model gate parameters. */
    void (*pack)(const gmoe_model *m, double *theta);
    void (*unpack)(gmoe_model *m, const double *theta);

    /* log g_i(x) for one row, logg[k]; -INFINITY for a zero gate. */
    void (*log_gate)(const gmoe_model *m, const double *x, double *logg);

    /* One row's contribution to the gate M-step objective
     *     Q = sum_i r_i log g_i(x)
     * (terms with r_i == 0 contribute 0 even where g_i == 0; a term with
     * r_i > 0 and g_i == 0 makes Q = -INFINITY).  If grad is not NULL,
     * adds dQ/dtheta to grad[npar]; if hess is not NULL, adds d2Q/dtheta2
     * (every family gives it: the gate M-step is Newton's) to
     * hess[npar*npar] (row-major):
     * at least its upper triangle (u <= v), which is all the Newton solve
     * reads; the lower triangle may be left as it is.
     * work has room for work_size(m) doubles. */
    double (*row_objective)(const gmoe_model *m, const double *x,
                            const double *r, double *grad, double *hess,
                            double *work);

    /* Optional (may be NULL): row_objective summed over nrows <=
     * GMOE_BLOCK_ROWS rows (x: nrows*d, r: nrows*k, row-major), the same
     * contract for grad and hess, computed in one batch so that the
     * transcendental functions run in vector loops.  work has room for
     * block_work_size(m) doubles. */
    double (*block_objective)(const gmoe_model *m, const double *x, size_t nrows,
                              const double *r, double *grad, double *hess, double *work);

    /* Optional (may be NULL): logits l of nrows <= GMOE_BLOCK_ROWS rows,
     * g = softmax(l), into l (row stride lstride); work as above.  The
     * E-step takes the gates of such a family a block at a time.  Not
     * together with softmax_logits: the gate cache's passes have no room
     * for its work. */
    void (*block_logits)(const gmoe_model *m, const double *x, size_t nrows, double *l,
                         size_t lstride, double *work);

    /* Scratch doubles of block_objective and block_logits (NULL when the
     * family has neither). */
    size_t (*block_work_size)(const gmoe_model *m);

    /* Scratch doubles needed by row_objective and log_gate. */
    size_t (*work_size)(const gmoe_model *m);

    /* Optional (may be NULL): called after each gate M-step, e.g. to
     * apply a normalization that removes a non-identifiability. */
    void (*normalize)(gmoe_model *m);

    /* Optional (may be NULL): checks what the family requires of the
     * parameters (its pinned entries).  Returns GMOE_OK or fills err.  Its
     * options (tau, top_k, ...) are checked before, from .options, by
     * gmoe_model_options_validate (options_check.c). */
    int (*check)(const gmoe_model *m, gmoe_err *err);

    /* Optional (may be NULL): set when the gate is exactly softmax(l) of
     * these logits and row_objective is gmoe_softmax_row(l, scale 1) in
     * theta.  The engine then keeps each row's gates from its passes over
     * the data (gate_cache.c), so the E-step and the next gate M-step's
     * first pass need no exp or log. */
    void (*softmax_logits)(const gmoe_model *m, const double *x, double *l);

    /* Non-zero if, with tau estimated, each start should first be fitted
     * at its starting tau and only then with tau free (gmoe_fit).  For
     * activation: from a random start the joint fit tends to the softmax
     * limit (slopes -> 0, tau -> 0 with beta1 / tau fixed), a boundary of
     * the model far below the maximum. */
    int tau_warmup;

    /* Optional (may be NULL, or return NULL when the model's gate is not
     * sparse, e.g. top-K with K = k): a dense family with the same theta
     * layout whose objective turns a random start's hard assignment into
     * a first gate, followed by a few EM iterations of that family (see
     * init.c).  A sparse gate needs it: from a hard assignment its own
     * objective is -INFINITY (rows assigned outside the selected set), and
     * its EM can hardly change the selection pattern it starts with. */
    const struct gmoe_gating *(*init_surrogate)(const gmoe_model *m);

    /* Optional (may be NULL, or return NULL when not sparse): the
     * "pattern" objective of a sparse gate, the same theta layout with
     * each row's selected set held at the experts with positive
     * responsibility.  It is smooth where the family's own objective
     * is -INFINITY, so its maximizer may move selection boundaries; EM
     * keeps that proposal only if it raises the observed log-likelihood
     * over the ordinary gate M-step (gmoe_em_step), so EM stays monotone. */
    const struct gmoe_gating *(*pattern_surrogate)(const gmoe_model *m);

    /* Optional (may be NULL: no split starts): expert j of src (k - 1
     * experts) split in two into dst (k experts, the same family and
     * options), the two halves identical with half of expert j's gate
     * each, so that dst's likelihood is src's (the nested starts of
     * gmoe_fit_nested). */
    void (*split)(gmoe_model *dst, const gmoe_model *src, size_t j);
} gmoe_gating;

/* The softmax algebra shared by softmax, topk and temperature.  For one
 * row with logits l[k] (l[i] = -INFINITY: expert i is outside the
 * selected set, g_i = 0), returns Q = sum_i r_i log g_i, g = softmax(l),
 * or -INFINITY if some r_i > 0 has g_i = 0.  theta block i (i < k-1, d+1
 * entries) moves l_i by scale * (1, x); if grad (hess) is not NULL the
 * row's gradient (Hessian's upper triangle, row-major (k-1)(d+1) square)
 * with respect to theta is added to it.  g is scratch for k doubles. */
/* gmoe_softmax_row_given (softmax_row.h) does the same from the gates g[k]
 * and log-gates gmoe_lse_sub(l[i], lse) (internal.h): no exp
 * or log. */
double gmoe_softmax_row(size_t k, size_t d, const double *l, const double *x,
                        const double *r, double scale, double *grad,
                        double *hess, double *g);

/* For a family with softmax_logits or block_logits: the gates of nrows
 * rows (covariates x, row-major), each row's log-gates then gates into c
 * (2k doubles per row, the gate cache's layout).  lse (nrows) and buf
 * (nrows * (k + 1)) are scratch, and work (block_work_size) for
 * block_logits.  The E-step and the gate M-step both take the gates from
 * here, so a model's log-likelihood is the same to the last bit whether
 * the gates come from the cache or are computed afresh. */
void gmoe_block_softmax_gates(const gmoe_model *m, const gmoe_gating *g, const double *x,
                              size_t nrows, double *c, double *lse, double *buf, double *work);

/* The softmax layout, shared by topk (and temperature's logits):
 * theta = (beta0_i, beta1_i[0..d-1]) for i = 0..k-2, the last expert
 * pinned at zero; logits l_i = beta0_i + beta1_i'x into l[k]. */
size_t gmoe_softmax_npar(const gmoe_model *m);
void gmoe_softmax_pack(const gmoe_model *m, double *theta);
void gmoe_softmax_unpack(gmoe_model *m, const double *theta);
void gmoe_softmax_logits(const gmoe_model *m, const double *x, double *l);
/* The split of a softmax-like gate with logits (beta0_i + beta1_i'x) / tau
 * (softmax, temperature): the copy of expert j becomes the last expert. */
void gmoe_softmax_split(gmoe_model *dst, const gmoe_model *src, size_t j);

/* temperature with tau estimated: the slopes centred over all k experts
 * (the pinned one included), beta1_i - mean_j beta1_j, into c[k*dg]
 * (c may be NULL); returns their sum of squares, whose square root is the
 * gate's scale fixed to 1 by the normalization.  It does not depend on
 * which expert is pinned nor on the experts' order, and it is the
 * gradient of half that sum in the free slopes (the last expert's entries
 * are not free). */
double gmoe_temperature_centred_slopes(const gmoe_model *m, double *c);

/* Checks that the last expert's gate is pinned to zero (softmax, topk,
 * temperature; `family`: the name for the message). */
int gmoe_check_last_gate_pinned(const gmoe_model *m, const char *family, gmoe_err *err);

/* For logits linear in the gate parameters, l_i = scale (beta0_i +
 * beta1_i'x) (l already filled): dl_i = scale (1, x), no curvature. */
void gmoe_linear_logit_derivs(const gmoe_model *m, const double *x, double scale,
                              gmoe_logit_derivs *ld);

/* The table entry for a family (never NULL for a valid family). */
const gmoe_gating *gmoe_gating_get(gmoe_family f);

extern const gmoe_gating gmoe_gating_softmax;
extern const gmoe_gating gmoe_gating_topk;

/* The best of the k scores s into *best and, with K = 2, the second into
 * *second (k: none), in one pass, ties to the lower index: top-K's
 * selection for K <= 2. */
static inline void gmoe_topk_best_two(size_t k, size_t K, const double *s, size_t *best,
                                      size_t *second)
{
    size_t a = 0, b = k;
    for (size_t i = 1; i < k; i++) {
        if (s[i] > s[a]) {
            b = a;
            a = i;
        } else if (K == 2 && (b == k || s[i] > s[b])) {
            b = i;
        }
    }
    *best = a;
    *second = b;
}
extern const gmoe_gating gmoe_gating_temperature;
extern const gmoe_gating gmoe_gating_activation;

#endif
