/* internal.h -- helpers shared by libgmoe's translation units (not installed). */
#ifndef GMOE_INTERNAL_H
#define GMOE_INTERNAL_H

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "gmoe.h"

/* Rows per block in the parallel loops.  Partial sums are formed per block
 * and combined in block order, so results do not depend on the number of
 * threads (only on this constant). */
#define GMOE_BLOCK_ROWS 512

#define GMOE_LOG_2PI 1.8378770664093454836
/* An expert whose variance is below this factor times the variance floor
 * sits next to a spike: the fit note "near-floor" (fit_notes.c), and a fit
 * that gmoe_fit_auto does not take as settled (fit.c). */
#define GMOE_NEAR_FLOOR_FACTOR 10.0

/* Sets err (if not NULL) to code and a printf-style message; returns code. */
int gmoe_error(gmoe_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The same with the arguments as a va_list. */
int gmoe_verror(gmoe_err *err, int code, const char *fmt, va_list ap);

/* Puts `name` and a space before err's message (the option checks'
 * "must be ..." after the field's name: options_check.c); returns st. */
int gmoe_error_named(gmoe_err *err, int st, const char *name);

/* The row helpers below run once per row in the row-by-row paths (the
 * families' log_gate and row_objective, the experts' residuals): they
 * are inline so that those loops make no call through the shared
 * library's PLT for them. */

/* A log-sum-exp in two parts, log(sum exp(v[i])) = max + logsum: a
 * log-normalized entry is (v[i] - max) - logsum (gmoe_lse_sub), never
 * v[i] - (max + logsum), which rounds to v[i] - max when |max| is beyond
 * about 2^53 logsum (two tied logits of 1e17 would both get log-gate 0).
 * Without a finite maximum, logsum is 0 and max the maximum. */
typedef struct {
    double max, logsum;
} gmoe_lse_parts;

static inline double gmoe_lse_value(gmoe_lse_parts p)
{
    return p.max + p.logsum;
}

static inline double gmoe_lse_sub(double v, gmoe_lse_parts p)
{
    return (v - p.max) - p.logsum;
}

static inline double gmoe_vector_max(const double *v, size_t n)
{
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (v[i] > mx)
            mx = v[i];
    return mx;
}

/* The parts of log(sum exp(v[i])) over n entries, stable. */
static inline gmoe_lse_parts gmoe_logsumexp_parts(const double *v, size_t n)
{
    gmoe_lse_parts p = {gmoe_vector_max(v, n), 0.0};
    if (!isfinite(p.max))
        return p;
    /* exp(0) = 1 for the maximum: one exp fewer per row (half of them
     * when k = 2). */
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i] == p.max ? 1.0 : exp(v[i] - p.max);
    p.logsum = log(s);
    return p;
}

/* log(sum exp(v[i])) over n entries, stable; -INFINITY if all are. */
static inline double gmoe_logsumexp(const double *v, size_t n)
{
    return gmoe_lse_value(gmoe_logsumexp_parts(v, n));
}

/* Returns the parts of log(sum exp(v[i])) and sets w[i] = exp(v[i] -
 * lse) (the normalized weights) with one exp per entry; w may alias v. */
static inline gmoe_lse_parts gmoe_logsumexp_weights(const double *v, size_t n, double *w)
{
    gmoe_lse_parts p = {gmoe_vector_max(v, n), 0.0};
    if (!isfinite(p.max)) {
        for (size_t i = 0; i < n; i++)
            w[i] = NAN;
        return p;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        w[i] = v[i] == p.max ? 1.0 : exp(v[i] - p.max); /* exp(-inf) = 0 */
        s += w[i];
    }
    double inv = 1.0 / s;
    for (size_t i = 0; i < n; i++)
        w[i] *= inv;
    p.logsum = log(s);
    return p;
}

/* gmoe_logsumexp_weights for nrows rows at once: row r's k values at
 * v + r * vstride, its weights to w + r * wstride (w may alias v), its
 * log-sum-exp to lse[r].  buf: scratch of nrows * (k + 1) doubles; on
 * return it holds the parts (gmoe_block_lse_part below). */
void gmoe_block_lse_weights(size_t nrows, size_t k, const double *v, size_t vstride,
                            double *w, size_t wstride, double *lse, double *buf);

/* Log-sum-exp lse[r] and, if w is not NULL, normalized weights (row r,
 * expert i at w[i * wcol + r * wrow]) of the rows r < nrows of the k
 * columns t[i * ld + r], as gmoe_block_lse_weights gives them
 * (block_lse.c); e: k columns of ld for the exps (may be t, or w when
 * w's layout is e's); buf: 2 nrows doubles, on return the parts. */
