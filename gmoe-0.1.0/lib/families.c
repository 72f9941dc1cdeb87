/* families.c -- the family table, the top of the gating layer: the one
 * list of families (gating_*.c, below it), what it says about each family
 * (name, options, pinned slopes), and setting a model's tau through the
 * family's own parameter layout. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gating.h"
#include "internal.h"

/* The family table, indexed by the enum: the one list of families. */
static const gmoe_gating *const families[GMOE_NFAMILIES] = {
    [GMOE_SOFTMAX] = &gmoe_gating_softmax,
    [GMOE_TOPK] = &gmoe_gating_topk,
    [GMOE_TEMPERATURE] = &gmoe_gating_temperature,
    [GMOE_ACTIVATION] = &gmoe_gating_activation,
};

const gmoe_gating *gmoe_gating_get(gmoe_family f)
{
    return (unsigned)f < GMOE_NFAMILIES ? families[f] : NULL;
}

unsigned gmoe_family_options(gmoe_family f)
{
    const gmoe_gating *g = gmoe_gating_get(f);
    return g ? g->options : 0;
}

int gmoe_family_has_tau(gmoe_family f)
{
    return (gmoe_family_options(f) & GMOE_FAMILY_OPT_TAU) != 0;
}

int gmoe_family_pins_slopes(gmoe_family f)
{
    const gmoe_gating *g = gmoe_gating_get(f);
    return g && g->pins_last_slope;
}

unsigned gmoe_family_properties(gmoe_family f)
{
    const gmoe_gating *g = gmoe_gating_get(f);
    return g ? g->properties | (g->split ? GMOE_FAMILY_SPLITS : 0u) : 0;
}

int gmoe_model_gate_selects_one(const gmoe_model *m)
{
    return m && (gmoe_family_properties(m->family) & GMOE_FAMILY_SELECTS) && m->top_k == 1 &&
           m->k > 1;
}

const char *gmoe_family_name(gmoe_family f)
{
    const gmoe_gating *g = gmoe_gating_get(f);
    return g ? g->name : "unknown";
}

int gmoe_family_from_name(const char *name)
{
    for (int f = 0; name && f < GMOE_NFAMILIES; f++)
        if (strcmp(families[f]->name, name) == 0)
            return f;
    return -1;
}

/* Appends s to buf as snprintf would; *len counts the whole text. */
static void append(char *buf, size_t size, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + 1 < size) {
        size_t room = size - 1 - *len;
        memcpy(buf + *len, s, n < room ? n : room);
        buf[*len + (n < room ? n : room)] = '\0';
    }
    *len += n;
}

size_t gmoe_family_list(unsigned options, const char *quote, const char *sep, const char *last_sep, char *buf,
                        size_t size)
{
    size_t len = 0, count = 0, total = 0;
    if (buf && size)
        buf[0] = '\0';
    else
        size = 0;
    for (int f = 0; f < GMOE_NFAMILIES; f++)
        total += (families[f]->options & options) == options;
    for (int f = 0; f < GMOE_NFAMILIES; f++) {
        if ((families[f]->options & options) != options)
            continue;
        if (count++)
            append(buf, size, &len, count == total ? last_sep : sep);
        append(buf, size, &len, quote);
        append(buf, size, &len, families[f]->name);
        append(buf, size, &len, quote);
    }
    return len;
}

int gmoe_model_set_tau(gmoe_model *m, double tau)
{
    const gmoe_gating *g = m ? gmoe_gating_get(m->family) : NULL;
    if (!g || !(g->options & GMOE_FAMILY_OPT_TAU) || !(tau > 0) || !isfinite(tau))
        return GMOE_EINVAL;
    /* The family's theta, taken at the old tau and read back at the new
     * one: temperature's theta is beta / tau, activation's is beta (plus
     * log tau when estimated, which unpack would restore: tau is set
     * again after it). */
    double *theta = malloc(g->npar(m) * sizeof(double));
    if (!theta)
        return GMOE_ENOMEM;
    g->pack(m, theta);
    m->tau = tau;
    g->unpack(m, theta);
    m->tau = tau;
    free(theta);
    return GMOE_OK;
}

void gmoe_model_start_tau(gmoe_model *m, double start_tau, int tau_estimated)
{
    if (!gmoe_family_has_tau(m->family) || start_tau == m->tau)
        return;
    double tau = m->tau;
    m->tau = start_tau;
    if (!tau_estimated && gmoe_model_set_tau(m, tau) != GMOE_OK)
        m->tau = tau; /* a bad tau: the fit's own checks report it */
}
