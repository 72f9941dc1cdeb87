/* engine.h -- the EM engine's private pieces, one file each, listed from
 * the bottom up; each file calls only the files above it in this list
 * (lib/README has the picture of all layers, tests/layers.sh checks it):
 *
 *   workspace.c      the workspace (everything a fit needs, allocated once
 *                    so that the iterations never allocate), gmoe_em_nvec
 *   gate_cache.c     the gates of the accepted gate parameters
 *   estep.c          E-step (and gmoe_loglik)
 *   mstep_experts.c  experts' M-step
 *   mstep_gate.c     gate M-step
 *   em_step.c        one EM iteration
 *   squarem.c        one SQUAREM cycle
 *   em.c             one EM run; the EM options
 *   init.c           random starting models
 *   fit_share.c      a fit's starts over processes (the caller's hook)
 *   topk_relocate.c  the top-K move of an expert to another region
 *   topk_birth.c     the top-K move of an expert to a new line where the fit is worst
 *   topk_exchange.c  the top-K move that exchanges two experts selected together
 *   topk_starts.c    moves that place top-K selection boundaries
 *   row_quantile.c   a weighted quantile of a gate covariate over all rows
 *   smaller_cache.c  a nested fit's smaller fit's responsibilities and
 *                    sorted gate covariates, made once for its starts
 *   split.c          split starts of a nested fit (from k - 1 experts)
 *   edge_start.c     edge starts of a nested fit: a new expert on the rows
 *                    at an end of the design
 *   spurious.c       the rule for spurious maxima (an expert on a few rows
 *                    with a small variance) and a run's verdict
 *   supremum.c       is a converged-looking end a gate step's supremum?
 *   start_pool.c     the screened starts kept for polishing
 *   fit.c            gmoe_fit, gmoe_fit_nested: restarts, split starts,
 *                    tau warm-up, screening, criteria */
#ifndef GMOE_ENGINE_H
#define GMOE_ENGINE_H

#include "gating.h"
#include "gmoe.h"

typedef struct {
    size_t n, k, d, p;     /* p = d + 1: expert regressors (x, 1) */
    double total;          /* observations: n, or the sum of the case weights */
    size_t dg;             /* the gate's covariates (m->dg) */
    size_t np;             /* free gate parameters */
    size_t nblocks;
    int nthreads;          /* threads actually used (>= 1) */
    const gmoe_gating *gating;
    double *resp;          /* n*k responsibilities */
    double *block_ll;      /* nblocks partial log-likelihoods */
    double *estep_consts;  /* 2k: em_step.c's E-step's lnorm, half_prec */
    /* experts' M-step: per block and expert, the weighted cross products
     * of the columns (z, y), z = (u, 1) (GMOE_WLS_SUMS) */
    double *block_wls;     /* (nblocks + 1) * k * GMOE_WLS_SUMS(p) */
    double *block_rss;     /* nblocks * k */
    double *wls_mat;       /* p*p normal equations of one expert */
    double *wls_rhs;       /* p */
    double *wls_copy;      /* p*p + p: copy for the ridge retry */
    double *expert_w;      /* k: sum of responsibilities per expert */
    unsigned char *expert_updated; /* k: re-estimated in this M-step */
    /* gate M-step */
    gmoe_model *trial;     /* model holding trial gate parameters */
    double *theta, *theta_new, *grad, *hess, *step;   /* np, np, np, np*np, np */
    double *grad_new;                                 /* np: at the trial point */
    double *gate_mom;      /* np: sum r_i z over the M-step's resp (mstep_gate.c) */
    double *theta_keep;    /* np: the M-step's result while a sparse gate's
                              pattern proposal is tried (em_step.c) */
    double *newton_mat;    /* np*np: the damped Newton system */
    double *block_gate;    /* (nblocks + 1) * (1 + 2 np + np*np) */
    double *scratch;       /* nthreads * scratch_per_thread */
    size_t scratch_per_thread;
    size_t block_scratch;  /* its last part: a block's batch (gmoe_em_ws_block_scratch) */
    double var_y;          /* variance of y (weighted), scale for the variance floor */
    size_t nvec;           /* length of the full parameter vector (gmoe_em_nvec) */
    double *sq[4];         /* SQUAREM: theta0, theta1, theta2, extrapolated */
    /* gate cache (families with softmax_logits, see gate_cache.c): per
     * row log-gates then gates (2k doubles) at the theta of the last gate
     * pass that wrote them; those of gate_cache_theta when gate_cache_ok */
    double *gate_cache;
    double *gate_cache_theta, *gate_cache_probe; /* np each */
    const gmoe_gating *gate_cache_family;
    int gate_cache_ok;
    double *x_shift, *x_scale; /* d: covariate mean and sd; the experts'
                                  normal equations are formed in
                                  standardized covariates for accuracy */
    double *x_std;         /* the covariates standardized, (x - shift) / scale,
                              by block and column (gmoe_gram_blocks_std) */
    /* Block sums of the next M-steps made by the E-step of gmoe_em_step
     * (em_step.c) while it had each block at hand: GMOE_FUSED_WLS, the
     * experts' normal equations in block_wls; GMOE_FUSED_GATE, the gate's
     * Q, gradient and Hessian at the cached theta in block_gate.  Any
     * other E-step clears it; use_fused is what gmoe_em_step lets its
     * M-steps take (0 for every other caller of the M-steps). */
    unsigned fused_sums, use_fused;
    /* the second-order phase's workspace (newton.h), kept between runs
     * (em.c) so that the assessment of a fit (fit.c) finds the
     * derivatives where a run ended; NULL until a run needs it */
    struct gmoe_newton_ws *newton;
} gmoe_em_ws;

