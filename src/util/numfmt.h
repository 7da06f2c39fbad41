/* numfmt.h: numbers as the plain decimals dtcost's files show, written by
 * hand (no printf on the hot path of an export) and byte for byte what the
 * printf forms they replace write. */
#ifndef DTC_NUMFMT_H
#define DTC_NUMFMT_H
#include <stddef.h>
#include <stdint.h>

/* Room for any result of dtc_fmt_micro, and of dtc_fmt_g15, NUL included. */
#define DTC_MICRO_MAX 24
#define DTC_NUMFMT_MAX 40

/* Micro-units as a plain decimal with exactly six places: 1500000 ->
 * "1.500000", -1 -> "-0.000001", INT64_MIN -> "-9223372036854.775808".
 * Writes a NUL-terminated string into dst (DTC_MICRO_MAX bytes) and
 * returns its length. */
size_t dtc_fmt_micro(char *dst, int64_t micro);

/* v with 15 significant digits as a plain decimal, never an exponent: the
 * bytes of printf("%.15g") when that has no exponent (exact binary value
 * rounded half to even, trailing zeros dropped, "-0" for negative zero),
 * else printf("%.12f") with trailing zeros and a trailing '.' dropped.
 * Values from 1e-4 to below 1e15 in magnitude are formatted in integers;
 * the rest (and NaN, infinities) go through snprintf. Writes a
 * NUL-terminated string into dst (DTC_NUMFMT_MAX bytes) and returns its
 * length; a value of magnitude 1e27 or more does not fit and gives "" (0). */
size_t dtc_fmt_g15(char *dst, double v);

#endif
