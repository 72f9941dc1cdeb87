/* inference_record.c -- the gmoe_inference record: allocation, copy and
 * release (what gmoe_inference_compute and gmoe_bootstrap fill, and a
 * model file's "inference" key holds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void gmoe_inference_free(gmoe_inference *inf)
{
    if (!inf)
        return;
    if (inf->names)
        for (size_t j = 0; j < inf->p; j++)
            free(inf->names[j]);
    free(inf->names);
    free(inf->estimate);
    free(inf->se);
    free(inf->lower);
    free(inf->upper);
    free(inf->cov);
    free(inf->note);
    free(inf->boot_se);
    free(inf->boot_lower);
    free(inf->boot_upper);
    free(inf);
}

static double *nan_vector(size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof(double));
    for (size_t j = 0; v && j < n; j++)
        v[j] = NAN;
    return v;
}

/* Allocates the bootstrap columns of inf (NaN). */
static int alloc_boot(gmoe_inference *inf)
{
    inf->boot_se = nan_vector(inf->p);
    inf->boot_lower = nan_vector(inf->p);
    inf->boot_upper = nan_vector(inf->p);
    return inf->boot_se && inf->boot_lower && inf->boot_upper ? GMOE_OK : GMOE_ENOMEM;
}

gmoe_inference *gmoe_inference_alloc(size_t p, int with_cov, int with_boot)
{
    gmoe_inference *inf = calloc(1, sizeof *inf);
    if (!inf)
        return NULL;
    inf->p = p;
    inf->method = GMOE_SE_NONE;
    inf->level = 0.95;
    inf->names = calloc(p ? p : 1, sizeof(char *));
    inf->estimate = nan_vector(p);
    inf->se = nan_vector(p);
    inf->lower = nan_vector(p);
    inf->upper = nan_vector(p);
    int ok = inf->names && inf->estimate && inf->se && inf->lower && inf->upper;
    if (ok && with_cov)
        ok = (inf->cov = nan_vector(p * p)) != NULL;
    if (ok && with_boot)
        ok = alloc_boot(inf) == GMOE_OK;
    if (!ok) {
        gmoe_inference_free(inf);
        return NULL;
    }
    return inf;
}

static int copy_vector(double **dst, const double *src, size_t n)
{
    if (!src)
        return 1;
    if (!(*dst = malloc((n ? n : 1) * sizeof(double))))
        return 0;
    memcpy(*dst, src, n * sizeof(double));
    return 1;
}

gmoe_inference *gmoe_inference_clone(const gmoe_inference *src)
{
    if (!src)
        return NULL;
    gmoe_inference *inf = gmoe_inference_alloc(src->p, src->cov != NULL, 0);
    if (!inf)
        return NULL;
    size_t p = src->p;
    inf->method = src->method;
    inf->level = src->level;
    inf->identified = src->identified;
    inf->boot_type = src->boot_type;
    inf->boot_replicates = src->boot_replicates;
    inf->boot_ok = src->boot_ok;
    inf->boot_seed = src->boot_seed;
    memcpy(inf->estimate, src->estimate, p * sizeof(double));
    memcpy(inf->se, src->se, p * sizeof(double));
    memcpy(inf->lower, src->lower, p * sizeof(double));
    memcpy(inf->upper, src->upper, p * sizeof(double));
    if (src->cov)
        memcpy(inf->cov, src->cov, p * p * sizeof(double));
    int ok = copy_vector(&inf->boot_se, src->boot_se, p) &&
             copy_vector(&inf->boot_lower, src->boot_lower, p) &&
             copy_vector(&inf->boot_upper, src->boot_upper, p);
    for (size_t j = 0; ok && j < p; j++)
        ok = !src->names[j] || (inf->names[j] = gmoe_strdup(src->names[j])) != NULL;
    if (ok && src->note)
        ok = (inf->note = gmoe_strdup(src->note)) != NULL;
    if (!ok) {
        gmoe_inference_free(inf);
        return NULL;
    }
    return inf;
}

int gmoe_inference_attach(gmoe_model *m, gmoe_inference *inf, int status)
{
    if (status != GMOE_OK) {
        gmoe_inference_free(inf);
        return status;
    }
    gmoe_inference_free(m->inference);
    m->inference = inf;
    return GMOE_OK;
}