/* Doubles per block and expert of the experts' normal equations: the
 * (p + 1) x (p + 1) cross products of (u, 1, y), upper triangle used
 * (mstep_experts.c). */
#define GMOE_WLS_SUMS(p) (((p) + 1) * ((p) + 1))

/* ------------------------------------------------------ workspace.c */

/* ---------------------------------------------------------- moments.c */

/* Mean and (population) sd of each of the d columns of x (data's rows,
 * x: data->x or its gate covariates), over every shard; sd 1 for a
 * constant column. */
void gmoe_column_moments(const gmoe_data *data, const double *x, size_t d, double *mean,
                         double *sd);

/* The same, with sd 0 for a constant column (the fit notes' spreads). */
void gmoe_column_spreads(const gmoe_data *data, const double *x, size_t d, double *mean,
                         double *sd);

/* The sample variance of y; with case weights that of the data with each
 * row repeated w times.  Over every shard. */
double gmoe_response_variance(const gmoe_data *data);

/* Allocates a workspace for fitting `m`'s shape to data; NULL on failure. */
gmoe_em_ws *gmoe_em_ws_alloc(const gmoe_model *m, const gmoe_data *data, int nthreads);
void gmoe_em_ws_free(gmoe_em_ws *ws);

/* Scratch of the calling thread inside a parallel region. */
double *gmoe_em_ws_scratch(gmoe_em_ws *ws);

/* Doubles a thread needs to batch one block's log-sum-exps
 * (gmoe_block_lse_weights): lse[GMOE_BLOCK_ROWS], then its buf. */
#define GMOE_BLOCK_SCRATCH(k) (GMOE_BLOCK_ROWS * ((k) + 2))

/* The calling thread's scratch for a block's batch, apart from the
 * scratch above: GMOE_BLOCK_SCRATCH(k) doubles, or the family's
 * block_work_size if larger. */
double *gmoe_em_ws_block_scratch(gmoe_em_ws *ws);

/* Length of the full parameter vector (gate theta, then each expert's a,
 * b and log sigma2) that SQUAREM extrapolates. */
size_t gmoe_em_nvec(const gmoe_model *m);

/* ----------------------------------------------------- gate_cache.c */

/* Non-zero when the workspace's family keeps its gates in the cache. */
int gmoe_gate_cache_usable(const gmoe_em_ws *ws);

/* A gate pass is about to write the cache: it holds no accepted gates. */
void gmoe_gate_cache_begin_write(gmoe_em_ws *ws);

/* The last pass that wrote the cache evaluated theta, just accepted by
 * the gate M-step: the cache holds its gates. */
void gmoe_gate_cache_accept(gmoe_em_ws *ws, const double *theta);

/* Non-zero when the cache holds the gates of `family` at theta. */
int gmoe_gate_cache_holds(const gmoe_em_ws *ws, const gmoe_gating *family, const double *theta);

