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

/* The covariance into cov when the parameters reported are identified
 * (*identified = 1); the note says what is not, or is only weakly. */
static int covariance_or_note(const gmoe_model *m, const gmoe_data *data, gmoe_se_kind method,
                              const gmoe_layout *L, double *cov, int *identified,
                              gmoe_note *note, gmoe_err *err)
{
    size_t P = L->P;
    double *A = malloc(2 * P * P * sizeof(double));
    if (!A)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu parameters)", P);
    int st = information(m, data, method, A, A + P * P, P, err);
    *identified = 0;
    if (st == GMOE_OK && gmoe_model_gate_selects_one(m)) {
        gmoe_note_add(note, "top-K with K = 1: the gate enters only through its selection "
                            "boundaries, so only the boundary is identified and the gate has no "
                            "standard errors; ");
        gmoe_identify_boundaries(m, data, note);
        st = expert_block_covariance(L, A, method == GMOE_SE_SANDWICH ? A + P * P : NULL, cov);
        *identified = st == GMOE_OK;
        if (st == GMOE_ESING)
            gmoe_note_add(note, "the experts' information is not positive definite; ");
    } else if (st == GMOE_OK) {
        double ratio = gmoe_identify_directions(m, L, A, GMOE_WEAK_RATIO, note);
        if (ratio == -INFINITY)
            st = gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu parameters)", P);
        else if (ratio > GMOE_FLAT_RATIO) {
            /* observed: A as it is, no second pass over the rows (the
             * sandwich's pass makes A and J together, which can differ
             * from this A in the last bits: as before) */
            gmoe_err e;
            st = method == GMOE_SE_OBSERVED ? gmoe_covariance_of(m, A, NULL, cov, &e)
                                            : gmoe_covariance(m, data, method, cov, NULL, &e);
            *identified = st == GMOE_OK;
            if (st != GMOE_ESING && st != GMOE_OK)
                st = gmoe_error(err, st, "%s", e.msg);
        }
        if (isnan(ratio))
            gmoe_note_add(note, "the information has entries that are not finite (covariates "
                                "or parameters at the edge of a double); ");
        if (st == GMOE_OK && !(ratio > GMOE_WEAK_RATIO)) {
            gmoe_note_add(note, *identified ? "weakly identified; "
                                : ratio <= 0 ? "not a maximum (a saddle) or not identified; "
                                             : "not identified; ");
            gmoe_identify_experts(m, data, note);
        }
    }
    free(A);
    return st == GMOE_ESING ? GMOE_OK : st;
}

/* se and the Wald intervals from the diagonal of cov. */
static void wald(gmoe_inference *inf, const double *cov)
{
    double z = GMOE_Z95;
    for (size_t j = 0; j < inf->p; j++) {
        double v = cov[j * inf->p + j];
        inf->se[j] = v > 0 && isfinite(v) ? sqrt(v) : NAN;
        inf->lower[j] = inf->estimate[j] - z * inf->se[j];
        inf->upper[j] = inf->estimate[j] + z * inf->se[j];
    }
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
    double *cov = cov_kept || method == GMOE_SE_NONE ? NULL : malloc(P * P * sizeof(double));
    if (!inf || (!cov_kept && method != GMOE_SE_NONE && !cov) || fill_names(m, &L, inf)) {
        gmoe_inference_free(inf);
        free(cov);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu parameters)", P);
    }
    if (cov_kept)
        cov = inf->cov;
    inf->method = method;
    int st = GMOE_OK;
    if (method != GMOE_SE_NONE) {
        gmoe_note note = {.len = 0};
        note.s[0] = '\0';
        if ((gmoe_family_properties(m->family) & GMOE_FAMILY_SELECTS) &&
            !gmoe_model_gate_selects_one(m))
            gmoe_note_add(&note, "top-K: standard errors are conditional on each row's selected "
                                 "set of experts; ");
        st = covariance_or_note(m, data, method, &L, cov, &inf->identified, &note, err);
        if (st == GMOE_OK && inf->identified)
            wald(inf, cov);
        if (st == GMOE_OK && !inf->identified && cov_kept)
            for (size_t j = 0; j < P * P; j++)
                cov[j] = NAN;
        if (note.len >= 2)
            note.s[note.len - 2] = '\0'; /* the last "; " */
        if (st == GMOE_OK && note.len && !(inf->note = gmoe_strdup(note.s)))
            st = gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    if (!cov_kept)
        free(cov);
    return gmoe_inference_attach(m, inf, st);
}
