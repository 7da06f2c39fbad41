/* verify.c: the reconciliation checks behind `dtcost verify`, as read-only
 * queries through the storage interface; gaps in the daily totals are found
 * in C so the SQL stays plain.
 *
 * Every query aggregates with GROUP BY and joins on whole primary keys or on
 * aggregates, never looks rows up one by one: verify runs over millions of
 * environment and allocation rows. Each returns the same columns, read by
 * on_row: subscription, environment, field, capability, day, currency,
 * expected, actual, rows. The tolerance (rows + 2) / 2 in the SQL is
 * dtc_verify_tolerance(rows) in integers. */
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
    [DTC_CHECK_ENV_DAY] = "daily cost without environment costs",
    [DTC_CHECK_ENV_GAP] = "environment missing on a day inside its range",
    [DTC_CHECK_ALLOC_SUM] = "cost allocation != environment cost",
    [DTC_CHECK_ALLOC_MISSING] = "environment cost without cost allocation",
};

const char *dtc_verify_check_name(dtc_check c)
{
    return (unsigned)c < DTC_CHECK_COUNT ? names[c] : "unknown check";
}

int dtc_verify_check_is_sum(dtc_check c)
{
    return c == DTC_CHECK_ENV_SUM || c == DTC_CHECK_BUDGET_USED || c == DTC_CHECK_ALLOC_SUM;
}

