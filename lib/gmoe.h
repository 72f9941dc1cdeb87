/* gmoe.h -- public interface of libgmoe, Gaussian mixtures of experts.
 *
 *   p(y | x) = sum_i g_i(x) N(y; a_i'x + b_i, sigma2_i),   i = 1..k, x in R^d
 *
 * Conventions (see gmoe-models(7) and shared MODELS.md):
 *   - experts are indexed 0..k-1 in C; arrays of per-expert vectors are
 *     row-major: beta1[i*d + j], a[i*d + j];
 *   - data matrices are row-major: x[n*d + j];
 *   - sigma2 is always the variance;
 *   - in softmax, topk and temperature the last expert's gate is pinned to
 *     zero (beta0[k-1] = 0, beta1[k-1,] = 0); in activation only beta0[k-1].
 *
 * Every fallible function returns a gmoe_status and, when `err` is not NULL,
 * fills it with a message a user can act on.  The library never prints,
 * exits or aborts; callers must call gsl_set_error_handler_off() (the
 * command-line tools and the R entry points do).
 */
#ifndef GMOE_H
#define GMOE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status */

typedef enum {
    GMOE_OK = 0,
    GMOE_EINVAL = 1,   /* invalid argument or option                     */
    GMOE_ENOMEM = 2,   /* allocation failed                              */
    GMOE_EIO = 3,      /* file could not be opened, read or written      */
    GMOE_EFORMAT = 4,  /* malformed CSV or model file                    */
    GMOE_EDATA = 5,    /* data unusable for the request (too few rows,
                          constant or collinear covariates, ...)          */
    GMOE_ESING = 6,    /* singular linear system that could not be fixed */
    GMOE_ENOTSUP = 7,  /* combination not supported (e.g. rbar unknown)  */
    GMOE_ENUMERIC = 8  /* non-finite value produced during a computation */
} gmoe_status;

#define GMOE_ERRMSG_LEN 512

typedef struct {
    int code;                       /* a gmoe_status */
    char msg[GMOE_ERRMSG_LEN];      /* "" when code == GMOE_OK */
} gmoe_err;

/* Short fixed description of a status code ("invalid argument", ...). */
const char *gmoe_strerror(int status);

/* Clears *err (no-op for NULL). */
void gmoe_err_clear(gmoe_err *err);

/* Library version string, e.g. "0.1.0". */
const char *gmoe_version(void);

/* ---------------------------------------------------------------- data */

/* A categorical covariate coded as indicator columns: one per level but
 * the reference levels[0], named "<name>=<level>", 1 in the rows at that
 * level and 0 elsewhere. */
typedef struct {
    char *name;      /* the column */
    char **levels;   /* nlevels, the reference first, the others in strcmp order */
    size_t nlevels;
} gmoe_factor;

/* Sharded data: this process holds rows first_row .. first_row + n - 1 of
 * a fit's n_total rows; the other rows are in other processes (mixfit
 * --shard under mpirun).  The library never talks to another process:
 * every sum over rows that a fit makes goes through `chain`, which must
 * hand `buf` (len doubles, zero in the first process) from process to
 * process in row order, each calling apply(job, buf) once on it (adding
 * its rows' terms in their order), and give every process the last
 * process's buf.  Sums over blocks of 512 rows are then the same
 * additions in the same order as in one process: when every first_row is
 * a multiple of 512 the fit is the one-process fit to the bit.  chain
 * returns 0, or non-zero on failure (buf is then NaN).  Every process
 * must make the same library calls. */
typedef void (*gmoe_chain_apply)(void *job, double *buf);
typedef struct {
    size_t n_total;   /* rows over all processes */
    size_t first_row; /* this process's first row among them */
    int (*chain)(void *ctx, double *buf, size_t len, gmoe_chain_apply apply, void *job);
    void *ctx;
} gmoe_shard;

typedef struct {
    size_t n;        /* rows */
    size_t d;        /* covariates (excluding the intercept) */
    double *x;       /* n*d, row-major */
    double *y;       /* n, or NULL when the response is absent */
    char **xnames;   /* d names, or NULL */
    char *yname;     /* or NULL */
    /* set by gmoe_data_select (zero otherwise) */
    gmoe_factor *factors;  /* the covariates coded as indicators */
    size_t nfactors;
    size_t dropped;        /* rows dropped for a missing value */
    char **na_columns;     /* the selected columns that had missing values, */
    size_t *na_counts;     /* with how many (a row can count in several) */
    size_t n_na_columns;
    /* case weights: n non-negative frequency weights (row r counts as w[r]
       observations), or NULL for all 1.  Every sum of a fit over the rows
       (E- and M-steps, log-likelihood, derivatives, criteria, starts,
       bootstrap) is weighted; a weight of exactly 1 gives the bits of an
       unweighted fit.  Check them with gmoe_data_check_weights. */
    double *w;
    /* the gate's covariates when it has its own (gate_own = 1; see
       gmoe_model's gate_own): gx (n*dg, row-major, never NULL, room for one
       double at least) and gxnames (dg names, or NULL).  gate_own = 0: the
       gate reads x (dg, gx and gxnames unused, zero). */
    int gate_own;
    size_t dg;
    double *gx;
    char **gxnames;
    /* NULL, or this process's part of sharded data (gmoe_shard) */
    const gmoe_shard *shard;
} gmoe_data;

/* The gate's covariates of data: gx when the data have their own
 * (gate_own), else x; and their number. */
const double *gmoe_data_gate_x(const gmoe_data *data);
size_t gmoe_data_gate_d(const gmoe_data *data);

/* Frees a gmoe_data whose arrays and names were malloc'd (as the readers
 * produce them); NULL is a no-op. */
void gmoe_data_free(gmoe_data *data);

/* GMOE_OK when data->w is NULL or every weight is finite and >= 0 and at
 * least one is > 0; else GMOE_EDATA with a message naming the first bad
 * row (1-based) or saying that all are zero. */
int gmoe_data_check_weights(const gmoe_data *data, gmoe_err *err);

/* The number of observations the rows stand for: the sum of the weights,
 * or (double) n without weights.  The "n" of BIC and of the per-row
 * tolerances. */
double gmoe_data_total_weight(const gmoe_data *data);

/* A CSV file as read: a header of names and numeric cells.  Cells that do
 * not parse are recorded (first bad cell per column) rather than refused,
 * so that a non-numeric column the user does not select is harmless.
 * Missing values are an empty cell (after trimming spaces and tabs) and
 * the tokens NA, NaN and "." (exactly so; "nan" and "inf" are non-finite
 * numbers, refused when selected). */
typedef struct {
    size_t nrow, ncol;
    char **names;          /* ncol header names */
    double *cells;         /* nrow*ncol row-major; NaN where missing or bad */
    size_t *bad_line;      /* per column: file line of the first cell that is
                              present but not a finite number, 0 if none */
    char **bad_text;       /* per column: that cell's text, or NULL */
    char *path;            /* file name used in messages */
    size_t *na_line;       /* per column: file line of the first missing cell, 0 if none */
    size_t *row_line;      /* per row: the file line it starts on */
    char ***text;          /* per column: the nrow cell texts (trimmed) of the
                              columns asked for as text, NULL for the others */
    char sep, decimal;     /* the separator (as sniffed) and decimal mark used */
} gmoe_table;

/* How to read a CSV file.  sep: the field separator, ',' by default; ';',
 * a tab, a space, '|' or another ASCII punctuation mark other than the
 * quote, '.', '+' and '-'; 0 sniffs it from the header line (the most
 * frequent of ',' ';' tab '|' outside quotes; ',' when none occurs).
 * decimal: '.' (default) or ','; with ',' a '.' in a number is refused.
 * text_columns: names of the columns whose cell texts are kept in
 * t->text (categorical covariates, see gmoe_select_options). */
typedef struct {
    char sep;
    char decimal;
    const char *const *text_columns;
    size_t ntext;
} gmoe_csv_options;

void gmoe_csv_options_default(gmoe_csv_options *o);
/* NULL when the options are valid, else a message naming the field
 * ("sep", "decimal") for the caller to prefix with its own option name. */
const char *gmoe_csv_options_check(const gmoe_csv_options *o);

