/* export.c: `dtcost export`: one row per subscription, environment,
 * capability and day, joined with usage, environment names and rate cards,
 * written as CSV, JSON Lines or FOCUS 1.2/1.3/1.4 CSV while the query
 * streams. FOCUS rules (docs/focus.md): the DPS commitment as a Purchase row
 * billed at the start of its period, usage drawn down from it (BilledCost 0)
 * until it is used up and billed as overage after, the unused remainder at
 * period end; Correction rows for late bookings in closed months (from the
 * revision log); list and contracted cost from the rate cards, computed in
 * integers; units in the FOCUS Unit Format; records with cost allocation
 * split over their cost centres and products (Tags in 1.2, split cost
 * allocation in 1.3/1.4), the query bringing each record's allocations with
 * it so memory stays flat. */
#include "dtcost/export.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config_impl.h"
#include "buf.h"
#include "csv.h"
#include "export_impl.h"
#include "jw.h"
#include "numfmt.h"
#include "strmap.h"
#include "timeutil.h"

/* ---- the SQL: everything export reads from the store ---- */

static const char SQL_SUBS[] = "SELECT uuid, account_uuid, currency, budget_total_micro, "
                               "period_start, period_end, budget_used_micro,"
                               " name, start_date, end_date FROM subscription ORDER BY uuid";
/* Cost of the current period that the database holds: summed in C from
 * SQL_DAYS's rows (the same rows), this query only when that sum overflows. */
static const char SQL_SYNCED[] =
    "SELECT e.subscription_uuid, SUM(e.cost_micro) FROM env_cost_day e"
    " JOIN subscription s ON s.uuid = e.subscription_uuid"
    " WHERE e.day BETWEEN s.period_start AND s.period_end GROUP BY e.subscription_uuid";
static const char SQL_RATES[] = "SELECT account_uuid, capability_key, currency, unit, price, "
                                "quoted_price, start_time, end_time, quote_number"
                                " FROM rate_card";
/* The end of the last good sync; for the FOCUS cost-and-usage file, whose
 * query reads every cost row anyway, the last day comes from those rows
 * (ex.max_day) rather than from a second pass over the table. */
static const char SQL_SYNCED_AT[] = "SELECT MAX(finished_at) FROM sync_run WHERE status = 'ok'";
static const char SQL_MODIFIED[] = "SELECT (SELECT MAX(finished_at) FROM sync_run WHERE status = "
                                   "'ok'), (SELECT MAX(day) FROM env_cost_day)";
static const char SQL_REVISIONS[] = "SELECT key, old_value, new_value, seen_at FROM revision WHERE "
                                    "fact = 'env_cost_day' ORDER BY id";
/* Every day's cost within its subscription's current period (the only days
 * the commitment drawdown looks at; the period as SQL_SYNCED bounds it), summed
 * per subscription and day in C: no sort. */
static const char SQL_DAYS[] = "SELECT e.subscription_uuid, e.day, e.cost_micro FROM subscription s"
                               " JOIN env_cost_day e ON e.subscription_uuid = s.uuid"
                               " WHERE e.day BETWEEN s.period_start AND s.period_end";
/* The environments' names, looked up in C for each row's subscription's
 * account (a few of them, loaded once) rather than joined to every row. */
static const char SQL_ENVS[] = "SELECT account_uuid, environment_id, name FROM environment";
/* In the key order of env_cost_day, the same on every back-end (text
 * compares bytewise on both): SQLite scans env_cost_day, whose primary key
 * is that order, so it streams without sorting, one usage lookup a row. Rows
 * of a subscription the database does not have are skipped in C. */
#define ROWS_COLUMNS                                                                               \
    "SELECT e.subscription_uuid, e.environment_id, e.capability_key, e.capability_name, "          \
    "e.day, e.cost_micro, e.currency, e.booking_date, e.cluster_id, u.value, u.unit"
#define ROWS_FROM                                                                                  \
    " FROM env_cost_day e"                                                                         \
    " LEFT JOIN env_usage_day u ON u.subscription_uuid = e.subscription_uuid"                      \
    "   AND u.environment_id = e.environment_id AND u.capability_key = e.capability_key"           \
    "   AND u.day = e.day"
#define ROWS_ORDER " ORDER BY e.subscription_uuid, e.environment_id, e.capability_key, e.day"
static const char SQL_ROWS[] = ROWS_COLUMNS ROWS_FROM ROWS_ORDER;
/* Whether cost_allocation has any row of a field (the placeholder): a FOCUS
 * export joins the allocations only when one of the fields it splits by
 * has any (an export without them reads SQL_ROWS). */
static const char SQL_HAS_ALLOC[] =
    "SELECT COUNT(*) FROM (SELECT 1 FROM cost_allocation WHERE field = ? LIMIT 1) t";
/* FOCUS: the same rows, each once per allocation of its record to a cost
 * centre or a product (once with NULLs when it has none), the record's
 * allocations together and in field and key order: the row callback
 * collects one record's, so no allocation is held beyond its record. The
 * index cost_allocation_record (store_schema.c) makes each record's
 * allocations one lookup, in this order. */
#define ALLOC_COL 11 /* a.field; a.alloc_key and a.cost_micro follow */
static const char SQL_FOCUS_ROWS[] = ROWS_COLUMNS
    ", a.field, a.alloc_key, a.cost_micro" ROWS_FROM
    " LEFT JOIN cost_allocation a ON a.subscription_uuid = e.subscription_uuid"
    "   AND a.environment_id = e.environment_id AND a.capability_key = e.capability_key"
    "   AND a.day = e.day AND a.field IN ('COSTCENTER', 'PRODUCT')" ROWS_ORDER
    ", a.field, a.alloc_key";

/* ---- what the rows need besides themselves ---- */

/* One day of a subscription for the drawdown: its cost, the period's cost
 * before it, and what the rows written so far added on the day. */
typedef struct subday {
    int64_t total, before, run;
} subday;

typedef struct sub {
    char uuid[64], account[64], currency[8], name[256];
    char *account_key; /* the whole account id (account may be cut), the environments' key */
    char account_name[320], cid[96];      /* BillingAccountName; the commitment's id */
    int64_t budget, used;                 /* micro */
    int64_t period_start, period_end;     /* days, inclusive */
    int64_t contract_start, contract_end; /* days, inclusive; -1 unknown */
    int64_t start;                        /* the period's cost before the synced days */
    int64_t synced;                       /* SQL_DAYS: the sum of its rows' cost */
    bool has_synced;                      /* SQL_DAYS brought rows */
    subday *days;                         /* from first_day, ndays of them */
    int64_t first_day;
    size_t ndays;
} sub;

typedef struct rate {
    char account[64], cap[64], currency[8], unit[64], quote[64];
    char price[32], quoted[32];
    char sku_price_id[200];
    int64_t from, to; /* days, [from, to) */
} rate;

typedef struct revision {
    char *key;        /* sub|env|cap|day */
    int64_t old, now; /* micro */
    int64_t seen_day;
} revision;

/* A day's FOCUS dates (ChargePeriodStart/End, BillingPeriodStart/End),
 * formatted once per run: rows come in key order, so days repeat for every
 * environment and capability. Direct-mapped by day (DAYTEXTS of them). */
#define DAYTEXTS 4096
typedef struct daytext {
    int64_t day;
    char cps[21], cpe[21], bps[21], bpe[21];
} daytext;

/* What a capability decides for its rows without a rate card, for the run
 * of rows of one subscription and capability. */
typedef struct capinfo {
    const sub *s; /* NULL: nothing cached */
    char cap[128];
    const char *category, *subcategory;
    char skuprice[200];
} capinfo;

typedef struct pending pending; /* the record a FOCUS export is on (below) */

typedef struct ex {
    const dtc_export_opts *o;
    FILE *out;
    dtc_export_stats *st;
    sub *subs;
    size_t nsubs, subcap;
    rate *rates;
    size_t nrates, ratecap;
    const rate *last_rate;
    sub *last_sub;
    daytext *daytexts; /* FOCUS only, DAYTEXTS of them */
    int focus_last;    /* the last FOCUS column + 1; 0 until the header is written */
    capinfo capinfo;
    revision *revs;
    size_t nrevs, revcap;
    char modified[32];
    int64_t today; /* the day of the last sync (else of the last cost day): periods before it are
                      closed */
    int64_t last_day;
    dtc_buf max_day;   /* FOCUS: the greatest day text of the rows read (SQL_MODIFIED's MAX(day)) */
    pending *pend;     /* FOCUS only */
    bool alloc;        /* FOCUS: the rows bring their allocations (SQL_FOCUS_ROWS) */
    bool synced_over;  /* a subscription's SQL_DAYS sum overflowed */
    dtc_strmap envs;   /* account '\0' environment id -> name (NULL: none) */
    char env_key[320]; /* the last environment looked up: account '\0' id, env_keylen bytes */
    size_t env_keylen; /* 0: none */
    const char *env_name;
    dtc_buf line, tags; /* tags: a split row's JSON objects */
    int err;
    int io_errno; /* errno of the write that failed (DTC_EIO) */
} ex;

static int64_t day_of(const char *s)
{
    int64_t d;
    if (!s) return -1;
    if (dtc_parse_date(s, &d) == 0) return d;
    return dtc_parse_datetime(s, &d) == 0 ? d / 86400 : -1;
}

/* A query answered with fewer columns than asked for: the database is not
 * the schema this version reads. */
static int columns(ex *x, const char *table, int got, int want)
{
    snprintf(x->st->err, sizeof(x->st->err),
             "database: %s rows have %d columns, expected %d (a database from "
             "another dtcost version? run dtcost sync with this one)",
             table, got, want);
    return DTC_EDB;
}

static int on_sub(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *uuid, *account, *currency, *start, *end, *name, *c_start, *c_end;
    int64_t budget, used;
    int rc, n = dtc_row_columns(row);
    if (n < 10) return columns(x, "subscription", n, 10);
    if ((rc = dtc_row_text(row, &uuid, 0)) || (rc = dtc_row_text(row, &account, 1)) ||
        (rc = dtc_row_text_or(row, &currency, 2, "")) ||
        (rc = dtc_row_int_or(row, &budget, 3, 0)) || (rc = dtc_row_text_or(row, &start, 4, NULL)) ||
        (rc = dtc_row_text_or(row, &end, 5, NULL)) || (rc = dtc_row_int_or(row, &used, 6, 0)) ||
        (rc = dtc_row_text_or(row, &name, 7, "")) ||
        (rc = dtc_row_text_or(row, &c_start, 8, NULL)) ||
        (rc = dtc_row_text_or(row, &c_end, 9, NULL)))
        return rc;
    sub *g = dtc_grow(x->subs, &x->subcap, x->nsubs, sizeof(sub));
    if (!g) return DTC_ENOMEM;
    x->subs = g;
    sub *s = &x->subs[x->nsubs];
    memset(s, 0, sizeof(*s));
    if (!(s->account_key = dtc_strdup(account))) return DTC_ENOMEM;
    x->nsubs++;
    snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
    snprintf(s->account, sizeof(s->account), "%s", account);
    snprintf(s->currency, sizeof(s->currency), "%s", currency);
    s->budget = budget;
    s->period_start = day_of(start);
    s->period_end = day_of(end);
    s->used = used;
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->contract_start = day_of(c_start);
    s->contract_end = day_of(c_end);
    return 0;
}

/* Cost of the current period that lies before the synced days: budget.used
 * says what the whole period cost so far, so the drawdown starts there. */
static void synced_cost(sub *s, int64_t synced)
{
    if (s->used > synced) s->start = s->used - synced;
}

static int on_synced(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *uuid;
    int64_t synced;
    int rc;
    if ((rc = dtc_row_text(row, &uuid, 0)) || (rc = dtc_row_int(row, &synced, 1))) return rc;
    for (size_t i = 0; i < x->nsubs; i++)
        if (strcmp(x->subs[i].uuid, uuid) == 0) synced_cost(&x->subs[i], synced);
    return 0;
}

