/* store_sqlite_outbox.c: the SQLite side of delivery: which cost records
 * changed since they were last enqueued for a destination (push_record), the
 * durable outbox (outbox_batch, outbox_record). Statements are prepared per
 * call: pushes are few and large. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"

static int fail(dtc_store *s, const char *what)
{
    snprintf(s->err, sizeof(s->err), "database: %s: %s", what,
             sqlite3_errmsg(dtc_store__sqlite_db(s)));
    return DTC_EDB;
}

static int prepare(dtc_store *s, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(dtc_store__sqlite_db(s), sql, -1, st, NULL) != SQLITE_OK)
        return fail(s, "prepare");
    return 0;
}

static const char *col_text(sqlite3_stmt *st, int c)
{
    return (const char *)sqlite3_column_text(st, c);
}

/* ---- change scan ---- */

/* Daily totals; the fingerprint is what a receiver sees change. */
static const char changes_cost_sql[] =
    "SELECT 'cost_day/' || c.subscription_uuid || '/' || c.day, c.cost_micro || '|' || "
    "ifnull(c.currency,''),"
    " ifnull(p.version, 0) + 1, c.subscription_uuid, s.account_uuid, c.day, c.currency, "
    "c.last_booking,"
    " c.cost_micro"
    " FROM cost_day c LEFT JOIN subscription s ON s.uuid = c.subscription_uuid"
    " LEFT JOIN push_record p ON p.dest = ?1 AND p.record_key = 'cost_day/' || c.subscription_uuid "
    "|| '/' || c.day"
    " WHERE c.day >= ?2 AND (p.record_key IS NULL OR"
    "  p.fingerprint <> c.cost_micro || '|' || ifnull(c.currency,''))"
    " ORDER BY c.day, c.subscription_uuid LIMIT ?3";

/* Per environment and capability, with the day's usage when synced. */
static const char changes_env_sql[] =
    "SELECT 'env_cost_day/' || e.subscription_uuid || '/' || e.environment_id || '/' || "
    "e.capability_key"
    "  || '/' || e.day,"
    " e.cost_micro || '|' || ifnull(e.currency,'') || '|' || ifnull(u.value,''),"
    " ifnull(p.version, 0) + 1, e.subscription_uuid, s.account_uuid, e.day, e.currency, "
    "e.booking_date,"
    " e.cost_micro, e.environment_id, v.name, e.capability_key, e.capability_name, u.value, u.unit"
    " FROM env_cost_day e"
    " LEFT JOIN env_usage_day u ON u.subscription_uuid = e.subscription_uuid"
    "  AND u.environment_id = e.environment_id AND u.capability_key = e.capability_key AND u.day = "
    "e.day"
    " LEFT JOIN subscription s ON s.uuid = e.subscription_uuid"
    " LEFT JOIN environment v ON v.account_uuid = s.account_uuid AND v.environment_id = "
    "e.environment_id"
    " LEFT JOIN push_record p ON p.dest = ?1 AND p.record_key = 'env_cost_day/' || "
    "e.subscription_uuid"
    "  || '/' || e.environment_id || '/' || e.capability_key || '/' || e.day"
    " WHERE e.day >= ?2 AND (p.record_key IS NULL OR p.fingerprint <>"
    "  e.cost_micro || '|' || ifnull(e.currency,'') || '|' || ifnull(u.value,''))"
    " ORDER BY e.day, e.subscription_uuid, e.environment_id, e.capability_key LIMIT ?3";

static int scan(dtc_store *s, long *count, bool env, const char *dest, const char *since,
                long limit, int (*fn)(void *, const dtc_push_rec *), void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, env ? changes_env_sql : changes_cost_sql, &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, since ? since : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, limit);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        dtc_push_rec r;
        memset(&r, 0, sizeof(r));
        r.kind = env ? "env_cost_day" : "cost_day";
        r.key = col_text(st, 0);
        r.fingerprint = col_text(st, 1);
        r.version = sqlite3_column_int64(st, 2);
        r.subscription = col_text(st, 3);
        r.account = col_text(st, 4);
        r.day = col_text(st, 5);
        r.currency = col_text(st, 6);
        r.booking = col_text(st, 7);
        r.cost_micro = sqlite3_column_int64(st, 8);
        if (env) {
            r.environment = col_text(st, 9);
            r.environment_name = col_text(st, 10);
            r.capability = col_text(st, 11);
            r.capability_name = col_text(st, 12);
            r.has_usage = sqlite3_column_type(st, 13) != SQLITE_NULL;
            r.usage = sqlite3_column_double(st, 13);
            r.unit = col_text(st, 14);
        }
        (*count)++;
        if ((rc = fn(ctx, &r)) != 0) break;
    }
    if (rc == 0 && step != SQLITE_DONE) rc = fail(s, "change scan");
    sqlite3_finalize(st);
    return rc;
}

