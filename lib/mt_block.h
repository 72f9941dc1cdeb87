/* mt_block.h -- the Mersenne twister MT19937 with GSL's seeding
 * (gsl_rng_mt19937: the same numbers for the same seed), made 624 at a
 * time in vector loops (private interface of mt_block.c). */
#ifndef GMOE_MT_BLOCK_H
#define GMOE_MT_BLOCK_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#define GMOE_MT_N 624

typedef struct {
    uint32_t mt[GMOE_MT_N];  /* the generator's state */
    uint32_t out[GMOE_MT_N]; /* the tempered numbers of the last twist */
    size_t pos;              /* the next of out to hand out */
} gmoe_mt;

/* Seeds s as gsl_rng_set(r, seed) seeds a gsl_rng_mt19937 r. */
void gmoe_mt_seed(gmoe_mt *s, unsigned long seed);

/* The next GMOE_MT_N numbers into s->out (s->pos = 0). */
void gmoe_mt_refill(gmoe_mt *s);

/* gsl_rng_get's number. */
static inline uint32_t gmoe_mt_get(gmoe_mt *s)
{
    if (s->pos == GMOE_MT_N)
        gmoe_mt_refill(s);
    return s->out[s->pos++];
}

/* gsl_rng_uniform's number, in [0, 1). */
static inline double gmoe_mt_uniform(gmoe_mt *s)
{
    return gmoe_mt_get(s) / 4294967296.0;
}

/* A gsl_rng over s, for GSL's samplers (gsl_ran_gaussian_ziggurat
 * ...): they draw the same numbers from it as from a gsl_rng_mt19937
 * seeded alike.  r is filled in; nothing to free. */
void gmoe_mt_as_gsl(gmoe_mt *s, gsl_rng *r);

#endif
