/* gating.c -- code shared by the families' files (gating_*.c): linear
 * logits' derivatives and the gates of a block of rows.  The table
 * of families, which points to those files, is above them (families.c). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gating.h"
#include "internal.h"

/* gmoe_softmax_logits for rows of x (k, d: m's, GMOE_WITH_SHAPE). */
static inline __attribute__((always_inline)) void
softmax_logits_rows(size_t k, size_t d, const gmoe_model *m, const double *x, size_t nrows,
                    double *c)
{
    for (size_t r = 0; r < nrows; r++)
        gmoe_softmax_logits_row(m, k, d, x + r * d, c + r * 2 * k);
}

void gmoe_block_softmax_gates(const gmoe_model *m, const gmoe_gating *g, const double *x,
                              size_t nrows, double *c, double *lse, double *buf, double *work)
{
    size_t k = m->k, d = m->dg;
    if (g->block_logits)
        g->block_logits(m, x, nrows, c, 2 * k, work);
    else if (g->softmax_logits != gmoe_softmax_logits)
        for (size_t r = 0; r < nrows; r++)
            g->softmax_logits(m, x + r * d, c + r * 2 * k);
    else
        GMOE_WITH_SHAPE(softmax_logits_rows, k, d, m, x, nrows, c);
    gmoe_block_lse_weights(nrows, k, c, 2 * k, c + k, 2 * k, lse, buf);
    for (size_t r = 0; r < nrows; r++)
        for (size_t i = 0; i < k; i++)
            c[r * 2 * k + i] = gmoe_lse_sub(c[r * 2 * k + i], gmoe_block_lse_part(buf, nrows, r));
}
