/* store_schema.c: the tables every back-end creates, written once in SQLite's
 * dialect (TEXT, INTEGER, REAL, INTEGER PRIMARY KEY for a generated id,
 * WITHOUT ROWID); store_pg.c maps the types (docs/postgres.md). */
#include "store_impl.h"

const char dtc_store__schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS subscription(uuid TEXT PRIMARY KEY NOT NULL, account_uuid TEXT NOT "
    "NULL,"
    " name TEXT, type TEXT, sub_type TEXT, status TEXT, currency TEXT, start_date TEXT,"
    " end_date TEXT, period_start TEXT, period_end TEXT, days_remaining INTEGER,"
    " budget_total_micro INTEGER, budget_used_micro INTEGER) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS subscription_period(subscription_uuid TEXT NOT NULL,"
    " start_time TEXT NOT NULL, end_time TEXT, PRIMARY KEY(subscription_uuid, start_time)) WITHOUT "
    "ROWID;\n"
    "CREATE TABLE IF NOT EXISTS subscription_capability(subscription_uuid TEXT NOT NULL,"
    " capability_key TEXT NOT NULL, capability_name TEXT,"
    " PRIMARY KEY(subscription_uuid, capability_key)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS environment(account_uuid TEXT NOT NULL, environment_id TEXT NOT "
    "NULL,"
    " name TEXT, active INTEGER, url TEXT, PRIMARY KEY(account_uuid, environment_id)) WITHOUT "
    "ROWID;\n"
    "CREATE TABLE IF NOT EXISTS cost_day(subscription_uuid TEXT NOT NULL, day TEXT NOT NULL,"
    " cost_micro INTEGER NOT NULL, currency TEXT, last_booking TEXT,"
    " PRIMARY KEY(subscription_uuid, day)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS usage_day(subscription_uuid TEXT NOT NULL, capability_key TEXT NOT "
    "NULL,"
    " day TEXT NOT NULL, value REAL NOT NULL, unit TEXT, capability_name TEXT,"
    " PRIMARY KEY(subscription_uuid, capability_key, day)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS env_cost_day(subscription_uuid TEXT NOT NULL,"
    " environment_id TEXT NOT NULL, capability_key TEXT NOT NULL, day TEXT NOT NULL,"
    " cost_micro INTEGER NOT NULL, currency TEXT, booking_date TEXT, cluster_id TEXT,"
    " capability_name TEXT, PRIMARY KEY(subscription_uuid, environment_id, capability_key, day)) "
    "WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS env_usage_day(subscription_uuid TEXT NOT NULL,"
    " environment_id TEXT NOT NULL, capability_key TEXT NOT NULL, day TEXT NOT NULL,"
    " value REAL NOT NULL, unit TEXT, cluster_id TEXT,"
    " PRIMARY KEY(subscription_uuid, environment_id, capability_key, day)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS forecast(account_uuid TEXT NOT NULL, created_at TEXT NOT NULL,"
    " median_micro INTEGER, lower_micro INTEGER, upper_micro INTEGER, budget_micro INTEGER,"
    " budget_pct REAL, budget_date TEXT, PRIMARY KEY(account_uuid, created_at)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS rate_card(account_uuid TEXT NOT NULL, quote_number TEXT NOT NULL,"
    " capability_key TEXT NOT NULL, start_time TEXT NOT NULL, end_time TEXT, capability_name TEXT,"
    " price TEXT, quoted_price TEXT, unit TEXT, currency TEXT, deployment_type TEXT,"
    " PRIMARY KEY(account_uuid, quote_number, capability_key, start_time)) WITHOUT ROWID;\n"
    /* Events have no id: seq numbers those of one type, environment,
     * capability and date (two budget monitors crossing on one day) in the
     * order of their content (sync.c, sync_account_extras), so the same
     * answer gives the same rows. */
    "CREATE TABLE IF NOT EXISTS cost_event(account_uuid TEXT NOT NULL, event_type TEXT NOT NULL,"
    " environment_id TEXT NOT NULL, capability TEXT NOT NULL, date TEXT NOT NULL,"
    " seq INTEGER NOT NULL, created_at TEXT, severity TEXT, message TEXT, notification_level TEXT,"
    " PRIMARY KEY(account_uuid, event_type, environment_id, capability, date, seq)) WITHOUT "
    "ROWID;\n"
    "CREATE TABLE IF NOT EXISTS cost_allocation(subscription_uuid TEXT NOT NULL,"
    " environment_id TEXT NOT NULL, field TEXT NOT NULL, alloc_key TEXT NOT NULL,"
    " capability_key TEXT NOT NULL, day TEXT NOT NULL, cost_micro INTEGER NOT NULL,"
    " PRIMARY KEY(subscription_uuid, environment_id, field, alloc_key, capability_key, day)) "
    "WITHOUT ROWID;\n"
    /* Each cost record's allocations in one lookup, in field and key order:
     * the FOCUS export joins them to its rows (export.c, SQL_FOCUS_ROWS).
     * Covering (cost_micro too), so the join reads each allocation from the
     * index alone, without a lookup in the table (5% less CPU for a FOCUS
     * export of a 120-day, 6-environment emulated account). */
    "CREATE INDEX IF NOT EXISTS cost_allocation_record ON cost_allocation(subscription_uuid,"
    " environment_id, capability_key, day, field, alloc_key, cost_micro);\n"
    "CREATE TABLE IF NOT EXISTS cost_allocation_value(account_uuid TEXT NOT NULL, field TEXT NOT "
    "NULL,"
    " alloc_key TEXT NOT NULL, first_seen_at TEXT, PRIMARY KEY(account_uuid, field, alloc_key)) "
    "WITHOUT ROWID;\n"
    /* Managed license exports (license.c): integers in fixed units, milli
     * host-unit hours, centi DEM units, micro DDUs; hour as YYYY-MM-DDTHH:00:00Z. */
    "CREATE TABLE IF NOT EXISTS lic_env_hour(cluster_uuid TEXT NOT NULL, environment_uuid TEXT NOT "
    "NULL,"
    " hour TEXT NOT NULL, fullstack_mhu INTEGER NOT NULL, infra_mhu INTEGER NOT NULL, paas_mhu "
    "INTEGER NOT NULL,"
    " hosts_fullstack INTEGER, hosts_infra INTEGER, hosts_paas INTEGER, hosts_idle INTEGER,"
    " dem_centi INTEGER NOT NULL, visits INTEGER, mobile_sessions INTEGER, replays INTEGER,"
    " mobile_replays INTEGER, properties INTEGER, synthetic_browser INTEGER, synthetic_http "
    "INTEGER,"
    " synthetic_other INTEGER, log_upload_bytes INTEGER, log_storage_bytes INTEGER, custom_metrics "
    "INTEGER,"
    " trial INTEGER, PRIMARY KEY(cluster_uuid, environment_uuid, hour)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS lic_ddu_hour(cluster_uuid TEXT NOT NULL, environment_uuid TEXT NOT "
    "NULL,"
    " hour TEXT NOT NULL, pool TEXT NOT NULL, ddu_micro INTEGER NOT NULL,"
    " PRIMARY KEY(cluster_uuid, environment_uuid, hour, pool)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS lic_host_hour(cluster_uuid TEXT NOT NULL, environment_uuid TEXT "
    "NOT NULL,"
    " hour TEXT NOT NULL, osi_id INTEGER NOT NULL, mode TEXT, memory_bytes INTEGER, active_ms "
    "INTEGER,"
    " mhu INTEGER, PRIMARY KEY(cluster_uuid, environment_uuid, hour, osi_id)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS lic_file(archive_sha256 TEXT NOT NULL, entry TEXT NOT NULL, "
    "archive TEXT,"
    " kind TEXT, size INTEGER, sha256 TEXT, imported_at TEXT, PRIMARY KEY(archive_sha256, entry)) "
    "WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS revision(id INTEGER PRIMARY KEY, run_id INTEGER, fact TEXT NOT "
    "NULL,"
    " key TEXT NOT NULL, old_value TEXT, new_value TEXT, booking TEXT, seen_at TEXT);\n"
    "CREATE INDEX IF NOT EXISTS revision_run ON revision(run_id, fact);\n"
    "CREATE TABLE IF NOT EXISTS sync_run(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL,"
    " finished_at TEXT, status TEXT NOT NULL, requests INTEGER, retries INTEGER, inserted INTEGER,"
    " updated INTEGER, restated_days INTEGER, warnings INTEGER, message TEXT, pid INTEGER, host "
    "TEXT, accounts TEXT);\n"
    "CREATE TABLE IF NOT EXISTS checkpoint(scope TEXT PRIMARY KEY, day TEXT NOT NULL);\n"
    /* Ranges of days read completely per series, merged: disjoint and not adjacent. */
    "CREATE TABLE IF NOT EXISTS coverage(scope TEXT NOT NULL, first_day TEXT NOT NULL,"
    " last_day TEXT NOT NULL, PRIMARY KEY(scope, first_day)) WITHOUT ROWID;\n";

/* cost_event gained seq (SQLite schema 3, PostgreSQL 4): the table from
 * before, renamed cost_event_old by the back-end's migration and made anew
 * by the schema, has its rows copied, each the first (seq 0) of its key, as
 * it was the only one; then it goes. */
const char dtc_store__event_seq_copy[] =
    "INSERT INTO cost_event(account_uuid, event_type, environment_id, capability, date, seq,"
    " created_at, severity, message, notification_level) SELECT account_uuid, event_type,"
    " environment_id, capability, date, 0, created_at, severity, message, notification_level"
    " FROM cost_event_old; DROP TABLE cost_event_old";

/* The delivery outbox (store_sqlite_outbox.c). */
const char dtc_store__outbox_schema[] =
    "CREATE TABLE IF NOT EXISTS outbox_batch(id INTEGER PRIMARY KEY, dest TEXT NOT NULL,"
    " batch_key TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, state TEXT NOT NULL,"
    " records INTEGER NOT NULL, bytes INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " last_status INTEGER, last_error TEXT, last_attempt_at TEXT, delivered_at TEXT);\n"
    "CREATE INDEX IF NOT EXISTS outbox_batch_dest ON outbox_batch(dest, state, id);\n"
    "CREATE TABLE IF NOT EXISTS outbox_record(batch_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " record_key TEXT NOT NULL, version INTEGER NOT NULL, idem_key TEXT NOT NULL, body TEXT,"
    " PRIMARY KEY(batch_id, seq)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS push_record(dest TEXT NOT NULL, record_key TEXT NOT NULL,"
    " fingerprint TEXT NOT NULL, version INTEGER NOT NULL, batch_id INTEGER,"
    " PRIMARY KEY(dest, record_key)) WITHOUT ROWID;\n";