/* The cache (gate_cache.c's layout) if it holds m's current gate, else
 * NULL. */
const double *gmoe_gate_cache_for(gmoe_em_ws *ws, const gmoe_model *m);

/* For a family with softmax_logits: the log-gates and gates of nrows <=
 * GMOE_BLOCK_ROWS rows (gate covariates x, row-major) into cols, the
 * cache's layout of a block (k log-gate columns then k gate columns,
 * nrows each); lse: nrows, buf: 2 nrows scratch. */
void gmoe_block_gate_cols(const gmoe_model *m, const gmoe_gating *g, const double *x,
                          size_t nrows, double *cols, double *lse, double *buf);

/* ---------------------------------------------------------- estep.c */

/* E-step: responsibilities into resp (n*k, may be NULL for the
 * log-likelihood only) and the log-likelihood, summed over blocks in
 * block order.  block_ll has gmoe_nblocks(n) entries.  Returns the
 * log-likelihood (-INFINITY or NaN if it is not finite).  With case
 * weights (data->w) the log-likelihood is sum w log p and resp holds the
 * posteriors times the row's weight: every M-step sum over resp is then
 * the weighted sum. */
double gmoe_estep(const gmoe_model *m, const gmoe_data *data, double *resp,
                  double *block_ll, int nthreads);

/* The same with the workspace: the log-gates come from the gate cache
 * when it holds them for m's gate parameters (no exp or log for them). */
double gmoe_em_estep(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                     double *resp);

/* The E-step a block at a time, for a pass that does more with each
 * block (em_step.c): gmoe_estep_consts fills lnorm and half_prec (k
 * each) from m; gmoe_estep_block does block b (rows b GMOE_BLOCK_ROWS
 * ...) of gmoe_estep's arithmetic, with resp (or NULL), the gates from
 * cache (the gate cache when it holds m's, else NULL) or computed afresh
 * and, when fill is not NULL (a softmax_logits family, cache NULL),
 * written to fill, the gate cache; returns the block's log-likelihood.
 * With ws not NULL (the workspace of data), the experts' means at d >= 2
 * come from its standardized covariates (ws->x_std: contiguous loads;
 * the last bits differ from x's).
 * scratch: gmoe_estep_block_scratch(m) doubles. */
typedef struct {
    const gmoe_model *m;
    const gmoe_data *data;
    double *resp;
    const double *cache;
    double *fill;
    const double *lnorm, *half_prec;
    const gmoe_em_ws *ws;
    int weight_cols; /* keep the block's responsibilities by columns too */
} gmoe_estep_pass;
void gmoe_estep_consts(const gmoe_model *m, double *lnorm, double *half_prec);
size_t gmoe_estep_block_scratch(const gmoe_model *m);
double gmoe_estep_block(const gmoe_estep_pass *e, size_t b, double *scratch);

/* After gmoe_estep_block with weight_cols set: the block's
 * responsibilities by columns in its scratch (expert i's at i * *ld, 0
 * past the block's rows up to gmoe_gram_ld of them), the same numbers as
 * in resp; NULL where the block keeps them in resp only (case weights,
 * a family without batched gates).  Valid until the scratch's next use. */
const double *gmoe_estep_block_weight_cols(const gmoe_estep_pass *e, const double *scratch,
                                           size_t *ld);

#define GMOE_FUSED_WLS 1u
#define GMOE_FUSED_GATE 2u

/* -------------------------------------------------- mstep_experts.c */

/* Experts' M-step: weighted least squares of y on (x, 1) for each expert
 * with weights resp[, i]; variances clamped at var_floor * var(y).  An
 * expert whose weight is below min_weight keeps its parameters.  Returns
 * the number of experts left unchanged that way. */
size_t gmoe_mstep_experts(gmoe_model *m, const gmoe_data *data,
                          gmoe_em_ws *ws, const gmoe_em_options *opt);

/* Block b's normal equations from ws->resp into ws->block_wls (what the
 * M-step sums over every block; the calling thread's block scratch), for
 * a pass that makes them with the E-step (GMOE_FUSED_WLS). */
void gmoe_mstep_experts_block(const gmoe_data *data, gmoe_em_ws *ws, size_t b);