static int on_rate(void *ud, const dtc_row *row)
{
    ex *x = ud;
    int n = dtc_row_columns(row), rc = 0;
    if (n < 9) return columns(x, "rate_card", n, 9);
    const char *col[9];
    for (int i = 0; i < 9 && rc == 0;
         i++) /* account, capability and start are keys; the rest may be NULL */
        rc = i == 0 || i == 1 || i == 6 ? dtc_row_text(row, &col[i], i)
                                        : dtc_row_text_or(row, &col[i], i, i == 7 ? NULL : "");
    if (rc) return rc;
    rate *g = dtc_grow(x->rates, &x->ratecap, x->nrates, sizeof(rate));
    if (!g) return DTC_ENOMEM;
    x->rates = g;
    rate *r = &x->rates[x->nrates++];
    memset(r, 0, sizeof(*r));
    snprintf(r->account, sizeof(r->account), "%s", col[0]);
    snprintf(r->cap, sizeof(r->cap), "%s", col[1]);
    snprintf(r->currency, sizeof(r->currency), "%s", col[2]);
    snprintf(r->unit, sizeof(r->unit), "%s", col[3]);
    snprintf(r->price, sizeof(r->price), "%s", col[4]);
    snprintf(r->quoted, sizeof(r->quoted), "%s", col[5]);
    r->from = day_of(col[6]);
    r->to = col[7] ? day_of(col[7]) : INT64_MAX;
    snprintf(r->quote, sizeof(r->quote), "%s", col[8]);
    char from[11];
    dtc_fmt_date(from, r->from);
    snprintf(r->sku_price_id, sizeof(r->sku_price_id), "%s/%s/%s/%s", r->quote, r->cap, r->currency,
             from);
    return 0;
}

static int on_rev(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *key, *old, *now, *seen_at;
    int rc;
    if ((rc = dtc_row_text(row, &key, 0)) || (rc = dtc_row_text_or(row, &old, 1, "0")) ||
        (rc = dtc_row_text_or(row, &now, 2, "0")) || (rc = dtc_row_text_or(row, &seen_at, 3, NULL)))
        return rc;
    /* Only changes seen after the month of the day closed become Corrections. */
    const char *day = strrchr(key, '|');
    int64_t d = day_of(day ? day + 1 : NULL), seen = day_of(seen_at);
    if (d < 0 || seen < 0) return 0;
    int y1, m1, dd, y2, m2;
    dtc_civil_from_days(d, &y1, &m1, &dd);
    dtc_civil_from_days(seen, &y2, &m2, &dd);
    if (y2 * 12 + m2 <= y1 * 12 + m1) return 0;
    revision *g = dtc_grow(x->revs, &x->revcap, x->nrevs, sizeof(revision));
    if (!g) return DTC_ENOMEM;
    x->revs = g;
    revision *r = &x->revs[x->nrevs];
    r->key = dtc_strdup(key);
    if (!r->key) return DTC_ENOMEM;
    r->old = strtoll(old, NULL, 10);
    r->now = strtoll(now, NULL, 10);
    r->seen_day = seen;
    x->nrevs++;
    return 0;
}

/* The day of the last sync, else of the last cost day: periods before it
 * are closed. */
static void set_today(ex *x, const char *last)
{
    x->last_day = day_of(last);
    x->today = x->modified[0] ? day_of(x->modified) : x->last_day;
}

static int on_synced_at(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *at;
    int rc = dtc_row_text_or(row, &at, 0, NULL);
    if (rc == 0 && at) snprintf(x->modified, sizeof(x->modified), "%s", at);
    return rc;
}

static int on_modified(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *at, *last;
    int rc;
    if ((rc = dtc_row_text_or(row, &at, 0, NULL)) || (rc = dtc_row_text_or(row, &last, 1, NULL)))
        return rc;
    if (at) snprintf(x->modified, sizeof(x->modified), "%s", at);
    set_today(x, last);
    return 0;
}

static int on_env(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *account, *id, *name;
    int rc;
    if ((rc = dtc_row_text(row, &account, 0)) || (rc = dtc_row_text(row, &id, 1)) ||
        (rc = dtc_row_text_or(row, &name, 2, NULL)))
        return rc;
    size_t an = strlen(account), in = strlen(id);
    char *key = dtc_malloc(an + 1 + in);
    if (!key) return DTC_ENOMEM;
    memcpy(key, account, an + 1);
    memcpy(key + an + 1, id, in);
    rc = dtc_strmap_put(&x->envs, key, an + 1 + in, name);
    dtc_free(key);
    return rc;
}

/* The name of environment env of s's account, NULL when it has none or the
 * database does not know it (as a LEFT JOIN to environment would say). Rows
 * come environment by environment, so the last answer is kept. */
static const char *env_name(ex *x, const sub *s, const char *env)
{
    size_t an = strlen(s->account_key), in = strlen(env), n = an + 1 + in;
    char *k = x->env_key;
    if (n == x->env_keylen && k[an] == '\0' && memcmp(k, s->account_key, an) == 0 &&
        memcmp(k + an + 1, env, in) == 0)
        return x->env_name;
    const char *name = NULL;
    if (n > sizeof(x->env_key)) { /* too long to keep: looked up every time */
        char *key = dtc_malloc(n);
        if (!key) {
            x->err = DTC_ENOMEM;
            return NULL;
        }
        memcpy(key, s->account_key, an + 1);
        memcpy(key + an + 1, env, in);
        if (!dtc_strmap_get(&x->envs, key, n, &name)) name = NULL;
        dtc_free(key);
        x->env_keylen = 0;
        return name;
    }
    memcpy(k, s->account_key, an + 1);
    memcpy(k + an + 1, env, in);
    if (!dtc_strmap_get(&x->envs, k, n, &name)) name = NULL;
    x->env_keylen = n;
    return x->env_name = name;
}

static sub *find_sub(ex *x, const char *uuid)
{
    if (x->last_sub && strcmp(x->last_sub->uuid, uuid) == 0) return x->last_sub;
    for (size_t i = 0; i < x->nsubs; i++)
        if (strcmp(x->subs[i].uuid, uuid) == 0) return x->last_sub = &x->subs[i];
    return NULL;
}

/* Add a day's cost, widening the subscription's day range when needed. */
static int on_day(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *uuid, *day;
    int64_t cost;
    int rc;
    if ((rc = dtc_row_text(row, &uuid, 0)) || (rc = dtc_row_text(row, &day, 1)) ||
        (rc = dtc_row_int(row, &cost, 2)))
        return rc;
    sub *s = find_sub(x, uuid);
    if (s) { /* SQL_SYNCED's sum, from the same rows */
        s->has_synced = true;
        if (__builtin_add_overflow(s->synced, cost, &s->synced)) x->synced_over = true;
    }
    int64_t d = s ? day_of(day) : -1;
    if (d < 0) return 0;
    if (!s->days || d < s->first_day || d >= s->first_day + (int64_t)s->ndays) {
        int64_t lo = s->days && s->first_day < d ? s->first_day : d;
        int64_t hi = s->days && s->first_day + (int64_t)s->ndays > d + 1
                         ? s->first_day + (int64_t)s->ndays
                         : d + 1;
        if (hi - lo > 36600) return 0; /* a century of days: not a date this export can trust */
        subday *g = dtc_calloc((size_t)(hi - lo), sizeof(subday));
        if (!g) return DTC_ENOMEM;
        if (s->days) memcpy(g + (s->first_day - lo), s->days, s->ndays * sizeof(subday));
        dtc_free(s->days);
        s->days = g;
        s->first_day = lo;
        s->ndays = (size_t)(hi - lo);
    }
    s->days[d - s->first_day].total += cost;
    return 0;
}

/* The period's cost before each day: the drawdown in day order without
 * reading the rows in day order. */
static void prefix_days(sub *s)
{
    int64_t acc = s->start;
    for (size_t i = 0; i < s->ndays; i++) {
        int64_t d = s->first_day + (int64_t)i;
        s->days[i].before = acc;
        if (d >= s->period_start && d <= s->period_end) acc += s->days[i].total;
    }
}

static bool rate_fits(const rate *r, const sub *s, const char *cap, int64_t day)
{
    return day >= r->from && day < r->to && strcmp(r->cap, cap) == 0 &&
           strcmp(r->account, s->account) == 0 && strcmp(r->currency, s->currency) == 0;
}

static const rate *find_rate(ex *x, const sub *s, const char *cap, int64_t day)
{
    if (x->last_rate && rate_fits(x->last_rate, s, cap, day)) return x->last_rate;
    for (size_t i = 0; i < x->nrates; i++)
        if (rate_fits(&x->rates[i], s, cap, day)) return x->last_rate = &x->rates[i];
    return NULL;
}

/* ---- exact decimals ---- */

/* Micro-units as a plain decimal with six places; dst holds at least
 * DTC_MICRO_MAX bytes. */
static void decimal(char *dst, size_t n, int64_t micro)
{
    if (n >= DTC_MICRO_MAX)
        dtc_fmt_micro(dst, micro);
    else if (n)
        dst[0] = '\0';
}

/* A plain decimal string ("-12.0350") as digits and places; false when it
 * is not one or has more than 18 significant digits. */
static bool parse_dec(const char *s, int64_t *digits, int *places)
{
    int64_t v = 0;
    int sig = 0, pl = 0;
    bool neg = *s == '-', dot = false, any = false;
    for (s += neg; *s; s++) {
        if (*s == '.' && !dot) {
            dot = true;
            continue;
        }
        if (*s < '0' || *s > '9' || ++sig > 18) return false;
        v = v * 10 + (*s - '0');
        pl += dot;
        any = true;
    }
    *digits = neg ? -v : v;
    *places = pl;
    return any;
}

/* a x b in micro-units, rounded half away from zero; false when either is
 * not a plain decimal or the product does not fit. */
static bool times(const char *a, const char *b, int64_t *out)
{
    int64_t da, db;
    int pa, pb;
    if (!parse_dec(a, &da, &pa) || !parse_dec(b, &db, &pb)) return false;
    __int128 p = (__int128)da * db, limit = 1;
    int places = pa + pb;
    for (int i = 0; i < 31; i++)
        limit *= 10;
    if (places < 6 && (p >= limit || p <= -limit))
        return false; /* scaled to micro-units it would not fit */
    for (; places < 6; places++)
        p *= 10;
    __int128 div = 1;
    for (; places > 6; places--)
        div *= 10;
    __int128 q = p / div, r = p % div;
    if (r < 0) r = -r;
    if (2 * r >= div) q += p < 0 ? -1 : 1;
    if (q > INT64_MAX || q < INT64_MIN) return false;
    *out = (int64_t)q;
    return true;
}

/* A usage value as the plain decimal the file shows (15 significant digits,
 * never an exponent), so ListCost = ListUnitPrice x PricingQuantity holds
 * for the digits a reader sees. */
static void quantity(char *dst, size_t n, double v)
{
    if (n >= DTC_NUMFMT_MAX)
        dtc_fmt_g15(dst, v);
    else if (n)
        dst[0] = '\0';
}

/* ---- units: Dynatrace's unit text to the FOCUS Unit Format ---- */

static const struct unit_map {
    const char *dynatrace, *focus;
} units[] = {
    {"GiB", "GiB"},
    {"GiB scanned", "GiB"},
    {"GiB-day", "GiB-Days"},
    {"GiB-hour", "GiB-Hours"},
    {"host-hour", "Host-Hours"},
    {"host-day", "Host-Days"},
    {"pod-hour", "Pod-Hours"},
    {"MSU-hour", "MSU-Hours"},
    {"workflow-hour", "Workflow-Hours"},
    {"session", "Sessions"},
    {"property", "Properties"},
    {"synthetic action", "Actions"},
    {"synthetic request", "Requests"},
    {"third-party synthetic result", "Results"},
    {"1,000 spans", "1000 Spans"},
    {"1,000 events", "1000 Events"},
    {"1,000 invocations", "1000 Invocations"},
    {"1,000 log records", "1000 Records"},
    {"1,000 metric data points", "1000 Datapoints"},
};

/* The FOCUS unit of a Dynatrace unit; "Units" for one we do not know (the
 * original stays in x_DynatraceUnit). */
static const char *focus_unit(const char *dynatrace)
{
    for (size_t i = 0; dynatrace && i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(units[i].dynatrace, dynatrace) == 0) return units[i].focus;
    return "Units";
}

/* ---- output ---- */

static void field(ex *x, const char *v, bool is_text, bool last)
{
    if (!x->err && dtc_csv_field(&x->line, v, is_text, last)) x->err = DTC_ENOMEM;
}

