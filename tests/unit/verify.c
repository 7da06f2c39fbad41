/* Unit tests for src/lib/verify.c: a database built through the store
 * interface from tests/data/verify/one_of_each.facts, with exactly one
 * discrepancy of each check planted (and one within the rounding tolerance
 * that must not count), gives each check's count and the details a FinOps
 * analyst would read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testdb.h"
#include "dtcost/verify.h"
#include "facts.h"

static char db_path[256];

static int setup(void **state)
{
    dtc_store *s = testdb_open(db_path, sizeof(db_path), "verify");
    assert_non_null(s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    testdb_close(*state, db_path);
    return 0;
}

typedef struct found {
    dtc_discrepancy d[16];
    size_t n;
} found;

static void keep(void *ctx, const dtc_discrepancy *d)
{
    found *f = ctx;
    if (f->n < 16) f->d[f->n++] = *d;
}

static const dtc_discrepancy *of(const found *f, dtc_check c)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->d[i].check == c) return &f->d[i];
    fail_msg("no discrepancy of check \"%s\"", dtc_verify_check_name(c));
    static const dtc_discrepancy none; /* not reached: fail_msg ends the test */
    return &none;
}

static void test_each_planted_discrepancy_is_counted_once_by_its_check(void **state)
{
    dtc_store *s = *state;
    assert_int_equal(facts_load(s, "verify/one_of_each.facts"), 0);
    found f = {.n = 0};
    dtc_verify_summary sum;
    assert_int_equal(dtc_verify_run(s, &sum, keep, &f), 0);
    assert_int_equal(sum.subscriptions, 1);
    assert_int_equal(sum.days, 6);
    for (int c = 0; c < DTC_CHECK_COUNT; c++)
        if (sum.by_check[c] != 1)
            fail_msg("check \"%s\" counted %ld, planted 1", dtc_verify_check_name((dtc_check)c),
                     sum.by_check[c]);
    assert_int_equal(sum.discrepancies, DTC_CHECK_COUNT);
    assert_int_equal(f.n, DTC_CHECK_COUNT);
}

static void test_each_discrepancy_names_its_day_environment_amounts_and_tolerance(void **state)
{
    dtc_store *s = *state;
    assert_int_equal(facts_load(s, "verify/one_of_each.facts"), 0);
    found f = {.n = 0};
    dtc_verify_summary sum;
    assert_int_equal(dtc_verify_run(s, &sum, keep, &f), 0);

    const dtc_discrepancy *d = of(&f, DTC_CHECK_ENV_SUM);
    assert_string_equal(d->day, "2026-11-03");
    assert_int_equal(d->expected, 100);
    assert_int_equal(d->actual, 104);
    assert_int_equal(d->rows, 2);
    assert_int_equal(d->tolerance, 2);
    assert_string_equal(d->what, "environment costs != daily cost");

    d = of(&f, DTC_CHECK_MISSING_DAY);
    assert_string_equal(d->subscription, "sub-1");
    assert_string_equal(d->day, "2026-11-04");
    assert_string_equal(d->table, "cost_day");

    d = of(&f, DTC_CHECK_ENV_DAY);
    assert_string_equal(d->day, "2026-11-06");
    assert_int_equal(d->expected, 50);

    d = of(&f, DTC_CHECK_ENV_GAP);
    assert_string_equal(d->environment, "env-b");
    assert_string_equal(d->day, "2026-11-02");
    assert_int_equal(d->actual, 300); /* what the other environments add up to */

    d = of(&f, DTC_CHECK_ENV_ORPHAN);
    assert_string_equal(d->day, "2026-11-08");
    assert_int_equal(d->actual, 9);

    d = of(&f, DTC_CHECK_CURRENCY);
    assert_string_equal(d->currency, "USD");
    assert_string_equal(d->table, "cost_day");
    assert_int_equal(d->actual, 1);

    d = of(&f, DTC_CHECK_BUDGET_USED);
    assert_int_equal(d->expected, 1340);
    assert_int_equal(d->actual, 1350);
    assert_int_equal(d->rows, 6);
    assert_int_equal(d->tolerance, 4);

    d = of(&f, DTC_CHECK_ALLOC_SUM);
    assert_string_equal(d->environment, "env-a");
    assert_string_equal(d->field, "COSTCENTER");
    assert_string_equal(d->day, "2026-11-02");
    assert_int_equal(d->expected, 300);
    assert_int_equal(d->actual, 290);
    assert_int_equal(d->tolerance, 1);

    d = of(&f, DTC_CHECK_ALLOC_MISSING);
    assert_string_equal(d->environment, "env-a");
    assert_string_equal(d->capability, "HOST_MONITORING");
    assert_string_equal(d->day, "2026-11-05");
    assert_int_equal(d->expected, 101);
}

static void test_an_empty_database_has_nothing_to_report(void **state)
{
    found f = {.n = 0};
    dtc_verify_summary sum;
    assert_int_equal(dtc_verify_run(*state, &sum, keep, &f), 0);
    assert_int_equal(sum.subscriptions, 0);
    assert_int_equal(sum.discrepancies, 0);
    assert_int_equal(f.n, 0);
}

static void test_tolerance_is_half_a_micro_unit_per_row_and_one_for_the_total(void **state)
{
    (void)state;
    assert_int_equal(dtc_verify_tolerance(0), 1);
    assert_int_equal(dtc_verify_tolerance(1), 1);
    assert_int_equal(dtc_verify_tolerance(2), 2);
    assert_int_equal(dtc_verify_tolerance(6), 4);
    assert_int_equal(dtc_verify_tolerance(7), 4);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_each_planted_discrepancy_is_counted_once_by_its_check),
        T(test_each_discrepancy_names_its_day_environment_amounts_and_tolerance),
        T(test_an_empty_database_has_nothing_to_report),
        cmocka_unit_test(test_tolerance_is_half_a_micro_unit_per_row_and_one_for_the_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
