/* store_pg.c: the PostgreSQL back-end of the storage interface (libpq). One
 * connection per handle; the tables of store_schema.c with PostgreSQL types in
 * a schema of the user's choice; a batch of new rows is a COPY, any other
 * batch of upserts one statement (its rows as arrays) that inserts, updates
 * only what changed and logs the revisions, one round trip per few
 * thousand rows.
 * A lost connection is DTC_EDBLOST, a lock held elsewhere DTC_EBUSY. The
 * password never comes from the URL: libpq's PGPASSFILE / ~/.pgpass, or the
 * file named by DTCOST_DB_PASSWORD_FILE. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "dtcost/config.h"
#include "dtcost/retry.h"
#include "buf.h"
#include "store_pg.h"
#include "timeutil.h"

#define SCHEMA_VERSION 4
#define MAX_PARAMS (2 * DTC_FACT_MAX_COLS + 8)
#define SLOTS (DTC_FACT_COUNT + DTC_COPY_TABLES)

/* PostgreSQL type oids (pg_type.h is server-side; these are fixed). */
enum {
    OID_BOOL = 16,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_NUMERIC = 1700
};

typedef struct pg {
    PGconn *c;
    bool tx;        /* inside dtc_store_begin/commit */
    bool begin_due; /* tx's BEGIN not sent yet: it goes with the first statement */
    char schema[64];
    char *uri;       /* the libpq URI without schema=, for reconnecting */
    char xid[24];    /* the open transaction's id (txid_current), "" before its BEGIN is answered */
    bool committing; /* its COMMIT is being sent or answered (run_commit) */
    /* The transaction whose COMMIT's answer was lost, and the start of the
     * server that gave it its id (pg_postmaster_start_time, text): its fate
     * is asked after the reconnect (pg_lost_committed). */
    char lost_xid[24];
    char lost_server[64];
    int64_t run_lock; /* the run whose lock this session holds (RUN_LOCK), 0 for none */
    /* The session on the server: its pid and backend_start (text), so that
     * after a loss where only the client's side was cut, the old one, still
     * holding its locks and its transaction, can be ended (end_old_session). */
    int backend_pid;
    char backend_start[64];
    char server_start[64]; /* the server's (pg_postmaster_start_time), text */
    /* Since a reconnect: lock_timeout is the time that was left, so a redo
     * waiting on the old session's row locks gives up within the window
     * (55P03 is then a lost connection); reset by the next COMMIT. */
    bool bounded;
    /* By statement slot: a fact's put (its dtc_fact), then a table of
     * dtc_store_copy (DTC_FACT_COUNT + its copy table). */
    char name[SLOTS][16]; /* prepared upsert per slot, "" until first used */
    /* The slot's batches go by the merge: a COPY of it was refused on this
     * connection and no merge batch has inserted every row since. False
     * (at first): its next large batch is tried as a COPY (copy_send). */
    bool merge_only[SLOTS];
} pg;

/* libpq's message on one line, without the trailing newline and "ERROR:  " or "FATAL:  ". */
static void one_line(const char *m, char *out, size_t outlen)
{
    if (!m) m = "";
    if (strncmp(m, "ERROR:  ", 8) == 0 || strncmp(m, "FATAL:  ", 8) == 0) m += 8;
    size_t n = strcspn(m, "\n");
    snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), m);
}

/* Server errors that mean the session is gone or going: class 08
 * (connection exception) and the shutdowns of 57P01-57P03 (a fast or
 * immediate stop, a crash, a server still starting), which a failover or a
 * restart sends before closing the socket. */
static bool lost_state(const PGresult *r)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return st && (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
                  strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0);
}

/* libpq's own failure, without a word from the server (no SQLSTATE: "server
 * closed the connection unexpectedly", "could not send data"), on a socket
 * that is gone. After a crash, an immediate stop or a failover, libpq 15
 * answers the next statement so while PQstatus still says CONNECTION_OK.
 * Without a result, reading from the socket tells (EOF marks it bad). */
static bool lost_link(PGconn *c, const PGresult *r)
{
    if (!c || PQstatus(c) == CONNECTION_BAD) return true;
    if (r)
        return PQresultStatus(r) == PGRES_FATAL_ERROR && !PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return !PQconsumeInput(c) || PQstatus(c) == CONNECTION_BAD;
}

/* Since a reconnect (p->bounded), a statement that waited for a lock past
 * lock_timeout (55P03: on the old session's rows) or a reconnect's query
 * past statement_timeout (57014): the time left is over. */
static bool lock_timed_out(const pg *p, const PGresult *r)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return p->bounded && st && (strcmp(st, "55P03") == 0 || strcmp(st, "57014") == 0);
}

static int fail(dtc_store *s, const char *what, const PGresult *r)
{
    pg *p = s->impl;
    char m[300];
    if (lost_state(r) || lock_timed_out(p, r) || lost_link(p->c, r)) {
        const char *said = r && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r)
                           : p->c                          ? PQerrorMessage(p->c)
                                                           : "no connection";
        one_line(said, m, sizeof(m));
        if (!m[0]) snprintf(m, sizeof(m), "no reason given");
        const char *why = "";
        if (lock_timed_out(p, r))
            why = strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE), "55P03") == 0
                      ? "its old session still holds the locks: "
                      : "no answer within the time left: ";
        snprintf(s->err, sizeof(s->err),
                 "database: %s: the PostgreSQL connection was lost (%s%s)" DTC_STORE_LOST_ADVICE,
                 what, why, m);
        /* The transaction may have committed when its COMMIT's answer was
         * what got lost: reconnect asks the server (pg_lost_committed).
         * Lost before its COMMIT was sent, it did not commit, and is not
         * asked about: after a crash, the restarted server may hand its id
         * to a new transaction, whose fate txid_status would then tell.
         * Only a transaction whose BEGIN was answered: a loss before that (a
         * ROLLBACK, the reconnect's own statements) leaves the id still to
         * be asked about as it is. */
        if (p->xid[0] && p->committing) {
            snprintf(p->lost_xid, sizeof(p->lost_xid), "%s", p->xid);
            snprintf(p->lost_server, sizeof(p->lost_server), "%s", p->server_start);
        }
        p->xid[0] = '\0';
        return DTC_EDBLOST;
    }
    one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(p->c), m, sizeof(m));
    snprintf(s->err, sizeof(s->err), "database: %s: %s", what, m);
    return DTC_EDB;
}

/* The transaction's id from the answer to its BEGIN's companion
 * `SELECT txid_current()`, sent in the same round trip as the BEGIN. */
static void keep_xid(pg *p, const PGresult *r)
{
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetlength(r, 0, 0) > 0 &&
        PQgetlength(r, 0, 0) < (int)sizeof(p->xid))
        snprintf(p->xid, sizeof(p->xid), "%s", PQgetvalue(r, 0, 0));
}

#define BEGIN_TX "BEGIN; SELECT txid_current()"

/* A transaction's BEGIN is sent with its first statement: a batch's in the
 * same round trip (exec_prepared), any other's just before it (here). A
 * chunk of a sync is then three round trips: BEGIN and its batch, the
 * coverage, COMMIT. */
static int due(dtc_store *s)
{
    pg *p = s->impl;
    if (!p->begin_due) return 0;
    p->begin_due = false;
    PGresult *r = PQexec(p->c, BEGIN_TX);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : fail(s, "begin", r);
    if (rc == 0) keep_xid(p, r);
    PQclear(r);
    return rc;
}

/* Run sql (no parameters, no rows wanted). */
static int run(dtc_store *s, const char *sql, const char *what)
{
    pg *p = s->impl;
    int rc = due(s);
    if (rc) return rc;
    PGresult *r = PQexec(p->c, sql);
    ExecStatusType st = PQresultStatus(r);
    rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : fail(s, what, r);
    PQclear(r);
    return rc;
}

/* run() for a statement that ends in a COMMIT: while its answer is awaited,
 * a loss keeps the transaction's id to be asked about (fail,
 * pg_lost_committed); a loss before it means the transaction did not
 * commit. Every COMMIT goes this way. */
static int run_commit(dtc_store *s, const char *sql, const char *what)
{
    pg *p = s->impl;
    p->committing = true;
    int rc = run(s, sql, what);
    p->committing = false;
    return rc;
}

/* A value as libpq's text parameter: buf holds numbers; NULL for SQL NULL. */
static const char *param(const dtc_val *v, char *buf, size_t n)
{
    switch (v->type) {
    case 't':
        return v->s;
    case 'i':
        snprintf(buf, n, "%lld", (long long)v->i);
        return buf;
    case 'r':
        snprintf(buf, n, "%.17g", v->r);
        return buf;
    default:
        return NULL;
    }
}

static unsigned param_type(const dtc_val *v)
{
    return v->type == 'i' ? OID_INT8 : v->type == 'r' ? OID_FLOAT8 : 0;
}