static void flush(ex *x)
{
    if (x->line.len && fwrite(x->line.data, 1, x->line.len, x->out) != x->line.len) {
        x->err = DTC_EIO;
        x->io_errno = errno; /* the writing thread's, handed to the caller's */
    }
    dtc_buf_reset(&x->line);
}

/* Rows collect in the line buffer and go out in blocks of about 256 KiB
 * (a 3.7 GB export in 15,000 writes); the buffer's cap leaves room for one
 * more row of any size the columns allow. */
#define ROWS_CAP ((size_t)1 << 20)
static void row_done(ex *x)
{
    if (x->line.len >= ((size_t)256 << 10)) flush(x);
}

/* dst = the strings up to NULL, concatenated and cut at n - 1 bytes. */
static void cat(char *dst, size_t n, ...)
{
    va_list ap;
    size_t len = 0;
    va_start(ap, n);
    for (const char *p; (p = va_arg(ap, const char *)) != NULL;) {
        size_t k = strlen(p);
        if (k > n - 1 - len) k = n - 1 - len;
        memcpy(dst + len, p, k);
        len += k;
    }
    va_end(ap);
    dst[len] = '\0';
}

/* ---- one row ---- */

/* ---- cost allocation: the dimensions a record is split along ---- */

/* Dynatrace's cost-allocation fields the FOCUS rows are split by, in the
 * order the query sorts them, with the tag key each becomes (our prefix
 * dynatrace/, docs/focus.md). */
static const struct dimension {
    const char *field, *tag, *option; /* option: its name in --focus-split */
    int bit;                          /* DTC_FOCUS_SPLIT_* */
} dims[] = {
    {"COSTCENTER", "dynatrace/costcenter", "costcenter", DTC_FOCUS_SPLIT_COSTCENTER},
    {"PRODUCT", "dynatrace/product", "product", DTC_FOCUS_SPLIT_PRODUCT},
};
#define NDIM 2
#define MAX_SPLIT                                                                                  \
    64              /* keys of one field a record is split over; beyond, not split by the field    \
                     */
#define MAX_KEY 256 /* bytes of a key the file states; a longer one's cost stays unallocated */

/* One field's allocations of the pending record: its keys (NUL-terminated,
 * in key order) and their cost, then the split's weights and shares, the
 * part no key carries last. */
typedef struct axis {
    char key[MAX_SPLIT][MAX_KEY + 1];
    int64_t micro[MAX_SPLIT];
    size_t n;
    bool over; /* more than MAX_SPLIT keys */
    int64_t w[MAX_SPLIT + 1], part[MAX_SPLIT + 1], whole;
    size_t nw;
} axis;

/* One cost row's columns. */
typedef struct row {
    const char *sub, *env, *env_name, *cap, *cap_name, *day, *currency, *booking, *cluster, *unit;
    int64_t cost;
    bool has_usage;
    double usage;
} row;

/* The record the FOCUS query is on: its columns (copied, as a row is valid
 * only during its callback), its allocations, and the split of one amount
 * over the cells (cost centre x product). Bounded, whatever the data. */
struct pending {
    bool has;
    row r;
    dtc_buf text;
    axis ax[NDIM];
    int64_t cell[MAX_SPLIT + 1][MAX_SPLIT + 1];
};

static const char *simple_cols[] = {"account_uuid",
                                    "subscription_uuid",
                                    "environment_id",
                                    "environment_name",
                                    "capability_key",
                                    "capability_name",
                                    "day",
                                    "cost",
                                    "currency",
                                    "usage",
                                    "unit",
                                    "booking_date",
                                    "cluster_id"};
#define NSIMPLE (sizeof(simple_cols) / sizeof(simple_cols[0]))
#define SIMPLE_COST 7
#define SIMPLE_USAGE 9

static void write_simple(ex *x, const sub *s, const row *r)
{
    char cost[32], usage[40];
    decimal(cost, sizeof(cost), r->cost);
    quantity(usage, sizeof(usage), r->usage);
    const char *v[NSIMPLE] = {s->account,
                              r->sub,
                              r->env,
                              r->env_name,
                              r->cap,
                              r->cap_name,
                              r->day,
                              cost,
                              r->currency,
                              r->has_usage ? usage : NULL,
                              r->has_usage ? r->unit : NULL,
                              r->booking,
                              r->cluster};
    if (x->o->format == DTC_EXPORT_CSV) {
        for (size_t i = 0; i < NSIMPLE; i++)
            field(x, v[i], i != SIMPLE_COST && i != SIMPLE_USAGE, i + 1 == NSIMPLE);
    } else {
        dtc_jw w;
        dtc_jw_init(&w, &x->line);
        dtc_jw_obj(&w);
        for (size_t i = 0; i < NSIMPLE; i++) {
            dtc_jw_key(&w, simple_cols[i]);
            if (i == SIMPLE_COST && v[i])
                dtc_jw_fixed(&w, r->cost, 6);
            else if (i == SIMPLE_USAGE && v[i])
                dtc_jw_raw(&w, usage);
            else
                dtc_jw_str(&w, v[i]);
        }
        dtc_jw_obj_end(&w);
        if (w.err || dtc_buf_addc(&x->line, '\n')) x->err = DTC_ENOMEM;
    }
    x->st->effective_micro += r->cost;
    x->st->rows++;
    row_done(x);
}

/* ---- FOCUS: one column table for every version ---- */

enum { V12 = 1 << 2, V13 = 1 << 3, V14 = 1 << 4, VALL = V12 | V13 | V14 };
typedef enum ftype { T_STR, T_DEC, T_DATE, T_JSON } ftype;

typedef enum fcol {
    F_BilledCost,
    F_BillingAccountId,
    F_BillingAccountName,
    F_BillingCurrency,
    F_BillingPeriodStart,
    F_BillingPeriodEnd,
    F_ChargeCategory,
    F_ChargeClass,
    F_ChargeDescription,
    F_ChargePeriodStart,
    F_ChargePeriodEnd,
    F_ContractedCost,
    F_EffectiveCost,
    F_InvoiceIssuerName,
    F_ListCost,
    F_PricingQuantity,
    F_PricingUnit,
    F_ProviderName,
    F_PublisherName,
    F_ServiceCategory,
    F_ServiceName,
    F_ServiceProviderName,
    F_HostProviderName,
    F_ChargeFrequency,
    F_CommitmentDiscountCategory,
    F_CommitmentDiscountId,
    F_CommitmentDiscountName,
    F_CommitmentDiscountStatus,
    F_CommitmentDiscountType,
    F_ConsumedQuantity,
    F_ConsumedUnit,
    F_ContractApplied,
    F_ContractedUnitPrice,
    F_ListUnitPrice,
    F_PricingCategory,
    F_ServiceSubcategory,
    F_SkuId,
    F_SkuPriceId,
    F_SubAccountId,
    F_SubAccountName,
    F_SubAccountType,
    F_Tags,
    F_AllocatedMethodId,
    F_AllocatedMethodDetails,
    F_AllocatedResourceId,
    F_AllocatedResourceName,
    F_AllocatedTags,
    F_x_ChargeKind,
    F_x_SubscriptionUuid,
    F_x_ClusterId,
    F_x_BookingDate,
    F_x_DynatraceUnit,
    F_x_LastModifiedTime,
    NFOCUS
} fcol;

/* Name, type and the versions that have the column, in file order: the
 * mandatory columns, then the conditional ones that apply to Dynatrace
 * data, then ours (x_). Types are FOCUS's data types (docs/focus.md). */
static const struct focus_col {
    const char *name;
    ftype type;
    unsigned versions;
} focus_cols[NFOCUS] = {
    [F_BilledCost] = {"BilledCost", T_DEC, VALL},
    [F_BillingAccountId] = {"BillingAccountId", T_STR, VALL},
    [F_BillingAccountName] = {"BillingAccountName", T_STR, VALL},
    [F_BillingCurrency] = {"BillingCurrency", T_STR, VALL},
    [F_BillingPeriodStart] = {"BillingPeriodStart", T_DATE, VALL},
    [F_BillingPeriodEnd] = {"BillingPeriodEnd", T_DATE, VALL},
    [F_ChargeCategory] = {"ChargeCategory", T_STR, VALL},
    [F_ChargeClass] = {"ChargeClass", T_STR, VALL},
    [F_ChargeDescription] = {"ChargeDescription", T_STR, VALL},
    [F_ChargePeriodStart] = {"ChargePeriodStart", T_DATE, VALL},
    [F_ChargePeriodEnd] = {"ChargePeriodEnd", T_DATE, VALL},
    [F_ContractedCost] = {"ContractedCost", T_DEC, VALL},
    [F_EffectiveCost] = {"EffectiveCost", T_DEC, VALL},
    [F_InvoiceIssuerName] = {"InvoiceIssuerName", T_STR, VALL},
    [F_ListCost] = {"ListCost", T_DEC, VALL},
    [F_PricingQuantity] = {"PricingQuantity", T_DEC, VALL},
    [F_PricingUnit] = {"PricingUnit", T_STR, VALL},
    /* deprecated from 1.3 on, yet still a MUST of the 1.3 and 1.4 models (docs/focus.md) */
    [F_ProviderName] = {"ProviderName", T_STR, VALL},
    [F_PublisherName] = {"PublisherName", T_STR, VALL},
    [F_ServiceCategory] = {"ServiceCategory", T_STR, VALL},
    [F_ServiceName] = {"ServiceName", T_STR, VALL},
    [F_ServiceProviderName] = {"ServiceProviderName", T_STR, V13 | V14},
    [F_HostProviderName] = {"HostProviderName", T_STR, V13 | V14},
    [F_ChargeFrequency] = {"ChargeFrequency", T_STR, VALL},
    /* 1.2 has no contract commitments: the DPS commitment as a spend commitment discount */
    [F_CommitmentDiscountCategory] = {"CommitmentDiscountCategory", T_STR, V12},
    [F_CommitmentDiscountId] = {"CommitmentDiscountId", T_STR, V12},
    [F_CommitmentDiscountName] = {"CommitmentDiscountName", T_STR, V12},
    [F_CommitmentDiscountStatus] = {"CommitmentDiscountStatus", T_STR, V12},
    [F_CommitmentDiscountType] = {"CommitmentDiscountType", T_STR, V12},
    [F_ConsumedQuantity] = {"ConsumedQuantity", T_DEC, VALL},
    [F_ConsumedUnit] = {"ConsumedUnit", T_STR, VALL},
    [F_ContractApplied] = {"ContractApplied", T_JSON, V13 | V14},
    [F_ContractedUnitPrice] = {"ContractedUnitPrice", T_DEC, VALL},
    [F_ListUnitPrice] = {"ListUnitPrice", T_DEC, VALL},
    [F_PricingCategory] = {"PricingCategory", T_STR, VALL},
    [F_ServiceSubcategory] = {"ServiceSubcategory", T_STR, VALL},
    [F_SkuId] = {"SkuId", T_STR, VALL},
    [F_SkuPriceId] = {"SkuPriceId", T_STR, VALL},
    [F_SubAccountId] = {"SubAccountId", T_STR, VALL},
    [F_SubAccountName] = {"SubAccountName", T_STR, VALL},
    [F_SubAccountType] = {"SubAccountType", T_STR, VALL},
    /* Cost centres and products: tags in 1.2, split cost allocation in 1.3
     * and 1.4 (docs/focus.md) */
    [F_Tags] = {"Tags", T_JSON, V12},
    [F_AllocatedMethodId] = {"AllocatedMethodId", T_STR, V13 | V14},
    [F_AllocatedMethodDetails] = {"AllocatedMethodDetails", T_JSON, V13 | V14},
    [F_AllocatedResourceId] = {"AllocatedResourceId", T_STR, V13 | V14},
    [F_AllocatedResourceName] = {"AllocatedResourceName", T_STR, V13 | V14},
    [F_AllocatedTags] = {"AllocatedTags", T_JSON, V13 | V14},
    [F_x_ChargeKind] = {"x_ChargeKind", T_STR, VALL},
    [F_x_SubscriptionUuid] = {"x_SubscriptionUuid", T_STR, VALL},
    [F_x_ClusterId] = {"x_ClusterId", T_STR, VALL},
    [F_x_BookingDate] = {"x_BookingDate", T_STR, VALL},
    [F_x_DynatraceUnit] = {"x_DynatraceUnit", T_STR, VALL},
    [F_x_LastModifiedTime] = {"x_LastModifiedTime", T_STR, VALL},
};

