/* io_cell.c -- the text of one CSV cell: a number (with a decimal point
 * or comma), a missing value, and the same text made safe to quote in a
 * one-line message.  Numbers are parsed with strtod, which follows
 * LC_NUMERIC: the library never calls setlocale, so this is the C locale
 * unless the calling program changed it. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The white space strtod skips before a number in the C locale. */
static int is_c_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

void gmoe_io_trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank(**s))
        (*s)++, (*n)--;
    while (*n > 0 && is_blank((*s)[*n - 1]))
        (*n)--;
}

int gmoe_io_is_missing(const char *s, size_t n)
{
    gmoe_io_trim(&s, &n);
    return n == 0 || (n == 2 && memcmp(s, "NA", 2) == 0) || (n == 3 && memcmp(s, "NaN", 3) == 0) ||
           (n == 1 && s[0] == '.');
}

/* Longest cell text taken for a number: far more digits than a double
 * holds, and a copy on the stack when the decimal mark is a comma. */
#define NUMBER_MAX 256

int gmoe_io_parse_plain(const char *s, size_t n, char decimal, double *v)
{
    gmoe_io_trim(&s, &n);
    return n > 0 && n < NUMBER_MAX && gmoe_io_decimal(s, n, decimal, v);
}

gmoe_cell_class gmoe_io_parse_cell(const char *text, size_t n, char decimal, double *v)
{
    if (gmoe_io_parse_plain(text, n, decimal, v))
        return GMOE_CELL_OK;
    *v = NAN;
    const char *s = text;
    gmoe_io_trim(&s, &n);
    if (gmoe_io_is_missing(s, n))
        return GMOE_CELL_MISSING;
    /* strtod would skip other white space (a quoted newline) and accept
     * hexadecimal; neither belongs in a data cell. */
    if (is_c_space(s[0]) || n >= NUMBER_MAX)
        return GMOE_CELL_NAN;
    char copy[NUMBER_MAX];
    memcpy(copy, s, n);
    copy[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (copy[i] == 'x' || copy[i] == 'X' || (decimal == ',' && copy[i] == '.'))
            return GMOE_CELL_NAN;
        if (decimal == ',' && copy[i] == ',')
            copy[i] = '.';
    }
    errno = 0;
    char *end;
    double x = strtod(copy, &end);
    if (end != copy + n)
        return GMOE_CELL_NAN;
    if (errno == ERANGE && isinf(x))
        return GMOE_CELL_RANGE;
    if (!isfinite(x))
        return GMOE_CELL_NONFINITE;
    *v = x; /* underflow to a subnormal or zero is accepted */
    return GMOE_CELL_OK;
}

gmoe_cell_class gmoe_io_parse_number(const char *text, double *v)
{
    return gmoe_io_parse_cell(text, strlen(text), '.', v);
}

const char *gmoe_io_escape(const char *s, size_t max, char *buf, size_t len)
{
    size_t used = 0, shown = 0;
    const char *p = s;
    for (; *p && shown < max; p++, shown++) {
        unsigned char c = (unsigned char)*p;
        char one[8];
        if (c == '\n' || c == '\r' || c == '\t')
            snprintf(one, sizeof one, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
        else if (c < 0x20 || c == 0x7f)
            snprintf(one, sizeof one, "\\x%02x", c);
        else
            one[0] = (char)c, one[1] = '\0';
        size_t w = strlen(one);
        if (used + w + 4 > len) /* room for "..." and the NUL */
            break;
        memcpy(buf + used, one, w);
        used += w;
    }
    if (*p && used + 4 <= len)
        memcpy(buf + used, "...", 3), used += 3;
    buf[used] = '\0';
    return buf;
}
