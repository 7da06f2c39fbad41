/* metrics.c: Prometheus text format. Each family is written whole (HELP,
 * TYPE, then its samples), label values escaped (backslash, quote, newline),
 * money in currency units with its exact six decimals. */
#include "dtcost/metrics.h"

#include "dtcost/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "jw.h"
#include "timeutil.h"

static int label_value(dtc_buf *b, const char *v)
{
    int rc = 0;
    for (const char *p = v ? v : ""; *p && !rc; p++) {
        if (*p == '\\')
            rc = dtc_buf_adds(b, "\\\\");
        else if (*p == '"')
            rc = dtc_buf_adds(b, "\\\"");
        else if (*p == '\n')
            rc = dtc_buf_adds(b, "\\n");
        else
            rc = dtc_buf_addc(b, *p);
    }
    return rc;
}

/* name{k1="v1",...} value; labels as NULL-terminated name/value pairs. */
static int sample(dtc_buf *b, const char *name, const char *const *labels, const char *value)
{
    int rc = dtc_buf_adds(b, name);
    for (int i = 0; labels && labels[i] && !rc; i += 2) {
        rc = dtc_buf_printf(b, "%s%s=\"", i ? "," : "{", labels[i]);
        if (!rc) rc = label_value(b, labels[i + 1]);
        if (!rc) rc = dtc_buf_addc(b, '"');
    }
    if (!rc && labels && labels[0]) rc = dtc_buf_addc(b, '}');
    return rc ? rc : dtc_buf_printf(b, " %s\n", value);
}

static int family(dtc_buf *b, const char *name, const char *type, const char *help)
{
    return dtc_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void money(char *dst, int64_t micro)
{
    dtc_fixed_format(dst, micro, 6, true);
}

/* ---- from the database ---- */

typedef struct q {
    dtc_buf *out;
    const char *metric;
    int rc;
} q;

/* Columns 0..n-1 as text, "" for NULL. */
static int texts(const dtc_row *row, const char **t, int n)
{
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = dtc_row_text_or(row, &t[i], i, "");
    return rc;
}

static int on_env_info(void *ctx, const dtc_row *row)
{
    q *x = ctx;
    const char *t[2];
    int rc = texts(row, t, 2);
    /* environment id, name: only environments with a name get a series */
    if (rc || !t[1][0]) return rc;
    const char *labels[] = {"environment", t[0], "name", t[1], NULL};
    return sample(x->out, "dtcost_environment_info", labels, "1");
}

/* Series of the last complete day beyond the cap are summed per subscription
 * and currency into environment="other", capability="other": one bucket per
 * pair, however many there are, so no sum ever spans two currencies. */
typedef struct fold {
    char subscription[64], currency[8];
    int64_t cost;
} fold;

typedef struct costq {
    dtc_buf *out;
    int max, seen, folded;
    fold *f; /* grown with dtc_grow, freed by the caller */
    size_t nf, cap;
} costq;

static int on_cost(void *ctx, const dtc_row *row)
{
    costq *x = ctx;
    /* subscription, environment, capability, currency, cost */
    const char *t[4];
    int64_t cost;
    int rc;
    if ((rc = texts(row, t, 4)) || (rc = dtc_row_int(row, &cost, 4))) return rc;
    if (x->seen++ < x->max) {
        const char *labels[] = {"subscription", t[0],       "environment", t[1], "capability",
                                t[2],           "currency", t[3],          NULL};
        char v[40];
        money(v, cost);
        return sample(x->out, "dtcost_cost_last_complete_day", labels, v);
    }
    x->folded++;
    size_t i = 0;
    while (i < x->nf && (strcmp(x->f[i].subscription, t[0]) || strcmp(x->f[i].currency, t[3])))
        i++;
    if (i == x->nf) {
        fold *g = dtc_grow(x->f, &x->cap, x->nf, sizeof(*g));
        if (!g) return DTC_ENOMEM;
        x->f = g;
        x->nf++;
        snprintf(g[i].subscription, sizeof(g[i].subscription), "%s", t[0]);
        snprintf(g[i].currency, sizeof(g[i].currency), "%s", t[3]);
        g[i].cost = 0;
    }
    /* each value is within the +-10^12 the sync admits, but a database is
     * not only written by sync: refuse a sum int64 cannot hold */
    if (__builtin_add_overflow(x->f[i].cost, cost, &x->f[i].cost)) return DTC_ETOOBIG;
    return 0;
}

typedef struct one {
    char day[16];
    char finished[32], status[16];
} one;

static int on_day(void *ctx, const dtc_row *row)
{
    one *o = ctx;
    const char *day;
    int rc = dtc_row_text_or(row, &day, 0, ""); /* MAX() of no rows */
    snprintf(o->day, sizeof(o->day), "%s", rc ? "" : day);
    return rc;
}

static int on_run(void *ctx, const dtc_row *row)
{
    one *o = ctx;
    const char *t[2];
    int rc = texts(row, t, 2);
    if (rc == 0) {
        snprintf(o->finished, sizeof(o->finished), "%s", t[0]);
        snprintf(o->status, sizeof(o->status), "%s", t[1]);
    }
    return rc;
}

/* account, the end of its last ok run (NULL: none recorded) */
static int on_account_sync(void *ctx, const dtc_row *row)
{
    q *x = ctx;
    const char *t[2];
    int64_t at = 0;
    int rc = texts(row, t, 2);
    if (rc || !t[1][0] || dtc_parse_datetime(t[1], &at) != 0) return rc;
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)at);
    const char *labels[] = {"account", t[0], NULL};
    return sample(x->out, "dtcost_account_last_sync_timestamp_seconds", labels, v);
}

