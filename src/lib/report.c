/* report.c: budget burn and projection, spend with movers, and anomalies,
 * computed from the database with read-only queries. Money stays in integer
 * micro-units; only the statistics (spread, z-scores) use doubles. */
#include "dtcost/report.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "timeutil.h"

static int64_t day_of(const char *s)
{
    int64_t d;
    if (dtc_parse_date(s, &d) == 0) return d;
    if (dtc_parse_datetime(s, &d) == 0) return d / 86400;
    return -1;
}

/* The as-of view's SQL, in one block so it can move behind the store's named
 * queries as it is: the period of a subscription holding a day (end_time is
 * exclusive), and the cost booked in a range of days. */
#define SQL_PERIOD_OF_DAY                                                                          \
    "SELECT start_time, end_time FROM subscription_period WHERE subscription_uuid = ?"             \
    " AND substr(start_time, 1, 10) <= ? AND (end_time IS NULL OR substr(end_time, 1, 10) > ?)"    \
    " ORDER BY start_time DESC LIMIT 1"
#define SQL_COST_BETWEEN                                                                           \
    "SELECT SUM(cost_micro) FROM cost_day WHERE subscription_uuid = ? AND day BETWEEN ? AND ?"
/* The latest forecast created before the second parameter (the day after the
 * report's today when as of a past day, else no bound). */
#define SQL_FORECAST                                                                               \
    "SELECT f.median_micro, f.lower_micro, f.upper_micro, f.budget_date"                           \
    " FROM forecast f JOIN subscription s ON s.account_uuid = f.account_uuid"                      \
    " WHERE s.uuid = ? AND f.budget_micro = s.budget_total_micro AND f.created_at < ?"             \
    " ORDER BY f.created_at DESC LIMIT 1"

/* Cost allocation per field, key and currency; parameters: the first day of
 * the current window twice, then [from, to] the two windows. */
#define SQL_ALLOCATIONS                                                                            \
    "SELECT a.field, a.alloc_key, s.currency, SUM(CASE WHEN a.day >= ? THEN a.cost_micro ELSE 0 "  \
    "END),"                                                                                        \
    " SUM(CASE WHEN a.day < ? THEN a.cost_micro ELSE 0 END)"                                       \
    " FROM cost_allocation a JOIN subscription s ON s.uuid = a.subscription_uuid"                  \
    " WHERE a.day BETWEEN ? AND ? GROUP BY a.field, a.alloc_key, s.currency"                       \
    " ORDER BY a.field, s.currency, 4 DESC, a.alloc_key"
/* Usage per subscription and capability over the same windows. */
#define SQL_USAGE                                                                                  \
    "SELECT subscription_uuid, capability_key, MAX(capability_name), MAX(unit),"                   \
    " SUM(CASE WHEN day >= ? THEN value ELSE 0 END), SUM(CASE WHEN day < ? THEN value ELSE 0 END)" \
    " FROM usage_day WHERE day BETWEEN ? AND ? GROUP BY subscription_uuid, capability_key"         \
    " ORDER BY subscription_uuid, 3, capability_key"
#define SQL_LAST_SYNC "SELECT MAX(finished_at) FROM sync_run WHERE status = 'ok'"

typedef struct ctx {
    dtc_report *r;
    const dtc_report_opts *o;
    size_t cap;
    int64_t max_day;
    bool as_of; /* the report's today is before the last day synced */
    /* burn */
    int64_t days[64], costs[64];
    int n;
    /* anomalies: the current series */
    char key[3][64], currency[8], capname[256];
    int64_t first; /* day of vals[0] */
    int64_t *vals; /* cost per day, -1 when absent */
    size_t nvals, valcap;
} ctx;

static int on_max_day(void *ud, const dtc_row *row)
{
    ctx *x = ud;
    const char *day;
    int rc = dtc_row_text_or(row, &day, 0, NULL);
    x->max_day = day ? day_of(day) : -1;
    return rc;
}

static int on_budget(void *ud, const dtc_row *row)
{
    ctx *x = ud;
    const char *sub, *name, *status, *currency, *start, *end, *account;
    int64_t remaining, total, used;
    int rc;
    if ((rc = dtc_row_text(row, &sub, 0)) || (rc = dtc_row_text_or(row, &name, 1, "")) ||
        (rc = dtc_row_text_or(row, &status, 2, "")) ||
        (rc = dtc_row_text_or(row, &currency, 3, "")) ||
        (rc = dtc_row_text_or(row, &start, 4, "")) || (rc = dtc_row_text_or(row, &end, 5, "")) ||
        (rc = dtc_row_int_or(row, &remaining, 6, 0)) || (rc = dtc_row_int_or(row, &total, 7, 0)) ||
        (rc = dtc_row_int_or(row, &used, 8, 0)) || (rc = dtc_row_text_or(row, &account, 9, "")))
        return rc;
    dtc_budget *g = dtc_grow(x->r->budgets, &x->cap, x->r->nbudgets, sizeof(dtc_budget));
    if (!g) return DTC_ENOMEM;
    x->r->budgets = g;
    dtc_budget *b = &g[x->r->nbudgets++];
    memset(b, 0, sizeof(*b));
    snprintf(b->subscription, sizeof(b->subscription), "%s", sub);
    snprintf(b->name, sizeof(b->name), "%s", name);
    snprintf(b->status, sizeof(b->status), "%s", status);
    snprintf(b->currency, sizeof(b->currency), "%s", currency);
    snprintf(b->account, sizeof(b->account), "%s", account);
    b->period_start = day_of(start);
    b->period_end = day_of(end);
    b->days_remaining = remaining;
    b->total = total;
    b->used = used;
    b->forecast_median = -1;
    return 0;
}

