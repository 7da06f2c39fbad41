/* store_impl.h: what a storage back-end implements (store_sqlite.c,
 * store_pg.c), the fact descriptors they share and the row they hand to a
 * query's callback. */
#ifndef DTC_STORE_IMPL_H
#define DTC_STORE_IMPL_H
#include <stdbool.h>
#include <stddef.h>

#include "dtcost/store.h"

#define DTC_FACT_MAX_COLS 24

/* One fact table: its key columns, its value columns, and which value (if
 * any) is the measured one whose change is a restatement worth a revision. */
typedef struct dtc_fact_desc {
    const char *name; /* table name, also the revision log's `fact` */
    const char *keys[DTC_FACT_MAX_COLS];
    const char *vals[DTC_FACT_MAX_COLS];
    int nkeys, nvals;
    int measured;    /* index into vals, -1 for none */
    bool first_seen; /* the last value is when the row was first stored: set on
                      * insert, never compared or updated */
} dtc_fact_desc;

extern const dtc_fact_desc dtc_store__facts[DTC_FACT_COUNT];

/* The tables dtc_store_copy writes, in its order: the facts, then revision,
 * sync_run, checkpoint, coverage and the outbox's three tables. */
#define DTC_COPY_TABLES (DTC_FACT_COUNT + 7)
/* Table t (0 .. DTC_COPY_TABLES - 1) of the copy as a descriptor: its key
 * columns, then every other column as a value, measured -1 and first_seen
 * false, so an upsert by it takes every value from the row and logs no
 * revision (the copy brings the revision log along as a table). */
void dtc_store__copied(dtc_fact_desc *out, int t);

typedef struct dtc_store_ops {
    const char *name;
    /* Two connections' writes proceed at once (a server), rather than the
     * second waiting for the first's transaction (a file): a second writer
     * pays (store.h: dtc_store_open_writer). */
    bool concurrent_writes;
    int (*open)(dtc_store *s, const char *target);
    void (*close)(dtc_store *s);
    /* one write transaction; rollback keeps s->err (store.c restores it) */
    int (*begin)(dtc_store *s);
    int (*commit)(dtc_store *s);
    void (*rollback)(dtc_store *s);
    /* read-only portable SQL, `?` placeholders (store.h); each row as a dtc_row */
    int (*query)(dtc_store *s, const char *sql, const dtc_val *params, int nparams,
                 int (*fn)(void *ctx, const dtc_row *row), void *ctx);
    int (*put)(dtc_store *s, dtc_put *result, const dtc_fact_desc *d, const dtc_val *keys,
               const dtc_val *vals, const char *booking);
    /* NULL: store.c calls put for each row (store.h: dtc_store_put_many) */
    int (*put_many)(dtc_store *s, dtc_put_counts *counts, const dtc_fact_desc *d,
                    const dtc_val *keys, const dtc_val *vals, const char *const *booking, size_t n);
    /* *interrupted: how many earlier running runs it marked interrupted */
    int (*run_begin)(dtc_store *s, int64_t *run_id, long *interrupted, const char *started_at,
                     const char *accounts);
    int (*run_end)(dtc_store *s, int64_t run_id, const char *finished_at, const char *status,
                   const dtc_run_stats *st, const char *message);
    int (*checkpoint_get)(dtc_store *s, int64_t *day, int *found, const char *scope);
    int (*checkpoint_set)(dtc_store *s, const char *scope, int64_t day);
    int (*restated_days)(dtc_store *s, long *out, int64_t run_id);
    int (*analyze)(dtc_store *s); /* NULL: the back-end needs none */
    int (*prune)(dtc_store *s, long *removed, const dtc_fact_desc *d, int fact,
                 const dtc_val *prefix, const char *keep);
    /* first <= last, both within the years 0001-9999 (store.c checks) */
    int (*coverage_add)(dtc_store *s, const char *scope, int64_t first, int64_t last);
    int (*coverage_get)(dtc_store *s, dtc_day_range **out, size_t *n, const char *scope);
    /* For dtc_store_copy only, inside its transaction. copy_many: n rows of
     * the copy's table t (dtc_store__copied: keys n x nkeys, vals n x nvals)
     * over whatever s holds under their keys, every value taken, nothing
     * logged. NULL: store.c runs write, one writing statement of portable
     * SQL (`?` placeholders), for each row. Then ids_after_copy brings
     * generated ids past the copied ones (NULL: nothing to do). */
    int (*copy_many)(dtc_store *s, int t, const dtc_val *keys, const dtc_val *vals, size_t n);
    int (*write)(dtc_store *s, const char *sql, const dtc_val *params, int nparams);
    int (*ids_after_copy)(dtc_store *s);
    /* One try at the lock between processes on name (store.h): *got 1 and
     * *handle set when taken, *got 0 when another process holds it (store.c
     * waits, polls and gives up); unlock releases what try_lock took. */
    int (*try_lock)(dtc_store *s, const char *name, int64_t *handle, int *got);
    void (*unlock)(dtc_store *s, const char *name, int64_t handle);
    /* A lost connection (a server) made anew, within wait_ms, ended early
     * when *cancel is set (store.h: dtc_store_reconnect): the session's
     * settings, no transaction, prepared statements forgotten, the run's own
     * lock taken again; store.c then takes s->held again. NULL: a file,
     * nothing to reconnect. */
    int (*reconnect)(dtc_store *s, int64_t wait_ms, const volatile sig_atomic_t *cancel);
    /* After reconnect: *committed 1 when the transaction in flight at the
     * loss is known to have committed (its COMMIT's answer was lost). */
    int (*lost_committed)(dtc_store *s, int *committed);
    const struct dtc_store_push_ops *push; /* delivery outbox (below) */
} dtc_store_ops;