/* Run sql with params; *out gets the result (PQclear it) when rows are wanted. */
static int exec_params(dtc_store *s, const char *sql, const dtc_val *v, int n, const char *what,
                       PGresult **out)
{
    pg *p = s->impl;
    const char *vals[MAX_PARAMS];
    unsigned types[MAX_PARAMS];
    char num[MAX_PARAMS][32];
    if (n > MAX_PARAMS) {
        snprintf(s->err, sizeof(s->err), "database: %s: %d parameters, at most %d", what, n,
                 MAX_PARAMS);
        return DTC_EINVAL;
    }
    for (int i = 0; i < n; i++) {
        vals[i] = param(&v[i], num[i], sizeof(num[i]));
        types[i] = param_type(&v[i]);
    }
    int rc = due(s);
    if (rc) return rc;
    PGresult *r = PQexecParams(p->c, sql, n, types, vals, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = fail(s, what, r);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

/* ---- schema ---- */

/* store_schema.c's SQLite dialect in PostgreSQL's: TEXT compares bytewise
 * (COLLATE "C", as SQLite does, so ORDER BY is the same on both), INTEGER is
 * BIGINT, REAL DOUBLE PRECISION, an INTEGER PRIMARY KEY a generated BIGINT. */
static int pg_schema_sql(const char *in, dtc_buf *out)
{
    /* Statements of the shared schema PostgreSQL does without: the layout
     * migration to version 3 (migrate) gives cost_allocation one index. */
    static const char *const skipped[] = {"CREATE INDEX IF NOT EXISTS cost_allocation_record "};
    static const struct {
        const char *from, *to;
    } map[] = {
        {" WITHOUT ROWID", ""},
        {" INTEGER PRIMARY KEY,", " BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"},
        {" INTEGER", " BIGINT"},
        {" REAL", " DOUBLE PRECISION"},
        {" TEXT", " TEXT COLLATE \"C\""},
    };
    for (const char *p = in; *p;) {
        bool skip = false;
        for (size_t k = 0; k < sizeof(skipped) / sizeof(skipped[0]); k++)
            skip |= (p == in || p[-1] == '\n') && strncmp(p, skipped[k], strlen(skipped[k])) == 0;
        if (skip) {
            const char *end = strstr(p, ";\n");
            p = end ? end + 2 : p + strlen(p);
            continue;
        }
        size_t i = 0, n = sizeof(map) / sizeof(map[0]);
        while (i < n && strncmp(p, map[i].from, strlen(map[i].from)) != 0)
            i++;
        if (i < n) {
            if (dtc_buf_adds(out, map[i].to)) return DTC_ENOMEM;
            p += strlen(map[i].from);
        } else {
            if (dtc_buf_addc(out, *p)) return DTC_ENOMEM;
            p++;
        }
    }
    return 0;
}

static bool ident_ok(const char *s)
{
    if (!*s || strlen(s) >= 63 || !((*s >= 'a' && *s <= 'z') || *s == '_')) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
    return true;
}

static void pg_rollback(dtc_store *s);

/* Does table (in the current schema) have column? *has gets the answer. */
static int has_column(dtc_store *s, const char *table, const char *column, bool *has)
{
    dtc_val v[] = {DTC_TEXT(table), DTC_TEXT(column)};
    PGresult *r = NULL;
    int rc = exec_params(s,
                         "SELECT 1 FROM information_schema.columns WHERE table_schema ="
                         " current_schema() AND table_name = $1 AND column_name = $2",
                         v, 2, "schema", &r);
    if (rc == 0) *has = PQntuples(r) > 0;
    PQclear(r);
    return rc;
}

/* Create or check the schema in one transaction, serialised between
 * processes by a transaction-level advisory lock. */
static int migrate(dtc_store *s, const char *shown)
{
    pg *p = s->impl;
    dtc_buf sql;
    dtc_buf_init(&sql, DTC_CAP_SMALL);
    PGresult *r = NULL;
    int rc = run(s, "BEGIN", "schema");
    bool open_tx = rc == 0;
    if (rc) goto done;
    if (dtc_buf_printf(&sql,
                       "SELECT pg_advisory_xact_lock(hashtext('dtcost schema %s'));"
                       "CREATE SCHEMA IF NOT EXISTS %s; SET LOCAL search_path TO %s;",
                       p->schema, p->schema, p->schema) ||
        pg_schema_sql(dtc_store__schema, &sql) || pg_schema_sql(dtc_store__outbox_schema, &sql)) {
        rc = DTC_ENOMEM;
        goto done;
    }
    if ((rc = run(s, sql.data, "schema"))) goto done;
    r = PQexec(p->c, "SELECT value FROM meta WHERE key='schema_version'");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = fail(s, "schema", r);
        goto done;
    }
    int version = PQntuples(r) ? atoi(PQgetvalue(r, 0, 0)) : 0;
    if (version > SCHEMA_VERSION) {
        snprintf(s->err, sizeof(s->err),
                 "database %s has schema version %d, newer than this dtcost "
                 "understands (%d): upgrade dtcost",
                 shown, version, SCHEMA_VERSION);
        rc = DTC_EDB;
        goto done;
    }
    /* Views: replaced in place, so grants to a BI role survive. */
    for (int i = 0; i < dtc_store__nviews && rc == 0; i++) {
        dtc_buf_reset(&sql);
        if (dtc_buf_printf(&sql, "CREATE OR REPLACE VIEW %s AS %s", dtc_store__views[i].name,
                           dtc_store__views[i].select))
            rc = DTC_ENOMEM;
        else
            rc = run(s, sql.data, "views");
    }
    if (rc) goto done;
    /* Migrations from one version to the next go here, in this transaction.
     * Columns added since a table was first made need no version: each is
     * looked up first, since ALTER TABLE locks the table against every reader
     * even when it has the column, and several workers open the database all
     * the time.
     * 3: cost_allocation, three quarters of a sync's rows, keeps one index
     * where SQLite has its table and a covering index: the primary key in
     * the FOCUS export's join order, cost_micro included, serves the
     * batch's lookups, uniqueness and the export's join (export.c) alike,
     * and each row inserted updates one B-tree instead of two (4.5 against
     * 10 us a row, 300,000 rows inserted into each layout side by side). */
    if (version < 3 &&
        (rc = run(s,
                  "DROP INDEX IF EXISTS cost_allocation_record; ALTER TABLE cost_allocation"
                  " DROP CONSTRAINT cost_allocation_pkey, ADD CONSTRAINT cost_allocation_pkey"
                  " PRIMARY KEY(subscription_uuid, environment_id, capability_key, day, field,"
                  " alloc_key) INCLUDE (cost_micro)",
                  "schema migration to version 3")))
        goto done;
    /* 4: cost events keep several of one type, environment, capability and
     * date (seq; store_schema.c). The table is made anew by the schema, so
     * its columns are in the same order as in a new database, and the old
     * rows are copied (dtc_store__event_seq_copy). */
    bool has = true;
    if (version < 4 && (rc = has_column(s, "cost_event", "seq", &has))) goto done;
    if (!has) {
        dtc_buf_reset(&sql);
        if (dtc_buf_adds(&sql, "ALTER TABLE cost_event RENAME TO cost_event_old; ALTER TABLE"
                               " cost_event_old RENAME CONSTRAINT cost_event_pkey TO"
                               " cost_event_old_pkey;") ||
            pg_schema_sql(dtc_store__schema, &sql) ||
            dtc_buf_adds(&sql, dtc_store__event_seq_copy)) {
            rc = DTC_ENOMEM;
            goto done;
        }
        if ((rc = run(s, sql.data, "schema migration to version 4"))) goto done;
    }
    if ((rc = has_column(s, "sync_run", "accounts", &has)) ||
        (!has &&
         (rc = run(s, "ALTER TABLE sync_run ADD COLUMN accounts TEXT COLLATE \"C\"", "schema"))))
        goto done;
    dtc_buf_reset(&sql);
    if (dtc_buf_printf(&sql,
                       "INSERT INTO meta VALUES('schema_version','%d') ON CONFLICT(key) DO UPDATE"
                       " SET value=excluded.value",
                       SCHEMA_VERSION)) {
        rc = DTC_ENOMEM;
        goto done;
    }
    if ((rc = run(s, sql.data, "schema"))) goto done;
    rc = run_commit(s, "COMMIT", "schema");
    open_tx = false; /* committed, or COMMIT failed and the transaction is gone */
done:
    if (rc && open_tx) pg_rollback(s); /* keeps the error; the schema is as before */
    PQclear(r);
    dtc_buf_dispose(&sql);
    return rc;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs ("relation already exists, skipping") are not the user's business */
}

/* The password, from the file DTCOST_DB_PASSWORD_FILE names, read as every
 * secret file is (dtc_read_secret_file: a private regular file, bounded, no
 * FIFO waited on); *pw is NULL without one, else freed with dtc_free_secret. */
static int password_from_file(dtc_store *s, char **pw)
{
    const char *path = getenv("DTCOST_DB_PASSWORD_FILE");
    char err[sizeof(s->err) - 32];
    *pw = NULL;
    if (!path || !*path) return 0;
    int rc = dtc_read_secret_file(pw, path, err, sizeof(err));
    if (rc) snprintf(s->err, sizeof(s->err), "DTCOST_DB_PASSWORD_FILE: %s", err);
    return rc;
}

/* How long a connection attempt may take: the URI's connect_timeout (libpq
 * counts it per host; here it bounds the whole attempt), else 10 s. */
static int64_t connect_limit_ms(PGconn *c)
{
    long secs = 10;
    PQconninfoOption *opts = PQconninfo(c);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "connect_timeout") == 0 && o->val && atol(o->val) > 0)
            secs = atol(o->val) < 2 ? 2 : atol(o->val); /* libpq's own minimum */
    PQconninfoFree(opts);
    return secs * 1000;
}

/* A new connection for p with the session's settings: NOTICEs quiet,
 * custom plans (a batch's statement planned for the tables as they are now,
 * not as when it was prepared: a generic plan made while a table was empty
 * scans it whole for every batch once it is large), search_path. The
 * attempt is polled in slices of 100 ms, so it ends within a slice when
 * *cancel is set (may be NULL), and it gives up after wait_ms (or the
 * connect timeout, when shorter). The password is read from its file again
 * for each attempt. On failure s->err says why (`shown` names the database)
 * and p->c is NULL. */
