/* Unit tests for src/lib/license/license.c: every edge of the host-unit table, the
 * Infrastructure cap, the 5-minute rule over overlapping and partial activity
 * records, application-only hosts, the DEM options, null-everywhere input,
 * ISO and epoch times, osiId beyond 2^53, DDU decimals, and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtcost/license.h"

#define GIB 1073741824LL
#define H0 1641808800000LL /* 2022-01-10T10:00:00Z */

static void test_license_host_units_at_every_table_edge(void **state)
{
    (void)state;
    const int64_t tenth = GIB / 10;
    /* exactly 1.6 GiB, and one byte above */
    assert_int_equal(dtc_hu_fullstack_milli(16 * GIB / 10 + (16 * GIB % 10 ? 1 : 0) - 1), 100);
    assert_int_equal(dtc_hu_fullstack_milli(16 * tenth), 100);
    assert_int_equal(dtc_hu_fullstack_milli((16 * GIB + 9) / 10 + 1), 250);
    struct {
        int64_t gib, fs, infra;
    } rows[] = {{4, 250, 75},     {8, 500, 150},    {16, 1000, 300},
                {32, 2000, 600},  {48, 3000, 900},  {64, 4000, 1000},
                {80, 5000, 1000}, {96, 6000, 1000}, {112, 7000, 1000}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(dtc_hu_fullstack_milli(rows[i].gib * GIB), rows[i].fs);
        assert_int_equal(dtc_hu_infra_milli(rows[i].gib * GIB, true), rows[i].infra);
        /* one byte above takes the next row */
        int64_t next_fs = i + 1 < sizeof(rows) / sizeof(rows[0]) ? rows[i + 1].fs : 8000;
        assert_int_equal(dtc_hu_fullstack_milli(rows[i].gib * GIB + 1), next_fs);
    }
    /* the contract's examples: 12 GiB -> 1, 24 GiB -> 2 */
    assert_int_equal(dtc_hu_fullstack_milli(12 * GIB), 1000);
    assert_int_equal(dtc_hu_fullstack_milli(24 * GIB), 2000);
    /* beyond 112 GiB: one unit per started 16 GiB */
    assert_int_equal(dtc_hu_fullstack_milli(128 * GIB), 8000);
    assert_int_equal(dtc_hu_fullstack_milli(128 * GIB + 1), 9000);
    assert_int_equal(dtc_hu_fullstack_milli(1024 * GIB), 64000);
    /* nothing for no memory */
    assert_int_equal(dtc_hu_fullstack_milli(0), 0);
    assert_int_equal(dtc_hu_fullstack_milli(-5), 0);
    assert_int_equal(dtc_hu_fullstack_milli(1), 100);
}

static void test_license_infrastructure_cap_is_a_switch(void **state)
{
    (void)state;
    assert_int_equal(dtc_hu_infra_milli(48 * GIB, true), 900);
    assert_int_equal(dtc_hu_infra_milli(64 * GIB, true), 1000);
    assert_int_equal(dtc_hu_infra_milli(64 * GIB, false), 1200);
    assert_int_equal(dtc_hu_infra_milli(112 * GIB, false), 2100);
    assert_int_equal(dtc_hu_infra_milli(256 * GIB, true), 1000);
    assert_int_equal(dtc_hu_infra_milli(256 * GIB, false), 4800);
}

static void test_license_active_time_is_the_union_clipped_to_the_hour(void **state)
{
    (void)state;
    int64_t s[] = {H0 + 600000, H0 - 60000, H0 + 120000, H0 + 3500000};
    int64_t e[] = {H0 + 660000, H0 + 60000, H0 + 180000, H0 + 3700000};
    /* [-1m,+1m) clipped to [0,1m); [2m,3m); [10m,11m); [58m20s, 60m) */
    assert_int_equal(dtc_active_ms(s, e, 4, H0, H0 + 3600000), 60000 + 60000 + 60000 + 100000);
    int64_t s2[] = {H0, H0 + 60000, H0 + 120000};
    int64_t e2[] = {H0 + 180000, H0 + 240000, H0 + 200000}; /* overlapping: 0..4m */
    assert_int_equal(dtc_active_ms(s2, e2, 3, H0, H0 + 3600000), 240000);
    int64_t s3[] = {H0 + 100, H0 + 50};
    int64_t e3[] = {H0 + 50, H0 + 40}; /* empty and reversed */
    assert_int_equal(dtc_active_ms(s3, e3, 2, H0, H0 + 3600000), 0);
}