void gmoe_block_lse_cols(size_t nrows, size_t k, const double *t, size_t ld, double *e,
                         double *w, size_t wcol, size_t wrow, double *lse, double *buf);

/* The two block functions above leave in their buf row r's parts of its
 * log-sum-exp (gmoe_lse_parts): its maximum at buf[r] and its logsum at
 * buf[nrows + r]; log-normalize with them, not with lse. */
static inline gmoe_lse_parts gmoe_block_lse_part(const double *buf, size_t nrows, size_t r)
{
    gmoe_lse_parts p = {buf[r], buf[nrows + r]};
    return p;
}

/* rows[r * k + i] = cols[i * ld + r] for r < nrows, i < k: a block's
 * columns as rows (block_lse.c). */
void gmoe_block_cols_to_rows(size_t nrows, size_t k, const double *cols, size_t ld,
                             double *rows);

/* v[i] -= log(sum exp(v)): logits become log-probabilities. */
static inline void gmoe_log_normalize(double *v, size_t n)
{
    gmoe_lse_parts p = gmoe_logsumexp_parts(v, n);
    for (size_t i = 0; i < n; i++)
        v[i] = gmoe_lse_sub(v[i], p);
}

/* Expert mean a_i'x + b_i. */
static inline double gmoe_expert_mean(const gmoe_model *m, size_t i, const double *x)
{
    const double *a = m->a + i * m->d;
    double mu = m->b[i];
    for (size_t j = 0; j < m->d; j++)
        mu += a[j] * x[j];
    return mu;
}

/* Row r of the gate's covariates of data (gmoe_data_gate_x). */
static inline const double *gmoe_gate_row(const gmoe_data *data, size_t r)
{
    return data->gate_own ? data->gx + r * data->dg : data->x + r * data->d;
}

/* GMOE_EINVAL unless data and m have the same expert covariates' count and
 * the same gate covariates (both the experts', or both their own with
 * the same count) (data.c). */
int gmoe_data_match_model(const gmoe_data *data, const gmoe_model *m, gmoe_err *err);

/* log N(y; mu, s2). */
double gmoe_log_normal(double y, double mu, double s2);

/* gmoe_information_criteria with ICL left NAN when with_icl is 0: then no
 * pass over the rows (criteria.c; gmoe_em_options.skip_icl). */
int gmoe_information_criteria_icl(const gmoe_model *m, const gmoe_data *data, int with_icl,
                                  gmoe_fit_info *info, gmoe_err *err);

/* Copies parameters, family options and fit information (not the names)
 * between models of the same k and d; never allocates. */
void gmoe_model_copy_params(gmoe_model *dst, const gmoe_model *src);

/* Factor levels (factor.c).  gmoe_factor_set fills *f with copies (on
 * failure the partial copy is left for gmoe_factors_free); the indicator
 * column of a level is named "<name>=<level>" (malloc'd, NULL when out of
 * memory). */
void gmoe_factor_clear(gmoe_factor *f); /* frees its contents, zeroes it */
void gmoe_factors_free(gmoe_factor *f, size_t n);
int gmoe_factor_set(gmoe_factor *f, const char *name, const char *const *levels, size_t nlevels);
int gmoe_factors_copy(const gmoe_factor *src, size_t n, gmoe_factor **dst);
char *gmoe_factor_indicator_name(const char *name, const char *level);
/* 1 when column is the indicator column of one of the n factors' levels
 * (not a reference level's: those have none); never allocates. */
int gmoe_factor_is_indicator(const gmoe_factor *factors, size_t n, const char *column);

/* strdup that returns NULL for NULL. */
char *gmoe_strdup(const char *s);

/* nthreads <= 0 means the OpenMP default; always >= 1. */
int gmoe_resolve_threads(int nthreads);

/* The threads of a pass over n rows (an E-step, an M-step, the
 * derivatives): nthreads when > 0; otherwise the OpenMP default, but at
 * most one thread per GMOE_ROWS_PER_THREAD rows: starting and ending a
 * parallel region costs about 7 us of CPU per pass here (bench_shapes,
 * k = 3, d = 1, 2048 rows: 0.146 against 0.105 ms per EM iteration), more
 * than a second thread saves on fewer rows, and a thread that must wait
 * for a descheduled one loses more. */
#define GMOE_ROWS_PER_THREAD 8192
int gmoe_threads_for_rows(int nthreads, size_t n);

