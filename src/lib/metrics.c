/* metrics.c: Prometheus text format. Each family is written whole (HELP,
 * TYPE, then its samples), label values escaped (backslash, quote, newline),
 * money in currency units with its exact six decimals. */
#include "dtcost/metrics.h"

#include <stdio.h>
#include <string.h>

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
        if (!rc)
            rc = label_value(b, labels[i + 1]);
        if (!rc)
            rc = dtc_buf_addc(b, '"');
    }
    if (!rc && labels && labels[0])
        rc = dtc_buf_addc(b, '}');
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
        rc = dtc_row_text_or(row, i, "", &t[i]);
    return rc;
}

static int on_budget(void *ctx, const dtc_row *row)
{
    q *x = ctx;
    /* uuid, name, currency, total, used; no total: no budget to show */
    const char *t[3];
    int64_t total, used;
    int rc;
    if (dtc_row_is_null(row, 3))
        return 0;
    if ((rc = texts(row, t, 3)) || (rc = dtc_row_int(row, 3, &total)) || (rc = dtc_row_int_or(row, 4, 0, &used)))
        return rc;
    const char *labels[] = {"subscription", t[0], "name", t[1], "currency", t[2], NULL};
    char v[40];
    int64_t val = strcmp(x->metric, "dtcost_budget_total") == 0  ? total
                  : strcmp(x->metric, "dtcost_budget_used") == 0 ? used
                                                                  : total - used;
    money(v, val);
    return sample(x->out, x->metric, labels, v);
}

static int on_cost(void *ctx, const dtc_row *row)
{
    q *x = ctx;
    /* subscription, environment, name, capability, currency, cost */
    const char *t[5];
    int64_t cost;
    int rc;
    if ((rc = texts(row, t, 5)) || (rc = dtc_row_int(row, 5, &cost)))
        return rc;
    const char *labels[] = {"subscription", t[0], "environment", t[1], "environment_name", t[2],
                            "capability", t[3], "currency", t[4], NULL};
    char v[40];
    money(v, cost);
    return sample(x->out, x->metric, labels, v);
}

typedef struct one {
    char day[16];
    char finished[32], status[16];
} one;