/* Reads a CSV file with a header row (C locale, RFC 4180 quoting, '\n' or
 * "\r\n" line ends, blank last line allowed; a UTF-8 byte-order mark is
 * skipped).  Errors (GMOE_EIO, GMOE_EFORMAT, GMOE_EINVAL for bad options)
 * name the file, line and column: empty file, header only, duplicate or
 * empty header names, ragged rows.  gmoe_table_read uses the defaults. */
int gmoe_table_read_csv(const char *path, const gmoe_csv_options *o, gmoe_table **out, gmoe_err *err);
int gmoe_table_read(const char *path, gmoe_table **out, gmoe_err *err);
void gmoe_table_free(gmoe_table *t);

/* Column index of `name`, or -1. */
long gmoe_table_column(const gmoe_table *t, const char *name);

/* A factor asked for: its levels found in the data (ref NULL: the first in
 * strcmp order is the reference), or fixed (nlevels > 0, as a model file
 * holds them: the reference first, the others distinct and in strcmp
 * order; other levels in the data are refused). */
typedef struct {
    const char *name;
    const char *ref;
    const char *const *levels;
    size_t nlevels;
} gmoe_factor_request;

/* Which columns make a gmoe_data.  yname NULL means the last column;
 * xnames NULL (nx = 0) every other column.  If y_optional is set and the
 * response column is absent, data->y is NULL.  A covariate named in
 * `factors` (read as a text column) becomes its indicator columns, in
 * place.  na_drop: rows with a missing value in a selected column are
 * dropped (counted in data->dropped, per column in data->na_columns);
 * otherwise the first missing value is an error. */
typedef struct {
    const char *yname;
    const char *const *xnames;
    size_t nx;
    int y_optional;
    int na_drop;
    const gmoe_factor_request *factors;
    size_t nfactors;
    /* case weights (data->w): the column wname (NULL: none), never a
       covariate (left out of the automatic choice, refused in xnames or
       as the response).  Its cells must be finite numbers >= 0, not all
       zero (a missing one is an error, or drops the row with na_drop);
       messages name it "column "NAME" (wlabel)", wlabel being how the
       caller asks for it ("--weights"; NULL: "case weights"). */
    const char *wname;
    const char *wlabel;
} gmoe_select_options;

/* Builds a gmoe_data from table columns.  Refuses unknown names, a
 * selected column with a non-numeric, missing (unless dropped) or
 * non-finite cell, an unknown factor level (message with file, line and
 * column name), and a response that is also a covariate.
 * gmoe_data_from_table is gmoe_data_select without factors or dropping. */
int gmoe_data_select(const gmoe_table *t, const gmoe_select_options *o, gmoe_data **out, gmoe_err *err);
int gmoe_data_from_table(const gmoe_table *t, const char *yname,
                         const char *const *xnames, size_t nx,
                         int y_optional, gmoe_data **out, gmoe_err *err);

/* gmoe_data_select for a gate with covariates of its own: the experts
 * read o's covariates (o->xnames NULL: every column but the response and
 * the case weights; not NULL with nx = 0: none), the gate the ngx columns
 * gxnames (ngx = 0: a constant gate).  The result has gate_own = 1, x and
 * xnames the experts', gx and gxnames the gate's.  Both lists are
 * selected together, so a factor in either is coded as gmoe_data_select
 * codes it and a row with a missing value in any of them is dropped (or
 * refused) alike.  An unknown or repeated gate column is refused naming
 * the file, the column and `label` (how the caller asks for the gate's
 * covariates, "--gate-x"; NULL: "gate covariates"). */
int gmoe_data_select_gate(const gmoe_table *t, const gmoe_select_options *o,
                          const char *const *gxnames, size_t ngx, const char *label,
                          gmoe_data **out, gmoe_err *err);

/* Checks that data can support a fit with k experts: at least
 * (d + 2) * k rows, no constant covariate, full-rank design [x, 1]; with
 * gate covariates of their own (gate_own) the same for [gx, 1], the
 * message saying "gate covariate". */
int gmoe_data_check_fit(const gmoe_data *data, size_t k, gmoe_err *err);

/* ---------------------------------------------------------------- model */

typedef enum {
    GMOE_SOFTMAX = 0,
    GMOE_TOPK = 1,
    GMOE_TEMPERATURE = 2,
    GMOE_ACTIVATION = 3
} gmoe_family;
#define GMOE_NFAMILIES 4
/* The family of a fit when none is asked for (the tools, R). */
#define GMOE_FAMILY_DEFAULT GMOE_SOFTMAX

typedef enum { GMOE_SELECT_SLOPE = 0, GMOE_SELECT_LOGIT = 1 } gmoe_select;

typedef enum {
    GMOE_ACT_TANH = 0,
    GMOE_ACT_SIGMOID = 1,
    GMOE_ACT_ARCTAN = 2,
    GMOE_ACT_SOFTSIGN = 3
} gmoe_activation;
#define GMOE_NACTIVATIONS 4

typedef enum { GMOE_BIAS_OUTSIDE = 0, GMOE_BIAS_INSIDE = 1 } gmoe_bias_placement;

/* Why a run stopped.  "Converged" (GMOE_STOP_TOL) means what shared
 * MODELS.md section 4 says: the gradient norm (max |dL/dtheta| / n, in
 * the free parameters with log sigma2) below gmoe_em_options.grad_tol
 * and the Hessian negative definite there (a maximum, not a saddle);
 * every other outcome says what it is. */
typedef enum {
    GMOE_STOP_NONE = 0,       /* stopped by the progress callback */
    GMOE_STOP_TOL = 1,        /* converged: gradient near zero at a maximum */
    GMOE_STOP_MAXITER = 2,    /* iteration limit reached */
    GMOE_STOP_DEGENERATE = 3, /* an expert collapsed and could not be rescued */
    GMOE_STOP_NUMERIC = 4,    /* non-finite log-likelihood */
    GMOE_STOP_SADDLE = 5,     /* gradient near zero, Hessian not negative
                                 definite: a saddle or a flat ridge */
    GMOE_STOP_STALLED = 6,    /* neither Newton nor EM steps raise the
                                 log-likelihood, the gradient is not near
                                 zero (a boundary: variance floor, top-K
                                 selection, a gate running off) */
    GMOE_STOP_LLCHANGE = 7,   /* EM's change-of-log-likelihood rule met
                                 (second-order phase off), gradient not
                                 near zero */
    GMOE_STOP_SELECTION = 8,  /* top-K with K = 1: the gradient test holds
                                 where there is information, but the gate
                                 enters only through its selection
                                 boundaries, which no gradient tests; they
                                 are a local optimum over the boundary moves
                                 tried (topk_starts.c: no move of a gate
                                 coordinate over any number of rows, no
                                 relocation of an expert raises the
                                 log-likelihood), not a certified maximum */
    GMOE_STOP_SEPARABLE = 9   /* the gradient test holds, but sharpening a
                                 steep gate step in place does not lower the
                                 log-likelihood: it approaches a supremum as
                                 a gate slope runs off to infinity, which no
                                 finite parameter attains; only the boundary
                                 is identified (supremum.c) */
} gmoe_stop_reason;
#define GMOE_STOP_LAST GMOE_STOP_SEPARABLE

