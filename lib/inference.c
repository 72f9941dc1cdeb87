/* inference.c -- standard errors and Wald intervals of a fit
 * (gmoe_inference_compute; MODELS.md section 4).  The covariance comes
 * from gmoe_covariance when the information is positive definite; when it
 * is not (over-specified models, K = 1 top-K gates) the parameters that
 * are not identified are named instead of printing huge numbers. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "derivatives.h"
#include "fit_scale.h"
#include "inference.h"
#include "internal.h"

/* Below this ratio of the scaled information's smallest eigenvalue to its
 * largest the fit is treated as not identified (standard errors NaN);
 * below GMOE_WEAK_RATIO it is reported as weakly identified. */
#define GMOE_FLAT_RATIO 1e-9
#define GMOE_WEAK_RATIO 1e-6
#define GMOE_Z95 1.959963984540054

/* K = 1 top-K: the gate parameters have no information (the selected
 * expert's gate is 1 whatever they are), so the covariance is that of the
 * experts' parameters alone: the inverse of their block of A (sandwich:
 * with J's block), the gate's entries NaN. */
static int expert_block_covariance(const gmoe_layout *L, const double *A, const double *J,
                                   double *cov)
{
    size_t P = L->P, r = L->k * (L->d + 2);
    size_t *idx = malloc(r * sizeof(size_t));
    double *B = malloc(4 * r * r * sizeof(double));
    if (!idx || !B) {
        free(idx);
        free(B);
        return GMOE_ENOMEM;
    }
    double *Js = B + r * r, *T = Js + r * r, *U = T + r * r;
    for (size_t i = 0, c = 0; i < L->k; i++)
        for (size_t s = 0; s < L->d + 2; s++)
            idx[c++] = gmoe_layout_expert(L, i, s);
    for (size_t a = 0; a < r; a++)
        for (size_t b = 0; b < r; b++) {
            B[a * r + b] = A[idx[a] * P + idx[b]];
            Js[a * r + b] = J ? J[idx[a] * P + idx[b]] : 0.0;
        }
    int st = GMOE_OK;
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)r, B, (lapack_int)r) ||
        LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', (lapack_int)r, B, (lapack_int)r))
        st = GMOE_ESING;
    if (st == GMOE_OK) {
        for (size_t a = 0; a < r; a++)
            for (size_t b = 0; b < a; b++)
                B[a * r + b] = B[b * r + a];
        if (J) { /* B J_ss B */
            gmoe_matmul(B, 0, Js, 0, r, r, r, T);
            gmoe_matmul(T, 0, B, 0, r, r, r, U);
            memcpy(B, U, r * r * sizeof(double));
        }
        for (size_t j = 0; j < P * P; j++)
            cov[j] = NAN;
        for (size_t a = 0; a < r; a++)
            for (size_t b = 0; b < r; b++)
                cov[idx[a] * P + idx[b]] = B[a * r + b];
    }
    free(idx);
    free(B);
    return st;
}

static int fill_names(const gmoe_model *m, const gmoe_layout *L, gmoe_inference *inf)
{
    gmoe_layout_pack(L, m, inf->estimate);
    for (size_t j = 0; j < L->P; j++) {
        char name[512];
        if (gmoe_param_name(m, j, name, sizeof name) != GMOE_OK ||
            !(inf->names[j] = gmoe_strdup(name)))
            return GMOE_ENOMEM;
    }
    return GMOE_OK;
}

/* The observed information A = -H (P x P) and, for the sandwich, J. */
static int information(const gmoe_model *m, const gmoe_data *data, gmoe_se_kind method,
                       double *A, double *J, size_t P, gmoe_err *err)
{
    int st = gmoe_loglik_derivatives(m, data, 0, NULL, NULL, A, NULL, err);
    if (st == GMOE_OK && method == GMOE_SE_SANDWICH) {
        gmoe_derivs dv = {.opg = J};
        if (gmoe_derivs_compute(m, data, 0, &dv) != GMOE_OK)
            st = gmoe_error(err, GMOE_ENOMEM, "out of memory computing the scores");
    }
    for (size_t j = 0; j < P * P; j++)
        A[j] = -A[j];
    return st;
}

/* The fit on a copy scaled by powers of two (fit_scale.c) when the data
 * are of extreme magnitude: its information is finite and well scaled
 * where the data's own is not (y times 1e-100: the variances' entries
 * about 1e400). */
typedef struct {
    const gmoe_model *m;
    const gmoe_data *data;
} scaled_fit;

/* The fit's own test (fit.c, on the same scaled copy) found the Hessian
 * negative definite: a non-positive ratio here is rounding in a flat
 * direction, not a saddle; the note must not say otherwise. */
static const char *not_identified_note(const gmoe_model *m, int identified, double ratio)
{
    if (identified)
        return "weakly identified; ";
    if (ratio <= 0 && !(m->has_fit && m->fit.hessian_nd))
        return "not a maximum (a saddle) or not identified; ";
    return "not identified; ";
}

/* The covariance (on sf's scale) into cov when the parameters reported are
 * identified (*identified = 1); the note says what is not, or is only
 * weakly.  m and data (the data's own scale) only for the boundaries of a
 * K = 1 gate, which are covariate values. */