static int on_cost(void *ud, const dtc_row *row)
{
    ctx *x = ud;
    const char *day;
    int64_t cost;
    int rc;
    if ((rc = dtc_row_text(row, &day, 0)) || (rc = dtc_row_int(row, &cost, 1))) return rc;
    if (x->n >= 64) return 0;
    x->days[x->n] = day_of(day);
    x->costs[x->n] = cost;
    x->n++;
    return 0;
}

static int on_forecast(void *ud, const dtc_row *row)
{
    dtc_budget *b = ud;
    const char *date;
    int rc;
    if ((rc = dtc_row_int_or(row, &b->forecast_median, 0, 0)) ||
        (rc = dtc_row_int_or(row, &b->forecast_lower, 1, 0)) ||
        (rc = dtc_row_int_or(row, &b->forecast_upper, 2, 0)) ||
        (rc = dtc_row_text_or(row, &date, 3, "")))
        return rc;
    snprintf(b->forecast_budget_date, sizeof(b->forecast_budget_date), "%s", date);
    return 0;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return b > 0 ? (a + b - 1) / b : -1;
}

static int on_daily(void *ud, const dtc_row *row)
{
    dtc_budget *b = ud;
    const char *day;
    int64_t cost;
    int rc;
    if ((rc = dtc_row_text(row, &day, 0)) || (rc = dtc_row_int(row, &cost, 1))) return rc;
    int64_t d = day_of(day);
    if (d >= b->daily_first && d < b->daily_first + (int64_t)b->ndaily)
        b->daily[d - b->daily_first] = cost;
    return 0;
}

int64_t dtc_report_sum_days(const dtc_budget *b, int64_t from, int64_t to)
{
    int64_t t = 0;
    for (int64_t d = from < b->daily_first ? b->daily_first : from; d <= to; d++)
        if (d < b->daily_first + (int64_t)b->ndaily && b->daily[d - b->daily_first] > 0)
            t += b->daily[d - b->daily_first];
    return t;
}

int64_t dtc_report_pct_elapsed(const dtc_budget *b, int64_t today)
{
    int64_t span = b->period_end - b->period_start + 1, gone = today - b->period_start + 1;
    if (span <= 0 || gone <= 0) return 0;
    return gone >= span ? 10000 : (int64_t)llround(10000.0 * (double)gone / (double)span);
}

