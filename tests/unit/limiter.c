/* Unit tests for src/lib/limiter.c: an account's request budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "limiter.h"
#include "timeutil.h"

static void test_slots_beyond_the_limit_wait_and_time_out(void **state)
{
    dtc_limiter *l;
    uint64_t t[3];
    assert_int_equal(dtc_limiter_new(&l, 2), 0);
    assert_int_equal(dtc_limiter_acquire(l, 0, &t[0]), 0);
    assert_int_equal(dtc_limiter_acquire(l, 0, &t[1]), 0);
    int64_t t0 = dtc_mono_ms();
    assert_int_equal(dtc_limiter_acquire(l, 50, &t[2]), DTC_ERETRY);
    assert_true(dtc_mono_ms() - t0 >= 45);
    dtc_limiter_release(l, t[0], false, -1);
    assert_int_equal(dtc_limiter_acquire(l, 0, &t[2]), 0);
    dtc_limiter_stats st;
    dtc_limiter_stats_get(l, &st);
    assert_int_equal(st.peak_inflight, 2);
    assert_int_equal(st.requests, 3);
    dtc_limiter_free(l);
}

static void test_a_round_of_429s_halves_the_limit_once_and_pauses_everyone(void **state)
{
    dtc_limiter *l;
    uint64_t t[4];
    assert_int_equal(dtc_limiter_new(&l, 4), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(dtc_limiter_acquire(l, 0, &t[i]), 0);
    for (int i = 0; i < 4; i++)
        dtc_limiter_release(l, t[i], true, 0); /* four 429s of one round */
    dtc_limiter_stats st;
    dtc_limiter_stats_get(l, &st);
    assert_int_equal(st.limit, 2);
    assert_int_equal(st.halvings, 1);
    assert_int_equal(st.throttled, 4);
    /* Retry-After: 1 pauses every walk of the account for a second */
    assert_int_equal(dtc_limiter_acquire(l, 0, &t[0]), 0);
    dtc_limiter_release(l, t[0], true, 1);
    int64_t t0 = dtc_mono_ms();
    assert_int_equal(dtc_limiter_acquire(l, 5000, &t[0]), 0);
    assert_true(dtc_mono_ms() - t0 >= 900);
    dtc_limiter_release(l, t[0], false, -1);
    dtc_limiter_free(l);
}

static void test_successes_grow_the_limit_back_slowly_up_to_the_maximum(void **state)
{
    dtc_limiter *l;
    uint64_t t;
    assert_int_equal(dtc_limiter_new(&l, 4), 0);
    assert_int_equal(dtc_limiter_acquire(l, 0, &t), 0);
    dtc_limiter_release(l, t, true, 0); /* 4 -> 2 */
    dtc_limiter_stats st;
    for (int i = 0; i < 2; i++) { /* two successes at limit 2: 3 */
        assert_int_equal(dtc_limiter_acquire(l, 0, &t), 0);
        dtc_limiter_release(l, t, false, -1);
    }
    dtc_limiter_stats_get(l, &st);
    assert_int_equal(st.limit, 3);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(dtc_limiter_acquire(l, 0, &t), 0);
        dtc_limiter_release(l, t, false, -1);
    }
    dtc_limiter_stats_get(l, &st);
    assert_int_equal(st.limit, 4);
    dtc_limiter_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_beyond_the_limit_wait_and_time_out),
        cmocka_unit_test(test_a_round_of_429s_halves_the_limit_once_and_pauses_everyone),
        cmocka_unit_test(test_successes_grow_the_limit_back_slowly_up_to_the_maximum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
