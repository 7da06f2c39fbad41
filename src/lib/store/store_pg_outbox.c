/* store_pg_outbox.c: the PostgreSQL side of delivery, with the semantics of
 * store_sqlite_outbox.c: which cost records changed since they were last
 * enqueued for a destination (push_record), the durable outbox
 * (outbox_batch, outbox_record). An operation of several statements runs in
 * the caller's transaction or one of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "store_pg.h"

/* A text column, NULL for SQL NULL (as sqlite3_column_text). */
static const char *txt(const PGresult *r, int row, int c)
{
    return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

static int64_t num(const PGresult *r, int row, int c)
{
    return PQgetisnull(r, row, c) ? 0 : strtoll(PQgetvalue(r, row, c), NULL, 10);
}

/* ---- change scan ---- */

/* Daily totals; the fingerprint is what a receiver sees change. */
static const char changes_cost_sql[] =
    "SELECT 'cost_day/' || c.subscription_uuid || '/' || c.day, c.cost_micro || '|' || "
    "COALESCE(c.currency,''),"
    " COALESCE(p.version, 0) + 1, c.subscription_uuid, s.account_uuid, c.day, c.currency, "
    "c.last_booking,"
    " c.cost_micro"
    " FROM cost_day c LEFT JOIN subscription s ON s.uuid = c.subscription_uuid"
    " LEFT JOIN push_record p ON p.dest = $1 AND p.record_key = 'cost_day/' || c.subscription_uuid "
    "|| '/' || c.day"
    " WHERE c.day >= $2 AND (p.record_key IS NULL OR"
    "  p.fingerprint <> c.cost_micro || '|' || COALESCE(c.currency,''))"
    " ORDER BY c.day, c.subscription_uuid LIMIT $3";

/* Per environment and capability, with the day's usage when synced. */
static const char changes_env_sql[] =
    "SELECT 'env_cost_day/' || e.subscription_uuid || '/' || e.environment_id || '/' || "
    "e.capability_key"
    "  || '/' || e.day,"
    " e.cost_micro || '|' || COALESCE(e.currency,'') || '|' || COALESCE(u.value::text,''),"
    " COALESCE(p.version, 0) + 1, e.subscription_uuid, s.account_uuid, e.day, e.currency, "
    "e.booking_date,"
    " e.cost_micro, e.environment_id, v.name, e.capability_key, e.capability_name, u.value, u.unit"
    " FROM env_cost_day e"
    " LEFT JOIN env_usage_day u ON u.subscription_uuid = e.subscription_uuid"
    "  AND u.environment_id = e.environment_id AND u.capability_key = e.capability_key AND u.day = "
    "e.day"
    " LEFT JOIN subscription s ON s.uuid = e.subscription_uuid"
    " LEFT JOIN environment v ON v.account_uuid = s.account_uuid AND v.environment_id = "
    "e.environment_id"
    " LEFT JOIN push_record p ON p.dest = $1 AND p.record_key = 'env_cost_day/' || "
    "e.subscription_uuid"
    "  || '/' || e.environment_id || '/' || e.capability_key || '/' || e.day"
    " WHERE e.day >= $2 AND (p.record_key IS NULL OR p.fingerprint <>"
    "  e.cost_micro || '|' || COALESCE(e.currency,'') || '|' || COALESCE(u.value::text,''))"
    " ORDER BY e.day, e.subscription_uuid, e.environment_id, e.capability_key LIMIT $3";

static int scan(dtc_store *s, long *count, bool env, const char *dest, const char *since,
                long limit, int (*fn)(void *, const dtc_push_rec *), void *ctx)
{
    PGresult *r = NULL;
    dtc_val v[] = {DTC_TEXT(dest), DTC_TEXT(since ? since : ""), DTC_INT(limit)};
    int rc =
        dtc_store__pg_exec(s, env ? changes_env_sql : changes_cost_sql, v, 3, "change scan", &r);
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        dtc_push_rec x;
        memset(&x, 0, sizeof(x));
        x.kind = env ? "env_cost_day" : "cost_day";
        x.key = txt(r, i, 0);
        x.fingerprint = txt(r, i, 1);
        x.version = num(r, i, 2);
        x.subscription = txt(r, i, 3);
        x.account = txt(r, i, 4);
        x.day = txt(r, i, 5);
        x.currency = txt(r, i, 6);
        x.booking = txt(r, i, 7);
        x.cost_micro = num(r, i, 8);
        if (env) {
            x.environment = txt(r, i, 9);
            x.environment_name = txt(r, i, 10);
            x.capability = txt(r, i, 11);
            x.capability_name = txt(r, i, 12);
            x.has_usage = !PQgetisnull(r, i, 13);
            x.usage = x.has_usage ? strtod(PQgetvalue(r, i, 13), NULL) : 0;
            x.unit = txt(r, i, 14);
        }
        (*count)++;
        rc = fn(ctx, &x);
    }
    PQclear(r);
    return rc;
}

