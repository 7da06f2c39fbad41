/* verify.c: the reconciliation checks behind `dtcost verify`, as read-only
 * queries through the storage interface; gaps are found in C so the SQL
 * stays plain. */
#include "dtcost/verify.h"

#include <stdio.h>
#include <string.h>

#include "timeutil.h"

static const char *names[DTC_CHECK_COUNT] = {
    [DTC_CHECK_ENV_SUM] = "environment costs != daily cost",
    [DTC_CHECK_ENV_ORPHAN] = "environment costs without a daily cost",
    [DTC_CHECK_BUDGET_USED] = "budget used != cost in the current period",
    [DTC_CHECK_MISSING_DAY] = "day missing inside the synced range",
    [DTC_CHECK_CURRENCY] = "currency differs from the subscription's",
};

const char *dtc_verify_check_name(dtc_check c)
{
    return (unsigned)c < DTC_CHECK_COUNT ? names[c] : "unknown check";
}

typedef struct vctx {
    void (*fn)(void *, const dtc_discrepancy *);
    void *ctx;
    dtc_verify_summary *sum;
    dtc_check check;
    const char *table;
    /* gap scan state */
    char sub[64];
    int64_t last;
} vctx;

static const char *text(const dtc_val *v)
{
    return v->type == 't' ? v->s : "";
}

static int64_t num(const dtc_val *v)
{
    return v->type == 'i' ? v->i : v->type == 'r' ? (int64_t)v->r : 0;
}

static void report(vctx *v, dtc_discrepancy *d)
{
    d->check = v->check;
    d->what = names[v->check];
    snprintf(d->table, sizeof(d->table), "%s", v->table);
    v->sum->discrepancies++;
    if (v->fn)
        v->fn(v->ctx, d);
}

/* Rows: subscription, day, currency, expected, actual. */
static int on_mismatch(void *ud, const dtc_val *c, int n)
{
    vctx *v = ud;
    dtc_discrepancy d;
    memset(&d, 0, sizeof(d));
    snprintf(d.subscription, sizeof(d.subscription), "%s", text(&c[0]));
    snprintf(d.day, sizeof(d.day), "%s", n > 1 ? text(&c[1]) : "");
    snprintf(d.currency, sizeof(d.currency), "%s", n > 2 ? text(&c[2]) : "");
    d.expected = n > 3 ? num(&c[3]) : 0;
    d.actual = n > 4 ? num(&c[4]) : 0;
    report(v, &d);
    return 0;
}

/* Rows: subscription, day, ordered: report every day skipped in between. */
static int on_day(void *ud, const dtc_val *c, int n)
{
    vctx *v = ud;
    int64_t day;
    if (n < 2 || dtc_parse_date(text(&c[1]), &day) != 0)
        return 0;
    if (v->table[0] == 'c') /* cost_day: count the days checked */
        v->sum->days++;
    if (strcmp(v->sub, text(&c[0])) != 0) {
        snprintf(v->sub, sizeof(v->sub), "%s", text(&c[0]));
        v->last = day;
        return 0;
    }
    for (int64_t d = v->last + 1; d < day; d++) {
        dtc_discrepancy x;
        memset(&x, 0, sizeof(x));
        snprintf(x.subscription, sizeof(x.subscription), "%s", v->sub);
        dtc_fmt_date(x.day, d);
        report(v, &x);
    }
    v->last = day;
    return 0;
}

static int on_count(void *ud, const dtc_val *c, int n)
{
    *(long *)ud = n > 0 ? (long)num(&c[0]) : 0;
    return 0;
}

