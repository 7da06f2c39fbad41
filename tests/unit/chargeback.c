/* Unit tests for src/lib/chargeback.c's exact split: the costs of
 * tests/data/chargeback/costs.tsv charged to teams, evenly and in proportion,
 * every micro-unit on exactly one team, per currency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testdb.h"
#include "dtcost/chargeback.h"
#include "dtcost/store.h"
#include "timeutil.h"

static char db_path[256];

static int64_t day(const char *iso)
{
    int64_t d = 0;
    assert_int_equal(dtc_parse_date(iso, &d), 0);
    return d;
}

/* Each line of costs.tsv as one env_cost_day row of subscription sub-1. */
static void load_costs(dtc_store *s)
{
    char path[512], line[512];
    snprintf(path, sizeof(path), "%s/chargeback/costs.tsv", DTC_TEST_DATA);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int64_t run;
    assert_int_equal(dtc_store_run_begin(s, &run, "2026-12-02T00:00:00Z", NULL), 0);
    assert_int_equal(dtc_store_begin(s), 0);
    while (fgets(line, sizeof(line), f)) {
        char env[64], cap[64], d[16], cur[8];
        int64_t cost;
        if (line[0] == '#') continue;
        assert_int_equal(sscanf(line, "%63s %63s %15s %" SCNd64 " %7s", env, cap, d, &cost, cur),
                         5);
        dtc_val k[] = {DTC_TEXT("sub-1"), DTC_TEXT(env), DTC_TEXT(cap), DTC_TEXT(d)};
        dtc_val v[] = {DTC_INT(cost), DTC_TEXT(cur), DTC_TEXT("2026-12-02T00:00:00Z"),
                       DTC_TEXT("cl-1"), DTC_TEXT(cap)};
        dtc_put res;
        assert_int_equal(
            dtc_store_put(s, &res, DTC_FACT_ENV_COST_DAY, k, v, "2026-12-02T00:00:00Z"), 0);
    }
    fclose(f);
    assert_int_equal(dtc_store_commit(s), 0);
}

static int setup(void **state)
{
    dtc_store *s = testdb_open(db_path, sizeof(db_path), "chargeback-split");
    assert_non_null(s);
    load_costs(s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    testdb_close(*state, db_path);
    return 0;
}

/* "[allocation] team.team-a = env-a / team.team-b = env-b / shared = env-s" */
static char team_a[] = "team-a", team_b[] = "team-b", env_a[] = "env-a", env_b[] = "env-b",
            env_s[] = "env-s";
static dtc_alloc_rule rules[] = {{.team = team_a, .pattern = env_a},
                                 {.team = team_b, .pattern = env_b},
                                 {.team = NULL, .pattern = env_s}};

static dtc_charge *charge(dtc_store *s, dtc_split split, size_t *n)
{
    dtc_allocation a = {.rules = rules, .nrules = 3, .split = split};
    dtc_charge *rows = NULL;
    int rc = dtc_chargeback(&a, &rows, n, s, day("2026-11-01"), day("2026-11-30"));
    if (rc) fail_msg("chargeback failed: %s", a.err);
    return rows;
}

static void assert_row(const dtc_charge *r, const char *team, const char *cur, int64_t direct,
                       int64_t shared)
{
    assert_string_equal(r->team, team);
    assert_string_equal(r->currency, cur);
    assert_int_equal(r->direct, direct);
    assert_int_equal(r->shared, shared);
    assert_int_equal(r->total, direct + shared);
}

static void test_proportional_split_gives_the_remainder_to_the_largest_fraction(void **state)
{
    size_t n = 0;
    dtc_charge *r = charge(*state, DTC_SPLIT_PROPORTIONAL, &n);
    assert_int_equal(n, 5);
    /* EUR pool 100000000 over weights 100000001 : 200000000 is 33333333.56 :
     * 66666666.44; the one micro-unit truncation keeps back goes to team-a's .56. */
    assert_row(&r[0], "team-b", "EUR", 200000000, 66666666);
    assert_row(&r[1], "team-a", "EUR", 100000001, 33333334);
    assert_row(&r[2], DTC_UNALLOCATED, "EUR", 5, 0);
    /* USD pool 3 over 7 : 0: all of it to team-a, none to the team with no cost */
    assert_row(&r[3], "team-a", "USD", 7, 3);
    assert_row(&r[4], "team-b", "USD", 0, 0);
    dtc_free(r);
}

static void test_even_split_hands_the_odd_micro_unit_to_the_first_team_met(void **state)
{
    size_t n = 0;
    dtc_charge *r = charge(*state, DTC_SPLIT_EVEN, &n);
    assert_int_equal(n, 5);
    assert_row(&r[0], "team-b", "EUR", 200000000, 50000000);
    assert_row(&r[1], "team-a", "EUR", 100000001, 50000000);
    assert_row(&r[2], DTC_UNALLOCATED, "EUR", 5, 0);
    /* USD pool 3 over two teams: 1.5 each; the tie goes to team-a, met first */
    assert_row(&r[3], "team-a", "USD", 7, 2);
    assert_row(&r[4], "team-b", "USD", 0, 1);
    dtc_free(r);
}

static void test_each_currency_adds_up_to_its_costs_in_the_range_exactly(void **state)
{
    for (int split = 0; split < 2; split++) {
        size_t n = 0;
        dtc_charge *r = charge(*state, split ? DTC_SPLIT_EVEN : DTC_SPLIT_PROPORTIONAL, &n);
        int64_t eur = 0, usd = 0;
        for (size_t i = 0; i < n; i++)
            *(strcmp(r[i].currency, "EUR") == 0 ? &eur : &usd) += r[i].total;
        /* costs.tsv of November; the 1000000 EUR of 2026-12-01 is outside */
        assert_int_equal(eur, INT64_C(100000001) + 200000000 + 100000000 + 5);
        assert_int_equal(usd, 7 + 0 + 3);
        dtc_free(r);
    }
}

static void test_a_shared_pool_with_no_team_in_its_currency_stays_unallocated(void **state)
{
    dtc_allocation a = {.rules = &rules[2], .nrules = 1, .split = DTC_SPLIT_PROPORTIONAL};
    dtc_charge *r = NULL;
    size_t n = 0;
    assert_int_equal(dtc_chargeback(&a, &r, &n, *state, day("2026-12-01"), day("2026-12-01")), 0);
    assert_int_equal(n, 1);
    assert_row(&r[0], DTC_UNALLOCATED, "EUR", 0, 1000000);
    dtc_free(r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_proportional_split_gives_the_remainder_to_the_largest_fraction),
        T(test_even_split_hands_the_odd_micro_unit_to_the_first_team_met),
        T(test_each_currency_adds_up_to_its_costs_in_the_range_exactly),
        T(test_a_shared_pool_with_no_team_in_its_currency_stays_unallocated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
