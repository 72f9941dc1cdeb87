/* mt_block.c -- the Mersenne twister MT19937 (Matsumoto and Nishimura
 * 1998) seeded as GSL seeds gsl_rng_mt19937 (the 2002 initialization,
 * seed 0 taken as 4357), so that a simulation keeps its numbers; the
 * state is twisted and the numbers tempered a block of 624 at a time in
 * vector loops, and handed out from the block (issue 18: GSL's generator,
 * a call through its type table per number with the twist and tempering
 * inside, was 5% of the reference grid's CPU). */
#include "mt_block.h"

#define MT_M 397
#define UPPER 0x80000000u
#define LOWER 0x7fffffffu
#define MATRIX_A 0x9908b0dfu

void gmoe_mt_seed(gmoe_mt *s, unsigned long seed)
{
    if (seed == 0)
        seed = 4357;
    s->mt[0] = (uint32_t)(seed & 0xffffffffUL);
    for (uint32_t i = 1; i < GMOE_MT_N; i++)
        s->mt[i] = 1812433253u * (s->mt[i - 1] ^ (s->mt[i - 1] >> 30)) + i;
    s->pos = GMOE_MT_N;
}

/* mt[i]'s new value from its old upper bit, mt[i + 1]'s lower bits and
 * the word far (MT_M ahead, wrapping). */
static inline uint32_t twist(uint32_t cur, uint32_t next, uint32_t far)
{
    uint32_t y = (cur & UPPER) | (next & LOWER);
    return far ^ (y >> 1) ^ ((y & 1u) ? MATRIX_A : 0u);
}

void gmoe_mt_refill(gmoe_mt *s)
{
    uint32_t *mt = s->mt, *out = s->out;
    size_t i = 0;
    /* far: a word not yet twisted */
    for (; i < GMOE_MT_N - MT_M; i++)
        mt[i] = twist(mt[i], mt[i + 1], mt[i + MT_M]);
    /* far: a word twisted 227 places back, so chunks of fewer words are
     * independent */
    for (; i < GMOE_MT_N - 1; i++)
        mt[i] = twist(mt[i], mt[i + 1], mt[i + MT_M - GMOE_MT_N]);
    mt[GMOE_MT_N - 1] = twist(mt[GMOE_MT_N - 1], mt[0], mt[MT_M - 1]);
#pragma omp simd
    for (size_t t = 0; t < GMOE_MT_N; t++) {
        uint32_t k = mt[t];
        k ^= k >> 11;
        k ^= (k << 7) & 0x9d2c5680u;
        k ^= (k << 15) & 0xefc60000u;
        k ^= k >> 18;
        out[t] = k;
    }
    s->pos = 0;
}

static void mt_set(void *state, unsigned long seed)
{
    gmoe_mt_seed(state, seed);
}

static unsigned long mt_get(void *state)
{
    return gmoe_mt_get(state);
}

static double mt_get_double(void *state)
{
    return gmoe_mt_uniform(state);
}

static const gsl_rng_type mt_block_type = {"gmoe_mt_block", 0xffffffffUL, 0, sizeof(gmoe_mt),
                                           mt_set, mt_get, mt_get_double};

void gmoe_mt_as_gsl(gmoe_mt *s, gsl_rng *r)
{
    r->type = &mt_block_type;
    r->state = s;
}