/* ---- outbox ---- */

/* One item: its record and the destination's push_record in one statement. */
static int add_item(dtc_store *s, const char *dest, int64_t batch_id, size_t seq,
                    const dtc_outbox_item *it)
{
    if (memchr(it->body, '\0', it->len)) {
        snprintf(s->err, sizeof(s->err), "outbox record %.200s: its body holds a NUL byte",
                 it->record_key);
        return DTC_EINVAL;
    }
    char *body = dtc_malloc(it->len + 1);
    if (!body) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        return DTC_ENOMEM;
    }
    memcpy(body, it->body, it->len);
    body[it->len] = '\0';
    dtc_val v[] = {DTC_INT(batch_id),    DTC_INT((int64_t)seq),    DTC_TEXT(it->record_key),
                   DTC_INT(it->version), DTC_TEXT(it->idem_key),   DTC_TEXT(body),
                   DTC_TEXT(dest),       DTC_TEXT(it->fingerprint)};
    int rc = dtc_store__pg_exec(
        s,
        "WITH r AS (INSERT INTO outbox_record(batch_id,seq,record_key,version,idem_key,"
        "body) VALUES($1,$2,$3,$4,$5,$6))"
        " INSERT INTO push_record(dest,record_key,fingerprint,version,batch_id)"
        " VALUES($7,$3,$8,$4,$1) ON CONFLICT(dest,record_key) DO UPDATE SET"
        " fingerprint=excluded.fingerprint, version=excluded.version,"
        " batch_id=excluded.batch_id",
        v, 8, "outbox_record", NULL);
    dtc_free(body);
    return rc;
}

static int pg_outbox_add(dtc_store *s, int64_t *batch_id, const char *dest, const char *batch_key,
                         const char *created_at, const dtc_outbox_item *items, size_t n)
{
    PGresult *r = NULL;
    int64_t bytes = 0;
    bool own = false;
    for (size_t i = 0; i < n; i++)
        bytes += (int64_t)items[i].len;
    dtc_val v[] = {DTC_TEXT(dest), DTC_TEXT(batch_key), DTC_TEXT(created_at), DTC_INT((int64_t)n),
                   DTC_INT(bytes)};
    int rc = dtc_store__pg_own_begin(s, &own);
    if (rc || (rc = dtc_store__pg_exec(
                   s,
                   "INSERT INTO outbox_batch(dest,batch_key,created_at,state,records,bytes)"
                   " VALUES($1,$2,$3,'pending',$4,$5) RETURNING id",
                   v, 5, "outbox_batch", &r)))
        goto done;
    *batch_id = num(r, 0, 0);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_item(s, dest, *batch_id, i, &items[i]);
done:
    PQclear(r);
    return dtc_store__pg_own_end(s, own, rc);
}

static int pg_outbox_next(dtc_store *s, dtc_outbox_batch *out, int *found, const char *dest,
                          int64_t after_id)
{
    PGresult *r = NULL;
    dtc_val v[] = {DTC_TEXT(dest), DTC_INT(after_id)};
    int rc = dtc_store__pg_exec(s,
                                "SELECT id,batch_key,state,records,bytes,attempts FROM outbox_batch"
                                " WHERE dest=$1 AND state='pending' AND id>$2 ORDER BY id LIMIT 1",
                                v, 2, "outbox_batch", &r);
    if (rc == 0 && PQntuples(r) == 1) {
        memset(out, 0, sizeof(*out));
        out->id = num(r, 0, 0);
        snprintf(out->key, sizeof(out->key), "%s", PQgetvalue(r, 0, 1));
        snprintf(out->state, sizeof(out->state), "%s", PQgetvalue(r, 0, 2));
        out->records = (long)num(r, 0, 3);
        out->bytes = num(r, 0, 4);
        out->attempts = (int)num(r, 0, 5);
        *found = 1;
    }
    PQclear(r);
    return rc;
}

