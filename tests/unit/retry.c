/* Unit tests for src/lib/retry.c: jitter bounds with a seeded generator, the
 * cap, Retry-After (numbers, HTTP-dates, hostile values) and a sleep a flag
 * cancels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "dtcost/retry.h"
#include "timeutil.h"

#define SEED 0x5eedULL

static void test_retry_jitter_stays_in_bounds(void **state)
{
    (void)state;
    dtc_backoff eq, full, none;
    dtc_backoff_init(&eq, 500, 30000, 300000, DTC_JITTER_EQUAL, SEED);
    dtc_backoff_init(&full, 500, 30000, 300000, DTC_JITTER_FULL, SEED);
    dtc_backoff_init(&none, 500, 30000, 300000, DTC_JITTER_NONE, SEED);
    for (int round = 0; round < 200; round++) {
        for (int k = 0; k < 12; k++) {
            int64_t exp = (int64_t)500 << k;
            if (exp > 30000) exp = 30000;
            int64_t e = dtc_backoff_next(&eq, k, -1), f = dtc_backoff_next(&full, k, -1);
            assert_true(e >= exp / 2 && e <= exp);
            assert_true(f >= 0 && f <= exp);
            assert_int_equal(dtc_backoff_next(&none, k, -1), exp);
        }
    }
    /* Decorrelated: between base and three times the previous delay, capped. */
    dtc_backoff dec;
    dtc_backoff_init(&dec, 100, 5000, 0, DTC_JITTER_DECORRELATED, SEED);
    int64_t prev = 100;
    bool reached_cap_region = false;
    for (int k = 0; k < 500; k++) {
        int64_t d = dtc_backoff_next(&dec, k, -1);
        int64_t hi = prev * 3 > 5000 ? 5000 : prev * 3;
        assert_true(d >= 100 && d <= hi);
        reached_cap_region |= d > 2500;
        prev = d;
    }
    assert_true(reached_cap_region); /* it does grow, not stay at the base */
}

static void test_retry_same_seed_same_delays(void **state)
{
    (void)state;
    dtc_backoff a, b, c;
    dtc_backoff_init(&a, 500, 30000, 0, DTC_JITTER_FULL, SEED);
    dtc_backoff_init(&b, 500, 30000, 0, DTC_JITTER_FULL, SEED);
    dtc_backoff_init(&c, 500, 30000, 0, DTC_JITTER_FULL, SEED + 1);
    int differ = 0;
    for (int k = 0; k < 20; k++) {
        int64_t x = dtc_backoff_next(&a, k, -1), y = dtc_backoff_next(&b, k, -1),
                z = dtc_backoff_next(&c, k, -1);
        assert_int_equal(x, y);
        differ += x != z;
    }
    assert_true(differ > 10);
}

static void test_retry_cap_holds_for_any_retry_number(void **state)
{
    (void)state;
    dtc_backoff b;
    dtc_backoff_init(&b, 500, 30000, 0, DTC_JITTER_NONE, SEED);
    assert_int_equal(dtc_backoff_next(&b, 0, -1), 500);
    assert_int_equal(dtc_backoff_next(&b, 3, -1), 4000);
    assert_int_equal(dtc_backoff_next(&b, 6, -1), 30000);
    assert_int_equal(dtc_backoff_next(&b, 63, -1), 30000);
    assert_int_equal(dtc_backoff_next(&b, 1 << 30, -1), 30000);
    /* A base above the cap: the cap wins. */
    dtc_backoff_init(&b, 600000, 30000, 0, DTC_JITTER_NONE, SEED);
    assert_int_equal(dtc_backoff_next(&b, 0, -1), 30000);
    /* A huge base and cap do not overflow while doubling. */
    dtc_backoff_init(&b, INT64_MAX / 3, INT64_MAX, 0, DTC_JITTER_NONE, SEED);
    assert_int_equal(dtc_backoff_next(&b, 5, -1), INT64_MAX);
}