/* Parse a document with the given rules; returns 0 or the error. */
/* Both paths must agree: the whole buffer at once (jsmn, falling back to
 * yajl), and the streaming feed (yajl). */
static int parse_streaming(const char *json, const dtc_license_rules *r, bool hosts,
                           dtc_lic_parser **pp, const dtc_lic_doc **doc);

static int parse(const char *json, const dtc_license_rules *r, bool hosts, dtc_lic_parser **pp,
                 const dtc_lic_doc **doc)
{
    dtc_lic_parser *whole;
    const dtc_lic_doc *wd = NULL;
    assert_int_equal(dtc_lic_parser_new(&whole, r, hosts), 0);
    int wrc = dtc_lic_parser_parse(whole, &wd, json, strlen(json));
    int rc = parse_streaming(json, r, hosts, pp, doc);
    assert_int_equal(wrc, rc);
    if (rc) /* one rule on both paths: the same refusal, word for word */
        assert_string_equal(dtc_lic_parser_errmsg(whole), dtc_lic_parser_errmsg(*pp));
    if (rc == 0) {
        assert_int_equal(wd->from_ms, (*doc)->from_ms);
        assert_int_equal(wd->nenvs, (*doc)->nenvs);
        assert_int_equal(wd->nhosts, (*doc)->nhosts);
        for (size_t i = 0; i < wd->nenvs; i++)
            assert_memory_equal(&wd->envs[i], &(*doc)->envs[i], sizeof(dtc_lic_env));
        for (size_t i = 0; i < wd->nhosts; i++) {
            const dtc_lic_host *a = &wd->hosts[i], *b = &(*doc)->hosts[i];
            assert_true(a->env == b->env && a->osi_id == b->osi_id && a->mode == b->mode &&
                        a->memory_bytes == b->memory_bytes && a->active_ms == b->active_ms &&
                        a->mhu == b->mhu);
        }
    }
    dtc_lic_parser_free(whole);
    return rc;
}

static int parse_streaming(const char *json, const dtc_license_rules *r, bool hosts,
                           dtc_lic_parser **pp, const dtc_lic_doc **doc)
{
    assert_int_equal(dtc_lic_parser_new(pp, r, hosts), 0);
    /* in small pieces, to cross every token boundary (a large document in
     * the import's own 256 KiB pieces: yajl re-reads a token cut in pieces) */
    size_t n = strlen(json), piece = n > 65536 ? 256 * 1024 : 7;
    for (size_t i = 0; i < n; i += piece) {
        int rc = dtc_lic_parser_feed(*pp, json + i, n - i < piece ? n - i : piece);
        if (rc) return rc;
    }
    return dtc_lic_parser_finish(*pp, doc);
}

static char *host_doc(char *buf, size_t n, const char *flags, int64_t mem, const char *records)
{
    snprintf(
        buf, n,
        "{\"clusterUuid\":\"c1\",\"timeFrameStart\":%lld,\"timeFrameEnd\":%lld,"
        "\"environmentBillingEntries\":[{\"environmentUuid\":\"e1\",\"hostUsages\":[{\"osiId\":1,%s"
        "\"hostMemoryBytes\":%lld,\"agentUsages\":[{\"agentTypeId\":1,\"agentUsageRecords\":[%s]}]}"
        "]}]}",
        (long long)H0, (long long)H0 + 3600000, flags, (long long)mem, records);
    return buf;
}