static int pg_outbox_items(dtc_store *s, int64_t batch_id,
                           int (*fn)(void *, const dtc_outbox_item *), void *ctx)
{
    PGresult *r = NULL;
    dtc_val v[] = {DTC_INT(batch_id)};
    int rc = dtc_store__pg_exec(
        s,
        "SELECT r.record_key, p.fingerprint, r.idem_key, r.version, r.body"
        " FROM outbox_record r JOIN outbox_batch b ON b.id = r.batch_id"
        " LEFT JOIN push_record p ON p.dest = b.dest AND p.record_key = r.record_key"
        " WHERE r.batch_id=$1 ORDER BY r.seq",
        v, 1, "outbox_record", &r);
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        dtc_outbox_item it = {txt(r, i, 0), txt(r, i, 1), txt(r, i, 2),
                              num(r, i, 3), txt(r, i, 4), (size_t)PQgetlength(r, i, 4)};
        if (!it.body) {
            snprintf(s->err, sizeof(s->err),
                     "outbox batch %lld has no bodies left (already delivered)",
                     (long long)batch_id);
            rc = DTC_EDB;
            break;
        }
        rc = fn(ctx, &it);
    }
    PQclear(r);
    return rc;
}

static int pg_outbox_mark(dtc_store *s, int64_t batch_id, const char *state, int attempts,
                          long status, const char *error, const char *at)
{
    bool own = false;
    dtc_val v[] = {DTC_INT(batch_id), DTC_TEXT(state),
                   DTC_INT(attempts), status ? DTC_INT(status) : DTC_NULL,
                   DTC_TEXT(error),   DTC_TEXT(at)};
    int rc = dtc_store__pg_own_begin(s, &own);
    if (rc == 0)
        rc = dtc_store__pg_exec(
            s,
            "UPDATE outbox_batch SET state=$2, attempts=$3, last_status=$4, last_error=$5,"
            " last_attempt_at=$6, delivered_at=CASE WHEN $2='delivered' THEN $6 END"
            " WHERE id=$1",
            v, 6, "outbox_batch", NULL);
    /* Delivered: the bodies have done their job; keys and versions stay. */
    if (rc == 0 && strcmp(state, "delivered") == 0)
        rc = dtc_store__pg_exec(s, "UPDATE outbox_record SET body=NULL WHERE batch_id=$1", v, 1,
                                "outbox_record", NULL);
    return dtc_store__pg_own_end(s, own, rc);
}

/* The items of old with seq below half ("<") or from half (">=") become a
 * new pending batch keyed key, renumbered from 0. */
static int new_half(dtc_store *s, int64_t old, const char *key, const char *created_at,
                    const char *range, int64_t half, int64_t *id)
{
    char sql[600];
    PGresult *r = NULL;
    snprintf(
        sql, sizeof(sql),
        "INSERT INTO outbox_batch(dest,batch_key,created_at,state,records,bytes)"
        " SELECT b.dest, $2, $3, 'pending', COUNT(*), COALESCE(SUM(octet_length(r.body)), 0)"
        " FROM outbox_batch b JOIN outbox_record r ON r.batch_id=b.id WHERE b.id=$1 AND r.seq %s $4"
        " GROUP BY b.dest RETURNING id",
        range);
    dtc_val v[] = {DTC_INT(old), DTC_TEXT(key), DTC_TEXT(created_at), DTC_INT(half)};
    int rc = dtc_store__pg_exec(s, sql, v, 4, "outbox_batch", &r);
    if (rc == 0) *id = num(r, 0, 0);
    PQclear(r);
    if (rc) return rc;
    snprintf(sql, sizeof(sql),
             "UPDATE outbox_record SET batch_id=$2, seq=seq-$4 WHERE batch_id=$1 AND seq %s $3",
             range);
    dtc_val w[] = {DTC_INT(old), DTC_INT(*id), DTC_INT(half), DTC_INT(range[0] == '<' ? 0 : half)};
    return dtc_store__pg_exec(s, sql, w, 4, "outbox_record", NULL);
}

