/* Unit tests for src/lib/export.c's FOCUS mapping. The hand-made account of
 * tests/data/focus/account.facts (two subscriptions in USD and EUR, two
 * environments, rate cards, one record allocated to 2 cost centres and 3
 * products, one to a cost centre only) and a later sync's late booking
 * (restated.facts) are loaded through the store, exported as FOCUS 1.2, 1.3
 * and 1.4 into memory, parsed back and checked as a FinOps analyst would:
 * the columns of each version, periods, currency, costs to the micro-unit,
 * prices, the split rows of an allocated record, the commitment's rows, the
 * Correction, the ContractCommitment dataset and the metadata. Every figure
 * is worked out by hand in the comments from the facts and docs/focus.md;
 * the whole files are also compared byte for byte with
 * tests/data/focus/expected-*.csv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testdb.h"
#include "dtcost/export.h"
#include "facts.h"
#include "timeutil.h"

static char db_path[256];
static dtc_store *store;

/* ---- a small RFC 4180 reader for the files the export writes ---- */

#define MAXCOLS 64
#define MAXROWS 64

/* A parsed CSV file: the header's names and the rows' fields, NULL for an
 * empty field (FOCUS null). */
typedef struct csv {
    int ncols, nrows;
    char *head[MAXCOLS];
    char *f[MAXROWS][MAXCOLS];
} csv;

/* One field at *p, its end (',' or CR) after it; NULL when it is empty. */
static char *csv_field(const char **p)
{
    const char *s = *p;
    size_t n = 0;
    bool quoted = *s == '"';
    char *out = malloc(strlen(s) + 1);
    assert_non_null(out);
    if (quoted) {
        for (s++;; s++) {
            assert_true(*s != '\0'); /* an unterminated quote fails here */
            if (*s == '"' && s[1] == '"')
                out[n++] = *s++;
            else if (*s == '"')
                break;
            else
                out[n++] = *s;
        }
        s++;
    } else
        while (*s && *s != ',' && *s != '\r' && *s != '\n')
            out[n++] = *s++;
    out[n] = '\0';
    *p = s;
    if (n == 0 && !quoted) {
        free(out);
        return NULL;
    }
    return out;
}

/* Parse text: every line ends in CRLF, every row has the header's fields. */
static csv *csv_parse(const char *text)
{
    csv *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    const char *p = text;
    for (int row = -1; *p; row++) {
        assert_true(row < MAXROWS);
        int n = 0;
        for (;;) {
            assert_true(n < MAXCOLS);
            char *v = csv_field(&p);
            if (row < 0)
                t->head[n++] = v;
            else
                t->f[row][n++] = v;
            if (*p == ',') {
                p++;
                continue;
            }
            assert_true(p[0] == '\r' && p[1] == '\n'); /* CRLF, no bare LF */
            p += 2;
            break;
        }
        if (row < 0)
            t->ncols = n;
        else {
            assert_int_equal(n, t->ncols);
            t->nrows = row + 1;
        }
    }
    return t;
}

static void csv_free(csv *t)
{
    for (int c = 0; c < t->ncols; c++) {
        free(t->head[c]);
        for (int r = 0; r < t->nrows; r++)
            free(t->f[r][c]);
    }
    free(t);
}

static int col_of(const csv *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (t->head[c] && strcmp(t->head[c], name) == 0) return c;
    return -1;
}

/* Row r's value of column name (NULL: null); the column must exist. */
static const char *val(const csv *t, int r, const char *name)
{
    int c = col_of(t, name);
    if (c < 0) fail_msg("no column %s", name);
    return t->f[r][c];
}

/* The rows whose columns equal the given values (name, value pairs up to a
 * NULL name; a NULL value matches null), into out; their count. */
static int rows_where(const csv *t, int *out, int max, ...)
{
    int n = 0;
    for (int r = 0; r < t->nrows; r++) {
        va_list ap;
        va_start(ap, max);
        bool ok = true;
        for (const char *name; ok && (name = va_arg(ap, const char *)) != NULL;) {
            const char *want = va_arg(ap, const char *), *got = val(t, r, name);
            ok = want ? got && strcmp(got, want) == 0 : got == NULL;
        }
        va_end(ap);
        if (ok && n < max) out[n++] = r;
    }
    return n;
}

/* The one row of a record's part (kind: x_ChargeKind) for its charge day. */
static int the_row(const csv *t, const char *kind, const char *sub, const char *sku,
                   const char *charge_start)
{
    int r[MAXROWS];
    int n = rows_where(t, r, MAXROWS, "x_ChargeKind", kind, "x_SubscriptionUuid", sub, "SkuId", sku,
                       "ChargePeriodStart", charge_start, (const char *)NULL);
    if (n != 1) fail_msg("%d rows of %s %s %s %s, expected 1", n, kind, sub, sku, charge_start);
    return r[0];
}

/* A money field ("-1.000001": exactly six places) in micro-units. */
static int64_t micro(const char *s)
{
    assert_non_null(s);
    int64_t sign = *s == '-' ? -1 : 1, v = 0;
    s += *s == '-';
    const char *dot = strchr(s, '.');
    assert_non_null(dot);
    assert_int_equal(strlen(dot + 1), 6);
    for (; *s; s++)
        if (*s != '.') {
            assert_true(*s >= '0' && *s <= '9');
            v = v * 10 + (*s - '0');
        }
    return sign * v;
}

/* ---- the export into memory ---- */

/* The cost-and-usage file of FOCUS 1.<minor>, split by split (0: both
 * fields); the stats in *st. The caller frees the text. */
static char *focus(int minor, int split, dtc_export_stats *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    dtc_export_opts o = {.format = DTC_EXPORT_FOCUS,
                         .from = -1,
                         .to = -1,
                         .focus_minor = minor,
                         .focus_split = split};
    int rc = dtc_export_write(store, out, st, &o);
    fclose(out);
    if (rc) fail_msg("export 1.%d: %s (%s)", minor, dtc_strerror(rc), st->err);
    return text;
}

static csv *focus_csv(int minor, int split, dtc_export_stats *st)
{
    char *text = focus(minor, split, st);
    csv *t = csv_parse(text);
    free(text);
    return t;
}