/* ---- outbox ---- */

static int sq_outbox_add(dtc_store *s, int64_t *batch_id, const char *dest, const char *batch_key,
                         const char *created_at, const dtc_outbox_item *items, size_t n)
{
    sqlite3_stmt *b = NULL, *r = NULL, *p = NULL;
    int64_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += (int64_t)items[i].len;
    int rc = prepare(s,
                     "INSERT INTO outbox_batch(dest,batch_key,created_at,state,records,bytes)"
                     " VALUES(?1,?2,?3,'pending',?4,?5)",
                     &b);
    if (rc ||
        (rc = prepare(s,
                      "INSERT INTO outbox_record(batch_id,seq,record_key,version,idem_key,body)"
                      " VALUES(?1,?2,?3,?4,?5,?6)",
                      &r)) ||
        (rc = prepare(s,
                      "INSERT INTO push_record(dest,record_key,fingerprint,version,batch_id)"
                      " VALUES(?1,?2,?3,?4,?5) ON CONFLICT(dest,record_key) DO UPDATE SET"
                      " fingerprint=excluded.fingerprint, version=excluded.version,"
                      " batch_id=excluded.batch_id",
                      &p)))
        goto done;
    sqlite3_bind_text(b, 1, dest, -1, SQLITE_STATIC);
    sqlite3_bind_text(b, 2, batch_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(b, 3, created_at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(b, 4, (int64_t)n);
    sqlite3_bind_int64(b, 5, bytes);
    if (sqlite3_step(b) != SQLITE_DONE) {
        rc = fail(s, "outbox_batch");
        goto done;
    }
    *batch_id = sqlite3_last_insert_rowid(dtc_store__sqlite_db(s));
    for (size_t i = 0; i < n; i++) {
        const dtc_outbox_item *it = &items[i];
        sqlite3_reset(r);
        sqlite3_bind_int64(r, 1, *batch_id);
        sqlite3_bind_int64(r, 2, (int64_t)i);
        sqlite3_bind_text(r, 3, it->record_key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(r, 4, it->version);
        sqlite3_bind_text(r, 5, it->idem_key, -1, SQLITE_STATIC);
        sqlite3_bind_text(r, 6, it->body, (int)it->len, SQLITE_STATIC);
        if (sqlite3_step(r) != SQLITE_DONE) {
            rc = fail(s, "outbox_record");
            goto done;
        }
        sqlite3_reset(p);
        sqlite3_bind_text(p, 1, dest, -1, SQLITE_STATIC);
        sqlite3_bind_text(p, 2, it->record_key, -1, SQLITE_STATIC);
        sqlite3_bind_text(p, 3, it->fingerprint, -1, SQLITE_STATIC);
        sqlite3_bind_int64(p, 4, it->version);
        sqlite3_bind_int64(p, 5, *batch_id);
        if (sqlite3_step(p) != SQLITE_DONE) {
            rc = fail(s, "push_record");
            goto done;
        }
    }
done:
    sqlite3_finalize(b);
    sqlite3_finalize(r);
    sqlite3_finalize(p);
    return rc;
}

static void read_batch(sqlite3_stmt *st, dtc_outbox_batch *out)
{
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    snprintf(out->key, sizeof(out->key), "%s", col_text(st, 1) ? col_text(st, 1) : "");
    snprintf(out->state, sizeof(out->state), "%s", col_text(st, 2) ? col_text(st, 2) : "");
    out->records = (long)sqlite3_column_int64(st, 3);
    out->bytes = sqlite3_column_int64(st, 4);
    out->attempts = sqlite3_column_int(st, 5);
}

static int sq_outbox_next(dtc_store *s, dtc_outbox_batch *out, int *found, const char *dest,
                          int64_t after_id)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s,
                     "SELECT id,batch_key,state,records,bytes,attempts FROM outbox_batch"
                     " WHERE dest=?1 AND state='pending' AND id>?2 ORDER BY id LIMIT 1",
                     &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, after_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        read_batch(st, out);
        *found = 1;
    } else if (step != SQLITE_DONE) {
        rc = fail(s, "outbox_batch");
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_outbox_items(dtc_store *s, int64_t batch_id,
                           int (*fn)(void *, const dtc_outbox_item *), void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(
        s,
        "SELECT r.record_key, p.fingerprint, r.idem_key, r.version, r.body FROM outbox_record r"
        " JOIN outbox_batch b ON b.id = r.batch_id"
        " LEFT JOIN push_record p ON p.dest = b.dest AND p.record_key = r.record_key"
        " WHERE r.batch_id=?1 ORDER BY r.seq",
        &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, batch_id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        dtc_outbox_item it = {col_text(st, 0), col_text(st, 1),
                              col_text(st, 2), sqlite3_column_int64(st, 3),
                              col_text(st, 4), (size_t)sqlite3_column_bytes(st, 4)};
        if (!it.body) {
            snprintf(s->err, sizeof(s->err),
                     "outbox batch %lld has no bodies left (already delivered)",
                     (long long)batch_id);
            rc = DTC_EDB;
            break;
        }
        if ((rc = fn(ctx, &it)) != 0) break;
    }
    if (rc == 0 && step != SQLITE_DONE) rc = fail(s, "outbox_record");
    sqlite3_finalize(st);
    return rc;
}

static int run1(dtc_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, what);
    sqlite3_finalize(st);
    return rc;
}

static int sq_outbox_mark(dtc_store *s, int64_t batch_id, const char *state, int attempts,
                          long status, const char *error, const char *at)
{
    sqlite3_stmt *st = NULL;
    bool delivered = strcmp(state, "delivered") == 0;
    int rc = prepare(
        s,
        "UPDATE outbox_batch SET state=?2, attempts=?3, last_status=?4, last_error=?5,"
        " last_attempt_at=?6, delivered_at=CASE WHEN ?2='delivered' THEN ?6 END WHERE id=?1",
        &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, batch_id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, attempts);
    if (status)
        sqlite3_bind_int64(st, 4, status);
    else
        sqlite3_bind_null(st, 4);
    if (error)
        sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_text(st, 6, at, -1, SQLITE_STATIC);
    if ((rc = run1(s, st, "outbox_batch")) != 0 || !delivered) return rc;
    /* Delivered: the bodies have done their job; keys and versions stay. */
    if ((rc = prepare(s, "UPDATE outbox_record SET body=NULL WHERE batch_id=?1", &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, batch_id);
    return run1(s, st, "outbox_record");
}

static int new_half(dtc_store *s, int64_t old, const char *key, const char *created_at,
                    const char *range, int64_t half, int64_t *id)
{
    char sql[512];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof(sql),
             "INSERT INTO outbox_batch(dest,batch_key,created_at,state,records,bytes)"
             " SELECT b.dest, ?2, ?3, 'pending', COUNT(*), SUM(length(CAST(r.body AS BLOB)))"
             " FROM outbox_batch b JOIN outbox_record r ON r.batch_id=b.id WHERE b.id=?1 AND r.seq "
             "%s ?4",
             range);
    int rc = prepare(s, sql, &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, old);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, created_at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, half);
    if ((rc = run1(s, st, "outbox_batch")) != 0) return rc;
    *id = sqlite3_last_insert_rowid(dtc_store__sqlite_db(s));
    snprintf(sql, sizeof(sql),
             "UPDATE outbox_record SET batch_id=?2, seq=seq-?4 WHERE batch_id=?1 AND seq %s ?3",
             range);
    if ((rc = prepare(s, sql, &st)) != 0) return rc;
    sqlite3_bind_int64(st, 1, old);
    sqlite3_bind_int64(st, 2, *id);
    sqlite3_bind_int64(st, 3, half);
    sqlite3_bind_int64(st, 4, range[0] == '<' ? 0 : half);
    return run1(s, st, "outbox_record");
}

static int sq_outbox_split(dtc_store *s, int64_t *a, int64_t *b, int64_t batch_id,
                           const char *key_a, const char *key_b, const char *created_at)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, "SELECT COUNT(*) FROM outbox_record WHERE batch_id=?1", &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, batch_id);
    if (sqlite3_step(st) != SQLITE_ROW) { /* a failed count is not "0 records" */
        rc = fail(s, "outbox split: counting the batch's records");
        sqlite3_finalize(st);
        return rc;
    }
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (n < 2) {
        snprintf(s->err, sizeof(s->err), "outbox batch %lld has %lld record(s) and cannot be split",
                 (long long)batch_id, (long long)n);
        return DTC_EINVAL;
    }
    int64_t half = n / 2;
    if ((rc = new_half(s, batch_id, key_a, created_at, "<", half, a)) != 0 ||
        (rc = new_half(s, batch_id, key_b, created_at, ">=", half, b)) != 0)
        return rc;
    if ((rc = prepare(s, "UPDATE outbox_batch SET state='split', last_attempt_at=?2 WHERE id=?1",
                      &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, batch_id);
    sqlite3_bind_text(st, 2, created_at, -1, SQLITE_STATIC);
    return run1(s, st, "outbox_batch");
}

static int sq_outbox_retry_dead(dtc_store *s, long *n, const char *dest)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(
        s, "UPDATE outbox_batch SET state='pending', attempts=0 WHERE dest=?1 AND state='dead'",
        &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
    if ((rc = run1(s, st, "outbox_batch")) == 0) *n = sqlite3_changes(dtc_store__sqlite_db(s));
    return rc;
}

static int sq_outbox_backlog(dtc_store *s,
                             int (*fn)(void *, const char *, const char *, long, long), void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s,
                     "SELECT dest, state, COUNT(*), SUM(records) FROM outbox_batch"
                     " WHERE state IN ('pending','dead') GROUP BY dest, state ORDER BY dest, state",
                     &st);
    if (rc) return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = fn(ctx, col_text(st, 0), col_text(st, 1), (long)sqlite3_column_int64(st, 2),
                     (long)sqlite3_column_int64(st, 3))) != 0)
            break;
    if (rc == 0 && step != SQLITE_DONE) rc = fail(s, "outbox backlog");
    sqlite3_finalize(st);
    return rc;
}

