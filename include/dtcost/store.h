/* store.h: the local database dtcost keeps in step with Dynatrace. One
 * interface, back-ends side by side (store_sqlite.c, store_pg.c).
 * Every fact has a natural key, so every write is an idempotent upsert; a
 * changed value (a late booking) is updated in place and logged in the
 * revision table with old and new value, booking date and when it was seen. */
#ifndef DTCOST_STORE_H
#define DTCOST_STORE_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "dtcost/errors.h"

typedef struct dtc_store dtc_store;

/* The kinds of facts, each a table with its natural key. */
typedef enum dtc_fact {
    DTC_FACT_SUBSCRIPTION,  /* key: subscription */
    DTC_FACT_PERIOD,        /* key: subscription, start */
    DTC_FACT_CAPABILITY,    /* key: subscription, capability */
    DTC_FACT_ENVIRONMENT,   /* key: account, environment */
    DTC_FACT_COST_DAY,      /* key: subscription, day */
    DTC_FACT_USAGE_DAY,     /* key: subscription, capability, day */
    DTC_FACT_ENV_COST_DAY,  /* key: subscription, environment, capability, day */
    DTC_FACT_ENV_USAGE_DAY, /* key: subscription, environment, capability, day */
    DTC_FACT_FORECAST,      /* key: account, created */
    DTC_FACT_RATE,          /* key: subscription, quote, capability, start */
    DTC_FACT_EVENT,         /* key: account, type, environment, capability, date, seq */
    DTC_FACT_ALLOCATION,    /* key: subscription, environment, field, key, capability, day */
    DTC_FACT_ALLOC_VALUE,   /* key: account, field ("COSTCENTER" or "PRODUCT"), key: a defined
                             * value, listed even before it has cost; value: first_seen_at */
    DTC_FACT_LIC_ENV_HOUR,  /* key: cluster, environment, hour (license.h: dtc_lic_env) */
    DTC_FACT_LIC_DDU_HOUR,  /* key: cluster, environment, hour, pool */
    DTC_FACT_LIC_HOST_HOUR, /* key: cluster, environment, hour, osi_id */
    DTC_FACT_LIC_FILE,      /* key: archive sha256, entry: provenance of imported files */
    DTC_FACT_COUNT
} dtc_fact;

/* A column value: text (NULL pointer = SQL NULL), integer or real. */
typedef struct dtc_val {
    char type; /* 't' text, 'i' integer, 'r' real, 'n' null */
    const char *s;
    int64_t i;
    double r;
} dtc_val;

static inline dtc_val dtc_val_text(const char *s)
{
    dtc_val v = {.type = s ? 't' : 'n', .s = s};
    return v;
}
#define DTC_TEXT(x) dtc_val_text(x)
#define DTC_INT(x) ((dtc_val){.type = 'i', .i = (x)})
#define DTC_REAL(x) ((dtc_val){.type = 'r', .r = (x)})
#define DTC_NULL ((dtc_val){.type = 'n'})

/* What an upsert did. */
typedef enum dtc_put {
    DTC_PUT_SAME = 0,     /* the row was already there with these values */
    DTC_PUT_INSERTED = 1, /* a new row */
    DTC_PUT_UPDATED = 2,  /* values changed; a revision was logged when a measured value did */
} dtc_put;

/* Open (and create or migrate) the database named by target, its back-end
 * chosen by scheme (store.c, schemes[]): "sqlite:PATH" or a plain file path,
 * "postgres://..." or "postgresql://..." (a libpq connection URI).
 * On failure *out is NULL and err holds a one-line message. */
int dtc_store_open(dtc_store **out, const char *target, char *err, size_t errlen) DTC_MUST_CHECK;
void dtc_store_close(dtc_store *s);
/* A second handle on s's database for a writer on another thread, when the
 * back-end writes two transactions at once (PostgreSQL: another connection,
 * another server process); *out NULL and 0 when it would only wait for the
 * first (SQLite). Revisions it logs belong to s's current run. It takes none
 * of s's locks; close it with dtc_store_close before s. On failure *out is
 * NULL and s's errmsg says why. */
int dtc_store_open_writer(dtc_store *s, dtc_store **out) DTC_MUST_CHECK;
/* 1 when target names a SQLite file that does not exist (a read-only command
 * then says "run dtcost sync first" instead of creating it); 0 otherwise,
 * servers included. Cannot fail. */