double dtc_report_pct(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

bool dtc_report_change_pct(double *out, double current, double previous)
{
    if (previous <= 0) return false;
    *out = 100.0 * (current - previous) / previous;
    return true;
}

/* The figures the writers show beside a budget's own: what is left, how
 * much is used against how much of the period is gone. */
static void budget_figures(dtc_budget *b, int64_t today)
{
    b->remaining = b->total - b->used;
    b->used_pct = dtc_report_pct(b->used, b->total);
    b->used_pct_centi =
        b->total > 0 ? (int64_t)llround(10000.0 * (double)b->used / (double)b->total) : 0;
    b->elapsed_pct_centi = dtc_report_pct_elapsed(b, today);
    b->ahead_of_pace = b->used_pct > (double)b->elapsed_pct_centi / 100.0 + 0.5;
    int64_t last = b->last_day < today ? b->last_day : today;
    int64_t left = b->period_end > last ? b->period_end - last : 0;
    int64_t low = b->burn30 - 2 * b->burn_se;
    b->spent = last >= b->period_start ? dtc_report_sum_days(b, b->period_start, last) : 0;
    b->projected = b->spent + b->burn30 * left;
    b->projected_high = b->spent + (b->burn30 + 2 * b->burn_se) * left;
    b->projected_low = b->spent + (low > 0 ? low : 0) * left;
}

int64_t dtc_report_bucket_start(int64_t day, char grain)
{
    if (grain == 'w') return day - dtc_weekday(day);
    if (grain == 'm') {
        int y, m, d;
        dtc_civil_from_days(day, &y, &m, &d);
        return dtc_days_from_civil(y, m, 1);
    }
    return day;
}

size_t dtc_report_buckets(int64_t *starts, int64_t *costs, const dtc_budget *b, int64_t today,
                          char grain, size_t n)
{
    size_t k = 0;
    for (int64_t end = today; k < n && end >= b->daily_first; k++) { /* from today's bucket back */
        starts[k] = dtc_report_bucket_start(end, grain);
        costs[k] = dtc_report_sum_days(b, starts[k], end);
        end = starts[k] - 1;
    }
    for (size_t i = 0; i < k / 2; i++) { /* oldest first */
        int64_t t = starts[i];
        starts[i] = starts[k - 1 - i];
        starts[k - 1 - i] = t;
        t = costs[i];
        costs[i] = costs[k - 1 - i];
        costs[k - 1 - i] = t;
    }
    return k;
}

/* The daily cost of the last DTC_REPORT_HISTORY_DAYS days, and this week and
 * month against the same days of the week and month before. */
static int history(dtc_store *s, ctx *x, dtc_budget *b)
{
    b->ndaily = DTC_REPORT_HISTORY_DAYS;
    b->daily_first = x->r->today - DTC_REPORT_HISTORY_DAYS + 1;
    b->daily = dtc_malloc(b->ndaily * sizeof(int64_t));
    if (!b->daily) return DTC_ENOMEM;
    for (size_t i = 0; i < b->ndaily; i++)
        b->daily[i] = -1;
    char f[16], t[16];
    dtc_fmt_date(f, b->daily_first);
    dtc_fmt_date(t, x->r->today);
    dtc_val p[] = {DTC_TEXT(b->subscription), DTC_TEXT(f), DTC_TEXT(t)};
    int rc = dtc_store_query(s,
                             "SELECT day, cost_micro FROM cost_day WHERE subscription_uuid = ?"
                             " AND day BETWEEN ? AND ?",
                             p, 3, on_daily, b);
    if (rc) return rc;
    int64_t today = x->r->today, monday = dtc_report_bucket_start(today, 'w');
    b->week_cur = dtc_report_sum_days(b, monday, today);
    b->week_prev = dtc_report_sum_days(b, monday - 7, today - 7);
    int64_t first = dtc_report_bucket_start(today, 'm'),
            prev_first = dtc_report_bucket_start(first - 1, 'm');
    int64_t prev_last = prev_first + (today - first);
    if (prev_last >= first) prev_last = first - 1; /* 31 March against the whole of February */
    b->month_cur = dtc_report_sum_days(b, first, today);
    b->month_prev = dtc_report_sum_days(b, prev_first, prev_last);
    return 0;
}

static int on_period(void *ud, const dtc_row *row)
{
    int64_t *se = ud;
    const char *start, *end;
    int rc;
    if ((rc = dtc_row_text(row, &start, 0)) || (rc = dtc_row_text_or(row, &end, 1, NULL)))
        return rc;
    se[0] = day_of(start);
    se[1] = end ? day_of(end) - 1 : INT64_MAX / 4; /* open: no end yet */
    return 0;
}
static int on_sum(void *ud, const dtc_row *row)
{
    return dtc_row_int_or(row, ud, 0, 0); /* SUM of no rows: NULL */
}
/* The budget as it stood on the report's today, from the stored history:
 * the period holding that day, the cost booked in it up to that day, the
 * days left. A day before any stored period: not started. */
static int as_of(dtc_store *s, ctx *x, dtc_budget *b)
{
    int64_t day = x->r->today, se[2] = {-1, -1};
    char d[16], f[16];
    dtc_fmt_date(d, day);
    b->as_of = true;
    int rc = 0;
    if (day < b->period_start) {
        dtc_val p[] = {DTC_TEXT(b->subscription), DTC_TEXT(d), DTC_TEXT(d)};
        if ((rc = dtc_store_query(s, SQL_PERIOD_OF_DAY, p, 3, on_period, se)) != 0) return rc;
        if (se[0] < 0) {
            snprintf(b->status, sizeof(b->status), "NOT STARTED");
            b->used = 0;
            b->days_remaining = b->period_end - b->period_start + 1;
            return 0;
        }
        b->period_start = se[0];
        b->period_end = se[1];
        b->asof_gaps |= DTC_ASOF_OLD_PERIOD;
    }
    if (day <= b->period_end && strcmp(b->status, "EXPIRED") == 0)
        snprintf(b->status, sizeof(b->status), "ACTIVE");
    b->days_remaining = day < b->period_end ? b->period_end - day : 0;
    dtc_fmt_date(f, b->period_start);
    dtc_val p[] = {DTC_TEXT(b->subscription), DTC_TEXT(f), DTC_TEXT(d)};
    b->used = 0;
    return dtc_store_query(s, SQL_COST_BETWEEN, p, 3, on_sum, &b->used);
}

/* Burn over the last 7 and 30 days with cost, and the projection. */
static int budgets(dtc_store *s, ctx *x)
{
    int rc = dtc_store_query(
        s,
        "SELECT s.uuid, s.name, s.status, s.currency, s.period_start, s.period_end,"
        " s.days_remaining, s.budget_total_micro, s.budget_used_micro, s.account_uuid"
        " FROM subscription s ORDER BY s.status, s.name, s.uuid",
        NULL, 0, on_budget, x);
    for (size_t i = 0; rc == 0 && i < x->r->nbudgets; i++) {
        dtc_budget *b = &x->r->budgets[i];
        char today[16];
        dtc_fmt_date(today, x->r->today);
        dtc_val p[] = {DTC_TEXT(b->subscription), DTC_TEXT(today)};
        x->n = 0;
        if (x->as_of && (rc = as_of(s, x, b)) != 0) break;
        rc = dtc_store_query(
            s,
            "SELECT day, cost_micro FROM cost_day WHERE subscription_uuid = ? AND day <= ?"
            " ORDER BY day DESC LIMIT 30",
            p, 2, on_cost, x);
        if (rc) break;
        /* The forecast is per account: it belongs to the subscription whose
         * commitment it was computed against. */
        char before[16] = "9999-12-31";
        if (x->as_of) dtc_fmt_date(before, x->r->today + 1);
        dtc_val pf[] = {DTC_TEXT(b->subscription), DTC_TEXT(before)};
        rc = dtc_store_query(s, SQL_FORECAST, pf, 2, on_forecast, b);
        if (rc) break;
        if (x->as_of && b->forecast_median < 0) b->asof_gaps |= DTC_ASOF_NO_FORECAST;
        if ((rc = history(s, x, b)) != 0) break;
        b->last_day = x->n ? x->days[0] : -1;
        int64_t sum7 = 0, sum30 = 0;
        for (int k = 0; k < x->n; k++) {
            sum30 += x->costs[k];
            if (k < 7) sum7 += x->costs[k];
        }
        b->burn7 = x->n ? sum7 / (x->n < 7 ? x->n : 7) : 0;
        b->burn30 = x->n ? sum30 / x->n : 0;
        b->runs_out = b->runs_out_early = b->runs_out_late = -1;
        if (x->n == 0 || b->last_day < 0) continue;
        double var = 0;
        for (int k = 0; k < x->n; k++)
            var += ((double)x->costs[k] - (double)b->burn30) *
                   ((double)x->costs[k] - (double)b->burn30);
        double se = x->n > 1 ? sqrt(var / (x->n - 1)) / sqrt((double)x->n) : 0;
        b->burn_se = (int64_t)llround(se);
        int64_t remaining = b->total - b->used;
        int64_t hi = b->burn30 + (int64_t)llround(2 * se),
                lo = b->burn30 - (int64_t)llround(2 * se);
        if (remaining <= 0) {
            b->runs_out = b->runs_out_early = b->runs_out_late = b->last_day;
        } else if (b->burn30 > 0) {
            int64_t d = b->last_day + ceil_div(remaining, b->burn30);
            b->runs_out = d <= b->period_end ? d : -1;
            d = b->last_day + ceil_div(remaining, hi);
            b->runs_out_early = d <= b->period_end ? d : -1;
            d = lo > 0 ? b->last_day + ceil_div(remaining, lo) : b->period_end + 1;
            b->runs_out_late = d <= b->period_end ? d : -1;
        }
        int64_t left = b->period_end - b->last_day;
        int64_t projected = b->used + (left > 0 ? b->burn30 * left : 0);
        b->expected_overage = projected > b->total && b->total > 0 ? projected - b->total : 0;
    }
    return rc;
}

static int by_move(const void *a, const void *b)
{
    const dtc_spend *p = a, *q = b;
    int c = strcmp(p->currency, q->currency);
    if (c) return c;
    int64_t dp = llabs(p->current - p->previous), dq = llabs(q->current - q->previous);
    if (dp != dq) return dp < dq ? 1 : -1;
    return strcmp(p->key, q->key);
}

void dtc_report_rank_movers(dtc_spend *rows, size_t n)
{
    if (n > 1) qsort(rows, n, sizeof(dtc_spend), by_move);
}

static int by_current(const void *a, const void *b)
{
    const dtc_spend *p = *(const dtc_spend *const *)a, *q = *(const dtc_spend *const *)b;
    if (p->current != q->current) return p->current < q->current ? 1 : -1;
    return strcmp(p->key, q->key);
}

int dtc_report_top(const dtc_spend ***out, size_t *nout, const dtc_spend *rows, size_t n,
                   const char *currency, size_t max)
{
    *out = NULL;
    *nout = 0;
    const dtc_spend **v = dtc_malloc((n ? n : 1) * sizeof(*v));
    if (!v) return DTC_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].currency, currency) == 0 && rows[i].current > 0) v[k++] = &rows[i];
    if (k > 1) qsort(v, k, sizeof(*v), by_current);
    *out = v;
    *nout = k < max ? k : max;
    return 0;
}