static int64_t fs_of(const char *flags, int64_t mem, const char *records, char mode)
{
    char buf[2048];
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse(host_doc(buf, sizeof(buf), flags, mem, records), NULL, true, &p, &d), 0);
    assert_int_equal(d->nenvs, 1);
    int64_t v = mode == 'F'   ? d->envs[0].fullstack_mhu
                : mode == 'I' ? d->envs[0].infra_mhu
                              : d->envs[0].paas_mhu;
    dtc_lic_parser_free(p);
    return v;
}

static void test_license_an_hour_counts_from_five_minutes_of_os_activity(void **state)
{
    (void)state;
    char r[256];
    /* 4m59.999s: no; 5m exactly: yes */
    snprintf(r, sizeof(r), "{\"startTime\":%lld,\"endTime\":%lld}", (long long)H0,
             (long long)H0 + 299999);
    assert_int_equal(fs_of("", 16 * GIB, r, 'F'), 0);
    snprintf(r, sizeof(r), "{\"startTime\":%lld,\"endTime\":%lld}", (long long)H0,
             (long long)H0 + 300000);
    assert_int_equal(fs_of("", 16 * GIB, r, 'F'), 1000);
    /* three partial records of 2 minutes: 6 minutes in total */
    snprintf(r, sizeof(r),
             "{\"startTime\":%lld,\"endTime\":%lld},{\"startTime\":%lld,\"endTime\":%lld},"
             "{\"startTime\":%lld,\"endTime\":%lld}",
             (long long)H0, (long long)H0 + 120000, (long long)H0 + 600000, (long long)H0 + 720000,
             (long long)H0 + 3480000, (long long)H0 + 3600000);
    assert_int_equal(fs_of("", 16 * GIB, r, 'F'), 1000);
    /* overlapping records of 3 minutes each over the same span: 4 minutes */
    snprintf(r, sizeof(r),
             "{\"startTime\":%lld,\"endTime\":%lld},{\"startTime\":%lld,\"endTime\":%lld}",
             (long long)H0, (long long)H0 + 180000, (long long)H0 + 60000, (long long)H0 + 240000);
    assert_int_equal(fs_of("", 16 * GIB, r, 'F'), 0);
    /* activity mostly in the hour before: only the part inside counts */
    snprintf(r, sizeof(r), "{\"startTime\":%lld,\"endTime\":%lld}", (long long)H0 - 3000000,
             (long long)H0 + 240000);
    assert_int_equal(fs_of("", 16 * GIB, r, 'F'), 0);
}

static void test_license_only_the_os_module_makes_a_host_count(void **state)
{
    (void)state;
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"timeFrameStart\":%lld,\"environmentBillingEntries\":[{\"environmentUuid\":\"e\","
             "\"hostUsages\":"
             "[{\"hostMemoryBytes\":%lld,\"agentUsages\":[{\"agentUsageRecords\":[{\"startTime\":%"
             "lld,\"endTime\":%lld}],"
             "\"agentTypeId\":6}]}]}]}",
             (long long)H0, (long long)(8 * GIB), (long long)H0, (long long)H0 + 3600000);
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse(buf, NULL, false, &p, &d), 0);
    assert_int_equal(d->envs[0].fullstack_mhu, 0);
    assert_int_equal(d->envs[0].hosts_idle, 1);
    dtc_lic_parser_free(p);
}

