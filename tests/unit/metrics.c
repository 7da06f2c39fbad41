/* Unit tests for src/lib/metrics.c: the Prometheus exposition of a small
 * database (tests/data/metrics/small.facts, loaded through the store
 * interface) is exactly tests/data/metrics/small.prom: every family's HELP
 * and TYPE, the _info series, and the series cap folding the smallest costs
 * into "other" with exact sums per subscription and currency. */
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
#include "buf.h"
#include "dtcost/metrics.h"
#include "facts.h"
#include "timeutil.h"

static char db_path[256];

static int setup(void **state)
{
    dtc_store *s = testdb_open(db_path, sizeof(db_path), "metrics");
    assert_non_null(s);
    assert_int_equal(facts_load(s, "metrics/small.facts"), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    testdb_close(*state, db_path);
    return 0;
}

/* The exposition of the database on 2026-11-10 with at most max cost series. */
static void render(dtc_store *s, int max, dtc_buf *out)
{
    int64_t today = 0;
    assert_int_equal(dtc_parse_date("2026-11-10", &today), 0);
    dtc_metrics_opts o = {.today = today, .max_cost_series = max};
    char *text = NULL;
    size_t len = 99;
    int rc = dtc_metrics_store(s, &text, &len, &o);
    if (rc) fail_msg("dtc_metrics_store: %s", dtc_store_errmsg(s));
    assert_int_equal(len, strlen(text));
    dtc_buf_init(out, DTC_CAP_SMALL);
    assert_int_equal(dtc_buf_add(out, text, len), 0);
    dtc_free(text);
}

static void assert_has_line(const dtc_buf *b, const char *line)
{
    char want[512];
    snprintf(want, sizeof(want), "\n%s\n", line);
    if (!strstr(b->data, want)) fail_msg("no line \"%s\" in:\n%s", line, b->data);
}

static void test_exposition_of_a_small_database_is_exactly_the_expected_text(void **state)
{
    dtc_buf out;
    render(*state, 2, &out);
    char path[512], want[1 << 14];
    snprintf(path, sizeof(path), "%s/metrics/small.prom", DTC_TEST_DATA);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(want, 1, sizeof(want) - 1, f);
    fclose(f);
    want[n] = '\0';
    if (strcmp(out.data, want) != 0) {
        char got[300];
        snprintf(got, sizeof(got), "/tmp/dtcost-unit-metrics-%d.prom", (int)getpid());
        FILE *g = fopen(got, "wb");
        if (g) {
            fwrite(out.data, 1, out.len, g);
            fclose(g);
        }
        fail_msg("exposition differs from %s: diff it with %s", path, got);
    }
    dtc_buf_dispose(&out);
}

static void test_every_family_has_help_and_type_before_its_samples(void **state)
{
    dtc_buf out;
    render(*state, 2, &out);
    char family[96] = "", expect_type[160] = "";
    int families = 0;
    for (char *line = out.data, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        assert_non_null(end);
        *end = '\0';
        char name[96];
        if (expect_type[0]) { /* the line after HELP */
            assert_string_equal(line, expect_type);
            expect_type[0] = '\0';
        } else if (sscanf(line, "# HELP %95s", name) == 1) {
            snprintf(family, sizeof(family), "%s", name);
            snprintf(expect_type, sizeof(expect_type), "# TYPE %s gauge", name);
            families++;
        } else {
            assert_int_equal(sscanf(line, "%95[^{ ]", name), 1);
            assert_string_equal(name, family); /* a sample of the family just opened */
        }
    }
    assert_int_equal(families, 17);
    dtc_buf_dispose(&out);
}

static void test_info_series_carry_names_escaped_and_only_when_named(void **state)
{
    dtc_buf out;
    render(*state, 2, &out);
    assert_has_line(
        &out,
        "dtcost_environment_info{environment=\"env-a\",name=\"Prod \\\"EU\\\" \\\\ main\"} 1");
    assert_has_line(&out, "dtcost_environment_info{environment=\"env-b\",name=\"Staging\"} 1");
    assert_null(strstr(out.data, "dtcost_environment_info{environment=\"env-c\""));
    assert_has_line(
        &out,
        "dtcost_subscription_info{subscription=\"sub-1\",name=\"Production\",currency=\"EUR\","
        "status=\"ACTIVE\"} 1");
    assert_null(strstr(out.data, "subscription=\"sub-3\"")); /* expired */
    dtc_buf_dispose(&out);
}

/* A run of accounts that ended at `at` with `status`. */
static void run(dtc_store *s, const char *accounts, const char *at, const char *status)
{
    int64_t id = 0;
    dtc_run_stats st = {0};
    assert_int_equal(dtc_store_run_begin(s, &id, at, accounts), 0);
    assert_int_equal(dtc_store_run_end(s, id, at, status, &st, NULL), 0);
}

static void test_each_account_has_the_end_of_its_last_successful_sync(void **state)
{
    dtc_store *s = *state;
    dtc_buf out;
    render(s, 2, &out); /* no run names acc-1 yet: the family, no sample */
    assert_has_line(&out, "# TYPE dtcost_account_last_sync_timestamp_seconds gauge");
    assert_null(strstr(out.data, "dtcost_account_last_sync_timestamp_seconds{"));
    dtc_buf_dispose(&out);
    run(s, "acc-0 acc-1", "2026-11-10T03:00:00Z", "ok");
    run(s, "acc-1x", "2026-11-10T04:00:00Z", "ok"); /* another account, not a prefix match */
    run(s, "acc-1", "2026-11-10T05:00:00Z", "failed");
    run(s, NULL, "2026-11-10T06:00:00Z", "ok"); /* accounts not recorded (an older dtcost) */
    render(s, 2, &out);
    assert_has_line(&out, "dtcost_account_last_sync_timestamp_seconds{account=\"acc-1\"} "
                          "1794279600");
    assert_has_line(&out, "dtcost_last_sync_timestamp_seconds 1794290400"); /* anyone's */
    dtc_buf_dispose(&out);
}

static void test_series_beyond_the_cap_fold_into_other_with_exact_sums(void **state)
{
    dtc_buf out;
    render(*state, 2, &out);
    assert_has_line(&out,
                    "dtcost_cost_last_complete_day{subscription=\"sub-1\",environment=\"env-a\","
                    "capability=\"HOST_MONITORING\",currency=\"EUR\"} 5");
    assert_has_line(&out,
                    "dtcost_cost_last_complete_day{subscription=\"sub-1\",environment=\"env-b\","
                    "capability=\"HOST_MONITORING\",currency=\"EUR\"} 4");
    /* 3000001 + 2000002 + 1 micro-units */
    assert_has_line(&out,
                    "dtcost_cost_last_complete_day{subscription=\"sub-1\",environment=\"other\","
                    "capability=\"other\",currency=\"EUR\"} 5.000004");
    assert_has_line(&out,
                    "dtcost_cost_last_complete_day{subscription=\"sub-2\",environment=\"other\","
                    "capability=\"other\",currency=\"USD\"} 0.000007");
    assert_has_line(&out, "dtcost_cost_series_folded 4");
    assert_null(strstr(out.data, "999.")); /* today's incomplete day */
    dtc_buf_dispose(&out);
}

static void test_a_cap_above_the_series_count_folds_nothing(void **state)
{
    dtc_buf out;
    render(*state, 0, &out); /* the default, 500 */
    assert_null(strstr(out.data, "environment=\"other\""));
    assert_has_line(&out, "dtcost_cost_series_folded 0");
    assert_has_line(&out,
                    "dtcost_cost_last_complete_day{subscription=\"sub-1\",environment=\"env-c\","
                    "capability=\"HOST_MONITORING\",currency=\"EUR\"} 0.000001");
    dtc_buf_dispose(&out);
}

static void test_every_subscription_and_currency_pair_folds_apart_beyond_64(void **state)
{
    dtc_store *s = *state;
    assert_int_equal(facts_load(s, "metrics/many_pairs.facts"), 0);
    dtc_buf out;
    render(s, 1, &out);
    int others = 0;
    for (const char *p = out.data; (p = strstr(p, "environment=\"other\"")); p++)
        others++;
    /* small.facts adds sub-1 EUR and sub-2 USD to the 70 pairs */
    assert_int_equal(others, 72);
    for (int i = 0; i < 70; i++) {
        char value[16], line[256];
        snprintf(value, sizeof(value), "0.%06d", 3000 + 2 * i);
        while (value[strlen(value) - 1] == '0') /* money() writes no trailing zeros */
            value[strlen(value) - 1] = '\0';
        snprintf(line, sizeof(line),
                 "dtcost_cost_last_complete_day{subscription=\"sub-%02d\",environment=\"other\","
                 "capability=\"other\",currency=\"%s\"} %s",
                 i, i % 2 ? "USD" : "EUR", value);
        assert_has_line(&out, line);
    }
    dtc_buf_dispose(&out);
}

static void test_process_counters_are_counters_ending_in_total(void **state)
{
    (void)state;
    dtc_metrics_counters c = {.cycles = 5,
                              .cycles_failed = 2,
                              .sync_ok = 3,
                              .push_records = 42,
                              .last_cycle_seconds = 1.5,
                              .ready = true,
                              .version = "9.9.9"};
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(dtc_metrics_process(&text, &len, &c), 0);
    assert_int_equal(len, strlen(text));
    dtc_buf out;
    dtc_buf_init(&out, DTC_CAP_SMALL);
    assert_int_equal(dtc_buf_add(&out, text, len), 0);
    dtc_free(text);
    assert_has_line(&out, "# TYPE dtcost_cycles_total counter");
    assert_has_line(&out, "dtcost_cycles_total{outcome=\"ok\"} 3");
    assert_has_line(&out, "dtcost_cycles_total{outcome=\"failed\"} 2");
    assert_has_line(&out, "dtcost_push_records_total 42");
    assert_has_line(&out, "dtcost_ready 1");
    assert_has_line(&out, "dtcost_last_cycle_duration_seconds 1.500");
    assert_non_null(strstr(out.data, "dtcost_build_info{version=\"9.9.9\"} 1\n"));
    dtc_buf_dispose(&out);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_exposition_of_a_small_database_is_exactly_the_expected_text),
        T(test_every_family_has_help_and_type_before_its_samples),
        T(test_info_series_carry_names_escaped_and_only_when_named),
        T(test_each_account_has_the_end_of_its_last_successful_sync),
        T(test_series_beyond_the_cap_fold_into_other_with_exact_sums),
        T(test_a_cap_above_the_series_count_folds_nothing),
        T(test_every_subscription_and_currency_pair_folds_apart_beyond_64),
        cmocka_unit_test(test_process_counters_are_counters_ending_in_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