/* The same from the block's responsibilities by columns, w[i * wld + r]
 * (0 past its rows up to gmoe_gram_ld of them), with the block sums'
 * other columns in scratch (2 gmoe_gram_ld(GMOE_BLOCK_ROWS) doubles, apart
 * from w). */
void gmoe_mstep_experts_block_cols(const gmoe_data *data, gmoe_em_ws *ws, size_t b,
                                   const double *w, size_t wld, double *scratch);

/* ----------------------------------------------------- mstep_gate.c */

/* Gate M-step: increases (never decreases) Q(theta) = sum_n sum_i
 * r_ni log g_i(x_n) by Newton with step halving.  Returns GMOE_OK, or an
 * error status if the objective could not be evaluated. */
int gmoe_mstep_gate(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                    const gmoe_em_options *opt);

/* Block b's Q, gradient and Hessian at the gates in the gate cache and
 * ws->resp, into ws->block_gate (what the M-step's first pass sums when
 * the cache holds its theta; the calling thread's scratch), for a pass
 * that makes them with the E-step (GMOE_FUSED_GATE). */
void gmoe_mstep_gate_block(const gmoe_data *data, gmoe_em_ws *ws, size_t b);

/* Gate objective Q at theta (and gradient, Hessian when not NULL),
 * deterministic in the thread count.  Exposed for the tests. */
double gmoe_gate_objective(gmoe_em_ws *ws, const gmoe_data *data,
                           const double *theta, double *grad, double *hess);

/* -------------------------------------------------------- em_step.c */

/* One EM iteration from the current state (ws->resp holds the
 * responsibilities of m): both M-steps (for a sparse gate, also the
 * pattern proposal, kept only if it raises the likelihood), then the
 * E-step.  Returns the new log-likelihood; sets *failed if the gate
 * M-step could not be done. */
double gmoe_em_step(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                    const gmoe_em_options *opt, int *failed);

/* -------------------------------------------------------- squarem.c */

/* One SQUAREM cycle (Varadhan & Roland 2008, scheme S3) from the current
 * state: two EM steps, an extrapolation and a stabilizing EM step, the
 * extrapolation being kept only if it ends no lower than the two plain EM
 * steps.  Returns the new log-likelihood and adds the M-steps used to
 * *steps. */
double gmoe_squarem_cycle(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                          const gmoe_em_options *opt, size_t *steps, int *failed);

/* ------------------------------------------------------------- em.c */

/* One complete EM run from the parameters in m.  Fills info (loglik,
 * iterations, stop, converged). */
int gmoe_em_run(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                const gmoe_em_options *opt, size_t restart, gmoe_fit_info *info);

/* ----------------------------------------------------------- init.c */

/* A random starting model for restart number `restart` (which picks the
 * strategy) drawn with RNG seed `seed` (see init.c). */
int gmoe_init_random(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                     const gmoe_em_options *opt, size_t restart, uint64_t seed);

/* -------------------------------------------------- topk_relocate.c */

typedef struct gmoe_topk_relocator gmoe_topk_relocator;

/* Workspace of the relocations for m's shape on data; NULL when out of
 * memory. */
gmoe_topk_relocator *gmoe_topk_relocator_alloc(const gmoe_model *m, const gmoe_data *data);
void gmoe_topk_relocator_free(gmoe_topk_relocator *r);

/* A top-K gate with K = 1 and select = logit: the best relocation of one expert's
 * selection region into part of another's (see topk_relocate.c), kept in
 * m (*ll its log-likelihood) only if it raises *ll.  GMOE_OK. */
int gmoe_topk_relocate(gmoe_topk_relocator *r, gmoe_model *m, const gmoe_data *data,
                       gmoe_em_ws *ws, const gmoe_em_options *opt, double *ll);

/* ----------------------------------------------------- topk_birth.c */

/* Non-zero when the new-line proposals below apply to m's shape on data
 * (top-K, select = logit, 2 <= K < k, one gate covariate, one expert
 * covariate, at least 64 rows). */
int gmoe_topk_birth_applies(const gmoe_model *m, const gmoe_data *data);

/* Up to nout proposals (out: models of m's shape, best first; *found how
 * many) that give one expert of m a new line where the fit explains the
 * rows worst, with a gate that selects it there, each with the experts
 * re-fitted once (see topk_birth.c); for the caller to run on and keep
 * only if that ends higher.  GMOE_ENOMEM or GMOE_OK. */