static int connect_session(dtc_store *s, const char *shown, int64_t wait_ms,
                           const volatile sig_atomic_t *cancel)
{
    pg *p = s->impl;
    char *pw = NULL, m[300] = "";
    int rc = password_from_file(s, &pw);
    if (rc) return rc;
    const char *keys[] = {"connect_timeout", "dbname", "application_name", pw ? "password" : NULL,
                          NULL};
    const char *vals[] = {"10", p->uri, "dtcost", pw, NULL};
    p->c = PQconnectStartParams(keys, vals, 1);
    dtc_free_secret(pw);
    rc = DTC_EDBLOST;
    if (!p->c) {
        snprintf(m, sizeof(m), "out of memory");
        goto done;
    }
    int64_t limit = connect_limit_ms(p->c);
    if (wait_ms < limit) limit = wait_ms;
    int64_t end = dtc_mono_ms() + limit;
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(p->c) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
           st != PGRES_POLLING_FAILED) {
        int64_t left = end - dtc_mono_ms();
        if (cancel && *cancel) {
            snprintf(m, sizeof(m), "interrupted by a signal");
            goto done;
        }
        if (left <= 0) {
            snprintf(m, sizeof(m), "no answer within %lld s", (long long)((limit + 999) / 1000));
            goto done;
        }
        struct pollfd pfd = {.fd = PQsocket(p->c),
                             .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT};
        int n = poll(&pfd, 1, (int)(left < 100 ? left : 100));
        if (n < 0 && errno != EINTR) {
            snprintf(m, sizeof(m), "poll: %s", strerror(errno));
            goto done;
        }
        if (n > 0) st = PQconnectPoll(p->c);
    }
    if (PQstatus(p->c) != CONNECTION_OK) {
        one_line(PQerrorMessage(p->c), m, sizeof(m));
        goto done;
    }
    PQsetNoticeProcessor(p->c, quiet, NULL);
    char sql[300];
    snprintf(sql, sizeof(sql),
             "SET client_min_messages TO warning; SET plan_cache_mode TO force_custom_plan;"
             " SET search_path TO %s;"
             " SELECT backend_start::text, pg_postmaster_start_time()::text FROM pg_stat_activity"
             " WHERE pid = pg_backend_pid()",
             p->schema);
    PGresult *r = PQexec(p->c, sql);
    rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : fail(s, "connect", r);
    /* a session that never got going leaves the one before it to be ended */
    if (rc == 0 && PQntuples(r) == 1 && PQgetlength(r, 0, 0) < (int)sizeof(p->backend_start) &&
        PQgetlength(r, 0, 1) < (int)sizeof(p->server_start)) {
        p->backend_pid = PQbackendPID(p->c);
        snprintf(p->backend_start, sizeof(p->backend_start), "%s", PQgetvalue(r, 0, 0));
        snprintf(p->server_start, sizeof(p->server_start), "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return rc;
done:
    if (p->c) PQfinish(p->c);
    p->c = NULL;
    snprintf(s->err, sizeof(s->err),
             "database %s: cannot connect: %.200s (is the server running, and the "
             "password in ~/.pgpass or DTCOST_DB_PASSWORD_FILE?)",
             shown, m[0] ? m : "no reason given");
    return rc;
}

static int pg_open(dtc_store *s, const char *target)
{
    pg *p = dtc_calloc(1, sizeof(*p));
    char shown[200], uri[1024];
    if (!p) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        return DTC_ENOMEM;
    }
    s->impl = p;
    dtc_store__scrub(target, shown, sizeof(shown));
    if (strcmp(shown, target) != 0) {
        snprintf(s->err, sizeof(s->err),
                 "database %s: a password in the URL would show in process lists; "
                 "put it in ~/.pgpass (or PGPASSFILE) or a file named by DTCOST_DB_PASSWORD_FILE",
                 shown);
        return DTC_EINVAL;
    }
    /* schema=NAME is dtcost's: taken out of the URI before libpq sees it. */
    snprintf(p->schema, sizeof(p->schema), "public");
    snprintf(uri, sizeof(uri), "%s", target);
    char *q = strchr(uri, '?');
    if (q) {
        char rest[1024] = "", *save = NULL;
        for (char *kv = strtok_r(q + 1, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
            if (strncmp(kv, "schema=", 7) == 0) {
                snprintf(p->schema, sizeof(p->schema), "%.63s", kv + 7);
                continue;
            }
            size_t len = strlen(rest);
            snprintf(rest + len, sizeof(rest) - len, "%s%s", len ? "&" : "", kv);
        }
        snprintf(q, sizeof(uri) - (size_t)(q - uri), "%s%s", rest[0] ? "?" : "", rest);
    }
    if (!ident_ok(p->schema)) {
        snprintf(s->err, sizeof(s->err),
                 "database %s: schema name %.63s: use lower-case letters, digits and _", shown,
                 p->schema);
        return DTC_EINVAL;
    }
    if (!(p->uri = dtc_strdup(uri))) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        return DTC_ENOMEM;
    }
    int rc = connect_session(s, shown, INT64_MAX / 2, NULL);
    return rc ? rc : migrate(s, shown);
}

static int run_lock_sql(char *dst, size_t n, const char *fmt);

/* A bound for this session's waits: lock_timeout and statement_timeout of
 * ms (at least 1: 0 would mean none). */
static int bound_session(dtc_store *s, int64_t ms)
{
    char sql[128];
    long long t = ms < 1 ? 1 : ms > 2000000000 ? 2000000000 : (long long)ms;
    snprintf(sql, sizeof(sql), "SET lock_timeout = %lld; SET statement_timeout = %lld", t, t);
    ((pg *)s->impl)->bounded = true;
    return run(s, sql, "reconnect");
}

/* The old session (pid, backend_start) may still be alive on the server:
 * only the client's side of the connection was cut, and the server has not
 * noticed. It holds the run's locks and its transaction open, so the locks
 * cannot be taken again and its transaction's fate is "in progress". It is
 * ended (pg_terminate_backend: a session of the same role may), and waited
 * for until `end` (dtc_mono_ms), which frees what it held and aborts its
 * transaction. Not allowed to end it, or it outlives the wait: 0 all the
 * same, the bounded waits that follow (bound_session) say the rest. */
static int end_old_session(dtc_store *s, int pid, const char *started, int64_t end,
                           const volatile sig_atomic_t *cancel)
{
    pg *p = s->impl;
    if (!pid || !started[0] || pid == p->backend_pid) return 0;
    char num[16];
    snprintf(num, sizeof(num), "%d", pid);
    const char *vals[] = {num, started};
    const char *sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE pid = $1::int AND backend_start = $2::timestamptz";
    for (;;) {
        PGresult *r = PQexecParams(p->c, sql, 2, NULL, vals, NULL, NULL, 0);
        int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : fail(s, "reconnect", r);
        bool alive = rc == 0 && PQntuples(r) > 0;
        PQclear(r);
        if (rc == DTC_EDBLOST) return rc;
        if (rc || !alive || dtc_mono_ms() >= end || dtc_sleep_ms(50, cancel)) break;
        sql = "SELECT 1 FROM pg_stat_activity WHERE pid = $1::int AND backend_start = "
              "$2::timestamptz";
    }
    s->err[0] = '\0'; /* a refusal (not allowed) is not the reconnect's failure */
    return 0;
}

/* The session is gone (a restart, a failover, a cut network): a new one
 * like it, within wait_ms. Everything the old one held on the server went
 * with it, or goes now (end_old_session): an open transaction (the caller
 * redoes it), prepared statements, session settings, advisory locks; the
 * run's lock is taken again here (another run only tries it in passing,
 * run_gone), the account locks by store.c. Until the next COMMIT, every wait
 * on a lock ends when the time left does (bound_session). */