typedef struct key_total {
    const char *key;
    int64_t total;
} key_total;

static int by_total(const void *a, const void *b)
{
    const key_total *p = a, *q = b;
    if (p->total != q->total) return p->total < q->total ? 1 : -1;
    return strcmp(p->key, q->key);
}

int dtc_report_rank_capabilities(const char **keys, size_t *nout, const dtc_report *r, size_t max)
{
    *nout = 0;
    key_total *kt = dtc_malloc((r->ncap ? r->ncap : 1) * sizeof(*kt));
    if (!kt) return DTC_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < r->ncap; i++) { /* a key once per currency: add them up */
        size_t k = 0;
        while (k < n && strcmp(kt[k].key, r->by_capability[i].key) != 0)
            k++;
        if (k == n) kt[n++] = (key_total){r->by_capability[i].key, 0};
        kt[k].total += r->by_capability[i].current;
    }
    if (n > 1) qsort(kt, n, sizeof(kt[0]), by_total);
    for (size_t i = 0; i < n && *nout < max && kt[i].total > 0; i++)
        keys[(*nout)++] = kt[i].key;
    dtc_free(kt);
    return 0;
}

int dtc_report_charge_sums(dtc_charge_sum **out, size_t *nout, const dtc_charge *rows, size_t n)
{
    *out = NULL;
    *nout = 0;
    if (n == 0) return 0;
    dtc_charge_sum *g = dtc_malloc(n * sizeof(*g)); /* at most one group a row */
    if (!g) return DTC_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        dtc_charge_sum *c = &g[k++];
        memset(c, 0, sizeof(*c));
        snprintf(c->currency, sizeof(c->currency), "%s", rows[i].currency);
        c->first = i;
        for (; i < n && strcmp(rows[i].currency, rows[c->first].currency) == 0; i++)
            c->total += rows[i].total;
        c->n = i - c->first;
    }
    *out = g;
    *nout = k;
    return 0;
}

static int64_t lic_weight(const dtc_lic_day *d)
{
    return d->money ? d->money : d->fullstack_mhu + d->infra_mhu + d->paas_mhu;
}

