/* export.c: `dtcost export`: one row per subscription, environment,
 * capability and day, joined with usage, environment names and rate cards,
 * written as CSV, JSON Lines or FOCUS CSV while the query streams. FOCUS
 * rules: commitment drawdown (BilledCost 0 until the period's commitment is
 * used up, the overage after), Correction rows for late bookings in closed
 * months (from the revision log), list and contracted cost from rate cards. */
#include "dtcost/export.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "jw.h"
#include "timeutil.h"

typedef struct sub {
    char uuid[64], account[64], currency[8];
    int64_t budget, used, period_start, period_end; /* micro; days */
    int64_t cum;                                    /* cost so far in the current period */
} sub;

typedef struct rate {
    char account[64], cap[64], currency[8], unit[64];
    char price[32], quoted[32];
    int64_t from, to; /* days, [from, to) */
} rate;

typedef struct revision {
    char *key;        /* sub|env|cap|day */
    int64_t old, now; /* micro */
    int64_t seen_day;
} revision;

typedef struct ex {
    const dtc_export_opts *o;
    FILE *out;
    dtc_export_stats *st;
    sub *subs;
    size_t nsubs, subcap;
    rate *rates;
    size_t nrates, ratecap;
    revision *revs;
    size_t nrevs, revcap;
    char modified[32];
    dtc_buf line;
    int err;
} ex;


static int64_t day_of(const char *s)
{
    int64_t d = 0;
    if (!s || (dtc_parse_date(s, &d) != 0 && dtc_parse_datetime(s, &d) == 0))
        d /= 86400;
    return d;
}

static int on_sub(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *uuid, *account, *currency, *start, *end;
    int64_t budget, used;
    int rc;
    if ((rc = dtc_row_text(row, 0, &uuid)) || (rc = dtc_row_text(row, 1, &account)) ||
        (rc = dtc_row_text_or(row, 2, "", &currency)) || (rc = dtc_row_int_or(row, 3, 0, &budget)) ||
        (rc = dtc_row_text_or(row, 4, NULL, &start)) || (rc = dtc_row_text_or(row, 5, NULL, &end)) ||
        (rc = dtc_row_int_or(row, 6, 0, &used)))
        return rc;
    sub *g = dtc_grow(x->subs, &x->subcap, x->nsubs, sizeof(sub));
    if (!g)
        return DTC_ENOMEM;
    x->subs = g;
    sub *s = &x->subs[x->nsubs++];
    memset(s, 0, sizeof(*s));
    snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
    snprintf(s->account, sizeof(s->account), "%s", account);
    snprintf(s->currency, sizeof(s->currency), "%s", currency);
    s->budget = budget;
    s->period_start = day_of(start);
    s->period_end = day_of(end);
    s->used = used;
    return 0;
}

/* Cost of the current period that lies before the synced days: budget.used
 * says what the whole period cost so far, so the drawdown starts there. */
static int on_synced(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *uuid;
    int64_t synced;
    int rc;
    if ((rc = dtc_row_text(row, 0, &uuid)) || (rc = dtc_row_int(row, 1, &synced)))
        return rc;
    for (size_t i = 0; i < x->nsubs; i++)
        if (strcmp(x->subs[i].uuid, uuid) == 0 && x->subs[i].used > synced)
            x->subs[i].cum = x->subs[i].used - synced;
    return 0;
}

static int on_rate(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *col[8];
    int rc = 0;
    for (int i = 0; i < 8 && rc == 0; i++)
        rc = i == 0 || i == 1 || i == 6 ? dtc_row_text(row, i, &col[i]) : dtc_row_text_or(row, i, "", &col[i]);
    if (rc)
        return rc;
    rate *g = dtc_grow(x->rates, &x->ratecap, x->nrates, sizeof(rate));
    if (!g)
        return DTC_ENOMEM;
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
    r->to = day_of(*col[7] ? col[7] : NULL);
    return 0;
}

