/* store_sqlite.c: the SQLite back-end of the storage interface. WAL mode, so
 * readers (reports, exports) never block a running sync; statements are
 * prepared once per fact; every upsert reads the old row first so a changed
 * measured value can be logged in the revision table. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "store_impl.h"
#include "store_sqlite.h"
#include "timeutil.h"

#define SCHEMA_VERSION 3

typedef struct sq {
    sqlite3 *db;
    sqlite3_stmt *sel[DTC_FACT_COUNT], *ins[DTC_FACT_COUNT], *upd[DTC_FACT_COUNT],
        *prune[DTC_FACT_COUNT];
    sqlite3_stmt *rev;
    sqlite3_stmt *cov_near, *cov_del, *cov_ins, *cov_all; /* sq_coverage_add, sq_coverage_get */
    sqlite3_stmt *write;                                  /* sq_write's last statement */
    long inserted; /* rows this connection added: statistics are refreshed at close */
} sq;

/* The recorded ranges of scope ?1 that overlap or touch the days [?2, ?3] (the
 * new range widened by a day each side). Recorded ranges are disjoint, so of
 * those starting at or before ?2 only the last can reach it: two index seeks,
 * however many ranges the scope has. */
#define COVERAGE_NEAR                                                                              \
    " FROM coverage WHERE scope=?1 AND first_day <= ?3 AND last_day >= ?2 AND first_day >="        \
    " coalesce((SELECT max(first_day) FROM coverage WHERE scope=?1 AND first_day <= ?2), '')"

static int fail(dtc_store *s, const char *what)
{
    sq *q = s->impl;
    snprintf(s->err, sizeof(s->err), "database: %s: %s", what,
             q && q->db ? sqlite3_errmsg(q->db) : "");
    return DTC_EDB;
}

static int sq_exec(dtc_store *s, const char *sql)
{
    sq *q = s->impl;
    char *msg = NULL;
    if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(s->err, sizeof(s->err), "database: %.60s: %s", sql, msg ? msg : "failed");
        sqlite3_free(msg);
        return DTC_EDB;
    }
    return 0;
}

static int prepare(dtc_store *s, const char *sql, sqlite3_stmt **st)
{
    sq *q = s->impl;
    if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return fail(s, "prepare");
    return 0;
}

/* The values a conflicting put compares and updates: all but a first-seen time. */
static int updated_vals(const dtc_fact_desc *d)
{
    return d->nvals - (d->first_seen ? 1 : 0);
}

/* Build the select / insert / update statements of one fact. */
static int prepare_fact(dtc_store *s, int f)
{
    sq *q = s->impl;
    const dtc_fact_desc *d = &dtc_store__facts[f];
    dtc_buf sel, ins, upd;
    int rc = DTC_ENOMEM;
    dtc_buf_init(&sel, DTC_CAP_SMALL);
    dtc_buf_init(&ins, DTC_CAP_SMALL);
    dtc_buf_init(&upd, DTC_CAP_SMALL);
    if (dtc_buf_adds(&sel, "SELECT ") || dtc_buf_printf(&ins, "INSERT INTO %s(", d->name) ||
        dtc_buf_printf(&upd, "UPDATE %s SET ", d->name))
        goto done;
    for (int i = 0; i < d->nvals; i++)
        if (dtc_buf_printf(&sel, "%s%s", i ? "," : "", d->vals[i]) ||
            (i < updated_vals(d) &&
             dtc_buf_printf(&upd, "%s%s=?%d", i ? "," : "", d->vals[i], d->nkeys + i + 1)))
            goto done;
    if (dtc_buf_printf(&sel, " FROM %s WHERE ", d->name) || dtc_buf_adds(&upd, " WHERE "))
        goto done;
    for (int i = 0; i < d->nkeys; i++)
        if (dtc_buf_printf(&sel, "%s%s=?%d", i ? " AND " : "", d->keys[i], i + 1) ||
            dtc_buf_printf(&upd, "%s%s=?%d", i ? " AND " : "", d->keys[i], i + 1) ||
            dtc_buf_printf(&ins, "%s%s", i ? "," : "", d->keys[i]))
            goto done;
    for (int i = 0; i < d->nvals; i++)
        if (dtc_buf_printf(&ins, ",%s", d->vals[i])) goto done;
    if (dtc_buf_adds(&ins, ") VALUES(")) goto done;
    for (int i = 0; i < d->nkeys + d->nvals; i++)
        if (dtc_buf_printf(&ins, "%s?%d", i ? "," : "", i + 1)) goto done;
    /* Insert first: a new row costs one B-tree search; only a conflict
     * needs the select-compare-update path. */
    if (dtc_buf_adds(&ins, ") ON CONFLICT DO NOTHING")) goto done;
    /* A fact whose only value is a first-seen time is never updated. */
    if ((rc = prepare(s, sel.data, &q->sel[f])) || (rc = prepare(s, ins.data, &q->ins[f])) ||
        (updated_vals(d) > 0 && (rc = prepare(s, upd.data, &q->upd[f]))))
        goto done;
    rc = 0;
done:
    dtc_buf_dispose(&sel);
    dtc_buf_dispose(&ins);
    dtc_buf_dispose(&upd);
    return rc;
}