int gmoe_topk_birth_proposals(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                              const gmoe_em_options *opt, gmoe_model **out, size_t nout, size_t *found);

/* The log-likelihood of the proposal t after one E-step and the experts'
 * least squares (the re-fitted model left in t); -INFINITY if t leaves an
 * expert on fewer rows than the share least (s: 2k doubles of scratch)
 * or the E-step fails. */
double gmoe_topk_judge_refitted(gmoe_model *t, const gmoe_data *data, gmoe_em_ws *ws,
                                const gmoe_em_options *opt, double least, double *s);

/* Keeps t among the best nout proposals judged so far (out, their values
 * val, best first; *nfound how many, at most nout). */
void gmoe_topk_keep_best(const gmoe_model *t, double ll, gmoe_model **out, double *val, size_t nout,
                         size_t *nfound);

/* -------------------------------------------------- topk_exchange.c */

/* Up to nout proposals (out, best first; *found how many), with the shape
 * and conditions of the new-line proposals above, that exchange the lines
 * of two experts selected together on some rows and then turn their gates
 * about the ends of their selection runs (see topk_exchange.c), each
 * judged with the experts re-fitted once; for the caller to run on and
 * keep only if that ends higher.  GMOE_ENOMEM or GMOE_OK. */
int gmoe_topk_exchange_proposals(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                                 const gmoe_em_options *opt, gmoe_model **out, size_t nout,
                                 size_t *found);

/* ----------------------------------------------------- topk_refit.c */

/* A top-K gate with select = logit: the best move of one expert's gate
 * (its bias, or its slope turned about a quartile of a gate covariate)
 * judged by the log-likelihood after re-fitting the experts to the moved
 * selection (see topk_refit.c); kept in m, with the re-fitted experts (*ll
 * its log-likelihood), only if it raises *ll.  GMOE_ENOMEM or GMOE_OK. */
int gmoe_topk_refit_moves(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                          const gmoe_em_options *opt, double *ll);

/* -------------------------------------------------- topk_segments.c */

/* A top-K gate with K = 1, select = logit and one gate covariate: the
 * best k intervals of the gate covariate, one per expert, with cuts on a
 * grid (exact over the grid, see topk_segments.c) then moved one at a
 * time to the best row, the experts their
 * least-squares lines; kept in m (*ll its log-likelihood) only if that
 * raises *ll.  GMOE_ENOMEM or GMOE_OK. */
int gmoe_topk_segment_start(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                            const gmoe_em_options *opt, double *ll);

/* Non-zero when gmoe_topk_segment_start applies to m's shape (K = 1,
 * select = logit, one gate covariate) on data (its prefix sums, (n + 1)
 * (d + 2)^2 doubles, at most 2^23): the moves that re-fit or relocate
 * experts are then left out (the grid's optimum holds every relocation
 * of an expert to a grid interval). */
int gmoe_topk_segments_apply(const gmoe_model *m, const gmoe_data *data);

/* ---------------------------------------------------- topk_starts.c */

/* For a top-K gate with K < k whose selection a gate coordinate moves
 * (select = logit, or slope with gate covariates; nothing otherwise):
 * from the end of an EM run (m, info), rounds of moves of the selection
 * boundaries, each kept only if it raises the log-likelihood: first, with
 * K = 1 and one gate covariate, the best cuts (topk_segments.c); then
 * rounds of sweeps over the gate coordinates (each followed by Newton
 * steps that keep the selection, topk_face.c) until none gains, then, if
 * they gained nothing, moves judged with the experts re-fitted
 * (topk_refit.c) and relocations of an expert (topk_relocate.c; neither
 * where the cuts apply); after a round that gained,
 * an EM run, whose info replaces info (iterations summed).  *fixed_point
 * = 1 when the last round's moves found nothing (the boundaries are a
 * local optimum over the moves tried; also 1 when the moves do not
 * apply), 0 when the rounds ran out.  GMOE_ENOMEM on allocation failure. */
int gmoe_topk_place_boundaries(gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                               const gmoe_em_options *opt, size_t restart, gmoe_fit_info *info,
                               int *fixed_point);

