/* Unit tests for src/lib/dps.c's answer parsers: each GET is answered with a
 * file of tests/data/dps/ through the canned-answer seam (dps_test.h), and
 * the parsed records, the range refusals and the key-too-long refusals are
 * what a caller sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dps_test.h"
#include "timeutil.h"

#define UUID "de29f0c4-c3c7-4116-9503-92f6413066dd"

typedef struct fixture {
    dtc_dps *c;
    char *body;
} fixture;

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/dps/%s", DTC_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *b = malloc(1 << 16);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 16, f);
    assert_true(feof(f));
    fclose(f);
    return b;
}

/* A client whose next `answers` GETs are answered with the file. */
static dtc_dps *answering(fixture *fx, const char *name, int answers)
{
    dtc_dps_opts o = {
        .api_url = "http://dps.invalid", .account_uuid = "acc-1", .retry_attempts = 1};
    size_t len = 0;
    fx->body = slurp(name, &len);
    assert_int_equal(dtc_dps_new(&fx->c, &o), 0);
    dtc_dps__canned(fx->c, fx->body, len, answers);
    return fx->c;
}

static int setup(void **state)
{
    *state = calloc(1, sizeof(fixture));
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    dtc_dps_free(fx->c);
    free(fx->body);
    free(fx);
    return 0;
}

static int64_t day(const char *iso)
{
    int64_t d = 0;
    assert_int_equal(dtc_parse_date(iso, &d), 0);
    return d;
}

static void assert_says(dtc_dps *c, const char *needle)
{
    if (!strstr(dtc_dps_errmsg(c), needle))
        fail_msg("error \"%s\" does not say \"%s\"", dtc_dps_errmsg(c), needle);
}

/* ---- records a caller gets ---- */

static void test_usage_items_become_records_with_day_value_and_unit(void **state)
{
    dtc_dps *c = answering(*state, "usage.json", 1);
    dtc_record *r = NULL;
    size_t n = 0;
    assert_int_equal(dtc_dps_usage(c, &r, &n, UUID), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].cap, "HOST_MONITORING");
    assert_string_equal(r[0].cap_name, "Full-Stack Monitoring");
    assert_int_equal(r[0].day, day("2026-11-20"));
    assert_true(r[0].value == 1234.5);
    assert_string_equal(r[0].unit, "GiB-hours");
    assert_string_equal(r[1].cap, "LOG_INGEST");
    assert_int_equal(r[1].day, day("2026-11-21")); /* a date without time is a day too */
    assert_true(r[1].value == 0.25);
    dtc_free(r);
}

static void test_detail_has_budget_in_exact_micro_units_periods_and_capabilities(void **state)
{
    dtc_dps *c = answering(*state, "detail.json", 1);
    dtc_subscription_detail d;
    assert_int_equal(dtc_dps_get_detail(c, &d, UUID), 0);
    assert_string_equal(d.sub.uuid, UUID);
    assert_string_equal(d.sub.name, "Production DPS");
    assert_string_equal(d.sub.currency, "EUR");
    assert_int_equal(d.sub.budget_total, INT64_C(1000000500000));
    assert_int_equal(d.sub.budget_used, INT64_C(123456789012));
    assert_int_equal(d.sub.period_start, day("2026-01-01"));
    assert_int_equal(d.sub.period_end, day("2026-12-31"));
    assert_int_equal(d.sub.days_remaining, 30);
    assert_string_equal(d.type, "DPS");
    assert_int_equal(d.nperiods, 1);
    assert_string_equal(d.periods[0].start, "2026-01-01T00:00:00Z");
    assert_int_equal(d.ncaps, 2);
    assert_string_equal(d.caps[1].key, "LOG_INGEST");
    dtc_dps_detail_dispose(&d);
}

typedef struct seen {
    dtc_record r[8];
    size_t n;
    int pages;
} seen;

static int collect(void *ctx, const dtc_record *recs, size_t n)
{
    seen *s = ctx;
    s->pages++;
    for (size_t i = 0; i < n && s->n < 8; i++)
        s->r[s->n++] = recs[i];
    return 0;
}

static void
test_environment_cost_page_gives_each_record_its_environment_and_micro_units(void **state)
{
    dtc_dps *c = answering(*state, "env_cost.json", 1);
    seen s = {.n = 0};
    int v2 = -1;
    assert_int_equal(
        dtc_dps_env_records(c, UUID, 1, day("2026-11-20"), day("2026-11-21"), 50, collect, &s, &v2),
        0);
    assert_int_equal(v2, 0);
    assert_int_equal(s.pages, 1); /* nextPageKey null ends the walk */
    assert_int_equal(s.n, 3);
    assert_string_equal(s.r[0].env, "abc12345");
    assert_string_equal(s.r[0].cluster, "cl-1");
    assert_int_equal(s.r[0].cost, 12345678);
    assert_string_equal(s.r[0].unit, "EUR");
    assert_string_equal(s.r[0].booking, "2026-11-21T02:00:00Z");
    assert_int_equal(s.r[1].cost, -1);
    assert_string_equal(s.r[1].booking, "");
    assert_string_equal(s.r[2].env, "def67890");
    assert_int_equal(s.r[2].day, day("2026-11-21"));
    assert_int_equal(s.r[2].cost, INT64_C(1234567891234));
}

