/* rate_init.c -- "near-truth" starting values of the convergence-rate
 * experiments, exactly as the reference experiment (shared MODELS.md
 * section 3, NeurIPS 2023 paper): fitted experts assigned to true ones,
 * each started at its true values plus noise that shrinks with N. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "internal.h"

/* Noise scales of MODELS.md section 3. */
#define NT_GATE_SD 0.005   /* * N^-0.083: beta0, beta1 (and tau) */
#define NT_EXPERT_SD 0.05  /* * N^-0.083: b, a */
#define NT_VAR_SD 0.005    /* * N^-0.25: |N(0, sd^2)| added to sigma2 */

/* Fitted expert -> true expert: the last to the last; a random
 * permutation (order[], k-1 entries of scratch) of the others, whose first
 * k*-1 cover true experts 0..k*-2 once each, the rest going to uniformly
 * drawn true experts. */
static void assign_experts(gsl_rng *rng, size_t k, size_t kstar, size_t *order, size_t *assign)
{
    for (size_t i = 0; i + 1 < k; i++)
        order[i] = i;
    if (k > 2)
        gsl_ran_shuffle(rng, order, k - 1, sizeof *order);
    for (size_t p = 0; p + 1 < k; p++)
        assign[order[p]] = p + 1 < kstar ? p : (size_t)gsl_rng_uniform_int(rng, kstar);
    assign[k - 1] = kstar - 1;
}

int gmoe_rate_init_near_truth(const gmoe_model *truth, size_t n, uint64_t seed,
                              gmoe_model *start, size_t *assign, gmoe_err *err)
{
    if (!truth || !start)
        return gmoe_error(err, GMOE_EINVAL, "missing true or starting model");
    if (start->family != truth->family || start->d != truth->d)
        return gmoe_error(err, GMOE_EINVAL, "the fit (%s, d = %zu) and the truth (%s, d = %zu) differ in family or d",
                          gmoe_family_name(start->family), start->d, gmoe_family_name(truth->family), truth->d);
    if (start->k < truth->k)
        return gmoe_error(err, GMOE_EINVAL, "near-truth starts need k >= k* (k = %zu, k* = %zu)", start->k, truth->k);
    if (n < 1)
        return gmoe_error(err, GMOE_EINVAL, "near-truth starts need N >= 1");
    size_t k = start->k, kstar = truth->k, d = truth->d;
    size_t *scratch = malloc(2 * k * sizeof *scratch);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!scratch || !rng) {
        free(scratch);
        gsl_rng_free(rng);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    if (!assign)
        assign = scratch + k;
    gsl_rng_set(rng, (unsigned long)seed);
    /* Pinned gate of the last expert: both entries in softmax, topk and
     * temperature, beta0 only in activation. */
    int pin_beta1 = gmoe_family_pins_slopes(truth->family);
    double nn = (double)n;
    double sd_gate = NT_GATE_SD * pow(nn, -0.083);
    double sd_expert = NT_EXPERT_SD * pow(nn, -0.083);
    double sd_var = NT_VAR_SD * pow(nn, -0.25);

    /* The truth in its pinned form (gates minus the last expert's). */
    double ref0 = truth->beta0[kstar - 1];
    const double *ref1 = truth->beta1 + (kstar - 1) * d;
    assign_experts(rng, k, kstar, scratch, assign);
    for (size_t i = 0; i < k; i++) {
        size_t j = assign[i];
        int last = i + 1 == k;
        start->beta0[i] = last ? 0.0 : truth->beta0[j] - ref0 + gsl_ran_gaussian(rng, sd_gate);
        for (size_t c = 0; c < d; c++) {
            double t1 = truth->beta1[j * d + c] - (pin_beta1 ? ref1[c] : 0.0);
            start->beta1[i * d + c] = last && pin_beta1 ? 0.0 : t1 + gsl_ran_gaussian(rng, sd_gate);
        }
        start->b[i] = truth->b[j] + gsl_ran_gaussian(rng, sd_expert);
        for (size_t c = 0; c < d; c++)
            start->a[i * d + c] = truth->a[j * d + c] + gsl_ran_gaussian(rng, sd_expert);
        start->sigma2[i] = truth->sigma2[j] + fabs(gsl_ran_gaussian(rng, sd_var));
    }
    if (start->tau_estimated) {
        double tau = truth->tau + gsl_ran_gaussian(rng, sd_gate);
        start->tau = tau >= truth->tau / 2 ? tau : truth->tau / 2;
    }
    gsl_rng_free(rng);
    free(scratch);
    return GMOE_OK;
}