/* Stable: equal weights keep the summary's (cluster, environment) order. */
static int by_lic_weight(const void *a, const void *b)
{
    const dtc_lic_day *p = *(const dtc_lic_day *const *)a, *q = *(const dtc_lic_day *const *)b;
    int64_t x = lic_weight(p), y = lic_weight(q);
    if (x != y) return (x < y) - (x > y);
    return (p > q) - (p < q);
}

int dtc_report_lic_ranked(const dtc_lic_day ***out, const dtc_lic_summary *x)
{
    *out = NULL;
    const dtc_lic_day **rows = dtc_malloc((x->nenvs ? x->nenvs : 1) * sizeof(*rows));
    if (!rows) return DTC_ENOMEM;
    for (size_t i = 0; i < x->nenvs; i++)
        rows[i] = &x->envs[i];
    if (x->nenvs > 1) qsort(rows, x->nenvs, sizeof(*rows), by_lic_weight);
    *out = rows;
    return 0;
}

size_t dtc_report_lic_buckets(dtc_lic_day *out, const dtc_lic_summary *x, char grain, size_t n)
{
    if (n == 0 || x->ndays == 0) return 0;
    /* Buckets from the window's last one backwards; days are in any order. */
    size_t k = 0;
    for (int64_t end = x->to; k < n && end >= x->from; k++) {
        int64_t start = dtc_report_bucket_start(end, grain);
        dtc_lic_day *b = &out[k];
        memset(b, 0, sizeof(*b));
        b->day = start < x->from ? x->from : start;
        for (size_t i = 0; i < x->ndays; i++) {
            const dtc_lic_day *d = &x->days[i];
            if (d->day >= start && d->day <= end) dtc_lic_day_add(b, d);
        }
        end = start - 1;
    }
    for (size_t i = 0; i < k / 2; i++) { /* oldest first */
        dtc_lic_day t = out[i];
        out[i] = out[k - 1 - i];
        out[k - 1 - i] = t;
    }
    return k;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t p = *(const int64_t *)a, q = *(const int64_t *)b;
    return (p > q) - (p < q);
}

static double median(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof(int64_t), cmp_i64);
    return n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2.0;
}

/* Weeks of the same weekday that make a day's baseline. */
#define SEASON_WEEKS 6

/* One series (subscription, environment, capability) is complete: score
 * every day from `since` against the same weekday of the weeks before:
 * baseline = their median, scale = 1.4826 x their median absolute deviation
 * (at least 5% of the baseline, so a flat history does not make every wobble
 * an anomaly). Only jumps up are reported: a low day is a partial booking far
 * more often than a saving. */
static int flush_series(ctx *x)
{
    for (size_t i = 0; i < x->nvals; i++) {
        int64_t day = x->first + (int64_t)i;
        if (day < x->o->since || x->vals[i] < 0) continue;
        int64_t hist[SEASON_WEEKS];
        int n = 0;
        for (int w = 1; w <= SEASON_WEEKS; w++)
            if (i >= (size_t)(7 * w) && x->vals[i - (size_t)(7 * w)] >= 0)
                hist[n++] = x->vals[i - (size_t)(7 * w)];
        if (n < 4) continue;
        double base = median(hist, n);
        int64_t dev[SEASON_WEEKS];
        for (int k = 0; k < n; k++)
            dev[k] = llabs(hist[k] - (int64_t)llround(base));
        double scale = 1.4826 * median(dev, n);
        if (scale < 0.05 * base) scale = 0.05 * base;
        if (scale <= 0) continue;
        double z = ((double)x->vals[i] - base) / scale;
        if (z < x->o->threshold) continue;
        dtc_anomaly *g = dtc_grow(x->r->anomalies, &x->cap, x->r->nanomalies, sizeof(dtc_anomaly));
        if (!g) return DTC_ENOMEM;
        x->r->anomalies = g;
        dtc_anomaly *a = &g[x->r->nanomalies++];
        snprintf(a->subscription, sizeof(a->subscription), "%s", x->key[0]);
        snprintf(a->environment, sizeof(a->environment), "%s", x->key[1]);
        snprintf(a->capability, sizeof(a->capability), "%s", x->key[2]);
        snprintf(a->currency, sizeof(a->currency), "%s", x->currency);
        snprintf(a->environment_name, sizeof(a->environment_name), "%s",
                 x->key[1]); /* named after the scan */
        snprintf(a->capability_name, sizeof(a->capability_name), "%s",
                 x->capname[0] ? x->capname : x->key[2]);
        dtc_fmt_date(a->day, day);
        a->cost = x->vals[i];
        a->expected = (int64_t)llround(base);
        a->jump = a->cost - a->expected;
        a->score = z;
    }
    x->nvals = 0;
    return 0;
}

static int by_day(const void *a, const void *b)
{
    const dtc_anomaly *p = a, *q = b;
    int c = strcmp(p->day, q->day);
    if (c) return c;
    return (p->jump < q->jump) - (p->jump > q->jump);
}