/* The index of a version's last column in a dataset's table of n. */
static int last_of(const struct focus_col *c, int n, int minor)
{
    int last = -1;
    for (int i = 0; i < n; i++)
        if (c[i].versions & (1u << minor)) last = i;
    return last;
}

/* One line of a dataset: the version's columns of table c (n of them, at
 * most NFOCUS, the last at index last), v their values, NULL for the header
 * of names. The line's room is reserved once for its longest encoding; a
 * line too long for that goes field by field, to the buffer's cap. */
static void write_cols(ex *x, const struct focus_col *c, int n, int last, const char *const *v)
{
    unsigned bit = 1u << x->o->focus_minor;
    size_t len[NFOCUS], room = 0;
    for (int i = 0; i < n; i++) {
        const char *f = v ? v[i] : c[i].name;
        len[i] = c[i].versions & bit && f ? strlen(f) : 0;
        room += DTC_CSV_ROOM(len[i]) + 2; /* and "," or CRLF */
    }
    if (x->err) return;
    if (dtc_buf_reserve(&x->line, room)) {
        for (int i = 0; i < n; i++)
            if (c[i].versions & bit)
                field(x, v ? v[i] : c[i].name, !v || c[i].type == T_STR, i == last);
        return;
    }
    char *d = x->line.data + x->line.len;
    for (int i = 0; i < n; i++) {
        if (!(c[i].versions & bit)) continue;
        const char *f = v ? v[i] : c[i].name;
        if (f) d += dtc_csv_put(d, f, len[i], !v || c[i].type == T_STR);
        if (i == last) {
            *d++ = '\r';
            *d++ = '\n';
        } else
            *d++ = ',';
    }
    x->line.len = (size_t)(d - x->line.data);
    *d = '\0';
}

/* The version's last cost-and-usage column: worked out on the header line,
 * kept for the rows. */
static int last_col(ex *x)
{
    if (!x->focus_last) x->focus_last = last_of(focus_cols, NFOCUS, x->o->focus_minor) + 1;
    return x->focus_last - 1;
}

static void write_focus_line(ex *x, const char *const *v)
{
    write_cols(x, focus_cols, NFOCUS, last_col(x), v);
}

static bool security(const char *cap)
{
    return strstr(cap, "SECURITY") || strstr(cap, "VULNERABILITY") ||
           strstr(cap, "APPLICATION_PROTECTION");
}

static void month_bounds(int64_t day, char *start, char *end)
{
    int y, m, d;
    dtc_civil_from_days(day, &y, &m, &d);
    dtc_fmt_datetime(start, dtc_days_from_civil(y, m, 1) * 86400);
    dtc_fmt_datetime(end, dtc_days_add_months(dtc_days_from_civil(y, m, 1), 1) * 86400);
}

/* The dates of a day's rows, formatted on its first row; NULL (x->err
 * set) when there is no memory for them. */
static const daytext *day_text(ex *x, int64_t day)
{
    if (!x->daytexts) {
        if (!(x->daytexts = dtc_calloc(DAYTEXTS, sizeof(daytext)))) {
            x->err = DTC_ENOMEM;
            return NULL;
        }
        for (size_t i = 0; i < DAYTEXTS; i++)
            x->daytexts[i].day = INT64_MIN;
    }
    daytext *t = &x->daytexts[(uint64_t)day % DAYTEXTS];
    if (t->day != day) {
        month_bounds(day, t->bps, t->bpe);
        dtc_fmt_datetime(t->cps, day * 86400);
        dtc_fmt_datetime(t->cpe, (day + 1) * 86400);
        t->day = day;
    }
    return t;
}

/* A capability's service category and subcategory, and its SkuPriceId
 * without a rate card: worked out when the capability or subscription
 * changes (keys longer than the cache are worked out every time). */
static const capinfo *cap_info(ex *x, const sub *s, const char *cap)
{
    capinfo *c = &x->capinfo;
    if (c->s == s && strcmp(c->cap, cap) == 0) return c;
    bool sec = security(cap);
    c->category = sec ? "Security" : "Management and Governance";
    c->subcategory = !sec                     ? "Observability"
                     : strstr(cap, "POSTURE") ? "Security Posture Management"
                                              : "Other (Security)";
    cat(c->skuprice, sizeof(c->skuprice), cap, "/", s->currency, (char *)NULL);
    size_t n = strlen(cap);
    c->s = n < sizeof(c->cap) ? s : NULL;
    if (c->s) memcpy(c->cap, cap, n + 1);
    return c;
}

/* The id of a subscription's commitment period, the same in the cost rows
 * and the ContractCommitment dataset, and the account's name: once per
 * subscription. */
static void sub_names(const ex *x, sub *s)
{
    char d[11];
    dtc_fmt_date(d, s->period_start);
    snprintf(s->cid, sizeof(s->cid), "%s/%s", s->uuid, d);
    if (x->o->billing_account_name && *x->o->billing_account_name)
        snprintf(s->account_name, sizeof(s->account_name), "%s", x->o->billing_account_name);
    else
        snprintf(s->account_name, sizeof(s->account_name), "Dynatrace account %s", s->account);
}

/* ContractApplied (1.3, 1.4): the commitment a row draws on and how much
 * of its cost it applies, as the one item of the "Elements" array both
 * versions' models require (docs/focus.md); a spend commitment, so no
 * quantity or unit. The contract is the subscription, as in the
 * ContractCommitment dataset. */
static void contract_applied(char *dst, size_t n, const sub *s, const char *cost)
{
    cat(dst, n, "{\"Elements\":[{\"ContractId\":\"", s->uuid, "\",\"ContractCommitmentId\":\"",
        s->cid, "\",\"ContractCommitmentAppliedCost\":", cost,
        ",\"ContractCommitmentAppliedQuantity\":null,\"ContractCommitmentAppliedUnit\":null}]}",
        (char *)NULL);
}

/* Values every FOCUS row of a subscription shares. */
static void common(ex *x, const sub *s, const char **v)
{
    v[F_BillingAccountId] = s->account;
    v[F_BillingAccountName] = s->account_name;
    v[F_BillingCurrency] = s->currency;
    v[F_InvoiceIssuerName] = x->o->invoice_issuer ? x->o->invoice_issuer : "Dynatrace";
    v[F_ProviderName] = v[F_PublisherName] = "Dynatrace";
    v[F_ServiceProviderName] = v[F_HostProviderName] = "Dynatrace";
    v[F_x_SubscriptionUuid] = s->uuid;
    v[F_x_LastModifiedTime] = x->modified[0] ? x->modified : NULL;
}

static void count(ex *x, int64_t effective, int64_t billed, bool correction)
{
    x->st->rows++;
    x->st->effective_micro += effective;
    x->st->billed_micro += billed;
    if (correction) x->st->corrections++;
    row_done(x);
}

/* How one usage row stands to the commitment. */
typedef enum draw { DRAWN, OVERAGE, EARLIER_TERM, CORRECTION } draw;

/* One cell of a record split over its cost centres and products: the key
 * of each field (NULL for the part no key of it carries) and the cell's
 * ratio of the record along each. */
typedef struct part {
    const char *key[NDIM];
    double ratio[NDIM];
} part;

/* The split columns of a cell: Tags (1.2), Allocated* (1.3, 1.4). */
static void split_columns(ex *x, const part *pt, const char **v, char *details, size_t dn, char *id,
                          size_t idn, char *name, size_t namen)
{
    dtc_buf *t = &x->tags;
    dtc_buf_reset(t);
    int rc = dtc_buf_addc(t, '{');
    for (int d = 0; d < NDIM && !rc; d++) {
        if ((rc = dtc_buf_printf(t, "%s\"%s\":", d ? "," : "", dims[d].tag))) break;
        rc = pt->key[d] ? dtc_json_quote(t, pt->key[d], strlen(pt->key[d]))
                        : dtc_buf_adds(t, "null");
    }
    if (rc || (rc = dtc_buf_addc(t, '}'))) {
        x->err = rc == DTC_ETOOBIG ? DTC_ENOMEM : rc;
        return;
    }
    snprintf(details, dn,
             "{\"Elements\":[{\"AllocatedRatio\":%.15g,\"x_CostCenterRatio\":%.15g,"
             "\"x_ProductRatio\":%.15g}]}",
             pt->ratio[0] * pt->ratio[1], pt->ratio[0], pt->ratio[1]);
    v[F_Tags] = t->data;
    v[F_AllocatedMethodId] = "dynatrace-cost-allocation/COSTCENTER-PRODUCT";
    v[F_AllocatedMethodDetails] = details;
    if (!pt->key[0] && !pt->key[1]) /* the unallocated portion: no resource, no tags */
        return;
    cat(id, idn, pt->key[0] ? "costcenter=" : "", pt->key[0] ? pt->key[0] : "",
        pt->key[0] && pt->key[1] ? ";" : "", pt->key[1] ? "product=" : "",
        pt->key[1] ? pt->key[1] : "", (char *)NULL);
    cat(name, namen, pt->key[0] ? pt->key[0] : "no cost centre", " / ",
        pt->key[1] ? pt->key[1] : "no product", (char *)NULL);
    v[F_AllocatedResourceId] = id;
    v[F_AllocatedResourceName] = name;
    v[F_AllocatedTags] = t->data;
}

/* One usage row of amount cost (a correction's difference) for charge_day,
 * billed in the month of billing_day; qty false leaves the quantities off
 * (the second half of a day split at the end of the commitment); pt, when
 * not NULL, the cell of the record's split the row is. */
static void usage_row(ex *x, sub *s, const row *r, int64_t cost, int64_t billed_micro,
                      int64_t charge_day, int64_t billing_day, draw how, bool qty_on,
                      const part *pt)
{
    char billed[32], eff[32], list[32], contracted[32], qty[40], bps[24], bpe[24];
    char desc[512], applied[512], subname[160];
    char details[160], alloc_id[2 * MAX_KEY + 40], alloc_name[2 * MAX_KEY + 40];
    const char *v[NFOCUS] = {0};
    common(x, s, v);
    decimal(billed, sizeof(billed), billed_micro);
    decimal(eff, sizeof(eff), cost);
    bool usage_cols = r->has_usage && how != CORRECTION;
    const char *q = "0";
    if (usage_cols && qty_on) {
        quantity(qty, sizeof(qty), pt ? r->usage * pt->ratio[0] * pt->ratio[1] : r->usage);
        q = qty;
    }
    const rate *rt = how != CORRECTION ? find_rate(x, s, r->cap, charge_day) : NULL;
    int64_t lc = 0, cc = 0;
    bool priced = usage_cols && rt && times(rt->quoted, q, &lc) && times(rt->price, q, &cc);
    if (priced) {
        decimal(list, sizeof(list), lc);
        decimal(contracted, sizeof(contracted), cc);
    } else { /* no rate card (or a correction): what Dynatrace charged is all we know */
        memcpy(list, eff, sizeof(list));
        memcpy(contracted, eff, sizeof(contracted));
    }
    const capinfo *ci = cap_info(x, s, r->cap);
    if (how != CORRECTION) /* the rate card line, or the capability's price without one */
        v[F_SkuPriceId] = rt ? rt->sku_price_id : ci->skuprice;
    const daytext *dt = day_text(x, charge_day);
    if (!dt) return;
    if (billing_day != charge_day) month_bounds(billing_day, bps, bpe);
    const char *env = r->env_name && *r->env_name ? r->env_name : r->env;
    const char *cap = r->cap_name ? r->cap_name : r->cap;
    cat(desc, sizeof(desc), how == CORRECTION ? "Correction of " : "", cap, " in environment ", env,
        how == CORRECTION ? " for " : " on ", r->day,
        how == CORRECTION ? ": booked late, after the month closed."
        : how == OVERAGE  ? ": on-demand overage beyond the annual commitment."
        : how == DRAWN    ? ": drawn down from the annual commitment."
                          : ": drawn down from an earlier term of the commitment.",
        (char *)NULL);
    if (r->env_name && *r->env_name)
        v[F_SubAccountName] = r->env_name;
    else {
        cat(subname, sizeof(subname), "Environment ", r->env, " (no name in Dynatrace)",
            (char *)NULL);
        v[F_SubAccountName] = subname;
    }
    if (how == DRAWN) {
        contract_applied(applied, sizeof(applied), s, eff);
        v[F_ContractApplied] = applied;
        v[F_CommitmentDiscountId] = s->cid;
        v[F_CommitmentDiscountCategory] = "Spend";
        v[F_CommitmentDiscountName] = s->name[0] ? s->name : s->uuid;
        v[F_CommitmentDiscountType] = "Dynatrace Platform Subscription";
        v[F_CommitmentDiscountStatus] = "Used";
    }
    v[F_BilledCost] = billed;
    v[F_BillingPeriodStart] = billing_day != charge_day ? bps : dt->bps;
    v[F_BillingPeriodEnd] = billing_day != charge_day ? bpe : dt->bpe;
    v[F_ChargeCategory] = "Usage";
    v[F_ChargeClass] = how == CORRECTION ? "Correction" : NULL;
    v[F_ChargeDescription] = desc;
    v[F_ChargePeriodStart] = dt->cps;
    v[F_ChargePeriodEnd] = dt->cpe;
    v[F_ContractedCost] = contracted;
    v[F_EffectiveCost] = eff;
    v[F_ListCost] = list;
    v[F_PricingQuantity] = v[F_ConsumedQuantity] = usage_cols ? q : NULL;
    v[F_PricingUnit] = v[F_ConsumedUnit] = usage_cols ? focus_unit(r->unit) : NULL;
    v[F_x_DynatraceUnit] = usage_cols ? r->unit : NULL;
    v[F_ServiceCategory] = ci->category;
    v[F_ServiceSubcategory] = ci->subcategory;
    v[F_ServiceName] = cap;
    v[F_ChargeFrequency] = "Usage-Based";
    v[F_ContractedUnitPrice] = priced ? rt->price : NULL;
    v[F_ListUnitPrice] = priced ? rt->quoted : NULL;
    v[F_PricingCategory] = how == CORRECTION ? NULL : how == OVERAGE ? "Standard" : "Committed";
    v[F_SkuId] = r->cap;
    v[F_SubAccountId] = r->env;
    v[F_SubAccountType] = "Environment";
    v[F_x_ChargeKind] = how == CORRECTION ? "correction" : how == OVERAGE ? "overage" : "usage";
    v[F_x_ClusterId] = r->cluster;
    v[F_x_BookingDate] = r->booking;
    if (pt)
        split_columns(x, pt, v, details, sizeof(details), alloc_id, sizeof(alloc_id), alloc_name,
                      sizeof(alloc_name));
    if (x->err) return;
    write_focus_line(x, v);
    count(x, cost, billed_micro, how == CORRECTION);
}

