/* params.h -- the free parameters of a model in the order of MODELS.md
 * section 4 (private interface of params.c, derivatives.c, covariance.c
 * and the second-order phase of the fit).
 *
 * For each expert i = 0..k-1: beta0_i, beta1_i (dg, the gate's
 * covariates), a_i (d), b_i,
 * sigma2_i, leaving out what the family pins (beta0 and beta1 of the last
 * expert in softmax, topk and temperature; beta0 alone in activation);
 * then tau when it is estimated. */
#ifndef GMOE_PARAMS_H
#define GMOE_PARAMS_H

#include <stddef.h>

#include "gmoe.h"

typedef struct {
    size_t k, d, P;        /* P: number of free parameters */
    size_t dg;             /* gate covariates (m->dg) */
    int pins_last_slope;   /* the family pins beta1 of the last expert */
    int has_tau;           /* tau is the last parameter */
} gmoe_layout;

/* Fills the layout of m's free parameters. */
void gmoe_layout_init(gmoe_layout *L, const gmoe_model *m);

/* Free gate entries of expert i (0, dg or dg + 1). */
static inline size_t gmoe_layout_gate_free(const gmoe_layout *L, size_t i)
{
    if (i + 1 < L->k)
        return L->dg + 1;
    return L->pins_last_slope ? 0 : L->dg;
}

/* Index of expert i's first free parameter. */
static inline size_t gmoe_layout_offset(const gmoe_layout *L, size_t i)
{
    return i * (L->dg + L->d + 3); /* the experts before the last are complete */
}

/* Index of gate entry u of expert i (u = 0: beta0, 1..dg: beta1), or -1
 * when it is pinned. */
static inline long gmoe_layout_gate(const gmoe_layout *L, size_t i, size_t u)
{
    if (i + 1 < L->k)
        return (long)(gmoe_layout_offset(L, i) + u);
    if (u == 0 || L->pins_last_slope)
        return -1;
    return (long)(gmoe_layout_offset(L, i) + u - 1);
}

/* Index of expert i's parameter s (0..d-1: a, d: b, d + 1: sigma2). */
static inline size_t gmoe_layout_expert(const gmoe_layout *L, size_t i, size_t s)
{
    return gmoe_layout_offset(L, i) + gmoe_layout_gate_free(L, i) + s;
}

/* The free parameters of m into theta[P] (sigma2 as the variance). */
void gmoe_layout_pack(const gmoe_layout *L, const gmoe_model *m, double *theta);
/* Back into m (the pinned entries set to zero). */
void gmoe_layout_unpack(const gmoe_layout *L, gmoe_model *m, const double *theta);

/* A scale-free family (temperature) with tau estimated: the gradient of
 * half its normalization's ||beta1 - mean||_F^2 in the free parameters,
 * i.e. the centred slopes at the free slopes' places, into c[P] (zero
 * elsewhere); returns 1.  Any other model: c left alone, returns 0;
 * -1, c left alone, when out of memory. */
int gmoe_layout_scale_gradient(const gmoe_layout *L, const gmoe_model *m, double *c);

#endif