static void test_page_keys_that_repeat_stop_the_walk_with_a_reason(void **state)
{
    dtc_dps *c = answering(*state, "env_cost_page_keys_cycle.json", 5);
    seen s = {.n = 0};
    int v2 = 0;
    assert_int_equal(
        dtc_dps_env_records(c, UUID, 1, day("2026-11-20"), day("2026-11-20"), 50, collect, &s, &v2),
        DTC_EPARSE);
    assert_int_equal(s.pages, 2); /* page-2 once, then the same key again */
    assert_says(c, "page 2 repeats an earlier nextPageKey");
}

/* ---- range refusals ---- */

static void test_usage_value_beyond_1e15_is_refused_naming_it(void **state)
{
    dtc_dps *c = answering(*state, "usage_value_out_of_range.json", 1);
    dtc_record *r = (dtc_record *)state;
    size_t n = 7;
    assert_int_equal(dtc_dps_usage(c, &r, &n, UUID), DTC_EPARSE);
    assert_ptr_equal(r, (dtc_record *)state); /* nothing handed over */
    assert_int_equal(n, 7);
    assert_says(c, "a usage item's value is 2e+15, outside +-10^15 (refused, nothing stored)");
}

static void test_usage_day_before_2000_is_refused(void **state)
{
    dtc_dps *c = answering(*state, "usage_day_out_of_range.json", 1);
    dtc_record *r = NULL;
    size_t n = 0;
    assert_int_equal(dtc_dps_usage(c, &r, &n, UUID), DTC_EPARSE);
    assert_null(r);
    assert_says(c, "lacks startTime (2000-2199)");
}

static void test_budget_beyond_1e12_is_refused_naming_the_field(void **state)
{
    dtc_dps *c = answering(*state, "detail_budget_out_of_range.json", 1);
    dtc_subscription_detail d;
    assert_int_equal(dtc_dps_get_detail(c, &d, UUID), DTC_EPARSE);
    assert_null(d.periods);
    assert_null(d.caps);
    assert_says(c, "/sub/v2/accounts/acc-1/subscriptions/" UUID
                   ": unexpected answer: budget.total is 2e+12, "
                   "outside +-10^12 currency units");
}

static void test_days_remaining_beyond_1e6_is_refused(void **state)
{
    dtc_dps *c = answering(*state, "detail_days_remaining_out_of_range.json", 1);
    dtc_subscription sub;
    assert_int_equal(dtc_dps_get_subscription(c, &sub, UUID), DTC_EPARSE);
    assert_says(c, "currentPeriod.daysRemaining is 1e+07, outside +-10^6 days");
}

static void test_environment_cost_beyond_1e12_is_refused_and_no_page_is_handed_over(void **state)
{
    dtc_dps *c = answering(*state, "env_cost_value_out_of_range.json", 1);
    seen s = {.n = 0};
    int v2 = 0;
    assert_int_equal(
        dtc_dps_env_records(c, UUID, 1, day("2026-11-20"), day("2026-11-20"), 50, collect, &s, &v2),
        DTC_EPARSE);
    assert_int_equal(s.pages, 0);
    assert_says(c, "a cost record's value is -1.5e+12, outside +-10^12 currency units");
}

/* ---- keys too long are refused, never cut ---- */

static void test_capability_key_longer_than_its_field_is_refused(void **state)
{
    dtc_dps *c = answering(*state, "usage_capability_key_too_long.json", 1);
    dtc_record *r = NULL;
    size_t n = 0;
    assert_int_equal(dtc_dps_usage(c, &r, &n, UUID), DTC_EPARSE);
    assert_null(r);
    assert_says(
        c, "a capabilityKey longer than 63 bytes (dtcost refuses it rather than cut the key short");
}

static void test_environment_id_longer_than_its_field_is_refused(void **state)
{
    dtc_dps *c = answering(*state, "env_cost_environment_id_too_long.json", 1);
    seen s = {.n = 0};
    int v2 = 0;
    assert_int_equal(
        dtc_dps_env_records(c, UUID, 1, day("2026-11-20"), day("2026-11-20"), 50, collect, &s, &v2),
        DTC_EPARSE);
    assert_int_equal(s.pages, 0);
    assert_says(c, "an environmentId or clusterId longer than 63 bytes");
}

static void test_subscription_uuid_longer_than_its_field_is_refused(void **state)
{
    dtc_dps *c = answering(*state, "subscriptions_uuid_too_long.json", 1);
    dtc_subscription *subs = NULL;
    size_t n = 0;
    assert_int_equal(dtc_dps_list_subscriptions(c, &subs, &n), DTC_EPARSE);
    assert_null(subs);
    assert_says(c, "a subscription uuid longer than 39 bytes");
}

