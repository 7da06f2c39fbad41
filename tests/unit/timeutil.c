/* Unit tests for src/util/timeutil.c: calendar arithmetic and formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include "timeutil.h"

static void test_timeutil_days_round_trip_over_four_centuries(void **state)
{
    for (int64_t d = -146097; d <= 146097 * 2; d += 17) {
        int y, m, dd;
        dtc_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(dtc_days_from_civil(y, m, dd), d);
    }
    assert_int_equal(dtc_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(dtc_days_from_civil(2000, 3, 1), 11017);
}

static void test_timeutil_weekday_and_month_arithmetic(void **state)
{
    assert_int_equal(dtc_weekday(dtc_days_from_civil(2026, 11, 22)), 6); /* Sunday */
    assert_int_equal(dtc_weekday(dtc_days_from_civil(2026, 6, 15)), 0);  /* Monday */
    int y, m, d;
    dtc_civil_from_days(dtc_days_add_months(dtc_days_from_civil(2024, 1, 31), 1), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20240229);
    dtc_civil_from_days(dtc_days_add_months(dtc_days_from_civil(2026, 2, 1), -12), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20250201);
}

static void test_timeutil_formats_match_the_api(void **state)
{
    char d[11], dt[21], h[30];
    int64_t t = dtc_days_from_civil(2026, 6, 15) * 86400;
    dtc_fmt_date(d, t / 86400);
    dtc_fmt_datetime(dt, t + 2 * 3600 + 9 * 60);
    dtc_fmt_http_date(h, t);
    assert_string_equal(d, "2026-06-15");
    assert_string_equal(dt, "2026-06-15T02:09:00Z");
    assert_string_equal(h, "Mon, 15 Jun 2026 00:00:00 GMT");
}

static void test_timeutil_parses_and_rejects(void **state)
{
    int64_t t;
    assert_int_equal(dtc_parse_datetime("2021-05-01T15:11:00Z", &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2021, 5, 1) * 86400 + 15 * 3600 + 11 * 60);
    assert_int_equal(dtc_parse_datetime("2021-05-01T15:11:00.123Z", &t), 0);
    assert_int_equal(dtc_parse_datetime("2021-05-01T15:11Z", &t), 0);
    assert_int_equal(dtc_parse_datetime("2021-05-01", &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2021, 5, 1) * 86400);
    assert_int_equal(dtc_parse_datetime("2021-02-30T00:00:00Z", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_datetime("2021-05-01T25:00:00Z", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_datetime("2021-05-01T10:00:00+0x:00", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_datetime("2021-05-01T10:00:00+02:00:00", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_datetime("2021-05-01T10:00:00+24:00", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_datetime("yesterday", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_datetime(NULL, &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_date("2024-02-29", &t), 0);
    assert_int_equal(dtc_parse_date("2023-02-29", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_date("2024-02-29T00:00:00Z", &t), DTC_EPARSE);
}

static void test_timeutil_offsets_are_applied(void **state)
{
    int64_t t, utc = dtc_days_from_civil(2021, 5, 1) * 86400 + 8 * 3600;
    assert_int_equal(dtc_parse_datetime("2021-05-01T10:00:00+02:00", &t), 0);
    assert_int_equal(t, utc);
    assert_int_equal(dtc_parse_datetime("2021-05-01T10:00:00+0200", &t), 0);
    assert_int_equal(t, utc);
    assert_int_equal(dtc_parse_datetime("2021-05-01T02:30:00-05:30", &t), 0);
    assert_int_equal(t, utc);
    /* an offset can move the instant to the previous day */
    assert_int_equal(dtc_parse_datetime("2021-05-01T01:00:00+02:00", &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2021, 4, 30) * 86400 + 23 * 3600);
}

static void test_timeutil_when_takes_what_people_type(void **state)
{
    int64_t now = dtc_days_from_civil(2026, 11, 22) * 86400 + 6 * 3600 + 17, t;
    assert_int_equal(dtc_parse_when("today", now, &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2026, 11, 22) * 86400);
    assert_int_equal(dtc_parse_when("yesterday", now, &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2026, 11, 21) * 86400);
    assert_int_equal(dtc_parse_when("-30d", now, &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2026, 10, 23) * 86400);
    assert_int_equal(dtc_parse_when("-0d", now, &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2026, 11, 22) * 86400);
    assert_int_equal(dtc_parse_when("2026-02", now, &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2026, 2, 1) * 86400);
    assert_int_equal(dtc_parse_when("2026-11-20", now, &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2026, 11, 20) * 86400);
    assert_int_equal(dtc_parse_when("2026-11-20T12:00:00+01:00", now, &t), 0);
    assert_int_equal(t, dtc_days_from_civil(2026, 11, 20) * 86400 + 11 * 3600);
    assert_int_equal(dtc_parse_when("@1700000000", now, &t), 0);
    assert_int_equal(t, 1700000000);
    const char *bad[] = {"",
                         "tomorrow",
                         "Today",
                         "-30",
                         "-d",
                         "-30dd",
                         "-3x0d",
                         "-9999999999999d",
                         "@",
                         "@12a",
                         "2026-13",
                         "2026-00",
                         "2026-1",
                         "26-11",
                         "2026-11-20T12:00:00+01",
                         "@99999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (dtc_parse_when(bad[i], now, &t) != DTC_EPARSE) fail_msg("accepted '%s'", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeutil_days_round_trip_over_four_centuries),
        cmocka_unit_test(test_timeutil_weekday_and_month_arithmetic),
        cmocka_unit_test(test_timeutil_formats_match_the_api),
        cmocka_unit_test(test_timeutil_parses_and_rejects),
        cmocka_unit_test(test_timeutil_offsets_are_applied),
        cmocka_unit_test(test_timeutil_when_takes_what_people_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