static void test_retry_after_wins_up_to_its_cap(void **state)
{
    (void)state;
    dtc_backoff b;
    dtc_backoff_init(&b, 500, 30000, 300000, DTC_JITTER_NONE, SEED);
    assert_int_equal(dtc_backoff_next(&b, 0, 7), 7000);  /* longer: wins */
    assert_int_equal(dtc_backoff_next(&b, 6, 7), 30000); /* shorter: the backoff stands */
    assert_int_equal(dtc_backoff_next(&b, 0, 0), 500);
    assert_int_equal(dtc_backoff_next(&b, 0, 86400), 300000);    /* capped */
    assert_int_equal(dtc_backoff_next(&b, 0, LONG_MAX), 300000); /* no overflow */
    b.retry_after_exact = true; /* license fetch: obeyed as it stands */
    assert_int_equal(dtc_backoff_next(&b, 6, 7), 7000);
    assert_int_equal(dtc_backoff_next(&b, 6, -1), 30000);
}

static long parsed(const char *v, time_t now)
{
    long s = 12345;
    int rc = dtc_retry_after_parse(&s, v, now);
    if (rc) {
        assert_int_equal(rc, DTC_EPARSE);
        assert_int_equal(s, -1);
    }
    return s;
}

static void test_retry_after_parse_edges(void **state)
{
    (void)state;
    int64_t now = 0;
    assert_int_equal(dtc_parse_datetime("2026-11-22T06:00:00Z", &now), 0);
    assert_int_equal(parsed("120", now), 120);
    assert_int_equal(parsed(" 0 ", now), 0);
    assert_int_equal(parsed("007", now), 7);
    assert_int_equal(parsed("86400", now), 86400);
    assert_int_equal(parsed("86401", now), DTC_RETRY_AFTER_MAX_S);
    assert_int_equal(parsed("99999999999999999999", now), DTC_RETRY_AFTER_MAX_S);
    assert_int_equal(parsed("9999999999999999999999999999999999999999999999", now),
                     DTC_RETRY_AFTER_MAX_S);
    /* HTTP-dates: IMF-fixdate and the two obsolete forms. */
    assert_int_equal(parsed("Sun, 22 Nov 2026 06:02:00 GMT", now), 120);
    assert_int_equal(parsed("Sunday, 22-Nov-26 06:00:30 GMT", now), 30);
    assert_int_equal(parsed("Sun Nov 22 06:01:00 2026", now), 60);
    assert_int_equal(parsed("Sat, 21 Nov 2026 06:00:00 GMT", now), 0); /* past: now */
    assert_int_equal(parsed("Fri, 01 Jan 2100 00:00:00 GMT", now), DTC_RETRY_AFTER_MAX_S);
    /* Refused: the caller treats it as absent. */
    assert_int_equal(parsed("", now), -1);
    assert_int_equal(parsed("   ", now), -1);
    assert_int_equal(parsed("-5", now), -1);
    assert_int_equal(parsed("12s", now), -1);
    assert_int_equal(parsed("1.5", now), -1);
    assert_int_equal(parsed("soon", now), -1);
    assert_int_equal(parsed(NULL, now), -1);
    char longdate[200];
    memset(longdate, 'A', sizeof(longdate) - 1);
    longdate[sizeof(longdate) - 1] = '\0';
    assert_int_equal(parsed(longdate, now), -1);
}

static volatile sig_atomic_t flag;

static void *set_flag_soon(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    flag = 1;
    return NULL;
}

static void test_retry_sleep_ends_when_cancelled(void **state)
{
    (void)state;
    /* Not cancelled: the whole wait. */
    flag = 0;
    int64_t t0 = dtc_mono_ms();
    assert_int_equal(dtc_sleep_ms(120, &flag), 0);
    assert_true(dtc_mono_ms() - t0 >= 120);
    assert_int_equal(dtc_sleep_ms(-5, NULL), 0);
    /* Already cancelled: returns at once. */
    flag = 1;
    assert_int_equal(dtc_sleep_ms(60000, &flag), 1);
    /* Cancelled while asleep: a ten-minute wait ends within a slice or so,
     * (a generous bound: the machine may be loaded). */
    flag = 0;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, set_flag_soon, NULL), 0);
    t0 = dtc_mono_ms();
    assert_int_equal(dtc_sleep_ms(600000, &flag), 1);
    assert_true(dtc_mono_ms() - t0 < 30000);
    pthread_join(th, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_jitter_stays_in_bounds),
        cmocka_unit_test(test_retry_same_seed_same_delays),
        cmocka_unit_test(test_retry_cap_holds_for_any_retry_number),
        cmocka_unit_test(test_retry_after_wins_up_to_its_cap),
        cmocka_unit_test(test_retry_after_parse_edges),
        cmocka_unit_test(test_retry_sleep_ends_when_cancelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