struct dtc_store {
    const dtc_store_ops *ops;
    void *impl;                  /* back-end state */
    int64_t run_id;              /* current run, 0 outside a run */
    char seen_at[32];            /* when the current run started (revision log) */
    long interrupted;            /* runs the last run_begin marked interrupted */
    char *target;                /* as opened (dtc_store_open_writer opens it again) */
    struct dtc_store_held *held; /* locks this handle holds (store.c), released at close; after
                                  * a lost connection, those dtc_store_reconnect takes again */
    size_t nheld;
    char err[512];
};

/* A result row as a back-end hands it to a query callback: the statement (for
 * errors), the store (whose err the typed accessors fill) and the columns. */
struct dtc_row {
    dtc_store *s;
    const char *sql;
    const dtc_val *cols;
    int ncols;
};

/* target as it may appear in a message: a URI's password replaced by "***"
 * (postgres://user:secret@host -> postgres://user:***@host). */
void dtc_store__scrub(const char *target, char *out, size_t outlen);

/* A value as the revision log writes it (old and new value, key parts):
 * text as is, integers as %lld, reals as %.17g, NULL as "" (truncated to n). */
void dtc_store__val_text(const dtc_val *v, char *dst, size_t n);
/* The revision log's key of a fact: its key values as text joined by '|'. */
#define DTC_STORE_KEY_TEXT 512
void dtc_store__key_text(const dtc_fact_desc *d, const dtc_val *keys, char out[DTC_STORE_KEY_TEXT]);

/* Count the `?` placeholders of portable SQL outside quoted strings and
 * identifiers; when out is not NULL, also write the SQL with each `?` as `$N`
 * (PostgreSQL) into out (outlen bytes). -1 when out is too small. */
int dtc_store__placeholders(const char *sql, char *out, size_t outlen);

/* The schema (store_schema.c): the fact tables, revision, sync_run,
 * checkpoint, coverage; and the delivery outbox's tables. */
extern const char dtc_store__schema[], dtc_store__outbox_schema[];
/* Rows of cost_event_old into the cost_event the schema made (migrations). */
extern const char dtc_store__event_seq_copy[];
/* Views for BI tools: name and portable SELECT; each back-end (re)creates
 * them when it opens the database. */
typedef struct dtc_store_view {
    const char *name, *select;
} dtc_store_view;
extern const dtc_store_view dtc_store__views[];
extern const int dtc_store__nviews;

extern const dtc_store_ops dtc_store__sqlite;
extern const dtc_store_ops dtc_store__pg; /* store_pg.c */

/* What a back-end implements for `dtcost push` and `serve`: the change scan
 * and the durable outbox (store.h documents each). */
typedef struct dtc_store_push_ops {
    /* One pass of the change scan: subscription-level cost rows (env false)
     * or environment rows (env true), at most limit, adding to *count;
     * store_outbox.c runs the two passes. */
    int (*scan)(dtc_store *s, long *count, bool env, const char *dest, const char *since_day,
                long limit, int (*fn)(void *ctx, const dtc_push_rec *r), void *ctx);
    int (*outbox_add)(dtc_store *s, int64_t *batch_id, const char *dest, const char *batch_key,
                      const char *created_at, const dtc_outbox_item *items, size_t n);
    int (*outbox_next)(dtc_store *s, dtc_outbox_batch *out, int *found, const char *dest,
                       int64_t after_id);
    int (*outbox_items)(dtc_store *s, int64_t batch_id,
                        int (*fn)(void *ctx, const dtc_outbox_item *it), void *ctx);
    int (*outbox_mark)(dtc_store *s, int64_t batch_id, const char *state, int attempts, long status,
                       const char *error, const char *at);
    int (*outbox_split)(dtc_store *s, int64_t *a, int64_t *b, int64_t batch_id, const char *key_a,
                        const char *key_b, const char *created_at);
    int (*outbox_retry_dead)(dtc_store *s, long *n, const char *dest);
    int (*outbox_backlog)(dtc_store *s,
                          int (*fn)(void *ctx, const char *dest, const char *state, long batches,
                                    long records),
                          void *ctx);
    int (*outbox_rename)(dtc_store *s, long *n, const char *from, const char *to);
} dtc_store_push_ops;

#endif