/* One env_cost_day row of scan(): key[] subscription, environment, capability. */
static int on_series_row(ctx *x, const char *const key[3], const char *date, int64_t cost,
                         const char *currency, const char *capname)
{
    int rc = 0;
    if (strcmp(x->key[0], key[0]) || strcmp(x->key[1], key[1]) || strcmp(x->key[2], key[2])) {
        if ((rc = flush_series(x)) != 0) return rc;
        snprintf(x->key[0], sizeof(x->key[0]), "%s", key[0]);
        snprintf(x->key[1], sizeof(x->key[1]), "%s", key[1]);
        snprintf(x->key[2], sizeof(x->key[2]), "%s", key[2]);
        snprintf(x->currency, sizeof(x->currency), "%s", currency);
        snprintf(x->capname, sizeof(x->capname), "%s", capname ? capname : "");
        x->first = day_of(date);
    }
    int64_t day = day_of(date);
    if (day < x->first) return 0;
    size_t idx = (size_t)(day - x->first);
    if (idx > 4000) return 0; /* more than ten years in one series: not ours to score */
    while (x->nvals <= idx) {
        int64_t *g = dtc_grow(x->vals, &x->valcap, x->nvals, sizeof(int64_t));
        if (!g) return DTC_ENOMEM;
        x->vals = g;
        x->vals[x->nvals++] = -1;
    }
    x->vals[idx] = cost;
    return 0;
}

/* One pass over env_cost_day from the earliest day any section needs to
 * today, in key order (subscription, environment, capability, day): every
 * row feeds the anomaly series, the spend windows and the chart's days.
 * With statistics SQLite seeks each series to the range. */
typedef struct spend_acc {
    dtc_spend *rows;
    size_t n, cap, last; /* last: the row hit before, tried first */
} spend_acc;

static dtc_spend *spend_row(spend_acc *a, const char *key, const char *currency)
{
    if (a->last < a->n && strcmp(a->rows[a->last].key, key) == 0 &&
        strcmp(a->rows[a->last].currency, currency) == 0)
        return &a->rows[a->last];
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->rows[i].key, key) == 0 && strcmp(a->rows[i].currency, currency) == 0)
            return &a->rows[a->last = i];
    dtc_spend *g = dtc_grow(a->rows, &a->cap, a->n, sizeof(dtc_spend));
    if (!g) return NULL;
    a->rows = g;
    dtc_spend *r = &g[a->last = a->n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->key, sizeof(r->key), "%s", key);
    snprintf(r->name, sizeof(r->name), "%s", key);
    snprintf(r->currency, sizeof(r->currency), "%s", currency);
    return r;
}

/* The chart's days per subscription and capability. */
typedef struct chart_series {
    size_t budget;
    char capability[64];
    int64_t cost[DTC_REPORT_CHART_DAYS];
    bool has[DTC_REPORT_CHART_DAYS];
} chart_series;

typedef struct scan_ctx {
    ctx *x;
    int64_t spend_from, spend_split, chart_from, today;
    spend_acc caps, envs;
    chart_series *charts;
    size_t ncharts, chartcap, lastchart;
} scan_ctx;

static chart_series *chart_of(scan_ctx *k, size_t budget, const char *capability)
{
    if (k->lastchart < k->ncharts && k->charts[k->lastchart].budget == budget &&
        strcmp(k->charts[k->lastchart].capability, capability) == 0)
        return &k->charts[k->lastchart];
    for (size_t i = 0; i < k->ncharts; i++)
        if (k->charts[i].budget == budget && strcmp(k->charts[i].capability, capability) == 0)
            return &k->charts[k->lastchart = i];
    chart_series *g = dtc_grow(k->charts, &k->chartcap, k->ncharts, sizeof(chart_series));
    if (!g) return NULL;
    k->charts = g;
    chart_series *c = &g[k->lastchart = k->ncharts++];
    memset(c, 0, sizeof(*c));
    c->budget = budget;
    snprintf(c->capability, sizeof(c->capability), "%s", capability);
    return c;
}

static int on_scan_row(void *ud, const dtc_row *row)
{
    scan_ctx *k = ud;
    const char *key[3], *date, *currency, *capname;
    int64_t cost;
    int rc;
    if ((rc = dtc_row_text(row, &key[0], 0)) || (rc = dtc_row_text(row, &key[1], 1)) ||
        (rc = dtc_row_text(row, &key[2], 2)) || (rc = dtc_row_text(row, &date, 3)) ||
        (rc = dtc_row_int(row, &cost, 4)) || (rc = dtc_row_text_or(row, &currency, 5, "")) ||
        (rc = dtc_row_text_or(row, &capname, 6, NULL)))
        return rc;
    if ((rc = on_series_row(k->x, key, date, cost, currency, capname)) != 0) return rc;
    int64_t day = day_of(date);
    if (day >= k->spend_from && day <= k->today) {
        dtc_spend *sc = spend_row(&k->caps, key[2], currency);
        dtc_spend *se = spend_row(&k->envs, key[1], currency);
        if (!sc || !se) return DTC_ENOMEM;
        *(day >= k->spend_split ? &sc->current : &sc->previous) += cost;
        *(day >= k->spend_split ? &se->current : &se->previous) += cost;
        if (capname && (strcmp(sc->name, sc->key) == 0 || strcmp(capname, sc->name) > 0))
            snprintf(sc->name, sizeof(sc->name), "%s", capname); /* the greatest name, as MAX() */
    }
    if (day >= k->chart_from && day <= k->today) {
        dtc_report *r = k->x->r;
        size_t bi = 0;
        while (bi < r->nbudgets && strcmp(r->budgets[bi].subscription, key[0]) != 0)
            bi++;
        if (bi < r->nbudgets) {
            chart_series *cs = chart_of(k, bi, key[2]);
            if (!cs) return DTC_ENOMEM;
            cs->cost[day - k->chart_from] += cost;
            cs->has[day - k->chart_from] = true;
        }
    }
    return 0;
}