typedef struct {
    double loglik;
    double aic, bic, icl;
    size_t npar;          /* free parameters counted by AIC/BIC */
    size_t iterations;    /* EM iterations (M-steps) of the kept run */
    int converged;        /* 1 iff stop == GMOE_STOP_TOL */
    gmoe_stop_reason stop;
    size_t n;             /* rows fitted */
    uint64_t seed;        /* master seed */
    size_t restarts;      /* restarts tried */
    size_t best_restart;  /* index of the kept run (0-based) */
    double grad_norm;     /* at the end: max |gradient| / n over the free
                             parameters (log sigma2; NaN if not computed) */
    int hessian_nd;       /* 1: the Hessian there is negative definite */
    size_t null_dirs;     /* parameters without information left out of
                             that test (top-K K = 1 gate, ...) */
    size_t newton_iterations; /* of `iterations`, the second-order steps */
    size_t newton_escapes;    /* saddles left along negative curvature */
    double nobs;          /* observations the rows stand for: the sum of the
                             case weights (the n of BIC), n without them;
                             model files record it ("nobs") when it is not n */
    double floor_gain;    /* > 0: a run with an expert at the variance floor
                             (a spike) reached loglik + floor_gain and was set
                             aside, spikes ranking after every other run; 0:
                             none higher (the fit note "floor-spike") */
    double variance_floor; /* the variances' floor the fit used (var_floor
                             times var(y)); 0: not known (the fit note
                             "near-floor" needs it) */
    size_t spurious_expert; /* the kept run's spurious expert (1-based; 0:
                             none): fewer effective rows than
                             spurious_rows_factor (d + 2) and a variance
                             below spurious_ratio_max times the pooled
                             variance (gmoe_em_options' spurious_rows and
                             spurious_ratio; the fit note "spurious") */
    double spurious_rows;   /* its effective rows (sum of its posteriors) */
    double spurious_ratio;  /* its variance over the pooled variance
                             sum_j n_j sigma2_j / n */
    double spurious_rows_factor, spurious_ratio_max; /* the rule's constants
                             the fit used (0: the rule off) */
} gmoe_fit_info;

typedef struct {
    gmoe_family family;
    size_t k, d;
    double *beta0;        /* k       gate biases   */
    double *beta1;        /* k*d     gate slopes   */
    double *a;            /* k*d     expert slopes */
    double *b;            /* k       expert intercepts */
    double *sigma2;       /* k       expert variances  */
    /* family options */
    double tau;           /* temperature, activation: > 0 (1 otherwise) */
    size_t top_k;         /* topk: 1 <= top_k <= k */
    gmoe_select select;   /* topk: selection score */
    gmoe_activation act;  /* activation: nonlinearity */
    gmoe_bias_placement bias; /* activation: where beta0 enters */
    int tau_estimated;    /* temperature, activation: tau is a free
                             parameter of the fit (GMOE_TAU_ESTIMATE) */
    /* Gate covariates of their own (gate_own = 1, gmoe_model_alloc_gate):
       the gate reads dg covariates gx (beta1 is k*dg), the experts x (d);
       dg = 0 is a constant gate (a finite mixture of regressions), d = 0
       experts with no covariate (a mixture of Gaussians of y with a gate
       on gx).  gate_own = 0 (gmoe_model_alloc): the gate reads the
       experts' covariates and dg = d. */
    int gate_own;
    size_t dg;
    char **gxnames;       /* dg gate covariate names (gate_own), or NULL */
    /* names of the columns the model was fitted on (may be NULL) */
    char **xnames;        /* d names */
    char *yname;
    /* categorical covariates: their levels, and indicators among xnames */
    gmoe_factor *factors;
    size_t nfactors;
    /* set by a fit or read from a model file */
    int has_fit;
    gmoe_fit_info fit;
    /* standard errors and intervals of the fit (gmoe_inference_compute,
       gmoe_bootstrap; the "inference" key of a model file), or NULL.
       Owned by the model; gmoe_model_copy drops dst's (its parameters
       change) and does not copy src's: use gmoe_inference_clone. */
    struct gmoe_inference *inference;
    /* what the fit says about itself (gmoe_fit_notes; the "notes" key of
       a model file), or NULL.  Owned like inference: gmoe_model_copy
       drops dst's and does not copy src's. */
    struct gmoe_note_list *notes;
} gmoe_model;

/* Allocates a model with zero parameters, unit variances and the family's
 * default options (tau = 1, top_k = k, select = slope, act = tanh, bias
 * outside).  Returns NULL on bad sizes (k < 1, d < 1) or no memory. */
gmoe_model *gmoe_model_alloc(gmoe_family family, size_t k, size_t d);
/* The same for a gate with covariates of its own (gate_own = 1): d expert
 * covariates and dg gate covariates, either may be 0.  NULL on k < 1. */
gmoe_model *gmoe_model_alloc_gate(gmoe_family family, size_t k, size_t d, size_t dg);
/* A model of m's family and shape (k, d, dg, gate_own), parameters zero. */
gmoe_model *gmoe_model_alloc_like(const gmoe_model *m);
/* Sets the gate covariates' names of a model with its own (dg names,
 * copied; NULL clears them).  GMOE_EINVAL when !m->gate_own. */
int gmoe_model_set_gate_names(gmoe_model *m, const char *const *gxnames);
void gmoe_model_free(gmoe_model *m);                  /* NULL is a no-op */
/* Deep copy; dst must have the same k, d, dg and gate_own. */
int gmoe_model_copy(gmoe_model *dst, const gmoe_model *src);
gmoe_model *gmoe_model_clone(const gmoe_model *src);  /* NULL on failure */
/* Copies the family options tau, top_k, select, act and bias (not the
 * family, the parameters or the fit). */
void gmoe_model_copy_options(gmoe_model *dst, const gmoe_model *src);
/* Sets the temperature of a family with one (gmoe_family_has_tau) to tau
 * (finite, > 0).  temperature: the gate is unchanged, beta0 and beta1
 * being scaled by tau / m->tau (the likelihood depends on beta / tau
 * only); activation: beta0 and beta1 are kept, so the gate changes (its
 * tau is not a rescaling).  GMOE_EINVAL for another family or a bad tau,
 * GMOE_ENOMEM. */
int gmoe_model_set_tau(gmoe_model *m, double tau);
/* For a model m holding a starting model's parameters and a fit's options
 * (so the fit's tau), whose starting model had tau start_tau: where a fit
 * from that start begins.  tau_estimated: at start_tau; tau fixed at
 * another value: gmoe_model_set_tau to it (temperature: the starting
 * gate, re-expressed).  No effect for a family without tau.  Used by
 * gmoe_fit with a starting model and by mixfit --max-iter 0. */
void gmoe_model_start_tau(gmoe_model *m, double start_tau, int tau_estimated);
/* Sets the column names (copied); NULL clears them. */
int gmoe_model_set_names(gmoe_model *m, const char *const *xnames, const char *yname);
/* Sets the factors (copied, as gmoe_data_select returns them); n = 0
 * clears them.  gmoe_model_copy copies them with the names. */
int gmoe_model_set_factors(gmoe_model *m, const gmoe_factor *factors, size_t n);

/* Validates a model: finite parameters, sigma2 > 0, the family's pinned
 * gate entries zero, tau > 0, 1 <= top_k <= k, known enum values. */
int gmoe_model_check(const gmoe_model *m, gmoe_err *err);

/* Number of free parameters (for AIC/BIC): experts k*(d+2), plus the
 * gate's free parameters (softmax: (k-1)(dg+1), dg the gate's covariates;
 * none with k = 1) and an estimated tau but where the likelihood is
 * invariant along it (temperature).  gmoe_model_nfree less that
 * invariance (params.c). */
size_t gmoe_model_npar(const gmoe_model *m);

/* Family names "softmax" "topk" "temperature" "activation" and back;
 * gmoe_family_from_name returns -1 for an unknown name.  Likewise for
 * activations ("tanh" "sigmoid" "arctan" "softsign"), selection rules
 * ("slope" "logit") and bias placements ("outside" "inside"). */
const char *gmoe_family_name(gmoe_family f);
int gmoe_family_from_name(const char *name);
const char *gmoe_activation_name(gmoe_activation a);
int gmoe_activation_from_name(const char *name);
const char *gmoe_select_name(gmoe_select s);
int gmoe_select_from_name(const char *name);
const char *gmoe_bias_name(gmoe_bias_placement b);
int gmoe_bias_from_name(const char *name);
const char *gmoe_stop_name(gmoe_stop_reason s);
/* 1 when the family has a temperature tau (temperature, activation), 0
 * otherwise (also for an unknown family). */
int gmoe_family_has_tau(gmoe_family f);

/* What a family reads and pins, from its own table entry (gating.h), so
 * that tools, model files and the R interface need no list of families.
 * gmoe_family_options: the bit set of the model fields the family reads
 * (0 for an unknown family); GMOE_FAMILY_OPT_TAU also means the fit's
 * tau_mode applies. */