static int pg_outbox_split(dtc_store *s, int64_t *a, int64_t *b, int64_t batch_id,
                           const char *key_a, const char *key_b, const char *created_at)
{
    PGresult *r = NULL;
    bool own = false;
    dtc_val v[] = {DTC_INT(batch_id), DTC_TEXT(created_at)};
    int rc = dtc_store__pg_own_begin(s, &own);
    if (rc || (rc = dtc_store__pg_exec(s, "SELECT COUNT(*) FROM outbox_record WHERE batch_id=$1", v,
                                       1, "outbox split: counting the batch's records", &r)))
        goto done;
    int64_t n = num(r, 0, 0);
    if (n < 2) {
        snprintf(s->err, sizeof(s->err), "outbox batch %lld has %lld record(s) and cannot be split",
                 (long long)batch_id, (long long)n);
        rc = DTC_EINVAL;
        goto done;
    }
    int64_t half = n / 2;
    if ((rc = new_half(s, batch_id, key_a, created_at, "<", half, a)) == 0 &&
        (rc = new_half(s, batch_id, key_b, created_at, ">=", half, b)) == 0)
        rc = dtc_store__pg_exec(
            s, "UPDATE outbox_batch SET state='split', last_attempt_at=$2 WHERE id=$1", v, 2,
            "outbox_batch", NULL);
done:
    PQclear(r);
    return dtc_store__pg_own_end(s, own, rc);
}

static int pg_outbox_retry_dead(dtc_store *s, long *n, const char *dest)
{
    PGresult *r = NULL;
    dtc_val v[] = {DTC_TEXT(dest)};
    int rc =
        dtc_store__pg_exec(s,
                           "UPDATE outbox_batch SET state='pending', attempts=0 WHERE dest=$1 AND"
                           " state='dead'",
                           v, 1, "outbox_batch", &r);
    if (rc == 0) *n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return rc;
}

static int pg_outbox_backlog(dtc_store *s,
                             int (*fn)(void *, const char *, const char *, long, long), void *ctx)
{
    PGresult *r = NULL;
    int rc = dtc_store__pg_exec(
        s,
        "SELECT dest, state, COUNT(*), SUM(records) FROM outbox_batch"
        " WHERE state IN ('pending','dead') GROUP BY dest, state ORDER BY dest, state",
        NULL, 0, "outbox backlog", &r);
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        rc = fn(ctx, txt(r, i, 0), txt(r, i, 1), (long)num(r, i, 2), (long)num(r, i, 3));
    PQclear(r);
    return rc;
}

/* As on SQLite, rows `to` already has win. (The old key's rows leave dead
 * tuples behind until VACUUM reclaims them: PostgreSQL has no secure_delete.) */
static int pg_outbox_rename(dtc_store *s, long *n, const char *from, const char *to)
{
    PGresult *r = NULL;
    bool own = false;
    dtc_val v[] = {DTC_TEXT(from), DTC_TEXT(to)};
    int rc = dtc_store__pg_own_begin(s, &own);
    if (rc || (rc = dtc_store__pg_exec(s, "UPDATE outbox_batch SET dest=$2 WHERE dest=$1", v, 2,
                                       "outbox_batch", &r)))
        goto done;
    *n = strtol(PQcmdTuples(r), NULL, 10);
    if ((rc = dtc_store__pg_exec(
             s,
             "UPDATE push_record p SET dest=$2 WHERE p.dest=$1 AND NOT EXISTS"
             " (SELECT 1 FROM push_record q WHERE q.dest=$2 AND q.record_key=p.record_key)",
             v, 2, "push_record", NULL)) == 0)
        rc = dtc_store__pg_exec(s, "DELETE FROM push_record WHERE dest=$1", v, 1, "push_record",
                                NULL);
done:
    PQclear(r);
    return dtc_store__pg_own_end(s, own, rc);
}

const dtc_store_push_ops dtc_store__pg_push = {
    .scan = scan,
    .outbox_add = pg_outbox_add,
    .outbox_next = pg_outbox_next,
    .outbox_items = pg_outbox_items,
    .outbox_mark = pg_outbox_mark,
    .outbox_split = pg_outbox_split,
    .outbox_retry_dead = pg_outbox_retry_dead,
    .outbox_backlog = pg_outbox_backlog,
    .outbox_rename = pg_outbox_rename,
};