/* amount over an axis's weights: each share floored, the micro-units left
 * one each to the largest remainders (the earlier key on a tie), so the
 * shares sum to amount exactly and are the weights themselves when the
 * weights sum to amount. amount >= 0, a->whole > 0. */
static void apportion(axis *a, int64_t amount)
{
    __int128 rem[MAX_SPLIT + 1];
    int64_t given = 0;
    for (size_t i = 0; i < a->nw; i++) {
        __int128 p = (__int128)amount * a->w[i];
        a->part[i] = (int64_t)(p / a->whole);
        rem[i] = p % a->whole;
        given += a->part[i];
    }
    for (int64_t left = amount - given; left > 0; left--) {
        size_t best = 0;
        for (size_t i = 1; i < a->nw; i++)
            if (rem[i] > rem[best]) best = i;
        a->part[best]++;
        rem[best] = -1;
    }
}

/* The cells of amount (>= 0) over the two axes: row i sums to the cost
 * centre's share, column j to the product's, each cell about amount x
 * share_i x share_j / amount. The cells are floored first; what each row
 * and column then lacks is less than its length, and the fractions the
 * floors cut off are a matrix of numbers in [0, 1) with exactly those sums,
 * so a 0/1 matrix with them exists; placing each row's units in the columns
 * that lack the most finds one (Gale-Ryser), the larger fraction first on a
 * tie. */
static void cells(pending *p, int64_t amount)
{
    axis *a = &p->ax[0], *b = &p->ax[1];
    int64_t need[MAX_SPLIT + 1];
    apportion(a, amount);
    apportion(b, amount);
    for (size_t j = 0; j < b->nw; j++)
        need[j] = b->part[j];
    for (size_t i = 0; i < a->nw; i++)
        for (size_t j = 0; j < b->nw; j++) {
            p->cell[i][j] = amount ? (int64_t)((__int128)a->part[i] * b->part[j] / amount) : 0;
            need[j] -= p->cell[i][j];
        }
    for (size_t i = 0; i < a->nw; i++) {
        bool used[MAX_SPLIT + 1] = {0};
        int64_t left = a->part[i];
        for (size_t j = 0; j < b->nw; j++)
            left -= p->cell[i][j];
        for (; left > 0; left--) {
            size_t best = SIZE_MAX;
            __int128 best_frac = -1;
            for (size_t j = 0; j < b->nw; j++) {
                if (used[j] || need[j] <= 0) continue;
                __int128 frac = (__int128)a->part[i] * b->part[j] % amount;
                if (best == SIZE_MAX || need[j] > need[best] ||
                    (need[j] == need[best] && frac > best_frac)) {
                    best = j;
                    best_frac = frac;
                }
            }
            if (best == SIZE_MAX) break; /* cannot happen (above); the tests' sums would show it */
            p->cell[i][best]++;
            need[best]--;
            used[best] = true;
        }
    }
}

/* A usage row, split over the pending record's cost centres and products
 * when it has any (docs/focus.md): one row per cost centre x product (the
 * part no key of a field carries being one more of each), the amount split
 * so that the rows sum to it exactly and, the row being the whole record,
 * each cost centre's and each product's rows sum to what Dynatrace
 * allocates to it. */
static void split_row(ex *x, sub *s, const row *r, int64_t cost, int64_t billed, int64_t charge_day,
                      int64_t billing_day, draw how, bool qty_on)
{
    pending *p = x->pend;
    bool split = p && how != CORRECTION && cost != INT64_MIN;
    size_t keys = 0;
    for (int d = 0; d < NDIM && split; d++) {
        axis *a = &p->ax[d];
        size_t n = a->over ? 0 : a->n;
        int64_t sum = 0;
        keys += n;
        for (size_t i = 0; i < n; i++)
            sum += a->w[i] = a->micro[i];
        a->w[n] = r->cost > sum ? r->cost - sum : 0;
        a->whole = sum + a->w[n];
        a->nw = n + 1;
        split = a->whole > 0;
    }
    if (!split || keys == 0) {
        usage_row(x, s, r, cost, billed, charge_day, billing_day, how, qty_on, NULL);
        return;
    }
    cells(p, cost < 0 ? -cost : cost);
    axis *a = &p->ax[0], *b = &p->ax[1];
    for (size_t i = 0; i < a->nw && !x->err; i++)
        for (size_t j = 0; j < b->nw && !x->err; j++) {
            if (a->w[i] == 0 || b->w[j] == 0) continue;
            part pt = {
                .key = {i + 1 < a->nw ? a->key[i] : NULL, j + 1 < b->nw ? b->key[j] : NULL},
                .ratio = {(double)a->w[i] / (double)a->whole, (double)b->w[j] / (double)b->whole}};
            int64_t c = cost < 0 ? -p->cell[i][j] : p->cell[i][j];
            usage_row(x, s, r, c, billed == cost ? c : 0, charge_day, billing_day, how, qty_on,
                      &pt);
        }
}

/* A day's cost against the commitment: drawn down while the period's
 * commitment lasts, billed as overage after; the day that crosses the line
 * becomes two rows (the quantity stays on the first). */
static void write_focus(ex *x, sub *s, const row *r, int64_t cost, int64_t charge_day,
                        int64_t billing_day, bool correction)
{
    bool in_period = charge_day >= s->period_start && charge_day <= s->period_end && s->budget > 0;
    int64_t over = 0, i = charge_day - s->first_day;
    if (in_period && s->days && i >= 0 && i < (int64_t)s->ndays) {
        subday *d = &s->days[i];
        int64_t before = d->before + d->run, after = before + cost;
        over = (after > s->budget ? after - s->budget : 0) -
               (before > s->budget ? before - s->budget : 0);
        d->run += cost;
    }
    if (correction) /* what a late booking pushes past the commitment is billed as overage */
        usage_row(x, s, r, cost, over, charge_day, billing_day, CORRECTION, false, NULL);
    else if (!in_period)
        split_row(x, s, r, cost, 0, charge_day, billing_day, EARLIER_TERM, true);
    else if (over == 0)
        split_row(x, s, r, cost, 0, charge_day, billing_day, DRAWN, true);
    else if (over == cost)
        split_row(x, s, r, cost, cost, charge_day, billing_day, OVERAGE, true);
    else {
        split_row(x, s, r, cost - over, 0, charge_day, billing_day, DRAWN, true);
        if (!x->err) split_row(x, s, r, over, over, charge_day, billing_day, OVERAGE, false);
    }
}

/* The commitment's own rows: its purchase, billed in the month its period
 * starts (EffectiveCost 0: the usage rows carry it as it is drawn down), and
 * once the period has closed, the unused remainder as effective cost. */
static void write_commitment(ex *x, const sub *s)
{
    if (s->budget <= 0 || s->period_start < 0 || s->period_end < 0) return;
    bool start_in = (x->o->from < 0 || s->period_start >= x->o->from) &&
                    (x->o->to < 0 || s->period_start <= x->o->to);
    bool closed = x->today > s->period_end;
    bool end_in = (x->o->from < 0 || s->period_end >= x->o->from) &&
                  (x->o->to < 0 || s->period_end <= x->o->to);
    int64_t unused = s->budget - s->used;
    char amount[32], zero[32], bps[24], bpe[24], cps[24], cpe[24], desc[512], applied[512],
        skuprice[128];
    const char *cid = s->cid;
    snprintf(skuprice, sizeof(skuprice), "DPS_COMMITMENT/%s", cid);
    decimal(zero, sizeof(zero), 0);
    dtc_fmt_datetime(cps, s->period_start * 86400);
    dtc_fmt_datetime(cpe, (s->period_end + 1) * 86400);
    const char *name = s->name[0] ? s->name : s->uuid;
    for (int kind = 0; kind < 2; kind++) {
        if (kind == 0 ? !start_in : !(closed && end_in && unused > 0)) continue;
        const char *v[NFOCUS] = {0};
        common(x, s, v);
        int64_t amt = kind == 0 ? s->budget : unused;
        decimal(amount, sizeof(amount), amt);
        month_bounds(kind == 0 ? s->period_start : s->period_end, bps, bpe);
        snprintf(desc, sizeof(desc),
                 kind == 0 ? "%s: annual commitment, drawn down by consumption until used up."
                           : "%s: part of the annual commitment left unused when its period ended.",
                 name);
        contract_applied(applied, sizeof(applied), s, kind == 0 ? zero : amount);
        v[F_BilledCost] = kind == 0 ? amount : zero;
        v[F_EffectiveCost] = kind == 0 ? zero : amount;
        v[F_ListCost] = v[F_ContractedCost] = kind == 0 ? amount : zero;
        v[F_ListUnitPrice] = v[F_ContractedUnitPrice] = kind == 0 ? amount : NULL;
        v[F_PricingQuantity] = kind == 0 ? "1" : "0";
        v[F_PricingUnit] = "Units";
        v[F_BillingPeriodStart] = bps;
        v[F_BillingPeriodEnd] = bpe;
        v[F_ChargePeriodStart] = cps;
        v[F_ChargePeriodEnd] = cpe;
        v[F_ChargeCategory] = kind == 0 ? "Purchase" : "Usage";
        v[F_ChargeDescription] = desc;
        v[F_ChargeFrequency] = kind == 0 ? "One-Time" : "Recurring";
        v[F_PricingCategory] = "Committed";
        v[F_ServiceCategory] = "Management and Governance";
        v[F_ServiceSubcategory] = "Observability";
        v[F_ServiceName] = "Dynatrace Platform Subscription";
        v[F_SkuId] = "DPS_COMMITMENT";
        v[F_SkuPriceId] = skuprice;
        v[F_CommitmentDiscountId] = cid;
        v[F_CommitmentDiscountCategory] = "Spend";
        v[F_CommitmentDiscountName] = name;
        v[F_CommitmentDiscountType] = "Dynatrace Platform Subscription";
        v[F_CommitmentDiscountStatus] = kind == 0 ? NULL : "Unused";
        v[F_ContractApplied] = applied;
        v[F_x_ChargeKind] = kind == 0 ? "commitment" : "unused-commitment";
        write_focus_line(x, v);
        count(x, kind == 0 ? 0 : amt, kind == 0 ? amt : 0, false);
    }
}