/* Does table have column? *has gets the answer. */
static int has_column(dtc_store *s, const char *table, const char *column, bool *has)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(q->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name=?2", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = fail(s, "table_info");
        goto done;
    }
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = fail(s, table);
    *has = step == SQLITE_ROW;
done:
    sqlite3_finalize(st);
    return rc;
}

/* Add a column a database made by an older version lacks; nothing when it is there. */
static int add_column(dtc_store *s, const char *table, const char *column, const char *type)
{
    char sql[160];
    bool has = false;
    int rc = has_column(s, table, column, &has);
    if (rc || has) return rc;
    snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", table, column, type);
    return sq_exec(s, sql);
}

/* The schema migrations, in the open's transaction: from version (0: a new
 * file, whose tables the schema just made) to SCHEMA_VERSION. */
static int migrate(dtc_store *s, int version)
{
    bool old = false;
    int rc = 0;
    /* 2: rate cards are keyed by account (they were filed under a column
     * named subscription_uuid that held the account). */
    if (version == 1 && ((rc = has_column(s, "rate_card", "subscription_uuid", &old)) ||
                         (old && (rc = sq_exec(s, "ALTER TABLE rate_card RENAME COLUMN"
                                                  " subscription_uuid TO account_uuid")))))
        return rc;
    /* 3: cost events keep several of one type, environment, capability and
     * date (seq). SQLite changes no primary key in place: the table is made
     * anew by the schema and the old rows copied (dtc_store__event_seq_copy). */
    if (version < 3 &&
        ((rc = has_column(s, "cost_event", "seq", &old)) ||
         (!old &&
          ((rc = sq_exec(s, "ALTER TABLE cost_event RENAME TO cost_event_old")) ||
           (rc = sq_exec(s, dtc_store__schema)) || (rc = sq_exec(s, dtc_store__event_seq_copy))))))
        return rc;
    /* Which process a run belongs to (sq_run_begin): added to databases made
     * before it was recorded. */
    if ((rc = add_column(s, "sync_run", "pid", "INTEGER")) ||
        (rc = add_column(s, "sync_run", "host", "TEXT")) ||
        (rc = add_column(s, "sync_run", "accounts", "TEXT")))
        return rc;
    char sql[80];
    snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta VALUES('schema_version','%d')",
             SCHEMA_VERSION);
    return sq_exec(s, sql);
}