/* ---- cost allocation pages ---- */

typedef struct allocs {
    dtc_cost_allocation a[8];
    size_t n;
} allocs;

static int collect_allocs(void *ctx, const dtc_cost_allocation *recs, size_t n)
{
    allocs *s = ctx;
    for (size_t i = 0; i < n && s->n < 8; i++)
        s->a[s->n++] = recs[i];
    return 0;
}

static void test_cost_allocation_records_have_day_capability_key_and_micro_units(void **state)
{
    dtc_dps *c = answering(*state, "alloc_costcenter.json", 1);
    allocs s = {.n = 0};
    assert_int_equal(dtc_dps_cost_allocation(c, UUID, "env-a", "COSTCENTER", day("2026-11-20"),
                                             day("2026-11-20"), 0, collect_allocs, &s),
                     0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.a[0].day, day("2026-11-20"));
    assert_string_equal(s.a[0].capability, "HOST_MONITORING");
    assert_string_equal(s.a[0].key, "cc-finance");
    assert_int_equal(s.a[0].cost, 10500000);
    assert_string_equal(s.a[1].key, "cc-web");
    assert_int_equal(s.a[1].cost, 1);
}

static void test_cost_allocation_keeps_exactly_the_days_of_the_walk(void **state)
{
    /* `to` goes out one day late (inclusive or not, the answer holds the
     * walk's days): records of the day after, or before, are not the walk's. */
    dtc_dps *c = answering(*state, "alloc_days_around_the_walk.json", 1);
    allocs s = {.n = 0};
    assert_int_equal(dtc_dps_cost_allocation(c, UUID, "env-a", "COSTCENTER", day("2026-11-20"),
                                             day("2026-11-21"), 0, collect_allocs, &s),
                     0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.a[0].key, "cc-first");
    assert_string_equal(s.a[1].key, "cc-last");
}

static void test_rate_card_prices_as_numbers_become_the_same_decimal_text(void **state)
{
    dtc_dps *c = answering(*state, "rate_cards_numeric_prices.json", 1);
    dtc_rate *r = NULL;
    size_t n = 0;
    assert_int_equal(dtc_dps_rate_cards(c, &r, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(r[0].price, "0.0100"); /* documented: text, kept as it came */
    assert_string_equal(r[0].quoted_price, "0.0080");
    assert_string_equal(r[1].price, "0.1");
    assert_string_equal(r[1].quoted_price, "0.00001");
    assert_string_equal(r[2].price, "2");
    assert_string_equal(r[2].quoted_price, ""); /* 1e300: no price, as if missing */
    dtc_free(r);
}

static void test_cost_allocation_costs_beyond_1e12_are_refused(void **state)
{
    dtc_dps *c = answering(*state, "alloc_costs_out_of_range.json", 1);
    allocs s = {.n = 0};
    assert_int_equal(dtc_dps_cost_allocation(c, UUID, "env-a", "COSTCENTER", day("2026-11-20"),
                                             day("2026-11-20"), 0, collect_allocs, &s),
                     DTC_EPARSE);
    assert_int_equal(s.n, 0);
    assert_says(c, "an allocation record's costs is 1e+13, outside +-10^12 currency units");
}

static void
test_cost_allocation_capability_longer_than_its_field_is_refused_naming_its_size(void **state)
{
    dtc_dps *c = answering(*state, "alloc_capability_too_long.json", 1);
    allocs s = {.n = 0};
    assert_int_equal(dtc_dps_cost_allocation(c, UUID, "env-a", "COSTCENTER", day("2026-11-20"),
                                             day("2026-11-20"), 0, collect_allocs, &s),
                     DTC_EPARSE);
    assert_int_equal(s.n, 0);
    assert_says(c, "an allocation record's capability longer than 63 bytes");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_usage_items_become_records_with_day_value_and_unit),
        T(test_detail_has_budget_in_exact_micro_units_periods_and_capabilities),
        T(test_environment_cost_page_gives_each_record_its_environment_and_micro_units),
        T(test_page_keys_that_repeat_stop_the_walk_with_a_reason),
        T(test_usage_value_beyond_1e15_is_refused_naming_it),
        T(test_usage_day_before_2000_is_refused),
        T(test_budget_beyond_1e12_is_refused_naming_the_field),
        T(test_days_remaining_beyond_1e6_is_refused),
        T(test_environment_cost_beyond_1e12_is_refused_and_no_page_is_handed_over),
        T(test_capability_key_longer_than_its_field_is_refused),
        T(test_environment_id_longer_than_its_field_is_refused),
        T(test_subscription_uuid_longer_than_its_field_is_refused),
        T(test_cost_allocation_records_have_day_capability_key_and_micro_units),
        T(test_cost_allocation_keeps_exactly_the_days_of_the_walk),
        T(test_rate_card_prices_as_numbers_become_the_same_decimal_text),
        T(test_cost_allocation_costs_beyond_1e12_are_refused),
        T(test_cost_allocation_capability_longer_than_its_field_is_refused_naming_its_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