static void test_license_modes_infrastructure_and_application_only(void **state)
{
    (void)state;
    char r[128];
    snprintf(r, sizeof(r), "{\"startTime\":%lld,\"endTime\":%lld}", (long long)H0,
             (long long)H0 + 3600000);
    assert_int_equal(fs_of("\"infrastructureOnly\":true,", 64 * GIB, r, 'I'), 1000);
    /* PaaS: the memory limit, Full-Stack weighting */
    assert_int_equal(fs_of("\"paas\":true,\"passMemoryLimit\":4294967296,", 64 * GIB, r, 'P'), 250);
    /* PaaS without a detected limit: the host's memory */
    assert_int_equal(fs_of("\"paas\":true,\"passMemoryLimit\":null,", 8 * GIB, r, 'P'), 500);
    assert_int_equal(fs_of("\"paas\":true,\"passMemoryLimit\":0,", 8 * GIB, r, 'P'), 500);
    /* infrastructureOnly wins over paas */
    assert_int_equal(fs_of("\"paas\":true,\"infrastructureOnly\":true,", 8 * GIB, r, 'I'), 150);
}

static const char *rum_doc =
    "{\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":[{\"environmentUuid\":\"e\","
    "\"visits\":100,\"mobileSessions\":20,\"sessionReplays\":10,\"mobileSessionReplays\":2,"
    "\"totalRUMUserPropertiesUsed\":25,\"syntheticBillingUsage\":["
    "{\"monitorTypeId\":1,\"publicExecutions\":30,\"privateExecutions\":5},"
    "{\"monitorTypeId\":2,\"publicExecutions\":100,\"privateExecutions\":null},"
    "{\"monitorTypeId\":9,\"publicExecutions\":7}]}]}";

static void test_license_dem_units_with_and_without_replays_in_visits(void **state)
{
    (void)state;
    dtc_license_rules r;
    dtc_license_rules_default(&r);
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse(rum_doc, &r, false, &p, &d), 0);
    /* 120 sessions x 0.25 + 12 replays x 1.0 + 35 browser x 1.0 + 100 HTTP x 0.1 + 5 extra
     * properties x 0.01 x 120 sessions = 30 + 12 + 35 + 10 + 6 = 93 */
    assert_int_equal(d->envs[0].dem_centi, 9300);
    assert_int_equal(d->envs[0].synthetic_browser, 35);
    assert_int_equal(d->envs[0].synthetic_http, 100);
    assert_int_equal(d->envs[0].synthetic_other, 7);
    dtc_lic_parser_free(p);
    r.visits_include_replays = true; /* replays add only the 0.75 difference: 12 x 0.25 less */
    assert_int_equal(parse(rum_doc, &r, false, &p, &d), 0);
    assert_int_equal(d->envs[0].dem_centi, 9300 - 300);
    dtc_lic_parser_free(p);
    r.free_properties = 30; /* no extra properties */
    assert_int_equal(parse(rum_doc, &r, false, &p, &d), 0);
    assert_int_equal(d->envs[0].dem_centi, 9300 - 300 - 600);
    dtc_lic_parser_free(p);
}

static void test_license_null_everywhere_is_zero_not_a_crash(void **state)
{
    (void)state;
    const char *doc =
        "{\"clusterUuid\":null,\"timeFrameStart\":1641808800000,\"timeFrameEnd\":null,"
        "\"environmentBillingEntries\":[{\"environmentUuid\":null,\"visits\":null,"
        "\"mobileSessions\":null,"
        "\"totalRUMUserPropertiesUsed\":null,\"newProblems\":null,\"hostUsages\":[{\"osiId\":null,"
        "\"hostName\":null,"
        "\"hostCategory\":null,\"agentUsages\":[{\"networkTraffic\":null,\"agentId\":null,"
        "\"agentTypeId\":null,"
        "\"agentUsageRecords\":[{\"startTime\":null,\"endTime\":null}]},null],"
        "\"infrastructureOnly\":null,"
        "\"paas\":null,\"passMemoryLimit\":null,\"vendorTypeId\":null,\"hostMemoryBytes\":null,"
        "\"premiumLogAnalytics\":null,\"hasContainers\":null},null],\"downloads\":null,"
        "\"syntheticUsages\":null,"
        "\"syntheticBillingUsage\":[null,{\"monitorTypeId\":null}],\"customMetrics\":null,"
        "\"davisDataUnits\":[{\"pool\":null,\"total\":null}],\"trial\":null,\"internalUse\":null,"
        "\"highAvailabilityCluster\":null,\"logStorageUsageBytes\":null,\"logUploadVolumeBytes\":"
        "null,"
        "\"sessionReplays\":null,\"mobileSessionReplays\":null},null]}";
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse(doc, NULL, true, &p, &d), 0);
    assert_int_equal(d->from_ms, H0);
    assert_int_equal(d->to_ms, H0 + 3600000);
    assert_int_equal(d->nenvs, 1);
    assert_int_equal(d->envs[0].fullstack_mhu + d->envs[0].dem_centi + d->envs[0].ddu_micro[5], 0);
    assert_int_equal(d->nhosts, 1);
    dtc_lic_parser_free(p);
    /* and a document that is nothing but nulls has no hour */
    assert_int_equal(
        parse("{\"clusterUuid\":null,\"timeFrameStart\":null,\"environmentBillingEntries\":null}",
              NULL, false, &p, &d),
        0);
    assert_true(d->from_ms < 0);
    dtc_lic_parser_free(p);
}