static int on_backlog(void *ctx, const char *dest, const char *state, long batches, long records)
{
    q *x = ctx;
    const char *labels[] = {"destination", dest, "state", state, NULL};
    char v[32];
    snprintf(v, sizeof(v), "%ld",
             strcmp(x->metric, "dtcost_outbox_backlog_batches") == 0 ? batches : records);
    return sample(x->out, x->metric, labels, v);
}

/* The budget families, one sample per active subscription, from the same
 * computation as `dtcost report` (report.c): burn over 30 days, the day the
 * budget runs out at that burn, Dynatrace's forecast. */
static int budgets(dtc_buf *out, const dtc_report *r)
{
    static const struct {
        const char *name, *help;
    } fam[] = {
        {"dtcost_subscription_info",
         "Display name and currency of a subscription; always 1 (join on subscription)."},
        {"dtcost_budget",
         "Budget (commitment) of the current period, in the subscription's currency."},
        {"dtcost_budget_used",
         "Booked cost of the current period, in the subscription's currency."},
        {"dtcost_budget_remaining", "Budget left in the current period (negative when overspent)."},
        {"dtcost_budget_burn_rate_per_day",
         "Average booked cost per day over the last 30 days with cost."},
        {"dtcost_budget_runs_out_timestamp_seconds",
         "When the budget runs out at the 30-day burn rate (start of that day, UTC); no sample "
         "when it lasts."},
        {"dtcost_budget_period_end_timestamp_seconds",
         "End of the subscription's current period (UTC)."},
        {"dtcost_budget_forecast",
         "Dynatrace's forecast of the period's cost, by estimate (lower, median, upper)."},
    };
    int rc = 0;
    for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]) && !rc; f++) {
        rc = family(out, fam[f].name, "gauge", fam[f].help);
        for (size_t i = 0; i < r->nbudgets && !rc; i++) {
            const dtc_budget *b = &r->budgets[i];
            if (strcmp(b->status, "EXPIRED") == 0) continue;
            const char *sub[] = {"subscription", b->subscription, NULL};
            const char *cur[] = {"subscription", b->subscription, "currency", b->currency, NULL};
            char v[48];
            switch (f) {
            case 0: {
                const char *labels[] = {"subscription", b->subscription, "name",
                                        b->name,        "currency",      b->currency,
                                        "status",       b->status,       NULL};
                rc = sample(out, fam[f].name, labels, "1");
                break;
            }
            case 1:
                money(v, b->total), rc = sample(out, fam[f].name, cur, v);
                break;
            case 2:
                money(v, b->used), rc = sample(out, fam[f].name, cur, v);
                break;
            case 3:
                money(v, b->remaining), rc = sample(out, fam[f].name, cur, v);
                break;
            case 4:
                money(v, b->burn30), rc = sample(out, fam[f].name, cur, v);
                break;
            case 5:
                if (b->runs_out >= 0) {
                    snprintf(v, sizeof(v), "%lld", (long long)b->runs_out * 86400);
                    rc = sample(out, fam[f].name, sub, v);
                }
                break;
            case 6:
                snprintf(v, sizeof(v), "%lld", (long long)(b->period_end + 1) * 86400);
                rc = sample(out, fam[f].name, sub, v);
                break;
            case 7:
                if (b->forecast_median >= 0) {
                    const int64_t est[] = {b->forecast_lower, b->forecast_median,
                                           b->forecast_upper};
                    const char *names[] = {"lower", "median", "upper"};
                    for (int k = 0; k < 3 && !rc; k++) {
                        const char *labels[] = {
                            "subscription", b->subscription, "currency", b->currency,
                            "estimate",     names[k],        NULL};
                        money(v, est[k]);
                        rc = sample(out, fam[f].name, labels, v);
                    }
                }
                break;
            }
        }
    }
    return rc;
}