static int pg_reconnect(dtc_store *s, int64_t wait_ms, const volatile sig_atomic_t *cancel)
{
    pg *p = s->impl;
    char shown[200], old_start[sizeof(p->backend_start)];
    int old_pid = p->backend_pid;
    int64_t end = dtc_mono_ms() + wait_ms;
    snprintf(old_start, sizeof(old_start), "%s", p->backend_start);
    if (p->c) PQfinish(p->c);
    p->c = NULL;
    p->tx = p->begin_due = p->bounded = false;
    p->xid[0] = '\0';
    memset(p->name, 0, sizeof(p->name));
    memset(p->merge_only, 0, sizeof(p->merge_only));
    dtc_store__scrub(s->target, shown, sizeof(shown));
    int rc = connect_session(s, shown, wait_ms, cancel);
    if (rc || (rc = bound_session(s, end - dtc_mono_ms())) ||
        (rc = end_old_session(s, old_pid, old_start, end, cancel)) || !p->run_lock)
        return rc;
    char sql[128];
    dtc_val id = DTC_INT(p->run_lock);
    if ((rc = run_lock_sql(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%s)")) != 0) return rc;
    for (;;) {
        PGresult *r = NULL;
        if ((rc = exec_params(s, sql, &id, 1, "sync_run", &r)) != 0) return rc;
        bool got = PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
        if (got) return 0;
        if (dtc_mono_ms() >= end || dtc_sleep_ms(50, cancel)) break;
    }
    snprintf(s->err, sizeof(s->err),
             "database %s: the lock of run %lld is still held by another session (its old one, "
             "which the server has not ended)",
             shown, (long long)p->run_lock);
    return DTC_EDBLOST;
}

/* Did the transaction whose COMMIT's answer was lost commit? The COMMIT
 * may have reached the server with only the answer lost; the server keeps
 * each transaction's fate (txid_status, PostgreSQL 10 and later). "in
 * progress" (a session the server has not noticed is gone and that could
 * not be ended), an id too old to tell, or one "in the future" (22023: a
 * crash lost the id's WAL record, so it never committed): not known to
 * have committed. Nor is any answer from a server started since the one
 * that gave the id: after a crash, the ids whose WAL records were lost are
 * handed out again, and "committed" may be another transaction's (the
 * caller redoes the chunk: its rows are upserts). The query is bounded by
 * the time left (bound_session); statement_timeout is then as the
 * session's defaults say. */
static int pg_lost_committed(dtc_store *s, int *committed)
{
    pg *p = s->impl;
    *committed = 0;
    int rc = 0;
    if (p->lost_xid[0]) {
        const char *vals[] = {p->lost_xid, p->lost_server};
        PGresult *r = PQexecParams(p->c,
                                   "SELECT txid_status($1::bigint),"
                                   " pg_postmaster_start_time()::text = $2",
                                   2, NULL, vals, NULL, NULL, 0);
        const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (PQresultStatus(r) == PGRES_TUPLES_OK)
            *committed = !PQgetisnull(r, 0, 0) && strcmp(PQgetvalue(r, 0, 0), "committed") == 0 &&
                         !PQgetisnull(r, 0, 1) && PQgetvalue(r, 0, 1)[0] == 't';
        else if (!st || strcmp(st, "22023") != 0)
            rc = fail(s, "reconnect", r);
        PQclear(r);
        if (rc == 0) p->lost_xid[0] = '\0';
    }
    return rc ? rc : run(s, "RESET statement_timeout", "reconnect");
}

static void pg_close(dtc_store *s)
{
    pg *p = s->impl;
    if (!p) return;
    if (p->c) PQfinish(p->c);
    dtc_free(p->uri);
    dtc_free(p);
    s->impl = NULL;
}

/* ---- transactions and queries ---- */

/* BEGIN is sent with the transaction's first statement (due). */
static int pg_begin(dtc_store *s)
{
    pg *p = s->impl;
    p->tx = true;
    p->begin_due = true;
    return 0;
}

static int pg_commit(dtc_store *s)
{
    pg *p = s->impl;
    p->tx = false;
    if (p->begin_due) { /* nothing was sent: nothing to commit */
        p->begin_due = false;
        return 0;
    }
    /* the redo after a reconnect is over: lock waits as the session's defaults say */
    int rc = run_commit(s, p->bounded ? "COMMIT; RESET lock_timeout" : "COMMIT", "commit");
    if (rc == 0) p->bounded = false;
    p->xid[0] = '\0'; /* committed, or lost (fail kept it) or refused: over either way */
    return rc;
}

/* Keeps the error that caused it. */
static void pg_rollback(dtc_store *s)
{
    pg *p = s->impl;
    char keep[sizeof(s->err)];
    memcpy(keep, s->err, sizeof(keep));
    p->tx = false;
    p->xid[0] = '\0';
    if (p->begin_due)
        p->begin_due = false; /* nothing was sent */
    else if (PQstatus(p->c) == CONNECTION_OK)
        (void)run(s, "ROLLBACK", "rollback");
    memcpy(s->err, keep, sizeof(keep));
}

int dtc_store__pg_exec(dtc_store *s, const char *sql, const dtc_val *v, int n, const char *what,
                       PGresult **out)
{
    return exec_params(s, sql, v, n, what, out);
}

int dtc_store__pg_own_begin(dtc_store *s, bool *own)
{
    pg *p = s->impl;
    *own = !p->tx;
    int rc = *own ? run(s, "BEGIN", "begin") : 0;
    if (rc) *own = false;
    return rc;
}

int dtc_store__pg_own_end(dtc_store *s, bool own, int rc)
{
    if (!own) return rc;
    if (rc == 0) return run_commit(s, "COMMIT", "commit");
    pg_rollback(s);
    return rc;
}

/* A column of a row as the dtc_val its type maps to: integers (and integral
 * numerics, which is what SUM of a BIGINT returns), reals, text. */
static int column(dtc_store *s, const PGresult *r, int c, dtc_val *v)
{
    if (PQgetisnull(r, 0, c)) {
        *v = DTC_NULL;
        return 0;
    }
    const char *t = PQgetvalue(r, 0, c);
    char *end;
    switch (PQftype(r, c)) {
    case OID_BOOL:
        *v = DTC_INT(t[0] == 't');
        return 0;
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_NUMERIC:
        errno = 0;
        long long i = strtoll(t, &end, 10);
        if (*end == '\0' && errno == 0) {
            *v = DTC_INT(i);
            return 0;
        }
        if (PQftype(r, c) != OID_NUMERIC || *end != '.' || end[strspn(end + 1, "0") + 1] != '\0' ||
            errno) {
            if (PQftype(r, c) == OID_NUMERIC && !errno) {
                *v = DTC_REAL(strtod(t, NULL));
                return 0;
            }
            snprintf(s->err, sizeof(s->err), "database: column %d: %.40s is out of range", c + 1,
                     t);
            return DTC_EDB;
        }
        *v = DTC_INT(i);
        return 0;
    case OID_FLOAT4:
    case OID_FLOAT8:
        *v = DTC_REAL(strtod(t, NULL));
        return 0;
    default:
        *v = DTC_TEXT(t);
        return 0;
    }
}

/* Only a SELECT (or WITH ... SELECT) is a query; outside a transaction it
 * runs in a READ ONLY one, so a data-modifying WITH is refused too. */
static bool reads_only(const char *sql)
{
    while (*sql == ' ' || *sql == '\n')
        sql++;
    return (strncasecmp(sql, "SELECT", 6) == 0 || strncasecmp(sql, "WITH", 4) == 0) &&
           !strchr(sql, ';');
}

static int pg_query(dtc_store *s, const char *sql, const dtc_val *params, int nparams,
                    int (*fn)(void *, const dtc_row *), void *ctx)
{
    pg *p = s->impl;
    if (!reads_only(sql)) {
        snprintf(s->err, sizeof(s->err), "database: a query must not write");
        return DTC_EINVAL;
    }
    int due_rc = due(s);
    if (due_rc) return due_rc;
    size_t len = strlen(sql) + 8 * (size_t)nparams + 1;
    char *text = dtc_malloc(len);
    const char *vals[MAX_PARAMS];
    unsigned types[MAX_PARAMS];
    char num[MAX_PARAMS][32];
    bool own = !p->tx;
    int rc = 0;
    if (!text) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        return DTC_ENOMEM;
    }
    if (nparams > MAX_PARAMS || dtc_store__placeholders(sql, text, len) != nparams) {
        snprintf(s->err, sizeof(s->err), "database: query \"%.60s\": bad placeholders", sql);
        dtc_free(text);
        return DTC_EINVAL;
    }
    for (int i = 0; i < nparams; i++) {
        vals[i] = param(&params[i], num[i], sizeof(num[i]));
        types[i] = param_type(&params[i]);
    }
    if (own && (rc = run(s, "BEGIN READ ONLY", "query")) != 0) {
        dtc_free(text);
        return rc;
    }
    /* Row by row: an export streams millions of rows in constant memory. */
    if (!PQsendQueryParams(p->c, text, nparams, types, vals, NULL, NULL, 0) ||
        !PQsetSingleRowMode(p->c)) {
        rc = fail(s, "query", NULL);
        goto done;
    }
    PGresult *r;
    bool stopped = false;
    while ((r = PQgetResult(p->c)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE && !stopped && rc == 0) {
            int n = PQnfields(r);
            dtc_val cols[2 * DTC_FACT_MAX_COLS];
            if (n > 2 * DTC_FACT_MAX_COLS) {
                snprintf(s->err, sizeof(s->err),
                         "database: query \"%.60s\": %d columns, at most %d", sql, n,
                         2 * DTC_FACT_MAX_COLS);
                rc = DTC_EINVAL;
            }
            for (int c = 0; c < n && rc == 0; c++)
                rc = column(s, r, c, &cols[c]);
            if (rc == 0) {
                dtc_row row = {s, sql, cols, n};
                rc = fn(ctx, &row);
            }
            stopped = rc != 0; /* the rest is read and dropped: the connection stays usable */
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && rc == 0) {
            rc = fail(s, "query", r);
        }
        PQclear(r);
    }
    if (rc == 0 && PQstatus(p->c) == CONNECTION_BAD) rc = fail(s, "query", NULL);
done:
    if (own) {
        char keep[sizeof(s->err)];
        memcpy(keep, s->err, sizeof(keep));
        int end = rc ? run(s, "ROLLBACK", "query") : run_commit(s, "COMMIT", "query");
        memcpy(s->err, keep, sizeof(keep));
        if (rc == 0) rc = end;
    }
    dtc_free(text);
    return rc;
}

/* ---- facts ---- */

/* A batch travels as one array per column, unnested by the server. One
 * statement takes at most BATCH_ROWS rows or about BATCH_BYTES of arrays,
 * which bounds its parameters and the server's memory for it; a column's
 * array may grow to BATCH_CAP for a single large value. */
#define BATCH_ROWS 5000
#define BATCH_BYTES ((size_t)8 << 20)
#define BATCH_CAP ((size_t)64 << 20)
#define BATCH_SLOTS 16384 /* hash set of a statement's keys: > 2 x BATCH_ROWS, a power of 2 */
#define BATCH_COLS (2 * DTC_FACT_MAX_COLS + 3)

static int updated_vals(const dtc_fact_desc *d)
{
    return d->nvals - (d->first_seen ? 1 : 0);
}

/* Column i of the fact: its keys, then its values. */
static const char *fact_col(const dtc_fact_desc *d, int i)
{
    return i < d->nkeys ? d->keys[i] : d->vals[i - d->nkeys];
}

/* The type of each of the fact's columns as the catalog names it, which the
 * arrays are cast to (a NULL or a number then means what it would in a
 * VALUES row). */
static int column_types(dtc_store *s, const dtc_fact_desc *d, char (*types)[32])
{
    dtc_val v[] = {DTC_TEXT(d->name)};
    PGresult *r = NULL;
    int rc = exec_params(s,
                         "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute WHERE"
                         " attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                         v, 1, d->name, &r);
    for (int i = 0; i < d->nkeys + d->nvals && rc == 0; i++) {
        int row = 0;
        while (row < PQntuples(r) && strcmp(PQgetvalue(r, row, 0), fact_col(d, i)) != 0)
            row++;
        if (row == PQntuples(r) || PQgetlength(r, row, 1) >= 32) {
            snprintf(s->err, sizeof(s->err),
                     "database: table %s has no column %s (or an unexpected type): was the"
                     " schema changed by hand?",
                     d->name, fact_col(d, i));
            rc = DTC_EDB;
        } else {
            snprintf(types[i], 32, "%s", PQgetvalue(r, row, 1));
        }
    }
    PQclear(r);
    return rc;
}

/* One statement per fact (and per table of a copy: d from
 * dtc_store__copied) takes a batch of rows as arrays, prepared for slot. It looks each row
 * up once (`cur`: the row as stored, if any, and whether its values
 * differ), inserts the rows not stored, updates those whose values changed,
 * and logs each changed measured value's old and new text in the revision
 * table, in the rows' order. Every part of a WITH sees the table as it was
 * before the statement, so a key must not repeat within one batch (the
 * caller starts the next statement). A plain INSERT rather than ON CONFLICT:
 * no speculative insertion for the new rows and no row lock for the
 * unchanged ones; another writer inserting the same key at the same moment
 * (which the per-account lock prevents) makes the statement fail whole.
 * Parameters: one array per key and value column, then (measured facts)
 * arrays of key text, new value text and booking, the run id and seen at.
 * Returns one row: inserted, updated. */
static int prepare_fact(dtc_store *s, const dtc_fact_desc *d, int slot)
{
    pg *p = s->impl;
    int nk = d->nkeys, n = d->nkeys + d->nvals, nu = updated_vals(d);
    char types[2 * DTC_FACT_MAX_COLS][32];
    int rc = column_types(s, d, types);
    if (rc) return rc;
    dtc_buf b;
    dtc_buf_init(&b, DTC_CAP_SMALL);
    int err = dtc_buf_adds(&b, "WITH src AS (SELECT * FROM unnest(");
    for (int i = 0; i < n; i++)
        err |= dtc_buf_printf(&b, "%s$%d::%s[]", i ? "," : "", i + 1, types[i]);
    if (d->measured >= 0)
        err |= dtc_buf_printf(&b, ",$%d::text[],$%d::text[],$%d::text[]", n + 1, n + 2, n + 3);
    err |= dtc_buf_adds(&b, ") WITH ORDINALITY AS u(");
    for (int i = 0; i < n; i++)
        err |= dtc_buf_printf(&b, "c%d,", i);
    if (d->measured >= 0) err |= dtc_buf_adds(&b, "rkey,rnew,rbook,");
    err |= dtc_buf_adds(&b, "ord)), cur AS (SELECT src.*, t.hit IS NOT NULL AS found, ");
    if (nu == 0) err |= dtc_buf_adds(&b, "false");
    for (int i = 0; i < nu; i++)
        err |= dtc_buf_printf(&b, "%st.%s", i ? "," : "(", d->vals[i]);
    for (int i = 0; i < nu; i++)
        err |= dtc_buf_printf(&b, "%ssrc.c%d", i ? "," : ") IS DISTINCT FROM (", nk + i);
    err |= dtc_buf_adds(&b, nu ? ") AS changed" : " AS changed");
    if (d->measured >= 0)
        err |=
            dtc_buf_printf(&b, ", t.%s::text AS old_m, t.%s IS DISTINCT FROM src.c%d AS restated",
                           d->vals[d->measured], d->vals[d->measured], nk + d->measured);
    /* One probe of the primary key per row: OFFSET 0 keeps the subquery a
     * parameterised scan, where a join would let the planner hash the whole
     * table for every batch (a sequential scan of a million rows to look up
     * a few thousand). */
    err |= dtc_buf_adds(&b, " FROM src LEFT JOIN LATERAL (SELECT true AS hit");
    for (int i = 0; i < d->nvals; i++)
        err |= dtc_buf_printf(&b, ", %s", d->vals[i]);
    err |= dtc_buf_printf(&b, " FROM %s WHERE ", d->name);
    for (int i = 0; i < nk; i++)
        err |= dtc_buf_printf(&b, "%s%s = src.c%d", i ? " AND " : "", d->keys[i], i);
    err |= dtc_buf_adds(&b, " OFFSET 0) t ON true)");
    if (d->measured >= 0)
        err |= dtc_buf_printf(
            &b,
            ", rev AS (INSERT INTO revision(run_id,fact,key,old_value,new_value,booking,seen_at)"
            " SELECT $%d::bigint, '%s', rkey, old_m, rnew, rbook, $%d::text FROM cur"
            " WHERE found AND restated ORDER BY ord)",
            n + 4, d->name, n + 5);
    err |= dtc_buf_printf(&b, ", ins AS (INSERT INTO %s(", d->name);
    for (int i = 0; i < n; i++)
        err |= dtc_buf_printf(&b, "%s%s", i ? "," : "", fact_col(d, i));
    err |= dtc_buf_adds(&b, ") SELECT ");
    for (int i = 0; i < n; i++)
        err |= dtc_buf_printf(&b, "%sc%d", i ? "," : "", i);
    err |= dtc_buf_adds(&b, " FROM cur WHERE NOT found ORDER BY ord RETURNING 1)");
    if (nu > 0) {
        err |= dtc_buf_printf(&b, ", upd AS (UPDATE %s t SET ", d->name);
        for (int i = 0; i < nu; i++)
            err |= dtc_buf_printf(&b, "%s%s = cur.c%d", i ? "," : "", d->vals[i], nk + i);
        err |= dtc_buf_adds(&b, " FROM cur WHERE cur.changed AND cur.found");
        for (int i = 0; i < nk; i++)
            err |= dtc_buf_printf(&b, " AND t.%s = cur.c%d", d->keys[i], i);
        err |= dtc_buf_adds(&b, " RETURNING 1)");
    }
    err |= dtc_buf_printf(&b, " SELECT (SELECT count(*) FROM ins), %s",
                          nu > 0 ? "(SELECT count(*) FROM upd)" : "0");
    rc = err ? DTC_ENOMEM : 0;
    if (rc == 0) {
        snprintf(p->name[slot], sizeof(p->name[slot]), "put%d", slot);
        PGresult *r = PQprepare(p->c, p->name[slot], b.data, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = fail(s, d->name, r);
            p->name[slot][0] = '\0';
        }
        PQclear(r);
    }
    dtc_buf_dispose(&b);
    return rc;
}

/* The rows of one statement being built: an array literal per column for
 * the merge (prepare_fact), or, for a COPY (copy_send), the rows as COPY
 * text lines. Rows first .. first + rows - 1 of the caller's arrays. */
typedef struct batch {
    const dtc_fact_desc *d;
    int stmt; /* the statement's slot (pg.name) */
    const dtc_val *keys, *vals;
    const char *const *booking;
    dtc_buf col[BATCH_COLS];
    int ncols;
    bool copy; /* the rows are in lines, for a COPY */
    dtc_buf lines;
    size_t first, rows, bytes;
    size_t slot[BATCH_SLOTS]; /* rows of this statement by key hash: index + 1, 0 empty */
} batch;

/* Are keys of rows a and b the same? Compared as the revision log writes
 * them, so a key given as text and as an integer is one key, as the server
 * would find. */
static bool same_key(const batch *t, size_t a, size_t b)
{
    const dtc_val *x = t->keys + a * (size_t)t->d->nkeys, *y = t->keys + b * (size_t)t->d->nkeys;
    for (int i = 0; i < t->d->nkeys; i++) {
        if (x[i].type == 't' && y[i].type == 't') {
            if (strcmp(x[i].s, y[i].s) != 0) return false;
            continue;
        }
        char u[160], v[160];
        dtc_store__val_text(&x[i], u, sizeof(u));
        dtc_store__val_text(&y[i], v, sizeof(v));
        if (strcmp(u, v) != 0 || (x[i].type == 'n') != (y[i].type == 'n')) return false;
    }
    return true;
}

static uint64_t key_hash(const batch *t, size_t row)
{
    const dtc_val *k = t->keys + row * (size_t)t->d->nkeys;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (int i = 0; i < t->d->nkeys; i++) {
        char num[160];
        const char *c = num;
        if (k[i].type == 't')
            c = k[i].s;
        else
            dtc_store__val_text(&k[i], num, sizeof(num));
        for (; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        h = (h ^ 0x1f) * 1099511628211ULL;
    }
    return h;
}

/* Whether row's key is already in this statement; when not, it is added. */
static bool seen_key(batch *t, size_t row)
{
    for (size_t i = key_hash(t, row) & (BATCH_SLOTS - 1);; i = (i + 1) & (BATCH_SLOTS - 1)) {
        if (!t->slot[i]) {
            t->slot[i] = row + 1;
            return false;
        }
        if (same_key(t, t->slot[i] - 1, row)) return true;
    }
}

/* Append v to an array literal: text quoted (" and \ escaped), numbers as
 * the text a VALUES row would get (store.h's dtc_val), NULL bare. */
static int array_add(dtc_buf *b, const dtc_val *v)
{
    char num[32];
    int err = dtc_buf_addc(b, b->len ? ',' : '{');
    switch (v->type) {
    case 't':
        err |= dtc_buf_addc(b, '"');
        for (const char *c = v->s; *c && !err;) {
            size_t span = strcspn(c, "\"\\");
            err |= dtc_buf_add(b, c, span);
            c += span;
            if (*c) {
                err |= dtc_buf_addc(b, '\\') | dtc_buf_addc(b, *c);
                c++;
            }
        }
        return err | dtc_buf_addc(b, '"');
    case 'n':
        return err | dtc_buf_adds(b, "NULL");
    default:
        return err | dtc_buf_adds(b, param(v, num, sizeof(num)));
    }
}

/* Append v to a row of COPY text: text with \, tab, newline and carriage
 * return escaped, numbers as array_add writes them (the column's input
 * function reads both alike), NULL as \N. */
static int line_add(dtc_buf *b, const dtc_val *v, bool first)
{
    char num[32];
    int err = first ? 0 : dtc_buf_addc(b, '\t');
    switch (v->type) {
    case 't':
        for (const char *c = v->s; *c && !err;) {
            size_t span = strcspn(c, "\\\t\n\r");
            err |= dtc_buf_add(b, c, span);
            c += span;
            if (*c) {
                char e = *c == '\t' ? 't' : *c == '\n' ? 'n' : *c == '\r' ? 'r' : '\\';
                err |= dtc_buf_addc(b, '\\') | dtc_buf_addc(b, e);
                c++;
            }
        }
        return err;
    case 'n':
        return err | dtc_buf_adds(b, "\\N");
    default:
        return err | dtc_buf_adds(b, param(v, num, sizeof(num)));
    }
}

/* A prepared statement's result; a BEGIN that is due goes with it in the
 * same round trip (libpq's pipeline mode), together with the transaction's
 * id (keep_xid), and its failure is then the result. NULL when libpq could
 * not send (the connection's error says why). */
static PGresult *exec_prepared(dtc_store *s, const char *name, int n, const char *const *v)
{
    pg *p = s->impl;
    if (!p->begin_due) return PQexecPrepared(p->c, name, n, v, NULL, NULL, 0);
    p->begin_due = false;
    if (!PQenterPipelineMode(p->c)) return NULL;
    PGresult *begin = NULL, *stmt = NULL;
    if (PQsendQueryParams(p->c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) &&
        PQsendQueryParams(p->c, "SELECT txid_current()", 0, NULL, NULL, NULL, NULL, 0) &&
        PQsendQueryPrepared(p->c, name, n, v, NULL, NULL, 0) && PQpipelineSync(p->c)) {
        /* Each query's result and a NULL (BEGIN, the id, the statement),
         * then the sync's; fewer when the connection breaks. */
        int nulls = 0;
        for (int i = 0; i < 10; i++) {
            PGresult *r = PQgetResult(p->c);
            if (!r) {
                if (++nulls > 3 || PQstatus(p->c) == CONNECTION_BAD) break;
                continue;
            }
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                break;
            }
            if (nulls == 0 && !begin) {
                begin = r;
                continue;
            }
            if (nulls == 1) keep_xid(p, r);
            if (nulls == 2 && !stmt)
                stmt = r;
            else
                PQclear(r);
        }
    }
    (void)PQexitPipelineMode(p->c);
    if (!begin || PQresultStatus(begin) != PGRES_COMMAND_OK) {
        PQclear(stmt);
        return begin;
    }
    PQclear(begin);
    return stmt;
}

/* Row i (0-based) of a batch of d would pass the batch's cap. */
static int too_big(dtc_store *s, const dtc_fact_desc *d, size_t i)
{
    snprintf(s->err, sizeof(s->err),
             "database: %s: row %zu does not fit in a batch (a value of more than %zu MiB?)",
             d->name, i + 1, BATCH_CAP >> 20);
    return DTC_ETOOBIG;
}

/* Add row i of the caller's arrays to the merge statement being built. */
static int batch_add(dtc_store *s, batch *t, size_t i)
{
    const dtc_fact_desc *d = t->d;
    const dtc_val *k = t->keys + i * (size_t)d->nkeys, *v = t->vals + i * (size_t)d->nvals;
    int err = 0;
    for (int c = 0; c < d->nkeys; c++)
        err |= array_add(&t->col[c], &k[c]);
    for (int c = 0; c < d->nvals; c++)
        err |= array_add(&t->col[d->nkeys + c], &v[c]);
    if (d->measured >= 0) {
        char key[DTC_STORE_KEY_TEXT], newv[64];
        int c = d->nkeys + d->nvals;
        dtc_store__key_text(d, k, key);
        dtc_store__val_text(&v[d->measured], newv, sizeof(newv));
        dtc_val rev[] = {DTC_TEXT(key), DTC_TEXT(newv),
                         DTC_TEXT(t->booking ? t->booking[i] : NULL)};
        for (int j = 0; j < 3; j++)
            err |= array_add(&t->col[c + j], &rev[j]);
    }
    if (err) return too_big(s, d, i);
    t->rows++;
    t->bytes = 0;
    for (int c = 0; c < t->ncols; c++)
        t->bytes += t->col[c].len;
    return 0;
}

/* Add row i of the caller's arrays to the COPY being built: its key and
 * value columns, in the table's column list (copy_send). New rows log no
 * revision, so nothing else. */
static int copy_add(dtc_store *s, batch *t, size_t i)
{
    const dtc_fact_desc *d = t->d;
    const dtc_val *k = t->keys + i * (size_t)d->nkeys, *v = t->vals + i * (size_t)d->nvals;
    int err = 0;
    for (int c = 0; c < d->nkeys; c++)
        err |= line_add(&t->lines, &k[c], c == 0);
    for (int c = 0; c < d->nvals; c++)
        err |= line_add(&t->lines, &v[c], false);
    if (err || dtc_buf_addc(&t->lines, '\n')) return too_big(s, d, i);
    t->rows++;
    t->bytes = t->lines.len;
    return 0;
}

/* The rows of t, all new, written by COPY inside a savepoint: the first
 * sync of a range inserts every row, which COPY does for a third of the
 * merge's server time (no lookup, no arrays to parse, no plan; the heap
 * written a page at a time). Two round trips: the COPY starts (with a BEGIN
 * that is due), then its rows go and the savepoint is released. *refused
 * true when the server refused the rows (one already stored, by an earlier
 * run or another writer, or a constraint): the savepoint is rolled back,
 * nothing of the COPY stays, and the caller redoes the rows by the merge,
 * which gives the answer the merge gives. A lost connection is a failure. */
static int copy_send(dtc_store *s, batch *t, long *inserted, bool *refused)
{
    pg *p = s->impl;
    const dtc_fact_desc *d = t->d;
    PGresult *bad = NULL;
    bool in = false;
    int rc = 0;
    dtc_buf sql;
    dtc_buf_init(&sql, DTC_CAP_SMALL);
    *inserted = 0;
    *refused = false;
    int err = dtc_buf_printf(&sql, "%sSAVEPOINT dtc_copy; COPY %s(",
                             p->begin_due ? BEGIN_TX "; " : "", d->name);
    for (int i = 0; i < d->nkeys + d->nvals; i++)
        err |= dtc_buf_printf(&sql, "%s%s", i ? "," : "", fact_col(d, i));
    err |= dtc_buf_adds(&sql, ") FROM STDIN; RELEASE SAVEPOINT dtc_copy");
    if (err) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        rc = DTC_ENOMEM;
        goto done;
    }
    p->begin_due = false;
    if (!PQsendQuery(p->c, sql.data)) {
        rc = fail(s, d->name, NULL);
        goto done;
    }
    /* BEGIN's, the transaction id's and SAVEPOINT's results, then the
     * COPY's start; an error instead skips the rest of the statements.
     * Bounded: at most one result a statement, and libpq ends a broken
     * connection's results. */
    for (int i = 0; i < 5 && !in; i++) {
        PGresult *r = PQgetResult(p->c);
        if (!r) break;
        ExecStatusType st = PQresultStatus(r);
        in = st == PGRES_COPY_IN;
        if (st == PGRES_TUPLES_OK) keep_xid(p, r);
        if (st != PGRES_COPY_IN && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !bad)
            bad = r;
        else
            PQclear(r);
    }
    if (in && (PQputCopyData(p->c, t->lines.data, (int)t->lines.len) != 1 ||
               PQputCopyEnd(p->c, NULL) != 1)) {
        rc = fail(s, d->name, NULL);
        goto done;
    }
    /* The COPY's result (and RELEASE's when it succeeded), then NULL. */
    for (int i = 0; in && i < 4; i++) {
        PGresult *r = PQgetResult(p->c);
        if (!r) break;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK && i == 0) *inserted = strtol(PQcmdTuples(r), NULL, 10);
        if (st != PGRES_COMMAND_OK && !bad)
            bad = r;
        else
            PQclear(r);
    }
    /* a refusal is a conflict the merge resolves; not a lost session, nor a
     * wait on the old session's rows past the time left (lock_timed_out) */
    if (PQstatus(p->c) == CONNECTION_BAD || (!in && !bad) || lost_state(bad) ||
        lock_timed_out(p, bad)) {
        rc = fail(s, d->name, bad);
        goto done;
    }
    if (bad) {
        *refused = true;
        *inserted = 0;
        rc = run(s, "ROLLBACK TO SAVEPOINT dtc_copy; RELEASE SAVEPOINT dtc_copy", d->name);
    }
done:
    PQclear(bad);
    dtc_buf_dispose(&sql);
    return rc;
}