static int on_rev(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *key, *old, *now, *seen_at;
    int rc;
    if ((rc = dtc_row_text(row, 0, &key)) || (rc = dtc_row_text_or(row, 1, "0", &old)) ||
        (rc = dtc_row_text_or(row, 2, "0", &now)) || (rc = dtc_row_text_or(row, 3, NULL, &seen_at)))
        return rc;
    /* Only changes seen after the month of the day closed become Corrections. */
    const char *day = strrchr(key, '|');
    int64_t d = day_of(day ? day + 1 : NULL), seen = day_of(seen_at);
    int y1, m1, dd, y2, m2;
    dtc_civil_from_days(d, &y1, &m1, &dd);
    dtc_civil_from_days(seen, &y2, &m2, &dd);
    if (y2 * 12 + m2 <= y1 * 12 + m1)
        return 0;
    revision *g = dtc_grow(x->revs, &x->revcap, x->nrevs, sizeof(revision));
    if (!g)
        return DTC_ENOMEM;
    x->revs = g;
    revision *r = &x->revs[x->nrevs];
    r->key = dtc_strdup(key);
    if (!r->key)
        return DTC_ENOMEM;
    r->old = strtoll(old, NULL, 10);
    r->now = strtoll(now, NULL, 10);
    r->seen_day = seen;
    x->nrevs++;
    return 0;
}

static int on_modified(void *ud, const dtc_row *row)
{
    ex *x = ud;
    const char *at;
    int rc = dtc_row_text_or(row, 0, NULL, &at);
    if (rc == 0 && at)
        snprintf(x->modified, sizeof(x->modified), "%s", at);
    return rc;
}

static sub *find_sub(ex *x, const char *uuid)
{
    for (size_t i = 0; i < x->nsubs; i++)
        if (strcmp(x->subs[i].uuid, uuid) == 0)
            return &x->subs[i];
    return NULL;
}

static const rate *find_rate(ex *x, const sub *s, const char *cap, int64_t day)
{
    for (size_t i = 0; i < x->nrates; i++) {
        const rate *r = &x->rates[i];
        if (day >= r->from && day < r->to && strcmp(r->cap, cap) == 0 && strcmp(r->account, s->account) == 0 &&
            strcmp(r->currency, s->currency) == 0)
            return r;
    }
    return NULL;
}

/* ---- formatting ---- */

static void decimal(char *dst, size_t n, int64_t micro)
{
    uint64_t a = micro < 0 ? (uint64_t)0 - (uint64_t)micro : (uint64_t)micro;
    snprintf(dst, n, "%s%" PRIu64 ".%06" PRIu64, micro < 0 ? "-" : "", a / 1000000, a % 1000000);
}

/* A decimal string times a quantity, in micro-units, rounded half away. */
static int64_t times(const char *price, double qty)
{
    long double v = strtold(price, NULL) * (long double)qty * 1000000.0L;
    return (int64_t)llroundl(v);
}

static void csv(ex *x, const char *v, bool last)
{
    dtc_buf *b = &x->line;
    if (v && !strpbrk(v, ",\"\r\n")) { /* the common case: copied whole */
        if (dtc_buf_add(b, v, strlen(v)))
            x->err = DTC_ENOMEM;
    } else if (v) {
        bool quote = true;
        if (quote && dtc_buf_addc(b, '"'))
            x->err = DTC_ENOMEM;
        for (const char *p = v; *p && !x->err; p++)
            if ((*p == '"' && dtc_buf_addc(b, '"')) || dtc_buf_addc(b, *p))
                x->err = DTC_ENOMEM;
        if (quote && dtc_buf_addc(b, '"'))
            x->err = DTC_ENOMEM;
    }
    if (dtc_buf_adds(b, last ? "\r\n" : ",")) /* RFC 4180 line ends, as every CSV dtcost writes */
        x->err = DTC_ENOMEM;
}

static void flush(ex *x)
{
    if (x->line.len && fwrite(x->line.data, 1, x->line.len, x->out) != x->line.len)
        x->err = DTC_EIO;
    dtc_buf_reset(&x->line);
}

/* ---- one row ---- */

typedef struct row {
    const char *sub, *env, *env_name, *cap, *cap_name, *day, *currency, *booking, *cluster, *unit;
    int64_t cost;
    bool has_usage;
    double usage;
} row;

static const char *simple_cols[] = {"account_uuid", "subscription_uuid", "environment_id", "environment_name",
                                    "capability_key", "capability_name", "day", "cost", "currency",
                                    "usage", "unit", "booking_date", "cluster_id"};
#define NSIMPLE (sizeof(simple_cols) / sizeof(simple_cols[0]))

