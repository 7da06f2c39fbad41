/* Unit tests for src/lib/report.c: buckets and sums of days, movers and
 * top-N ranking, the part of a period elapsed, percentages and changes,
 * capability ranking, chargeback sums per currency, license ranking, the
 * figures a report adds to the stored ones (remaining, shares, changes,
 * jumps), and the as-of view rebuilt from a database's history. Inputs are
 * files under tests/data/report/; the expected figures are worked out by
 * hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testdb.h"
#include "alloc.h"
#include "dtcost/report.h"
#include "timeutil.h"

static int64_t day(const char *s)
{
    int64_t d = -1;
    assert_int_equal(dtc_parse_date(s, &d), 0);
    return d;
}

static FILE *data(const char *name)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/report/%s", DTC_TEST_DATA, name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    return f;
}

/* tests/data/report/daily.txt as a budget's history, 2026-01-01 .. today. */
static void load_daily(dtc_budget *b, int64_t today)
{
    memset(b, 0, sizeof(*b));
    b->daily_first = day("2026-01-01");
    b->ndaily = (size_t)(today - b->daily_first + 1);
    b->daily = calloc(b->ndaily, sizeof(int64_t));
    assert_non_null(b->daily);
    for (size_t i = 0; i < b->ndaily; i++)
        b->daily[i] = -1;
    FILE *f = data("daily.txt");
    char line[128], d[16];
    double cost;
    while (fgets(line, sizeof(line), f))
        if (line[0] != '#' && sscanf(line, "%15s %lf", d, &cost) == 2)
            b->daily[day(d) - b->daily_first] = (int64_t)(cost * 1e6 + (cost < 0 ? -0.5 : 0.5));
    fclose(f);
}

static void test_report_bucket_start_is_monday_or_the_first(void **state)
{
    (void)state;
    assert_int_equal(dtc_report_bucket_start(day("2026-11-22"), 'w'),
                     day("2026-11-16")); /* a Sunday */
    assert_int_equal(dtc_report_bucket_start(day("2026-11-16"), 'w'),
                     day("2026-11-16")); /* a Monday */
    assert_int_equal(dtc_report_bucket_start(day("2026-03-01"), 'w'), day("2026-02-23"));
    assert_int_equal(dtc_report_bucket_start(day("2024-02-29"), 'm'), day("2024-02-01"));
    assert_int_equal(dtc_report_bucket_start(day("2026-12-31"), 'm'), day("2026-12-01"));
    assert_int_equal(dtc_report_bucket_start(day("2026-12-31"), 'd'), day("2026-12-31"));
}

static void test_report_sum_days_skips_missing_and_negative_days(void **state)
{
    (void)state;
    dtc_budget b;
    load_daily(&b, day("2026-03-03"));
    /* 1.5 x (10 + 11 + 12 + 13 + 15 + 16): the 14th has no row. */
    assert_int_equal(dtc_report_sum_days(&b, day("2026-02-10"), day("2026-02-16")), 115500000);
    /* 1.5 x (1 + 3): the 2nd's negative cost counts 0. */
    assert_int_equal(dtc_report_sum_days(&b, day("2026-03-01"), day("2026-03-03")), 6000000);
    /* Before the history and after it: nothing. */
    assert_int_equal(dtc_report_sum_days(&b, day("2025-12-01"), day("2025-12-31")), 0);
    free(b.daily);
}