/* The statement built in t is sent; it starts empty again. */
static void batch_reset(batch *t)
{
    for (int i = 0; i < t->ncols; i++)
        dtc_buf_reset(&t->col[i]);
    dtc_buf_reset(&t->lines);
    memset(t->slot, 0, sizeof(t->slot));
    t->rows = t->bytes = 0;
    t->copy = false;
}

/* Send the statement built in t and add what it did to *counts: a COPY,
 * redone by the merge when the server refuses it, or the merge. */
static int batch_send(dtc_store *s, batch *t, dtc_put_counts *counts)
{
    pg *p = s->impl;
    const dtc_fact_desc *d = t->d;
    int f = t->stmt, n = t->ncols, rc = 0;
    const char *v[BATCH_COLS + 2];
    char run_id[32];
    if (t->copy) {
        long ins;
        bool refused;
        rc = copy_send(s, t, &ins, &refused);
        if (rc == 0 && !refused) {
            counts->inserted += ins;
            counts->same += (long)t->rows - ins;
        }
        if (rc || !refused) goto done;
        /* Some rows were stored already: the merge from here on, until a
         * batch of it inserts every row again. */
        p->merge_only[f] = true;
        size_t first = t->first, rows = t->rows;
        t->copy = false;
        t->rows = 0;
        for (size_t i = first; i < first + rows && rc == 0; i++)
            rc = batch_add(s, t, i);
        if (rc) goto done;
    }
    for (int i = 0; i < n && rc == 0; i++)
        if (dtc_buf_addc(&t->col[i], '}')) rc = DTC_ENOMEM;
    if (rc) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++)
        v[i] = t->col[i].data;
    if (d->measured >= 0) {
        snprintf(run_id, sizeof(run_id), "%lld", (long long)s->run_id);
        v[n++] = run_id;
        v[n++] = s->seen_at;
    }
    PGresult *r = exec_prepared(s, p->name[f], n, v);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state && strcmp(state, "23505") == 0 && f < DTC_FACT_COUNT) { /* unique_violation */
        char m[300];
        one_line(PQresultErrorMessage(r), m, sizeof(m));
        snprintf(s->err, sizeof(s->err),
                 "database: %s: another writer stored some of these rows at the same moment (%s);"
                 " nothing of this transaction was written: run again",
                 d->name, m);
        rc = DTC_EDB;
    } else if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        rc = fail(s, d->name, r);
    } else {
        long ins = strtol(PQgetvalue(r, 0, 0), NULL, 10),
             upd = strtol(PQgetvalue(r, 0, 1), NULL, 10);
        counts->inserted += ins;
        counts->updated += upd;
        counts->same += (long)t->rows - ins - upd;
        p->merge_only[f] = ins < (long)t->rows;
    }
    PQclear(r);
