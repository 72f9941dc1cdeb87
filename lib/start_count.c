/* start_count.c -- how many random starts a fit makes.
 *
 * Random starts are cheap on small data, and small data have the most
 * local maxima: on 300 rows of a k = 3 model with variances 100 times
 * apart, 4 of 20 seeds of 100 starts each run to the end, and 7 of 10
 * seeds of 10 starts, missed the best maximum (NEWS, issue 11).  So the
 * automatic number of starts screens at least GMOE_AUTO_START_ROWS rows in
 * all: n = 300 gets 100 starts (0.06 s there), n >= 3000 the usual 10.
 */
#include "gmoe.h"

size_t gmoe_random_starts(const gmoe_em_options *opt, size_t n, int given_start)
{
    if (opt->restarts > 0 || given_start)
        return opt->restarts > 0 ? opt->restarts : 1;
    size_t small = n > 0 ? (GMOE_AUTO_START_ROWS + n - 1) / n : GMOE_SMALL_DATA_STARTS;
    if (small > GMOE_SMALL_DATA_STARTS)
        small = GMOE_SMALL_DATA_STARTS;
    return small > GMOE_AUTO_STARTS ? small : GMOE_AUTO_STARTS;
}