#define GMOE_FAMILY_OPT_TAU 0x01u        /* tau, tau_estimated */
#define GMOE_FAMILY_OPT_TOP_K 0x02u      /* top_k */
#define GMOE_FAMILY_OPT_SELECT 0x04u     /* select */
#define GMOE_FAMILY_OPT_ACTIVATION 0x08u /* act */
#define GMOE_FAMILY_OPT_BIAS 0x10u       /* bias */
unsigned gmoe_family_options(gmoe_family f);
/* 1 when the family pins the last expert's gate slopes beta1[k-1,] to
 * zero besides its bias (softmax, topk, temperature), 0 when it pins the
 * bias only (activation) or the family is unknown. */
int gmoe_family_pins_slopes(gmoe_family f);
/* The names of the families that read every option in `options` (0: all
 * families), in enum order, each between `quote` and `quote`, separated by
 * `sep` and, before the last, by `last_sep`: e.g. (0, "", ", ", " or ")
 * gives "softmax, topk, temperature or activation".  Written into buf as
 * snprintf does (size bytes, NUL-terminated, cut short if needed); returns
 * the length of the whole list. */
size_t gmoe_family_list(unsigned options, const char *quote, const char *sep,
                        const char *last_sep, char *buf, size_t size);
/* What a family's gate is, from its own table entry, for the code that
 * must treat such gates apart (inference, identification, fit notes):
 * GMOE_FAMILY_SCALE_FREE: the gate depends on its parameters and tau only
 *   through beta / tau (temperature), so with tau estimated (beta, tau) is
 *   identified only up to a common scale c > 0 (the fit reports the
 *   representative whose slopes centred over the k experts have unit
 *   Frobenius norm, ||beta1 - mean||_F = 1), and beta1 / tau is the slope of
 *   the gate's logits;
 * GMOE_FAMILY_SELECTS: each row's gate is non-zero on a selected set of
 *   top_k experts only (topk).
 * gmoe_family_properties returns the bit set (0 for an unknown family). */
#define GMOE_FAMILY_SCALE_FREE 0x01u
#define GMOE_FAMILY_SELECTS 0x02u
/* GMOE_FAMILY_SPLITS: an expert can be split in two with the likelihood
 * unchanged, so gmoe_fit_nested has split starts (softmax, temperature). */
#define GMOE_FAMILY_SPLITS 0x04u
unsigned gmoe_family_properties(gmoe_family f);
/* 1 when m's gate selects exactly one expert per row (a
 * GMOE_FAMILY_SELECTS family with top_k = 1 and k > 1): the gate then
 * enters the likelihood only through where the selection changes, so its
 * parameters carry no information and only those boundaries are
 * identified.  0 otherwise (also for m NULL). */
int gmoe_model_gate_selects_one(const gmoe_model *m);

/* ------------------------------------------------------- evaluation */

/* log g_i(x) for one row of the gate's covariates (m->dg of them: the
 * experts' x unless m->gate_own) into logg[k] (-INFINITY for a gate that
 * is zero, as outside the top-K set). */
void gmoe_log_gate(const gmoe_model *m, const double *x, double *logg);

/* log p(y | x) for one row. */
double gmoe_log_density(const gmoe_model *m, const double *x, double y);

/* Posterior expert probabilities for one row into resp[k]; returns
 * log p(y | x). */
double gmoe_responsibilities(const gmoe_model *m, const double *x, double y,
                             double *resp);

/* Predictive mean and variance of y given x, the gate probabilities
 * (gate[k], may be NULL) and the most probable expert under the gate. */
void gmoe_predict(const gmoe_model *m, const double *x, double *mean,
                  double *var, double *gate, size_t *best);

/* The same for a model whose gate has covariates of its own: x the row's
 * expert covariates (m->d), gx its gate covariates (m->dg; NULL: x). */
double gmoe_log_density_gx(const gmoe_model *m, const double *x, const double *gx, double y);
double gmoe_responsibilities_gx(const gmoe_model *m, const double *x, const double *gx,
                                double y, double *resp);
void gmoe_predict_gx(const gmoe_model *m, const double *x, const double *gx, double *mean,
                     double *var, double *gate, size_t *best);

/* Total log-likelihood of data (y required), computed over fixed blocks
 * of rows so the value is bit-identical for every nthreads (0 = OpenMP
 * default). */
int gmoe_loglik(const gmoe_model *m, const gmoe_data *data, int nthreads,
                double *loglik, gmoe_err *err);

/* ------------------------------------------------------------ fitting */

typedef enum {
    GMOE_TOL_PER_OBS = 0,  /* |dL| / n <= tol: does not loosen with n (default) */
    GMOE_TOL_RELATIVE = 1, /* |dL| / |L| <= tol: the published rule */
    GMOE_TOL_ABSOLUTE = 2  /* |dL| <= tol */
} gmoe_tol_rule;

typedef enum {
    GMOE_ACCEL_NONE = 0,    /* plain EM (the published runs) */
    GMOE_ACCEL_SQUAREM = 1  /* SQUAREM extrapolation, kept only when it does
                               not lower the likelihood (default) */
} gmoe_accel;

typedef enum {
    GMOE_TAU_FIXED = 0,     /* temperature/activation: keep the model's tau */
    GMOE_TAU_ESTIMATE = 1   /* estimate tau jointly (see gmoe-models(7)) */
} gmoe_tau_mode;

typedef struct {
    double tol;              /* default 1e-8 with GMOE_TOL_PER_OBS */
    gmoe_tol_rule tol_rule;
    size_t max_iter;         /* EM iterations per run, default 1000 */
    size_t gate_max_iter;    /* inner Newton iterations, default 300 */
    double gate_tol;         /* inner stop: objective change per row, default 1e-12 */
    double gate_rel_tol;     /* inner stop after the first Newton step: predicted
                                gain below this fraction of the first step's,
                                default 0.01 (0: solve to gate_tol) */
    size_t restarts;         /* random starts; default 0: automatic
                                (gmoe_random_starts), 1 when init given
                                or k = 1 */
    size_t screen_iter;      /* with several starts, each runs this many EM
                                iterations (without the Newton phase), then
                                the best three run on to convergence
                                (short-EM screening).  Default 0: every
                                start runs to convergence (gmoe_fit_nested:
                                20) */
    uint64_t seed;           /* master seed, default 1 */
    int nthreads;            /* 0 = OpenMP default */
    double var_floor;        /* sigma2 >= var_floor * var(y); default 1e-6 */
    double min_weight;       /* an expert whose responsibilities sum to
                                less than this keeps its regression and
                                variance for that iteration; < 0 means
                                d + 2 (the default) */
    gmoe_tau_mode tau_mode;  /* default GMOE_TAU_FIXED */
    gmoe_accel accel;        /* default GMOE_ACCEL_SQUAREM */
    size_t accel_warmup;     /* plain EM iterations before SQUAREM starts,
                                default 10: a well-separated fit converges
                                in fewer, and a SQUAREM cycle costs three
                                M-steps */
    int newton;              /* second-order phase after EM (default 1):
                                damped Newton on the observed log-likelihood,
                                monotone, falling back to EM steps */
    double grad_tol;         /* "converged" needs max |gradient| / n below
                                this, default 1e-6 */
    double newton_switch;    /* EM hands over to Newton when the change of
                                the log-likelihood per observation falls
                                below this, default 1e-5 */
    /* optional progress callback, called after each EM iteration of each
       restart; return non-zero to stop the run early. */
    int (*progress)(void *ctx, size_t restart, size_t iter, double loglik);
    void *progress_ctx;
    /* optional: a fit's starts shared out over processes (mixfit over MPI
       ranks; the library never talks to other processes itself).  When
       set, gmoe_fit calls it once with its nstarts starts (gmoe_fit_auto
       twice when it makes the lead-in: its random starts, then its split
       starts, r counted from 0 in each call): it must call
       run(job, r, out + r * width) for each start r on exactly one of the
       processes, and leave all nstarts outcomes (width bytes each, opaque,
       from the same build) in `out` on every process; gmoe_fit then keeps
       the best run in start order, as it does without the hook, so the fit
       is the same bits.  Every process must make the same gmoe_fit calls.
       Returns 0, or non-zero when it failed (gmoe_fit: GMOE_EINVAL). */
    int (*share_starts)(void *ctx, size_t nstarts, size_t width, unsigned char *out,
                        void (*run)(void *job, size_t r, unsigned char *out), void *job);
    void *share_ctx;
    double spurious_rows;    /* the rule for spurious maxima (McLachlan &
                                Peel 2000, sec. 3.10): an expert with fewer
                                effective rows than spurious_rows (d + 2)
                                and a variance below spurious_ratio times
                                the pooled variance is spurious, and a run
                                with one ranks after every run without;
                                defaults 100 and 0.02; either 0 turns the
                                rule off (highest log-likelihood; runs with
                                an expert at the variance floor still rank
                                last) */
    double spurious_ratio;
    int skip_icl;            /* 1: the fit's ICL is left NAN, its entropy pass
                                over the rows skipped (AIC and BIC are still
                                filled), for callers that never read it
                                (mixrate); default 0 */
} gmoe_em_options;