/* C (m x p) = op(A) op(B), row-major: A (m x n), or with ta A' from an
 * n x m A; B (n x p), or with tb B' from a p x n B (numeric.c). */
/* Replaces m's inference record by inf when status is GMOE_OK, else
 * frees inf; returns status (inference_record.c). */
int gmoe_inference_attach(gmoe_model *m, gmoe_inference *inf, int status);

void gmoe_matmul(const double *A, int ta, const double *B, int tb, size_t m, size_t n, size_t p,
                 double *C);

/* The Marquardt-damped Newton system over the active parameters (na of
 * the P of the row-major Hessian H): out (na*na) = -H + lambda
 * diag(max(|H_aa|, 1e-12 max_a |H_aa|)) (numeric.c). */
void gmoe_damped_system(const double *H, size_t P, const size_t *active, size_t na,
                        double lambda, double *out);

/* f(K, D, ...) with the shape (k experts, d covariates) as compile-time
 * constants for the commonest small ones, k = 2 or 3 with d = 1, and
 * f(k, d, ...) for any other: an always_inline f then gets its loops over
 * experts and covariates unrolled in those copies, with the same
 * arithmetic.  f returns void. */
#define GMOE_WITH_SHAPE(f, k, d, ...)                                            \
    ((k) == 2 && (d) == 1 ? f(2, 1, __VA_ARGS__)                                 \
     : (k) == 3 && (d) == 1 ? f(3, 1, __VA_ARGS__)                               \
     : (d) == 1 ? f((k), 1, __VA_ARGS__) : f((k), (d), __VA_ARGS__))

/* Weighted cross products of a block of nrows <= GMOE_BLOCK_ROWS rows
 * (block_gram.c).  The block's columns are stored one after another, each
 * gmoe_gram_ld(nrows) long (nrows rounded up to GMOE_GRAM_LANES; the rows
 * past nrows hold 0, and so must the weights w there):
 * - gmoe_gram_transpose: the d columns of x (nrows rows of d) to z;
 * - gmoe_gram_column: one column, v[r] (or the constant c if v is NULL);
 * - gmoe_gram_blocks_std: every block's d columns of x (n rows of d), each
 *   standardized, (x - shift) / scale, once for all passes: block b's
 *   at z + b * GMOE_BLOCK_ROWS * d (with d = 1, z[r] is row r's);
 *   gmoe_gram_blocks_size(n, d) doubles;
 * - gmoe_gram_add: dest[u * stride + v] += sum_r w[r] z_u[r] z_v[r] for
 *   u, v < p, v >= u only if upper;
 * - gmoe_gram_add_split: the same over the columns z_u = z's for u < nz,
 *   then z2's (a block's own columns beside ones kept elsewhere);
 * - gmoe_gram_dots: dest[u] += sum_r w[r] z_u[r] (gmoe_gram_dots_split:
 *   over the columns of z, then z2, as gmoe_gram_add_split).
 * The sums over rows go in a fixed order (same bits for any thread count
 * and vector width).  gmoe_gram_scratch(cols, extra): doubles for a
 * block's z of cols columns, two weight columns and extra columns more.
 * The products run in the best kernel the processor has ("avx512",
 * "avx2" with FMA, else "default"; gmoe_gram_kernel names it);
 * gmoe_gram_use(name) forces one for tests and benchmarks (NULL: back to
 * the best), -1 if unknown or not runnable here.  Not thread-safe: call
 * it before any parallel work. */
#define GMOE_GRAM_LANES 8
size_t gmoe_gram_ld(size_t nrows);
size_t gmoe_gram_scratch(size_t cols, size_t extra);
void gmoe_gram_transpose(const double *x, size_t nrows, size_t d, double *z);
size_t gmoe_gram_blocks_size(size_t n, size_t d);
void gmoe_gram_blocks_std(const double *x, size_t n, size_t d, const double *shift,
                          const double *scale, double *z);
void gmoe_gram_column(const double *v, double c, size_t nrows, double *z);
void gmoe_gram_add(size_t p, size_t nrows, const double *w, const double *z, double *dest,
                   size_t stride, int upper);
void gmoe_gram_add_split(size_t p, const double *z, size_t nz, const double *z2, size_t nrows,
                         const double *w, double *dest, size_t stride, int upper);
void gmoe_gram_dots(size_t p, size_t nrows, const double *w, const double *z, double *dest);
void gmoe_gram_dots_split(size_t p, const double *z, size_t nz, const double *z2, size_t nrows,
                          const double *w, double *dest);
int gmoe_gram_use(const char *name);
const char *gmoe_gram_kernel(void);

