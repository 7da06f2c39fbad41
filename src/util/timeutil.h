/* timeutil.h: UTC calendar arithmetic and the date formats Dynatrace uses. */
#ifndef DTC_TIMEUTIL_H
#define DTC_TIMEUTIL_H
#include <stdint.h>

#include "dtcost/errors.h"

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t dtc_days_from_civil(int y, int m, int d);
void dtc_civil_from_days(int64_t days, int *y, int *m, int *d);
/* 0 = Monday ... 6 = Sunday. */
int dtc_weekday(int64_t days);
/* Add months to a day number, clamping the day of month (Jan 31 + 1 = Feb 28). */
int64_t dtc_days_add_months(int64_t days, int months);

/* "2026-11-20" (11 bytes with NUL). */
void dtc_fmt_date(char dst[11], int64_t days);
/* "2026-11-20T02:09:00Z" from epoch seconds (21 bytes). */
void dtc_fmt_datetime(char dst[21], int64_t epoch_s);
/* "Mon, 15 Jun 2026 00:00:00 GMT" (30 bytes). */
void dtc_fmt_http_date(char dst[30], int64_t epoch_s);

/* Parse "YYYY-MM-DD" into a day number. */
int dtc_parse_date(const char *s, int64_t *out) DTC_MUST_CHECK;
/* Parse RFC 3339 "YYYY-MM-DDTHH:MM[:SS[.fff]]" ending in Z or a numeric
 * offset (+01:00, -0530), or a bare date (UTC midnight), into epoch seconds;
 * fractional seconds are dropped. */
int dtc_parse_datetime(const char *s, int64_t *out) DTC_MUST_CHECK;
/* The one date parser for what people type (every --since/--until/--now):
 * what dtc_parse_datetime takes, "YYYY-MM" (the month's first day), "today",
 * "yesterday", "-Nd" (N days before today), "@EPOCH"; the relative forms
 * count from now (epoch seconds) and give UTC midnight. DTC_EPARSE else. */
int dtc_parse_when(const char *s, int64_t now, int64_t *out) DTC_MUST_CHECK;

/* Monotonic milliseconds, for latencies and deadlines. */
int64_t dtc_mono_ms(void);

#endif
