/* io_number.c -- numbers in model files: the shortest decimal text that
 * reads back as the same double. */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"

/* The shortest of 15, 16 or 17 significant digits that reads back as the
 * same double (17 always does), so files stay readable ("0.09", not
 * "0.089999999999999997") and still round-trip bit for bit.  jansson
 * prints reals independently of the locale. */
int gmoe_io_number_text(double v, char *buf, size_t len)
{
    for (int prec = 15; prec <= 17; prec++) {
        json_t *j = json_real(v);
        char *s = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_REAL_PRECISION(prec)) : NULL;
        json_decref(j);
        if (!s)
            return 0;
        json_t *back = prec < 17 ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
        double w = back ? json_number_value(back) : 0;
        json_decref(back);
        if (prec == 17 || memcmp(&w, &v, sizeof v) == 0) {
            /* jansson marks integral reals with ".0"; "-8" reads back as
             * the same double (integers print exactly below 1e17, above
             * which an exponent is used), except for -0, which keeps it */
            size_t n = strlen(s);
            if (n > 2 && strcmp(s + n - 2, ".0") == 0 && !(v == 0 && signbit(v)))
                s[n - 2] = '\0';
            int ok = snprintf(buf, len, "%s", s) < (int)len;
            free(s);
            return ok;
        }
        free(s);
    }
    return 0;
}
