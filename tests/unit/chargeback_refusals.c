/* Unit tests for src/lib/chargeback.c's refusals: a chargeback it cannot
 * compute fails with its reason in the allocation's err, never silently
 * (the exact split itself is covered end to end by the report scenarios). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testdb.h"
#include "dtcost/chargeback.h"
#include "dtcost/store.h"
#include "timeutil.h"

static char db_path[256];

static int setup(void **state)
{
    dtc_store *s = testdb_open(db_path, sizeof(db_path), "chargeback");
    assert_non_null(s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    testdb_close(*state, db_path);
    return 0;
}

/* One environment's cost on 2026-11-20 in each of n currencies. */
static void costs_in_currencies(dtc_store *s, int n)
{
    int64_t run;
    assert_int_equal(dtc_store_run_begin(s, &run, "2026-11-23T00:00:00Z", NULL), 0);
    assert_int_equal(dtc_store_begin(s), 0);
    for (int i = 0; i < n; i++) {
        char cap[16], cur[16];
        snprintf(cap, sizeof(cap), "CAP%02d", i);
        snprintf(cur, sizeof(cur), "C%02d", i);
        dtc_val k[] = {DTC_TEXT("sub-1"), DTC_TEXT("env-1"), DTC_TEXT(cap), DTC_TEXT("2026-11-20")};
        dtc_val v[] = {DTC_INT(1000000 + i), DTC_TEXT(cur), DTC_TEXT("2026-11-21T02:00:00Z"),
                       DTC_TEXT("cl-1"), DTC_TEXT(cap)};
        dtc_put res;
        assert_int_equal(
            dtc_store_put(s, &res, DTC_FACT_ENV_COST_DAY, k, v, "2026-11-21T02:00:00Z"), 0);
    }
    assert_int_equal(dtc_store_commit(s), 0);
}

/* The rules of "[allocation] shared = env-*": every cost shared, one pool
 * per currency (built here, not read from a file: these tests are about the split). */
static char shared_pattern[] = "env-*";
static dtc_alloc_rule shared_rule = {.team = NULL, .pattern = shared_pattern};

static void all_shared(dtc_allocation *a)
{
    memset(a, 0, sizeof(*a));
    a->rules = &shared_rule;
    a->nrules = 1;
    a->split = DTC_SPLIT_PROPORTIONAL;
}

static int64_t day(const char *iso)
{
    int64_t d = 0;
    assert_int_equal(dtc_parse_date(iso, &d), 0);
    return d;
}

static void test_chargeback_sixteen_currencies_are_split_to_the_micro_unit(void **state)
{
    dtc_store *s = *state;
    costs_in_currencies(s, 16);
    dtc_allocation a;
    all_shared(&a);
    dtc_charge *rows = NULL;
    size_t n = 0;
    assert_int_equal(dtc_chargeback(&a, &rows, &n, s, day("2026-11-01"), day("2026-11-30")), 0);
    assert_int_equal(n, 16); /* nobody to share with: each pool stays visible as unallocated */
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].team, DTC_UNALLOCATED);
        assert_int_equal(rows[i].total, 1000000 + atoi(rows[i].currency + 1));
    }
    dtc_free(rows);
}

static void test_chargeback_refuses_a_seventeenth_currency_with_a_reason(void **state)
{
    dtc_store *s = *state;
    costs_in_currencies(s, 17);
    dtc_allocation a;
    all_shared(&a);
    dtc_charge *rows = (dtc_charge *)&a; /* must be reset, not left dangling */
    size_t n = 99;
    assert_int_equal(dtc_chargeback(&a, &rows, &n, s, day("2026-11-01"), day("2026-11-30")),
                     DTC_EINVAL);
    assert_null(rows);
    assert_int_equal(n, 0);
    assert_non_null(strstr(a.err,
                           "chargeback of 2026-11-01 .. 2026-11-30: shared cost in more than 16 "
                           "currencies (C16 would be one more)"));
    /* The next step names the flags `dtcost report` has (the one command
     * that charges back), not --from/--to. */
    assert_non_null(strstr(a.err, "narrow the window (dtcost report --window DAYS) or move it "
                                  "(--until DAY)"));
    assert_null(strstr(a.err, "--from"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_chargeback_sixteen_currencies_are_split_to_the_micro_unit, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_chargeback_refuses_a_seventeenth_currency_with_a_reason, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