static void test_report_buckets_by_month_and_week_oldest_first(void **state)
{
    (void)state;
    dtc_budget b;
    load_daily(&b, day("2026-03-03"));
    int64_t starts[8], costs[8];
    /* January: 1.5 x (28 + 29 + 30 + 31) = 177; February: 1.5 x (406 - 14) =
     * 588; March to the 3rd: 6. Four asked, three since the history begins in
     * January. */
    size_t n = dtc_report_buckets(starts, costs, &b, day("2026-03-03"), 'm', 4);
    assert_int_equal(n, 3);
    assert_int_equal(starts[0], day("2026-01-01"));
    assert_int_equal(costs[0], 177000000);
    assert_int_equal(starts[1], day("2026-02-01"));
    assert_int_equal(costs[1], 588000000);
    assert_int_equal(starts[2], day("2026-03-01"));
    assert_int_equal(costs[2], 6000000);
    /* Weeks from Monday: 2026-03-02 .. 03: 4.5; 2026-02-23 .. 03-01:
     * 1.5 x (23 + ... + 28 + 1) = 231. */
    n = dtc_report_buckets(starts, costs, &b, day("2026-03-03"), 'w', 2);
    assert_int_equal(n, 2);
    assert_int_equal(starts[0], day("2026-02-23"));
    assert_int_equal(costs[0], 231000000);
    assert_int_equal(starts[1], day("2026-03-02"));
    assert_int_equal(costs[1], 4500000);
    free(b.daily);
}

/* Spend rows from a file of "key currency current previous" lines. */
static size_t load_rows(dtc_spend *rows, size_t max, const char *file)
{
    FILE *f = data(file);
    char line[256];
    size_t n = 0;
    double cur, prev;
    while (n < max && fgets(line, sizeof(line), f)) {
        dtc_spend *s = &rows[n];
        memset(s, 0, sizeof(*s));
        if (line[0] == '#' ||
            sscanf(line, "%127s %7s %lf %lf", s->key, s->currency, &cur, &prev) != 4)
            continue;
        snprintf(s->name, sizeof(s->name), "%s", s->key);
        s->current = (int64_t)(cur * 1e6 + (cur < 0 ? -0.5 : 0.5));
        s->previous = (int64_t)(prev * 1e6 + (prev < 0 ? -0.5 : 0.5));
        n++;
    }
    fclose(f);
    return n;
}