void gmoe_em_options_default(gmoe_em_options *opt);

/* The starts of a fit on n rows: opt->restarts, or when it is 0
 * (automatic) 1 when one start suffices (given_start: a given start, or
 * gmoe_fit's k = 1, the least-squares line), else GMOE_AUTO_STARTS,
 * more on small data: enough for GMOE_AUTO_START_ROWS rows in all, at most
 * GMOE_SMALL_DATA_STARTS (n = 300: 100 starts; n >= 3000: 10). */
#define GMOE_AUTO_STARTS 10
#define GMOE_AUTO_START_ROWS 30000
#define GMOE_SMALL_DATA_STARTS 100
size_t gmoe_random_starts(const gmoe_em_options *opt, size_t n, int given_start);

/* The one check of a fit's settings, made before any work (the liblinear
 * check_parameter pattern): mixfit, mixrate and the R package parse their
 * arguments' syntax, fill a gmoe_em_options and a model, and call these;
 * gmoe_fit and gmoe_model_check call them too.  A bad value gives
 * GMOE_EINVAL (GMOE_ENOTSUP for an unknown family), *field (when field is
 * not NULL) the name of the field at fault, and in err what is wrong with
 * it, worded to follow that name: "must be 1 to 1000000 (got 0)".  Each
 * interface then names its own flag: mixfit "--restarts: must be ...",
 * R "restarts must be ...".
 * gmoe_em_options_validate: the fields of gmoe_em_options by their names:
 *   restarts (1 to 1e6), max_iter and gate_max_iter (1 to 1e8),
 *   accel_warmup and screen_iter (at most 1e8), nthreads (0 to 4096),
 *   tol (finite, >= 0; 0: the rule's default), gate_tol (finite, >= 0),
 *   gate_rel_tol and var_floor (in [0, 1)), min_weight (finite),
 *   grad_tol (finite, > 0), newton_switch (finite, >= 0),
 *   spurious_rows (finite, >= 0) and spurious_ratio (in [0, 1]), and the
 *   choices tol_rule, accel and tau_mode.
 * gmoe_model_options_validate: "family", and the options the family reads
 *   (gmoe_family_options): "top_k" (1 to k), "select", "tau" (finite,
 *   > 0), "act" and "bias".  Not the parameters: gmoe_model_check. */
int gmoe_em_options_validate(const gmoe_em_options *opt, const char **field, gmoe_err *err);
int gmoe_model_options_validate(const gmoe_model *m, const char **field, gmoe_err *err);
/* The number of experts an interface may ask a fit for: field "k", 1 to
 * GMOE_K_MAX (mixfit's -k, mixrate's -k, R's k).  gmoe_fit itself takes
 * any k >= 1 the data support (gmoe_data_check_fit). */
#define GMOE_K_MAX 1000
int gmoe_k_validate(size_t k, const char **field, gmoe_err *err);
/* gmoe_em_options_validate's verdict as one text: NULL when the options
 * are valid, else the field's name and what is wrong ("restarts must be 1
 * to 1000000 (got 0)"), in a buffer of the calling thread's that the next
 * call overwrites. */
const char *gmoe_em_options_check(const gmoe_em_options *opt);

/* Fits `m` (family, k, d and family options taken from m) to data by EM.
 * If `init` is not NULL the first run starts from it (it must have the
 * same family, k and d) and opt->restarts - 1 further random starts are
 * tried; otherwise every start is random.  Restart r uses the seed
 * gmoe_seed_derive(opt->seed, r).  The best run by log-likelihood is
 * written into m, with m->fit filled and m->has_fit = 1.
 * Non-convergence is reported in m->fit, not as an error. */
int gmoe_fit(const gmoe_data *data, gmoe_model *m, const gmoe_model *init,
             const gmoe_em_options *opt, gmoe_err *err);

/* Fits `m` (k experts) like gmoe_fit without a starting model, with,
 * besides opt->restarts random starts, one split start per expert of
 * `smaller`: the fit with k - 1 experts of the same family and options on
 * the same data (smaller->has_fit), expert j split in two halves sharing
 * its gate and pulled apart along the direction of most positive
 * curvature of the log-likelihood.  Every start is screened by
 * opt->screen_iter EM iterations (20 when 0) and the best three, and the
 * best split start, run on.  The fit's log-likelihood is at least
 * smaller's (to rounding): -k LO:HI is nested.  Starts are numbered
 * random first (0 .. restarts - 1), then the split of expert j as
 * restarts + j (m->fit.restarts counts both).  GMOE_ENOTSUP for a family
 * without splits (softmax and temperature have them), GMOE_EINVAL when
 * smaller is not such a fit. */
int gmoe_fit_nested(const gmoe_data *data, gmoe_model *m, const gmoe_model *smaller,
                    const gmoe_em_options *opt, gmoe_err *err);

/* Fits m as mixfit -k K does for a single K: for K >= 3 and a family with
 * splits, the opt->restarts random starts are screened as
 * gmoe_fit_nested's; when the best two ended by EM's tolerance at the
 * same log-likelihood (within 1e-6 per row, at least 0.01) and the best,
 * run on, is converged without an expert within 10 times the variance
 * floor, tiny experts or near-duplicates (an over-specified k), it is the fit.
 * Otherwise the fits with 2 .. K - 1 experts are made, each from the one
 * before (the lead-in: gmoe_fit, then gmoe_fit_nested), and the fit goes
 * on as gmoe_fit_nested from the K - 1 fit (the same starts, numbered the
 * same way; the random best's longer run stays a candidate).  The
 * lead-in is made first when the starts cannot be screened (one restart,
 * the tau warm-up).  Any other K or family: gmoe_fit without init. */
int gmoe_fit_auto(const gmoe_data *data, gmoe_model *m, const gmoe_em_options *opt, gmoe_err *err);

/* ------------------------------------------------------ notes on a fit */

/* What a fitted model says about itself (issue 11 item 4): the signs of an
 * over-specified k, of a separable gate, of a fit that did not end at a
 * maximum.  Each note has a code, the experts and gate covariate it is
 * about (1-based, 0: none), a number and a sentence. */
typedef enum {
    GMOE_NOTE_TINY_MASS = 0,      /* expert1's mean gate weight (value) is below
                                     1% or d + 2 rows' worth: k may be too large */
    GMOE_NOTE_NEAR_DUPLICATES = 1,/* expert1 and expert2: the same line and
                                     variance (value: the lines' distance over
                                     the data in units of the noise sd, < 2) */
    GMOE_NOTE_SELECTION_ONLY = 2, /* top-K with K = 1: only the selection
                                     boundaries are identified (value NaN) */
    GMOE_NOTE_SEPARABLE_GATE = 3, /* expert1's gate slope on covariate
                                     (value) changes the logit by more than 30
                                     over one sd of it (over the level
                                     contrast, 1, for a factor's indicator):
                                     runs off to infinity */
    GMOE_NOTE_NOT_CONVERGED = 4,  /* the fit stopped for another reason than
                                     convergence (m->fit.stop; value: the
                                     gradient norm at the end) */
    GMOE_NOTE_FLOOR_SPIKE = 5,    /* a higher run with an expert at the
                                     variance floor was set aside (value:
                                     m->fit.floor_gain) */
    GMOE_NOTE_NEAR_FLOOR = 6,     /* expert1's variance is within 10 times
                                     the floor (value: sigma2 / floor): a
                                     maximum next to a spike */
    GMOE_NOTE_SPURIOUS = 7,       /* expert1 is spurious by the rule of
                                     gmoe_em_options' spurious_rows and
                                     spurious_ratio (value: its variance over
                                     the pooled variance): every run had
                                     such an expert; k may be too large */
    GMOE_NOTE_SPARSE_LEVEL = 8    /* a factor level (named in the message;
                                     covariate: its gate column, 0 when the
                                     gate does not read it) has fewer rows
                                     (value) than the slopes its indicator
                                     carries: they are not identified */
} gmoe_note_code;
#define GMOE_NOTE_LAST GMOE_NOTE_SPARSE_LEVEL
#define GMOE_NOTE_LEN 256