/* Text equal to tests/data/focus/<name>, byte for byte; the first line
 * that differs is named. */
static void equals_file(const char *text, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/focus/%s", DTC_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *want = calloc(1, 1 << 20);
    assert_non_null(want);
    size_t n = fread(want, 1, (1 << 20) - 1, f);
    fclose(f);
    want[n] = '\0';
    if (strcmp(text, want) != 0) {
        const char *a = text, *b = want, *la = text, *lb = want;
        int line = 1;
        while (*a && *a == *b) {
            if (*a == '\n') line++, la = a + 1, lb = b + 1;
            a++, b++;
        }
        fail_msg("%s differs from the export at line %d:\n  export:   %.*s\n  expected: %.*s", name,
                 line, (int)strcspn(la, "\r\n"), la, (int)strcspn(lb, "\r\n"), lb);
    }
    free(want);
}

static int setup(void **state)
{
    (void)state;
    store = testdb_open(db_path, sizeof(db_path), "export");
    assert_non_null(store);
    /* The first sync, then the one that saw the late booking: the last
     * successful sync ends 2026-12-02T06:05:00Z, so November has closed. */
    assert_int_equal(facts_load_run(store, "focus/account.facts", "2026-11-20T06:00:00Z",
                                    "2026-11-20T06:05:00Z"),
                     0);
    assert_int_equal(facts_load_run(store, "focus/restated.facts", "2026-12-02T06:00:00Z",
                                    "2026-12-02T06:05:00Z"),
                     0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testdb_close(store, db_path);
    return 0;
}

/* ---- the tests ---- */

/* docs/focus.md's column table, in file order. */
#define HEAD_COMMON                                                                                \
    "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodStart,"           \
    "BillingPeriodEnd,ChargeCategory,ChargeClass,ChargeDescription,ChargePeriodStart,"             \
    "ChargePeriodEnd,ContractedCost,EffectiveCost,InvoiceIssuerName,ListCost,PricingQuantity,"     \
    "PricingUnit,ProviderName,PublisherName,ServiceCategory,ServiceName,"
#define HEAD_X                                                                                     \
    "x_ChargeKind,x_SubscriptionUuid,x_ClusterId,x_BookingDate,x_DynatraceUnit,"                   \
    "x_LastModifiedTime\r\n"
static const char head12[] =
    HEAD_COMMON "ChargeFrequency,CommitmentDiscountCategory,CommitmentDiscountId,"
                "CommitmentDiscountName,CommitmentDiscountStatus,CommitmentDiscountType,"
                "ConsumedQuantity,ConsumedUnit,ContractedUnitPrice,ListUnitPrice,PricingCategory,"
                "ServiceSubcategory,SkuId,SkuPriceId,SubAccountId,SubAccountName,SubAccountType,"
                "Tags," HEAD_X;
static const char head13[] =
    HEAD_COMMON "ServiceProviderName,HostProviderName,ChargeFrequency,ConsumedQuantity,"
                "ConsumedUnit,ContractApplied,ContractedUnitPrice,ListUnitPrice,PricingCategory,"
                "ServiceSubcategory,SkuId,SkuPriceId,SubAccountId,SubAccountName,SubAccountType,"
                "AllocatedMethodId,AllocatedMethodDetails,AllocatedResourceId,"
                "AllocatedResourceName,AllocatedTags," HEAD_X;

static void test_export_focus_header_is_each_versions_columns_in_order(void **state)
{
    (void)state;
    const char *want[] = {head12, head13, head13}; /* 1.4's cost file has 1.3's columns */
    for (int minor = 2; minor <= 4; minor++) {
        dtc_export_stats st;
        char *text = focus(minor, 0, &st);
        size_t n = strlen(want[minor - 2]);
        if (strncmp(text, want[minor - 2], n) != 0)
            fail_msg("FOCUS 1.%d header:\n  %.*s\nexpected\n  %s", minor,
                     (int)(strchr(text, '\n') - text), text, want[minor - 2]);
        csv *t = csv_parse(text);
        /* 1.2 names the commitment as a commitment discount and the split as
         * Tags; 1.3 and 1.4 as ContractApplied and split cost allocation. */
        assert_int_equal(col_of(t, "ContractApplied") >= 0, minor >= 3);
        assert_int_equal(col_of(t, "AllocatedResourceId") >= 0, minor >= 3);
        assert_int_equal(col_of(t, "ServiceProviderName") >= 0, minor >= 3);
        assert_int_equal(col_of(t, "CommitmentDiscountId") >= 0, minor == 2);
        assert_int_equal(col_of(t, "Tags") >= 0, minor == 2);
        assert_int_equal(t->ncols, minor == 2 ? 45 : 47);
        csv_free(t);
        free(text);
    }
}

static void test_export_focus_files_are_byte_for_byte_the_expected_ones(void **state)
{
    (void)state;
    static const char *const names[] = {"expected-1.2.csv", "expected-1.3.csv", "expected-1.4.csv"};
    for (int minor = 2; minor <= 4; minor++) {
        dtc_export_stats st;
        char *text = focus(minor, 0, &st);
        equals_file(text, names[minor - 2]);
        free(text);
    }
}

/* sub-a's log ingest of 2026-11-10 in env-lab: 2.5 USD, 12.5 GiB, no rate
 * card, no allocation, drawn from the commitment (35.5 USD used before the
 * synced days, 70 committed). */
static void test_export_focus_plain_record_is_one_row_with_its_cost_period_and_service(void **state)
{
    (void)state;
    for (int minor = 2; minor <= 4; minor++) {
        dtc_export_stats st;
        csv *t = focus_csv(minor, 0, &st);
        int r = the_row(t, "usage", "sub-a", "LOG_INGEST", "2026-11-10T00:00:00Z");
        assert_string_equal(val(t, r, "ChargePeriodEnd"), "2026-11-11T00:00:00Z");
        assert_string_equal(val(t, r, "BillingPeriodStart"), "2026-11-01T00:00:00Z");
        assert_string_equal(val(t, r, "BillingPeriodEnd"), "2026-12-01T00:00:00Z");
        assert_string_equal(val(t, r, "BillingCurrency"), "USD");
        assert_string_equal(val(t, r, "BillingAccountId"), "acc-1");
        assert_string_equal(val(t, r, "BillingAccountName"), "Dynatrace account acc-1");
        assert_string_equal(val(t, r, "InvoiceIssuerName"), "Dynatrace");
        assert_int_equal(micro(val(t, r, "EffectiveCost")), 2500000);
        assert_int_equal(micro(val(t, r, "BilledCost")), 0); /* paid by the purchase */
        /* no rate card: list and contracted cost are what Dynatrace charged */
        assert_int_equal(micro(val(t, r, "ListCost")), 2500000);
        assert_int_equal(micro(val(t, r, "ContractedCost")), 2500000);
        assert_null(val(t, r, "ListUnitPrice"));
        assert_null(val(t, r, "ContractedUnitPrice"));
        assert_string_equal(val(t, r, "SkuId"), "LOG_INGEST");
        assert_string_equal(val(t, r, "SkuPriceId"), "LOG_INGEST/USD");
        assert_string_equal(val(t, r, "PricingQuantity"), "12.5");
        assert_string_equal(val(t, r, "ConsumedQuantity"), "12.5");
        assert_string_equal(val(t, r, "PricingUnit"), "GiB");
        assert_string_equal(val(t, r, "ChargeCategory"), "Usage");
        assert_null(val(t, r, "ChargeClass"));
        assert_string_equal(val(t, r, "ChargeFrequency"), "Usage-Based");
        assert_string_equal(val(t, r, "PricingCategory"), "Committed");
        assert_string_equal(val(t, r, "ServiceName"), "Logs, Ingest & Process");
        assert_string_equal(val(t, r, "ServiceCategory"), "Management and Governance");
        assert_string_equal(val(t, r, "ServiceSubcategory"), "Observability");
        assert_string_equal(val(t, r, "SubAccountId"), "env-lab");
        assert_string_equal(val(t, r, "SubAccountName"),
                            "Environment env-lab (no name in Dynatrace)");
        assert_string_equal(val(t, r, "ChargeDescription"),
                            "Logs, Ingest & Process in environment env-lab on 2026-11-10: drawn "
                            "down from the annual commitment.");
        assert_string_equal(val(t, r, "x_LastModifiedTime"), "2026-12-02T06:05:00Z");
        if (minor == 2) {
            assert_string_equal(val(t, r, "CommitmentDiscountId"), "sub-a/2026-01-01");
            assert_string_equal(val(t, r, "CommitmentDiscountStatus"), "Used");
            assert_null(val(t, r, "Tags")); /* no allocation */
        } else {
            assert_string_equal(val(t, r, "ContractApplied"),
                                "{\"Elements\":[{\"ContractId\":\"sub-a\","
                                "\"ContractCommitmentId\":\"sub-a/2026-01-01\","
                                "\"ContractCommitmentAppliedCost\":2.500000,"
                                "\"ContractCommitmentAppliedQuantity\":null,"
                                "\"ContractCommitmentAppliedUnit\":null}]}");
            assert_null(val(t, r, "AllocatedMethodId"));
            assert_null(val(t, r, "AllocatedResourceId"));
        }
        csv_free(t);
    }
}

/* Rate cards: ListCost = quoted price x quantity, ContractedCost = price x
 * quantity, on the rate card of the subscription's currency in force. */
static void test_export_focus_prices_come_from_the_rate_card_of_the_currency_and_day(void **state)
{
    (void)state;
    dtc_export_stats st;
    csv *t = focus_csv(DTC_FOCUS_NEWEST, 0, &st);
    /* sub-b, 2026-11-29: 168 host-hours x 0.045 EUR = 7.56, x 0.036 = 6.048;
     * Dynatrace charged 7 EUR. */
    int r = the_row(t, "usage", "sub-b", "HOST_MONITORING", "2026-11-29T00:00:00Z");
    assert_string_equal(val(t, r, "BillingCurrency"), "EUR");
    assert_int_equal(micro(val(t, r, "EffectiveCost")), 7000000);
    assert_int_equal(micro(val(t, r, "ListCost")), 7560000);
    assert_int_equal(micro(val(t, r, "ContractedCost")), 6048000);
    assert_string_equal(val(t, r, "ListUnitPrice"), "0.045");
    assert_string_equal(val(t, r, "ContractedUnitPrice"), "0.036");
    assert_string_equal(val(t, r, "PricingQuantity"), "168");
    assert_string_equal(val(t, r, "PricingUnit"), "Host-Hours");
    assert_string_equal(val(t, r, "x_DynatraceUnit"), "host-hour");
    assert_string_equal(val(t, r, "SkuPriceId"), "Q-200/HOST_MONITORING/EUR/2025-12-01");
    assert_string_equal(val(t, r, "SubAccountName"), "Production EU");
    /* sub-b, 2025-11-30: the EUR rate card starts 2025-12-01, so no price */
    r = the_row(t, "usage", "sub-b", "HOST_MONITORING", "2025-11-30T00:00:00Z");
    assert_int_equal(micro(val(t, r, "ListCost")), 1000000);
    assert_null(val(t, r, "ListUnitPrice"));
    assert_string_equal(val(t, r, "SkuPriceId"), "HOST_MONITORING/EUR");
    /* sub-a, 2026-11-11, the part drawn from the commitment carries the
     * quantity: 720 x 0.05 USD = 36, x 0.04 = 28.8 */
    r = the_row(t, "usage", "sub-a", "HOST_MONITORING", "2026-11-11T00:00:00Z");
    assert_int_equal(micro(val(t, r, "ListCost")), 36000000);
    assert_int_equal(micro(val(t, r, "ContractedCost")), 28800000);
    assert_string_equal(val(t, r, "SkuPriceId"), "Q-100/HOST_MONITORING/USD/2026-01-01");
    /* security capabilities: the Security service category */
    int rs[4];
    assert_int_equal(rows_where(t, rs, 4, "SkuId", "RUNTIME_VULNERABILITY_ANALYTICS",
                                "ServiceCategory", "Security", "ServiceSubcategory",
                                "Other (Security)", (const char *)NULL),
                     4);
    assert_int_equal(rows_where(t, rs, 4, "SkuId", "SECURITY_POSTURE_MANAGEMENT",
                                "ServiceSubcategory", "Security Posture Management", "PricingUnit",
                                "Units", "x_DynatraceUnit", "node-hour", (const char *)NULL),
                     2); /* node-hour is not in the unit table: Units */
    /* 25 and 15 node-hours (the record's 40 split 0.5 : 0.3 by cost centre)
     * x 0.0200001 USD = 0.5000025 and 0.3000015, x 0.0160001 = 0.4000025 and
     * 0.2400015: half a micro-unit, rounded away from zero */
    assert_string_equal(val(t, rs[0], "PricingQuantity"), "25");
    assert_int_equal(micro(val(t, rs[0], "ListCost")), 500003);
    assert_int_equal(micro(val(t, rs[0], "ContractedCost")), 400003);
    assert_string_equal(val(t, rs[1], "PricingQuantity"), "15");
    assert_int_equal(micro(val(t, rs[1], "ListCost")), 300002);
    assert_int_equal(micro(val(t, rs[1], "ContractedCost")), 240002);
    csv_free(t);
}

/* The allocated record: sub-a, env-prod, Full-Stack, 2026-11-10, 10 USD.
 * Cost centres (the record minus their sum is what none carries): cc-ops
 * 3.333333, cc-web 5.000001, none 1.666666. Products: checkout 2.000000,
 * search 3.000003, shop 4.444444, none 0.555553. Both sum to at most the
 * record, so each share is the allocation itself.
 *
 * Cells, by docs/focus.md: floor(cc x product / 10): row cc-ops 666666,
 * 1000000, 1481481, 185184 (remainders x 1e7: 6000000, 8999999, 1851852,
 * 3148149); cc-web 1000000, 1500001, 2222222, 277776 (2000000, 8000003,
 * 4444444, 5555553); none 333333, 500000, 740740, 92592 (2000000, 2999998,
 * 3703704, 1296298). Rows lack 2, 2, 1 micro-units; columns 1, 2, 1, 1.
 * cc-ops: the column lacking most (search), then on the tie of 1 the largest
 * remainder (checkout); columns then lack 0, 1, 1, 1. cc-web: tie, largest
 * remainders search (8000003) then none (5555553); columns lack 0, 0, 1, 0.
 * none: shop. */
static const struct cell {
    const char *cc, *product; /* NULL: the part no key carries */
    int64_t micro;
} cells[12] = {
    {"cc-ops", "checkout", 666667}, {"cc-ops", "search", 1000001},   {"cc-ops", "shop", 1481481},
    {"cc-ops", NULL, 185184},       {"cc-web", "checkout", 1000000}, {"cc-web", "search", 1500002},
    {"cc-web", "shop", 2222222},    {"cc-web", NULL, 277777},        {NULL, "checkout", 333333},
    {NULL, "search", 500000},       {NULL, "shop", 740741},          {NULL, NULL, 92592},
};

static void test_export_focus_allocated_record_splits_into_exact_cells(void **state)
{
    (void)state;
    for (int minor = 2; minor <= 4; minor++) {
        dtc_export_stats st;
        csv *t = focus_csv(minor, 0, &st);
        int r[MAXROWS];
        int n = rows_where(t, r, MAXROWS, "x_SubscriptionUuid", "sub-a", "SkuId", "HOST_MONITORING",
                           "ChargePeriodStart", "2026-11-10T00:00:00Z", (const char *)NULL);
        assert_int_equal(n, 12); /* (2 + 1) x (3 + 1) */
        int64_t total = 0, by_cc[3] = {0}, by_product[4] = {0};
        for (int i = 0; i < n; i++) {
            const struct cell *c = &cells[i]; /* rows come in key order */
            int64_t eff = micro(val(t, r[i], "EffectiveCost"));
            if (eff != c->micro)
                fail_msg("1.%d: cell %s x %s has %lld micro-units, expected %lld", minor,
                         c->cc ? c->cc : "(none)", c->product ? c->product : "(none)",
                         (long long)eff, (long long)c->micro);
            assert_int_equal(micro(val(t, r[i], "BilledCost")), 0); /* drawn down */
            total += eff;
            by_cc[i / 4] += eff;
            by_product[i % 4] += eff;
            char tags[160], id[80], name[80];
            snprintf(tags, sizeof(tags),
                     "{\"dynatrace/costcenter\":%s%s%s,\"dynatrace/product\":%s%s%s}",
                     c->cc ? "\"" : "", c->cc ? c->cc : "null", c->cc ? "\"" : "",
                     c->product ? "\"" : "", c->product ? c->product : "null",
                     c->product ? "\"" : "");
            if (minor == 2) {
                assert_string_equal(val(t, r[i], "Tags"), tags);
                continue;
            }
            assert_string_equal(val(t, r[i], "AllocatedMethodId"),
                                "dynatrace-cost-allocation/COSTCENTER-PRODUCT");
            if (!c->cc && !c->product) { /* the unallocated portion */
                assert_null(val(t, r[i], "AllocatedResourceId"));
                assert_null(val(t, r[i], "AllocatedResourceName"));
                assert_null(val(t, r[i], "AllocatedTags"));
                continue;
            }
            snprintf(id, sizeof(id), "%s%s%s%s%s", c->cc ? "costcenter=" : "", c->cc ? c->cc : "",
                     c->cc && c->product ? ";" : "", c->product ? "product=" : "",
                     c->product ? c->product : "");
            snprintf(name, sizeof(name), "%s / %s", c->cc ? c->cc : "no cost centre",
                     c->product ? c->product : "no product");
            assert_string_equal(val(t, r[i], "AllocatedResourceId"), id);
            assert_string_equal(val(t, r[i], "AllocatedResourceName"), name);
            assert_string_equal(val(t, r[i], "AllocatedTags"), tags);
        }
        /* Grouped by cost centre or product: Dynatrace's allocation exactly;
         * all of them: the record. */
        assert_int_equal(total, 10000000);
        assert_int_equal(by_cc[0], 3333333);
        assert_int_equal(by_cc[1], 5000001);
        assert_int_equal(by_cc[2], 1666666);
        assert_int_equal(by_product[0], 2000000);
        assert_int_equal(by_product[1], 3000003);
        assert_int_equal(by_product[2], 4444444);
        assert_int_equal(by_product[3], 555553);
        /* cc-ops x checkout: ratio 0.3333333 x 0.2; quantity 240 x that =
         * 15.9999984 host-hours, ListCost 0.05 x it = 0.79999992 -> 0.800000,
         * ContractedCost 0.04 x it = 0.639999936 -> 0.640000 */
        assert_string_equal(val(t, r[0], "PricingQuantity"), "15.9999984");
        assert_int_equal(micro(val(t, r[0], "ListCost")), 800000);
        assert_int_equal(micro(val(t, r[0], "ContractedCost")), 640000);
        if (minor >= 3) {
            assert_string_equal(val(t, r[0], "AllocatedMethodDetails"),
                                "{\"Elements\":[{\"AllocatedRatio\":0.06666666,"
                                "\"x_CostCenterRatio\":0.3333333,\"x_ProductRatio\":0.2}]}");
            /* the commitment applies the cell's cost */
            assert_non_null(strstr(val(t, r[0], "ContractApplied"),
                                   "\"ContractCommitmentAppliedCost\":0.666667,"));
        }
        csv_free(t);
    }
}

/* sub-a's Runtime Vulnerability record of 2026-11-11: 1.2 USD, all overage,
 * allocated to products api, checkout, search 0.5 each and web 0.0001:
 * 1.5001 in all, more than the record, so scaled to it. Shares of 1200000
 * over weights summing to 1500100: 1200000 x 500000 / 1500100 = 399973.33
 * (remainder 500000 / 1500100) for each of the three, web 1200000 x 100 /
 * 1500100 = 79.99 (remainder 1492100 / 1500100). The floors sum to 1199998:
 * one micro-unit each to the two largest remainders, web, then api, the
 * earliest key of the tied three. No cost centre: one cell per product, and
 * no part left to no product (the allocations cover the record). */
static void test_export_focus_allocations_beyond_the_record_are_scaled_to_it(void **state)
{
    (void)state;
    static const struct {
        const char *product;
        int64_t micro;
    } want[] = {{"api", 399974}, {"checkout", 399973}, {"search", 399973}, {"web", 80}};
    for (int minor = 2; minor <= 4; minor++) {
        dtc_export_stats st;
        csv *t = focus_csv(minor, 0, &st);
        int r[MAXROWS];
        int n = rows_where(t, r, MAXROWS, "SkuId", "RUNTIME_VULNERABILITY_ANALYTICS",
                           (const char *)NULL);
        assert_int_equal(n, 4);
        int64_t total = 0;
        for (int i = 0; i < n; i++) {
            char tags[96], id[64];
            snprintf(tags, sizeof(tags),
                     "{\"dynatrace/costcenter\":null,\"dynatrace/product\":\"%s\"}",
                     want[i].product);
            snprintf(id, sizeof(id), "product=%s", want[i].product);
            assert_string_equal(val(t, r[i], minor == 2 ? "Tags" : "AllocatedResourceId"),
                                minor == 2 ? tags : id);
            int64_t eff = micro(val(t, r[i], "EffectiveCost"));
            if (eff != want[i].micro)
                fail_msg("1.%d: product %s has %lld micro-units, expected %lld", minor,
                         want[i].product, (long long)eff, (long long)want[i].micro);
            assert_int_equal(micro(val(t, r[i], "BilledCost")), eff); /* overage: billed */
            total += eff;
        }
        assert_int_equal(total, 1200000);
        csv_free(t);
    }
}

/* The effective cost of rows with SkuId sku on day, grouped by one split
 * column's value into sums (keys in order, NULL for null); the row count. */
static int sums_by(const csv *t, const char *sku, const char *day, const char *tag_key,
                   const char *const *keys, int nkeys, int64_t *sums)
{
    int r[MAXROWS];
    int n = rows_where(t, r, MAXROWS, "x_SubscriptionUuid", "sub-a", "SkuId", sku,
                       "ChargePeriodStart", day, (const char *)NULL);
    for (int k = 0; k < nkeys; k++)
        sums[k] = 0;
    for (int i = 0; i < n; i++) {
        const char *tags = val(t, r[i], "Tags");
        for (int k = 0; k < nkeys; k++) {
            char want[96];
            snprintf(want, sizeof(want), "\"%s\":%s%s%s", tag_key, keys[k] ? "\"" : "",
                     keys[k] ? keys[k] : "null", keys[k] ? "\"" : "");
            if (tags && strstr(tags, want)) sums[k] += micro(val(t, r[i], "EffectiveCost"));
        }
    }
    return n;
}

/* --focus-split: by one field, a record becomes one row per key of it plus
 * the part none carries; with none, one row; the totals never change. */
static void test_export_focus_split_by_one_field_or_none_keeps_every_sum(void **state)
{
    (void)state;
    static const char *const ccs[] = {"cc-ops", "cc-web", NULL};
    static const char *const products[] = {"checkout", "search", "shop", NULL};
    static const struct variant {
        int split;
        long rows;      /* 28 split by both: 12 + 4 + 2 rows of the allocated records */
        int full_stack; /* rows of the 10 USD record */
        int runtime;    /* rows of the 1.2 USD record allocated to products only */
        int posture;    /* rows of the 0.8 USD record allocated to cc-sec only */
    } variants[] = {
        {DTC_FOCUS_SPLIT_COSTCENTER, 28 - 12 + 3 - 4 + 1, 3, 1, 2},
        {DTC_FOCUS_SPLIT_PRODUCT, 28 - 12 + 4 - 2 + 1, 4, 4, 1},
        {DTC_FOCUS_SPLIT_NONE, 28 - 12 + 1 - 4 + 1 - 2 + 1, 1, 1, 1},
    };
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        const struct variant *w = &variants[v];
        dtc_export_stats st;
        csv *t = focus_csv(2, w->split, &st);
        assert_int_equal(st.rows, w->rows);
        assert_int_equal(t->nrows, w->rows);
        assert_int_equal(st.effective_micro, 86250000);
        assert_int_equal(st.billed_micro, 130000000);
        int64_t s[4];
        int n = sums_by(t, "HOST_MONITORING", "2026-11-10T00:00:00Z", "dynatrace/costcenter", ccs,
                        3, s);
        assert_int_equal(n, w->full_stack);
        if (w->split == DTC_FOCUS_SPLIT_COSTCENTER) {
            assert_int_equal(s[0], 3333333);
            assert_int_equal(s[1], 5000001);
            assert_int_equal(s[2], 1666666);
        }
        sums_by(t, "HOST_MONITORING", "2026-11-10T00:00:00Z", "dynatrace/product", products, 4, s);
        if (w->split == DTC_FOCUS_SPLIT_PRODUCT) {
            assert_int_equal(s[0], 2000000);
            assert_int_equal(s[1], 3000003);
            assert_int_equal(s[2], 4444444);
            assert_int_equal(s[3], 555553);
        }
        if (w->split == DTC_FOCUS_SPLIT_NONE) { /* one row, no tags */
            int r = the_row(t, "usage", "sub-a", "HOST_MONITORING", "2026-11-10T00:00:00Z");
            assert_int_equal(micro(val(t, r, "EffectiveCost")), 10000000);
            assert_null(val(t, r, "Tags"));
        }
        int r[4];
        assert_int_equal(
            rows_where(t, r, 4, "SkuId", "RUNTIME_VULNERABILITY_ANALYTICS", (const char *)NULL),
            w->runtime);
        assert_int_equal(
            rows_where(t, r, 4, "SkuId", "SECURITY_POSTURE_MANAGEMENT", (const char *)NULL),
            w->posture);
        csv_free(t);
    }
}

