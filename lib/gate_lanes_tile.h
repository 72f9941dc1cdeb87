/* gate_lanes_tile.h -- hess_pairs' register tile over the chunks of a
 * block for one vector width (private to gate_lanes.c, which includes it
 * once per width).
 *
 * Before each inclusion gate_lanes.c defines (and this file undefines at
 * its end):
 *   TILE_NAME(x)  the tile's name for x (e.g. x##_half);
 *   TILE_NL       doubles in one of its vectors: LANES (the whole lane
 *                 sums, one AVX-512 register) or LANES / 2 (half of
 *                 them, one AVX2 register: with 16 registers the whole
 *                 lanes' tiles spilled their sums to the stack every
 *                 chunk).
 * A tile of TILE_NL lanes does the lanes h .. h + TILE_NL - 1 of each
 * sum; each lane adds the same terms in the same order for either width
 * (lane l the rows l, l + LANES, ...), so the sums have the same bits. */

typedef double TILE_NAME(vec)
    __attribute__((vector_size(TILE_NL * sizeof(double)), aligned(sizeof(double)), may_alias));

/* p[0..TILE_NL-1] */
static inline __attribute__((always_inline)) TILE_NAME(vec) TILE_NAME(load)(const double *p)
{
    TILE_NAME(vec) v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* JN pairs (i, j0), ..., (i, j0 + JN - 1) of hess_pairs, lanes h .. h +
 * TILE_NL - 1 of their sums in registers over the chunks; if sg is not
 * NULL (the tile of the pair (i, i)), also expert i's gradient sums sg
 * and moments sm, from its responsibilities rc (chunk()'s). */
static inline __attribute__((always_inline)) void
TILE_NAME(pair_tile)(size_t d, size_t i, size_t j0, size_t JN, const double *g, size_t ld,
                     const double *x, const lanes *rsv, size_t nch, lanes *sh, const double *rc,
                     lanes *sg, lanes *sm, size_t h)
{
    size_t t_n = nprod(d);
    TILE_NAME(vec) acc[4][3], sgm[4] = {{0}};
#pragma GCC unroll 4
    for (size_t jj = 0; jj < JN; jj++)
#pragma GCC unroll 3
        for (size_t t = 0; t < t_n; t++)
            acc[jj][t] = TILE_NAME(load)((const double *)(sh + jj * t_n + t) + h);
    for (size_t u = 0; sg && u <= d; u++) {
        sgm[u] = TILE_NAME(load)((const double *)(sg + u) + h);
        sgm[2 + u] = TILE_NAME(load)((const double *)(sm + u) + h);
    }
    for (size_t ch = 0; ch < nch; ch++) {
        size_t r = ch * LANES + h;
        TILE_NAME(vec) gi = TILE_NAME(load)(g + i * ld + r), xv = {0}, x2 = {0};
        TILE_NAME(vec) a = TILE_NAME(load)((const double *)(rsv + ch) + h) * gi;
        if (d) {
            xv = TILE_NAME(load)(x + r);
            x2 = xv * xv;
        }
        if (sg) { /* as chunk() sums them (a not fused into wg: the same bits) */
            TILE_NAME(vec) ri = TILE_NAME(load)(rc + r), wg = ri - a;
            sgm[0] += wg;
            sgm[2] += ri;
            if (d) {
                sgm[1] += wg * xv;
                sgm[3] += ri * xv;
            }
        }
#pragma GCC unroll 4
        for (size_t jj = 0; jj < JN; jj++) {
            size_t j = j0 + jj;
            TILE_NAME(vec) wt = j == i ? -a * (1.0 - gi) : a * TILE_NAME(load)(g + j * ld + r);
            acc[jj][0] += wt; /* z_0 z_0 = 1 */
            if (d) {
                acc[jj][1] += wt * xv;
                acc[jj][2] += wt * x2;
            }
        }
    }
#pragma GCC unroll 4
    for (size_t jj = 0; jj < JN; jj++)
#pragma GCC unroll 3
        for (size_t t = 0; t < t_n; t++)
            memcpy((double *)(sh + jj * t_n + t) + h, &acc[jj][t], sizeof acc[jj][t]);
    for (size_t u = 0; sg && u <= d; u++) {
        memcpy((double *)(sg + u) + h, &sgm[u], sizeof sgm[u]);
        memcpy((double *)(sm + u) + h, &sgm[2 + u], sizeof sgm[u]);
    }
}

#undef TILE_NAME
#undef TILE_NL