typedef struct {
    gmoe_note_code code;
    size_t expert1, expert2; /* 1-based, 0: none */
    size_t covariate;        /* 1-based gate covariate, 0: none */
    double value;            /* as the code says; NaN: none */
    char message[GMOE_NOTE_LEN]; /* one sentence, no newline */
} gmoe_fit_note;

typedef struct gmoe_note_list {
    size_t n;
    gmoe_fit_note *note;         /* n notes (NULL when n = 0) */
} gmoe_note_list;

/* The notes of model m (normally a fit to data, m->has_fit) on data,
 * attached to m->notes (replacing any; an empty list when there is
 * nothing to say).  The order: tiny masses, near-duplicates, the gate,
 * the factor levels, the gate, then the fit's stop; at most 2 k + k (k - 1) / 2 + k dg
 * + the factors' levels + 4 notes.
 * GMOE_EINVAL (sizes of m and data differ), GMOE_ENOMEM. */
int gmoe_fit_notes(gmoe_model *m, const gmoe_data *data, gmoe_err *err);
void gmoe_note_list_free(gmoe_note_list *notes);                 /* NULL: no-op */
gmoe_note_list *gmoe_note_list_clone(const gmoe_note_list *notes);   /* NULL on failure */
/* "tiny-mass", "near-duplicates", "selection-only", "separable-gate",
 * "not-converged", "floor-spike", "near-floor", "spurious", "sparse-level";
 * NULL / -1 for an unknown code or name. */
const char *gmoe_note_name(gmoe_note_code code);
int gmoe_note_from_name(const char *name);

/* Fills info->aic/bic/icl from loglik, npar and n (icl also needs the
 * data for the entropy term). */
int gmoe_information_criteria(const gmoe_model *m, const gmoe_data *data,
                              gmoe_fit_info *info, gmoe_err *err);

/* A well-mixed 64-bit seed for sub-task `index` of master seed `master`
 * (splitmix64).  Used for restarts, replicates and simulations. */
uint64_t gmoe_seed_derive(uint64_t master, uint64_t index);

/* ------------------------------------------ derivatives and covariance */

/* The free parameters of a model (MODELS.md section 4), in this order:
 * for each expert i = 1..k: beta0_i, beta1_i (d), a_i (d), b_i, sigma2_i,
 * leaving out what the family pins (softmax, topk, temperature: beta0_k
 * and beta1_k; activation: beta0_k only); then tau when m->tau_estimated
 * (temperature, activation).  sigma2 is the variance and tau is tau (not
 * a logarithm).  gmoe_model_nfree is their number. */
size_t gmoe_model_nfree(const gmoe_model *m);

/* Name of free parameter j (0-based) into buf (len bytes): "beta0[1]",
 * "beta1[1,x]", "a[2,x]", "b[2]", "sigma2[2]", "tau" (experts 1-based,
 * covariates by the model's column names, else x1, x2, ...).
 * GMOE_EINVAL when j >= gmoe_model_nfree(m) or buf is too short. */
int gmoe_param_name(const gmoe_model *m, size_t j, char *buf, size_t len);

/* The observed-data log-likelihood sum_n log p(y_n | x_n) and, for every
 * pointer that is not NULL, its gradient (p), Hessian (p x p, row-major)
 * and per-row scores (n x p, row-major: the gradient of each row's
 * log-density) in the free parameters above, analytic.  top-K: conditional
 * on each row's selected set (the likelihood is not differentiable where
 * the selection changes).  Summed over fixed chunks of rows in order:
 * the same numbers for every nthreads (0 = OpenMP default).
 * GMOE_EINVAL (bad model or data), GMOE_ENOMEM, GMOE_ENUMERIC (the
 * log-likelihood is not finite). */
int gmoe_loglik_derivatives(const gmoe_model *m, const gmoe_data *data, int nthreads,
                            double *loglik, double *grad, double *hess, double *scores,
                            gmoe_err *err);

typedef enum {
    GMOE_SE_OBSERVED = 0, /* inverse of the observed information */
    GMOE_SE_SANDWICH = 1, /* H^-1 J H^-1, J = sum of the scores' outer products */
    GMOE_SE_NONE = 2      /* no standard errors (gmoe_inference only) */
} gmoe_se_kind;

/* Covariance matrix of the free parameters (p x p, row-major, into cov,
 * which has room for gmoe_model_nfree(m)^2 doubles; p into *p_out when
 * not NULL) at model m, normally a maximum-likelihood fit to data: the
 * inverse of the observed information (minus the Hessian), or the
 * sandwich.  temperature with tau estimated: the information is projected
 * onto the tangent space of gmoe's normalization ||beta1 - mean||_F = 1 (the
 * likelihood is invariant along (beta, tau) -> c (beta, tau)), so cov has
 * rank p - 1.  GMOE_ESING when the information is singular or not
 * positive definite (not a strict maximum, or parameters not identified:
 * over-specified k, a top-K gate with K = 1, ...). */
int gmoe_covariance(const gmoe_model *m, const gmoe_data *data, gmoe_se_kind kind, double *cov,
                    size_t *p_out, gmoe_err *err);

/* ------------------------------------------------ inference of a fit */

typedef enum {
    GMOE_BOOT_NONPARAMETRIC = 0, /* resample the rows with replacement */
    GMOE_BOOT_PARAMETRIC = 1     /* new responses drawn from the fit at the same x */
} gmoe_boot_type;

/* Standard errors and 95% intervals of the free parameters (in the order
 * and with the names of gmoe_param_name), as a model file's "inference"
 * key holds them.  Entries that are not identified are NaN. */
typedef struct gmoe_inference {
    gmoe_se_kind method;  /* how se was computed (GMOE_SE_NONE: not) */
    double level;         /* of the intervals: 0.95 */
    size_t p;             /* free parameters */
    char **names;         /* p, gmoe_param_name */
    double *estimate;     /* p, the fit's values */
    double *se;           /* p; NaN when not identified or method NONE */
    double *lower, *upper;/* p, Wald: estimate -/+ z se */
    double *cov;          /* p*p row-major, or NULL (not asked for) */
    int identified;       /* 1: the information is positive definite in
                             the parameters reported (0 with method NONE) */
    char *note;           /* NULL, or what is not identified and why (for
                             a warning); top-K: that the errors are
                             conditional on the selected pattern */
    /* bootstrap (boot_replicates == 0: none) */
    gmoe_boot_type boot_type;
    size_t boot_replicates;   /* asked for */
    size_t boot_ok;           /* replicates whose fit succeeded */
    uint64_t boot_seed;       /* master seed of the replicates */
    double *boot_se;          /* p: sample sd over the successful replicates */
    double *boot_lower, *boot_upper; /* p: percentile interval at level */
} gmoe_inference;

void gmoe_inference_free(gmoe_inference *inf);             /* NULL: no-op */
gmoe_inference *gmoe_inference_clone(const gmoe_inference *inf); /* NULL on failure */
/* An empty record for p parameters (arrays allocated, NaN), or NULL. */
gmoe_inference *gmoe_inference_alloc(size_t p, int with_cov, int with_boot);

/* Standard errors of model m (normally a maximum-likelihood fit to data)
 * by `method`, attached to m->inference (replacing any).  with_cov: keep
 * the covariance matrix.  When the information is not positive definite
 * the covariance is not inverted: se is NaN for the parameters involved,
 * identified = 0, and note names the directions that are not identified
 * (eigenvectors of the scaled information with eigenvalues near zero or
 * negative, by their largest entries) and the experts that explain them
 * (near-duplicate pairs, tiny experts).  top-K with K = 1: the gate enters
 * only through its selection boundaries, so only the experts' errors are
 * given (the gate's are NaN) and the note says so; top-K in general:
 * conditional on each row's selected set.  GMOE_SE_NONE attaches a
 * record with estimates only.  GMOE_EINVAL, GMOE_ENOMEM, GMOE_ENUMERIC;
 * a singular information is not an error. */