int dtc_store_target_missing(const char *target);
const char *dtc_store_errmsg(const dtc_store *s);

/* One write transaction (SQLite: BEGIN IMMEDIATE, so a second writer waits
 * at begin rather than failing at commit; PostgreSQL: BEGIN goes to the
 * server with the transaction's first statement, whose call then reports a
 * lost connection). Not nested. */
int dtc_store_begin(dtc_store *s) DTC_MUST_CHECK;
int dtc_store_commit(dtc_store *s) DTC_MUST_CHECK;
void dtc_store_rollback(dtc_store *s);

/* Upsert one fact. keys and vals follow the fact's column order (store.c,
 * facts[]). When a measured value changes, the revision log gets old and new
 * value, `booking` (the source's booking date, may be NULL) and the run.
 * *result (result may be NULL) gets what the upsert did. */
int dtc_store_put(dtc_store *s, dtc_put *result, dtc_fact fact, const dtc_val *keys,
                  const dtc_val *vals, const char *booking) DTC_MUST_CHECK;

/* What dtc_store_put_many did, counted as dtc_store_put results. */
typedef struct dtc_put_counts {
    long inserted, updated, same;
} dtc_put_counts;

/* Upsert n facts of one kind, with the outcome of n dtc_store_put calls in
 * order: the same rows, revisions and counts (a key repeated in the batch is
 * put again, so its last value wins and each change is logged). keys holds n
 * rows of the fact's key columns one after another, vals n rows of its
 * values; booking n booking dates (entries may be NULL) or NULL for none.
 * PostgreSQL writes a batch of new rows by COPY, any other in one statement
 * per few thousand rows; SQLite row by row. Call inside
 * dtc_store_begin/commit (outside, it is a transaction of its own); on
 * failure roll back: *counts is then zero. */
int dtc_store_put_many(dtc_store *s, dtc_put_counts *counts, dtc_fact fact, const dtc_val *keys,
                       const dtc_val *vals, const char *const *booking, size_t n) DTC_MUST_CHECK;

/* Restatement of child rows: delete the rows of `fact` that share its first
 * nkeys-1 key values with `prefix` and whose last key is not in `keep`, a
 * JSON array of the last key's values (text or integers) just written. Call
 * inside dtc_store_begin/commit, after putting the new children, so a
 * parent's children are exactly the new set. *removed gets the count. */
int dtc_store_prune(dtc_store *s, long *removed, dtc_fact fact, const dtc_val *prefix,
                    const char *keep) DTC_MUST_CHECK;

/* Sync runs: begin records the start, with this process's id and host name
 * and the accounts the run covers (their UUIDs separated by single spaces;
 * NULL: not recorded); end records the outcome and counters. */
typedef struct dtc_run_stats {
    long requests, retries, inserted, updated, restated_days, warnings;
} dtc_run_stats;
/* Before recording the new run, begin marks earlier runs still "running" whose
 * process is gone as "interrupted" (finished_at stays NULL: nobody saw them
 * end): those recorded on this host whose pid no longer exists, and those from
 * older versions that recorded no pid. A run of a live process here (a
 * concurrent sync) or of another host is left alone. One transaction of its
 * own, or the caller's when inside begin/commit. */
int dtc_store_run_begin(dtc_store *s, int64_t *run_id, const char *started_at,
                        const char *accounts) DTC_MUST_CHECK;
/* How many runs the last dtc_store_run_begin on this handle marked
 * interrupted (0 before any). Cannot fail: returns 0. */
int dtc_store_runs_interrupted(dtc_store *s, long *n);
int dtc_store_run_end(dtc_store *s, int64_t run_id, const char *finished_at, const char *status,
                      const dtc_run_stats *st, const char *message) DTC_MUST_CHECK;

/* Coverage: which days of a series ("envcost:<sub>", ...) a sync has read
 * completely, as ranges of days. Unlike a single last-day checkpoint, a
 * backfill of old days does not hide a gap before today. */
typedef struct dtc_day_range {
    int64_t first, last; /* days since 1970-01-01, inclusive */
} dtc_day_range;
/* Record that scope's days [first, last] were read completely; merged with
 * overlapping and adjacent ranges already recorded. Call inside
 * dtc_store_begin/commit so it commits with the rows it describes (outside,
 * it is a transaction of its own). DTC_EINVAL when first > last or a day is
 * outside the years 0001-9999. */