static int rename_dest(dtc_store *s, const char *from, const char *to, long *n)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, "UPDATE outbox_batch SET dest=?2 WHERE dest=?1", &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    if ((rc = run1(s, st, "outbox_batch")) != 0) return rc;
    *n = sqlite3_changes(dtc_store__sqlite_db(s));
    if ((rc = prepare(s, "UPDATE OR IGNORE push_record SET dest=?2 WHERE dest=?1", &st)) != 0)
        return rc;
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    if ((rc = run1(s, st, "push_record")) != 0) return rc;
    if ((rc = prepare(s, "DELETE FROM push_record WHERE dest=?1", &st)) != 0) return rc;
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    return run1(s, st, "push_record");
}

/* The old key may hold a token: with secure_delete the pages it leaves are
 * zeroed, not just freed. */
static int sq_outbox_rename(dtc_store *s, long *n, const char *from, const char *to)
{
    sqlite3 *db = dtc_store__sqlite_db(s);
    (void)sqlite3_exec(db, "PRAGMA secure_delete=ON", NULL, NULL, NULL);
    int rc = rename_dest(s, from, to, n);
    (void)sqlite3_exec(db, "PRAGMA secure_delete=OFF", NULL, NULL, NULL);
    return rc;
}

const dtc_store_push_ops dtc_store__sqlite_push = {
    .scan = scan,
    .outbox_add = sq_outbox_add,
    .outbox_next = sq_outbox_next,
    .outbox_items = sq_outbox_items,
    .outbox_mark = sq_outbox_mark,
    .outbox_split = sq_outbox_split,
    .outbox_retry_dead = sq_outbox_retry_dead,
    .outbox_backlog = sq_outbox_backlog,
    .outbox_rename = sq_outbox_rename,
};