/* After the final test (info->stop set by the gradient test) of such a
 * fit: "converged" only if the moves reached their fixed point; with
 * K = 1, where the gate has no gradient to test, GMOE_STOP_SELECTION
 * instead (the boundaries are only a local optimum over the moves). */
void gmoe_topk_selection_stop(const gmoe_model *m, int fixed_point, gmoe_fit_info *info);

/* --------------------------------------------------- row_quantile.c */

typedef struct {
    double cut;     /* the quantile */
    double sd;      /* the weighted sd of the covariate over all rows */
    double tail_sd; /* ... over the rows beyond the cut (at or below it
                       for q < 1/2, at or above it otherwise) */
} gmoe_quantile;

/* Quantile q of gate covariate u over every row of data (every process's
 * when sharded), row r weighted by w[r * ldw] (w NULL: the case weights).
 * GMOE_ENUMERIC when the weights sum to zero or the covariate is
 * constant, GMOE_ENOMEM. */
int gmoe_gate_quantile(const gmoe_data *data, size_t u, const double *w, size_t ldw, double q,
                       gmoe_quantile *out);

/* A gate covariate's values over every row, sorted once for several
 * quantiles (row r weighted as by gmoe_gate_quantile); NULL when out of
 * memory. */
typedef struct gmoe_sorted_gate gmoe_sorted_gate;
gmoe_sorted_gate *gmoe_sorted_gate_make(const gmoe_data *data, size_t u, const double *w, size_t ldw);
/* gmoe_gate_quantile's quantile q of the sorted values */
int gmoe_sorted_gate_quantile(const gmoe_sorted_gate *g, double q, gmoe_quantile *out);
void gmoe_sorted_gate_free(gmoe_sorted_gate *g);

/* --------------------------------------------------- smaller_cache.c */

/* What the split and edge starts of one nested fit read from its smaller
 * fit, made at first use and kept for the fit's other starts: the
 * smaller fit's responsibilities and the first gate covariates sorted.
 * Zero-initialised; freed by gmoe_smaller_cache_free. */
#define GMOE_SORTED_GATES 4
typedef struct {
    const gmoe_model *smaller; /* the fit the cache holds, or NULL */
    double *resp;              /* its responsibilities, n x (k - 1) */
    int resp_status;           /* GMOE_ENUMERIC: a non-finite E-step */
    gmoe_sorted_gate *gate[GMOE_SORTED_GATES]; /* case-weighted, or NULL */
} gmoe_smaller_cache;

/* smaller's responsibilities (this process's rows) into *resp; GMOE_ENUMERIC
 * when its E-step is not finite, GMOE_ENOMEM. */
int gmoe_smaller_resp(gmoe_smaller_cache *c, const gmoe_model *smaller, const gmoe_data *data,
                      gmoe_em_ws *ws, const double **resp);
/* gmoe_gate_quantile(data, u, NULL, 0, q, out) for u < GMOE_SORTED_GATES,
 * sorting covariate u once */
int gmoe_smaller_gate_quantile(gmoe_smaller_cache *c, const gmoe_data *data, size_t u, double q,
                               gmoe_quantile *out);
void gmoe_smaller_cache_free(gmoe_smaller_cache *c);

/* ---------------------------------------------------------- split.c */

/* Split start c: one of the starts that split an expert of `smaller`
 * (k - 1 experts, a fit of the same family) into m (k experts): see
 * split.c.  GMOE_EINVAL when the
 * family has no split. */
int gmoe_split_start(gmoe_model *m, const gmoe_model *smaller, size_t c, const gmoe_data *data,
                     gmoe_em_ws *ws, const gmoe_em_options *opt, gmoe_smaller_cache *cache);

/* The split starts per expert of the smaller fit (for m's shape): start
 * c of gmoe_split_start splits expert c / gmoe_split_kinds(m) in the
 * way c % gmoe_split_kinds(m). */
size_t gmoe_split_kinds(const gmoe_model *m);

/* After the family's exact split of expert j (its copy the last expert),
 * the half j's logit steps by slope per unit of gate covariate u past
 * cut (slope < 0: below the cut), the last half keeping expert j's
 * logit. */
void gmoe_split_step(gmoe_model *m, size_t j, size_t u, double cut, double slope);

/* ------------------------------------------------------ edge_start.c */