done:
    batch_reset(t);
    return rc;
}

/* Fewer rows than this go by the merge even when new: a COPY costs a round
 * trip more, which a few rows do not pay back. */
#define COPY_MIN_ROWS 64

/* n rows of d in batches by the statement of slot f (pg.name). */
static int put_rows(dtc_store *s, dtc_put_counts *counts, const dtc_fact_desc *d, int f,
                    const dtc_val *keys, const dtc_val *vals, const char *const *booking, size_t n)
{
    pg *p = s->impl;
    int rc;
    bool own = false;
    if (n == 0) return 0;
    if (!p->name[f][0] && (rc = prepare_fact(s, d, f)) != 0) return rc;
    batch *t = dtc_calloc(1, sizeof(*t));
    if (!t) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        return DTC_ENOMEM;
    }
    t->d = d;
    t->stmt = f;
    t->keys = keys;
    t->vals = vals;
    t->booking = booking;
    t->ncols = d->nkeys + d->nvals + (d->measured >= 0 ? 3 : 0);
    for (int c = 0; c < t->ncols; c++)
        dtc_buf_init(&t->col[c], BATCH_CAP);
    dtc_buf_init(&t->lines, BATCH_CAP);
    if ((rc = dtc_store__pg_own_begin(s, &own)) != 0) goto done;
    for (size_t i = 0; i < n && rc == 0; i++) {
        /* A repeated key starts the next statement, which sees this one's row. */
        if (seen_key(t, i)) {
            if ((rc = batch_send(s, t, counts)) != 0) break;
            (void)seen_key(t, i);
        }
        if (t->rows == 0) {
            t->first = i;
            t->copy = !p->merge_only[f] && n - i >= COPY_MIN_ROWS;
        }
        if ((rc = t->copy ? copy_add(s, t, i) : batch_add(s, t, i)) == 0 &&
            (t->rows == BATCH_ROWS || t->bytes >= BATCH_BYTES))
            rc = batch_send(s, t, counts);
    }
    if (rc == 0 && t->rows > 0) rc = batch_send(s, t, counts);
    rc = dtc_store__pg_own_end(s, own, rc);