static int sq_open(dtc_store *s, const char *path)
{
    sq *q = dtc_calloc(1, sizeof(*q));
    if (!q) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        return DTC_ENOMEM;
    }
    s->impl = q;
    /* A new database file is created 0600 here, before SQLite sees it:
     * SQLite gives its WAL and SHM files the database file's mode, and the
     * outbox holds what is pushed. An existing file keeps its mode. */
    if (*path && strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) close(fd);
    }
    /* NOMUTEX: a store handle is used by one thread at a time (fetch and
     * parse threads hand their results to the thread that stores), so
     * SQLite's per-call mutex (a sixth of a FOCUS export's instructions)
     * guards nothing. */
    if (sqlite3_open_v2(path, &q->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(s->err, sizeof(s->err),
                 "database %s: cannot open: %s (check the path and its "
                 "folder's permissions)",
                 path, q->db ? sqlite3_errmsg(q->db) : "out of memory");
        return DTC_EDB;
    }
    sqlite3_busy_timeout(q->db, 10000);
    /* Another program's database (tables, but not dtcost's meta) is refused
     * before anything in it changes: no WAL mode, no tables of ours. */
    sqlite3_stmt *st = NULL;
    int tables = 0, ours = 0;
    if (sqlite3_prepare_v2(q->db,
                           "SELECT COUNT(*), COALESCE(SUM(name = 'meta'), 0) FROM sqlite_master"
                           " WHERE type = 'table'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        tables = sqlite3_column_int(st, 0);
        ours = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (tables > 0 && ours == 0) {
        snprintf(s->err, sizeof(s->err),
                 "database %s is a SQLite database of another program (%d table%s, none of "
                 "them dtcost's): pass the path of a dtcost database, or a new file",
                 path, tables, tables == 1 ? "" : "s");
        return DTC_EDB;
    }
    char *msg = NULL;
    if (sqlite3_exec(q->db,
                     "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                     "PRAGMA cache_size=-65536;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(s->err, sizeof(s->err), "database %s: not a usable SQLite database: %s", path,
                 msg ? msg : sqlite3_errmsg(q->db));
        sqlite3_free(msg);
        return DTC_EDB;
    }
    int rc = sq_exec(s, "BEGIN IMMEDIATE");
    if (rc) return rc;
    if ((rc = sq_exec(s, dtc_store__schema)) != 0 ||
        (rc = sq_exec(s, dtc_store__outbox_schema)) != 0) {
        (void)sq_exec(s, "ROLLBACK");
        return rc;
    }
    int version = 0;
    if (sqlite3_prepare_v2(q->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > SCHEMA_VERSION) {
        (void)sq_exec(s, "ROLLBACK");
        snprintf(s->err, sizeof(s->err),
                 "database %s has schema version %d, newer than this dtcost "
                 "understands (%d): upgrade dtcost",
                 path, version, SCHEMA_VERSION);
        return DTC_EDB;
    }
    if ((rc = migrate(s, version))) {
        (void)sq_exec(s, "ROLLBACK");
        return rc;
    }
    for (int i = 0; i < dtc_store__nviews; i++) {
        char sql[2048];
        snprintf(sql, sizeof(sql), "DROP VIEW IF EXISTS %s; CREATE VIEW %s AS %s",
                 dtc_store__views[i].name, dtc_store__views[i].name, dtc_store__views[i].select);
        if ((rc = sq_exec(s, sql))) {
            (void)sq_exec(s, "ROLLBACK");
            return rc;
        }
    }
    if ((rc = sq_exec(s, "COMMIT"))) return rc;
    for (int f = 0; f < DTC_FACT_COUNT; f++)
        if ((rc = prepare_fact(s, f)) != 0) return rc;
    if ((rc = prepare(s, "SELECT first_day, last_day" COVERAGE_NEAR, &q->cov_near)) ||
        (rc = prepare(s, "DELETE" COVERAGE_NEAR, &q->cov_del)) ||
        (rc = prepare(s,
                      "INSERT INTO coverage(scope,first_day,last_day) VALUES(?1,?2,?3) ON CONFLICT"
                      " DO UPDATE SET last_day=max(last_day, excluded.last_day)",
                      &q->cov_ins)) ||
        (rc = prepare(s,
                      "SELECT first_day, last_day FROM coverage WHERE scope=?1 ORDER BY first_day",
                      &q->cov_all)))
        return rc;
    return prepare(s,
                   "INSERT INTO revision(run_id,fact,key,old_value,new_value,booking,seen_at)"
                   " VALUES(?1,?2,?3,?4,?5,?6,?7)",
                   &q->rev);
}

sqlite3 *dtc_store__sqlite_db(dtc_store *s)
{
    return ((sq *)s->impl)->db;
}

static void sq_close(dtc_store *s)
{
    sq *q = s->impl;
    if (!q) return;
    for (int f = 0; f < DTC_FACT_COUNT; f++) {
        sqlite3_finalize(q->sel[f]);
        sqlite3_finalize(q->ins[f]);
        sqlite3_finalize(q->upd[f]);
        sqlite3_finalize(q->prune[f]);
    }
    sqlite3_finalize(q->rev);
    sqlite3_finalize(q->cov_near);
    sqlite3_finalize(q->cov_del);
    sqlite3_finalize(q->cov_ins);
    sqlite3_finalize(q->cov_all);
    sqlite3_finalize(q->write);
    /* Reports select days out of tables keyed (subscription, environment,
     * capability, day); with statistics SQLite seeks each series to the
     * range (a skip-scan) instead of reading every row: 2.4 s -> 1.2 s on
     * 6.6 M rows. A sampled ANALYZE takes milliseconds; failure is harmless. */
    if (q->inserted > 0)
        (void)sqlite3_exec(q->db, "PRAGMA analysis_limit=1000; ANALYZE;", NULL, NULL, NULL);
    sqlite3_close(q->db);
    dtc_free(q);
    s->impl = NULL;
}

static int bind(sqlite3_stmt *st, int i, const dtc_val *v)
{
    switch (v->type) {
    case 't':
        return sqlite3_bind_text(st, i, v->s, -1, SQLITE_STATIC); /* alive until the step */
    case 'i':
        return sqlite3_bind_int64(st, i, v->i);
    case 'r':
        return sqlite3_bind_double(st, i, v->r);
    default:
        return sqlite3_bind_null(st, i);
    }
}

/* Is column c of the selected row equal to v? */
static bool same(sqlite3_stmt *st, int c, const dtc_val *v)
{
    int t = sqlite3_column_type(st, c);
    switch (v->type) {
    case 't':
        return t == SQLITE_TEXT && strcmp((const char *)sqlite3_column_text(st, c), v->s) == 0;
    case 'i':
        return t == SQLITE_INTEGER && sqlite3_column_int64(st, c) == v->i;
    case 'r':
        return (t == SQLITE_FLOAT || t == SQLITE_INTEGER) && sqlite3_column_double(st, c) == v->r;
    default:
        return t == SQLITE_NULL;
    }
}

static int log_revision(dtc_store *s, const dtc_fact_desc *d, const dtc_val *keys, const char *old,
                        const dtc_val *now, const char *booking)
{
    sq *q = s->impl;
    char key[DTC_STORE_KEY_TEXT], newv[64];
    dtc_store__key_text(d, keys, key);
    dtc_store__val_text(now, newv, sizeof(newv));
    sqlite3_stmt *st = q->rev;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, s->run_id);
    sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, old, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, newv, -1, SQLITE_TRANSIENT);
    if (booking)
        sqlite3_bind_text(st, 6, booking, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_text(st, 7, s->seen_at, -1, SQLITE_TRANSIENT);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, "revision log");
}

static int sq_put(dtc_store *s, dtc_put *result, const dtc_fact_desc *d, const dtc_val *keys,
                  const dtc_val *vals, const char *booking)
{
    sq *q = s->impl;
    int f = (int)(d - dtc_store__facts);
    sqlite3_stmt *ins = q->ins[f];
    sqlite3_reset(ins);
    for (int i = 0; i < d->nkeys; i++)
        bind(ins, i + 1, &keys[i]);
    for (int i = 0; i < d->nvals; i++)
        bind(ins, d->nkeys + i + 1, &vals[i]);
    if (sqlite3_step(ins) != SQLITE_DONE) return fail(s, d->name);
    if (sqlite3_changes(q->db) == 1) {
        q->inserted++;
        *result = DTC_PUT_INSERTED;
        return 0;
    }
    sqlite3_stmt *sel = q->sel[f];
    sqlite3_reset(sel);
    for (int i = 0; i < d->nkeys; i++)
        bind(sel, i + 1, &keys[i]);
    if (sqlite3_step(sel) != SQLITE_ROW) return fail(s, d->name);
    bool all_same = true;
    for (int i = 0; i < updated_vals(d) && all_same; i++)
        all_same = same(sel, i, &vals[i]);
    if (all_same) {
        sqlite3_reset(sel);
        *result = DTC_PUT_SAME;
        return 0;
    }
    char old[64] = "";
    bool changed_measure = false;
    if (d->measured >= 0 && !same(sel, d->measured, &vals[d->measured])) {
        changed_measure = true;
        const unsigned char *t = sqlite3_column_text(sel, d->measured);
        snprintf(old, sizeof(old), "%s", t ? (const char *)t : "");
    }
    sqlite3_reset(sel);
    sqlite3_stmt *upd = q->upd[f];
    sqlite3_reset(upd);
    for (int i = 0; i < d->nkeys; i++)
        bind(upd, i + 1, &keys[i]);
    for (int i = 0; i < updated_vals(d); i++)
        bind(upd, d->nkeys + i + 1, &vals[i]);
    if (sqlite3_step(upd) != SQLITE_DONE) return fail(s, d->name);
    *result = DTC_PUT_UPDATED;
    if (changed_measure) return log_revision(s, d, keys, old, &vals[d->measured], booking);
    return 0;
}

/* Is the process that recorded a running run gone? Only a pid of this host
 * can be checked; no pid at all is a version that did not record it. */
static bool run_gone(sqlite3_stmt *st, const char *host)
{
    if (sqlite3_column_type(st, 1) == SQLITE_NULL) return true;
    const char *h = (const char *)sqlite3_column_text(st, 2);
    if (!h || strcmp(h, host) != 0) return false;
    sqlite3_int64 pid = sqlite3_column_int64(st, 1);
    if (pid <= 0 ||
        pid > INT32_MAX) /* kill() would read 0 or -1 as a group: not a process of ours */
        return true;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int sq_run_begin(dtc_store *s, int64_t *run_id, long *interrupted, const char *started_at,
                        const char *accounts)
{
    sq *q = s->impl;
    sqlite3_stmt *sel = NULL, *mark = NULL, *ins = NULL;
    int64_t *gone = NULL;
    size_t ngone = 0, cap = 0;
    char host[256];
    bool own = sqlite3_get_autocommit(q->db); /* not inside the caller's transaction */
    int rc;
    *interrupted = 0;
    if (gethostname(host, sizeof(host)) != 0) host[0] = '\0';
    host[sizeof(host) - 1] = '\0';
    if (own && (rc = sq_exec(s, "BEGIN IMMEDIATE")) != 0) return rc;
    if ((rc = prepare(s, "SELECT id, pid, host FROM sync_run WHERE status='running'", &sel)) ||
        (rc = prepare(s,
                      "UPDATE sync_run SET status='interrupted', message='interrupted: the process"
                      " ended before the run finished (killed or crashed)' WHERE id=?1",
                      &mark)) ||
        (rc = prepare(s,
                      "INSERT INTO sync_run(started_at,status,pid,host,accounts) "
                      "VALUES(?1,'running',?2,?3,?4)",
                      &ins)))
        goto done;
    /* Collect first: rows are not updated under a select still reading them. */
    int step;
    while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
        if (!run_gone(sel, host)) continue;
        int64_t *g = dtc_grow(gone, &cap, ngone, sizeof(*gone));
        if (!g) {
            snprintf(s->err, sizeof(s->err), "out of memory");
            rc = DTC_ENOMEM;
            goto done;
        }
        gone = g;
        gone[ngone++] = sqlite3_column_int64(sel, 0);
    }
    if (step != SQLITE_DONE) {
        rc = fail(s, "sync_run");
        goto done;
    }
    for (size_t i = 0; i < ngone; i++) {
        sqlite3_reset(mark);
        sqlite3_bind_int64(mark, 1, gone[i]);
        if (sqlite3_step(mark) != SQLITE_DONE) {
            rc = fail(s, "sync_run");
            goto done;
        }
    }
    sqlite3_bind_text(ins, 1, started_at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 2, (sqlite3_int64)getpid());
    if (host[0])
        sqlite3_bind_text(ins, 3, host, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(ins, 3);
    if (accounts)
        sqlite3_bind_text(ins, 4, accounts, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(ins, 4);
    if (sqlite3_step(ins) != SQLITE_DONE) {
        rc = fail(s, "sync_run");
        goto done;
    }
    *run_id = sqlite3_last_insert_rowid(q->db);
    if (own && (rc = sq_exec(s, "COMMIT")) != 0) goto done;
    own = false;
    *interrupted = (long)ngone;
done:
    sqlite3_finalize(sel);
    sqlite3_finalize(mark);
    sqlite3_finalize(ins);
    dtc_free(gone);
    if (own) (void)sq_exec(s, "ROLLBACK");
    return rc;
}

static int sq_run_end(dtc_store *s, int64_t run_id, const char *finished_at, const char *status,
                      const dtc_run_stats *r, const char *message)
{
    sqlite3_stmt *st = NULL;
    int rc =
        prepare(s,
                "UPDATE sync_run SET finished_at=?2, status=?3, requests=?4, retries=?5,"
                " inserted=?6, updated=?7, restated_days=?8, warnings=?9, message=?10 WHERE id=?1",
                &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, finished_at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, r->requests);
    sqlite3_bind_int64(st, 5, r->retries);
    sqlite3_bind_int64(st, 6, r->inserted);
    sqlite3_bind_int64(st, 7, r->updated);
    sqlite3_bind_int64(st, 8, r->restated_days);
    sqlite3_bind_int64(st, 9, r->warnings);
    if (message)
        sqlite3_bind_text(st, 10, message, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 10);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, "sync_run");
    sqlite3_finalize(st);
    return rc;
}

static int sq_checkpoint_get(dtc_store *s, int64_t *day, int *found, const char *scope)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, "SELECT day FROM checkpoint WHERE scope=?1", &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    *found = 0;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (t && dtc_parse_date(t, day) == 0) *found = 1;
    } else if (step != SQLITE_DONE) {
        rc = fail(s, "checkpoint");
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_checkpoint_set(dtc_store *s, const char *scope, int64_t day)
{
    sqlite3_stmt *st = NULL;
    char d[16];
    dtc_fmt_date(d, day);
    int rc = prepare(s,
                     "INSERT INTO checkpoint(scope,day) VALUES(?1,?2)"
                     " ON CONFLICT(scope) DO UPDATE SET day=excluded.day",
                     &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, d, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, "checkpoint");
    sqlite3_finalize(st);
    return rc;
}

static int sq_restated_days(dtc_store *s, long *out, int64_t run_id)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(
        s, "SELECT COUNT(DISTINCT key) FROM revision WHERE run_id=?1 AND fact='cost_day'", &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = (long)sqlite3_column_int64(st, 0);
    else
        rc = fail(s, "revision count");
    sqlite3_finalize(st);
    return rc;
}

/* Bind scope and two days as ?1, ?2, ?3 (the statement copies the days). */
static void bind_scope_days(sqlite3_stmt *st, const char *scope, int64_t a, int64_t b)
{
    char da[11], db[11];
    dtc_fmt_date(da, a);
    dtc_fmt_date(db, b);
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, da, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, db, -1, SQLITE_TRANSIENT);
}

/* The coverage row st is on as days [*a, *b]; DTC_EDB when a day is not a date. */
static int coverage_row(dtc_store *s, sqlite3_stmt *st, const char *scope, int64_t *a, int64_t *b)
{
    const char *ta = (const char *)sqlite3_column_text(st, 0),
               *tb = (const char *)sqlite3_column_text(st, 1);
    if (ta && tb && dtc_parse_date(ta, a) == 0 && dtc_parse_date(tb, b) == 0) return 0;
    snprintf(s->err, sizeof(s->err), "database: coverage of %s holds a day that is not YYYY-MM-DD",
             scope);
    return DTC_EDB;
}

static int sq_coverage_add(dtc_store *s, const char *scope, int64_t first, int64_t last)
{
    sq *q = s->impl;
    bool own = sqlite3_get_autocommit(q->db); /* not inside the caller's transaction */
    int rc = 0, step;
    /* Widen by a day each side so adjacent ranges merge too; store.c keeps
     * the days to years 0001-9999, so the widened days stay four-digit. */
    int64_t lo = first > dtc_days_from_civil(1, 1, 1) ? first - 1 : first;
    int64_t hi = last < dtc_days_from_civil(9999, 12, 31) ? last + 1 : last;
    if (own && (rc = sq_exec(s, "BEGIN IMMEDIATE")) != 0) return rc;
    bind_scope_days(q->cov_near, scope, lo, hi);
    while ((step = sqlite3_step(q->cov_near)) == SQLITE_ROW) {
        int64_t a, b;
        if ((rc = coverage_row(s, q->cov_near, scope, &a, &b)) != 0) goto done;
        first = a < first ? a : first;
        last = b > last ? b : last;
    }
    if (step != SQLITE_DONE) {
        rc = fail(s, "coverage");
        goto done;
    }
    /* The same rows as the select, replaced by the one range they merge into. */
    bind_scope_days(q->cov_del, scope, lo, hi);
    if (sqlite3_step(q->cov_del) != SQLITE_DONE) {
        rc = fail(s, "coverage");
        goto done;
    }
    bind_scope_days(q->cov_ins, scope, first, last);
    if (sqlite3_step(q->cov_ins) != SQLITE_DONE) {
        rc = fail(s, "coverage");
        goto done;
    }
    if (own && (rc = sq_exec(s, "COMMIT")) != 0) goto done;
    own = false;
done:
    sqlite3_reset(q->cov_near);
    sqlite3_reset(q->cov_del);
    sqlite3_reset(q->cov_ins);
    if (own) (void)sq_exec(s, "ROLLBACK");
    return rc;
}

static int sq_coverage_get(dtc_store *s, dtc_day_range **out, size_t *n, const char *scope)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->cov_all;
    dtc_day_range *r = NULL;
    size_t nr = 0, cap = 0;
    int rc = 0, step;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t a, b;
        if ((rc = coverage_row(s, st, scope, &a, &b)) != 0) goto done;
        /* Rows are merged when added; merging again here keeps the answer
         * right even for rows written some other way. */
        if (nr > 0 && a <= r[nr - 1].last + 1) {
            if (b > r[nr - 1].last) r[nr - 1].last = b;
            continue;
        }
        dtc_day_range *g = dtc_grow(r, &cap, nr, sizeof(*r));
        if (!g) {
            snprintf(s->err, sizeof(s->err), "out of memory");
            rc = DTC_ENOMEM;
            goto done;
        }
        r = g;
        r[nr++] = (dtc_day_range){a, b};
    }
    if (step != SQLITE_DONE) rc = fail(s, "coverage");
done:
    sqlite3_reset(st);
    if (rc) {
        dtc_free(r);
        return rc;
    }
    *out = r;
    *n = nr;
    return 0;
}

