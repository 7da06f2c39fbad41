/* Unit tests for src/lib/schedule.c: cron fields (lists, ranges, steps,
 * names, macros), the day-of-month OR day-of-week rule, intervals, and the
 * refusals with the field named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dtcost/schedule.h"
#include "timeutil.h"

static int64_t at(const char *iso)
{
    int64_t t = 0;
    assert_int_equal(dtc_parse_datetime(iso, &t), 0);
    return t;
}

static void next_is(const char *cron, const char *after, const char *want)
{
    dtc_schedule s;
    char err[256];
    assert_int_equal(dtc_schedule_parse(&s, cron, 0, err, sizeof(err)), 0);
    char got[21];
    dtc_fmt_datetime(got, dtc_schedule_next(&s, at(after)));
    assert_string_equal(got, want);
}

static void test_schedule_cron_next_times(void **state)
{
    (void)state;
    next_is("17 */4 * * *", "2026-11-22T06:00:00Z", "2026-11-22T08:17:00Z");
    next_is("17 */4 * * *", "2026-11-22T08:17:00Z", "2026-11-22T12:17:00Z"); /* strictly after */
    next_is("*/15 * * * *", "2026-11-22T06:59:59Z", "2026-11-22T07:00:00Z");
    next_is("0 2 * * mon-fri", "2026-11-21T12:00:00Z",
            "2026-11-23T02:00:00Z"); /* Saturday -> Monday */
    next_is("0 0 1 jan,jul *", "2026-11-22T00:00:00Z", "2027-01-01T00:00:00Z");
    next_is("30 6 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T06:30:00Z");
    next_is("0 12 * * 7", "2026-11-22T12:00:00Z", "2026-11-29T12:00:00Z"); /* 7 is Sunday */
    next_is("5-10/5 1 * * *", "2026-11-22T01:06:00Z", "2026-11-22T01:10:00Z");
    next_is("@daily", "2026-11-22T06:00:00Z", "2026-11-23T00:00:00Z");
    next_is("@hourly", "2026-11-22T06:00:00Z", "2026-11-22T07:00:00Z");
    /* both day fields restricted: either matches (the 15th, or a Monday) */
    next_is("0 0 15 * 1", "2026-11-10T00:00:00Z", "2026-11-15T00:00:00Z");
    next_is("0 0 15 * 1", "2026-11-15T00:00:00Z", "2026-11-16T00:00:00Z");
}

static void test_schedule_interval_and_never(void **state)
{
    (void)state;
    dtc_schedule s;
    char err[256];
    assert_int_equal(dtc_schedule_parse(&s, NULL, 90, err, sizeof(err)), 0);
    assert_int_equal(dtc_schedule_next(&s, 1000), 1090);
    assert_int_equal(dtc_schedule_parse(&s, "0 0 30 2 *", 0, err, sizeof(err)), 0);
    assert_int_equal(dtc_schedule_next(&s, at("2026-01-01T00:00:00Z")), -1);
}

static void refused(const char *cron, const char *field)
{
    dtc_schedule s;
    char err[256] = "";
    assert_int_equal(dtc_schedule_parse(&s, cron, 0, err, sizeof(err)), DTC_EINVAL);
    assert_non_null(strstr(err, field));
}

static void test_schedule_refusals_name_the_field(void **state)
{
    (void)state;
    refused("60 * * * *", "minute");
    refused("* 24 * * *", "hour");
    refused("* * 0 * *", "day of month");
    refused("* * * 13 *", "month");
    refused("* * * * 8", "day of week");
    refused("* * * * funday", "day of week");
    refused("*/0 * * * *", "minute");
    refused("5-1 * * * *", "minute");
    refused("* * * *", "4 fields");
    dtc_schedule s;
    char err[64];
    assert_int_equal(dtc_schedule_parse(&s, NULL, 0, err, sizeof(err)), DTC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_cron_next_times),
        cmocka_unit_test(test_schedule_interval_and_never),
        cmocka_unit_test(test_schedule_refusals_name_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