done:
    for (int c = 0; c < t->ncols; c++)
        dtc_buf_dispose(&t->col[c]);
    dtc_buf_dispose(&t->lines);
    dtc_free(t);
    if (rc) memset(counts, 0, sizeof(*counts));
    return rc;
}

static int pg_put_many(dtc_store *s, dtc_put_counts *counts, const dtc_fact_desc *d,
                       const dtc_val *keys, const dtc_val *vals, const char *const *booking,
                       size_t n)
{
    return put_rows(s, counts, d, (int)(d - dtc_store__facts), keys, vals, booking, n);
}

/* One row is a batch of one. */
static int pg_put(dtc_store *s, dtc_put *result, const dtc_fact_desc *d, const dtc_val *keys,
                  const dtc_val *vals, const char *booking)
{
    dtc_put_counts c = {0};
    int rc = pg_put_many(s, &c, d, keys, vals, booking ? &booking : NULL, 1);
    if (rc == 0)
        *result = c.inserted ? DTC_PUT_INSERTED : c.updated ? DTC_PUT_UPDATED : DTC_PUT_SAME;
    return rc;
}

/* Restated children: DELETE ... WHERE k1 = $1 AND ... AND kn NOT IN the
 * JSON array's values. The last key is compared as text, which is how
 * json_array_elements_text gives both the array's strings and its integers. */
static int pg_prune(dtc_store *s, long *removed, const dtc_fact_desc *d, int fact,
                    const dtc_val *prefix, const char *keep)
{
    (void)fact;
    dtc_val v[DTC_FACT_MAX_COLS];
    dtc_buf sql;
    dtc_buf_init(&sql, DTC_CAP_SMALL);
    PGresult *r = NULL;
    int rc = dtc_buf_printf(&sql, "DELETE FROM %s WHERE ", d->name) ? DTC_ENOMEM : 0;
    for (int i = 0; i < d->nkeys - 1 && rc == 0; i++) {
        v[i] = prefix[i];
        if (dtc_buf_printf(&sql, "%s = $%d AND ", d->keys[i], i + 1)) rc = DTC_ENOMEM;
    }
    v[d->nkeys - 1] = DTC_TEXT(keep);
    if (rc == 0 &&
        dtc_buf_printf(&sql, "%s::text NOT IN (SELECT json_array_elements_text($%d::json))",
                       d->keys[d->nkeys - 1], d->nkeys))
        rc = DTC_ENOMEM;
    if (rc) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        goto done;
    }
    if ((rc = exec_params(s, sql.data, v, d->nkeys, "prune", &r)) == 0)
        *removed = strtol(PQcmdTuples(r), NULL, 10);
done:
    PQclear(r);
    dtc_buf_dispose(&sql);
    return rc;
}

/* ---- runs, checkpoints, coverage ---- */

/* A running run holds a session advisory lock (RUN_LOCK_NS, its id) from
 * before its row is visible until it ends or its connection does; the
 * server drops a dead client's locks. So any later run, on any host (a
 * Kubernetes pod with a new name, another machine), tells a dead run from a
 * live one by trying that lock, where store_sqlite.c can only ask the local
 * kernel about a pid. Two-key advisory locks do not overlap the one-key
 * (bigint) locks of dtc_store_lock. Ids wrap at 2^31: two runs 2^31 apart
 * would share a lock, which only makes a dead one look alive. */
#define RUN_LOCK "1685349234, ($1 % 2147483648)::int" /* "dtcr" */

static int run_lock_sql(char *dst, size_t n, const char *fmt)
{
    return snprintf(dst, n, fmt, RUN_LOCK, RUN_LOCK) >= (int)n ? DTC_EINVAL : 0;
}

/* Is the run of row `row` (id in column 0) gone? *gone true when no session
 * holds its lock (taken and at once given back to find out). */
static int run_gone(dtc_store *s, const PGresult *r, int row, bool *gone)
{
    char sql[256];
    PGresult *t = NULL;
    dtc_val id = DTC_INT(strtoll(PQgetvalue(r, row, 0), NULL, 10));
    int rc = run_lock_sql(sql, sizeof(sql),
                          "SELECT CASE WHEN pg_try_advisory_lock(%s)"
                          " THEN pg_advisory_unlock(%s) ELSE false END");
    if (rc == 0 && (rc = exec_params(s, sql, &id, 1, "sync_run", &t)) == 0)
        *gone = strcmp(PQgetvalue(t, 0, 0), "t") == 0;
    PQclear(t);
    return rc;
}

static int pg_run_begin(dtc_store *s, int64_t *run_id, long *interrupted, const char *started_at,
                        const char *accounts)
{
    pg *p = s->impl;
    char host[256];
    bool own = !p->tx;
    PGresult *r = NULL, *ins = NULL;
    int rc;
    *interrupted = 0;
    if (gethostname(host, sizeof(host)) != 0) host[0] = '\0';
    host[sizeof(host) - 1] = '\0';
    if (own && (rc = run(s, "BEGIN", "sync_run")) != 0) return rc;
    /* FOR UPDATE: two runs starting together do not both mark the same row. */
    if ((rc = exec_params(s, "SELECT id, pid, host FROM sync_run WHERE status='running' FOR UPDATE",
                          NULL, 0, "sync_run", &r)))
        goto done;
    long n = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        bool gone = false;
        if ((rc = run_gone(s, r, i, &gone))) goto done;
        if (!gone) continue;
        dtc_val id = DTC_INT(strtoll(PQgetvalue(r, i, 0), NULL, 10));
        if ((rc = exec_params(
                 s,
                 "UPDATE sync_run SET status='interrupted', message='interrupted: the process"
                 " ended before the run finished (killed or crashed)' WHERE id=$1",
                 &id, 1, "sync_run", NULL)))
            goto done;
        n++;
    }
    dtc_val v[] = {DTC_TEXT(started_at), DTC_INT(getpid()), DTC_TEXT(host[0] ? host : NULL),
                   DTC_TEXT(accounts)};
    if ((rc = exec_params(s,
                          "INSERT INTO sync_run(started_at,status,pid,host,accounts)"
                          " VALUES($1,'running',$2,$3,$4) RETURNING id",
                          v, 4, "sync_run", &ins)))
        goto done;
    *run_id = strtoll(PQgetvalue(ins, 0, 0), NULL, 10);
    /* held from before the row is visible (the COMMIT below) */
    char sql[128];
    dtc_val id = DTC_INT(*run_id);
    if ((rc = run_lock_sql(sql, sizeof(sql), "SELECT pg_advisory_lock(%s)")) ||
        (rc = exec_params(s, sql, &id, 1, "sync_run", NULL)))
        goto done;
    p->run_lock = *run_id; /* taken again by pg_reconnect after a lost connection */
    if (own && (rc = run_commit(s, "COMMIT", "sync_run")) != 0) goto done;
    own = false;
    *interrupted = n;