/* The DPS commitment: sub-a's 70 USD are used up on 2026-11-11 (35.5 before
 * the synced days + 12.5 on 11-10 = 48; the Full-Stack record of 30 on 11-11
 * crosses at 70: 22 drawn, 8 overage; everything after is overage); sub-b's
 * 50 EUR period closed with 20.5 used: 29.5 unused. */
static void test_export_focus_commitment_is_purchased_drawn_down_then_billed(void **state)
{
    (void)state;
    for (int minor = 2; minor <= 4; minor++) {
        dtc_export_stats st;
        csv *t = focus_csv(minor, 0, &st);
        int r = the_row(t, "usage", "sub-a", "HOST_MONITORING", "2026-11-11T00:00:00Z");
        assert_int_equal(micro(val(t, r, "EffectiveCost")), 22000000);
        assert_int_equal(micro(val(t, r, "BilledCost")), 0);
        assert_string_equal(val(t, r, "PricingQuantity"), "720");
        r = the_row(t, "overage", "sub-a", "HOST_MONITORING", "2026-11-11T00:00:00Z");
        assert_int_equal(micro(val(t, r, "EffectiveCost")), 8000000);
        assert_int_equal(micro(val(t, r, "BilledCost")), 8000000);
        /* the quantity stays on the first */
        assert_string_equal(val(t, r, "PricingQuantity"), "0");
        assert_string_equal(val(t, r, "PricingCategory"), "Standard");
        assert_null(val(t, r, minor == 2 ? "CommitmentDiscountId" : "ContractApplied"));
        /* overage split by product: the billed cost follows each cell */
        int rs[4];
        assert_int_equal(rows_where(t, rs, 4, "SkuId", "RUNTIME_VULNERABILITY_ANALYTICS",
                                    "x_ChargeKind", "overage", (const char *)NULL),
                         4);
        assert_int_equal(micro(val(t, rs[0], "BilledCost")), 399974);
        assert_int_equal(micro(val(t, rs[3], "BilledCost")), 80);
        /* overage split by cost centre: the billed cost follows each cell */
        assert_int_equal(
            rows_where(t, rs, 2, "SkuId", "SECURITY_POSTURE_MANAGEMENT", (const char *)NULL), 2);
        assert_int_equal(micro(val(t, rs[0], "BilledCost")), 500000);
        assert_int_equal(micro(val(t, rs[1], "BilledCost")), 300000);
        assert_int_equal(micro(val(t, rs[1], "EffectiveCost")), 300000);
        /* sub-b's day of the earlier term: drawn down, no commitment named */
        r = the_row(t, "usage", "sub-b", "HOST_MONITORING", "2025-11-30T00:00:00Z");
        assert_int_equal(micro(val(t, r, "BilledCost")), 0);
        assert_string_equal(val(t, r, "PricingCategory"), "Committed");
        assert_null(val(t, r, minor == 2 ? "CommitmentDiscountId" : "ContractApplied"));
        /* the purchases, billed when their period starts, effective 0 */
        r = the_row(t, "commitment", "sub-a", "DPS_COMMITMENT", "2026-01-01T00:00:00Z");
        assert_string_equal(val(t, r, "ChargeCategory"), "Purchase");
        assert_string_equal(val(t, r, "ChargeFrequency"), "One-Time");
        assert_string_equal(val(t, r, "ChargePeriodEnd"), "2027-01-01T00:00:00Z");
        assert_string_equal(val(t, r, "BillingPeriodStart"), "2026-01-01T00:00:00Z");
        assert_int_equal(micro(val(t, r, "BilledCost")), 70000000);
        assert_int_equal(micro(val(t, r, "EffectiveCost")), 0);
        assert_null(val(t, r, "SubAccountId"));
        r = the_row(t, "commitment", "sub-b", "DPS_COMMITMENT", "2025-12-01T00:00:00Z");
        assert_string_equal(val(t, r, "BillingCurrency"), "EUR");
        assert_int_equal(micro(val(t, r, "BilledCost")), 50000000);
        /* sub-b's unused remainder, billed in the month its period ended */
        r = the_row(t, "unused-commitment", "sub-b", "DPS_COMMITMENT", "2025-12-01T00:00:00Z");
        assert_int_equal(micro(val(t, r, "EffectiveCost")), 29500000);
        assert_int_equal(micro(val(t, r, "BilledCost")), 0);
        assert_string_equal(val(t, r, "ChargeCategory"), "Usage");
        assert_string_equal(val(t, r, "ChargeFrequency"), "Recurring");
        assert_string_equal(val(t, r, "BillingPeriodStart"), "2026-11-01T00:00:00Z");
        assert_string_equal(val(t, r, "ChargePeriodEnd"), "2026-12-01T00:00:00Z");
        if (minor == 2) assert_string_equal(val(t, r, "CommitmentDiscountStatus"), "Unused");
        /* per subscription: billed = commitment + overage; sub-a's still
         * open period has no unused row */
        int64_t billed[2] = {0};
        for (int i = 0; i < t->nrows; i++)
            billed[strcmp(val(t, i, "x_SubscriptionUuid"), "sub-b") == 0] +=
                micro(val(t, i, "BilledCost"));
        assert_int_equal(billed[0], 70000000 + 8000000 + 1200000 + 800000);
        assert_int_equal(billed[1], 50000000);
        assert_int_equal(
            rows_where(t, rs, 2, "x_ChargeKind", "unused-commitment", (const char *)NULL), 1);
        csv_free(t);
    }
}

