/* store.h: the local database dtcost keeps in step with Dynatrace. One
 * interface, back-ends side by side (store_sqlite.c now; PostgreSQL later).
 * Every fact has a natural key, so every write is an idempotent upsert; a
 * changed value (a late booking) is updated in place and logged in the
 * revision table with old and new value, booking date and when it was seen. */
#ifndef DTCOST_STORE_H
#define DTCOST_STORE_H
#include <stdint.h>

#include "dtcost/errors.h"

typedef struct dtc_store dtc_store;

/* The kinds of facts, each a table with its natural key. */
typedef enum dtc_fact {
    DTC_FACT_SUBSCRIPTION,   /* key: subscription */
    DTC_FACT_PERIOD,         /* key: subscription, start */
    DTC_FACT_CAPABILITY,     /* key: subscription, capability */
    DTC_FACT_ENVIRONMENT,    /* key: account, environment */
    DTC_FACT_COST_DAY,       /* key: subscription, day */
    DTC_FACT_USAGE_DAY,      /* key: subscription, capability, day */
    DTC_FACT_ENV_COST_DAY,   /* key: subscription, environment, capability, day */
    DTC_FACT_ENV_USAGE_DAY,  /* key: subscription, environment, capability, day */
    DTC_FACT_FORECAST,       /* key: account, created */
    DTC_FACT_RATE,           /* key: subscription, quote, capability, start */
    DTC_FACT_EVENT,          /* key: account, type, environment, capability, date */
    DTC_FACT_ALLOCATION,     /* key: subscription, environment, field, key, capability, day */
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

/* Open (and create or migrate) the database named by target: a file path,
 * "sqlite:PATH", or "postgres://..." (refused until that back-end exists).
 * On failure *out is NULL and err holds a one-line message. */
int dtc_store_open(dtc_store **out, const char *target, char *err, size_t errlen) DTC_MUST_CHECK;
void dtc_store_close(dtc_store *s);
const char *dtc_store_errmsg(const dtc_store *s);

int dtc_store_begin(dtc_store *s) DTC_MUST_CHECK;
int dtc_store_commit(dtc_store *s) DTC_MUST_CHECK;
void dtc_store_rollback(dtc_store *s);

/* Upsert one fact. keys and vals follow the fact's column order (store.c,
 * facts[]). When a measured value changes, the revision log gets old and new
 * value, `booking` (the source's booking date, may be NULL) and the run. */
int dtc_store_put(dtc_store *s, dtc_fact fact, const dtc_val *keys, const dtc_val *vals,
                  const char *booking, dtc_put *result) DTC_MUST_CHECK;

/* Sync runs: begin records the start; end records the outcome and counters. */
typedef struct dtc_run_stats {
    long requests, retries, inserted, updated, restated_days, warnings;
} dtc_run_stats;
int dtc_store_run_begin(dtc_store *s, const char *started_at, int64_t *run_id) DTC_MUST_CHECK;
int dtc_store_run_end(dtc_store *s, int64_t run_id, const char *finished_at, const char *status,
                      const dtc_run_stats *st, const char *message) DTC_MUST_CHECK;

/* Checkpoints: the last day fully synced per scope ("envcost:<sub>", ...). */
int dtc_store_checkpoint_get(dtc_store *s, const char *scope, int64_t *day, int *found) DTC_MUST_CHECK;
int dtc_store_checkpoint_set(dtc_store *s, const char *scope, int64_t day) DTC_MUST_CHECK;

/* Days (subscription, day) whose cost was restated during run_id. */
int dtc_store_restated_days(dtc_store *s, int64_t run_id, long *out) DTC_MUST_CHECK;

#endif