static void write_simple(ex *x, const sub *s, const row *r)
{
    char cost[32], usage[40];
    decimal(cost, sizeof(cost), r->cost);
    snprintf(usage, sizeof(usage), "%.15g", r->usage);
    const char *v[NSIMPLE] = {s->account, r->sub, r->env, r->env_name, r->cap, r->cap_name, r->day, cost,
                              r->currency, r->has_usage ? usage : NULL, r->has_usage ? r->unit : NULL,
                              r->booking, r->cluster};
    if (x->o->format == DTC_EXPORT_CSV) {
        for (size_t i = 0; i < NSIMPLE; i++)
            csv(x, v[i], i + 1 == NSIMPLE);
    } else {
        dtc_jw w;
        dtc_jw_init(&w, &x->line);
        dtc_jw_obj(&w);
        for (size_t i = 0; i < NSIMPLE; i++) {
            dtc_jw_key(&w, simple_cols[i]);
            if (i == 7 && v[i])
                dtc_jw_fixed(&w, r->cost, 6);
            else if (i == 9 && v[i])
                dtc_jw_raw(&w, usage);
            else
                dtc_jw_str(&w, v[i]);
        }
        dtc_jw_obj_end(&w);
        if (w.err || dtc_buf_addc(&x->line, '\n'))
            x->err = DTC_ENOMEM;
    }
    x->st->effective_micro += r->cost;
    x->st->rows++;
    flush(x);
}

static const char *focus_cols[] = {
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart",
    "BillingPeriodEnd", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodStart",
    "ChargePeriodEnd", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
    /* conditional columns that apply to Dynatrace data */
    "ConsumedQuantity", "ConsumedUnit", "ContractedUnitPrice", "ListUnitPrice", "ServiceSubcategory", "SkuId",
    "SubAccountId", "SubAccountName", "SubAccountType",
    /* FOCUS 1.3 only (see focus_minor) */
    "ServiceProviderName", "HostProviderName",
    /* ours */
    "x_CapabilityKey", "x_SubscriptionUuid", "x_ClusterId", "x_BookingDate", "x_LastModifiedTime",
};
#define NFOCUS (sizeof(focus_cols) / sizeof(focus_cols[0]))
#define FOCUS_13_FIRST 30 /* index of ServiceProviderName */

static bool security(const char *cap)
{
    return strstr(cap, "SECURITY") || strstr(cap, "VULNERABILITY") || strstr(cap, "APPLICATION_PROTECTION");
}

static void month_bounds(int64_t day, char *start, char *end)
{
    int y, m, d;
    dtc_civil_from_days(day, &y, &m, &d);
    dtc_fmt_datetime(start, dtc_days_from_civil(y, m, 1) * 86400);
    dtc_fmt_datetime(end, dtc_days_add_months(dtc_days_from_civil(y, m, 1), 1) * 86400);
}

/* One FOCUS row: cost is the row's amount (a correction's difference),
 * charge_day the consumption day, billing_day the day whose month bills it. */