int dtc_store_coverage_add(dtc_store *s, const char *scope, int64_t first,
                           int64_t last) DTC_MUST_CHECK;
/* scope's recorded ranges, merged, oldest first; *out (freed with dtc_free()) is
 * NULL when *n is 0. */
int dtc_store_coverage_get(dtc_store *s, dtc_day_range **out, size_t *n,
                           const char *scope) DTC_MUST_CHECK;

/* Checkpoints: the last day fully synced per scope ("envcost:<sub>", ...).
 * Kept for existing callers; new code records coverage instead. */
int dtc_store_checkpoint_get(dtc_store *s, int64_t *day, int *found,
                             const char *scope) DTC_MUST_CHECK;
int dtc_store_checkpoint_set(dtc_store *s, const char *scope, int64_t day) DTC_MUST_CHECK;

/* A lock between processes sharing the database, on name ("sync of account
 * <uuid>", "push to <destination>"): one sync of an account, one push to a
 * destination at a time. Tries every 100 ms for up to wait_ms, ending the wait
 * early when cancel is not NULL and *cancel is set; then DTC_EBUSY with the
 * message "<name> is locked by another dtcost (waited N s); try again when it
 * has finished" (when cancelled: "waiting for the lock on <name> was
 * interrupted by a signal (after N s)"). Held until dtc_store_unlock or
 * dtc_store_close; the process dying releases it too. A name this handle
 * already holds: 0, nothing more taken. SQLite: an OS lock (flock) on a file
 * beside the database named after a hash of name (an in-memory database:
 * nothing to take); PostgreSQL: a session advisory lock on a 64-bit hash of
 * name. DTC_EIO / DTC_EDB with the error set when it cannot lock at all. */
int dtc_store_lock(dtc_store *s, const char *name, long wait_ms,
                   const volatile sig_atomic_t *cancel) DTC_MUST_CHECK;
/* Release a lock this handle holds on name (not held: nothing). */
void dtc_store_unlock(dtc_store *s, const char *name);

/* The message of a connection lost under an open handle (DTC_EDBLOST from
 * any operation but dtc_store_open and dtc_store_reconnect, which say they
 * cannot connect) ends with this advice; a caller that retries (sync's
 * --db-retry) shows the message without it meanwhile. */
#define DTC_STORE_LOST_ADVICE                                                                      \
    "; nothing after the last commit was written: run again when the server is back"

/* After DTC_EDBLOST: connect again to the same database (PostgreSQL: a new
 * session with the same parameters, the password read from its file again,
 * the same settings and search_path; the old session ended when the server
 * still has it, a client-side cut it has not noticed, so its locks are free
 * and its transaction's fate known) and take again every lock the handle
 * held (dtc_store_lock's names, each waiting up to lock_wait_ms as
 * dtc_store_lock does, and a sync run's own lock), since the server dropped
 * them with the old session. The transaction in flight is gone: redo it
 * whole. *committed is 1 when that transaction is known to have committed
 * anyway (its COMMIT reached the server and only the answer was lost), so
 * the caller must not count it twice; 0 when it did not (lost before its
 * COMMIT was sent), or when the server cannot tell, which includes a server
 * restarted since the transaction began (after a crash it hands out the ids
 * it lost again) (redoing it is then an idempotent upsert: nothing is stored
 * twice, but its rows count as unchanged). One attempt: the connection
 * attempt gives up after connect_ms (or the connect timeout, when shorter)
 * and ends within 100 ms of *cancel being set (cancel may be NULL); waiting
 * for the old session to end, the run's lock and the question about the
 * lost transaction are bounded by connect_ms too, and until the next
 * commit every wait for a row lock is (lock_timeout; past it the statement
 * fails with DTC_EDBLOST). The account locks wait up to lock_wait_ms.
 * Returns 0; DTC_EDBLOST when the server is still unreachable (or the old
 * session, not ended, still holds the run's lock past connect_ms); DTC_EBUSY
 * when another process took a lock meanwhile and kept it past lock_wait_ms
 * (the locks not taken again stay listed, for the next attempt); DTC_EINVAL
 * for a back-end without a connection (SQLite). The error is set. */
