/* Unit tests for src/util/buf.c: growth, caps, ownership, allocation failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"

static void test_buf_appends_and_terminates(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 1024);
    assert_int_equal(dtc_buf_adds(&b, "abc"), 0);
    assert_int_equal(dtc_buf_printf(&b, "-%d-", 42), 0);
    assert_int_equal(dtc_buf_addc(&b, 'z'), 0);
    assert_string_equal(b.data, "abc-42-z");
    assert_int_equal(b.len, 8);
    dtc_buf_dispose(&b);
}

static void test_buf_refuses_past_cap_and_keeps_content(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 10);
    assert_int_equal(dtc_buf_adds(&b, "0123456789"), 0);
    assert_int_equal(dtc_buf_addc(&b, 'x'), DTC_ETOOBIG);
    assert_int_equal(dtc_buf_printf(&b, "%s", "y"), DTC_ETOOBIG);
    assert_string_equal(b.data, "0123456789");
    /* A huge length must not wrap around the cap check. */
    assert_int_equal(dtc_buf_add(&b, "", SIZE_MAX), DTC_ETOOBIG);
    dtc_buf_dispose(&b);
}

static void test_buf_take_hands_over_and_empties(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 100);
    assert_int_equal(dtc_buf_adds(&b, "hello"), 0);
    size_t len;
    char *p = dtc_buf_take(&b, &len);
    assert_string_equal(p, "hello");
    assert_int_equal(len, 5);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    dtc_free(p);
    p = dtc_buf_take(&b, &len); /* empty buffer gives "" */
    assert_string_equal(p, "");
    dtc_free(p);
}

static void test_buf_reports_allocation_failure(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 1 << 20);
    dtc_alloc_fail_at(1);
    assert_int_equal(dtc_buf_adds(&b, "x"), DTC_ENOMEM);
    assert_int_equal(dtc_buf_adds(&b, "x"), 0);
    assert_string_equal(b.data, "x");
    dtc_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_appends_and_terminates),
        cmocka_unit_test(test_buf_refuses_past_cap_and_keeps_content),
        cmocka_unit_test(test_buf_take_hands_over_and_empties),
        cmocka_unit_test(test_buf_reports_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