int dtc_verify_run(dtc_store *s, void (*fn)(void *ctx, const dtc_discrepancy *d), void *ctx,
                   dtc_verify_summary *sum)
{
    memset(sum, 0, sizeof(*sum));
    vctx v = {.fn = fn, .ctx = ctx, .sum = sum};
    int rc;
    if ((rc = dtc_store_query(s, "SELECT COUNT(*) FROM subscription", NULL, 0, on_count, &sum->subscriptions)))
        return rc;

    /* Inside the range each subscription has per-environment rows for. */
    v.check = DTC_CHECK_ENV_SUM, v.table = "env_cost_day";
    if ((rc = dtc_store_query(s,
            "SELECT c.subscription_uuid, c.day, c.currency, c.cost_micro, COALESCE(SUM(e.cost_micro), 0)"
            " FROM cost_day c JOIN (SELECT subscription_uuid, MIN(day) AS first, MAX(day) AS last"
            "                       FROM env_cost_day GROUP BY subscription_uuid) r"
            "   ON r.subscription_uuid = c.subscription_uuid AND c.day BETWEEN r.first AND r.last"
            " LEFT JOIN env_cost_day e ON e.subscription_uuid = c.subscription_uuid AND e.day = c.day"
            " GROUP BY c.subscription_uuid, c.day, c.currency, c.cost_micro"
            " HAVING COALESCE(SUM(e.cost_micro), 0) <> c.cost_micro"
            " ORDER BY c.subscription_uuid, c.day", NULL, 0, on_mismatch, &v)))
        return rc;
    sum->checks++;

    v.check = DTC_CHECK_ENV_ORPHAN, v.table = "env_cost_day";
    if ((rc = dtc_store_query(s,
            "SELECT e.subscription_uuid, e.day, MIN(e.currency), 0, SUM(e.cost_micro)"
            " FROM env_cost_day e LEFT JOIN cost_day c"
            "   ON c.subscription_uuid = e.subscription_uuid AND c.day = e.day"
            " WHERE c.day IS NULL GROUP BY e.subscription_uuid, e.day"
            " ORDER BY e.subscription_uuid, e.day", NULL, 0, on_mismatch, &v)))
        return rc;
    sum->checks++;

    v.check = DTC_CHECK_BUDGET_USED, v.table = "subscription";
    if ((rc = dtc_store_query(s,
            "SELECT s.uuid, '', s.currency, s.budget_used_micro, COALESCE(t.total, 0)"
            " FROM subscription s LEFT JOIN (SELECT c.subscription_uuid, SUM(c.cost_micro) AS total"
            "   FROM cost_day c JOIN subscription x ON x.uuid = c.subscription_uuid"
            "   WHERE c.day BETWEEN x.period_start AND x.period_end GROUP BY c.subscription_uuid) t"
            "   ON t.subscription_uuid = s.uuid"
            " WHERE s.budget_used_micro <> COALESCE(t.total, 0) ORDER BY s.uuid", NULL, 0, on_mismatch, &v)))
        return rc;
    sum->checks++;

    v.check = DTC_CHECK_MISSING_DAY, v.table = "cost_day", v.sub[0] = '\0';
    if ((rc = dtc_store_query(s, "SELECT subscription_uuid, day FROM cost_day ORDER BY subscription_uuid, day",
                              NULL, 0, on_day, &v)))
        return rc;
    v.table = "env_cost_day", v.sub[0] = '\0';
    if ((rc = dtc_store_query(s, "SELECT DISTINCT subscription_uuid, day FROM env_cost_day"
                                 " ORDER BY subscription_uuid, day", NULL, 0, on_day, &v)))
        return rc;
    sum->checks++;

    v.check = DTC_CHECK_CURRENCY;
    static const char *tables[] = {"cost_day", "env_cost_day"};
    for (int t = 0; t < 2; t++) {
        char sql[512];
        snprintf(sql, sizeof(sql),
                 "SELECT c.subscription_uuid, MIN(c.day), c.currency, 0, COUNT(*) FROM %s c"
                 " JOIN subscription s ON s.uuid = c.subscription_uuid"
                 " WHERE c.currency IS NOT s.currency GROUP BY c.subscription_uuid, c.currency"
                 " ORDER BY c.subscription_uuid", tables[t]);
        v.table = tables[t];
        if ((rc = dtc_store_query(s, sql, NULL, 0, on_mismatch, &v)))
            return rc;
    }
    sum->checks++;
    return 0;
}
