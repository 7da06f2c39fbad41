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
    assert_int_equal(dtc_parse_datetime("2021-05-01T10:00:00+02:00", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_datetime("yesterday", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_datetime(NULL, &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_date("2024-02-29", &t), 0);
    assert_int_equal(dtc_parse_date("2023-02-29", &t), DTC_EPARSE);
    assert_int_equal(dtc_parse_date("2024-02-29T00:00:00Z", &t), DTC_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeutil_days_round_trip_over_four_centuries),
        cmocka_unit_test(test_timeutil_weekday_and_month_arithmetic),
        cmocka_unit_test(test_timeutil_formats_match_the_api),
        cmocka_unit_test(test_timeutil_parses_and_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