/* sub-b's log ingest of 2026-11-15 went from 4 to 4.25 EUR in the sync of
 * 2026-12-02, after November closed: the row as it was, then a Correction
 * of the difference billed in December. */
static void test_export_focus_late_booking_after_the_month_closed_is_a_correction(void **state)
{
    (void)state;
    for (int minor = 2; minor <= 4; minor++) {
        dtc_export_stats st;
        csv *t = focus_csv(minor, 0, &st);
        assert_int_equal(st.corrections, 1);
        int r = the_row(t, "usage", "sub-b", "LOG_INGEST", "2026-11-15T00:00:00Z");
        assert_int_equal(micro(val(t, r, "EffectiveCost")), 4000000);
        assert_string_equal(val(t, r, "BillingPeriodStart"), "2026-11-01T00:00:00Z");
        assert_null(val(t, r, "ChargeClass"));
        int c = the_row(t, "correction", "sub-b", "LOG_INGEST", "2026-11-15T00:00:00Z");
        assert_int_equal(c, r + 1);
        assert_string_equal(val(t, c, "ChargeClass"), "Correction");
        assert_int_equal(micro(val(t, c, "EffectiveCost")), 250000);
        assert_int_equal(micro(val(t, c, "BilledCost")), 0); /* still within the 50 EUR */
        assert_string_equal(val(t, c, "BillingPeriodStart"), "2026-12-01T00:00:00Z");
        assert_string_equal(val(t, c, "BillingPeriodEnd"), "2027-01-01T00:00:00Z");
        assert_string_equal(val(t, c, "ChargePeriodEnd"), "2026-11-16T00:00:00Z");
        assert_null(val(t, c, "PricingQuantity"));
        assert_null(val(t, c, "PricingUnit"));
        assert_null(val(t, c, "SkuPriceId"));
        assert_null(val(t, c, "PricingCategory"));
        csv_free(t);
    }
}