int gmoe_inference_compute(gmoe_model *m, const gmoe_data *data, gmoe_se_kind method,
                           int with_cov, gmoe_err *err);

/* Bootstrap of a fit: `replicates` data sets (rows resampled, or new
 * responses from the fit), each fitted by gmoe_fit from the fit itself
 * with em's options (restarts as given; em->nthreads ignored, each fit on
 * one thread), replicate r with seed gmoe_seed_derive(seed, r); the
 * replicates run on nthreads threads (0: OpenMP default) and the result is
 * the same for any thread count.  Each replicate's experts are matched to
 * the fit's (the permutation minimizing the distance of (a, b, sqrt
 * sigma2) scaled by the fit's spread; exhaustive for k <= 8, greedy
 * beyond), the gate re-pinned on the last expert (temperature: rescaled
 * to ||beta1 - mean||_F = 1 when tau is estimated), then boot_se and the
 * percentile interval of each free parameter fill m->inference (created
 * with method NONE if absent).  Failed replicates are left out and
 * counted.  GMOE_EINVAL, GMOE_ENOMEM, GMOE_EDATA when fewer than 2
 * replicates succeed. */
typedef struct {
    size_t replicates;
    gmoe_boot_type type;
    uint64_t seed;
    int nthreads;
} gmoe_bootstrap_options;

int gmoe_bootstrap(gmoe_model *m, const gmoe_data *data, const gmoe_em_options *em,
                   const gmoe_bootstrap_options *opt, gmoe_err *err);
/* The bootstrap's options, as gmoe_em_options_validate checks a fit's:
 * fields "replicates" (2 to 1e6), "type" and "nthreads" (0 to 4096). */
int gmoe_bootstrap_options_validate(const gmoe_bootstrap_options *opt, const char **field,
                                    gmoe_err *err);

const char *gmoe_se_kind_name(gmoe_se_kind k);    /* "observed" "sandwich" "none" */
int gmoe_se_kind_from_name(const char *name);
const char *gmoe_boot_type_name(gmoe_boot_type t); /* "nonparametric" "parametric" */
int gmoe_boot_type_from_name(const char *name);

/* ---------------------------------------------------------- simulation */

typedef enum {
    GMOE_DESIGN_UNIFORM = 0,  /* each covariate U(lo, hi) (default [0, 1]) */
    GMOE_DESIGN_NORMAL = 1,   /* each covariate N(0, 1) */
    GMOE_DESIGN_GRID = 2      /* covariate 0 evenly spaced on [lo, hi]:
                                 x_n = lo + (hi-lo)(n-1)/(N-1); others uniform */
} gmoe_design;

/* Fills x (n*d) from the design using a GSL RNG seeded with `seed`
 * (gsl_rng_mt19937).  lo/hi may be NULL (0 and 1). */
int gmoe_simulate_design(gmoe_design design, size_t n, size_t d,
                         const double *lo, const double *hi, uint64_t seed,
                         double *x, gmoe_err *err);

/* Draws y (n) and the latent expert z (n, may be NULL) given x (n*d)
 * from the model, with its own RNG seeded from `seed`.  Same seed, same
 * numbers, whatever the thread count. */
int gmoe_simulate_y(const gmoe_model *m, const double *x, size_t n,
                    uint64_t seed, double *y, size_t *z, gmoe_err *err);
/* The same with the gate's covariates gx (n*m->dg; NULL: x), for a model
 * whose gate has its own (gmoe_simulate_y is this with gx = NULL). */
int gmoe_simulate_y_gx(const gmoe_model *m, const double *x, const double *gx, size_t n,
                       uint64_t seed, double *y, size_t *z, gmoe_err *err);

/* ---------------------------------------------------------- model files */

/* JSON model files (jansson), numbers written with 17 significant digits
 * so a model round-trips exactly.  Errors name the file and, for parse
 * errors, the line and column. */
int gmoe_model_read(const char *path, gmoe_model **out, gmoe_err *err);
/* Writes atomically: a temporary file in the same directory renamed over
 * `path`, so a failure never leaves half a file.  path "-" is stdout. */
int gmoe_model_write(const char *path, const gmoe_model *m, gmoe_err *err);
/* Removes the temporary files of the atomic writes in progress (model
 * files, and the tools' outputs).  Async-signal-safe: for a program's
 * SIGINT/SIGTERM handler, so that an interrupted write leaves neither
 * half a file nor its temporary.  The library installs no handler. */
void gmoe_remove_temp_files(void);
/* Same, to and from a malloc'd NUL-terminated string (caller frees). */
char *gmoe_model_to_json(const gmoe_model *m, gmoe_err *err);
int gmoe_model_from_json(const char *text, const char *source_name,
                         gmoe_model **out, gmoe_err *err);

/* ---------------------------------------------------------- Voronoi losses */

typedef enum {
    GMOE_LOSS_AUTO = 0,   /* D1 when k == k*, D2 when k > k* */
    GMOE_LOSS_D1 = 1,
    GMOE_LOSS_D2 = 2
} gmoe_loss_kind;

#define GMOE_RBAR_MAX 16  /* rbar[c] given for cell sizes c < GMOE_RBAR_MAX */

typedef struct {
    gmoe_loss_kind kind;
    int translate;        /* 1: minimize over the gate translation (default);
                             0: the untranslated value (published code) */
    double rbar[GMOE_RBAR_MAX]; /* rbar[c] for a cell of c atoms; 0 = unknown.
                                   defaults rbar[2] = 4, rbar[3] = 6 */
} gmoe_loss_options;

void gmoe_loss_options_default(gmoe_loss_options *opt);

typedef struct {
    gmoe_loss_kind kind;  /* D1 or D2, as computed */
    double loss;          /* with the chosen translation option: translated,
                             the infimum min(loss_breakpoint, loss_limit) */
    int at_limit;         /* 1: loss is loss_limit, the limit t0 -> -infinity
                             (the parameter term outweighs the fitted mass) */
    double loss_breakpoint; /* best value over the breakpoints of t0 and the
                               refined t1 (NaN when not translated) */
    double loss_limit;    /* W* = sum_j exp(beta0*_j), the true gate pinned
                             on its last expert */
    double loss_untranslated;
    double t0;            /* the translation applied to the fitted gate (of
                             the breakpoint; cells and errors are there) */
    double *t1;           /* d; owned by the result */
    size_t k, kstar, d;
    size_t *cell;         /* k: true atom index of each fitted expert */
    size_t *cell_size;    /* kstar */
    /* per true atom j: weight-summed errors |dbeta1|, |da|, |db|,
       |dsigma2|, |dtau| and the mass term | sum exp(beta0_i) - exp(beta0*_j) | */
    double *err_beta1, *err_a, *err_b, *err_sigma2, *err_tau, *err_mass;
} gmoe_loss_result;

int gmoe_voronoi_loss(const gmoe_model *fit, const gmoe_model *truth,
                      const gmoe_loss_options *opt, gmoe_loss_result **out,
                      gmoe_err *err);
void gmoe_loss_result_free(gmoe_loss_result *r);

/* ---------------------------------------------------------- option names */

/* Names of the fitting, simulation and loss options, as on the command
 * line and in the R interface, and back (-1 for an unknown name):
 * tolerance rules "per-obs" "relative" "absolute"; accelerations "none"
 * "squarem"; tau modes "fixed" "estimate"; designs "uniform" "normal"
 * "grid"; loss kinds "auto" "D1" "D2". */
const char *gmoe_tol_rule_name(gmoe_tol_rule r);
int gmoe_tol_rule_from_name(const char *name);
const char *gmoe_accel_name(gmoe_accel a);
int gmoe_accel_from_name(const char *name);
const char *gmoe_tau_mode_name(gmoe_tau_mode t);
int gmoe_tau_mode_from_name(const char *name);
const char *gmoe_design_name(gmoe_design d);
int gmoe_design_from_name(const char *name);
const char *gmoe_loss_kind_name(gmoe_loss_kind k);
int gmoe_loss_kind_from_name(const char *name);