static void test_license_times_as_epoch_ms_or_iso_strings(void **state)
{
    (void)state;
    const char *forms[] = {"\"2022-01-10T10:00:00Z\"",
                           "\"2022-01-10T10:00:00.000Z\"",
                           "\"2022-01-10T11:00:00+01:00\"",
                           "\"2022-01-10T05:30:00-04:30\"",
                           "1641808800000",
                           "\"1641808800000\""};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char buf[512];
        snprintf(buf, sizeof(buf), "{\"timeFrameStart\":%s,\"environmentBillingEntries\":[]}",
                 forms[i]);
        dtc_lic_parser *p;
        const dtc_lic_doc *d;
        assert_int_equal(parse(buf, NULL, false, &p, &d), 0);
        assert_int_equal(d->from_ms, H0);
        dtc_lic_parser_free(p);
    }
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse("{\"timeFrameStart\":\"yesterday\"}", NULL, false, &p, &d), DTC_EPARSE);
    assert_non_null(strstr(dtc_lic_parser_errmsg(p), "timeFrameStart"));
    dtc_lic_parser_free(p);
}

static void test_license_osi_id_keeps_all_64_bits(void **state)
{
    (void)state;
    const char *doc =
        "{\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":[{\"environmentUuid\":"
        "\"e\","
        "\"hostUsages\":[{\"osiId\":-5174977934749450001},{\"osiId\":9223372036854775807},"
        "{\"osiId\":-9223372036854775808},{\"osiId\":\"9007199254740993\"}]}]}";
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse(doc, NULL, true, &p, &d), 0);
    assert_int_equal(d->nhosts, 4);
    assert_true(d->hosts[0].osi_id == -5174977934749450001LL);
    assert_true(d->hosts[1].osi_id == INT64_MAX);
    assert_true(d->hosts[2].osi_id == INT64_MIN);
    assert_true(d->hosts[3].osi_id == 9007199254740993LL); /* 2^53 + 1: lost in a double */
    dtc_lic_parser_free(p);
    assert_int_equal(
        parse(
            "{\"environmentBillingEntries\":[{\"hostUsages\":[{\"osiId\":9223372036854775808}]}]}",
            NULL, true, &p, &d),
        DTC_EPARSE);
    assert_non_null(strstr(dtc_lic_parser_errmsg(p), "osiId"));
    dtc_lic_parser_free(p);
}

static void test_license_ddus_per_pool_to_the_micro_unit(void **state)
{
    (void)state;
    const char *doc =
        "{\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":[{\"environmentUuid\":"
        "\"e\","
        "\"davisDataUnits\":[{\"pool\":\"Metrics\",\"total\":31},{\"pool\":\"Traces\",\"total\":15."
        "46369},"
        "{\"total\":0.0000005,\"pool\":\"Log\"},{\"pool\":\"Serverless\",\"total\":1.5e1},"
        "{\"pool\":\"Quantum\",\"total\":2.25},{\"pool\":\"Metrics\",\"total\":0.1}]}]}";
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse(doc, NULL, false, &p, &d), 0);
    assert_int_equal(d->envs[0].ddu_micro[0], 31100000);
    assert_int_equal(d->envs[0].ddu_micro[1], 1); /* rounded half up */
    assert_int_equal(d->envs[0].ddu_micro[3], 15463690);
    assert_int_equal(d->envs[0].ddu_micro[4], 15000000);
    assert_int_equal(d->envs[0].ddu_micro[5], 2250000); /* an unknown pool: Other */
    dtc_lic_parser_free(p);
}

static void test_license_refuses_nesting_and_broken_json(void **state)
{
    (void)state;
    char deep[4096];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"x\":");
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse(deep, NULL, false, &p, &d), DTC_EPARSE);
    assert_non_null(strstr(dtc_lic_parser_errmsg(p), "nesting"));
    dtc_lic_parser_free(p);
    const char *bad[] = {"{\"timeFrameStart\":1641808800000,",
                         "[1,2,3]",
                         "{\"a\":tru}",
                         "",
                         "\"just a string\"",
                         "{\"visits\":1x}",
                         "{\"visits\":01}",
                         "{\"a\":nul}",
                         "{\"a\":1}{\"b\":2}",
                         "{\"a\":-}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], NULL, false, &p, &d), DTC_EPARSE);
        assert_true(strlen(dtc_lic_parser_errmsg(p)) > 0);
        assert_null(strchr(dtc_lic_parser_errmsg(p), '\n'));
        dtc_lic_parser_free(p);
    }
}