/* The stats say what was written: 28 rows (21 of sub-a, 4 of sub-b, 3 of
 * the commitments); EffectiveCost 44.5 USD + 12.25 EUR of usage + 29.5 EUR
 * unused = 86.25 (summed over currencies, as the stats do); BilledCost 70 +
 * 10 USD + 50 EUR = 130; one correction. The file's own sums agree. */
static void test_export_focus_stats_count_what_was_written(void **state)
{
    (void)state;
    for (int minor = 2; minor <= 4; minor++) {
        dtc_export_stats st;
        csv *t = focus_csv(minor, 0, &st);
        assert_int_equal(st.rows, 28);
        assert_int_equal(t->nrows, 28);
        assert_int_equal(st.effective_micro, 86250000);
        assert_int_equal(st.billed_micro, 130000000);
        assert_int_equal(st.corrections, 1);
        assert_int_equal(st.license_rows, 0);
        assert_string_equal(st.err, "");
        int64_t eff = 0, billed = 0;
        for (int i = 0; i < t->nrows; i++) {
            eff += micro(val(t, i, "EffectiveCost"));
            billed += micro(val(t, i, "BilledCost"));
        }
        assert_int_equal(eff, st.effective_micro);
        assert_int_equal(billed, st.billed_micro);
        csv_free(t);
    }
}