/* The gate M-step's sums over nrows <= GMOE_BLOCK_ROWS rows whose gates
 * are cached (c: the block in the gate cache's layout, k log-gate
 * columns then k gate columns of nrows; x: d gate covariates a row;
 * resp: k a row): returns Q = sum r_i log g_i and, if gb or hb is
 * not NULL, adds the gradient to gb and the Hessian's upper triangle to
 * hb as gmoe_softmax_row_given (scale 1) would, and if mb is not NULL
 * (with gb or hb) the moments sum r_i z, z = (1, x), i < k - 1, to mb,
 * with the rows in vector lanes (gate_lanes.c); scratch:
 * gmoe_gate_lanes_scratch(k, d) doubles. */
double gmoe_gate_lanes(size_t k, size_t d, const double *c, const double *x,
                       const double *resp, size_t nrows, double *gb, double *hb, double *mb,
                       double *scratch);
/* A trial point's sums of the plain softmax gate (d <= 1) over a block
 * whose cache columns c were just written at the trial point: returns
 * sum R (log g_k - olast), the change of -sum R lse from the gates whose
 * last log-gate column was olast (R: the case weight w, or 1 if w is
 * NULL; Q(trial) = Q(old) + (trial - old)' sum r z + that, the last
 * expert's logit being 0), and adds the gate moments sum R g_i z (i < k -
 * 1) to gb if not NULL; scratch: past its first GMOE_GATE_TRIAL_SCRATCH
 * doubles, the rest of gmoe_gate_lanes_scratch(k, d). */
double gmoe_gate_lanes_trial(size_t k, size_t d, const double *c, const double *olast,
                             const double *w, const double *x, size_t nrows, double *gb,
                             double *scratch);
/* The block scratch a trial pass keeps before gmoe_gate_lanes_trial's:
 * gmoe_block_gate_cols's lse and buf, and the old last log-gate column. */
#define GMOE_GATE_TRIAL_SCRATCH (4 * GMOE_BLOCK_ROWS)
size_t gmoe_gate_lanes_scratch(size_t k, size_t d);

/* out[r] = c + sum_j coef[j] x[r * d + j] for the nrows rows of x, the
 * terms added in that order (as the row-at-a-time code sums a line): one
 * vector loop over the rows per covariate.  Always inlined, so that it
 * vectorizes inside each caller's clones. */
static inline __attribute__((always_inline)) void
gmoe_line_cols(double c, const double *coef, const double *x, size_t d, size_t nrows, double *out)
{
    if (d == 1) { /* x contiguous: vector loads, not a gather at a stride of d (issue 18) */
        double c0 = coef[0];
#pragma omp simd
        for (size_t r = 0; r < nrows; r++)
            out[r] = c + c0 * x[r];
        return;
    }
#pragma omp simd
    for (size_t r = 0; r < nrows; r++)
        out[r] = c;
    for (size_t j = 0; j < d; j++) {
        double cj = coef[j];
#pragma omp simd
        for (size_t r = 0; r < nrows; r++)
            out[r] += cj * x[r * d + j];
    }
}

/* Up to GMOE_LINES_TILE lines over GMOE_LINES_ROWS rows from r0 (nl a
 * constant in each inlined copy, so the sums stay in vector registers):
 * each covariate's GMOE_LINES_ROWS values serve all nl lines.  Row r's
 * covariate j is x[r * d + j] (bycols 0: loads at a stride of d) or
 * x[j * xld + r] (bycols 1: one contiguous load); bycols a constant. */
#define GMOE_LINES_ROWS 8
#define GMOE_LINES_TILE 4
typedef double gmoe_lines_vec
    __attribute__((vector_size(GMOE_LINES_ROWS * sizeof(double)), aligned(sizeof(double))));
static inline __attribute__((always_inline)) void
gmoe_lines_tile(size_t nl, int bycols, const double *c, const double *coef, const double *x,
                size_t xld, size_t d, size_t r0, double *out, size_t ld)
{
    gmoe_lines_vec s[GMOE_LINES_TILE];
#pragma GCC unroll 4
    for (size_t i = 0; i < nl; i++)
        s[i] = (gmoe_lines_vec){0} + c[i];
    for (size_t j = 0; j < d; j++) {
        gmoe_lines_vec v;
        if (bycols) {
            memcpy(&v, x + j * xld + r0, sizeof v);
        } else {
#pragma GCC unroll 8
            for (size_t l = 0; l < GMOE_LINES_ROWS; l++)
                v[l] = x[(r0 + l) * d + j];
        }
#pragma GCC unroll 4
        for (size_t i = 0; i < nl; i++)
            s[i] += coef[i * d + j] * v;
    }
#pragma GCC unroll 4
    for (size_t i = 0; i < nl; i++)
        memcpy(out + i * ld + r0, &s[i], sizeof s[i]);
}

