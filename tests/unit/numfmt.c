/* Unit tests for src/util/numfmt.c: micro-units and 15-digit quantities
 * written by hand give the bytes the printf forms they replace give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "numfmt.h"

static void micro(int64_t v, const char *want)
{
    char got[DTC_MICRO_MAX];
    size_t n = dtc_fmt_micro(got, v);
    assert_string_equal(got, want);
    assert_int_equal(n, strlen(want));
}

static void test_numfmt_micro_has_six_places_and_a_sign(void **state)
{
    (void)state;
    micro(0, "0.000000");
    micro(1, "0.000001");
    micro(-1, "-0.000001");
    micro(999999, "0.999999");
    micro(1000000, "1.000000");
    micro(-1500000, "-1.500000");
    micro(4407368, "4.407368");
    micro(238800000000, "238800.000000");
    micro(INT64_MAX, "9223372036854.775807");
    micro(INT64_MIN, "-9223372036854.775808");
}

/* What the export wrote before: libc's %.15g, or %.12f trimmed when %.15g
 * has an exponent. */
static void reference(char *dst, size_t n, double v)
{
    snprintf(dst, n, "%.15g", v);
    if (strchr(dst, 'e')) {
        snprintf(dst, n, "%.12f", v);
        char *e = dst + strlen(dst) - 1;
        while (e > dst && *e == '0')
            *e-- = '\0';
        if (*e == '.') *e = '\0';
    }
}

static int mismatches;

static void same(double v)
{
    char want[400], got[DTC_NUMFMT_MAX];
    reference(want, sizeof(want), v);
    size_t n = dtc_fmt_g15(got, v);
    if (strcmp(got, want) != 0 || n != strlen(got)) {
        if (mismatches++ < 10) print_error("%.17g: got %s, printf says %s\n", v, got, want);
    }
}

static void g15(double v, const char *want)
{
    char got[DTC_NUMFMT_MAX];
    dtc_fmt_g15(got, v);
    assert_string_equal(got, want);
    if (*want) same(v);
}

static void test_numfmt_g15_writes_plain_decimals(void **state)
{
    (void)state;
    mismatches = 0;
    g15(0.0, "0");
    g15(-0.0, "-0");
    g15(1.0, "1");
    g15(-1.0, "-1");
    g15(20.5, "20.5");
    g15(0.000001, "0.000001"); /* %.15g: 1e-06, so the plain form */
    g15(0.0001, "0.0001");
    g15(0.1, "0.1");       /* 0.1000000000000000055... */
    g15(0.1 + 0.2, "0.3"); /* 0.30000000000000004: rounded at 15 digits */
    g15(1.0 / 3, "0.333333333333333");
    g15(-2.0 / 3, "-0.666666666666667");
    g15(4.4073675, "4.4073675");
    g15(123456789012345.0, "123456789012345");
    g15(999999999999999.0, "999999999999999");
    g15(1e15, "1000000000000000"); /* %.15g: 1e+15 */
    g15(-9.2233720368547758e18, "-9223372036854775808");
    g15(123456789012345.5, "123456789012346"); /* a tie: to even (6) */
    g15(123456789012344.5, "123456789012344"); /* a tie: to even (4) */
    g15(9999999999999.9995, "10000000000000"); /* rounds up to the next power of ten */
    g15(1e-13, "0");                           /* below %.12f's last place */
    g15(6e-13, "0.000000000001");
    g15(-6e-13, "-0.000000000001");
    g15(1e300, ""); /* does not fit: nothing, not a cut number */
    assert_int_equal(mismatches, 0);
}

static void test_numfmt_g15_matches_printf_on_random_values(void **state)
{
    (void)state;
    mismatches = 0;
    uint64_t x = 88172645463325252ull; /* xorshift64: the same values every run */
    for (int i = 0; i < 500000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        switch (i % 5) {
        case 0: { /* any bit pattern of a finite double between 1e-6 and 1e16 */
            double v;
            uint64_t bits = (x & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(1003 + x % 74) << 52);
            memcpy(&v, &bits, sizeof(v));
            same(v);
            break;
        }
        case 1: /* usage the way Dynatrace sends it: a few decimals */
            same((double)(int64_t)(x % 2000000000000ull) / 1000.0);
            break;
        case 2:
            same((double)(int64_t)(x % 100000000000000000ull) / 1e6);
            break;
        case 3: /* sixteen digits, many of them ties and near-ties at the fifteenth */
            same((double)(x % 10000000000000000ull) / pow(10, (double)(x % 20)));
            break;
        default:
            same(-(double)(x % 1000000007ull) / 7.0);
        }
    }
    for (int p = -7; p <= 16; p++) { /* around the powers of ten, where the exponent changes */
        double v = pow(10, p), lo = v, hi = v;
        for (int k = 0; k < 4; k++, lo = nextafter(lo, 0), hi = nextafter(hi, INFINITY)) {
            same(lo);
            same(hi);
            same(-lo);
        }
    }
    same(1e26);
    same(-1e26);
    same(-DBL_MIN);
    same(DBL_TRUE_MIN);
    same(INFINITY);
    same(-INFINITY);
    same(NAN);
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numfmt_micro_has_six_places_and_a_sign),
        cmocka_unit_test(test_numfmt_g15_writes_plain_decimals),
        cmocka_unit_test(test_numfmt_g15_matches_printf_on_random_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
