/* sync.h: one run of `dtcost sync`: every configured account's subscriptions,
 * budget, environments, daily cost and usage, per-environment cost and usage,
 * forecast, rate cards, cost events and cost allocation into the store, page
 * by page in transactions, resuming from checkpoints. */
#ifndef DTCOST_SYNC_H
#define DTCOST_SYNC_H
#include <signal.h>
#include <stdint.h>

#include "dtcost/config.h"
#include "dtcost/errors.h"
#include "dtcost/store.h"

typedef struct dtc_sync_progress {
    const char *account, *subscription, *step; /* what is being fetched */
    long pages, rows, requests;
    int64_t elapsed_ms;
} dtc_sync_progress;

typedef struct dtc_sync_opts {
    const dtc_config *cfg;
    dtc_store *store;     /* borrowed */
    int64_t today;        /* the clock, in days; no later day is asked for */
    int64_t since, until; /* days, or -1: incremental from the checkpoints */
    int retry_attempts, retry_seconds, retry_base_ms; /* 0: defaults */
    int lock_seconds; /* wait for another sync of an account this long (0: 300), then DTC_ELOCKED */
    /* Set from a signal handler: ends a wait for a lost database connection
     * (cfg->db_retry) within 100 ms, the run failing with DTC_EDBLOST. May be NULL. */
    const volatile sig_atomic_t *cancel;
    void (*progress)(void *ctx, const dtc_sync_progress *p); /* after each page, or NULL */
    void (*warn)(void *ctx, const char *msg);                /* a warning line, or NULL */
    void *ctx;
} dtc_sync_opts;

typedef struct dtc_sync_result {
    int64_t run_id;
    dtc_run_stats stats;
    long pages, accounts, subscriptions;
    char err[1024]; /* one line when the run failed */
} dtc_sync_result;

/* Run a sync. Returns 0, or the code of the first failure (DTC_EAUTH bad
 * credentials, account or scope; DTC_ENOTFOUND unknown subscription;
 * DTC_ERETRY retries exhausted; DTC_EPARSE malformed answers; DTC_EHTTP
 * unreachable; DTC_EDB the database; DTC_EDBLOST the database server gone
 * for longer than cfg->db_retry seconds; DTC_EBUSY an account's lock held by
 * another sync past lock_seconds) with r->err set. What was committed before
 * a failure stays: whole pages only. A lost database connection is made
 * anew (dtc_store_reconnect) for up to cfg->db_retry seconds per outage,
 * with a warning when it is lost and when it is back, and the transaction
 * in flight is redone whole. */
int dtc_sync_run(dtc_sync_result *r, const dtc_sync_opts *o) DTC_MUST_CHECK;

#endif