static int revcmp(const void *a, const void *b)
{
    const revision *p = a, *q = b;
    int c = strcmp(p->key, q->key);
    return c ? c : (p->seen_day > q->seen_day) - (p->seen_day < q->seen_day);
}

/* The columns of a row of SQL_ROWS (or SQL_FOCUS_ROWS), as they are:
 * no environment name yet (resolve). */
static int read_cols(const dtc_row *dr, row *r)
{
    int rc;
    memset(r, 0, sizeof(*r));
    if ((rc = dtc_row_text(dr, &r->sub, 0)) || (rc = dtc_row_text(dr, &r->env, 1)) ||
        (rc = dtc_row_text(dr, &r->cap, 2)) || (rc = dtc_row_text_or(dr, &r->cap_name, 3, NULL)) ||
        (rc = dtc_row_text(dr, &r->day, 4)) || (rc = dtc_row_int(dr, &r->cost, 5)) ||
        (rc = dtc_row_text_or(dr, &r->currency, 6, NULL)) ||
        (rc = dtc_row_text_or(dr, &r->booking, 7, NULL)) ||
        (rc = dtc_row_text_or(dr, &r->cluster, 8, NULL)) ||
        (rc = dtc_row_real_or(dr, &r->usage, 9, 0)) ||
        (rc = dtc_row_text_or(dr, &r->unit, 10, NULL)))
        return rc;
    r->has_usage = !dtc_row_is_null(dr, 9);
    if (r->has_usage && !(r->usage > -1e15 && r->usage < 1e15))
        r->has_usage = false; /* not a quantity this file can state exactly (or NaN): left out */
    return 0;
}

/* A row's subscription (NULL when the database does not have it), and its
 * environment's name into r. */
static sub *resolve(ex *x, row *r)
{
    sub *s = find_sub(x, r->sub);
    if (s) r->env_name = env_name(x, s, r->env);
    return s;
}

static bool in_range(const ex *x, int64_t day)
{
    return (x->o->from < 0 || day >= x->o->from) && (x->o->to < 0 || day <= x->o->to);
}

/* CSV and JSON Lines: each row as it comes. */
static int on_row(void *ud, const dtc_row *dr)
{
    ex *x = ud;
    row r;
    int rc = read_cols(dr, &r);
    if (rc) return rc;
    sub *s = resolve(x, &r);
    if (s && in_range(x, day_of(r.day))) write_simple(x, s, &r);
    return x->err;
}

/* FOCUS: one record (its allocations in x->pend), with the late bookings
 * seen after its month closed: the row as it was at the close, then one
 * Correction per change, billed in the month it was seen. */
static int write_record(ex *x, sub *s, const row *r)
{
    if (!s) return 0; /* a subscription the database does not have */
    int64_t day = day_of(r->day);
    char key[512] = "";
    if (x->nrevs) snprintf(key, sizeof(key), "%s|%s|%s|%s", r->sub, r->env, r->cap, r->day);
    revision probe = {.key = key, .seen_day = INT64_MIN};
    size_t lo = 0, hi = x->nrevs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (revcmp(&x->revs[mid], &probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t base = r->cost;
    if (lo < x->nrevs && strcmp(x->revs[lo].key, key) == 0) base = x->revs[lo].old;
    if (!in_range(x, day)) /* its cost is in the drawdown through prefix_days */
        return 0;
    write_focus(x, s, r, base, day, day, false);
    for (size_t i = lo; i < x->nrevs && strcmp(x->revs[i].key, key) == 0 && !x->err; i++) {
        int64_t diff = x->revs[i].now - x->revs[i].old;
        if (diff) write_focus(x, s, r, diff, day, x->revs[i].seen_day, true);
    }
    return x->err;
}

static void forget_allocations(pending *p)
{
    for (int d = 0; d < NDIM; d++) {
        p->ax[d].n = 0;
        p->ax[d].over = false;
    }
}

/* Start a record: copy its columns, forget the last one's allocations. */
static int keep_row(pending *p, const row *in)
{
    const char *src[] = {in->sub, in->env,      in->env_name, in->cap,     in->cap_name,
                         in->day, in->currency, in->booking,  in->cluster, in->unit};
    const char **dst[] = {&p->r.sub, &p->r.env,      &p->r.env_name, &p->r.cap,     &p->r.cap_name,
                          &p->r.day, &p->r.currency, &p->r.booking,  &p->r.cluster, &p->r.unit};
    size_t off[sizeof(src) / sizeof(src[0])];
    int rc = 0;
    dtc_buf_reset(&p->text);
    for (size_t i = 0; i < sizeof(src) / sizeof(src[0]) && !rc; i++) {
        off[i] = p->text.len;
        if (src[i]) rc = dtc_buf_add(&p->text, src[i], strlen(src[i]) + 1);
    }
    if (rc) return rc == DTC_ETOOBIG ? DTC_ENOMEM : rc;
    p->r = *in;
    for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
        *dst[i] = src[i] ? p->text.data + off[i] : NULL;
    forget_allocations(p);
    p->has = true;
    return 0;
}

/* A key the file can state: short, not blank-padded, no control characters
 * (FOCUS StringHandling); any other's cost stays with the unallocated part. */
static bool stateable(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > MAX_KEY || key[0] == ' ' || key[n - 1] == ' ') return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) return false;
    return true;
}

/* One row of the FOCUS query: a record's columns and one of its
 * allocations (field NULL: none, or the query brings none). */
typedef struct frow {
    row r;
    const char *field, *key;
    int64_t micro;
} frow;

/* The allocation columns of a row of SQL_FOCUS_ROWS. */
static int read_alloc(const dtc_row *dr, frow *f)
{
    int rc;
    f->field = f->key = NULL;
    f->micro = 0;
    if (dtc_row_is_null(dr, ALLOC_COL)) return 0; /* a record without allocation */
    if ((rc = dtc_row_text(dr, &f->field, ALLOC_COL)) ||
        (rc = dtc_row_text(dr, &f->key, ALLOC_COL + 1)) ||
        (rc = dtc_row_int(dr, &f->micro, ALLOC_COL + 2)))
        return rc;
    return 0;
}

/* The allocation a row of the FOCUS query brings, if any. */
static void take_alloc(pending *p, const frow *f, int split)
{
    const char *field = f->field, *key = f->key;
    int64_t micro = f->micro;
    if (!field) return;
    for (int d = 0; d < NDIM; d++) {
        axis *a = &p->ax[d];
        if (strcmp(field, dims[d].field) != 0 || !(split & dims[d].bit)) continue;
        if (micro < 0 || micro > INT64_MAX / (MAX_SPLIT + 1) || !stateable(key)) return;
        if (a->n == MAX_SPLIT) {
            a->over = true;
            return;
        }
        memcpy(a->key[a->n], key, strlen(key) + 1);
        a->micro[a->n++] = micro;
    }
}

static bool same_record(const row *a, const row *b)
{
    return strcmp(a->day, b->day) == 0 && strcmp(a->cap, b->cap) == 0 &&
           strcmp(a->env, b->env) == 0 && strcmp(a->sub, b->sub) == 0;
}

/* The record kept by keep_row, if any. */
static int finish_records(ex *x)
{
    int rc = x->pend->has ? write_record(x, find_sub(x, x->pend->r.sub), &x->pend->r) : 0;
    x->pend->has = false;
    return rc;
}

/* FOCUS: a record's rows come one per allocation, together; the record is
 * written when the next one starts (and after the query, finish_records).
 * A record without allocation is its one row: written at once, uncopied;
 * so is every row when the query brings no allocations (x->alloc false). */
static int focus_row(ex *x, frow *f)
{
    pending *p = x->pend;
    row *r = &f->r;
    sub *s = resolve(x, r);
    int rc;
    if (strcmp(r->day, x->max_day.len ? x->max_day.data : "") > 0) { /* SQL_MODIFIED's MAX(day) */
        dtc_buf_reset(&x->max_day);
        if ((rc = dtc_buf_adds(&x->max_day, r->day))) return x->err = DTC_ENOMEM;
    }
    if (!x->alloc) return write_record(x, s, r);
    if (!p->has || !same_record(&p->r, r)) {
        if ((rc = finish_records(x))) return rc;
        if (!f->field) {
            forget_allocations(p);
            return write_record(x, s, r);
        }
        if ((rc = keep_row(p, r))) return rc;
    }
    take_alloc(p, f,
               x->o->focus_split ? x->o->focus_split
                                 : DTC_FOCUS_SPLIT_COSTCENTER | DTC_FOCUS_SPLIT_PRODUCT);
    return 0;
}

/* A row of the FOCUS query read and written on the query's thread. */
static int on_focus_row(void *ud, const dtc_row *dr)
{
    ex *x = ud;
    frow f;
    int rc = read_cols(dr, &f.r);
    if (rc || (x->alloc && (rc = read_alloc(dr, &f)))) return rc;
    if (!x->alloc) f.field = NULL;
    return focus_row(x, &f);
}

/* ---- FOCUS rows read on one thread, written on another ---- */

/* The query's thread reads rows into batches (their text copied, as a row
 * is valid only during its callback); a second thread takes the batches in
 * order and writes them (focus_row), so SQLite and the formatting run on
 * two cores. QBATCHES batches of about QBATCH bytes of text at most are in
 * flight: memory stays flat. */
#define QBATCH ((size_t)128 << 10)
#define QBATCHES 4
#define QROWS 1024 /* rows of a batch at most */
#define QTEXTS 12  /* the strings of a frow */

typedef struct qbatch {
    frow rows[QROWS];
    size_t off[QROWS][QTEXTS]; /* each string's offset in text; SIZE_MAX: NULL */
    size_t n;
    dtc_buf text;
} qbatch;

typedef struct qpipe {
    ex *x;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    qbatch *b;           /* QBATCHES; the reader fills b[head % QBATCHES] */
    unsigned head, tail; /* [tail, head): filled, not yet written */
    bool done;           /* the reader has published its last batch */
    int stop;            /* the writer's error: the reader stops */
} qpipe;

/* The string fields of a frow, in a fixed order. */
static const char **qtext(frow *f, int i)
{
    const char **t[QTEXTS] = {&f->r.sub,      &f->r.env,  &f->r.env_name, &f->r.cap,
                              &f->r.cap_name, &f->r.day,  &f->r.currency, &f->r.booking,
                              &f->r.cluster,  &f->r.unit, &f->field,      &f->key};
    return t[i];
}

/* Writer thread: every batch in order through focus_row, until the reader
 * is done or a write fails (q->stop). */
static void *q_writer(void *arg)
{
    qpipe *q = arg;
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->tail == q->head && !q->done)
            pthread_cond_wait(&q->cv, &q->mu);
        bool empty = q->tail == q->head;
        pthread_mutex_unlock(&q->mu);
        if (empty) break;
        qbatch *b = &q->b[q->tail % QBATCHES];
        for (size_t i = 0; i < b->n && rc == 0; i++) {
            frow *f = &b->rows[i];
            for (int t = 0; t < QTEXTS; t++)
                *qtext(f, t) = b->off[i][t] == SIZE_MAX ? NULL : b->text.data + b->off[i][t];
            rc = focus_row(q->x, f);
        }
        pthread_mutex_lock(&q->mu);
        q->tail++;
        if (rc) q->stop = rc;
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
        if (rc) break;
    }
    return NULL;
}

/* Hand the batch being filled to the writer and wait for a free one; the
 * writer's error when it has stopped. */
static int q_publish(qpipe *q)
{
    pthread_mutex_lock(&q->mu);
    q->head++;
    pthread_cond_broadcast(&q->cv);
    while (q->head - q->tail == QBATCHES && !q->stop)
        pthread_cond_wait(&q->cv, &q->mu);
    int stop = q->stop;
    pthread_mutex_unlock(&q->mu);
    qbatch *b = &q->b[q->head % QBATCHES];
    b->n = 0;
    dtc_buf_reset(&b->text);
    return stop;
}