/* The edge starts of a nested fit of m's shape on n rows (0 when the
 * family cannot split or the data are too few). */
size_t gmoe_edge_starts(const gmoe_model *m, size_t n);

/* Edge start c (< gmoe_edge_starts): the smaller fit with a new expert on
 * the rows at one end of one gate covariate (edge_start.c). */
int gmoe_edge_start(gmoe_model *m, const gmoe_model *smaller, size_t c, const gmoe_data *data,
                    gmoe_em_ws *ws, const gmoe_em_options *opt, gmoe_smaller_cache *cache);

/* ------------------------------------------------------- spurious.c */

/* The spurious expert of model m by the rule (spurious.c's comment):
 * rows[j] the effective rows of expert j (k entries; fewer than 1: never
 * spurious, the expert fits no row); the 1-based expert
 * with the smallest variance ratio among those the rule flags, its ratio
 * (sigma2 over the pooled variance) in *ratio; 0 when none is, or when
 * rows_factor or ratio_max is not > 0 (the rule off). */
size_t gmoe_spurious_expert(const gmoe_model *m, const double *rows, double rows_factor,
                            double ratio_max, double *ratio);

/* Fills info's spurious_* fields for the run that ended at m (info's
 * loglik is the run's) with the options' constants: m's effective rows
 * from an E-step (into ws->resp), made only when an expert's variance is
 * below opt->spurious_ratio times the largest.  Call it after every run
 * (gmoe_em_run clears them). */
void gmoe_spurious_judge(const gmoe_model *m, const gmoe_data *data, gmoe_em_ws *ws,
                         const gmoe_em_options *opt, gmoe_fit_info *info);

/* ------------------------------------------------------- supremum.c */

/* *supremum = 1 when m, whose log-likelihood on data is loglik, is on a
 * ray of a separable gate: sharpening a steep step between two experts'
 * logits in place (2 and 4 times) does not lower the log-likelihood
 * beyond rounding, so it approaches a supremum, not a maximum
 * (supremum.c's comment).  Softmax and temperature gates; 0 otherwise.
 * GMOE_ENOMEM when out of memory. */
int gmoe_gate_supremum(const gmoe_model *m, const gmoe_data *data, double loglik, int nthreads,
                       int *supremum);

/* ----------------------------------------------------- start_pool.c */

/* The best `cap` screened runs, best first by gmoe_run_better (a later
 * run must be better by more than rounding to pass an earlier one). */
typedef struct {
    size_t cap, n;
    double var_floor;      /* the variances' floor (absolute) */
    gmoe_model **model;
    gmoe_fit_info *info;   /* info[i].best_restart: the run's start */
} gmoe_start_pool;

/* cap models of m's shape; GMOE_ENOMEM on failure (then free it). */
int gmoe_start_pool_init(gmoe_start_pool *p, const gmoe_model *m, size_t cap, double var_floor);
void gmoe_start_pool_free(gmoe_start_pool *p);

/* Keeps a copy of m (the run of start `start`, info) if it is among the
 * best; non-finite log-likelihoods are never kept. */
void gmoe_start_pool_offer(gmoe_start_pool *p, const gmoe_model *m, const gmoe_fit_info *info,
                           size_t start);

/* Non-zero when a run with log-likelihood ll beats one with best: by
 * more than rounding, so that runs reaching the same maximum keep the
 * earliest whatever the rounding of the family. */
int gmoe_loglik_better(double ll, double best);

/* Non-zero when an expert of m has its variance at the floor var_floor
 * (absolute; the M-steps and the Newton phase clip to it exactly): a
 * spike, an expert narrowing onto a few rows where the likelihood is
 * bounded only by the floor (degenerate, not a maximum). */
int gmoe_model_at_floor(const gmoe_model *m, double var_floor);

/* Non-zero when run a (model ma, its info ia) ranks before run b: a run
 * without a spurious expert (ia->spurious_expert, gmoe_spurious_judge)
 * before every run with one, and a run without an expert at the floor
 * before every run with one (the rule's extreme case, kept with the
 * rule off), then by gmoe_loglik_better. */
int gmoe_run_better(const gmoe_model *ma, const gmoe_fit_info *ia, const gmoe_model *mb,
                    const gmoe_fit_info *ib, double var_floor);

#endif
