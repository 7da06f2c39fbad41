/* numfmt.c: plain decimals without printf: micro-units in integers, and
 * doubles rounded to 15 significant digits in 128-bit integer arithmetic. */
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t dtc_fmt_micro(char *dst, int64_t micro)
{
    char tmp[32], *p = tmp + sizeof(tmp);
    uint64_t a = micro < 0 ? (uint64_t)0 - (uint64_t)micro : (uint64_t)micro;
    for (int i = 0; i < 6; i++, a /= 10)
        *--p = (char)('0' + a % 10);
    *--p = '.';
    do
        *--p = (char)('0' + a % 10);
    while ((a /= 10) != 0);
    if (micro < 0) *--p = '-';
    size_t len = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(dst, p, len);
    dst[len] = '\0';
    return len;
}

/* What %.15g does not write plainly (exponents, NaN, infinities) and what
 * the integer path does not cover: libc's own digits. */
static size_t slow_g15(char *dst, double v)
{
    char tmp[400]; /* %.12f of the largest double has 309 integer digits */
    int n = snprintf(tmp, sizeof(tmp), "%.15g", v);
    if (strchr(tmp, 'e')) {
        n = snprintf(tmp, sizeof(tmp), "%.12f", v);
        while (n > 0 && tmp[n - 1] == '0')
            n--;
        if (n > 0 && tmp[n - 1] == '.') n--;
    }
    if (n < 0 || n > DTC_NUMFMT_MAX - 1) n = 0; /* a number cut short would be a wrong one */
    memcpy(dst, tmp, (size_t)n);
    dst[n] = '\0';
    return (size_t)n;
}

static const uint64_t pow10u[20] = {1ull,
                                    10ull,
                                    100ull,
                                    1000ull,
                                    10000ull,
                                    100000ull,
                                    1000000ull,
                                    10000000ull,
                                    100000000ull,
                                    1000000000ull,
                                    10000000000ull,
                                    100000000000ull,
                                    1000000000000ull,
                                    10000000000000ull,
                                    100000000000000ull,
                                    1000000000000000ull,
                                    10000000000000000ull,
                                    100000000000000000ull,
                                    1000000000000000000ull,
                                    10000000000000000000ull};

size_t dtc_fmt_g15(char *dst, double v)
{
    if (v == 0) {
        size_t n = signbit(v) ? 2 : 1;
        memcpy(dst, signbit(v) ? "-0" : "0", n + 1);
        return n;
    }
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e15)) return slow_g15(dst, v); /* NaN lands here too */
    int e2;
    double f = frexp(a, &e2);                           /* a = f x 2^e2, f in [0.5, 1) */
    uint64_t m = (uint64_t)ldexp(f, 53);                /* exact: 53 bits */
    int k = 53 - e2;                                    /* a = m / 2^k, k in [4, 67] here */
    int e = (int)floor((e2 - 1) * 0.30102999566398120); /* log10(a), or one below */
    unsigned __int128 num = 0, q = 0;
    for (int tries = 0; tries < 3; tries++) { /* settle e so that q has exactly 15 digits */
        int s = 14 - e;
        if (s < 0 || s > 19) return slow_g15(dst, v);
        num = (unsigned __int128)m * pow10u[s];
        q = num >> k;
        if (q < pow10u[14])
            e--;
        else if (q >= pow10u[15])
            e++;
        else
            break;
    }
    if (q < pow10u[14] || q >= pow10u[15]) return slow_g15(dst, v);
    unsigned __int128 rem = num & (((unsigned __int128)1 << k) - 1),
                      half = (unsigned __int128)1 << (k - 1);
    if (rem > half || (rem == half && (q & 1))) q++; /* to nearest, ties to even, as glibc */
    if (q == pow10u[15]) {
        q = pow10u[14];
        e++;
    }
    if (e > 14 || e < -4) return slow_g15(dst, v); /* %.15g would use an exponent */
    char digits[15];
    uint64_t d = (uint64_t)q;
    for (int i = 14; i >= 0; i--, d /= 10)
        digits[i] = (char)('0' + d % 10);
    int last = 14; /* the last significant digit that is not a trailing zero */
    while (last > 0 && digits[last] == '0')
        last--;
    char *p = dst;
    if (v < 0) *p++ = '-';
    if (e >= 0) {
        memcpy(p, digits, (size_t)e + 1);
        p += e + 1;
        if (last > e) {
            *p++ = '.';
            memcpy(p, digits + e + 1, (size_t)(last - e));
            p += last - e;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = -1; i > e; i--)
            *p++ = '0';
        memcpy(p, digits, (size_t)last + 1);
        p += last + 1;
    }
    *p = '\0';
    return (size_t)(p - dst);
}