/* Reader: a row of the FOCUS query into the batch being filled. */
static int q_row(void *ud, const dtc_row *dr)
{
    qpipe *q = ud;
    qbatch *b = &q->b[q->head % QBATCHES];
    frow *f = &b->rows[b->n];
    int rc = read_cols(dr, &f->r);
    f->field = f->key = NULL;
    if (rc || (q->x->alloc && (rc = read_alloc(dr, f)))) return rc;
    for (int t = 0; t < QTEXTS && rc == 0; t++) {
        const char *v = *qtext(f, t);
        b->off[b->n][t] = v ? b->text.len : SIZE_MAX;
        if (v) rc = dtc_buf_add(&b->text, v, strlen(v) + 1);
    }
    if (rc) return rc == DTC_ETOOBIG ? DTC_ENOMEM : rc;
    if (++b->n == QROWS || b->text.len >= QBATCH) return q_publish(q);
    return 0;
}

/* The FOCUS query's rows, read here and written on a second thread; on
 * this thread alone when there is no memory or thread for that. */
static int focus_rows(dtc_store *db, ex *x)
{
    const char *sql = x->alloc ? SQL_FOCUS_ROWS : SQL_ROWS;
    qpipe q = {.x = x};
    pthread_t th;
    int rc;
    if ((q.b = dtc_calloc(QBATCHES, sizeof(qbatch))) == NULL)
        return dtc_store_query(db, sql, NULL, 0, on_focus_row, x);
    for (int i = 0; i < QBATCHES; i++) /* a row of any size fits an empty batch, to the cap */
        dtc_buf_init(&q.b[i].text, QBATCH + ROWS_CAP);
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.cv, NULL);
    if (pthread_create(&th, NULL, q_writer, &q) != 0)
        rc = dtc_store_query(db, sql, NULL, 0, on_focus_row, x);
    else {
        rc = dtc_store_query(db, sql, NULL, 0, q_row, &q);
        pthread_mutex_lock(&q.mu);
        if (rc == 0 && q.b[q.head % QBATCHES].n) q.head++; /* the last, partly filled batch */
        q.done = true;
        pthread_cond_broadcast(&q.cv);
        pthread_mutex_unlock(&q.mu);
        pthread_join(th, NULL);
        if (q.stop) rc = q.stop; /* the writer's error, which stopped the reader */
    }
    pthread_cond_destroy(&q.cv);
    pthread_mutex_destroy(&q.mu);
    for (int i = 0; i < QBATCHES; i++)
        dtc_buf_dispose(&q.b[i].text);
    dtc_free(q.b);
    return rc;
}

static int on_has_alloc(void *ud, const dtc_row *dr)
{
    ex *x = ud;
    int64_t n;
    int rc = dtc_row_int(dr, &n, 0);
    if (rc == 0 && n > 0) x->alloc = true;
    return rc;
}

static int load(dtc_store *db, ex *x)
{
    int rc;
    if ((rc = dtc_store_query(db, SQL_SUBS, NULL, 0, on_sub, x)) ||
        (rc = dtc_store_query(db, SQL_RATES, NULL, 0, on_rate, x)) ||
        (rc = dtc_store_query(db, x->o->format == DTC_EXPORT_FOCUS ? SQL_SYNCED_AT : SQL_MODIFIED,
                              NULL, 0,
                              x->o->format == DTC_EXPORT_FOCUS ? on_synced_at : on_modified, x)) ||
        (rc = dtc_store_query(db, SQL_ENVS, NULL, 0, on_env, x)))
        return rc;
    for (size_t i = 0; i < x->nsubs; i++)
        sub_names(x, &x->subs[i]);
    if (x->o->format == DTC_EXPORT_FOCUS) {
        if ((rc = dtc_store_query(db, SQL_REVISIONS, NULL, 0, on_rev, x)) ||
            (rc = dtc_store_query(db, SQL_DAYS, NULL, 0, on_day, x)))
            return rc;
        if (x->synced_over) { /* the database's own sum says what is wrong */
            if ((rc = dtc_store_query(db, SQL_SYNCED, NULL, 0, on_synced, x))) return rc;
        } else
            for (size_t i = 0; i < x->nsubs; i++)
                if (x->subs[i].has_synced) synced_cost(&x->subs[i], x->subs[i].synced);
        if (x->nrevs > 1) qsort(x->revs, x->nrevs, sizeof(revision), revcmp);
        int split = x->o->focus_split ? x->o->focus_split
                                      : DTC_FOCUS_SPLIT_COSTCENTER | DTC_FOCUS_SPLIT_PRODUCT;
        for (int d = 0; d < NDIM && !x->alloc; d++) {
            dtc_val field = DTC_TEXT(dims[d].field);
            if ((split & dims[d].bit) &&
                (rc = dtc_store_query(db, SQL_HAS_ALLOC, &field, 1, on_has_alloc, x)))
                return rc;
        }
        for (size_t i = 0; i < x->nsubs; i++)
            prefix_days(&x->subs[i]);
    }
    return 0;
}

static void ex_dispose(ex *x)
{
    for (size_t i = 0; i < x->nrevs; i++)
        dtc_free(x->revs[i].key);
    dtc_free(x->revs);
    dtc_free(x->rates);
    for (size_t i = 0; i < x->nsubs; i++) {
        dtc_free(x->subs[i].days);
        dtc_free(x->subs[i].account_key);
    }
    dtc_strmap_dispose(&x->envs);
    dtc_free(x->subs);
    dtc_free(x->daytexts);
    if (x->pend) dtc_buf_dispose(&x->pend->text);
    dtc_free(x->pend);
    dtc_buf_dispose(&x->line);
    dtc_buf_dispose(&x->tags);
    dtc_buf_dispose(&x->max_day);
}

/* The sink other files write FOCUS rows through (export_impl.h). */
static int column_index(const char *name)
{
    for (int i = 0; i < NFOCUS; i++)
        if (strcmp(focus_cols[i].name, name) == 0) return i;
    return -1;
}

static int sink_row(void *ud, const char *const *v, int64_t effective, int64_t billed)
{
    ex *x = ud;
    write_focus_line(x, v);
    count(x, effective, billed, false);
    return x->err;
}

int dtc_export_write(dtc_store *db, FILE *out, dtc_export_stats *st, const dtc_export_opts *o)
{
    ex x = {.o = o, .out = out, .st = st, .today = -1, .last_day = -1};
    memset(st, 0, sizeof(*st));
    dtc_buf_init(&x.line, ROWS_CAP);
    int rc;
    if (o->format == DTC_EXPORT_FOCUS &&
        (o->focus_minor < 2 || o->focus_minor > DTC_FOCUS_NEWEST)) {
        snprintf(st->err, sizeof(st->err), "FOCUS 1.%d is not written: use 1.2, 1.3 or 1.4",
                 o->focus_minor);
        rc = DTC_EINVAL;
        goto done;
    }
    if ((rc = load(db, &x))) goto done;
    if (o->format == DTC_EXPORT_FOCUS) {
        if (!(x.pend = dtc_calloc(1, sizeof(pending)))) {
            rc = DTC_ENOMEM;
            goto done;
        }
        dtc_buf_init(&x.pend->text, ROWS_CAP);
        dtc_buf_init(&x.tags, ROWS_CAP);
        dtc_buf_init(&x.max_day, ROWS_CAP);
        write_focus_line(&x, NULL);
    } else if (o->format == DTC_EXPORT_CSV)
        for (size_t i = 0; i < NSIMPLE; i++)
            field(&x, simple_cols[i], true, i + 1 == NSIMPLE);
    flush(&x);
    if (o->format == DTC_EXPORT_FOCUS) {
        rc = focus_rows(db, &x);
        if (rc == 0) rc = finish_records(&x);
        set_today(&x, x.max_day.len ? x.max_day.data : NULL);
    } else
        rc = dtc_store_query(db, SQL_ROWS, NULL, 0, on_row, &x);
    for (size_t i = 0; rc == 0 && !x.err && o->format == DTC_EXPORT_FOCUS && i < x.nsubs; i++)
        write_commitment(&x, &x.subs[i]);
    if (rc == 0 && !x.err && o->format == DTC_EXPORT_FOCUS) { /* classic license units */
        dtc_export__sink sink = {&x, NFOCUS, column_index, sink_row};
        rc = dtc_export__license_rows(db, o, &sink, st);
    }
    flush(&x);
    if (rc == 0 && x.err) rc = x.err;
    if (rc == 0 && fflush(out) != 0) rc = DTC_EIO;
done:
    if (rc == DTC_ENOMEM && !st->err[0]) snprintf(st->err, sizeof(st->err), "out of memory");
    ex_dispose(&x);
    rc = rc == DTC_EIO || x.err == DTC_EIO ? DTC_EIO : rc;
    if (rc == DTC_EIO && x.io_errno) errno = x.io_errno; /* it failed on another thread */
    return rc;
}

/* ---- FOCUS 1.3/1.4: the ContractCommitment dataset ---- */

/* Every column of the dataset in file order (alphabetical, then ours), with
 * the versions that define it: 1.3's thirteen and 1.4's additions from the
 * model's column-presence rules (CCT-ContractCommitment-D-001-M; the
 * conditional PricingCurrency columns do not apply: one currency).
 * docs/focus.md says where each value comes from. */
typedef enum ccol {
    C_BillingCurrency,
    C_Applicability,
    C_BenefitCategory,
    C_Category,
    C_Cost,
    C_Created,
    C_Description,
    C_DiscountPercentage,
    C_DurationType,
    C_FulfillmentInterval,
    C_Id,
    C_LastUpdated,
    C_LifecycleStatus,
    C_Model,
    C_OfferCategory,
    C_PaymentInterval,
    C_PaymentModel,
    C_PaymentUpfrontPercentage,
    C_PeriodEnd,
    C_PeriodStart,
    C_Quantity,
    C_Type,
    C_Unit,
    C_ContractId,
    C_ContractPeriodEnd,
    C_ContractPeriodStart,
    C_InvoiceIssuerName,
    C_ServiceProviderName,
    C_x_SubscriptionUuid,
    C_x_BudgetUsed,
    NCC
} ccol;

_Static_assert((int)NCC <= (int)NFOCUS, "write_cols sizes its lengths by NFOCUS");
static const struct focus_col cc_cols[NCC] = {
    [C_BillingCurrency] = {"BillingCurrency", T_STR, V13 | V14},
    [C_Applicability] = {"ContractCommitmentApplicability", T_JSON, V14},
    [C_BenefitCategory] = {"ContractCommitmentBenefitCategory", T_STR, V14},
    [C_Category] = {"ContractCommitmentCategory", T_STR, V13 | V14},
    [C_Cost] = {"ContractCommitmentCost", T_DEC, V13 | V14},
    [C_Created] = {"ContractCommitmentCreated", T_DATE, V14},
    [C_Description] = {"ContractCommitmentDescription", T_STR, V13 | V14},
    [C_DiscountPercentage] = {"ContractCommitmentDiscountPercentage", T_DEC, V14},
    [C_DurationType] = {"ContractCommitmentDurationType", T_STR, V14},
    [C_FulfillmentInterval] = {"ContractCommitmentFulfillmentInterval", T_STR, V14},
    [C_Id] = {"ContractCommitmentId", T_STR, V13 | V14},
    [C_LastUpdated] = {"ContractCommitmentLastUpdated", T_DATE, V14},
    [C_LifecycleStatus] = {"ContractCommitmentLifecycleStatus", T_STR, V14},
    [C_Model] = {"ContractCommitmentModel", T_STR, V14},
    [C_OfferCategory] = {"ContractCommitmentOfferCategory", T_STR, V14},
    [C_PaymentInterval] = {"ContractCommitmentPaymentInterval", T_STR, V14},
    [C_PaymentModel] = {"ContractCommitmentPaymentModel", T_STR, V14},
    [C_PaymentUpfrontPercentage] = {"ContractCommitmentPaymentUpfrontPercentage", T_DEC, V14},
    [C_PeriodEnd] = {"ContractCommitmentPeriodEnd", T_DATE, V13 | V14},
    [C_PeriodStart] = {"ContractCommitmentPeriodStart", T_DATE, V13 | V14},
    [C_Quantity] = {"ContractCommitmentQuantity", T_DEC, V13 | V14},
    [C_Type] = {"ContractCommitmentType", T_STR, V13 | V14},
    [C_Unit] = {"ContractCommitmentUnit", T_STR, V13 | V14},
    [C_ContractId] = {"ContractId", T_STR, V13 | V14},
    [C_ContractPeriodEnd] = {"ContractPeriodEnd", T_DATE, V13 | V14},
    [C_ContractPeriodStart] = {"ContractPeriodStart", T_DATE, V13 | V14},
    [C_InvoiceIssuerName] = {"InvoiceIssuerName", T_STR, V14},
    [C_ServiceProviderName] = {"ServiceProviderName", T_STR, V14},
    [C_x_SubscriptionUuid] = {"x_SubscriptionUuid", T_STR, V13 | V14},
    [C_x_BudgetUsed] = {"x_BudgetUsed", T_DEC, V13 | V14},
};

