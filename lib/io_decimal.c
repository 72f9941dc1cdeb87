/* io_decimal.c -- the common numbers of a data file without strtod: a
 * plain decimal ([sign] digits [point digits] [e [sign] digits]) of at
 * most 19 significant digits whose power of ten, once the point is
 * folded in, is within 10^-19 .. 10^19.  Such a number is m 10^q with m
 * < 2^64; m 10^q (q >= 0) or m 2^s / 10^-q is formed exactly in 128-bit
 * integers, and the result is rounded to nearest, ties to even, from its
 * leading bits and a sticky bit: the double strtod gives (checked against
 * strtod in tests/check_io.c).  On the 17 significant digits that %.17g
 * writes glibc's strtod takes its multiple-precision path: 85 ns a number
 * against 32 here (the 2e5 numbers of bench-flexmix.sh's k = 3, N = 1e5
 * file), and reading that file took 28 ms, now 13 (issue 18).  Anything
 * else is left to strtod. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "io.h"

#if defined(__SIZEOF_INT128__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_EXACT_DECIMAL 1
typedef unsigned __int128 u128;

#define MAX_DIGITS 19 /* 10^19 < 2^64 */
#define MAX_POWER 19  /* 10^19 < 2^64: a divisor, or a factor with m < 2^64 */

static const uint64_t pow10_u64[MAX_POWER + 1] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
    100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL};

static int bit_length(uint64_t x)
{
    return x ? 64 - __builtin_clzll(x) : 0;
}

/* The double nearest to (q + f) 2^e, f in [0, 1) nonzero iff sticky, q
 * of 54 to 64 bits; 0 when it would not be a normal double. */
static int round_bits(uint64_t q, int sticky, int e, double *v)
{
    int extra = bit_length(q) - 53;
    uint64_t half = 1ULL << (extra - 1), low = q & ((half << 1) - 1), m = q >> extra;
    if (low > half || (low == half && (sticky || (m & 1))))
        m++;
    if (m >> 53) { /* rounded up to 2^53 */
        m >>= 1;
        extra++;
    }
    int biased = e + extra + 52 + 1023; /* m in [2^52, 2^53) */
    if (biased < 1 || biased > 2046)
        return 0;
    uint64_t bits = ((uint64_t)biased << 52) | (m & ((1ULL << 52) - 1));
    memcpy(v, &bits, sizeof bits);
    return 1;
}

/* m 10^q (m > 0, |q| <= MAX_POWER) into *v. */
static int scale(uint64_t m, int q, double *v)
{
    if (q >= 0) {
        u128 x = (u128)m * pow10_u64[q];
        if (x < ((u128)1 << 53)) {
            *v = (double)(uint64_t)x; /* exact */
            return 1;
        }
        uint64_t hi = (uint64_t)(x >> 64);
        int shift = hi ? bit_length(hi) : 0;
        uint64_t top = (uint64_t)(x >> shift);
        int sticky = shift && (x & (((u128)1 << shift) - 1)) != 0;
        return round_bits(top, sticky, shift, v);
    }
    uint64_t d = pow10_u64[-q];
    int s = 54 + bit_length(d) - bit_length(m); /* the quotient gets 54 or 55 bits */
    if (s < 0)
        s = 0;
    u128 num = (u128)m << s;
    return round_bits((uint64_t)(num / d), num % d != 0, -s, v);
}

/* Are s[0..8) eight digits?  Then *v is their value, formed in one
 * 64-bit word (three multiplications instead of eight dependent ones). */
static int eight_digits(const char *s, uint64_t *v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, s, 8);
    if (((w + 0x4646464646464646ULL) | (w - 0x3030303030303030ULL)) & 0x8080808080808080ULL)
        return 0;
    w -= 0x3030303030303030ULL;
    w = w * 10 + (w >> 8); /* pairs of digits */
    w = (((w & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
         (((w >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >> 32;
    *v = w;
    return 1;
#else
    (void)s, (void)v;
    return 0;
#endif
}

/* The digits from s[*i] on appended to *m (leading zeros skipped, *sig
 * counting the others); *count: how many digits there were; 0 when there
 * are more than MAX_DIGITS significant ones.  Locals in the loop: a store
 * through a pointer might change the text (a char may alias anything). */
static int read_digits(const char *s, size_t n, size_t *i, uint64_t *m, int *sig, size_t *count)
{
    size_t j = *i;
    uint64_t v = *m;
    if (v == 0)
        while (j < n && s[j] == '0')
            j++;
    size_t first = j; /* the first significant digit */
    uint64_t eight;
    while (j + 8 <= n && eight_digits(s + j, &eight) && j + 8 - first <= MAX_DIGITS) {
        v = v * 100000000 + eight;
        j += 8;
    }
    for (; j < n && (unsigned)(s[j] - '0') < 10; j++)
        v = v * 10 + (uint64_t)(s[j] - '0');
    *sig += (int)(j - first);
    *count = j - *i;
    *i = j;
    *m = v;
    return *sig <= MAX_DIGITS;
}

int gmoe_io_decimal(const char *s, size_t n, char decimal, double *v)
{
    size_t i = 0, nint, nfrac = 0;
    int neg = 0, sig = 0, q = 0;
    uint64_t m = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (!read_digits(s, n, &i, &m, &sig, &nint))
        return 0;
    if (i < n && s[i] == decimal) {
        i++;
        if (!read_digits(s, n, &i, &m, &sig, &nfrac))
            return 0;
    }
    if (nint + nfrac == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        size_t j = i + 1, ndig = 0;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            eneg = s[j++] == '-';
        for (; j < n && s[j] >= '0' && s[j] <= '9' && ndig < 6; j++, ndig++)
            q = q * 10 + (s[j] - '0');
        if (ndig == 0 || ndig == 6) /* "1e" (strtod stops at the e), or a huge exponent */
            return 0;
        q = eneg ? -q : q;
        i = j;
    }
    if (i != n)
        return 0;
    q -= (int)nfrac;
    double x = 0.0;
    if (m != 0 && (q < -MAX_POWER || q > MAX_POWER || !scale(m, q, &x)))
        return 0;
    *v = neg ? -x : x;
    return 1;
}
#else
int gmoe_io_decimal(const char *s, size_t n, char decimal, double *v)
{
    (void)s, (void)n, (void)decimal, (void)v;
    return 0; /* strtod for every number */
}
#endif