/* gmoe_lines_tile over the first rows rows (a multiple of
 * GMOE_LINES_ROWS), every line. */
static inline __attribute__((always_inline)) void
gmoe_lines_tiles(size_t k, int bycols, const double *c, const double *coef, const double *x,
                 size_t xld, size_t d, size_t rows, double *out, size_t ld)
{
    for (size_t r0 = 0; r0 < rows; r0 += GMOE_LINES_ROWS)
        for (size_t i = 0; i < k; i += GMOE_LINES_TILE) {
            const double *ci = c + i, *ai = coef + i * d;
            double *oi = out + i * ld;
            switch (k - i) {
            case 1: gmoe_lines_tile(1, bycols, ci, ai, x, xld, d, r0, oi, ld); break;
            case 2: gmoe_lines_tile(2, bycols, ci, ai, x, xld, d, r0, oi, ld); break;
            case 3: gmoe_lines_tile(3, bycols, ci, ai, x, xld, d, r0, oi, ld); break;
            default: gmoe_lines_tile(4, bycols, ci, ai, x, xld, d, r0, oi, ld); break;
            }
        }
}

/* gmoe_line_cols for k lines at once: out[i * ld + r] = c[i] +
 * sum_j coef[i * d + j] x[r * d + j], each row's terms added in
 * gmoe_line_cols's order (the same bits).  With d >= 2 a tile of rows and
 * lines at a time (gmoe_lines_tile): where a line at a time loads each x
 * at a stride once per line and loads and stores the sums once per
 * covariate, here x is loaded once per GMOE_LINES_TILE lines and the sums
 * stay in registers.  The rows past the last whole tile a row at a
 * time. */
static inline __attribute__((always_inline)) void
gmoe_lines_cols(size_t k, const double *c, const double *coef, const double *x, size_t d,
                size_t nrows, double *out, size_t ld)
{
    if (d < 2) {
        for (size_t i = 0; i < k; i++)
            gmoe_line_cols(c[i], coef + i * d, x, d, nrows, out + i * ld);
        return;
    }
    size_t whole = nrows / GMOE_LINES_ROWS * GMOE_LINES_ROWS;
    gmoe_lines_tiles(k, 0, c, coef, x, 0, d, whole, out, ld);
    for (size_t r = whole; r < nrows; r++)
        for (size_t i = 0; i < k; i++) {
            double s = c[i];
            for (size_t j = 0; j < d; j++)
                s += coef[i * d + j] * x[r * d + j];
            out[i * ld + r] = s;
        }
}

/* k lines c[i] + a_i'x (a: k rows of d) in standardized covariates u =
 * (x - shift) / scale: c0[i] + cu_i'u with cu[i * d + j] = a[i * d + j]
 * scale[j] and c0[i] = c[i] + a_i'shift (the terms in that order). */
static inline void gmoe_lines_std(size_t k, size_t d, const double *c, const double *a,
                                  const double *shift, const double *scale, double *c0,
                                  double *cu)
{
    for (size_t i = 0; i < k; i++) {
        double s = c[i];
        for (size_t j = 0; j < d; j++) {
            s += a[i * d + j] * shift[j];
            cu[i * d + j] = a[i * d + j] * scale[j];
        }
        c0[i] = s;
    }
}

_Static_assert(GMOE_GRAM_LANES % GMOE_LINES_ROWS == 0, "x_std's blocks in whole tiles");
/* gmoe_lines_cols over a block's covariates by columns (z[j * zld + r],
 * gmoe_gram_blocks_std's layout: zld a multiple of GMOE_LINES_ROWS, the
 * padding rows zero): out[i * ld + r] = c[i] + sum_j coef[i * d + j]
 * z[j * zld + r], the terms in that order, for the zld rows (ld >= zld);
 * contiguous loads, no gathers. */
static inline __attribute__((always_inline)) void
gmoe_lines_zcols(size_t k, const double *c, const double *coef, const double *z, size_t zld,
                 size_t d, double *out, size_t ld)
{
    gmoe_lines_tiles(k, 1, c, coef, z, zld, d, zld, out, ld);
}

/* Number of blocks of GMOE_BLOCK_ROWS covering n rows. */
static inline size_t gmoe_nblocks(size_t n)
{
    return (n + GMOE_BLOCK_ROWS - 1) / GMOE_BLOCK_ROWS;
}

#endif