/* DELETE ... WHERE k1 = ? AND ... AND kn NOT IN json_each(?), prepared once
 * per fact. */
static int sq_prune(dtc_store *s, long *removed, const dtc_fact_desc *d, int fact,
                    const dtc_val *prefix, const char *keep)
{
    sq *q = s->impl;
    if (!q->prune[fact]) {
        char sql[1024];
        int n = snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE ", d->name);
        for (int i = 0; i < d->nkeys - 1; i++)
            n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s = ?%d AND ", d->keys[i], i + 1);
        snprintf(sql + n, sizeof(sql) - (size_t)n, "%s NOT IN (SELECT value FROM json_each(?%d))",
                 d->keys[d->nkeys - 1], d->nkeys);
        int rc = prepare(s, sql, &q->prune[fact]);
        if (rc) return rc;
    }
    sqlite3_stmt *st = q->prune[fact];
    for (int i = 0; i < d->nkeys - 1; i++) {
        const dtc_val *v = &prefix[i];
        if (v->type == 't' && v->s)
            sqlite3_bind_text(st, i + 1, v->s, -1, SQLITE_STATIC);
        else if (v->type == 'i')
            sqlite3_bind_int64(st, i + 1, v->i);
        else
            sqlite3_bind_null(st, i + 1);
    }
    sqlite3_bind_text(st, d->nkeys, keep, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, "prune");
    if (rc == 0) *removed = sqlite3_changes(q->db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* ---- transactions and read-only queries ---- */

/* IMMEDIATE: a second writer waits here (busy timeout), not at commit. */
static int sq_begin(dtc_store *s)
{
    return sq_exec(s, "BEGIN IMMEDIATE");
}
static int sq_commit(dtc_store *s)
{
    return sq_exec(s, "COMMIT");
}
static void sq_rollback(dtc_store *s)
{
    (void)sq_exec(s, "ROLLBACK");
}

static int sq_query(dtc_store *s, const char *sql, const dtc_val *params, int nparams,
                    int (*fn)(void *, const dtc_row *), void *ctx)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) return fail(s, "query");
    int rc = 0;
    if (!sqlite3_stmt_readonly(st)) {
        snprintf(s->err, sizeof(s->err), "database: a query must not write");
        rc = DTC_EINVAL;
        goto done;
    }
    for (int i = 0; i < nparams; i++)
        (void)bind(st, i + 1, &params[i]);
    int ncols = sqlite3_column_count(st);
    if (ncols > DTC_FACT_MAX_COLS * 2) {
        snprintf(s->err, sizeof(s->err), "database: query \"%.60s\": %d columns, at most %d", sql,
                 ncols, DTC_FACT_MAX_COLS * 2);
        rc = DTC_EINVAL;
        goto done;
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        dtc_val cols[DTC_FACT_MAX_COLS * 2];
        for (int c = 0; c < ncols; c++) {
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER:
                cols[c] = DTC_INT(sqlite3_column_int64(st, c));
                break;
            case SQLITE_FLOAT:
                cols[c] = DTC_REAL(sqlite3_column_double(st, c));
                break;
            case SQLITE_NULL:
                cols[c] = DTC_NULL;
                break;
            default:
                cols[c] = DTC_TEXT((const char *)sqlite3_column_text(st, c));
            }
        }
        dtc_row row = {s, sql, cols, ncols};
        if ((rc = fn(ctx, &row)) != 0) break;
    }
    if (rc == 0 && step != SQLITE_DONE) rc = fail(s, "query");