int dtc_store_reconnect(dtc_store *s, int *committed, long connect_ms, long lock_wait_ms,
                        const volatile sig_atomic_t *cancel) DTC_MUST_CHECK;

/* Days (subscription, day) whose cost was restated during run_id. */
int dtc_store_restated_days(dtc_store *s, long *out, int64_t run_id) DTC_MUST_CHECK;
/* After writing many rows, outside a transaction: refresh the planner's
 * statistics of the tables dtcost fills. On PostgreSQL, ANALYZE of those
 * tables (a bulk load leaves them stale until autovacuum's next round, and
 * the FOCUS export's plan was 2.2x slower on them: hash joins and a sort on
 * disk instead of streaming in key order); SQLite needs none (0). A
 * failure costs speed, not data: its message says so, for a warning. */
int dtc_store_analyze(dtc_store *s) DTC_MUST_CHECK;

/* ---- delivery (dtcost push / serve): change scan, durable outbox ---- */

/* A cost record whose value changed (or that is new) since it was last put in
 * the outbox of a destination. Strings are valid during the callback only. */
typedef struct dtc_push_rec {
    const char *kind;        /* "cost_day" (subscription total) or "env_cost_day" */
    const char *key;         /* stable record key, the same across restatements */
    const char *fingerprint; /* the delivered values; a change means a new version */
    int64_t version;         /* 1 for a new record, previous + 1 for a restatement */
    const char *subscription, *account, *environment, *environment_name;
    const char *capability, *capability_name, *day, *currency, *booking;
    int64_t cost_micro;
    int has_usage; /* env_cost_day with a usage row */
    double usage;
    const char *unit;
} dtc_push_rec;

/* Call fn for at most `limit` records changed for destination `dest` since
 * they were last enqueued there, days from `since_day` ('YYYY-MM-DD', or NULL
 * for all), oldest day first: daily totals, then per environment. A non-zero
 * return from fn stops the scan and is returned. *count gets the number seen. */
int dtc_store_push_changes(dtc_store *s, long *count, const char *dest, const char *since_day,
                           long limit, int (*fn)(void *ctx, const dtc_push_rec *r),
                           void *ctx) DTC_MUST_CHECK;

/* One record of an outbox batch: its body is the serialized element. */
typedef struct dtc_outbox_item {
    const char *record_key, *fingerprint, *idem_key;
    int64_t version;
    const char *body;
    size_t len;
} dtc_outbox_item;

/* A batch as stored: state is "pending", "delivered", "dead" or "split". */
typedef struct dtc_outbox_batch {
    int64_t id;
    char key[80]; /* idempotency key of the batch */
    char state[16];
    long records;
    int64_t bytes; /* sum of the records' body lengths */
    int attempts;  /* failed delivery attempts so far */
} dtc_outbox_batch;

/* Record a batch for dest before it is sent: the batch, its items in order,
 * and each record's fingerprint and version as enqueued (so the next change
 * scan skips them). Call inside dtc_store_begin/commit. */
int dtc_store_outbox_add(dtc_store *s, int64_t *batch_id, const char *dest, const char *batch_key,
                         const char *created_at, const dtc_outbox_item *items,
                         size_t n) DTC_MUST_CHECK;
/* The oldest pending batch of dest with id > after_id; *found 0 when none. */
int dtc_store_outbox_next(dtc_store *s, dtc_outbox_batch *out, int *found, const char *dest,
                          int64_t after_id) DTC_MUST_CHECK;
/* The batch's items in order (body and keys valid during the callback). */
int dtc_store_outbox_items(dtc_store *s, int64_t batch_id,
                           int (*fn)(void *ctx, const dtc_outbox_item *it),
                           void *ctx) DTC_MUST_CHECK;
/* Record a delivery attempt's outcome: state ("pending", "delivered" or
 * "dead"), failed attempts so far, HTTP status (0: none) and a one-line error
 * (NULL when delivered). A delivered batch drops its bodies, keeping keys. */
int dtc_store_outbox_mark(dtc_store *s, int64_t batch_id, const char *state, int attempts,
                          long status, const char *error, const char *at) DTC_MUST_CHECK;