static int store_families(dtc_buf *out, dtc_store *s, const dtc_metrics_opts *opts)
{
    int64_t today = opts->today;
    int max_series =
        opts->max_cost_series > 0 ? opts->max_cost_series : DTC_METRICS_MAX_COST_SERIES;
    dtc_report r;
    dtc_report_opts ro = {.today = today - 1, .since = today - 1, .window = 30, .threshold = 6};
    int rc = dtc_report_build(s, &r, &ro);
    if (rc) return rc;
    rc = budgets(out, &r);
    dtc_report_dispose(&r);
    if (rc) return rc;

    q x = {out, NULL, 0};
    if ((rc = family(out, "dtcost_environment_info", "gauge",
                     "Display name of an environment; always 1 (join on environment).")) ||
        (rc = dtc_store_query(
             s,
             "SELECT environment_id, MAX(name) FROM environment GROUP BY environment_id"
             " ORDER BY environment_id",
             NULL, 0, on_env_info, &x)))
        return rc;

    one o;
    memset(&o, 0, sizeof(o));
    char tday[11];
    dtc_fmt_date(tday, today);
    dtc_val p[] = {DTC_TEXT(tday)};
    if ((rc = dtc_store_query(s, "SELECT MAX(day) FROM env_cost_day WHERE day < ?", p, 1, on_day,
                              &o)) != 0)
        return rc;
    int64_t lastday = 0;
    if ((rc = family(out, "dtcost_last_complete_day_timestamp_seconds", "gauge",
                     "Start (UTC) of the last complete day with cost records.")))
        return rc;
    if (o.day[0] && dtc_parse_date(o.day, &lastday) == 0) {
        char v[32];
        snprintf(v, sizeof(v), "%lld", (long long)lastday * 86400);
        if ((rc = sample(out, "dtcost_last_complete_day_timestamp_seconds", NULL, v))) return rc;
    }
    costq cq;
    memset(&cq, 0, sizeof(cq));
    cq.out = out;
    cq.max = max_series;
    if ((rc = family(out, "dtcost_cost_last_complete_day", "gauge",
                     "Cost per environment and capability on the last complete day, in its "
                     "currency; beyond the "
                     "largest metrics_max_series series the rest are summed into environment and "
                     "capability other.")))
        return rc;
    if (o.day[0]) {
        dtc_val d[] = {DTC_TEXT(o.day)};
        rc = dtc_store_query(
            s,
            "SELECT subscription_uuid, environment_id, capability_key, currency, cost_micro"
            " FROM env_cost_day WHERE day = ? ORDER BY cost_micro DESC, 1, 2, 3",
            d, 1, on_cost, &cq);
        for (size_t i = 0; i < cq.nf && !rc; i++) {
            const char *labels[] = {"subscription", cq.f[i].subscription, "environment",
                                    "other",        "capability",         "other",
                                    "currency",     cq.f[i].currency,     NULL};
            char v[40];
            money(v, cq.f[i].cost);
            rc = sample(out, "dtcost_cost_last_complete_day", labels, v);
        }
        free(cq.f);
        if (rc) return rc;
    }
    char v[32];
    snprintf(v, sizeof(v), "%d", cq.folded);
    if ((rc = family(out, "dtcost_cost_series_folded", "gauge",
                     "Series of dtcost_cost_last_complete_day summed into \"other\" by the "
                     "metrics_max_series cap.")) ||
        (rc = sample(out, "dtcost_cost_series_folded", NULL, v)))
        return rc;

    if ((rc = dtc_store_query(
             s,
             "SELECT finished_at, status FROM sync_run WHERE finished_at IS NOT NULL"
             " ORDER BY id DESC LIMIT 1",
             NULL, 0, on_run, &o)) != 0)
        return rc;
    int64_t fin = 0;
    bool have_run = o.finished[0] && dtc_parse_datetime(o.finished, &fin) == 0;
    snprintf(v, sizeof(v), "%lld", (long long)fin);
    if ((rc = family(out, "dtcost_last_sync_timestamp_seconds", "gauge",
                     "When the last finished sync run ended (UTC epoch seconds).")) ||
        (have_run && (rc = sample(out, "dtcost_last_sync_timestamp_seconds", NULL, v))) ||
        (rc = family(out, "dtcost_last_sync_success", "gauge",
                     "1 when the last finished sync run succeeded, else 0.")) ||
        (have_run && (rc = sample(out, "dtcost_last_sync_success", NULL,
                                  strcmp(o.status, "ok") == 0 ? "1" : "0"))))
        return rc;
    /* Per account: several workers (or cron jobs) may sync different
     * accounts into one database, and the last run above is anyone's. The
     * accounts are those with subscriptions stored; a run names the accounts
     * it covered (sync_run.accounts, space-separated). */
    if ((rc = family(out, "dtcost_account_last_sync_timestamp_seconds", "gauge",
                     "When the last successful sync covering the account ended (UTC epoch "
                     "seconds); no sample before one is recorded.")) ||
        (rc = dtc_store_query(
             s,
             "SELECT a.account_uuid, (SELECT MAX(r.finished_at) FROM sync_run r WHERE r.status ="
             " 'ok' AND (' ' || r.accounts || ' ') LIKE ('% ' || a.account_uuid || ' %'))"
             " FROM (SELECT DISTINCT account_uuid FROM subscription) a ORDER BY 1",
             NULL, 0, on_account_sync, &x)))
        return rc;

    static const struct {
        const char *name, *help;
    } backlog[] = {
        {"dtcost_outbox_backlog_batches",
         "Outbox batches not delivered, per destination and state (pending, dead)."},
        {"dtcost_outbox_backlog_records", "Records in those batches."},
    };
    for (size_t i = 0; i < 2 && !rc; i++) {
        x.metric = backlog[i].name;
        if (!(rc = family(out, backlog[i].name, "gauge", backlog[i].help)))
            rc = dtc_store_outbox_backlog(s, on_backlog, &x);
    }
    return rc;
}