/* --since 2026-11-01 --until 2026-11-30: sub-b's day of the earlier term and
 * both purchases (their periods start before) are left out; the unused
 * remainder (sub-b's period ends 2026-11-30) stays. */
static void test_export_focus_range_selects_charge_days_and_commitment_rows(void **state)
{
    (void)state;
    int64_t from, to;
    assert_int_equal(dtc_parse_date("2026-11-01", &from), 0);
    assert_int_equal(dtc_parse_date("2026-11-30", &to), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    dtc_export_opts o = {.format = DTC_EXPORT_FOCUS, .from = from, .to = to, .focus_minor = 4};
    dtc_export_stats st;
    assert_int_equal(dtc_export_write(store, out, &st, &o), 0);
    fclose(out);
    csv *t = csv_parse(text);
    assert_int_equal(st.rows, 25);
    assert_int_equal(t->nrows, 25);
    int r[2];
    assert_int_equal(rows_where(t, r, 2, "x_ChargeKind", "commitment", (const char *)NULL), 0);
    assert_int_equal(
        rows_where(t, r, 2, "ChargePeriodStart", "2025-11-30T00:00:00Z", (const char *)NULL), 0);
    assert_int_equal(rows_where(t, r, 2, "x_ChargeKind", "unused-commitment", (const char *)NULL),
                     1);
    assert_int_equal(st.effective_micro, 86250000 - 1000000);
    assert_int_equal(st.billed_micro, 130000000 - 120000000);
    csv_free(t);
    free(text);
}

static void test_export_focus_refuses_a_version_it_does_not_write(void **state)
{
    (void)state;
    for (int minor = 1; minor <= 5; minor += 4) {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        assert_non_null(out);
        dtc_export_opts o = {
            .format = DTC_EXPORT_FOCUS, .from = -1, .to = -1, .focus_minor = minor};
        dtc_export_stats st;
        assert_int_equal(dtc_export_write(store, out, &st, &o), DTC_EINVAL);
        char want[64];
        snprintf(want, sizeof(want), "FOCUS 1.%d is not written: use 1.2, 1.3 or 1.4", minor);
        assert_string_equal(st.err, want);
        fclose(out);
        assert_int_equal(len, 0); /* nothing half-written */
        free(text);
    }
}

/* The ContractCommitment dataset: one row per subscription's current
 * period, 1.3's 13 columns and ours, 1.4's 28 and ours. */
static void test_export_commitments_are_one_row_per_period_with_each_versions_columns(void **state)
{
    (void)state;
    for (int minor = 3; minor <= 4; minor++) {
        char *text = NULL;
        size_t len = 0;
        long rows = -1;
        FILE *out = open_memstream(&text, &len);
        assert_non_null(out);
        dtc_export_opts o = {
            .format = DTC_EXPORT_FOCUS, .from = -1, .to = -1, .focus_minor = minor};
        assert_int_equal(dtc_export_commitments(store, out, &rows, &o), 0);
        fclose(out);
        assert_int_equal(rows, 2);
        equals_file(text, minor == 3 ? "expected-1.3.contract-commitment.csv"
                                     : "expected-1.4.contract-commitment.csv");
        csv *t = csv_parse(text);
        assert_int_equal(t->nrows, 2);
        assert_int_equal(t->ncols, minor == 3 ? 13 + 2 : 28 + 2);
        assert_int_equal(col_of(t, "ContractCommitmentLifecycleStatus") >= 0, minor == 4);
        assert_string_equal(val(t, 0, "ContractId"), "sub-a");
        assert_string_equal(val(t, 0, "ContractCommitmentId"), "sub-a/2026-01-01");
        assert_string_equal(val(t, 0, "ContractCommitmentCategory"), "Spend");
        assert_int_equal(micro(val(t, 0, "ContractCommitmentCost")), 70000000);
        assert_int_equal(micro(val(t, 0, "x_BudgetUsed")), 80000000);
        assert_string_equal(val(t, 0, "BillingCurrency"), "USD");
        assert_string_equal(val(t, 0, "ContractCommitmentPeriodStart"), "2026-01-01T00:00:00Z");
        assert_string_equal(val(t, 0, "ContractCommitmentPeriodEnd"), "2027-01-01T00:00:00Z");
        assert_null(val(t, 0, "ContractCommitmentQuantity"));
        assert_string_equal(val(t, 1, "BillingCurrency"), "EUR");
        assert_string_equal(val(t, 1, "ContractCommitmentPeriodEnd"), "2026-12-01T00:00:00Z");
        assert_int_equal(micro(val(t, 1, "x_BudgetUsed")), 20500000);
        if (minor == 4) {
            /* on 2026-12-02, the last sync: sub-a used 80 of 70, sub-b's
             * period has ended */
            assert_string_equal(val(t, 0, "ContractCommitmentLifecycleStatus"), "Exhausted");
            assert_string_equal(val(t, 1, "ContractCommitmentLifecycleStatus"), "Expired");
            assert_string_equal(val(t, 0, "ContractCommitmentDurationType"), "1 Year");
            assert_string_equal(val(t, 0, "ContractCommitmentCreated"), "2026-01-01T00:00:00Z");
            assert_string_equal(val(t, 0, "ContractCommitmentLastUpdated"), "2026-12-02T06:05:00Z");
            assert_string_equal(val(t, 0, "ContractCommitmentPaymentModel"), "All Upfront");
        }
        csv_free(t);
        free(text);
    }
}

/* The recency metadata: the last successful sync, the last day with cost
 * (2026-11-29) and the last month that ended before that sync. */
static void test_export_metadata_says_how_fresh_the_data_is(void **state)
{
    (void)state;
    for (int minor = 3; minor <= 4; minor++) {
        char *text = NULL, want[1024];
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        assert_non_null(out);
        dtc_export_opts o = {
            .format = DTC_EXPORT_FOCUS, .from = -1, .to = -1, .focus_minor = minor};
        assert_int_equal(dtc_export_metadata(store, out, &o, "f.csv", "f.contract-commitment.csv"),
                         0);
        fclose(out);
        snprintf(want, sizeof(want),
                 "{\"FocusVersion\":\"1.%d\",\"DataGenerator\":\"dtcost\",\"Datasets\":["
                 "{\"DatasetType\":\"CostAndUsage\",\"File\":\"f.csv\","
                 "\"DataLastUpdated\":\"2026-12-02T06:05:00Z\",\"DataThrough\":\"2026-11-29\","
                 "\"LastCompleteBillingPeriod\":\"2026-11\"},"
                 "{\"DatasetType\":\"ContractCommitment\",\"File\":\"f.contract-commitment.csv\","
                 "\"DataLastUpdated\":\"2026-12-02T06:05:00Z\",\"DataThrough\":null,"
                 "\"LastCompleteBillingPeriod\":null}]}\n",
                 minor);
        assert_string_equal(text, want);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_focus_header_is_each_versions_columns_in_order),
        cmocka_unit_test(test_export_focus_files_are_byte_for_byte_the_expected_ones),
        cmocka_unit_test(
            test_export_focus_plain_record_is_one_row_with_its_cost_period_and_service),
        cmocka_unit_test(test_export_focus_prices_come_from_the_rate_card_of_the_currency_and_day),
        cmocka_unit_test(test_export_focus_allocated_record_splits_into_exact_cells),
        cmocka_unit_test(test_export_focus_allocations_beyond_the_record_are_scaled_to_it),
        cmocka_unit_test(test_export_focus_split_by_one_field_or_none_keeps_every_sum),
        cmocka_unit_test(test_export_focus_commitment_is_purchased_drawn_down_then_billed),
        cmocka_unit_test(test_export_focus_late_booking_after_the_month_closed_is_a_correction),
        cmocka_unit_test(test_export_focus_stats_count_what_was_written),
        cmocka_unit_test(test_export_focus_range_selects_charge_days_and_commitment_rows),
        cmocka_unit_test(test_export_focus_refuses_a_version_it_does_not_write),
        cmocka_unit_test(test_export_commitments_are_one_row_per_period_with_each_versions_columns),
        cmocka_unit_test(test_export_metadata_says_how_fresh_the_data_is),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
