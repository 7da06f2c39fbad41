/* store_impl.h: what a storage back-end implements (store_sqlite.c; a
 * PostgreSQL one later), and the fact descriptors they share. */
#ifndef DTC_STORE_IMPL_H
#define DTC_STORE_IMPL_H
#include <stddef.h>

#include "dtcost/store.h"

#define DTC_FACT_MAX_COLS 14

/* One fact table: its key columns, its value columns, and which value (if
 * any) is the measured one whose change is a restatement worth a revision. */
typedef struct dtc_fact_desc {
    const char *name;  /* table name, also the revision log's `fact` */
    const char *keys[DTC_FACT_MAX_COLS];
    const char *vals[DTC_FACT_MAX_COLS];
    int nkeys, nvals;
    int measured;      /* index into vals, -1 for none */
} dtc_fact_desc;

extern const dtc_fact_desc dtc_store__facts[DTC_FACT_COUNT];

typedef struct dtc_store_ops {
    const char *name;
    int (*open)(dtc_store *s, const char *target);
    void (*close)(dtc_store *s);
    int (*exec)(dtc_store *s, const char *sql);
    int (*put)(dtc_store *s, const dtc_fact_desc *d, const dtc_val *keys, const dtc_val *vals,
               const char *booking, dtc_put *result);
    int (*run_begin)(dtc_store *s, const char *started_at, int64_t *run_id);
    int (*run_end)(dtc_store *s, int64_t run_id, const char *finished_at, const char *status,
                   const dtc_run_stats *st, const char *message);
    int (*checkpoint_get)(dtc_store *s, const char *scope, int64_t *day, int *found);
    int (*checkpoint_set)(dtc_store *s, const char *scope, int64_t day);
    int (*restated_days)(dtc_store *s, int64_t run_id, long *out);
} dtc_store_ops;

struct dtc_store {
    const dtc_store_ops *ops;
    void *impl;            /* back-end state */
    int64_t run_id;        /* current run, 0 outside a run */
    char seen_at[32];      /* when the current run started (revision log) */
    char err[512];
};

extern const dtc_store_ops dtc_store__sqlite;

#endif