/* ------------------------------------------ convergence-rate experiments */

/* Sample-size grids.  Each returns a malloc'd, strictly increasing array
 * of sizes in *out (caller frees) and its length in *count.
 *
 * gmoe_rate_grid_list parses "100,200,500" (positive integers, strictly
 * increasing; errors name the entry).
 * gmoe_rate_grid_range gives `count` sizes from lo to hi (lo < hi, count
 * >= 2; count 1 needs lo == hi), evenly spaced (logspace 0) or evenly
 * spaced in log N (logspace 1), each rounded to the nearest integer;
 * refused if rounding makes two sizes equal.
 * gmoe_rate_grid_preset knows
 *   "reference-exact"  5 sizes evenly spaced in [100, 900] then 195 in
 *                      [1000, 100000] (MODELS.md section 3; 200 sizes)
 *   "reference-over"   10 sizes evenly spaced in [10000, 100000]. */
int gmoe_rate_grid_list(const char *text, size_t **out, size_t *count, gmoe_err *err);
int gmoe_rate_grid_range(double lo, double hi, size_t count, int logspace,
                         size_t **out, size_t *count_out, gmoe_err *err);
int gmoe_rate_grid_preset(const char *name, size_t **out, size_t *count, gmoe_err *err);

/* The seed of cell (N, replicate) of an experiment with master seed
 * `master`: it depends on N and the replicate only, not on the grid, the
 * order of the cells or the thread count.  Within a cell the design, the
 * response, the starting values and the fit use gmoe_seed_derive(cell
 * seed, 0..3). */
uint64_t gmoe_rate_seed(uint64_t master, size_t n, size_t replicate);

/* Near-truth starting values (MODELS.md section 3) for a fit of
 * start->k >= truth->k experts of the same family and d on N rows, drawn
 * with seed `seed`.  The fitted experts are assigned to the true ones at
 * random so that every true expert gets at least one, the last fitted
 * expert going to the last true one; each starts at its true expert's
 * values plus Gaussian noise of sd 0.005 N^-0.083 on the free gate
 * entries (beta0, beta1; the pinned entries of the last expert stay
 * zero), 0.05 N^-0.083 on (b, a), and |N(0, (0.005 N^-0.25)^2)| added to
 * sigma2.  If start->tau_estimated, tau is the true tau plus the gate's
 * noise (kept >= tau/2).  The family options of `start` (top_k, select,
 * act, bias) are left as they are.  If `assign` is not NULL it receives
 * the true expert of each fitted expert (start->k entries). */
int gmoe_rate_init_near_truth(const gmoe_model *truth, size_t n, uint64_t seed,
                              gmoe_model *start, size_t *assign, gmoe_err *err);

typedef enum {
    GMOE_RATE_INIT_NEAR_TRUTH = 0, /* every restart near truth (own noise) */
    GMOE_RATE_INIT_RANDOM = 1      /* gmoe_fit's random restarts */
} gmoe_rate_init;

typedef struct {
    const gmoe_model *shape;  /* family, k, d and family options of the fit
                                 (parameters ignored); k >= truth->k */
    gmoe_design design;       /* default GMOE_DESIGN_GRID on [0, 1] */
    gmoe_rate_init init;      /* default GMOE_RATE_INIT_NEAR_TRUTH */
    gmoe_em_options em;       /* em.restarts starts per cell (near-truth
                                 or random); em.seed and em.nthreads are
                                 set per cell (a fit is single-threaded) */
    gmoe_loss_options loss;
} gmoe_rate_options;

/* Defaults as above, EM defaults with restarts = 1. */
void gmoe_rate_options_default(gmoe_rate_options *opt);

/* Per-parameter error columns of a cell, each per true expert j:
 * the Voronoi result's err_mass, err_beta1, err_a, err_b, err_sigma2,
 * err_tau (see gmoe_loss_result). */
#define GMOE_RATE_NERR 6
const char *gmoe_rate_err_name(size_t e); /* "mass" "beta1" "a" "b" "sigma2" "tau" */

typedef struct {
    size_t n, replicate;
    uint64_t seed;            /* gmoe_rate_seed(master, n, replicate) */
    double loss;              /* per opt->loss (translated by default) */
    int at_limit;             /* the gmoe_loss_result fields */
    double loss_breakpoint;
    double loss_untranslated;
    double loglik;
    size_t iterations;        /* EM iterations of the kept start */
    int converged;
    int stop;                 /* the kept start's gmoe_stop_reason; -1 when
                                 the fit itself failed */
    double seconds;           /* wall time of the fits */
    size_t kstar;
    double *err;              /* caller's array of GMOE_RATE_NERR * kstar:
                                 err[e * kstar + j] */
    size_t *atoms;            /* caller's array of kstar, or NULL: the fitted
                                 experts in true expert j's Voronoi cell (0
                                 when the cell failed); err[e * kstar + j]
                                 of a cell of two atoms has the over-fitted
                                 rates of shared MODELS.md section 2 */
    int status;               /* GMOE_OK, or why the cell failed (see
                                 gmoe_rate_cell_recoverable) */
    char message[GMOE_ERRMSG_LEN]; /* the library's message when it failed */
} gmoe_rate_cell;

/* Whether a cell failing with `status` is recorded and the run goes on:
 * GMOE_EDATA, GMOE_ESING, GMOE_ENOTSUP and GMOE_ENUMERIC (a property of
 * that cell's sample or fit, deterministic in its seed).  Other statuses
 * (out of memory, invalid options) stop the run. */
int gmoe_rate_cell_recoverable(int status);

/* Runs one cell: simulates a design of n rows and a response from
 * `truth`, fits opt->shape from the chosen starts, and takes the loss of
 * the best fit against the truth.  Deterministic in (master, n,
 * replicate).  cell->err must point to GMOE_RATE_NERR * truth->k
 * doubles.  Non-convergence is recorded, not an error.  When the fit or
 * the loss fails, the status is returned and also kept in cell->status
 * and cell->message (the message without the cell's name, which err
 * has), with loss, loss_untranslated and err NaN, converged 0, and
 * loglik and iterations NaN and 0 unless the fit itself succeeded. */
int gmoe_rate_run_cell(const gmoe_model *truth, const gmoe_rate_options *opt,
                       uint64_t master, size_t n, size_t replicate,
                       gmoe_rate_cell *cell, gmoe_err *err);

/* Runs cells (n[c], replicate[c]), c = 0..ncells-1, on nthreads threads
 * (0 = OpenMP default), each fit single-threaded.  `done` is called once
 * per cell in the order c = 0, 1, ... (never concurrently), as soon as
 * that cell and all before it are finished; a non-zero return stops the
 * run.  A cell that fails with a recoverable status (see
 * gmoe_rate_cell_recoverable) is delivered like the others, with
 * cell->status set, and the run goes on.  On any other error the cells
 * not yet started are skipped, the cells before it are still delivered,
 * and the error is returned. */
int gmoe_rate_run_cells(const gmoe_model *truth, const gmoe_rate_options *opt,
                        uint64_t master, const size_t *n, const size_t *replicate,
                        size_t ncells, int nthreads,
                        int (*done)(void *ctx, size_t c, const gmoe_rate_cell *cell),
                        void *ctx, gmoe_err *err);

/* Least-squares line log(y) = intercept + slope log(n) with a two-sided
 * confidence interval at `level` (e.g. 0.95) from Student's t with
 * npoints - 2 degrees of freedom.  Needs >= 3 points, distinct n, all n
 * and y > 0 and finite. */
typedef struct {
    double slope, intercept;
    double se;                /* standard error of the slope */
    double lo, hi;            /* confidence interval of the slope */
    double level;
    size_t npoints;
} gmoe_rate_slope;

int gmoe_rate_fit_slope(const double *n, const double *y, size_t npoints,
                        double level, gmoe_rate_slope *out, gmoe_err *err);

/* Mean, sample sd (0 for one value) and median of v[0..n-1], n >= 1.
 * v is not modified. */
int gmoe_rate_summary(const double *v, size_t n, double *mean, double *sd,
                      double *median, gmoe_err *err);

#ifdef __cplusplus
}
#endif
#endif /* GMOE_H */