/* Views with stable names for BI tools, the same on every back-end
 * (docs/postgres.md documents each column). Money in integer micro-units,
 * with a decimal next to it; days 'YYYY-MM-DD'. */
const dtc_store_view dtc_store__views[] = {
    {"daily_cost_by_subscription",
     "SELECT c.subscription_uuid, s.account_uuid, s.name AS subscription_name, c.day, c.currency,"
     " c.cost_micro, c.cost_micro / 1000000.0 AS cost"
     " FROM cost_day c LEFT JOIN subscription s ON s.uuid = c.subscription_uuid"},
    {"daily_cost_by_environment",
     "SELECT e.subscription_uuid, e.environment_id, MAX(n.name) AS environment_name, e.day, "
     "e.currency,"
     " SUM(e.cost_micro) AS cost_micro, SUM(e.cost_micro) / 1000000.0 AS cost"
     " FROM env_cost_day e LEFT JOIN subscription s ON s.uuid = e.subscription_uuid"
     " LEFT JOIN environment n ON n.account_uuid = s.account_uuid AND n.environment_id = "
     "e.environment_id"
     " GROUP BY e.subscription_uuid, e.environment_id, e.day, e.currency"},
    {"daily_cost_by_capability",
     "SELECT subscription_uuid, capability_key, MAX(capability_name) AS capability_name, day, "
     "currency,"
     " SUM(cost_micro) AS cost_micro, SUM(cost_micro) / 1000000.0 AS cost"
     " FROM env_cost_day GROUP BY subscription_uuid, capability_key, day, currency"},
    {"chargeback_daily",
     "SELECT a.subscription_uuid, a.field, a.alloc_key, a.day, s.currency,"
     " SUM(a.cost_micro) AS cost_micro, SUM(a.cost_micro) / 1000000.0 AS cost"
     " FROM cost_allocation a LEFT JOIN subscription s ON s.uuid = a.subscription_uuid"
     " GROUP BY a.subscription_uuid, a.field, a.alloc_key, a.day, s.currency"},
    {"budget_status",
     "SELECT uuid AS subscription_uuid, account_uuid, name AS subscription_name, status, currency,"
     " period_start, period_end, days_remaining, budget_total_micro, budget_used_micro,"
     " budget_total_micro - budget_used_micro AS budget_remaining_micro,"
     " CASE WHEN budget_total_micro > 0 THEN 100.0 * budget_used_micro / budget_total_micro END AS "
     "used_pct"
     " FROM subscription"},
    {"license_units_daily",
     "SELECT h.cluster_uuid, h.environment_uuid, h.day, h.fullstack_mhu, h.infra_mhu, h.paas_mhu, "
     "h.dem_centi,"
     " COALESCE(d.ddu_micro, 0) AS ddu_micro"
     " FROM (SELECT cluster_uuid, environment_uuid, substr(hour, 1, 10) AS day, SUM(fullstack_mhu) "
     "AS fullstack_mhu,"
     "   SUM(infra_mhu) AS infra_mhu, SUM(paas_mhu) AS paas_mhu, SUM(dem_centi) AS dem_centi FROM "
     "lic_env_hour"
     "   GROUP BY cluster_uuid, environment_uuid, substr(hour, 1, 10)) h"
     " LEFT JOIN (SELECT cluster_uuid, environment_uuid, substr(hour, 1, 10) AS day, "
     "SUM(ddu_micro) AS ddu_micro"
     "   FROM lic_ddu_hour GROUP BY cluster_uuid, environment_uuid, substr(hour, 1, 10)) d"
     " ON d.cluster_uuid = h.cluster_uuid AND d.environment_uuid = h.environment_uuid AND d.day = "
     "h.day"},
};
const int dtc_store__nviews = sizeof(dtc_store__views) / sizeof(dtc_store__views[0]);