done:
    sqlite3_finalize(st);
    return rc;
}

static int sq_write(dtc_store *s, const char *sql, const dtc_val *params, int nparams)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    /* Persistent: dtc_store_copy runs one statement per table, row after row;
     * SQLite's statement cache is by text, so prepare once per table. */
    if (!q->write || strcmp(sqlite3_sql(q->write), sql) != 0) {
        sqlite3_finalize(q->write);
        q->write = NULL;
        if (prepare(s, sql, &q->write)) return DTC_EDB;
    }
    st = q->write;
    sqlite3_reset(st);
    for (int i = 0; i < nparams; i++)
        (void)bind(st, i + 1, &params[i]);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, "write");
    sqlite3_reset(st);
    return rc;
}

/* ---- locks between processes: a lock file beside the database ---- */

/* "<db>-lock-<first 8 bytes of sha256(name) in hex>.lock", flock'ed; *handle
 * is its descriptor, -1 for an in-memory database (no other process to meet). */
static int sq_try_lock(dtc_store *s, const char *name, int64_t *handle, int *got)
{
    sq *q = s->impl;
    const char *db = sqlite3_db_filename(q->db, "main");
    *got = 0;
    if (!db || !*db) {
        *handle = -1;
        *got = 1;
        return 0;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(name, strlen(name), md, &mdlen, EVP_sha256(), NULL) || mdlen < 8) {
        snprintf(s->err, sizeof(s->err), "lock %.300s: cannot hash its name", name);
        return DTC_EIO;
    }
    char path[4200];
    int len = snprintf(path, sizeof(path), "%s-lock-%02x%02x%02x%02x%02x%02x%02x%02x.lock", db,
                       md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7]);
    if (len < 0 || (size_t)len >= sizeof(path)) {
        snprintf(s->err, sizeof(s->err), "database path too long for a lock file");
        return DTC_EIO;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(s->err, sizeof(s->err),
                 "lock file %.300s: cannot open: %s (check the database folder's "
                 "permissions)",
                 path, strerror(errno));
        return DTC_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        *handle = fd;
        *got = 1;
        return 0;
    }
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK || e == EINTR) return 0;
    snprintf(s->err, sizeof(s->err), "lock file %.300s: %s", path, strerror(e));
    return DTC_EIO;
}

static void sq_unlock(dtc_store *s, const char *name, int64_t handle)
{
    (void)s;
    (void)name;
    if (handle >= 0) close((int)handle); /* closing the only descriptor releases the flock */
}

const dtc_store_ops dtc_store__sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .query = sq_query,
    .write = sq_write,
    .put = sq_put,
    .run_begin = sq_run_begin,
    .run_end = sq_run_end,
    .checkpoint_get = sq_checkpoint_get,
    .checkpoint_set = sq_checkpoint_set,
    .restated_days = sq_restated_days,
    .prune = sq_prune,
    .try_lock = sq_try_lock,
    .unlock = sq_unlock,
    .coverage_add = sq_coverage_add,
    .coverage_get = sq_coverage_get,
    .push = &dtc_store__sqlite_push,
};