static void test_report_rank_movers_by_currency_then_change(void **state)
{
    (void)state;
    dtc_spend rows[16];
    size_t n = load_rows(rows, 16, "spend.txt");
    assert_int_equal(n, 7);
    dtc_report_rank_movers(rows, n);
    /* EUR before USD; then |change|: traces 500, events 10; logs and metrics
     * both 100 (by key), appsec 60, hosts 20, idle 0. */
    const char *want[] = {"traces", "events", "logs", "metrics", "appsec", "hosts", "idle"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(rows[i].key, want[i]);
}

static void test_report_top_keeps_one_currency_and_the_largest(void **state)
{
    (void)state;
    dtc_spend rows[16];
    size_t n = load_rows(rows, 16, "spend.txt"), k = 0;
    const dtc_spend **top = NULL;
    assert_int_equal(dtc_report_top(&top, &k, rows, n, "USD", 3), 0);
    assert_int_equal(k, 3);
    assert_string_equal(top[0]->key, "hosts");
    assert_string_equal(top[1]->key, "appsec");
    assert_string_equal(top[2]->key, "logs");
    free(top);
    assert_int_equal(dtc_report_top(&top, &k, rows, n, "EUR", 10), 0);
    assert_int_equal(k, 1); /* traces spent nothing in the window */
    assert_string_equal(top[0]->key, "events");
    free(top);
}

static void test_report_pct_elapsed_counts_today(void **state)
{
    (void)state;
    dtc_budget b = {.period_start = day("2026-03-01"), .period_end = day("2027-02-28")};
    /* 2026-03-01 .. 2026-08-30: 183 of 365 days = 50.14 %. */
    assert_int_equal(dtc_report_pct_elapsed(&b, day("2026-08-30")), 5014);
    assert_int_equal(dtc_report_pct_elapsed(&b, day("2026-02-01")), 0);
    assert_int_equal(dtc_report_pct_elapsed(&b, day("2027-05-01")), 10000);
}

static void test_report_pct_is_unrounded_and_zero_without_a_whole(void **state)
{
    (void)state;
    /* 100 x 1 / 3 and 100 / 3 are the same rational, correctly rounded once:
     * the same double. */
    assert_true(dtc_report_pct(1000000, 3000000) == 100.0 / 3.0);
    assert_true(dtc_report_pct(3, 4) == 75.0);
    assert_true(dtc_report_pct(-5, 10) == -50.0);
    assert_true(dtc_report_pct(5, 0) == 0.0);   /* no commitment: no share */
    assert_true(dtc_report_pct(5, -10) == 0.0); /* a negative whole has none either */
}

static void test_report_change_pct_needs_a_positive_base(void **state)
{
    (void)state;
    double pct = 12345;
    assert_true(dtc_report_change_pct(&pct, 150e6, 100e6));
    assert_true(pct == 50.0);
    assert_true(dtc_report_change_pct(&pct, 50e6, 200e6));
    assert_true(pct == -75.0);
    pct = 12345;
    assert_false(dtc_report_change_pct(&pct, 10e6, 0)); /* new: nothing to compare with */
    assert_false(dtc_report_change_pct(&pct, 10e6, -1));
    assert_true(pct == 12345); /* left alone */
}

static void test_report_rank_capabilities_adds_currencies_up(void **state)
{
    (void)state;
    dtc_spend rows[16];
    dtc_report r = {.by_capability = rows, .ncap = load_rows(rows, 16, "capabilities.txt")};
    assert_int_equal(r.ncap, 7);
    /* logs 50 + 60 = 110; hosts and traces 100 each (by key); events 30;
     * idle 0 and refund -5 have no colour to earn. */
    const char *keys[8];
    size_t n = 99;
    assert_int_equal(dtc_report_rank_capabilities(keys, &n, &r, 8), 0);
    const char *want[] = {"logs", "hosts", "traces", "events"};
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(keys[i], want[i]);
    assert_int_equal(dtc_report_rank_capabilities(keys, &n, &r, 2), 0);
    assert_int_equal(n, 2);
    assert_string_equal(keys[1], "hosts");
    dtc_alloc_fail_at(1);
    assert_int_equal(dtc_report_rank_capabilities(keys, &n, &r, 8), DTC_ENOMEM);
    dtc_alloc_fail_at(0);
    assert_int_equal(n, 0);
}

static size_t load_charges(dtc_charge *rows, size_t max)
{
    FILE *f = data("charges.txt");
    char line[256];
    size_t n = 0;
    double total;
    while (n < max && fgets(line, sizeof(line), f)) {
        dtc_charge *c = &rows[n];
        memset(c, 0, sizeof(*c));
        if (line[0] == '#' || sscanf(line, "%127s %7s %lf", c->team, c->currency, &total) != 3)
            continue;
        c->total = c->direct = (int64_t)(total * 1e6 + 0.5);
        n++;
    }
    fclose(f);
    return n;
}

static void test_report_charge_sums_per_currency_add_up_the_teams(void **state)
{
    (void)state;
    dtc_charge rows[8];
    size_t n = load_charges(rows, 8), k = 0;
    assert_int_equal(n, 4);
    dtc_charge_sum *sums = NULL;
    assert_int_equal(dtc_report_charge_sums(&sums, &k, rows, n), 0);
    /* EUR: 10 + 5 + 1 (unallocated counts) = 16.00 over rows 0..2; USD 7.50, row 3. */
    assert_int_equal(k, 2);
    assert_string_equal(sums[0].currency, "EUR");
    assert_int_equal(sums[0].first, 0);
    assert_int_equal(sums[0].n, 3);
    assert_int_equal(sums[0].total, 16000000);
    assert_string_equal(sums[1].currency, "USD");
    assert_int_equal(sums[1].first, 3);
    assert_int_equal(sums[1].n, 1);
    assert_int_equal(sums[1].total, 7500000);
    /* The table's share of checkout in EUR: 10 of 16 = 62.5 %. */
    assert_true(dtc_report_pct(rows[0].total, sums[0].total) == 62.5);
    dtc_free(sums);
    assert_int_equal(dtc_report_charge_sums(&sums, &k, rows, 0), 0);
    assert_null(sums);
    assert_int_equal(k, 0);
    k = 5;
    dtc_alloc_fail_at(1);
    assert_int_equal(dtc_report_charge_sums(&sums, &k, rows, n), DTC_ENOMEM);
    dtc_alloc_fail_at(0);
    assert_null(sums);
    assert_int_equal(k, 0);
}

static void test_report_lic_ranked_by_money_ties_in_order(void **state)
{
    (void)state;
    dtc_lic_day envs[3] = {{.environment = "a", .money = 5},
                           {.environment = "b", .money = 9},
                           {.environment = "c", .money = 5}};
    dtc_lic_summary x = {.envs = envs, .nenvs = 3};
    const dtc_lic_day **rows = NULL;
    assert_int_equal(dtc_report_lic_ranked(&rows, &x), 0);
    assert_string_equal(rows[0]->environment, "b");
    assert_string_equal(rows[1]->environment, "a");
    assert_string_equal(rows[2]->environment, "c");
    free(rows);
}

static void test_report_lic_ranked_fails_loudly_without_memory(void **state)
{
    (void)state;
    dtc_lic_day envs[1] = {{.environment = "a"}};
    dtc_lic_summary x = {.envs = envs, .nenvs = 1};
    const dtc_lic_day **rows = (const dtc_lic_day **)&x; /* must be reset */
    dtc_alloc_fail_at(1);
    assert_int_equal(dtc_report_lic_ranked(&rows, &x), DTC_ENOMEM);
    dtc_alloc_fail_at(0);
    assert_null(rows);
    const dtc_spend **top = (const dtc_spend **)&x;
    size_t n = 7;
    dtc_spend one = {.key = "k", .currency = "USD", .current = 1};
    dtc_alloc_fail_at(1);
    assert_int_equal(dtc_report_top(&top, &n, &one, 1, "USD", 5), DTC_ENOMEM);
    dtc_alloc_fail_at(0);
    assert_null(top);
    assert_int_equal(n, 0);
}

/* --- databases: the as-of view from tests/data/report/asof.sql, the
 * added figures from figures.sql --- */

static char path[256];

static int db_load(void **state, const char *file)
{
    testdb_path(path, sizeof(path), "report");
    dtc_store *s = NULL;
    char err[256];
    assert_int_equal(dtc_store_open(&s, path, err, sizeof(err)), 0);
    dtc_store_close(s);
    FILE *f = data(file);
    static char sql[8192];
    size_t n = fread(sql, 1, sizeof(sql) - 1, f);
    sql[n] = '\0';
    fclose(f);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    s = NULL;
    assert_int_equal(dtc_store_open(&s, path, err, sizeof(err)), 0);
    *state = s;
    return 0;
}

static int db_setup(void **state)
{
    return db_load(state, "asof.sql");
}

static int figures_setup(void **state)
{
    return db_load(state, "figures.sql");
}

static int db_teardown(void **state)
{
    dtc_store_close(*state);
    testdb_remove(path);
    return 0;
}

static void build(dtc_store *s, const char *today, dtc_report *r)
{
    dtc_report_opts o = {.today = day(today), .since = -1, .window = 30};
    assert_int_equal(dtc_report_build(s, r, &o), 0);
    assert_int_equal(r->nbudgets, 1);
}

static void test_report_as_of_a_past_day_rebuilds_the_budget_then(void **state)
{
    dtc_report r;
    build(*state, "2026-06-30", &r);
    const dtc_budget *b = &r.budgets[0];
    assert_true(b->as_of);
    /* 2026-03-01 .. 06-30: 122 days at 10.00; 2027-02-28 is 243 days on. */
    assert_int_equal(b->used, 1220000000);
    assert_int_equal(b->days_remaining, 243);
    assert_int_equal(b->burn30, 10000000);
    /* The forecast of 2026-11-15 did not exist yet. */
    assert_int_equal(b->forecast_median, -1);
    assert_true(b->asof_gaps & DTC_ASOF_NO_FORECAST);
    /* 1,220.00 of 1,000.00: the budget was already gone by then. */
    assert_int_equal(b->runs_out, day("2026-06-30"));
    dtc_report_dispose(&r);

    build(*state, "2026-11-20", &r);
    b = &r.budgets[0];
    /* 245 days at 10.00 and 20 at 20.00; the forecast of the 15th. */
    assert_int_equal(b->used, 2850000000);
    assert_int_equal(b->days_remaining, 100);
    assert_int_equal(b->forecast_median, 3500000000);
    assert_int_equal(b->asof_gaps, 0);
    dtc_report_dispose(&r);
}

static void test_report_as_of_an_earlier_period_says_what_it_cannot_know(void **state)
{
    dtc_report r;
    build(*state, "2026-02-25", &r);
    const dtc_budget *b = &r.budgets[0];
    assert_int_equal(b->period_start, day("2025-03-01"));
    assert_int_equal(b->period_end, day("2026-02-28"));
    assert_int_equal(b->used, 60000000); /* 2026-02-20 .. 25 */
    assert_int_equal(b->days_remaining, 3);
    assert_true(b->asof_gaps & DTC_ASOF_OLD_PERIOD);
    dtc_report_dispose(&r);
}

static void test_report_without_until_keeps_the_synced_budget(void **state)
{
    dtc_report r;
    build(*state, "2026-12-05", &r); /* after the last day synced: today is 2026-11-30 */
    const dtc_budget *b = &r.budgets[0];
    assert_false(b->as_of);
    assert_int_equal(r.today, day("2026-11-30"));
    assert_int_equal(b->used, 3050000000);
    assert_int_equal(b->days_remaining, 90);
    assert_int_equal(b->forecast_median, 3500000000);
    dtc_report_dispose(&r);
}

static const dtc_budget *budget_of(const dtc_report *r, const char *sub)
{
    size_t i = 0;
    while (i < r->nbudgets && strcmp(r->budgets[i].subscription, sub) != 0)
        i++;
    assert_true(i < r->nbudgets);
    return &r->budgets[i];
}

static void test_report_budget_figures_round_half_away_from_zero(void **state)
{
    dtc_report r;
    dtc_report_opts o = {.today = day("2026-04-30"), .since = -1, .window = 10};
    assert_int_equal(dtc_report_build(*state, &r, &o), 0);
    assert_int_equal(r.today, day("2026-04-10")); /* the last day with cost */
    assert_int_equal(r.window_first, day("2026-04-01"));
    /* The chart's 90 days: 2026-01-11 .. 04-10; e1's logs from 02-01 fill
     * 28 + 31 + 10 = 69 of them. */
    assert_int_equal(r.capdays_first, day("2026-01-11"));
    assert_int_equal(r.ncapdays, 69);
    assert_int_equal(r.capdays[0].day, day("2026-02-01"));
    /* Europe: 8,000.00 - 2,000.40 = 5,999.60 left; 2,000.40 / 8,000.00 =
     * 25.005 %, exactly half a hundredth: 25.01. 2026-01-01 .. 04-10 is 100
     * of 365 days, 27.397 %: 27.40. 25.005 is below 27.40 + 0.5: on pace. */
    const dtc_budget *b = budget_of(&r, "sub-eur");
    assert_int_equal(b->remaining, 5999600000);
    assert_int_equal(b->used_pct_centi, 2501);
    assert_true(b->used_pct == dtc_report_pct(2000400000, 8000000000));
    assert_int_equal(b->elapsed_pct_centi, 2740);
    assert_false(b->ahead_of_pace);
    /* Americas: 150.00 of 300.00 = 50.00 % used, 10 of 30 days = 33.33 %
     * gone: ahead of the pace. */
    b = budget_of(&r, "sub-usd");
    assert_int_equal(b->remaining, 150000000);
    assert_int_equal(b->used_pct_centi, 5000);
    assert_true(b->used_pct == 50.0);
    assert_int_equal(b->elapsed_pct_centi, 3333);
    assert_true(b->ahead_of_pace);
    /* Free: nothing committed, 5.00 used: overspent by 5.00, no percentage. */
    b = budget_of(&r, "sub-free");
    assert_int_equal(b->remaining, -5000000);
    assert_int_equal(b->used_pct_centi, 0);
    assert_true(b->used_pct == 0.0);
    assert_false(b->ahead_of_pace);
    dtc_report_dispose(&r);
}

static void test_report_projection_band_from_the_burn_and_its_error(void **state)
{
    dtc_report r;
    dtc_report_opts o = {.today = day("2026-04-10"), .since = -1, .window = 10};
    assert_int_equal(dtc_report_build(*state, &r, &o), 0);
    /* Band: 2.00, 4.00, 6.00 on 04-07 .. 09: spent 12.00, burn 4.00 a day;
     * the sample deviation is 2.00, its standard error 2 / sqrt(3) =
     * 1.1547005 -> 1.154701 (micro-units, half away from zero). From the
     * last cost (04-09) to 04-30 are 21 days: 12 + 21 x 4 = 96.00; the band
     * 12 + 21 x (4 +- 2.309402) = 144.497442 and 47.502558. */
    const dtc_budget *b = budget_of(&r, "sub-band");
    assert_int_equal(b->last_day, day("2026-04-09"));
    assert_int_equal(b->burn30, 4000000);
    assert_int_equal(b->burn_se, 1154701);
    assert_int_equal(b->spent, 12000000);
    assert_int_equal(b->projected, 96000000);
    assert_int_equal(b->projected_high, 144497442);
    assert_int_equal(b->projected_low, 47502558);
    /* Europe: one day with cost, 50.00 on 04-10, no spread: 265 days to the
     * year's end at 50.00 = 13,300.00, band and all. */
    b = budget_of(&r, "sub-eur");
    assert_int_equal(b->spent, 50000000);
    assert_int_equal(b->projected, 13300000000);
    assert_int_equal(b->projected_low, 13300000000);
    assert_int_equal(b->projected_high, 13300000000);
    dtc_report_dispose(&r);
}

static void test_report_allocation_shares_are_per_field_and_currency(void **state)
{
    dtc_report r;
    dtc_report_opts o = {.today = day("2026-04-10"), .since = -1, .window = 10};
    assert_int_equal(dtc_report_build(*state, &r, &o), 0);
    /* Cost centres in EUR: cc-a 30.00 (10.00 before, the 99.00 of 03-01 is
     * outside both windows) and cc-b 10.00 of 40.00: 75 % and 25 %. In USD
     * cc-c 2.00 and cc-a 1.00 of 3.00: 200/3 % and 100/3 %. The product had
     * cost only before: 0 of 0, share 0. */
    const struct {
        const char *field, *key, *currency;
        int64_t current, previous, change, group_total;
        double share;
    } want[] = {
        {"COSTCENTER", "cc-a", "EUR", 30000000, 10000000, 20000000, 40000000, 75.0},
        {"COSTCENTER", "cc-b", "EUR", 10000000, 0, 10000000, 40000000, 25.0},
        {"COSTCENTER", "cc-c", "USD", 2000000, 0, 2000000, 3000000, 200.0 / 3.0},
        {"COSTCENTER", "cc-a", "USD", 1000000, 0, 1000000, 3000000, 100.0 / 3.0},
        {"PRODUCT", "p-x", "EUR", 0, 5000000, -5000000, 0, 0.0},
    };
    assert_int_equal(r.nalloc, 5);
    for (size_t i = 0; i < r.nalloc; i++) {
        const dtc_alloc_spend *a = &r.allocations[i];
        assert_string_equal(a->field, want[i].field);
        assert_string_equal(a->key, want[i].key);
        assert_string_equal(a->currency, want[i].currency);
        assert_int_equal(a->current, want[i].current);
        assert_int_equal(a->previous, want[i].previous);
        assert_int_equal(a->change, want[i].change);
        assert_int_equal(a->group_total, want[i].group_total);
        assert_true(a->share == want[i].share);
    }
    dtc_report_dispose(&r);
}

static void test_report_spend_change_and_anomaly_jump(void **state)
{
    dtc_report r;
    dtc_report_opts o = {.today = day("2026-04-10"), .since = -1, .window = 10};
    assert_int_equal(dtc_report_build(*state, &r, &o), 0);
    /* Logs in e1: 9 x 10.00 + 50.00 = 140.00 in 04-01 .. 10, 10 x 10.00 =
     * 100.00 in 03-22 .. 31: +40.00, by capability and by environment. */
    assert_int_equal(r.ncap, 1);
    assert_string_equal(r.by_capability[0].name, "Log Management");
    assert_int_equal(r.by_capability[0].current, 140000000);
    assert_int_equal(r.by_capability[0].previous, 100000000);
    assert_int_equal(r.by_capability[0].change, 40000000);
    assert_int_equal(r.nenv, 1);
    assert_int_equal(r.by_environment[0].change, 40000000);
    /* 2026-04-10 against the six Fridays before, all 10.00: baseline 10.00,
     * scale 5 % of it (no spread), score (50 - 10) / 0.5 = 80; jump 40.00. */
    assert_int_equal(r.nanomalies, 1);
    const dtc_anomaly *a = &r.anomalies[0];
    assert_string_equal(a->day, "2026-04-10");
    assert_int_equal(a->cost, 50000000);
    assert_int_equal(a->expected, 10000000);
    assert_int_equal(a->jump, 40000000);
    assert_true(fabs(a->score - 80.0) < 1e-9);
    dtc_report_dispose(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_bucket_start_is_monday_or_the_first),
        cmocka_unit_test(test_report_sum_days_skips_missing_and_negative_days),
        cmocka_unit_test(test_report_buckets_by_month_and_week_oldest_first),
        cmocka_unit_test(test_report_rank_movers_by_currency_then_change),
        cmocka_unit_test(test_report_top_keeps_one_currency_and_the_largest),
        cmocka_unit_test(test_report_pct_elapsed_counts_today),
        cmocka_unit_test(test_report_pct_is_unrounded_and_zero_without_a_whole),
        cmocka_unit_test(test_report_change_pct_needs_a_positive_base),
        cmocka_unit_test(test_report_rank_capabilities_adds_currencies_up),
        cmocka_unit_test(test_report_charge_sums_per_currency_add_up_the_teams),
        cmocka_unit_test(test_report_lic_ranked_by_money_ties_in_order),
        cmocka_unit_test(test_report_lic_ranked_fails_loudly_without_memory),
        cmocka_unit_test_setup_teardown(test_report_as_of_a_past_day_rebuilds_the_budget_then,
                                        db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(
            test_report_as_of_an_earlier_period_says_what_it_cannot_know, db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(test_report_without_until_keeps_the_synced_budget, db_setup,
                                        db_teardown),
        cmocka_unit_test_setup_teardown(test_report_budget_figures_round_half_away_from_zero,
                                        figures_setup, db_teardown),
        cmocka_unit_test_setup_teardown(test_report_projection_band_from_the_burn_and_its_error,
                                        figures_setup, db_teardown),
        cmocka_unit_test_setup_teardown(test_report_allocation_shares_are_per_field_and_currency,
                                        figures_setup, db_teardown),
        cmocka_unit_test_setup_teardown(test_report_spend_change_and_anomaly_jump, figures_setup,
                                        db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