/* ---- the process ---- */

static int counter(dtc_buf *b, const char *name, const char *help, const char *label,
                   const char *const *values, const long *counts, int n)
{
    int rc = family(b, name, "counter", help);
    for (int i = 0; i < n && !rc; i++) {
        char v[32];
        snprintf(v, sizeof(v), "%ld", counts[i]);
        const char *labels[] = {label, values ? values[i] : NULL, NULL};
        rc = sample(b, name, label ? labels : NULL, v);
    }
    return rc;
}

static int process_families(dtc_buf *out, const dtc_metrics_counters *c)
{
    static const char *const outcome[] = {"ok", "failed"};
    static const char *const target[] = {"sync", "push"};
    long cycles[] = {c->cycles - c->cycles_failed, c->cycles_failed};
    long syncs[] = {c->sync_ok, c->sync_failed};
    long requests[] = {c->sync_requests, c->push_requests};
    long retries[] = {c->sync_retries, c->push_retries};
    char v[3][40];
    snprintf(v[0], sizeof(v[0]), "%lld", (long long)c->last_cycle_end);
    snprintf(v[1], sizeof(v[1]), "%.3f", c->last_cycle_seconds);
    snprintf(v[2], sizeof(v[2]), "%lld", (long long)c->next_cycle);
    int rc = 0;
    const char *build[] = {"version", c->version ? c->version : "", NULL};
    if ((rc = family(out, "dtcost_build_info", "gauge",
                     "The running dtcost's version; always 1.")) ||
        (rc = sample(out, "dtcost_build_info", build, "1")) ||
        (rc = family(out, "dtcost_up", "gauge", "1 while dtcost serve runs.")) ||
        (rc = sample(out, "dtcost_up", NULL, "1")) ||
        (rc = family(out, "dtcost_ready", "gauge", "1 once the first cycle completed.")) ||
        (rc = sample(out, "dtcost_ready", NULL, c->ready ? "1" : "0")) ||
        (rc =
             counter(out, "dtcost_cycles_total", "Scheduled cycles (sync, then pushes) by outcome.",
                     "outcome", outcome, cycles, 2)) ||
        (rc = counter(out, "dtcost_sync_runs_total", "Sync runs by outcome.", "outcome", outcome,
                      syncs, 2)) ||
        (rc = counter(out, "dtcost_requests_total", "HTTP requests made, by what made them.",
                      "target", target, requests, 2)) ||
        (rc = counter(out, "dtcost_retries_total", "HTTP requests retried, by what made them.",
                      "target", target, retries, 2)) ||
        (rc = counter(out, "dtcost_push_records_total", "Records delivered by pushes.", NULL, NULL,
                      &c->push_records, 1)) ||
        (rc = counter(out, "dtcost_push_batches_total", "Batches delivered by pushes.", NULL, NULL,
                      &c->push_batches, 1)) ||
        (rc = counter(out, "dtcost_push_dead_letters_total", "Batches dead-lettered by pushes.",
                      NULL, NULL, &c->push_dead, 1)) ||
        (rc = counter(out, "dtcost_push_failures_total", "Push runs that left batches pending.",
                      NULL, NULL, &c->push_failed, 1)) ||
        (rc = family(out, "dtcost_last_cycle_timestamp_seconds", "gauge",
                     "When the last cycle ended.")) ||
        (rc = sample(out, "dtcost_last_cycle_timestamp_seconds", NULL, v[0])) ||
        (rc = family(out, "dtcost_last_cycle_duration_seconds", "gauge",
                     "How long the last cycle took.")) ||
        (rc = sample(out, "dtcost_last_cycle_duration_seconds", NULL, v[1])) ||
        (rc = family(out, "dtcost_next_cycle_timestamp_seconds", "gauge",
                     "When the next cycle starts.")) ||
        (rc = sample(out, "dtcost_next_cycle_timestamp_seconds", NULL, v[2])))
        return rc;
    return 0;
}

/* The text in b as the caller's (*out, *len), or nothing when rc says it failed. */
static int hand_over(dtc_buf *b, int rc, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (rc == 0 && !(*out = dtc_buf_take(b, len))) rc = DTC_ENOMEM;
    dtc_buf_dispose(b);
    return rc;
}

int dtc_metrics_store(dtc_store *s, char **out, size_t *len, const dtc_metrics_opts *opts)
{
    dtc_buf b;
    dtc_buf_init(&b, DTC_CAP_JSON_DOC);
    return hand_over(&b, store_families(&b, s, opts), out, len);
}

int dtc_metrics_process(char **out, size_t *len, const dtc_metrics_counters *c)
{
    dtc_buf b;
    dtc_buf_init(&b, DTC_CAP_SMALL);
    return hand_over(&b, process_families(&b, c), out, len);
}