/* Every figure dtcost reads must fit: refused with the field named, never
 * stored wrapped, as 0 or in another year. */
static void test_license_refuses_figures_and_times_out_of_range_naming_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *env, *top, *field;
    } cases[] = {
        {"\"visits\":9223372036854775807,\"mobileSessions\":1", "", "visits"},
        {"\"visits\":9223372036854775000", "", "DEM"},
        {"\"visits\":1e400", "", "visits"},
        {"\"visits\":-1", "", "visits"},
        {"\"sessionReplays\":99999999999999999999", "", "sessionReplays"},
        {"\"hostUsages\":[{\"osiId\":1,\"hostMemoryBytes\":1e30}]", "", "hostMemoryBytes"},
        {"\"hostUsages\":[{\"osiId\":1,\"hostMemoryBytes\":-8}]", "", "hostMemoryBytes"},
        {"\"davisDataUnits\":[{\"pool\":\"Log\",\"total\":-1.5}]", "", "davisDataUnits"},
        {"\"syntheticBillingUsage\":[{\"monitorTypeId\":1,\"publicExecutions\":9223372036854775807,"
         "\"privateExecutions\":1}]",
         "", "Executions"},
        {"", "\"timeFrameStart\":\"12026-01-10T10:00:00Z\",", "timeFrameStart"},
        {"", "\"timeFrameStart\":3093527980800000,", "timeFrameStart"},
        {"", "\"timeFrameStart\":-3600000,", "timeFrameStart"},
        {"", "\"timeFrameEnd\":\"1969-12-31T23:00:00Z\",", "timeFrameEnd"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[1024];
        snprintf(buf, sizeof(buf),
                 "{%s\"clusterUuid\":\"c\",\"environmentBillingEntries\":[{\"environmentUuid\":"
                 "\"e\"%s%s}]}",
                 cases[i].top[0] ? cases[i].top : "\"timeFrameStart\":1641808800000,",
                 cases[i].env[0] ? "," : "", cases[i].env);
        dtc_lic_parser *p;
        const dtc_lic_doc *d;
        assert_int_equal(parse(buf, NULL, false, &p, &d), DTC_EPARSE);
        if (!strstr(dtc_lic_parser_errmsg(p), cases[i].field))
            fail_msg("%s: %s does not name %s", buf, dtc_lic_parser_errmsg(p), cases[i].field);
        dtc_lic_parser_free(p);
    }
}

