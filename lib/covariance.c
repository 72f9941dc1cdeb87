/* covariance.c -- the covariance of the maximum-likelihood estimates from
 * the observed information (MODELS.md section 4): public entry points
 * gmoe_loglik_derivatives and gmoe_covariance.
 *
 * A scale-free family (GMOE_FAMILY_SCALE_FREE: temperature) with tau
 * estimated: the likelihood is invariant under
 * (beta, tau) -> c (beta, tau), so the information is singular along
 * that direction; gmoe's normalization ||beta1 - mean||_F = 1 (slopes
 * centred over the k experts, gating_temperature.c) fixes it.  The
 * information is projected onto the constraint's tangent space (an
 * orthonormal basis Z of the vectors orthogonal to its gradient):
 * cov = Z (Z'AZ)^-1 Z', A = minus the Hessian. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "derivatives.h"
#include "gating.h"
#include "internal.h"

static int check_args(const gmoe_model *m, const gmoe_data *data, gmoe_err *err)
{
    if (!m || !data)
        return gmoe_error(err, GMOE_EINVAL, "missing model or data");
    int st = gmoe_model_check(m, err);
    if (st)
        return st;
    if (!data->y)
        return gmoe_error(err, GMOE_EINVAL, "the data have no response column");
    if ((st = gmoe_data_match_model(data, m, err)))
        return st;
    if (gmoe_rows_total(data) < 1) /* sharded: a process may hold none */
        return gmoe_error(err, GMOE_EDATA, "the data have no rows");
    return GMOE_OK;
}

static int derivs_status(int st, const gmoe_derivs *dv, gmoe_err *err)
{
    if (st == GMOE_ENOMEM)
        return gmoe_error(err, st, "out of memory computing the log-likelihood's derivatives");
    if (st)
        return gmoe_error(err, st, "the log-likelihood is not finite (%g) at this model",
                          dv->loglik);
    return GMOE_OK;
}

int gmoe_loglik_derivatives(const gmoe_model *m, const gmoe_data *data, int nthreads,
                            double *loglik, double *grad, double *hess, double *scores,
                            gmoe_err *err)
{
    int st = check_args(m, data, err);
    if (st)
        return st;
    gmoe_derivs dv = {.grad = grad, .hess = hess, .scores = scores};
    st = derivs_status(gmoe_derivs_compute(m, data, nthreads, &dv), &dv, err);
    if (loglik)
        *loglik = dv.loglik;
    return st;
}

/* Z (P x r, row-major): the identity (r = P), or with tau estimated in a
 * scale-free family (temperature) an orthonormal basis of the complement of the gradient of
 * the normalization's ||beta1 - mean||_F^2 (r = P - 1), from a Householder reflection. */
static size_t tangent_basis(const gmoe_model *m, const gmoe_layout *L, double *Z)
{
    size_t P = L->P;
    memset(Z, 0, P * P * sizeof(double));
    double *c = calloc(P, sizeof(double));
    size_t top = 0;
    double norm = 0.0;
    if (c)
        gmoe_layout_scale_gradient(L, m, c); /* else (and on failure) zero: the identity */
    for (size_t j = 0; c && j < P; j++) {
        norm += c[j] * c[j];
        if (fabs(c[j]) > fabs(c[top]))
            top = j;
    }
    if (!(norm > 0)) {
        for (size_t j = 0; j < P; j++)
            Z[j * P + j] = 1.0;
        free(c);
        return P;
    }
    /* w = u + sign(u_top) e_top, H = I - 2ww'/w'w; H's columns other than
     * top span the complement of u. */
    norm = sqrt(norm);
    for (size_t j = 0; j < P; j++)
        c[j] /= norm;
    c[top] += c[top] >= 0 ? 1.0 : -1.0;
    double ww = 0.0;
    for (size_t j = 0; j < P; j++)
        ww += c[j] * c[j];
    for (size_t a = 0; a < P; a++)
        for (size_t b = 0, col = 0; b < P; b++) {
            if (b == top)
                continue;
            Z[a * (P - 1) + col++] = (a == b) - 2.0 * c[a] * c[b] / ww;
        }
    free(c);
    return P - 1;
}

/* cov = Z (Z'AZ)^-1 Z' (A = minus the Hessian), then for the sandwich
 * cov J cov.  GMOE_ESING when Z'AZ is not positive definite. */
static int invert_information(const gmoe_model *m, const gmoe_layout *L, double *A,
                              const double *J, double *cov, double *work, gmoe_err *err)
{
    size_t P = L->P;
    double *Z = work, *B = Z + P * P, *tmp = B + P * P;
    size_t r = tangent_basis(m, L, Z);
    gmoe_matmul(A, 0, Z, 0, P, P, r, tmp); /* B = Z'AZ */
    gmoe_matmul(Z, 1, tmp, 0, r, P, r, B);
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)r, B, (lapack_int)r);
    if (info == 0)
        info = LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', (lapack_int)r, B, (lapack_int)r);
    if (info != 0) {
        char name[64] = "";
        if (info > 0 && r == P)
            gmoe_param_name(m, (size_t)info - 1, name, sizeof name);
        return gmoe_error(err, GMOE_ESING,
                          "the observed information is not positive definite%s%s: not a strict "
                          "maximum, or parameters that are not identified (over-specified k, "
                          "tiny or duplicate experts, a top-K gate with K = 1)",
                          name[0] ? " (first failing pivot: " : "", name[0] ? name : "");
    }
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < i; j++)
            B[i * r + j] = B[j * r + i];
    gmoe_matmul(Z, 0, B, 0, P, r, r, tmp); /* cov = Z B^-1 Z' */
    gmoe_matmul(tmp, 0, Z, 1, P, r, P, cov);
    if (!J)
        return GMOE_OK;
    gmoe_matmul(cov, 0, J, 0, P, P, P, A); /* cov J cov, A as scratch */
    gmoe_matmul(A, 0, cov, 0, P, P, P, tmp);
    memcpy(cov, tmp, P * P * sizeof(double));
    return GMOE_OK;
}

int gmoe_covariance_of(const gmoe_model *m, double *A, const double *J, double *cov, gmoe_err *err)
{
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    double *work = malloc(3 * L.P * L.P * sizeof(double));
    if (!work)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu parameters)", L.P);
    int st = invert_information(m, &L, A, J, cov, work, err);
    free(work);
    return st;
}

int gmoe_covariance(const gmoe_model *m, const gmoe_data *data, gmoe_se_kind kind, double *cov,
                    size_t *p_out, gmoe_err *err)
{
    int st = check_args(m, data, err);
    if (st)
        return st;
    if (kind != GMOE_SE_OBSERVED && kind != GMOE_SE_SANDWICH)
        return gmoe_error(err, GMOE_EINVAL, "unknown standard-error kind %d", (int)kind);
    if (!cov)
        return gmoe_error(err, GMOE_EINVAL, "no output matrix");
    gmoe_layout L;
    gmoe_layout_init(&L, m);
    size_t P = L.P;
    if (p_out)
        *p_out = P;
    double *buf = malloc(2 * P * P * sizeof(double));
    if (!buf)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory (%zu parameters)", P);
    gmoe_derivs dv = {.hess = buf, .opg = kind == GMOE_SE_SANDWICH ? buf + P * P : NULL};
    st = derivs_status(gmoe_derivs_compute(m, data, 0, &dv), &dv, err);
    for (size_t j = 0; st == GMOE_OK && j < P * P; j++)
        buf[j] = -buf[j];
    if (st == GMOE_OK)
        st = gmoe_covariance_of(m, buf, dv.opg, cov, err);
    free(buf);
    return st;
}