static int on_env_name(void *ud, const dtc_row *row)
{
    scan_ctx *k = ud;
    spend_acc *a = &k->envs;
    const char *id, *name;
    int rc;
    if ((rc = dtc_row_text(row, &id, 0)) || (rc = dtc_row_text_or(row, &name, 1, "")) || !name[0])
        return rc;
    for (size_t i = 0; i < a->n; i++) /* the first account's name, as the rows come */
        if (strcmp(a->rows[i].key, id) == 0 && strcmp(a->rows[i].name, a->rows[i].key) == 0)
            snprintf(a->rows[i].name, sizeof(a->rows[i].name), "%s", name);
    dtc_report *r = k->x->r;
    for (size_t i = 0; i < r->nanomalies; i++) {
        dtc_anomaly *an = &r->anomalies[i];
        if (strcmp(an->environment, id) == 0 && strcmp(an->environment_name, an->environment) == 0)
            snprintf(an->environment_name, sizeof(an->environment_name), "%s", name);
    }
    return 0;
}

static int by_capday(const void *a, const void *b)
{
    const dtc_capday *p = a, *q = b;
    if (p->budget != q->budget) return p->budget < q->budget ? -1 : 1;
    if (p->day != q->day) return p->day < q->day ? -1 : 1;
    return strcmp(p->capability, q->capability);
}

static int scan(dtc_store *s, ctx *x)
{
    dtc_report *r = x->r;
    int w = r->window;
    scan_ctx k = {.x = x,
                  .spend_from = r->today - 2 * w + 1,
                  .spend_split = r->window_first,
                  .chart_from = r->capdays_first,
                  .today = r->today};
    int64_t from = x->o->since - 7 * SEASON_WEEKS;
    from = k.spend_from < from ? k.spend_from : from;
    from = k.chart_from < from ? k.chart_from : from;
    char f[16], t[16];
    dtc_fmt_date(f, from);
    dtc_fmt_date(t, r->today);
    dtc_val p[] = {DTC_TEXT(f), DTC_TEXT(t)};
    x->cap = 0;
    x->key[0][0] = x->key[1][0] = x->key[2][0] = '\0';
    int rc = dtc_store_query(
        s,
        "SELECT subscription_uuid, environment_id, capability_key, day, cost_micro, currency,"
        " capability_name FROM env_cost_day WHERE day BETWEEN ? AND ?"
        " ORDER BY subscription_uuid, environment_id, capability_key, day",
        p, 2, on_scan_row, &k);
    if (rc == 0) rc = flush_series(x);
    dtc_free(x->vals);
    x->vals = NULL;
    if (rc == 0)
        rc = dtc_store_query(
            s, "SELECT environment_id, name FROM environment ORDER BY environment_id, account_uuid",
            NULL, 0, on_env_name, &k);
    r->by_capability = k.caps.rows;
    r->ncap = k.caps.n;
    r->by_environment = k.envs.rows;
    r->nenv = k.envs.n;
    size_t ndays = 0;
    for (size_t i = 0; i < k.ncharts; i++)
        for (int d = 0; d < DTC_REPORT_CHART_DAYS; d++)
            ndays += k.charts[i].has[d];
    if (rc == 0 && ndays && !(r->capdays = dtc_malloc(ndays * sizeof(dtc_capday)))) rc = DTC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < k.ncharts; i++)
        for (int d = 0; d < DTC_REPORT_CHART_DAYS; d++)
            if (k.charts[i].has[d]) {
                dtc_capday *cd = &r->capdays[r->ncapdays++];
                cd->budget = k.charts[i].budget;
                cd->day = k.chart_from + d;
                cd->cost = k.charts[i].cost[d];
                memcpy(cd->capability, k.charts[i].capability, sizeof(cd->capability));
            }
    dtc_free(k.charts);
    if (rc) return rc;
    if (r->ncapdays > 1) qsort(r->capdays, r->ncapdays, sizeof(dtc_capday), by_capday);
    for (size_t i = 0; i < r->ncap; i++)
        r->by_capability[i].change = r->by_capability[i].current - r->by_capability[i].previous;
    for (size_t i = 0; i < r->nenv; i++)
        r->by_environment[i].change = r->by_environment[i].current - r->by_environment[i].previous;
    dtc_report_rank_movers(r->by_capability, r->ncap);
    dtc_report_rank_movers(r->by_environment, r->nenv);
    if (r->nanomalies > 1) qsort(r->anomalies, r->nanomalies, sizeof(dtc_anomaly), by_day);
    return 0;
}

typedef struct extra_ctx {
    dtc_report *r;
    size_t cap;
} extra_ctx;

static int on_alloc(void *ud, const dtc_row *row)
{
    extra_ctx *e = ud;
    const char *field, *key, *currency;
    int64_t current, previous;
    int rc;
    if ((rc = dtc_row_text(row, &field, 0)) || (rc = dtc_row_text(row, &key, 1)) ||
        (rc = dtc_row_text_or(row, &currency, 2, "")) || (rc = dtc_row_int(row, &current, 3)) ||
        (rc = dtc_row_int(row, &previous, 4)))
        return rc;
    dtc_alloc_spend *g = dtc_grow(e->r->allocations, &e->cap, e->r->nalloc, sizeof(*g));
    if (!g) return DTC_ENOMEM;
    e->r->allocations = g;
    dtc_alloc_spend *a = &g[e->r->nalloc++];
    snprintf(a->field, sizeof(a->field), "%s", field);
    snprintf(a->key, sizeof(a->key), "%s", key);
    snprintf(a->currency, sizeof(a->currency), "%s", currency);
    a->current = current;
    a->previous = previous;
    a->change = current - previous;
    return 0;
}