/* Split a pending batch in two halves (a receiver's 413): the first half of
 * its items goes to a new batch keyed key_a, the rest to key_b; the old batch
 * is left in state "split". *a and *b get the new ids (b 0 when the batch had
 * one item, which cannot be split: DTC_EINVAL). */
int dtc_store_outbox_split(dtc_store *s, int64_t *a, int64_t *b, int64_t batch_id,
                           const char *key_a, const char *key_b,
                           const char *created_at) DTC_MUST_CHECK;
/* Dead-lettered batches of dest back to pending with no failed attempts. */
int dtc_store_outbox_retry_dead(dtc_store *s, long *n, const char *dest) DTC_MUST_CHECK;
/* Batches and records not delivered, per destination and state ("pending",
 * "dead"); fn gets each group. */
int dtc_store_outbox_backlog(dtc_store *s,
                             int (*fn)(void *ctx, const char *dest, const char *state, long batches,
                                       long records),
                             void *ctx) DTC_MUST_CHECK;

/* Move a destination's outbox and delivery records from key `from` to key
 * `to` (a destination whose identity changed form, e.g. older databases that
 * kept a URL with a token in it). Rows `to` already has win. *n gets the
 * batches moved. Call inside dtc_store_begin/commit. */
int dtc_store_outbox_rename(dtc_store *s, long *n, const char *from, const char *to) DTC_MUST_CHECK;
/* ---- moving between back-ends ---- */

/* What dtc_store_copy did: tables and rows written. */
typedef struct dtc_copy_stats {
    long tables, rows;
} dtc_copy_stats;

/* Copy every table of from into to (`dtcost db copy`): facts, revisions and
 * runs with their ids, checkpoints, coverage, the outbox; a row whose key is
 * already in to is overwritten with from's values, so running it again changes
 * nothing. One transaction on to: all or nothing. Into PostgreSQL the rows go
 * in batches of a fixed number (store.c: COPY_ROWS, with the measurements
 * that chose it), so memory is one batch whatever the tables' size; into
 * SQLite one prepared upsert a row. Errors: the failing side's
 * message in to's errmsg (from's when reading failed, also copied there), so
 * to is the handle and comes first. */
int dtc_store_copy(dtc_store *to, dtc_copy_stats *st, dtc_store *from) DTC_MUST_CHECK;

/* ---- the read path: portable SQL and typed rows ---- */

/* One result row of dtc_store_query, valid during the callback only. */
typedef struct dtc_row dtc_row;

/* Run a read-only statement and call fn for each row. The SQL is portable:
 * the subset SQLite and PostgreSQL share (no SQLite-only functions, IS
 * DISTINCT FROM rather than IS NOT), with `?` placeholders numbered by
 * position, params[0] for the first; each back-end translates them. A
 * non-zero return from fn stops and is returned. DTC_EINVAL when the
 * statement would write or the placeholders do not match nparams, DTC_EDB on
 * a bad statement; details in dtc_store_errmsg. */
int dtc_store_query(dtc_store *s, const char *sql, const dtc_val *params, int nparams,
                    int (*fn)(void *ctx, const dtc_row *row), void *ctx) DTC_MUST_CHECK;

/* Columns of the row. Cannot fail. */
int dtc_row_columns(const dtc_row *r);
/* Typed reads of column col (0 first). Each returns 0, or DTC_EDB with the
 * store's error naming the statement and the column when the column does not
 * exist, is NULL, or holds another type: never a silent 0 or "". The only
 * conversion: an integer reads as a real. Text is valid during the callback. */
int dtc_row_int(const dtc_row *r, int64_t *out, int col) DTC_MUST_CHECK;
int dtc_row_real(const dtc_row *r, double *out, int col) DTC_MUST_CHECK;
int dtc_row_text(const dtc_row *r, const char **out, int col) DTC_MUST_CHECK;
/* The same for a column where NULL is allowed: *out gets dflt for NULL. */
int dtc_row_int_or(const dtc_row *r, int64_t *out, int col, int64_t dflt) DTC_MUST_CHECK;
int dtc_row_real_or(const dtc_row *r, double *out, int col, double dflt) DTC_MUST_CHECK;
int dtc_row_text_or(const dtc_row *r, const char **out, int col, const char *dflt) DTC_MUST_CHECK;
/* Whether column col is NULL (a column that does not exist is not). */
int dtc_row_is_null(const dtc_row *r, int col);

#endif