/* A key twice in one object, an environment twice in one hour, an id that
 * is not UTF-8 or too long to keep whole: refused on both paths. */
static void test_license_refuses_duplicates_and_unkeepable_ids(void **state)
{
    (void)state;
    static const struct {
        const char *json, *says;
    } cases[] = {
        {"{\"timeFrameStart\":1641808800000,\"timeFrameStart\":1641808800000}", "twice"},
        {"{\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":[{\"environmentUuid\":"
         "\"e\","
         "\"visits\":1,\"visits\":2}]}",
         "twice"},
        {"{\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":[{\"environmentUuid\":"
         "\"e\"},"
         "{\"environmentUuid\":\"e\"}]}",
         "twice"},
        {"{\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":[{\"environmentUuid\":"
         "\"e\\udc00\"}]}",
         "UTF-8"},
        {"{\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":[{\"environmentUuid\":"
         "\"e\xff\"}]}",
         "UTF-8"},
        {"{\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":[{\"environmentUuid\":"
         "\"e\\u0000\"}]}",
         "UTF-8"},
        {"{\"timeFrameStart\":1641808800000,\"clusterUuid\":"
         "\"0123456789012345678901234567890123456789012345678"
         "901234567890123\"}",
         "longer"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dtc_lic_parser *p;
        const dtc_lic_doc *d;
        assert_int_equal(parse(cases[i].json, NULL, false, &p, &d), DTC_EPARSE);
        if (!strstr(dtc_lic_parser_errmsg(p), cases[i].says))
            fail_msg("%s: %s does not say %s", cases[i].json, dtc_lic_parser_errmsg(p),
                     cases[i].says);
        dtc_lic_parser_free(p);
    }
}

/* Escapes decoded on the whole-buffer path as on the streaming one. */
static void test_license_decodes_escapes_on_both_paths(void **state)
{
    (void)state;
    const char *json =
        "{\"clusterUuid\":\"c\\/1\",\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":"
        "[{\"environmentUuid\":\"env-\\u00e9\\ud83d\\ude00\",\"visit\\u0073\":4}]}";
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse(json, NULL, false, &p, &d), 0);
    assert_string_equal(d->cluster, "c/1");
    assert_string_equal(d->envs[0].environment, "env-\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(d->envs[0].visits, 4);
    dtc_lic_parser_free(p);
    /* a high surrogate with no \\u after it: '?' on both paths, as yajl has it */
    assert_int_equal(
        parse(
            "{\"timeFrameStart\":1641808800000,\"environmentBillingEntries\":[{\"environmentUuid\":"
            "\"e\\ud800x\"}]}",
            NULL, false, &p, &d),
        0);
    assert_string_equal(d->envs[0].environment, "e?x");
    dtc_lic_parser_free(p);
}

/* Nesting and token length are refused before a tokenizer works through
 * the document: a million brackets, a 5 MiB string. */
static void test_license_refuses_deep_nesting_and_huge_tokens_on_both_paths(void **state)
{
    (void)state;
    size_t n = 2000000;
    char *deep = malloc(n + 16);
    assert_non_null(deep);
    memcpy(deep, "{\"x\":", 5);
    memset(deep + 5, '[', n / 2);
    memset(deep + 5 + n / 2, ']', n / 2);
    strcpy(deep + 5 + n, "}");
    dtc_lic_parser *p;
    const dtc_lic_doc *d;
    assert_int_equal(parse(deep, NULL, false, &p, &d), DTC_EPARSE);
    assert_non_null(strstr(dtc_lic_parser_errmsg(p), "nesting"));
    dtc_lic_parser_free(p);
    size_t s = 5u << 20;
    char *str = realloc(deep, s + 16);
    assert_non_null(str);
    memcpy(str, "{\"x\":\"", 6);
    memset(str + 6, 'a', s);
    strcpy(str + 6 + s, "\"}");
    assert_int_equal(parse(str, NULL, false, &p, &d), DTC_EPARSE);
    assert_non_null(strstr(dtc_lic_parser_errmsg(p), "longer than"));
    dtc_lic_parser_free(p);
    memset(str + 5, '1', s); /* a number as long */
    strcpy(str + 5 + s, "}");
    assert_int_equal(parse(str, NULL, false, &p, &d), DTC_EPARSE);
    assert_non_null(strstr(dtc_lic_parser_errmsg(p), "longer than"));
    dtc_lic_parser_free(p);
    free(str);
}

/* The whole-buffer scanner reads digits and plain string bytes eight at a
 * time: every length around those steps, each followed by what may end it
 * (or by bytes that must not: a control character, 0xff, a digit-like
 * 0x3a), reads the same figure or draws the same refusal as yajl. */
static void
test_license_numbers_and_strings_of_every_length_read_the_same_on_both_paths(void **state)
{
    (void)state;
    const char *const after[] = {
        ",\"visits\":1}", " ,\"visits\":1}", "}", "\x01}", "\xff}", ":}", "0}"};
    for (int len = 1; len <= 19; len++) {
        for (size_t a = 0; a < sizeof(after) / sizeof(after[0]); a++) {
            char digits[24], json[256];
            for (int k = 0; k < len; k++)
                digits[k] = (char)('1' + (k * 7) % 9);
            digits[len] = '\0';
            snprintf(json, sizeof(json),
                     "{\"clusterUuid\":\"c1\",\"timeFrameStart\":%lld,"
                     "\"environmentBillingEntries\":[{\"environmentUuid\":\"e-%s\","
                     "\"logUploadVolumeBytes\":%s%s]}",
                     (long long)H0, digits, digits, after[a]);
            dtc_lic_parser *p;
            const dtc_lic_doc *d = NULL;
            int rc = parse(json, NULL, false, &p, &d); /* asserts both paths agree */
            /* a trailing 0 makes it ten times larger: past int64 at 20 digits */
            bool valid = a < 3 || (a == 6 && len <= 18);
            if (valid) {
                assert_int_equal(rc, 0);
                assert_string_equal(d->envs[0].environment + 2, digits);
                assert_int_equal(d->envs[0].log_upload_bytes,
                                 strtoll(digits, NULL, 10) * (a == 6 ? 10 : 1));
            } else {
                assert_int_not_equal(rc, 0);
            }
            dtc_lic_parser_free(p);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_license_host_units_at_every_table_edge),
        cmocka_unit_test(test_license_infrastructure_cap_is_a_switch),
        cmocka_unit_test(test_license_active_time_is_the_union_clipped_to_the_hour),
        cmocka_unit_test(test_license_an_hour_counts_from_five_minutes_of_os_activity),
        cmocka_unit_test(test_license_only_the_os_module_makes_a_host_count),
        cmocka_unit_test(test_license_modes_infrastructure_and_application_only),
        cmocka_unit_test(test_license_dem_units_with_and_without_replays_in_visits),
        cmocka_unit_test(test_license_null_everywhere_is_zero_not_a_crash),
        cmocka_unit_test(test_license_times_as_epoch_ms_or_iso_strings),
        cmocka_unit_test(test_license_osi_id_keeps_all_64_bits),
        cmocka_unit_test(test_license_ddus_per_pool_to_the_micro_unit),
        cmocka_unit_test(test_license_refuses_nesting_and_broken_json),
        cmocka_unit_test(test_license_refuses_figures_and_times_out_of_range_naming_the_field),
        cmocka_unit_test(test_license_refuses_duplicates_and_unkeepable_ids),
        cmocka_unit_test(test_license_decodes_escapes_on_both_paths),
        cmocka_unit_test(test_license_refuses_deep_nesting_and_huge_tokens_on_both_paths),
        cmocka_unit_test(
            test_license_numbers_and_strings_of_every_length_read_the_same_on_both_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