static void write_focus(ex *x, sub *s, const row *r, int64_t cost, int64_t charge_day, int64_t billing_day,
                        bool correction)
{
    char billed[32], eff[32], list[32], contracted[32], qty[40], bps[24], bpe[24], cps[24], cpe[24];
    char desc[512];
    /* Commitment drawdown: only what goes beyond the period's commitment is billed. */
    int64_t billed_micro = 0;
    if (charge_day >= s->period_start && charge_day <= s->period_end && s->budget > 0) {
        int64_t before = s->cum, after = s->cum + cost;
        int64_t over_before = before > s->budget ? before - s->budget : 0;
        int64_t over_after = after > s->budget ? after - s->budget : 0;
        billed_micro = over_after - over_before;
        s->cum = after;
    }
    decimal(billed, sizeof(billed), billed_micro);
    decimal(eff, sizeof(eff), cost);
    const rate *rt = r->has_usage ? find_rate(x, s, r->cap, charge_day) : NULL;
    bool priced = rt && rt->price[0] && rt->quoted[0] && !correction;
    if (priced) {
        decimal(list, sizeof(list), times(rt->quoted, r->usage));
        decimal(contracted, sizeof(contracted), times(rt->price, r->usage));
    } else {
        snprintf(list, sizeof(list), "%s", eff);
        snprintf(contracted, sizeof(contracted), "%s", eff);
    }
    snprintf(qty, sizeof(qty), "%.15g", r->usage);
    bool usage_cols = r->has_usage && !correction;
    month_bounds(billing_day, bps, bpe);
    dtc_fmt_datetime(cps, charge_day * 86400);
    dtc_fmt_datetime(cpe, (charge_day + 1) * 86400);
    const char *env = r->env_name ? r->env_name : r->env;
    if (correction)
        snprintf(desc, sizeof(desc), "Correction of %s in environment %s for %s: booked late, after the month "
                                     "closed.", r->cap_name ? r->cap_name : r->cap, env, r->day);
    else
        snprintf(desc, sizeof(desc), "%s in environment %s on %s, %s.", r->cap_name ? r->cap_name : r->cap, env,
                 r->day,
                 billed_micro == 0 ? "drawn down from the annual commitment"
                 : billed_micro == cost ? "on-demand overage beyond the annual commitment"
                                        : "partly beyond the annual commitment (on-demand overage)");
    const char *v[NFOCUS] = {
        billed, s->account, NULL, s->currency, bps, bpe, "Usage", correction ? "Correction" : NULL, desc, cps,
        cpe, contracted, eff, x->o->invoice_issuer ? x->o->invoice_issuer : "Dynatrace", list,
        usage_cols ? qty : NULL, usage_cols ? (rt && rt->unit[0] ? rt->unit : r->unit) : NULL, "Dynatrace",
        "Dynatrace", security(r->cap) ? "Security" : "Management and Governance", r->cap_name ? r->cap_name : r->cap,
        usage_cols ? qty : NULL, usage_cols ? r->unit : NULL, priced ? rt->price : NULL, priced ? rt->quoted : NULL,
        security(r->cap) ? (strstr(r->cap, "POSTURE") ? "Security Posture Management" : "Other (Security)")
                         : "Observability",
        r->cap, r->env, r->env_name, "Environment", "Dynatrace", "Dynatrace", r->cap, r->sub, r->cluster,
        r->booking, x->modified[0] ? x->modified : NULL,
    };
    for (size_t i = 0; i < NFOCUS; i++) {
        if (x->o->focus_minor < 3 && (i == FOCUS_13_FIRST || i == FOCUS_13_FIRST + 1))
            continue;
        csv(x, v[i], i + 1 == NFOCUS);
    }
    x->st->rows++;
    x->st->effective_micro += cost;
    x->st->billed_micro += billed_micro;
    if (correction)
        x->st->corrections++;
    flush(x);
}

static int revcmp(const void *a, const void *b)
{
    const revision *p = a, *q = b;
    int c = strcmp(p->key, q->key);
    return c ? c : (p->seen_day > q->seen_day) - (p->seen_day < q->seen_day);
}

