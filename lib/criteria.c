/* criteria.c -- AIC, BIC and ICL (all on the "lower is better" scale):
 *   AIC = -2 L + 2 p,   BIC = -2 L + p log n,
 *   ICL = BIC + 2 EN,   EN = -sum_n sum_i r_ni log r_ni  (classification entropy).
 * With case weights, n is the sum of the weights and EN's rows are
 * weighted, as for each row repeated w times. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

int gmoe_information_criteria(const gmoe_model *m, const gmoe_data *data,
                              gmoe_fit_info *info, gmoe_err *err)
{
    if (!data->y)
        return gmoe_error(err, GMOE_EINVAL, "information criteria need the response");
    size_t k = m->k, n = data->n;
    double *resp = malloc(k * sizeof(double));
    if (!resp)
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    double entropy = 0.0;
    for (size_t r = 0; r < n; r++) {
        if (data->w && data->w[r] == 0.0)
            continue;
        gmoe_responsibilities_gx(m, data->x + r * data->d, gmoe_gate_row(data, r), data->y[r], resp);
        double c = data->w ? data->w[r] : 1.0; /* times 1: the unweighted bits */
        for (size_t i = 0; i < k; i++)
            if (resp[i] > 0)
                entropy -= c * resp[i] * log(resp[i]);
    }
    free(resp);
    double p = (double)gmoe_model_npar(m), L = info->loglik;
    info->npar = gmoe_model_npar(m);
    info->n = n;
    info->nobs = gmoe_data_total_weight(data);
    info->aic = -2 * L + 2 * p;
    info->bic = -2 * L + p * log(info->nobs);
    info->icl = info->bic + 2 * entropy;
    return GMOE_OK;
}