static void write_cc_line(ex *x, const char *const *v)
{
    write_cols(x, cc_cols, NCC, last_of(cc_cols, NCC, x->o->focus_minor), v);
}

/* ContractCommitmentDurationType: the period's length as the spec's "1 Year",
 * "3 Months" (whole calendar months from the start's day), else in days.
 * end is inclusive. */
static void duration_type(char *dst, size_t n, int64_t start, int64_t end)
{
    int y0, m0, d0, y1, m1, d1;
    dtc_civil_from_days(start, &y0, &m0, &d0);
    dtc_civil_from_days(end + 1, &y1, &m1, &d1);
    int months = (y1 - y0) * 12 + (m1 - m0);
    long days = (long)(end + 1 - start);
    if (d0 == d1 && months > 0 && months % 12 == 0)
        snprintf(dst, n, "%d Year%s", months / 12, months == 12 ? "" : "s");
    else if (d0 == d1 && months > 0)
        snprintf(dst, n, "%d Month%s", months, months == 1 ? "" : "s");
    else
        snprintf(dst, n, "%ld Day%s", days, days == 1 ? "" : "s");
}

/* ContractCommitmentLifecycleStatus on the day of the last sync. */
static const char *lifecycle(const ex *x, const sub *s)
{
    if (x->today >= 0 && x->today < s->period_start) return "Pending";
    if (x->today > s->period_end) return "Expired";
    return s->used >= s->budget ? "Exhausted" : "Active";
}

/* ContractCommitmentApplicability: everything the subscription consumes, as
 * the one account and subscription it belongs to (both columns of the
 * cost-and-usage file); all of a charge's cost counts. Strings from the API
 * go through the JSON writer, so they cannot break out of the object. */
static int applicability(dtc_buf *b, const sub *s)
{
    dtc_jw w;
    dtc_jw_init(&w, b);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "IsGlobalScope");
    dtc_jw_bool(&w, false);
    dtc_jw_key(&w, "IsComplexScope");
    dtc_jw_bool(&w, false);
    dtc_jw_key(&w, "Applicability");
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "Cost");
    dtc_jw_raw(&w, "1.0");
    dtc_jw_key(&w, "Usage");
    dtc_jw_raw(&w, "1.0");
    dtc_jw_obj_end(&w);
    dtc_jw_key(&w, "InclusionOperator");
    dtc_jw_str(&w, "And");
    dtc_jw_key(&w, "Inclusions");
    dtc_jw_arr(&w);
    const char *incl[2][2] = {{"BillingAccountId", s->account}, {"x_SubscriptionUuid", s->uuid}};
    for (int i = 0; i < 2; i++) {
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "Dimension");
        dtc_jw_str(&w, incl[i][0]);
        dtc_jw_key(&w, "Operator");
        dtc_jw_str(&w, "In");
        dtc_jw_key(&w, "Values");
        dtc_jw_arr(&w);
        dtc_jw_str(&w, incl[i][1]);
        dtc_jw_arr_end(&w);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    return w.err; /* data stays NUL-terminated */
}

int dtc_export_commitments(dtc_store *db, FILE *out, long *rows, const dtc_export_opts *o)
{
    dtc_export_stats st = {0}; /* the writer's counters; the commitments are counted in *rows */
    ex x = {.o = o, .out = out, .st = &st, .today = -1, .last_day = -1};
    dtc_buf applies;
    dtc_buf_init(&x.line, DTC_CAP_SMALL);
    dtc_buf_init(&applies, DTC_CAP_SMALL);
    *rows = 0;
    int rc = dtc_store_query(db, SQL_SUBS, NULL, 0, on_sub, &x);
    if (rc || (rc = dtc_store_query(db, SQL_MODIFIED, NULL, 0, on_modified, &x))) goto done;
    int64_t synced = -1; /* the end of the last successful sync, seconds */
    if (x.modified[0] && dtc_parse_datetime(x.modified, &synced) != 0) synced = -1;
    write_cc_line(&x, NULL);
    for (size_t i = 0; i < x.nsubs && !x.err; i++) {
        sub *s = &x.subs[i];
        if (s->budget <= 0 || s->period_start < 0 || s->period_end < 0) continue;
        char cost[32], used[32], pe[24], ps[24], ce[24], cs[24], upd[24], dur[32], desc[512];
        sub_names(&x, s);
        decimal(cost, sizeof(cost), s->budget);
        decimal(used, sizeof(used), s->used);
        dtc_fmt_datetime(ps, s->period_start * 86400);
        dtc_fmt_datetime(pe, (s->period_end + 1) * 86400);
        int64_t c0 = s->contract_start >= 0 ? s->contract_start : s->period_start;
        int64_t c1 = s->contract_end >= 0 ? s->contract_end : s->period_end;
        dtc_fmt_datetime(cs, c0 * 86400);
        dtc_fmt_datetime(ce, (c1 + 1) * 86400);
        /* Created: the period's budget exists from its first day (the API
         * has no creation time); updated: the sync that last read it. */
        dtc_fmt_datetime(upd, synced > s->period_start * 86400 ? synced : s->period_start * 86400);
        duration_type(dur, sizeof(dur), s->period_start, s->period_end);
        snprintf(desc, sizeof(desc),
                 "%s: annual spend commitment of %s %s, drawn down by consumption; usage "
                 "beyond it is billed as on-demand overage.",
                 s->name[0] ? s->name : s->uuid, cost, s->currency);
        dtc_buf_reset(&applies);
        if ((rc = applicability(&applies, s))) goto done;
        const char *v[NCC] = {
            [C_BillingCurrency] = s->currency,
            [C_Applicability] = applies.data,
            [C_BenefitCategory] = "Entitlement",
            [C_Category] = "Spend",
            [C_Cost] = cost,
            [C_Created] = ps,
            [C_Description] = desc,
            [C_DiscountPercentage] = NULL,
            [C_DurationType] = dur,
            [C_FulfillmentInterval] = "Total Term",
            [C_Id] = s->cid,
            [C_LastUpdated] = upd,
            [C_LifecycleStatus] = lifecycle(&x, s),
            [C_Model] = "Discontinuous",
            [C_OfferCategory] = "Negotiated",
            [C_PaymentInterval] = "One-Time",
            [C_PaymentModel] = "All Upfront",
            [C_PaymentUpfrontPercentage] = "1.0",
            [C_PeriodEnd] = pe,
            [C_PeriodStart] = ps,
            [C_Quantity] = NULL,
            [C_Type] = "Dynatrace Platform Subscription",
            [C_Unit] = NULL,
            [C_ContractId] = s->uuid,
            [C_ContractPeriodEnd] = ce,
            [C_ContractPeriodStart] = cs,
            [C_InvoiceIssuerName] = o->invoice_issuer ? o->invoice_issuer : "Dynatrace",
            [C_ServiceProviderName] = "Dynatrace",
            [C_x_SubscriptionUuid] = s->uuid,
            [C_x_BudgetUsed] = used,
        };
        write_cc_line(&x, v);
        flush(&x);
        ++*rows;
    }
    rc = x.err;
    if (rc == 0 && fflush(out) != 0) rc = DTC_EIO;
done:
    dtc_buf_dispose(&applies);
    ex_dispose(&x);
    return rc;
}

/* ---- FOCUS 1.3/1.4: recency metadata ---- */

int dtc_export_metadata(dtc_store *db, FILE *out, const dtc_export_opts *o, const char *cost_file,
                        const char *commit_file)
{
    dtc_export_stats st;
    ex x = {.o = o, .out = out, .st = &st, .today = -1, .last_day = -1};
    dtc_buf_init(&x.line, DTC_CAP_SMALL);
    int rc = dtc_store_query(db, SQL_MODIFIED, NULL, 0, on_modified, &x);
    if (rc) goto done;
    char version[8], last[11] = "", closed[8] = "";
    snprintf(version, sizeof(version), "1.%d", o->focus_minor);
    if (x.last_day >= 0) dtc_fmt_date(last, x.last_day);
    if (x.today >= 0) { /* the last month that ended before the last sync */
        int y, m, d;
        dtc_civil_from_days(x.today, &y, &m, &d);
        dtc_civil_from_days(dtc_days_add_months(dtc_days_from_civil(y, m, 1), -1), &y, &m, &d);
        snprintf(closed, sizeof(closed), "%04d-%02d", y, m);
    }
    dtc_jw w;
    dtc_jw_init(&w, &x.line);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "FocusVersion");
    dtc_jw_str(&w, version);
    dtc_jw_key(&w, "DataGenerator");
    dtc_jw_str(&w, "dtcost");
    dtc_jw_key(&w, "Datasets");
    dtc_jw_arr(&w);
    for (int i = 0; i < 2; i++) {
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "DatasetType");
        dtc_jw_str(&w, i == 0 ? "CostAndUsage" : "ContractCommitment");
        dtc_jw_key(&w, "File");
        dtc_jw_str(&w, i == 0 ? cost_file : commit_file);
        dtc_jw_key(&w, "DataLastUpdated");
        dtc_jw_str(&w, x.modified[0] ? x.modified : NULL);
        dtc_jw_key(&w, "DataThrough");
        dtc_jw_str(&w, i == 0 && last[0] ? last : NULL);
        dtc_jw_key(&w, "LastCompleteBillingPeriod");
        dtc_jw_str(&w, i == 0 && closed[0] ? closed : NULL);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    if (w.err || dtc_buf_addc(&x.line, '\n')) x.err = DTC_ENOMEM;
    flush(&x);
    rc = x.err;
    if (rc == 0 && fflush(out) != 0) rc = DTC_EIO;
done:
    ex_dispose(&x);
    return rc;
}

/* ---- [export] in the config file ---- */

int dtc_export_focus_minor(const char *version)
{
    if (!version) return -1;
    return !strcmp(version, "1.2")   ? 2
           : !strcmp(version, "1.3") ? 3
           : !strcmp(version, "1.4") ? 4
                                     : -1;
}

int dtc_export_focus_split(const char *fields)
{
    if (!fields) return -1;
    if (!strcmp(fields, "none")) return DTC_FOCUS_SPLIT_NONE;
    int bits = 0;
    for (const char *f = fields;;) {
        size_t n = strcspn(f, ",");
        int d = 0;
        while (d < NDIM && (strlen(dims[d].option) != n || strncmp(f, dims[d].option, n)))
            d++;
        if (d == NDIM || (bits & dims[d].bit)) return -1;
        bits |= dims[d].bit;
        if (!f[n]) return bits;
        f += n + 1;
    }
}

void dtc_export__config_init(void *target)
{
    memset(target, 0, sizeof(dtc_export_config));
}

int dtc_export__config_item(void *target, const dtc_config_item *it)
{
    dtc_export_config *c = target;
    if (!strcmp(it->key, "focus_version")) {
        if ((c->focus_minor = dtc_export_focus_minor(it->value)) < 0) {
            snprintf(it->why, it->whylen, "takes 1.2, 1.3 or 1.4");
            return DTC_EINVAL;
        }
        return 0;
    }
    if (!strcmp(it->key, "billing_account_name"))
        return dtc_config__set(&c->billing_account_name, it->value);
    if (!strcmp(it->key, "invoice_issuer")) return dtc_config__set(&c->invoice_issuer, it->value);
    if (!strcmp(it->key, "focus_split")) {
        if ((c->focus_split = dtc_export_focus_split(it->value)) < 0) {
            snprintf(it->why, it->whylen, "takes costcenter,product, costcenter, product or none");
            return DTC_EINVAL;
        }
        return 0;
    }
    return DTC_ENOTFOUND;
}

void dtc_export_config_dispose(dtc_export_config *c)
{
    dtc_free(c->billing_account_name);
    dtc_free(c->invoice_issuer);
    c->billing_account_name = c->invoice_issuer = NULL;
}