static int on_day(void *ctx, const dtc_row *row)
{
    one *o = ctx;
    const char *day;
    int rc = dtc_row_text_or(row, 0, "", &day); /* MAX() of no rows */
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

static int on_backlog(void *ctx, const char *dest, const char *state, long batches, long records)
{
    q *x = ctx;
    const char *labels[] = {"destination", dest, "state", state, NULL};
    char v[32];
    snprintf(v, sizeof(v), "%ld", strcmp(x->metric, "dtcost_outbox_backlog_batches") == 0 ? batches : records);
    return sample(x->out, x->metric, labels, v);
}

int dtc_metrics_store(dtc_buf *out, dtc_store *s, int64_t today)
{
    static const char budget_sql[] =
        "SELECT uuid, name, currency, budget_total_micro, budget_used_micro FROM subscription"
        " WHERE status IS NULL OR status <> 'EXPIRED' ORDER BY uuid";
    static const struct {
        const char *name, *help;
    } budget[] = {
        {"dtcost_budget_total", "Budget of the current period, in the subscription's currency."},
        {"dtcost_budget_used", "Booked cost of the current period, in the subscription's currency."},
        {"dtcost_budget_remaining", "Budget left in the current period (negative when overspent)."},
    };
    q x = {out, NULL, 0};
    int rc = 0;
    for (size_t i = 0; i < 3 && !rc; i++) {
        x.metric = budget[i].name;
        if (!(rc = family(out, budget[i].name, "gauge", budget[i].help)))
            rc = dtc_store_query(s, budget_sql, NULL, 0, on_budget, &x);
    }
    if (rc)
        return rc;

    one o;
    memset(&o, 0, sizeof(o));
    char tday[11];
    dtc_fmt_date(tday, today);
    dtc_val p[] = {DTC_TEXT(tday)};
    if ((rc = dtc_store_query(s, "SELECT MAX(day) FROM env_cost_day WHERE day < ?", p, 1, on_day, &o)) != 0)
        return rc;
    int64_t lastday = 0;
    if ((rc = family(out, "dtcost_last_complete_day_timestamp_seconds", "gauge",
                     "Start (UTC) of the last complete day with cost records.")))
        return rc;
    if (o.day[0] && dtc_parse_date(o.day, &lastday) == 0) {
        char v[32];
        snprintf(v, sizeof(v), "%lld", (long long)lastday * 86400);
        if ((rc = sample(out, "dtcost_last_complete_day_timestamp_seconds", NULL, v)))
            return rc;
    }
    x.metric = "dtcost_cost_last_complete_day";
    if ((rc = family(out, x.metric, "gauge",
                     "Cost per environment and capability on the last complete day, in its currency.")))
        return rc;
    if (o.day[0]) {
        dtc_val d[] = {DTC_TEXT(o.day)};
        rc = dtc_store_query(s,
                             "SELECT e.subscription_uuid, e.environment_id, v.name, e.capability_key, e.currency,"
                             " e.cost_micro FROM env_cost_day e LEFT JOIN subscription s ON s.uuid = e.subscription_uuid"
                             " LEFT JOIN environment v ON v.account_uuid = s.account_uuid"
                             "  AND v.environment_id = e.environment_id"
                             " WHERE e.day = ? ORDER BY 1, 2, 4", d, 1, on_cost, &x);
        if (rc)
            return rc;
    }

    if ((rc = dtc_store_query(s, "SELECT finished_at, status FROM sync_run WHERE finished_at IS NOT NULL"
                                 " ORDER BY id DESC LIMIT 1", NULL, 0, on_run, &o)) != 0)
        return rc;
    int64_t fin = 0;
    bool have_run = o.finished[0] && dtc_parse_datetime(o.finished, &fin) == 0;
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)fin);
    if ((rc = family(out, "dtcost_last_sync_timestamp_seconds", "gauge",
                     "When the last finished sync run ended (UTC epoch seconds).")) ||
        (have_run && (rc = sample(out, "dtcost_last_sync_timestamp_seconds", NULL, v))) ||
        (rc = family(out, "dtcost_last_sync_success", "gauge", "1 when the last finished sync run succeeded, else 0.")) ||
        (have_run && (rc = sample(out, "dtcost_last_sync_success", NULL, strcmp(o.status, "ok") == 0 ? "1" : "0"))))
        return rc;

    static const struct {
        const char *name, *help;
    } backlog[] = {
        {"dtcost_outbox_backlog_batches", "Outbox batches not delivered, per destination and state (pending, dead)."},
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

static int counter(dtc_buf *b, const char *name, const char *help, const char *label, const char *const *values,
                   const long *counts, int n)
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

int dtc_metrics_process(dtc_buf *out, const dtc_metrics_counters *c)
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
    if ((rc = family(out, "dtcost_up", "gauge", "1 while dtcost serve runs.")) ||
        (rc = sample(out, "dtcost_up", NULL, "1")) ||
        (rc = family(out, "dtcost_ready", "gauge", "1 once the first cycle completed.")) ||
        (rc = sample(out, "dtcost_ready", NULL, c->ready ? "1" : "0")) ||
        (rc = counter(out, "dtcost_cycles_total", "Scheduled cycles (sync, then pushes) by outcome.", "outcome",
                      outcome, cycles, 2)) ||
        (rc = counter(out, "dtcost_sync_runs_total", "Sync runs by outcome.", "outcome", outcome, syncs, 2)) ||
        (rc = counter(out, "dtcost_requests_total", "HTTP requests made, by what made them.", "target", target,
                      requests, 2)) ||
        (rc = counter(out, "dtcost_retries_total", "HTTP requests retried, by what made them.", "target", target,
                      retries, 2)) ||
        (rc = counter(out, "dtcost_push_records_total", "Records delivered by pushes.", NULL, NULL,
                      &c->push_records, 1)) ||
        (rc = counter(out, "dtcost_push_batches_total", "Batches delivered by pushes.", NULL, NULL,
                      &c->push_batches, 1)) ||
        (rc = counter(out, "dtcost_push_dead_letters_total", "Batches dead-lettered by pushes.", NULL, NULL,
                      &c->push_dead, 1)) ||
        (rc = counter(out, "dtcost_push_failures_total", "Push runs that left batches pending.", NULL, NULL,
                      &c->push_failed, 1)) ||
        (rc = family(out, "dtcost_last_cycle_timestamp_seconds", "gauge", "When the last cycle ended.")) ||
        (rc = sample(out, "dtcost_last_cycle_timestamp_seconds", NULL, v[0])) ||
        (rc = family(out, "dtcost_last_cycle_duration_seconds", "gauge", "How long the last cycle took.")) ||
        (rc = sample(out, "dtcost_last_cycle_duration_seconds", NULL, v[1])) ||
        (rc = family(out, "dtcost_next_cycle_timestamp_seconds", "gauge", "When the next cycle starts.")) ||
        (rc = sample(out, "dtcost_next_cycle_timestamp_seconds", NULL, v[2])))
        return rc;
    return 0;
}