done:
    PQclear(r);
    PQclear(ins);
    if (own) pg_rollback(s);
    return rc;
}

static int pg_run_end(dtc_store *s, int64_t run_id, const char *finished_at, const char *status,
                      const dtc_run_stats *st, const char *message)
{
    dtc_val v[] = {DTC_INT(run_id),       DTC_TEXT(finished_at),      DTC_TEXT(status),
                   DTC_INT(st->requests), DTC_INT(st->retries),       DTC_INT(st->inserted),
                   DTC_INT(st->updated),  DTC_INT(st->restated_days), DTC_INT(st->warnings),
                   DTC_TEXT(message)};
    char sql[128];
    int rc = exec_params(
        s,
        "UPDATE sync_run SET finished_at=$2, status=$3, requests=$4, retries=$5, inserted=$6,"
        " updated=$7, restated_days=$8, warnings=$9, message=$10 WHERE id=$1",
        v, 10, "sync_run", NULL);
    /* given back, or a serve process running a cycle a day would hold one
     * lock per run for months */
    if (rc == 0 && (rc = run_lock_sql(sql, sizeof(sql), "SELECT pg_advisory_unlock(%s)")) == 0)
        rc = exec_params(s, sql, v, 1, "sync_run", NULL);
    if (rc == 0) ((pg *)s->impl)->run_lock = 0;
    return rc;
}

static int pg_checkpoint_get(dtc_store *s, int64_t *day, int *found, const char *scope)
{
    PGresult *r = NULL;
    dtc_val v[] = {DTC_TEXT(scope)};
    int rc = exec_params(s, "SELECT day FROM checkpoint WHERE scope=$1", v, 1, "checkpoint", &r);
    *found = 0;
    if (rc == 0 && PQntuples(r) == 1 && dtc_parse_date(PQgetvalue(r, 0, 0), day) == 0) *found = 1;
    PQclear(r);
    return rc;
}

static int pg_checkpoint_set(dtc_store *s, const char *scope, int64_t day)
{
    char d[16];
    dtc_fmt_date(d, day);
    dtc_val v[] = {DTC_TEXT(scope), DTC_TEXT(d)};
    return exec_params(
        s,
        "INSERT INTO checkpoint(scope,day) VALUES($1,$2) ON CONFLICT(scope) DO UPDATE SET"
        " day=excluded.day",
        v, 2, "checkpoint", NULL);
}

static int pg_restated_days(dtc_store *s, long *out, int64_t run_id)
{
    PGresult *r = NULL;
    dtc_val v[] = {DTC_INT(run_id)};
    int rc = exec_params(
        s, "SELECT COUNT(DISTINCT key) FROM revision WHERE run_id=$1 AND fact='cost_day'", v, 1,
        "revision count", &r);
    if (rc == 0) *out = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return rc;
}

/* Merge [first, last] with the ranges it overlaps or touches: those are
 * deleted and the range they merge into inserted (as store_sqlite.c), in one
 * statement (one round trip per chunk), in the caller's transaction or one
 * of its own. Days are 'YYYY-MM-DD' text, which compares as the days do; a
 * stored range that is not (edited by hand) inserts nothing and fails. */
static int pg_coverage_add(dtc_store *s, const char *scope, int64_t first, int64_t last)
{
    pg *p = s->impl;
    int64_t lo = first > dtc_days_from_civil(1, 1, 1) ? first - 1 : first;
    int64_t hi = last < dtc_days_from_civil(9999, 12, 31) ? last + 1 : last;
    char l[11], h[11], a[11], b[11];
    dtc_fmt_date(l, lo);
    dtc_fmt_date(h, hi);
    dtc_fmt_date(a, first);
    dtc_fmt_date(b, last);
    bool own = !p->tx;
    PGresult *r = NULL;
    int rc;
    if (own && (rc = run(s, "BEGIN", "coverage")) != 0) return rc;
    dtc_val v[] = {DTC_TEXT(scope), DTC_TEXT(l), DTC_TEXT(h), DTC_TEXT(a), DTC_TEXT(b)};
    if ((rc = exec_params(
             s,
             "WITH near AS (DELETE FROM coverage WHERE scope=$1 AND first_day <= $3 AND"
             " last_day >= $2 RETURNING first_day, last_day)"
             " INSERT INTO coverage(scope,first_day,last_day) SELECT $1,"
             " LEAST($4 COLLATE \"C\", MIN(first_day)), GREATEST($5 COLLATE \"C\", MAX(last_day))"
             " FROM near HAVING bool_and(first_day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND"
             " last_day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') IS NOT FALSE",
             v, 5, "coverage", &r)))
        goto done;
    if (strcmp(PQcmdTuples(r), "1") != 0) {
        snprintf(s->err, sizeof(s->err),
                 "database: coverage of %s holds a day that is not YYYY-MM-DD", scope);
        rc = DTC_EDB;
        goto done;
    }
    if (own && (rc = run_commit(s, "COMMIT", "coverage")) != 0) goto done;
    own = false;
done:
    PQclear(r);
    if (own) pg_rollback(s);
    return rc;
}

static int pg_coverage_get(dtc_store *s, dtc_day_range **out, size_t *n, const char *scope)
{
    PGresult *r = NULL;
    dtc_val v[] = {DTC_TEXT(scope)};
    int rc =
        exec_params(s, "SELECT first_day, last_day FROM coverage WHERE scope=$1 ORDER BY first_day",
                    v, 1, "coverage", &r);
    if (rc) return rc;
    int rows = PQntuples(r);
    dtc_day_range *g = rows ? dtc_calloc((size_t)rows, sizeof(*g)) : NULL;
    size_t nr = 0;
    if (rows && !g) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        rc = DTC_ENOMEM;
    }
    for (int i = 0; i < rows && rc == 0; i++) {
        int64_t a, b;
        if (dtc_parse_date(PQgetvalue(r, i, 0), &a) || dtc_parse_date(PQgetvalue(r, i, 1), &b)) {
            snprintf(s->err, sizeof(s->err),
                     "database: coverage of %s holds a day that is not YYYY-MM-DD", scope);
            rc = DTC_EDB;
        } else if (nr > 0 && a <= g[nr - 1].last + 1) {
            if (b > g[nr - 1].last) g[nr - 1].last = b;
        } else {
            g[nr++] = (dtc_day_range){a, b};
        }
    }
    PQclear(r);
    if (rc) {
        dtc_free(g);
        return rc;
    }
    *out = nr ? g : NULL;
    if (!nr) dtc_free(g);
    *n = nr;
    return 0;
}

/* ---- copy ---- */

/* A copy's rows are a sync's batches by another statement: COPY while the
 * rows are new, else the merge (put_rows), which for a copied table updates
 * every value that differs and logs nothing (dtc_store__copied). */
static int pg_copy_many(dtc_store *s, int t, const dtc_val *keys, const dtc_val *vals, size_t n)
{
    dtc_fact_desc d;
    dtc_put_counts counts = {0};
    dtc_store__copied(&d, t);
    return put_rows(s, &counts, &d, DTC_FACT_COUNT + t, keys, vals, NULL, n);
}

/* Copied rows keep their ids; the identity sequences move past them. */
static int pg_ids_after_copy(dtc_store *s)
{
    static const char *tables[] = {"revision", "sync_run", "outbox_batch"};
    int rc = 0;
    for (size_t i = 0; i < 3 && rc == 0; i++) {
        char sql[200];
        snprintf(sql, sizeof(sql),
                 "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
                 "COALESCE((SELECT MAX(id) FROM %s), 0) + 1, false)",
                 tables[i], tables[i]);
        rc = run(s, sql, "copy");
    }
    return rc;
}

/* ---- locks ---- */

/* A session advisory lock on a 64-bit hash of name: one try (store.c polls,
 * so the wait is bounded and can be cancelled). */
static int pg_try_lock(dtc_store *s, const char *name, int64_t *handle, int *got)
{
    dtc_val v[] = {DTC_TEXT(name)};
    PGresult *r = NULL;
    *handle = 0;
    int rc = exec_params(s, "SELECT pg_try_advisory_lock(hashtextextended('dtcost ' || $1, 0))", v,
                         1, "lock", &r);
    if (rc == 0) *got = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return rc;
}

static void pg_unlock(dtc_store *s, const char *name, int64_t handle)
{
    (void)handle;
    dtc_val v[] = {DTC_TEXT(name)};
    char keep[sizeof(s->err)];
    memcpy(keep, s->err, sizeof(keep));
    (void)exec_params(s, "SELECT pg_advisory_unlock(hashtextextended('dtcost ' || $1, 0))", v, 1,
                      "unlock", NULL);
    memcpy(s->err, keep, sizeof(keep));
}

/* The tables a sync or a copy fills in bulk (dtc_store_analyze). Tables the
 * role does not own are skipped by the server with a warning, not refused. */
static int pg_analyze(dtc_store *s)
{
    return run(s,
               "ANALYZE env_cost_day, env_usage_day, cost_allocation, cost_day, usage_day, "
               "revision, coverage",
               "analyze");
}

const dtc_store_ops dtc_store__pg = {
    .name = "postgres",
    .concurrent_writes = true,
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .query = pg_query,
    .put = pg_put,
    .put_many = pg_put_many,
    .run_begin = pg_run_begin,
    .run_end = pg_run_end,
    .checkpoint_get = pg_checkpoint_get,
    .checkpoint_set = pg_checkpoint_set,
    .restated_days = pg_restated_days,
    .analyze = pg_analyze,
    .prune = pg_prune,
    .coverage_add = pg_coverage_add,
    .coverage_get = pg_coverage_get,
    .copy_many = pg_copy_many,
    .ids_after_copy = pg_ids_after_copy,
    .try_lock = pg_try_lock,
    .unlock = pg_unlock,
    .reconnect = pg_reconnect,
    .lost_committed = pg_lost_committed,
    .push = &dtc_store__pg_push,
};