static int on_row(void *ud, const dtc_row *dr)
{
    ex *x = ud;
    row r = {0};
    int rc;
    if ((rc = dtc_row_text(dr, 0, &r.sub)) || (rc = dtc_row_text(dr, 1, &r.env)) ||
        (rc = dtc_row_text_or(dr, 2, NULL, &r.env_name)) || (rc = dtc_row_text(dr, 3, &r.cap)) ||
        (rc = dtc_row_text_or(dr, 4, NULL, &r.cap_name)) || (rc = dtc_row_text(dr, 5, &r.day)) ||
        (rc = dtc_row_int(dr, 6, &r.cost)) || (rc = dtc_row_text_or(dr, 7, NULL, &r.currency)) ||
        (rc = dtc_row_text_or(dr, 8, NULL, &r.booking)) || (rc = dtc_row_text_or(dr, 9, NULL, &r.cluster)) ||
        (rc = dtc_row_real_or(dr, 10, 0, &r.usage)) || (rc = dtc_row_text_or(dr, 11, NULL, &r.unit)))
        return rc;
    r.has_usage = !dtc_row_is_null(dr, 10);
    sub *s = find_sub(x, r.sub ? r.sub : "");
    if (!s || !r.env || !r.cap || !r.day)
        return 0;
    int64_t day = day_of(r.day);
    bool in_range = (x->o->from < 0 || day >= x->o->from) && (x->o->to < 0 || day <= x->o->to);
    if (x->o->format != DTC_EXPORT_FOCUS) {
        if (in_range)
            write_simple(x, s, &r);
        return x->err;
    }
    /* Late bookings seen after the month closed: the row as it was at the
     * close, then one Correction per change, billed in the month it was seen. */
    char key[512];
    snprintf(key, sizeof(key), "%s|%s|%s|%s", r.sub, r.env, r.cap, r.day);
    revision probe = {.key = key, .seen_day = INT64_MIN};
    size_t lo = 0, hi = x->nrevs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (revcmp(&x->revs[mid], &probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t base = r.cost;
    if (lo < x->nrevs && strcmp(x->revs[lo].key, key) == 0)
        base = x->revs[lo].old;
    if (in_range)
        write_focus(x, s, &r, base, day, day, false);
    else if (day >= s->period_start && day <= s->period_end)
        s->cum += base; /* still counts toward the commitment */
    for (size_t i = lo; i < x->nrevs && strcmp(x->revs[i].key, key) == 0 && !x->err; i++) {
        int64_t diff = x->revs[i].now - x->revs[i].old;
        if (in_range && diff)
            write_focus(x, s, &r, diff, day, x->revs[i].seen_day, true);
    }
    return x->err;
}

int dtc_export_write(dtc_store *db, const dtc_export_opts *o, FILE *out, dtc_export_stats *st)
{
    ex x = {.o = o, .out = out, .st = st};
    memset(st, 0, sizeof(*st));
    dtc_buf_init(&x.line, DTC_CAP_SMALL);
    int rc;
    if ((rc = dtc_store_query(db, "SELECT uuid, account_uuid, currency, budget_total_micro, period_start,"
                                  " period_end, budget_used_micro FROM subscription ORDER BY uuid", NULL, 0,
                              on_sub, &x)) ||
        (rc = dtc_store_query(db, "SELECT e.subscription_uuid, SUM(e.cost_micro) FROM env_cost_day e"
                                  " JOIN subscription s ON s.uuid = e.subscription_uuid"
                                  " WHERE e.day BETWEEN s.period_start AND s.period_end"
                                  " GROUP BY e.subscription_uuid", NULL, 0, on_synced, &x)) ||
        (rc = dtc_store_query(db, "SELECT account_uuid, capability_key, currency, unit, price, quoted_price,"
                                  " start_time, end_time FROM rate_card", NULL, 0, on_rate, &x)) ||
        (rc = dtc_store_query(db, "SELECT MAX(finished_at) FROM sync_run WHERE status = 'ok'", NULL, 0,
                              on_modified, &x)))
        goto done;
    if (o->format == DTC_EXPORT_FOCUS) {
        if ((rc = dtc_store_query(db, "SELECT key, old_value, new_value, seen_at FROM revision"
                                      " WHERE fact = 'env_cost_day' ORDER BY id", NULL, 0, on_rev, &x)))
            goto done;
        if (x.nrevs > 1)
            qsort(x.revs, x.nrevs, sizeof(revision), revcmp);
        for (size_t i = 0; i < NFOCUS; i++)
            if (o->focus_minor >= 3 || (i != FOCUS_13_FIRST && i != FOCUS_13_FIRST + 1))
                csv(&x, focus_cols[i], i + 1 == NFOCUS);
    } else if (o->format == DTC_EXPORT_CSV) {
        for (size_t i = 0; i < NSIMPLE; i++)
            csv(&x, simple_cols[i], i + 1 == NSIMPLE);
    }
    flush(&x);
    /* Ordered by day within each subscription, so the commitment drawdown
     * accumulates in time order. */
    rc = dtc_store_query(db,
        "SELECT e.subscription_uuid, e.environment_id, en.name, e.capability_key, e.capability_name, e.day,"
        " e.cost_micro, e.currency, e.booking_date, e.cluster_id, u.value, u.unit"
        " FROM env_cost_day e JOIN subscription s ON s.uuid = e.subscription_uuid"
        " LEFT JOIN environment en ON en.account_uuid = s.account_uuid AND en.environment_id = e.environment_id"
        " LEFT JOIN env_usage_day u ON u.subscription_uuid = e.subscription_uuid"
        "   AND u.environment_id = e.environment_id AND u.capability_key = e.capability_key AND u.day = e.day"
        " ORDER BY e.subscription_uuid, e.day, e.environment_id, e.capability_key", NULL, 0, on_row, &x);
    if (rc == 0 && x.err)
        rc = x.err;
    if (rc == 0 && fflush(out) != 0)
        rc = DTC_EIO;
done:
    for (size_t i = 0; i < x.nrevs; i++)
        dtc_free(x.revs[i].key);
    dtc_free(x.revs);
    dtc_free(x.rates);
    dtc_free(x.subs);
    dtc_buf_dispose(&x.line);
    return rc == DTC_EIO || x.err == DTC_EIO ? DTC_EIO : rc;
}