static int covariance_or_note(const gmoe_model *m, const gmoe_data *data, const scaled_fit *sf,
                              gmoe_se_kind method, const gmoe_layout *L, double *cov,
                              int *identified, gmoe_note *note, gmoe_err *err)
{
    size_t P = L->P;
    double *A = malloc(2 * P * P * sizeof(double));
    if (!A)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu parameters)", P);
    int st = information(sf->m, sf->data, method, A, A + P * P, P, err);
    *identified = 0;
    if (st == GMOE_OK && gmoe_model_gate_selects_one(sf->m)) {
        gmoe_note_add(note, "top-K with K = 1: the gate enters only through its selection "
                            "boundaries, so only the boundary is identified and the gate has no "
                            "standard errors; ");
        gmoe_identify_boundaries(m, data, note);
        st = expert_block_covariance(L, A, method == GMOE_SE_SANDWICH ? A + P * P : NULL, cov);
        *identified = st == GMOE_OK;
        if (st == GMOE_ESING)
            gmoe_note_add(note, "the experts' information is not positive definite; ");
    } else if (st == GMOE_OK) {
        double ratio = gmoe_identify_directions(sf->m, L, A, GMOE_WEAK_RATIO, note);
        if (ratio == -INFINITY)
            st = gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu parameters)", P);
        else if (ratio > GMOE_FLAT_RATIO) {
            /* observed: A as it is, no second pass over the rows (the
             * sandwich's pass makes A and J together, which can differ
             * from this A in the last bits: as before) */
            gmoe_err e;
            st = method == GMOE_SE_OBSERVED ? gmoe_covariance_of(sf->m, A, NULL, cov, &e)
                                            : gmoe_covariance(sf->m, sf->data, method, cov, NULL, &e);
            *identified = st == GMOE_OK;
            if (st != GMOE_ESING && st != GMOE_OK)
                st = gmoe_error(err, st, "%s", e.msg);
        }
        if (isnan(ratio))
            gmoe_note_add(note, "the information has entries that are not finite (covariates "
                                "or parameters at the edge of a double); ");
        if (st == GMOE_OK && !(ratio > GMOE_WEAK_RATIO)) {
            gmoe_note_add(note, "%s", not_identified_note(m, *identified, ratio));
            gmoe_identify_experts(sf->m, sf->data, note);
        }
    }
    free(A);
    return st == GMOE_ESING ? GMOE_OK : st;
}

/* covariance_or_note on the copy gmoe_fit fits (data of extreme
 * magnitude: fit_scale.c); cov stays on the copy's scale, e[P] gets the
 * factors to the data's (gmoe_fit_scaling_map_cov). */
static int scaled_covariance(const gmoe_model *m, const gmoe_data *data, gmoe_se_kind method,
                             const gmoe_layout *L, double *cov, double *e, int *identified,
                             gmoe_note *note, gmoe_err *err)
{
    gmoe_fit_scaling s;
    int st = gmoe_fit_scaling_make(data, m, &s, err);
    if (st)
        return st;
    gmoe_fit_scaling_normalize_init(&s);
    scaled_fit sf = {s.active ? s.init : m, s.active ? &s.data : data};
    st = covariance_or_note(m, data, &sf, method, L, cov, identified, note, err);
    if (st == GMOE_OK && *identified && gmoe_fit_scaling_map_cov(&s, m, cov, e) != GMOE_OK)
        st = gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu parameters)", L->P);
    gmoe_fit_scaling_free(&s);
    return st;
}

/* se and the Wald intervals from the diagonal of diag(e) cov diag(e),
 * then cov (when kept) on the data's scale. */
static void wald(gmoe_inference *inf, double *cov, const double *e)
{
    double z = GMOE_Z95;
    size_t P = inf->p;
    for (size_t j = 0; j < P; j++) {
        double v = cov[j * P + j];
        inf->se[j] = v > 0 && isfinite(v) ? fabs(e[j]) * sqrt(v) : NAN;
        inf->lower[j] = inf->estimate[j] - z * inf->se[j];
        inf->upper[j] = inf->estimate[j] + z * inf->se[j];
    }
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < P; j++)
            cov[i * P + j] *= e[i] * e[j];
}

int gmoe_inference_compute(gmoe_model *m, const gmoe_data *data, gmoe_se_kind method,
                           int with_cov, gmoe_err *err)
{
    if (!m || !data)
        return gmoe_error(err, GMOE_EINVAL, "missing model or data");
    if (method != GMOE_SE_OBSERVED && method != GMOE_SE_SANDWICH && method != GMOE_SE_NONE)
        return gmoe_error(err, GMOE_EINVAL, "unknown standard-error method %d", (int)method);
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    size_t P = L.P;
    int cov_kept = with_cov && method != GMOE_SE_NONE;
    gmoe_inference *inf = gmoe_inference_alloc(P, cov_kept, 0);
    /* the covariance (on the scale of the copy fitted) and the factors to the data's */
    double *cov = method == GMOE_SE_NONE ? NULL : malloc((P * P + P) * sizeof(double));
    if (!inf || (method != GMOE_SE_NONE && !cov) || fill_names(m, &L, inf)) {
        gmoe_inference_free(inf);
        free(cov);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu parameters)", P);
    }
    inf->method = method;
    int st = GMOE_OK;
    if (method != GMOE_SE_NONE) {
        gmoe_note note = {.len = 0};
        note.s[0] = '\0';
        if ((gmoe_family_properties(m->family) & GMOE_FAMILY_SELECTS) &&
            !gmoe_model_gate_selects_one(m))
            gmoe_note_add(&note, "top-K: standard errors are conditional on each row's selected "
                                 "set of experts; ");
        st = scaled_covariance(m, data, method, &L, cov, cov + P * P, &inf->identified, &note,
                               err);
        if (st == GMOE_OK && inf->identified)
            wald(inf, cov, cov + P * P);
        if (st == GMOE_OK && inf->identified && cov_kept)
            memcpy(inf->cov, cov, P * P * sizeof(double)); /* else NaN */
        if (note.len >= 2)
            note.s[note.len - 2] = '\0'; /* the last "; " */
        if (st == GMOE_OK && note.len && !(inf->note = gmoe_strdup(note.s)))
            st = gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    free(cov);
    return gmoe_inference_attach(m, inf, st);
}