/* Each allocation row's group (field and currency, adjacent in SQL_ALLOCATIONS'
 * order): its total and the row's share of it. */
static void alloc_shares(dtc_report *r)
{
    for (size_t i = 0; i < r->nalloc;) {
        const dtc_alloc_spend *x = &r->allocations[i];
        size_t j = i;
        int64_t total = 0;
        while (j < r->nalloc && strcmp(r->allocations[j].field, x->field) == 0 &&
               strcmp(r->allocations[j].currency, x->currency) == 0)
            total += r->allocations[j++].current;
        for (; i < j; i++) {
            r->allocations[i].group_total = total;
            r->allocations[i].share = dtc_report_pct(r->allocations[i].current, total);
        }
    }
}
static int on_usage(void *ud, const dtc_row *row)
{
    extra_ctx *e = ud;
    const char *sub, *cap, *name, *unit;
    double current, previous;
    int rc;
    if ((rc = dtc_row_text(row, &sub, 0)) || (rc = dtc_row_text(row, &cap, 1)) ||
        (rc = dtc_row_text_or(row, &name, 2, "")) || (rc = dtc_row_text_or(row, &unit, 3, "")) ||
        (rc = dtc_row_real(row, &current, 4)) || (rc = dtc_row_real(row, &previous, 5)))
        return rc;
    dtc_usage *g = dtc_grow(e->r->usage, &e->cap, e->r->nusage, sizeof(*g));
    if (!g) return DTC_ENOMEM;
    e->r->usage = g;
    dtc_usage *u = &g[e->r->nusage++];
    snprintf(u->subscription, sizeof(u->subscription), "%s", sub);
    snprintf(u->capability, sizeof(u->capability), "%s", cap);
    snprintf(u->name, sizeof(u->name), "%s", name[0] ? name : cap);
    snprintf(u->unit, sizeof(u->unit), "%s", unit);
    u->current = current;
    u->previous = previous;
    return 0;
}
static int on_last_sync(void *ud, const dtc_row *row)
{
    dtc_report *r = ud;
    const char *at;
    int rc = dtc_row_text_or(row, &at, 0, ""); /* MAX() of no runs: NULL */
    snprintf(r->last_sync, sizeof(r->last_sync), "%s", rc ? "" : at);
    return rc;
}
/* Cost centres and products, usage quantities, and the last sync: over the
 * spend window and the one before. */
static int extras(dtc_store *s, dtc_report *r)
{
    char f[16], t[16], split[16];
    dtc_fmt_date(f, r->today - 2 * r->window + 1);
    dtc_fmt_date(t, r->today);
    dtc_fmt_date(split, r->window_first);
    dtc_val p[] = {DTC_TEXT(split), DTC_TEXT(split), DTC_TEXT(f), DTC_TEXT(t)};
    extra_ctx e = {.r = r};
    int rc = dtc_store_query(s, SQL_ALLOCATIONS, p, 4, on_alloc, &e);
    if (rc == 0) {
        alloc_shares(r);
        e.cap = 0;
        rc = dtc_store_query(s, SQL_USAGE, p, 4, on_usage, &e);
    }
    if (rc == 0) rc = dtc_store_query(s, SQL_LAST_SYNC, NULL, 0, on_last_sync, r);
    return rc;
}

int dtc_report_build(dtc_store *s, dtc_report *out, const dtc_report_opts *o)
{
    memset(out, 0, sizeof(*out));
    dtc_report_opts opts = *o;
    if (opts.window <= 0) opts.window = 30;
    if (opts.threshold <= 0) opts.threshold = 6;
    ctx x = {.r = out, .o = &opts};
    int rc = dtc_store_query(s, "SELECT MAX(day) FROM cost_day", NULL, 0, on_max_day, &x);
    if (rc) return rc;
    /* The report's today: the last day with data, never later than asked. */
    out->today = x.max_day >= 0 && x.max_day < opts.today ? x.max_day : opts.today;
    out->window = opts.window;
    out->window_first = out->today - opts.window + 1;
    out->capdays_first = out->today - DTC_REPORT_CHART_DAYS + 1;
    x.as_of = x.max_day >= 0 && out->today < x.max_day;
    if (opts.since < 0) opts.since = out->window_first;
    if ((rc = budgets(s, &x)) == 0 && (rc = scan(s, &x)) == 0) rc = extras(s, out);
    for (size_t i = 0; rc == 0 && i < out->nbudgets; i++)
        budget_figures(&out->budgets[i], out->today);
    if (rc) dtc_report_dispose(out);
    return rc;
}

void dtc_report_dispose(dtc_report *r)
{
    for (size_t i = 0; i < r->nbudgets; i++)
        dtc_free(r->budgets[i].daily);
    dtc_free(r->budgets);
    dtc_free(r->capdays);
    dtc_free(r->by_capability);
    dtc_free(r->by_environment);
    dtc_free(r->anomalies);
    dtc_free(r->allocations);
    dtc_free(r->usage);
    memset(r, 0, sizeof(*r));
}