int64_t dtc_verify_tolerance(long rows)
{
    return rows < 0 ? 1 : ((int64_t)rows + 2) / 2;
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

static void report(vctx *v, dtc_discrepancy *d)
{
    d->check = v->check;
    d->what = names[v->check];
    if (!d->table[0]) snprintf(d->table, sizeof(d->table), "%s", v->table);
    if (dtc_verify_check_is_sum(v->check)) d->tolerance = dtc_verify_tolerance(d->rows);
    v->sum->discrepancies++;
    v->sum->by_check[v->check]++;
    if (v->fn) v->fn(v->ctx, d);
}

/* Rows: subscription, environment, field, capability, day, currency,
 * expected, actual, rows, and optionally the table the row is missing from
 * when it is not the check's own. */
enum {
    COL_SUB,
    COL_ENV,
    COL_FIELD,
    COL_CAP,
    COL_DAY,
    COL_CUR,
    COL_EXPECTED,
    COL_ACTUAL,
    COL_ROWS,
    NCOLS
};
#define COL_TABLE NCOLS

static int on_row(void *ud, const dtc_row *row)
{
    vctx *v = ud;
    const char *t[COL_EXPECTED], *table = "";
    int64_t expected, actual, rows;
    int rc = 0;
    for (int i = COL_SUB; i < COL_EXPECTED && rc == 0; i++)
        rc = dtc_row_text_or(row, &t[i], i, ""); /* currency may be NULL */
    if (rc || (rc = dtc_row_int(row, &expected, COL_EXPECTED)) ||
        (rc = dtc_row_int(row, &actual, COL_ACTUAL)) || (rc = dtc_row_int(row, &rows, COL_ROWS)) ||
        (dtc_row_columns(row) > COL_TABLE && (rc = dtc_row_text(row, &table, COL_TABLE))))
        return rc;
    dtc_discrepancy d;
    memset(&d, 0, sizeof(d));
    snprintf(d.subscription, sizeof(d.subscription), "%s", t[COL_SUB]);
    snprintf(d.environment, sizeof(d.environment), "%s", t[COL_ENV]);
    snprintf(d.field, sizeof(d.field), "%s", t[COL_FIELD]);
    snprintf(d.capability, sizeof(d.capability), "%s", t[COL_CAP]);
    snprintf(d.day, sizeof(d.day), "%s", t[COL_DAY]);
    snprintf(d.currency, sizeof(d.currency), "%s", t[COL_CUR]);
    d.expected = expected;
    d.actual = actual;
    d.rows = (long)rows;
    snprintf(d.table, sizeof(d.table), "%s", table);
    report(v, &d);
    return 0;
}

/* Rows: subscription, day, ordered: report every day skipped in between. */
static int on_day(void *ud, const dtc_row *row)
{
    vctx *v = ud;
    const char *sub, *date;
    int64_t day;
    int rc;
    if ((rc = dtc_row_text(row, &sub, 0)) || (rc = dtc_row_text(row, &date, 1))) return rc;
    if (dtc_parse_date(date, &day) != 0) return 0;
    v->sum->days++;
    if (strcmp(v->sub, sub) != 0) {
        snprintf(v->sub, sizeof(v->sub), "%s", sub);
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

static int on_count(void *ud, const dtc_row *row)
{
    int64_t n;
    int rc = dtc_row_int(row, &n, 0);
    *(long *)ud = rc ? 0 : (long)n;
    return rc;
}

/* Per subscription and day: the environment rows' sum and count. */
#define ENV_DAYS                                                                                   \
    "(SELECT subscription_uuid, day, SUM(cost_micro) AS total, COUNT(*) AS n FROM env_cost_day"    \
    " GROUP BY subscription_uuid, day)"

/* Per record (subscription, environment, capability, day) and field: the
 * allocation rows' sum and count. */
#define ALLOC_RECORDS                                                                              \
    "(SELECT subscription_uuid, environment_id, field, capability_key, day, SUM(cost_micro) AS "   \
    "total,"                                                                                       \
    " COUNT(*) AS n FROM cost_allocation GROUP BY subscription_uuid, environment_id, field, "      \
    "capability_key, day)"

static const struct query {
    dtc_check check;
    const char *table; /* where the odd or missing rows are */
    const char *sql;
} queries[] = {
    {DTC_CHECK_ENV_SUM, "env_cost_day",
     "SELECT c.subscription_uuid, '', '', '', c.day, c.currency, c.cost_micro, e.total, e.n"
     " FROM cost_day c JOIN " ENV_DAYS
     " e ON e.subscription_uuid = c.subscription_uuid AND e.day = c.day"
     " WHERE ABS(e.total - c.cost_micro) > (e.n + 2) / 2"
     " ORDER BY c.subscription_uuid, c.day"},

    /* From the first day with environment rows to the last daily total. */
    {DTC_CHECK_ENV_DAY, "env_cost_day",
     "SELECT c.subscription_uuid, '', '', '', c.day, c.currency, c.cost_micro, 0, 0"
     " FROM cost_day c"
     " JOIN (SELECT subscription_uuid, MIN(day) AS first FROM env_cost_day GROUP BY "
     "subscription_uuid) r"
     "   ON r.subscription_uuid = c.subscription_uuid AND c.day >= r.first"
     " LEFT JOIN " ENV_DAYS " e ON e.subscription_uuid = c.subscription_uuid AND e.day = c.day"
     " WHERE c.cost_micro <> 0 AND e.day IS NULL"
     " ORDER BY c.subscription_uuid, c.day"},

    /* Candidates are the days inside each environment's range on which the
     * subscription has a daily total and other environments have rows (a day
     * with none at all is DTC_CHECK_ENV_DAY's); the environment's own days
     * are then joined away. Expected is the daily total, actual what the
     * other environments add up to. */
    {DTC_CHECK_ENV_GAP, "env_cost_day",
     "WITH d AS (SELECT subscription_uuid, environment_id, day FROM env_cost_day"
     "           GROUP BY subscription_uuid, environment_id, day),"
     " r AS (SELECT subscription_uuid, environment_id, MIN(day) AS first, MAX(day) AS last FROM d"
     "       GROUP BY subscription_uuid, environment_id)"
     " SELECT r.subscription_uuid, r.environment_id, '', '', c.day, c.currency, c.cost_micro, "
     "e.total, e.n"
     " FROM r JOIN cost_day c ON c.subscription_uuid = r.subscription_uuid AND c.day > r.first AND "
     "c.day < r.last"
     " JOIN " ENV_DAYS " e ON e.subscription_uuid = c.subscription_uuid AND e.day = c.day"
     " LEFT JOIN d ON d.subscription_uuid = r.subscription_uuid AND d.environment_id = "
     "r.environment_id"
     "   AND d.day = c.day"
     " WHERE c.cost_micro <> 0 AND d.day IS NULL"
     " ORDER BY r.subscription_uuid, r.environment_id, c.day"},

    {DTC_CHECK_ENV_ORPHAN, "env_cost_day",
     "SELECT e.subscription_uuid, '', '', '', e.day, MIN(e.currency), 0, SUM(e.cost_micro), "
     "COUNT(*)"
     " FROM env_cost_day e LEFT JOIN cost_day c ON c.subscription_uuid = e.subscription_uuid AND "
     "c.day = e.day"
     " WHERE c.day IS NULL GROUP BY e.subscription_uuid, e.day"
     " ORDER BY e.subscription_uuid, e.day"},

    /* A record without an environment row is expected to cost 0, and the
     * row is said to be missing from env_cost_day. */
    {DTC_CHECK_ALLOC_SUM, "cost_allocation",
     "SELECT a.subscription_uuid, a.environment_id, a.field, a.capability_key, a.day,"
     " COALESCE(e.currency, s.currency), COALESCE(e.cost_micro, 0), a.total, a.n,"
     " CASE WHEN e.day IS NULL THEN 'env_cost_day' ELSE '' END"
     " FROM " ALLOC_RECORDS " a"
     " LEFT JOIN env_cost_day e ON e.subscription_uuid = a.subscription_uuid"
     "   AND e.environment_id = a.environment_id AND e.capability_key = a.capability_key AND e.day "
     "= a.day"
     " LEFT JOIN subscription s ON s.uuid = a.subscription_uuid"
     " WHERE ABS(a.total - COALESCE(e.cost_micro, 0)) > (a.n + 2) / 2"
     " ORDER BY a.subscription_uuid, a.environment_id, a.field, a.capability_key, a.day"},

    /* Inside each (environment, field)'s allocated days. */
    {DTC_CHECK_ALLOC_MISSING, "cost_allocation",
     "SELECT e.subscription_uuid, e.environment_id, r.field, e.capability_key, e.day, e.currency,"
     " e.cost_micro, 0, 0"
     " FROM (SELECT subscription_uuid, environment_id, field, MIN(day) AS first, MAX(day) AS last"
     "       FROM cost_allocation GROUP BY subscription_uuid, environment_id, field) r"
     " JOIN env_cost_day e ON e.subscription_uuid = r.subscription_uuid AND e.environment_id = "
     "r.environment_id"
     "   AND e.day BETWEEN r.first AND r.last"
     " LEFT JOIN " ALLOC_RECORDS " a ON a.subscription_uuid = e.subscription_uuid"
     "   AND a.environment_id = e.environment_id AND a.field = r.field AND a.capability_key = "
     "e.capability_key"
     "   AND a.day = e.day"
     " WHERE e.cost_micro <> 0 AND a.day IS NULL"
     " ORDER BY e.subscription_uuid, e.environment_id, r.field, e.capability_key, e.day"},

    {DTC_CHECK_BUDGET_USED, "subscription",
     "SELECT s.uuid, '', '', '', '', s.currency, s.budget_used_micro, COALESCE(t.total, 0), "
     "COALESCE(t.n, 0)"
     " FROM subscription s LEFT JOIN (SELECT c.subscription_uuid, SUM(c.cost_micro) AS total, "
     "COUNT(*) AS n"
     "   FROM cost_day c JOIN subscription x ON x.uuid = c.subscription_uuid"
     "   WHERE c.day BETWEEN x.period_start AND x.period_end GROUP BY c.subscription_uuid) t"
     "   ON t.subscription_uuid = s.uuid"
     " WHERE ABS(s.budget_used_micro - COALESCE(t.total, 0)) > (COALESCE(t.n, 0) + 2) / 2"
     " ORDER BY s.uuid"},
};

int dtc_verify_run(dtc_store *s, dtc_verify_summary *sum,
                   void (*fn)(void *ctx, const dtc_discrepancy *d), void *ctx)
{
    memset(sum, 0, sizeof(*sum));
    vctx v = {.fn = fn, .ctx = ctx, .sum = sum};
    int rc;
    if ((rc = dtc_store_query(s, "SELECT COUNT(*) FROM subscription", NULL, 0, on_count,
                              &sum->subscriptions)))
        return rc;

    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        v.check = queries[i].check, v.table = queries[i].table;
        if ((rc = dtc_store_query(s, queries[i].sql, NULL, 0, on_row, &v))) return rc;
        sum->checks++;
    }

    /* Per-environment days are DTC_CHECK_ENV_DAY's and DTC_CHECK_ENV_GAP's:
     * a day with a daily total of 0 needs no environment row. */
    v.check = DTC_CHECK_MISSING_DAY, v.table = "cost_day", v.sub[0] = '\0';
    if ((rc = dtc_store_query(
             s, "SELECT subscription_uuid, day FROM cost_day ORDER BY subscription_uuid, day", NULL,
             0, on_day, &v)))
        return rc;
    sum->checks++;

    v.check = DTC_CHECK_CURRENCY;
    static const char *tables[] = {"cost_day", "env_cost_day"};
    for (int t = 0; t < 2; t++) {
        char sql[512];
        snprintf(
            sql, sizeof(sql),
            "SELECT c.subscription_uuid, '', '', '', MIN(c.day), c.currency, 0, COUNT(*), COUNT(*) "
            "FROM %s c"
            " JOIN subscription s ON s.uuid = c.subscription_uuid"
            " WHERE c.currency IS DISTINCT FROM s.currency GROUP BY c.subscription_uuid, c.currency"
            " ORDER BY c.subscription_uuid",
            tables[t]);
        v.table = tables[t];
        if ((rc = dtc_store_query(s, sql, NULL, 0, on_row, &v))) return rc;
    }
    sum->checks++;
    return 0;
}
